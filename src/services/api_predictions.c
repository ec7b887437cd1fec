/* api_predictions.c — GET /api/v1/predictions, /today, /{id}, /performance and lock-in
 * verification (GET /verify?hash=, POST /{id}/verify). Picks are read as they were locked in;
 * the track record is aggregated from prediction_results (written by the grading job) with the
 * Wilson interval of src/odds/scoring; verification recomputes the SHA-256 lock-in hash
 * (src/engine/lockin) and checks the link to the previous pick. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/csv.h"
#include "core/domain.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/lockin.h"
#include "engine/track_record.h"
#include "odds/scoring.h"
#include "odds/tier.h"
#include "services/api_json.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/routes.h"

#define PRED_FROM                                                                           \
    "FROM predictions p LEFT JOIN prediction_results r ON r.prediction_id = p.id"          \
    " JOIN games g ON g.id = p.game_id" APS_API_GAME_JOINS
/* What the pick filters read: the pick, its result and its game. */
#define PRED_FILTER_FROM                                                          \
    "FROM predictions p LEFT JOIN prediction_results r ON r.prediction_id = p.id" \
    " JOIN games g ON g.id = p.game_id"
#define PRED_SELECT "SELECT " APS_API_PRED_COLUMNS ", " APS_API_GAME_COLUMNS " " PRED_FROM

/* The prediction of the current row with its game summary. */
static json_t *pick_with_game(const struct aps_stmt *st)
{
    json_t *p = aps_api_prediction_json(st, 0);
    json_object_set_new(p, "game", aps_api_game_json(st, APS_API_PRED_NCOLS));
    return p;
}

/* One page of picks; extra (owned, may be NULL) adds its keys to the envelope. */
static int picks_page(struct aps_http_req *req, struct aps_http_res *res,
                      const struct aps_api_where *w, const struct aps_api_page *pg, json_t *extra)
{
    struct aps_conn *c = NULL;
    int64_t total = 0;
    if (aps_api_acquire(req, res, APS_DB_READ, &c)) {
        json_decref(extra);
        return 0;
    }
    json_t *items = json_array();
    const struct aps_api_list_sql q = {
        .select = "SELECT " APS_API_PRED_COLUMNS ", " APS_API_GAME_COLUMNS,
        .from = PRED_FROM,
        .order = "p.created_at DESC, p.id DESC",
        .filter_from = PRED_FILTER_FROM,
        .key = "p.id",
    };
    int rc = aps_api_page_rows(req, c, &q, w, pg, pick_with_game, items, &total);
    aps_store_release(c);
    if (rc < 0) {
        json_decref(items);
        json_decref(extra);
        return aps_api_db_error(res, rc);
    }
    json_t *body = aps_api_list(items, total, pg);
    json_object_set_new(body, "conventions", aps_api_pick_conventions());
    if (extra)
        json_object_update(body, extra);
    json_decref(extra);
    return aps_http_json(res, 200, body);
}

/* publication=published|tracking_only: picks published to bet, or those kept for the record
 * (picks locked in before publication was recorded count as tracking only). */
static void publication_filter(const struct aps_http_req *req, struct aps_http_res *res,
                               struct aps_api_where *w)
{
    const char *publication = aps_api_q_str(req, res, "publication");
    if (publication && !strcmp(publication, "published"))
        aps_api_where_raw(w, "p.publication = 'published'");
    else if (publication)
        aps_api_where_raw(w, "(p.publication IS NULL OR p.publication = 'tracking_only')");
}

/* locked=before_start: the live forecasts alone; after_start: the replays' picks. */
static void lock_timing_filter(const struct aps_http_req *req, struct aps_http_res *res,
                               struct aps_api_where *w)
{
    const char *locked = aps_api_q_str(req, res, "locked");
    if (locked && !strcmp(locked, "before_start"))
        aps_api_where_raw(w, "NOT (" APS_API_PRED_LOCKED_LATE ")");
    else if (locked)
        aps_api_where_raw(w, APS_API_PRED_LOCKED_LATE);
}

/* sport, tier, market, game_id, min_edge, min_probability, graded, result, history,
 * publication and lock timing filters. */
