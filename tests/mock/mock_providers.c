/* mock_providers.c — a local stand-in for TheOddsAPI v4, the ESPN site API and OpenWeatherMap,
 * replaying the real samples in the shared data's api-samples (--data DIR; by default the
 * data the build was configured with: APS_DATA_DIR, else ../shared/data) with real-looking headers.
 *
 *   GET  /v4/sports                              sports.json (free)
 *   GET  /v4/sports/{sport}/odds                 the NBA sample of 2022-11-23 (markets, regions,
 *                                                oddsFormat honoured; eu adds Pinnacle)
 *   GET  /v4/sports/{sport}/scores               ScoreEvent[] for the same events (OpenAPI shape:
 *                                                scores null before the game, string values)
 *   GET  /apis/site/v2/sports/{s}/{l}/scoreboard NBA board of 2022-11-22, NFL board of 2023 week 5
 *   GET  /data/2.5/weather                       the London sample, per place and time
 *   POST /_control/advance?seconds=N             moves the clock forward
 *   POST /_control/fail?mode=M&count=N[&provider=P][&delay=S]
 *                                                M: 429 500 timeout truncated malformed unknown_team
 *                                                bad_event (TheOddsAPI, ESPN: the answer's
 *                                                first event without its id, the others whole)
 *                                                unknown_place (OpenWeatherMap: 404 "city not
 *                                                found")
 *   POST /_control/quota?remaining=N             sets the credits left
 *   GET  /_control/state                         clock, quota, requests served, failures left
 *
 * Errors have the providers' shapes: TheOddsAPI {message, error_code, details_url} (401
 * MISSING_KEY without apiKey, INVALID_KEY for a key that begins with "invalid", 401
 * OUT_OF_USAGE_CREDITS when the quota is spent, 429 EXCEEDED_FREQ_LIMIT), OpenWeatherMap
 * {cod, message} (401 without appid or with an "invalid…" key, 404 "city not found").
 *
 * Time: the scenario starts at 2022-11-23T00:00:00Z, before the evening's NBA games (the NFL
 * board is shifted so its Thursday game starts 3 h 15 min later). --rebase moves every time to
 * the wall clock and lets the clock run. Odds move deterministically from --seed: each minute,
 * each book's market moves with probability 1/10. Games go live at their start and end with
 * final scores after their duration. All state is in memory.
 *
 * usage: mock_providers [--port N] [--data DIR] [--seed S] [--quota Q] [--rebase]
 * Prints {"port":N,"now":T} on stdout once listening (port 0: a free port). */
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"

#define NBA_DURATION (150 * 60)
#define NFL_DURATION (195 * 60)
#define MAX_BODY (8u << 20)

enum fail_mode {
    F_NONE, F_429, F_500, F_TIMEOUT, F_TRUNCATED, F_MALFORMED, F_UNKNOWN_TEAM, F_BAD_EVENT,
    F_UNKNOWN_PLACE, F_503
};
static const char *const FAIL_NAMES[] = {"none",      "429",          "500",      "timeout",
                                         "truncated", "malformed", "unknown_team", "bad_event",
                                         "unknown_place", "503"};

struct board {
    json_t *json;        /* the ESPN sample */
    int64_t shift;       /* added to every sample time */
    int64_t duration;
};

struct mock {
    pthread_mutex_t mu;
    json_t *sports, *nba_odds, *weather;
    struct board nba, nfl;
    int64_t start;       /* scenario start (after --rebase: the wall clock at start-up) */
    int64_t shift;       /* added to every sample time by --rebase */
    int64_t advanced;
    bool realtime;
    int64_t wall0;
    uint64_t seed;
    int64_t quota, used;
    enum fail_mode fail;
    int fail_left;
    char fail_provider[16];
    int delay_s;
    uint64_t served, failed;
};

/* ---- time and hashing ------------------------------------------------------------------- */

static int64_t mock_now(struct mock *m)
{
    int64_t t = m->start + m->advanced;
    if (m->realtime)
        t += aps_time_now() - m->wall0;
    return t;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = mix(h, (unsigned char)*s);
    return h;
}

static int64_t sample_time(const char *s)
{
    int64_t t = 0;
    return s && !aps_time_parse_iso(s, &t) ? t : 0;
}

static void set_time(json_t *obj, const char *key, int64_t t, bool minutes)
{
    char buf[32];
    aps_time_format_iso(t, buf, sizeof buf);
    if (minutes) /* ESPN: "2022-11-20T18:00Z" */
        memcpy(buf + 16, "Z", 2);
    json_object_set_new(obj, key, json_string(buf));
}

