/* store_sqlite.c — the SQLite backend of the storage interface (DESIGN §6), the embedded default.
 *
 * Each connection runs in WAL mode with synchronous=NORMAL, foreign keys on and a 5 s busy
 * timeout; a write transaction starts with BEGIN IMMEDIATE so that two writers queue on the busy
 * handler instead of deadlocking on a read-to-write upgrade. SQLITE_BUSY/LOCKED that outlast the
 * timeout come back as APS_E_BUSY, unique-key violations as APS_E_EXISTS, a full disk as
 * APS_E_NOSPACE (the transaction rolled back, the file intact), anything else as
 * APS_E_DB with sqlite3_errmsg() in the connection's errmsg. ?N parameters are native.
 *
 * Outside a transaction a statement that writes runs to its end at its first step, commit
 * included, and keeps its RETURNING rows for the steps that follow (as libpq holds a result):
 * a failed commit is then that step's error even when the caller reads one row and stops.
 *
 * Each connection keeps its last STMT_CACHE prepared statements keyed by the SQL text: preparing
 * the same text again takes the idle cached statement (reset, bindings cleared) instead of
 * parsing and planning it again, and finalizing one puts it back. A statement in use is never
 * handed out twice (a second prepare of the same text gets a statement of its own); the least
 * recently used idle entry makes room. SQLite re-prepares a cached statement by itself when the
 * schema changes. Closing the connection finalizes them all. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/mem.h"
#include "store/store_backend.h"

#define BUSY_TIMEOUT_MS 5000
#define STMT_CACHE 32

struct sq_cached {
    char *sql;  /* aps_malloc'd copy; NULL for a free entry */
    uint64_t hash;
    sqlite3_stmt *st;
    uint64_t used; /* tick of the last prepare, for eviction */
    bool busy;     /* handed out and not yet finalized */
};

/* The backend handle of one connection (aps_conn.be). */
struct sq_conn {
    sqlite3 *db;
    uint64_t tick;
    struct sq_cached cache[STMT_CACHE];
};

struct sq_stmt {
    struct aps_stmt base;
    sqlite3_stmt *st;
    struct sq_cached *cached; /* the cache entry it came from, or NULL (finalized when done) */
    int64_t changes;
    bool stepped; /* stepped since the last reset: binding must reset first */
    /* A write run whole at its first step (sq_step) hands out the rows it kept: nkept rows of
     * ncols values, row by row in kept; row is the current one (-1 before the first). */
    bool whole;
    sqlite3_value **kept;
    int nkept, ncols, row;
};

struct sq_copy {
    struct aps_copy base;
    sqlite3_stmt *st;
    int ncols;
    int failed; /* first error; later rows and copy_end report it */
};

static sqlite3 *db_of(const struct aps_conn *c)
{
    return ((const struct sq_conn *)c->be)->db;
}

/* Maps a SQLite result code to APS_E_* and records the message. */
static int fail(struct aps_conn *c, int rc, const char *what)
{
    aps_conn_set_error(c, "%s: %s", what, sqlite3_errmsg(db_of(c)));
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return APS_E_BUSY;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return APS_E_EXISTS;
        return APS_E_DB;
    case SQLITE_NOMEM:
        return APS_E_NOMEM;
    case SQLITE_RANGE:
        return APS_E_RANGE;
    case SQLITE_FULL:
        return APS_E_NOSPACE;
    case SQLITE_IOERR: /* a write the file system refused for want of space reads as an I/O error */
        return sqlite3_system_errno(db_of(c)) == ENOSPC ? APS_E_NOSPACE : APS_E_DB;
    default:
        return APS_E_DB;
    }
}

/* ---- connections --------------------------------------------------------------------------- */

static int setup(sqlite3 *db, bool readonly, char *err, size_t errcap)
{
    /* A 64 MiB page cache (per connection) keeps the large odds index in memory during bulk
     * loads; staging tables live in memory. */
    const char *pragmas = readonly ? "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
                                   : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                     " PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
                                     " PRAGMA temp_store=MEMORY;";
    char *msg = NULL;
    int rc = sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        rc = sqlite3_extended_result_codes(db, 1);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, pragmas, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errcap, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return rc == SQLITE_BUSY ? APS_E_BUSY : APS_E_DB;
    }
    return 0;
}

