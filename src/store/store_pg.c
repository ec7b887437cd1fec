/* store_pg.c — the PostgreSQL backend of the storage interface (DESIGN §6), for production.
 *
 * SQL arrives with ?N parameters and is rewritten to $N (aps_sql_rewrite_pg_n), then prepared
 * server-side under a name unique to the connection. Prepared statements are kept per pooled
 * connection in a statement cache keyed by the SQL text (STMT_CACHE entries, least recently used
 * evicted with DEALLOCATE), so a statement the connection has seen costs one round trip per run:
 * aps_conn_prepare() of a cached text sends nothing and aps_stmt_finalize() keeps the server's
 * copy. A new connection (the pool replaces a broken one, e.g. after a server restart) starts
 * with an empty cache and prepares again. When the server no longer has a cached statement
 * (SQLSTATE 26000, e.g. after DISCARD ALL) or refuses its plan because the schema changed its
 * result columns ("cached plan must not change result type", 0A000), the statement is prepared
 * again under a new name; outside a transaction the run is retried at once, inside one the error
 * is returned (the transaction is aborted anyway) and the next run prepares afresh.
 *
 * Parameters travel as text. The first aps_stmt_step() after a bind or reset runs the statement
 * with PQexecPrepared; later steps walk the rows of that PGresult. aps_conn_pipeline() runs
 * several bound statements in one round trip with libpq's pipeline mode. Every PGresult's status
 * is checked: SQLSTATE 23505 becomes APS_E_EXISTS, serialization failures, deadlocks and lock
 * timeouts APS_E_BUSY, a lost connection or a server shutting down (SQLSTATE 08xxx, 57P0x)
 * APS_E_IO, anything else APS_E_DB, with the server's message in the conn's errmsg.
 * Bulk loads use COPY … FROM STDIN in text format, sent in chunks of about 256 KiB. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/numfmt.h"
#include "core/str.h"
#include "store/store_backend.h"

#define COPY_CHUNK (256 * 1024)
#define CONNECT_TIMEOUT_S "10"
#define STMT_CACHE 64 /* prepared statements kept per connection */
#define NAME_CAP 24

/* One statement prepared on the server. */
struct pg_prepared {
    char *sql;           /* the text as given (?N): the cache key */
    uint64_t hash;
    char name[NAME_CAP];
    int nparams;
    int users;           /* open aps_stmt handles running it */
    uint64_t used;       /* the connection's tick at its last prepare, for eviction */
    bool replan;         /* the server's copy is gone or stale: prepare again before the next run */
    bool cached;         /* in the connection's cache; else freed by its last user */
};

struct pg_conn {
    PGconn *pg;
    unsigned next_id;    /* for statement names */
    uint64_t tick;
    int ncached;
    struct pg_prepared *cache[STMT_CACHE];
    char (*drop)[NAME_CAP]; /* names to DEALLOCATE once the aborted transaction has ended */
    int ndrop, dropcap;
};

struct pg_stmt {
    struct aps_stmt base;
    struct pg_prepared *p;
    int nparams;
    char **values;     /* nparams text values, NULL = SQL NULL; owned */
    PGresult *res;     /* rows of the current execution */
    PGresult *desc;    /* column description, fetched when asked before running */
    int row, nrows;
    bool executed;
    int failed;        /* the error of the current execution, repeated until reset */
    char *err;         /* its message, put back into the conn's errmsg at each step */
    int64_t changes;
};

struct pg_copy {
    struct aps_copy base;
    struct aps_buf buf;
    int ncols;
    int failed;
};

static PGconn *pg_of(const struct aps_conn *c)
{
    return ((const struct pg_conn *)c->be)->pg;
}

/* Records the error of r (or of the connection when r is NULL), clears r, returns APS_E_*. */
static int fail_result(struct aps_conn *c, PGresult *r, const char *what)
{
    const char *msg = r ? PQresultErrorMessage(r) : "";
    if (!*msg)
        msg = PQerrorMessage(pg_of(c));
    if (!*msg && r)
        msg = PQresStatus(PQresultStatus(r));
    aps_conn_set_error(c, "%s: %s", what, msg);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    int rc = APS_E_DB;
    if (state && strcmp(state, "23505") == 0)
        rc = APS_E_EXISTS;
    else if (state && strcmp(state, "53100") == 0) /* disk_full */
        rc = APS_E_NOSPACE;
    else if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                       strcmp(state, "55P03") == 0))
        rc = APS_E_BUSY;
    else if (PQstatus(pg_of(c)) != CONNECTION_OK ||
             (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0)))
        rc = APS_E_IO; /* the connection is gone or the server is shutting down */
    PQclear(r);
    return rc;
}

