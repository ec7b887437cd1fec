/* logistic.c — L2 logistic regression by Newton/IRLS (see logistic.h). */
#include "model/logistic.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "model/linalg.h"
#include "model/logistic_int.h"

#define MAX_CLASSES 8

static size_t row_at(const size_t *rows, size_t i)
{
    return rows ? rows[i] : i;
}

static void standardise_fit(const double *x, int d, const size_t *rows, size_t n, const bool *use,
                            struct aps_logit *m)
{
    for (int j = 0; j < d; j++) {
        if (use && !use[j]) {
            m->mean[j] = m->sd[j] = 0;
            continue;
        }
        double s = 0, ss = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++) {
            double v = x[row_at(rows, i) * (size_t)d + (size_t)j];
            if (isnan(v))
                continue;
            s += v;
            ss += v * v;
            cnt++;
        }
        double mean = cnt ? s / (double)cnt : 0, var = cnt ? ss / (double)cnt - mean * mean : 0;
        m->mean[j] = mean;
        m->sd[j] = var > 1e-12 * (1 + mean * mean) ? sqrt(var) : 0;
    }
}

void aps_logit_zrow(const struct aps_logit *m, const double *x, double *z)
{
    z[0] = 1;
    for (int j = 0; j < m->d; j++)
        z[j + 1] = m->sd[j] > 0 && !isnan(x[j]) ? (x[j] - m->mean[j]) / m->sd[j] : 0;
}

/* log σ(v), stable for large |v|. */
static double log_sigmoid(double v)
{
    return v >= 0 ? -log1p(exp(-v)) : v - log1p(exp(v));
}

/* The market offsets o_c of raw row x (all 0 without an offset or with a value missing). */
static void offsets(const struct aps_logit *m, const double *x, double *o)
{
    int k = m->k;
    for (int c = 0; c < k; c++)
        o[c] = 0;
    if (!m->has_offset || !x)
        return;
    if (k == 2) {
        double v = x[m->offset[0]];
        o[0] = isnan(v) ? 0 : v;
        return;
    }
    double ref = x[m->offset[k - 1]];
    for (int c = 0; c < k - 1; c++) {
        double v = x[m->offset[c]];
        if (isnan(v) || isnan(ref)) {
            for (int e = 0; e < k; e++)
                o[e] = 0;
            return;
        }
        o[c] = log_sigmoid(v) - log_sigmoid(ref);
    }
}

/* The class probabilities of standardised row z under weights w, the market offsets o added. */
static void softmax_o(const struct aps_logit *m, const double *w, const double *z, const double *o,
                      double *p)
{
    int k = m->k, D = m->d + 1;
    double s[MAX_CLASSES], mx = 0;
    for (int c = 0; c < k - 1; c++) {
        s[c] = o[c];
        for (int j = 0; j < D; j++)
            s[c] += w[c * D + j] * z[j];
        if (s[c] > mx)
            mx = s[c];
    }
    s[k - 1] = 0;
    double tot = 0;
    for (int c = 0; c < k; c++)
        tot += p[c] = exp(s[c] - mx);
    for (int c = 0; c < k; c++)
        p[c] /= tot;
}

static void softmax(const struct aps_logit *m, const double *w, const double *z, const double *x,
                    double *p)
{
    double o[MAX_CLASSES];
    offsets(m, x, o);
    softmax_o(m, w, z, o, p);
}

/* The first weight the L2 penalty shrinks: the intercepts are free, except with a market offset,
 * where an intercept (on standardised rows) is the model's average shift from the market; there
 * it is shrunk towards 0, the market's own calibration, like every other weight, so one season's
 * chance difference between the market and the results does not carry into the next. */
static int first_penalised(const struct aps_logit *m)
{
    return m->has_offset ? 0 : 1;
}

/* The training rows as a fit uses them at every step: the n rows standardised (Z, stride d + 1),
 * their market offsets (O, stride k) and labels (Y), and the class probabilities of every row at
 * the current weights (P, stride k), kept from the objective that accepted them for the next
 * Newton system. */
