/* backup.c — backups of the store (backup.h): the backups table around the store's backup and
 * restore (store/backup.h, which does the work on each backend), the check of a restored
 * database's contents and the metrics. */
#include "services/backup.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/timeutil.h"
#include "engine/lockin.h"
#include "metrics/metrics.h"
#include "store/backup.h"
#include "store/store.h"

/* ---- the record ---------------------------------------------------------------------------- */

/* Adds a row to the backups table (see migrations/007_backups.sql) through c. */
static int record_on(struct aps_conn *c, const char *kind, const char *label, int64_t started_at,
                     int64_t finished_at, int64_t size_bytes, bool ok, const char *error)
{
    return aps_conn_execf(c,
                          "INSERT INTO backups (kind, label, started_at, finished_at, size_bytes,"
                          " ok, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                          "ssiiibS", kind, label, started_at, finished_at, size_bytes, ok, error);
}

/* The same in the store st. */
static int record_in(struct aps_store *st, const char *kind, const char *label,
                             int64_t started_at, int64_t finished_at, int64_t size_bytes, bool ok,
                             const char *error)
{
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = record_on(c, kind, label, started_at, finished_at, size_bytes, ok, error);
    aps_store_release(c);
    return rc;
}

/* True when a successful backup of kind was recorded at or after slot. */
static bool slot_done(struct aps_store *st, const char *kind, int64_t slot)
{
    struct aps_conn *c = NULL;
    int64_t n = 0;
    if (aps_store_acquire(st, APS_DB_WRITE, &c))
        return false;
    int rc = aps_conn_query_row(c,
                                "SELECT COUNT(*) FROM backups WHERE kind = ?1 AND ok = 1"
                                " AND started_at >= CAST(?2 AS BIGINT)",
                                "i", &n, "si", kind, slot);
    aps_store_release(c);
    return !rc && n > 0;
}

/* ---- the check of a restored (or copied) database ------------------------------------------ */

static int count(struct aps_conn *c, const char *sql, int64_t *n)
{
    int rc = aps_conn_query_int64(c, sql, 0, NULL, n);
    return rc == APS_E_NOTFOUND ? 0 : rc;
}

/* Counts picks, bankrolls and bets and walks the lock-in chain on c into out. */
static int check_db(struct aps_conn *c, struct aps_restore_result *out, char *err,
                               size_t errcap)
{
    struct aps_verify_result v;
    int rc = count(c, "SELECT COUNT(*) FROM predictions", &out->picks);
    if (!rc)
        rc = count(c, "SELECT COUNT(*) FROM bankrolls", &out->bankrolls);
    if (!rc)
        rc = count(c, "SELECT COUNT(*) FROM bets", &out->bets);
    if (!rc)
        rc = aps_lockin_verify(c, &v);
    if (rc) {
        snprintf(err, errcap, "counting picks, bankrolls and bets: %s", aps_conn_errmsg(c));
        return rc;
    }
    out->chain_ok = v.ok;
    snprintf(out->head, sizeof out->head, "%s", v.head);
    if (!v.ok) {
        snprintf(err, errcap, "the lock-in chain does not verify: pick %lld: %s",
                 (long long)v.bad_id, v.reason);
        return APS_E_INTEGRITY;
    }
    return 0;
}

/* ---- the orchestration -------------------------------------------------------------------- */

int aps_backup_run(const struct aps_config *cfg, struct aps_store *st, int64_t now, int64_t slot,
                   struct aps_backup_result *out, char *err, size_t errcap)
{
    double t0 = aps_time_mono();
    memset(out, 0, sizeof *out);
    snprintf(out->kind, sizeof out->kind, "%s", aps_store_backup_kind(st));
    out->started_at = now;
    if (slot > 0 && !aps_store_backup_names_slot(st) && slot_done(st, out->kind, slot)) {
        out->existed = true;
        return 0;
    }
    int rc = aps_store_backup(cfg, st, slot > 0 ? slot : now, out, err, errcap);
    if (out->existed)
        return rc;
    out->finished_at = now + (int64_t)(aps_time_mono() - t0 + 0.5);
    int rrc = record_in(st, out->kind, out->label[0] ? out->label : "-", out->started_at,
                                out->finished_at, out->size_bytes, rc == 0, rc ? err : NULL);
    if (rc)
        return rc;
    if (rrc) {
        snprintf(err, errcap, "the backup %s was made but could not be recorded: %s", out->label,
                 aps_strerror(rrc));
        return rrc;
    }
    return aps_backup_prune(cfg, st, now, &out->pruned, err, errcap);
}

int aps_backup_list(const struct aps_config *cfg, struct aps_store *st, struct aps_buf *out,
                    char *err, size_t errcap)
{
    return aps_store_backup_list(cfg, st, out, err, errcap);
}

int aps_backup_verify(const struct aps_config *cfg, struct aps_store *st, struct aps_buf *out,
                      char *err, size_t errcap)
{
    return aps_store_backup_verify(cfg, st, out, err, errcap);
}

int aps_backup_prune(const struct aps_config *cfg, struct aps_store *st, int64_t now,
                     int *removed, char *err, size_t errcap)
{
    return aps_store_backup_prune(cfg, st, now, removed, err, errcap);
}

struct restore_ctx {
    struct aps_store *st;              /* the store (NULL: none open) */
    const char *kind;                  /* "restore_postgres" or "restore_sqlite" */
    struct aps_store_restored r;
    struct aps_restore_result *out;
    int64_t started;
};

/* The check of the restored database; a restore into a new database is recorded now, in the
 * store when it is open, else in the restored database itself. */
static int restored_check(struct aps_conn *c, void *arg, char *err, size_t errcap)
{
    struct restore_ctx *x = arg;
    int rc = check_db(c, x->out, err, errcap);
    if (rc || !x->r.separate)
        return rc;
    if (x->st)
        return record_in(x->st, x->kind, x->r.source, x->started, aps_time_now(), 0, true,
                                 NULL);
    return record_on(c, x->kind, x->r.source, x->started, aps_time_now(), 0, true, NULL);
}

int aps_backup_restore(const struct aps_config *cfg, struct aps_store *st,
                       const struct aps_restore_opts *o, struct aps_restore_result *out, char *err,
                       size_t errcap)
{
    double t0 = aps_time_mono();
    char kind[32];
    struct restore_ctx x = {.st = st, .kind = kind, .out = out, .started = aps_time_now()};
    memset(out, 0, sizeof *out);
    snprintf(kind, sizeof kind, "restore_%s", aps_store_backup_kind(st));
    int rc = aps_store_restore(cfg, st, o, restored_check, &x, &x.r, err, errcap);
    snprintf(out->source, sizeof out->source, "%s", x.r.source);
    snprintf(out->url, sizeof out->url, "%s", x.r.url);
    if (!rc && !x.r.separate && x.r.copy_at > 0) {
        /* The copy holds the record of the backups before it, not of itself: record it again so
         * the last-backup metrics do not read "never" after a restore. */
        const char *name = strrchr(x.r.source, '/');
        rc = record_in(st, aps_store_backup_kind(st), name ? name + 1 : x.r.source,
                               x.r.copy_at, x.r.copy_at, x.r.copy_size, true, NULL);
    }
    out->seconds = aps_time_mono() - t0;
    if (!rc && !x.r.separate)
        rc = record_in(st, kind, out->source, x.started, aps_time_now(), 0, true, NULL);
    return rc;
}

/* ---- metrics ------------------------------------------------------------------------------- */

static const char *const metric_kinds[] = {"postgres", "sqlite"};
static const char *const drill_kinds[] = {"restore_postgres", "restore_sqlite"};
static const char *const kind_label[] = {"kind", NULL};

static int64_t query_or(struct aps_conn *c, const char *sql, const char *arg, int64_t dflt)
{
    const char *p[] = {arg};
    int64_t v = dflt;
    if (aps_conn_query_int64(c, sql, arg ? 1 : 0, arg ? p : NULL, &v))
        return dflt;
    return v;
}

/* WAL archiving on PostgreSQL: failures since the statistics were reset, and the lag: while the
 * archiver is failing (its last failure is newer than its last success), the seconds since it
 * last archived a segment — the WAL a restore would miss; 0 while it keeps up. */
static void archive_metrics(struct aps_conn *c, struct aps_metrics *m)
{
    int64_t failed = query_or(c, "SELECT failed_count FROM pg_stat_archiver", NULL, -1);
    int64_t lag = query_or(c,
                           "SELECT CASE WHEN pg_is_in_recovery() THEN 0"
                           " WHEN last_failed_time IS NOT NULL AND (last_archived_time IS NULL"
                           "  OR last_failed_time > last_archived_time) THEN CAST(EXTRACT(EPOCH"
                           "  FROM now() - COALESCE(last_archived_time, stats_reset)) AS BIGINT)"
                           " ELSE 0 END FROM pg_stat_archiver",
                           NULL, -1);
    if (failed >= 0)
        aps_metric_set(aps_metrics_counter(m, "aps_backup_wal_archive_failures_total",
                                           "WAL segments the archive_command failed to archive.",
                                           NULL),
                       NULL, (double)failed);
    if (lag >= 0)
        aps_metric_set(aps_metrics_gauge(m, "aps_backup_wal_archive_lag_seconds",
                                         "Age of the oldest finished WAL segment not yet archived.",
                                         NULL),
                       NULL, (double)lag);
}

void aps_backup_metrics_update(struct aps_store *st, struct aps_metrics *m)
{
    struct aps_conn *c = NULL;
    if (!st || !m || aps_store_acquire(st, APS_DB_WRITE, &c))
        return;
    for (size_t i = 0; i < sizeof metric_kinds / sizeof metric_kinds[0]; i++) {
        const char *k[] = {metric_kinds[i]};
        int64_t last = query_or(c, "SELECT MAX(finished_at) FROM backups WHERE kind = ?1 AND ok = 1",
                                k[0], 0);
        if (last <= 0)
            continue; /* this kind of store is not in use here */
        aps_metric_set(aps_metrics_gauge(m, "aps_backup_last_success_timestamp_seconds",
                                         "When the last successful backup finished.", kind_label),
                       k, (double)last);
        aps_metric_set(aps_metrics_gauge(m, "aps_backup_last_size_bytes",
                                         "Size of the last successful backup.", kind_label),
                       k,
                       (double)query_or(c,
                                        "SELECT size_bytes FROM backups WHERE kind = ?1 AND ok = 1"
                                        " ORDER BY finished_at DESC, id DESC LIMIT 1",
                                        k[0], 0));
        aps_metric_set(aps_metrics_counter(m, "aps_backup_failures_total",
                                           "Backups that failed.", kind_label),
                       k,
                       (double)query_or(c,
                                        "SELECT COUNT(*) FROM backups WHERE kind = ?1 AND ok = 0",
                                        k[0], 0));
    }
    for (size_t i = 0; i < sizeof drill_kinds / sizeof drill_kinds[0]; i++) {
        const char *k[] = {drill_kinds[i] + strlen("restore_")};
        int64_t last = query_or(c, "SELECT MAX(finished_at) FROM backups WHERE kind = ?1 AND ok = 1",
                                drill_kinds[i], 0);
        if (last > 0)
            aps_metric_set(aps_metrics_gauge(m, "aps_dr_drill_last_success_timestamp_seconds",
                                             "When a restore last passed its verification.",
                                             kind_label),
                           k, (double)last);
    }
    if (aps_conn_kind(c) == APS_DB_POSTGRES)
        archive_metrics(c, m);
    aps_store_release(c);
}
