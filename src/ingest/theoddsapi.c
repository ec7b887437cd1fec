/* theoddsapi.c — TheOddsAPI v4 URLs, quota rule and response parsers (see theoddsapi.h).
 *
 * Shapes (reference §4.2, the real samples in api-samples/theoddsapi):
 *   odds:   [{id, sport_key, commence_time, home_team, away_team,
 *             bookmakers:[{key, title, last_update, markets:[{key, last_update?,
 *                          outcomes:[{name, price, point?}]}]}]}]
 *   scores: [{id, sport_key, commence_time, completed, home_team, away_team,
 *             scores: null | [{name, score:"102"}], last_update: null | time}] */
#include "ingest/theoddsapi.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/american.h"
#include "ingest/collect_http.h"

void aps_odds_feed_cleanup(struct aps_odds_feed *f)
{
    aps_free(f->events);
    aps_free(f->quotes);
    memset(f, 0, sizeof *f);
}

static struct aps_odds_event *add_event(struct aps_odds_feed *f)
{
    if (f->nevents == f->capevents) {
        f->capevents = f->capevents ? f->capevents * 2 : 32;
        f->events = aps_realloc(f->events, f->capevents * sizeof *f->events);
    }
    struct aps_odds_event *e = &f->events[f->nevents++];
    memset(e, 0, sizeof *e);
    e->home_score = e->away_score = -1;
    return e;
}

static struct aps_odds_quote *add_quote(struct aps_odds_feed *f)
{
    if (f->nquotes == f->capquotes) {
        f->capquotes = f->capquotes ? f->capquotes * 2 : 256;
        f->quotes = aps_realloc(f->quotes, f->capquotes * sizeof *f->quotes);
    }
    struct aps_odds_quote *q = &f->quotes[f->nquotes++];
    memset(q, 0, sizeof *q);
    q->line = NAN;
    return q;
}

int aps_theoddsapi_sport(const char *sport_key)
{
    if (!sport_key)
        return -1;
    for (int s = 0; s < APS_SPORT__COUNT; s++) {
        const struct aps_sport_info *si = aps_sport_info(s);
        if (!strcmp(sport_key, si->odds_key))
            return s;
        /* Tennis keys are per tournament: tennis_atp_<event>. */
        size_t n = strlen(si->odds_key);
        if (si->kind == APS_KIND_TENNIS && !strncmp(sport_key, si->odds_key, n) &&
            sport_key[n] == '_')
            return s;
    }
    return -1;
}

static int parse_fail(char *err, size_t errcap, const char *what, const json_error_t *je)
{
    if (je)
        snprintf(err, errcap, "%s: %s (line %d, column %d)", what, je->text, je->line,
                 je->column);
    else
        snprintf(err, errcap, "%s", what);
    return APS_E_PARSE;
}

/* The root array of a response body, or NULL with err set. Caller json_decref()s. */
static json_t *load_array(const char *json, size_t len, const char *what, char *err,
                          size_t errcap)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) {
        parse_fail(err, errcap, what, &je);
        return NULL;
    }
    if (!json_is_array(root)) {
        json_decref(root);
        snprintf(err, errcap, "%s: the answer is not a JSON array", what);
        return NULL;
    }
    return root;
}

static const char *jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int64_t jtime(const json_t *obj, const char *key)
{
    const char *s = jstr(obj, key);
    int64_t t;
    return s && !aps_time_parse_iso(s, &t) ? t : 0;
}