struct fit_rows {
    const double *Z, *O;
    const int *Y;
    size_t n;
    double *P;
};

/* Penalised negative log-likelihood at w; each row's probabilities go to p (stride k). */
static double objective(const struct aps_logit *m, const double *w, const struct fit_rows *fr,
                        double l2, double *p)
{
    double nll = 0;
    int D = m->d + 1, k = m->k;
    for (size_t i = 0; i < fr->n; i++) {
        double *pi = p + i * (size_t)k;
        softmax_o(m, w, fr->Z + i * (size_t)D, fr->O + i * (size_t)k, pi);
        double py = pi[fr->Y[i]];
        nll -= log(py > 1e-300 ? py : 1e-300);
    }
    for (int c = 0; c < k - 1; c++)
        for (int j = first_penalised(m); j < D; j++)
            nll += 0.5 * l2 * w[c * D + j] * w[c * D + j];
    return nll;
}

/* ---- the Newton system ---- */

#define BLOCK 16 /* rows added to the Hessian per pass over it */

/* One Hessian row segment over a block of nr standardised rows zb (stride D): for each b in
 * [b0, D), h[b] += wt[r]·(zb_r[a]·zb_r[b]) for r = 0, 1, ... in turn. Every element is its own
 * running sum taking the rows in order, each term one product of the two z values times the
 * weight: the same operations in the same order as adding the rows one at a time, so the
 * forms below (scalar, or several elements side by side in vector lanes) agree to the bit. */
typedef void hess_rows_fn(double *restrict h, const double *restrict zb, const double *restrict wt,
                          int nr, int D, int a, int b0);