/* ---- connections --------------------------------------------------------------------------- */

static void drop_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int run_setting(PGconn *pg, const char *sql, char *err, size_t errcap)
{
    PGresult *r = PQexec(pg, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errcap, "%s: %s", sql, r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
    PQclear(r);
    return ok ? 0 : APS_E_DB;
}

/* A connect_timeout default comes before the URI so that a timeout in the URI wins. */
static int pg_connect(const char *target, unsigned flags, void **be, char *err, size_t errcap)
{
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
    const char *const vals[] = {CONNECT_TIMEOUT_S, "aps", target, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg) {
        snprintf(err, errcap, "out of memory");
        return APS_E_NOMEM;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        snprintf(err, errcap, "%s", PQerrorMessage(pg));
        err[strcspn(err, "\n")] = '\0';
        PQfinish(pg);
        return APS_E_DB;
    }
    PQsetNoticeProcessor(pg, drop_notice, NULL);
    int rc = run_setting(pg, "SET client_min_messages = warning", err, errcap);
    if (!rc && (flags & APS_CONN_READONLY))
        rc = run_setting(pg, "SET default_transaction_read_only = on", err, errcap);
    if (!rc && (flags & APS_CONN_GENERIC_PLANS))
        rc = run_setting(pg, "SET plan_cache_mode = force_generic_plan", err, errcap);
    if (rc) {
        PQfinish(pg);
        return rc;
    }
    struct pg_conn *pc = aps_calloc(1, sizeof *pc);
    pc->pg = pg;
    *be = pc;
    return 0;
}

static void free_prepared(struct pg_prepared *p)
{
    aps_free(p->sql);
    aps_free(p);
}

/* Statements are finalized before their connection goes back to the pool, so every cached
 * entry is unused here. */
static void pg_disconnect(void *be)
{
    struct pg_conn *pc = be;
    if (!pc)
        return;
    for (int i = 0; i < pc->ncached; i++)
        free_prepared(pc->cache[i]);
    aps_free(pc->drop);
    PQfinish(pc->pg);
    aps_free(pc);
}

/* Reads whatever the server sent while the connection sat idle. An idle session gets nothing
 * unasked except a termination notice followed by EOF, and libpq marks the connection bad only
 * when it reads that EOF: so read while the socket stays readable (no waiting). */
static bool pg_healthy(void *be)
{
    struct pg_conn *pc = be;
    for (int i = 0; i < 4 && PQstatus(pc->pg) == CONNECTION_OK && !PQisBusy(pc->pg); i++) {
        struct pollfd pfd = {.fd = PQsocket(pc->pg), .events = POLLIN};
        if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
            break;
        if (!PQconsumeInput(pc->pg))
            return false;
    }
    return PQstatus(pc->pg) == CONNECTION_OK;
}

static bool pg_in_txn(void *be)
{
    PGTransactionStatusType t = PQtransactionStatus(((struct pg_conn *)be)->pg);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* DEALLOCATEs name now, or once the aborted transaction has ended (every command but ROLLBACK
 * fails in it). A name that cannot be dropped stays unused: names are never reused (next_id). */
static void deallocate(struct aps_conn *c, const char *name)
{
    struct pg_conn *pc = c->be;
    if (PQtransactionStatus(pc->pg) == PQTRANS_INERROR) {
        if (pc->ndrop == pc->dropcap) {
            pc->dropcap = pc->dropcap ? 2 * pc->dropcap : 8;
            pc->drop = aps_realloc(pc->drop, (size_t)pc->dropcap * sizeof *pc->drop);
        }
        snprintf(pc->drop[pc->ndrop++], NAME_CAP, "%s", name);
        return;
    }
    if (PQstatus(pc->pg) != CONNECTION_OK)
        return;
    char sql[64];
    if (aps_str_fmt(sql, sizeof sql, "DEALLOCATE %s", name))
        return; /* cannot happen: names are at most NAME_CAP bytes */
    c->round_trips++;
    PQclear(PQexec(pc->pg, sql));
}

static void pg_idle(struct aps_conn *c)
{
    struct pg_conn *pc = c->be;
    int n = pc->ndrop;
    pc->ndrop = 0;
    for (int i = 0; i < n; i++)
        deallocate(c, pc->drop[i]);
}

static int pg_exec(struct aps_conn *c, const char *sql)
{
    c->round_trips++;
    PGresult *r = PQexec(pg_of(c), sql);
    ExecStatusType t = PQresultStatus(r);
    if (r && (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY)) {
        PQclear(r);
        return 0;
    }
    return fail_result(c, r, "exec");
}

static int pg_begin(struct aps_conn *c)
{
    return pg_exec(c, "BEGIN");
}

/* PostgreSQL answers COMMIT of a failed transaction with success and the tag ROLLBACK; that
 * must not look like a commit to the caller. */
static int pg_commit(struct aps_conn *c)
{
    c->round_trips++;
    PGresult *r = PQexec(pg_of(c), "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return fail_result(c, r, "commit");
    bool rolled_back = strcmp(PQcmdStatus(r), "ROLLBACK") == 0;
    PQclear(r);
    if (rolled_back) {
        aps_conn_set_error(c, "commit: the transaction had failed and was rolled back");
        return APS_E_DB;
    }
    return 0;
}

/* ---- statements ---------------------------------------------------------------------------- */

static void clear_run(struct pg_stmt *s)
{
    aps_free(s->err);
    s->err = NULL;
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->nrows = 0;
    s->executed = false;
    s->failed = 0;
}

static uint64_t hash_sql(const char *sql)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* Prepares p's SQL on the server under a new name (dropping the old one when it was stale). */
static int server_prepare(struct aps_conn *c, struct pg_prepared *p)
{
    struct pg_conn *pc = c->be;
    struct aps_buf text = {0};
    int nparams = 0;
    int rc = aps_sql_rewrite_pg_n(p->sql, &text, &nparams);
    if (rc) {
        aps_buf_cleanup(&text);
        aps_conn_set_error(c, "prepare: a '?' without a number or an unterminated quote in SQL");
        return rc;
    }
    if (p->name[0] && p->replan)
        deallocate(c, p->name);
    snprintf(p->name, sizeof p->name, "aps_%u", pc->next_id++);
    c->round_trips++;
    PGresult *r = PQprepare(pc->pg, p->name, aps_buf_str(&text), 0, NULL);
    aps_buf_cleanup(&text);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        p->name[0] = '\0'; /* nothing to drop */
        return fail_result(c, r, "prepare");
    }
    PQclear(r);
    p->nparams = nparams;
    p->replan = false;
    return 0;
}

static struct pg_prepared *cache_find(struct pg_conn *pc, const char *sql, uint64_t h)
{
    for (int i = 0; i < pc->ncached; i++)
        if (pc->cache[i]->hash == h && strcmp(pc->cache[i]->sql, sql) == 0)
            return pc->cache[i];
    return NULL;
}

/* Adds p to the cache, evicting the least recently used idle entry when it is full. When every
 * entry is in use, p stays out of the cache and its last user drops it. */
static void cache_add(struct aps_conn *c, struct pg_prepared *p)
{
    struct pg_conn *pc = c->be;
    int slot = pc->ncached;
    if (slot == STMT_CACHE) {
        slot = -1;
        for (int i = 0; i < pc->ncached; i++)
            if (!pc->cache[i]->users && (slot < 0 || pc->cache[i]->used < pc->cache[slot]->used))
                slot = i;
        if (slot < 0)
            return;
        deallocate(c, pc->cache[slot]->name);
        free_prepared(pc->cache[slot]);
    } else {
        pc->ncached++;
    }
    pc->cache[slot] = p;
    p->cached = true;
}

static int pg_prepare(struct aps_conn *c, const char *sql, struct aps_stmt **out)
{
    struct pg_conn *pc = c->be;
    uint64_t h = hash_sql(sql);
    struct pg_prepared *p = cache_find(pc, sql, h);
    int rc = 0;
    if (!p) {
        p = aps_calloc(1, sizeof *p);
        p->sql = aps_strdup(sql);
        p->hash = h;
        rc = server_prepare(c, p);
        if (rc) {
            free_prepared(p);
            return rc;
        }
        cache_add(c, p);
    } else if (p->replan && PQtransactionStatus(pc->pg) != PQTRANS_INERROR) {
        rc = server_prepare(c, p);
        if (rc)
            return rc;
    }
    p->users++;
    p->used = ++pc->tick;
    struct pg_stmt *s = aps_calloc(1, sizeof *s);
    s->base.conn = c;
    s->p = p;
    clear_run(s);
    s->nparams = p->nparams;
    s->values = aps_calloc((size_t)(p->nparams ? p->nparams : 1), sizeof *s->values);
    *out = &s->base;
    return 0;
}

/* Takes ownership of v (aps_malloc'd or NULL) as parameter idx. */
static int set_param(struct aps_stmt *base, int idx, char *v)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    if (idx < 1 || idx > s->nparams) {
        aps_free(v);
        aps_conn_set_error(base->conn, "bind: parameter %d out of range (statement has %d)", idx,
                           s->nparams);
        return APS_E_RANGE;
    }
    clear_run(s); /* binding starts a new execution, as on SQLite */
    aps_free(s->values[idx - 1]);
    s->values[idx - 1] = v;
    return 0;
}

static int pg_bind_int64(struct aps_stmt *s, int idx, int64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%" PRId64, v);
    return set_param(s, idx, aps_strdup(tmp));
}

static int pg_bind_double(struct aps_stmt *s, int idx, double v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.17g", v); /* 17 digits: the exact double comes back */
    return set_param(s, idx, aps_strdup(tmp));
}

static int pg_bind_text(struct aps_stmt *s, int idx, const char *v)
{
    return set_param(s, idx, v ? aps_strdup(v) : NULL);
}

static int pg_bind_null(struct aps_stmt *s, int idx)
{
    return set_param(s, idx, NULL);
}

static int pg_params(const struct aps_stmt *s)
{
    return ((const struct pg_stmt *)s)->nparams;
}

static int64_t parse_changes(PGresult *r)
{
    int64_t n = 0;
    const char *t = PQcmdTuples(r);
    if (t && *t && aps_parse_int64(t, &n) != 0)
        n = 0;
    return n;
}

/* True for the errors that mean the server's copy of a statement is unusable but preparing it
 * again will do: it is gone (26000) or its plan's result columns changed under it (0A000,
 * "cached plan must not change result type"). */
static bool stale_statement(const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return state && (strcmp(state, "26000") == 0 || strcmp(state, "0A000") == 0);
}

/* Records rc (the conn's errmsg holds its message) as the error of s's current run. */
static int fail_run(struct pg_stmt *s, int rc)
{
    s->executed = true;
    s->failed = rc;
    aps_free(s->err);
    s->err = aps_strdup(s->base.conn->errmsg);
    return rc;
}

/* Takes r, the result of one run of s: rows, a command's row count, or the error. */
static int take_result(struct pg_stmt *s, PGresult *r)
{
    ExecStatusType t = PQresultStatus(r);
    s->executed = true;
    if (r && t == PGRES_TUPLES_OK) {
        s->res = r;
        s->nrows = PQntuples(r);
        s->changes = parse_changes(r); /* INSERT … RETURNING counts its rows */
        return 0;
    }
    if (r && (t == PGRES_COMMAND_OK || t == PGRES_EMPTY_QUERY)) {
        s->changes = parse_changes(r);
        PQclear(r);
        return 0;
    }
    if (stale_statement(r))
        s->p->replan = true;
    return fail_run(s, fail_result(s->base.conn, r, "step"));
}

/* Prepares s's statement again when the server's copy is gone or stale. */
static int ensure_prepared(struct pg_stmt *s)
{
    if (!s->p->replan)
        return 0;
    return server_prepare(s->base.conn, s->p);
}

static PGresult *run_prepared(struct pg_stmt *s)
{
    s->base.conn->round_trips++;
    return PQexecPrepared(pg_of(s->base.conn), s->p->name, s->nparams,
                          (const char *const *)s->values, NULL, NULL, 0);
}

/* Runs s once; a stale prepared statement outside a transaction is prepared again and the run
 * retried (the failed run changed nothing). */
static int execute(struct pg_stmt *s)
{
    struct aps_conn *c = s->base.conn;
    bool outside = PQtransactionStatus(pg_of(c)) == PQTRANS_IDLE;
    int rc = ensure_prepared(s);
    if (rc)
        return fail_run(s, rc);
    PGresult *r = run_prepared(s);
    if (outside && stale_statement(r)) {
        PQclear(r);
        s->p->replan = true;
        rc = ensure_prepared(s);
        if (rc)
            return fail_run(s, rc);
        r = run_prepared(s);
    }
    return take_result(s, r);
}

static int pg_step(struct aps_stmt *base)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    if (s->failed) {
        if (s->err)
            aps_conn_set_error(base->conn, "%s", s->err);
        return s->failed;
    }
    if (!s->executed) {
        int rc = execute(s);
        if (rc)
            return rc;
    }
    if (s->res && s->row + 1 < s->nrows) {
        s->row++;
        return APS_ROW;
    }
    s->row = s->nrows; /* past the end: column readers see no row */
    return APS_DONE;
}