static void pick_filters(const struct aps_http_req *req, struct aps_http_res *res,
                         struct aps_api_where *w)
{
    int sport, tier, market;
    double min_edge, min_prob;
    int64_t game_id = 0;
    bool graded = false, has_game = false;
    aps_api_q_int(req, res, "game_id", &game_id, &has_game);
    if (has_game && !aps_api_bad(res))
        aps_api_where_int(w, "p.game_id = ?", game_id);
    bool has_graded = aps_http_query(req, "graded") != NULL;
    aps_api_q_sport(req, res, "sport", &sport);
    aps_api_q_tier(req, res, "tier", &tier);
    aps_api_q_market(req, res, "market", &market);
    aps_api_q_double(req, res, "min_edge", &min_edge);
    aps_api_q_double(req, res, "min_probability", &min_prob);
    aps_api_q_bool(req, res, "graded", &graded);
    /* history=true: every pick, superseded ones too; default: the current pick of each game
     * and market */
    bool history = false;
    aps_api_q_bool(req, res, "history", &history);
    if (!history)
        aps_api_where_raw(w, APS_API_PRED_CURRENT);
    publication_filter(req, res, w);
    lock_timing_filter(req, res, w);
    const char *result = aps_api_q_str(req, res, "result");
    if (sport >= 0)
        aps_api_where_text(w, APS_API_GAME_SPORT_IS, aps_sport_info(sport)->code);
    if (tier >= 0)
        aps_api_where_text(w, "p.tier = ?", aps_tier_name(tier));
    if (market >= 0)
        aps_api_where_text(w, "p.market = ?", aps_market_name(market));
    if (!isnan(min_edge))
        aps_api_where_double(w, "p.edge >= ?", min_edge);
    if (!isnan(min_prob))
        aps_api_where_double(w, "p.probability >= ?", min_prob);
    if (has_graded && !aps_api_bad(res))
        aps_api_where_raw(w, graded ? "r.prediction_id IS NOT NULL" : "r.prediction_id IS NULL");
    if (result && !aps_api_bad(res))
        aps_api_where_text(w, "r.result = ?", result);
}

/* The pick filters and the game dates (date, or date_from and date_to) of the list and the
 * export; the dates' text stays in from and to, which w borrows. */
static void dated_pick_filters(struct aps_http_req *req, struct aps_http_res *res,
                               struct aps_api_where *w, char from[11], char to[11])
{
    aps_api_q_date_range(req, res, from, to);
    pick_filters(req, res, w);
    if (from[0])
        aps_api_where_text(w, "g.game_date >= ?", from);
    if (to[0])
        aps_api_where_text(w, "g.game_date <= ?", to);
}

int aps_api_predictions_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    char from[11], to[11];
    aps_api_q_page(req, res, &pg);
    dated_pick_filters(req, res, &w, from, to);
    if (!aps_api_bad(res))
        picks_page(req, res, &w, &pg, NULL);
    aps_api_where_cleanup(&w);
    return 0;
}

int aps_api_predictions_today(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    int64_t from = 0, to = 0;
    json_t *window = NULL;
    aps_api_q_page(req, res, &pg);
    pick_filters(req, res, &w);
    aps_api_q_today(req, res, aps_time_now(), &from, &to, &window);
    aps_api_where_int(&w, "g.start_time >= ?", from);
    aps_api_where_int(&w, "g.start_time < ?", to);
    if (!aps_api_bad(res))
        picks_page(req, res, &w, &pg, json_pack("{s:o}", "window", window));
    else
        json_decref(window);
    aps_api_where_cleanup(&w);
    return 0;
}

/* ---- one pick ------------------------------------------------------------------------------ */

/* The pick's top feature contributions (prediction_explanations, by rank). */
static int explanation(struct aps_conn *c, int64_t id, json_t **out)
{
    struct aps_stmt *st = NULL;
    json_t *items = json_array();
    int rc = aps_conn_preparef(c, &st,
                               "SELECT rank, feature, value, contribution FROM"
                               " prediction_explanations WHERE prediction_id = ?1 ORDER BY rank",
                               "i", id);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        double contrib = aps_stmt_double(st, 3);
        json_array_append_new(
            items, json_pack("{s:I, s:o?, s:o, s:o, s:s}", "rank",
                             (json_int_t)aps_stmt_int64(st, 0), "feature",
                             aps_api_col_str(st, 1), "value", aps_api_col_num(st, 2),
                             "contribution", aps_api_num(contrib), "impact",
                             contrib >= 0 ? "raises" : "lowers"));
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return 0;
}

