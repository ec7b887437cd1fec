/* leader.h — a named lock with expiry that elects one leader among processes: exactly
 * one scheduler is active; a second waits and takes over when the first dies.
 *
 * The holder renews the lock (acquire again, well before ttl_ms passes); a holder that dies stops
 * renewing, the lock expires, and the next acquire by another owner wins. Backends:
 *   redis  SET <prefix>:lock:<name> owner NX PX ttl; renewal and release are compare-and-set Lua
 *          scripts (only the owner can extend or delete its lock).
 *   store  the locks table of migrations/005_jobs.sql: one upsert that takes the row when it is
 *          free, expired or already ours, so two owners cannot both succeed.
 * Fencing: each acquisition by a holder that did not hold the lock a moment ago (a free, expired
 * or taken-over lock) increments the lock's epoch, a counter kept beside it that never goes back
 * (redis: <prefix>:lock:<name>:epoch, no expiry; store: locks.epoch); a renewal keeps it. The
 * holder stamps its writes with the epoch and the stores they land in refuse older ones
 * (store/fence.h), so a write a former holder still had in flight cannot land after a newer
 * holder's writes. A caller passes the highest epoch its stores have seen as the floor: a lock
 * whose counter was lost (Redis data lost) starts above it instead of at 1.
 * Expiry is judged by the server's clock, Redis's or PostgreSQL's, so processes on hosts whose
 * clocks disagree (by the skew NTP allows, or a jump) still agree on it; on SQLite, whose
 * processes all run on one host, by the caller's (with CLOCK_OFFSET_FILE, config/clock.h).
 * Thread-safe. */
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
/* aps_leader_acquire that also gives the epoch of the holding (*epoch, 0 when not held), taken
 * above floor (>= 0) when this call starts a new one or the kept one is below floor. */
int aps_leader_acquire_epoch(struct aps_leader *l, const char *name, const char *owner,
                             int64_t ttl_ms, int64_t floor, bool *held,
                             int64_t *epoch) APS_MUST_CHECK;
/* Releases name if owner holds it (0 either way). The result may be ignored: a release that
 * fails leaves the lock to expire after its ttl. */
int aps_leader_release(struct aps_leader *l, const char *name, const char *owner);
void aps_leader_close(struct aps_leader *l);
/* A new REDIS_URL (credentials) for a lock in Redis (see aps_redis_switch in src/cache); 0 and
 * nothing done for the store-backed lock. */
int aps_leader_redis_switch(struct aps_leader *l, const char *url, char *err,
                            size_t errcap) APS_MUST_CHECK;

#endif
