/* test_jobs.c — the job table of jobs.def and its dispatcher: every entry is well-formed; bad
 * payloads are refused before a handler runs; handlers are idempotent (noop's mark, the
 * data-quality rows and their de-duplicated alerts, backups keyed by slot with pruning,
 * cleanup); the job clock follows CLOCK_OFFSET_FILE; a handler's provider requests end within
 * the job's time; the train job runs the trainer or says why it did not. All on a fresh SQLite store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/timeutil.h"
#include "ingest/collect.h"
#include "services/jobs.h"
#include "jobs_fixture.h"

static const struct aps_job_def *job(const char *name)
{
    size_t n;
    const struct aps_job_def *t = aps_jobs_table(&n);
    return aps_jobs_find(t, n, name);
}

/* Runs job name with payload on f's app; fields (when given) get the log fields, the warning,
 * the error, and "rejected" when the payload can never work ("refused" for a user's request that
 * cannot run). */
static int run(struct jfx *f, const char *name, const char *payload, const char *id,
               char *fields, size_t cap)
{
    struct aps_collector col;
    aps_collector_init(&col, f->app.cfg, f->app.store, f->app.metrics);
    struct aps_job_run r = {.app = &f->app, .col = &col, .id = id, .attempt = 1};
    int rc = aps_jobs_exec(job(name), payload, &r);
    if (fields)
        snprintf(fields, cap, "%s|%s|%s|%s", aps_buf_str(&r.fields), r.warn, r.err,
                 r.rejected ? "rejected" : r.refused ? "refused" : "");
    aps_job_run_cleanup(&r);
    aps_collector_cleanup(&col);
    return rc;
}

static double seen_deadline;
static int note_deadline(struct aps_job_run *r)
{
    seen_deadline = r->col->deadline;
    return 0;
}

/* A handler's provider requests are limited to the job's time: the collector's deadline is
 * set from the job's timeout while the handler runs (a Retry-After past it is not waited for),
 * and cleared after. */
static void collectors_get_the_jobs_time_limit(void **state)
{
    (void)state;
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, 0), 0);
    const struct aps_job_def d = {"probe", note_deadline, 120, 1, false, "records the deadline"};
    struct aps_collector col;
    aps_collector_init(&col, f.app.cfg, f.app.store, f.app.metrics);
    struct aps_job_run r = {.app = &f.app, .col = &col, .id = "1", .attempt = 1};
    double before = aps_time_mono();
    assert_int_equal(aps_jobs_exec(&d, "{}", &r), 0);
    assert_true(seen_deadline >= before + 100 && seen_deadline <= aps_time_mono() + 120);
    assert_true(col.deadline == 0);
    aps_job_run_cleanup(&r);
    aps_collector_cleanup(&col);
    jfx_close(&f);
}

static void table_is_well_formed(void **state)
{
    size_t n;
    const struct aps_job_def *t = aps_jobs_table(&n);
    assert_int_equal(n, 13);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t[i].fn);
        assert_true(t[i].timeout_s > 0);
        assert_true(t[i].max_attempts >= 1 && t[i].max_attempts <= 100);
        assert_true(strlen(t[i].name) < 64);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(t[i].name, t[j].name);
        assert_ptr_equal(aps_jobs_find(t, n, t[i].name), &t[i]);
    }
    assert_null(aps_jobs_find(t, n, "nope"));
    assert_null(aps_jobs_find(t, n, NULL));
    assert_int_equal(aps_jobs_max_timeout(t, n), 14400);
    assert_true(job("collect_odds")->needs_sport);
    assert_false(job("grade")->needs_sport);
}

/* A payload the job can never take is refused before the handler (or by it) and marked
 * rejected, so the worker dead-letters it instead of retrying it; aps_jobs_check refuses the
 * same before an enqueue, and aps_jobs_enqueue queues nothing then. */
