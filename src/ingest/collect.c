/* collect.c — the collector jobs (see collect.h): request, parse, store in one transaction,
 * record the provider's bookkeeping, count failures by class. Every read here decides what to
 * request or store (the credit budget, the games due a weather reading), so all of them go to
 * the primary, never a read replica that may lag behind the last run's writes. */
#include "ingest/collect.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/collect_http.h"
#include "ingest/espn.h"
#include "ingest/live_store.h"
#include "ingest/theoddsapi.h"
#include "ingest/weather.h"
#include "metrics/metrics.h"
#include "store/store.h"

enum provider { P_ODDS, P_ESPN, P_WEATHER };
static const char *const PROVIDER[] = {"theoddsapi", "espn", "weather"};

void aps_collector_init(struct aps_collector *c, const struct aps_config *cfg,
                        struct aps_store *store, struct aps_metrics *metrics)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->store = store;
    c->metrics = metrics;
}

void aps_collector_cleanup(struct aps_collector *c)
{
    for (int i = 0; i < 3; i++)
        aps_collect_free(c->http[i]);
    memset(c->http, 0, sizeof c->http);
}

static void report_init(struct aps_collect_report *r, enum provider p)
{
    memset(r, 0, sizeof *r);
    r->provider = PROVIDER[p];
    r->credits_remaining = r->credits_used = r->credits_last = -1;
}

/* Sets the failure class and message, counts aps_collector_failures_total{provider,kind}. */
static int failed(struct aps_collector *c, struct aps_collect_report *r, const char *kind, int rc,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int failed(struct aps_collector *c, struct aps_collect_report *r, const char *kind, int rc,
                  const char *fmt, ...)
{
    r->failure = kind;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, sizeof r->err, fmt, ap);
        va_end(ap);
    }
    if (c->metrics) {
        static const char *const names[] = {"provider", "kind", NULL};
        struct aps_metric *m = aps_metrics_counter(
            c->metrics, "aps_collector_failures_total", "collector polls that failed", names);
        const char *lv[] = {r->provider, kind};
        aps_metric_add(m, lv, 1);
    }
    return rc;
}

static void count_records(struct aps_collector *c, const struct aps_collect_report *r)
{
    if (!c->metrics)
        return;
    static const char *const names[] = {"provider", "result", NULL};
    struct aps_metric *m = aps_metrics_counter(c->metrics, "aps_collector_records_total",
                                               "records seen by the collectors", names);
    const char *ins[] = {r->provider, "stored"}, *unc[] = {r->provider, "unchanged"},
               *rej[] = {r->provider, "rejected"};
    aps_metric_add(m, ins,
                   (double)(r->inserted + r->games_created + r->games_changed + r->weather_rows));
    aps_metric_add(m, unc, (double)(r->unchanged + r->games_updated - r->games_changed));
    aps_metric_add(m, rej, (double)r->rejected);
}

static int client(struct aps_collector *c, enum provider p, struct aps_collect **out)
{
    if (!c->http[p]) {
        struct aps_collect_opts o;
        aps_collect_opts_from_config(&o, c->cfg, PROVIDER[p]);
        int rc = aps_collect_new(&c->http[p], &o, c->metrics);
        if (rc)
            return rc;
    }
    aps_collect_set_deadline(c->http[p], c->deadline);
    *out = c->http[p];
    return 0;
}

/* GETs url and records the provider's bookkeeping (quota headers, the error) in provider_status
 * and the report's message; *kind gets the failure class, which fetch() counts. */
static int fetch_unclassed(struct aps_collector *c, enum provider p, const char *url,
                           struct aps_collect_resp *resp, struct aps_collect_report *r, int64_t now,
                           const char **kind)
{
    struct aps_collect *h = NULL;
    int rc = client(c, p, &h);
    *kind = rc ? "config" : "http";
    if (rc) {
        snprintf(r->err, sizeof r->err, "%s: cannot make an HTTP client", r->provider);
        return rc;
    }
    rc = aps_collect_get(h, url, resp, r->err, sizeof r->err);
    r->credits_remaining = resp->requests_remaining;
    r->credits_used = resp->requests_used;
    r->credits_last = resp->requests_last;
    struct aps_conn *conn = NULL;
    if (!aps_store_acquire(c->store, APS_DB_WRITE, &conn)) {
        if (aps_live_provider_put(conn, r->provider, resp->requests_remaining,
                                  resp->requests_used, resp->requests_last, rc ? r->err : NULL,
                                  now))
            rc = rc ? rc : APS_E_DB;
        aps_store_release(conn);
    }
    return rc;
}

