/* test_calibrate.c — isotonic (PAVA), Platt and temperature calibration (src/model/calibrate.c).
 *
 * Hand-checked PAVA: points sorted by p with outcomes 0 1 0 0 1 1. The 1 at p = 0.2 violates the
 * 0 after it: pooling gives 1/2, still above the next 0, so the three pool to 1/3 at mean p 0.3;
 * the two 1s at the end form one block (equal values are pooled) at mean p 0.55. Blocks:
 * (0.1, 0), (0.3, 1/3), (0.55, 1). Between blocks the map interpolates linearly; beyond the ends
 * it is flat, clipped to [1e-4, 1 − 1e-4]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mem.h"
#include "model/calibrate.h"

#include "fixture.c"

static void test_isotonic_hand_checked(void **state)
{
    (void)state;
    double p[] = {0.4, 0.1, 0.6, 0.3, 0.2, 0.5}; /* unsorted on purpose */
    int y[] = {0, 0, 1, 0, 1, 1};
    struct aps_calib c;
    assert_int_equal(aps_calib_fit(APS_CALIB_ISOTONIC, p, y, 6, &c), 0);
    assert_int_equal(c.n, 3);
    assert_near(c.x[0], 0.1, 1e-15);
    assert_near(c.y[0], 0, 0);
    assert_near(c.x[1], 0.3, 1e-15);
    assert_near(c.y[1], 1.0 / 3, 1e-15);
    assert_near(c.x[2], 0.55, 1e-15);
    assert_near(c.y[2], 1, 0);
    assert_near(aps_calib_apply(&c, 0.3), 1.0 / 3, 1e-15);
    assert_near(aps_calib_apply(&c, 0.2), 1.0 / 6, 1e-15);
    assert_near(aps_calib_apply(&c, 0.425), 1.0 / 3 + 0.5 * (2.0 / 3), 1e-12);
    assert_near(aps_calib_apply(&c, 0.05), 1e-4, 0);
    assert_near(aps_calib_apply(&c, 0.9), 1 - 1e-4, 0);
    /* JSON round trip */
    char *js = aps_calib_to_json(&c);
    struct aps_calib c2;
    assert_int_equal(aps_calib_from_json(js, &c2), 0);
    assert_near(aps_calib_apply(&c2, 0.2), 1.0 / 6, 1e-15);
    aps_free(js);
    aps_calib_cleanup(&c2);
    aps_calib_cleanup(&c);
}

static void test_isotonic_is_monotone(void **state)
{
    (void)state;
    enum { N = 500 };
    double p[N];
    int y[N];
    uint64_t s = 11;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (double)(s >> 11) / 9007199254740992.0;
        y[i] = (s >> 3) % 100 < (uint64_t)(p[i] * 100);
    }
    struct aps_calib c;
    assert_int_equal(aps_calib_fit(APS_CALIB_ISOTONIC, p, y, N, &c), 0);
    for (size_t b = 1; b < c.n; b++)
        assert_true(c.y[b] > c.y[b - 1] && c.x[b] > c.x[b - 1]);
    aps_calib_cleanup(&c);
}

/* Outcomes drawn from σ(2·logit(p) + 0.3): Platt must find a ≈ 2, b ≈ 0.3; temperature 1/T ≈ the
 * slope without the shift. */
static void test_platt_recovers_slope(void **state)
{
    (void)state;
    enum { N = 40000 };
    double *p = aps_malloc(N * sizeof *p);
    int *y = aps_malloc(N * sizeof *y);
    uint64_t s = 5;
    for (int i = 0; i < N; i++) {
        p[i] = 0.05 + 0.9 * (i % 1000) / 1000.0;
        double z = log(p[i] / (1 - p[i])), q = 1 / (1 + exp(-(2 * z + 0.3)));
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        y[i] = (double)(s >> 11) / 9007199254740992.0 < q;
    }
    struct aps_calib c;
    assert_int_equal(aps_calib_fit(APS_CALIB_PLATT, p, y, N, &c), 0);
    assert_near(c.a, 2, 0.1);
    assert_near(c.b, 0.3, 0.05);
    aps_calib_cleanup(&c);
    assert_int_equal(aps_calib_fit(APS_CALIB_TEMPERATURE, p, y, N, &c), 0);
    assert_near(c.b, 0, 0);
    assert_true(c.a > 1.5);
    aps_calib_cleanup(&c);
    aps_free(p);
    aps_free(y);
}

