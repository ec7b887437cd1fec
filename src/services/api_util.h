/* api_util.h — what the domain endpoints (api_games.c, api_odds.c, api_predictions.c,
 * api_betting.c, api_admin.c) share: input validation that collects every problem into one
 * VALIDATION_ERROR envelope, a small WHERE-clause builder with typed parameters (SQL written
 * once for both backends), store access with the error answers, and the JSON of the common
 * objects (game, odds quote, prediction).
 *
 * Validation pattern: each aps_api_q_* / aps_api_b_* call checks one field and, when it is bad,
 * turns the response into a 400 VALIDATION_ERROR (the first time) and appends a
 * {field, message} detail. A handler runs all its checks, then returns when aps_api_bad(res).
 * Handlers therefore report every bad field at once. */
#ifndef APS_SERVICES_API_UTIL_H
#define APS_SERVICES_API_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/buf.h"
#include "http/http.h"
#include "store/store.h"

struct aps_app;
struct aps_kelly_params;

#define APS_API_MAX_LIMIT 100
#define APS_API_DEFAULT_LIMIT 50

/* ---- validation --------------------------------------------------------------------------- */

/* Adds a detail to the 400 VALIDATION_ERROR envelope (creating it on the first call). */
void aps_api_invalid(struct aps_http_res *res, const char *field, const char *message);
/* True once any check has failed (the response is a 400). */
bool aps_api_bad(const struct aps_http_res *res);

struct aps_api_page {
    int page;      /* >= 1 */
    int limit;     /* 1..APS_API_MAX_LIMIT */
    int64_t offset;
};
/* Bounds and defaults of the numeric query parameters come from the route's query spec
 * (routes.h): the dispatcher has checked them; these repeat the check for a handler called
 * without the dispatcher and add a detail for a bad value. */
/* page and limit with the spec's defaults (APS_Q_PAGE: 1 and APS_API_DEFAULT_LIMIT). */
void aps_api_q_page(const struct aps_http_req *req, struct aps_http_res *res,
                    struct aps_api_page *pg);
/* A query parameter's text when it fits the route's spec (an enum word, a string within its
 * length, …); NULL when not sent or bad (a detail is added). */
const char *aps_api_q_str(const struct aps_http_req *req, struct aps_http_res *res,
                          const char *name);
/* An integer query parameter; *present false (and *out untouched) when not sent. */
void aps_api_q_int(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                   int64_t *out, bool *present);
/* A number; NAN when not sent. */
void aps_api_q_double(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      double *out);
/* true/false/1/0; *out keeps its default when absent. */
void aps_api_q_bool(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    bool *out);
/* A sport code (enum aps_sport), market, tier or game status; -1 when absent. */
void aps_api_q_sport(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                     int *out);
void aps_api_q_market(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      int *out);
void aps_api_q_tier(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    int *out);
void aps_api_q_status(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      int *out);
/* A calendar date YYYY-MM-DD; out[0] = '\0' when absent. */
void aps_api_q_date(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    char out[11]);
/* date, or date_from/date_to (not both forms; from <= to) into from/to ("" when open). */
void aps_api_q_date_range(const struct aps_http_req *req, struct aps_http_res *res,
                          char from[11], char to[11]);
/* The path parameter `name` as a positive id; 0 (and a 400 detail) when not one. */
int64_t aps_api_path_id(const struct aps_http_req *req, struct aps_http_res *res,
                        const char *name);

/* JSON body fields. required: a missing field is a detail; otherwise *present says. */
bool aps_api_body_object(const struct aps_http_req *req, struct aps_http_res *res);
void aps_api_b_double(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      bool required, double lo, double hi, double *out, bool *present);
void aps_api_b_id(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                  bool required, int64_t *out);
/* A string of 1..maxlen bytes; *out borrowed from req->json; NULL when absent. */
void aps_api_b_str(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                   bool required, size_t maxlen, const char **out);
void aps_api_b_bool(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    bool *out);
/* Odds given as decimal (> 1) or American (|A| >= 100): a number or a string such as "-110" or
 * "+150", read as the body's `name` field. odds_format ("decimal" | "american") forces the
 * reading; without it a string with a sign or a number with |v| >= 100 is American and a number
 * in (1, 100) decimal. *out is the decimal price; NAN when absent. */
