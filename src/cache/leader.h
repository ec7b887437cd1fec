/* leader.h — a named lock with expiry that elects one leader among processes: exactly
 * one scheduler is active; a second waits and takes over when the first dies.
 *
 * The holder renews the lock (acquire again, well before ttl_ms passes); a holder that dies stops
 * renewing, the lock expires, and the next acquire by another owner wins. Backends:
 *   redis  SET <prefix>:lock:<name> owner NX PX ttl; renewal and release are compare-and-set Lua
 *          scripts (only the owner can extend or delete its lock).
 *   store  the locks table of migrations/005_jobs.sql: one upsert that takes the row when it is
 *          free, expired or already ours, so two owners cannot both succeed.
 * Expiry is judged by the Redis server's clock, or, on the store, by the callers' wall clocks
 * (processes on different hosts need NTP). Thread-safe. */
#ifndef APS_CACHE_LEADER_H
#define APS_CACHE_LEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_config;
struct aps_leader;
struct aps_store;

/* Redis when REDIS_URL is set, else the store st (APS_E_CONFIG when neither). */
int aps_leader_open(struct aps_leader **out, const struct aps_config *cfg, struct aps_store *st,
                    char *err, size_t errcap) APS_MUST_CHECK;
/* Acquires name for owner, or renews it when owner holds it already, for ttl_ms (>= 1).
 * *held: true when owner holds the lock now. 0 also when another owner holds it. Names and
 * owners: 1..127 printable bytes. APS_E_IO / APS_E_DB when the backend failed (then *held is
 * false: a leader that cannot renew must stop acting as leader). */
int aps_leader_acquire(struct aps_leader *l, const char *name, const char *owner, int64_t ttl_ms,
                       bool *held) APS_MUST_CHECK;
/* Releases name if owner holds it (0 either way). The result may be ignored: a release that
 * fails leaves the lock to expire after its ttl. */
int aps_leader_release(struct aps_leader *l, const char *name, const char *owner);
void aps_leader_close(struct aps_leader *l);

#endif
