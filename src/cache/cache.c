/* cache.c — the two-tier cache of cache.h: the in-process LRU (lru.c) in front of Redis
 * (redis.c), with tag generations for invalidation.
 *
 * Tag generations: each tag has {gen, fetched_at, seq, pending}. aps_cache_key() re-reads the
 * generation from Redis when it is over a second old; the first caller to notice claims the
 * refresh (by moving fetched_at) so one request per second per tag pays the round trip, the
 * others use the current value. seq counts local invalidations: a refresh that started before an
 * invalidation finished must not roll the generation back, so its answer is dropped. pending
 * counts invalidations Redis has not seen yet (it was down); the next refresh sends INCRBY. */
#include "cache/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/lru.h"
#include "cache/redis.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/numfmt.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"

#define MAX_TAGS 32
#define MAX_TAG_LEN 32
#define GEN_REFRESH_S 1.0
#define REDIS_TIMEOUT_MS 500

/* The generations shared through a file (aps_cache_share_file): one page. */
#define GEN_SLOTS 500
#define GEN_MAGIC 0x61707367656e3031ull /* "apsgen01" */

struct gen_file {
    _Atomic uint64_t magic; /* written last, once the slots are seeded */
    _Atomic int64_t slot[GEN_SLOTS];
};

struct tag_gen {
    char name[MAX_TAG_LEN + 1];
    int64_t gen;
    double fetched_at; /* monotonic seconds of the last refresh (claimed); 0: never */
    uint64_t seq;      /* local invalidations so far */
    int64_t pending;   /* bumps Redis has not seen */
    int64_t heard;     /* the value Redis last answered, by any read (a hint) */
    bool heard_set;
};

struct aps_cache {
    struct aps_lru *lru;
    struct aps_redis *redis; /* NULL: no shared tier */
    struct gen_file *genf;   /* the generations shared through a file; NULL: none (or Redis) */
    char prefix[64];
    pthread_mutex_t mu; /* guards tags */
    struct tag_gen tags[MAX_TAGS];
    int ntags;
    _Atomic uint64_t hits_local, hits_redis, misses, errors;
    struct aps_metric *m_hits, *m_misses, *m_errors;
};

static const char *const tier_local[] = {"local"};
static const char *const tier_redis[] = {"redis"};

/* The Redis side of get: the first of the keys that holds a value, with its remaining TTL, in one
 * round trip, refusing values over the cap before they are sent. Replies: {i, value, pttl} for
 * KEYS[i], 0 when none holds a value (a value over the cap counts as none). */
static const struct aps_redis_script get_script = {
    "for i, k in ipairs(KEYS) do\n"
    "  local n = redis.call('STRLEN', k)\n"
    "  if n <= tonumber(ARGV[1]) then\n"
    "    local v = redis.call('GET', k)\n"
    "    if v then return {i, v, redis.call('PTTL', k)} end\n"
    "  end\n"
    "end\n"
    "return 0\n"};

static int64_t mono_ms(void)
{
    return (int64_t)(aps_time_mono() * 1000.0);
}

static void count_error(struct aps_cache *c)
{
    atomic_fetch_add(&c->errors, 1);
    aps_metric_add(c->m_errors, NULL, 1);
}

static void register_metrics(struct aps_cache *c, struct aps_metrics *m)
{
    static const char *const tier[] = {"tier", NULL};
    if (!m)
        return;
    c->m_hits = aps_metrics_counter(m, "aps_cache_hits_total", "Cache hits by tier", tier);
    c->m_misses = aps_metrics_counter(m, "aps_cache_misses_total", "Cache misses", NULL);
    c->m_errors = aps_metrics_counter(m, "aps_cache_errors_total",
                                      "Shared cache (Redis) errors; the cache kept working", NULL);
}

int aps_cache_open(struct aps_cache **out, const struct aps_config *cfg, struct aps_metrics *m,
                   char *err, size_t errcap)
{
    const char *url = aps_cfg_str(cfg, APS_SET_REDIS_URL);
    const char *prefix = aps_cfg_str(cfg, APS_SET_REDIS_KEY_PREFIX);
    struct aps_cache *c = aps_calloc(1, sizeof *c);
    *out = NULL;
    if (url && *url) {
        int rc = aps_redis_open(&c->redis, url, 32, err, errcap);
        if (rc) {
            aps_free(c);
            return rc;
        }
    }
    snprintf(c->prefix, sizeof c->prefix, "%s", prefix && *prefix ? prefix : "aps");
    c->lru = aps_lru_new((size_t)aps_cfg_int(cfg, APS_SET_CACHE_LOCAL_MAX_ENTRIES),
                         (size_t)aps_cfg_int(cfg, APS_SET_CACHE_LOCAL_MAX_BYTES));
    pthread_mutex_init(&c->mu, NULL);
    register_metrics(c, m);
    *out = c;
    return 0;
}

