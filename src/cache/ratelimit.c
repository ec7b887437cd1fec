/* ratelimit.c — fixed-window rate limits (ratelimit.h): a Lua INCR+PEXPIRE in Redis when shared,
 * and an in-process table of (key, window, count) otherwise or while Redis fails.
 *
 * The in-process table is bounded: entries of past windows are swept when the minute changes,
 * and a new key that finds the table full is allowed without being counted (failing open, as
 * for Redis errors) rather than evicting someone's live count. */
#include "cache/ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cache/redis.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"

#define WINDOW_S 60
#define NBUCKETS 4096
#define MAX_LOCAL_KEYS 200000
#define REDIS_TIMEOUT_MS 500

struct rl_entry {
    struct rl_entry *next;
    int64_t window;
    int count;
    char key[];
};

struct aps_ratelimit {
    struct aps_redis *redis; /* NULL: in process only */
    char prefix[64];
    pthread_mutex_t mu; /* guards the local table */
    struct rl_entry *buckets[NBUCKETS];
    size_t nkeys;
    int64_t swept_window;
    _Atomic uint64_t errors;
    struct aps_metric *m_errors;
};

/* One round trip: count the hit and make sure the counter dies after its window (plus a second
 * of slack for clocks that disagree slightly); with a second key, also read it (SET to ARGV[2]
 * first when it is missing) and answer {count, value}. */
static const struct aps_redis_script hit_script = {
    "local n = redis.call('INCR', KEYS[1])\n"
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end\n"
    "if #KEYS < 2 then return n end\n"
    "local v = redis.call('GET', KEYS[2])\n"
    "if not v then v = ARGV[2]; redis.call('SET', KEYS[2], v) end\n"
    "return {n, v}\n"};

int aps_ratelimit_open(struct aps_ratelimit **out, const struct aps_config *cfg, char *err,
                       size_t errcap)
{
    const char *url = aps_cfg_str(cfg, APS_SET_REDIS_URL);
    const char *prefix = aps_cfg_str(cfg, APS_SET_REDIS_KEY_PREFIX);
    struct aps_ratelimit *rl = aps_calloc(1, sizeof *rl);
    *out = NULL;
    if (url && *url) {
        int rc = aps_redis_open(&rl->redis, url, 32, err, errcap);
        if (rc) {
            aps_free(rl);
            return rc;
        }
    }
    snprintf(rl->prefix, sizeof rl->prefix, "%s", prefix && *prefix ? prefix : "aps");
    pthread_mutex_init(&rl->mu, NULL);
    *out = rl;
    return 0;
}

int aps_ratelimit_redis_switch(struct aps_ratelimit *rl, const char *url, char *err, size_t errcap)
{
    return rl && rl->redis ? aps_redis_switch(rl->redis, url, err, errcap) : 0;
}

void aps_ratelimit_close(struct aps_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < NBUCKETS; i++) {
        struct rl_entry *e = rl->buckets[i];
        while (e) {
            struct rl_entry *next = e->next;
            aps_free(e);
            e = next;
        }
    }
    aps_redis_close(rl->redis);
    pthread_mutex_destroy(&rl->mu);
    aps_free(rl);
}

void aps_ratelimit_attach_metrics(struct aps_ratelimit *rl, struct aps_metrics *m)
{
    if (m)
        rl->m_errors = aps_metrics_counter(
            m, "aps_ratelimit_errors_total",
            "Rate-limit checks that could not reach Redis and failed open", NULL);
}

uint64_t aps_ratelimit_errors(struct aps_ratelimit *rl)
{
    return atomic_load(&rl->errors);
}

bool aps_ratelimit_shared(const struct aps_ratelimit *rl)
{
    return rl->redis != NULL;
}

/* ---- in process ------------------------------------------------------------------------------ */

