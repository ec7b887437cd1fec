/* candidate.c — base models of the search and their walk-forward runs (see candidate.h). */
#include "model/candidate.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static const char *const family_names[APS_FAM__COUNT] = {"elo", "logistic", "gbm", "ensemble"};

const char *aps_family_name(enum aps_family f)
{
    return f < APS_FAM__COUNT ? family_names[f] : "?";
}

int aps_family_parse(const char *s)
{
    for (int f = 0; s && f < APS_FAM__COUNT; f++)
        if (!strcmp(s, family_names[f]))
            return f;
    return -1;
}

char *aps_candidate_to_json(const struct aps_candidate *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "family", json_string(aps_family_name(c->family)));
    json_object_set_new(o, "name", json_string(c->name));
    if (c->family == APS_FAM_LOGISTIC || c->family == APS_FAM_ELO)
        json_object_set_new(o, "l2", json_real(c->l2));
    if (c->market_only)
        json_object_set_new(o, "market_only", json_true());
    if (c->market_offset)
        json_object_set_new(o, "market_offset", json_true());
    if (c->poisson || c->skellam)
        json_object_set_new(o, "dist", json_string(c->poisson ? "poisson" : "skellam"));
    if (c->family == APS_FAM_GBM) {
        const struct aps_gbm_params *p = &c->gbm;
        json_object_set_new(o, "rounds", json_integer(p->rounds));
        json_object_set_new(o, "depth", json_integer(p->depth));
        json_object_set_new(o, "eta", json_real(p->eta));
        json_object_set_new(o, "min_child", json_real(p->min_child));
        json_object_set_new(o, "subsample", json_real(p->subsample));
        json_object_set_new(o, "colsample", json_real(p->colsample));
        json_object_set_new(o, "lambda", json_real(p->lambda));
        json_object_set_new(o, "alpha", json_real(p->alpha));
        json_object_set_new(o, "gamma", json_real(p->gamma));
        json_object_set_new(o, "seed", json_integer((json_int_t)p->seed));
    }
    char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    char *copy = aps_strdup(txt ? txt : "{}");
    aps_free(txt);
    return copy;
}

