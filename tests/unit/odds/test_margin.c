/* test_margin.c — overround, the four margin-removal methods (worked examples from
 * platform-spec §3.2, a reference 1X2 market, the additive clamp) and properties over many seeded
 * random markets: fair probabilities sum to 1 and keep the order of the raw ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>

#include "fixture.c"
#include "odds/margin.h"

static void overround_and_hold(void **state)
{
    (void)state;
    const double dec[] = {1.0 + 100.0 / 110.0, 1.0 + 100.0 / 110.0};
    double v = 0;
    assert_int_equal(aps_margin_overround(dec, 2, &v), 0);
    assert_near(v, 0.0476190476, 1e-9);
    assert_near(aps_margin_hold(v), 0.0454545454, 1e-9);
    const double bad[] = {1.9, 1.0};
    assert_int_equal(aps_margin_overround(bad, 2, &v), APS_E_INVAL);
    assert_int_equal(aps_margin_overround(dec, 1, &v), APS_E_INVAL);
}

static void method_names_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"multiplicative", "additive", "power", "shin"};
    for (int m = 0; m < APS_MARGIN__COUNT; m++) {
        assert_string_equal(aps_margin_method_name((enum aps_margin_method)m), names[m]);
        assert_int_equal(aps_margin_method_parse(names[m]), m);
    }
    assert_int_equal(aps_margin_method_parse("Shin"), -1);
    assert_int_equal(aps_margin_method_parse("logit"), -1);
    assert_int_equal(aps_margin_method_parse(NULL), -1);
    assert_string_equal(aps_margin_method_name(APS_MARGIN__COUNT), "?");
}

/* −150 / +130: raw 0.600 / 0.4348, multiplicative 0.5798 / 0.4202 (spec §3.2). */
static void two_way_examples(void **state)
{
    (void)state;
    const double dec[] = {1.0 + 100.0 / 150.0, 2.3};
    double p[2];
    assert_int_equal(aps_margin_remove(APS_MARGIN_MULTIPLICATIVE, dec, 2, p), 0);
    assert_near(p[0], 0.5798, 5e-5);
    assert_near(p[1], 0.4202, 5e-5);
    assert_int_equal(aps_margin_remove(APS_MARGIN_ADDITIVE, dec, 2, p), 0);
    assert_near(p[0], 0.6 - (0.6 + 1 / 2.3 - 1) / 2, 1e-12);
    assert_int_equal(aps_margin_remove(APS_MARGIN_POWER, dec, 2, p), 0);
    assert_near(p[0], 0.5839826350, 1e-9);
    /* Same exponent k on both outcomes. */
    assert_near(log(p[0]) / log(0.6), log(p[1]) / log(1 / 2.3), 1e-9);
    /* With two outcomes Shin's method coincides with the additive one (a known identity). */
    double add[2];
    assert_int_equal(aps_margin_remove(APS_MARGIN_ADDITIVE, dec, 2, add), 0);
    assert_int_equal(aps_margin_remove(APS_MARGIN_SHIN, dec, 2, p), 0);
    assert_near(p[0], add[0], 1e-12);
    assert_near(p[1], add[1], 1e-12);
}

/* A 1X2 market 2.10 / 3.40 / 3.60, values from an independent script. */
static void three_way_reference_values(void **state)
{
    (void)state;
    const double dec[] = {2.10, 3.40, 3.60};
    const double want[APS_MARGIN__COUNT][3] = {
        {0.4543429844, 0.2806236080, 0.2650334076},
        {0.4601618425, 0.2780890134, 0.2617491441},
        {0.4601744579, 0.2779799641, 0.2618455781},
        {0.4586657160, 0.2787376371, 0.2625966469},
    };
    for (int m = 0; m < APS_MARGIN__COUNT; m++) {
        double p[3];
        assert_int_equal(aps_margin_remove((enum aps_margin_method)m, dec, 3, p), 0);
        for (int i = 0; i < 3; i++)
            assert_near(p[i], want[m][i], 1e-9);
    }
}

/* The Shin probabilities satisfy Shin's formula for one z in (0, 1): recover z from the
 * favourite and check the others against it. */
static void shin_satisfies_formula(void **state)
{
    (void)state;
    const double dec[] = {1.20, 7.5, 15.0};
    double pi[3], total = 0, p[3];
    for (int i = 0; i < 3; i++)
        total += pi[i] = 1 / dec[i];
    assert_int_equal(aps_margin_remove(APS_MARGIN_SHIN, dec, 3, p), 0);
    double lo = 0, hi = 1, z = 0;
    for (int it = 0; it < 200; it++) { /* p_0(z) decreases in z */
        z = (lo + hi) / 2;
        double f = (sqrt(z * z + 4 * (1 - z) * pi[0] * pi[0] / total) - z) / (2 * (1 - z));
        if (f > p[0])
            lo = z;
        else
            hi = z;
    }
    assert_true(z > 0.0 && z < 0.1);
    for (int i = 1; i < 3; i++) {
        double f = (sqrt(z * z + 4 * (1 - z) * pi[i] * pi[i] / total) - z) / (2 * (1 - z));
        assert_near(p[i], f, 1e-9);
    }
}

