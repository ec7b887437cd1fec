/* gate.c — the market gate of a trained model (see gate.h). */
#include "engine/gate.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/backtest.h"
#include "engine/market.h"
#include "engine/model_predictor.h"
#include "model/features.h"

#define CLIP 1e-15

static const double edges[APS_GATE_NBUCKETS + 1] = {0, 0.03, 0.045, 0.06, 0.08, 0.12, 1};

void aps_gate_buckets(const struct aps_backtest_report *r, struct aps_gate *out)
{
    out->bets = r->nbets;
    out->max_edge = 0;
    for (int k = 0; k < APS_GATE_NBUCKETS; k++)
        out->bucket[k] = (struct aps_gate_bucket){edges[k], edges[k + 1], 0, 0, 0};
    for (size_t i = 0; i < r->nbets; i++) {
        const struct aps_bt_bet *b = &r->bets[i];
        for (int k = 0; k < APS_GATE_NBUCKETS; k++)
            if (b->edge >= edges[k] && b->edge < edges[k + 1]) {
                out->bucket[k].bets++;
                out->bucket[k].staked += b->stake;
                out->bucket[k].profit += b->profit;
            }
    }
    for (int k = 0; k < APS_GATE_NBUCKETS; k++) {
        const struct aps_gate_bucket *bk = &out->bucket[k];
        if (bk->bets >= APS_GATE_MIN_BUCKET_BETS && bk->staked > 0 && bk->profit > 0)
            out->max_edge = bk->hi;
    }
}

int aps_gate_games(const struct aps_history *h, const struct aps_model_preds *preds,
                   enum aps_market m, int k, enum aps_margin_method mm,
                   struct aps_gate_games *out)
{
    memset(out, 0, sizeof *out);
    out->k = k;
    out->gi = aps_malloc((h->ngames + 1) * sizeof *out->gi);
    out->pm = aps_malloc((h->ngames * (size_t)k + 1) * sizeof *out->pm);
    out->pc = aps_malloc((h->ngames * (size_t)k + 1) * sizeof *out->pc);
    out->y = aps_malloc((h->ngames + 1) * sizeof *out->y);
    out->in = aps_calloc(h->ngames + 1, sizeof *out->in);
    for (size_t gi = 0; gi < h->ngames; gi++) {
        long i = aps_registry_preds_find(preds, h->games[gi].id);
        if (i < 0 || !preds->scored[i] || preds->outcome[i] < 0 ||
            isnan(preds->p[(size_t)i * 3]))
            continue;
        out->scored++;
        struct aps_market_view v;
        int rc = aps_market_view(h, &h->games[gi], m, mm, &v);
        if (rc) {
            aps_gate_games_cleanup(out);
            return rc;
        }
        double *pc = out->pc + out->n * (size_t)k;
        bool priced = v.has_close && v.nsides == k;
        for (int j = 0; priced && j < k; j++) {
            pc[j] = v.side[j].close_novig;
            priced = !isnan(pc[j]);
        }
        if (!priced) {
            out->no_close++;
            continue;
        }
        /* the market must price the outcome the trainer labelled: the same line */
        if (m != APS_MKT_MONEYLINE &&
            v.side[0].close_line != aps_feat_main_line(h, gi, m, APS_PHASE_CLOSE)) {
            out->other_line++;
            continue;
        }
        memcpy(out->pm + out->n * (size_t)k, preds->p + (size_t)i * 3, (size_t)k * sizeof *pc);
        out->y[out->n] = preds->outcome[i];
        out->gi[out->n++] = gi;
        out->in[gi] = true;
    }
    return 0;
}

void aps_gate_games_cleanup(struct aps_gate_games *g)
{
    aps_free(g->gi);
    aps_free(g->pm);
    aps_free(g->pc);
    aps_free(g->y);
    aps_free(g->in);
    memset(g, 0, sizeof *g);
}

static double ll_of(double p)
{
    return -log(p < CLIP ? CLIP : p);
}