/* Reads pick id (with its game) into *out; NULL when there is none. */
static int read_pick(struct aps_conn *c, int64_t id, json_t **out)
{
    struct aps_stmt *st = NULL;
    *out = NULL;
    int rc = aps_conn_preparef(c, &st, PRED_SELECT " WHERE p.id = ?1", "i", id);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        *out = pick_with_game(st);
        rc = 0;
    }
    aps_stmt_finalize(st);
    return rc;
}

int aps_api_predictions_get(struct aps_http_req *req, struct aps_http_res *res)
{
    bool include = false;
    int64_t id = aps_api_path_id(req, res, "id");
    aps_api_q_bool(req, res, "include_explanation", &include);
    struct aps_conn *c = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    json_t *pick = NULL, *expl = NULL;
    int rc = read_pick(c, id, &pick);
    if (!rc && pick && include)
        rc = explanation(c, id, &expl);
    if (!rc && pick && include) {
        struct aps_stmt *st = NULL;
        json_t *summary = NULL;
        rc = aps_conn_preparef(c, &st, "SELECT explanation FROM predictions WHERE id = ?1", "i",
                               id);
        if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
            summary = aps_api_col_json(st, 0);
            rc = 0;
        }
        aps_stmt_finalize(st);
        json_object_set_new(pick, "explanation",
                            json_pack("{s:o, s:o}", "contributions", expl, "summary",
                                      summary ? summary : json_null()));
    }
    if (pick) {
        json_object_set_new(pick, "conventions", aps_api_pick_conventions());
    }
    aps_store_release(c);
    if (rc < 0) {
        json_decref(pick);
        return aps_api_db_error(res, rc);
    }
    if (!pick)
        return aps_api_not_found(res, "prediction");
    return aps_http_json(res, 200, pick);
}

/* ---- track record -------------------------------------------------------------------------- */

struct record {
    char key[16];
    struct aps_record r;
    int64_t late; /* of r's picks, those locked in at or after their start (replays) */
};

#define MAX_GROUPS 32

/* The record of every counted pick, of the bets among them (a tier), of the rest (no bet or
 * tracking only), and by sport, tier ("none" for the rest) and market. */
struct records {
    struct record all, bets, no_bets, sport[MAX_GROUPS], tier[MAX_GROUPS], market[MAX_GROUPS];
    int nsport, ntier, nmarket;
};

static struct record *group(struct record *g, int *n, const char *key)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(g[i].key, key))
            return &g[i];
    if (*n >= MAX_GROUPS)
        return NULL;
    memset(&g[*n], 0, sizeof g[*n]);
    (void)aps_str_copy(g[*n].key, sizeof g[*n].key, key);
    return &g[(*n)++];
}

static void add_agg(struct record *r, const struct aps_record_rows *a, int64_t late)
{
    if (r) {
        aps_record_add(&r->r, a);
        r->late += late;
    }
}

static json_t *record_json(const struct record *g)
{
    const struct aps_record *r = &g->r;
    struct aps_record_summary s;
    aps_record_summarize(r, &s);
    json_t *o = json_object();
    if (g->key[0])
        json_object_set_new(o, "key", json_string(g->key));
    json_object_set_new(o, "n", json_integer(r->n));
    json_object_set_new(o, "wins", json_integer(r->wins));
    json_object_set_new(o, "losses", json_integer(r->losses));
    json_object_set_new(o, "pushes", json_integer(r->pushes));
    json_object_set_new(o, "voids", json_integer(r->voids));
    json_object_set_new(o, "locked_after_start", json_integer(g->late));
    json_object_set_new(o, "win_rate", aps_api_num(s.win_rate));
    json_object_set_new(o, "win_rate_ci95",
                        json_pack("[o, o]", aps_api_num(s.win_rate_lo), aps_api_num(s.win_rate_hi)));
    json_object_set_new(o, "units", aps_api_num(r->profit));
    json_object_set_new(o, "roi", aps_api_num(s.roi));
    json_object_set_new(o, "clv_n", json_integer(r->clv_n));
    json_object_set_new(o, "clv_mean", aps_api_num(s.clv_mean));
    json_object_set_new(o, "clv_positive_share", aps_api_num(s.clv_positive_share));
    return o;
}

static json_t *groups_json(const struct record *g, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, record_json(&g[i]));
    return a;
}