static int pg_reset(struct aps_stmt *base)
{
    clear_run((struct pg_stmt *)base);
    return 0;
}

/* The result that describes the columns: the rows when run, else a description fetched once. */
static const PGresult *shape(const struct aps_stmt *base)
{
    /* the description is a cache filled on first use, so a const statement may still fetch it */
    struct pg_stmt *s = (struct pg_stmt *)(uintptr_t)base;
    if (s->res)
        return s->res;
    if (!s->desc) {
        if (ensure_prepared(s))
            return NULL;
        base->conn->round_trips++;
        PGresult *d = PQdescribePrepared(pg_of(base->conn), s->p->name);
        if (PQresultStatus(d) != PGRES_COMMAND_OK) {
            (void)fail_result(base->conn, d, "describe");
            return NULL;
        }
        s->desc = d;
    }
    return s->desc;
}

static int pg_columns(const struct aps_stmt *s)
{
    const PGresult *r = shape(s);
    return r ? PQnfields(r) : 0;
}

static const char *pg_column_name(const struct aps_stmt *s, int col)
{
    const PGresult *r = shape(s);
    return r && col >= 0 && col < PQnfields(r) ? PQfname(r, col) : NULL;
}

/* The current row's value, or NULL for SQL NULL, no current row or a bad column. */
static const char *value(const struct aps_stmt *base, int col)
{
    const struct pg_stmt *s = (const struct pg_stmt *)base;
    if (!s->res || s->row < 0 || s->row >= s->nrows || col < 0 || col >= PQnfields(s->res))
        return NULL;
    if (PQgetisnull(s->res, s->row, col))
        return NULL;
    return PQgetvalue(s->res, s->row, col);
}

