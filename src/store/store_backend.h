/* store_backend.h — what store.c (the pool and the thin dispatch) and the backend files
 * (store_sqlite.c, store_pg.c) share. Not a public header: only src/store/ includes it.
 *
 * A backend is one `struct aps_store_ops` method table. store.c owns struct aps_conn and the
 * pool; a backend hangs its native handle on aps_conn.be and writes failures into
 * aps_conn.errmsg. Statements and copies start with the common header below, which a backend
 * embeds as the first member of its own struct (so a pointer to one is a pointer to the other). */
#ifndef APS_STORE_BACKEND_H
#define APS_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct aps_buf;
struct aps_store_ops;

#define APS_CONN_READONLY 1u
#define APS_CONN_GENERIC_PLANS 2u
#define APS_CONN_INSPECT 4u /* read only, write nothing beside the file (aps_store_open_inspect) */

/* One checked-out or idle connection. Owned by its pool (store.c). */
struct aps_conn {
    const struct aps_store_ops *ops;
    struct aps_pool *pool;     /* the pool it returns to */
    void *be;                  /* backend handle (sqlite3 *, PGconn * wrapper) */
    enum aps_db_intent intent; /* set at every acquire */
    bool replica;
    uint64_t round_trips;      /* to the server since the last release (remote backends) */
    uint64_t gen;              /* the pool's URL generation it was opened with (store.c) */
    char errmsg[1024];
};

/* Common head of every backend statement and copy. */
struct aps_stmt {
    struct aps_conn *conn;
};
struct aps_copy {
    struct aps_conn *conn;
};

/* The backend method table. Every int function returns 0 or a negative APS_E_* and, on failure,
 * leaves one line in conn->errmsg. */
struct aps_store_ops {
    enum aps_db_kind kind;
    /* Opens a connection to target (the backend form of the URL: a path or a libpq URI).
     * flags: APS_CONN_READONLY for replica targets, APS_CONN_GENERIC_PLANS from the store's
     * options, APS_CONN_INSPECT for a store opened with aps_store_open_inspect(). On failure writes one line into err. */
    int (*connect)(const char *target, unsigned flags, void **be, char *err, size_t errcap);
    void (*disconnect)(void *be);
    /* False when the connection is broken and must be replaced. */
    bool (*healthy)(void *be);
    /* True when a transaction is open (or aborted and not yet rolled back). */
    bool (*in_txn)(void *be);
    /* Called by the pool when a connection goes idle; cleans per-session leftovers. */
    void (*idle)(struct aps_conn *c);

    int (*exec)(struct aps_conn *c, const char *sql);
    int (*begin)(struct aps_conn *c);
    int (*commit)(struct aps_conn *c);

    int (*prepare)(struct aps_conn *c, const char *sql, struct aps_stmt **out);
    int (*bind_int64)(struct aps_stmt *s, int idx, int64_t v);
    int (*bind_double)(struct aps_stmt *s, int idx, double v);
    int (*bind_text)(struct aps_stmt *s, int idx, const char *v);
    int (*bind_null)(struct aps_stmt *s, int idx);
    /* The highest ?N in the statement's SQL (SQLite's and the rewriter's count agree). */
    int (*params)(const struct aps_stmt *s);
    int (*step)(struct aps_stmt *s);
    int (*reset)(struct aps_stmt *s);
    int (*columns)(const struct aps_stmt *s);
    const char *(*column_name)(const struct aps_stmt *s, int col);
    bool (*is_null)(const struct aps_stmt *s, int col);
    int64_t (*col_int64)(const struct aps_stmt *s, int col);
    double (*col_double)(const struct aps_stmt *s, int col);
    const char *(*col_text)(const struct aps_stmt *s, int col);
    int64_t (*changes)(const struct aps_stmt *s);
    void (*finalize)(struct aps_stmt *s);
    /* Runs the statements in one round trip; NULL when each runs at its first step anyway. */
    int (*pipeline)(struct aps_conn *c, struct aps_stmt *const *stmts, int n);

    int (*copy_begin)(struct aps_conn *c, const char *table, const char *const *cols, int ncols,
                      struct aps_copy **out);
    int (*copy_row)(struct aps_copy *cp, const char *const *vals);
    int (*copy_row_args)(struct aps_copy *cp, const struct aps_arg *vals);
    int (*copy_end)(struct aps_copy *cp);

    /* Copies the whole database into the file at path, or (restore) from it; NULL when the
     * backend has no such copy (PostgreSQL: pgBackRest does its backups). */
    int (*copy_file)(struct aps_conn *c, const char *path, bool restore);
};

extern const struct aps_store_ops aps_store_sqlite_ops;
extern const struct aps_store_ops aps_store_pg_ops;

/* Writes a printf-style message into c->errmsg (truncating if it must). */
void aps_conn_set_error(struct aps_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* aps_sql_rewrite_pg() that also reports the highest parameter number seen (0 for none). */
int aps_sql_rewrite_pg_n(const char *sql, struct aps_buf *out, int *max_param) APS_MUST_CHECK;

/* True when s is a safe SQL identifier for copy: letters, digits, '_' and '.' (schema.table),
 * not starting with a digit. Table and column names are spliced into SQL, so they are checked. */
bool aps_sql_ident_ok(const char *s);

#endif
