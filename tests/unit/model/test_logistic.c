/* test_logistic.c — L2 logistic regression (src/model/logistic.c) against closed forms.
 *
 * Without a penalty, the maximum-likelihood fit of a model with one indicator feature (or none)
 * reproduces the class frequencies of each group exactly: P(class | x = 0) and P(class | x = 1)
 * are the shares in each group. With a penalty the optimum satisfies Σ_i (y_i − p_i)·z_ij =
 * l2·w_j for every standardised weight (the score equation), which is checked on the fit.
 *
 * Market offset: the intercepts are penalised too (an intercept is the model's average shift from
 * the market). With a very large penalty every weight vanishes and the model is the market's own
 * probabilities — p_c / p_ref = q_c / q_ref on every row — contributions plus intercept give the
 * score, the JSON form keeps the offset, and a row without market values falls back to offset 0.
 * With a moderate penalty on results that beat the market on average, the intercept's score
 * equation Σ(y − p) = l2·w_0 holds: the shift is smaller than the unpenalised one, with its sign. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mem.h"
#include "model/logistic.h"
#include "model/logistic_int.h"

#include "fixture.c"

/* Group x = 0: 3 of 10 are class 0; group x = 1: 7 of 10 (and one column that never varies). */
static void two_groups(double *x, int *y)
{
    for (int i = 0; i < 20; i++) {
        x[i * 2] = i >= 10;
        x[i * 2 + 1] = 5; /* constant: ignored */
        int in_group = i % 10;
        y[i] = i < 10 ? (in_group < 3 ? 0 : 1) : (in_group < 7 ? 0 : 1);
    }
}

static void test_unpenalised_matches_frequencies(void **state)
{
    (void)state;
    double x[40], p[2];
    int y[20];
    two_groups(x, y);
    struct aps_logit m;
    struct aps_logit_opts o = {0, 50, 1e-12, NULL, NULL};
    assert_int_equal(aps_logit_fit(x, 2, y, NULL, 20, 2, &o, &m), 0);
    double x0[2] = {0, 5}, x1[2] = {1, 5};
    aps_logit_predict(&m, x0, p);
    assert_near(p[0], 0.3, 1e-9);
    assert_near(p[1], 0.7, 1e-9);
    aps_logit_predict(&m, x1, p);
    assert_near(p[0], 0.7, 1e-9);
    /* the log-odds slope on the raw scale is logit(0.7) − logit(0.3) = 2·ln(7/3) */
    double c[2];
    aps_logit_contrib(&m, x1, 0, c);
    double c0[2];
    aps_logit_contrib(&m, x0, 0, c0);
    assert_near(c[0] - c0[0], 2 * log(7.0 / 3.0), 1e-8);
    assert_near(c[1], 0, 0);
    aps_logit_cleanup(&m);
}

static void test_missing_value_is_the_mean(void **state)
{
    (void)state;
    double x[40], p[2], pm[2];
    int y[20];
    two_groups(x, y);
    struct aps_logit m;
    struct aps_logit_opts o = {1, 0, 0, NULL, NULL};
    assert_int_equal(aps_logit_fit(x, 2, y, NULL, 20, 2, &o, &m), 0);
    double miss[2] = {NAN, 5}, mean[2] = {0.5, 5};
    aps_logit_predict(&m, miss, p);
    aps_logit_predict(&m, mean, pm);
    assert_near(p[0], pm[0], 1e-15);
    aps_logit_cleanup(&m);
}

static void test_penalised_score_equation(void **state)
{
    (void)state;
    /* a deterministic, not separable sample with two informative columns */
    enum { N = 400 };
    double *x = aps_malloc(N * 2 * sizeof *x);
    int *y = aps_malloc(N * sizeof *y);
    uint64_t s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0;
        x[i * 2] = (i % 17) / 17.0;
        x[i * 2 + 1] = (i % 5) - 2.0;
        double p = 1 / (1 + exp(-(0.5 + 2 * x[i * 2] - 0.4 * x[i * 2 + 1])));
        y[i] = u < p ? 0 : 1;
    }
    struct aps_logit m;
    double l2 = 25;
    struct aps_logit_opts o = {l2, 100, 1e-13, NULL, NULL};
    assert_int_equal(aps_logit_fit(x, 2, y, NULL, N, 2, &o, &m), 0);
    double g[3] = {0, 0, 0};
    for (int i = 0; i < N; i++) {
        double p[2],
            z[3] = {1, (x[i * 2] - m.mean[0]) / m.sd[0], (x[i * 2 + 1] - m.mean[1]) / m.sd[1]};
        aps_logit_predict(&m, x + i * 2, p);
        for (int j = 0; j < 3; j++)
            g[j] += ((y[i] == 0) - p[0]) * z[j];
    }
    assert_near(g[0], 0, 1e-8); /* the intercept is not penalised */
    assert_near(g[1], l2 * m.w[1], 1e-7);
    assert_near(g[2], l2 * m.w[2], 1e-7);
    assert_true(m.w[1] > 0 && m.w[2] < 0); /* the signs of the generating model */
    aps_logit_cleanup(&m);
    aps_free(x);
    aps_free(y);
}

