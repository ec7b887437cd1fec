/* test_worker.c — the worker's supervision rule (heartbeat, timeout) and the pool on a real
 * store-backed queue with a job table of its own: a job that succeeds is acknowledged; one that
 * fails is retried and then dead-lettered with its error; one that runs past its timeout is
 * failed by the supervisor while its late result is discarded; a job longer than the lease
 * keeps it through heartbeats and runs once; stopping releases a running job without counting
 * the attempt; a job a client follows (job_status) reads "failed" when it timed out or its
 * worker died on its last attempt; a payload that can never work is dead at once, not retried;
 * a user's request that cannot run is done at once, counted refused, not dead; a retry past
 * max_attempts logs the budget's end; /health and /metrics answer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/queue.h"
#include "core/str.h"
#include "metrics/metrics.h"
#include "services/job_status.h"
#include "services/jobs.h"
#include "services/worker.h"
#include "jobs_fixture.h"

static atomic_int runs_ok, runs_slow;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int job_ok(struct aps_job_run *r)
{
    atomic_fetch_add(&runs_ok, 1);
    aps_buf_puts(&r->fields, ",\"t\":1");
    return 0;
}

static int job_bad(struct aps_job_run *r)
{
    return aps_job_fail(r, APS_E_IO, "provider said no");
}

/* Takes a payload n > 0 only. */
static int job_picky(struct aps_job_run *r)
{
    if (aps_job_int(r, "n", 0) <= 0)
        return aps_job_reject(r, "n must be positive");
    return 0;
}

/* Refuses the request it carries (a user's backtest with nothing to score). */
static int job_fussy(struct aps_job_run *r)
{
    return aps_job_refuse(r, "nothing to score in the dates asked");
}

/* Sleeps payload sleep_ms. */
static int job_slow(struct aps_job_run *r)
{
    atomic_fetch_add(&runs_slow, 1);
    nap_ms((long)aps_job_int(r, "sleep_ms", 0));
    return 0;
}

static const struct aps_job_def table[] = {
    {"ok", job_ok, 10, 3, false, "succeeds"},
    {"bad", job_bad, 10, 2, false, "fails"},
    {"slow", job_slow, 1, 1, false, "sleeps; times out after 1 s"},
    {"long", job_slow, 10, 1, false, "sleeps within its timeout"},
    {"sporty", job_ok, 10, 3, true, "needs a sport"},
    {"picky", job_picky, 10, 3, false, "rejects n <= 0"},
    {"fussy", job_fussy, 10, 3, false, "refuses its request"},
};

static void action_rule(void **state)
{
    /* lease 3 s: renew every second; timeout 10 s from the start. */
    assert_int_equal(aps_worker_action(500, 0, 10000, 0, 3000), APS_WORKER_WAIT);
    assert_int_equal(aps_worker_action(1000, 0, 10000, 0, 3000), APS_WORKER_EXTEND);
    assert_int_equal(aps_worker_action(1500, 0, 10000, 1000, 3000), APS_WORKER_WAIT);
    assert_int_equal(aps_worker_action(9999, 0, 10000, 9500, 3000), APS_WORKER_WAIT);
    assert_int_equal(aps_worker_action(10000, 0, 10000, 9500, 3000), APS_WORKER_TIMEOUT);
    assert_int_equal(aps_worker_action(20000, 0, 10000, 0, 3000), APS_WORKER_TIMEOUT);
}

static struct aps_worker *start(struct jfx *f, int threads, int64_t lease_ms, int64_t drain_ms,
                                const char *http)
{
    struct aps_worker_opts o;
    aps_worker_opts_default(&o, f->cfg);
    o.threads = threads;
    o.lease_ms = lease_ms;
    o.drain_ms = drain_ms;
    o.block_ms = 50;
    o.table = table;
    o.njobs = sizeof table / sizeof table[0];
    o.http_host = http;
    o.http_port = 0;
    struct aps_worker *w = NULL;
    char err[256];
    assert_int_equal(aps_worker_start(&w, &f->app, &o, err, sizeof err), 0);
    return w;
}

