/* migrate.c — numbered schema migrations (DESIGN §6): migrations/NNN_name.sql, applied in
 * version order, each in its own transaction together with its row in schema_migrations, so a
 * file is either wholly applied and recorded or not at all. Running again applies nothing.
 *
 * Concurrency: on PostgreSQL each transaction first takes a transaction-scoped advisory lock, so
 * two processes migrating at once apply each file once; on SQLite the write transaction's
 * BEGIN IMMEDIATE serialises them. Both re-check schema_migrations after locking. The one
 * dialect difference, an auto-increment primary key, is written @ID@ in the files. */
#include "store/migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "store/store.h"

#ifndef APS_MIGRATIONS_DIR
#define APS_MIGRATIONS_DIR "migrations"
#endif

#define MAX_FILE_BYTES (16 * 1024 * 1024)
#define MAX_VERSION 999999999
/* Any fixed number; the advisory lock only has to be the same in every process. */
#define ADVISORY_KEY "7261707301"

struct mig_file {
    int version;
    char name[128]; /* without the number and the .sql */
    char file[300]; /* the file name, for messages */
};

const char *aps_migrate_default_dir(void)
{
    return APS_MIGRATIONS_DIR;
}

/* ---- the directory ------------------------------------------------------------------------- */

/* Parses "NNN_name.sql" into f; false when the name does not have that shape. */
static bool parse_name(const char *fname, struct mig_file *f)
{
    size_t len = strlen(fname), i = 0;
    long v = 0;
    if (len < 4 || strcmp(fname + len - 4, ".sql") != 0)
        return false;
    while (isdigit((unsigned char)fname[i]) && v <= MAX_VERSION)
        v = v * 10 + (fname[i++] - '0');
    if (i == 0 || v < 1 || v > MAX_VERSION || fname[i] != '_')
        return false;
    size_t start = ++i, nlen = len - 4 - start;
    if (nlen == 0 || nlen >= sizeof f->name || len >= sizeof f->file)
        return false;
    for (; i < len - 4; i++) {
        if (!isalnum((unsigned char)fname[i]) && fname[i] != '_' && fname[i] != '-')
            return false;
    }
    f->version = (int)v;
    memcpy(f->name, fname + start, nlen);
    f->name[nlen] = '\0';
    memcpy(f->file, fname, len + 1);
    return true;
}

static int by_version(const void *a, const void *b)
{
    const struct mig_file *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Lists dir's migration files sorted by version into *out (aps_free it). Files that do not end
 * in .sql are ignored; a .sql file with a bad name or a repeated version is an error. */
static int scan_dir(const char *dir, struct mig_file **out, int *n, char *err, size_t errcap)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errcap, "cannot open migrations directory %s: %s", dir, strerror(errno));
        return APS_E_IO;
    }
    struct mig_file *v = NULL;
    int count = 0, cap = 0, rc = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            v = aps_realloc(v, (size_t)cap * sizeof *v);
        }
        if (!parse_name(e->d_name, &v[count])) {
            snprintf(err, errcap, "bad migration file name '%s' in %s (want NNN_name.sql)",
                     e->d_name, dir);
            rc = APS_E_PARSE;
            break;
        }
        count++;
    }
    closedir(d);
    if (!rc && count > 1)
        qsort(v, (size_t)count, sizeof *v, by_version);
    for (int i = 1; i < count && !rc; i++) {
        if (v[i].version == v[i - 1].version) {
            snprintf(err, errcap, "migrations %s and %s in %s share version %d", v[i - 1].file,
                     v[i].file, dir, v[i].version);
            rc = APS_E_EXISTS;
        }
    }
    if (rc) {
        aps_free(v);
        return rc;
    }
    *out = v;
    *n = count;
    return 0;
}

