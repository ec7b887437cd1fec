/* calibrate.c — isotonic (PAVA), Platt and temperature calibration (see calibrate.h). */
#include "model/calibrate.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define PMIN 1e-4
#define EPS 1e-12

static const char *const names[APS_CALIB__COUNT] = {"none", "isotonic", "platt", "temperature"};

const char *aps_calib_name(enum aps_calib_method m)
{
    return m < APS_CALIB__COUNT ? names[m] : "?";
}

int aps_calib_parse(const char *s)
{
    for (int m = 0; s && m < APS_CALIB__COUNT; m++)
        if (!strcmp(names[m], s))
            return m;
    return -1;
}

static double clip(double p)
{
    return p < PMIN ? PMIN : p > 1 - PMIN ? 1 - PMIN : p;
}

static double logit(double p)
{
    p = p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p;
    return log(p / (1 - p));
}

static double sigmoid(double s)
{
    return s >= 0 ? 1 / (1 + exp(-s)) : exp(s) / (1 + exp(s));
}

/* ---- isotonic ---- */

struct pt {
    double p, y;
};

static int by_p(const void *a, const void *b)
{
    const struct pt *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return x->y < y->y ? -1 : x->y > y->y; /* ties in p: a fixed order, so blocks are too */
}

/* Pool adjacent violators over points sorted by p: blocks of (sum p, sum y, count). */
static void pava(const struct pt *pts, size_t n, struct aps_calib *c)
{
    double *sp = aps_malloc(n * sizeof *sp), *sy = aps_malloc(n * sizeof *sy);
    double *w = aps_malloc(n * sizeof *w);
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        sp[nb] = pts[i].p;
        sy[nb] = pts[i].y;
        w[nb++] = 1;
        while (nb > 1 && sy[nb - 2] / w[nb - 2] >= sy[nb - 1] / w[nb - 1]) {
            sp[nb - 2] += sp[nb - 1];
            sy[nb - 2] += sy[nb - 1];
            w[nb - 2] += w[nb - 1];
            nb--;
        }
    }
    c->n = nb;
    c->x = aps_malloc(nb * sizeof *c->x);
    c->y = aps_malloc(nb * sizeof *c->y);
    for (size_t b = 0; b < nb; b++) {
        c->x[b] = sp[b] / w[b];
        c->y[b] = sy[b] / w[b];
    }
    aps_free(sp);
    aps_free(sy);
    aps_free(w);
}

static double isotonic_apply(const struct aps_calib *c, double p)
{
    if (!c->n)
        return p;
    if (p <= c->x[0])
        return clip(c->y[0]);
    if (p >= c->x[c->n - 1])
        return clip(c->y[c->n - 1]);
    size_t lo = 0, hi = c->n - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (c->x[mid] <= p)
            lo = mid;
        else
            hi = mid;
    }
    double t = (p - c->x[lo]) / (c->x[hi] - c->x[lo]);
    return clip(c->y[lo] + t * (c->y[hi] - c->y[lo]));
}

/* ---- Platt / temperature: Newton on (a, b) or a alone ---- */

static void platt_fit(const double *p, const int *y, size_t n, bool with_b, struct aps_calib *c)
{
    double a = 1, b = 0;
    /* the log-odds of the inputs do not change between steps */
    double *z = aps_malloc((n + 1) * sizeof *z);
    for (size_t i = 0; i < n; i++)
        z[i] = logit(p[i]);
    for (int it = 0; it < 50; it++) {
        double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
        for (size_t i = 0; i < n; i++) {
            double q = sigmoid(a * z[i] + b), r = y[i] - q, v = q * (1 - q);
            ga += r * z[i];
            gb += r;
            haa += v * z[i] * z[i];
            hab += v * z[i];
            hbb += v;
        }
        double da, db = 0;
        if (with_b) {
            double det = haa * hbb - hab * hab;
            if (!(fabs(det) > 0))
                break;
            da = (hbb * ga - hab * gb) / det;
            db = (haa * gb - hab * ga) / det;
        } else {
            da = ga / haa;
        }
        a += da;
        b += db;
        if (fabs(da) + fabs(db) < 1e-10)
            break;
    }
    aps_free(z);
    c->a = a;
    c->b = b;
}

int aps_calib_fit(enum aps_calib_method method, const double *p, const int *y, size_t n,
                  struct aps_calib *c)
{
    memset(c, 0, sizeof *c);
    c->method = method;
    c->a = 1;
    if (!n || method >= APS_CALIB__COUNT)
        return APS_E_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!(p[i] >= 0 && p[i] <= 1) || (y[i] != 0 && y[i] != 1))
            return APS_E_INVAL;
    if (method == APS_CALIB_ISOTONIC) {
        struct pt *pts = aps_malloc(n * sizeof *pts);
        for (size_t i = 0; i < n; i++)
            pts[i] = (struct pt){p[i], y[i]};
        qsort(pts, n, sizeof *pts, by_p);
        pava(pts, n, c);
        aps_free(pts);
    } else if (method != APS_CALIB_NONE) {
        platt_fit(p, y, n, method == APS_CALIB_PLATT, c);
    }
    return 0;
}

double aps_calib_apply(const struct aps_calib *c, double p)
{
    switch (c->method) {
    case APS_CALIB_ISOTONIC: return isotonic_apply(c, p);
    case APS_CALIB_PLATT:
    case APS_CALIB_TEMPERATURE: return sigmoid(c->a * logit(p) + c->b);
    default: return p;
    }
}

/* ---- three-way temperature ---- */

