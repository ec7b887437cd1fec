/* ensemble.c — stacking and the trained model's predictions (see ensemble.h). */
#include "model/ensemble.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "model/linalg.h"

#define MIN_META_ROWS 200
#define META_L2 1.0
#define PCLIP 1e-6

static double clipp(double p)
{
    return p < PCLIP ? PCLIP : p > 1 - PCLIP ? 1 - PCLIP : p;
}

/* Meta-learner inputs of one game from the base rows: width nb (two-way: log-odds of class 0;
 * regression: expected values) or nb·k (three-way: log-probabilities). */
static int meta_width(bool regression, int k, int nb)
{
    return regression ? nb : nb * k;
}

static bool meta_row(const struct aps_oof *base, int nb, size_t gi, bool regression, int k,
                     double *z)
{
    for (int b = 0; b < nb; b++) {
        if (regression) {
            z[b] = base[b].mu[gi];
            if (isnan(z[b]))
                return false;
            continue;
        }
        const double *p = base[b].p + gi * (size_t)k;
        if (isnan(p[0]))
            return false;
        for (int c = 0; c < k; c++)
            z[b * k + c] = log(clipp(p[c]));
    }
    return true;
}

/* Builds the meta matrix over every game (rows that lack a base prediction are NAN). */
static double *meta_matrix(const struct aps_wf_data *d, const struct aps_oof *base, int nb,
                           bool *ok)
{
    int w = meta_width(d->regression, d->k, nb);
    double *z = aps_malloc((d->h->ngames * (size_t)w + 1) * sizeof *z);
    for (size_t gi = 0; gi < d->h->ngames; gi++)
        ok[gi] = meta_row(base, nb, gi, d->regression, d->k, z + gi * (size_t)w);
    return z;
}

static void average_row(const struct aps_oof *base, int nb, size_t gi, int k, double *out)
{
    for (int c = 0; c < k; c++) {
        out[c] = 0;
        for (int b = 0; b < nb; b++)
            out[c] += base[b].p[gi * (size_t)k + (size_t)c] / nb;
    }
}

/* ---- the log-linear pool ---- */

/* Class probabilities of one row z (nb × k log-probabilities). */
static void pool_predict(const double *w, const double *bias, int nb, int k, const double *z,
                         double *p)
{
    double s[3], mx = -INFINITY, tot = 0;
    for (int c = 0; c < k; c++) {
        s[c] = c < k - 1 ? bias[c] : 0;
        for (int g = 0; g < nb; g++)
            s[c] += w[g] * z[g * k + c];
        mx = s[c] > mx ? s[c] : mx;
    }
    for (int c = 0; c < k; c++)
        tot += p[c] = exp(s[c] - mx);
    for (int c = 0; c < k; c++)
        p[c] /= tot;
}

/* Feature f of class c for parameter j: the weights' log-probabilities, then class indicators. */
static double pool_feature(const double *z, int nb, int k, int c, int j)
{
    return j < nb ? z[j * k + c] : (j - nb == c);
}

static double pool_objective(const double *th, const double *z, int w, const int *y,
                             const size_t *rows, size_t n, int nb, int k)
{
    double f = 0, p[3];
    for (size_t i = 0; i < n; i++) {
        pool_predict(th, th + nb, nb, k, z + rows[i] * (size_t)w, p);
        f -= log(p[y[rows[i]]] > 1e-300 ? p[y[rows[i]]] : 1e-300);
    }
    for (int g = 0; g < nb; g++)
        f += 0.5 * META_L2 * (th[g] - 1.0 / nb) * (th[g] - 1.0 / nb);
    return f;
}