static bool pg_is_null(const struct aps_stmt *s, int col)
{
    return value(s, col) == NULL;
}

/* Text to double like SQLite's column reader: booleans are 1/0, Infinity/NaN and subnormals
 * (which aps_parse_double refuses as out of range) go through strtod, other text is 0. */
static double text_double(const char *v)
{
    double d;
    if (strcmp(v, "t") == 0)
        return 1;
    if (strcmp(v, "f") == 0)
        return 0;
    if (aps_parse_double(v, &d) == 0)
        return d;
    char *end;
    d = strtod(v, &end);
    return end == v ? 0 : d;
}

static int64_t pg_col_int64(const struct aps_stmt *s, int col)
{
    const char *v = value(s, col);
    int64_t n;
    if (!v)
        return 0;
    if (aps_parse_int64(v, &n) == 0)
        return n;
    double d = text_double(v); /* numeric "3.0", booleans */
    if (isfinite(d) && d >= -9.2233720368547758e18 && d < 9.2233720368547758e18)
        return (int64_t)d;
    return 0;
}

static double pg_col_double(const struct aps_stmt *s, int col)
{
    const char *v = value(s, col);
    return v ? text_double(v) : NAN;
}

static const char *pg_text(const struct aps_stmt *s, int col)
{
    return value(s, col);
}

