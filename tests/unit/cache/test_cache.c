/* test_cache.c — the two-tier cache (src/cache/cache.c): in process only (hits, misses, TTL
 * expiry, LRU eviction from the settings, tag invalidation, limits, metrics), and with a real
 * Redis shared by two cache objects standing for two api processes (shared hits, TTL, an
 * invalidation seen by the other within a second, oversized values read as a miss), plus a Redis
 * that is down (the cache keeps working and counts errors). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "cache_test.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"

static struct aps_cache *open_cache(const char *redis_url, const char *prefix,
                                    const char *max_entries, struct aps_metrics *m)
{
    char url[600], pre[200], ent[64];
    snprintf(url, sizeof url, "REDIS_URL=%s", redis_url ? redis_url : "");
    snprintf(pre, sizeof pre, "REDIS_KEY_PREFIX=%s", prefix ? prefix : "aps");
    snprintf(ent, sizeof ent, "CACHE_LOCAL_MAX_ENTRIES=%s", max_entries ? max_entries : "1000");
    const char *settings[] = {pre, ent, redis_url ? url : NULL, NULL};
    struct aps_config *cfg = config_from(settings);
    struct aps_cache *c = NULL;
    char err[256] = "";
    int rc = aps_cache_open(&c, cfg, m, err, sizeof err);
    aps_config_free(cfg); /* the cache copies what it needs */
    if (rc)
        fail_msg("aps_cache_open: %s", err);
    return c;
}

static void expect_hit(struct aps_cache *c, const char *key, const char *want)
{
    char *v = NULL;
    size_t n = 0;
    assert_int_equal(aps_cache_get(c, key, &v, &n), 0);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
    aps_free(v);
}

static void expect_miss(struct aps_cache *c, const char *key)
{
    char *v = NULL;
    size_t n = 0;
    assert_int_equal(aps_cache_get(c, key, &v, &n), APS_E_NOTFOUND);
    assert_null(v);
}

/* ---- in process ------------------------------------------------------------------------------ */

static void test_local_hit_miss(void **state)
{
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    struct aps_cache *c = open_cache(NULL, NULL, NULL, m);
    double ms = 0;
    assert_false(aps_cache_shared(c));
    assert_int_equal(aps_cache_ping(c, &ms), APS_E_UNSUPPORTED);
    expect_miss(c, "k");
    assert_int_equal(aps_cache_set(c, "k", "{\"a\":1}", 7, 60), 0);
    expect_hit(c, "k", "{\"a\":1}");
    expect_hit(c, "k", "{\"a\":1}");
    assert_int_equal(aps_cache_del(c, "k"), 0);
    expect_miss(c, "k");
    struct aps_cache_stats st;
    aps_cache_stats(c, &st);
    assert_int_equal(st.hits_local, 2);
    assert_int_equal(st.hits_redis, 0);
    assert_int_equal(st.misses, 2);
    /* The same numbers in the registry. */
    static const char *const tier[] = {"tier", NULL};
    static const char *const local[] = {"local"};
    struct aps_metric *hits = aps_metrics_counter(m, "aps_cache_hits_total", "", tier);
    struct aps_metric *misses = aps_metrics_counter(m, "aps_cache_misses_total", "", NULL);
    assert_true(aps_metric_value(hits, local) == 2.0);
    assert_true(aps_metric_value(misses, NULL) == 2.0);
    aps_cache_close(c);
    aps_metrics_free(m);
}

static void test_local_limits(void **state)
{
    struct aps_cache *c = open_cache(NULL, NULL, NULL, NULL);
    char key[APS_CACHE_MAX_KEY + 2];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    assert_int_equal(aps_cache_set(c, key, "v", 1, 60), APS_E_INVAL);
    assert_int_equal(aps_cache_set(c, "k", "v", 1, 0), APS_E_INVAL);
    assert_int_equal(aps_cache_set(c, "", "v", 1, 60), APS_E_INVAL);
    char *big = aps_malloc(APS_CACHE_MAX_VALUE + 1);
    memset(big, 'x', APS_CACHE_MAX_VALUE + 1);
    assert_int_equal(aps_cache_set(c, "big", big, APS_CACHE_MAX_VALUE + 1, 60), APS_E_TOOBIG);
    expect_miss(c, "big");
    aps_free(big);
    aps_cache_close(c);
}