enum phase { PRE, LIVE, POST };

static enum phase phase_at(int64_t now, int64_t start, int64_t duration)
{
    return now < start ? PRE : now < start + duration ? LIVE : POST;
}

/* Final scores from the seed and the two team names, so both providers agree. */
static void final_score(const struct mock *m, const char *home, const char *away, bool football,
                        int *hs, int *as)
{
    uint64_t h = hash_str(hash_str(m->seed, home), away);
    if (football) {
        *hs = 10 + (int)(h % 25);
        *as = 7 + (int)((h >> 16) % 25);
    } else {
        *hs = 96 + (int)(h % 30);
        *as = 94 + (int)((h >> 16) % 30);
    }
    if (*hs == *as)
        *hs += 3;
}

static void score_at(const struct mock *m, const char *home, const char *away, bool football,
                     double frac, int *hs, int *as)
{
    final_score(m, home, away, football, hs, as);
    if (frac < 1.0) {
        *hs = (int)floor(*hs * frac);
        *as = (int)floor(*as * frac);
    }
}

/* ---- odds ------------------------------------------------------------------------------- */

/* American prices on a line without the gap between -100 and +100. */
static int american_shift(int a, int cents)
{
    int x = a >= 100 ? a - 100 : a + 100;
    x += cents;
    return x >= 0 ? x + 100 : x - 100;
}

static int64_t last_change(const struct mock *m, size_t e, size_t b, size_t mk, int64_t step)
{
    for (int64_t j = step; j >= 1 && j > step - 240; j--)
        if (mix(mix(mix(mix(m->seed, e), b), mk), (uint64_t)j) % 10 == 0)
            return j;
    return 0;
}

static void move_outcome(json_t *o, const char *mkey, bool home, uint64_t h)
{
    int sign = (h & 1) ? 1 : -1, cents = 5 * (1 + (int)((h >> 1) % 3));
    json_t *price = json_object_get(o, "price"), *point = json_object_get(o, "point");
    int a = (int)json_number_value(price);
    if (!strcmp(mkey, "h2h") || !strcmp(mkey, "h2h_lay")) {
        json_object_set_new(o, "price", json_integer(american_shift(a, home ? sign * cents
                                                                          : -sign * cents)));
        return;
    }
    double step = 0.5 * sign;
    if (json_is_number(point) && !strcmp(mkey, "spreads"))
        json_object_set_new(o, "point", json_real(json_number_value(point) + (home ? -step : step)));
    else if (json_is_number(point))
        json_object_set_new(o, "point", json_real(json_number_value(point) + step));
    json_object_set_new(o, "price", json_integer(american_shift(a, (h >> 3) & 1 ? 5 : -5)));
}

static bool listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, word, n))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static void to_decimal(json_t *book)
{
    size_t i, k;
    json_t *mk, *o;
    json_array_foreach(json_object_get(book, "markets"), i, mk) {
        json_array_foreach(json_object_get(mk, "outcomes"), k, o) {
            double a = json_number_value(json_object_get(o, "price"));
            double d = a > 0 ? 1 + a / 100.0 : 1 + 100.0 / -a;
            json_object_set_new(o, "price", json_real(round(d * 100) / 100));
        }
    }
}

/* Moves the book's markets to their values at this step; keeps the markets asked for. Returns
 * the last step at which one of them moved (0: none). */
static int64_t shape_book(const struct mock *m, json_t *book, size_t e, size_t b,
                          const char *home, const char *markets, int64_t step)
{
    json_t *kept = json_array();
    int64_t last = 0;
    size_t i, k;
    json_t *mk, *o;
    json_array_foreach(json_object_get(book, "markets"), i, mk) {
        const char *key = json_string_value(json_object_get(mk, "key"));
        bool want = key && (listed(markets, key) || (!strcmp(key, "h2h_lay") && listed(markets, "h2h")));
        if (!want)
            continue;
        int64_t j = last_change(m, e, b, i, step);
        if (j > 0) {
            uint64_t h = mix(mix(mix(mix(m->seed ^ 0x5A5A, e), b), i), (uint64_t)j);
            json_array_foreach(json_object_get(mk, "outcomes"), k, o) {
                const char *name = json_string_value(json_object_get(o, "name"));
                move_outcome(o, key, name && !strcmp(name, home), h);
            }
            if (json_object_get(mk, "last_update"))
                set_time(mk, "last_update", m->start + j * 60, false);
        }
        last = j > last ? j : last;
        json_array_append(kept, mk);
    }
    json_object_set_new(book, "markets", kept);
    return last;
}