static int64_t pg_changes(const struct aps_stmt *s)
{
    return ((const struct pg_stmt *)s)->changes;
}

/* The server's copy stays prepared for the next statement with the same text (no round trip),
 * unless the cache had no room for it. */
static void pg_finalize(struct aps_stmt *base)
{
    struct pg_stmt *s = (struct pg_stmt *)base;
    clear_run(s);
    PQclear(s->desc);
    for (int i = 0; i < s->nparams; i++)
        aps_free(s->values[i]);
    aps_free(s->values);
    struct pg_prepared *p = s->p;
    if (--p->users == 0 && !p->cached) {
        deallocate(base->conn, p->name);
        free_prepared(p);
    }
    aps_free(s);
}

/* ---- pipeline ------------------------------------------------------------------------------ */

/* Sends every statement not yet run, one Sync, and reads the results in order. A statement the
 * pipeline could not run (aborted by an earlier failure, or stale) while no transaction was open
 * is left unrun: its first step runs it alone. In a transaction the abort is its error. */
static int pg_pipeline(struct aps_conn *c, struct aps_stmt *const *stmts, int n)
{
    PGconn *pg = pg_of(c);
    struct pg_stmt *todo[APS_PIPELINE_MAX];
    int m = 0;
    for (int i = 0; i < n && m < APS_PIPELINE_MAX; i++) {
        struct pg_stmt *s = (struct pg_stmt *)stmts[i];
        if (s->executed || s->failed)
            continue;
        if (s->p->replan && PQtransactionStatus(pg) != PQTRANS_INERROR && ensure_prepared(s))
            continue; /* its step reports the error */
        todo[m++] = s;
    }
    if (m < 2 || PQtransactionStatus(pg) == PQTRANS_INERROR)
        return 0; /* nothing to save: the steps run them */
    bool outside = PQtransactionStatus(pg) == PQTRANS_IDLE;
    if (!PQenterPipelineMode(pg))
        return 0;
    int sent = 0, rc = 0;
    for (; sent < m; sent++) {
        struct pg_stmt *s = todo[sent];
        if (!PQsendQueryPrepared(pg, s->p->name, s->nparams, (const char *const *)s->values, NULL,
                                 NULL, 0))
            break;
    }
    c->round_trips++;
    if (!PQpipelineSync(pg)) {
        aps_conn_set_error(c, "pipeline: %s", PQerrorMessage(pg));
        rc = APS_E_DB;
    }
    for (int i = 0; i < sent && !rc; i++) {
        struct pg_stmt *s = todo[i];
        PGresult *r = PQgetResult(pg);
        for (PGresult *extra = PQgetResult(pg); extra; extra = PQgetResult(pg))
            PQclear(extra); /* a query's results end with NULL */
        bool unrun = PQresultStatus(r) == PGRES_PIPELINE_ABORTED || !r;
        if (outside && (unrun || stale_statement(r))) {
            if (stale_statement(r))
                s->p->replan = true;
            PQclear(r);
            continue; /* left unrun: its step runs it */
        }
        if (unrun) {
            PQclear(r);
            aps_conn_set_error(c, "step: not run: an earlier statement of the pipeline failed");
            (void)fail_run(s, APS_E_DB);
            continue;
        }
        (void)take_result(s, r);
    }
    /* Up to and including the Sync's result; then libpq may leave pipeline mode. */
    for (PGresult *r = PQgetResult(pg); r || PQpipelineStatus(pg) != PQ_PIPELINE_OFF;
         r = PQgetResult(pg)) {
        ExecStatusType t = PQresultStatus(r);
        PQclear(r);
        if (t == PGRES_PIPELINE_SYNC && PQexitPipelineMode(pg))
            break;
        if (!r && PQstatus(pg) != CONNECTION_OK)
            break;
    }
    if (!rc && PQpipelineStatus(pg) != PQ_PIPELINE_OFF) {
        aps_conn_set_error(c, "pipeline: %s", PQerrorMessage(pg));
        rc = APS_E_DB;
    }
    return rc;
}