/* The statement of the graded record's aggregates (read by load_records). */
static int records_prepare(struct aps_conn *c, const struct aps_api_where *w,
                           struct aps_stmt **st)
{
    struct aps_buf sql = {0};
    aps_buf_printf(&sql,
                   "SELECT sp.code, p.tier, p.market, r.result, COUNT(*),"
                   " SUM(CASE WHEN r.profit_loss IS NULL THEN 0 ELSE 1 END), SUM(r.profit_loss),"
                   " SUM(CASE WHEN r.clv IS NULL THEN 0 ELSE 1 END), SUM(r.clv),"
                   " SUM(CASE WHEN r.clv > 0 THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN " APS_API_PRED_LOCKED_LATE " THEN 1 ELSE 0 END)"
                   " FROM prediction_results r JOIN predictions p ON p.id = r.prediction_id"
                   " JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id%s"
                   " GROUP BY sp.code, p.tier, p.market, r.result ORDER BY 1, 2, 3, 4",
                   aps_buf_str(&w->sql));
    int rc = aps_api_prepare(c, aps_buf_str(&sql), w, st);
    aps_buf_cleanup(&sql);
    return rc;
}

/* The unit of a pick's stored CLV by its market's name (odds/benchmark.h aps_close_clv_unit). */
static enum aps_record_clv_unit clv_unit_of(const char *market)
{
    return market && !strcmp(market, "moneyline") ? APS_RECORD_CLV_PRICE : APS_RECORD_CLV_POINTS;
}