int aps_cache_redis_switch(struct aps_cache *c, const char *url, char *err, size_t errcap)
{
    return c && c->redis ? aps_redis_switch(c->redis, url, err, errcap) : 0;
}

void aps_cache_close(struct aps_cache *c)
{
    if (!c)
        return;
    aps_lru_free(c->lru);
    aps_redis_close(c->redis);
    if (c->genf)
        munmap(c->genf, sizeof *c->genf);
    pthread_mutex_destroy(&c->mu);
    aps_free(c);
}

bool aps_cache_shared(const struct aps_cache *c)
{
    return c->redis != NULL;
}

bool aps_cache_generations_shared(const struct aps_cache *c)
{
    return c->redis != NULL || c->genf != NULL;
}

/* ---- get / set ------------------------------------------------------------------------------- */

static bool key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    return n > 0 && n <= APS_CACHE_MAX_KEY;
}

/* Looks keys up in Redis: 0, *which and a copy of the first that holds a value (local tier
 * filled), APS_E_NOTFOUND otherwise. */
static int redis_get(struct aps_cache *c, const char *const *keys, int n, int *which, char **val,
                     size_t *len)
{
    char cap[24];
    snprintf(cap, sizeof cap, "%u", APS_CACHE_MAX_VALUE);
    const char *words[APS_CACHE_MAX_LOOKUP + 1];
    for (int i = 0; i < n; i++)
        words[i] = keys[i];
    words[n] = cap;
    redisReply *rep = NULL;
    int rc = aps_redis_eval(c->redis, REDIS_TIMEOUT_MS, &get_script, &rep, n, n + 1, words, NULL);
    if (rc) {
        count_error(c);
        return APS_E_NOTFOUND;
    }
    rc = APS_E_NOTFOUND;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
        rep->element[0]->type == REDIS_REPLY_INTEGER && rep->element[0]->integer >= 1 &&
        rep->element[0]->integer <= n && rep->element[1]->type == REDIS_REPLY_STRING &&
        rep->element[2]->type == REDIS_REPLY_INTEGER) {
        *which = (int)rep->element[0]->integer - 1;
        *len = rep->element[1]->len;
        *val = aps_malloc(*len + 1);
        memcpy(*val, rep->element[1]->str, *len);
        (*val)[*len] = '\0';
        long long pttl = rep->element[2]->integer;
        if (pttl > 0)
            (void)aps_lru_set(c->lru, keys[*which], *val, *len, mono_ms() + pttl);
        rc = 0;
    } else if (rep->type == REDIS_REPLY_ERROR) {
        count_error(c); /* e.g. WRONGTYPE: someone else's key under our prefix */
    }
    freeReplyObject(rep);
    return rc;
}

int aps_cache_get_first(struct aps_cache *c, const char *const *keys, int n, int *which,
                        char **val, size_t *len)
{
    *val = NULL;
    *len = 0;
    if (n < 1 || n > APS_CACHE_MAX_LOOKUP)
        return APS_E_INVAL;
    for (int i = 0; i < n; i++)
        if (!key_ok(keys[i]))
            return APS_E_INVAL;
    int64_t now = mono_ms();
    for (int i = 0; i < n; i++)
        if (aps_lru_get(c->lru, keys[i], now, val, len) == 0) {
            *which = i;
            atomic_fetch_add(&c->hits_local, 1);
            aps_metric_add(c->m_hits, tier_local, 1);
            return 0;
        }
    if (c->redis && redis_get(c, keys, n, which, val, len) == 0) {
        atomic_fetch_add(&c->hits_redis, 1);
        aps_metric_add(c->m_hits, tier_redis, 1);
        return 0;
    }
    atomic_fetch_add(&c->misses, 1);
    aps_metric_add(c->m_misses, NULL, 1);
    return APS_E_NOTFOUND;
}

int aps_cache_get(struct aps_cache *c, const char *key, char **val, size_t *len)
{
    int which = 0;
    return aps_cache_get_first(c, &key, 1, &which, val, len);
}

int aps_cache_get_ref(struct aps_cache *c, const char *key, const char **val, size_t *len,
                      struct aps_cache_ref **ref)
{
    struct aps_lru_ref *r = NULL;
    if (!key_ok(key) || aps_lru_get_ref(c->lru, key, mono_ms(), val, len, &r))
        return APS_E_NOTFOUND;
    atomic_fetch_add(&c->hits_local, 1);
    aps_metric_add(c->m_hits, tier_local, 1);
    *ref = (struct aps_cache_ref *)r;
    return 0;
}