/* One Newton step's gradient g and Hessian H (P × P) of the penalised negative likelihood. */
static void pool_derivs(const double *th, const double *z, int w, const int *y,
                        const size_t *rows, size_t n, int nb, int k, double *g, double *H)
{
    int P = nb + k - 1;
    memset(g, 0, (size_t)P * sizeof *g);
    memset(H, 0, (size_t)P * P * sizeof *H);
    for (size_t i = 0; i < n; i++) {
        const double *zi = z + rows[i] * (size_t)w;
        double p[3], mean[APS_ENS_MAX + 3] = {0};
        pool_predict(th, th + nb, nb, k, zi, p);
        for (int j = 0; j < P; j++) {
            for (int c = 0; c < k; c++)
                mean[j] += p[c] * pool_feature(zi, nb, k, c, j);
            g[j] += mean[j] - pool_feature(zi, nb, k, y[rows[i]], j);
        }
        for (int a = 0; a < P; a++)
            for (int b = a; b < P; b++) {
                double e = 0;
                for (int c = 0; c < k; c++)
                    e += p[c] * pool_feature(zi, nb, k, c, a) * pool_feature(zi, nb, k, c, b);
                H[a * P + b] += e - mean[a] * mean[b];
            }
    }
    for (int j = 0; j < nb; j++) {
        g[j] += META_L2 * (th[j] - 1.0 / nb);
        H[j * P + j] += META_L2;
    }
}

static int pool_fit(const double *z, int w, const int *y, const size_t *rows, size_t n, int nb,
                    int k, double *weights, double *bias)
{
    int P = nb + k - 1, rc = 0;
    double th[APS_ENS_MAX + 3], trial[APS_ENS_MAX + 3], g[APS_ENS_MAX + 3];
    double H[(APS_ENS_MAX + 3) * (APS_ENS_MAX + 3)];
    for (int j = 0; j < P; j++)
        th[j] = j < nb ? 1.0 / nb : 0;
    double f = pool_objective(th, z, w, y, rows, n, nb, k);
    for (int it = 0; it < 50 && !rc; it++) {
        pool_derivs(th, z, w, y, rows, n, nb, k, g, H);
        rc = aps_linalg_solve_spd(H, g, P);
        double step = 1, ft = f, biggest = 0;
        for (int half = 0; !rc && half < 30; half++, step /= 2) {
            for (int j = 0; j < P; j++)
                trial[j] = th[j] - step * g[j];
            ft = pool_objective(trial, z, w, y, rows, n, nb, k);
            if (ft <= f)
                break;
        }
        for (int j = 0; !rc && j < P; j++) {
            biggest = fmax(biggest, fabs(trial[j] - th[j]));
            th[j] = trial[j];
        }
        f = ft;
        if (biggest < 1e-9)
            break;
    }
    memcpy(weights, th, (size_t)nb * sizeof *th);
    for (int c = 0; c < 3; c++)
        bias[c] = c < k - 1 ? th[nb + c] : 0;
    return rc;
}

static int fold_classifier(const struct aps_wf_data *d, const struct aps_oof *base, int nb,
                           const double *z, const bool *ok, size_t f, size_t *rows,
                           struct aps_oof *out)
{
    int w = meta_width(false, d->k, nb), k = d->k;
    size_t n = 0;
    for (size_t gi = d->folds[0].t0; gi < d->folds[f].t0; gi++)
        if (ok[gi] && d->y[gi] >= 0)
            rows[n++] = gi;
    double pw[APS_ENS_MAX], pb[3];
    bool fitted = n >= MIN_META_ROWS;
    int rc = fitted ? pool_fit(z, w, d->y, rows, n, nb, k, pw, pb) : 0;
    for (size_t gi = d->folds[f].t0; !rc && gi < d->folds[f].t1; gi++) {
        if (!ok[gi])
            continue;
        if (fitted)
            pool_predict(pw, pb, nb, k, z + gi * (size_t)w, out->p + gi * (size_t)k);
        else
            average_row(base, nb, gi, k, out->p + gi * (size_t)k);
    }
    return rc;
}