/* The fit minimises, over a = 1/T, f(a) = sum_i log sum_c q_ic^a - a log q_iy (q = p + EPS, y the
 * class that happened): the negative log-likelihood of the tempered rows. f is convex in a: f'(a) =
 * sum_i (E_a[log q_i] - log q_iy) and f''(a) = sum_i Var_a[log q_i], the mean and variance of a
 * row's log q under its own tempered distribution, both from one pass over the rows. */
struct multi_in {
    const double *lq;   /* log q of every class of every row */
    const double *lq_y; /* log q of the class that happened */
    size_t n;
    size_t k;
};

static void multi_slope(const struct multi_in *in, double a, double *g, double *h)
{
    double sg = 0, sh = 0;
    for (size_t i = 0; i < in->n; i++) {
        const double *l = in->lq + i * in->k;
        double tot = 0, s1 = 0, s2 = 0;
        for (size_t c = 0; c < in->k; c++) {
            double w = exp(a * l[c]);
            tot += w;
            s1 += w * l[c];
            s2 += w * l[c] * l[c];
        }
        double mean = s1 / tot;
        sg += mean - in->lq_y[i];
        sh += s2 / tot - mean * mean;
    }
    *g = sg;
    *h = sh;
}

#define TEMP_A_MIN 0.2
#define TEMP_A_MAX 5.0

/* Newton's method on f' kept inside a bracket of the minimum: a step that would leave the bracket
 * bisects it instead, and a minimum past either end of [TEMP_A_MIN, TEMP_A_MAX] stops at that end. */
static double multi_temperature(const struct multi_in *in)
{
    double lo = TEMP_A_MIN, hi = TEMP_A_MAX, a = 1;
    for (int it = 0; it < 100; it++) {
        double g, h;
        multi_slope(in, a, &g, &h);
        if (g == 0 || (g < 0 && a >= TEMP_A_MAX) || (g > 0 && a <= TEMP_A_MIN))
            break;
        if (g > 0)
            hi = a;
        else
            lo = a;
        double next = h > 0 ? a - g / h : NAN;
        if (!(next > lo && next < hi)) {
            if (next >= hi && hi == TEMP_A_MAX)
                next = TEMP_A_MAX;
            else if (next <= lo && lo == TEMP_A_MIN)
                next = TEMP_A_MIN;
            else
                next = 0.5 * (lo + hi);
        }
        bool done = fabs(next - a) <= 1e-12 * a;
        a = next;
        if (done)
            break;
    }
    return a;
}

int aps_calib_fit_multi(enum aps_calib_method method, const double *p, const int *y, size_t n,
                        int k, struct aps_calib *c)
{
    memset(c, 0, sizeof *c);
    c->method = method;
    c->a = 1;
    if (!n || k < 2 || (method != APS_CALIB_NONE && method != APS_CALIB_TEMPERATURE))
        return APS_E_INVAL;
    if (method == APS_CALIB_NONE)
        return 0;
    size_t kk = (size_t)k;
    double *lq = aps_malloc((n * kk + 1) * sizeof *lq), *lq_y = aps_malloc((n + 1) * sizeof *lq_y);
    for (size_t i = 0; i < n * kk; i++)
        lq[i] = log(p[i] + EPS);
    for (size_t i = 0; i < n; i++)
        lq_y[i] = lq[i * kk + (size_t)y[i]];
    struct multi_in in = {lq, lq_y, n, kk};
    c->a = multi_temperature(&in);
    aps_free(lq);
    aps_free(lq_y);
    return 0;
}

void aps_calib_apply_multi(const struct aps_calib *c, double *p, int k)
{
    if (c->method != APS_CALIB_TEMPERATURE)
        return;
    double tot = 0;
    for (int j = 0; j < k; j++)
        tot += p[j] = pow(p[j] + EPS, c->a);
    for (int j = 0; j < k; j++)
        p[j] /= tot;
}

void aps_calib_cleanup(struct aps_calib *c)
{
    aps_free(c->x);
    aps_free(c->y);
    memset(c, 0, sizeof *c);
}

char *aps_calib_to_json(const struct aps_calib *c)
{
    json_t *o = json_object(), *xs = json_array(), *ys = json_array();
    json_object_set_new(o, "method", json_string(aps_calib_name(c->method)));
    json_object_set_new(o, "a", json_real(c->a));
    json_object_set_new(o, "b", json_real(c->b));
    for (size_t i = 0; i < c->n; i++) {
        json_array_append_new(xs, json_real(c->x[i]));
        json_array_append_new(ys, json_real(c->y[i]));
    }
    json_object_set_new(o, "x", xs);
    json_object_set_new(o, "y", ys);
    char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    char *copy = aps_strdup(txt ? txt : "{}");
    aps_free(txt);
    return copy;
}

int aps_calib_from_json(const char *json, struct aps_calib *c)
{
    json_error_t e;
    memset(c, 0, sizeof *c);
    json_t *o = json_loads(json, 0, &e);
    if (!o)
        return APS_E_PARSE;
    int m = aps_calib_parse(json_string_value(json_object_get(o, "method")));
    json_t *xs = json_object_get(o, "x"), *ys = json_object_get(o, "y");
    int rc = m >= 0 && json_array_size(xs) == json_array_size(ys) ? 0 : APS_E_PARSE;
    if (!rc) {
        c->method = m;
        c->a = json_number_value(json_object_get(o, "a"));
        c->b = json_number_value(json_object_get(o, "b"));
        c->n = json_array_size(xs);
        c->x = aps_malloc((c->n + 1) * sizeof *c->x);
        c->y = aps_malloc((c->n + 1) * sizeof *c->y);
        for (size_t i = 0; i < c->n; i++) {
            c->x[i] = json_number_value(json_array_get(xs, i));
            c->y[i] = json_number_value(json_array_get(ys, i));
        }
    }
    json_decref(o);
    return rc;
}
