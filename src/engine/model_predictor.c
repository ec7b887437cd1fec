/* model_predictor.c — trained models as predictors (see model_predictor.h). */
#include "engine/model_predictor.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "model/explain.h"
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
    if (m != APS_MKT_MONEYLINE) {
        /* the stored (calibrated) probability where the line is the one the trainer predicted
           the game at; elsewhere the margin model's distribution (normal or Poisson) at the line */
        double l0 = aps_feat_main_line(h, gi, m, APS_PHASE_CLOSE);
        bool side0 = sel == APS_SEL_HOME || sel == APS_SEL_OVER;
        double own = side0 || m == APS_MKT_TOTAL ? l0 : -l0;
        if (!isnan(row[0]) && !isnan(l0) && line == own)
            v = side0 ? row[0] : 1 - row[0];
        else
            v = aps_margin_cover_prob_dist(w->p.dist, w->p.mu[i], w->p.sigma[i], m, sel, line);
    }
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

/* Game gi's row from the feature state (row: room for the spec's columns), scored by t; elo and
 * ed receive the row's Elo inputs (what an explanation of the prediction needs). */
static int predict_game(const struct aps_trained *t, struct aps_feat_state *st, size_t gi,
                        double *row, struct aps_prediction *pr, double elo[3], double *ed)
{
    *ed = NAN;
    int rc = aps_feat_row(st, &t->spec, gi, row, elo);
    for (int j = 0; j < t->spec.ncols; j++)
        if (t->spec.col[j] == APS_F_ELO_DIFF)
            *ed = row[j];
    return rc ? rc : aps_trained_predict(t, row, elo, *ed, pr);
}

/* P(sel) from the prediction of the artefact. */
static int artefact_prob(const struct aps_trained *t, const struct aps_prediction *pr,
                         enum aps_selection sel, double line, double *p)
{
    double v = aps_trained_prob(t, pr, sel, line);
    if (isnan(v))
        return APS_E_INVAL;
    *p = v;
    return 0;
}

static int live_begin(void *ctx, const struct aps_history *h, size_t gi)
{
    struct live_pred *lp = ctx;
    (void)h;
    aps_feat_begin(&lp->st, gi);
    int rc = predict_game(lp->t, &lp->st, gi, lp->row, &lp->pr, lp->elo, &lp->ed);
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
    return artefact_prob(lp->t, &lp->pr, sel, line, p);
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

/* ---- frozen: stored walk-forward predictions, the artefact on later games ---- */

struct frozen_pred {
    struct aps_trained t;
    struct aps_feat_extras x;
    struct aps_model_preds p;
    struct aps_feat_state st;
    char from[11], to[11];
    double *row;
    size_t cur;               /* game of the artefact's prediction, SIZE_MAX when none */
    struct aps_prediction pr;
    size_t computed;
};

static int frozen_begin(void *ctx, const struct aps_history *h, size_t gi)
{
    struct frozen_pred *fp = ctx;
    const struct aps_hist_game *g = &h->games[gi];
    aps_feat_begin(&fp->st, gi);
    fp->cur = (size_t)-1;
    if (strcmp(g->date, fp->from) < 0 || (fp->to[0] && strcmp(g->date, fp->to) > 0) ||
        aps_registry_preds_find(&fp->p, g->id) >= 0)
        return 0;
    double elo[3], ed;
    int rc = predict_game(&fp->t, &fp->st, gi, fp->row, &fp->pr, elo, &ed);
    if (!rc) {
        fp->cur = gi;
        fp->computed++;
    }
    return rc;
}

static int frozen_prob(void *ctx, const struct aps_history *h, size_t gi, enum aps_market m,
                       enum aps_selection sel, double line, double *p)
{
    struct frozen_pred *fp = ctx;
    if (m != fp->t.market)
        return APS_E_NOTFOUND;
    if (fp->cur != gi) {
        /* the stored walk-forward prediction, read as the walk-forward predictor does */
        struct wf_pred w = {fp->p, m, fp->t.k};
        return wf_prob(&w, h, gi, m, sel, line, p);
    }
    return artefact_prob(&fp->t, &fp->pr, sel, line, p);
}

static int frozen_observe(void *ctx, const struct aps_history *h, size_t gi)
{
    struct frozen_pred *fp = ctx;
    (void)h;
    return aps_feat_observe(&fp->st, gi);
}

static void frozen_destroy(void *ctx)
{
    struct frozen_pred *fp = ctx;
    if (!fp)
        return;
    aps_feat_state_cleanup(&fp->st);
    aps_trained_cleanup(&fp->t);
    aps_feat_extras_cleanup(&fp->x);
    aps_registry_preds_cleanup(&fp->p);
    aps_free(fp->row);
    aps_free(fp);
}

int aps_model_predictor_frozen(const struct aps_history *h, struct aps_trained *t,
                               struct aps_feat_extras *x, struct aps_model_preds *preds,
                               const char *fresh_from, const char *fresh_to, const char *name,
                               struct aps_predictor *out)
{
    struct frozen_pred *fp = aps_calloc(1, sizeof *fp);
    fp->t = *t;
    memset(t, 0, sizeof *t);
    fp->x = *x;
    memset(x, 0, sizeof *x);
    fp->p = *preds;
    memset(preds, 0, sizeof *preds);
    (void)aps_str_copy(fp->from, sizeof fp->from, fresh_from);
    (void)aps_str_copy(fp->to, sizeof fp->to, fresh_to ? fresh_to : "");
    fp->cur = (size_t)-1;
    fp->row = aps_malloc(((size_t)fp->t.spec.ncols + 1) * sizeof *fp->row);
    int rc = aps_feat_state_init(&fp->st, h, fp->x.n ? &fp->x : NULL, &fp->t.spec);
    if (rc) {
        frozen_destroy(fp);
        return rc;
    }
    *out = (struct aps_predictor){name, fp, frozen_begin, frozen_prob, frozen_observe,
                                  frozen_destroy};
    return 0;
}

size_t aps_model_predictor_frozen_count(const struct aps_predictor *p)
{
    if (p->begin != frozen_begin)
        return 0;
    return ((const struct frozen_pred *)p->ctx)->computed;
}

void aps_model_fresh_from(const char *params_json, const struct aps_model_preds *preds,
                          const struct aps_history *h, char out[11])
{
    json_error_t e;
    json_t *j = params_json ? json_loads(params_json, 0, &e) : NULL;
    const char *until = json_string_value(json_object_get(j, "train_until"));
    out[0] = 0;
    if (until)
        (void)aps_str_copy(out, 11, until);
    json_decref(j);
    if (out[0])
        return;
    const char *last = NULL;
    for (size_t gi = 0; gi < h->ngames; gi++)
        if (aps_registry_preds_find(preds, h->games[gi].id) >= 0)
            last = h->games[gi].date;
    int64_t t;
    if (last && !aps_time_parse_iso(last, &t))
        aps_time_format_date(t + 86400, out, 11);
    else
        (void)aps_str_copy(out, 11, "9999-12-31");
}
