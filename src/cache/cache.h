/* cache.h — the response and object cache (DESIGN §8).
 *
 * Two tiers:
 *   local  an in-process LRU with per-entry TTL, bounded by CACHE_LOCAL_MAX_ENTRIES and
 *          CACHE_LOCAL_MAX_BYTES; always present.
 *   redis  shared by every process when REDIS_URL is set: get tries local first, then Redis
 *          (and fills local with the remaining TTL); set writes both (SET key val PX ttl).
 *
 * Invalidation by tag ("predictions", "odds", "games", any [a-z0-9_] word): callers build keys
 * with aps_cache_key(), which embeds the tag's generation number; aps_cache_invalidate() bumps
 * the generation, so old entries are simply never asked for again and age out. With Redis the
 * generation lives in Redis (INCR) and each process re-reads it at most once per second per tag
 * (chosen over pub/sub: no extra connection or thread, and a lost message cannot leave a process
 * stale forever), so an invalidation is seen by the process that made it at once and by every
 * other process within one second. An invalidation made while Redis is unreachable moves this
 * process to the next generation at once and is replayed (INCRBY) when Redis answers again.
 * Without Redis, the processes of one host can share the generations through a mapped file
 * (aps_cache_share_file: a SQLite store's); each read is then an atomic load, seen at once.
 *
 * Redis down: the cache keeps working in process, counts aps_cache_errors_total and reconnects
 * with backoff (redis.h). Values over APS_CACHE_MAX_VALUE are refused by set and read as a miss.
 *
 * Metrics: aps_cache_hits_total{tier="local"|"redis"}, aps_cache_misses_total,
 * aps_cache_errors_total. Thread-safe. */
#ifndef APS_CACHE_CACHE_H
#define APS_CACHE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_cache;
struct aps_config;
struct aps_metrics;

#define APS_CACHE_MAX_VALUE (8u << 20) /* bytes; bigger values are refused / read as a miss */
#define APS_CACHE_MAX_KEY 512          /* bytes, including the prefix and generation */
#define APS_CACHE_MAX_LOOKUP 4         /* keys one aps_cache_get_first may try */

/* Opens the cache from REDIS_URL, REDIS_KEY_PREFIX and the CACHE_LOCAL_* settings. m may be
 * NULL (no metrics). A Redis that cannot be reached at open is not an error (the cache starts
 * in process and reconnects); a malformed REDIS_URL is (APS_E_CONFIG, one line in err). */
int aps_cache_open(struct aps_cache **out, const struct aps_config *cfg, struct aps_metrics *m,
                   char *err, size_t errcap) APS_MUST_CHECK;
void aps_cache_close(struct aps_cache *c);
/* A new REDIS_URL (credentials) for the shared tier (see aps_redis_switch in src/cache); 0 and
 * nothing done without one. */
int aps_cache_redis_switch(struct aps_cache *c, const char *url, char *err,
                           size_t errcap) APS_MUST_CHECK;

/* Without Redis, shares the tag generations with the other processes of one host through the
 * file at path (created 0600 when missing, mapped, never removed: it belongs beside the SQLite
 * database it serves, like that database's -shm file): an invalidation anywhere is then seen by
 * the next aps_cache_key or aps_cache_generation everywhere. Nothing is done with Redis (its
 * generations are shared already). APS_E_IO (one line in err) when the file cannot be opened or
 * mapped; the cache then stays per process. */
int aps_cache_share_file(struct aps_cache *c, const char *path, char *err,
                         size_t errcap) APS_MUST_CHECK;
/* True when tag generations are shared with other processes: through Redis or a file. */
bool aps_cache_generations_shared(const struct aps_cache *c);

/* 0 on a hit: *val is an aps_malloc'd copy (NUL-terminated after len bytes; caller frees).
 * APS_E_NOTFOUND on a miss (also when Redis fails; the error is counted, not returned). */
int aps_cache_get(struct aps_cache *c, const char *key, char **val, size_t *len) APS_MUST_CHECK;
/* The same for the first of keys[0..n-1] (1 <= n <= APS_CACHE_MAX_LOOKUP) that holds a value,
 * *which its index: the local tier is asked for each key in order, then Redis for all of them in
 * one round trip (a key held only by Redis loses to a later one held locally: give keys that
 * are alternatives, of which one is ever stored). Counted as one hit or one miss. APS_E_INVAL
 * for a bad key or count. */