static int fold_regression(const struct aps_wf_data *d, const struct aps_oof *base, int nb,
                           const double *z, const bool *ok, size_t f, size_t *rows,
                           struct aps_oof *out, double *fallback)
{
    size_t n = 0;
    for (size_t gi = d->folds[0].t0; gi < d->folds[f].t0; gi++)
        if (ok[gi] && !isnan(d->target[gi]))
            rows[n++] = gi;
    struct aps_margin_model meta = {0};
    int rc = n >= MIN_META_ROWS
                 ? aps_margin_fit(APS_MARGIN_RIDGE, z, nb, d->target, rows, n, 1e-3, NULL, &meta)
                 : 0;
    fallback[f] = NAN;
    for (size_t gi = d->folds[f].t0; !rc && gi < d->folds[f].t1; gi++) {
        if (!ok[gi])
            continue;
        if (meta.beta) {
            rc = aps_margin_predict(&meta, z + gi * (size_t)nb, &out->mu[gi]);
        } else {
            out->mu[gi] = 0;
            for (int b = 0; b < nb; b++)
                out->mu[gi] += base[b].mu[gi] / nb;
        }
        fallback[f] = meta.beta ? meta.sigma : base[0].sigma[gi];
    }
    aps_margin_cleanup(&meta);
    return rc;
}

void aps_ens_average(const struct aps_oof *members, int n, bool regression, struct aps_oof *out)
{
    size_t rows = members[0].n;
    int k = members[0].k;
    aps_oof_init(out, rows, k, regression);
    for (size_t gi = 0; gi < rows; gi++) {
        for (int c = 0; c < k; c++) {
            double s = 0;
            for (int b = 0; b < n; b++)
                s += members[b].p[gi * (size_t)k + (size_t)c];
            out->p[gi * (size_t)k + (size_t)c] = s / n;
        }
        if (!regression)
            continue;
        double mu = 0, sg = 0;
        for (int b = 0; b < n; b++) {
            mu += members[b].mu[gi];
            sg += members[b].sigma[gi];
        }
        out->mu[gi] = mu / n;
        out->sigma[gi] = sg / n;
    }
}

int aps_ens_walkforward(const struct aps_wf_data *d, const struct aps_oof *base, int nb,
                        struct aps_oof *out)
{
    if (nb < 1 || nb > APS_ENS_MAX)
        return APS_E_INVAL;
    bool *ok = aps_malloc((d->h->ngames + 1) * sizeof *ok);
    size_t *rows = aps_malloc((d->h->ngames + 1) * sizeof *rows);
    double *fallback = aps_malloc((d->nfolds + 1) * sizeof *fallback);
    double *z = meta_matrix(d, base, nb, ok);
    int rc = 0;
    aps_oof_init(out, d->h->ngames, d->k, d->regression);
    for (size_t f = 0; f < d->nfolds && !rc; f++)
        rc = d->regression ? fold_regression(d, base, nb, z, ok, f, rows, out, fallback)
                           : fold_classifier(d, base, nb, z, ok, f, rows, out);
    if (!rc && d->regression) {
        double final_sigma;
        aps_wf_sigma(d, out, fallback, &final_sigma);
    }
    aps_free(ok);
    aps_free(rows);
    aps_free(fallback);
    aps_free(z);
    if (rc)
        aps_oof_cleanup(out);
    return rc;
}

int aps_ens_fit_meta(const struct aps_wf_data *d, const struct aps_oof *base,
                     struct aps_trained *t)
{
    int nb = t->ngroups, w = meta_width(d->regression, d->k, nb);
    bool *ok = aps_malloc((d->h->ngames + 1) * sizeof *ok);
    size_t *rows = aps_malloc((d->h->ngames + 1) * sizeof *rows), n = 0;
    double *z = meta_matrix(d, base, nb, ok);
    for (size_t gi = 0; gi < d->h->ngames; gi++)
        if (ok[gi] && (d->regression ? !isnan(d->target[gi]) : d->y[gi] >= 0))
            rows[n++] = gi;
    int rc = n < 2 ? APS_E_NOTFOUND : 0;
    if (!rc && d->regression) {
        rc = aps_margin_fit(APS_MARGIN_RIDGE, z, w, d->target, rows, n, 1e-3, NULL, &t->meta_reg);
    } else if (!rc) {
        rc = pool_fit(z, w, d->y, rows, n, nb, d->k, t->pool_w, t->pool_b);
    }
    t->has_meta = !rc;
    aps_free(ok);
    aps_free(rows);
    aps_free(z);
    return rc;
}

/* ---- the trained model ---- */

