/* store.h — the one storage interface (DESIGN §6), with a SQLite and a PostgreSQL backend chosen
 * by the URL: sqlite:///path (or sqlite://relative/path), postgresql://…, postgres://…, and the
 * seed's postgresql+asyncpg://… form.
 *
 * Objects:
 *   struct aps_store — a pool of connections to the primary (and, when given, the read replica).
 *                      Thread-safe. Sized by pool_size + pool_overflow; acquiring waits up to
 *                      pool_timeout seconds, then fails with APS_E_TIMEOUT.
 *   struct aps_conn  — one connection checked out of the pool; used by one thread at a time.
 *   struct aps_stmt  — a prepared statement on one connection; finalize before releasing the conn.
 *
 * SQL is written once, with ?1, ?2 … numbered parameters; the PostgreSQL backend rewrites them to
 * $1, $2 … (aps_sql_rewrite_pg). Values travel as text on PostgreSQL and natively on SQLite;
 * column readers convert. Every function returns 0 or a negative APS_E_*; the detail is in
 * aps_conn_errmsg(). */
#ifndef APS_STORE_STORE_H
#define APS_STORE_STORE_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_buf;
struct aps_config;
struct aps_store;
struct aps_conn;
struct aps_stmt;
struct aps_copy;

enum aps_db_kind { APS_DB_SQLITE, APS_DB_POSTGRES };
/* READ may be served by the replica when one is configured; WRITE (and a user's
 * read-after-write) always goes to the primary. */
enum aps_db_intent { APS_DB_WRITE, APS_DB_READ };

/* aps_stmt_step() results */
#define APS_DONE 0
#define APS_ROW 1

struct aps_store_opts {
    const char *url;         /* DATABASE_URL */
    const char *replica_url; /* DATABASE_REPLICA_URL; NULL or "" for none */
    int pool_size;           /* connections kept open (>= 1) */
    int pool_overflow;       /* extra connections opened under load, closed when released */
    double pool_timeout;     /* seconds to wait for a free connection */
    /* PostgreSQL: plan each prepared statement once for all parameter values
     * (plan_cache_mode = force_generic_plan) instead of once per run. For short indexed reads
     * served many times a second, where planning the joins costs more than running them;
     * `aps api` sets it (services/app.h APS_APP_SERVING); batch commands and the worker do not. */
    bool generic_plans;
    /* SQLite: a file that does not exist is refused (APS_E_NOTFOUND, err names it) instead of
     * created, with its folders: for the commands that read or derive from a store, where a
     * mistyped path would otherwise answer from a new, empty one. */
    bool existing;
};

struct aps_store_stats {
    int open;   /* connections open now (primary + replica) */
    int in_use; /* checked out now */
    int max;    /* pool_size + pool_overflow, per target */
    uint64_t acquired_total, timeouts_total;
    uint64_t round_trips_total; /* requests sent and waited for (PostgreSQL; 0 on SQLite),
                                   counted when connections are released */
};

/* Opens the pool (connecting one primary connection to check the URL). On failure *out is NULL
 * and err holds one line (with any password in the URL masked). */
int aps_store_open(struct aps_store **out, const struct aps_store_opts *o, char *err,
                   size_t errcap) APS_MUST_CHECK;
/* Opens the SQLite file at path only to read it, writing nothing beside it — for checking a
 * backup copy, whose folder must hold the copies alone: one connection, read-only and immutable
 * (no locks, and no -wal or -shm file made next to it) when no -wal file is beside it; a file
 * that has one (a database in use) is read with it, read-only. */
int aps_store_open_inspect(struct aps_store **out, const char *path, char *err,
                           size_t errcap) APS_MUST_CHECK;
/* The same, from DATABASE_URL, DATABASE_REPLICA_URL and DATABASE_POOL_* settings; flags are
 * APS_STORE_GENERIC_PLANS and APS_STORE_EXISTING (the options' generic_plans and existing). */
enum { APS_STORE_GENERIC_PLANS = 1, APS_STORE_EXISTING = 2 };
int aps_store_open_config(struct aps_store **out, const struct aps_config *cfg, unsigned flags,
                          char *err, size_t errcap) APS_MUST_CHECK;
void aps_store_close(struct aps_store *st);
/* Moves the pools to new URLs (new credentials at a configuration reload) without dropping
 * in-flight work: a connection with the new URL is opened first (on failure nothing changes and
 * err says why); idle connections are closed, checked-out ones finish and are closed when
 * released, new ones use the new URL. A URL equal to the current one changes nothing. The kind
 * of database, and whether there is a replica, cannot change (APS_E_CONFIG). */
