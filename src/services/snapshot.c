/* snapshot.c — anonymised snapshots for staging (see snapshot.h). The table and column lists
 * come from the SQLite side of the copy (the new file on export, the file on load), ordered by
 * their foreign keys so that every referenced table is filled before the tables that reference
 * it (creation order is not enough: a migration may add a reference to a later table with ALTER
 * TABLE); the anonymisation is the table `anon_rules` below. */
#include "services/snapshot.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "store/migrate.h"
#include "store/store.h"

enum anon {
    A_NULL,
    A_EMAIL,
    A_USER_NAME,
    A_UNUSABLE,
    A_ZERO,
    A_ONE,
    A_KEY_NAME,
    A_PREFIX,
    A_KEY_HASH,
    A_BANKROLL_NAME,
    A_SAFE_ID
};

struct anon_rule {
    const char *table, *column;
    enum anon how;
};

/* Every column that can hold personal data, and what a snapshot holds instead. */
static const struct anon_rule anon_rules[] = {
    {"users", "email", A_EMAIL},
    {"users", "name", A_USER_NAME},
    {"users", "password_hash", A_UNUSABLE},
    {"users", "totp_secret", A_NULL},
    {"users", "totp_pending", A_NULL},
    {"users", "totp_enabled", A_ZERO},
    {"users", "totp_last_step", A_ZERO},
    {"users", "failed_logins", A_ZERO},
    {"users", "locked_until", A_ZERO},
    {"api_keys", "name", A_KEY_NAME},
    {"api_keys", "prefix", A_PREFIX},
    {"api_keys", "key_hash", A_KEY_HASH},
    {"api_keys", "revoked", A_ONE},
    {"audit_log", "ip", A_NULL},
    {"audit_log", "user_agent", A_NULL},
    {"audit_log", "request_id", A_NULL},
    {"audit_log", "details", A_NULL},
    {"audit_log", "resource_id", A_SAFE_ID},
    {"bankrolls", "name", A_BANKROLL_NAME},
    {"bets", "notes", A_NULL},
    {"bankroll_transactions", "description", A_NULL},
};

/* Tables a snapshot leaves out: bookkeeping, refresh-token hashes with IPs, pending work. */
static const char *const not_copied[] = {
    "schema_migrations", "sessions", "jobs", "locks", "fences", "schedule_runs", "aps_snapshot"};

struct table {
    char name[64];
    char **cols;
    int ncols, id_col; /* id_col: index of the "id" column, or -1 */
    const struct anon_rule *rule[64];
    char **refs; /* the tables it references by foreign key (itself included) */
    int nrefs;
};

static bool skipped(const char *name)
{
    for (size_t i = 0; i < sizeof not_copied / sizeof not_copied[0]; i++)
        if (!strcmp(not_copied[i], name))
            return true;
    return !strncmp(name, "sqlite_", 7);
}

static void tables_free(struct table *t, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < t[i].ncols; j++)
            aps_free(t[i].cols[j]);
        aps_free(t[i].cols);
        for (int j = 0; j < t[i].nrefs; j++)
            aps_free(t[i].refs[j]);
        aps_free(t[i].refs);
    }
    aps_free(t);
}

static int table_columns(struct aps_conn *sq, struct table *t)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(sq, &st, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", "s",
                               t->name);
    t->id_col = -1;
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (t->ncols == (int)(sizeof t->rule / sizeof t->rule[0])) {
            rc = APS_E_TOOBIG;
            break;
        }
        const char *col = aps_stmt_text(st, 0);
        t->cols = aps_realloc(t->cols, (size_t)(t->ncols + 1) * sizeof *t->cols);
        t->cols[t->ncols] = aps_strdup(col ? col : "");
        t->rule[t->ncols] = NULL;
        for (size_t r = 0; r < sizeof anon_rules / sizeof anon_rules[0]; r++)
            if (!strcmp(anon_rules[r].table, t->name) && col && !strcmp(anon_rules[r].column, col))
                t->rule[t->ncols] = &anon_rules[r];
        if (col && !strcmp(col, "id"))
            t->id_col = t->ncols;
        t->ncols++;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Fills t->refs with the tables t references by foreign key. */