/* GETs url; on failure records the error in provider_status and the report. */
static int fetch(struct aps_collector *c, enum provider p, const char *url,
                 struct aps_collect_resp *resp, struct aps_collect_report *r, int64_t now)
{
    const char *kind = NULL;
    int rc = fetch_unclassed(c, p, url, resp, r, now, &kind);
    return rc ? failed(c, r, kind, rc, NULL) : 0;
}

/* ---- transactions ----------------------------------------------------------------------- */

struct txn {
    struct aps_conn *conn;
    struct aps_live *live;
};

static int txn_begin(struct aps_collector *c, struct txn *t, struct aps_collect_report *r)
{
    memset(t, 0, sizeof *t);
    int rc = aps_store_acquire(c->store, APS_DB_WRITE, &t->conn);
    if (rc)
        return failed(c, r, "db", rc, "%s: no database connection", r->provider);
    rc = aps_conn_begin(t->conn);
    if (!rc)
        rc = aps_live_open(&t->live, t->conn);
    if (rc) {
        failed(c, r, "db", rc, "%s: %s", r->provider, aps_conn_errmsg(t->conn));
        aps_conn_rollback(t->conn);
        aps_store_release(t->conn);
        t->conn = NULL;
    }
    return rc;
}

/* Commits when rc is 0, else rolls back; releases everything. */
static int txn_end(struct aps_collector *c, struct txn *t, int rc, struct aps_collect_report *r)
{
    const char *amb = aps_live_ambiguous(t->live);
    size_t n = strlen(r->ambiguous);
    if (!rc && *amb)
        snprintf(r->ambiguous + n, sizeof r->ambiguous - n, "%s%s", n ? "; " : "", amb);
    aps_live_close(t->live);
    if (!rc)
        rc = aps_conn_commit(t->conn);
    if (rc) {
        if (!r->failure)
            failed(c, r, "db", rc, "%s: nothing stored: %s", r->provider,
                   aps_conn_errmsg(t->conn));
        aps_conn_rollback(t->conn);
    }
    aps_store_release(t->conn);
    return rc;
}

/* Counts count rejected events and adds what they were, and why, to the report's list while it
 * has room. */
static void note_rejected(struct aps_collect_report *r, size_t count, const char *what)
{
    r->rejected += count;
    size_t n = strlen(r->rejected_names);
    if (n + 8 < sizeof r->rejected_names)
        snprintf(r->rejected_names + n, sizeof r->rejected_names - n, "%s%s", n ? ", " : "",
                 what);
}

/* Stores one game; 1 when the event was rejected (counted), 0 stored, negative on error. */
static int store_game(struct aps_collector *c, struct txn *t, const struct aps_live_game *g,
                      int64_t now, struct aps_live_ref *ref, struct aps_collect_report *r)
{
    int rc = aps_live_game(t->live, g, now, ref);
    if (rc == APS_E_NOTFOUND || rc == APS_E_INVAL) {
        char what[2 * APS_NAME_MAX + 32];
        snprintf(what, sizeof what, "%s @ %s (%s)", g->away, g->home,
                 rc == APS_E_NOTFOUND ? "unknown team" : "same team twice or no name");
        note_rejected(r, 1, what);
        return 1;
    }
    if (rc)
        return failed(c, r, "db", rc, "%s: storing game %s: %s", r->provider, g->external_id,
                      aps_live_errmsg(t->live));
    *(ref->created ? &r->games_created : &r->games_updated) += 1;
    r->games_changed += !ref->created && ref->changed;
    return 0;
}

/* ---- TheOddsAPI ------------------------------------------------------------------------- */

