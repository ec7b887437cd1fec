/* queue_cases.h — the job queue and leader-lock behaviours every backend must show, written once
 * and included by test_queue_redis.c, test_queue_sqlite.c and test_queue_pg.c.
 *
 * The including file fills `g` before the tests run: redis_url for the Redis backend, or st (a
 * store with the migrations applied) for the store backend. Every test starts from an empty
 * queue: a fresh key prefix on Redis, emptied tables on the store (case_setup). */
#include <pthread.h>
#include <stdatomic.h>

#include "cache/leader.h"
#include "cache/queue.h"
#include "cache_test.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"
#include "store/fence.h"
#include "store/migrate.h"
#include "store/store.h"

struct queue_fixture {
    char redis_url[512];  /* "" for the store backend */
    struct aps_store *st; /* NULL for the Redis backend */
    char prefix[128];     /* this test's Redis key prefix */
};
static struct queue_fixture g;
static int g_budget_s; /* QUEUE_RETRY_BUDGET_SECONDS of the next open_queue (0: attempts only) */
static const char *g_clock_file; /* CLOCK_OFFSET_FILE of the next open_queue / open_leader */

#define RETRY_BASE_MS 40
#define RETRY_MAX_MS 200

static struct aps_config *fixture_config(void)
{
    char url[600], pre[200], base[64], max[64], budget[64], clock[300];
    snprintf(url, sizeof url, "REDIS_URL=%s", g.redis_url);
    snprintf(pre, sizeof pre, "REDIS_KEY_PREFIX=%s", g.prefix);
    snprintf(base, sizeof base, "QUEUE_RETRY_BASE_MS=%d", RETRY_BASE_MS);
    snprintf(max, sizeof max, "QUEUE_RETRY_MAX_MS=%d", RETRY_MAX_MS);
    snprintf(budget, sizeof budget, "QUEUE_RETRY_BUDGET_SECONDS=%d", g_budget_s);
    snprintf(clock, sizeof clock, "CLOCK_OFFSET_FILE=%s", g_clock_file ? g_clock_file : "");
    const char *settings[] = {pre, base, max, budget, clock, g.redis_url[0] ? url : NULL, NULL};
    return config_from(settings);
}

static struct aps_queue *open_queue(struct aps_metrics *m)
{
    struct aps_config *cfg = fixture_config();
    struct aps_queue *q = NULL;
    char err[256] = "";
    int rc = aps_queue_open(&q, cfg, g.st, m, err, sizeof err);
    aps_config_free(cfg);
    if (rc)
        fail_msg("aps_queue_open: %s", err);
    assert_string_equal(aps_queue_backend(q), g.redis_url[0] ? "redis" : "store");
    return q;
}

static struct aps_leader *open_leader(void)
{
    struct aps_config *cfg = fixture_config();
    struct aps_leader *l = NULL;
    char err[256] = "";
    int rc = aps_leader_open(&l, cfg, g.st, err, sizeof err);
    aps_config_free(cfg);
    if (rc)
        fail_msg("aps_leader_open: %s", err);
    return l;
}

static int case_setup(void **state)
{
    unique_prefix(g.prefix, sizeof g.prefix, "q");
    if (g.st) {
        struct aps_conn *c = NULL;
        int rc = aps_store_acquire(g.st, APS_DB_WRITE, &c);
        if (!rc)
            rc = aps_conn_exec(c, "DELETE FROM jobs; DELETE FROM locks; DELETE FROM fences");
        aps_store_release(c);
        return rc;
    }
    return 0;
}

static int case_teardown(void **state)
{
    if (!g.st)
        redis_drop_prefix(g.prefix);
    return 0;
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, case_setup, case_teardown)

static void push_ok(struct aps_queue *q, const char *name, const char *payload, const char *idem,
                    int max_attempts, int64_t delay_ms, char id[64])
{
    int rc = aps_queue_push(q, name, payload, idem, max_attempts, delay_ms, id);
    if (rc)
        fail_msg("aps_queue_push(%s): %s", name, aps_strerror(rc));
    assert_true(id[0] != '\0');
}

static void claim_ok(struct aps_queue *q, const char *consumer, int64_t vis, int block,
                     struct aps_job *job)
{
    int rc = aps_queue_claim(q, consumer, vis, block, job);
    if (rc)
        fail_msg("aps_queue_claim(%s): %s", consumer, aps_strerror(rc));
}

/* Asserts nothing can be claimed by a consumer using visibility vis (on Redis the claimer's
 * visibility decides which abandoned jobs it may take over, so tests use the holder's). */
static void expect_empty_vis(struct aps_queue *q, const char *consumer, int64_t vis)
{
    struct aps_job job = {0};
    assert_int_equal(aps_queue_claim(q, consumer, vis, 0, &job), APS_E_NOTFOUND);
    assert_null(job.payload);
}

static void expect_empty(struct aps_queue *q, const char *consumer)
{
    expect_empty_vis(q, consumer, 10000);
}

static struct aps_queue_stats stats_of(struct aps_queue *q)
{
    struct aps_queue_stats s;
    int rc = aps_queue_stats(q, &s);
    if (rc)
        fail_msg("aps_queue_stats: %s", aps_strerror(rc));
    return s;
}

/* ---- the cases ------------------------------------------------------------------------------- */

