/* test_queue_redis.c — the job queue and leader lock on Redis Streams: the shared behaviours of
 * queue_cases.h against the test Redis, plus what only this backend has (the stream and group
 * layout, a group lost with a restarted server, a server that is down).
 *
 * The server comes from APS_TEST_REDIS_URL (`eval "$(scripts/redistest start)"`). Without it the
 * test fails, unless APS_TEST_REDIS_OPTIONAL=1, when it is skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "queue_cases.h"

/* Jobs live in <prefix>:jobs, read by the group "workers"; acks trim the stream behind them
 * (XTRIM MINID ~ frees whole nodes of 100 entries, so a few acked entries may stay). */
static void test_redis_layout(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64], key[256];
    push_ok(q, "noop", "{}", NULL, 1, 0, id);
    snprintf(key, sizeof key, "%s:jobs", g.prefix);
    const char *groups[] = {"XINFO", "GROUPS", key};
    redisReply *r = redis_raw(3, groups, NULL);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->element[1]->str, "workers");
    freeReplyObject(r);
    struct aps_job jobs[50];
    for (int i = 0; i < 299; i++)
        push_ok(q, "noop", "{}", NULL, 1, 0, id);
    for (int done = 0; done < 300;) {
        int n = 0;
        assert_int_equal(aps_queue_claim_batch(q, "w1", 10000, 0, jobs, 50, &n), 0);
        assert_true(jobs[0].entry[0] != '\0');
        assert_int_equal(aps_queue_ack_batch(q, jobs, n), 0);
        for (int i = 0; i < n; i++)
            aps_job_cleanup(&jobs[i]);
        done += n;
    }
    const char *xlen[] = {"XLEN", key};
    r = redis_raw(2, xlen, NULL);
    assert_true(r->integer <= 100);
    freeReplyObject(r);
    struct aps_queue_stats s;
    assert_int_equal(aps_queue_stats(q, &s), 0);
    assert_int_equal(s.ready + s.leased, 0);
    aps_queue_close(q);
}

/* Number of consumers in the group "workers" of this test's stream. */
static long long consumers(void)
{
    char key[256];
    snprintf(key, sizeof key, "%s:jobs", g.prefix);
    const char *argv[] = {"XINFO", "CONSUMERS", key, "workers"};
    redisReply *r = redis_raw(4, argv, NULL);
    long long n = r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
    freeReplyObject(r);
    return n;
}

/* Consumers do not pile up: one that exits cleanly is forgotten (unless it still holds an
 * entry), and one that vanished is reaped by a later claim once idle for ten visibility
 * timeouts with nothing pending. */
static void test_redis_consumers_cleaned(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64];
    struct aps_job job = {0};
    for (int i = 0; i < 8; i++) {
        char who[32];
        snprintf(who, sizeof who, "host:%d/0", 100 + i);
        /* Redis makes a consumer when it first gets an entry (or blocks). */
        push_ok(q, "noop", "{}", NULL, 3, 0, id);
        claim_ok(q, who, 10000, 0, &job);
        assert_int_equal(aps_queue_ack(q, &job), 0);
        aps_job_cleanup(&job);
        if (i < 4)
            assert_int_equal(aps_queue_forget(q, who), 0);
    }
    assert_int_equal(consumers(), 4);
    /* Past the claims' reclaim throttle (1 s at their visibility) and 10 x 50 ms of idle for
     * the four that never said goodbye. */
    sleep_ms(1100);
    push_ok(q, "noop", "{}", NULL, 3, 0, id);
    claim_ok(q, "holder", 50, 0, &job); /* this claim's throttled step reaps the four */
    assert_int_equal(consumers(), 1);
    assert_int_equal(aps_queue_forget(q, "holder"), 0); /* holds an entry: kept */
    assert_int_equal(consumers(), 1);
    assert_int_equal(aps_queue_ack(q, &job), 0);
    aps_job_cleanup(&job);
    assert_int_equal(aps_queue_forget(q, "holder"), 0);
    assert_int_equal(consumers(), 0);
    aps_queue_close(q);
}