/* The credits the provider reports now, from GET /v4/sports (free of credits; its answer carries
 * the quota headers), into ps; false when they did not come. provider_status is updated. */
static bool fresh_credits(struct aps_collector *c, const char *key, int64_t now,
                          struct aps_provider_status *ps, struct aps_collect_report *r)
{
    struct aps_buf url = {0};
    struct aps_collect_resp resp;
    aps_collect_resp_init(&resp);
    aps_theoddsapi_sports_url(&url, aps_cfg_str(c->cfg, APS_SET_ODDS_API_BASE_URL), key);
    const char *kind = NULL;
    int rc = fetch_unclassed(c, P_ODDS, aps_buf_str(&url), &resp, r, now, &kind);
    bool got = !rc && (resp.requests_remaining >= 0 || resp.requests_used >= 0);
    if (got) {
        ps->requests_remaining = resp.requests_remaining;
        ps->requests_used = resp.requests_used;
    }
    aps_collect_resp_cleanup(&resp);
    aps_buf_cleanup(&url);
    return got;
}

/* Refuses (APS_E_BUSY, failure "budget") a call that costs more credits than the provider has
 * left or than the budget allows. The credits last reported may predate the provider's new
 * period (the quota resets monthly): a refusal on them is checked against the provider's
 * credits of now before it stands, so that the odds resume once the quota has reset. */
static int check_budget(struct aps_collector *c, const char *key, int64_t cost, int64_t now,
                        struct aps_collect_report *r)
{
    struct aps_conn *conn = NULL;
    struct aps_provider_status ps;
    int rc = aps_store_acquire(c->store, APS_DB_WRITE, &conn); /* the credits last reported */
    if (rc)
        return failed(c, r, "db", rc, "theoddsapi: no database connection");
    rc = aps_live_provider_get(conn, "theoddsapi", &ps);
    aps_store_release(conn);
    if (rc && rc != APS_E_NOTFOUND)
        return failed(c, r, "db", rc, "theoddsapi: cannot read provider_status");
    int64_t budget = aps_cfg_int(c->cfg, APS_SET_ODDS_API_CREDIT_BUDGET);
    if (aps_theoddsapi_budget_ok(ps.requests_remaining, ps.requests_used, budget, cost))
        return 0;
    if (cost <= budget && fresh_credits(c, key, now, &ps, r) &&
        aps_theoddsapi_budget_ok(ps.requests_remaining, ps.requests_used, budget, cost))
        return 0;
    return failed(c, r, "budget", APS_E_BUSY,
                      "theoddsapi: call refused: it costs %lld credits; %lld remain at the "
                      "provider, %lld of the budget of %lld are used",
                      (long long)cost, (long long)ps.requests_remaining,
                      (long long)ps.requests_used, (long long)budget);
}

static const char *odds_key(struct aps_collector *c, struct aps_collect_report *r)
{
    const char *key = aps_cfg_str(c->cfg, APS_SET_ODDS_API_KEY);
    if (!key || !*key)
        failed(c, r, "config", APS_E_CONFIG, "theoddsapi: ODDS_API_KEY is not set");
    return key && *key ? key : NULL;
}

static void odds_game(struct aps_live_game *g, const struct aps_odds_event *e)
{
    memset(g, 0, sizeof *g);
    g->sport = e->sport;
    g->provider = "theoddsapi";
    g->external_id = e->id;
    g->home = e->home;
    g->away = e->away;
    g->start = e->commence;
    g->status = e->completed ? APS_GS_FINAL : e->has_scores ? APS_GS_IN_PROGRESS : -1;
    g->home_score = e->home_score;
    g->away_score = e->away_score;
    g->indoor = -1;
}

