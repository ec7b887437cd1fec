/* margin_model.c — margin/total regressions and cover probabilities (see margin_model.h). */
#include "model/margin_model.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "model/linalg.h"

static size_t row_at(const size_t *rows, size_t i)
{
    return rows ? rows[i] : i;
}

static double phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static void zrow(const struct aps_margin_model *m, const double *x, double *z)
{
    z[0] = 1;
    for (int j = 0; j < m->d; j++)
        z[j + 1] = m->sd[j] > 0 && !isnan(x[j]) ? (x[j] - m->mean[j]) / m->sd[j] : 0;
}

/* The market-anchored part of mu for raw row x (0 without an offset). */
static double offset_of(const struct aps_margin_model *m, const double *x)
{
    if (!m->has_offset)
        return 0;
    double v = x[m->offset_col];
    return isnan(v) ? m->offset_fill : m->offset_sign * v;
}

static void standardise(struct aps_margin_model *m, const double *x, const size_t *rows,
                        size_t n)
{
    for (int j = 0; j < m->d; j++) {
        double s = 0, ss = 0;
        size_t c = 0;
        for (size_t i = 0; i < n; i++) {
            double v = x[row_at(rows, i) * (size_t)m->d + (size_t)j];
            if (!isnan(v)) {
                s += v;
                ss += v * v;
                c++;
            }
        }
        double mean = c ? s / (double)c : 0, var = c ? ss / (double)c - mean * mean : 0;
        m->mean[j] = mean;
        m->sd[j] = var > 1e-12 * (1 + mean * mean) ? sqrt(var) : 0;
    }
}

static int ridge_fit(struct aps_margin_model *m, const double *x, const double *t,
                     const size_t *rows, size_t n, double l2)
{
    int D = m->d + 1;
    double *a = aps_calloc((size_t)D * D, sizeof *a), *b = aps_calloc((size_t)D, sizeof *b);
    double *z = aps_malloc((size_t)D * sizeof *z);
    standardise(m, x, rows, n);
    for (size_t i = 0; i < n; i++) {
        size_t r = row_at(rows, i);
        zrow(m, x + r * (size_t)m->d, z);
        for (int p = 0; p < D; p++) {
            b[p] += z[p] * t[r];
            for (int q = p; q < D; q++)
                a[p * D + q] += z[p] * z[q];
        }
    }
    for (int p = 1; p < D; p++)
        a[p * D + p] += l2;
    int rc = aps_linalg_solve_spd(a, b, D);
    if (!rc)
        memcpy(m->beta, b, (size_t)D * sizeof *b);
    aps_free(a);
    aps_free(b);
    aps_free(z);
    return rc;
}

/* Sets sigma to the in-sample residual scale, or cleans m up when rc says the fit failed. */
static int finish_fit(struct aps_margin_model *m, const double *x, const double *t,
                      const size_t *rows, size_t n, int rc)
{
    double *mu = rc ? NULL : aps_malloc(n * sizeof *mu);
    if (!rc)
        rc = aps_margin_predict_rows(m, x, rows, n, mu);
    if (!rc) {
        double ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += (t[row_at(rows, i)] - mu[i]) * (t[row_at(rows, i)] - mu[i]);
        m->sigma = sqrt(ss / (double)n);
    }
    aps_free(mu);
    if (rc)
        aps_margin_cleanup(m);
    return rc;
}

static void alloc_ridge(struct aps_margin_model *m, enum aps_margin_kind kind, int d)
{
    m->kind = kind;
    m->d = d;
    m->mean = aps_calloc((size_t)d + 1, sizeof *m->mean);
    m->sd = aps_calloc((size_t)d + 1, sizeof *m->sd);
    m->beta = aps_calloc((size_t)d + 1, sizeof *m->beta);
}

int aps_margin_fit(enum aps_margin_kind kind, const double *x, int d, const double *t,
                   const size_t *rows, size_t n, double l2, const struct aps_gbm_params *gp,
                   struct aps_margin_model *m)
{
    memset(m, 0, sizeof *m);
    if (d < 1 || n < 2 || (kind == APS_MARGIN_GBM && !gp))
        return APS_E_INVAL;
    alloc_ridge(m, kind, d);
    int rc = kind == APS_MARGIN_RIDGE
                 ? ridge_fit(m, x, t, rows, n, l2)
                 : aps_gbm_fit(x, d, t, rows, n, APS_GBM_REGRESSION, 1, gp, &m->gb);
    return finish_fit(m, x, t, rows, n, rc);
}