int aps_cache_get_first(struct aps_cache *c, const char *const *keys, int n, int *which, char **val,
                        size_t *len) APS_MUST_CHECK;
/* The local tier's value without a copy (cache/lru.h aps_lru_get_ref): 0 with *val (not
 * NUL-terminated) and *len valid until aps_cache_release(*ref), counted as a local hit;
 * APS_E_NOTFOUND when the local tier does not hold key, counting nothing: aps_cache_get then
 * looks further (Redis) and counts the outcome. */
struct aps_cache_ref;
int aps_cache_get_ref(struct aps_cache *c, const char *key, const char **val, size_t *len,
                      struct aps_cache_ref **ref) APS_MUST_CHECK;
void aps_cache_release(struct aps_cache_ref *ref);
/* Stores val for ttl_seconds (>= 1) in both tiers. APS_E_TOOBIG over APS_CACHE_MAX_VALUE,
 * APS_E_INVAL for a bad key or TTL. A Redis failure is counted and not returned. */
int aps_cache_set(struct aps_cache *c, const char *key, const char *val, size_t len,
                  int ttl_seconds) APS_MUST_CHECK;
/* Drops one key from both tiers (0 whether or not it was there). */
int aps_cache_del(struct aps_cache *c, const char *key);
/* Writes "<prefix>:c:<tag>:<generation>:<rest>" into out. APS_E_INVAL for a tag that is not
 * 1..32 of [a-z0-9_] (or past 32 distinct tags), APS_E_TOOBIG when out is too small. */
int aps_cache_key(struct aps_cache *c, const char *tag, const char *rest, char *out,
                  size_t cap) APS_MUST_CHECK;
/* Bumps tag's generation: every key built before is stale, here at once, elsewhere within 1 s.
 * 0 also when Redis is down (then the bump is replayed later); APS_E_INVAL for a bad tag. */
int aps_cache_invalidate(struct aps_cache *c, const char *tag) APS_MUST_CHECK;
/* The tag's generation as Redis has it now (one GET, sending this process's unreplayed bumps
 * first), or as the shared file has it, for callers that must see another process's
 * invalidation on their very next read. APS_E_UNSUPPORTED when generations are not shared
 * (aps_cache_generations_shared), APS_E_IO when Redis does not answer. */
int aps_cache_generation(struct aps_cache *c, const char *tag, int64_t *gen) APS_MUST_CHECK;
/* The tag's generation without a round trip, for a caller that confirms it before acting on
 * it: as the shared file has it (*exact true), or the value Redis last gave this process by any
 * read (*exact false: another process may have moved it since). APS_E_NOTFOUND when nothing was
 * heard yet or this process has bumps Redis has not seen (aps_cache_generation sends them),
 * APS_E_UNSUPPORTED when generations are not shared, APS_E_INVAL for a bad tag. */
int aps_cache_generation_hint(struct aps_cache *c, const char *tag, int64_t *gen,
                              bool *exact) APS_MUST_CHECK;
/* For a script of another module that reads the tag's generation in its own round trip: the
 * Redis key and the value to SET when the key is missing (as aps_cache_generation does: a
 * random number, never a count from 0). Tell the cache what was read with
 * aps_cache_generation_heard. APS_E_UNSUPPORTED without Redis, APS_E_STATE while this process
 * has bumps Redis has not seen (read with aps_cache_generation, which sends them). */
int aps_cache_generation_ref(struct aps_cache *c, const char *tag, char *key, size_t keycap,
                             char seed[24]) APS_MUST_CHECK;
void aps_cache_generation_heard(struct aps_cache *c, const char *tag, int64_t gen);
/* Round trip to Redis in milliseconds. APS_E_UNSUPPORTED when there is no shared tier,
 * APS_E_IO when Redis does not answer. */
int aps_cache_ping(struct aps_cache *c, double *ms) APS_MUST_CHECK;
/* True when REDIS_URL configured a shared tier (whether or not it answers right now). */
bool aps_cache_shared(const struct aps_cache *c);

struct aps_cache_stats {
    uint64_t hits_local, hits_redis, misses, errors;
    size_t local_entries, local_bytes;
    uint64_t local_evictions;
};
void aps_cache_stats(struct aps_cache *c, struct aps_cache_stats *out);

#endif