static int table_refs(struct aps_conn *sq, struct table *t)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(sq, &st,
                               "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)", "s",
                               t->name);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        const char *ref = aps_stmt_text(st, 0);
        t->refs = aps_realloc(t->refs, (size_t)(t->nrefs + 1) * sizeof *t->refs);
        t->refs[t->nrefs++] = aps_strdup(ref ? ref : "");
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* True when every table v[i] references, other than itself and the tables not copied, is
 * placed already. */
static bool refs_placed(const struct table *v, int n, int i, const bool *placed)
{
    for (int r = 0; r < v[i].nrefs; r++)
        for (int j = 0; j < n; j++)
            if (j != i && !placed[j] && !strcmp(v[j].name, v[i].refs[r]))
                return false;
    return true;
}

/* Reorders v so that every table comes after the tables it references, keeping creation order
 * where the references allow: each step places the first table (in creation order) whose
 * references are all placed. APS_E_STATE when the references form a cycle. */
static int order_by_refs(struct table *v, int n, char *err, size_t errcap)
{
    struct table *sorted = aps_calloc((size_t)n + 1, sizeof *sorted);
    bool *placed = aps_calloc((size_t)n + 1, sizeof *placed);
    int done = 0, rc = 0;
    while (done < n) {
        int pick = -1;
        for (int i = 0; pick < 0 && i < n; i++)
            if (!placed[i] && refs_placed(v, n, i, placed))
                pick = i;
        if (pick < 0) {
            snprintf(err, errcap, "the foreign keys between the tables form a cycle");
            rc = APS_E_STATE;
            break;
        }
        placed[pick] = true;
        sorted[done++] = v[pick];
    }
    if (!rc)
        memcpy(v, sorted, (size_t)n * sizeof *v);
    aps_free(placed);
    aps_free(sorted);
    return rc;
}

/* The copied tables of the SQLite store behind sq, referenced tables first (order_by_refs),
 * with their columns. The array is the caller's (tables_free); on failure err says why. */
static int list_tables(struct aps_conn *sq, struct table **out, int *n, char *err, size_t errcap)
{
    struct aps_stmt *st = NULL;
    struct table *v = NULL;
    int count = 0;
    int rc = aps_conn_prepare(sq,
                              "SELECT name FROM sqlite_master WHERE type = 'table'"
                              " ORDER BY rowid",
                              &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        const char *name = aps_stmt_text(st, 0);
        if (!name || skipped(name) || strlen(name) >= sizeof v->name)
            continue;
        v = aps_realloc(v, (size_t)(count + 1) * sizeof *v);
        memset(&v[count], 0, sizeof v[count]);
        snprintf(v[count++].name, sizeof v->name, "%s", name);
    }
    aps_stmt_finalize(st);
    for (int i = 0; rc >= 0 && i < count; i++) {
        rc = table_columns(sq, &v[i]);
        if (rc >= 0)
            rc = table_refs(sq, &v[i]);
    }
    if (rc < 0)
        snprintf(err, errcap, "listing tables: %s", aps_conn_errmsg(sq));
    else
        rc = order_by_refs(v, count, err, errcap);
    if (rc < 0) {
        tables_free(v, count);
        return rc;
    }
    *out = v;
    *n = count;
    return 0;
}

/* A resource id worth keeping: a short identifier (ids, flag and setting names), never an
 * e-mail address or free text. */
static bool plain_id(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
            !(s[i] >= '0' && s[i] <= '9') && !strchr("_:.-", s[i]))
            return false;
    return true;
}

/* The snapshot's value for v (the source value, NULL for SQL NULL) under rule; id is the row's
 * id. Returns NULL for SQL NULL, else out or a literal. */