static uint32_t hash_key(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* Drops every entry of a window before `window`; called with the lock held. */
static void sweep(struct aps_ratelimit *rl, int64_t window)
{
    for (size_t i = 0; i < NBUCKETS; i++) {
        struct rl_entry **pp = &rl->buckets[i];
        while (*pp) {
            struct rl_entry *e = *pp;
            if (e->window < window) {
                *pp = e->next;
                aps_free(e);
                rl->nkeys--;
            } else {
                pp = &e->next;
            }
        }
    }
    rl->swept_window = window;
}

/* The count after this hit, or 0 when the table is full (the hit is then not counted). */
static int64_t local_hit(struct aps_ratelimit *rl, const char *key, int64_t window)
{
    uint32_t b = hash_key(key) % NBUCKETS;
    int64_t n = 0;
    pthread_mutex_lock(&rl->mu);
    if (window != rl->swept_window)
        sweep(rl, window);
    struct rl_entry *e = rl->buckets[b];
    while (e && strcmp(e->key, key) != 0)
        e = e->next;
    if (e && e->window != window) {
        e->window = window;
        e->count = 0;
    }
    if (!e && rl->nkeys < MAX_LOCAL_KEYS) {
        size_t klen = strlen(key);
        e = aps_malloc(sizeof *e + klen + 1);
        memcpy(e->key, key, klen + 1);
        e->window = window;
        e->count = 0;
        e->next = rl->buckets[b];
        rl->buckets[b] = e;
        rl->nkeys++;
    }
    if (e)
        n = ++e->count;
    pthread_mutex_unlock(&rl->mu);
    return n;
}

/* ---- Redis ----------------------------------------------------------------------------------- */

/* The read value of a {count, value} answer into rd; false when it is not a number. */
static bool read_value(const redisReply *v, struct aps_rl_read *rd)
{
    if (v->type == REDIS_REPLY_INTEGER) {
        rd->value = v->integer;
        return true;
    }
    return v->type == REDIS_REPLY_STRING && aps_parse_int64(v->str, &rd->value) == 0;
}

/* The count after this hit from Redis (and rd's key, when asked); APS_E_IO on any failure,
 * APS_E_TOOBIG for a key that does not fit (a truncated key would count against another
 * client). */
static int redis_hit(struct aps_ratelimit *rl, const char *key, int64_t window,
                     struct aps_rl_read *rd, int64_t *count)
{
    char rkey[APS_RATELIMIT_MAX_KEY + 128], ttl[24];
    if (aps_str_fmt(rkey, sizeof rkey, "%s:rl:%s:%lld", rl->prefix, key, (long long)window))
        return APS_E_TOOBIG;
    snprintf(ttl, sizeof ttl, "%d", (WINDOW_S + 1) * 1000);
    const char *words[] = {rkey, rd ? rd->key : NULL, ttl, rd ? rd->seed : NULL};
    const char *one[] = {rkey, ttl};
    redisReply *rep = NULL;
    int rc = rd ? aps_redis_eval(rl->redis, REDIS_TIMEOUT_MS, &hit_script, &rep, 2, 4, words, NULL)
                : aps_redis_eval(rl->redis, REDIS_TIMEOUT_MS, &hit_script, &rep, 1, 2, one, NULL);
    if (rc)
        return rc;
    if (!rd) {
        rc = rep->type == REDIS_REPLY_INTEGER ? 0 : APS_E_IO;
        *count = rep->integer;
    } else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
               rep->element[0]->type == REDIS_REPLY_INTEGER && read_value(rep->element[1], rd)) {
        *count = rep->element[0]->integer;
        rd->got = true;
    } else {
        rc = APS_E_IO;
    }
    freeReplyObject(rep);
    return rc;
}

int aps_ratelimit_hit(struct aps_ratelimit *rl, const char *key, int limit_per_min,
                      struct aps_rl_result *out)
{
    return aps_ratelimit_hit_read(rl, key, limit_per_min, NULL, out);
}

int aps_ratelimit_hit_read(struct aps_ratelimit *rl, const char *key, int limit_per_min,
                           struct aps_rl_read *rd, struct aps_rl_result *out)
{
    if (!key || !*key || strlen(key) > APS_RATELIMIT_MAX_KEY || limit_per_min < 1 ||
        (rd && (!rd->key || !rd->seed)))
        return APS_E_INVAL;
    if (rd)
        rd->got = false;
    int64_t now = aps_time_now();
    int64_t window = now / WINDOW_S;
    int64_t count = 0;
    bool shared_ok = rl->redis && redis_hit(rl, key, window, rd, &count) == 0;
    if (rl->redis && !shared_ok) {
        atomic_fetch_add(&rl->errors, 1);
        aps_metric_add(rl->m_errors, NULL, 1);
    }
    if (!shared_ok) /* no Redis, or Redis failed: this process's own count */
        count = local_hit(rl, key, window);
    out->limit = limit_per_min;
    out->allowed = count <= limit_per_min;
    out->remaining = count >= limit_per_min ? 0 : (int)(limit_per_min - count);
    out->reset_seconds = (int)(WINDOW_S - now % WINDOW_S);
    return 0;
}