void aps_api_b_odds(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    bool required, double *out);
/* A money amount > 0 (at most max_cents) with at most two decimals, as a JSON number, read
 * into integer cents without a lossy step (core/money.h); -1 when absent or refused. */
void aps_api_b_money(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                     bool required, int64_t max_cents, int64_t *out);

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
/* One page of `select` (SELECT and its columns) `from` w ORDER BY `order`, in one statement
 * that also counts every match (COUNT(*) OVER ()): appends row(st) of each row to items and
 * sets *total. Only a page past the end (no rows, offset > 0) costs a second, counting
 * statement. */
int aps_api_page_rows(struct aps_conn *c, const char *select, const char *from,
                      const struct aps_api_where *w, const char *order,
                      const struct aps_api_page *pg, json_t *(*row)(const struct aps_stmt *),
                      json_t *items, int64_t *total) APS_MUST_CHECK;
/* Answers a paginated list on a read connection with aps_api_page_rows. */
int aps_api_list_page(struct aps_http_req *req, struct aps_http_res *res, const char *select,
                      const char *from, const char *order, const struct aps_api_where *w,
                      const struct aps_api_page *pg, json_t *(*row)(const struct aps_stmt *));

/* ---- JSON ---------------------------------------------------------------------------------- */

/* A number, or null when not finite (jansson refuses NaN). */
json_t *aps_api_num(double v);
/* Column col as a number, or null when SQL NULL. */
json_t *aps_api_col_num(const struct aps_stmt *s, int col);
/* An amount of integer cents as a JSON number with at most two decimals (money.h); the column
 * form is null for NULL. */
json_t *aps_api_money(int64_t cents);
json_t *aps_api_col_money(const struct aps_stmt *s, int col);
json_t *aps_api_col_int(const struct aps_stmt *s, int col);
json_t *aps_api_col_str(const struct aps_stmt *s, int col);
/* Column col (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SSZ"; null when NULL (or 0 when
 * zero_is_null: "time not known"). */
json_t *aps_api_col_time(const struct aps_stmt *s, int col, bool zero_is_null);
json_t *aps_api_time(int64_t t);
/* A JSON text column parsed, or its text when it is not JSON; null when NULL. */
json_t *aps_api_col_json(const struct aps_stmt *s, int col);
/* The list envelope of every list answer, {items, total, page, limit}; takes items. */
json_t *aps_api_list(json_t *items, int64_t total, const struct aps_api_page *pg);
/* The envelope of one page of a list built whole in memory (total = its length); takes all. */
json_t *aps_api_list_slice(json_t *all, const struct aps_api_page *pg);
/* "Today" for /games/today and /predictions/today: games starting in [*from, *to). Without the
 * tz query parameter the next 24 hours from now; with tz=UTC or tz=+HH:MM / -HH:MM the calendar
 * day at that UTC offset that contains now (a bad tz is a 400 on "tz"). *window gets the window
 * and its rule as JSON for the response. */
void aps_api_q_today(const struct aps_http_req *req, struct aps_http_res *res, int64_t now,
                     int64_t *from, int64_t *to, json_t **window);

/* The game columns (17) and the joins they need; aps_api_game_json reads them from col0. */
#define APS_API_GAME_COLUMNS                                                                  \
    "g.id, sp.code, g.game_date, g.start_time, g.time_known, g.status, g.home_score,"       \
    " g.away_score, g.neutral, g.playoff, th.id, th.key, th.name, ta.id, ta.key, ta.name,"  \
    " v.name"
#define APS_API_GAME_NCOLS 17
#define APS_API_GAME_JOINS                                                                    \
    " JOIN sports sp ON sp.id = g.sport_id JOIN teams th ON th.id = g.home_team_id"         \
    " JOIN teams ta ON ta.id = g.away_team_id LEFT JOIN venues v ON v.id = g.venue_id"