/* 1.10 / 8.0 / 101.0: the additive share pushes the longshot below 0; it is clamped and the
 * margin is spread over the other two. */
static void additive_clamps_longshot(void **state)
{
    (void)state;
    const double dec[] = {1.10, 8.0, 101.0};
    double p[3];
    assert_int_equal(aps_margin_remove(APS_MARGIN_ADDITIVE, dec, 3, p), 0);
    double share = (1 / 1.10 + 1 / 8.0 - 1) / 2;
    assert_near(p[2], 0.0, 0);
    assert_near(p[0], 1 / 1.10 - share, 1e-12);
    assert_near(p[1], 1 / 8.0 - share, 1e-12);
}

static void invalid_inputs(void **state)
{
    (void)state;
    double p[APS_MARGIN_MAX_OUTCOMES + 1];
    const double dec[] = {1.9, 1.9};
    const double probs[] = {0.5, 1.0};
    assert_int_equal(aps_margin_remove(APS_MARGIN_SHIN, dec, 1, p), APS_E_INVAL);
    assert_int_equal(aps_margin_remove(APS_MARGIN__COUNT, dec, 2, p), APS_E_INVAL);
    assert_int_equal(aps_margin_remove_probs(APS_MARGIN_POWER, probs, 2, p), APS_E_INVAL);
    double many[APS_MARGIN_MAX_OUTCOMES + 1];
    for (size_t i = 0; i < APS_MARGIN_MAX_OUTCOMES + 1; i++)
        many[i] = 100.0;
    size_t too_many = APS_MARGIN_MAX_OUTCOMES + 1;
    assert_int_equal(aps_margin_remove(APS_MARGIN_MULTIPLICATIVE, many, too_many, p), APS_E_TOOBIG);
}

/* A random market: fair probabilities of n outcomes, then a margin in [−2 %, 15 %] applied
 * multiplicatively, with one outcome sometimes made a longshot. Writes decimal prices. */
static void random_market(struct prng *r, size_t n, double *dec)
{
    double fair[3], s = 0;
    for (size_t i = 0; i < n; i++) {
        fair[i] = prng_range(r, 0.02, 1.0);
        if (prng_uniform(r) < 0.1)
            fair[i] *= 0.02;
        s += fair[i];
    }
    double margin = prng_range(r, -0.02, 0.15);
    for (size_t i = 0; i < n; i++) {
        double pi = fair[i] / s * (1 + margin) * prng_range(r, 0.97, 1.03);
        dec[i] = 1.0 / fmin(pi, 0.999);
    }
}

static void property_sum_one_and_order_kept(void **state)
{
    (void)state;
    struct prng r = {20240611};
    int clamped = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)prng_int(&r, 2, 3);
        double dec[3];
        random_market(&r, n, dec);
        for (int m = 0; m < APS_MARGIN__COUNT; m++) {
            double p[3], s = 0;
            assert_int_equal(aps_margin_remove((enum aps_margin_method)m, dec, n, p), 0);
            for (size_t i = 0; i < n; i++) {
                assert_true(p[i] >= 0.0 && p[i] <= 1.0);
                s += p[i];
            }
            assert_near(s, 1.0, 1e-12);
            bool zero = p[0] == 0 || p[1] == 0 || (n == 3 && p[2] == 0);
            clamped += m == APS_MARGIN_ADDITIVE && zero;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                    if (!(1 / dec[i] > 1 / dec[j]))
                        continue;
                    /* Strict order, except additive where two clamped longshots tie at 0. */
                    if (m == APS_MARGIN_ADDITIVE)
                        assert_true(p[i] >= p[j] && (p[i] > p[j] || p[i] == 0.0));
                    else
                        assert_true(p[i] > p[j]);
                }
        }
    }
    assert_true(clamped > 0); /* the additive clamp was exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overround_and_hold),
        cmocka_unit_test(method_names_round_trip),
        cmocka_unit_test(two_way_examples),
        cmocka_unit_test(three_way_reference_values),
        cmocka_unit_test(shin_satisfies_formula),
        cmocka_unit_test(additive_clamps_longshot),
        cmocka_unit_test(invalid_inputs),
        cmocka_unit_test(property_sum_one_and_order_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