void aps_cache_release(struct aps_cache_ref *ref)
{
    aps_lru_release((struct aps_lru_ref *)ref);
}

int aps_cache_set(struct aps_cache *c, const char *key, const char *val, size_t len,
                  int ttl_seconds)
{
    if (!key_ok(key) || ttl_seconds < 1 || (!val && len))
        return APS_E_INVAL;
    if (len > APS_CACHE_MAX_VALUE)
        return APS_E_TOOBIG;
    /* A value bigger than the local tier's byte budget still goes to Redis (and any older local
     * copy must not outlive it). */
    if (aps_lru_set(c->lru, key, val ? val : "", len, mono_ms() + (int64_t)ttl_seconds * 1000))
        (void)aps_lru_del(c->lru, key);
    if (!c->redis)
        return 0;
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_seconds * 1000);
    const char *argv[] = {"SET", key, val ? val : "", "PX", ttl};
    const size_t lens[] = {3, strlen(key), len, 2, strlen(ttl)};
    struct aps_redis_cmd cmd = {5, argv, lens};
    redisReply *rep = NULL;
    if (aps_redis_pipeline(c->redis, REDIS_TIMEOUT_MS, 1, &cmd, &rep)) {
        count_error(c);
        return 0;
    }
    if (rep->type == REDIS_REPLY_ERROR)
        count_error(c);
    freeReplyObject(rep);
    return 0;
}

int aps_cache_del(struct aps_cache *c, const char *key)
{
    if (!key_ok(key))
        return APS_E_INVAL;
    (void)aps_lru_del(c->lru, key);
    if (!c->redis)
        return 0;
    const char *argv[] = {"DEL", key};
    redisReply *rep = NULL;
    if (aps_redis_cmd(c->redis, REDIS_TIMEOUT_MS, &rep, 2, argv)) {
        count_error(c);
        return 0;
    }
    freeReplyObject(rep);
    return 0;
}

/* ---- generations shared through a file ------------------------------------------------------ */

/* One page mapped by every process of a single-host store: a tag's generation is the slot its
 * name hashes to, read with an atomic load and bumped with an atomic add, so an invalidation in
 * one process is seen by the next read in any other. Two tags in one slot only invalidate each
 * other's entries (extra misses, never a stale hit). Created with random starting values (as
 * Redis keys are seeded) under an exclusive flock, so a file made again never repeats the
 * generations of the one before. */

static uint64_t random_seed(const void *salt)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint64_t)(aps_time_now() * 1e6) ^ (uint64_t)(uintptr_t)salt;
    /* 2^40 to 2^52: far from the small numbers of a count from 0, and exact in Lua's doubles */
    return (1ull << 40) + (r % (1ull << 52));
}

static _Atomic int64_t *gen_slot(struct aps_cache *c, const char *tag)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = tag; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return &c->genf->slot[h % GEN_SLOTS];
}

int aps_cache_share_file(struct aps_cache *c, const char *path, char *err, size_t errcap)
{
    if (c->redis || c->genf)
        return 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errcap, "cannot open %s: %s", path, strerror(errno));
        return APS_E_IO;
    }
    int rc = APS_E_IO;
    struct stat st;
    struct gen_file *g = MAP_FAILED;
    if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0) {
        bool fresh = (size_t)st.st_size < sizeof *g;
        if (!fresh || ftruncate(fd, (off_t)sizeof *g) == 0)
            g = mmap(NULL, sizeof *g, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (g != MAP_FAILED && atomic_load(&g->magic) != GEN_MAGIC) {
            for (int i = 0; i < GEN_SLOTS; i++)
                atomic_store(&g->slot[i], (int64_t)random_seed(g));
            atomic_store(&g->magic, GEN_MAGIC);
        }
        rc = g != MAP_FAILED ? 0 : APS_E_IO;
    }
    if (rc)
        snprintf(err, errcap, "cannot map %s: %s", path, strerror(errno));
    (void)flock(fd, LOCK_UN);
    close(fd); /* the mapping stays */
    if (!rc)
        c->genf = g;
    return rc;
}

/* ---- tags and generations -------------------------------------------------------------------- */

static bool tag_ok(const char *tag)
{
    size_t n = tag ? strlen(tag) : 0;
    if (n == 0 || n > MAX_TAG_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((tag[i] >= 'a' && tag[i] <= 'z') || (tag[i] >= '0' && tag[i] <= '9') ||
              tag[i] == '_'))
            return false;
    return true;
}