/* A server restarted without its data loses the group: the next claim makes it again. */
static void test_redis_group_lost(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64], key[256];
    snprintf(key, sizeof key, "%s:jobs", g.prefix);
    const char *del[] = {"DEL", key};
    freeReplyObject(redis_raw(2, del, NULL));
    expect_empty(q, "w1");
    push_ok(q, "noop", "{}", NULL, 1, 0, id);
    struct aps_job job = {0};
    claim_ok(q, "w1", 10000, 0, &job);
    assert_string_equal(job.id, id);
    assert_int_equal(aps_queue_ack(q, &job), 0);
    aps_job_cleanup(&job);
    /* And a flushed script cache is reloaded. */
    const char *flush[] = {"SCRIPT", "FLUSH"};
    freeReplyObject(redis_raw(2, flush, NULL));
    push_ok(q, "noop", "{}", NULL, 1, 0, id);
    claim_ok(q, "w1", 10000, 0, &job);
    assert_int_equal(aps_queue_ack(q, &job), 0);
    aps_job_cleanup(&job);
    aps_queue_close(q);
}

/* Job ids never repeat, also after Redis lost its data (the id counter with the rest): a job
 * enqueued afterwards must not take an older job's id, which names its followable status. */
static void test_redis_ids_survive_data_loss(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char first[64], second[64], after[64], key[256];
    push_ok(q, "noop", "{}", NULL, 1, 0, first);
    push_ok(q, "noop", "{}", NULL, 1, 0, second);
    assert_true(strtoll(second, NULL, 10) == strtoll(first, NULL, 10) + 1);
    assert_true(strtoll(first, NULL, 10) > 1000000000000000LL); /* the server's ms × 1000 */
    snprintf(key, sizeof key, "%s:jobs:seq", g.prefix);
    const char *del[] = {"DEL", key};
    freeReplyObject(redis_raw(2, del, NULL));
    usleep(5000);
    push_ok(q, "noop", "{}", NULL, 1, 0, after);
    assert_true(strtoll(after, NULL, 10) > strtoll(second, NULL, 10));
    aps_queue_close(q);
}

static void test_redis_down(void **state)
{
    const char *settings[] = {"REDIS_URL=redis://127.0.0.1:1/0", NULL};
    struct aps_config *cfg = config_from(settings);
    struct aps_queue *q = NULL;
    struct aps_leader *l = NULL;
    char err[256] = "", id[64];
    assert_int_equal(aps_queue_open(&q, cfg, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(aps_leader_open(&l, cfg, NULL, err, sizeof err), 0);
    aps_config_free(cfg);
    struct aps_job job = {0};
    struct aps_queue_stats s;
    bool held = true;
    assert_int_equal(aps_queue_push(q, "noop", "{}", NULL, 1, 0, id), APS_E_IO);
    assert_int_equal(aps_queue_claim(q, "w1", 1000, 0, &job), APS_E_IO);
    assert_int_equal(aps_queue_stats(q, &s), APS_E_IO);
    assert_int_equal(aps_leader_acquire(l, "scheduler", "me", 1000, &held), APS_E_IO);
    assert_false(held);
    aps_leader_close(l);
    aps_queue_close(q);
}

int main(void)
{
    if (!redis_available_or_optional("test_queue_redis"))
        return 1;
    if (!test_redis_url())
        return 77; /* APS_TEST_REDIS_OPTIONAL=1: ctest reports the test as skipped */
    snprintf(g.redis_url, sizeof g.redis_url, "%s", test_redis_url());
    const struct CMUnitTest tests[] = {
        QUEUE_COMMON_TESTS,
        CASE(test_redis_layout),
        CASE(test_redis_group_lost),
        CASE(test_redis_consumers_cleaned),
        cmocka_unit_test(test_redis_ids_survive_data_loss),
        cmocka_unit_test(test_redis_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