/* ---- bulk load ----------------------------------------------------------------------------- */

static int pg_copy_begin(struct aps_conn *c, const char *table, const char *const *cols,
                         int ncols, struct aps_copy **out)
{
    struct aps_buf sql = {0};
    aps_buf_printf(&sql, "COPY %s (", table);
    for (int i = 0; i < ncols; i++)
        aps_buf_printf(&sql, "%s%s", i ? ", " : "", cols[i]);
    aps_buf_puts(&sql, ") FROM STDIN");
    c->round_trips++;
    PGresult *r = PQexec(pg_of(c), sql.data);
    aps_buf_cleanup(&sql);
    if (PQresultStatus(r) != PGRES_COPY_IN)
        return fail_result(c, r, "copy");
    PQclear(r);
    struct pg_copy *cp = aps_calloc(1, sizeof *cp);
    cp->base.conn = c;
    cp->ncols = ncols;
    aps_buf_reserve(&cp->buf, COPY_CHUNK + 4096);
    *out = &cp->base;
    return 0;
}

/* COPY text format: backslash, tab, newline and CR are escaped; NULL is \N. */
static void put_field(struct aps_buf *b, const char *v)
{
    if (!v) {
        aps_buf_append(b, "\\N", 2);
        return;
    }
    const char *run = v;
    for (const char *p = v; *p; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n"
                        : *p == '\r' ? "\\r" : NULL;
        if (esc) {
            aps_buf_append(b, run, (size_t)(p - run));
            aps_buf_append(b, esc, 2);
            run = p + 1;
        }
    }
    aps_buf_puts(b, run);
}