int aps_margin_fit_offset(const double *x, int d, const double *t, const size_t *rows, size_t n,
                          double l2, int col, double sign, struct aps_margin_model *m)
{
    memset(m, 0, sizeof *m);
    if (d < 1 || n < 2 || col < 0 || col >= d || sign == 0)
        return APS_E_INVAL;
    alloc_ridge(m, APS_MARGIN_RIDGE, d);
    double fill = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[row_at(rows, i) * (size_t)d + (size_t)col];
        if (!isnan(v)) {
            fill += sign * v;
            cnt++;
        }
    }
    m->offset_col = col;
    m->offset_sign = sign;
    m->offset_fill = cnt ? fill / (double)cnt : 0;
    m->has_offset = true;
    /* the residual target, at the rows' own indexes */
    size_t top = 0;
    for (size_t i = 0; i < n; i++)
        top = row_at(rows, i) + 1 > top ? row_at(rows, i) + 1 : top;
    double *r = aps_malloc((top + 1) * sizeof *r);
    for (size_t i = 0; i < n; i++) {
        size_t g = row_at(rows, i);
        r[g] = t[g] - offset_of(m, x + g * (size_t)d);
    }
    int rc = ridge_fit(m, x, r, rows, n, l2);
    aps_free(r);
    return finish_fit(m, x, t, rows, n, rc);
}

void aps_margin_cleanup(struct aps_margin_model *m)
{
    aps_free(m->mean);
    aps_free(m->sd);
    aps_free(m->beta);
    aps_gbm_cleanup(&m->gb);
    memset(m, 0, sizeof *m);
}

int aps_margin_predict(const struct aps_margin_model *m, const double *x, double *mu)
{
    if (m->kind == APS_MARGIN_GBM)
        return aps_gbm_predict_row(&m->gb, x, mu);
    double z[513];
    if (m->d > 512)
        return APS_E_TOOBIG;
    zrow(m, x, z);
    double s = offset_of(m, x);
    for (int j = 0; j <= m->d; j++)
        s += m->beta[j] * z[j];
    *mu = s;
    return 0;
}

int aps_margin_predict_rows(const struct aps_margin_model *m, const double *x, const size_t *rows,
                            size_t n, double *mu)
{
    if (m->kind == APS_MARGIN_GBM)
        return aps_gbm_predict(&m->gb, x, rows, n, mu);
    for (size_t i = 0; i < n; i++) {
        int rc = aps_margin_predict(m, x + row_at(rows, i) * (size_t)m->d, &mu[i]);
        if (rc)
            return rc;
    }
    return 0;
}

double aps_margin_cover_prob(double mu, double sigma, enum aps_market market,
                             enum aps_selection sel, double line)
{
    return aps_margin_cover_prob_dist(APS_DIST_NORMAL, mu, sigma, market, sel, line);
}

double aps_margin_cover_prob_dist(enum aps_score_dist dist, double mu, double sigma,
                                  enum aps_market market, enum aps_selection sel, double line)
{
    bool up;  /* the side wins when V is above b */
    double b;
    if (market == APS_MKT_SPREAD && (sel == APS_SEL_HOME || sel == APS_SEL_AWAY)) {
        up = sel == APS_SEL_HOME;
        b = up ? -line : line;
    } else if (market == APS_MKT_TOTAL && (sel == APS_SEL_OVER || sel == APS_SEL_UNDER)) {
        up = sel == APS_SEL_OVER;
        b = line;
    } else {
        return NAN;
    }
    double p[3];
    if (!aps_margin_line_probs(dist, mu, sigma, b, p))
        return NAN;
    double tot = p[0] + p[2];
    if (!(tot > 0))
        return NAN;
    return (up ? p[0] : p[2]) / tot;
}

/* P(V <= k) for V ~ Poisson(mu), k >= 0, summing the terms in log space. */
static double poisson_cdf(double mu, double k)
{
    double s = 0;
    for (double j = 0; j <= k; j++)
        s += exp(j * log(mu) - mu - lgamma(j + 1));
    return fmin(1, s);
}

static void poisson_line(double mu, double b, double out[3])
{
    mu = fmax(mu, 0.05);
    double lo = ceil(b) - 1, hi = floor(b);  /* below: V <= lo; above: V > hi */
    out[2] = lo >= 0 ? poisson_cdf(mu, lo) : 0;
    out[0] = hi >= 0 ? 1 - poisson_cdf(mu, hi) : 1;
    out[1] = hi == b && b >= 0 ? exp(b * log(mu) - mu - lgamma(b + 1)) : 0;
}

static const char *const dist_names[] = {"normal", "poisson", "skellam"};

