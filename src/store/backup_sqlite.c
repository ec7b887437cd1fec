/* backup_sqlite.c — the SQLite backend of whole-store backups (backup.h): copies in BACKUP_DIR.
 *
 * Copies are named aps-YYYYMMDDTHHMMSSZ.db after the time (or scheduled slot) they stand for; the
 * name is their age for the retention policy, so a copy moved between machines keeps its age. A
 * copy is written to NAME.tmp, integrity-checked and renamed, so a name that exists is a complete
 * copy. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "store/backup_int.h"
#include "store/store.h"

#define DAY 86400
#define COPY_PREFIX "aps-"
#define COPY_SUFFIX ".db"

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

/* PRAGMA integrity_check of the SQLite file at path, then check (when not NULL) on it. The file
 * is only read, and nothing is written beside it (aps_store_open_inspect): checking a copy leaves
 * BACKUP_DIR holding the copies alone. */
static int check_copy(const char *path, aps_restore_check_fn check, void *arg, char *err,
                      size_t errcap)
{
    struct aps_store *fs = NULL;
    struct aps_conn *c = NULL;
    struct stat sb;
    char why[512] = "";
    if (stat(path, &sb) || !S_ISREG(sb.st_mode)) { /* the store would create an empty file */
        snprintf(err, errcap, "%s: no such backup file", path);
        return APS_E_NOTFOUND;
    }
    int rc = aps_store_open_inspect(&fs, path, why, sizeof why);
    if (!rc)
        rc = aps_store_acquire(fs, APS_DB_READ, &c);
    if (!rc)
        rc = integrity(c, why, sizeof why);
    if (!rc && check)
        rc = check(c, arg, why, sizeof why);
    if (rc)
        snprintf(err, errcap, "%s: %s", path, why);
    if (c)
        aps_store_release(c);
    aps_store_close(fs);
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
    /* the copy holds what the store holds: its owner's alone, like the store */
    if (aps_file_create_private(tmp)) {
        snprintf(err, errcap, "cannot create %s: %s", tmp, strerror(errno));
        rc = APS_E_IO;
    } else if ((rc = aps_conn_backup_file(c, tmp)) != 0) {
        snprintf(err, errcap, "%s", aps_conn_errmsg(c));
    }
    aps_store_release(c);
    if (!rc)
        rc = check_copy(tmp, NULL, NULL, err, errcap);
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
    if (!rc && check_copy(path, NULL, NULL, why, sizeof why)) {
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
        bool ok = !check_copy(path, NULL, NULL, why, sizeof why);
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
        snprintf(err, errcap,
                 "--to %s: want a time such as 2026-12-02T05:40:00Z or 2026-12-02 05:40:00+00",
                 to);
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
                          const struct aps_restore_opts *o, aps_restore_check_fn check, void *arg,
                          struct aps_store_restored *r, char *err, size_t errcap)
{
    struct aps_conn *c = NULL;
    struct stat sb;
    int rc = 0;
    /* These name a new PostgreSQL cluster; ignoring them would copy a backup over this store
     * when the caller meant to restore beside it (the drill) or to pick one backup (--set). */
    if (o->set || o->pg_path || o->port || o->stop) {
        snprintf(err, errcap,
                 "--set, --pg-path, --port and --stop are for a PostgreSQL store; this one is"
                 " SQLite, where a restore replaces its contents: restore a copy with --from"
                 " FILE (aps backup list) or --to TIME, nothing was changed");
        return APS_E_INVAL;
    }
    if (o->from)
        rc = aps_str_copy(r->source, sizeof r->source, o->from);
    else
        rc = sqlite_pick(cfg, o->to, r->source, sizeof r->source, err, errcap);
    const char *name = strrchr(r->source, '/');
    int64_t at = copy_time(name ? name + 1 : r->source);
    r->copy_at = at > 0 ? at : 0;
    r->copy_size = stat(r->source, &sb) ? 0 : sb.st_size;
    /* The copy passes the whole check before it replaces anything: any SQLite file passes the
     * integrity check (an empty one too), and copying one that is not a sound store of this
     * platform would leave the store emptied or damaged when the check after the copy fails. */
    if (!rc && (rc = check_copy(r->source, check, arg, err, errcap))) {
        size_t len = strlen(err);
        snprintf(err + len, errcap - len, "; not restored, the store is unchanged");
    }
    if (!rc)
        rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (!rc && aps_conn_restore_file(c, r->source)) {
        snprintf(err, errcap, "%s", aps_conn_errmsg(c));
        rc = APS_E_IO;
    }
    if (!rc) /* the restored store itself passes the same check as the copy */
        rc = integrity(c, err, errcap);
    if (!rc)
        rc = check(c, arg, err, errcap);
    if (c)
        aps_store_release(c);
    return rc;
}

const struct aps_backup_ops aps_backup_sqlite_ops = {
    .kind = "sqlite",
    .names_slot = true,
    .run = sqlite_run,
    .list = sqlite_list,
    .verify = sqlite_verify,
    .prune = sqlite_prune,
    .restore = sqlite_restore,
};
