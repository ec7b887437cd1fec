/* picks.c — publishing and grading picks (see picks.h). */
#include "engine/picks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/elo_store.h"
#include "engine/gate.h"
#include "model/history.h"
#include "engine/lockin.h"
#include "engine/market.h"
#include "engine/model_predictor.h"
#include "metrics/metrics.h"
#include "model/ensemble.h"
#include "model/explain.h"
#include "model/features.h"
#include "model/registry.h"
#include "odds/benchmark.h"
#include "odds/grade.h"
#include "odds/kelly.h"
#include "odds/tier.h"
#include "store/store.h"

/* ---- publishing ---------------------------------------------------------------------------- */

struct last_pick {
    bool found;
    enum aps_selection sel;
    double line, price, p;
    char publication[16];
    bool graded; /* graded, and made for the start the game has now */
};

/* The current pick of the game and market. graded: it has its result and was made for the
 * game's start as it stands (a pick voided because the game moved to a later start is not). */
static int read_last_pick(struct aps_conn *c, int64_t game, enum aps_market m,
                          struct last_pick *lp)
{
    char sel[32];
    memset(lp, 0, sizeof *lp);
    int rc = aps_conn_query_row(c,
                                "SELECT p.selection, p.line, p.price, p.probability,"
                                " p.publication, CASE WHEN r.prediction_id IS NOT NULL AND"
                                " COALESCE(p.game_start, g.start_time) = g.start_time"
                                " THEN 1 ELSE 0 END FROM predictions p JOIN games g ON g.id = p.game_id"
                                " LEFT JOIN prediction_results r ON r.prediction_id = p.id"
                                " WHERE p.game_id = ?1 AND p.market = ?2"
                                " ORDER BY p.id DESC LIMIT 1",
                                "sdddsb", sel, sizeof sel, &lp->line, &lp->price, &lp->p,
                                lp->publication, sizeof lp->publication, &lp->graded, "is",
                                game, aps_market_name(m));
    if (rc == APS_E_NOTFOUND)
        return 0;
    lp->found = rc == 0;
    lp->sel = rc ? 0 : aps_selection_parse(sel);
    return rc;
}

static bool same_number(double a, double b, double tol)
{
    return (isnan(a) && isnan(b)) || fabs(a - b) <= tol;
}

/* The pick of one game and market, or found == false when the market has no current price or
 * the predictor no opinion. */
struct candidate {
    bool found;
    struct aps_pick pick;
    bool staked;
};

/* The predictor of one market: the sport's production model for it when one is registered and
 * loads (aps train), else the shared Elo predictor. The market is published only when that
 * production model passed the market gate (engine/gate.h, recorded in its metrics); everything
 * else is tracking only. A model that fails on a game is dropped for the rest of the run and Elo
 * takes over that market, tracking only. */
struct market_model {
    bool active;
    bool published;           /* active and its market gate passed */
    double max_edge;          /* the largest edge its walk-forward record supports */
    struct aps_trained t;
    struct aps_predictor p;
    char name[128];
    char why[240];            /* why the market is tracking only */
};

#define EDGE_CAP_REASON "edge above the largest the model's walk-forward record supports"

