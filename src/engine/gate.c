/* gate.c — the market gate of a trained model (see gate.h). */
#include "engine/gate.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/backtest.h"

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

int aps_gate_evaluate(const struct aps_history *h, struct aps_predictor *pred, enum aps_market m,
                      const struct aps_kelly_params *kp, enum aps_margin_method mm,
                      struct aps_gate *out)
{
    memset(out, 0, sizeof *out);
    struct aps_backtest_opts bo = {.market = m, .kelly = *kp, .margin = mm, .bankroll = 10000};
    bo.kelly.max_edge = 0; /* the record is what sets the cap: measure without one */
    struct aps_backtest_report r;
    int rc = aps_backtest_run(h, pred, &bo, &r);
    if (rc)
        return rc;
    out->games = r.scores.n;
    out->ll_model = r.scores.ll_model;
    out->ll_market = r.scores.ll_close;
    aps_gate_buckets(&r, out);
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
    aps_backtest_report_cleanup(&r);
    return 0;
}

char *aps_gate_json(const struct aps_gate *g)
{
    json_t *o = json_object(), *b = json_array();
    json_object_set_new(o, "passed", json_boolean(g->passed));
    json_object_set_new(o, "why", json_string(g->why));
    json_object_set_new(o, "games", json_integer((json_int_t)g->games));
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
    free(txt);
    return copy;
}

bool aps_gate_from_metrics(const char *metrics, bool *passed, double *max_edge)
{
    *passed = false;
    *max_edge = 0;
    json_error_t e;
    json_t *o = metrics ? json_loads(metrics, 0, &e) : NULL;
    json_t *g = o ? json_object_get(o, "market_gate") : NULL;
    bool found = json_is_object(g);
    if (found) {
        *passed = json_is_true(json_object_get(g, "passed"));
        *max_edge = json_number_value(json_object_get(g, "max_supported_edge"));
    }
    json_decref(o);
    return found;
}