const char *aps_score_dist_name(enum aps_score_dist d)
{
    return d >= APS_DIST_NORMAL && d <= APS_DIST_SKELLAM ? dist_names[d] : "normal";
}

enum aps_score_dist aps_score_dist_parse(const char *s)
{
    for (int d = APS_DIST_POISSON; s && d <= APS_DIST_SKELLAM; d++)
        if (!strcmp(s, dist_names[d]))
            return (enum aps_score_dist)d;
    return APS_DIST_NORMAL;
}

/* Poisson counts beyond this many standard deviations above the mean carry no mass in double. */
static int count_cap(double lambda)
{
    return (int)ceil(lambda + 12 * sqrt(lambda) + 20);
}

static double poisson_pmf(double lambda, int j)
{
    return exp(j * log(lambda) - lambda - lgamma(j + 1.0));
}

double aps_skellam_pmf(double lh, double la, int k)
{
    double s = 0;
    int n = count_cap(lh > la ? lh : la);
    for (int a = k < 0 ? -k : 0; a <= n; a++)
        s += poisson_pmf(la, a) * poisson_pmf(lh, a + k);   /* H = A + k */
    return s;
}

/* The smaller tail is summed from its own side, so neither loses digits to 1 − F. */
double aps_skellam_cdf(double lh, double la, int k)
{
    int n = count_cap(lh > la ? lh : la);
    double below = 0, above = 0;
    for (int j = k; j >= -n; j--)
        below += aps_skellam_pmf(lh, la, j);
    for (int j = k + 1; j <= n; j++)
        above += aps_skellam_pmf(lh, la, j);
    return below < above ? below : 1 - above;
}

/* The home and away rates of a Skellam with mean mu and variance sigma². */
static void skellam_rates(double mu, double sigma, double *lh, double *la)
{
    double v = sigma * sigma;
    *lh = fmax((v + mu) / 2, 0.05);
    *la = fmax((v - mu) / 2, 0.05);
}

/* Poisson(lambda) probabilities of 0..n by the recurrence p(j) = p(j − 1)·lambda/j. */
static void poisson_row(double lambda, int n, double *p)
{
    p[0] = exp(-lambda);
    for (int j = 1; j <= n; j++)
        p[j] = p[j - 1] * lambda / j;
}

/* P(X >= m) from X's probabilities p[0..n]: tail[m] for 0 <= m <= n + 1. */
static void tail_row(const double *p, int n, double *tail)
{
    tail[n + 1] = 0;
    for (int j = n; j >= 0; j--)
        tail[j] = tail[j + 1] + p[j];
}

static double tail_at(const double *tail, int n, int m)
{
    return m <= 0 ? tail[0] : m > n ? 0 : tail[m];
}

static void skellam_line(double mu, double sigma, double b, double out[3])
{
    double lh, la;
    skellam_rates(mu, sigma, &lh, &la);
    lh = fmin(lh, 500);
    la = fmin(la, 500);
    int n = count_cap(lh > la ? lh : la);
    double *ph = aps_malloc(4 * ((size_t)n + 2) * sizeof *ph), *pa = ph + n + 2,
           *th = pa + n + 2, *ta = th + n + 2;
    poisson_row(lh, n, ph);
    poisson_row(la, n, pa);
    tail_row(ph, n, th);
    tail_row(pa, n, ta);
    double lo = ceil(b) - 1, hi = floor(b); /* below: V <= lo; above: V > hi */
    out[0] = out[1] = out[2] = 0;
    for (int h = 0; h <= n; h++) /* V <= lo  <=>  A >= H − lo */
        out[2] += ph[h] * tail_at(ta, n, h - (int)lo);
    for (int a = 0; a <= n; a++) /* V > hi  <=>  H >= A + hi + 1 */
        out[0] += pa[a] * tail_at(th, n, a + (int)hi + 1);
    for (int a = 0; hi == b && a <= n; a++)
        if (a + (int)b >= 0 && a + (int)b <= n)
            out[1] += pa[a] * ph[a + (int)b];
    aps_free(ph);
    double tot = out[0] + out[1] + out[2]; /* the mass beyond n is below double's precision */
    for (int i = 0; i < 3; i++)
        out[i] /= tot;
}