static int choose(struct aps_predictor *pred, const char *model, const struct market_model *mm,
                  const struct aps_history *h, size_t gi, const struct aps_market_view *v,
                  const struct aps_publish_opts *o, struct candidate *cd)
{
    memset(cd, 0, sizeof *cd);
    /* Picks are published as a fraction of any bankroll: the minimum stake in money belongs to
     * a user's own bankroll, so it is left out here. */
    struct aps_kelly_params kp = o->kelly;
    kp.min_bet_size = 0;
    bool published = mm->active && mm->published;
    if (published)
        kp.max_edge = mm->max_edge;
    struct aps_market_bet mb;
    int rc = aps_market_bet(pred, h, gi, v, &kp, 1.0, &mb);
    if (rc || mb.side < 0)
        return rc;
    if (mb.sized)
        return mb.sized;
    const struct aps_market_side *s = mb.s;
    const struct aps_kelly_sizing sz = mb.sz;
    struct aps_pick *p = &cd->pick;
    p->game_id = h->games[gi].id;
    (void)aps_str_copy(p->model, sizeof p->model, model);
    p->market = v->market;
    p->selection = s->sel;
    p->line = s->entry_line;
    p->price = s->entry_price;
    (void)aps_str_copy(p->book, sizeof p->book,
                       s->entry_book >= 0 ? h->books[s->entry_book].key : "");
    p->probability = mb.probability;
    p->market_probability = s->entry_novig;
    p->edge = sz.edge;
    (void)aps_str_copy(p->publication, sizeof p->publication,
                       published ? "published" : "tracking_only");
    bool bet = published && sz.should_bet && mm->max_edge > 0;
    if (!published)
        snprintf(p->no_bet_reason, sizeof p->no_bet_reason, "tracking only: %s", mm->why);
    else if (!(mm->max_edge > 0) && sz.edge > 0)
        snprintf(p->no_bet_reason, sizeof p->no_bet_reason,
                 "edge %.3f not believed: no edge bucket of the model's walk-forward record was"
                 " profitable",
                 sz.edge);
    else if (!bet && !strcmp(sz.reason, EDGE_CAP_REASON))
        snprintf(p->no_bet_reason, sizeof p->no_bet_reason,
                 "edge %.3f above %.3f, the largest the model's walk-forward record supports",
                 sz.edge, mm->max_edge);
    else if (!bet)
        (void)aps_str_copy(p->no_bet_reason, sizeof p->no_bet_reason, sz.reason);
    (void)aps_str_copy(p->tier, sizeof p->tier, bet ? aps_tier_name(sz.tier) : "");
    p->stake_fraction = bet ? sz.stake : 0;
    cd->staked = bet;
    cd->found = true;
    return 0;
}

/* Loads the production model of market m into mm; when there is one and it does not load (its
 * files, or its live features), it is added to r's unloaded models with the reason. */
static void market_model_load(struct aps_conn *c, const struct aps_history *h,
                              const struct aps_feat_extras *x, enum aps_market m,
                              struct market_model *mm, struct aps_publish_result *r)
{
    memset(mm, 0, sizeof *mm);
    const char *sport = aps_sport_info(h->sport)->code;
    struct aps_model_row row;
    memset(&row, 0, sizeof row);
    snprintf(mm->why, sizeof mm->why, "no model passed the promotion gate for %s %s", sport,
             aps_market_name(m));
    if (aps_registry_production(c, sport, aps_market_name(m), &row))
        return;
    struct aps_publish_unloaded *u = &r->unloaded[r->nunloaded];
    int rc = aps_registry_load(row.path, &mm->t, u->why, sizeof u->why);
    if (!rc) {
        rc = aps_model_predictor_live(h, x, &mm->t, &mm->p);
        if (rc) {
            snprintf(u->why, sizeof u->why, "its live features cannot be built: %s",
                     aps_strerror(rc));
            aps_trained_cleanup(&mm->t);
        }
    }
    if (!rc) {
        mm->active = true;
        (void)aps_str_copy(mm->name, sizeof mm->name, row.name);
    } else {
        u->market = m;
        (void)aps_str_copy(u->model, sizeof u->model, row.name);
        r->nunloaded++;
    }
    struct aps_gate g;
    bool recorded = aps_gate_read(row.metrics, &g);
    mm->max_edge = g.max_edge;
    if (!recorded)
        snprintf(mm->why, sizeof mm->why,
                 "production model %s has no market gate on record (retrain with aps train)",
                 row.name);
    else if (!g.passed)
        snprintf(mm->why, sizeof mm->why, "the production model failed the market gate: %.190s",
                 g.why[0] ? g.why : "no reason recorded");
    else if (!mm->active)
        snprintf(mm->why, sizeof mm->why, "production model %s did not load", row.name);
    mm->published = mm->active && recorded && g.passed;
    aps_registry_row_cleanup(&row);
}

static void market_model_drop(struct market_model *mm)
{
    if (!mm->active)
        return;
    mm->p.destroy(mm->p.ctx);
    aps_trained_cleanup(&mm->t);
    mm->active = false;
    mm->published = false;
    snprintf(mm->why, sizeof mm->why, "the production model failed on a game; Elo tracks it");
}