static void test_multinomial_frequencies(void **state)
{
    (void)state;
    /* three classes, counts 5/3/2 at x = 0 and 1/1/8 at x = 1 */
    double x[20];
    int y[20];
    static const int cls0[] = {0, 0, 0, 0, 0, 1, 1, 1, 2, 2};
    static const int cls1[] = {0, 1, 2, 2, 2, 2, 2, 2, 2, 2};
    for (int i = 0; i < 10; i++) {
        x[i] = 0;
        y[i] = cls0[i];
        x[10 + i] = 1;
        y[10 + i] = cls1[i];
    }
    struct aps_logit m;
    struct aps_logit_opts o = {0, 100, 1e-12, NULL, NULL};
    assert_int_equal(aps_logit_fit(x, 1, y, NULL, 20, 3, &o, &m), 0);
    double p[3], a = 0, b = 1;
    aps_logit_predict(&m, &a, p);
    assert_near(p[0], 0.5, 1e-8);
    assert_near(p[1], 0.3, 1e-8);
    assert_near(p[2], 0.2, 1e-8);
    aps_logit_predict(&m, &b, p);
    assert_near(p[0], 0.1, 1e-8);
    assert_near(p[2], 0.8, 1e-8);
    /* JSON round trip gives the same predictions */
    char *js = aps_logit_to_json(&m);
    struct aps_logit m2;
    assert_int_equal(aps_logit_from_json(js, &m2), 0);
    double q[3];
    aps_logit_predict(&m2, &b, q);
    assert_near(q[0], p[0], 1e-15);
    assert_near(q[2], p[2], 1e-15);
    aps_free(js);
    aps_logit_cleanup(&m2);
    aps_logit_cleanup(&m);
}

/* Deterministic uniform draws in (0, 1). */
static double draw(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
}

static double sigm(double v)
{
    return 1 / (1 + exp(-v));
}

/* n binary rows: column 0 the market's log-odds of class 0, uniform in [-width/2, width/2];
 * column 1 noise; labels drawn with the market's log-odds plus shift. */
static double *market_rows(int n, uint64_t s, double width, double shift, int *y)
{
    double *x = aps_malloc((size_t)n * 2 * sizeof *x);
    for (int i = 0; i < n; i++) {
        x[i * 2] = width * (draw(&s) - 0.5);
        x[i * 2 + 1] = draw(&s);
        y[i] = draw(&s) < sigm(x[i * 2] + shift) ? 0 : 1;
    }
    return x;
}

static void test_offset_binary_shrinks_to_market(void **state)
{
    (void)state;
    enum { N = 400 };
    int y[N];
    double *x = market_rows(N, 7, 3, 0, y);
    int off[2] = {0, 0};
    struct aps_logit_opts o = {1e12, 100, 1e-13, NULL, off};
    struct aps_logit m;
    assert_int_equal(aps_logit_fit(x, 2, y, NULL, N, 2, &o, &m), 0);
    assert_true(m.has_offset);
    double p[2], c[2];
    assert_near(m.w[0], 0, 1e-9); /* the intercept is shrunk like the weights */
    for (int i = 0; i < N; i++) {
        aps_logit_predict(&m, x + i * 2, p);
        assert_near(p[0], sigm(x[i * 2]), 1e-6);
        aps_logit_contrib(&m, x + i * 2, 0, c);
        assert_near(m.w[0] + c[0] + c[1], log(p[0] / p[1]), 1e-9);
    }
    /* a row without the market: offset 0, the intercept alone (weights ~0) */
    double miss[2] = {NAN, 0.5};
    aps_logit_predict(&m, miss, p);
    assert_near(p[0], 0.5, 1e-6);
    /* the JSON form predicts the same */
    char *js = aps_logit_to_json(&m);
    struct aps_logit back;
    assert_int_equal(aps_logit_from_json(js, &back), 0);
    double q[2];
    aps_logit_predict(&m, x + 2, p);
    aps_logit_predict(&back, x + 2, q);
    assert_true(back.has_offset);
    assert_near(p[0], q[0], 1e-15);
    aps_free(js);
    aps_logit_cleanup(&back);
    aps_logit_cleanup(&m);
    aps_free(x);
}