/* Pinnacle (region eu), derived from the event's first book: a little less margin. */
static json_t *pinnacle_from(const json_t *book)
{
    json_t *p = json_deep_copy(book);
    json_object_set_new(p, "key", json_string("pinnacle"));
    json_object_set_new(p, "title", json_string("Pinnacle"));
    size_t i, k;
    json_t *mk, *o;
    json_array_foreach(json_object_get(p, "markets"), i, mk) {
        json_array_foreach(json_object_get(mk, "outcomes"), k, o) {
            int a = (int)json_number_value(json_object_get(o, "price"));
            json_object_set_new(o, "price", json_integer(american_shift(a, 3)));
        }
    }
    return p;
}

static void rename_team(json_t *ev, const char *from, const char *to)
{
    size_t b, i, k;
    json_t *bk, *mk, *o;
    json_object_set_new(ev, "home_team", json_string(to));
    json_array_foreach(json_object_get(ev, "bookmakers"), b, bk)
        json_array_foreach(json_object_get(bk, "markets"), i, mk)
            json_array_foreach(json_object_get(mk, "outcomes"), k, o) {
                const char *name = json_string_value(json_object_get(o, "name"));
                if (name && !strcmp(name, from))
                    json_object_set_new(o, "name", json_string(to));
            }
}

struct odds_query {
    const char *regions, *markets, *format;
    bool unknown_team;
};

static void shape_event(const struct mock *m, json_t *ev, size_t e, const struct odds_query *q,
                        int64_t now)
{
    int64_t step = (now - m->start) / 60;
    const char *home = json_string_value(json_object_get(ev, "home_team"));
    json_t *books = json_array();
    bool us = listed(q->regions, "us") || listed(q->regions, "us2");
    size_t b;
    json_t *bk;
    json_array_foreach(json_object_get(ev, "bookmakers"), b, bk) {
        int64_t lu = sample_time(json_string_value(json_object_get(bk, "last_update"))) + m->shift;
        int64_t j = shape_book(m, bk, e, b, home, q->markets, step);
        lu = lu > now ? now : lu;
        if (j > 0 && m->start + j * 60 > lu)
            lu = m->start + j * 60;
        set_time(bk, "last_update", lu, false);
        if (b == 0 && listed(q->regions, "eu"))
            json_array_append_new(books, pinnacle_from(bk));
        if (us)
            json_array_append(books, bk);
    }
    json_object_set_new(ev, "bookmakers", books);
    if (q->format && !strcmp(q->format, "decimal"))
        json_array_foreach(books, b, bk) to_decimal(bk);
    if (q->unknown_team && home) {
        char from[128];
        snprintf(from, sizeof from, "%s", home);
        rename_team(ev, from, "Springfield Isotopes");
    }
}

static json_t *odds_body(struct mock *m, const char *sport, const struct odds_query *q,
                         int64_t now)
{
    json_t *out = json_array();
    if (strcmp(sport, "basketball_nba") && strcmp(sport, "upcoming"))
        return out;
    size_t e;
    json_t *ev;
    json_array_foreach(m->nba_odds, e, ev) {
        int64_t start = sample_time(json_string_value(json_object_get(ev, "commence_time"))) +
                        m->shift;
        if (phase_at(now, start, NBA_DURATION) == POST)
            continue;
        json_t *copy = json_deep_copy(ev);
        set_time(copy, "commence_time", start, false);
        struct odds_query qq = *q;
        qq.unknown_team = q->unknown_team && json_array_size(out) == 0;
        shape_event(m, copy, e, &qq, now);
        json_array_append_new(out, copy);
    }
    return out;
}