static void test_multi_temperature_identity(void **state)
{
    (void)state;
    /* each row says (0.5, 0.3, 0.2) and the classes happen 5:3:2: T = 1 is the optimum */
    enum { N = 1000 };
    double *p = aps_malloc(N * 3 * sizeof *p);
    int *y = aps_malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) {
        p[i * 3] = 0.5;
        p[i * 3 + 1] = 0.3;
        p[i * 3 + 2] = 0.2;
        y[i] = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2;
    }
    struct aps_calib c;
    assert_int_equal(aps_calib_fit_multi(APS_CALIB_TEMPERATURE, p, y, N, 3, &c), 0);
    assert_near(c.a, 1, 1e-6);
    double row[3] = {0.6, 0.3, 0.1};
    aps_calib_apply_multi(&c, row, 3);
    assert_near(row[0] + row[1] + row[2], 1, 1e-12);
    assert_near(row[0], 0.6, 1e-5);
    assert_int_equal(aps_calib_fit_multi(APS_CALIB_ISOTONIC, p, y, N, 3, &c), APS_E_INVAL);
    aps_free(p);
    aps_free(y);
}

/* The tempered three-way negative log-likelihood, summed the slow way (pow per class). */
static double multi_nll(const double *p, const int *y, size_t n, double a)
{
    double nll = 0;
    for (size_t i = 0; i < n; i++) {
        double tot = 0;
        for (int c = 0; c < 3; c++)
            tot += pow(p[i * 3 + c] + 1e-12, a);
        nll -= a * log(p[i * 3 + (size_t)y[i]] + 1e-12) - log(tot);
    }
    return nll;
}

/* Rows of three probabilities; the class that happens is drawn from the rows tempered by a_true
 * (q ∝ p^a_true), or from the plain rows when a_true is 0 and the outcome ignores the row. */
static void multi_rows(double *p, int *y, size_t n, double a_true, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double w[3], tot = 0;
        for (int c = 0; c < 3; c++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            tot += w[c] = 0.05 + (double)(s >> 11) / 9007199254740992.0;
        }
        double q[3], qt = 0;
        for (int c = 0; c < 3; c++) {
            p[i * 3 + (size_t)c] = w[c] / tot;
            qt += q[c] = a_true > 0 ? pow(w[c] / tot, a_true) : 1;
        }
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(s >> 11) / 9007199254740992.0 * qt;
        y[i] = u < q[0] ? 0 : u < q[0] + q[1] ? 1 : 2;
    }
}

/* Outcomes drawn from the rows tempered by 1/T = 1.7: the fit finds a ≈ 1.7, and its a is the
 * minimum of the likelihood summed independently (every point of a fine grid around it is no
 * better, and a step of 1e-4 either way is worse). Rows that say nothing about the outcome stop at
 * the lower end (0.2); rows whose likeliest class always happens stop at the upper end (5). */
static void test_multi_temperature_recovers_and_minimises(void **state)
{
    (void)state;
    enum { N = 20000 };
    double *p = aps_malloc(N * 3 * sizeof *p);
    int *y = aps_malloc(N * sizeof *y);
    struct aps_calib c;
    multi_rows(p, y, N, 1.7, 11);
    assert_int_equal(aps_calib_fit_multi(APS_CALIB_TEMPERATURE, p, y, N, 3, &c), 0);
    assert_near(c.a, 1.7, 0.1);
    double best = multi_nll(p, y, N, c.a);
    assert_true(multi_nll(p, y, N, c.a - 1e-4) > best);
    assert_true(multi_nll(p, y, N, c.a + 1e-4) > best);
    for (double a = 0.2; a <= 5; a += 0.01)
        assert_true(multi_nll(p, y, N, a) >= best - 1e-9 * best);

    multi_rows(p, y, N, 0, 12);
    assert_int_equal(aps_calib_fit_multi(APS_CALIB_TEMPERATURE, p, y, N, 3, &c), 0);
    assert_near(c.a, 0.2, 0);

    for (size_t i = 0; i < N; i++) {
        const double *r = p + i * 3;
        y[i] = r[0] >= r[1] && r[0] >= r[2] ? 0 : r[1] >= r[2] ? 1 : 2;
    }
    assert_int_equal(aps_calib_fit_multi(APS_CALIB_TEMPERATURE, p, y, N, 3, &c), 0);
    assert_near(c.a, 5, 0);
    aps_free(p);
    aps_free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isotonic_hand_checked),
        cmocka_unit_test(test_isotonic_is_monotone),
        cmocka_unit_test(test_platt_recovers_slope),
        cmocka_unit_test(test_multi_temperature_identity),
        cmocka_unit_test(test_multi_temperature_recovers_and_minimises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