static void test_push_claim_ack(void **state)
{
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    struct aps_queue *q = open_queue(m);
    char id1[64], id2[64], id3[64];
    int64_t before = aps_time_now_us() / 1000;
    push_ok(q, "odds.collect", "{\"sport\":\"nba\"}", NULL, 3, 0, id1);
    push_ok(q, "odds.collect", "{\"sport\":\"nfl\"}", NULL, 3, 0, id2);
    push_ok(q, "grade", "{}", NULL, 5, 0, id3);
    assert_string_not_equal(id1, id2);
    struct aps_queue_stats s = stats_of(q);
    assert_int_equal(s.ready, 3);
    assert_int_equal(s.leased + s.delayed + s.dead, 0);

    struct aps_job job = {0};
    claim_ok(q, "w1", 10000, 0, &job);
    assert_string_equal(job.id, id1); /* oldest first */
    assert_string_equal(job.name, "odds.collect");
    assert_string_equal(job.payload, "{\"sport\":\"nba\"}");
    assert_int_equal(job.attempts, 1);
    assert_int_equal(job.max_attempts, 3);
    assert_string_equal(job.idem, "");
    assert_string_equal(job.error, "");
    assert_true(job.enqueued_ms >= before - 1000 && job.enqueued_ms <= before + 60000);
    s = stats_of(q);
    assert_int_equal(s.ready, 2);
    assert_int_equal(s.leased, 1);
    assert_int_equal(aps_queue_ack(q, &job), 0);
    assert_int_equal(aps_queue_ack(q, &job), APS_E_STATE); /* once only */
    aps_job_cleanup(&job);
    aps_job_cleanup(&job); /* safe twice */

    /* A batch claim takes the rest. */
    struct aps_job jobs[4];
    int n = 0;
    assert_int_equal(aps_queue_claim_batch(q, "w2", 10000, 0, jobs, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(jobs[0].id, id2);
    assert_string_equal(jobs[1].id, id3);
    assert_int_equal(jobs[1].max_attempts, 5);
    assert_int_equal(aps_queue_ack_batch(q, jobs, 2), 0);
    for (int i = 0; i < n; i++)
        aps_job_cleanup(&jobs[i]);
    expect_empty(q, "w1");
    s = stats_of(q);
    assert_int_equal(s.ready + s.leased + s.delayed + s.dead, 0);
    assert_true(s.oldest_age_s == 0);

    /* aps_jobs_total counted the outcomes by name. */
    struct aps_metric *jt = aps_metrics_counter(m, "aps_jobs_total", "",
                                                (const char *const[]){"name", "outcome", NULL});
    assert_true(aps_metric_value(jt, (const char *const[]){"odds.collect", "ok"}) == 2.0);
    assert_true(aps_metric_value(jt, (const char *const[]){"odds.collect", "lost"}) == 1.0);
    assert_true(aps_metric_value(jt, (const char *const[]){"grade", "ok"}) == 1.0);
    aps_queue_close(q);
    aps_metrics_free(m);
}

static void test_block_and_age(void **state)
{
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    struct aps_queue *q = open_queue(m);
    struct aps_job job = {0};
    double t0 = aps_time_mono();
    assert_int_equal(aps_queue_claim(q, "w1", 10000, 250, &job), APS_E_NOTFOUND);
    double waited = aps_time_mono() - t0;
    assert_true(waited >= 0.2 && waited < 2.0);
    char id[64];
    push_ok(q, "noop", "{}", NULL, 1, 0, id);
    sleep_ms(150);
    struct aps_queue_stats s = stats_of(q);
    assert_int_equal(s.ready, 1);
    assert_true(s.oldest_age_s >= 0.1 && s.oldest_age_s < 30);
    assert_true(aps_metric_value(aps_metrics_gauge(m, "aps_queue_depth", "",
                                                   (const char *const[]){"state", NULL}),
                                 (const char *const[]){"ready"}) == 1.0);
    assert_true(aps_metric_value(aps_metrics_gauge(m, "aps_queue_oldest_age_seconds", "", NULL),
                                 NULL) >= 0.1);
    aps_queue_close(q);
    aps_metrics_free(m);
}

static void test_idempotency(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id1[64], id2[64] = "";
    push_ok(q, "predict", "{\"game\":1}", "predict:game:1", 3, 0, id1);
    assert_int_equal(aps_queue_push(q, "predict", "{\"game\":1}", "predict:game:1", 3, 0, id2),
                     APS_E_EXISTS);
    assert_string_equal(id1, id2);
    struct aps_queue_stats s = stats_of(q);
    assert_int_equal(s.ready, 1);
    struct aps_job job = {0};
    claim_ok(q, "w1", 10000, 0, &job);
    assert_string_equal(job.idem, "predict:game:1");
    assert_int_equal(aps_queue_ack(q, &job), 0);
    aps_job_cleanup(&job);
    /* Done is not forgotten: the same key still enqueues nothing. */
    assert_int_equal(aps_queue_push(q, "predict", "{\"game\":1}", "predict:game:1", 3, 0, id2),
                     APS_E_EXISTS);
    expect_empty(q, "w1");
    /* In a batch: two new keys and a repeat. */
    struct aps_queue_msg msgs[3] = {
        {"predict", "{\"game\":2}", "predict:game:2", 3, 0, "", 0},
        {"predict", "{\"game\":2}", "predict:game:2", 3, 0, "", 0},
        {"predict", "{\"game\":3}", NULL, 3, 0, "", 0},
    };
    assert_int_equal(aps_queue_push_batch(q, msgs, 3), 0);
    assert_int_equal(msgs[0].rc, 0);
    assert_int_equal(msgs[1].rc, APS_E_EXISTS);
    assert_string_equal(msgs[0].id, msgs[1].id);
    assert_int_equal(msgs[2].rc, 0);
    assert_int_equal(stats_of(q).ready, 2);
    aps_queue_close(q);
}

static void test_retry_then_dead(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64];
    push_ok(q, "collect", "{\"x\":42}", NULL, 3, 0, id);
    struct aps_job job = {0};
    double last = 0;
    for (int attempt = 1; attempt <= 3; attempt++) {
        double t0 = aps_time_mono();
        claim_ok(q, "w1", 10000, 3000, &job);
        double waited = aps_time_mono() - t0;
        assert_string_equal(job.id, id);
        assert_int_equal(job.attempts, attempt);
        assert_string_equal(job.payload, "{\"x\":42}");
        if (attempt > 1) {
            char want[32];
            snprintf(want, sizeof want, "boom %d", attempt - 1);
            assert_string_equal(job.error, want);
            /* Backoff: base·2^(n-1), at least half of it (equal jitter), at most the cap. */
            double lo = (attempt == 2 ? RETRY_BASE_MS : 2 * RETRY_BASE_MS) / 2000.0;
            assert_true(last + waited >= lo - 0.005);
        }
        char err[32];
        snprintf(err, sizeof err, "boom %d", attempt);
        t0 = aps_time_mono();
        assert_int_equal(aps_queue_fail(q, &job, err), 0);
        aps_job_cleanup(&job);
        if (attempt < 3) {
            /* Not ready again at once: it waits for its backoff. */
            assert_int_equal(aps_queue_claim(q, "w1", 10000, 0, &job), APS_E_NOTFOUND);
            assert_int_equal(stats_of(q).delayed, 1);
        }
        last = aps_time_mono() - t0;
    }
    struct aps_queue_stats s = stats_of(q);
    assert_int_equal(s.dead, 1);
    assert_int_equal(s.ready + s.leased + s.delayed, 0);
    struct aps_job dead[2];
    int n = 0;
    assert_int_equal(aps_queue_dead(q, 0, dead, 2, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(dead[0].id, id);
    assert_string_equal(dead[0].error, "boom 3");
    assert_string_equal(dead[0].payload, "{\"x\":42}");
    assert_int_equal(dead[0].attempts, 3);
    aps_job_cleanup(&dead[0]);
    expect_empty(q, "w1");
    aps_queue_close(q);
}

static void test_long_error_kept_valid(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64], err[2000];
    /* 1000 two-byte characters: cut to fit, never in the middle of one. */
    for (int i = 0; i < 1000; i++) {
        err[2 * i] = (char)0xC3;
        err[2 * i + 1] = (char)0xA9;
    }
    err[2000 - 1] = '\0';
    err[1998] = '\0';
    push_ok(q, "x", "{}", NULL, 1, 0, id);
    struct aps_job job = {0}, dead = {0};
    claim_ok(q, "w1", 10000, 0, &job);
    assert_int_equal(aps_queue_fail(q, &job, err), 0);
    aps_job_cleanup(&job);
    int n = 0;
    assert_int_equal(aps_queue_dead(q, 0, &dead, 1, &n), 0);
    assert_int_equal(n, 1);
    size_t len = strlen(dead.error);
    assert_true(len > 400 && len < APS_QUEUE_MAX_ERROR);
    assert_int_equal(len % 2, 0);
    aps_job_cleanup(&dead);
    aps_queue_close(q);
}

/* A worker claims and dies (kill -9: no ack, no release). After the visibility timeout another
 * consumer takes the job over and acks it; the dead worker's late ack changes nothing. */
static void test_visibility_reclaim(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64];
    push_ok(q, "train", "{}", NULL, 3, 0, id);
    struct aps_job a = {0}, b = {0};
    claim_ok(q, "dead-worker", 300, 0, &a);
    assert_int_equal(a.attempts, 1);
    expect_empty_vis(q, "live-worker", 300); /* still leased */
    sleep_ms(400);
    claim_ok(q, "live-worker", 300, 0, &b);
    assert_string_equal(b.id, id);
    assert_int_equal(b.attempts, 2);
    assert_string_equal(b.consumer, "live-worker");
    assert_int_equal(aps_queue_ack(q, &b), 0);
    assert_int_equal(aps_queue_ack(q, &a), APS_E_STATE);
    assert_int_equal(aps_queue_fail(q, &a, "late"), APS_E_STATE);
    assert_int_equal(aps_queue_release(q, &a), APS_E_STATE);
    expect_empty(q, "live-worker");
    struct aps_queue_stats s = stats_of(q);
    assert_int_equal(s.ready + s.leased + s.delayed + s.dead, 0);
    aps_job_cleanup(&a);
    aps_job_cleanup(&b);
    aps_queue_close(q);
}

/* What the observer of a test's queue heard of APS_QUEUE_EXPIRED_DEAD. */
struct expired_seen {
    int n;
    char id[64], name[64], payload[64], error[APS_QUEUE_MAX_ERROR];
    int attempts;
};

static void observe_expired(void *arg, enum aps_queue_event ev, const struct aps_job *job)
{
    struct expired_seen *e = arg;
    if (ev != APS_QUEUE_EXPIRED_DEAD)
        return;
    e->n++;
    snprintf(e->id, sizeof e->id, "%s", job->id);
    snprintf(e->name, sizeof e->name, "%s", job->name);
    snprintf(e->payload, sizeof e->payload, "%s", job->payload ? job->payload : "(null)");
    snprintf(e->error, sizeof e->error, "%s", job->error);
    e->attempts = job->attempts;
}

/* A job whose worker died on its last allowed attempt is dead-lettered, not run again; the claim
 * that does it reports the job (so a worker can log it and update what the API shows of it)
 * and counts it as dead. It used to go dead with no report and no count. */
static void test_lease_expired_on_last_attempt(void **state)
{
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    struct aps_queue *q = open_queue(m);
    struct expired_seen seen = {0};
    aps_queue_observe(q, observe_expired, &seen);
    char id[64], other[64];
    push_ok(q, "poison", "{\"requested_by\":7}", NULL, 2, 0, id);
    push_ok(q, "slow", "{}", NULL, 2, 0, other);
    struct aps_job a = {0}, b = {0};
    for (int attempt = 1; attempt <= 2; attempt++) { /* two workers die holding it */
        claim_ok(q, "w1", 200, 3000, &a);
        assert_string_equal(a.id, id);
        assert_int_equal(a.attempts, attempt);
        aps_job_cleanup(&a);
        sleep_ms(300);
    }
    claim_ok(q, "w2", 200, 0, &b); /* finds the lease expired on the last attempt */
    assert_string_equal(b.id, other);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.id, id);
    assert_string_equal(seen.name, "poison");
    assert_string_equal(seen.payload, "{\"requested_by\":7}");
    assert_int_equal(seen.attempts, 2);
    assert_non_null(strstr(seen.error, "lease expired"));
    struct aps_metric *jt = aps_metrics_counter(m, "aps_jobs_total", "",
                                                (const char *const[]){"name", "outcome", NULL});
    assert_true(aps_metric_value(jt, (const char *const[]){"poison", "dead"}) == 1.0);
    struct aps_job dead = {0};
    int n = 0;
    assert_int_equal(aps_queue_dead(q, 0, &dead, 1, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(dead.id, id);
    assert_int_equal(dead.attempts, 2);
    assert_non_null(strstr(dead.error, "lease expired"));
    aps_job_cleanup(&dead);
    assert_int_equal(aps_queue_ack(q, &b), 0);
    aps_job_cleanup(&b);
    expect_empty_vis(q, "w3", 200);
    assert_int_equal(seen.n, 1); /* reported once */
    aps_queue_close(q);
    aps_metrics_free(m);
}

/* With a retry budget, a job that used its attempts is still retried until the budget since its
 * enqueue has passed (an outage longer than the attempts' backoff loses nothing); a job of one
 * attempt is never retried. */
static void test_retry_budget(void **state)
{
    g_budget_s = 1;
    struct aps_queue *q = open_queue(NULL);
    g_budget_s = 0;
    char id[64], once[64];
    push_ok(q, "collect", "{}", NULL, 2, 0, id);
    push_ok(q, "train", "{}", NULL, 1, 0, once);
    struct aps_job job = {0};
    int runs = 0;
    double t0 = aps_time_mono();
    for (;;) {
        claim_ok(q, "w1", 10000, 3000, &job);
        if (!strcmp(job.id, once)) { /* max_attempts 1: straight to the dead letters */
            assert_int_equal(aps_queue_fail(q, &job, "no retry"), 0);
            assert_true(job.dead_lettered);
            aps_job_cleanup(&job);
            continue;
        }
        runs++;
        assert_int_equal(aps_queue_fail(q, &job, "outage"), 0);
        bool dead = job.dead_lettered;
        aps_job_cleanup(&job);
        if (dead)
            break;
    }
    /* Two attempts would have been spent in ~60 ms; the budget kept it going for a second. */
    assert_true(runs > 2);
    assert_true(aps_time_mono() - t0 >= 1.0 - 0.05);
    struct aps_queue_stats s = stats_of(q);
    assert_int_equal(s.dead, 2);
    aps_queue_close(q);
}

/* Dead letters: requeue puts one back with its attempts reset; drop deletes one; an id that is
 * not a dead letter is APS_E_NOTFOUND. */
static void test_dead_requeue_drop(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char a[64], b[64], live[64];
    push_ok(q, "poison", "{\"n\":1}", NULL, 1, 0, a);
    push_ok(q, "poison", "{\"n\":2}", NULL, 1, 0, b);
    struct aps_job job = {0};
    for (int i = 0; i < 2; i++) {
        claim_ok(q, "w1", 10000, 0, &job);
        assert_int_equal(aps_queue_fail(q, &job, "bad"), 0);
        aps_job_cleanup(&job);
    }
    push_ok(q, "noop", "{}", NULL, 3, 0, live);
    assert_int_equal(stats_of(q).dead, 2);
    assert_int_equal(aps_queue_requeue(q, live), APS_E_NOTFOUND); /* ready, not dead */
    assert_int_equal(aps_queue_requeue(q, "999999"), APS_E_NOTFOUND);
    assert_int_equal(aps_queue_drop(q, "x1"), APS_E_INVAL);
    assert_int_equal(aps_queue_requeue(q, a), 0);
    assert_int_equal(aps_queue_requeue(q, a), APS_E_NOTFOUND);
    assert_int_equal(aps_queue_drop(q, b), 0);
    assert_int_equal(aps_queue_drop(q, b), APS_E_NOTFOUND);
    assert_int_equal(stats_of(q).dead, 0);
    for (int i = 0; i < 2; i++) {
        claim_ok(q, "w1", 10000, 0, &job);
        if (!strcmp(job.id, a)) {
            assert_int_equal(job.attempts, 1);
            assert_string_equal(job.payload, "{\"n\":1}");
        } else {
            assert_string_equal(job.id, live);
        }
        assert_int_equal(aps_queue_ack(q, &job), 0);
        aps_job_cleanup(&job);
    }
    expect_empty(q, "w1");
    assert_int_equal(aps_queue_forget(q, "w1"), 0);
    assert_int_equal(aps_queue_forget(q, "bad consumer"), APS_E_INVAL);
    aps_queue_close(q);
}

/* Dead letters are listed a page at a time, newest first: the pages together hold each letter
 * once, in the order they died. */
static void test_dead_paging(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char ids[5][64];
    struct aps_job job = {0}, page[2];
    for (int i = 0; i < 5; i++) {
        push_ok(q, "poison", "{}", NULL, 1, 0, ids[i]);
        claim_ok(q, "w1", 10000, 0, &job);
        assert_string_equal(job.id, ids[i]);
        assert_int_equal(aps_queue_fail(q, &job, "bad"), 0);
        aps_job_cleanup(&job);
        sleep_ms(2); /* one dead letter per millisecond: the store orders them by that time */
    }
    int seen = 0, n = 0;
    for (int64_t off = 0; off < 6; off += 2) {
        assert_int_equal(aps_queue_dead(q, off, page, 2, &n), 0);
        assert_int_equal(n, off < 4 ? 2 : 1);
        for (int i = 0; i < n; i++, seen++) {
            assert_string_equal(page[i].id, ids[4 - seen]);
            aps_job_cleanup(&page[i]);
        }
    }
    assert_int_equal(seen, 5);
    assert_int_equal(aps_queue_dead(q, 5, page, 2, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(aps_queue_dead(q, -1, page, 2, &n), APS_E_INVAL);
    aps_queue_close(q);
}

static void test_release(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64];
    push_ok(q, "backup", "{}", NULL, 2, 0, id);
    struct aps_job job = {0};
    claim_ok(q, "w1", 10000, 0, &job);
    assert_int_equal(aps_queue_release(q, &job), 0); /* SIGTERM: give it back */
    aps_job_cleanup(&job);
    claim_ok(q, "w2", 10000, 0, &job);
    assert_string_equal(job.id, id);
    assert_int_equal(job.attempts, 1); /* the released start did not count */
    assert_int_equal(aps_queue_ack(q, &job), 0);
    aps_job_cleanup(&job);
    aps_queue_close(q);
}

static void test_extend(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64];
    push_ok(q, "long", "{}", NULL, 2, 0, id);
    struct aps_job job = {0};
    claim_ok(q, "w1", 600, 0, &job);
    sleep_ms(400);
    assert_int_equal(aps_queue_extend(q, &job, 600), 0);
    sleep_ms(400); /* 800 ms since the claim, 400 since the renewal */
    expect_empty_vis(q, "w2", 600);
    assert_int_equal(aps_queue_ack(q, &job), 0);
    aps_job_cleanup(&job);
    aps_queue_close(q);
}

static void test_delayed_push(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64];
    push_ok(q, "capture", "{}", NULL, 1, 300, id);
    expect_empty(q, "w1");
    assert_int_equal(stats_of(q).delayed, 1);
    struct aps_job job = {0};
    double t0 = aps_time_mono();
    claim_ok(q, "w1", 10000, 3000, &job);
    double waited = aps_time_mono() - t0;
    assert_string_equal(job.id, id);
    assert_true(waited >= 0.2 && waited < 2.0);
    assert_int_equal(aps_queue_ack(q, &job), 0);
    aps_job_cleanup(&job);
    aps_queue_close(q);
}

static void test_bad_arguments(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    char id[64];
    struct aps_job job = {0};
    assert_int_equal(aps_queue_push(q, "Bad Name", "{}", NULL, 1, 0, id), APS_E_INVAL);
    assert_int_equal(aps_queue_push(q, "", "{}", NULL, 1, 0, id), APS_E_INVAL);
    assert_int_equal(aps_queue_push(q, "ok", "{}", NULL, 0, 0, id), APS_E_INVAL);
    assert_int_equal(aps_queue_push(q, "ok", "{}", NULL, 1, -1, id), APS_E_INVAL);
    assert_int_equal(aps_queue_push(q, "ok", "{}", NULL, 1, APS_QUEUE_MAX_DELAY_MS + 1, id),
                     APS_E_INVAL);
    assert_int_equal(aps_queue_push(q, "ok", "{}", NULL, 1, INT64_MAX, id), APS_E_INVAL);
    assert_int_equal(aps_queue_push(q, "ok", NULL, NULL, 1, 0, id), APS_E_INVAL);
    assert_int_equal(aps_queue_push(q, "ok", "{}", "", 1, 0, id), APS_E_INVAL);
    char *big = aps_malloc(APS_QUEUE_MAX_PAYLOAD + 2);
    memset(big, ' ', APS_QUEUE_MAX_PAYLOAD + 1);
    big[APS_QUEUE_MAX_PAYLOAD + 1] = '\0';
    assert_int_equal(aps_queue_push(q, "ok", big, NULL, 1, 0, id), APS_E_TOOBIG);
    aps_free(big);
    assert_int_equal(aps_queue_claim(q, "has space", 1000, 0, &job), APS_E_INVAL);
    assert_int_equal(aps_queue_claim(q, "w", 0, 0, &job), APS_E_INVAL);
    assert_int_equal(stats_of(q).ready, 0);
    aps_queue_close(q);
}

/* ---- concurrent claimers --------------------------------------------------------------------- */

#define NJOBS 1000

struct claimer {
    struct aps_queue *q;
    char name[32];
    _Atomic int *seen; /* per job: how many times it was processed */
    int done, errors;
};

static void *claimer_run(void *arg)
{
    struct claimer *c = arg;
    for (;;) {
        struct aps_job job = {0};
        int rc = aps_queue_claim(c->q, c->name, 60000, 0, &job);
        if (rc == APS_E_NOTFOUND)
            break;
        if (rc) {
            c->errors++;
            break;
        }
        int n = -1;
        if (sscanf(job.payload, "{\"n\":%d}", &n) == 1 && n >= 0 && n < NJOBS)
            atomic_fetch_add(&c->seen[n], 1);
        /* The handler's work: a moment without the write lock, as a real job has. */
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
        if (aps_queue_ack(c->q, &job))
            c->errors++;
        c->done++;
        aps_job_cleanup(&job);
    }
    return NULL;
}

static void test_concurrent_claimers(void **state)
{
    struct aps_queue *q = open_queue(NULL);
    struct aps_queue_msg *msgs = aps_calloc(NJOBS, sizeof *msgs);
    char (*payloads)[32] = aps_calloc(NJOBS, sizeof *payloads);
    for (int i = 0; i < NJOBS; i++) {
        snprintf(payloads[i], sizeof payloads[i], "{\"n\":%d}", i);
        msgs[i] = (struct aps_queue_msg){"noop", payloads[i], NULL, 1, 0, "", 0};
    }
    for (int i = 0; i < NJOBS; i += 100)
        assert_int_equal(aps_queue_push_batch(q, msgs + i, 100), 0);
    assert_int_equal(stats_of(q).ready, NJOBS);
    _Atomic int *seen = aps_calloc(NJOBS, sizeof *seen);
    struct claimer c[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        c[i] = (struct claimer){q, "", seen, 0, 0};
        snprintf(c[i].name, sizeof c[i].name, "thread-%d", i);
        assert_int_equal(pthread_create(&t[i], NULL, claimer_run, &c[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(c[0].errors + c[1].errors, 0);
    assert_int_equal(c[0].done + c[1].done, NJOBS);
    if (!(c[0].done > 0 && c[1].done > 0))
        fail_msg("one claimer did all the work: %d and %d", c[0].done, c[1].done);
    for (int i = 0; i < NJOBS; i++)
        if (atomic_load(&seen[i]) != 1)
            fail_msg("job %d processed %d times", i, atomic_load(&seen[i]));
    struct aps_queue_stats s = stats_of(q);
    assert_int_equal(s.ready + s.leased + s.delayed + s.dead, 0);
    aps_free(seen);
    aps_free(msgs);
    aps_free(payloads);
    aps_queue_close(q);
}

/* ---- leader lock ----------------------------------------------------------------------------- */

/* Times leave 200 ms or more of slack each way: ctest runs tests side by side. */
#define LEADER_TTL 600

static double mono_ms(void)
{
    return aps_time_mono() * 1000.0;
}

/* The holder renews "scheduler"; then the other (after releasing the lock under its own name
 * when release_first) is refused. The refusal is asserted only for a round whose attempt came
 * back before the holder's lock could expire (LEADER_TTL after the renewal was sent); a round
 * that a loaded machine stretched past that is done again, up to 50 times. */
static void assert_refused(struct aps_leader *holder, const char *holder_owner,
                           struct aps_leader *other, const char *other_owner, bool release_first)
{
    for (int round = 0; round < 50; round++) {
        bool held = false;
        double sent = mono_ms();
        assert_int_equal(aps_leader_acquire(holder, "scheduler", holder_owner, LEADER_TTL, &held), 0);
        assert_true(held);
        if (release_first)
            assert_int_equal(aps_leader_release(other, "scheduler", other_owner), 0);
        assert_int_equal(aps_leader_acquire(other, "scheduler", other_owner, LEADER_TTL, &held), 0);
        if (mono_ms() - sent < LEADER_TTL) {
            assert_false(held);
            return;
        }
        if (held) /* too late to tell: hand the lock back and try again */
            assert_int_equal(aps_leader_release(other, "scheduler", other_owner), 0);
    }
    fail_msg("no round finished within the lock's ttl");
}

/* A renewal extends the lease: b, trying after the first acquire's ttl has run out but before
 * the renewal's has, is refused. Rounds whose timing a loaded machine stretched out of that
 * window are done again, up to 50 times. */
static void assert_renewal_extends(struct aps_leader *a, struct aps_leader *b)
{
    for (int round = 0; round < 50; round++) {
        bool held = false;
        double first = mono_ms();
        assert_int_equal(aps_leader_acquire(a, "scheduler", "host-a:1", LEADER_TTL, &held), 0);
        assert_true(held);
        sleep_ms(LEADER_TTL / 2);
        double renewed = mono_ms();
        assert_int_equal(aps_leader_acquire(a, "scheduler", "host-a:1", LEADER_TTL, &held), 0);
        if (!held) /* the first lease ran out before the renewal: again */
            continue;
        double wait = first + LEADER_TTL + 50 - mono_ms();
        if (wait > 0)
            sleep_ms((int)wait);
        assert_int_equal(aps_leader_acquire(b, "scheduler", "host-b:2", LEADER_TTL, &held), 0);
        if (mono_ms() - renewed < LEADER_TTL) {
            assert_false(held);
            return;
        }
        if (held)
            assert_int_equal(aps_leader_release(b, "scheduler", "host-b:2"), 0);
    }
    fail_msg("no round fell between the first lease's end and the renewal's");
}

/* Polls until other takes "scheduler" after its holder stopped renewing at holder_sent (ms,
 * monotonic): not before the ttl has run from then, and within a generous bound. */
static void assert_takes_over(struct aps_leader *other, const char *other_owner,
                              double holder_sent)
{
    bool held = false;
    for (;;) {
        assert_int_equal(aps_leader_acquire(other, "scheduler", other_owner, LEADER_TTL, &held), 0);
        double done = mono_ms();
        if (held) {
            assert_true(done - holder_sent >= LEADER_TTL - 2); /* 2 ms: clock rounding */
            return;
        }
        assert_true(done - holder_sent < LEADER_TTL + 30000);
        sleep_ms(20);
    }
}

static void test_leader(void **state)
{
    struct aps_leader *a = open_leader(), *b = open_leader(); /* two scheduler processes */
    bool held = false;
    assert_int_equal(aps_leader_acquire(a, "scheduler", "host-a:1", LEADER_TTL, &held), 0);
    assert_true(held);
    /* The leader renews; the other keeps waiting while the lease lives. */
    assert_refused(a, "host-a:1", b, "host-b:2", false);
    assert_renewal_extends(a, b);
    /* The leader dies (stops renewing): b takes over after the expiry, not before. */
    double sent = mono_ms();
    assert_int_equal(aps_leader_acquire(a, "scheduler", "host-a:1", LEADER_TTL, &held), 0);
    assert_true(held);
    assert_takes_over(b, "host-b:2", sent);
    /* a is out while b renews, and only the holder can release: a's release leaves b's lock. */
    assert_refused(b, "host-b:2", a, "host-a:1", false);
    assert_refused(b, "host-b:2", a, "host-a:1", true);
    assert_int_equal(aps_leader_release(b, "scheduler", "host-b:2"), 0);
    assert_int_equal(aps_leader_acquire(a, "scheduler", "host-a:1", LEADER_TTL, &held), 0);
    assert_true(held);
    /* Other lock names are independent. */
    assert_int_equal(aps_leader_acquire(b, "backup", "host-b:2", LEADER_TTL, &held), 0);
    assert_true(held);
    assert_int_equal(aps_leader_acquire(b, "bad name", "x", LEADER_TTL, &held), APS_E_INVAL);
    assert_int_equal(aps_leader_acquire(b, "x", "x", 0, &held), APS_E_INVAL);
    aps_leader_close(a);
    aps_leader_close(b);
}

/* Fencing tokens: each new holding of the lock gets a larger epoch (a renewal keeps it); a
 * former holder's push, sent after the next holder raised the queue's fence, is refused and
 * enqueues nothing, while the new holder's pushes go through. A floor lifts the next epoch
 * above a fence whose epoch the lock no longer knows. */
static void test_leader_fencing(void **state)
{
    struct aps_leader *a = open_leader(), *b = open_leader();
    struct aps_queue *q = open_queue(NULL);
    bool held = false;
    int64_t e1 = 0, e, e2 = 0;
    char id[64];
    assert_int_equal(aps_leader_acquire_epoch(a, "scheduler", "host-a:1", LEADER_TTL, 0, &held,
                                              &e1), 0);
    assert_true(held);
    assert_true(e1 >= 1);
    assert_int_equal(aps_leader_acquire_epoch(a, "scheduler", "host-a:1", LEADER_TTL, 0, &held,
                                              &e), 0);
    assert_int_equal(e, e1); /* a renewal keeps the epoch */
    assert_int_equal(aps_leader_acquire_epoch(b, "scheduler", "host-b:2", LEADER_TTL, 0, &held,
                                              &e), 0);
    assert_false(held);
    assert_int_equal(e, 0);
    struct aps_fence fa = {"scheduler", e1};
    assert_int_equal(aps_queue_push_fenced(q, &fa, "noop", "{}", "f-1", 3, 0, id), 0);
    /* a stops renewing (paused): b takes over once the lock expired, with a newer epoch. */
    double sent = mono_ms();
    for (;;) {
        assert_int_equal(aps_leader_acquire_epoch(b, "scheduler", "host-b:2", LEADER_TTL, 0,
                                                  &held, &e2), 0);
        if (held)
            break;
        assert_true(mono_ms() - sent < LEADER_TTL + 30000);
        sleep_ms(20);
    }
    assert_true(e2 > e1);
    struct aps_fence fb = {"scheduler", e2};
    assert_int_equal(aps_queue_fence(q, &fb), 0);
    /* a's delayed push is refused and enqueues nothing; b's goes through. */
    assert_int_equal(aps_queue_push_fenced(q, &fa, "noop", "{}", "f-2", 3, 0, id), APS_E_STALE);
    assert_int_equal(aps_queue_fence(q, &fa), APS_E_STALE);
    struct aps_queue_stats st = stats_of(q);
    assert_int_equal(st.ready, 1);
    assert_int_equal(aps_queue_push_fenced(q, &fb, "noop", "{}", "f-2", 3, 0, id), 0);
    assert_int_equal(aps_queue_push_fenced(q, &fb, "noop", "{}", "f-2", 3, 0, id), APS_E_EXISTS);
    st = stats_of(q);
    assert_int_equal(st.ready, 2);
    /* Released and taken again: a new epoch, never an old one; a floor lifts it further. */
    assert_int_equal(aps_leader_release(b, "scheduler", "host-b:2"), 0);
    assert_int_equal(aps_leader_acquire_epoch(a, "scheduler", "host-a:1", LEADER_TTL, 0, &held,
                                              &e), 0);
    assert_true(held);
    assert_true(e > e2);
    int64_t e3 = e;
    assert_int_equal(aps_leader_acquire_epoch(a, "scheduler", "host-a:1", LEADER_TTL, e3 + 10,
                                              &held, &e), 0);
    assert_true(held);
    assert_int_equal(e, e3 + 11); /* a renewal below the floor moves above it */
    struct aps_fence bad = {"scheduler", 0};
    assert_int_equal(aps_queue_fence(q, &bad), APS_E_INVAL);
    assert_int_equal(aps_leader_acquire_epoch(a, "scheduler", "host-a:1", LEADER_TTL, -1, &held,
                                              &e), APS_E_INVAL);
    aps_queue_close(q);
    aps_leader_close(a);
    aps_leader_close(b);
}

/* Which clock judges leases, due times and the leader lock: the server's on Redis and
 * PostgreSQL, so a claimer whose clock runs an hour ahead (CLOCK_OFFSET_FILE) neither takes a
 * live lease over nor claims a delayed job early, and a scheduler an hour ahead does not take
 * the lock another holds. On SQLite, whose processes all run on one host, the caller's clock
 * decides, so there the claimer an hour ahead does all three. */
static void test_skewed_clock(void **state)
{
    char path[] = "/tmp/aps_test_clock_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "3600\n", 5), 5);
    close(fd);
    bool server_clock = !g.st || aps_store_kind(g.st) == APS_DB_POSTGRES;
    struct aps_queue *q = open_queue(NULL);
    struct aps_leader *l = open_leader();
    g_clock_file = path;
    struct aps_queue *ahead = open_queue(NULL);
    struct aps_leader *l_ahead = open_leader();
    g_clock_file = NULL;
    char id[64], later[64];
    struct aps_job held = {0}, a = {0}, b = {0};
    push_ok(q, "long", "{}", NULL, 3, 0, id);
    claim_ok(q, "w1", 10000, 0, &held);
    push_ok(q, "later", "{}", NULL, 3, 10000, later);
    bool got = false;
    assert_int_equal(aps_leader_acquire(l, "scheduler", "host-a:1", 10000, &got), 0);
    assert_true(got);
    if (server_clock) {
        expect_empty(ahead, "w2");
        assert_int_equal(aps_queue_ack(q, &held), 0);
    } else {
        claim_ok(ahead, "w2", 10000, 0, &a); /* the live lease, taken over */
        assert_string_equal(a.id, id);
        claim_ok(ahead, "w2", 10000, 0, &b); /* the delayed job, 10 s early */
        assert_string_equal(b.id, later);
        assert_int_equal(aps_queue_ack(q, &held), APS_E_STATE);
    }
    assert_int_equal(aps_leader_acquire(l_ahead, "scheduler", "host-b:2", 10000, &got), 0);
    assert_true(got == !server_clock);
    aps_job_cleanup(&held);
    aps_job_cleanup(&a);
    aps_job_cleanup(&b);
    aps_queue_close(ahead);
    aps_queue_close(q);
    aps_leader_close(l_ahead);
    aps_leader_close(l);
    unlink(path);
}

#define QUEUE_COMMON_TESTS                                                                        \
    CASE(test_push_claim_ack), CASE(test_block_and_age), CASE(test_idempotency),                  \
        CASE(test_retry_then_dead), CASE(test_long_error_kept_valid),                             \
        CASE(test_visibility_reclaim), CASE(test_lease_expired_on_last_attempt),                  \
        CASE(test_release), CASE(test_extend), CASE(test_delayed_push), CASE(test_bad_arguments), \
        CASE(test_concurrent_claimers), CASE(test_leader), CASE(test_leader_fencing),             \
        CASE(test_retry_budget), CASE(test_dead_requeue_drop), CASE(test_dead_paging),            \
        CASE(test_skewed_clock)