static void test_local_ttl(void **state)
{
    struct aps_cache *c = open_cache(NULL, NULL, NULL, NULL);
    assert_int_equal(aps_cache_set(c, "short", "v", 1, 1), 0);
    assert_int_equal(aps_cache_set(c, "long", "v", 1, 60), 0);
    expect_hit(c, "short", "v");
    sleep_ms(1100);
    expect_miss(c, "short");
    expect_hit(c, "long", "v");
    aps_cache_close(c);
}

static void test_local_eviction(void **state)
{
    struct aps_cache *c = open_cache(NULL, NULL, "16", NULL); /* the smallest allowed */
    char key[32];
    for (int i = 0; i < 17; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(aps_cache_set(c, key, "v", 1, 60), 0);
    }
    expect_miss(c, "k0");
    expect_hit(c, "k1", "v");
    expect_hit(c, "k16", "v");
    struct aps_cache_stats st;
    aps_cache_stats(c, &st);
    assert_int_equal(st.local_entries, 16);
    assert_int_equal(st.local_evictions, 1);
    aps_cache_close(c);
}

static void test_local_invalidate(void **state)
{
    struct aps_cache *c = open_cache(NULL, "p", NULL, NULL);
    char k1[256], k2[256], k3[256];
    assert_int_equal(aps_cache_key(c, "predictions", "list?sport=nba", k1, sizeof k1), 0);
    assert_string_equal(k1, "p:c:predictions:0:list?sport=nba");
    assert_int_equal(aps_cache_set(c, k1, "old", 3, 60), 0);
    assert_int_equal(aps_cache_key(c, "odds", "x", k3, sizeof k3), 0);
    assert_int_equal(aps_cache_set(c, k3, "odds", 4, 60), 0);
    assert_int_equal(aps_cache_invalidate(c, "predictions"), 0);
    assert_int_equal(aps_cache_key(c, "predictions", "list?sport=nba", k2, sizeof k2), 0);
    assert_string_equal(k2, "p:c:predictions:1:list?sport=nba");
    expect_miss(c, k2);
    /* Other tags are untouched. */
    assert_int_equal(aps_cache_key(c, "odds", "x", k1, sizeof k1), 0);
    assert_string_equal(k1, k3);
    expect_hit(c, k1, "odds");
    /* Bad tags and a buffer too small. */
    assert_int_equal(aps_cache_key(c, "Odds", "x", k1, sizeof k1), APS_E_INVAL);
    assert_int_equal(aps_cache_key(c, "", "x", k1, sizeof k1), APS_E_INVAL);
    assert_int_equal(aps_cache_invalidate(c, "a b"), APS_E_INVAL);
    assert_int_equal(aps_cache_key(c, "odds", "x", k1, 8), APS_E_TOOBIG);
    aps_cache_close(c);
}

/* Without Redis, two caches (two processes of one host) sharing a generation file: a bump in one
 * is seen by the other's very next key and generation; the file starts at random generations
 * and keeps them when opened again. */