static int store_odds_feed(struct aps_collector *c, const struct aps_odds_feed *f, int64_t now,
                           struct aps_collect_report *r)
{
    struct txn t;
    int rc = txn_begin(c, &t, r);
    if (rc)
        return rc;
    struct aps_live_ref *refs = aps_calloc(f->nevents ? f->nevents : 1, sizeof *refs);
    bool *ok = aps_calloc(f->nevents ? f->nevents : 1, sizeof *ok);
    for (size_t i = 0; i < f->nevents && !rc; i++) {
        struct aps_live_game g;
        odds_game(&g, &f->events[i]);
        int s = store_game(c, &t, &g, now, &refs[i], r);
        rc = s < 0 ? s : 0;
        ok[i] = s == 0;
    }
    struct aps_live_counts cnt = {0};
    for (size_t i = 0; i < f->nquotes && !rc; i++) {
        const struct aps_odds_quote *q = &f->quotes[i];
        if (!ok[q->event])
            continue;
        struct aps_live_quote lq = {q->book, q->book_title, q->market, q->sel,
                                    q->line, q->price, q->recorded_at};
        r->quotes++;
        rc = aps_live_quote(t.live, &refs[q->event], &lq, now, &cnt);
        if (rc)
            failed(c, r, "db", rc, "theoddsapi: storing odds: %s", aps_live_errmsg(t.live));
    }
    aps_free(refs);
    aps_free(ok);
    r->inserted = cnt.inserted;
    r->unchanged = cnt.unchanged;
    r->movements = cnt.movements;
    return txn_end(c, &t, rc, r);
}

/* What one TheOddsAPI poll asks for: odds (markets, regions, fmt) or scores (days_from). */
struct odds_poll {
    const char *key, *markets, *regions;
    enum aps_odds_format fmt;
    bool scores;
    int days_from;
    int64_t cost;
};

/* Requests one sport key's odds or scores and appends the events to feed. */
static int poll_key(struct aps_collector *c, const char *sport_key, const struct odds_poll *p,
                    struct aps_odds_feed *feed, int64_t now, struct aps_collect_report *r)
{
    int rc = check_budget(c, p->key, p->cost, now, r);
    if (rc)
        return rc;
    const char *base = aps_cfg_str(c->cfg, APS_SET_ODDS_API_BASE_URL);
    struct aps_buf url = {0};
    struct aps_collect_resp resp;
    aps_collect_resp_init(&resp);
    if (p->scores)
        aps_theoddsapi_scores_url(&url, base, sport_key, p->key, p->days_from);
    else
        aps_theoddsapi_odds_url(&url, base, sport_key, p->key, p->regions, p->markets, p->fmt);
    rc = fetch(c, P_ODDS, aps_buf_str(&url), &resp, r, now);
    if (!rc) {
        rc = p->scores ? aps_theoddsapi_parse_scores(resp.body.data, resp.body.len, feed, r->err,
                                                     sizeof r->err)
                       : aps_theoddsapi_parse_odds(resp.body.data, resp.body.len, p->fmt, feed,
                                                   r->err, sizeof r->err);
        if (rc)
            failed(c, r, "parse", rc, NULL);
    }
    aps_collect_resp_cleanup(&resp);
    aps_buf_cleanup(&url);
    return rc;
}

/* GET /v4/sports (free of credits) into a new array (aps_free). */
static int fetch_sports(struct aps_collector *c, const char *key, int64_t now,
                        struct aps_odds_sport **v, size_t *n, struct aps_collect_report *r)
{
    *v = NULL;
    *n = 0;
    struct aps_buf url = {0};
    struct aps_collect_resp resp;
    aps_collect_resp_init(&resp);
    aps_theoddsapi_sports_url(&url, aps_cfg_str(c->cfg, APS_SET_ODDS_API_BASE_URL), key);
    int rc = fetch(c, P_ODDS, aps_buf_str(&url), &resp, r, now);
    if (!rc) {
        rc = aps_theoddsapi_parse_sports(resp.body.data, resp.body.len, v, n, r->err,
                                         sizeof r->err);
        if (rc)
            failed(c, r, "parse", rc, NULL);
    }
    aps_collect_resp_cleanup(&resp);
    aps_buf_cleanup(&url);
    return rc;
}

/* Polls sport into feed: its key, or for a tennis tour (whose keys are per tournament:
 * tennis_atp_us_open, tennis_atp_wimbledon, …) each tournament GET /v4/sports lists as active,
 * counted in r->tournaments; none active is no event, not an error. */