static void payloads_are_checked_first(void **state)
{
    char out[1024], why[512], id[64] = "";
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    assert_int_equal(run(&f, "noop", "not json", "1", out, sizeof out), APS_E_PARSE);
    assert_non_null(strstr(out, "payload is not JSON"));
    assert_non_null(strstr(out, "|rejected"));
    assert_int_equal(run(&f, "noop", "[1,2]", "1", out, sizeof out), APS_E_PARSE);
    assert_non_null(strstr(out, "JSON object|rejected"));
    assert_int_equal(run(&f, "predict", "{}", "1", out, sizeof out), APS_E_INVAL);
    assert_non_null(strstr(out, "predict needs a sport in its payload|rejected"));
    assert_int_equal(run(&f, "predict", "{\"sport\":\"XFL\"}", "1", out, sizeof out),
                     APS_E_INVAL);
    assert_non_null(strstr(out, "unknown sport XFL|rejected"));
    assert_int_equal(run(&f, "noop", "{\"sleep_ms\":-5}", "1", out, sizeof out), APS_E_INVAL);
    assert_non_null(strstr(out, "sleep_ms must be 0..600000|rejected"));
    assert_int_equal(run(&f, "noop", NULL, "1", NULL, 0), 0); /* NULL payload reads as {} */
    assert_int_equal(run(&f, "train", "{\"sport\":\"NBA\",\"mode\":\"fast\"}", "1", out,
                         sizeof out),
                     APS_E_INVAL);
    assert_non_null(strstr(out, "|rejected"));
    /* Before an enqueue: the dispatcher's checks (not the handler's own). */
    assert_int_equal(aps_jobs_check(job("predict"), "not json", why, sizeof why), APS_E_PARSE);
    assert_non_null(strstr(why, "payload is not JSON"));
    assert_int_equal(aps_jobs_check(job("predict"), "{\"sport\":\"XXX\"}", why, sizeof why),
                     APS_E_INVAL);
    assert_string_equal(why, "unknown sport XXX");
    assert_int_equal(aps_jobs_check(job("noop"), "[1]", why, sizeof why), APS_E_PARSE);
    /* An empty payload is refused like any other text that is not a JSON object. */
    assert_int_equal(aps_jobs_check(job("noop"), "", why, sizeof why), APS_E_PARSE);
    assert_non_null(strstr(why, "payload is empty"));
    assert_int_equal(aps_jobs_check(job("noop"), NULL, why, sizeof why), 0);
    assert_int_equal(aps_jobs_check(job("predict"), "{\"sport\":\"NBA\"}", why, sizeof why), 0);
    assert_int_equal(aps_jobs_enqueue(f.app.queue, job("predict"), "{\"sport\":\"XXX\"}", NULL, id),
                     APS_E_INVAL);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs"), 0);
    jfx_close(&f);
}

static void noop_mark_takes_effect_once(void **state)
{
    char out[512];
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    assert_int_equal(run(&f, "noop", "{\"mark\":\"m1\",\"sleep_ms\":20}", "7", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"mark\":\"written\""));
    assert_int_equal(run(&f, "noop", "{\"mark\":\"m1\"}", "7", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"mark\":\"existed\""));
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM schedule_runs WHERE task = 'noop:m1'"), 1);
    assert_int_equal(jfx_int(&f, "SELECT CAST(last_job_id AS INTEGER) FROM schedule_runs"), 7);
    jfx_close(&f);
}

static void data_quality_is_keyed_by_slot_and_alerts_dedup(void **state)
{
    char out[1024];
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    int64_t now = aps_time_now();
    /* Two games within 24 h without odds: DQ001 coverage 0 fails; DQ201 has nothing to judge. */
    assert_true(jfx_game(&f, now + 3600, "scheduled") > 0);
    assert_true(jfx_game(&f, now + 7200, "scheduled") > 0);
    assert_int_equal(run(&f, "data_quality", "{\"slot\":1000}", "1", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"DQ001\":false"));
    assert_non_null(strstr(out, "\"DQ005\":true"));
    assert_non_null(strstr(out, "\"alerts_raised\":1"));
    assert_non_null(strstr(out, "1 data-quality check(s) failed"));
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM data_quality_checks"), 4);
    assert_int_equal(jfx_int(&f, "SELECT failed_count FROM data_quality_checks"
                                 " WHERE check_code = 'DQ001'"), 2);
    /* The same slot again: nothing new. */
    assert_int_equal(run(&f, "data_quality", "{\"slot\":1000}", "1", NULL, 0), 0);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM data_quality_checks"), 4);
    /* The next slot: new rows, but the open alert is not repeated … */
    assert_int_equal(run(&f, "data_quality", "{\"slot\":4600}", "2", out, sizeof out), 0);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM data_quality_checks"), 8);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM alerts WHERE dedup_key = 'dq:DQ001'"), 1);
    /* … until it is acknowledged. */
    assert_int_equal(jfx_exec(&f, "UPDATE alerts SET acknowledged = 1"), 0);
    assert_int_equal(run(&f, "data_quality", "{\"slot\":8200}", "3", NULL, 0), 0);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM alerts WHERE dedup_key = 'dq:DQ001'"), 2);
    /* A pick created after its game started fails DQ005. */
    assert_true(jfx_game(&f, now - 600, "in_progress") > 0);
    assert_int_equal(jfx_exec(&f, "INSERT INTO predictions (game_id, model, market, selection,"
                                  " probability, tier, stake_fraction, locked_at, prev_hash,"
                                  " hash, created_at) VALUES (3, 'elo', 'moneyline', 'home',"
                                  " 0.6, 'B', 0, 'x', 'p', 'h', strftime('%s','now'))"),
                     0);
    assert_int_equal(run(&f, "data_quality", "{\"slot\":9000}", "4", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"DQ005\":false"));
    jfx_close(&f);
}