static void test_file_generations(void **state)
{
    (void)state;
    char dir[] = "/tmp/aps-cache-gen-XXXXXX", path[128], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/db.sqlite-apsgen", dir);
    struct aps_cache *a = open_cache(NULL, "t", NULL, NULL);
    struct aps_cache *b = open_cache(NULL, "t", NULL, NULL);
    assert_false(aps_cache_generations_shared(a));
    int64_t g = 0;
    assert_int_equal(aps_cache_generation(a, "users", &g), APS_E_UNSUPPORTED);
    assert_int_equal(aps_cache_share_file(a, path, err, sizeof err), 0);
    assert_int_equal(aps_cache_share_file(b, path, err, sizeof err), 0);
    assert_true(aps_cache_generations_shared(a));
    assert_false(aps_cache_shared(a)); /* no Redis tier */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    int64_t ga = 0, gb = 0;
    assert_int_equal(aps_cache_generation(a, "users", &ga), 0);
    assert_int_equal(aps_cache_generation(b, "users", &gb), 0);
    int64_t hint = 0;
    bool exact = false;
    assert_int_equal(aps_cache_generation_hint(b, "users", &hint, &exact), 0);
    assert_true(exact && hint == gb); /* the file is read, not remembered */
    assert_true(ga == gb);
    assert_true(ga > (1ll << 39));
    char ka[256], kb[256], kb2[256];
    assert_int_equal(aps_cache_key(a, "users", "u1", ka, sizeof ka), 0);
    assert_int_equal(aps_cache_key(b, "users", "u1", kb, sizeof kb), 0);
    assert_string_equal(ka, kb);
    assert_int_equal(aps_cache_set(b, kb, "old", 3, 60), 0);
    assert_int_equal(aps_cache_invalidate(a, "users"), 0);
    assert_int_equal(aps_cache_key(b, "users", "u1", kb2, sizeof kb2), 0); /* at once */
    assert_string_not_equal(kb, kb2);
    expect_miss(b, kb2);
    assert_int_equal(aps_cache_generation(b, "users", &gb), 0);
    assert_true(gb == ga + 1);
    /* another tag keeps its generation (unless it hashes to the same slot, which only costs
     * misses; these two do not) */
    int64_t gp0 = 0, gp1 = 0;
    assert_int_equal(aps_cache_generation(b, "predictions", &gp0), 0);
    assert_int_equal(aps_cache_invalidate(a, "users"), 0);
    assert_int_equal(aps_cache_generation(b, "predictions", &gp1), 0);
    assert_true(gp0 == gp1);
    aps_cache_close(a);
    aps_cache_close(b);
    /* opened again: the same generations, not new random ones */
    struct aps_cache *c = open_cache(NULL, "t", NULL, NULL);
    assert_int_equal(aps_cache_share_file(c, path, err, sizeof err), 0);
    int64_t gc = 0;
    assert_int_equal(aps_cache_generation(c, "users", &gc), 0);
    assert_true(gc == ga + 2);
    aps_cache_close(c);
    /* a folder that does not exist: an error with the path, and the cache stays per process */
    struct aps_cache *d = open_cache(NULL, "t", NULL, NULL);
    assert_int_equal(aps_cache_share_file(d, "/nonexistent/x-apsgen", err, sizeof err), APS_E_IO);
    assert_non_null(strstr(err, "/nonexistent/x-apsgen"));
    assert_false(aps_cache_generations_shared(d));
    aps_cache_close(d);
    unlink(path);
    rmdir(dir);
}

static void test_url_forms(void **state)
{
    struct aps_cache *c = NULL;
    char err[256] = "";
    const char *tls[] = {"REDIS_URL=rediss://127.0.0.1:6380/0", NULL};
    struct aps_config *cfg = config_from(tls);
    assert_int_equal(aps_cache_open(&c, cfg, NULL, err, sizeof err), APS_E_UNSUPPORTED);
    assert_null(c);
    assert_non_null(strstr(err, "TLS"));
    aps_config_free(cfg);
    const char *bad[] = {"REDIS_URL=redis://host:notaport/0", NULL};
    cfg = config_from(bad);
    assert_int_equal(aps_cache_open(&c, cfg, NULL, err, sizeof err), APS_E_CONFIG);
    aps_config_free(cfg);
    /* A password is accepted and never echoed in the error line. */
    const char *pw[] = {"REDIS_URL=redis://user:s3cr%40t@127.0.0.1:1/7", NULL};
    cfg = config_from(pw);
    assert_int_equal(aps_cache_open(&c, cfg, NULL, err, sizeof err), 0);
    aps_cache_close(c);
    aps_config_free(cfg);
}

/* ---- Redis down ------------------------------------------------------------------------------ */

static void test_redis_down(void **state)
{
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    /* Port 1 on loopback: nothing listens, connects are refused at once. */
    struct aps_cache *c = open_cache("redis://127.0.0.1:1/0", NULL, NULL, m);
    char k1[256], k2[256];
    double ms = 0;
    assert_true(aps_cache_shared(c));
    assert_int_equal(aps_cache_ping(c, &ms), APS_E_IO);
    assert_int_equal(aps_cache_key(c, "games", "g1", k1, sizeof k1), 0);
    assert_int_equal(aps_cache_set(c, k1, "v", 1, 60), 0);
    expect_hit(c, k1, "v");
    assert_int_equal(aps_cache_invalidate(c, "games"), 0);
    assert_int_equal(aps_cache_key(c, "games", "g1", k2, sizeof k2), 0);
    assert_string_not_equal(k1, k2); /* this process moved on at once */
    expect_miss(c, k2);
    struct aps_cache_stats st;
    aps_cache_stats(c, &st);
    assert_true(st.errors >= 2);
    struct aps_metric *errors = aps_metrics_counter(m, "aps_cache_errors_total", "", NULL);
    assert_true(aps_metric_value(errors, NULL) >= 2.0);
    aps_cache_close(c);
    aps_metrics_free(m);
}