static int poll_sport(struct aps_collector *c, enum aps_sport sport, const struct odds_poll *p,
                      struct aps_odds_feed *feed, int64_t now, struct aps_collect_report *r)
{
    if (aps_sport_info(sport)->kind != APS_KIND_TENNIS)
        return poll_key(c, aps_sport_info(sport)->odds_key, p, feed, now, r);
    struct aps_odds_sport *v = NULL;
    size_t n = 0;
    int rc = fetch_sports(c, p->key, now, &v, &n, r);
    n = rc ? 0 : aps_theoddsapi_keep_active(v, n, sport);
    r->tournaments = n;
    for (size_t i = 0; i < n && !rc; i++)
        rc = poll_key(c, v[i].key, p, feed, now, r);
    aps_free(v);
    return rc;
}

/* Polls sport and stores what came back, in one transaction. */
static int poll_and_store(struct aps_collector *c, enum aps_sport sport, const struct odds_poll *p,
                          int64_t now, struct aps_collect_report *r)
{
    struct aps_odds_feed feed = {0};
    int rc = poll_sport(c, sport, p, &feed, now, r);
    if (!rc) {
        r->events = feed.nevents;
        r->skipped_events = feed.skipped_events;
        r->skipped_quotes = feed.skipped_quotes;
        if (feed.bad_events)
            note_rejected(r, feed.bad_events, feed.bad_event);
        rc = store_odds_feed(c, &feed, now, r);
    }
    count_records(c, r);
    aps_odds_feed_cleanup(&feed);
    return rc;
}

int aps_collector_odds(struct aps_collector *c, enum aps_sport sport, int64_t now,
                       struct aps_collect_report *r)
{
    report_init(r, P_ODDS);
    struct odds_poll p = {.key = odds_key(c, r)};
    if (!p.key)
        return APS_E_CONFIG;
    p.markets = aps_cfg_str(c->cfg, APS_SET_ODDS_API_MARKETS);
    p.regions = aps_cfg_str(c->cfg, APS_SET_ODDS_API_REGIONS);
    if (aps_sport_info(sport)->kind == APS_KIND_TENNIS)
        p.markets = "h2h"; /* tennis: moneyline only (reference §4.2) */
    p.cost = aps_theoddsapi_cost(p.markets, p.regions);
    p.fmt = strcmp(aps_cfg_str(c->cfg, APS_SET_ODDS_API_ODDS_FORMAT), "decimal") ? APS_ODDS_AMERICAN
                                                                                 : APS_ODDS_DECIMAL;
    return poll_and_store(c, sport, &p, now, r);
}

int aps_collector_odds_scores(struct aps_collector *c, enum aps_sport sport, int days_from,
                              int64_t now, struct aps_collect_report *r)
{
    report_init(r, P_ODDS);
    struct odds_poll p = {.key = odds_key(c, r), .scores = true, .days_from = days_from};
    if (!p.key)
        return APS_E_CONFIG;
    p.cost = days_from > 0 ? 2 : 1;
    return poll_and_store(c, sport, &p, now, r);
}

int aps_collector_sports(struct aps_collector *c, int64_t now, size_t *active, size_t *covered,
                         struct aps_collect_report *r)
{
    report_init(r, P_ODDS);
    *active = *covered = 0;
    const char *key = odds_key(c, r);
    if (!key)
        return APS_E_CONFIG;
    struct aps_odds_sport *v = NULL;
    size_t n = 0;
    int rc = fetch_sports(c, key, now, &v, &n, r);
    for (size_t i = 0; i < n; i++) {
        *active += v[i].active;
        *covered += v[i].active && v[i].sport >= 0;
    }
    r->events = n;
    aps_free(v);
    return rc;
}

/* ---- ESPN ------------------------------------------------------------------------------- */

static void espn_game(struct aps_live_game *g, enum aps_sport sport, const struct aps_espn_event *e)
{
    memset(g, 0, sizeof *g);
    g->sport = sport;
    g->provider = "espn";
    g->external_id = e->id;
    g->home = e->home;
    g->away = e->away;
    g->start = e->start;
    g->schedule_authority = true;
    g->status = (int)e->status;
    g->home_score = e->home_score;
    g->away_score = e->away_score;
    g->venue = e->venue;
    g->venue_city = e->venue_city;
    g->indoor = e->indoor;
    g->postseason = e->postseason;
}