/* DQ004 counts the started games with live odds whose close is missing: a postponed game has
 * not started, and a game moved to a later start after its close was captured is missing the
 * close of the start it was played at. */
static void closing_check_judges_the_start_played(void **state)
{
    char out[1024], sql[256];
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    int64_t now = aps_time_now();
    assert_true(jfx_game(&f, now - 7200, "final") > 0);
    assert_true(jfx_game(&f, now - 7200, "postponed") > 0);
    assert_int_equal(jfx_exec(&f, "INSERT INTO odds (game_id, book_id, market, selection, phase,"
                                  " recorded_at, price) VALUES (1, 1, 'moneyline', 'home', 'live',"
                                  " 1, 1.9), (2, 1, 'moneyline', 'home', 'live', 1, 1.9);"
                                  "INSERT INTO closing_lines (game_id, book_id, market, selection,"
                                  " price, closed_at, source) SELECT id, 1, 'moneyline', 'home',"
                                  " 1.9, start_time, 'live' FROM games WHERE id = 1"),
                     0);
    assert_int_equal(run(&f, "data_quality", "{\"slot\":1000}", "1", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"DQ004\":true"));
    assert_int_equal(jfx_int(&f, "SELECT records_checked FROM data_quality_checks"
                                 " WHERE check_code = 'DQ004'"),
                     1);
    snprintf(sql, sizeof sql, "UPDATE games SET start_time = %lld WHERE id = 1",
             (long long)(now - 3600));
    assert_int_equal(jfx_exec(&f, sql), 0);
    assert_int_equal(run(&f, "data_quality", "{\"slot\":4600}", "2", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"DQ004\":false"));
    jfx_close(&f);
}

static int count_backups(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += !strncmp(e->d_name, "aps-", 4);
    closedir(d);
    return n;
}

/* Copies are named by their slot; a rerun of a slot finds its copy; copies older than
 * BACKUP_RETENTION_DAYS go while the newest stays whatever its age. */
static void backup_is_keyed_by_slot_and_pruned(void **state)
{
    char out[1024], env[300], root[100], dir[200], path[300], name[64], payload[64];
    struct jfx f;
    int64_t day = 86400, now = aps_time_now() / day * day + 4 * 3600;
    int64_t slots[] = {now - 40 * day, now - 20 * day, now - day};
    snprintf(root, sizeof root, "/tmp/aps-backup-test-%d", (int)getpid());
    snprintf(env, sizeof env, "BACKUP_DIR=%s/nested", root);
    const char *extra[] = {env, "BACKUP_RETENTION_DAYS=30", NULL};
    assert_int_equal(jfx_open(&f, extra, APS_APP_QUEUE), 0);
    snprintf(dir, sizeof dir, "%.190s", env + strlen("BACKUP_DIR="));
    snprintf(payload, sizeof payload, "{\"slot\":%lld}", (long long)slots[0]);
    assert_int_equal(run(&f, "backup", payload, "1", out, sizeof out), 0);
    aps_time_format_iso(slots[0], name, sizeof name); /* 2026-10-23T04:00:00Z */
    snprintf(path, sizeof path, "%.200s/aps-%.4s%.2s%.2sT040000Z.db", dir, name, name + 5, name + 8);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 0);
    assert_non_null(strstr(out, "\"bytes\":"));
    assert_non_null(strstr(out, "\"pruned\":0")); /* the only copy stays though 40 days old */
    assert_int_equal(run(&f, "backup", payload, "1", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"existed\":true"));
    assert_int_equal(count_backups(dir), 1);
    snprintf(payload, sizeof payload, "{\"slot\":%lld}", (long long)slots[1]);
    assert_int_equal(run(&f, "backup", payload, "2", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"pruned\":1"));
    assert_int_not_equal(stat(path, &sb), 0); /* the 40-day-old copy went */
    snprintf(payload, sizeof payload, "{\"slot\":%lld}", (long long)slots[2]);
    assert_int_equal(run(&f, "backup", payload, "3", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"pruned\":0"));
    assert_int_equal(count_backups(dir), 2);
    jfx_close(&f);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root); /* the folder the copies were nested in */
    assert_int_equal(system(cmd), 0);
}