static void hess_rows_scalar(double *restrict h, const double *restrict zb,
                             const double *restrict wt, int nr, int D, int a, int b0)
{
    int b = b0;
    for (; b + 4 <= D; b += 4) { /* four running sums side by side: their adds overlap */
        double s0 = h[b], s1 = h[b + 1], s2 = h[b + 2], s3 = h[b + 3];
        for (int r = 0; r < nr; r++) {
            const double *z = zb + r * D;
            double za = z[a], w = wt[r];
            s0 += w * (za * z[b]);
            s1 += w * (za * z[b + 1]);
            s2 += w * (za * z[b + 2]);
            s3 += w * (za * z[b + 3]);
        }
        h[b] = s0;
        h[b + 1] = s1;
        h[b + 2] = s2;
        h[b + 3] = s3;
    }
    for (; b < D; b++) {
        double s = h[b];
        for (int r = 0; r < nr; r++)
            s += wt[r] * (zb[r * D + a] * zb[r * D + b]);
        h[b] = s;
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define APS_LOGIT_HAVE_AVX 1

/* The same sums four elements a vector, sixteen at a time while they last (four independent
 * running sums hide the latency of the adds), the last one to three under a lane mask. Multiplies and adds stay separate instructions: no
 * fused multiply-add, which would round once instead of twice. */
__attribute__((target("avx"))) static void hess_rows_avx(double *restrict h,
                                                         const double *restrict zb,
                                                         const double *restrict wt, int nr, int D,
                                                         int a, int b0)
{
    int b = b0;
    for (; b + 16 <= D; b += 16) {
        __m256d s0 = _mm256_loadu_pd(h + b), s1 = _mm256_loadu_pd(h + b + 4);
        __m256d s2 = _mm256_loadu_pd(h + b + 8), s3 = _mm256_loadu_pd(h + b + 12);
        for (int r = 0; r < nr; r++) {
            const double *z = zb + r * D;
            __m256d za = _mm256_set1_pd(z[a]), w = _mm256_set1_pd(wt[r]);
            s0 = _mm256_add_pd(s0, _mm256_mul_pd(w, _mm256_mul_pd(za, _mm256_loadu_pd(z + b))));
            s1 = _mm256_add_pd(s1, _mm256_mul_pd(w, _mm256_mul_pd(za, _mm256_loadu_pd(z + b + 4))));
            s2 = _mm256_add_pd(s2, _mm256_mul_pd(w, _mm256_mul_pd(za, _mm256_loadu_pd(z + b + 8))));
            s3 = _mm256_add_pd(s3,
                               _mm256_mul_pd(w, _mm256_mul_pd(za, _mm256_loadu_pd(z + b + 12))));
        }
        _mm256_storeu_pd(h + b, s0);
        _mm256_storeu_pd(h + b + 4, s1);
        _mm256_storeu_pd(h + b + 8, s2);
        _mm256_storeu_pd(h + b + 12, s3);
    }
    for (; b + 4 <= D; b += 4) {
        __m256d s0 = _mm256_loadu_pd(h + b);
        for (int r = 0; r < nr; r++) {
            const double *z = zb + r * D;
            __m256d za = _mm256_set1_pd(z[a]), w = _mm256_set1_pd(wt[r]);
            s0 = _mm256_add_pd(s0, _mm256_mul_pd(w, _mm256_mul_pd(za, _mm256_loadu_pd(z + b))));
        }
        _mm256_storeu_pd(h + b, s0);
    }
    if (b < D) { /* the last one to three elements: masked lanes are neither read nor written */
        int rem = D - b;
        __m256i mask = _mm256_set_epi64x(0, rem > 2 ? -1 : 0, rem > 1 ? -1 : 0, -1);
        __m256d s0 = _mm256_maskload_pd(h + b, mask);
        for (int r = 0; r < nr; r++) {
            const double *z = zb + r * D;
            __m256d za = _mm256_set1_pd(z[a]), w = _mm256_set1_pd(wt[r]);
            s0 = _mm256_add_pd(s0, _mm256_mul_pd(w, _mm256_mul_pd(za, _mm256_maskload_pd(z + b,
                                                                                         mask))));
        }
        _mm256_maskstore_pd(h + b, mask, s0);
    }
}
#else
#define APS_LOGIT_HAVE_AVX 0
#endif

static _Atomic int kernel_choice = APS_LOGIT_KERNEL_AUTO;

bool aps_logit_set_kernel(enum aps_logit_kernel k)
{
    if (k == APS_LOGIT_KERNEL_AVX && !aps_logit_kernel_available(k))
        return false;
    kernel_choice = (int)k;
    return true;
}

bool aps_logit_kernel_available(enum aps_logit_kernel k)
{
#if APS_LOGIT_HAVE_AVX
    if (k == APS_LOGIT_KERNEL_AVX)
        return __builtin_cpu_supports("avx");
#else
    if (k == APS_LOGIT_KERNEL_AVX)
        return false;
#endif
    return true;
}

static hess_rows_fn *hess_rows(void)
{
#if APS_LOGIT_HAVE_AVX
    int k = kernel_choice;
    if (k == APS_LOGIT_KERNEL_AVX ||
        (k == APS_LOGIT_KERNEL_AUTO && aps_logit_kernel_available(APS_LOGIT_KERNEL_AVX)))
        return hess_rows_avx;
#endif
    return hess_rows_scalar;
}

/* The weights of one block's rows from their probabilities p (stride k): res[c][r] = [y = c] − p_c
 * (the gradient's) and wt[c·k1 + e][r] = p_c·([c = e] − p_e) (the Hessian's, c <= e). */
static void block_weights(const struct aps_logit *m, const double *p, const int *y, int nr,
                          double (*res)[BLOCK], double (*wt)[BLOCK])
{
    int k1 = m->k - 1;
    for (int r = 0; r < nr; r++) {
        const double *pr = p + (size_t)r * (size_t)m->k;
        for (int c = 0; c < k1; c++) {
            res[c][r] = (y[r] == c) - pr[c];
            for (int e = c; e < k1; e++)
                wt[c * k1 + e][r] = pr[c] * ((c == e) - pr[e]);
        }
    }
}

/* The Newton system at w from the rows' probabilities at w (fr->P). */
static void newton_system(const struct aps_logit *m, const double *w, const struct fit_rows *fr,
                          double l2, double *g, double *H)
{
    int k1 = m->k - 1, D = m->d + 1, P = k1 * D;
    double res[MAX_CLASSES][BLOCK], wt[MAX_CLASSES * MAX_CLASSES][BLOCK];
    hess_rows_fn *rows_fn = hess_rows();
    memset(g, 0, (size_t)P * sizeof *g);
    memset(H, 0, (size_t)P * (size_t)P * sizeof *H);
    for (size_t i0 = 0; i0 < fr->n; i0 += BLOCK) {
        int nr = fr->n - i0 < BLOCK ? (int)(fr->n - i0) : BLOCK;
        const double *zb = fr->Z + i0 * (size_t)D;
        block_weights(m, fr->P + i0 * (size_t)m->k, fr->Y + i0, nr, res, wt);
        for (int c = 0; c < k1; c++)
            for (int j = 0; j < D; j++) {
                double s = g[c * D + j];
                for (int r = 0; r < nr; r++)
                    s += res[c][r] * zb[r * D + j];
                g[c * D + j] = s;
            }
        for (int c = 0; c < k1; c++)
            for (int e = c; e < k1; e++)
                for (int a = 0; a < D; a++)
                    rows_fn(&H[(c * D + a) * P + e * D], zb, wt[c * k1 + e], nr, D, a,
                            c == e ? a : 0);
    }
    for (int c = 0; c < k1; c++)
        for (int j = first_penalised(m); j < D; j++) {
            g[c * D + j] -= l2 * w[c * D + j];
            H[(c * D + j) * P + c * D + j] += l2;
        }
    /* only the upper triangle is filled: blocks c <= e, and b >= a inside diagonal blocks;
     * aps_linalg_solve_spd() reads no more */
}

/* The rows' offsets, labels and (when p is not NULL) probabilities at w, for a fit_rows. */
static void fit_rows_fill(const struct aps_logit *m, const double *w, const double *x,
                          const double *Z, const int *y, const size_t *rows, size_t n, double *O,
                          int *Y, double *p)
{
    size_t k = (size_t)m->k, D = (size_t)m->d + 1;
    for (size_t i = 0; i < n; i++) {
        size_t r = row_at(rows, i);
        offsets(m, x + r * (size_t)m->d, O + i * k);
        Y[i] = y[r];
        if (p)
            softmax_o(m, w, Z + i * D, O + i * k, p + i * k);
    }
}

void aps_logit_newton_system(const struct aps_logit *m, const double *w, const double *x,
                             const double *Z, const int *y, const size_t *rows, size_t n, double l2,
                             double *g, double *H)
{
    size_t k = (size_t)m->k;
    double *O = aps_malloc((n * k + 1) * sizeof *O), *p = aps_malloc((n * k + 1) * sizeof *p);
    int *Y = aps_malloc((n + 1) * sizeof *Y);
    fit_rows_fill(m, w, x, Z, y, rows, n, O, Y, p);
    struct fit_rows fr = {Z, O, Y, n, p};
    newton_system(m, w, &fr, l2, g, H);
    aps_free(O);
    aps_free(p);
    aps_free(Y);
}

static int check_args(int d, const int *y, const size_t *rows, size_t n, int k)
{
    if (d < 0 || k < 2 || k > MAX_CLASSES || !n || !y || (d + 1) * (k - 1) > 512)
        return APS_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        int c = y[row_at(rows, i)];
        if (c < 0 || c >= k)
            return APS_E_INVAL;
    }
    return 0;
}

/* Intercepts from the class frequencies, a good start for Newton. */
static void start(struct aps_logit *m, const int *y, const size_t *rows, size_t n)
{
    double cnt[MAX_CLASSES] = {0};
    for (size_t i = 0; i < n; i++)
        cnt[y[row_at(rows, i)]] += 1;
    int D = m->d + 1;
    for (int c = 0; c < m->k - 1; c++)
        m->w[c * D] = log((cnt[c] + 0.5) / (cnt[m->k - 1] + 0.5));
}

static int newton(struct aps_logit *m, const double *x, const int *y, const size_t *rows, size_t n,
                  double l2, int max_iter, double tol)
{
    int D = m->d + 1, P = (m->k - 1) * D, rc = 0;
    size_t k = (size_t)m->k;
    double *g = aps_malloc((size_t)P * sizeof *g), *H = aps_malloc((size_t)P * P * sizeof *H);
    double *trial = aps_malloc((size_t)P * sizeof *trial);
    /* the standardised rows, their offsets and labels, the same at every step */
    double *Z = aps_malloc((n * (size_t)D + 1) * sizeof *Z);
    double *O = aps_malloc((n * k + 1) * sizeof *O);
    int *Y = aps_malloc((n + 1) * sizeof *Y);
    /* the probabilities at the weights, and at a trial step */
    double *p = aps_malloc((n * k + 1) * sizeof *p), *pt = aps_malloc((n * k + 1) * sizeof *pt);
    for (size_t i = 0; i < n; i++)
        aps_logit_zrow(m, x + row_at(rows, i) * (size_t)m->d, Z + i * (size_t)D);
    fit_rows_fill(m, m->w, x, Z, y, rows, n, O, Y, NULL);
    struct fit_rows fr = {Z, O, Y, n, p};
    double f = objective(m, m->w, &fr, l2, p);
    for (m->iterations = 0; m->iterations < max_iter && !rc; m->iterations++) {
        newton_system(m, m->w, &fr, l2, g, H);
        rc = aps_linalg_solve_spd(H, g, P);
        if (rc)
            break;
        double step = 1, biggest = 0, ft = f;
        for (int half = 0; half < 30; half++, step /= 2) {
            for (int i = 0; i < P; i++)
                trial[i] = m->w[i] + step * g[i];
            ft = objective(m, trial, &fr, l2, pt);
            if (ft <= f + 1e-12 * (1 + fabs(f)))
                break;
        }
        for (int i = 0; i < P; i++) {
            biggest = fmax(biggest, fabs(trial[i] - m->w[i]));
            m->w[i] = trial[i];
        }
        /* the trial's probabilities are the new weights' */
        double *swap = fr.P;
        fr.P = pt;
        pt = swap;
        f = ft;
        if (biggest < tol)
            break;
    }
    aps_free(g);
    aps_free(H);
    aps_free(Z);
    aps_free(O);
    aps_free(Y);
    aps_free(fr.P);
    aps_free(pt);
    aps_free(trial);
    return rc;
}

int aps_logit_fit(const double *x, int d, const int *y, const size_t *rows, size_t n, int k,
                  const struct aps_logit_opts *o, struct aps_logit *m)
{
    memset(m, 0, sizeof *m);
    int rc = check_args(d, y, rows, n, k);
    if (rc)
        return rc;
    m->d = d;
    m->k = k;
    m->mean = aps_calloc((size_t)d + 1, sizeof *m->mean);
    m->sd = aps_calloc((size_t)d + 1, sizeof *m->sd);
    m->w = aps_calloc((size_t)(k - 1) * (size_t)(d + 1), sizeof *m->w);
    standardise_fit(x, d, rows, n, o->use, m);
    if (o->offset) {
        m->has_offset = true;
        for (int c = 0; c < k; c++)
            if ((m->offset[c] = o->offset[c]) < 0 || o->offset[c] >= d)
                m->has_offset = false;
    }
    if (!m->has_offset)
        start(m, y, rows, n); /* with an offset the intercepts start at 0: the market itself */
    rc = newton(m, x, y, rows, n, o->l2 > 0 ? o->l2 : 0, o->max_iter > 0 ? o->max_iter : 25,
                o->tol > 0 ? o->tol : 1e-8);
    if (rc)
        aps_logit_cleanup(m);
    return rc;
}

void aps_logit_cleanup(struct aps_logit *m)
{
    aps_free(m->mean);
    aps_free(m->sd);
    aps_free(m->w);
    memset(m, 0, sizeof *m);
}

void aps_logit_predict(const struct aps_logit *m, const double *x, double *p)
{
    double z[513];
    aps_logit_zrow(m, x, z);
    softmax(m, m->w, z, x, p);
}

void aps_logit_contrib(const struct aps_logit *m, const double *x, int c, double *out)
{
    int D = m->d + 1;
    for (int j = 0; j < m->d; j++) {
        bool used = c >= 0 && c < m->k - 1 && m->sd[j] > 0 && !isnan(x[j]);
        out[j] = used ? m->w[c * D + j + 1] / m->sd[j] * (x[j] - m->mean[j]) : 0;
    }
    if (!m->has_offset || c < 0 || c >= m->k - 1)
        return;
    if (m->k == 2) {
        out[m->offset[0]] += isnan(x[m->offset[0]]) ? 0 : x[m->offset[0]];
        return;
    }
    double mine = x[m->offset[c]], ref = x[m->offset[m->k - 1]];
    bool complete = !isnan(ref);
    for (int e = 0; e < m->k - 1; e++)
        complete &= !isnan(x[m->offset[e]]);
    if (!complete)
        return; /* the offset is 0 when any market value is missing (offsets()) */
    out[m->offset[c]] += log_sigmoid(mine);
    out[m->offset[m->k - 1]] -= log_sigmoid(ref);
}

static json_t *array_of(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

char *aps_logit_to_json(const struct aps_logit *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "d", json_integer(m->d));
    json_object_set_new(o, "k", json_integer(m->k));
    json_object_set_new(o, "mean", array_of(m->mean, (size_t)m->d));
    json_object_set_new(o, "sd", array_of(m->sd, (size_t)m->d));
    json_object_set_new(o, "w", array_of(m->w, (size_t)(m->k - 1) * (size_t)(m->d + 1)));
    if (m->has_offset) {
        json_t *a = json_array();
        for (int c = 0; c < m->k; c++)
            json_array_append_new(a, json_integer(m->offset[c]));
        json_object_set_new(o, "offset", a);
    }
    char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    char *copy = aps_strdup(txt ? txt : "{}");
    aps_free(txt);
    return copy;
}

static int read_array(json_t *o, const char *key, double *out, size_t n)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) != n)
        return APS_E_PARSE;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_number(v))
            return APS_E_PARSE;
        out[i] = json_number_value(v);
    }
    return 0;
}