static int store_board(struct aps_collector *c, enum aps_sport sport,
                       const struct aps_espn_board *b, int64_t now, struct aps_collect_report *r)
{
    struct txn t;
    int rc = txn_begin(c, &t, r);
    for (size_t i = 0; i < b->n && !rc; i++) {
        struct aps_live_game g;
        struct aps_live_ref ref;
        espn_game(&g, sport, &b->events[i]);
        int s = store_game(c, &t, &g, now, &ref, r);
        rc = s < 0 ? s : 0;
    }
    return t.conn ? txn_end(c, &t, rc, r) : rc;
}

/* A tennis tour's ESPN board is not a board of games: refused, said, and nothing requested. */
static int espn_refuses(enum aps_sport sport, struct aps_collect_report *r)
{
    const struct aps_sport_info *si = aps_sport_info(sport);
    if (si->kind != APS_KIND_TENNIS)
        return 0;
    r->failure = "unsupported";
    snprintf(r->err, sizeof r->err,
             "espn: %s is not read from ESPN: its %s scoreboard lists tournaments, their matches "
             "under groupings with players (athletes) and set scores, not games of a home and an "
             "away side; %s matches and prices come from TheOddsAPI (aps collect odds --sport %s)",
             si->code, si->espn, si->code, si->code);
    return APS_E_UNSUPPORTED;
}

int aps_collector_espn(struct aps_collector *c, enum aps_sport sport, int days, int64_t now,
                       struct aps_collect_report *r)
{
    report_init(r, P_ESPN);
    if (espn_refuses(sport, r))
        return APS_E_UNSUPPORTED;
    struct aps_espn_board board = {0};
    struct aps_buf url = {0};
    int rc = 0;
    char local[11];
    aps_live_local_date(sport, now, local, sizeof local);
    int y, m, d;
    int64_t today = sscanf(local, "%4d-%2d-%2d", &y, &m, &d) == 3
                        ? aps_time_from_civil(y, m, d, 12, 0, 0)
                        : now;
    for (int day = 0; day < (days > 0 ? days : 1) && !rc; day++) {
        struct aps_collect_resp resp;
        aps_collect_resp_init(&resp);
        aps_espn_scoreboard_url(&url, aps_cfg_str(c->cfg, APS_SET_ESPN_API_BASE_URL), sport,
                                days > 0 ? today + day * 86400 : 0);
        rc = fetch(c, P_ESPN, aps_buf_str(&url), &resp, r, now);
        if (!rc) {
            rc = aps_espn_parse_scoreboard(resp.body.data, resp.body.len, &board, r->err,
                                           sizeof r->err);
            if (rc)
                failed(c, r, "parse", rc, NULL);
        }
        aps_collect_resp_cleanup(&resp);
    }
    if (!rc) {
        r->events = board.n;
        if (board.bad_events)
            note_rejected(r, board.bad_events, board.bad_event);
        rc = store_board(c, sport, &board, now, r);
    }
    count_records(c, r);
    aps_espn_board_cleanup(&board);
    aps_buf_cleanup(&url);
    return rc;
}

/* ---- weather ---------------------------------------------------------------------------- */

/* Reads one game's weather into obs; 1 when the service does not know the game's place (404
 * "city not found", or 400): that game alone is rejected, named and counted, and is asked again
 * at the next poll, while the others' readings are stored. */
