/* query.c — the query parameters of a route (http.h): parsing the route table's spec strings,
 * checking values against them and reading checked values with their defaults. Specs are short
 * (a few hundred bytes); the server parses each route's spec once when it starts and hands the
 * result to every request (req->qspec), other callers parse where they need one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/domain.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/http.h"

static int bad(char *err, size_t cap, const char *tok, size_t n, const char *why)
{
    if (err && cap)
        snprintf(err, cap, "query spec token '%.*s': %s", (int)(n > 60 ? 60 : n), tok, why);
    return APS_E_PARSE;
}

/* "lo,hi" between the parentheses; either side may be empty. */
static bool parse_bounds(const char *a, const char *end, struct aps_qparam *p)
{
    const char *comma = memchr(a, ',', (size_t)(end - a));
    if (!comma)
        return false;
    char num[40];
    for (int side = 0; side < 2; side++) {
        const char *s = side ? comma + 1 : a, *e = side ? end : comma;
        size_t n = (size_t)(e - s);
        if (!n)
            continue;
        if (n >= sizeof num)
            return false;
        memcpy(num, s, n);
        num[n] = '\0';
        double v;
        if (aps_parse_double(num, &v))
            return false;
        if (side) {
            p->has_hi = true;
            p->hi = v;
        } else {
            p->has_lo = true;
            p->lo = v;
        }
    }
    return true;
}

/* "max" between the parentheses of string(max): a positive integer. */
static bool parse_string_max(const char *a, const char *end, struct aps_qparam *p)
{
    char num[16];
    size_t n = (size_t)(end - a);
    int64_t v;
    if (!n || n >= sizeof num)
        return false;
    memcpy(num, a, n);
    num[n] = '\0';
    if (aps_parse_int64(num, &v) || v < 1)
        return false;
    p->hi = (double)v;
    return true;
}

/* p->values as "w1|w2|..." from a fixed vocabulary of core/domain.h: 's' sports, 'm' markets,
 * 'g' game statuses. False when the list does not fit. */
static bool fill_vocabulary(struct aps_qparam *p, char which)
{
    size_t used = 0;
    int count = which == 's' ? APS_SPORT__COUNT : which == 'm' ? APS_MKT__COUNT : APS_GS__COUNT;
    for (int i = 0; i < count; i++) {
        const char *w = which == 's'   ? aps_sport_info((enum aps_sport)i)->code
                        : which == 'm' ? aps_market_name((enum aps_market)i)
                                       : aps_status_name((enum aps_game_status)i);
        int k = snprintf(p->values + used, sizeof p->values - used, "%s%s", i ? "|" : "", w);
        if (k < 0 || (size_t)k >= sizeof p->values - used)
            return false;
        used += (size_t)k;
    }
    return true;
}

static int parse_one(const char *tok, size_t len, struct aps_qparam *p, char *err, size_t cap)
{
    memset(p, 0, sizeof *p);
    const char *end = tok + len, *colon = memchr(tok, ':', len);
    if (!colon || colon == tok || (size_t)(colon - tok) >= sizeof p->name)
        return bad(err, cap, tok, len, "want name:type");
    memcpy(p->name, tok, (size_t)(colon - tok));
    size_t nl = strlen(p->name);
    if (nl > 1 && p->name[nl - 1] == '!') { /* "name!:type": the parameter is required */
        p->name[nl - 1] = '\0';
        p->required = true;
    }
    const char *type = colon + 1, *eq = NULL, *open = NULL, *close = NULL;
    for (const char *q = type; q < end; q++) {
        if (*q == '(' && !open)
            open = q;
        else if (*q == ')' && open && !close)
            close = q;
        else if (*q == '=' && (!open || close)) {
            eq = q;
            break;
        }
    }
    const char *tend = open ? open : eq ? eq : end;
    size_t tl = (size_t)(tend - type);
    if (open && (!close || (eq ? close + 1 != eq : close + 1 != end)))
        return bad(err, cap, tok, len, "unbalanced parentheses");
#define IS(word) (tl == sizeof word - 1 && !memcmp(type, word, tl))
    if (IS("int") || IS("number")) {
        p->type = IS("int") ? 'i' : 'n';
        if (open && !parse_bounds(open + 1, close, p))
            return bad(err, cap, tok, len, "bounds must be (lo,hi)");
    } else if (IS("bool")) {
        p->type = 'b';
    } else if (IS("date")) {
        p->type = 'd';
    } else if (IS("string")) {
        p->type = 's';
        p->has_hi = true;
        p->hi = 256;
        if (open && !parse_string_max(open + 1, close, p))
            return bad(err, cap, tok, len, "string(max)");
    } else if (IS("enum") || IS("enumi")) {
        p->type = 'e';
        p->nocase = IS("enumi");
        size_t n = open ? (size_t)(close - open - 1) : 0;
        if (!n || n >= sizeof p->values)
            return bad(err, cap, tok, len, "enum needs (word|word)");
        memcpy(p->values, open + 1, n);
        /* a trailing '|' (lists built by macros) is dropped */
        while (n && p->values[n - 1] == '|')
            p->values[--n] = '\0';
    } else if (IS("sport") || IS("market") || IS("game_status")) {
        /* the fixed vocabularies of core/domain.h, spelled as enums */
        p->type = 'e';
        p->nocase = IS("sport");
        if (!fill_vocabulary(p, IS("sport") ? 's' : IS("market") ? 'm' : 'g'))
            return bad(err, cap, tok, len, "vocabulary too long");
    } else {
        return bad(err, cap, tok, len, "unknown type");
    }
#undef IS
    if (eq) {
        size_t n = (size_t)(end - eq - 1);
        if (!n || n >= sizeof p->def)
            return bad(err, cap, tok, len, "bad default");
        memcpy(p->def, eq + 1, n);
        p->has_def = true;
        char msg[8];
        if (!aps_http_qvalue_ok(p, p->def, msg, sizeof msg))
            return bad(err, cap, tok, len, "default does not fit the type");
    }
    return 0;
}

