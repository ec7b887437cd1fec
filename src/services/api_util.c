/* api_util.c — validation, WHERE building, store access and the JSON of the common objects for
 * the domain endpoints (see api_util.h). */
#include "services/api_util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/domain.h"
#include "core/money.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/elo_store.h"
#include "odds/benchmark.h"
#include "odds/convert.h"
#include "odds/kelly.h"
#include "odds/tier.h"
#include "services/app.h"
#include "services/audit.h"
#include "services/runtime.h"

/* ---- validation ---------------------------------------------------------------------------- */

void aps_api_invalid(struct aps_http_res *res, const char *field, const char *message)
{
    if (res->status != 400)
        aps_http_error(res, 400, "VALIDATION_ERROR", "invalid request");
    aps_http_error_field(res, field, message);
}

bool aps_api_bad(const struct aps_http_res *res)
{
    return res->status == 400;
}

/* The value sent for name when it fits the route's declared parameter (routes.h): the
 * dispatcher has checked it already, this repeats the check for handlers called directly. */
const char *aps_api_q_str(const struct aps_http_req *req, struct aps_http_res *res,
                          const char *name)
{
    const char *s = aps_http_query(req, name);
    struct aps_qparam p;
    char msg[400];
    if (!s)
        return NULL;
    if (!aps_http_qparam(req->route, name, &p)) {
        aps_api_invalid(res, name, "this operation takes no such query parameter");
        return NULL;
    }
    if (!aps_http_qvalue_ok(&p, s, msg, sizeof msg)) {
        aps_api_invalid(res, name, msg);
        return NULL;
    }
    return s;
}

void aps_api_q_int(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                   int64_t *out, bool *present)
{
    int64_t v;
    *present = false;
    if (aps_api_q_str(req, res, name) && aps_http_qint(req, name, &v)) {
        *out = v;
        *present = true;
    }
}

void aps_api_q_page(const struct aps_http_req *req, struct aps_http_res *res,
                    struct aps_api_page *pg)
{
    int64_t v;
    pg->page = 1;
    pg->limit = APS_API_DEFAULT_LIMIT;
    aps_api_q_str(req, res, "page");
    aps_api_q_str(req, res, "limit");
    if (!aps_api_bad(res) && aps_http_qint(req, "page", &v))
        pg->page = (int)v;
    if (!aps_api_bad(res) && aps_http_qint(req, "limit", &v))
        pg->limit = (int)v;
    pg->offset = (int64_t)(pg->page - 1) * pg->limit;
}

void aps_api_q_double(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      double *out)
{
    double v;
    *out = NAN;
    if (aps_api_q_str(req, res, name) && aps_http_qnum(req, name, &v))
        *out = v;
}

void aps_api_q_bool(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    bool *out)
{
    const char *s = aps_http_query(req, name);
    if (s && aps_parse_bool(s, out))
        aps_api_invalid(res, name, "must be true or false");
}

void aps_api_q_sport(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                     int *out)
{
    const char *s = aps_http_query(req, name);
    *out = -1;
    if (!s)
        return;
    *out = aps_sport_from_code(s);
    if (*out < 0)
        aps_api_invalid(res, name, "unknown sport code (NFL, NBA, MLB, NHL, EPL, ATP, ...)");
}

void aps_api_q_market(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      int *out)
{
    const char *s = aps_http_query(req, name);
    *out = -1;
    if (!s)
        return;
    *out = aps_market_parse(s);
    if (*out < 0)
        aps_api_invalid(res, name, "must be moneyline, spread or total");
}

void aps_api_q_tier(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    int *out)
{
    const char *s = aps_http_query(req, name);
    *out = -1;
    if (!s)
        return;
    *out = strlen(s) == 1 ? aps_tier_parse(s) : -1;
    if (*out < 0)
        aps_api_invalid(res, name, "must be A, B, C or D");
}

void aps_api_q_status(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      int *out)
{
    const char *s = aps_http_query(req, name);
    *out = -1;
    if (!s)
        return;
    *out = aps_status_parse(s);
    if (*out < 0)
        aps_api_invalid(res, name,
                        "must be scheduled, in_progress, final, postponed or cancelled");
}

static bool valid_date(const char *s)
{
    int64_t t;
    return s && strlen(s) == 10 && aps_time_parse_iso(s, &t) == 0;
}