static int weather_one(struct aps_collector *c, const struct aps_live_venue_game *v,
                       const char *key, int64_t now, struct aps_weather_obs *obs,
                       struct aps_collect_report *r)
{
    struct aps_buf url = {0};
    struct aps_collect_resp resp;
    aps_collect_resp_init(&resp);
    aps_weather_url(&url, aps_cfg_str(c->cfg, APS_SET_WEATHER_API_BASE_URL), v->place, v->lat,
                    v->lon, key);
    const char *kind = NULL;
    int rc = fetch_unclassed(c, P_WEATHER, aps_buf_str(&url), &resp, r, now, &kind);
    if (rc && (resp.status == 404 || resp.status == 400)) {
        char what[160];
        if (v->place[0])
            snprintf(what, sizeof what, "game %lld at %.60s (weather: HTTP %ld)",
                     (long long)v->game_id, v->place, resp.status);
        else
            snprintf(what, sizeof what, "game %lld at %.4f,%.4f (weather: HTTP %ld)",
                     (long long)v->game_id, v->lat, v->lon, resp.status);
        note_rejected(r, 1, what);
        r->err[0] = '\0';
        rc = 1;
    } else if (rc) {
        failed(c, r, kind, rc, NULL);
    } else {
        rc = aps_weather_parse(resp.body.data, resp.body.len, obs, r->err, sizeof r->err);
        if (rc)
            failed(c, r, "parse", rc, NULL);
    }
    aps_collect_resp_cleanup(&resp);
    aps_buf_cleanup(&url);
    return rc;
}

int aps_collector_weather(struct aps_collector *c, enum aps_sport sport, int64_t now,
                          struct aps_collect_report *r)
{
    report_init(r, P_WEATHER);
    if (!aps_weather_sport(sport))
        return 0;
    const char *key = aps_cfg_str(c->cfg, APS_SET_WEATHER_API_KEY);
    if (!key || !*key)
        return failed(c, r, "config", APS_E_CONFIG, "weather: WEATHER_API_KEY is not set");
    int64_t lead = aps_cfg_int(c->cfg, APS_SET_WEATHER_LEAD_HOURS) * 3600;
    struct aps_conn *conn = NULL;
    struct aps_live_venue_game *due = NULL;
    size_t n = 0;
    /* the primary: a game just scheduled is due, a reading just stored is not */
    int rc = aps_store_acquire(c->store, APS_DB_WRITE, &conn);
    if (rc)
        return failed(c, r, "db", rc, "weather: no database connection");
    rc = aps_live_weather_due(conn, sport, now, lead, &due, &n);
    aps_store_release(conn);
    if (rc)
        return failed(c, r, "db", rc, "weather: cannot list the games due");
    /* Fetch first, then store every reading in one transaction. */
    struct aps_weather_obs *obs = aps_calloc(n ? n : 1, sizeof *obs);
    bool *have = aps_calloc(n ? n : 1, sizeof *have);
    for (size_t i = 0; i < n && !rc; i++) {
        r->events++;
        if (due[i].indoor == 1 || (!due[i].place[0] && isnan(due[i].lat)))
            continue;
        rc = weather_one(c, &due[i], key, now, &obs[i], r);
        have[i] = rc == 0;
        rc = rc == 1 ? 0 : rc; /* a place the service does not know: that game alone */
    }
    if (!rc) {
        struct txn t;
        rc = txn_begin(c, &t, r);
        for (size_t i = 0; i < n && !rc; i++) {
            if (!have[i] && due[i].indoor != 1)
                continue;
            rc = aps_live_weather(t.live, due[i].game_id, have[i] ? &obs[i] : NULL, now);
            r->weather_rows += rc == 0;
        }
        if (t.conn)
            rc = txn_end(c, &t, rc, r);
    }
    count_records(c, r);
    aps_free(obs);
    aps_free(have);
    aps_free(due);
    return rc;
}

/* ---- closing lines ---------------------------------------------------------------------- */

int aps_collector_closing(struct aps_collector *c, int64_t now, struct aps_collect_report *r)
{
    memset(r, 0, sizeof *r);
    r->provider = "store";
    r->credits_remaining = r->credits_used = r->credits_last = -1;
    struct aps_conn *conn = NULL;
    int rc = aps_store_acquire(c->store, APS_DB_WRITE, &conn);
    if (rc)
        return failed(c, r, "db", rc, "closing: no database connection");
    int captured = 0;
    rc = aps_live_capture_closing(conn, now, &captured);
    if (rc)
        failed(c, r, "db", rc, "closing: %s", aps_conn_errmsg(conn));
    aps_store_release(conn);
    r->closing_captured = (size_t)captured;
    return rc;
}