static int flush(struct pg_copy *cp)
{
    struct aps_conn *c = cp->base.conn;
    if (cp->buf.len == 0)
        return 0;
    if (PQputCopyData(pg_of(c), cp->buf.data, (int)cp->buf.len) != 1) {
        aps_conn_set_error(c, "copy: %s", PQerrorMessage(pg_of(c)));
        return APS_E_DB;
    }
    aps_buf_reset(&cp->buf);
    return 0;
}

/* Ends a row of the COPY text, sending the buffer once it holds a chunk. */
static int end_row(struct pg_copy *cp)
{
    aps_buf_putc(&cp->buf, '\n');
    if (cp->buf.len >= COPY_CHUNK)
        cp->failed = flush(cp);
    return cp->failed;
}

static int pg_copy_row(struct aps_copy *base, const char *const *vals)
{
    struct pg_copy *cp = (struct pg_copy *)base;
    if (cp->failed)
        return cp->failed;
    for (int i = 0; i < cp->ncols; i++) {
        if (i)
            aps_buf_putc(&cp->buf, '\t');
        put_field(&cp->buf, vals[i]);
    }
    return end_row(cp);
}

/* Numbers are written straight into the COPY text, in the same form aps_fmt_i64 and
 * aps_fmt_double give (which the server reads back exactly). */
static int pg_copy_row_args(struct aps_copy *base, const struct aps_arg *vals)
{
    struct pg_copy *cp = (struct pg_copy *)base;
    if (cp->failed)
        return cp->failed;
    for (int i = 0; i < cp->ncols; i++) {
        const struct aps_arg *a = &vals[i];
        char num[APS_FMT_CAP];
        if (i)
            aps_buf_putc(&cp->buf, '\t');
        if (aps_arg_is_null(a))
            put_field(&cp->buf, NULL);
        else if (a->type == APS_ARG_INT64)
            aps_buf_append(&cp->buf, num, aps_fmt_i64(num, a->v.i));
        else if (a->type == APS_ARG_DOUBLE)
            aps_buf_append(&cp->buf, num, aps_fmt_double(num, a->v.d));
        else
            put_field(&cp->buf, a->v.t);
    }
    return end_row(cp);
}

/* Ends the COPY (aborting it after a failed row) and reads every result it left. */
static int pg_copy_end(struct aps_copy *base)
{
    struct pg_copy *cp = (struct pg_copy *)base;
    struct aps_conn *c = base->conn;
    PGconn *pg = pg_of(c);
    int rc = cp->failed ? cp->failed : flush(cp);
    if (PQputCopyEnd(pg, rc ? "aborted by the client" : NULL) != 1 && !rc) {
        aps_conn_set_error(c, "copy: %s", PQerrorMessage(pg));
        rc = APS_E_DB;
    }
    for (PGresult *r = PQgetResult(pg); r; r = PQgetResult(pg)) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc)
            rc = fail_result(c, r, "copy");
        else
            PQclear(r);
    }
    aps_buf_cleanup(&cp->buf);
    aps_free(cp);
    return rc;
}

const struct aps_store_ops aps_store_pg_ops = {
    .kind = APS_DB_POSTGRES,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .healthy = pg_healthy,
    .in_txn = pg_in_txn,
    .idle = pg_idle,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .prepare = pg_prepare,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .params = pg_params,
    .step = pg_step,
    .reset = pg_reset,
    .columns = pg_columns,
    .column_name = pg_column_name,
    .is_null = pg_is_null,
    .col_int64 = pg_col_int64,
    .col_double = pg_col_double,
    .col_text = pg_text,
    .changes = pg_changes,
    .finalize = pg_finalize,
    .pipeline = pg_pipeline,
    .copy_begin = pg_copy_begin,
    .copy_row = pg_copy_row,
    .copy_row_args = pg_copy_row_args,
    .copy_end = pg_copy_end,
};