int aps_store_switch(struct aps_store *st, const char *url, const char *replica_url, char *err,
                     size_t errcap) APS_MUST_CHECK;
enum aps_db_kind aps_store_kind(const struct aps_store *st);
/* The database file a sqlite:// URL names, copied into out: APS_E_UNSUPPORTED for PostgreSQL and
 * for an in-memory database, APS_E_CONFIG for a malformed URL, APS_E_TOOBIG when out is too
 * small. */
int aps_store_sqlite_file(const char *url, char *out, size_t cap) APS_MUST_CHECK;
bool aps_store_has_replica(const struct aps_store *st);
void aps_store_stats(struct aps_store *st, struct aps_store_stats *out);
/* Copies the reason for the last failed aps_store_acquire() (a timeout, a refused connection,
 * with any password masked) into buf; "" when none. */
void aps_store_last_error(struct aps_store *st, char *buf, size_t cap);

int aps_store_acquire(struct aps_store *st, enum aps_db_intent intent,
                      struct aps_conn **out) APS_MUST_CHECK;
void aps_store_release(struct aps_conn *c);

enum aps_db_kind aps_conn_kind(const struct aps_conn *c);
/* True when this connection goes to the read replica. */
bool aps_conn_is_replica(const struct aps_conn *c);
const char *aps_conn_errmsg(const struct aps_conn *c);
/* Runs SQL with no parameters and no result rows; may hold several ;-separated statements. */
int aps_conn_exec(struct aps_conn *c, const char *sql) APS_MUST_CHECK;
int aps_conn_begin(struct aps_conn *c) APS_MUST_CHECK;
int aps_conn_commit(struct aps_conn *c) APS_MUST_CHECK;
int aps_conn_rollback(struct aps_conn *c); /* safe to call after a failure */

/* Locks that make writers of different processes take turns, held until the end of the
 * transaction that takes them (X-macro: name, PostgreSQL advisory key). Each key only has to be
 * the same in every process and distinct from the others. */
#define APS_STORE_LOCKS(X)                                           \
    X(APS_LOCK_MIGRATE, 7261707301) /* applying schema migrations */ \
    X(APS_LOCK_LOCKIN, 724501)      /* appending at the head of the lock-in chain */

enum aps_store_lock {
#define APS_LOCK_ENUM(name, key) name,
    APS_STORE_LOCKS(APS_LOCK_ENUM)
#undef APS_LOCK_ENUM
        APS_LOCK__COUNT
};

/* The database server's clock in SQL: milliseconds since the epoch as a BIGINT, one value for
 * the whole statement (statement_timestamp(), so that every comparison and stamp in it agrees).
 * For the times that processes on different hosts compare (the job queue's leases and run_at,
 * the leader lock's expiry): one clock for all of them, where each host's own may be off by the
 * skew NTP allows, or jump. PostgreSQL only: SQLite has no server, and every process that opens
 * its file runs on one host, so SQLite statements bind the caller's clock in its place. */
#define APS_SQL_PG_NOW_MS "CAST(floor(extract(epoch FROM statement_timestamp()) * 1000) AS BIGINT)"

/* Takes lock inside the transaction begun on c: on PostgreSQL a transaction-scoped advisory
 * lock; on SQLite nothing more, as its write transactions (BEGIN IMMEDIATE) already take turns.
 * APS_E_INVAL for an unknown lock. */
int aps_conn_lock(struct aps_conn *c, enum aps_store_lock lock) APS_MUST_CHECK;

int aps_conn_prepare(struct aps_conn *c, const char *sql, struct aps_stmt **out) APS_MUST_CHECK;
/* Parameters are 1-based. Text is copied. */
int aps_stmt_bind_int64(struct aps_stmt *s, int idx, int64_t v) APS_MUST_CHECK;
int aps_stmt_bind_double(struct aps_stmt *s, int idx, double v) APS_MUST_CHECK;
int aps_stmt_bind_text(struct aps_stmt *s, int idx, const char *v) APS_MUST_CHECK; /* NULL → NULL */
int aps_stmt_bind_null(struct aps_stmt *s, int idx) APS_MUST_CHECK;
/* APS_ROW when a row is ready, APS_DONE when finished, or a negative APS_E_*. Outside a
 * transaction a statement that writes has run to its end, commit included, when its first step
 * returns, on both backends: a commit that fails (a full disk) is that step's error, and a
 * caller may stop after the first RETURNING row without losing or hiding anything. */