/* The tag's slot, added on first use; NULL when the table is full. Called with c->mu held. */
static struct tag_gen *tag_slot(struct aps_cache *c, const char *tag)
{
    for (int i = 0; i < c->ntags; i++)
        if (strcmp(c->tags[i].name, tag) == 0)
            return &c->tags[i];
    if (c->ntags == MAX_TAGS)
        return NULL;
    struct tag_gen *t = &c->tags[c->ntags++];
    snprintf(t->name, sizeof t->name, "%s", tag);
    return t;
}

/* A tag's generation in Redis. A missing key (a fresh or restarted Redis, an evicted key, a
 * flushed database) is first set to a random number (ARGV[2]) instead of counting from 0, so a
 * generation lost with its key never comes back: entries and authentication statuses cached
 * under an old value cannot match again. ARGV[1] bumps (pending invalidations) are added. */
static const struct aps_redis_script gen_script = {
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then v = ARGV[2]; redis.call('SET', KEYS[1], v) end\n"
    "if tonumber(ARGV[1]) > 0 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end\n"
    "return v\n"};

/* The Redis key of tag's generation and a value to seed it with when it is missing. */
static int gen_ref(struct aps_cache *c, const char *tag, char *key, size_t keycap, char seed[24])
{
    if (aps_str_fmt(key, keycap, "%s:gen:%s", c->prefix, tag))
        return APS_E_TOOBIG;
    snprintf(seed, 24, "%llu", (unsigned long long)random_seed(c));
    return 0;
}

/* Asks Redis for the generation (sending pending bumps first); 0 and *gen, or APS_E_IO. */
static int fetch_gen(struct aps_cache *c, const char *tag, int64_t pending, int64_t *gen)
{
    char key[128], by[24], seed[24];
    if (gen_ref(c, tag, key, sizeof key, seed))
        return APS_E_TOOBIG;
    snprintf(by, sizeof by, "%lld", (long long)pending);
    const char *words[] = {key, by, seed};
    redisReply *rep = NULL;
    int rc = aps_redis_eval(c->redis, REDIS_TIMEOUT_MS, &gen_script, &rep, 1, 3, words, NULL);
    if (rc)
        return rc;
    if (rep->type == REDIS_REPLY_INTEGER)
        *gen = rep->integer;
    else if (rep->type != REDIS_REPLY_STRING || aps_parse_int64(rep->str, gen))
        rc = APS_E_IO;
    freeReplyObject(rep);
    return rc;
}

/* Records what Redis answered for t's generation. Called with c->mu held. */
static void heard(struct tag_gen *t, int64_t gen)
{
    t->heard = gen;
    t->heard_set = true;
}

/* Refreshes t from Redis when its value is over a second old. Called without the lock. */
static void refresh_gen(struct aps_cache *c, struct tag_gen *t)
{
    double now = aps_time_mono();
    pthread_mutex_lock(&c->mu);
    bool stale = now - t->fetched_at >= GEN_REFRESH_S;
    int64_t pending = t->pending;
    uint64_t seq = t->seq;
    if (stale) {
        t->fetched_at = now; /* claim it: the others go on with the current value */
        t->pending = 0;
    }
    pthread_mutex_unlock(&c->mu);
    if (!stale)
        return;
    int64_t gen = 0;
    int rc = fetch_gen(c, t->name, pending, &gen);
    pthread_mutex_lock(&c->mu);
    if (rc) {
        t->pending += pending; /* replay later */
    } else {
        heard(t, gen);
        if (t->seq == seq)
            t->gen = gen;
    }
    pthread_mutex_unlock(&c->mu);
    if (rc)
        count_error(c);
}

int aps_cache_key(struct aps_cache *c, const char *tag, const char *rest, char *out, size_t cap)
{
    if (!tag_ok(tag) || !rest)
        return APS_E_INVAL;
    pthread_mutex_lock(&c->mu);
    struct tag_gen *t = tag_slot(c, tag);
    pthread_mutex_unlock(&c->mu);
    if (!t)
        return APS_E_INVAL;
    if (c->redis)
        refresh_gen(c, t);
    pthread_mutex_lock(&c->mu);
    int64_t gen = t->gen;
    pthread_mutex_unlock(&c->mu);
    if (!c->redis && c->genf)
        gen = atomic_load(gen_slot(c, tag));
    char g[APS_FMT_CAP];
    aps_fmt_i64(g, gen);
    if (aps_str_cat(out, cap, c->prefix, ":c:", tag, ":", g, ":", rest, (char *)NULL) ||
        strlen(out) > APS_CACHE_MAX_KEY)
        return APS_E_TOOBIG;
    return 0;
}