static void push(struct jfx *f, const char *name, const char *payload, int attempts)
{
    char id[64];
    assert_int_equal(aps_queue_push(f->app.queue, name, payload, NULL, attempts, 0, id), 0);
}

/* Pushes a job as the API does for one a client follows: payload with requested_by, and its
 * job_status row ("queued"). Writes the job's id to id. */
static void push_followed(struct jfx *f, const char *name, const char *payload, int attempts,
                          char id[64])
{
    char sql[512];
    assert_int_equal(aps_queue_push(f->app.queue, name, payload, NULL, attempts, 0, id), 0);
    snprintf(sql, sizeof sql,
             "INSERT INTO job_status (job_id, name, payload, state, attempts, created_at)"
             " VALUES ('%s', '%s', '%s', 'queued', 0, 0)",
             id, name, payload);
    assert_int_equal(jfx_exec(f, sql), 0);
}

/* The job_status row of job id: "state|attempts|error". */
static void status_of(struct jfx *f, const char *id, char *out, size_t cap)
{
    struct aps_conn *c = NULL;
    const char *row = NULL;
    struct aps_stmt *st = NULL;
    snprintf(out, cap, "(none)");
    assert_int_equal(aps_store_acquire(f->app.store, APS_DB_READ, &c), 0);
    int rc = aps_conn_preparef(c, &st,
                               "SELECT state || '|' || attempts || '|' || COALESCE(error, '')"
                               " FROM job_status WHERE job_id = ?1",
                               "s", id);
    if (!rc && aps_stmt_step(st) == APS_ROW) {
        row = aps_stmt_text(st, 0);
        snprintf(out, cap, "%s", row ? row : "");
    }
    if (st)
        aps_stmt_finalize(st);
    aps_store_release(c);
}

/* Waits up to ms for job id's status to read want. */
static void wait_status(struct jfx *f, const char *id, const char *want, long ms)
{
    char got[256] = "";
    for (long t = 0; t <= ms; t += 25) {
        status_of(f, id, got, sizeof got);
        if (!strcmp(got, want))
            return;
        nap_ms(25);
    }
    fail_msg("job %s: status %s, not %s", id, got, want);
}

/* Waits up to ms for sql's count to reach want. */
static int64_t wait_count(struct jfx *f, const char *sql, int64_t want, long ms)
{
    int64_t v = -1;
    for (long t = 0; t <= ms; t += 25) {
        v = jfx_int(f, sql);
        if (v == want)
            break;
        nap_ms(25);
    }
    return v;
}

static double outcome(struct jfx *f, const char *name, const char *outcome)
{
    struct aps_metric *m = aps_metrics_counter(f->app.metrics, "aps_jobs_total", "",
                                               (const char *const[]){"name", "outcome", NULL});
    return aps_metric_value(m, (const char *const[]){name, outcome});
}

static void ack_retry_and_dead_letter(void **state)
{
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    atomic_store(&runs_ok, 0);
    struct aps_worker *w = start(&f, 2, 3000, 1000, NULL);
    push(&f, "ok", "{}", 3);
    push(&f, "bad", "{}", 2);
    push(&f, "nosuch", "{}", 1);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'done'", 1, 3000), 1);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'", 2, 3000), 2);
    assert_int_equal(jfx_int(&f, "SELECT attempts FROM jobs WHERE name = 'bad'"), 2);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE name = 'bad'"
                                 " AND last_error = 'provider said no'"),
                     1);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE name = 'nosuch'"
                                 " AND last_error LIKE 'no job named nosuch%'"),
                     1);
    assert_int_equal(atomic_load(&runs_ok), 1);
    struct aps_worker_stats st;
    aps_worker_stats(w, &st);
    assert_int_equal(st.ok, 1);
    assert_int_equal(st.failed, 3);
    assert_int_equal(aps_worker_stop(w), 0);
    assert_true(outcome(&f, "bad", "retry") == 1);
    assert_true(outcome(&f, "bad", "dead") == 1);
    jfx_close(&f);
}

/* Payloads that can never work (not JSON, not an object, an unknown sport, a field the handler
 * rejects) go to the dead letters on their first attempt, logged as rejected and counted dead,
 * while a failure worth a retry is still retried. They used to be retried like any failure. */