/* Stores the top contributions of a published pick's model prediction with the pick
 * (prediction_explanations, and a summary in predictions.explanation). */
static int store_explanation(struct aps_conn *c, const struct market_model *mm, size_t gi,
                             int64_t pick_id)
{
    struct aps_contrib ct[APS_PICK_EXPLAIN_TOP];
    int n = 0;
    if (aps_model_predictor_explain(&mm->p, gi, APS_PICK_EXPLAIN_TOP, ct, &n) || n <= 0)
        return 0; /* nothing to explain (the model cannot): the pick stands without */
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) /* a NaN value is stored as NULL */
        rc = aps_conn_execf(c,
                            "INSERT INTO prediction_explanations (prediction_id, rank, feature,"
                            " value, contribution) VALUES (?1, ?2, ?3, ?4, ?5)",
                            "iisdd", pick_id, (int64_t)i + 1, ct[i].feature, ct[i].value,
                            ct[i].contribution);
    if (rc)
        return rc;
    char summary[512];
    snprintf(summary, sizeof summary,
             "{\"model\":\"%s\",\"method\":\"TreeSHAP for gradient-boosted trees, coefficient x"
             " (value - training mean) for logistic models, through the calibration and the"
             " ensemble's weights\",\"units\":\"%s\"}",
             mm->name,
             mm->t.regression ? "points of expected margin or total"
                              : "log-odds of the home side (home win, home cover) or the over");
    return aps_conn_execf(c, "UPDATE predictions SET explanation = ?1 WHERE id = ?2", "si",
                          summary, pick_id);
}

/* The run's metrics (all NULL when the caller gave no registry: observing does nothing). */
struct publish_metrics {
    struct aps_metric *edge, *inference, *unloaded;
};

static void publish_metrics_register(struct aps_metrics *m, struct publish_metrics *pm)
{
    static const char *const smt[] = {"sport", "market", "tier", NULL};
    static const char *const smm[] = {"sport", "market", "model", NULL};
    static const double edge[] = {-0.05, 0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3};
    static const double secs[] = {0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005,
                                  0.01,    0.05,    0.1,    0.5,    1};
    memset(pm, 0, sizeof *pm);
    if (!m)
        return;
    pm->edge = aps_metrics_histogram(m, "aps_pick_edge_ratio",
                                     "Edge over the no-vig market of each published pick", smt,
                                     edge, sizeof edge / sizeof edge[0]);
    pm->inference = aps_metrics_histogram(
        m, "aps_model_inference_duration_seconds",
        "Time to price one game's market (model: production or elo)", smm, secs,
        sizeof secs / sizeof secs[0]);
    static const char *const sm[] = {"sport", "market", NULL};
    pm->unloaded = aps_metrics_counter(
        m, "aps_model_load_failures_total",
        "Publishing runs whose production model did not load (Elo priced the market, tracking"
        " only)",
        sm);
}

/* One more tracking-only pick, counted under its reason. */
static void count_tracking(struct aps_publish_result *r, const char *why)
{
    size_t i = 0;
    while (i < r->nreasons && strcmp(r->reasons[i].why, why))
        i++;
    if (i == r->nreasons && i < APS_PUBLISH_REASONS)
        (void)aps_str_copy(r->reasons[r->nreasons++].why, sizeof r->reasons[i].why, why);
    if (i < r->nreasons)
        r->reasons[i].picks++;
    r->tracking++;
}