static const char *anonymize(const struct anon_rule *rule, const char *v, const char *id, char *out,
                             size_t cap)
{
    switch (rule->how) {
    case A_NULL: return NULL;
    case A_EMAIL: snprintf(out, cap, "user%s@example.invalid", id); return out;
    case A_USER_NAME: snprintf(out, cap, "User %s", id); return v ? out : NULL;
    case A_UNUSABLE: return "!anonymized";
    case A_ZERO: return "0";
    case A_ONE: return "1";
    case A_KEY_NAME: snprintf(out, cap, "key %s", id); return out;
    case A_PREFIX: return "anon";
    case A_KEY_HASH: snprintf(out, cap, "anonymized-key-%s", id); return out;
    case A_BANKROLL_NAME: snprintf(out, cap, "Bankroll %s", id); return out;
    case A_SAFE_ID: return v && plain_id(v) && !strchr(v, '@') ? v : NULL;
    }
    return NULL;
}

static int copy_table(struct aps_conn *from, struct aps_conn *to, const struct table *t, bool anon,
                      struct aps_snapshot_stats *s)
{
    struct aps_buf sql = {0};
    struct aps_stmt *st = NULL;
    struct aps_copy *cp = NULL;
    const char *vals[64];
    char scratch[64][96];
    aps_buf_puts(&sql, "SELECT ");
    for (int i = 0; i < t->ncols; i++)
        aps_buf_printf(&sql, "%s%s", i ? ", " : "", t->cols[i]);
    aps_buf_printf(&sql, " FROM %s%s", t->name, t->id_col >= 0 ? " ORDER BY id" : "");
    int rc = aps_conn_prepare(from, aps_buf_str(&sql), &st);
    if (!rc)
        rc = aps_conn_copy_begin(to, t->name, (const char *const *)t->cols, t->ncols, &cp);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        const char *id = t->id_col >= 0 ? aps_stmt_text(st, t->id_col) : "";
        for (int i = 0; i < t->ncols; i++) {
            vals[i] = aps_stmt_is_null(st, i) ? NULL : aps_stmt_text(st, i);
            if (anon && t->rule[i]) {
                vals[i] = anonymize(t->rule[i], vals[i], id ? id : "", scratch[i],
                                    sizeof scratch[i]);
                s->anonymized++;
            }
        }
        rc = aps_copy_row(cp, vals);
        s->rows++;
    }
    if (cp) {
        int end = aps_copy_end(cp);
        rc = rc < 0 ? rc : end;
    }
    aps_stmt_finalize(st);
    aps_buf_cleanup(&sql);
    s->tables += rc >= 0;
    return rc < 0 ? rc : 0;
}

static int schema_version(struct aps_conn *c, int64_t *v)
{
    *v = 0;
    int rc = aps_conn_query_int64(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", 0,
                                  NULL, v);
    return rc == APS_E_NOTFOUND ? 0 : rc;
}

/* Empties the tables (the rows migrations may have seeded), referencing tables first, and copies
 * them in, referenced tables first. */
static int copy_all(struct aps_conn *from, struct aps_conn *to, const struct table *t, int n,
                    bool anon, struct aps_snapshot_stats *s, char *err, size_t errcap)
{
    char sql[128];
    int rc = 0;
    for (int i = n - 1; !rc && i >= 0; i--) {
        rc = aps_str_fmt(sql, sizeof sql, "DELETE FROM %s", t[i].name);
        if (!rc)
            rc = aps_conn_exec(to, sql);
    }
    for (int i = 0; !rc && i < n; i++) {
        rc = copy_table(from, to, &t[i], anon, s);
        if (rc)
            snprintf(err, errcap, "copying %s: %s / %s", t[i].name, aps_conn_errmsg(from),
                     aps_conn_errmsg(to));
    }
    return rc;
}

/* The source side of a copy: one consistent, read-only view. */
static int begin_snapshot_read(struct aps_conn *c)
{
    int rc = aps_conn_begin(c);
    if (!rc && aps_conn_kind(c) == APS_DB_POSTGRES)
        rc = aps_conn_exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    return rc;
}