/* ---- shared through Redis -------------------------------------------------------------------- */

struct pair {
    char prefix[128];
    struct aps_cache *a, *b; /* two "processes" */
};

static int pair_setup(void **state)
{
    struct pair *p = aps_calloc(1, sizeof *p);
    unique_prefix(p->prefix, sizeof p->prefix, "cache");
    p->a = open_cache(test_redis_url(), p->prefix, NULL, NULL);
    p->b = open_cache(test_redis_url(), p->prefix, NULL, NULL);
    *state = p;
    return 0;
}

static int pair_teardown(void **state)
{
    struct pair *p = *state;
    aps_cache_close(p->a);
    aps_cache_close(p->b);
    redis_drop_prefix(p->prefix);
    aps_free(p);
    return 0;
}

static void test_shared_hits(void **state)
{
    struct pair *p = *state;
    double ms = -1;
    assert_int_equal(aps_cache_ping(p->a, &ms), 0);
    assert_true(ms >= 0 && ms < 1000);
    char key[256];
    assert_int_equal(aps_cache_key(p->a, "games", "today", key, sizeof key), 0);
    expect_miss(p->b, key);
    assert_int_equal(aps_cache_set(p->a, key, "[1,2,3]", 7, 60), 0);
    expect_hit(p->b, key, "[1,2,3]"); /* from Redis */
    expect_hit(p->b, key, "[1,2,3]"); /* now from b's own tier */
    struct aps_cache_stats st;
    aps_cache_stats(p->b, &st);
    assert_int_equal(st.hits_redis, 1);
    assert_int_equal(st.hits_local, 1);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.errors, 0);
    /* Redis holds it with the TTL that was asked for. */
    const char *argv[] = {"PTTL", key};
    redisReply *r = redis_raw(2, argv, NULL);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 55000 && r->integer <= 60000);
    freeReplyObject(r);
}

static void test_shared_ttl(void **state)
{
    struct pair *p = *state;
    assert_int_equal(aps_cache_set(p->a, "ttl-key", "v", 1, 1), 0);
    expect_hit(p->b, "ttl-key", "v"); /* b's local copy gets Redis's remaining TTL */
    sleep_ms(1150);
    expect_miss(p->a, "ttl-key");
    expect_miss(p->b, "ttl-key");
}

static void test_shared_invalidation(void **state)
{
    struct pair *p = *state;
    char ka[256], kb[256], ka2[256], kb2[256];
    assert_int_equal(aps_cache_key(p->a, "predictions", "list", ka, sizeof ka), 0);
    assert_int_equal(aps_cache_key(p->b, "predictions", "list", kb, sizeof kb), 0);
    assert_string_equal(ka, kb);
    assert_int_equal(aps_cache_set(p->a, ka, "old", 3, 60), 0);
    expect_hit(p->b, kb, "old");
    assert_int_equal(aps_cache_invalidate(p->a, "predictions"), 0);
    /* The invalidating process sees it at once. */
    assert_int_equal(aps_cache_key(p->a, "predictions", "list", ka2, sizeof ka2), 0);
    assert_string_not_equal(ka, ka2);
    expect_miss(p->a, ka2);
    /* The other within a second. */
    double t0 = aps_time_mono();
    do {
        assert_int_equal(aps_cache_key(p->b, "predictions", "list", kb2, sizeof kb2), 0);
        if (strcmp(kb2, ka2) == 0)
            break;
        sleep_ms(20);
    } while (aps_time_mono() - t0 < 2.0);
    assert_string_equal(kb2, ka2);
    assert_true(aps_time_mono() - t0 <= 1.3); /* 1 s, plus slack for a loaded machine */
    expect_miss(p->b, kb2);
    assert_int_equal(aps_cache_set(p->b, kb2, "new", 3, 60), 0);
    expect_hit(p->a, ka2, "new");
}