static json_t *scores_body(struct mock *m, const char *sport, int days_from, bool unknown_team,
                           int64_t now)
{
    json_t *out = json_array();
    if (strcmp(sport, "basketball_nba"))
        return out;
    size_t e;
    json_t *ev;
    json_array_foreach(m->nba_odds, e, ev) {
        const char *home = json_string_value(json_object_get(ev, "home_team"));
        const char *away = json_string_value(json_object_get(ev, "away_team"));
        int64_t start = sample_time(json_string_value(json_object_get(ev, "commence_time"))) +
                        m->shift;
        enum phase ph = phase_at(now, start, NBA_DURATION);
        if (ph == POST && (days_from <= 0 || now - start > days_from * 86400))
            continue;
        json_t *s = json_object();
        json_object_set(s, "id", json_object_get(ev, "id"));
        json_object_set(s, "sport_key", json_object_get(ev, "sport_key"));
        json_object_set(s, "sport_title", json_object_get(ev, "sport_title"));
        set_time(s, "commence_time", start, false);
        json_object_set_new(s, "completed", json_boolean(ph == POST));
        json_object_set_new(s, "home_team", json_string(unknown_team && !e ? "Springfield Isotopes" : home));
        json_object_set_new(s, "away_team", json_string(away));
        if (ph == PRE) {
            json_object_set_new(s, "scores", json_null());
            json_object_set_new(s, "last_update", json_null());
        } else {
            int hs, as;
            double frac = (double)(now - start) / NBA_DURATION;
            score_at(m, home, away, false, frac, &hs, &as);
            char hb[16], ab[16];
            snprintf(hb, sizeof hb, "%d", hs);
            snprintf(ab, sizeof ab, "%d", as);
            json_object_set_new(s, "scores",
                                json_pack("[{s:s,s:s},{s:s,s:s}]", "name",
                                          unknown_team && !e ? "Springfield Isotopes" : home,
                                          "score", hb, "name", away, "score", ab));
            set_time(s, "last_update", ph == POST ? start + NBA_DURATION : now, false);
        }
        json_array_append_new(out, s);
    }
    return out;
}

/* ---- ESPN ------------------------------------------------------------------------------- */

static void espn_status(json_t *st, enum phase ph, double frac, bool football)
{
    int period = ph == PRE ? 0 : ph == POST ? 4 : 1 + (int)(frac * 4);
    bool half = ph == LIVE && frac >= 0.48 && frac < 0.52;
    const char *id = ph == PRE ? "1" : ph == POST ? "3" : half ? "23" : "2";
    const char *name = ph == PRE ? "STATUS_SCHEDULED" : ph == POST ? "STATUS_FINAL"
                       : half    ? "STATUS_HALFTIME"
                                 : "STATUS_IN_PROGRESS";
    const char *state = ph == PRE ? "pre" : ph == POST ? "post" : "in";
    const char *desc = ph == PRE ? "Scheduled" : ph == POST ? "Final" : half ? "Halftime"
                                                                            : "In Progress";
    json_object_set_new(st, "period", json_integer(period > 4 ? 4 : period));
    json_object_set_new(st, "displayClock", json_string(ph == LIVE ? (football ? "7:30" : "6:00") : "0:00"));
    json_t *type = json_object_get(st, "type");
    if (!json_is_object(type)) {
        type = json_object();
        json_object_set_new(st, "type", type);
    }
    json_object_set_new(type, "id", json_string(id));
    json_object_set_new(type, "name", json_string(name));
    json_object_set_new(type, "state", json_string(state));
    json_object_set_new(type, "completed", json_boolean(ph == POST));
    json_object_set_new(type, "description", json_string(desc));
    json_object_set_new(type, "detail", json_string(desc));
    json_object_set_new(type, "shortDetail", json_string(desc));
}

static bool espn_event(const struct mock *m, const struct board *bd, json_t *ev, const char *dates,
                       bool football, bool unknown_team, int64_t now)
{
    int64_t start = sample_time(json_string_value(json_object_get(ev, "date"))) + bd->shift;
    if (dates) {
        char d[11], compact[9];
        aps_time_format_date(start - 5 * 3600, d, sizeof d); /* the US Eastern date */
        snprintf(compact, sizeof compact, "%.4s%.2s%.2s", d, d + 5, d + 8);
        if (strcmp(compact, dates))
            return false;
    }
    enum phase ph = phase_at(now, start, bd->duration);
    double frac = (double)(now - start) / (double)bd->duration;
    set_time(ev, "date", start, true);
    json_t *comp = json_array_get(json_object_get(ev, "competitions"), 0);
    set_time(comp, "date", start, true);
    set_time(comp, "startDate", start, true);
    json_object_del(comp, "situation");
    espn_status(json_object_get(ev, "status"), ph, frac, football);
    if (json_is_object(json_object_get(comp, "status")))
        espn_status(json_object_get(comp, "status"), ph, frac, football);
    const char *names[2] = {"", ""};
    json_t *sides[2] = {NULL, NULL};
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(comp, "competitors"), i, c) {
        const char *ha = json_string_value(json_object_get(c, "homeAway"));
        int k = ha && !strcmp(ha, "home") ? 0 : 1;
        sides[k] = c;
        names[k] = json_string_value(json_object_get(json_object_get(c, "team"), "displayName"));
    }
    if (!sides[0] || !sides[1] || !names[0] || !names[1])
        return true;
    int hs = 0, as = 0;
    if (ph != PRE)
        score_at(m, names[0], names[1], football, frac, &hs, &as);
    char b[16];
    snprintf(b, sizeof b, "%d", hs);
    json_object_set_new(sides[0], "score", json_string(b));
    snprintf(b, sizeof b, "%d", as);
    json_object_set_new(sides[1], "score", json_string(b));
    if (unknown_team)
        json_object_set_new(json_object_get(sides[0], "team"), "displayName",
                            json_string("Springfield Isotopes"));
    return true;
}

