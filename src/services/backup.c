/* backup.c — backups of the store (backup.h): the dispatch between pgBackRest (backup_pg.c) and
 * the SQLite copies of BACKUP_DIR, the backups table, the restore check and the metrics.
 *
 * SQLite copies are named aps-YYYYMMDDTHHMMSSZ.db after the time (or scheduled slot) they stand
 * for; the name is their age for the retention policy, so a copy moved between machines keeps its
 * age. A copy is written to NAME.tmp, integrity-checked and renamed, so a name that exists is a
 * complete copy. */
#include "services/backup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/lockin.h"
#include "metrics/metrics.h"
#include "services/backup_int.h"
#include "store/store.h"

#define DAY 86400
#define COPY_PREFIX "aps-"
#define COPY_SUFFIX ".db"

/* ---- the record ---------------------------------------------------------------------------- */

int aps_backup_record(struct aps_store *st, const char *kind, const char *label,
                      int64_t started_at, int64_t finished_at, int64_t size_bytes, bool ok,
                      const char *error)
{
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = aps_conn_execf(c,
                        "INSERT INTO backups (kind, label, started_at, finished_at, size_bytes,"
                        " ok, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        "ssiiibS", kind, label, started_at, finished_at, size_bytes, ok, error);
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

int aps_backup_check_db(struct aps_conn *c, struct aps_restore_result *out, char *err,
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
        snprintf(err, errcap, "checking the restored database: %s", aps_conn_errmsg(c));
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

/* ---- SQLite copies ------------------------------------------------------------------------- */

/* PRAGMA integrity_check on c: 0 when it answers "ok", else APS_E_INTEGRITY (or the error of
 * the query) with the reason in why. */
static int integrity(struct aps_conn *c, char *why, size_t cap)
{
    struct aps_stmt *s = NULL;
    int rc = aps_conn_prepare(c, "PRAGMA integrity_check", &s);
    if (!rc)
        rc = aps_stmt_step(s);
    if (rc == APS_ROW) {
        const char *verdict = aps_stmt_text(s, 0);
        rc = verdict && !strcmp(verdict, "ok") ? 0 : APS_E_INTEGRITY;
        if (rc)
            snprintf(why, cap, "integrity_check: %s", verdict ? verdict : "no answer");
    } else if (rc >= 0) {
        rc = APS_E_INTEGRITY;
        snprintf(why, cap, "integrity_check gave no answer");
    } else {
        snprintf(why, cap, "%s", aps_conn_errmsg(c));
    }
    aps_stmt_finalize(s);
    return rc;
}

/* PRAGMA integrity_check of the SQLite file at path. */
static int check_file(const char *path, char *err, size_t errcap)
{
    struct aps_store *fs = NULL;
    struct aps_conn *c = NULL;
    struct aps_store_opts o = {.pool_size = 1, .pool_timeout = 5};
    struct aps_buf url = {0};
    struct stat sb;
    char why[512] = "";
    if (stat(path, &sb) || !S_ISREG(sb.st_mode)) { /* the store would create an empty file */
        snprintf(err, errcap, "%s: no such backup file", path);
        return APS_E_NOTFOUND;
    }
    aps_buf_printf(&url, "sqlite:///%s", path);
    o.url = aps_buf_str(&url);
    int rc = aps_store_open(&fs, &o, why, sizeof why);
    if (!rc)
        rc = aps_store_acquire(fs, APS_DB_READ, &c);
    if (!rc)
        rc = integrity(c, why, sizeof why);
    if (rc)
        snprintf(err, errcap, "%s: %s", path, why);
    if (c)
        aps_store_release(c);
    aps_store_close(fs);
    aps_buf_cleanup(&url);
    return rc;
}

static int mkdirs(const char *path)
{
    char p[1024];
    if (aps_str_copy(p, sizeof p, path))
        return APS_E_TOOBIG;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0750) && errno != EEXIST)
            return APS_E_IO;
        *s = '/';
    }
    return mkdir(p, 0750) && errno != EEXIST ? APS_E_IO : 0;
}