int aps_theoddsapi_parse_sports(const char *json, size_t len, struct aps_odds_sport **out,
                                size_t *n, char *err, size_t errcap)
{
    *out = NULL;
    *n = 0;
    json_t *root = load_array(json, len, "TheOddsAPI sports", err, errcap);
    if (!root)
        return APS_E_PARSE;
    size_t cnt = json_array_size(root), i;
    struct aps_odds_sport *v = aps_calloc(cnt ? cnt : 1, sizeof *v);
    json_t *it;
    json_array_foreach(root, i, it) {
        const char *key = jstr(it, "key");
        if (!key) {
            aps_free(v);
            json_decref(root);
            return parse_fail(err, errcap, "TheOddsAPI sports: an entry has no key", NULL);
        }
        struct aps_odds_sport *s = &v[(*n)++];
        (void)aps_str_copy(s->key, sizeof s->key, key);
        (void)aps_str_copy(s->title, sizeof s->title, jstr(it, "title") ? jstr(it, "title") : "");
        s->active = json_is_true(json_object_get(it, "active"));
        s->has_outrights = json_is_true(json_object_get(it, "has_outrights"));
        s->sport = s->has_outrights ? -1 : aps_theoddsapi_sport(key);
    }
    json_decref(root);
    *out = v;
    return 0;
}

size_t aps_theoddsapi_keep_active(struct aps_odds_sport *v, size_t n, enum aps_sport sport)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].active && v[i].sport == (int)sport)
            v[kept++] = v[i];
    return kept;
}

/* The decimal price of an outcome's "price", or NAN when missing or out of range. */
static double outcome_price(const json_t *o, enum aps_odds_format fmt)
{
    json_t *p = json_object_get(o, "price");
    if (!json_is_number(p))
        return NAN;
    double v = json_number_value(p);
    if (fmt == APS_ODDS_AMERICAN)
        return v == floor(v) ? aps_american_to_decimal(v) : NAN;
    return v > 1.0 && v < 1001.0 ? v : NAN;
}

static int market_of(const char *key)
{
    if (!key)
        return -1;
    if (!strcmp(key, "h2h"))
        return APS_MKT_MONEYLINE;
    if (!strcmp(key, "spreads"))
        return APS_MKT_SPREAD;
    if (!strcmp(key, "totals"))
        return APS_MKT_TOTAL;
    return -1; /* h2h_lay, outrights, props: not stored */
}

static int selection_of(const struct aps_odds_event *e, enum aps_market m, const char *name)
{
    if (!name)
        return -1;
    if (m == APS_MKT_TOTAL) {
        if (aps_str_eq_nocase(name, "Over"))
            return APS_SEL_OVER;
        return aps_str_eq_nocase(name, "Under") ? APS_SEL_UNDER : -1;
    }
    if (!strcmp(name, e->home))
        return APS_SEL_HOME;
    if (!strcmp(name, e->away))
        return APS_SEL_AWAY;
    if (m == APS_MKT_MONEYLINE && aps_str_eq_nocase(name, "Draw"))
        return APS_SEL_DRAW;
    return -1;
}

static void parse_market(struct aps_odds_feed *f, size_t ei, const json_t *bk, const json_t *mk,
                         enum aps_odds_format fmt)
{
    int m = market_of(jstr(mk, "key"));
    json_t *outs = json_object_get(mk, "outcomes");
    if (m < 0 || !json_is_array(outs)) {
        f->skipped_quotes += json_array_size(outs);
        return;
    }
    int64_t at = jtime(mk, "last_update");
    if (!at)
        at = jtime(bk, "last_update");
    size_t k;
    json_t *o;
    json_array_foreach(outs, k, o) {
        int sel = selection_of(&f->events[ei], (enum aps_market)m, jstr(o, "name"));
        double price = outcome_price(o, fmt);
        json_t *pt = json_object_get(o, "point");
        double line = json_is_number(pt) ? json_number_value(pt) : NAN;
        if (sel < 0 || isnan(price) || (m != APS_MKT_MONEYLINE && isnan(line))) {
            f->skipped_quotes++;
            continue;
        }
        struct aps_odds_quote *q = add_quote(f);
        q->event = ei;
        (void)aps_str_copy(q->book, sizeof q->book, jstr(bk, "key"));
        (void)aps_str_copy(q->book_title, sizeof q->book_title,
                           jstr(bk, "title") ? jstr(bk, "title") : jstr(bk, "key"));
        q->recorded_at = at;
        q->market = (enum aps_market)m;
        q->sel = (enum aps_selection)sel;
        q->line = m == APS_MKT_MONEYLINE ? NAN : line;
        q->price = price;
    }
}

