/* api_util.c — store access for the domain endpoints: connections and the error answers, the
 * WHERE builder, paginated lists and audit rows (see api_util.h). */
#include "services/api_util.h"

#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "http/auth.h"
#include "services/api_json.h"
#include "services/api_server.h"
#include "services/app.h"
#include "services/audit.h"
#include "services/runtime.h"

/* ---- store access -------------------------------------------------------------------------- */

int aps_api_acquire(const struct aps_http_req *req, struct aps_http_res *res,
                    enum aps_db_intent intent, struct aps_conn **out)
{
    const struct aps_app *app = req->app;
    *out = NULL;
    int rc = app && app->store ? aps_store_acquire(app->store, intent, out) : APS_E_STATE;
    if (rc)
        aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the database is not available");
    return rc;
}

int aps_api_db_error(struct aps_http_res *res, int rc)
{
    snprintf(res->cause, sizeof res->cause, "store: %s (%d)", aps_strerror(rc), rc);
    if (rc == APS_E_TIMEOUT || rc == APS_E_BUSY)
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the database is busy");
    if (rc == APS_E_NOSPACE)
        return aps_http_error(res, 507, "STORAGE_FULL",
                              "the database's disk is full; nothing was written");
    if (rc == APS_E_IO) /* the connection broke under the query: an outage, not a bug */
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the database is not available");
    return aps_http_error(res, 500, "INTERNAL_ERROR", "database error");
}

int aps_api_not_found(struct aps_http_res *res, const char *what)
{
    char msg[128];
    snprintf(msg, sizeof msg, "%s not found", what);
    return aps_http_error(res, 404, "NOT_FOUND", msg);
}

/* ---- WHERE builder ------------------------------------------------------------------------- */

/* Appends cond with its '?' numbered; the index of its parameter, or -1 when it has none. */
static int where_add(struct aps_api_where *w, const char *cond, bool has_param)
{
    aps_buf_puts(&w->sql, w->sql.len ? " AND " : " WHERE ");
    const char *q = strchr(cond, '?');
    if (!q || !has_param) {
        aps_buf_puts(&w->sql, cond);
        return -1;
    }
    if (w->n >= APS_API_MAX_PARAMS)
        return -1; /* a programming error: the condition then reads SQL NULL */
    for (const char *p = cond; *p; p++) {
        if (*p == '?')
            aps_buf_printf(&w->sql, "?%d", w->n + 1);
        else
            aps_buf_putc(&w->sql, *p);
    }
    w->p[w->n] = APS_ARG_NONE;
    return w->n++;
}

void aps_api_where_int(struct aps_api_where *w, const char *cond, int64_t v)
{
    int i = where_add(w, cond, true);
    if (i >= 0)
        w->p[i] = APS_ARG_I64(v);
}

void aps_api_where_double(struct aps_api_where *w, const char *cond, double v)
{
    int i = where_add(w, cond, true);
    if (i >= 0)
        w->p[i] = APS_ARG_DBL(v);
}

void aps_api_where_text(struct aps_api_where *w, const char *cond, const char *v)
{
    int i = where_add(w, cond, true);
    if (i >= 0)
        w->p[i] = APS_ARG_TXT(v);
}

void aps_api_where_raw(struct aps_api_where *w, const char *cond)
{
    (void)where_add(w, cond, false);
}

void aps_api_where_cleanup(struct aps_api_where *w)
{
    aps_buf_cleanup(&w->sql);
    w->n = 0;
}

int aps_api_prepare(struct aps_conn *c, const char *sql, const struct aps_api_where *w,
                    struct aps_stmt **out)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_prepare(c, sql, &st);
    if (!rc && w)
        rc = aps_stmt_bind_args(st, 1, w->p, w->n);
    if (rc) {
        aps_stmt_finalize(st);
        return rc;
    }
    *out = st;
    return 0;
}

int aps_api_count(struct aps_conn *c, const char *from, const struct aps_api_where *w,
                  int64_t *out)
{
    struct aps_buf sql = {0};
    struct aps_stmt *st = NULL;
    aps_buf_printf(&sql, "SELECT COUNT(*) %s%s", from, aps_buf_str(&w->sql));
    int rc = aps_api_prepare(c, aps_buf_str(&sql), w, &st);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        *out = aps_stmt_int64(st, 0);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_DB;
    }
    aps_stmt_finalize(st);
    aps_buf_cleanup(&sql);
    return rc;
}

/* ---- audit and lists ---------------------------------------------------------------------- */