void aps_api_q_date(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    char out[11])
{
    const char *s = aps_http_query(req, name);
    out[0] = '\0';
    if (!s)
        return;
    if (!valid_date(s)) {
        aps_api_invalid(res, name, "must be a date YYYY-MM-DD");
        return;
    }
    memcpy(out, s, 11);
}

void aps_api_q_date_range(const struct aps_http_req *req, struct aps_http_res *res,
                          char from[11], char to[11])
{
    char day[11];
    aps_api_q_date(req, res, "date", day);
    aps_api_q_date(req, res, "date_from", from);
    aps_api_q_date(req, res, "date_to", to);
    if (day[0] && (from[0] || to[0])) {
        aps_api_invalid(res, "date", "give date, or date_from/date_to, not both");
        return;
    }
    if (day[0]) {
        memcpy(from, day, 11);
        memcpy(to, day, 11);
    }
    if (from[0] && to[0] && strcmp(from, to) > 0)
        aps_api_invalid(res, "date_from", "must not be after date_to");
}

int64_t aps_api_path_id(const struct aps_http_req *req, struct aps_http_res *res,
                        const char *name)
{
    const char *s = aps_http_param(req, name);
    int64_t v;
    if (!s || aps_parse_int64(s, &v) || v <= 0) {
        aps_api_invalid(res, name, "must be a positive integer id");
        return 0;
    }
    return v;
}

/* ---- body fields --------------------------------------------------------------------------- */

bool aps_api_body_object(const struct aps_http_req *req, struct aps_http_res *res)
{
    if (req->json && json_is_object(req->json))
        return true;
    aps_api_invalid(res, "body", "a JSON object is required");
    return false;
}

/* The body's field name; NULL (with a detail when required) when absent or null. */
static json_t *body_field(const struct aps_http_req *req, struct aps_http_res *res,
                          const char *name, bool required)
{
    json_t *v = req->json && json_is_object(req->json) ? json_object_get(req->json, name) : NULL;
    if (v && json_is_null(v))
        v = NULL;
    if (!v && required)
        aps_api_invalid(res, name, "is required");
    return v;
}

void aps_api_b_double(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      bool required, double lo, double hi, double *out, bool *present)
{
    json_t *v = body_field(req, res, name, required);
    *out = NAN;
    if (present)
        *present = false;
    if (!v)
        return;
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(x) || x < lo || x > hi) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be a number from %g to %g", lo, hi);
        aps_api_invalid(res, name, msg);
        return;
    }
    *out = x;
    if (present)
        *present = true;
}

void aps_api_b_id(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                  bool required, int64_t *out)
{
    json_t *v = body_field(req, res, name, required);
    *out = 0;
    if (!v)
        return;
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        aps_api_invalid(res, name, "must be a positive integer id");
        return;
    }
    *out = json_integer_value(v);
}

void aps_api_b_str(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                   bool required, size_t maxlen, const char **out)
{
    json_t *v = body_field(req, res, name, required);
    *out = NULL;
    if (!v)
        return;
    size_t n = json_is_string(v) ? json_string_length(v) : 0;
    if (!json_is_string(v) || n == 0 || n > maxlen || strlen(json_string_value(v)) != n) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be a string of 1 to %zu characters", maxlen);
        aps_api_invalid(res, name, msg);
        return;
    }
    *out = json_string_value(v);
}

void aps_api_b_bool(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    bool *out)
{
    json_t *v = body_field(req, res, name, false);
    if (!v)
        return;
    if (!json_is_boolean(v)) {
        aps_api_invalid(res, name, "must be true or false");
        return;
    }
    *out = json_is_true(v);
}