static void rejected_payloads_are_dead_at_once(void **state)
{
    struct jfx f;
    char path[256];
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    assert_int_equal(jfx_log_open(&f, path, sizeof path), 0);
    struct aps_worker *w = start(&f, 2, 3000, 1000, NULL);
    push(&f, "ok", "not json", 3);
    push(&f, "ok", "[1]", 3);
    push(&f, "sporty", "{\"sport\":\"XXX\"}", 3);
    push(&f, "picky", "{\"n\":-1}", 3);
    push(&f, "bad", "{}", 2);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'", 5, 3000), 5);
    assert_int_equal(aps_worker_stop(w), 0);
    jfx_log_close(&f);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'dead' AND attempts = 1"
                                 " AND name <> 'bad'"),
                     4);
    assert_int_equal(jfx_int(&f, "SELECT attempts FROM jobs WHERE name = 'bad'"), 2);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE last_error = 'unknown sport XXX'"
                                 " OR last_error = 'n must be positive'"
                                 " OR last_error = 'payload must be a JSON object'"
                                 " OR last_error LIKE 'payload is not JSON%'"),
                     4);
    const char *const rejected[] = {"\"outcome\":\"dead\"", "\"attempt\":1,\"max_attempts\":3",
                                    "\"rejected\":true", NULL};
    assert_int_equal(jfx_log_lines(path, rejected), 4);
    const char *const retried[] = {"\"job\":\"bad\"", "\"outcome\":\"retry\"", NULL};
    assert_int_equal(jfx_log_lines(path, retried), 1);
    assert_true(outcome(&f, "ok", "dead") == 2);
    assert_true(outcome(&f, "sporty", "dead") == 1);
    assert_true(outcome(&f, "picky", "dead") == 1);
    assert_true(outcome(&f, "ok", "retry") == 0);
    jfx_close(&f);
}

/* A request a user made that cannot run (refused) ends on its first attempt: the job is done,
 * not dead-lettered, counted refused rather than dead (so JobsDeadLettered and the failure rate
 * stay quiet), its followed status "failed" with the reason, its log line a warning. It used to
 * be dead-lettered, which paged an operator for a user's request. */
static void a_refused_request_is_done_not_dead(void **state)
{
    struct jfx f;
    char path[256], id[64];
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    assert_int_equal(jfx_log_open(&f, path, sizeof path), 0);
    struct aps_worker *w = start(&f, 1, 3000, 1000, NULL);
    push_followed(&f, "fussy", "{\"requested_by\":1}", 3, id);
    wait_status(&f, id, "failed|1|nothing to score in the dates asked", 3000);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'done'", 1, 3000), 1);
    struct aps_worker_stats st;
    aps_worker_stats(w, &st);
    assert_int_equal(aps_worker_stop(w), 0);
    jfx_log_close(&f);
    assert_int_equal(st.failed, 1);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'"), 0);
    assert_int_equal(jfx_int(&f, "SELECT attempts FROM jobs"), 1);
    assert_true(outcome(&f, "fussy", "refused") == 1);
    assert_true(outcome(&f, "fussy", "dead") == 0);
    assert_true(outcome(&f, "fussy", "retry") == 0);
    const char *const line[] = {"\"level\":\"WARNING\"", "\"outcome\":\"refused\"",
                                "\"error\":\"nothing to score in the dates asked\"", NULL};
    assert_int_equal(jfx_log_lines(path, line), 1);
    const char *const rejected[] = {"\"job\":\"fussy\"", "\"rejected\":true", NULL};
    assert_int_equal(jfx_log_lines(path, rejected), 0);
    jfx_close(&f);
}

/* Past its max_attempts a failing job is retried on the retry budget: its log line says until
 * when, and never reads "attempt 3 of 2". */