/* Reads the aggregates of records_prepare's statement (finalized here). */
static int load_records(struct aps_stmt *st, struct records *out)
{
    int rc;
    while ((rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        const char *res_word = aps_stmt_text(st, 3);
        /* a pick stakes one unit when it has a profit (column 5 counts those) */
        const char *sport = aps_stmt_text(st, 0), *tier = aps_stmt_text(st, 1),
                   *market = aps_stmt_text(st, 2);
        struct aps_record_rows a = {res_word ? aps_grade_result_parse(res_word) : -1,
                                    aps_stmt_int64(st, 4),
                                    (double)aps_stmt_int64(st, 5),
                                    aps_stmt_is_null(st, 6) ? 0 : aps_stmt_double(st, 6),
                                    aps_stmt_int64(st, 7),
                                    aps_stmt_int64(st, 9),
                                    aps_stmt_is_null(st, 8) ? 0 : aps_stmt_double(st, 8),
                                    clv_unit_of(market)};
        bool bet = tier && tier[0];
        int64_t late = aps_stmt_int64(st, 10);
        add_agg(&out->all, &a, late);
        add_agg(bet ? &out->bets : &out->no_bets, &a, late);
        add_agg(group(out->sport, &out->nsport, sport ? sport : "?"), &a, late);
        add_agg(group(out->tier, &out->ntier, bet ? tier : "none"), &a, late);
        add_agg(group(out->market, &out->nmarket, market ? market : "?"), &a, late);
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ---- charts of the track record ---------------------------------------------------------- */

/* Graded picks in game-date order: probability, outcome, CLV and units of each. */
struct graded {
    double *p, *clv, *units;
    int *y;
    char (*date)[11];
    size_t n, np, nclv, cap;
    unsigned clv_units; /* aps_record_clv_unit bits of the CLVs read */
};

static void graded_push(struct graded *g, const struct aps_stmt *st)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        g->p = aps_realloc(g->p, g->cap * sizeof *g->p);
        g->y = aps_realloc(g->y, g->cap * sizeof *g->y);
        g->clv = aps_realloc(g->clv, g->cap * sizeof *g->clv);
        g->units = aps_realloc(g->units, g->cap * sizeof *g->units);
        g->date = aps_realloc(g->date, g->cap * sizeof *g->date);
    }
    const char *word = aps_stmt_text(st, 1);
    int res = word ? aps_grade_result_parse(word) : -1;
    /* the reliability table takes decided picks only: a push or void says nothing of p */
    if (!aps_stmt_is_null(st, 0) &&
        (res == APS_GRADE_WIN || res == APS_GRADE_HALF_WIN || res == APS_GRADE_LOSS ||
         res == APS_GRADE_HALF_LOSS)) {
        g->p[g->np] = aps_stmt_double(st, 0);
        g->y[g->np++] = res == APS_GRADE_WIN || res == APS_GRADE_HALF_WIN;
    }
    if (!aps_stmt_is_null(st, 2)) {
        g->clv[g->nclv++] = aps_stmt_double(st, 2);
        g->clv_units |= clv_unit_of(aps_stmt_text(st, 5));
    }
    g->units[g->n] = aps_stmt_is_null(st, 3) ? 0 : aps_stmt_double(st, 3);
    const char *d = aps_stmt_text(st, 4);
    (void)aps_str_copy(g->date[g->n], sizeof g->date[g->n], d ? d : "");
    g->n++;
}

static void graded_cleanup(struct graded *g)
{
    aps_free(g->p);
    aps_free(g->y);
    aps_free(g->clv);
    aps_free(g->units);
    aps_free(g->date);
}

/* The statement of the graded picks in date order (read by load_graded). */
static int graded_prepare(struct aps_conn *c, const struct aps_api_where *w, struct aps_stmt **st)
{
    struct aps_buf sql = {0};
    aps_buf_printf(&sql,
                   "SELECT p.probability, r.result, r.clv, r.profit_loss, g.game_date, p.market"
                   " FROM prediction_results r JOIN predictions p ON p.id = r.prediction_id"
                   " JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id%s"
                   " ORDER BY g.game_date, p.id",
                   aps_buf_str(&w->sql));
    int rc = aps_api_prepare(c, aps_buf_str(&sql), w, st);
    aps_buf_cleanup(&sql);
    return rc;
}

/* Reads graded_prepare's statement (finalized here). */
static int load_graded(struct aps_stmt *st, struct graded *g)
{
    int rc;
    while ((rc = aps_stmt_step(st)) == APS_ROW)
        graded_push(g, st);
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Predicted probability against the observed win share in ten bins, with counts. */
static json_t *reliability_json(const struct graded *g)
{
    struct aps_score_reliability rel;
    json_t *bins = json_array();
    bool ok = g->np && !aps_score_reliability(g->p, g->y, g->np, &rel);
    for (int b = 0; ok && b < APS_SCORE_BINS; b++)
        json_array_append_new(bins, json_pack("{s:f, s:f, s:I, s:o, s:o}", "lo", b / 10.0, "hi",
                                              (b + 1) / 10.0, "n", (json_int_t)rel.count[b],
                                              "predicted",
                                              rel.count[b] ? aps_api_num(rel.mean_pred[b]) : json_null(),
                                              "observed",
                                              rel.count[b] ? aps_api_num(rel.observed[b]) : json_null()));
    return json_pack("{s:I, s:o, s:o, s:o}", "n", (json_int_t)g->np, "ece",
                     aps_api_num(ok ? rel.ece : NAN), "mce", aps_api_num(ok ? rel.mce : NAN),
                     "bins", bins);
}

/* The CLV histogram of the graded picks (engine/track_record.h), with counts; no bins when the
 * picks mix moneyline CLV (a fraction of the stake) with spread and total CLV (points). */
static json_t *clv_histogram_json(const struct graded *g)
{
    json_t *bins = json_array();
    struct aps_record_clv_hist hist;
    bool mixed = g->clv_units == (APS_RECORD_CLV_PRICE | APS_RECORD_CLV_POINTS);
    aps_record_clv_histogram(g->clv, mixed ? 0 : g->nclv, &hist);
    for (int b = 0; b < hist.nbins; b++)
        json_array_append_new(bins, json_pack("{s:o, s:o, s:I}", "lo",
                                              aps_api_num(hist.lo + b * hist.width), "hi",
                                              aps_api_num(hist.hi > hist.lo
                                                              ? hist.lo + (b + 1) * hist.width
                                                              : hist.hi),
                                              "n", (json_int_t)hist.count[b]));
    return json_pack("{s:I, s:o}", "n", (json_int_t)g->nclv, "bins", bins);
}

/* Units won per game date and their running sum. */
static json_t *cumulative_json(const struct graded *g)
{
    json_t *pts = json_array();
    double total = 0;
    for (size_t i = 0; i < g->n;) {
        size_t j = i;
        double day = 0;
        for (; j < g->n && !strcmp(g->date[j], g->date[i]); j++)
            day += g->units[j];
        total += day;
        json_array_append_new(pts, json_pack("{s:s, s:I, s:o, s:o}", "date", g->date[i], "picks",
                                             (json_int_t)(j - i), "units", aps_api_num(day),
                                             "cumulative_units", aps_api_num(total)));
        i = j;
    }
    return pts;
}

int aps_api_predictions_performance(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_conn *c = NULL;
    char from[11], to[11];
    int sport, tier, market;
    aps_api_q_sport(req, res, "sport", &sport);
    aps_api_q_tier(req, res, "tier", &tier);
    aps_api_q_market(req, res, "market", &market);
    aps_api_q_date_range(req, res, from, to);
    publication_filter(req, res, &w);
    lock_timing_filter(req, res, &w);
    /* A game counts once per market: its current pick, the one standing when it started (a pick
     * is re-made only before the start); the picks it superseded stay in the lock-in chain. */
    aps_api_where_raw(&w, APS_API_PRED_CURRENT);
    if (sport >= 0)
        aps_api_where_text(&w, "sp.code = ?", aps_sport_info(sport)->code);
    if (tier >= 0)
        aps_api_where_text(&w, "p.tier = ?", aps_tier_name(tier));
    if (market >= 0)
        aps_api_where_text(&w, "p.market = ?", aps_market_name(market));
    if (from[0])
        aps_api_where_text(&w, "g.game_date >= ?", from);
    if (to[0])
        aps_api_where_text(&w, "g.game_date <= ?", to);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c)) {
        aps_api_where_cleanup(&w);
        return 0;
    }
    struct records *r = aps_calloc(1, sizeof *r);
    struct graded g = {0};
    /* The aggregates and the graded picks are independent reads: one round trip. */
    struct aps_stmt *st[2] = {NULL, NULL};
    int rc = records_prepare(c, &w, &st[0]);
    if (!rc)
        rc = graded_prepare(c, &w, &st[1]);
    if (!rc)
        rc = aps_conn_pipeline(c, st, 2);
    if (!rc) {
        rc = load_records(st[0], r);
        st[0] = NULL;
    }
    if (!rc) {
        rc = load_graded(st[1], &g);
        st[1] = NULL;
    }
    aps_stmt_finalize(st[0]);
    aps_stmt_finalize(st[1]);
    aps_store_release(c);
    aps_api_where_cleanup(&w);
    if (!rc)
        aps_http_json(
            res, 200,
            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "overall",
                      record_json(&r->all), "bets", record_json(&r->bets), "no_bets",
                      record_json(&r->no_bets), "by_sport", groups_json(r->sport, r->nsport),
                      "by_tier", groups_json(r->tier, r->ntier), "by_market",
                      groups_json(r->market, r->nmarket), "reliability", reliability_json(&g),
                      "clv_histogram", clv_histogram_json(&g), "cumulative", cumulative_json(&g),
                      "method",
                      "counted: the current pick of each game and market (the one standing"
                      " at its start; superseded picks are not counted again); bets: picks"
                      " with a tier (A-C), no_bets: the rest (no bet or tracking only), each"
                      " recorded at 1 unit; units: profit per 1-unit flat stake;"
                      " roi = units / staked picks"
                      " (voids excluded); win_rate = wins / (wins + losses), half"
                      " results counted whole; interval: Wilson 95%; reliability: decided"
                      " picks in ten probability bins (predicted = mean probability, observed"
                      " = win share); clv: a fraction of the stake for moneylines, points for"
                      " spreads and totals, so clv_mean and the histogram's bins are given only"
                      " for picks of one unit (null and none across both: filter by market);"
                      " clv_histogram: 20 equal-width bins between the smallest and largest"
                      " CLV; cumulative: units per game date and their running sum;"
                      " locked_after_start: of n, the picks locked in at or after the start"
                      " they were made for (replays of past games, not forecasts: locked="
                      "before_start leaves them out)"));
    graded_cleanup(&g);
    aps_free(r);
    return rc ? aps_api_db_error(res, rc) : 0;
}