int aps_api_audit(struct aps_conn *c, const struct aps_http_req *req, const char *action,
                  const char *rtype, const char *rid, bool ok, json_t *details)
{
    struct aps_audit_event e;
    memset(&e, 0, sizeof e);
    aps_audit_from_request(&e, req);
    e.action = action;
    e.resource_type = rtype;
    e.resource_id = rid;
    e.success = ok;
    e.details = details;
    int rc = aps_audit_write(c, &e, aps_time_now());
    json_decref(details);
    return rc;
}

/* ---- the count of a long list, kept a few seconds ---------------------------------------- */

/* A count is kept when it is at least this many rows (a shorter list counts in well under a
 * millisecond, and stays exact) ... */
#define COUNT_KEEP_ROWS 10000
/* ... for this long, or as long as the route keeps its answers when that is shorter: pages of a
 * long list then count it once every few seconds, and its total lags a change by no more. */
#define COUNT_KEEP_SECONDS 10

/* The cache key of a count: the route's tag, so that invalidating the tag (a job that changed
 * games or picks) drops the count with the route's answers, and a SHA-256 of the statement and
 * its parameters (each with its type, texts with their length). 0 and *ttl > 0 (the seconds to
 * keep it) when the route keeps its answers; *ttl 0 otherwise. */
static int count_key(const struct aps_http_req *req, const char *sql, const struct aps_api_where *w,
                     char *key, size_t cap, int *ttl)
{
    const struct aps_app *app = req ? req->app : NULL;
    *ttl = 0;
    if (!app || !app->cache || !req->route || !req->route->pattern)
        return 0;
    int t = aps_api_cache_ttl(app, req->route->cache);
    if (t <= 0)
        return 0;
    if (t > COUNT_KEEP_SECONDS)
        t = COUNT_KEEP_SECONDS;
    struct aps_buf b = {0};
    aps_buf_puts(&b, sql);
    for (int i = 0; i < w->n; i++) {
        const struct aps_arg *a = &w->p[i];
        if (aps_arg_is_null(a))
            aps_buf_puts(&b, "|N");
        else if (a->type == APS_ARG_INT64)
            aps_buf_printf(&b, "|I%lld", (long long)a->v.i);
        else if (a->type == APS_ARG_DOUBLE)
            aps_buf_printf(&b, "|D%.17g", a->v.d);
        else
            aps_buf_printf(&b, "|T%zu:%s", strlen(a->v.t), a->v.t);
    }
    char tag[33], rest[8 + APS_AUTH_SHA256_HEX];
    memcpy(rest, "count:", 7);
    aps_auth_sha256_hex(aps_buf_str(&b), rest + 6);
    aps_buf_cleanup(&b);
    aps_api_cache_tag(req->route->pattern, tag);
    int rc = aps_cache_key(app->cache, tag, rest, key, cap);
    if (!rc)
        *ttl = t;
    return rc;
}

/* The count kept under key, or -1. */
static int64_t kept_count(const struct aps_http_req *req, const char *key)
{
    const struct aps_app *app = req->app;
    char *v = NULL, *end = NULL;
    size_t len = 0;
    if (aps_cache_get(app->cache, key, &v, &len))
        return -1;
    long long n = strtoll(v, &end, 10);
    bool ok = end != v && *end == '\0' && n >= 0;
    aps_free(v);
    return ok ? n : -1;
}

static void keep_count(const struct aps_http_req *req, const char *key, int ttl, int64_t n)
{
    const struct aps_app *app = req->app;
    char num[24];
    int len = snprintf(num, sizeof num, "%lld", (long long)n);
    if (aps_cache_set(app->cache, key, num, (size_t)len, ttl)) /* a bad key: simply not kept */
        return;
}

/* Steps the count statement st (prepared when NULL) into *total. */
static int run_count(struct aps_conn *c, const char *sql, const struct aps_api_where *w,
                     struct aps_stmt **st, int64_t *total)
{
    int rc = *st ? 0 : aps_api_prepare(c, sql, w, st);
    if (!rc)
        rc = aps_stmt_step(*st);
    if (rc == APS_ROW) {
        *total = aps_stmt_int64(*st, 0);
        return 0;
    }
    return rc == APS_DONE ? APS_E_DB : rc;
}