/* The first field every feed needs that the event lacks or leaves empty ("id", "home_team",
 * "away_team", "commence_time": missing or not a time), or NULL when it has them all. */
static const char *event_lacks(const json_t *ev)
{
    static const char *const text[] = {"id", "home_team", "away_team"};
    for (size_t k = 0; k < sizeof text / sizeof text[0]; k++) {
        const char *s = jstr(ev, text[k]);
        if (!s || !*s)
            return text[k];
    }
    return jtime(ev, "commence_time") ? NULL : "commence_time";
}

/* Counts event i of the answer as bad; the first one is described in f->bad_event. */
static void bad_event(struct aps_odds_feed *f, size_t i, const json_t *ev, const char *lacks)
{
    if (!f->bad_events++)
        aps_collect_bad_event(f->bad_event, sizeof f->bad_event, i, jstr(ev, "id"), lacks);
}

/* Reads the events of an answer: each one with an id, teams and a commence time, of a sport the
 * platform covers, is added to the feed and handed to body (with arg) for the rest of its fields.
 * One without is skipped and counted in bad_events, so that one odd event does not cost the
 * others; an answer in which every event is so is not the documented shape (APS_E_PARSE), and
 * an event of another sport is counted in skipped_events. */
static int parse_events(const char *json, size_t len, const char *what, struct aps_odds_feed *f,
                        void (*body)(struct aps_odds_feed *, const json_t *, const void *),
                        const void *arg, char *err, size_t errcap)
{
    json_t *root = load_array(json, len, what, err, errcap);
    if (!root)
        return APS_E_PARSE;
    size_t i, bad = 0, n = json_array_size(root);
    json_t *ev;
    json_array_foreach(root, i, ev) {
        const char *lacks = event_lacks(ev);
        if (lacks) {
            bad_event(f, i, ev, lacks);
            bad++;
            continue;
        }
        int sport = aps_theoddsapi_sport(jstr(ev, "sport_key"));
        if (sport < 0) {
            f->skipped_events++;
            continue;
        }
        struct aps_odds_event *e = add_event(f);
        (void)aps_str_copy(e->id, sizeof e->id, jstr(ev, "id"));
        (void)aps_str_copy(e->home, sizeof e->home, jstr(ev, "home_team"));
        (void)aps_str_copy(e->away, sizeof e->away, jstr(ev, "away_team"));
        e->sport = (enum aps_sport)sport;
        e->commence = jtime(ev, "commence_time");
        body(f, ev, arg);
    }
    json_decref(root);
    if (n && bad == n) {
        snprintf(err, errcap, "%s: no event has an id, teams and a commence time (%s)", what,
                 f->bad_event);
        return APS_E_PARSE;
    }
    return 0;
}

/* The bookmakers' prices of the feed's last event. */
static void odds_of(struct aps_odds_feed *f, const json_t *ev, const void *arg)
{
    enum aps_odds_format fmt = *(const enum aps_odds_format *)arg;
    size_t ei = f->nevents - 1, b, m;
    json_t *bk, *mk;
    json_array_foreach(json_object_get(ev, "bookmakers"), b, bk) {
        if (!jstr(bk, "key"))
            continue;
        json_array_foreach(json_object_get(bk, "markets"), m, mk)
            parse_market(f, ei, bk, mk, fmt);
    }
}

int aps_theoddsapi_parse_odds(const char *json, size_t len, enum aps_odds_format fmt,
                              struct aps_odds_feed *f, char *err, size_t errcap)
{
    return parse_events(json, len, "TheOddsAPI odds", f, odds_of, &fmt, err, errcap);
}

