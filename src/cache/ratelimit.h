/* ratelimit.h — request rate limits per user, API key and IP.
 *
 * Fixed one-minute windows aligned to the wall-clock minute: a key may make limit_per_min hits in
 * each minute; the count starts again at the next minute (reset_seconds says when). Chosen over
 * a sliding window because it costs one counter per key and one Redis round trip, and its worst
 * case (2× the limit across a minute boundary) is acceptable for abuse control.
 *
 * With REDIS_URL the counter is in Redis (INCR and PEXPIRE in one Lua script, one round trip), so
 * the limit holds across every api process; otherwise in process. Windows come from each
 * process's clock, so processes on different hosts need synchronised clocks (NTP).
 *
 * Redis errors fail open for the shared limit: the hit is counted in aps_ratelimit_errors_total
 * and checked against the in-process counter instead, so each process still limits on its own
 * (at worst N × the limit across N processes while Redis is down). Refusing every request
 * because the cache is down would turn a cache outage into a full outage.
 * Thread-safe. */
#ifndef APS_CACHE_RATELIMIT_H
#define APS_CACHE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_config;
struct aps_metrics;
struct aps_ratelimit;

#define APS_RATELIMIT_MAX_KEY 200

struct aps_rl_result {
    bool allowed;
    int limit, remaining, reset_seconds;
};

/* Opens the limiter from REDIS_URL and REDIS_KEY_PREFIX. A Redis that cannot be reached now is
 * not an error (it fails open until it answers); a malformed URL is (APS_E_CONFIG). */
int aps_ratelimit_open(struct aps_ratelimit **out, const struct aps_config *cfg, char *err,
                       size_t errcap) APS_MUST_CHECK;
/* Counts one hit of key ("user:42", "apikey:…", "ip:…"; at most APS_RATELIMIT_MAX_KEY bytes)
 * against limit_per_min (>= 1) and fills out. 0 whether allowed or not; APS_E_INVAL for bad
 * arguments. */
int aps_ratelimit_hit(struct aps_ratelimit *rl, const char *key, int limit_per_min,
                      struct aps_rl_result *out) APS_MUST_CHECK;
/* One more key read in the round trip of a hit, for a caller that needs a number from Redis on
 * every request anyway (the authentication generation, cache.h aps_cache_generation_ref): GET
 * key, or SET it to seed first when it is missing. got is false when Redis did not answer (or
 * limits are in process): then value is not set and the caller reads it its own way. */
struct aps_rl_read {
    const char *key, *seed; /* in */
    bool got;               /* out */
    int64_t value;          /* out, when got */
};
/* aps_ratelimit_hit that also reads rd (NULL: nothing more). APS_E_INVAL as above, or for an rd
 * without key or seed. */
int aps_ratelimit_hit_read(struct aps_ratelimit *rl, const char *key, int limit_per_min,
                           struct aps_rl_read *rd, struct aps_rl_result *out) APS_MUST_CHECK;
void aps_ratelimit_close(struct aps_ratelimit *rl);
/* A new REDIS_URL (credentials) for limits kept in Redis (see aps_redis_switch in src/cache); 0
 * and nothing done for in-process limits. */
int aps_ratelimit_redis_switch(struct aps_ratelimit *rl, const char *url, char *err,
                               size_t errcap) APS_MUST_CHECK;
/* Registers aps_ratelimit_errors_total in m (optional; call once after open). */
void aps_ratelimit_attach_metrics(struct aps_ratelimit *rl, struct aps_metrics *m);
/* Redis errors seen (each one a hit that failed open). */
uint64_t aps_ratelimit_errors(struct aps_ratelimit *rl);
/* True when counting in Redis. */
bool aps_ratelimit_shared(const struct aps_ratelimit *rl);

#endif