/* Reads path into a NUL-terminated string (aps_free it), with @ID@ expanded for kind. */
static int load_sql(const char *path, enum aps_db_kind kind, char **out, char *err,
                    size_t errcap)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
        return APS_E_IO;
    }
    struct aps_buf raw = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0 && raw.len <= MAX_FILE_BYTES)
        aps_buf_append(&raw, chunk, got);
    int rc = ferror(fp) ? APS_E_IO : raw.len > MAX_FILE_BYTES ? APS_E_TOOBIG : 0;
    fclose(fp);
    if (rc) {
        snprintf(err, errcap, "cannot read %s: %s", path,
                 rc == APS_E_TOOBIG ? "file over 16 MiB" : "read error");
        aps_buf_cleanup(&raw);
        return rc;
    }
    const char *id = kind == APS_DB_SQLITE ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                           : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
    struct aps_buf sql = {0};
    const char *p = aps_buf_str(&raw);
    for (const char *hit = strstr(p, "@ID@"); hit; hit = strstr(p, "@ID@")) {
        aps_buf_append(&sql, p, (size_t)(hit - p));
        aps_buf_puts(&sql, id);
        p = hit + 4;
    }
    aps_buf_puts(&sql, p);
    aps_buf_cleanup(&raw);
    *out = aps_buf_steal(&sql);
    return 0;
}

/* ---- applying ------------------------------------------------------------------------------ */

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/* Opens the transaction for one file: BEGIN (IMMEDIATE on SQLite, as the conn is a write one),
 * the advisory lock on PostgreSQL, and the bookkeeping table. */
static int open_txn(struct aps_conn *c)
{
    int rc = aps_conn_begin(c);
    if (!rc && aps_conn_kind(c) == APS_DB_POSTGRES)
        rc = aps_conn_exec(c, "SELECT pg_advisory_xact_lock(" ADVISORY_KEY ")");
    if (!rc)
        rc = aps_conn_exec(c, create_table_sql);
    return rc;
}

static int is_applied(struct aps_conn *c, int version, bool *yes)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[] = {v};
    int64_t n = 0;
    int rc = aps_conn_query_int64(c, "SELECT count(*) FROM schema_migrations WHERE version = ?1",
                                  1, params, &n);
    *yes = n > 0;
    return rc;
}

static int record(struct aps_conn *c, const struct mig_file *f)
{
    struct aps_stmt *s = NULL;
    int rc = aps_conn_prepare(
        c, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)", &s);
    if (!rc)
        rc = aps_stmt_bind_int64(s, 1, f->version);
    if (!rc)
        rc = aps_stmt_bind_text(s, 2, f->name);
    if (!rc)
        rc = aps_stmt_bind_int64(s, 3, aps_time_now());
    if (!rc)
        rc = aps_stmt_step(s);
    aps_stmt_finalize(s);
    return rc;
}

/* Applies f unless it is already recorded; *did tells which. */
static int apply_one(struct aps_conn *c, const char *dir, const struct mig_file *f, bool *did,
                     char *err, size_t errcap)
{
    char path[4096];
    char *sql = NULL;
    bool done = false;
    *did = false;
    int rc = open_txn(c);
    if (!rc)
        rc = is_applied(c, f->version, &done);
    if (!rc && !done) {
        snprintf(path, sizeof path, "%s/%s", dir, f->file);
        rc = load_sql(path, aps_conn_kind(c), &sql, err, errcap);
        if (rc) {
            aps_free(sql);
            (void)aps_conn_rollback(c);
            return rc;
        }
        rc = aps_conn_exec(c, sql);
        if (!rc)
            rc = record(c, f);
        *did = rc == 0;
    }
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc) {
        snprintf(err, errcap, "migration %s failed: %s", f->file, aps_conn_errmsg(c));
        (void)aps_conn_rollback(c);
        *did = false;
    }
    aps_free(sql);
    return rc;
}