static void a_retry_past_max_attempts_names_the_budget(void **state)
{
    struct jfx f;
    char path[256];
    const char *extra[] = {"QUEUE_RETRY_BUDGET_SECONDS=1", NULL};
    assert_int_equal(jfx_open(&f, extra, APS_APP_QUEUE), 0);
    assert_int_equal(jfx_log_open(&f, path, sizeof path), 0);
    struct aps_worker *w = start(&f, 1, 3000, 1000, NULL);
    push(&f, "bad", "{}", 2);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'", 1, 5000), 1);
    assert_int_equal(aps_worker_stop(w), 0);
    jfx_log_close(&f);
    assert_true(jfx_int(&f, "SELECT attempts FROM jobs") > 2);
    const char *const second[] = {"\"attempt\":2,\"max_attempts\":2,", NULL};
    const char *const third[] = {"\"attempt\":3,\"retries_until\":\"20", NULL};
    const char *const over[] = {"\"max_attempts\":2", "\"attempt\":3,", NULL};
    assert_int_equal(jfx_log_lines(path, second), 1);
    assert_int_equal(jfx_log_lines(path, third), 1);
    assert_int_equal(jfx_log_lines(path, over), 0);
    jfx_close(&f);
}

static void timeout_fails_the_job_and_discards_its_result(void **state)
{
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    struct aps_worker *w = start(&f, 1, 3000, 3000, NULL);
    push(&f, "slow", "{\"sleep_ms\":2000}", 1);
    assert_int_equal(wait_count(&f,
                                "SELECT COUNT(*) FROM jobs WHERE state = 'dead'"
                                " AND last_error = 'timed out after 1 s'",
                                1, 3000),
                     1);
    nap_ms(1500); /* the handler returns after its timeout: its result must not ack */
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'done'"), 0);
    struct aps_worker_stats st;
    aps_worker_stats(w, &st);
    assert_int_equal(st.timed_out, 1);
    assert_int_equal(st.ok, 0);
    assert_int_equal(aps_worker_stop(w), 0);
    jfx_close(&f);
}

/* A followed job that times out on its last attempt reads "failed" with the timeout (its late
 * result is discarded, so the supervisor settles the status). It used to stay "running". */
static void timeout_settles_a_followed_job(void **state)
{
    struct jfx f;
    char id[64];
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    struct aps_worker *w = start(&f, 1, 3000, 3000, NULL);
    push_followed(&f, "slow", "{\"sleep_ms\":2000,\"requested_by\":1}", 1, id);
    wait_status(&f, id, "failed|1|timed out after 1 s", 3000);
    nap_ms(1500); /* the handler returns: its discarded result leaves the status alone */
    wait_status(&f, id, "failed|1|timed out after 1 s", 0);
    assert_int_equal(aps_worker_stop(w), 0);
    assert_true(outcome(&f, "slow", "dead") == 1);
    jfx_close(&f);
}

/* A followed job whose worker died on its last attempt (claimed here and never settled): the
 * claim that finds the expired lease dead-letters it, and the worker counts it, and sets its
 * status to "failed" with the reason. It used to stay "running", uncounted. */
static void expired_lease_settles_a_followed_job(void **state)
{
    struct jfx f;
    char id[64];
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    push_followed(&f, "long", "{\"requested_by\":1}", 1, id);
    struct aps_job held = {0};
    assert_int_equal(aps_queue_claim(f.app.queue, "dead-worker", 200, 0, &held), 0);
    assert_string_equal(held.id, id);
    assert_int_equal(aps_job_status_update(f.app.store, id, "running", 1, NULL, 1), 0);
    aps_job_cleanup(&held);
    nap_ms(300); /* its lease runs out */
    struct aps_worker *w = start(&f, 1, 3000, 1000, NULL);
    wait_status(&f, id, "failed|1|lease expired on the last attempt (worker died or timed out)",
                3000);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'"), 1);
    assert_int_equal(aps_worker_stop(w), 0);
    assert_true(outcome(&f, "long", "dead") == 1);
    jfx_close(&f);
}

static void heartbeats_keep_a_long_job_leased(void **state)
{
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    atomic_store(&runs_slow, 0);
    /* Lease 600 ms, job 2 s: without heartbeats the second thread would take it over. */
    struct aps_worker *w = start(&f, 2, 600, 1000, NULL);
    push(&f, "long", "{\"sleep_ms\":2000}", 1);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'done'", 1, 4000), 1);
    assert_int_equal(atomic_load(&runs_slow), 1);
    assert_int_equal(jfx_int(&f, "SELECT attempts FROM jobs"), 1);
    assert_int_equal(aps_worker_stop(w), 0);
    jfx_close(&f);
}