/* A tag's generation lost with its Redis key (a restarted Redis without persistence, an evicted
 * key, a flushed database) must not come back: a key cached before the loss never matches
 * again, in either process. Counting from 0 again, B would read the very generation it cached
 * the entry under before any invalidation and serve it. */
static void test_shared_generation_lost(void **state)
{
    struct pair *p = *state;
    char k0[256], k1[256], kb[256], gkey[200];
    assert_int_equal(aps_cache_key(p->b, "users", "u1", k0, sizeof k0), 0);
    assert_int_equal(aps_cache_set(p->b, k0, "before", 6, 60), 0);
    expect_hit(p->b, k0, "before");
    assert_int_equal(aps_cache_invalidate(p->a, "users"), 0);
    assert_int_equal(aps_cache_key(p->a, "users", "u1", k1, sizeof k1), 0);
    assert_string_not_equal(k0, k1);
    snprintf(gkey, sizeof gkey, "%s:gen:users", p->prefix);
    const char *del[] = {"DEL", gkey};
    redisReply *rep = redis_raw(2, del, NULL);
    assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
    assert_int_equal(rep->integer, 1); /* the generation was in Redis, and is gone */
    freeReplyObject(rep);
    sleep_ms(1100); /* past the second after which B asks Redis again */
    assert_int_equal(aps_cache_key(p->b, "users", "u1", kb, sizeof kb), 0);
    assert_string_not_equal(kb, k0);
    assert_string_not_equal(kb, k1);
    expect_miss(p->b, kb);
    int64_t ga = 0, gb = 0;
    assert_int_equal(aps_cache_generation(p->a, "users", &ga), 0);
    assert_int_equal(aps_cache_generation(p->b, "users", &gb), 0);
    assert_true(ga == gb);
    assert_true(ga > (1ll << 39)); /* a fresh random start, not a count from 0 */
}

/* The generation without a round trip (a hint, confirmed later by the caller): nothing before
 * Redis was heard; then what the last read, invalidation or reported read of another module
 * gave; never exact with Redis; and none while a bump Redis has not seen is pending. The key and
 * seed handed to another module's script are the ones aps_cache_generation reads. */
static void test_shared_generation_hint(void **state)
{
    struct pair *p = *state;
    int64_t g = 0, h = 0;
    bool exact = true;
    char key[200], seed[24], want[200];
    assert_int_equal(aps_cache_generation_hint(p->a, "authn", &h, &exact), APS_E_NOTFOUND);
    assert_int_equal(aps_cache_generation(p->a, "authn", &g), 0);
    assert_int_equal(aps_cache_generation_hint(p->a, "authn", &h, &exact), 0);
    assert_false(exact);
    assert_true(h == g);
    assert_int_equal(aps_cache_invalidate(p->b, "authn"), 0);
    assert_int_equal(aps_cache_generation_hint(p->a, "authn", &h, &exact), 0);
    assert_true(h == g); /* a hint: B's bump is not heard until A reads */
    assert_int_equal(aps_cache_generation_ref(p->a, "authn", key, sizeof key, seed), 0);
    snprintf(want, sizeof want, "%s:gen:authn", p->prefix);
    assert_string_equal(key, want);
    int64_t s = 0;
    assert_int_equal(aps_parse_int64(seed, &s), 0);
    assert_true(s > (1ll << 39));
    aps_cache_generation_heard(p->a, "authn", g + 1);
    assert_int_equal(aps_cache_generation_hint(p->a, "authn", &h, &exact), 0);
    assert_true(h == g + 1);
    assert_int_equal(aps_cache_generation_hint(p->a, "bad tag", &h, &exact), APS_E_INVAL);

    /* a bump Redis has not seen: no hint and no key until aps_cache_generation sends it */
    char url[256];
    snprintf(url, sizeof url, "redis://127.0.0.1:1/0");
    struct aps_cache *down = open_cache(url, p->prefix, NULL, NULL);
    assert_int_equal(aps_cache_invalidate(down, "authn"), 0);
    assert_int_equal(aps_cache_generation_hint(down, "authn", &h, &exact), APS_E_NOTFOUND);
    assert_int_equal(aps_cache_generation_ref(down, "authn", key, sizeof key, seed), APS_E_STATE);
    aps_cache_close(down);
    struct aps_cache *local = open_cache(NULL, NULL, NULL, NULL);
    assert_int_equal(aps_cache_generation_hint(local, "authn", &h, &exact), APS_E_UNSUPPORTED);
    assert_int_equal(aps_cache_generation_ref(local, "authn", key, sizeof key, seed),
                     APS_E_UNSUPPORTED);
    aps_cache_close(local);
}