/* ---- lock-in verification ------------------------------------------------------------------ */

static bool valid_hash(const char *h)
{
    if (!h || strlen(h) != 64)
        return false;
    for (const char *p = h; *p; p++)
        if (!isdigit((unsigned char)*p) && (*p < 'a' || *p > 'f'))
            return false;
    return true;
}

/* The hash the pick before id carries (genesis when id is the first pick). */
static int previous_hash(struct aps_conn *c, int64_t id, char out[APS_HASH_HEX])
{
    struct aps_stmt *st = NULL;
    (void)aps_str_copy(out, APS_HASH_HEX, APS_GENESIS_HASH);
    int rc = aps_conn_preparef(c, &st,
                               "SELECT hash FROM predictions WHERE id < ?1 ORDER BY id DESC"
                               " LIMIT 1",
                               "i", id);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        const char *h = aps_stmt_text(st, 0);
        (void)aps_str_copy(out, APS_HASH_HEX, h ? h : "");
        rc = 0;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Verifies the pick `id` holding `hash`: its content against the hash, and its link. */
static int verify_answer(struct aps_http_res *res, struct aps_conn *c, int64_t id,
                         const char *hash)
{
    struct aps_verify_result v;
    char prev[APS_HASH_HEX];
    json_t *pick = NULL;
    int rc = aps_lockin_verify_hash(c, hash, &v);
    if (!rc)
        rc = previous_hash(c, id, prev);
    if (!rc)
        rc = read_pick(c, id, &pick);
    if (rc)
        return aps_api_db_error(res, rc);
    const char *stored_prev = json_string_value(json_object_get(pick, "prev_hash"));
    bool link_ok = stored_prev && !strcmp(stored_prev, prev);
    const char *reason = !v.ok      ? v.reason
                         : !link_ok ? "its previous hash is not the hash of the pick before it"
                                    : NULL;
    return aps_http_json(
        res, 200,
        json_pack("{s:s, s:I, s:b, s:b, s:b, s:s?, s:o}", "hash", hash, "prediction_id",
                  (json_int_t)id, "verified", v.ok && link_ok, "content_ok", v.ok, "link_ok",
                  link_ok, "reason", reason, "prediction", pick ? pick : json_null()));
}

int aps_api_predictions_verify_hash(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *hash = aps_http_query(req, "hash");
    struct aps_conn *c = NULL;
    if (!valid_hash(hash))
        aps_api_invalid(res, "hash", "must be 64 lower-case hexadecimal characters");
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    int64_t id = 0;
    const char *p[1] = {hash};
    int rc = aps_conn_query_int64(c, "SELECT id FROM predictions WHERE hash = ?1", 1, p, &id);
    if (rc == APS_E_NOTFOUND)
        aps_api_not_found(res, "prediction with this hash");
    else if (rc)
        aps_api_db_error(res, rc);
    else
        verify_answer(res, c, id, hash);
    aps_store_release(c);
    return 0;
}

int aps_api_predictions_verify_id(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id");
    struct aps_conn *c = NULL;
    struct aps_stmt *st = NULL;
    char hash[APS_HASH_HEX] = "";
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    int rc = aps_conn_preparef(c, &st, "SELECT hash FROM predictions WHERE id = ?1", "i", id);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        const char *h = aps_stmt_text(st, 0);
        (void)aps_str_copy(hash, sizeof hash, h ? h : "");
        rc = 0;
    }
    aps_stmt_finalize(st);
    if (rc < 0)
        aps_api_db_error(res, rc);
    else if (!hash[0])
        aps_api_not_found(res, "prediction");
    else
        verify_answer(res, c, id, hash);
    aps_store_release(c);
    return 0;
}

