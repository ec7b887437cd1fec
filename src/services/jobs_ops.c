/* jobs_ops.c — the operations jobs: data-quality checks with their alerts, database backups,
 * cleanup of old rows past their retention (table `retention` below; and the artefacts of models
 * never promoted), and the no-op job of
 * benchmarks and tests. Backups are services/backup.c's; the job only calls it.
 *
 * Data quality (reference §4 freshness targets) computed from the store:
 *   DQ001  odds coverage: games starting within 24 h that have live odds, at least
 *          DQ_ODDS_COVERAGE_MIN of them;
 *   DQ004  closing lines: every game that started in the last 7 days (5 minutes' grace) with
 *          live odds has its closing lines;
 *   DQ005  picks before start: no pick of a game of the last 7 days was created at or after
 *          its start;
 *   DQ201  odds staleness: when games with live odds start within 24 h, the last successful
 *          TheOddsAPI poll is at most DQ_ODDS_MAX_AGE_SECONDS old.
 * One data_quality_checks row per check and slot (a rerun of the same slot adds nothing); a
 * failed check raises an alert unless an unacknowledged one with its dedup key is open. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/domain.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "model/registry.h"
#include "services/app.h"
#include "services/audit.h"
#include "services/backup.h"
#include "services/jobs.h"
#include "store/store.h"

#define DAY 86400
#define DQ_WINDOW (7 * DAY)
#define DQ_CLOSING_GRACE 300

static int with_conn(struct aps_job_run *r, struct aps_conn **c)
{
    int rc = aps_store_acquire(r->app->store, APS_DB_WRITE, c);
    if (rc)
        return aps_job_fail(r, rc, "no database connection: %s", aps_strerror(rc));
    return 0;
}

/* ---- data quality -------------------------------------------------------------------------- */

struct dq_result {
    const char *code, *source, *title;
    int64_t records, failed;
    double score;
    bool passed;
    char details[256];
};

#define LIVE_ODDS "EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id AND o.phase = 'live')"

static int dq001(struct aps_conn *c, const struct aps_config *cfg, int64_t now,
                 struct dq_result *d)
{
    int64_t covered = 0;
    int rc = aps_conn_query_row(c,
                                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN " LIVE_ODDS " THEN 1"
                                " ELSE 0 END), 0) FROM games g WHERE g.status = 'scheduled'"
                                " AND g.start_time >= ?1 AND g.start_time < ?2",
                                "ii", &d->records, &covered, "ii", now, now + DAY);
    double min = aps_cfg_double(cfg, APS_SET_DQ_ODDS_COVERAGE_MIN);
    d->failed = d->records - covered;
    d->score = d->records ? (double)covered / (double)d->records : 1.0;
    d->passed = d->score >= min;
    snprintf(d->details, sizeof d->details,
             "{\"games\":%lld,\"with_odds\":%lld,\"coverage\":%.4f,\"minimum\":%.4f}",
             (long long)d->records, (long long)covered, d->score, min);
    return rc;
}

static int dq004(struct aps_conn *c, const struct aps_config *cfg, int64_t now,
                 struct dq_result *d)
{
    int rc = aps_conn_query_row(c,
                                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM"
                                " closing_lines cl WHERE cl.game_id = g.id AND "
                                APS_CLOSE_STANDS_SQL("cl", "g") ") THEN 0 ELSE 1 END), 0)"
                                " FROM games g WHERE g.start_time >= ?1 AND g.start_time < ?2"
                                " AND " APS_CLOSE_PLAYED_SQL("g") " AND " LIVE_ODDS,
                                "ii", &d->records, &d->failed, "ii", now - DQ_WINDOW,
                                now - DQ_CLOSING_GRACE);
    d->score = d->records ? 1.0 - (double)d->failed / (double)d->records : 1.0;
    d->passed = d->failed == 0;
    snprintf(d->details, sizeof d->details, "{\"started_games\":%lld,\"without_closing\":%lld}",
             (long long)d->records, (long long)d->failed);
    return rc;
}

static int dq005(struct aps_conn *c, const struct aps_config *cfg, int64_t now,
                 struct dq_result *d)
{
    int rc = aps_conn_query_row(c,
                                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN p.created_at >="
                                " g.start_time THEN 1 ELSE 0 END), 0) FROM predictions p JOIN games"
                                " g ON g.id = p.game_id WHERE g.start_time >= ?1"
                                " AND g.start_time < ?2",
                                "ii", &d->records, &d->failed, "ii", now - DQ_WINDOW, now);
    d->score = d->records ? 1.0 - (double)d->failed / (double)d->records : 1.0;
    d->passed = d->failed == 0;
    snprintf(d->details, sizeof d->details, "{\"picks\":%lld,\"after_start\":%lld}",
             (long long)d->records, (long long)d->failed);
    return rc;
}