/* The optional market offset columns: absent, or k indexes inside the row. */
static int read_offset(json_t *o, struct aps_logit *m)
{
    json_t *a = json_object_get(o, "offset");
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) != (size_t)m->k)
        return APS_E_PARSE;
    for (int c = 0; c < m->k; c++) {
        json_int_t v = json_integer_value(json_array_get(a, (size_t)c));
        if (!json_is_integer(json_array_get(a, (size_t)c)) || v < 0 || v >= m->d)
            return APS_E_PARSE;
        m->offset[c] = (int)v;
    }
    m->has_offset = true;
    return 0;
}

int aps_logit_from_json(const char *json, struct aps_logit *m)
{
    json_error_t e;
    memset(m, 0, sizeof *m);
    json_t *o = json_loads(json, 0, &e);
    if (!o)
        return APS_E_PARSE;
    int d = (int)json_integer_value(json_object_get(o, "d"));
    int k = (int)json_integer_value(json_object_get(o, "k"));
    int rc = d >= 0 && d < 512 && k >= 2 && k <= MAX_CLASSES ? 0 : APS_E_PARSE;
    if (!rc) {
        m->d = d;
        m->k = k;
        m->mean = aps_calloc((size_t)d + 1, sizeof *m->mean);
        m->sd = aps_calloc((size_t)d + 1, sizeof *m->sd);
        m->w = aps_calloc((size_t)(k - 1) * (size_t)(d + 1), sizeof *m->w);
        rc = read_array(o, "mean", m->mean, (size_t)d);
        if (!rc)
            rc = read_array(o, "sd", m->sd, (size_t)d);
        if (!rc)
            rc = read_array(o, "w", m->w, (size_t)(k - 1) * (size_t)(d + 1));
        if (!rc)
            rc = read_offset(o, m);
    }
    json_decref(o);
    if (rc)
        aps_logit_cleanup(m);
    return rc;
}
