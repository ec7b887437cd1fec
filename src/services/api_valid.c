/* api_valid.c — request validation for the domain endpoints: query, path and body parameters
 * checked into one VALIDATION_ERROR envelope (see api_valid.h). */
#include "services/api_valid.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/domain.h"
#include "core/money.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "odds/convert.h"
#include "odds/tier.h"
#include "services/api_json.h"

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
    if (!aps_http_req_qparam(req, name, &p)) {
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

/* A tier is one letter: aps_tier_parse alone would read the first letter of a longer word. */
static int tier_parse(const char *s)
{
    return strlen(s) == 1 ? aps_tier_parse(s) : -1;
}

/* The query parameters that name one value of a domain enum: the parser (-1 for a value it does
 * not know) and the message for such a value. */
#define APS_Q_ENUMS(X)                                                                        \
    X(Q_SPORT, aps_sport_from_code, "unknown sport code (NFL, NBA, MLB, NHL, EPL, ATP, ...)") \
    X(Q_MARKET, aps_market_parse, "must be moneyline, spread or total")                       \
    X(Q_TIER, tier_parse, "must be A, B, C or D")                                             \
    X(Q_STATUS, aps_status_parse, "must be scheduled, in_progress, final, postponed or cancelled")

#define Q_ENUM_ID(id, parse, msg) id,
enum q_enum { APS_Q_ENUMS(Q_ENUM_ID) };
#undef Q_ENUM_ID

#define Q_ENUM_ROW(id, parse, msg) [id] = {parse, msg},
static const struct {
    int (*parse)(const char *s);
    const char *msg;
} q_enums[] = {APS_Q_ENUMS(Q_ENUM_ROW)};
#undef Q_ENUM_ROW

/* The enum value sent for name into *out; -1 when absent, or unknown (a detail is added). */
static void q_enum(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                   enum q_enum k, int *out)
{
    const char *s = aps_http_query(req, name);
    *out = s ? q_enums[k].parse(s) : -1;
    if (s && *out < 0)
        aps_api_invalid(res, name, q_enums[k].msg);
}

void aps_api_q_sport(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                     int *out)
{
    q_enum(req, res, name, Q_SPORT, out);
}

void aps_api_q_market(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      int *out)
{
    q_enum(req, res, name, Q_MARKET, out);
}

void aps_api_q_tier(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    int *out)
{
    q_enum(req, res, name, Q_TIER, out);
}

void aps_api_q_status(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                      int *out)
{
    q_enum(req, res, name, Q_STATUS, out);
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

void aps_api_q_date_range(const struct aps_http_req *req, struct aps_http_res *res, char from[11],
                          char to[11])
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

int64_t aps_api_path_id(const struct aps_http_req *req, struct aps_http_res *res, const char *name)
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

void aps_api_b_date(const struct aps_http_req *req, struct aps_http_res *res, const char *name,
                    const char **out)
{
    json_t *v = body_field(req, res, name, false);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    int64_t t;
    *out = NULL;
    if (!v)
        return;
    if (!s || strlen(s) != 10 || json_string_length(v) != 10 || aps_time_parse_iso(s, &t)) {
        aps_api_invalid(res, name, "must be a date YYYY-MM-DD");
        return;
    }
    *out = s;
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
    /* NaN and a price no book quotes (decimal 1.0000000001 is American -1e12) alike; American
     * -1e18 and below would even convert to decimal 1.0 exactly, a price that pays nothing */
    if (!(dec >= APS_DECIMAL_QUOTED_MIN && dec <= APS_DECIMAL_QUOTED_MAX)) {
        aps_api_invalid(res, name,
                        "must be decimal odds from 1.001 to 1001 (1.91) or American odds from "
                        "-100000 to -100 or +100 to +100000 (-110, +150)");
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

/* ---- "today" -------------------------------------------------------------------------------- */

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
        *window = json_pack("{s:o, s:o, s:s}", "from", aps_api_time(*from), "to", aps_api_time(*to),
                            "rule",
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