static int dq201(struct aps_conn *c, const struct aps_config *cfg, int64_t now,
                 struct dq_result *d)
{
    int64_t last = 0, max = aps_cfg_int(cfg, APS_SET_DQ_ODDS_MAX_AGE_SECONDS);
    int rc = aps_conn_query_row(c,
                                "SELECT COUNT(*) FROM games g WHERE g.status = 'scheduled'"
                                " AND g.start_time >= ?1 AND g.start_time < ?2 AND " LIVE_ODDS,
                                "i", &d->records, "ii", now, now + DAY);
    if (!rc) {
        rc = aps_conn_query_row(c,
                                "SELECT COALESCE(MAX(last_success_at), 0) FROM provider_status"
                                " WHERE provider = 'theoddsapi'",
                                "i", &last, "");
        rc = rc == APS_E_NOTFOUND ? 0 : rc;
    }
    int64_t age = last > 0 ? now - last : -1;
    d->passed = d->records == 0 || (age >= 0 && age <= max);
    d->failed = d->passed ? 0 : d->records;
    d->score = d->passed ? 1.0 : 0.0;
    snprintf(d->details, sizeof d->details,
             "{\"games_with_odds\":%lld,\"last_poll_age_seconds\":%lld,\"maximum\":%lld}",
             (long long)d->records, (long long)age, (long long)max);
    return rc;
}

typedef int (*dq_fn)(struct aps_conn *, const struct aps_config *, int64_t, struct dq_result *);

static const struct {
    const char *code, *source, *title;
    dq_fn fn;
} dq_checks[] = {
    {"DQ001", "odds", "Odds coverage of upcoming games below the minimum", dq001},
    {"DQ004", "closing_lines", "Closing lines missing for started games", dq004},
    {"DQ005", "predictions", "Picks created at or after their game's start", dq005},
    {"DQ201", "odds", "Odds are stale: no recent successful poll", dq201},
};

static int dq_exists(struct aps_conn *c, const char *code, int64_t at, bool *yes)
{
    int64_t n = 0;
    int rc = aps_conn_query_row(c,
                                "SELECT COUNT(*) FROM data_quality_checks WHERE check_code = ?1"
                                " AND checked_at = ?2",
                                "i", &n, "si", code, at);
    *yes = !rc && n > 0;
    return rc == APS_E_NOTFOUND ? 0 : rc;
}

static int dq_record(struct aps_conn *c, const struct dq_result *d, int64_t at)
{
    return aps_conn_execf(c,
                          "INSERT INTO data_quality_checks (check_code, source, passed,"
                          " records_checked, failed_count, score, details, checked_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                          "ssbiidsi", d->code, d->source, d->passed, d->records, d->failed,
                          d->score, d->details, at);
}

/* An alert for a failed check unless one with the same dedup key is still unacknowledged.
 * *raised: 1 when a new alert was written. */
static int dq_alert(struct aps_conn *c, const struct dq_result *d, int64_t at, int *raised)
{
    char key[32], msg[160];
    int rc = aps_str_fmt(key, sizeof key, "dq:%s", d->code);
    if (rc)
        return rc;
    snprintf(msg, sizeof msg, "%s failed: %lld of %lld records (score %.3f)", d->code,
             (long long)d->failed, (long long)d->records, d->score);
    int64_t changes = 0;
    rc = aps_conn_changef(c, &changes,
                              "INSERT INTO alerts (kind, severity, title, message, details,"
                              " dedup_key, created_at) SELECT 'data_quality', 'warning', ?1, ?2,"
                              " ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM alerts"
                              " WHERE dedup_key = ?4 AND acknowledged = 0)",
                              "ssssi", d->title, msg, d->details, key, at);
    *raised += (int)changes;
    return rc;
}

static int dq_one(struct aps_job_run *r, struct aps_conn *c, size_t i, int64_t at, int *failed,
                  int *alerts)
{
    struct dq_result d = {.code = dq_checks[i].code, .source = dq_checks[i].source,
                          .title = dq_checks[i].title};
    bool done = false;
    int rc = dq_exists(c, d.code, at, &done);
    if (rc || done)
        return rc;
    rc = dq_checks[i].fn(c, r->app->cfg, r->now, &d);
    if (!rc)
        rc = dq_record(c, &d, at);
    if (!rc && !d.passed) {
        ++*failed;
        rc = dq_alert(c, &d, at, alerts);
    }
    if (!rc)
        aps_buf_printf(&r->fields, ",\"%s\":%s", d.code, d.passed ? "true" : "false");
    return rc;
}

