/* api_util.h — store access for the domain endpoints (api_games.c, api_odds.c,
 * api_predictions.c, api_betting.c, api_admin.c, …): connections and the error answers, a small
 * WHERE-clause builder with typed parameters (SQL written once for both backends), paginated
 * lists and audit rows. Request validation is in api_valid.h, the JSON
 * of answers in api_json.h. */
#ifndef APS_SERVICES_API_UTIL_H
#define APS_SERVICES_API_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "http/http.h"
#include "services/api_valid.h"
#include "store/store.h"

struct aps_app;

/* ---- store access ------------------------------------------------------------------------- */

/* Acquires a connection; on failure sets 503 SERVICE_UNAVAILABLE and returns the error. */
int aps_api_acquire(const struct aps_http_req *req, struct aps_http_res *res,
                    enum aps_db_intent intent, struct aps_conn **out);
/* Sets the answer for a failed store call: 503 on a timeout, a busy store or a lost connection
 * (APS_E_IO), 507 STORAGE_FULL on a full disk (APS_E_NOSPACE), else 500. Returns 0
 * so a handler can `return aps_api_db_error(res, rc)`. */
int aps_api_db_error(struct aps_http_res *res, int rc);
int aps_api_not_found(struct aps_http_res *res, const char *what);

/* A WHERE clause built from conditions with one '?' each and typed parameters. */
#define APS_API_MAX_PARAMS 24
struct aps_api_where {
    struct aps_buf sql;  /* "" or " WHERE a = ?1 AND b >= ?2" */
    int n;
    struct aps_arg p[APS_API_MAX_PARAMS]; /* text borrowed */
};
/* Every '?' in cond stands for the one parameter given (numbered here); none for raw. */
void aps_api_where_int(struct aps_api_where *w, const char *cond, int64_t v);
void aps_api_where_double(struct aps_api_where *w, const char *cond, double v);
void aps_api_where_text(struct aps_api_where *w, const char *cond, const char *v);
void aps_api_where_raw(struct aps_api_where *w, const char *cond);
void aps_api_where_cleanup(struct aps_api_where *w);
/* Prepares sql (which embeds w->sql where it belongs) and binds w's parameters (a NaN double
 * binds SQL NULL, as everywhere in the store's typed API). */
int aps_api_prepare(struct aps_conn *c, const char *sql, const struct aps_api_where *w,
                    struct aps_stmt **out) APS_MUST_CHECK;
/* Runs "SELECT COUNT(*) <from_where>" with w's parameters. */
int aps_api_count(struct aps_conn *c, const char *from, const struct aps_api_where *w,
                  int64_t *out) APS_MUST_CHECK;

/* Writes one audit row for req inside the caller's transaction (audit.h): actor, ip and request
 * id from req; details is taken (decref'd here) and may be NULL. */
int aps_api_audit(struct aps_conn *c, const struct aps_http_req *req, const char *action,
                  const char *rtype, const char *rid, bool ok, json_t *details) APS_MUST_CHECK;
/* The SQL of a list, without its conditions (an aps_api_where) and its page. */
struct aps_api_list_sql {
    const char *select; /* "SELECT" and the columns of a row */
    const char *from;   /* "FROM" and the joins those columns need */
    const char *order;  /* the ORDER BY terms; with key, on filter_from's tables */
    /* Optional, together: filter_from is "FROM" and the joins that the conditions and the order
     * read (every table they name, and none that only adds columns, such as names through a
     * foreign key that cannot be missing); key, a unique column of its rows that from has too
     * ("g.id"). A page then finds its keys on filter_from and joins only those rows, and a
     * list is counted on filter_from. */
    const char *filter_from;
    const char *key;
};
/* One page of q with the conditions w: appends row(st) of each row to items and sets *total
 * to the number of matches. A page that is not full gives the total itself; a full page, or an
 * empty one past the start, reads it from "SELECT COUNT(*)" of the same conditions, sent with
 * the page in one round trip (aps_conn_pipeline). A count of 10,000 or more is kept in the
 * response cache under req's route's tag for 10 s, or as long as the route keeps its answers
 * (its CACHE_TTL_*) when that is shorter, so that the pages of a long list count it once every
 * few seconds; req may be NULL (nothing kept). */
int aps_api_page_rows(const struct aps_http_req *req, struct aps_conn *c,
                      const struct aps_api_list_sql *q, const struct aps_api_where *w,
                      const struct aps_api_page *pg, json_t *(*row)(const struct aps_stmt *),
                      json_t *items, int64_t *total) APS_MUST_CHECK;
/* Answers a paginated list with aps_api_page_rows on a connection for intent: APS_DB_READ (the
 * replica when there is one), or APS_DB_WRITE for the caller's own rows that it may have just
 * written (a replica can lag behind). */
int aps_api_list_page(struct aps_http_req *req, struct aps_http_res *res,
                      enum aps_db_intent intent, const char *select, const char *from,
                      const char *order, const struct aps_api_where *w,
                      const struct aps_api_page *pg, json_t *(*row)(const struct aps_stmt *));

#endif