/* Process-wide SQLite settings, made before SQLite initialises (the first open): memory
 * statistics off, so that SQLite's allocations do not take its global statistics mutex and
 * update counters the program never reads (every statement step allocates; a server's threads
 * would otherwise all meet on that one mutex). A process that used SQLite before (another
 * library) keeps SQLite's defaults: sqlite3_config then refuses, harmlessly. */
static pthread_once_t configured = PTHREAD_ONCE_INIT;

static void configure_once(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void configure(void)
{
    pthread_once(&configured, configure_once);
}

/* Opens the file at path only to read it, writing nothing beside it (APS_CONN_INSPECT): with no
 * -wal file beside it, as an immutable file (no locks, and no -wal or -shm file, which even a
 * read-only connection to a WAL-mode file would make and leave behind); with one (a database in
 * use), read-only, so that what its -wal holds is read too. SQLITE_OK or SQLite's error; *db is
 * set either way (sqlite3_close it). */
static int open_inspect(const char *path, sqlite3 **db)
{
    struct aps_buf b = {0};
    struct stat sb;
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
    aps_buf_printf(&b, "%s-wal", path);
    bool in_use = !stat(aps_buf_str(&b), &sb);
    aps_buf_reset(&b);
    if (!in_use) { /* a URI: the path with its %, ? and # escaped, then the parameter */
        aps_buf_puts(&b, path[0] == '/' ? "file://" : "file:");
        for (const char *p = path; *p; p++)
            if (*p == '%' || *p == '?' || *p == '#')
                aps_buf_printf(&b, "%%%02X", (unsigned char)*p);
            else
                aps_buf_putc(&b, *p);
        aps_buf_puts(&b, "?immutable=1");
        flags |= SQLITE_OPEN_URI;
    }
    int rc = sqlite3_open_v2(in_use ? path : aps_buf_str(&b), db, flags, NULL);
    aps_buf_cleanup(&b);
    return rc;
}

/* ":memory:" becomes a named in-memory database (the memdb VFS) shared by every connection of
 * the pool; its name comes from the pool's target string, which lives as long as the store. */
/* Plans are SQLite's own business (a prepared statement keeps its plan): only READONLY counts. */
static int sq_connect(const char *target, unsigned conn_flags, void **be, char *err, size_t errcap)
{
    bool inspect = conn_flags & APS_CONN_INSPECT;
    bool readonly = inspect || (conn_flags & APS_CONN_READONLY);
    char memname[64];
    const char *path = target;
    int flags = SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (strcmp(target, ":memory:") == 0) {
        snprintf(memname, sizeof memname, "file:/aps-memory-%p?vfs=memdb", (const void *)target);
        path = memname;
        flags |= SQLITE_OPEN_URI;
    }
    sqlite3 *db = NULL;
    configure();
    int rc = inspect ? open_inspect(path, &db) : sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errcap, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return APS_E_DB;
    }
    int arc = setup(db, readonly, err, errcap);
    if (arc) {
        sqlite3_close(db);
        return arc;
    }
    struct sq_conn *sc = aps_calloc(1, sizeof *sc);
    sc->db = db;
    *be = sc;
    return 0;
}

static void sq_disconnect(void *be)
{
    /* Statements are finalized before release and the cached ones here, so close cannot be left
     * busy; close_v2 makes a leaked statement a leak rather than a failure. */
    struct sq_conn *sc = be;
    if (!sc)
        return;
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(sc->cache[i].st);
        aps_free(sc->cache[i].sql);
    }
    sqlite3_close_v2(sc->db);
    aps_free(sc);
}

static bool sq_healthy(void *be)
{
    return be != NULL;
}

static bool sq_in_txn(void *be)
{
    return !sqlite3_get_autocommit(((const struct sq_conn *)be)->db);
}

static void sq_idle(struct aps_conn *c)
{
}

static int sq_exec(struct aps_conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db_of(c), sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return 0;
    int err = fail(c, rc, "exec");
    if (msg)
        aps_conn_set_error(c, "exec: %s", msg);
    sqlite3_free(msg);
    return err;
}