/* The odds value as a number and whether it carried an explicit sign ("+150", "-110"). */
static int odds_number(json_t *v, double *x, bool *signed_text)
{
    *signed_text = false;
    if (json_is_number(v)) {
        *x = json_number_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return APS_E_PARSE;
    const char *s = json_string_value(v);
    *signed_text = s[0] == '+' || s[0] == '-';
    return aps_parse_double(s[0] == '+' ? s + 1 : s, x);
}

void aps_api_b_odds(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    bool required, double *out)
{
    const char *fmt = NULL;
    aps_api_b_str(req, res, "odds_format", false, 16, &fmt);
    json_t *v = body_field(req, res, name, required);
    *out = NAN;
    if (fmt && strcmp(fmt, "decimal") && strcmp(fmt, "american")) {
        aps_api_invalid(res, "odds_format", "must be decimal or american");
        return;
    }
    if (!v)
        return;
    double x, dec = NAN;
    bool sign;
    if (odds_number(v, &x, &sign) == 0 && isfinite(x)) {
        bool american = fmt ? !strcmp(fmt, "american") : sign || fabs(x) >= 100;
        if (american ? aps_convert_american_to_decimal(x, &dec) : !aps_convert_decimal_valid(x))
            dec = NAN;
        else if (!american)
            dec = x;
    }
    if (!isfinite(dec)) {
        aps_api_invalid(res, name,
                        "must be decimal odds above 1 (1.91) or American odds with |odds| >= 100 "
                        "(-110, +150)");
        return;
    }
    *out = dec;
}

void aps_api_b_money(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                     bool required, int64_t max_cents, int64_t *out)
{
    json_t *v = body_field(req, res, name, required);
    *out = -1;
    if (!v)
        return;
    /* The number as the client wrote it, in cents: an integer directly, a real through the
     * shortest decimal that reads back as the same double (money.h), never by rounding. */
    int64_t cents = -1;
    int rc = APS_E_PARSE;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        rc = i > APS_MONEY_LIMIT_CENTS / 100 || i < -APS_MONEY_LIMIT_CENTS / 100 ? APS_E_RANGE : 0;
        cents = rc ? -1 : (int64_t)i * 100;
    } else if (json_is_real(v)) {
        rc = aps_money_from_double(json_real_value(v), &cents);
    }
    if (rc == APS_E_RANGE || (!rc && cents > max_cents)) {
        char msg[96], top[32];
        snprintf(msg, sizeof msg, "must be a positive amount of at most %s",
                 aps_money_format(max_cents, top, sizeof top));
        aps_api_invalid(res, name, msg);
    } else if (rc || cents < 1) {
        aps_api_invalid(res, name,
                        "must be a positive amount of at least 0.01 with at most two decimals");
    } else {
        *out = cents;
    }
}

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
    w->p[w->n] = (struct aps_arg){.type = APS_ARG_NULL};
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

/* ---- JSON ---------------------------------------------------------------------------------- */

json_t *aps_api_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *aps_api_col_num(const struct aps_stmt *s, int col)
{
    return aps_stmt_is_null(s, col) ? json_null() : aps_api_num(aps_stmt_double(s, col));
}

json_t *aps_api_money(int64_t cents)
{
    return json_real(aps_money_to_double(cents));
}

json_t *aps_api_col_money(const struct aps_stmt *s, int col)
{
    return aps_stmt_is_null(s, col) ? json_null() : aps_api_money(aps_stmt_int64(s, col));
}

json_t *aps_api_col_int(const struct aps_stmt *s, int col)
{
    return aps_stmt_is_null(s, col) ? json_null() : json_integer(aps_stmt_int64(s, col));
}

json_t *aps_api_col_str(const struct aps_stmt *s, int col)
{
    const char *t = aps_stmt_text(s, col);
    return t ? json_string(t) : json_null();
}

json_t *aps_api_time(int64_t t)
{
    char iso[32];
    aps_time_format_iso(t, iso, sizeof iso);
    return json_string(iso);
}

json_t *aps_api_col_time(const struct aps_stmt *s, int col, bool zero_is_null)
{
    if (aps_stmt_is_null(s, col))
        return json_null();
    int64_t t = aps_stmt_int64(s, col);
    return t == 0 && zero_is_null ? json_null() : aps_api_time(t);
}