static int write_info(struct aps_conn *to, struct aps_conn *from, int64_t schema)
{
    char sql[512];
    int rc = aps_conn_exec(to, "CREATE TABLE aps_snapshot (key TEXT PRIMARY KEY, value TEXT)");
    if (!rc)
        rc = aps_str_fmt(sql, sizeof sql,
                         "INSERT INTO aps_snapshot (key, value) VALUES ('taken_at', '%lld'),"
                         " ('source', '%s'), ('schema', '%lld'), ('anonymized', '1')",
                         (long long)aps_time_now(),
                         aps_conn_kind(from) == APS_DB_POSTGRES ? "postgresql" : "sqlite",
                         (long long)schema);
    if (!rc)
        rc = aps_conn_exec(to, sql);
    return rc;
}

static void remove_file(const char *path)
{
    char side[1100];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* The directory path is in must exist already: opening a SQLite store creates missing
 * directories, and a snapshot that fails must leave nothing behind. */
static int check_parent_dir(const char *path, char *err, size_t errcap)
{
    char dir[1100];
    struct stat sb;
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir) {
        snprintf(err, errcap, "snapshot path too long");
        return APS_E_TOOBIG;
    }
    if (!dir[0])
        return 0;
    if (stat(dir, &sb)) {
        snprintf(err, errcap, "%s: %s (a snapshot does not create directories)", dir,
                 strerror(errno));
        return APS_E_IO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, errcap, "%s is not a directory", dir);
        return APS_E_IO;
    }
    return 0;
}

static int open_file_store(const char *path, struct aps_store **out, char *err, size_t errcap)
{
    char url[1100];
    if (snprintf(url, sizeof url, "sqlite:///%s", path) >= (int)sizeof url) {
        snprintf(err, errcap, "snapshot path too long");
        return APS_E_TOOBIG;
    }
    struct aps_store_opts o = {.url = url, .pool_size = 1, .pool_timeout = 30.0};
    return aps_store_open(out, &o, err, errcap);
}

/* Ends a copy: commits the target when all went well (else rolls it back), ends the source's
 * read, and releases both connections. Returns rc, or the commit's failure. */
static int end_copy(int rc, struct aps_conn *from, struct aps_conn *to)
{
    if (!rc)
        rc = aps_conn_commit(to);
    if (to && rc)
        aps_conn_rollback(to);
    if (from)
        aps_conn_rollback(from);
    aps_store_release(from);
    aps_store_release(to);
    return rc;
}

int aps_snapshot_export(struct aps_store *src, const char *path, const char *migrations_dir,
                        struct aps_snapshot_stats *stats, char *err, size_t errcap)
{
    struct aps_store *dst = NULL;
    struct aps_conn *from = NULL, *to = NULL;
    struct table *t = NULL;
    int n = 0, applied = 0;
    int64_t vs = 0, vd = 0;
    memset(stats, 0, sizeof *stats);
    err[0] = '\0';
    if (access(path, F_OK) == 0) {
        snprintf(err, errcap, "%s exists; a snapshot never overwrites a file", path);
        return APS_E_EXISTS;
    }
    int rc = check_parent_dir(path, err, errcap);
    if (rc)
        return rc;
    rc = open_file_store(path, &dst, err, errcap);
    if (!rc)
        rc = aps_migrate_up(dst, migrations_dir, NULL, &applied, err, errcap);
    if (!rc && (rc = aps_store_acquire(src, APS_DB_READ, &from)) != 0)
        aps_store_last_error(src, err, errcap);
    if (!rc && (rc = aps_store_acquire(dst, APS_DB_WRITE, &to)) != 0)
        snprintf(err, errcap, "cannot open %s", path);
    if (!rc && !(rc = begin_snapshot_read(from)) && !(rc = schema_version(from, &vs)) &&
        !(rc = schema_version(to, &vd)) && vs != vd) {
        snprintf(err, errcap,
                 "the store is at schema %lld and this build at %lld: run aps migrate"
                 " (or use the matching release)",
                 (long long)vs, (long long)vd);
        rc = APS_E_STATE;
    }
    if (!rc)
        rc = list_tables(to, &t, &n, err, errcap);
    if (!rc && !(rc = aps_conn_begin(to)))
        rc = copy_all(from, to, t, n, true, stats, err, errcap);
    if (!rc && (rc = write_info(to, from, vs)) != 0)
        snprintf(err, errcap, "%s", aps_conn_errmsg(to));
    rc = end_copy(rc, from, to);
    tables_free(t, n);
    aps_store_close(dst);
    if (rc && (!*err))
        snprintf(err, errcap, "snapshot failed: %s", aps_strerror(rc));
    if (rc && rc != APS_E_EXISTS)
        remove_file(path);
    return rc;
}