static json_t *espn_body(struct mock *m, const char *path, const char *dates, bool unknown_team,
                         int64_t now)
{
    bool football = strstr(path, "/football/nfl/") != NULL;
    const struct board *bd = football ? &m->nfl : strstr(path, "/basketball/nba/") ? &m->nba : NULL;
    if (!bd)
        return json_pack("{s:[],s:[]}", "leagues", "events");
    json_t *out = json_deep_copy(bd->json);
    json_t *kept = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(out, "events"), i, ev) {
        bool first = json_array_size(kept) == 0;
        if (espn_event(m, bd, ev, dates, football, unknown_team && first, now))
            json_array_append(kept, ev);
    }
    json_object_set_new(out, "events", kept);
    return out;
}

static json_t *weather_body(struct mock *m, const char *place, int64_t now)
{
    json_t *w = json_deep_copy(m->weather);
    uint64_t h = mix(hash_str(m->seed, place), (uint64_t)(now / 3600));
    json_t *main = json_object_get(w, "main");
    double temp = json_number_value(json_object_get(main, "temp")) + (double)(h % 100) / 10.0 - 5.0;
    json_object_set_new(main, "temp", json_real(round(temp * 100) / 100));
    json_object_set_new(w, "dt", json_integer(now));
    char city[64];
    snprintf(city, sizeof city, "%.*s", (int)strcspn(place, ","), place);
    json_object_set_new(w, "name", json_string(city));
    return w;
}

/* ---- HTTP ------------------------------------------------------------------------------- */

static const char *arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status, char *body,
                                 const char *const *headers)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    for (size_t i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(r, headers[i], headers[i + 1]);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j,
                                 const char *const *headers)
{
    char *body = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(j);
    return send_body(c, status, body ? body : strdup("null"), headers);
}

/* A body sent half-way, then the connection is closed: the client sees a partial transfer. */
struct partial {
    char *body;
    size_t len, sent;
};

static ssize_t partial_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct partial *p = cls;
    size_t half = p->len / 2;
    if (pos >= half)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = half - (size_t)pos < max ? half - (size_t)pos : max;
    memcpy(buf, p->body + pos, n);
    return (ssize_t)n;
}

static void partial_free(void *cls)
{
    struct partial *p = cls;
    free(p->body);
    free(p);
}