static int publish_game(struct aps_conn *c, struct aps_predictor *elo, struct market_model *mm,
                        const struct aps_history *h, size_t gi,
                        const struct aps_publish_opts *o, const struct publish_metrics *pm,
                        struct aps_publish_result *r)
{
    const char *sport = aps_sport_info(h->sport)->code;
    bool priced = false;
    for (int m = 0; m < APS_MKT__COUNT; m++) {
        struct aps_market_view v;
        int rc = aps_market_view(h, &h->games[gi], m, o->margin, &v);
        if (rc)
            return rc;
        if (!v.has_entry)
            continue;
        priced = true;
        struct candidate cd;
        bool model = mm[m].active;
        double t0 = aps_time_mono();
        rc = choose(model ? &mm[m].p : elo, model ? mm[m].name : (o->model ? o->model : "elo"),
                    &mm[m], h, gi, &v, o, &cd);
        const char *il[] = {sport, aps_market_name(m), model ? "production" : "elo"};
        aps_metric_observe(pm->inference, il, aps_time_mono() - t0);
        if (rc && model) {
            market_model_drop(&mm[m]);
            rc = choose(elo, o->model ? o->model : "elo", &mm[m], h, gi, &v, o, &cd);
        }
        if (rc)
            return rc;
        /* A line no bet is settled on (not a multiple of 0.25: a typing error of the source,
         * as SBR's "2.5115" for 2.5 at -115) gets no pick: it could never be graded. */
        struct aps_grade_pick gp = {(enum aps_market)m, cd.pick.selection, cd.pick.line,
                                    aps_sport_info(h->sport)->three_way};
        if (!cd.found || !aps_grade_pick_valid(&gp))
            continue;
        struct last_pick lp;
        rc = read_last_pick(c, cd.pick.game_id, m, &lp);
        if (rc)
            return rc;
        struct aps_pick rounded = cd.pick;
        aps_lockin_round(&rounded);
        /* A graded pick is the game's record for good: a replay run after grading (aps predict
         * --now before the start) does not make a new pick that the track record would count
         * in its place. */
        if (lp.found && lp.graded) {
            r->unchanged++;
            continue;
        }
        if (lp.found && lp.sel == rounded.selection && !strcmp(lp.publication, rounded.publication) &&
            same_number(lp.line, rounded.line, 1e-9) &&
            same_number(lp.price, rounded.price, 1e-9) && fabs(lp.p - rounded.probability) < 0.005) {
            r->unchanged++;
            continue;
        }
        rc = aps_lockin_append(c, &cd.pick);
        if (!rc && model && mm[m].active && mm[m].published)
            rc = store_explanation(c, &mm[m], gi, cd.pick.id);
        if (rc)
            return rc;
        const char *el[] = {sport, aps_market_name(m), cd.pick.tier};
        aps_metric_observe(pm->edge, el, cd.pick.edge);
        r->published++;
        if (!strcmp(cd.pick.publication, "tracking_only"))
            count_tracking(r, mm[m].why);
        r->staked += cd.staked;
    }
    r->priced += priced;
    return 0;
}

int aps_picks_publish(struct aps_conn *c, const struct aps_publish_opts *o,
                      struct aps_publish_result *r)
{
    memset(r, 0, sizeof *r);
    struct aps_history h;
    int rc = aps_history_load(c, o->sport, NULL, NULL, &h);
    if (rc)
        return rc;
    /* a replay prices, and its models read, the market as it stood at now: no quote taken later */
    if (o->replay)
        aps_history_known_at(&h, o->now);
    struct aps_elo_params params;
    bool fitted;
    struct aps_predictor pred = {0};
    rc = aps_elo_params_load(c, o->sport, &params, &fitted);
    struct aps_elo_predictor_opts po = {&params, false, 8};
    if (!rc)
        rc = aps_elo_predictor_new(&h, &po, &pred);
    struct aps_feat_extras x;
    memset(&x, 0, sizeof x);
    struct market_model mm[APS_MKT__COUNT];
    memset(mm, 0, sizeof mm);
    struct publish_metrics pm;
    publish_metrics_register(o->metrics, &pm);
    if (!rc && !aps_feat_extras_load(c, &h, &x))
        for (int m = 0; m < APS_MKT__COUNT; m++)
            market_model_load(c, &h, &x, m, &mm[m], r);
    /* every market's series, at 0 while its model loads: the alert's increase() sees the
     * first failure as a step from 0, not as a new series */
    for (int m = 0; m < APS_MKT__COUNT; m++) {
        const char *lv[] = {aps_sport_info(o->sport)->code, aps_market_name(m)};
        double failed = 0;
        for (size_t i = 0; i < r->nunloaded; i++)
            failed += r->unloaded[i].market == (enum aps_market)m;
        aps_metric_add(pm.unloaded, lv, failed);
    }
    for (size_t i = 0; i < h.ngames && !rc; i++) {
        const struct aps_hist_game *g = &h.games[i];
        rc = pred.begin(pred.ctx, &h, i);
        for (int m = 0; m < APS_MKT__COUNT && !rc; m++)
            if (mm[m].active && mm[m].p.begin(mm[m].p.ctx, &h, i))
                market_model_drop(&mm[m]);
        if (rc)
            break;
        if (g->start_time < o->now) {
            rc = pred.observe(pred.ctx, &h, i);
            for (int m = 0; m < APS_MKT__COUNT && !rc; m++)
                if (mm[m].active && mm[m].p.observe(mm[m].p.ctx, &h, i))
                    market_model_drop(&mm[m]);
        } else if ((g->status == APS_GS_SCHEDULED || o->replay) &&
                   g->start_time < o->now + o->horizon) {
            r->games++;
            rc = publish_game(c, &pred, mm, &h, i, o, &pm, r);
        }
    }
    for (int m = 0; m < APS_MKT__COUNT; m++)
        market_model_drop(&mm[m]);
    aps_feat_extras_cleanup(&x);
    if (pred.destroy)
        pred.destroy(pred.ctx);
    aps_history_cleanup(&h);
    return rc;
}