bool aps_margin_line_probs(enum aps_score_dist dist, double mu, double sigma, double b,
                           double out[3])
{
    if (isnan(mu) || isnan(b) || (dist != APS_DIST_POISSON && !(sigma > 0)) ||
        (dist == APS_DIST_SKELLAM && fabs(b) > 1e6)) {
        out[0] = out[1] = out[2] = NAN;
        return false;
    }
    if (dist == APS_DIST_POISSON) {
        poisson_line(mu, b, out);
        return true;
    }
    if (dist == APS_DIST_SKELLAM) {
        skellam_line(mu, sigma, b, out);
        return true;
    }
    /* each tail from its own side, so neither loses digits to 1 − Φ */
    out[0] = phi((mu - floor(b) - 0.5) / sigma);
    out[2] = phi((ceil(b) - 0.5 - mu) / sigma);
    out[1] = floor(b) == b ? fmax(0, 1 - out[0] - out[2]) : 0;
    return true;
}

void aps_margin_contrib(const struct aps_margin_model *m, const double *x, double *out)
{
    for (int j = 0; j < m->d; j++)
        out[j] = m->kind == APS_MARGIN_RIDGE && m->sd[j] > 0 && !isnan(x[j])
                     ? m->beta[j + 1] / m->sd[j] * (x[j] - m->mean[j]) : 0;
    if (m->has_offset && m->kind == APS_MARGIN_RIDGE)
        out[m->offset_col] += offset_of(m, x);
}

static json_t *arr(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

char *aps_margin_to_json(const struct aps_margin_model *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(m->kind == APS_MARGIN_GBM ? "gbm" : "ridge"));
    json_object_set_new(o, "d", json_integer(m->d));
    json_object_set_new(o, "sigma", json_real(m->sigma));
    json_object_set_new(o, "mean", arr(m->mean, m->d));
    json_object_set_new(o, "sd", arr(m->sd, m->d));
    json_object_set_new(o, "beta", arr(m->beta, m->d + 1));
    if (m->dist != APS_DIST_NORMAL)
        json_object_set_new(o, "dist", json_string(aps_score_dist_name(m->dist)));
    if (m->has_offset) {
        json_t *off = json_object();
        json_object_set_new(off, "col", json_integer(m->offset_col));
        json_object_set_new(off, "sign", json_real(m->offset_sign));
        json_object_set_new(off, "fill", json_real(m->offset_fill));
        json_object_set_new(o, "offset", off);
    }
    char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    char *copy = aps_strdup(txt ? txt : "{}");
    aps_free(txt);
    return copy;
}

static int read_arr(json_t *o, const char *key, double *out, int n)
{
    json_t *a = json_object_get(o, key);
    if (json_array_size(a) != (size_t)n)
        return APS_E_PARSE;
    for (int i = 0; i < n; i++)
        out[i] = json_number_value(json_array_get(a, (size_t)i));
    return 0;
}

/* The offset object of an anchored model; absent in every other model. */
static int read_offset(json_t *off, struct aps_margin_model *m)
{
    if (!off)
        return 0;
    m->offset_col = (int)json_integer_value(json_object_get(off, "col"));
    m->offset_sign = json_number_value(json_object_get(off, "sign"));
    m->offset_fill = json_number_value(json_object_get(off, "fill"));
    m->has_offset = true;
    return m->offset_col >= 0 && m->offset_col < m->d && m->offset_sign != 0 ? 0 : APS_E_PARSE;
}

int aps_margin_from_json(const char *json, struct aps_margin_model *m)
{
    json_error_t e;
    memset(m, 0, sizeof *m);
    json_t *o = json_loads(json, 0, &e);
    if (!o)
        return APS_E_PARSE;
    const char *kind = json_string_value(json_object_get(o, "kind"));
    int d = (int)json_integer_value(json_object_get(o, "d"));
    int rc = kind && d >= 1 && d <= 512 ? 0 : APS_E_PARSE;
    if (!rc) {
        m->kind = !strcmp(kind, "gbm") ? APS_MARGIN_GBM : APS_MARGIN_RIDGE;
        m->d = d;
        m->sigma = json_number_value(json_object_get(o, "sigma"));
        const char *dist = json_string_value(json_object_get(o, "dist"));
        m->dist = aps_score_dist_parse(dist);
        m->mean = aps_calloc((size_t)d + 1, sizeof *m->mean);
        m->sd = aps_calloc((size_t)d + 1, sizeof *m->sd);
        m->beta = aps_calloc((size_t)d + 1, sizeof *m->beta);
        rc = read_arr(o, "mean", m->mean, d);
        if (!rc)
            rc = read_arr(o, "sd", m->sd, d);
        if (!rc)
            rc = read_arr(o, "beta", m->beta, d + 1);
        if (!rc)
            rc = read_offset(json_object_get(o, "offset"), m);
    }
    json_decref(o);
    if (rc)
        aps_margin_cleanup(m);
    return rc;
}