static enum MHD_Result send_truncated(struct MHD_Connection *c, json_t *j,
                                      const char *const *headers)
{
    struct partial *p = calloc(1, sizeof *p);
    p->body = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(j);
    p->len = strlen(p->body);
    struct MHD_Response *r =
        MHD_create_response_from_callback(p->len, 4096, partial_read, p, partial_free);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    for (size_t i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(r, headers[i], headers[i + 1]);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* Valid HTTP, broken JSON: the first 60 % of the body and a stray bracket. */
static enum MHD_Result send_malformed(struct MHD_Connection *c, json_t *j,
                                      const char *const *headers)
{
    char *body = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(j);
    size_t cut = strlen(body) * 3 / 5;
    if (cut < 2)
        cut = strlen(body);
    body[cut] = '\0';
    char *bad = malloc(cut + 8);
    snprintf(bad, cut + 8, "%s]}]x", body);
    free(body);
    return send_body(c, MHD_HTTP_OK, bad, headers);
}

static const char *provider_of(const char *url)
{
    if (aps_str_starts(url, "/v4/"))
        return "theoddsapi";
    if (aps_str_starts(url, "/apis/site/"))
        return "espn";
    if (aps_str_starts(url, "/data/2.5/"))
        return "weather";
    return NULL;
}

/* Takes one injected failure for this provider, if any. Caller holds the lock. */
static enum fail_mode take_failure(struct mock *m, const char *provider)
{
    if (m->fail == F_NONE || m->fail_left <= 0)
        return F_NONE;
    if (m->fail_provider[0] && strcmp(m->fail_provider, provider))
        return F_NONE;
    enum fail_mode f = m->fail;
    if (--m->fail_left == 0)
        m->fail = F_NONE;
    m->failed++;
    return f;
}

/* The answer of a provider route, built under the lock; NULL → 404. *cost: credits charged. */
static json_t *route(struct mock *m, struct MHD_Connection *c, const char *url, bool unknown,
                     int64_t now, int *status, int64_t *cost)
{
    char sport[64];
    *status = MHD_HTTP_OK;
    *cost = -1;
    if (!strcmp(url, "/v4/sports") || !strcmp(url, "/v4/sports/")) {
        *cost = 0;
        return json_incref(m->sports);
    }
    if (sscanf(url, "/v4/sports/%63[^/]/odds", sport) == 1) {
        struct odds_query q = {arg(c, "regions"), arg(c, "markets"), arg(c, "oddsFormat"), unknown};
        if (!q.regions || !q.markets)
            q.regions = q.regions ? q.regions : "us", q.markets = q.markets ? q.markets : "h2h";
        json_t *body = odds_body(m, sport, &q, now);
        int nm = 0, nr = 0;
        for (const char *p = q.markets; *p; p++)
            nm += p == q.markets || p[-1] == ',';
        for (const char *p = q.regions; *p; p++)
            nr += p == q.regions || p[-1] == ',';
        *cost = json_array_size(body) ? nm * nr : 0;
        return body;
    }
    if (sscanf(url, "/v4/sports/%63[^/]/scores", sport) == 1) {
        int days = 0;
        const char *d = arg(c, "daysFrom");
        if (d && aps_parse_int(d, &days))
            days = 0;
        *cost = days > 0 ? 2 : 1;
        return scores_body(m, sport, days, unknown, now);
    }
    if (aps_str_starts(url, "/apis/site/v2/sports/") && strstr(url, "/scoreboard"))
        return espn_body(m, url, arg(c, "dates"), unknown, now);
    if (!strcmp(url, "/data/2.5/weather")) {
        const char *q = arg(c, "q"), *lat = arg(c, "lat");
        return weather_body(m, q ? q : lat ? lat : "", now);
    }
    return NULL;
}

/* A provider's error answer: TheOddsAPI's {message, error_code, details_url}, OpenWeatherMap's
 * {cod, message}, ESPN's {code, message}. */
static json_t *error_body(const char *provider, unsigned status, const char *code,
                          const char *message)
{
    if (!strcmp(provider, "theoddsapi")) {
        char url[160];
        snprintf(url, sizeof url,
                 "https://the-odds-api.com/liveapi/guides/v4/api-error-codes.html#%s", code);
        for (char *p = strchr(url, '#'); p && *p; p++)
            *p = *p == '_' ? '-' : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        return json_pack("{s:s,s:s,s:s}", "message", message, "error_code", code, "details_url",
                         url);
    }
    if (!strcmp(provider, "weather")) /* OpenWeatherMap: cod is text in a 404, else a number */
        return status == 404 ? json_pack("{s:s,s:s}", "cod", "404", "message", message)
                             : json_pack("{s:i,s:s}", "cod", (int)status, "message", message);
    return json_pack("{s:i,s:s}", "code", (int)status, "message", message);
}

/* The 401 answer for the request's key, or NULL when the key is good. */
static json_t *key_refused(struct MHD_Connection *c, const char *provider)
{
    const char *k = !strcmp(provider, "theoddsapi") ? arg(c, "apiKey")
                    : !strcmp(provider, "weather")  ? arg(c, "appid")
                                                    : "-";
    bool missing = !k || !*k, invalid = !missing && aps_str_starts(k, "invalid");
    if (!missing && !invalid)
        return NULL;
    if (!strcmp(provider, "weather"))
        return error_body(provider, 401, "", "Invalid API key. Please see "
                                             "https://openweathermap.org/faq#error401 for more "
                                             "info.");
    return missing ? error_body(provider, 401, "MISSING_KEY",
                                "API key is missing. Add an apiKey query parameter")
                   : error_body(provider, 401, "INVALID_KEY",
                                "API key is not valid. Please check your API key");
}

static enum MHD_Result serve_provider(struct mock *m, struct MHD_Connection *c, const char *url,
                                      const char *provider)
{
    json_t *refused = key_refused(c, provider);
    if (refused)
        return send_json(c, MHD_HTTP_UNAUTHORIZED, refused, NULL);
    pthread_mutex_lock(&m->mu);
    enum fail_mode f = take_failure(m, provider);
    int delay = m->delay_s;
    int64_t now = mock_now(m), cost = -1;
    int status;
    json_t *body = NULL;
    if (f != F_429 && f != F_500 && f != F_UNKNOWN_PLACE && f != F_503)
        body = route(m, c, url, f == F_UNKNOWN_TEAM, now, &status, &cost);
    /* TheOddsAPI's answers are arrays of events; an ESPN board holds its own under "events" */
    json_t *events = json_is_array(body) ? body : json_object_get(body, "events");
    if (f == F_BAD_EVENT && json_array_size(events) > 1)
        json_object_del(json_array_get(events, 0), "id");
    bool quota_out = cost > 0 && m->quota - m->used < cost;
    if (body && cost > 0 && !quota_out && f == F_NONE)
        m->used += cost;
    m->served++;
    char rem[24], used[24], last[24];
    snprintf(rem, sizeof rem, "%lld", (long long)(m->quota - m->used));
    snprintf(used, sizeof used, "%lld", (long long)m->used);
    snprintf(last, sizeof last, "%lld", (long long)(cost > 0 && !quota_out && f == F_NONE ? cost : 0));
    pthread_mutex_unlock(&m->mu);

    const char *quota_h[] = {"x-requests-remaining", rem, "x-requests-used", used,
                             "x-requests-last", last, NULL};
    const char *const *hdr = !strcmp(provider, "theoddsapi") ? quota_h : NULL;
    if (f == F_429) {
        const char *h429[] = {"Retry-After", "1", NULL};
        return send_json(c, 429,
                         error_body(provider, 429, "EXCEEDED_FREQ_LIMIT",
                                    "Request frequency limit has been exceeded. Space out "
                                    "requests over several seconds"),
                         h429);
    }
    if (f == F_503) { /* down for maintenance, back in 2 s (a proxy's or the provider's answer) */
        const char *h503[] = {"Retry-After", "2", NULL};
        return send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                         json_pack("{s:s}", "message", "Service temporarily unavailable"), h503);
    }
    if (f == F_500)
        return send_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                         json_pack("{s:s}", "message", "Internal server error"), hdr);
    if (f == F_UNKNOWN_PLACE)
        return send_json(c, MHD_HTTP_NOT_FOUND,
                         error_body(provider, 404, "NOT_FOUND", "city not found"), NULL);
    if (!body)
        return send_json(c, MHD_HTTP_NOT_FOUND, json_pack("{s:s}", "message", "Unknown route"),
                         NULL);
    if (quota_out) {
        json_decref(body);
        return send_json(c, MHD_HTTP_UNAUTHORIZED,
                         error_body(provider, 401, "OUT_OF_USAGE_CREDITS",
                                    "Usage quota has been reached. See usage plans at "
                                    "https://the-odds-api.com"),
                         hdr);
    }
    if (f == F_TIMEOUT)
        sleep((unsigned)delay);
    if (f == F_TRUNCATED)
        return send_truncated(c, body, hdr);
    if (f == F_MALFORMED)
        return send_malformed(c, body, hdr);
    return send_json(c, (unsigned)status, body, hdr);
}