/* Payload: slot (seconds; from the scheduler) names the run, so a rerun adds nothing. */
int aps_job_do_data_quality(struct aps_job_run *r)
{
    struct aps_conn *c = NULL;
    int64_t at = aps_job_int(r, "slot", r->now);
    int failed = 0, alerts = 0;
    int rc = with_conn(r, &c);
    if (rc)
        return rc;
    rc = aps_conn_begin(c);
    for (size_t i = 0; !rc && i < sizeof dq_checks / sizeof dq_checks[0]; i++)
        rc = dq_one(r, c, i, at, &failed, &alerts);
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc) {
        aps_job_fail(r, rc, "data-quality checks: %s", aps_conn_errmsg(c));
        aps_conn_rollback(c);
    }
    aps_store_release(c);
    aps_buf_printf(&r->fields, ",\"checks_failed\":%d,\"alerts_raised\":%d", failed, alerts);
    if (!rc && failed)
        snprintf(r->warn, sizeof r->warn, "%d data-quality check(s) failed", failed);
    return rc;
}

/* ---- backup ------------------------------------------------------------------------------- */

/* Payload: slot (seconds) is the backup's name (SQLite) or the time after which a recorded
 * success makes a rerun a no-op (PostgreSQL). services/backup.c does the work. */
int aps_job_do_backup(struct aps_job_run *r)
{
    struct aps_backup_result b;
    char err[512] = "";
    int64_t slot = aps_job_int(r, "slot", r->now);
    int rc = aps_backup_run(r->app->cfg, r->app->store, r->now, slot, &b, err, sizeof err);
    if (rc)
        return aps_job_fail(r, rc, "%s backup: %s", b.kind, err);
    if (b.existed)
        aps_buf_puts(&r->fields, ",\"existed\":true");
    aps_buf_printf(&r->fields, ",\"kind\":\"%s\",\"bytes\":%lld,\"label\":\"", b.kind,
                   (long long)b.size_bytes);
    aps_json_escape(&r->fields, b.label);
    aps_buf_printf(&r->fields, "\",\"pruned\":%d", b.pruned);
    if (b.warning[0]) /* made, but pgBackRest had something to say (a database host down) */
        snprintf(r->warn, sizeof r->warn, "%.15s backup %.40s: %.180s", b.kind, b.label, b.warning);
    return 0;
}

/* ---- cleanup ------------------------------------------------------------------------------- */

static int delete_before(struct aps_conn *c, const char *sql, int64_t before, int64_t *n)
{
    return aps_conn_changef(c, n, sql, "i", before);
}

/* What the cleanup job deletes, one rule per kind of row: the setting giving its retention in
 * days (per environment, config/<ENVIRONMENT>.env), a factor on it, the unit of the time column
 * (1000: milliseconds) and the DELETE with ?1 the cut-off. The field names are those of the
 * job's log line. */
struct retention_rule {
    const char *field;
    enum aps_setting days;
    int factor;
    int64_t unit;
    const char *sql;
};

static const struct retention_rule retention[] = {
    {"jobs_done_deleted", APS_SET_JOBS_RETENTION_DAYS, 1, 1000,
     "DELETE FROM jobs WHERE state = 'done' AND finished_at < ?1"},
    {"jobs_dead_deleted", APS_SET_JOBS_RETENTION_DAYS, 4, 1000,
     "DELETE FROM jobs WHERE state = 'dead' AND finished_at < ?1"},
    {"movements_deleted", APS_SET_MOVEMENTS_RETENTION_DAYS, 1, 1,
     "DELETE FROM odds_movements WHERE detected_at < ?1"},
    {"noop_marks_deleted", APS_SET_JOBS_RETENTION_DAYS, 1, 1000,
     "DELETE FROM schedule_runs WHERE task LIKE 'noop:%' AND last_run_at < ?1"},
    {"dq_runs_deleted", APS_SET_LOG_RETENTION_DAYS, 1, 1,
     "DELETE FROM data_quality_checks WHERE checked_at < ?1 AND id NOT IN"
     " (SELECT MAX(id) FROM data_quality_checks GROUP BY check_code)"},
    {"ingest_runs_deleted", APS_SET_LOG_RETENTION_DAYS, 1, 1,
     "DELETE FROM ingest_runs WHERE finished_at < ?1"},
    {"alerts_deleted", APS_SET_ALERTS_RETENTION_DAYS, 1, 1,
     "DELETE FROM alerts WHERE acknowledged = 1 AND created_at < ?1"},
    {"audit_deleted", APS_SET_AUDIT_RETENTION_DAYS, 1, 1, "DELETE FROM audit_log WHERE at < ?1"},
};

