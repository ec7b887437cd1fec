/* fence.h — fencing tokens checked where a leader's writes land (migrations/017_fencing.sql).
 *
 * A leader lease (cache/leader.h) hands each new holder a larger epoch. The holder stamps its
 * writes with {lock name, epoch}; the store keeps, per lock name, the highest epoch any write has
 * carried (table fences) and refuses a write whose epoch is lower. A newer holder raises the
 * fence with its first write (or aps_fence_pass on its own at take-over), after which nothing
 * the previous holder still has in flight can land. */
#ifndef APS_STORE_FENCE_H
#define APS_STORE_FENCE_H

#include <stdint.h>

#include "core/err.h"

struct aps_conn;

/* A fencing token: the lock it came from and the epoch of the acquisition (>= 1). */
struct aps_fence {
    const char *name;
    int64_t epoch;
};

/* Raises the fence of f->name to f->epoch, or refuses: APS_E_STALE when it holds a newer epoch.
 * Run it inside the transaction of the write it guards: on PostgreSQL it locks the fence row
 * until that transaction ends (a newer holder's raise waits for it), on SQLite the write
 * transaction is exclusive. APS_E_INVAL for an epoch < 1 or a missing name. */
int aps_fence_pass(struct aps_conn *c, const struct aps_fence *f) APS_MUST_CHECK;
/* The highest epoch the store has seen for name (0 when none), for a lock to start above. */
int aps_fence_read(struct aps_conn *c, const char *name, int64_t *epoch) APS_MUST_CHECK;

#endif