/* "aps-20261202T040000Z.db" for t. */
static void copy_name(int64_t t, char *out, size_t cap)
{
    char iso[32], *w = iso;
    aps_time_format_iso(t, iso, sizeof iso);
    for (const char *r = iso; *r; r++)
        if (*r != '-' && *r != ':')
            *w++ = *r;
    *w = '\0';
    snprintf(out, cap, COPY_PREFIX "%s" COPY_SUFFIX, iso);
}

/* The time a copy's name stands for; -1 when name is not one of ours. */
static int64_t copy_time(const char *name)
{
    int y, mo, d, h, mi, s, n = 0;
    size_t len = strlen(name);
    if (len != strlen("aps-20261202T040000Z.db") ||
        sscanf(name, COPY_PREFIX "%4d%2d%2dT%2d%2d%2dZ.db%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
        (size_t)n != len || !aps_date_valid(y, mo, d) || h > 23 || mi > 59 || s > 60)
        return -1;
    return aps_time_from_civil(y, mo, d, h, mi, s);
}

struct copy_list {
    char **names; /* sorted oldest first (the names sort by time) */
    size_t n;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void copies_free(struct copy_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        aps_free(l->names[i]);
    aps_free(l->names);
    l->names = NULL;
    l->n = 0;
}

static int copies_read(const char *dir, struct copy_list *l, char *err, size_t errcap)
{
    size_t cap = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errcap, "cannot list %s: %s", dir, strerror(errno));
        return errno == ENOENT ? APS_E_NOTFOUND : APS_E_IO;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (copy_time(e->d_name) < 0)
            continue;
        if (l->n == cap)
            l->names = aps_realloc(l->names, (cap = cap ? cap * 2 : 16) * sizeof *l->names);
        l->names[l->n++] = aps_strdup(e->d_name);
    }
    closedir(d);
    if (l->n)
        qsort(l->names, l->n, sizeof *l->names, cmp_names);
    return 0;
}

static int join(char *out, size_t cap, const char *dir, const char *name)
{
    return snprintf(out, cap, "%s/%s", dir, name) < (int)cap ? 0 : APS_E_TOOBIG;
}

