/* model_predictor.c — trained models as predictors (see model_predictor.h). */
#include "engine/model_predictor.h"

#include "model/explain.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "model/margin_model.h"

/* ---- walk-forward: stored predictions ---- */

struct wf_pred {
    struct aps_model_preds p;
    enum aps_market market;
    int k;
};

static int wf_begin(void *ctx, const struct aps_history *h, size_t gi)
{
    (void)ctx;
    (void)h;
    (void)gi;
    return 0;
}

static int wf_prob(void *ctx, const struct aps_history *h, size_t gi, enum aps_market m,
                   enum aps_selection sel, double line, double *p)
{
    struct wf_pred *w = ctx;
    long i = aps_registry_preds_find(&w->p, h->games[gi].id);
    if (i < 0 || m != w->market)
        return APS_E_NOTFOUND;
    const double *row = w->p.p + (size_t)i * 3;
    double v = NAN;
    if (m != APS_MKT_MONEYLINE)
        v = aps_margin_cover_prob(w->p.mu[i], w->p.sigma[i], m, sel, line);
    else if (w->k == 3)
        v = sel == APS_SEL_HOME ? row[0] : sel == APS_SEL_DRAW ? row[1] : row[2];
    else if (sel != APS_SEL_DRAW)
        v = sel == APS_SEL_HOME ? row[0] : row[1];
    else
        return APS_E_INVAL;
    if (isnan(v))
        return APS_E_NOTFOUND;
    *p = v;
    return 0;
}

static int wf_observe(void *ctx, const struct aps_history *h, size_t gi)
{
    (void)ctx;
    (void)h;
    (void)gi;
    return 0;
}

static void wf_destroy(void *ctx)
{
    struct wf_pred *w = ctx;
    if (!w)
        return;
    aps_registry_preds_cleanup(&w->p);
    aps_free(w);
}

int aps_model_predictor_walkforward(const struct aps_history *h, struct aps_model_preds *preds,
                                    enum aps_market market, int k, const char *name,
                                    struct aps_predictor *out)
{
    (void)h;
    struct wf_pred *w = aps_calloc(1, sizeof *w);
    w->p = *preds;
    memset(preds, 0, sizeof *preds);
    w->market = market;
    w->k = k;
    *out = (struct aps_predictor){name, w, wf_begin, wf_prob, wf_observe, wf_destroy};
    return 0;
}

/* ---- live: the artefact on the shared feature state ---- */

struct live_pred {
    const struct aps_trained *t;
    struct aps_feat_state st;
    double *row;
    size_t cur;               /* game of the row computed last, SIZE_MAX when none */
    struct aps_prediction pr;
    double elo[3], ed;        /* the row's Elo inputs */
};

static int live_begin(void *ctx, const struct aps_history *h, size_t gi)
{
    struct live_pred *lp = ctx;
    double elo[3];
    (void)h;
    aps_feat_begin(&lp->st, gi);
    int rc = aps_feat_row(&lp->st, &lp->t->spec, gi, lp->row, elo);
    double ed = NAN;
    for (int j = 0; j < lp->t->spec.ncols; j++)
        if (lp->t->spec.col[j] == APS_F_ELO_DIFF)
            ed = lp->row[j];
    if (!rc)
        rc = aps_trained_predict(lp->t, lp->row, elo, ed, &lp->pr);
    memcpy(lp->elo, elo, sizeof elo);
    lp->ed = ed;
    lp->cur = rc ? (size_t)-1 : gi;
    return rc;
}

static int live_prob(void *ctx, const struct aps_history *h, size_t gi, enum aps_market m,
                     enum aps_selection sel, double line, double *p)
{
    struct live_pred *lp = ctx;
    (void)h;
    if (lp->cur != gi || m != lp->t->market)
        return APS_E_NOTFOUND;
    double v = aps_trained_prob(lp->t, &lp->pr, sel, line);
    if (isnan(v))
        return APS_E_INVAL;
    *p = v;
    return 0;
}

static int live_observe(void *ctx, const struct aps_history *h, size_t gi)
{
    struct live_pred *lp = ctx;
    (void)h;
    return aps_feat_observe(&lp->st, gi);
}

static void live_destroy(void *ctx)
{
    struct live_pred *lp = ctx;
    if (!lp)
        return;
    aps_feat_state_cleanup(&lp->st);
    aps_free(lp->row);
    aps_free(lp);
}

int aps_model_predictor_live(const struct aps_history *h, const struct aps_feat_extras *x,
                             const struct aps_trained *t, struct aps_predictor *out)
{
    struct live_pred *lp = aps_calloc(1, sizeof *lp);
    lp->t = t;
    lp->cur = (size_t)-1;
    lp->row = aps_malloc(((size_t)t->spec.ncols + 1) * sizeof *lp->row);
    int rc = aps_feat_state_init(&lp->st, h, x, &t->spec);
    if (rc) {
        live_destroy(lp);
        return rc;
    }
    *out = (struct aps_predictor){t->name, lp, live_begin, live_prob, live_observe, live_destroy};
    return 0;
}

int aps_model_predictor_explain(const struct aps_predictor *p, size_t gi, int top,
                                struct aps_contrib *out, int *n)
{
    const struct live_pred *lp = p->ctx;
    *n = 0;
    if (p->destroy != live_destroy || lp->cur != gi)
        return APS_E_NOTFOUND;
    return aps_explain(lp->t, lp->row, lp->elo, lp->ed, top, out, n);
}
