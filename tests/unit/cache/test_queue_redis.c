/* test_queue_redis.c — the job queue and leader lock on Redis Streams: the shared behaviours of
 * queue_cases.h against the test Redis, plus what only this backend has (the stream and group
 * layout, a group lost with a restarted server, also while jobs are held, a server that is
 * down).
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

static int g_group_lost; /* APS_QUEUE_GROUP_LOST events seen by observe_events */

static void observe_events(void *arg, enum aps_queue_event ev, const struct aps_job *job)
{
    (void)arg;
    (void)job;
    if (ev == APS_QUEUE_GROUP_LOST)
        g_group_lost++;
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

/* Redis restarted without its data while workers held jobs (every key of the queue gone): the
 * ack, fail, release and extend of those jobs no longer fail with NOGROUP, which used to leave
 * a worker retrying its ack forever. The first call makes the group again and reports it once;
 * the done job has nothing left to acknowledge; the failed and the released job are put back
 * from the worker's copy, with their attempts and error; new jobs flow again. */
static void test_redis_data_lost_while_held(void **state)
{
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    struct aps_queue *q = open_queue(m);
    g_group_lost = 0;
    aps_queue_observe(q, observe_events, NULL);
    char ids[3][64], id[64];
    struct aps_job held[3], job = {0};
    memset(held, 0, sizeof held);
    for (int i = 0; i < 3; i++) {
        char who[8];
        snprintf(who, sizeof who, "w%d", i);
        push_ok(q, i == 1 ? "collect" : "noop", "{\"n\":1}", NULL, 3, 0, ids[i]);
        claim_ok(q, who, 10000, 0, &held[i]);
        assert_string_equal(held[i].id, ids[i]);
    }
    redis_drop_prefix(g.prefix); /* the restart without data */
    sleep_ms(5); /* a restart takes longer than a millisecond: new entry ids are later ones */
    push_ok(q, "noop", "{}", NULL, 3, 0, id);
    struct aps_queue_stats s = stats_of(q);
    assert_int_equal(s.ready, 1); /* no group yet: the new entry counts as ready all the same */

    assert_int_equal(aps_queue_extend(q, &held[0], 10000), 0);
    assert_true(held[0].vanished);
    assert_int_equal(g_group_lost, 1);
    assert_int_equal(aps_queue_ack(q, &held[0]), 0); /* done: nothing to acknowledge */
    assert_int_equal(aps_queue_fail(q, &held[1], "boom"), 0);
    assert_true(held[1].vanished);
    assert_false(held[1].dead_lettered);
    assert_int_equal(aps_queue_release(q, &held[2]), 0);
    assert_true(held[2].vanished);
    assert_int_equal(g_group_lost, 1); /* one loss, reported once */

    /* The new job, the released one (attempt not counted) and the failed one after its backoff
     * (attempt 2, its error kept). */
    bool seen_new = false, seen_released = false, seen_failed = false;
    for (int i = 0; i < 3; i++) {
        claim_ok(q, "w9", 10000, 3000, &job);
        if (!strcmp(job.id, id)) {
            seen_new = true;
        } else if (!strcmp(job.id, ids[2])) {
            seen_released = true;
            assert_int_equal(job.attempts, 1);
        } else {
            assert_string_equal(job.id, ids[1]);
            seen_failed = true;
            assert_int_equal(job.attempts, 2);
            assert_string_equal(job.error, "boom");
            assert_string_equal(job.payload, "{\"n\":1}");
            assert_string_equal(job.name, "collect");
        }
        assert_false(job.vanished);
        assert_int_equal(aps_queue_ack(q, &job), 0);
        aps_job_cleanup(&job);
    }
    assert_true(seen_new && seen_released && seen_failed);
    expect_empty(q, "w9");
    assert_true(aps_metric_value(aps_metrics_counter(m, "aps_queue_group_lost_total", "", NULL),
                                 NULL) == 1.0);
    struct aps_metric *v = aps_metrics_counter(m, "aps_queue_vanished_total", "",
                                               (const char *const[]){"name", NULL});
    assert_true(aps_metric_value(v, (const char *const[]){"noop"}) == 2.0);
    assert_true(aps_metric_value(v, (const char *const[]){"collect"}) == 1.0);
    for (int i = 0; i < 3; i++)
        aps_job_cleanup(&held[i]);
    aps_queue_close(q);
    aps_metrics_free(m);
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
        CASE(test_redis_data_lost_while_held),
        CASE(test_redis_consumers_cleaned),
        cmocka_unit_test(test_redis_ids_survive_data_loss),
        cmocka_unit_test(test_redis_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