/* The URL's database number is honoured: keys land in that database only. */
static void test_shared_database(void **state)
{
    struct pair *p = *state;
    char url[600], key[256];
    snprintf(url, sizeof url, "%s", test_redis_url());
    char *slash = strrchr(url, '/');
    assert_non_null(slash);
    snprintf(slash, sizeof url - (size_t)(slash - url), "/5");
    struct aps_cache *c5 = open_cache(url, p->prefix, NULL, NULL);
    snprintf(key, sizeof key, "%s:c:db5", p->prefix);
    assert_int_equal(aps_cache_set(c5, key, "five", 4, 60), 0);
    expect_miss(p->a, key); /* database 0 */
    struct aps_cache *other = open_cache(url, p->prefix, NULL, NULL);
    expect_hit(other, key, "five");
    struct aps_cache_stats st;
    aps_cache_stats(other, &st);
    assert_int_equal(st.hits_redis, 1);
    assert_int_equal(aps_cache_del(other, key), 0);
    aps_cache_close(other);
    aps_cache_close(c5);
}

static void test_shared_oversized(void **state)
{
    struct pair *p = *state;
    /* Someone else wrote a value over the cap under our prefix: it reads as a miss. */
    size_t n = APS_CACHE_MAX_VALUE + 10;
    char *big = aps_malloc(n);
    memset(big, 'z', n);
    char key[256];
    snprintf(key, sizeof key, "%s:c:big", p->prefix);
    const char *argv[] = {"SET", key, big};
    const size_t lens[] = {3, strlen(key), n};
    freeReplyObject(redis_raw(3, argv, lens));
    aps_free(big);
    expect_miss(p->a, key);
    /* A key of the wrong type is a miss and a counted error, not a crash. */
    char lkey[256];
    snprintf(lkey, sizeof lkey, "%s:c:list", p->prefix);
    const char *lpush[] = {"LPUSH", lkey, "x"};
    freeReplyObject(redis_raw(3, lpush, NULL));
    expect_miss(p->a, lkey);
    struct aps_cache_stats st;
    aps_cache_stats(p->a, &st);
    assert_int_equal(st.errors, 1);
}

/* Watches the commands the test Redis runs (MONITOR) on a connection of its own. */
static redisContext *monitor_start(void)
{
    char host[64] = "";
    int port = 0;
    if (sscanf(test_redis_url(), "redis://%63[^:]:%d", host, &port) != 2)
        fail_msg("unexpected test Redis URL %s", test_redis_url());
    struct timeval tv = {5, 0};
    redisContext *m = redisConnectWithTimeout(host, port, tv);
    if (!m || m->err)
        fail_msg("monitor connection: %s", m ? m->errstr : "out of memory");
    redisSetTimeout(m, tv);
    redisReply *r = redisCommand(m, "MONITOR");
    assert_non_null(r);
    freeReplyObject(r);
    return m;
}

/* Stops watching: the commands run since monitor_start that name prefix and are word (e.g.
 * "EVALSHA"), counted up to a marker this sends, so other tests' traffic does not count. */
static int monitor_count(redisContext *m, const char *prefix, const char *word)
{
    char marker[200], quoted[64];
    snprintf(marker, sizeof marker, "%s-monitor-end", prefix);
    snprintf(quoted, sizeof quoted, "\"%s\"", word);
    const char *echo[] = {"ECHO", marker};
    freeReplyObject(redis_raw(2, echo, NULL));
    int n = 0;
    for (;;) {
        void *reply = NULL;
        if (redisGetReply(m, &reply) != REDIS_OK || !reply)
            fail_msg("monitor: %s", m->errstr);
        redisReply *r = reply;
        bool end = r->type == REDIS_REPLY_STATUS && strstr(r->str, marker);
        if (!end && r->type == REDIS_REPLY_STATUS && strstr(r->str, prefix) &&
            strstr(r->str, quoted))
            n++;
        freeReplyObject(r);
        if (end)
            break;
    }
    redisFree(m);
    return n;
}