static void cleanup_deletes_only_what_is_past_retention(void **state)
{
    char out[1024], sql[1024];
    struct jfx f;
    const char *extra[] = {"JOBS_RETENTION_DAYS=1", "MOVEMENTS_RETENTION_DAYS=2", NULL};
    assert_int_equal(jfx_open(&f, extra, APS_APP_QUEUE), 0);
    int64_t now = aps_time_now(), ms = now * 1000, day = 86400000;
    snprintf(sql, sizeof sql,
             "INSERT INTO jobs (name, payload, state, max_attempts, run_at, enqueued_at,"
             " finished_at) VALUES ('noop', '{}', 'done', 1, 0, 0, %lld),"
             " ('noop', '{}', 'done', 1, 0, 0, %lld), ('noop', '{}', 'dead', 1, 0, 0, %lld),"
             " ('noop', '{}', 'ready', 1, 0, 0, NULL)",
             (long long)(ms - 2 * day), (long long)(ms - day / 2), (long long)(ms - 2 * day));
    assert_int_equal(jfx_exec(&f, sql), 0);
    assert_true(jfx_game(&f, now - 86400 * 10, "final") > 0);
    snprintf(sql, sizeof sql,
             "INSERT INTO odds_movements (game_id, book_id, market, selection, detected_at)"
             " VALUES (1, 1, 'moneyline', 'home', %lld), (1, 1, 'moneyline', 'home', %lld)",
             (long long)(now - 3 * 86400), (long long)(now - 3600));
    assert_int_equal(jfx_exec(&f, sql), 0);
    assert_int_equal(run(&f, "cleanup", "{}", "1", out, sizeof out), 0);
    assert_non_null(strstr(out, "\"jobs_done_deleted\":1"));
    assert_non_null(strstr(out, "\"jobs_dead_deleted\":0")); /* dead ones keep 4x longer */
    assert_non_null(strstr(out, "\"movements_deleted\":1"));
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs"), 3);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM odds_movements"), 1);
    assert_int_equal(run(&f, "cleanup", "{}", "1", out, sizeof out), 0); /* again: nothing */
    assert_non_null(strstr(out, "\"jobs_done_deleted\":0"));
    jfx_close(&f);
}

static void clock_follows_the_offset_file(void **state)
{
    char env[200], path[160];
    struct jfx f;
    snprintf(path, sizeof path, "/tmp/aps-clock-%d", (int)getpid());
    snprintf(env, sizeof env, "CLOCK_OFFSET_FILE=%s", path);
    const char *extra[] = {env, NULL};
    assert_int_equal(jfx_open(&f, extra, 0), 0);
    int64_t t0 = aps_time_now();
    assert_true(aps_jobs_now(f.cfg) - t0 <= 1); /* no file yet: the wall clock */
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("7200\n", fp);
    fclose(fp);
    int64_t d = aps_jobs_now(f.cfg) - t0;
    assert_true(d >= 7200 && d <= 7201);
    unlink(path);
    jfx_close(&f);
}