/* ---- the record as CSV ----------------------------------------------------------------------- */

/* At most this many picks in one export; a wider one is refused with the count, to be narrowed by
 * dates or sport. */
#define EXPORT_MAX_ROWS 100000

/* The lock-in text's fields in its order (engine/lockin.h), then the rest of the record. */
static const char EXPORT_HEADER[] =
    "id,lockin_version,prev_hash,game_id,sport,game_date,home,away,model,market,selection,line,"
    "price,book,probability,market_probability,edge,tier,stake_fraction,publication,"
    "no_bet_reason,locked_at,hash,current,locked_before_start,result,profit_units,clv,"
    "graded_at\r\n";

#define EXPORT_SQL                                                                               \
    "SELECT p.id, p.prev_hash, p.game_id, sp.code, COALESCE(p.game_date, g.game_date), th.key,"  \
    " ta.key, p.model, p.market, p.selection, p.line, p.price, p.book, p.probability,"           \
    " p.market_probability, p.edge, p.tier, p.stake_fraction, p.publication, p.no_bet_reason,"   \
    " p.locked_at, p.hash, CASE WHEN " APS_API_PRED_CURRENT " THEN 1 ELSE 0 END,"                \
    " CASE WHEN " APS_API_PRED_LOCKED_LATE " THEN 0 ELSE 1 END, r.result, r.profit_loss, r.clv," \
    " r.graded_at FROM predictions p LEFT JOIN prediction_results r"                             \
    " ON r.prediction_id = p.id JOIN games g ON g.id = p.game_id"                                \
    " JOIN sports sp ON sp.id = g.sport_id JOIN teams th ON th.id = g.home_team_id"              \
    " JOIN teams ta ON ta.id = g.away_team_id"