void aps_gate_log_loss(const struct aps_gate_games *g, double *ll_model, double *ll_market)
{
    double a = 0, b = 0;
    for (size_t i = 0; i < g->n; i++) {
        a += ll_of(g->pm[i * (size_t)g->k + (size_t)g->y[i]]);
        b += ll_of(g->pc[i * (size_t)g->k + (size_t)g->y[i]]);
    }
    *ll_model = g->n ? a / (double)g->n : NAN;
    *ll_market = g->n ? b / (double)g->n : NAN;
}

/* ---- the walk-forward predictor on the gate's games ---- */

struct only_pred {
    struct aps_predictor inner;
    const bool *in;
};

static int only_begin(void *ctx, const struct aps_history *h, size_t gi)
{
    struct only_pred *o = ctx;
    return o->inner.begin(o->inner.ctx, h, gi);
}

static int only_prob(void *ctx, const struct aps_history *h, size_t gi, enum aps_market m,
                     enum aps_selection sel, double line, double *p)
{
    struct only_pred *o = ctx;
    if (!o->in[gi])
        return APS_E_NOTFOUND;
    return o->inner.prob(o->inner.ctx, h, gi, m, sel, line, p);
}

static int only_observe(void *ctx, const struct aps_history *h, size_t gi)
{
    struct only_pred *o = ctx;
    return o->inner.observe(o->inner.ctx, h, gi);
}

static void only_destroy(void *ctx)
{
    struct only_pred *o = ctx;
    if (!o)
        return;
    o->inner.destroy(o->inner.ctx);
    aps_free(o);
}

int aps_gate_predictor(const struct aps_history *h, struct aps_model_preds *preds,
                       enum aps_market m, int k, const char *name,
                       const struct aps_gate_games *g, struct aps_predictor *out)
{
    struct only_pred *o = aps_calloc(1, sizeof *o);
    int rc = aps_model_predictor_walkforward(h, preds, m, k, name, &o->inner);
    if (rc) {
        aps_free(o);
        return rc;
    }
    o->in = g->in;
    *out = (struct aps_predictor){name, o, only_begin, only_prob, only_observe, only_destroy};
    return 0;
}

void aps_gate_backtest_opts(const struct aps_kelly_params *kp, enum aps_margin_method mm,
                            enum aps_market m, struct aps_backtest_opts *bo)
{
    *bo = (struct aps_backtest_opts){.market = m, .kelly = *kp, .margin = mm,
                                     .bankroll = APS_GATE_BANKROLL};
    bo->kelly.max_edge = 0;
}

void aps_gate_verdict(const struct aps_gate_games *g, const struct aps_backtest_report *r,
                      enum aps_margin_method mm, struct aps_gate *out)
{
    memset(out, 0, sizeof *out);
    out->games = g->n;
    out->scored = g->scored;
    out->no_close = g->no_close;
    out->other_line = g->other_line;
    out->margin = mm;
    aps_gate_log_loss(g, &out->ll_model, &out->ll_market);
    aps_gate_buckets(r, out);
    double gap = out->ll_market > 0 ? out->ll_model / out->ll_market - 1 : NAN;
    if (out->games < APS_GATE_MIN_GAMES)
        snprintf(out->why, sizeof out->why,
                 "only %zu walk-forward games scored against the closing market (%d needed)",
                 out->games, APS_GATE_MIN_GAMES);
    else if (!(gap <= APS_GATE_MAX_LL_GAP))
        snprintf(out->why, sizeof out->why,
                 "walk-forward log-loss %.4f is %+.2f %% against the closing no-vig market's "
                 "%.4f on %zu games (at most %+.1f %%)",
                 out->ll_model, 100 * gap, out->ll_market, out->games,
                 100 * APS_GATE_MAX_LL_GAP);
    else {
        out->passed = true;
        snprintf(out->why, sizeof out->why,
                 "walk-forward log-loss %.4f is %+.2f %% against the closing no-vig market's "
                 "%.4f on %zu games",
                 out->ll_model, 100 * gap, out->ll_market, out->games);
    }
}