/* A lease taken by another worker (its clock ran ahead, or it found the lease lapsed) is not
 * renewed again: the loss is logged once, not at every supervisor tick (every 200 ms), and the
 * run's result is refused. */
static void a_lost_lease_is_logged_once(void **state)
{
    struct jfx f;
    char path[300];
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    assert_int_equal(jfx_log_open(&f, path, sizeof path), 0);
    atomic_store(&runs_slow, 0);
    /* Lease 600 ms (renewed every 200 ms), job 2 s. */
    struct aps_worker *w = start(&f, 1, 600, 1000, NULL);
    push(&f, "long", "{\"sleep_ms\":2000}", 1);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'leased'", 1, 2000),
                     1);
    assert_int_equal(jfx_exec(&f, "UPDATE jobs SET lease_owner = 'another-worker'"), 0);
    nap_ms(2500); /* the run ends, a dozen supervisor ticks later */
    assert_int_equal(aps_worker_stop(w), 0);
    jfx_log_close(&f);
    const char *lost[] = {"lease lost to another worker", NULL};
    assert_int_equal(jfx_log_lines(path, lost), 1);
    assert_true(outcome(&f, "long", "lost") == 1);
    jfx_close(&f);
}

static void stop_releases_a_running_job(void **state)
{
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    atomic_store(&runs_slow, 0);
    struct aps_worker *w = start(&f, 1, 3000, 200, NULL);
    push(&f, "long", "{\"sleep_ms\":1200}", 1);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'leased'", 1, 2000),
                     1);
    /* Drain 200 ms < 1.2 s: released, then the handler returns within the grace period. */
    assert_int_equal(aps_worker_stop(w), 0);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'ready'"), 1);
    assert_int_equal(jfx_int(&f, "SELECT attempts FROM jobs"), 0); /* not counted */
    assert_true(outcome(&f, "long", "released") == 1);
    /* Another worker runs it to completion. */
    w = start(&f, 1, 3000, 1000, NULL);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'done'", 1, 4000), 1);
    assert_int_equal(aps_worker_stop(w), 0);
    assert_int_equal(atomic_load(&runs_slow), 2);
    jfx_close(&f);
}

static void health_and_metrics_answer(void **state)
{
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    struct aps_worker *w = start(&f, 1, 3000, 100, "127.0.0.1");
    int port = aps_worker_http_port(w);
    assert_true(port > 0);
    push(&f, "ok", "{}", 1);
    assert_int_equal(wait_count(&f, "SELECT COUNT(*) FROM jobs WHERE state = 'done'", 1, 3000), 1);
    char cmd[256], line[512] = "";
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:%d/health; echo;"
             " curl -s http://127.0.0.1:%d/metrics | grep -c aps_worker_job_duration_seconds",
             port, port);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(strncmp(line, "200", 3), 0);
    assert_non_null(fgets(line, sizeof line, p));
    int n = 0;
    assert_int_equal(aps_parse_int(aps_str_trim(line), &n), 0);
    assert_true(n > 0);
    pclose(p);
    assert_int_equal(aps_worker_stop(w), 0);
    jfx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(action_rule),
        cmocka_unit_test(ack_retry_and_dead_letter),
        cmocka_unit_test(rejected_payloads_are_dead_at_once),
        cmocka_unit_test(a_refused_request_is_done_not_dead),
        cmocka_unit_test(a_retry_past_max_attempts_names_the_budget),
        cmocka_unit_test(timeout_fails_the_job_and_discards_its_result),
        cmocka_unit_test(timeout_settles_a_followed_job),
        cmocka_unit_test(expired_lease_settles_a_followed_job),
        cmocka_unit_test(heartbeats_keep_a_long_job_leased),
        cmocka_unit_test(a_lost_lease_is_logged_once),
        cmocka_unit_test(stop_releases_a_running_job),
        cmocka_unit_test(health_and_metrics_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