int aps_http_qspec_parse(const char *spec, struct aps_qparam *out, size_t cap, size_t *n,
                         char *err, size_t errcap)
{
    *n = 0;
    if (!spec)
        return 0;
    const char *p = spec;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (*n == cap)
            return bad(err, errcap, p, len, "too many parameters");
        int rc = parse_one(p, len, &out[*n], err, errcap);
        if (rc)
            return rc;
        for (size_t i = 0; i < *n; i++)
            if (!strcmp(out[i].name, out[*n].name))
                return bad(err, errcap, p, len, "named twice");
        (*n)++;
        p += len;
    }
    return 0;
}

bool aps_http_qparam(const struct aps_route *rt, const char *name, struct aps_qparam *out)
{
    struct aps_qparam ps[APS_HTTP_MAX_QPARAMS];
    size_t n;
    if (!rt || aps_http_qspec_parse(rt->query, ps, APS_HTTP_MAX_QPARAMS, &n, NULL, 0))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ps[i].name, name)) {
            *out = ps[i];
            return true;
        }
    return false;
}

bool aps_http_req_qparam(const struct aps_http_req *r, const char *name, struct aps_qparam *out)
{
    if (!r->qspec_set)
        return aps_http_qparam(r->route, name, out);
    for (size_t i = 0; i < r->nqspec; i++)
        if (!strcmp(r->qspec[i].name, name)) {
            *out = r->qspec[i];
            return true;
        }
    return false;
}

static bool enum_has(const struct aps_qparam *p, const char *v)
{
    size_t vl = strlen(v);
    for (const char *s = p->values; *s;) {
        const char *e = strchr(s, '|');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == vl && (p->nocase ? !strncasecmp(s, v, n) : !memcmp(s, v, n)))
            return true;
        s += n + (e ? 1 : 0);
    }
    return false;
}

static void bounds_text(const struct aps_qparam *p, const char *what, char *msg, size_t cap)
{
    if (p->has_lo && p->has_hi)
        snprintf(msg, cap, "must be %s from %.15g to %.15g", what, p->lo, p->hi);
    else if (p->has_lo)
        snprintf(msg, cap, "must be %s of at least %.15g", what, p->lo);
    else if (p->has_hi)
        snprintf(msg, cap, "must be %s of at most %.15g", what, p->hi);
    else
        snprintf(msg, cap, "must be %s", what);
}

bool aps_http_qvalue_ok(const struct aps_qparam *p, const char *value, char *msg, size_t cap)
{
    switch (p->type) {
    case 'i': {
        int64_t v;
        if (aps_parse_int64(value, &v) || (p->has_lo && (double)v < p->lo) ||
            (p->has_hi && (double)v > p->hi)) {
            bounds_text(p, "an integer", msg, cap);
            return false;
        }
        return true;
    }
    case 'n': {
        double v;
        if (aps_parse_double(value, &v) || !isfinite(v) || (p->has_lo && v < p->lo) ||
            (p->has_hi && v > p->hi)) {
            bounds_text(p, "a number", msg, cap);
            return false;
        }
        return true;
    }
    case 'b': {
        bool v;
        if (aps_parse_bool(value, &v)) {
            snprintf(msg, cap, "must be true or false");
            return false;
        }
        return true;
    }
    case 'd': {
        int64_t t;
        if (strlen(value) != 10 || aps_time_parse_iso(value, &t)) {
            snprintf(msg, cap, "must be a date YYYY-MM-DD");
            return false;
        }
        return true;
    }
    case 's': {
        size_t n = strlen(value);
        if (!n || (double)n > p->hi) {
            snprintf(msg, cap, "must be 1 to %.0f bytes", p->hi);
            return false;
        }
        return true;
    }
    case 'e':
        if (!enum_has(p, value)) {
            snprintf(msg, cap, "must be one of %s", p->values);
            for (char *c = msg; *c; c++)
                if (*c == '|')
                    *c = ',';
            return false;
        }
        return true;
    default:
        snprintf(msg, cap, "not accepted");
        return false;
    }
}

/* The value sent for name, or its default; NULL when neither. */
static const char *value_of(const struct aps_http_req *r, const char *name,
                            struct aps_qparam *p)
{
    const char *v = aps_http_query(r, name);
    bool known = aps_http_req_qparam(r, name, p);
    if (v)
        return v;
    return known && p->has_def ? p->def : NULL;
}

bool aps_http_qint(const struct aps_http_req *r, const char *name, int64_t *out)
{
    struct aps_qparam p;
    const char *v = value_of(r, name, &p);
    int64_t x;
    if (!v || aps_parse_int64(v, &x))
        return false;
    *out = x;
    return true;
}

bool aps_http_qnum(const struct aps_http_req *r, const char *name, double *out)
{
    struct aps_qparam p;
    const char *v = value_of(r, name, &p);
    double x;
    if (!v || aps_parse_double(v, &x) || !isfinite(x))
        return false;
    *out = x;
    return true;
}

bool aps_http_qbool(const struct aps_http_req *r, const char *name, bool *out)
{
    struct aps_qparam p;
    const char *v = value_of(r, name, &p);
    bool x;
    if (!v || aps_parse_bool(v, &x))
        return false;
    *out = x;
    return true;
}