/* A score string ("102") as an int, or -1. */
static int score_value(const json_t *s)
{
    int v;
    if (json_is_integer(s))
        return (int)json_integer_value(s);
    return json_is_string(s) && !aps_parse_int(json_string_value(s), &v) && v >= 0 ? v : -1;
}

static void parse_scores_of(struct aps_odds_event *e, const json_t *scores)
{
    size_t k;
    json_t *s;
    json_array_foreach(scores, k, s) {
        const char *name = jstr(s, "name");
        int v = score_value(json_object_get(s, "score"));
        if (!name || v < 0)
            continue;
        if (!strcmp(name, e->home))
            e->home_score = v;
        else if (!strcmp(name, e->away))
            e->away_score = v;
    }
    e->has_scores = e->home_score >= 0 && e->away_score >= 0;
}

/* Completion, last update and scores of the feed's last event. */
static void scores_of(struct aps_odds_feed *f, const json_t *ev, const void *arg)
{
    (void)arg;
    struct aps_odds_event *e = &f->events[f->nevents - 1];
    e->completed = json_is_true(json_object_get(ev, "completed"));
    e->last_update = jtime(ev, "last_update");
    json_t *scores = json_object_get(ev, "scores");
    if (json_is_array(scores))
        parse_scores_of(e, scores);
}

int aps_theoddsapi_parse_scores(const char *json, size_t len, struct aps_odds_feed *f, char *err,
                                size_t errcap)
{
    return parse_events(json, len, "TheOddsAPI scores", f, scores_of, NULL, err, errcap);
}

static int64_t list_len(const char *s)
{
    int64_t n = 0;
    bool in = false;
    for (; s && *s; s++) {
        if (*s == ',' || *s == ' ') {
            in = false;
        } else if (!in) {
            in = true;
            n++;
        }
    }
    return n;
}

int64_t aps_theoddsapi_cost(const char *markets, const char *regions)
{
    return list_len(markets) * list_len(regions);
}

bool aps_theoddsapi_budget_ok(int64_t remaining, int64_t used, int64_t budget, int64_t cost)
{
    if (remaining >= 0 && cost > remaining)
        return false;
    if (used >= 0 && used + cost > budget)
        return false;
    return cost <= budget;
}

static void base_path(struct aps_buf *url, const char *base, const char *path)
{
    aps_buf_reset(url);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    aps_buf_append(url, base, n);
    aps_buf_puts(url, path);
}

void aps_theoddsapi_sports_url(struct aps_buf *url, const char *base, const char *key)
{
    base_path(url, base, "/sports");
    aps_collect_url_param(url, "apiKey", key ? key : "");
}

void aps_theoddsapi_odds_url(struct aps_buf *url, const char *base, const char *sport_key,
                             const char *key, const char *regions, const char *markets,
                             enum aps_odds_format fmt)
{
    base_path(url, base, "/sports/");
    aps_buf_puts(url, sport_key);
    aps_buf_puts(url, "/odds");
    aps_collect_url_param(url, "apiKey", key ? key : "");
    aps_collect_url_param(url, "regions", regions);
    aps_collect_url_param(url, "markets", markets);
    aps_collect_url_param(url, "oddsFormat", fmt == APS_ODDS_DECIMAL ? "decimal" : "american");
    aps_collect_url_param(url, "dateFormat", "iso");
}

void aps_theoddsapi_scores_url(struct aps_buf *url, const char *base, const char *sport_key,
                               const char *key, int days_from)
{
    base_path(url, base, "/sports/");
    aps_buf_puts(url, sport_key);
    aps_buf_puts(url, "/scores");
    aps_collect_url_param(url, "apiKey", key ? key : "");
    if (days_from > 0) {
        char d[16];
        snprintf(d, sizeof d, "%d", days_from);
        aps_collect_url_param(url, "daysFrom", d);
    }
    aps_collect_url_param(url, "dateFormat", "iso");
}