#define NRULES (sizeof retention / sizeof retention[0])

/* Records that the audit log lost rows to its retention (the one deletion it keeps a trace of). */
static int audit_retention(struct aps_conn *c, int64_t now, int64_t deleted, int64_t before)
{
    struct aps_audit_event e = {.action = "retention_applied", .actor_type = "system",
                                .resource_type = "audit_log", .success = true};
    e.details = json_pack("{s:I, s:I}", "deleted", (json_int_t)deleted, "before",
                          (json_int_t)before);
    int rc = aps_audit_write(c, &e, now);
    json_decref(e.details);
    return rc;
}

int aps_job_do_cleanup(struct aps_job_run *r)
{
    const struct aps_config *cfg = r->app->cfg;
    int64_t n[NRULES] = {0}, audit_before = 0;
    int models = 0, kept = 0;
    size_t i = 0;
    struct aps_conn *c = NULL;
    int rc = with_conn(r, &c);
    if (rc)
        return rc;
    for (; !rc && i < NRULES; i++) {
        const struct retention_rule *k = &retention[i];
        int64_t before = (r->now - aps_cfg_int(cfg, k->days) * k->factor * DAY) * k->unit;
        rc = delete_before(c, k->sql, before, &n[i]);
        if (k->days == APS_SET_AUDIT_RETENTION_DAYS)
            audit_before = before;
    }
    if (!rc && n[NRULES - 1])
        rc = audit_retention(c, r->now, n[NRULES - 1], audit_before);
    if (!rc)
        rc = aps_registry_prune(c, r->now - aps_cfg_int(cfg, APS_SET_MODEL_ARTIFACT_RETENTION_DAYS) * DAY,
                                &models, &kept);
    if (rc)
        aps_job_fail(r, rc, "cleanup: %s", aps_conn_errmsg(c));
    aps_store_release(c);
    for (i = 0; i < NRULES; i++)
        aps_buf_printf(&r->fields, ",\"%s\":%lld", retention[i].field, (long long)n[i]);
    aps_buf_printf(&r->fields, ",\"models_pruned\":%d", models);
    if (!rc && kept)
        snprintf(r->warn, sizeof r->warn, "%d pruned model folder(s) hold unexpected files", kept);
    return rc;
}

/* ---- noop ---------------------------------------------------------------------------------- */

/* Payload: sleep_ms (0..600000) waits before the effect; mark (a string) records the effect
 * once as the schedule_runs row "noop:<mark>" with this job's id — tests count it to show that
 * a job taken over from a killed worker took effect once. */
int aps_job_do_noop(struct aps_job_run *r)
{
    int64_t ms = aps_job_int(r, "sleep_ms", 0);
    const char *mark = aps_job_str(r, "mark", NULL);
    if (ms < 0 || ms > 600000)
        return aps_job_reject(r, "sleep_ms must be 0..600000");
    if (ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) && errno == EINTR)
            ;
    }
    if (!mark || !r->app || !r->app->store)
        return 0;
    char task[96];
    snprintf(task, sizeof task, "noop:%.80s", mark);
    struct aps_conn *c = NULL;
    int64_t dummy = 0;
    int rc = with_conn(r, &c);
    if (rc)
        return rc;
    rc = aps_conn_query_row(c,
                            "INSERT INTO schedule_runs (task, last_run_at, last_job_id)"
                            " VALUES (?1, CAST(?2 AS BIGINT), ?3) ON CONFLICT (task) DO NOTHING"
                            " RETURNING 1",
                            "i", &dummy, "sis", task, aps_time_now_us() / 1000, r->id);
    if (rc == 0 || rc == APS_E_NOTFOUND)
        aps_buf_printf(&r->fields, ",\"mark\":\"%s\"", rc ? "existed" : "written");
    if (rc == APS_E_NOTFOUND)
        rc = 0;
    if (rc)
        aps_job_fail(r, rc, "noop mark: %s", aps_conn_errmsg(c));
    aps_store_release(c);
    return rc;
}