/* Results that beat the market on average (class 0 wins more often than the market says): the
 * unpenalised intercept is the whole shift, a penalised one a part of it, and the penalised score
 * equation holds for the intercept as for any weight. */
static void test_offset_intercept_penalised(void **state)
{
    (void)state;
    enum { N = 600 };
    int y[N];
    double *x = market_rows(N, 19, 2, 0.4, y);
    int off[2] = {0, 0};
    struct aps_logit m0, m;
    struct aps_logit_opts free_o = {1e-9, 100, 1e-13, NULL, off}, o = {60, 100, 1e-13, NULL, off};
    assert_int_equal(aps_logit_fit(x, 2, y, NULL, N, 2, &free_o, &m0), 0);
    assert_int_equal(aps_logit_fit(x, 2, y, NULL, N, 2, &o, &m), 0);
    assert_true(m0.w[0] > 0.2);                      /* the shift of the sample */
    assert_true(m.w[0] > 0 && m.w[0] < 0.8 * m0.w[0]); /* shrunk, same sign */
    double g = 0, p[2];
    for (int i = 0; i < N; i++) {
        aps_logit_predict(&m, x + i * 2, p);
        g += (y[i] == 0) - p[0];
    }
    assert_near(g, 60 * m.w[0], 1e-7);
    aps_logit_cleanup(&m0);
    aps_logit_cleanup(&m);
    aps_free(x);
}

static void test_offset_three_way_ratios(void **state)
{
    (void)state;
    enum { N = 300 };
    double *x = aps_malloc(N * 3 * sizeof *x);
    int y[N];
    uint64_t s = 11;
    for (int i = 0; i < N; i++) {
        double h = 0.2 + 0.5 * draw(&s), d = 0.25 * (1 - h) + 0.1 * draw(&s), a = 1 - h - d;
        x[i * 3] = log(h / (1 - h));
        x[i * 3 + 1] = log(d / (1 - d));
        x[i * 3 + 2] = log(a / (1 - a));
        double u = draw(&s);
        y[i] = u < h ? 0 : u < h + d ? 1 : 2;
    }
    int off[3] = {0, 1, 2};
    struct aps_logit_opts o = {1e12, 100, 1e-13, NULL, off};
    struct aps_logit m;
    assert_int_equal(aps_logit_fit(x, 3, y, NULL, N, 3, &o, &m), 0);
    double p[3];
    for (int i = 0; i < N; i++) {
        aps_logit_predict(&m, x + i * 3, p);
        /* odds against the reference class: the market's own (the intercepts shrunk to 0) */
        for (int c = 0; c < 2; c++) {
            double q = sigm(x[i * 3 + c]) / sigm(x[i * 3 + 2]);
            assert_near(m.w[c * 4], 0, 1e-9);
            assert_near(p[c] / p[2] / q, 1, 1e-6);
        }
        double con[3];
        aps_logit_contrib(&m, x + i * 3, 1, con);
        assert_near(m.w[4] + con[0] + con[1] + con[2], log(p[1] / p[2]), 1e-9);
    }
    aps_logit_cleanup(&m);
    aps_free(x);
}

static void test_bad_labels(void **state)
{
    (void)state;
    double x[2] = {0, 1};
    int y[2] = {0, 3};
    struct aps_logit m;
    struct aps_logit_opts o = {1, 0, 0, NULL, NULL};
    assert_int_equal(aps_logit_fit(x, 1, y, NULL, 2, 2, &o, &m), APS_E_INVAL);
    aps_logit_cleanup(&m);
}

/* ---- the Newton system: the blocked, vectorised accumulation against the plain one ---- */

enum { NS_N = 203, NS_D = 37 }; /* not a multiple of the row block; 38 columns: every tail */

/* Rows with a spread of scales, a constant column, missing values and (columns 0..2) market
 * log-odds for the offset. */
static void ns_data(double *x, int *y, int k, uint64_t s)
{
    for (int i = 0; i < NS_N; i++) {
        for (int j = 0; j < NS_D; j++)
            x[i * NS_D + j] = (draw(&s) - 0.3) * (1 + j % 5) * (j % 7 ? 1 : 1000);
        x[i * NS_D + 5] = 2.5;
        if (i % 9 == 4)
            x[i * NS_D + 3 + i % 11] = NAN;
        y[i] = (int)(draw(&s) * k);
    }
}