int aps_api_page_rows(const struct aps_http_req *req, struct aps_conn *c,
                      const struct aps_api_list_sql *q, const struct aps_api_where *w,
                      const struct aps_api_page *pg, json_t *(*row)(const struct aps_stmt *),
                      json_t *items, int64_t *total)
{
    struct aps_stmt *st[2] = {NULL, NULL}; /* the page, the count */
    struct aps_buf sql = {0}, count = {0};
    const char *filter_from = q->key ? q->filter_from : q->from;
    /* Without a key, LIMIT and OFFSET are parameters, so every page of a list shares one
     * prepared statement. With a key, the page's keys are found on the filtered tables alone
     * and only those rows are joined to their columns, so that the rows OFFSET skips are not
     * joined; LIMIT is then written into the statement (one statement per page size), because
     * PostgreSQL's generic plan takes a LIMIT parameter to keep a tenth of the table and joins
     * the keys to every row of it. */
    int64_t off = 1;
    if (q->key) {
        aps_buf_printf(&sql,
                       "%s %s WHERE %s IN (SELECT %s %s%s ORDER BY %s LIMIT %d OFFSET ?%d)"
                       " ORDER BY %s",
                       q->select, q->from, q->key, q->key, filter_from, aps_buf_str(&w->sql),
                       q->order, pg->limit, w->n + 1, q->order);
    } else {
        aps_buf_printf(&sql, "%s %s%s ORDER BY %s LIMIT ?%d OFFSET ?%d", q->select, q->from,
                       aps_buf_str(&w->sql), q->order, w->n + 1, w->n + 2);
        off = 0;
    }
    aps_buf_printf(&count, "SELECT COUNT(*) %s%s", filter_from, aps_buf_str(&w->sql));
    /* A count kept from an earlier page spares the statement (on PostgreSQL it would run with
     * the page whether or not it is read). */
    char key[APS_CACHE_MAX_KEY];
    int ttl = 0;
    int64_t kept = -1;
    if (count_key(req, aps_buf_str(&count), w, key, sizeof key, &ttl) == 0 && ttl > 0)
        kept = kept_count(req, key);
    const struct aps_arg limit_offset[] = {APS_ARG_I64(pg->limit), APS_ARG_I64(pg->offset)};
    int rc = aps_api_prepare(c, aps_buf_str(&sql), w, &st[0]);
    if (!rc)
        rc = aps_stmt_bind_args(st[0], w->n + 1, limit_offset + off, 2 - (int)off);
    if (!rc && kept < 0)
        rc = aps_api_prepare(c, aps_buf_str(&count), w, &st[1]);
    /* One round trip for both on PostgreSQL; SQLite runs the count only if it is stepped. */
    if (!rc)
        rc = aps_conn_pipeline(c, st, st[1] ? 2 : 1);
    int64_t rows = 0;
    while (!rc && (rc = aps_stmt_step(st[0])) == APS_ROW) {
        rc = 0;
        rows++;
        json_array_append_new(items, row(st[0]));
    }
    /* A page that is not full is the last: it gives the total, unless it is empty past the
     * start. Otherwise the count says: the one kept, unless the page shows it is out of date,
     * or the statement's, kept when the list is long. */
    if (rc >= 0 && rows > 0 && rows < pg->limit) {
        *total = pg->offset + rows;
    } else if (rc >= 0 && rows == 0 && pg->offset == 0) {
        *total = 0;
    } else if (rc >= 0 && kept >= 0 &&
               (rows > 0 ? kept >= pg->offset + rows : kept <= pg->offset)) {
        *total = kept;
    } else if (rc >= 0) {
        rc = run_count(c, aps_buf_str(&count), w, &st[1], total);
        if (!rc && ttl > 0 && *total >= COUNT_KEEP_ROWS)
            keep_count(req, key, ttl, *total);
    }
    aps_stmt_finalize(st[0]);
    aps_stmt_finalize(st[1]);
    aps_buf_cleanup(&sql);
    aps_buf_cleanup(&count);
    return rc < 0 ? rc : 0;
}

int aps_api_list_page(struct aps_http_req *req, struct aps_http_res *res,
                      enum aps_db_intent intent, const char *select, const char *from,
                      const char *order, const struct aps_api_where *w,
                      const struct aps_api_page *pg, json_t *(*row)(const struct aps_stmt *))
{
    struct aps_conn *c = NULL;
    int64_t total = 0;
    if (aps_api_acquire(req, res, intent, &c))
        return 0;
    json_t *items = json_array();
    const struct aps_api_list_sql q = {.select = select, .from = from, .order = order};
    int rc = aps_api_page_rows(req, c, &q, w, pg, row, items, &total);
    aps_store_release(c);
    if (rc < 0) {
        json_decref(items);
        return aps_api_db_error(res, rc);
    }
    return aps_http_json(res, 200, aps_api_list(items, total, pg));
}