/* ---- grading ------------------------------------------------------------------------------- */

struct ungraded {
    int64_t id, game;
    enum aps_market market;
    enum aps_selection sel;
    double line, price;
    struct aps_grade_game g; /* its game, with the start the pick was locked in for */
    bool three_way;
};

static int list_ungraded(struct aps_conn *c, struct ungraded **out, size_t *n)
{
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = aps_conn_prepare(
        c,
        "SELECT p.id, p.game_id, p.market, p.selection, p.line, p.price, g.status, g.home_score,"
        " g.away_score, sp.three_way, g.start_time, COALESCE(p.game_start, g.start_time)"
        " FROM predictions p JOIN games g ON g.id = p.game_id"
        " JOIN sports sp ON sp.id = g.sport_id"
        " WHERE " APS_GRADE_CANDIDATE_SQL("p.game_start") " AND NOT EXISTS"
        " (SELECT 1 FROM prediction_results r WHERE r.prediction_id = p.id) ORDER BY p.id",
        &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *out = aps_realloc(*out, cap * sizeof **out);
        }
        struct ungraded *u = &(*out)[(*n)++];
        u->id = aps_stmt_int64(st, 0);
        u->game = aps_stmt_int64(st, 1);
        u->market = aps_market_parse(aps_stmt_text(st, 2));
        u->sel = aps_selection_parse(aps_stmt_text(st, 3));
        u->line = aps_stmt_double(st, 4);
        u->price = aps_stmt_double(st, 5);
        u->g.status = aps_status_parse(aps_stmt_text(st, 6));
        u->g.home = aps_stmt_is_null(st, 7) ? -1 : (int)aps_stmt_int64(st, 7);
        u->g.away = aps_stmt_is_null(st, 8) ? -1 : (int)aps_stmt_int64(st, 8);
        u->three_way = aps_stmt_int64(st, 9) != 0;
        u->g.start = aps_stmt_int64(st, 10);
        u->g.booked_start = aps_stmt_int64(st, 11);
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* The closing benchmark of the pick's game and market (engine/market.h, the one every CLV
 * uses) and the pick's CLV against it. has = false when the game has no closing line. */
static int closing_clv(struct aps_conn *c, const struct ungraded *u, enum aps_margin_method mm,
                       double *clv, double *close_line, double *close_price, bool *has)
{
    *has = false;
    struct aps_close_benchmark bm;
    int rc = aps_market_close_stored(c, u->game, u->market, u->three_way, mm, &bm);
    int k = rc ? -1 : aps_market_side_index(u->market, u->three_way, u->sel);
    if (rc || !bm.found || k < 0)
        return rc;
    *close_price = bm.price[k];
    *close_line = bm.line[k];
    *has = aps_close_clv(&bm, u->market, u->sel, u->line, u->price, clv) == 0;
    return 0;
}