static int check_target(struct aps_conn *snap, struct aps_conn *to, char *err, size_t errcap)
{
    int64_t anon = 0, vs = 0, vd = 0, users = 0;
    int rc = aps_conn_query_int64(snap,
                                  "SELECT CAST(value AS INTEGER) FROM aps_snapshot"
                                  " WHERE key = 'anonymized'",
                                  0, NULL, &anon);
    if (rc || anon != 1) {
        snprintf(err, errcap, "not an anonymised snapshot of aps snapshot --anonymize");
        return APS_E_PARSE;
    }
    rc = schema_version(snap, &vs);
    if (!rc)
        rc = schema_version(to, &vd);
    if (!rc && vs != vd) {
        snprintf(err, errcap, "the snapshot is at schema %lld and the store at %lld", (long long)vs,
                 (long long)vd);
        return APS_E_STATE;
    }
    if (!rc)
        rc = aps_conn_query_int64(to, "SELECT COUNT(*) FROM users", 0, NULL, &users);
    if (!rc && users) {
        snprintf(err, errcap,
                 "the store already holds %lld user(s): load a snapshot into a"
                 " fresh store only",
                 (long long)users);
        return APS_E_STATE;
    }
    if (rc)
        snprintf(err, errcap, "%s", aps_conn_errmsg(to));
    return rc;
}

/* PostgreSQL: moves each identity sequence past the ids just copied. */
static int bump_sequences(struct aps_conn *to, const struct table *t, int n)
{
    char sql[400];
    int rc = 0;
    for (int i = 0; !rc && i < n; i++) {
        if (t[i].id_col < 0)
            continue;
        rc = aps_str_fmt(sql, sizeof sql,
                         "SELECT setval(pg_get_serial_sequence('%s', 'id'), MAX(id)) FROM %s"
                         " HAVING MAX(id) IS NOT NULL",
                         t[i].name, t[i].name);
        if (!rc)
            rc = aps_conn_exec(to, sql);
    }
    return rc;
}

int aps_snapshot_load(struct aps_store *dst, const char *path, struct aps_snapshot_stats *stats,
                      char *err, size_t errcap)
{
    struct aps_store *snap = NULL;
    struct aps_conn *from = NULL, *to = NULL;
    struct table *t = NULL;
    int n = 0;
    memset(stats, 0, sizeof *stats);
    err[0] = '\0';
    if (access(path, R_OK) != 0) {
        snprintf(err, errcap, "cannot read %s", path);
        return APS_E_IO;
    }
    int rc = open_file_store(path, &snap, err, errcap);
    if (!rc && (rc = aps_store_acquire(snap, APS_DB_READ, &from)) != 0)
        snprintf(err, errcap, "cannot open %s", path);
    if (!rc && (rc = aps_store_acquire(dst, APS_DB_WRITE, &to)) != 0)
        aps_store_last_error(dst, err, errcap);
    if (!rc)
        rc = check_target(from, to, err, errcap);
    if (!rc)
        rc = list_tables(from, &t, &n, err, errcap);
    if (!rc && !(rc = aps_conn_begin(to)) && !(rc = begin_snapshot_read(from)))
        rc = copy_all(from, to, t, n, false, stats, err, errcap);
    if (!rc && aps_conn_kind(to) == APS_DB_POSTGRES && (rc = bump_sequences(to, t, n)) != 0)
        snprintf(err, errcap, "%s", aps_conn_errmsg(to));
    rc = end_copy(rc, from, to);
    tables_free(t, n);
    aps_store_close(snap);
    if (rc && !*err)
        snprintf(err, errcap, "load failed: %s", aps_strerror(rc));
    return rc;
}