json_t *aps_api_col_json(const struct aps_stmt *s, int col)
{
    const char *t = aps_stmt_text(s, col);
    if (!t)
        return json_null();
    json_t *v = json_loads(t, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(t);
}

json_t *aps_api_list(json_t *items, int64_t total, const struct aps_api_page *pg)
{
    return json_pack("{s:o, s:I, s:i, s:i}", "items", items, "total", (json_int_t)total, "page",
                     pg->page, "limit", pg->limit);
}

json_t *aps_api_list_slice(json_t *all, const struct aps_api_page *pg)
{
    size_t total = json_array_size(all);
    json_t *items = json_array();
    for (size_t i = (size_t)pg->offset; i < total && i < (size_t)pg->offset + (size_t)pg->limit;
         i++)
        json_array_append(items, json_array_get(all, i));
    json_decref(all);
    return aps_api_list(items, (int64_t)total, pg);
}

/* Parses UTC, Z, +HH:MM, -HH:MM, +HHMM or -HHMM into seconds east of UTC; false when bad. */
static bool parse_offset(const char *tz, int64_t *off)
{
    if (!strcmp(tz, "UTC") || !strcmp(tz, "Z")) {
        *off = 0;
        return true;
    }
    size_t n = strlen(tz);
    if ((tz[0] != '+' && tz[0] != '-') || (n != 6 && n != 5))
        return false;
    const char *mm = n == 6 ? tz + 4 : tz + 3;
    if (!isdigit((unsigned char)tz[1]) || !isdigit((unsigned char)tz[2]) ||
        (n == 6 && tz[3] != ':') || !isdigit((unsigned char)mm[0]) ||
        !isdigit((unsigned char)mm[1]))
        return false;
    int h = (tz[1] - '0') * 10 + (tz[2] - '0'), m = (mm[0] - '0') * 10 + (mm[1] - '0');
    if (h > 14 || m > 59)
        return false;
    *off = (tz[0] == '-' ? -1 : 1) * (int64_t)(h * 3600 + m * 60);
    return true;
}

void aps_api_q_today(const struct aps_http_req *req, struct aps_http_res *res, int64_t now,
                     int64_t *from, int64_t *to, json_t **window)
{
    const char *tz = aps_http_query(req, "tz");
    int64_t off = 0;
    *window = NULL;
    if (!tz) {
        *from = now;
        *to = now + 86400;
        *window = json_pack("{s:o, s:o, s:s}", "from", aps_api_time(*from), "to",
                            aps_api_time(*to), "rule",
                            "games starting in the next 24 hours from now (tz=+HH:MM or UTC:"
                            " the calendar day at that offset)");
        return;
    }
    if (!parse_offset(tz, &off)) {
        aps_api_invalid(res, "tz", "must be UTC or an offset like +02:00 or -05:00");
        return;
    }
    int64_t local = now + off;
    int64_t day0 = local - ((local % 86400) + 86400) % 86400;
    *from = day0 - off;
    *to = *from + 86400;
    char date[11];
    aps_time_format_date(day0, date, sizeof date);
    *window = json_pack("{s:o, s:o, s:s, s:s, s:s}", "from", aps_api_time(*from), "to",
                        aps_api_time(*to), "tz", tz, "date", date, "rule",
                        "games starting on this calendar day at the tz offset");
}

json_t *aps_api_pick_conventions(void)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s}", "rounding",
        "as locked in, and the same in best-price and sizing answers: probabilities, market"
        " probabilities, edges, expected values and stake fractions to 6 decimals, decimal"
        " prices to 4, lines and money amounts to 2; American odds to whole points",
        "best_price",
        "the highest decimal price any non-aggregate bookmaker quotes for the side at the main"
        " line (the line most books quote), from the latest snapshots",
        "clv",
        "against the closing benchmark (sharp books, else every bookmaker, else the market"
        " average; MARGIN_METHOD no-vig averaged over books): moneyline as a fraction of the"
        " stake (0.02 = +2 %), spread and total in points",
        "publication",
        "published: from a production model that passed the promotion gate for its sport and"
        " market; tracking_only: recorded and graded, never a tier or a stake");
}

static json_t *team_json(const struct aps_stmt *s, int col)
{
    return json_pack("{s:I, s:o?, s:o?}", "id", (json_int_t)aps_stmt_int64(s, col), "key",
                     aps_api_col_str(s, col + 1), "name", aps_api_col_str(s, col + 2));
}