static void expect_first(struct aps_cache *c, const char *const *keys, int n, int which,
                         const char *want)
{
    char *v = NULL;
    size_t len = 0;
    int got = -1;
    assert_int_equal(aps_cache_get_first(c, keys, n, &got, &v, &len), 0);
    assert_int_equal(got, which);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(v, want, len);
    aps_free(v);
}

/* The first of several keys that holds a value, asked of Redis in one round trip: the shared
 * answer of a route, then the caller's own. */
static void test_shared_first(void **state)
{
    struct pair *p = *state;
    char shared[256], own[300], big[256];
    assert_int_equal(aps_cache_key(p->a, "picks", "GET /list", shared, sizeof shared), 0);
    snprintf(own, sizeof own, "%s#u7", shared);
    const char *keys[] = {shared, own};
    char *v = NULL;
    size_t len = 0;
    int which = -1;
    redisContext *m = monitor_start();
    assert_int_equal(aps_cache_get_first(p->b, keys, 2, &which, &v, &len), APS_E_NOTFOUND);
    assert_null(v);
    assert_int_equal(monitor_count(m, p->prefix, "EVALSHA"), 1); /* both keys, one round trip */
    assert_int_equal(aps_cache_set(p->a, own, "mine", 4, 60), 0);
    m = monitor_start();
    expect_first(p->b, keys, 2, 1, "mine"); /* from Redis */
    expect_first(p->b, keys, 2, 1, "mine"); /* from b's own tier: no round trip */
    assert_int_equal(monitor_count(m, p->prefix, "EVALSHA"), 1);
    struct aps_cache_stats st;
    aps_cache_stats(p->b, &st);
    assert_int_equal(st.misses, 1); /* one per lookup, not per key */
    assert_int_equal(st.hits_redis, 1);
    assert_int_equal(st.hits_local, 1);
    /* Both held by Redis only: the first key wins. */
    assert_int_equal(aps_cache_set(p->a, shared, "all", 3, 60), 0);
    struct aps_cache *c = open_cache(test_redis_url(), p->prefix, NULL, NULL);
    expect_first(c, keys, 2, 0, "all");
    aps_cache_close(c);
    /* A first key over the cap is passed over for the next. */
    snprintf(big, sizeof big, "%s:c:big", p->prefix);
    size_t n = APS_CACHE_MAX_VALUE + 1;
    char *huge = aps_malloc(n);
    memset(huge, 'z', n);
    const char *argv[] = {"SET", big, huge};
    const size_t lens[] = {3, strlen(big), n};
    freeReplyObject(redis_raw(3, argv, lens));
    aps_free(huge);
    const char *keys2[] = {big, own};
    c = open_cache(test_redis_url(), p->prefix, NULL, NULL);
    expect_first(c, keys2, 2, 1, "mine");
    /* Bad counts and keys are refused before anything is asked. */
    assert_int_equal(aps_cache_get_first(c, keys, 0, &which, &v, &len), APS_E_INVAL);
    const char *five[] = {shared, own, shared, own, shared};
    assert_int_equal(aps_cache_get_first(c, five, 5, &which, &v, &len), APS_E_INVAL);
    const char *empty[] = {shared, ""};
    assert_int_equal(aps_cache_get_first(c, empty, 2, &which, &v, &len), APS_E_INVAL);
    aps_cache_close(c);
}

int main(void)
{
    const struct CMUnitTest local[] = {
        cmocka_unit_test(test_local_hit_miss),  cmocka_unit_test(test_local_limits),
        cmocka_unit_test(test_local_ttl),       cmocka_unit_test(test_local_eviction),
        cmocka_unit_test(test_local_invalidate), cmocka_unit_test(test_redis_down),
        cmocka_unit_test(test_file_generations),
        cmocka_unit_test(test_url_forms),
    };
    const struct CMUnitTest shared[] = {
        cmocka_unit_test_setup_teardown(test_shared_hits, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_shared_ttl, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_shared_invalidation, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_shared_generation_lost, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_shared_oversized, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_shared_database, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_shared_first, pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_shared_generation_hint, pair_setup, pair_teardown),
    };
    int failed = cmocka_run_group_tests_name("cache_local", local, NULL, NULL);
    if (!redis_available_or_optional("test_cache"))
        return 1;
    if (test_redis_url())
        failed += cmocka_run_group_tests_name("cache_redis", shared, NULL, NULL);
    return failed;
}