int aps_cache_invalidate(struct aps_cache *c, const char *tag)
{
    if (!tag_ok(tag))
        return APS_E_INVAL;
    pthread_mutex_lock(&c->mu);
    struct tag_gen *t = tag_slot(c, tag);
    if (t && !c->redis) {
        t->gen++;
        t->seq++;
    }
    pthread_mutex_unlock(&c->mu);
    if (!t)
        return APS_E_INVAL;
    if (!c->redis && c->genf)
        atomic_fetch_add(gen_slot(c, tag), 1);
    if (!c->redis)
        return 0;
    int64_t gen = 0;
    int rc = fetch_gen(c, tag, 1, &gen); /* INCRBY 1 */
    pthread_mutex_lock(&c->mu);
    t->seq++;
    if (rc) {
        t->gen++; /* this process moves on now; Redis hears of it later */
        t->pending++;
    } else {
        t->gen = gen;
        t->fetched_at = aps_time_mono();
        heard(t, gen);
    }
    pthread_mutex_unlock(&c->mu);
    if (rc)
        count_error(c);
    return 0;
}

int aps_cache_generation(struct aps_cache *c, const char *tag, int64_t *gen)
{
    if (!tag_ok(tag))
        return APS_E_INVAL;
    if (!c->redis && c->genf) {
        *gen = atomic_load(gen_slot(c, tag));
        return 0;
    }
    if (!c->redis)
        return APS_E_UNSUPPORTED;
    pthread_mutex_lock(&c->mu);
    struct tag_gen *t = tag_slot(c, tag);
    int64_t pending = t ? t->pending : 0;
    if (t)
        t->pending = 0;
    pthread_mutex_unlock(&c->mu);
    if (!t)
        return APS_E_INVAL;
    int rc = fetch_gen(c, tag, pending, gen);
    pthread_mutex_lock(&c->mu);
    if (rc)
        t->pending += pending;
    else
        heard(t, *gen);
    pthread_mutex_unlock(&c->mu);
    if (rc)
        count_error(c);
    return rc;
}

int aps_cache_generation_hint(struct aps_cache *c, const char *tag, int64_t *gen, bool *exact)
{
    if (!tag_ok(tag))
        return APS_E_INVAL;
    *exact = !c->redis && c->genf;
    if (*exact) {
        *gen = atomic_load(gen_slot(c, tag));
        return 0;
    }
    if (!c->redis)
        return APS_E_UNSUPPORTED;
    int rc = APS_E_NOTFOUND;
    pthread_mutex_lock(&c->mu);
    struct tag_gen *t = tag_slot(c, tag);
    if (!t) {
        rc = APS_E_INVAL;
    } else if (t->heard_set && t->pending == 0) {
        *gen = t->heard;
        rc = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int aps_cache_generation_ref(struct aps_cache *c, const char *tag, char *key, size_t keycap,
                             char seed[24])
{
    if (!tag_ok(tag))
        return APS_E_INVAL;
    if (!c->redis)
        return APS_E_UNSUPPORTED;
    pthread_mutex_lock(&c->mu);
    struct tag_gen *t = tag_slot(c, tag);
    int rc = !t ? APS_E_INVAL : t->pending ? APS_E_STATE : 0;
    pthread_mutex_unlock(&c->mu);
    return rc ? rc : gen_ref(c, tag, key, keycap, seed);
}

void aps_cache_generation_heard(struct aps_cache *c, const char *tag, int64_t gen)
{
    if (!tag_ok(tag) || !c->redis)
        return;
    pthread_mutex_lock(&c->mu);
    struct tag_gen *t = tag_slot(c, tag);
    if (t)
        heard(t, gen);
    pthread_mutex_unlock(&c->mu);
}

/* ---- health ---------------------------------------------------------------------------------- */

int aps_cache_ping(struct aps_cache *c, double *ms)
{
    if (!c->redis)
        return APS_E_UNSUPPORTED;
    int rc = aps_redis_ping(c->redis, ms);
    if (rc)
        count_error(c);
    return rc;
}

void aps_cache_stats(struct aps_cache *c, struct aps_cache_stats *out)
{
    struct aps_lru_stats ls;
    aps_lru_stats(c->lru, &ls);
    out->hits_local = atomic_load(&c->hits_local);
    out->hits_redis = atomic_load(&c->hits_redis);
    out->misses = atomic_load(&c->misses);
    out->errors = atomic_load(&c->errors);
    out->local_entries = ls.entries;
    out->local_bytes = ls.bytes;
    out->local_evictions = ls.evictions;
}