json_t *aps_api_game_json(const struct aps_stmt *s, int c)
{
    json_t *g = json_object();
    json_object_set_new(g, "id", json_integer(aps_stmt_int64(s, c)));
    json_object_set_new(g, "sport", aps_api_col_str(s, c + 1));
    json_object_set_new(g, "date", aps_api_col_str(s, c + 2));
    /* the game's date where it is played, as the sources give it (not the UTC date) */
    json_object_set_new(g, "local_date", aps_api_col_str(s, c + 2));
    json_object_set_new(g, "start_time", aps_api_col_time(s, c + 3, false));
    json_object_set_new(g, "time_known", json_boolean(aps_stmt_int64(s, c + 4) != 0));
    json_object_set_new(g, "status", aps_api_col_str(s, c + 5));
    json_object_set_new(g, "home_score", aps_api_col_int(s, c + 6));
    json_object_set_new(g, "away_score", aps_api_col_int(s, c + 7));
    json_object_set_new(g, "neutral", json_boolean(aps_stmt_int64(s, c + 8) != 0));
    json_object_set_new(g, "playoff", json_boolean(aps_stmt_int64(s, c + 9) != 0));
    json_object_set_new(g, "home_team", team_json(s, c + 10));
    json_object_set_new(g, "away_team", team_json(s, c + 13));
    json_object_set_new(g, "venue", aps_api_col_str(s, c + 16));
    return g;
}

void aps_api_price_fields(json_t *obj, double dec)
{
    double am = NAN, implied = NAN;
    if (aps_convert_decimal_to_american(dec, &am))
        am = NAN;
    if (aps_convert_decimal_to_prob(dec, &implied))
        implied = NAN;
    json_object_set_new(obj, "price", aps_api_num(aps_round_price(dec)));
    /* American odds are shown rounded to whole points, as books quote them. */
    json_object_set_new(obj, "american", isfinite(am) ? json_integer((json_int_t)lround(am))
                                                      : json_null());
    json_object_set_new(obj, "implied_probability",
                        aps_api_num(aps_round_probability(implied)));
}

json_t *aps_api_quote_json(const struct aps_api_quote *q)
{
    json_t *o = json_object();
    json_object_set_new(o, "book", json_string(q->book));
    json_object_set_new(o, "book_name", json_string(q->book_name));
    json_object_set_new(o, "aggregate", json_boolean(q->aggregate));
    json_object_set_new(o, "market", q->market >= 0 ? json_string(aps_market_name(q->market))
                                                    : json_null());
    json_object_set_new(o, "selection",
                        q->sel >= 0 ? json_string(aps_selection_name(q->sel)) : json_null());
    json_object_set_new(o, "phase", q->phase >= 0 ? json_string(aps_phase_name(q->phase))
                                                  : json_null());
    json_object_set_new(o, "recorded_at", q->recorded_at ? aps_api_time(q->recorded_at)
                                                         : json_null());
    json_object_set_new(o, "line", aps_api_num(aps_round_line(q->line)));
    aps_api_price_fields(o, q->price);
    return o;
}