static enum MHD_Result serve_control(struct mock *m, struct MHD_Connection *c, const char *url)
{
    pthread_mutex_lock(&m->mu);
    int64_t v = 0;
    const char *s = NULL;
    unsigned status = MHD_HTTP_OK;
    if (!strcmp(url, "/_control/advance")) {
        s = arg(c, "seconds");
        if (s && !aps_parse_int64(s, &v) && v >= 0)
            m->advanced += v;
        else
            status = MHD_HTTP_BAD_REQUEST;
    } else if (!strcmp(url, "/_control/fail")) {
        const char *mode = arg(c, "mode"), *cnt = arg(c, "count"), *p = arg(c, "provider");
        const char *d = arg(c, "delay");
        int n = 1, dl = 3, fm = -1;
        for (int i = 1; mode && i <= F_503; i++)
            if (!strcmp(mode, FAIL_NAMES[i]))
                fm = i;
        if (fm < 0 || (cnt && aps_parse_int(cnt, &n)) || (d && aps_parse_int(d, &dl))) {
            status = MHD_HTTP_BAD_REQUEST;
        } else {
            m->fail = (enum fail_mode)fm;
            m->fail_left = n;
            m->delay_s = dl;
            snprintf(m->fail_provider, sizeof m->fail_provider, "%s", p ? p : "");
        }
    } else if (!strcmp(url, "/_control/quota")) {
        s = arg(c, "remaining");
        if (s && !aps_parse_int64(s, &v) && v >= 0)
            m->quota = m->used + v;
        else
            status = MHD_HTTP_BAD_REQUEST;
    } else if (strcmp(url, "/_control/state")) {
        status = MHD_HTTP_NOT_FOUND;
    }
    json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:i}", "now", (json_int_t)mock_now(m),
                          "requests_used", (json_int_t)m->used, "requests_remaining",
                          (json_int_t)(m->quota - m->used), "served", (json_int_t)m->served,
                          "failed", (json_int_t)m->failed, "fail_mode", FAIL_NAMES[m->fail],
                          "fail_left", m->fail_left);
    pthread_mutex_unlock(&m->mu);
    if (status != MHD_HTTP_OK)
        json_object_set_new(j, "error", json_string("bad or missing parameter"));
    return send_json(c, status, j, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **state)
{
    static int marker;
    struct mock *m = cls;
    if (!*state) { /* first call: headers only */
        *state = &marker;
        return MHD_YES;
    }
    if (*upload_data_size) { /* control bodies are ignored */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (aps_str_starts(url, "/_control/"))
        return serve_control(m, c, url);
    const char *provider = provider_of(url);
    if (!provider || strcmp(method, "GET"))
        return send_json(c, MHD_HTTP_NOT_FOUND, json_pack("{s:s}", "message", "Unknown route"),
                         NULL);
    return serve_provider(m, c, url, provider);
}

/* ---- start-up --------------------------------------------------------------------------- */

static json_t *load(const char *dir, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/api-samples/%s", dir, rel);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fprintf(stderr, "mock_providers: %s: %s\n", path, je.text);
    return j;
}

static int parse_args(struct mock *m, int argc, char **argv, int *port, const char **dir)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n;
        if (!strcmp(a, "--rebase")) {
            m->realtime = true;
        } else if (v && !strcmp(a, "--data")) {
            *dir = v;
            i++;
        } else if (v && (!strcmp(a, "--port") || !strcmp(a, "--seed") || !strcmp(a, "--quota"))) {
            if (aps_parse_int64(v, &n) || n < 0)
                return -1;
            if (!strcmp(a, "--port"))
                *port = (int)n;
            else if (!strcmp(a, "--seed"))
                m->seed = (uint64_t)n;
            else
                m->quota = n;
            i++;
        } else if (!aps_parse_int64(a, &n) && n >= 0 && n < 65536) {
            *port = (int)n;
        } else {
            return -1;
        }
    }
    return 0;
}