int aps_stmt_step(struct aps_stmt *s) APS_MUST_CHECK;
/* Ready to run again with the same bindings (rebind to change them). */
int aps_stmt_reset(struct aps_stmt *s);
int aps_stmt_columns(const struct aps_stmt *s);
const char *aps_stmt_column_name(const struct aps_stmt *s, int col);
/* Columns are 0-based; the current row only. Text is valid until the next step/reset. */
bool aps_stmt_is_null(const struct aps_stmt *s, int col);
int64_t aps_stmt_int64(const struct aps_stmt *s, int col);
double aps_stmt_double(const struct aps_stmt *s, int col);    /* NAN when NULL */
const char *aps_stmt_text(const struct aps_stmt *s, int col); /* NULL when NULL */
/* Rows changed by the last completed INSERT/UPDATE/DELETE. */
int64_t aps_stmt_changes(const struct aps_stmt *s);
void aps_stmt_finalize(struct aps_stmt *s);

/* Runs up to APS_PIPELINE_MAX bound statements of c that do not depend on each other, in one
 * round trip where the backend can (PostgreSQL: libpq's pipeline mode); afterwards
 * aps_stmt_step() walks each one's rows and returns its error as usual. Statements already run
 * are skipped; on SQLite each runs at its first step, as always. A negative APS_E_* only when
 * the connection failed. */
#define APS_PIPELINE_MAX 16
int aps_conn_pipeline(struct aps_conn *c, struct aps_stmt *const *stmts, int n) APS_MUST_CHECK;

/* One-shot helpers: run sql with the given text parameters (NULL entries are SQL NULL) and return
 * the first column of the first row as int64 (*out untouched and APS_E_NOTFOUND when no row). */
int aps_conn_query_int64(struct aps_conn *c, const char *sql, int nparams,
                         const char *const *params, int64_t *out) APS_MUST_CHECK;

/* ---- typed statements ---------------------------------------------------------------------
 *
 * Parameters and result columns described by a short spec string, one letter per value, in the
 * manner of printf (and of libpq's PQexecParams, hiredis's redisCommand). The spec is checked
 * against the statement: it must give exactly as many parameters as the highest ?N the SQL
 * uses, else APS_E_INVAL with the counts in aps_conn_errmsg(). An unknown letter is APS_E_INVAL.
 * On failure a statement made here is finalized; nothing is left to free.
 *
 * Parameter letters (the C type each one reads from the argument list):
 *   i  int64_t         an integer. Pass int64_t: an int or a long long literal must be cast,
 *                      (int64_t)n, because a varargs list does not convert.
 *   I  const int64_t * an integer read through the pointer; a NULL pointer binds SQL NULL
 *                      (an optional id: `id > 0 ? &id : NULL`)
 *   b  bool            0 or 1 (a bool or an int: both travel as int)
 *   d  double          a real; NaN binds as SQL NULL on both backends (SQLite cannot store it)
 *   s  const char *    text, copied; a NULL pointer binds SQL NULL
 *   S  const char *    text, copied; a NULL pointer or "" binds SQL NULL (optional text fields
 *                      kept in fixed char arrays)
 *   n  (no argument)   SQL NULL
 *
 * Result letters (aps_conn_query_row; the current row's columns left to right):
 *   i  int64_t *       SQL NULL reads as 0
 *   b  bool *          nonzero is true; SQL NULL reads as false
 *   d  double *        SQL NULL reads as NaN
 *   s  char *, size_t  text copied into the buffer of that capacity; SQL NULL reads as "";
 *                      text that does not fit is APS_E_TOOBIG (an id or hash cut short is a
 *                      different id)
 *   m  char **         a copy the caller aps_free()s; SQL NULL reads as NULL
 *   -  (no argument)   the column is skipped
 */
#define APS_STMT_SPEC_MAX 64 /* result letters in one aps_conn_query_row() */

/* Binds every parameter of s, from ?1 on, as spec describes. */
int aps_stmt_bindf(struct aps_stmt *s, const char *spec, ...) APS_MUST_CHECK;
/* aps_conn_prepare() then aps_stmt_bindf(): *out is the bound statement (finalize it), or NULL
 * on failure. */
int aps_conn_preparef(struct aps_conn *c, struct aps_stmt **out, const char *sql, const char *spec,
                      ...) APS_MUST_CHECK;
/* aps_conn_preparef() with the parameters in a va_list, for helpers that take a spec of their
 * own (as vprintf is to printf). */
int aps_conn_vpreparef(struct aps_conn *c, struct aps_stmt **out, const char *sql, const char *spec,
                       va_list ap) APS_MUST_CHECK;