json_t *aps_api_prediction_json(const struct aps_stmt *s, int c)
{
    json_t *p = json_object();
    json_object_set_new(p, "id", json_integer(aps_stmt_int64(s, c)));
    json_object_set_new(p, "game_id", json_integer(aps_stmt_int64(s, c + 1)));
    json_object_set_new(p, "model", aps_api_col_str(s, c + 2));
    json_object_set_new(p, "market", aps_api_col_str(s, c + 3));
    json_object_set_new(p, "selection", aps_api_col_str(s, c + 4));
    json_object_set_new(p, "line", aps_api_col_num(s, c + 5));
    json_object_set_new(p, "book", aps_api_col_str(s, c + 7));
    if (aps_stmt_is_null(s, c + 6))
        json_object_set_new(p, "price", json_null());
    else
        aps_api_price_fields(p, aps_stmt_double(s, c + 6));
    json_object_set_new(p, "probability", aps_api_col_num(s, c + 8));
    json_object_set_new(p, "market_probability", aps_api_col_num(s, c + 9));
    json_object_set_new(p, "edge", aps_api_col_num(s, c + 10));
    /* a tier only on a bet of a published market: "" (no bet), the old "D" (track only) and
     * picks locked in before publication was recorded have none */
    const char *tier = aps_stmt_text(s, c + 11);
    const char *pub = aps_stmt_text(s, c + 21), *why = aps_stmt_text(s, c + 22);
    bool bet = tier && tier[0] && strcmp(tier, "D") && pub && !strcmp(pub, "published");
    json_object_set_new(p, "tier", bet ? json_string(tier) : json_null());
    json_object_set_new(p, "bet", json_boolean(bet));
    json_object_set_new(p, "publication", json_string(pub ? pub : "tracking_only"));
    json_object_set_new(p, "no_bet_reason",
                        bet ? json_null()
                        : why ? json_string(why)
                        : json_string(pub ? "no bet"
                                          : "locked in before publication was recorded: tracking"
                                            " only"));
    bool superseded = !aps_stmt_is_null(s, c + 23);
    json_object_set_new(p, "current", json_boolean(!superseded));
    json_object_set_new(p, "superseded_by",
                        superseded ? json_integer(aps_stmt_int64(s, c + 23)) : json_null());
    json_object_set_new(p, "stake_fraction", aps_api_col_num(s, c + 12));
    json_object_set_new(p, "locked_at", aps_api_col_str(s, c + 13));
    json_object_set_new(p, "hash", aps_api_col_str(s, c + 14));
    json_object_set_new(p, "prev_hash", aps_api_col_str(s, c + 15));
    json_object_set_new(p, "created_at", aps_api_col_time(s, c + 16, false));
    json_t *r = json_null();
    if (!aps_stmt_is_null(s, c + 17))
        r = json_pack("{s:o?, s:o?, s:o?, s:s, s:o?}", "result", aps_api_col_str(s, c + 17),
                      "profit_units", aps_api_col_num(s, c + 18), "clv",
                      aps_api_col_num(s, c + 19), "clv_unit",
                      aps_close_clv_unit(aps_market_parse(aps_stmt_text(s, c + 3))),
                      "graded_at", aps_api_col_time(s, c + 20, false));
    json_object_set_new(p, "result", r);
    return p;
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

int aps_api_page_rows(struct aps_conn *c, const char *select, const char *from,
                      const struct aps_api_where *w, const char *order,
                      const struct aps_api_page *pg, json_t *(*row)(const struct aps_stmt *),
                      json_t *items, int64_t *total)
{
    struct aps_stmt *st = NULL;
    struct aps_buf sql = {0};
    /* LIMIT and OFFSET are parameters, so every page of a list shares one prepared statement. */
    aps_buf_printf(&sql, "%s, COUNT(*) OVER () %s%s ORDER BY %s LIMIT ?%d OFFSET ?%d", select,
                   from, aps_buf_str(&w->sql), order, w->n + 1, w->n + 2);
    const struct aps_arg limit_offset[] = {APS_ARG_I64(pg->limit), APS_ARG_I64(pg->offset)};
    int rc = aps_api_prepare(c, aps_buf_str(&sql), w, &st);
    if (!rc)
        rc = aps_stmt_bind_args(st, w->n + 1, limit_offset, 2);
    *total = 0;
    bool any = false;
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (!any)
            *total = aps_stmt_int64(st, aps_stmt_columns(st) - 1);
        any = true;
        json_array_append_new(items, row(st));
    }
    aps_stmt_finalize(st);
    aps_buf_cleanup(&sql);
    /* A page past the end has no row to carry the count. */
    if (!rc && !any && pg->offset > 0)
        rc = aps_api_count(c, from, w, total);
    return rc < 0 ? rc : 0;
}

int aps_api_list_page(struct aps_http_req *req, struct aps_http_res *res, const char *select,
                      const char *from, const char *order, const struct aps_api_where *w,
                      const struct aps_api_page *pg, json_t *(*row)(const struct aps_stmt *))
{
    struct aps_conn *c = NULL;
    int64_t total = 0;
    if (aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    json_t *items = json_array();
    int rc = aps_api_page_rows(c, select, from, w, order, pg, row, items, &total);
    aps_store_release(c);
    if (rc < 0) {
        json_decref(items);
        return aps_api_db_error(res, rc);
    }
    return aps_http_json(res, 200, aps_api_list(items, total, pg));
}

/* ---- settings ------------------------------------------------------------------------------ */

int aps_api_setting_override(struct aps_conn *c, enum aps_setting key, char *out, size_t cap)
{
    return aps_conn_query_row(c, "SELECT value FROM settings WHERE key = ?1", "s", out, cap, "s",
                              aps_setting_name(key));
}

int aps_api_kelly_params(struct aps_conn *c, const struct aps_config *cfg,
                         struct aps_kelly_params *kp)
{
    if (!cfg) {
        aps_kelly_params_default(kp);
        return 0;
    }
    int rc = aps_runtime_load(c, cfg, NULL);
    if (!rc)
        aps_engine_kelly_params(cfg, kp);
    return rc;
}