static int sq_begin(struct aps_conn *c)
{
    return sq_exec(c, c->intent == APS_DB_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

static int sq_commit(struct aps_conn *c)
{
    return sq_exec(c, "COMMIT");
}

/* ---- statements ---------------------------------------------------------------------------- */

/* SQLite would also take a bare '?', but the project's SQL must run on PostgreSQL too, so the
 * same scanner checks it here: a mistake shows up in the embedded tests, not in production. */
static int check_dialect(struct aps_conn *c, const char *sql)
{
    struct aps_buf scratch = {0};
    int nparams = 0;
    int rc = aps_sql_rewrite_pg_n(sql, &scratch, &nparams);
    aps_buf_cleanup(&scratch);
    if (rc)
        aps_conn_set_error(c, "prepare: a '?' without a number or an unterminated quote in SQL");
    return rc;
}

static uint64_t sql_hash(const char *sql)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return h;
}

/* The idle cached statement of this text, or NULL. */
static struct sq_cached *cache_find(struct sq_conn *sc, const char *sql, uint64_t h)
{
    for (int i = 0; i < STMT_CACHE; i++) {
        struct sq_cached *e = &sc->cache[i];
        if (e->sql && !e->busy && e->hash == h && !strcmp(e->sql, sql))
            return e;
    }
    return NULL;
}

/* An entry to keep a new statement in: a free one, else the least recently used idle one
 * (finalized); NULL when every entry is in use. */
static struct sq_cached *cache_slot(struct sq_conn *sc)
{
    struct sq_cached *victim = NULL;
    for (int i = 0; i < STMT_CACHE; i++) {
        struct sq_cached *e = &sc->cache[i];
        if (!e->sql)
            return e;
        if (!e->busy && (!victim || e->used < victim->used))
            victim = e;
    }
    if (victim) {
        sqlite3_finalize(victim->st);
        aps_free(victim->sql);
        memset(victim, 0, sizeof *victim);
    }
    return victim;
}

static int sq_prepare(struct aps_conn *c, const char *sql, struct aps_stmt **out)
{
    struct sq_conn *sc = c->be;
    uint64_t h = sql_hash(sql);
    struct sq_cached *e = cache_find(sc, sql, h);
    sqlite3_stmt *st = e ? e->st : NULL;
    if (!e) {
        int rc = check_dialect(c, sql);
        if (rc)
            return rc;
        rc = sqlite3_prepare_v2(sc->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
            return fail(c, rc, "prepare");
        if (!st) {
            aps_conn_set_error(c, "prepare: empty statement");
            return APS_E_INVAL;
        }
        e = cache_slot(sc);
        if (e) {
            e->sql = aps_strdup(sql);
            e->hash = h;
            e->st = st;
        }
    }
    if (e) {
        e->busy = true;
        e->used = ++sc->tick;
    }
    struct sq_stmt *s = aps_calloc(1, sizeof *s);
    s->base.conn = c;
    s->st = st;
    s->cached = e;
    s->row = -1;
    *out = &s->base;
    return 0;
}

/* ---- rows of a write run whole ------------------------------------------------------------- */

static void drop_kept(struct sq_stmt *q)
{
    for (int i = 0; i < q->nkept * q->ncols; i++)
        sqlite3_value_free(q->kept[i]);
    aps_free(q->kept);
    q->kept = NULL;
    q->nkept = q->ncols = 0;
    q->row = -1;
    q->whole = false;
}

/* Copies the current row of q's statement into kept. Running out of memory here aborts, as
 * everywhere in the program (core/mem.h): an error could not undo the write, which commits
 * whenever the statement ends. */
static void keep_row(struct sq_stmt *q, int *cap)
{
    if (q->nkept == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        q->kept = aps_realloc(q->kept, (size_t)*cap * (size_t)q->ncols * sizeof *q->kept);
    }
    sqlite3_value **row = q->kept + (size_t)q->nkept * (size_t)q->ncols;
    for (int i = 0; i < q->ncols; i++) {
        row[i] = sqlite3_value_dup(sqlite3_column_value(q->st, i));
        if (!row[i]) {
            fputs("aps: out of memory keeping a row of a write\n", stderr);
            abort();
        }
    }
    q->nkept++;
}

static int next_kept(struct sq_stmt *q)
{
    if (q->row + 1 < q->nkept) {
        q->row++;
        return APS_ROW;
    }
    q->row = q->nkept; /* past the end: column readers see no row */
    return APS_DONE;
}

/* The kept value of the current row's column col, or NULL when there is none. */
static sqlite3_value *kept_value(const struct sq_stmt *q, int col)
{
    if (q->row < 0 || q->row >= q->nkept || col < 0 || col >= q->ncols)
        return NULL;
    return q->kept[(size_t)q->row * (size_t)q->ncols + (size_t)col];
}

/* Runs q, a write outside a transaction, to its end: SQLite commits such a statement when it
 * ends, and a commit that fails (SQLITE_FULL, an I/O error, a deferred foreign key) rolls the
 * write back and is the result of that last step only. Stopped after one RETURNING row, the
 * commit would come at the reset or finalize, whose result nobody reads. The rows (SQLite made
 * every change at the first step and holds them already) are kept and handed out by the steps. */
static int run_whole(struct sq_stmt *q)
{
    int cap = 0;
    q->whole = true;
    q->ncols = sqlite3_column_count(q->st);
    int rc = sqlite3_step(q->st);
    for (; rc == SQLITE_ROW; rc = sqlite3_step(q->st))
        keep_row(q, &cap);
    if (rc != SQLITE_DONE) {
        drop_kept(q);
        return fail(q->base.conn, rc, "step");
    }
    q->changes = sqlite3_changes64(db_of(q->base.conn));
    return next_kept(q);
}

/* Binding after a step resets the statement first (the same as on PostgreSQL); SQLite itself
 * refuses binds until a reset, even after SQLITE_DONE. */
static sqlite3_stmt *for_bind(struct aps_stmt *s)
{
    struct sq_stmt *q = (struct sq_stmt *)s;
    if (q->stepped) {
        sqlite3_reset(q->st);
        drop_kept(q);
        q->stepped = false;
    }
    return q->st;
}

static int bind_result(struct aps_stmt *s, int rc)
{
    return rc == SQLITE_OK ? 0 : fail(s->conn, rc, "bind");
}

static int sq_bind_int64(struct aps_stmt *s, int idx, int64_t v)
{
    return bind_result(s, sqlite3_bind_int64(for_bind(s), idx, v));
}

static int sq_bind_double(struct aps_stmt *s, int idx, double v)
{
    return bind_result(s, sqlite3_bind_double(for_bind(s), idx, v));
}

static int sq_bind_text(struct aps_stmt *s, int idx, const char *v)
{
    sqlite3_stmt *st = for_bind(s);
    int rc = v ? sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
    return bind_result(s, rc);
}

static int sq_bind_null(struct aps_stmt *s, int idx)
{
    return bind_result(s, sqlite3_bind_null(for_bind(s), idx));
}

static int sq_params(const struct aps_stmt *s)
{
    return sqlite3_bind_parameter_count(((const struct sq_stmt *)s)->st);
}

/* Outside a transaction a write runs whole at its first step (run_whole), so that its commit's
 * result is that step's, as on PostgreSQL; the other statements step row by row. */
static int sq_step(struct aps_stmt *s)
{
    struct sq_stmt *q = (struct sq_stmt *)s;
    if (q->whole)
        return next_kept(q);
    q->stepped = true;
    if (!sqlite3_stmt_busy(q->st) && !sqlite3_stmt_readonly(q->st) &&
        sqlite3_get_autocommit(db_of(s->conn)))
        return run_whole(q);
    int rc = sqlite3_step(q->st);
    if (rc == SQLITE_ROW)
        return APS_ROW;
    if (rc == SQLITE_DONE) {
        q->changes = sqlite3_stmt_readonly(q->st) ? 0 : sqlite3_changes64(db_of(s->conn));
        return APS_DONE;
    }
    return fail(s->conn, rc, "step");
}

static int sq_reset(struct aps_stmt *s)
{
    /* sqlite3_reset() repeats the error of the last step, which aps_stmt_step already
     * reported. It commits nothing that could fail: outside a transaction a write has ended at
     * its first step (sq_step). */
    struct sq_stmt *q = (struct sq_stmt *)s;
    sqlite3_reset(q->st);
    drop_kept(q);
    q->stepped = false;
    return 0;
}

static sqlite3_stmt *st_of(const struct aps_stmt *s)
{
    return ((const struct sq_stmt *)s)->st;
}

static int sq_columns(const struct aps_stmt *s)
{
    return sqlite3_column_count(st_of(s));
}

static const char *sq_column_name(const struct aps_stmt *s, int col)
{
    return sqlite3_column_name(st_of(s), col);
}

/* A kept row is read through SQLite's value functions, which convert between types exactly as
 * its column functions do. */
static bool sq_is_null(const struct aps_stmt *s, int col)
{
    const struct sq_stmt *q = (const struct sq_stmt *)s;
    if (q->whole) {
        sqlite3_value *v = kept_value(q, col);
        return !v || sqlite3_value_type(v) == SQLITE_NULL;
    }
    return sqlite3_column_type(st_of(s), col) == SQLITE_NULL;
}

static int64_t sq_int64(const struct aps_stmt *s, int col)
{
    const struct sq_stmt *q = (const struct sq_stmt *)s;
    if (q->whole) {
        sqlite3_value *v = kept_value(q, col);
        return v ? sqlite3_value_int64(v) : 0;
    }
    return sqlite3_column_int64(st_of(s), col);
}

static double sq_double(const struct aps_stmt *s, int col)
{
    if (sq_is_null(s, col))
        return NAN;
    const struct sq_stmt *q = (const struct sq_stmt *)s;
    if (q->whole)
        return sqlite3_value_double(kept_value(q, col));
    return sqlite3_column_double(st_of(s), col);
}

static const char *sq_text(const struct aps_stmt *s, int col)
{
    const struct sq_stmt *q = (const struct sq_stmt *)s;
    if (q->whole) {
        sqlite3_value *v = kept_value(q, col);
        return v ? (const char *)sqlite3_value_text(v) : NULL;
    }
    return (const char *)sqlite3_column_text(st_of(s), col);
}

static int64_t sq_changes(const struct aps_stmt *s)
{
    return ((const struct sq_stmt *)s)->changes;
}

static void sq_finalize(struct aps_stmt *s)
{
    struct sq_stmt *q = (struct sq_stmt *)s;
    drop_kept(q);
    if (q->cached) { /* back to the cache, idle: no lock held, no value kept */
        sqlite3_reset(q->st);
        sqlite3_clear_bindings(q->st);
        q->cached->busy = false;
    } else {
        sqlite3_finalize(q->st); /* returns the last step's error, already reported */
    }
    aps_free(q);
}

/* ---- bulk load ----------------------------------------------------------------------------- */

static int sq_copy_begin(struct aps_conn *c, const char *table, const char *const *cols,
                         int ncols, struct aps_copy **out)
{
    struct aps_buf sql = {0};
    aps_buf_printf(&sql, "INSERT INTO %s (", table);
    for (int i = 0; i < ncols; i++)
        aps_buf_printf(&sql, "%s%s", i ? ", " : "", cols[i]);
    aps_buf_puts(&sql, ") VALUES (");
    for (int i = 0; i < ncols; i++)
        aps_buf_printf(&sql, "%s?%d", i ? ", " : "", i + 1);
    aps_buf_puts(&sql, ")");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db_of(c), sql.data, -1, &st, NULL);
    aps_buf_cleanup(&sql);
    if (rc != SQLITE_OK)
        return fail(c, rc, "copy");
    struct sq_copy *cp = aps_calloc(1, sizeof *cp);
    cp->base.conn = c;
    cp->st = st;
    cp->ncols = ncols;
    *out = &cp->base;
    return 0;
}

/* Runs the copy's INSERT with the values bound (rc: the last bind's result) and readies it for
 * the next row. */
static int sq_copy_step(struct sq_copy *cp, int rc)
{
    if (rc == SQLITE_OK)
        rc = sqlite3_step(cp->st);
    if (rc != SQLITE_DONE)
        cp->failed = fail(cp->base.conn, rc, "copy");
    sqlite3_reset(cp->st);
    sqlite3_clear_bindings(cp->st);
    return cp->failed;
}

static int sq_copy_row(struct aps_copy *base, const char *const *vals)
{
    struct sq_copy *cp = (struct sq_copy *)base;
    if (cp->failed)
        return cp->failed;
    int rc = SQLITE_OK;
    /* SQLITE_STATIC: the values are used by the step below, before this call returns. */
    for (int i = 0; i < cp->ncols && rc == SQLITE_OK; i++)
        rc = vals[i] ? sqlite3_bind_text(cp->st, i + 1, vals[i], -1, SQLITE_STATIC)
                     : sqlite3_bind_null(cp->st, i + 1);
    return sq_copy_step(cp, rc);
}

/* Numbers are bound as numbers: nothing is formatted here or parsed back by SQLite. */
static int sq_copy_row_args(struct aps_copy *base, const struct aps_arg *vals)
{
    struct sq_copy *cp = (struct sq_copy *)base;
    if (cp->failed)
        return cp->failed;
    int rc = SQLITE_OK;
    for (int i = 0; i < cp->ncols && rc == SQLITE_OK; i++) {
        const struct aps_arg *a = &vals[i];
        if (aps_arg_is_null(a))
            rc = sqlite3_bind_null(cp->st, i + 1);
        else if (a->type == APS_ARG_INT64)
            rc = sqlite3_bind_int64(cp->st, i + 1, a->v.i);
        else if (a->type == APS_ARG_DOUBLE)
            rc = sqlite3_bind_double(cp->st, i + 1, a->v.d);
        else
            rc = sqlite3_bind_text(cp->st, i + 1, a->v.t, -1, SQLITE_STATIC);
    }
    return sq_copy_step(cp, rc);
}

static int sq_copy_end(struct aps_copy *base)
{
    struct sq_copy *cp = (struct sq_copy *)base;
    int rc = cp->failed;
    sqlite3_finalize(cp->st);
    aps_free(cp);
    return rc;
}

/* ---- whole-database copies ----------------------------------------------------------------- */

#define COPY_BUSY_TRIES 200
#define COPY_BUSY_SLEEP_MS 50

/* Copies every page between the connection's database and the file at path with SQLite's online
 * backup API: into the file (restore false: the file is created or overwritten) or from the file
 * into the connection's database (restore true). All pages go in one backup step, so the copy is
 * one consistent snapshot; in WAL mode writers on other connections carry on meanwhile, and a
 * restore holds the write lock only while it copies. The file a restore reads is opened as
 * APS_CONN_INSPECT opens it: nothing is written beside it. A lock held by another connection is waited
 * for (COPY_BUSY_TRIES times COPY_BUSY_SLEEP_MS), then APS_E_BUSY. */
static int sq_copy_file(struct aps_conn *c, const char *path, bool restore)
{
    sqlite3 *file = NULL;
    configure();
    int rc = restore ? open_inspect(path, &file)
                     : sqlite3_open_v2(path, &file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                       NULL);
    if (rc != SQLITE_OK) {
        aps_conn_set_error(c, "open %s: %s", path, file ? sqlite3_errmsg(file) : sqlite3_errstr(rc));
        sqlite3_close(file);
        return APS_E_IO;
    }
    sqlite3 *dst = restore ? db_of(c) : file, *src = restore ? file : db_of(c);
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        aps_conn_set_error(c, "backup of %s: %s", path, sqlite3_errmsg(dst));
        sqlite3_close(file);
        return APS_E_DB;
    }
    for (int i = 0; i < COPY_BUSY_TRIES; i++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(COPY_BUSY_SLEEP_MS);
    }
    int frc = sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE)
        rc = frc;
    int err = 0;
    if (rc != SQLITE_OK) {
        aps_conn_set_error(c, "backup of %s: %s", path, sqlite3_errstr(rc));
        err = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? APS_E_BUSY : APS_E_DB;
    }
    if (sqlite3_close(file) != SQLITE_OK && !err) {
        aps_conn_set_error(c, "close %s: %s", path, sqlite3_errmsg(file));
        err = APS_E_IO;
    }
    return err;
}

const struct aps_store_ops aps_store_sqlite_ops = {
    .kind = APS_DB_SQLITE,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .healthy = sq_healthy,
    .in_txn = sq_in_txn,
    .idle = sq_idle,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .prepare = sq_prepare,
    .bind_int64 = sq_bind_int64,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_null = sq_bind_null,
    .params = sq_params,
    .step = sq_step,
    .reset = sq_reset,
    .columns = sq_columns,
    .column_name = sq_column_name,
    .is_null = sq_is_null,
    .col_int64 = sq_int64,
    .col_double = sq_double,
    .col_text = sq_text,
    .changes = sq_changes,
    .finalize = sq_finalize,
    .copy_begin = sq_copy_begin,
    .copy_row = sq_copy_row,
    .copy_row_args = sq_copy_row_args,
    .copy_end = sq_copy_end,
    .copy_file = sq_copy_file,
};