static int load_all(struct mock *m, const char *dir)
{
    m->sports = load(dir, "theoddsapi/sports.json");
    m->nba_odds = load(dir, "theoddsapi/odds_basketball_nba_h2h_spreads_totals_american_2022-11-23.json");
    m->weather = load(dir, "openweathermap/current_weather_london_2023-05-26.json");
    m->nba.json = load(dir, "espn/nba_scoreboard_2022-11-22_live.json");
    m->nfl.json = load(dir, "espn/nfl_scoreboard_2023_week5_pregame.json");
    if (!m->sports || !m->nba_odds || !m->weather || !m->nba.json || !m->nfl.json)
        return -1;
    int64_t t0 = aps_time_from_civil(2022, 11, 23, 0, 0, 0);
    m->start = t0;
    m->shift = 0;
    if (m->realtime) {
        m->wall0 = aps_time_now();
        m->shift = m->wall0 - t0;
        m->start = m->wall0;
    }
    m->nba.duration = NBA_DURATION;
    m->nba.shift = m->shift;
    m->nfl.duration = NFL_DURATION;
    /* NFL: the Thursday game of 2023-10-06T00:15Z starts 3 h 15 min after the scenario start. */
    m->nfl.shift = m->shift + t0 - aps_time_from_civil(2023, 10, 5, 21, 0, 0);
    return 0;
}

int main(int argc, char **argv)
{
    struct mock m = {.seed = 42, .quota = 500, .delay_s = 3};
    pthread_mutex_init(&m.mu, NULL);
    int port = 0;
    const char *dir = APS_DATA_DIR_DEFAULT;
    if (parse_args(&m, argc, argv, &port, &dir)) {
        fprintf(stderr, "usage: mock_providers [--port N] [--data DIR] [--seed S] [--quota Q] "
                        "[--rebase]\n");
        return 2;
    }
    if (load_all(&m, dir))
        return 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the server's threads inherit the mask */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, (uint16_t)port, NULL,
        NULL, on_request, &m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mock_providers: cannot listen on port %d\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("{\"port\":%u,\"now\":%lld}\n", info ? info->port : (unsigned)port,
           (long long)mock_now(&m));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    json_decref(m.sports);
    json_decref(m.nba_odds);
    json_decref(m.weather);
    json_decref(m.nba.json);
    json_decref(m.nfl.json);
    pthread_mutex_destroy(&m.mu);
    return 0;
}