static int sqlite_run(const struct aps_config *cfg, struct aps_store *st, int64_t at,
                      struct aps_backup_result *out, char *err, size_t errcap)
{
    const char *dir = aps_cfg_str(cfg, APS_SET_BACKUP_DIR);
    char tmp[1100];
    struct aps_conn *c = NULL;
    struct stat sb;
    copy_name(at, out->label, sizeof out->label);
    if (!dir || !*dir || join(out->path, sizeof out->path, dir, out->label)) {
        snprintf(err, errcap, "BACKUP_DIR is unset or too long");
        return APS_E_CONFIG;
    }
    if (mkdirs(dir)) {
        snprintf(err, errcap, "cannot create %s: %s", dir, strerror(errno));
        return APS_E_IO;
    }
    if (!stat(out->path, &sb)) {
        out->existed = true;
        out->size_bytes = sb.st_size;
        return 0;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", out->path);
    unlink(tmp);
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (rc) {
        snprintf(err, errcap, "no database connection: %s", aps_strerror(rc));
        return rc;
    }
    rc = aps_conn_backup_file(c, tmp);
    if (rc)
        snprintf(err, errcap, "%s", aps_conn_errmsg(c));
    aps_store_release(c);
    if (!rc)
        rc = check_file(tmp, err, errcap);
    if (!rc && rename(tmp, out->path)) {
        snprintf(err, errcap, "cannot rename %s: %s", tmp, strerror(errno));
        rc = APS_E_IO;
    }
    if (!rc && !stat(out->path, &sb))
        out->size_bytes = sb.st_size;
    if (rc)
        unlink(tmp);
    return rc;
}

/* Deletes the copies older than the retention window, keeping the newest valid copy whatever
 * its age; when the newest copy is damaged nothing is deleted (the older ones may be needed). */
static int sqlite_prune(const struct aps_config *cfg, int64_t now, int *removed, char *err,
                        size_t errcap)
{
    const char *dir = aps_cfg_str(cfg, APS_SET_BACKUP_DIR);
    int64_t horizon = now - aps_cfg_int(cfg, APS_SET_BACKUP_RETENTION_DAYS) * DAY;
    struct copy_list l = {0};
    char path[1100], why[512];
    int rc = copies_read(dir, &l, err, errcap);
    if (rc == APS_E_NOTFOUND)
        return 0;
    if (rc || !l.n)
        goto out;
    rc = join(path, sizeof path, dir, l.names[l.n - 1]);
    if (!rc && check_file(path, why, sizeof why)) {
        snprintf(err, errcap, "the newest backup is not valid, nothing pruned: %s", why);
        rc = APS_E_INTEGRITY;
    }
    for (size_t i = 0; !rc && i + 1 < l.n; i++) {
        if (copy_time(l.names[i]) >= horizon)
            break;
        rc = join(path, sizeof path, dir, l.names[i]);
        if (!rc && unlink(path)) {
            snprintf(err, errcap, "cannot delete %s: %s", path, strerror(errno));
            rc = APS_E_IO;
        }
        if (!rc)
            ++*removed;
    }
out:
    copies_free(&l);
    return rc;
}

static int sqlite_list(const struct aps_config *cfg, struct aps_buf *out, char *err,
                       size_t errcap)
{
    const char *dir = aps_cfg_str(cfg, APS_SET_BACKUP_DIR);
    struct copy_list l = {0};
    int rc = copies_read(dir, &l, err, errcap);
    if (rc == APS_E_NOTFOUND)
        return 0;
    for (size_t i = 0; !rc && i < l.n; i++) {
        char path[1100], when[32];
        struct stat sb;
        rc = join(path, sizeof path, dir, l.names[i]);
        aps_time_format_iso(copy_time(l.names[i]), when, sizeof when);
        if (!rc)
            aps_buf_printf(out, "%s  full  %-26s %12lld bytes  %s\n", when, l.names[i],
                           stat(path, &sb) ? -1LL : (long long)sb.st_size, path);
    }
    copies_free(&l);
    return rc;
}

static int sqlite_verify(const struct aps_config *cfg, struct aps_buf *out, char *err,
                         size_t errcap)
{
    const char *dir = aps_cfg_str(cfg, APS_SET_BACKUP_DIR);
    struct copy_list l = {0};
    int bad = 0;
    int rc = copies_read(dir, &l, err, errcap);
    if (!rc && !l.n) {
        snprintf(err, errcap, "no backups in %s", dir);
        rc = APS_E_NOTFOUND;
    }
    for (size_t i = 0; !rc && i < l.n; i++) {
        char path[1100], why[512];
        rc = join(path, sizeof path, dir, l.names[i]);
        if (rc)
            break;
        bool ok = !check_file(path, why, sizeof why);
        bad += !ok;
        aps_buf_printf(out, "%s  %s\n", l.names[i], ok ? "ok" : why);
    }
    copies_free(&l);
    if (!rc && bad) {
        snprintf(err, errcap, "%d of the backups in %s failed the integrity check", bad, dir);
        rc = APS_E_INTEGRITY;
    }
    return rc;
}

/* The copy to restore for target time to (NULL: the newest) into path. */
static int sqlite_pick(const struct aps_config *cfg, const char *to, char *path, size_t cap,
                       char *err, size_t errcap)
{
    const char *dir = aps_cfg_str(cfg, APS_SET_BACKUP_DIR);
    struct copy_list l = {0};
    int64_t limit = INT64_MAX;
    if (to && aps_time_parse_iso(to, &limit)) {
        snprintf(err, errcap, "--to %s: want YYYY-MM-DDTHH:MM:SSZ", to);
        return APS_E_INVAL;
    }
    int rc = copies_read(dir, &l, err, errcap);
    size_t i = l.n;
    while (!rc && i > 0 && copy_time(l.names[i - 1]) > limit)
        i--;
    if (!rc && i == 0) {
        snprintf(err, errcap, "no backup in %s at or before %s", dir, to ? to : "now");
        rc = APS_E_NOTFOUND;
    }
    if (!rc)
        rc = join(path, cap, dir, l.names[i - 1]);
    copies_free(&l);
    return rc;
}

static int sqlite_restore(const struct aps_config *cfg, struct aps_store *st,
                          const struct aps_restore_opts *o, struct aps_restore_result *out,
                          char *err, size_t errcap)
{
    struct aps_conn *c = NULL;
    int rc = 0;
    if (o->from)
        rc = aps_str_copy(out->source, sizeof out->source, o->from);
    else
        rc = sqlite_pick(cfg, o->to, out->source, sizeof out->source, err, errcap);
    if (!rc)
        rc = check_file(out->source, err, errcap);
    if (!rc)
        rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (!rc && aps_conn_restore_file(c, out->source)) {
        snprintf(err, errcap, "%s", aps_conn_errmsg(c));
        rc = APS_E_IO;
    }
    if (!rc) /* the restored store itself passes the same check as the copy */
        rc = integrity(c, err, errcap);
    if (!rc)
        rc = aps_backup_check_db(c, out, err, errcap);
    if (c)
        aps_store_release(c);
    /* The copy holds the record of the backups before it, not of itself: record it again so
     * the last-backup metrics do not read "never" after a restore. */
    const char *name = strrchr(out->source, '/');
    name = name ? name + 1 : out->source;
    struct stat sb;
    int64_t at = copy_time(name);
    if (!rc && at > 0)
        rc = aps_backup_record(st, "sqlite", name, at, at, stat(out->source, &sb) ? 0 : sb.st_size,
                               true, NULL);
    return rc;
}

/* ---- the dispatch -------------------------------------------------------------------------- */

static bool is_pg(struct aps_store *st)
{
    return aps_store_kind(st) == APS_DB_POSTGRES;
}

int aps_backup_run(const struct aps_config *cfg, struct aps_store *st, int64_t now, int64_t slot,
                   struct aps_backup_result *out, char *err, size_t errcap)
{
    double t0 = aps_time_mono();
    memset(out, 0, sizeof *out);
    snprintf(out->kind, sizeof out->kind, "%s", is_pg(st) ? "postgres" : "sqlite");
    out->started_at = now;
    if (slot > 0 && is_pg(st) && slot_done(st, out->kind, slot)) {
        out->existed = true;
        return 0;
    }
    int rc = is_pg(st) ? aps_backup_pg_run(cfg, st, now, out, err, errcap)
                       : sqlite_run(cfg, st, slot > 0 ? slot : now, out, err, errcap);
    if (out->existed)
        return rc;
    out->finished_at = now + (int64_t)(aps_time_mono() - t0 + 0.5);
    int rrc = aps_backup_record(st, out->kind, out->label[0] ? out->label : "-", out->started_at,
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
    return is_pg(st) ? aps_backup_pg_list(cfg, out, err, errcap)
                     : sqlite_list(cfg, out, err, errcap);
}

int aps_backup_verify(const struct aps_config *cfg, struct aps_store *st, struct aps_buf *out,
                      char *err, size_t errcap)
{
    return is_pg(st) ? aps_backup_pg_verify(cfg, out, err, errcap)
                     : sqlite_verify(cfg, out, err, errcap);
}

int aps_backup_prune(const struct aps_config *cfg, struct aps_store *st, int64_t now,
                     int *removed, char *err, size_t errcap)
{
    *removed = 0;
    return is_pg(st) ? aps_backup_pg_prune(cfg, removed, err, errcap)
                     : sqlite_prune(cfg, now, removed, err, errcap);
}

int aps_backup_restore(const struct aps_config *cfg, struct aps_store *st,
                       const struct aps_restore_opts *o, struct aps_restore_result *out, char *err,
                       size_t errcap)
{
    double t0 = aps_time_mono();
    int64_t started = aps_time_now();
    memset(out, 0, sizeof *out);
    bool pg = st ? is_pg(st) : true;
    int rc = pg ? aps_backup_pg_restore(cfg, st, o, out, err, errcap)
                : sqlite_restore(cfg, st, o, out, err, errcap);
    out->seconds = aps_time_mono() - t0;
    /* PostgreSQL restores record themselves (in the restored database when st is not open). */
    if (!rc && !pg)
        rc = aps_backup_record(st, "restore_sqlite", out->source, started, aps_time_now(), 0,
                               true, NULL);
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