json_t *aps_api_game_json(const struct aps_stmt *s, int col0);

/* One odds snapshot as the odds endpoints read it (odds JOIN sportsbooks). */
struct aps_api_quote {
    char book[32], book_name[64];
    bool aggregate;
    int market, sel, phase; /* enum values; -1 when the stored word is unknown */
    int64_t recorded_at;    /* 0: the source did not say when */
    double line, price;     /* line NAN when none */
};
json_t *aps_api_quote_json(const struct aps_api_quote *q);
/* {price, american, implied_probability} fields added to obj for a decimal price. */
void aps_api_price_fields(json_t *obj, double dec);

/* (api_odds.c) Every snapshot of a game — one market and/or one book when market >= 0 / book
 * != NULL — ordered by book, market, selection, then time (capture time, then the phase: open,
 * pre, live, close). *out: aps_free. */
int aps_api_quotes_load(struct aps_conn *c, int64_t game_id, int market, const char *book,
                        struct aps_api_quote **out, size_t *n) APS_MUST_CHECK;
/* The same in two steps, so that the read can share a round trip (aps_conn_pipeline): the
 * bound statement, then its rows (the statement is finalized). */
int aps_api_quotes_prepare(struct aps_conn *c, int64_t game_id, int market, const char *book,
                           struct aps_stmt **out) APS_MUST_CHECK;
int aps_api_quotes_read(struct aps_stmt *st, struct aps_api_quote **out,
                        size_t *n) APS_MUST_CHECK;
/* The latest snapshot per book, market and selection, as a JSON array (q in load order). */
json_t *aps_api_quotes_current(const struct aps_api_quote *q, size_t n);
/* Line shopping across the non-aggregate books' current offers: per market and selection the
 * best price (moneyline) or best line (spread, total; higher price on equal lines), with its
 * book. A JSON array; NULL on a malformed stored quote. */
json_t *aps_api_quotes_best(const struct aps_api_quote *q, size_t n);

/* The prediction columns (21) over predictions p LEFT JOIN prediction_results r; the game
 * columns follow at col0 + APS_API_PRED_NCOLS when the query selects them too. */
#define APS_API_PRED_COLUMNS                                                                  \
    "p.id, p.game_id, p.model, p.market, p.selection, p.line, p.price, p.book,"              \
    " p.probability, p.market_probability, p.edge, p.tier, p.stake_fraction, p.locked_at,"   \
    " p.hash, p.prev_hash, p.created_at, r.result, r.profit_loss, r.clv, r.graded_at,"        \
    " p.publication, p.no_bet_reason, (SELECT MIN(p2.id) FROM predictions p2"                \
    " WHERE p2.game_id = p.game_id AND p2.market = p.market AND p2.id > p.id)"
#define APS_API_PRED_NCOLS 24
/* The condition that keeps only the current pick of each game and market (the newest). */
#define APS_API_PRED_CURRENT                                                                  \
    "NOT EXISTS (SELECT 1 FROM predictions p3 WHERE p3.game_id = p.game_id"                  \
    " AND p3.market = p.market AND p3.id > p.id)"
/* The conventions every pick response states: rounding, best price, CLV units. */
json_t *aps_api_pick_conventions(void);
json_t *aps_api_prediction_json(const struct aps_stmt *s, int col0);

/* ---- settings ------------------------------------------------------------------------------ */

/* The run-time override of key from the settings table into out; APS_E_NOTFOUND when none. */
int aps_api_setting_override(struct aps_conn *c, enum aps_setting key, char *out,
                             size_t cap) APS_MUST_CHECK;
/* Betting parameters as of now: the settings table read into the run-time layer
 * (aps_runtime_load), then aps_engine_kelly_params. */
int aps_api_kelly_params(struct aps_conn *c, const struct aps_config *cfg,
                         struct aps_kelly_params *kp) APS_MUST_CHECK;

#endif