int aps_gate_evaluate(const struct aps_history *h, struct aps_model_preds *preds,
                      enum aps_market m, int k, const char *name,
                      const struct aps_kelly_params *kp, enum aps_margin_method mm,
                      struct aps_gate *out)
{
    memset(out, 0, sizeof *out);
    struct aps_gate_games g;
    struct aps_predictor pred = {0};
    int rc = aps_gate_games(h, preds, m, k, mm, &g);
    if (rc) {
        aps_registry_preds_cleanup(preds);
        return rc;
    }
    rc = aps_gate_predictor(h, preds, m, k, name, &g, &pred);
    struct aps_backtest_opts bo;
    aps_gate_backtest_opts(kp, mm, m, &bo);
    struct aps_backtest_report r;
    if (!rc)
        rc = aps_backtest_run(h, &pred, &bo, &r);
    if (!rc) {
        aps_gate_verdict(&g, &r, mm, out);
        aps_backtest_report_cleanup(&r);
    }
    if (pred.destroy)
        pred.destroy(pred.ctx);
    else
        aps_registry_preds_cleanup(preds);
    aps_gate_games_cleanup(&g);
    return rc;
}

char *aps_gate_json(const struct aps_gate *g)
{
    json_t *o = json_object(), *b = json_array();
    json_object_set_new(o, "passed", json_boolean(g->passed));
    json_object_set_new(o, "why", json_string(g->why));
    json_object_set_new(o, "games", json_integer((json_int_t)g->games));
    json_object_set_new(o, "walk_forward_games", json_integer((json_int_t)g->scored));
    json_object_set_new(o, "without_close", json_integer((json_int_t)g->no_close));
    json_object_set_new(o, "close_at_other_line", json_integer((json_int_t)g->other_line));
    json_object_set_new(o, "margin_method", json_string(aps_margin_method_name(g->margin)));
    json_object_set_new(o, "log_loss", json_real(g->ll_model));
    json_object_set_new(o, "market_log_loss", json_real(g->ll_market));
    json_object_set_new(o, "max_log_loss_gap", json_real(APS_GATE_MAX_LL_GAP));
    json_object_set_new(o, "bets", json_integer((json_int_t)g->bets));
    for (int k = 0; k < APS_GATE_NBUCKETS; k++) {
        const struct aps_gate_bucket *bk = &g->bucket[k];
        json_array_append_new(
            b, json_pack("{s:f, s:f, s:I, s:o}", "edge_from", bk->lo, "edge_to", bk->hi, "bets",
                         (json_int_t)bk->bets, "roi",
                         bk->staked > 0 ? json_real(bk->profit / bk->staked) : json_null()));
    }
    json_object_set_new(o, "edge_buckets", b);
    json_object_set_new(o, "max_supported_edge", json_real(g->max_edge));
    char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(8));
    json_decref(o);
    char *copy = aps_strdup(txt ? txt : "{}");
    aps_free(txt);
    return copy;
}

bool aps_gate_read(const char *metrics, struct aps_gate *out)
{
    memset(out, 0, sizeof *out);
    json_error_t e;
    json_t *o = metrics ? json_loads(metrics, 0, &e) : NULL;
    json_t *g = o ? json_object_get(o, "market_gate") : NULL;
    bool found = json_is_object(g);
    if (found) {
        out->passed = json_is_true(json_object_get(g, "passed"));
        out->max_edge = json_number_value(json_object_get(g, "max_supported_edge"));
        out->games = (size_t)json_integer_value(json_object_get(g, "games"));
        out->scored = (size_t)json_integer_value(json_object_get(g, "walk_forward_games"));
        out->no_close = (size_t)json_integer_value(json_object_get(g, "without_close"));
        out->other_line = (size_t)json_integer_value(json_object_get(g, "close_at_other_line"));
        out->bets = (size_t)json_integer_value(json_object_get(g, "bets"));
        json_t *ll = json_object_get(g, "log_loss"), *llm = json_object_get(g, "market_log_loss");
        out->ll_model = json_is_number(ll) ? json_number_value(ll) : NAN;
        out->ll_market = json_is_number(llm) ? json_number_value(llm) : NAN;
        const char *mm = json_string_value(json_object_get(g, "margin_method"));
        int mi = mm ? aps_margin_method_parse(mm) : -1;
        out->margin = mi < 0 ? APS_MARGIN__COUNT : (enum aps_margin_method)mi;
        const char *why = json_string_value(json_object_get(g, "why"));
        snprintf(out->why, sizeof out->why, "%s", why ? why : "");
    }
    json_decref(o);
    return found;
}