/* Base b's calibrated class probabilities (or expected value) into raw. */
static int base_output(const struct aps_trained *t, int b, const double *x, const double elo[3],
                       double elo_diff, double *raw)
{
    int rc = aps_base_predict(&t->base[b], x, elo, elo_diff, raw);
    if (rc || t->regression)
        return rc;
    if (t->k == 2) {
        raw[0] = aps_calib_apply(&t->calib[b], raw[0]);
        raw[1] = 1 - raw[0];
    } else {
        aps_calib_apply_multi(&t->calib[b], raw, t->k);
    }
    return 0;
}

int aps_trained_predict(const struct aps_trained *t, const double *x, const double elo[3],
                        double elo_diff, struct aps_prediction *out)
{
    double raw[3], avg[APS_ENS_MAX][3] = {{0}}, z[APS_ENS_MAX * 3];
    int k = t->k, width = t->regression ? 1 : k, size[APS_ENS_MAX] = {0};
    memset(out, 0, sizeof *out);
    out->mu = out->sigma = NAN;
    for (int b = 0; b < t->nbase; b++) {
        int rc = base_output(t, b, x, elo, elo_diff, raw);
        if (rc)
            return rc;
        out->base[b] = raw[0];
        if (!t->has_meta) {
            memcpy(out->p, raw, (size_t)width * sizeof *raw);
            out->mu = raw[0];
            out->sigma = t->sigma[b];
            continue;
        }
        int g = t->group[b];
        for (int c = 0; c < width; c++)
            avg[g][c] += raw[c];
        size[g]++;
    }
    if (!t->has_meta) {
        if (t->regression)
            out->p[0] = out->p[1] = NAN;
        return 0;
    }
    for (int g = 0; g < t->ngroups; g++) {
        for (int c = 0; c < width; c++)
            avg[g][c] /= size[g] ? size[g] : 1;
        if (t->regression) {
            z[g] = avg[g][0];
        } else {
            for (int c = 0; c < k; c++)
                z[g * k + c] = log(clipp(avg[g][c]));
        }
    }
    if (!t->regression) {
        pool_predict(t->pool_w, t->pool_b, t->ngroups, k, z, out->p);
        if (k == 2) {
            out->p[0] = aps_calib_apply(&t->out_calib, out->p[0]);
            out->p[1] = 1 - out->p[0];
        } else {
            aps_calib_apply_multi(&t->out_calib, out->p, k);
        }
        return 0;
    }
    out->sigma = t->meta_reg.sigma;
    return aps_margin_predict(&t->meta_reg, z, &out->mu);
}

double aps_trained_prob(const struct aps_trained *t, const struct aps_prediction *pr,
                        enum aps_selection sel, double line)
{
    if (t->regression) {
        const struct aps_calib *c = t->has_meta ? &t->out_calib : &t->calib[0];
        bool side0 = sel == APS_SEL_HOME || sel == APS_SEL_OVER;
        /* a stacked regression is normal; a single base model reads its own distribution */
        enum aps_score_dist dist = t->has_meta ? APS_DIST_NORMAL : t->base[0].mm.dist;
        double p = aps_margin_cover_prob_dist(dist, pr->mu, pr->sigma, t->market, sel, line);
        if (isnan(p))
            return p;
        return side0 ? aps_calib_apply(c, p) : 1 - aps_calib_apply(c, 1 - p);
    }
    if (t->market != APS_MKT_MONEYLINE)
        return NAN;
    if (t->k == 3)
        return sel == APS_SEL_HOME ? pr->p[0] : sel == APS_SEL_DRAW ? pr->p[1]
                                            : sel == APS_SEL_AWAY ? pr->p[2] : NAN;
    return sel == APS_SEL_HOME ? pr->p[0] : sel == APS_SEL_AWAY ? pr->p[1] : NAN;
}

void aps_trained_cleanup(struct aps_trained *t)
{
    for (int b = 0; b < t->nbase && b < APS_ENS_MAX; b++) {
        aps_base_cleanup(&t->base[b]);
        aps_calib_cleanup(&t->calib[b]);
    }
    aps_margin_cleanup(&t->meta_reg);
    aps_calib_cleanup(&t->out_calib);
    memset(t, 0, sizeof *t);
}
