/* backtest_sport.c — one sport's backtest from the store: the history, the predictor (Elo with
 * stored or default parameters, or a registered model's walk-forward predictions) and the run.
 * Shared by `aps backtest` and the backtest job of the API. */
#include <string.h>

#include "core/str.h"
#include "engine/backtest.h"
#include "engine/elo_store.h"
#include "engine/model_predictor.h"
#include "model/registry.h"
#include "store/store.h"

/* The predictor of a registered model (or the production one) for this sport and market. The
 * artefact predicts the games after its training data that are in the window [from, to] only:
 * the others are never scored, and the count of its predictions is the window's. */
static int model_predictor(struct aps_conn *c, enum aps_sport sport,
                           const struct aps_backtest_sport_opts *o, const struct aps_history *h,
                           char *name, size_t cap, struct aps_predictor *pred, char fresh[11])
{
    struct aps_model_row r;
    struct aps_model_preds preds;
    enum aps_market market = o->bt.market;
    const char *model = o->model, *from = o->bt.from, *to = o->bt.to;
    const char *code = aps_sport_info(sport)->code, *mk = aps_market_name(market);
    int rc = !strcmp(model, "production") ? aps_registry_production(c, code, mk, &r)
                                          : aps_registry_get(c, model, &r);
    if (rc)
        return rc;
    if (strcmp(r.sport, code) || strcmp(r.market, mk)) {
        aps_registry_row_cleanup(&r);
        return APS_E_NOTFOUND;
    }
    (void)aps_str_copy(name, cap, r.name);
    struct aps_trained t;
    struct aps_feat_extras x = {0};
    rc = aps_registry_preds_load(c, r.id, &preds);
    if (rc) {
        aps_registry_row_cleanup(&r);
        return rc;
    }
    /* the artefact scores the games after its training data, the stored walk-forward
       predictions the ones before. Without its files (pruned, or missing or unreadable) the
       backtest is refused: the stored predictions alone would score another window than the
       one asked, without saying so. */
    char why[APS_REGISTRY_WHY_CAP];
    if (aps_registry_load(r.path, &t, why, sizeof why)) {
        if (o->why && !strcmp(r.status, "pruned"))
            snprintf(o->why, o->why_cap,
                     "model %s was pruned ('aps models prune' deleted its files and stored"
                     " predictions): nothing to replay",
                     r.name);
        else if (o->why)
            snprintf(o->why, o->why_cap, "the files of model %s cannot be read: %s", r.name, why);
        rc = APS_E_IO;
    } else {
        aps_model_fresh_from(r.params, &preds, h, fresh);
        const char *start = from && strcmp(from, fresh) > 0 ? from : fresh;
        rc = aps_feat_extras_load(c, h, &x);
        if (!rc)
            rc = aps_model_predictor_frozen(h, &t, &x, &preds, start, to, name, pred);
        aps_trained_cleanup(&t);
        aps_feat_extras_cleanup(&x);
    }
    aps_registry_preds_cleanup(&preds);
    aps_registry_row_cleanup(&r);
    return rc;
}

int aps_backtest_sport(struct aps_conn *c, enum aps_sport sport,
                       const struct aps_backtest_sport_opts *o, struct aps_history *h,
                       struct aps_backtest_report *r, char *model_name, size_t cap)
{
    memset(h, 0, sizeof *h);
    int rc = aps_history_load(c, sport, NULL, o->bt.to, h);
    if (rc)
        return rc;
    struct aps_elo_params params;
    bool fitted;
    struct aps_predictor pred = {0};
    struct aps_elo_predictor_opts po = {&params, o->refit, 8};
    struct aps_backtest_opts bt = o->bt;
    char fresh[11] = "";
    if (o->model) {
        rc = model_predictor(c, sport, o, h, model_name, cap, &pred, fresh);
        /* the games after a frozen model's training data are scored even in the first season:
           the model learned from none of them */
        if (!rc && fresh[0])
            bt.fresh_from = fresh;
    } else {
        rc = aps_elo_params_load(c, sport, &params, &fitted);
        if (!rc)
            rc = aps_elo_predictor_new(h, &po, &pred);
    }
    if (!rc)
        rc = aps_backtest_run(h, &pred, &bt, r);
    if (!rc && pred.destroy)
        r->frozen = aps_model_predictor_frozen_count(&pred);
    if (pred.destroy)
        pred.destroy(pred.ctx);
    return rc;
}

void aps_backtest_sport_order(struct aps_conn *c, const enum aps_sport *sports, size_t n,
                              size_t *order)
{
    int64_t games[APS_SPORT__COUNT] = {0};
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT sp.code, count(*) FROM games g JOIN sports sp"
                               " ON sp.id = g.sport_id GROUP BY sp.code",
                               "");
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int s = aps_sport_from_code(aps_stmt_text(st, 0));
        if (s >= 0)
            games[s] = aps_stmt_int64(st, 1);
    }
    aps_stmt_finalize(st);
    if (rc < 0)
        memset(games, 0, sizeof games);
    for (size_t i = 0; i < n; i++) { /* insertion, stable */
        size_t k = i;
        for (; k > 0 && games[sports[order[k - 1]]] < games[sports[i]]; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
}
