/* api_valid.h — request validation for the domain endpoints (api_games.c, api_odds.c,
 * api_predictions.c, api_betting.c, api_admin.c, …): query, path and JSON body parameters.
 *
 * Validation pattern: each aps_api_q_* / aps_api_b_* call checks one field and, when it is bad,
 * turns the response into a 400 VALIDATION_ERROR (the first time) and appends a
 * {field, message} detail. A handler runs all its checks, then returns when aps_api_bad(res).
 * Handlers therefore report every bad field at once. */
#ifndef APS_SERVICES_API_VALID_H
#define APS_SERVICES_API_VALID_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

#define APS_API_MAX_LIMIT 100
#define APS_API_DEFAULT_LIMIT 50

/* ---- validation --------------------------------------------------------------------------- */

/* Adds a detail to the 400 VALIDATION_ERROR envelope (creating it on the first call). */
void aps_api_invalid(struct aps_http_res *res, const char *field, const char *message);
/* True once any check has failed (the response is a 400). */
bool aps_api_bad(const struct aps_http_res *res);

struct aps_api_page {
    int page;  /* >= 1 */
    int limit; /* 1..APS_API_MAX_LIMIT */
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
void aps_api_q_date_range(const struct aps_http_req *req, struct aps_http_res *res, char from[11],
                          char to[11]);
/* The path parameter `name` as a positive id; 0 (and a 400 detail) when not one. */
int64_t aps_api_path_id(const struct aps_http_req *req, struct aps_http_res *res, const char *name);

/* JSON body fields. required: a missing field is a detail; otherwise *present says. */
bool aps_api_body_object(const struct aps_http_req *req, struct aps_http_res *res);
void aps_api_b_double(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      bool required, double lo, double hi, double *out, bool *present);
void aps_api_b_id(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                  bool required, int64_t *out);
/* A string of 1..maxlen bytes; *out borrowed from req->json; NULL when absent. */
void aps_api_b_str(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                   bool required, size_t maxlen, const char **out);
/* A calendar date YYYY-MM-DD (a real day); *out borrowed from req->json; NULL when absent. Any
 * other value, a string of another form or another type, is refused naming the form. */
void aps_api_b_date(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    const char **out);
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
/* "Today" for /games/today and /predictions/today: games starting in [*from, *to). Without the
 * tz query parameter the next 24 hours from now; with tz=UTC or tz=+HH:MM / -HH:MM the calendar
 * day at that UTC offset that contains now (a bad tz is a 400 on "tz"). *window gets the window
 * and its rule as JSON for the response. */
void aps_api_q_today(const struct aps_http_req *req, struct aps_http_res *res, int64_t now,
                     int64_t *from, int64_t *to, json_t **window);

#endif