static void train_without_history_says_why(void **state)
{
    char out[1024];
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    assert_true(jfx_game(&f, aps_time_now() + 3600, "scheduled") > 0);
    int rc = run(&f, "train", "{\"sport\":\"NBA\",\"mode\":\"incremental\"}", "1", out, sizeof out);
    /* One scheduled game and no finished one: nothing to learn from, so the trainer skips,
     * with a warning that says why (the schedule's run: routine). */
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\"moneyline\":{\"skipped\":true}"));
    assert_non_null(strstr(out, "\"mode\":\"incremental\""));
    assert_non_null(strstr(out, "|not trained: NBA moneyline: too few seasons for walk-forward"
                                " folds||"));
    /* Asked for through the API (requested_by), it is refused with the same reason: the user
     * reads why no model came (the job status failed, no dead letter). */
    rc = run(&f, "train", "{\"sport\":\"NBA\",\"requested_by\":1}", "3", out, sizeof out);
    assert_int_equal(rc, APS_E_INVAL);
    assert_non_null(strstr(out, "||not trained: NBA moneyline: too few seasons for walk-forward"
                                " folds|refused"));
    /* A scheduled run whose slot already has a completed training run skips the work. */
    assert_int_equal(jfx_exec(&f, "INSERT INTO training_runs (sport_id, market, status, seed,"
                                  " started_at) VALUES (1, 'moneyline', 'completed', 42, 5000)"),
                     0);
    assert_int_equal(run(&f, "train", "{\"sport\":\"NBA\",\"slot\":4000}", "2", out, sizeof out), 0);
    assert_non_null(strstr(out, "already trained since the slot"));
    jfx_close(&f);
}

/* A backtest the engine cannot run (an unknown model) ends "failed" with the reason and its job
 * refuses the request with it (done at once: neither retried nor dead); run again, it fails
 * again; a request already done is left alone. */
static void backtest_request_ends_with_its_reason(void **state)
{
    char out[1024];
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, APS_APP_QUEUE), 0);
    assert_int_equal(jfx_exec(&f, "INSERT INTO users (email, password_hash, role, is_active,"
                                  " created_at, updated_at) VALUES ('bt@example.com', 'x', 'pro',"
                                  " 1, 1, 1)"),
                     0);
    assert_int_equal(jfx_exec(&f, "INSERT INTO backtests (user_id, sport, market, model, bankroll,"
                                  " state, created_at) VALUES (1, 'NBA', 'moneyline', 'nope',"
                                  " 1000, 'queued', 1)"),
                     0);
    for (int i = 0; i < 2; i++) {
        int rc = run(&f, "backtest", "{\"sport\":\"NBA\",\"backtest_id\":1}", "1", out, sizeof out);
        assert_int_equal(rc, APS_E_INVAL);
        assert_non_null(strstr(out, "|backtest 1: no model nope for NBA moneyline|refused"));
        assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM backtests WHERE id = 1 AND state ="
                                     " 'failed' AND error = 'no model nope for NBA moneyline' AND"
                                     " finished_at IS NOT NULL AND report IS NULL"),
                         1);
    }
    assert_int_equal(jfx_exec(&f, "UPDATE backtests SET state = 'done' WHERE id = 1"), 0);
    assert_int_equal(run(&f, "backtest", "{\"sport\":\"NBA\",\"backtest_id\":1}", "2", out,
                         sizeof out),
                     0);
    assert_non_null(strstr(out, "already done"));
    /* a job for a backtest that is not recorded can never run: rejected, not retried */
    assert_int_equal(run(&f, "backtest", "{\"sport\":\"NBA\",\"backtest_id\":9}", "3", out,
                         sizeof out),
                     APS_E_INVAL);
    assert_non_null(strstr(out, "|no backtest 9|rejected"));
    jfx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_well_formed),
        cmocka_unit_test(payloads_are_checked_first),
        cmocka_unit_test(collectors_get_the_jobs_time_limit),
        cmocka_unit_test(noop_mark_takes_effect_once),
        cmocka_unit_test(data_quality_is_keyed_by_slot_and_alerts_dedup),
        cmocka_unit_test(closing_check_judges_the_start_played),
        cmocka_unit_test(backup_is_keyed_by_slot_and_pruned),
        cmocka_unit_test(cleanup_deletes_only_what_is_past_retention),
        cmocka_unit_test(clock_follows_the_offset_file),
        cmocka_unit_test(train_without_history_says_why),
        cmocka_unit_test(backtest_request_ends_with_its_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