static double numv(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

int aps_candidate_from_json(const char *json, struct aps_candidate *c)
{
    json_error_t e;
    memset(c, 0, sizeof *c);
    json_t *o = json_loads(json, 0, &e);
    if (!o)
        return APS_E_PARSE;
    int f = aps_family_parse(json_string_value(json_object_get(o, "family")));
    const char *name = json_string_value(json_object_get(o, "name"));
    int rc = f >= 0 && name ? 0 : APS_E_PARSE;
    if (!rc) {
        c->family = f;
        snprintf(c->name, sizeof c->name, "%s", name);
        c->l2 = numv(o, "l2");
        c->market_only = json_is_true(json_object_get(o, "market_only"));
        c->market_offset = json_is_true(json_object_get(o, "market_offset"));
        const char *dist = json_string_value(json_object_get(o, "dist"));
        c->poisson = aps_score_dist_parse(dist) == APS_DIST_POISSON;
        c->skellam = aps_score_dist_parse(dist) == APS_DIST_SKELLAM;
        struct aps_gbm_params *p = &c->gbm;
        p->rounds = (int)numv(o, "rounds");
        p->depth = (int)numv(o, "depth");
        p->eta = numv(o, "eta");
        p->min_child = numv(o, "min_child");
        p->subsample = numv(o, "subsample");
        p->colsample = numv(o, "colsample");
        p->lambda = numv(o, "lambda");
        p->alpha = numv(o, "alpha");
        p->gamma = numv(o, "gamma");
        p->seed = (uint64_t)numv(o, "seed");
    }
    json_decref(o);
    return rc;
}

/* ---- base models ---- */

/* The columns a market-only model keeps: the pre-game market, the market-implied ratings and
 * the Elo difference. */
static bool *market_mask(const struct aps_feat_spec *spec)
{
    bool *use = aps_calloc((size_t)spec->ncols + 1, sizeof *use);
    for (int j = 0; j < spec->ncols; j++) {
        int c = spec->col[j];
        use[j] = c == APS_F_ELO_DIFF || c == APS_F_ML_HOME || c == APS_F_ML_DRAW ||
                 c == APS_F_ML_AWAY || c == APS_F_SPREAD || c == APS_F_SPREAD_P ||
                 c == APS_F_TOTAL || c == APS_F_TOTAL_P || c == APS_F_MKT_ML ||
                 c == APS_F_MKT_SPREAD || c == APS_F_MKT_TOTAL;
    }
    return use;
}

static int spec_col(const struct aps_feat_spec *spec, int col)
{
    for (int j = 0; j < spec->ncols; j++)
        if (spec->col[j] == col)
            return j;
    return -1;
}

bool aps_candidate_offset_cols(const struct aps_feat_spec *spec, int k, int cols[3])
{
    cols[0] = spec_col(spec, APS_F_ML_HOME);
    cols[1] = k == 3 ? spec_col(spec, APS_F_ML_DRAW) : cols[0];
    cols[2] = k == 3 ? spec_col(spec, APS_F_ML_AWAY) : cols[0];
    return cols[0] >= 0 && cols[1] >= 0 && cols[2] >= 0 && (k == 2 || k == 3);
}

int aps_candidate_line_col(const struct aps_feat_spec *spec, enum aps_market market)
{
    return market == APS_MKT_SPREAD  ? spec_col(spec, APS_F_SPREAD)
           : market == APS_MKT_TOTAL ? spec_col(spec, APS_F_TOTAL)
                                     : -1;
}

int aps_base_fit(const struct aps_candidate *c, const struct aps_wf_data *data, const size_t *rows,
                 size_t n, struct aps_base_model *b)
{
    memset(b, 0, sizeof *b);
    b->c = *c;
    b->regression = data->regression;
    b->k = data->k;
    b->d = data->m->d;
    const double *x = data->m->x;
    int d = data->m->d;
    if (c->family == APS_FAM_ENSEMBLE)
        return APS_E_INVAL;
    if (!data->regression) {
        if (c->family == APS_FAM_ELO)
            return 0;
        if (c->family == APS_FAM_LOGISTIC) {
            bool *use = c->market_only ? market_mask(data->spec) : NULL;
            int off[3];
            struct aps_logit_opts lo = {c->l2, 0, 0, use, NULL};
            if (c->market_offset) {
                if (!aps_candidate_offset_cols(data->spec, data->k, off)) {
                    aps_free(use);
                    return APS_E_UNSUPPORTED;
                }
                lo.offset = off;
            }
            int rc = aps_logit_fit(x, d, data->y, rows, n, data->k, &lo, &b->lr);
            aps_free(use);
            return rc;
        }
        double *y = aps_malloc((data->h->ngames + 1) * sizeof *y);
        for (size_t i = 0; i < n; i++)
            y[rows[i]] = data->y[rows[i]];
        int rc = aps_gbm_fit(x, d, y, rows, n, data->k == 2 ? APS_GBM_BINARY : APS_GBM_SOFTMAX,
                             data->k, &c->gbm, &b->gb);
        aps_free(y);
        return rc;
    }
    if (c->family == APS_FAM_ELO) {
        if (data->market != APS_MKT_SPREAD)
            return APS_E_UNSUPPORTED;
        return aps_margin_fit(APS_MARGIN_RIDGE, data->elo_diff, 1, data->target, rows, n, 1e-6,
                              NULL, &b->mm);
    }
    if (c->poisson || (c->skellam && !c->market_offset)) { /* Poisson totals, Skellam margins */
        enum aps_market want = c->poisson ? APS_MKT_TOTAL : APS_MKT_SPREAD;
        if (data->market != want || c->family != APS_FAM_LOGISTIC)
            return APS_E_UNSUPPORTED;
        int rc = aps_margin_fit(APS_MARGIN_RIDGE, x, d, data->target, rows, n, c->l2, NULL, &b->mm);
        b->mm.dist = c->poisson ? APS_DIST_POISSON : APS_DIST_SKELLAM;
        return rc;
    }
    if (c->market_offset) {
        int col = aps_candidate_line_col(data->spec, data->market);
        if (col < 0 || c->family != APS_FAM_LOGISTIC)
            return APS_E_UNSUPPORTED;
        int rc = aps_margin_fit_offset(x, d, data->target, rows, n, c->l2, col,
                                       data->market == APS_MKT_SPREAD ? -1 : 1, &b->mm);
        if (c->skellam)
            b->mm.dist = APS_DIST_SKELLAM;
        return rc;
    }
    return aps_margin_fit(c->family == APS_FAM_GBM ? APS_MARGIN_GBM : APS_MARGIN_RIDGE, x, d,
                          data->target, rows, n, c->l2, &c->gbm, &b->mm);
}

void aps_base_cleanup(struct aps_base_model *b)
{
    aps_logit_cleanup(&b->lr);
    aps_gbm_cleanup(&b->gb);
    aps_margin_cleanup(&b->mm);
    memset(b, 0, sizeof *b);
}

static void elo_probs(int k, const double *elo, double *out)
{
    if (k == 3) {
        memcpy(out, elo, 3 * sizeof *out);
    } else {
        out[0] = elo[0];
        out[1] = 1 - elo[0];
    }
}

int aps_base_predict(const struct aps_base_model *b, const double *x, const double *elo,
                     double elo_diff, double *out)
{
    if (b->regression)
        return aps_margin_predict(&b->mm, b->c.family == APS_FAM_ELO ? &elo_diff : x, out);
    switch (b->c.family) {
    case APS_FAM_ELO: elo_probs(b->k, elo, out); return 0;
    case APS_FAM_LOGISTIC: aps_logit_predict(&b->lr, x, out); return 0;
    case APS_FAM_GBM: return aps_gbm_predict_row(&b->gb, x, out);
    default: return APS_E_INVAL;
    }
}

int aps_base_predict_rows(const struct aps_base_model *b, const struct aps_wf_data *data,
                          const size_t *rows, size_t n, double *out)
{
    const double *x = data->m->x;
    size_t d = (size_t)data->m->d, k = (size_t)data->k;
    if (b->regression)
        return aps_margin_predict_rows(&b->mm, b->c.family == APS_FAM_ELO ? data->elo_diff : x,
                                       rows, n, out);
    if (b->c.family == APS_FAM_GBM)
        return aps_gbm_predict(&b->gb, x, rows, n, out);
    for (size_t i = 0; i < n; i++) {
        if (b->c.family == APS_FAM_ELO)
            elo_probs(data->k, data->m->elo + rows[i] * 3, out + i * k);
        else
            aps_logit_predict(&b->lr, x + rows[i] * d, out + i * k);
    }
    return 0;
}

/* ---- walk-forward ---- */

int aps_wf_fold(const struct aps_wf_data *data, const struct aps_candidate *c, size_t f,
                size_t *rows, struct aps_oof *raw, double *in_sigma)
{
    size_t n = aps_wf_train_rows(data, f, rows);
    const struct aps_wf_fold *fo = &data->folds[f];
    *in_sigma = NAN;
    if (n < 50)
        return 0; /* too little to learn from: the fold stays unpredicted for every candidate */
    struct aps_base_model b;
    int rc = aps_base_fit(c, data, rows, n, &b);
    size_t nt = fo->t1 - fo->t0;
    for (size_t i = 0; i < nt; i++)
        rows[i] = fo->t0 + i;
    size_t width = data->regression ? 1 : (size_t)data->k;
    double *out = rc ? NULL : aps_malloc((nt * width + 1) * sizeof *out);
    if (!rc)
        rc = aps_base_predict_rows(&b, data, rows, nt, out);
    for (size_t i = 0; !rc && i < nt; i++) {
        if (data->regression)
            raw->mu[fo->t0 + i] = out[i];
        else
            memcpy(raw->p + (fo->t0 + i) * width, out + i * width, width * sizeof *out);
    }
    *in_sigma = data->regression && !rc ? b.mm.sigma : NAN;
    aps_free(out);
    aps_base_cleanup(&b);
    return rc;
}

void aps_wf_begin(const struct aps_wf_data *data, const struct aps_candidate *c,
                  struct aps_oof *raw)
{
    aps_oof_init(raw, data->h->ngames, data->k, data->regression);
    raw->dist = c->poisson ? APS_DIST_POISSON : c->skellam ? APS_DIST_SKELLAM : APS_DIST_NORMAL;
}

void aps_wf_end(const struct aps_wf_data *data, struct aps_oof *raw, const double *fallback,
                double *final_sigma)
{
    if (data->regression)
        aps_wf_sigma(data, raw, fallback, final_sigma);
}

int aps_wf_run(const struct aps_wf_data *data, const struct aps_candidate *c, struct aps_oof *raw,
               double *final_sigma, aps_wf_progress cb, void *arg)
{
    size_t *rows = aps_malloc((data->h->ngames + 1) * sizeof *rows);
    double *fallback = aps_malloc((data->nfolds + 1) * sizeof *fallback);
    int rc = 0;
    aps_wf_begin(data, c, raw);
    for (size_t f = 0; f < data->nfolds && !rc; f++) {
        rc = aps_wf_fold(data, c, f, rows, raw, &fallback[f]);
        if (cb)
            cb(arg, f + 1, data->nfolds);
    }
    if (!rc)
        aps_wf_end(data, raw, fallback, final_sigma);
    aps_free(rows);
    aps_free(fallback);
    if (rc)
        aps_oof_cleanup(raw);
    return rc;
}