int aps_migrate_up(struct aps_store *st, const char *dir, FILE *log, int *applied, char *err,
                   size_t errcap)
{
    struct mig_file *files = NULL;
    struct aps_conn *c = NULL;
    int n = 0;
    *applied = 0;
    if (!dir)
        dir = aps_migrate_default_dir();
    int rc = scan_dir(dir, &files, &n, err, errcap);
    if (rc)
        return rc;
    rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (rc) {
        aps_store_last_error(st, err, errcap);
        goto out;
    }
    for (int i = 0; i < n && !rc; i++) {
        bool did = false;
        rc = apply_one(c, dir, &files[i], &did, err, errcap);
        if (did) {
            (*applied)++;
            if (log)
                fprintf(log, "applied migration %s\n", files[i].file);
        }
    }
out:
    aps_store_release(c);
    aps_free(files);
    return rc;
}

/* ---- status -------------------------------------------------------------------------------- */

static int table_exists(struct aps_conn *c, bool *yes)
{
    /* The dialect difference lives here: SQLite's catalogue vs PostgreSQL's search path. */
    const char *sql = aps_conn_kind(c) == APS_DB_SQLITE
                          ? "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                            " AND name = 'schema_migrations'"
                          : "SELECT count(*) FROM (SELECT to_regclass('schema_migrations') AS t) x"
                            " WHERE t IS NOT NULL";
    int64_t n = 0;
    int rc = aps_conn_query_int64(c, sql, 0, NULL, &n);
    *yes = n > 0;
    return rc;
}

/* Adds (or marks) version in the status list *v of *n entries (capacity *cap). */
static void mark(struct aps_migration_status **v, int *n, int *cap, int version,
                 const char *name, int applied)
{
    for (int i = 0; i < *n; i++) {
        if ((*v)[i].version == version) {
            (*v)[i].applied |= applied;
            return;
        }
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = aps_realloc(*v, (size_t)*cap * sizeof **v);
    }
    struct aps_migration_status *m = &(*v)[(*n)++];
    memset(m, 0, sizeof *m);
    m->version = version;
    snprintf(m->name, sizeof m->name, "%s", name ? name : "");
    m->applied = applied;
}

static int read_applied(struct aps_conn *c, struct aps_migration_status **v, int *n, int *cap)
{
    struct aps_stmt *s = NULL;
    int rc = aps_conn_prepare(c, "SELECT version, name FROM schema_migrations ORDER BY version",
                              &s);
    while (!rc) {
        rc = aps_stmt_step(s);
        if (rc != APS_ROW)
            break;
        mark(v, n, cap, (int)aps_stmt_int64(s, 0), aps_stmt_text(s, 1), 1);
        rc = 0;
    }
    aps_stmt_finalize(s);
    return rc;
}

static int by_status_version(const void *a, const void *b)
{
    const struct aps_migration_status *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Recorded versions with no file (applied by a newer release) are listed too, applied. */
int aps_migrate_status(struct aps_store *st, const char *dir, struct aps_migration_status **out,
                       int *n, char *err, size_t errcap)
{
    struct mig_file *files = NULL;
    struct aps_migration_status *v = NULL;
    struct aps_conn *c = NULL;
    int nfiles = 0, count = 0, cap = 0;
    bool exists = false;
    *out = NULL;
    *n = 0;
    int rc = scan_dir(dir ? dir : aps_migrate_default_dir(), &files, &nfiles, err, errcap);
    if (rc)
        return rc;
    for (int i = 0; i < nfiles; i++)
        mark(&v, &count, &cap, files[i].version, files[i].name, 0);
    rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (rc) {
        aps_store_last_error(st, err, errcap);
        goto out;
    }
    rc = table_exists(c, &exists);
    if (!rc && exists)
        rc = read_applied(c, &v, &count, &cap);
    if (rc)
        snprintf(err, errcap, "reading schema_migrations: %s", aps_conn_errmsg(c));
out:
    aps_store_release(c);
    aps_free(files);
    if (rc) {
        aps_free(v);
        return rc;
    }
    if (count > 1)
        qsort(v, (size_t)count, sizeof *v, by_status_version);
    *out = v;
    *n = count;
    return 0;
}