/* Runs one statement to its end with spec's parameters; result rows (RETURNING) are ignored. */
int aps_conn_execf(struct aps_conn *c, const char *sql, const char *spec, ...) APS_MUST_CHECK;
/* aps_conn_execf() that also sets *changes to the rows the statement changed. */
int aps_conn_changef(struct aps_conn *c, int64_t *changes, const char *sql, const char *spec,
                     ...) APS_MUST_CHECK;
/* Runs sql and reads the first row: after out_spec come its output pointers, then the parameter
 * spec (a const char *) and its parameters:
 *     aps_conn_query_row(c, "SELECT id, name FROM users WHERE email = ?1 AND role = ?2",
 *                        "is", &id, name, sizeof name, "ss", email, role);
 * One result letter per column of the row (APS_E_INVAL otherwise). 0 with the outputs written;
 * APS_E_NOTFOUND when there is no row. On any failure the outputs are untouched. Rows after the
 * first are not read; a write outside a transaction has committed when it returns 0, and a
 * commit that failed is its error (aps_stmt_step). */
int aps_conn_query_row(struct aps_conn *c, const char *sql, const char *out_spec,
                       ...) APS_MUST_CHECK;

/* One parameter as a value, for SQL assembled at run time (a WHERE clause built from optional
 * filters) where a spec string cannot be written down in advance. Text is borrowed until bound. */
enum aps_arg_type { APS_ARG_NULL, APS_ARG_INT64, APS_ARG_DOUBLE, APS_ARG_TEXT };
struct aps_arg {
    enum aps_arg_type type;
    union {
        int64_t i;
        double d;
        const char *t;
    } v;
};
#define APS_ARG_I64(x) ((struct aps_arg){.type = APS_ARG_INT64, .v.i = (x)})
#define APS_ARG_DBL(x) ((struct aps_arg){.type = APS_ARG_DOUBLE, .v.d = (x)})
#define APS_ARG_TXT(x) ((struct aps_arg){.type = APS_ARG_TEXT, .v.t = (x)})
#define APS_ARG_NONE ((struct aps_arg){.type = APS_ARG_NULL})
/* True when a stands for SQL NULL: APS_ARG_NULL, a NULL text or a NaN double. */
static inline bool aps_arg_is_null(const struct aps_arg *a)
{
    return a->type == APS_ARG_NULL || (a->type == APS_ARG_TEXT && !a->v.t) ||
           (a->type == APS_ARG_DOUBLE && isnan(a->v.d));
}
/* Binds args[0..n) as parameters first, first + 1, …; the same NULL rules as the letters i, d
 * and s. Unlike aps_stmt_bindf it binds a run of the parameters, not necessarily all of them
 * (the rest, a LIMIT and OFFSET say, are bound after). */
int aps_stmt_bind_args(struct aps_stmt *s, int first, const struct aps_arg *args,
                       int n) APS_MUST_CHECK;

/* Bulk load of rows into a table: COPY … FROM STDIN on PostgreSQL, a prepared INSERT on SQLite.
 * Values are text (NULL entry = SQL NULL). Must run inside a transaction. aps_copy_end() finishes
 * and frees (also on error). */
int aps_conn_copy_begin(struct aps_conn *c, const char *table, const char *const *cols, int ncols,
                        struct aps_copy **out) APS_MUST_CHECK;
int aps_copy_row(struct aps_copy *cp, const char *const *vals) APS_MUST_CHECK;
/* aps_copy_row() with typed values, one per column: APS_ARG_NULL, a NULL text and a NaN double
 * are SQL NULL. SQLite binds numbers as they are; PostgreSQL writes them into the COPY text as
 * aps_fmt_i64 and aps_fmt_double do. A caller holding numbers formats nothing itself. */
int aps_copy_row_args(struct aps_copy *cp, const struct aps_arg *vals) APS_MUST_CHECK;
int aps_copy_end(struct aps_copy *cp) APS_MUST_CHECK;

/* Whole-database copy of an embedded store: aps_conn_backup_file() writes a consistent snapshot of
 * the database into the file at path (created or overwritten) while other connections keep
 * writing; aps_conn_restore_file() replaces the database's contents with the file's. SQLite only:
 * APS_E_UNSUPPORTED on PostgreSQL, whose backups are pgBackRest's (store/backup.h). */
int aps_conn_backup_file(struct aps_conn *c, const char *path) APS_MUST_CHECK;
int aps_conn_restore_file(struct aps_conn *c, const char *path) APS_MUST_CHECK;

/* Rewrites ?N placeholders to $N, leaving quoted literals, quoted identifiers and comments
 * alone. APS_E_PARSE for a bare '?' or an unterminated quote. */
int aps_sql_rewrite_pg(const char *sql, struct aps_buf *out) APS_MUST_CHECK;

#endif