static void put_text(struct aps_buf *b, const struct aps_stmt *st, int col)
{
    const char *t = aps_stmt_text(st, col);
    aps_csv_put_text(b, t ? t : "");
    aps_buf_putc(b, ',');
}

/* A number as the lock-in text writes it: fixed decimals, -0 as 0; an empty field for NULL. */
static void put_fixed(struct aps_buf *b, const struct aps_stmt *st, int col, int digits)
{
    if (!aps_stmt_is_null(st, col)) {
        char t[64];
        snprintf(t, sizeof t, "%.*f", digits, aps_stmt_double(st, col));
        bool zero = strspn(t + (t[0] == '-'), "0.") == strlen(t + (t[0] == '-'));
        aps_buf_puts(b, zero && t[0] == '-' ? t + 1 : t);
    }
    aps_buf_putc(b, ',');
}

static void export_row(struct aps_buf *b, const struct aps_stmt *st)
{
    bool v2 = !aps_stmt_is_null(st, 18); /* picks locked in before publication was recorded */
    aps_buf_printf(b, "%lld,%d,", (long long)aps_stmt_int64(st, 0), v2 ? 2 : 1);
    put_text(b, st, 1);
    aps_buf_printf(b, "%lld,", (long long)aps_stmt_int64(st, 2));
    for (int col = 3; col <= 9; col++) /* sport, game_date, home, away, model, market, selection */
        put_text(b, st, col);
    put_fixed(b, st, 10, 2);
    put_fixed(b, st, 11, 4);
    put_text(b, st, 12);
    for (int col = 13; col <= 15; col++)
        put_fixed(b, st, col, 6);
    put_text(b, st, 16);
    put_fixed(b, st, 17, 6);
    for (int col = 18; col <= 21; col++) /* publication, no_bet_reason, locked_at, hash */
        put_text(b, st, col);
    aps_buf_printf(b, "%s,%s,", aps_stmt_int64(st, 22) ? "true" : "false",
                   aps_stmt_int64(st, 23) ? "true" : "false");
    put_text(b, st, 24);
    put_fixed(b, st, 25, 4);
    put_fixed(b, st, 26, 4);
    if (!aps_stmt_is_null(st, 27)) {
        char iso[32];
        aps_time_format_iso(aps_stmt_int64(st, 27), iso, sizeof iso);
        aps_buf_puts(b, iso);
    }
    aps_buf_puts(b, "\r\n");
}

int aps_api_predictions_export(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    char from[11], to[11];
    dated_pick_filters(req, res, &w, from, to);
    struct aps_conn *c = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c)) {
        aps_api_where_cleanup(&w);
        return 0;
    }
    int64_t n = 0;
    struct aps_stmt *st = NULL;
    struct aps_buf sql = {0}, out = {0};
    int rc = aps_api_count(c, PRED_FILTER_FROM, &w, &n);
    if (!rc && n > EXPORT_MAX_ROWS) {
        char msg[160];
        snprintf(msg, sizeof msg, "%lld picks match, at most %d in one export: narrow the dates",
                 (long long)n, EXPORT_MAX_ROWS);
        aps_http_error(res, 400, "VALIDATION_ERROR", msg);
        aps_http_error_field(res, "date_from", msg);
    } else if (!rc) {
        aps_buf_printf(&sql, EXPORT_SQL "%s ORDER BY p.id", aps_buf_str(&w.sql));
        rc = aps_api_prepare(c, aps_buf_str(&sql), &w, &st);
        aps_buf_puts(&out, EXPORT_HEADER);
        while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
            rc = 0;
            export_row(&out, st);
        }
        rc = rc < 0 ? rc : 0;
    }
    aps_stmt_finalize(st);
    aps_store_release(c);
    aps_api_where_cleanup(&w);
    aps_buf_cleanup(&sql);
    if (rc) {
        aps_buf_cleanup(&out);
        return aps_api_db_error(res, rc);
    }
    if (res->status != 400) {
        res->status = 200;
        res->raw = aps_arena_alloc(&req->arena, out.len + 1);
        memcpy(res->raw, aps_buf_str(&out), out.len + 1);
        res->raw_len = out.len;
        res->content_type = "text/csv; charset=utf-8; header=present";
        aps_http_header_set(res, "Content-Disposition", "attachment; filename=\"aps-picks.csv\"");
    }
    aps_buf_cleanup(&out);
    return 0;
}
