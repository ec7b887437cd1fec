/* test_ratelimit.c — fixed-window rate limits (src/cache/ratelimit.c): exact counts and the
 * boundary where a hit is refused (the API's 429), in process and across two limiter objects
 * sharing a real Redis (two api processes), concurrent hits from threads, a Redis that is
 * down (fail open for the shared count, counted, the process's own count still applies), and
 * a hit that reads one more key in its round trip (the authentication generation). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include "cache/ratelimit.h"
#include "cache_test.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"

static struct aps_ratelimit *open_rl(const char *redis_url, const char *prefix)
{
    char url[600], pre[200];
    snprintf(url, sizeof url, "REDIS_URL=%s", redis_url ? redis_url : "");
    snprintf(pre, sizeof pre, "REDIS_KEY_PREFIX=%s", prefix ? prefix : "aps");
    const char *settings[] = {pre, redis_url ? url : NULL, NULL};
    struct aps_config *cfg = config_from(settings);
    struct aps_ratelimit *rl = NULL;
    char err[256] = "";
    int rc = aps_ratelimit_open(&rl, cfg, err, sizeof err);
    aps_config_free(cfg);
    if (rc)
        fail_msg("aps_ratelimit_open: %s", err);
    return rl;
}

/* Windows are wall-clock minutes: keep a test's hits inside one by starting early in a minute
 * when fewer than 10 s are left. */
static void avoid_minute_edge(void)
{
    int64_t s = aps_time_now() % 60;
    if (s >= 50)
        sleep_ms((60 - s) * 1000 + 100);
}

static void test_local_counts(void **state)
{
    struct aps_ratelimit *rl = open_rl(NULL, NULL);
    struct aps_rl_result r;
    avoid_minute_edge();
    assert_false(aps_ratelimit_shared(rl));
    for (int i = 1; i <= 5; i++) {
        assert_int_equal(aps_ratelimit_hit(rl, "user:1", 5, &r), 0);
        assert_true(r.allowed);
        assert_int_equal(r.limit, 5);
        assert_int_equal(r.remaining, 5 - i);
        assert_true(r.reset_seconds >= 1 && r.reset_seconds <= 60);
    }
    assert_int_equal(aps_ratelimit_hit(rl, "user:1", 5, &r), 0);
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 0);
    /* Another key has its own count. */
    assert_int_equal(aps_ratelimit_hit(rl, "user:2", 5, &r), 0);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 4);
    /* Bad arguments. */
    assert_int_equal(aps_ratelimit_hit(rl, "", 5, &r), APS_E_INVAL);
    assert_int_equal(aps_ratelimit_hit(rl, "k", 0, &r), APS_E_INVAL);
    aps_ratelimit_close(rl);
}

struct hitter {
    struct aps_ratelimit *rl;
    const char *key;
    int hits, allowed;
};

static void *hitter_run(void *arg)
{
    struct hitter *h = arg;
    struct aps_rl_result r;
    for (int i = 0; i < h->hits; i++)
        if (aps_ratelimit_hit(h->rl, h->key, 100, &r) == 0 && r.allowed)
            h->allowed++;
    return NULL;
}

/* Four threads on two limiter objects, 60 hits each against a limit of 100: exactly 100 are
 * allowed in all. */
