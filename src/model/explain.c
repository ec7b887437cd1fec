/* explain.c — feature contributions of a trained model's prediction (see explain.h). */
#include "model/explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static int elo_col(const struct aps_trained *t)
{
    for (int j = 0; j < t->spec.ncols; j++)
        if (t->spec.col[j] == APS_F_ELO_DIFF)
            return j;
    return -1;
}

static double logit(double p)
{
    p = p < 1e-6 ? 1e-6 : p > 1 - 1e-6 ? 1 - 1e-6 : p;
    return log(p / (1 - p));
}

/* Contributions of a boosted model to the class-0 score (three-way: class 0 minus class 2). */
static int gbm_part(const struct aps_gbm *gb, const double *x, int k, double *out, double *tmp)
{
    int rc = aps_gbm_contrib(gb, x, 0, out);
    if (rc || k != 3)
        return rc;
    rc = aps_gbm_contrib(gb, x, 2, tmp);
    for (int j = 0; !rc && j <= gb->d; j++)
        out[j] -= tmp[j];
    return rc;
}

/* One base model's contributions, in its own score units, into c (d values). */
static int base_part(const struct aps_trained *t, int b, const double *x, const double elo[3],
                     double elo_diff, double *c, double *tmp)
{
    const struct aps_base_model *bm = &t->base[b];
    int d = t->spec.ncols, ec = elo_col(t);
    memset(c, 0, (size_t)(d + 1) * sizeof *c);
    if (bm->c.family == APS_FAM_ELO) {
        double v = t->regression ? bm->mm.beta[1] / (bm->mm.sd[0] > 0 ? bm->mm.sd[0] : 1) *
                                       (elo_diff - bm->mm.mean[0])
                   : t->k == 3 ? log(elo[0] / elo[2]) : logit(elo[0]);
        if (ec >= 0 && !isnan(v))
            c[ec] = v;
        return 0;
    }
    if (t->regression) {
        if (bm->mm.kind == APS_MARGIN_GBM)
            return aps_gbm_contrib(&bm->mm.gb, x, 0, c);
        aps_margin_contrib(&bm->mm, x, c);
        return 0;
    }
    if (bm->c.family == APS_FAM_GBM)
        return gbm_part(&bm->gb, x, t->k, c, tmp);
    aps_logit_contrib(&bm->lr, x, 0, c);
    return 0;
}

/* The weight of base b in the combined score. */
static double weight(const struct aps_trained *t, int b)
{
    double w = 1;
    const struct aps_calib *cal = &t->calib[b];
    if (!t->regression && (cal->method == APS_CALIB_PLATT || cal->method == APS_CALIB_TEMPERATURE))
        w = cal->a;
    if (!t->has_meta)
        return w;
    /* the ensemble's own calibration scales its output on top of the base's */
    const struct aps_calib *oc = &t->out_calib;
    if (oc->method == APS_CALIB_PLATT || oc->method == APS_CALIB_TEMPERATURE)
        w *= oc->a;
    if (t->regression) {
        const struct aps_margin_model *m = &t->meta_reg;
        int g = t->group[b], size = 0;
        for (int i = 0; i < t->nbase; i++)
            size += t->group[i] == g;
        return m->sd[g] > 0 ? m->beta[g + 1] / m->sd[g] / (size ? size : 1) : 0;
    }
    /* the pool's weight of the base's family, shared by its members (their average is pooled) */
    int g = t->group[b], size = 0;
    for (int i = 0; i < t->nbase; i++)
        size += t->group[i] == g;
    return w * t->pool_w[g] / (size ? size : 1);
}

struct ranked {
    int col;
    double v;
};

static int by_size(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (fabs(x->v) != fabs(y->v))
        return fabs(x->v) > fabs(y->v) ? -1 : 1;
    return x->col - y->col;
}

int aps_explain(const struct aps_trained *t, const double *x, const double elo[3], double elo_diff,
                int top, struct aps_contrib *out, int *n)
{
    int d = t->spec.ncols, rc = 0;
    double *sum = aps_calloc((size_t)d + 1, sizeof *sum);
    double *c = aps_malloc(((size_t)d + 1) * sizeof *c), *tmp = aps_malloc(((size_t)d + 1) * sizeof *tmp);
    for (int b = 0; b < t->nbase && !rc; b++) {
        rc = base_part(t, b, x, elo, elo_diff, c, tmp);
        double w = weight(t, b);
        for (int j = 0; !rc && j < d; j++)
            sum[j] += w * c[j];
    }
    struct ranked *r = aps_malloc(((size_t)d + 1) * sizeof *r);
    for (int j = 0; j < d; j++)
        r[j] = (struct ranked){j, sum[j]};
    qsort(r, (size_t)d, sizeof *r, by_size);
    *n = 0;
    for (int i = 0; !rc && i < d && i < top; i++) {
        struct aps_contrib *o = &out[(*n)++];
        o->col = r[i].col;
        aps_feat_spec_name(&t->spec, r[i].col, o->feature, sizeof o->feature);
        o->value = x[r[i].col];
        o->contribution = r[i].v;
    }
    aps_free(sum);
    aps_free(c);
    aps_free(tmp);
    aps_free(r);
    return rc;
}