/* The system as the fit used to build it: one row at a time, each into every element. */
static void ns_plain(const struct aps_logit *m, const double *x, const int *y, double l2, double *g,
                     double *H)
{
    int k1 = m->k - 1, D = m->d + 1, P = k1 * D;
    double z[NS_D + 1], p[8];
    memset(g, 0, (size_t)P * sizeof *g);
    memset(H, 0, (size_t)P * (size_t)P * sizeof *H);
    for (int i = 0; i < NS_N; i++) {
        aps_logit_zrow(m, x + i * NS_D, z);
        aps_logit_predict(m, x + i * NS_D, p);
        for (int c = 0; c < k1; c++) {
            double res = (y[i] == c) - p[c];
            for (int j = 0; j < D; j++)
                g[c * D + j] += res * z[j];
            for (int e = c; e < k1; e++) {
                double wce = p[c] * ((c == e) - p[e]);
                for (int a = 0; a < D; a++)
                    for (int b = c == e ? a : 0; b < D; b++)
                        H[(c * D + a) * P + e * D + b] += wce * (z[a] * z[b]);
            }
        }
    }
    for (int c = 0; c < k1; c++)
        for (int j = m->has_offset ? 0 : 1; j < D; j++) { /* an offset model's intercepts too */
            g[c * D + j] -= l2 * m->w[c * D + j];
            H[(c * D + j) * P + c * D + j] += l2;
        }
}

/* The system at a fitted model's weights, in each form the machine has, equals the plain one to
 * the bit; and whole fits agree to the bit across the forms. */
static void ns_case(int k, bool offset)
{
    double *x = aps_malloc(NS_N * NS_D * sizeof *x);
    int y[NS_N], off[3] = {0, 1, 2};
    ns_data(x, y, k, 31 + (uint64_t)k);
    struct aps_logit_opts o = {3, 0, 0, NULL, offset ? off : NULL};
    struct aps_logit m, m2;
    assert_true(aps_logit_set_kernel(APS_LOGIT_KERNEL_SCALAR));
    assert_int_equal(aps_logit_fit(x, NS_D, y, NULL, NS_N, k, &o, &m), 0);
    assert_true(m.iterations >= 2);
    int D = NS_D + 1, P = (k - 1) * D;
    double *Z = aps_malloc(NS_N * (size_t)D * sizeof *Z), *g0 = aps_malloc(P * sizeof *g0);
    double *H0 = aps_malloc((size_t)P * P * sizeof *H0), *g = aps_malloc(P * sizeof *g);
    double *H = aps_malloc((size_t)P * P * sizeof *H);
    for (int i = 0; i < NS_N; i++)
        aps_logit_zrow(&m, x + i * NS_D, Z + i * D);
    ns_plain(&m, x, y, 3, g0, H0);
    static const enum aps_logit_kernel forms[] = {APS_LOGIT_KERNEL_SCALAR, APS_LOGIT_KERNEL_AVX,
                                                  APS_LOGIT_KERNEL_AUTO};
    for (int f = 0; f < 3; f++) {
        if (!aps_logit_set_kernel(forms[f])) {
            assert_false(aps_logit_kernel_available(forms[f]));
            continue;
        }
        aps_logit_newton_system(&m, m.w, x, Z, y, NULL, NS_N, 3, g, H);
        assert_memory_equal(g, g0, P * sizeof *g);
        assert_memory_equal(H, H0, (size_t)P * P * sizeof *H);
        assert_int_equal(aps_logit_fit(x, NS_D, y, NULL, NS_N, k, &o, &m2), 0);
        assert_memory_equal(m2.w, m.w, P * sizeof *m.w);
        aps_logit_cleanup(&m2);
    }
    assert_true(aps_logit_set_kernel(APS_LOGIT_KERNEL_AUTO));
    aps_logit_cleanup(&m);
    aps_free(x);
    aps_free(Z);
    aps_free(g0);
    aps_free(H0);
    aps_free(g);
    aps_free(H);
}

static void test_newton_system_forms_agree(void **state)
{
    (void)state;
    ns_case(2, false);
    ns_case(2, true);
    ns_case(3, false);
    ns_case(3, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unpenalised_matches_frequencies),
        cmocka_unit_test(test_missing_value_is_the_mean),
        cmocka_unit_test(test_penalised_score_equation),
        cmocka_unit_test(test_multinomial_frequencies),
        cmocka_unit_test(test_offset_binary_shrinks_to_market),
        cmocka_unit_test(test_offset_intercept_penalised),
        cmocka_unit_test(test_offset_three_way_ratios),
        cmocka_unit_test(test_bad_labels),
        cmocka_unit_test(test_newton_system_forms_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