static void hammer(struct aps_ratelimit *a, struct aps_ratelimit *b, const char *key)
{
    pthread_t t[4];
    struct hitter h[4];
    int allowed = 0;
    avoid_minute_edge();
    for (int i = 0; i < 4; i++) {
        h[i] = (struct hitter){i % 2 ? b : a, key, 60, 0};
        assert_int_equal(pthread_create(&t[i], NULL, hitter_run, &h[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        allowed += h[i].allowed;
    }
    assert_int_equal(allowed, 100);
}

static void test_local_threads(void **state)
{
    struct aps_ratelimit *rl = open_rl(NULL, NULL);
    hammer(rl, rl, "ip:10.0.0.1");
    aps_ratelimit_close(rl);
}

static void test_redis_down_fails_open(void **state)
{
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    struct aps_ratelimit *rl = open_rl("redis://127.0.0.1:1/0", NULL);
    aps_ratelimit_attach_metrics(rl, m);
    struct aps_rl_result r;
    avoid_minute_edge();
    assert_true(aps_ratelimit_shared(rl));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(aps_ratelimit_hit(rl, "user:9", 3, &r), 0);
        assert_true(r.allowed);
    }
    /* The process's own count still limits. */
    assert_int_equal(aps_ratelimit_hit(rl, "user:9", 3, &r), 0);
    assert_false(r.allowed);
    assert_int_equal(aps_ratelimit_errors(rl), 4);
    assert_true(aps_metric_value(aps_metrics_counter(m, "aps_ratelimit_errors_total", "", NULL),
                                 NULL) == 4.0);
    aps_ratelimit_close(rl);
    aps_metrics_free(m);
}

/* ---- shared through Redis -------------------------------------------------------------------- */

static void test_shared_counts(void **state)
{
    char prefix[128];
    unique_prefix(prefix, sizeof prefix, "rl");
    struct aps_ratelimit *a = open_rl(test_redis_url(), prefix);
    struct aps_ratelimit *b = open_rl(test_redis_url(), prefix);
    struct aps_rl_result r;
    avoid_minute_edge();
    assert_true(aps_ratelimit_shared(a));
    /* 10 per minute, alternating between the two processes: hits 1..10 pass, 11 and 12 do not. */
    for (int i = 1; i <= 12; i++) {
        assert_int_equal(aps_ratelimit_hit(i % 2 ? a : b, "apikey:k1", 10, &r), 0);
        assert_int_equal(r.allowed, i <= 10);
        assert_int_equal(r.remaining, i <= 10 ? 10 - i : 0);
    }
    /* The counter lives in Redis with an expiry just past its window. */
    char key[256];
    snprintf(key, sizeof key, "%s:rl:apikey:k1:%lld", prefix, (long long)(aps_time_now() / 60));
    const char *argv[] = {"GET", key};
    redisReply *rep = redis_raw(2, argv, NULL);
    assert_int_equal(rep->type, REDIS_REPLY_STRING);
    assert_string_equal(rep->str, "12");
    freeReplyObject(rep);
    const char *pttl[] = {"PTTL", key};
    rep = redis_raw(2, pttl, NULL);
    assert_true(rep->integer > 50000 && rep->integer <= 61000);
    freeReplyObject(rep);
    assert_int_equal(aps_ratelimit_errors(a) + aps_ratelimit_errors(b), 0);
    hammer(a, b, "ip:192.0.2.7");
    aps_ratelimit_close(a);
    aps_ratelimit_close(b);
    redis_drop_prefix(prefix);
}

/* A hit that also reads another key in its round trip: a missing key is seeded and then read
 * back as the seed; a value set by someone else is read as it is; no Redis, nothing read. */
static void test_hit_read(void **state)
{
    char prefix[128], gen[200];
    unique_prefix(prefix, sizeof prefix, "rlr");
    snprintf(gen, sizeof gen, "%s:gen:authn", prefix);
    struct aps_ratelimit *rl = open_rl(test_redis_url(), prefix);
    struct aps_rl_result r;
    struct aps_rl_read rd = {.key = gen, .seed = "1099511627777"};
    avoid_minute_edge();
    assert_int_equal(aps_ratelimit_hit_read(rl, "user:5", 10, &rd, &r), 0);
    assert_true(rd.got);
    assert_true(rd.value == 1099511627777);
    assert_int_equal(r.remaining, 9);
    const char *incr[] = {"INCR", gen};
    freeReplyObject(redis_raw(2, incr, NULL));
    rd.seed = "5";
    assert_int_equal(aps_ratelimit_hit_read(rl, "user:5", 10, &rd, &r), 0);
    assert_true(rd.got && rd.value == 1099511627778);
    assert_int_equal(r.remaining, 8); /* the same counter as aps_ratelimit_hit's */
    assert_int_equal(aps_ratelimit_hit(rl, "user:5", 10, &r), 0);
    assert_int_equal(r.remaining, 7);
    rd.key = NULL;
    assert_int_equal(aps_ratelimit_hit_read(rl, "user:5", 10, &rd, &r), APS_E_INVAL);
    aps_ratelimit_close(rl);
    redis_drop_prefix(prefix);

    struct aps_ratelimit *local = open_rl(NULL, NULL);
    rd = (struct aps_rl_read){.key = gen, .seed = "1", .got = true};
    assert_int_equal(aps_ratelimit_hit_read(local, "user:5", 10, &rd, &r), 0);
    assert_false(rd.got);
    assert_true(r.allowed);
    aps_ratelimit_close(local);
}

int main(void)
{
    const struct CMUnitTest local[] = {
        cmocka_unit_test(test_local_counts),
        cmocka_unit_test(test_local_threads),
        cmocka_unit_test(test_redis_down_fails_open),
    };
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(test_shared_counts),
        cmocka_unit_test(test_hit_read),
    };
    int failed = cmocka_run_group_tests_name("ratelimit_local", local, NULL, NULL);
    if (!redis_available_or_optional("test_ratelimit"))
        return 1;
    if (test_redis_url())
        failed += cmocka_run_group_tests_name("ratelimit_redis", shared, NULL, NULL);
    return failed;
}