static int grade_one(struct aps_conn *c, const struct ungraded *u, enum aps_margin_method mm,
                     const struct aps_grade_clock *clock, struct aps_grade_run *r)
{
    enum aps_grade_result res;
    struct aps_grade_pick pk = {u->market, u->sel, u->line, u->three_way};
    if (aps_grade_settle(&pk, &u->g, clock, &res))
        return 0; /* not settled yet (a postponed game within its grace, a final game without
                     its score): tried again on the next run */
    double clv = NAN, cline = NAN, cprice = NAN;
    bool has_clv = false;
    int rc = res == APS_GRADE_VOID ? 0 : closing_clv(c, u, mm, &clv, &cline, &cprice, &has_clv);
    if (rc)
        return rc;
    double pl = isnan(u->price) ? NAN : aps_grade_profit(res, 1.0, u->price);
    /* NaN (no price, no closing line, no CLV) is stored as NULL. */
    rc = aps_conn_execf(c,
                        "INSERT INTO prediction_results (prediction_id, result, profit_loss,"
                        " closing_line, closing_price, clv, graded_at) VALUES (?1, ?2, ?3, ?4,"
                        " ?5, ?6, ?7) ON CONFLICT (prediction_id) DO NOTHING",
                        "isddddi", u->id, aps_grade_result_name(res), pl, cline, cprice,
                        has_clv ? clv : NAN, aps_time_now());
    if (rc)
        return rc;
    r->graded++;
    r->wins += res == APS_GRADE_WIN || res == APS_GRADE_HALF_WIN;
    r->losses += res == APS_GRADE_LOSS || res == APS_GRADE_HALF_LOSS;
    r->pushes += res == APS_GRADE_PUSH;
    r->voids += res == APS_GRADE_VOID;
    return 0;
}

/* grade_one in a savepoint: a pick that cannot be graded is put back as it was, counted in
 * r->failed (the first one named in r->why) and the run goes on; 0 unless the savepoint itself
 * fails (the connection is gone). *first keeps the first pick's error. */
static int grade_alone(struct aps_conn *c, const struct ungraded *u, enum aps_margin_method mm,
                       const struct aps_grade_clock *clock, struct aps_grade_run *r, int *first)
{
    int rc = aps_conn_exec(c, "SAVEPOINT grade_pick");
    if (rc)
        return rc;
    rc = grade_one(c, u, mm, clock, r);
    if (!rc)
        return aps_conn_exec(c, "RELEASE SAVEPOINT grade_pick");
    if (!r->failed++) {
        *first = rc;
        snprintf(r->why, sizeof r->why, "pick %lld (game %lld): %s", (long long)u->id,
                 (long long)u->game, aps_conn_errmsg(c));
    }
    return aps_conn_exec(c, "ROLLBACK TO SAVEPOINT grade_pick") ||
                   aps_conn_exec(c, "RELEASE SAVEPOINT grade_pick")
               ? APS_E_DB
               : 0;
}

int aps_picks_grade(struct aps_conn *c, enum aps_margin_method mm,
                    const struct aps_grade_clock *clock, struct aps_grade_run *r)
{
    memset(r, 0, sizeof *r);
    struct ungraded *u = NULL;
    size_t n = 0;
    int first = 0, rc = list_ungraded(c, &u, &n);
    if (!rc)
        rc = aps_conn_begin(c);
    for (size_t i = 0; i < n && !rc; i++)
        rc = grade_alone(c, &u[i], mm, clock, r, &first);
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc) {
        snprintf(r->why, sizeof r->why, "%s", aps_conn_errmsg(c));
        aps_conn_rollback(c);
        r->graded = r->wins = r->losses = r->pushes = r->voids = 0;
    } else if (r->failed) {
        char first_why[sizeof r->why];
        snprintf(first_why, sizeof first_why, "%s", r->why);
        snprintf(r->why, sizeof r->why, "%zu of %zu picks not graded; %.200s", r->failed, n,
                 first_why);
        rc = first;
    }
    aps_free(u);
    return rc;
}
