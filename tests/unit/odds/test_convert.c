/* test_convert.c — odds conversions against the worked examples of platform-spec §3.1, the
 * validation rules (|A| >= 100, d > 1) and round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "fixture.c"
#include "odds/convert.h"

static double a2d(double a)
{
    double d = 0;
    assert_int_equal(aps_convert_american_to_decimal(a, &d), 0);
    return d;
}

static double d2a(double d)
{
    double a = 0;
    assert_int_equal(aps_convert_decimal_to_american(d, &a), 0);
    return a;
}

static double a2p(double a)
{
    double p = 0;
    assert_int_equal(aps_convert_american_to_prob(a, &p), 0);
    return p;
}

static void american_to_decimal_examples(void **state)
{
    (void)state;
    assert_near(a2d(-110), 1.0 + 100.0 / 110.0, 1e-15);
    assert_near(a2d(-110), 1.909090909, 1e-9);
    assert_near(a2d(150), 2.5, 1e-15);
    assert_near(a2d(-200), 1.5, 1e-15);
    assert_near(a2d(100), 2.0, 0);
    assert_near(a2d(-100), 2.0, 0);
}

static void decimal_to_american_examples(void **state)
{
    (void)state;
    assert_near(d2a(1.5), -200, 1e-9);
    assert_near(d2a(1.8), -125, 1e-9);
    assert_near(d2a(2.5), 150, 1e-9);
    assert_near(d2a(2.0), 100, 0);
}

static void implied_probability_examples(void **state)
{
    (void)state;
    assert_near(a2p(-110), 0.52381, 5e-6);
    assert_near(a2p(-150), 0.60, 1e-12);
    assert_near(a2p(150), 0.40, 1e-12);
    assert_near(a2p(130), 0.43478, 5e-6);
    assert_near(a2p(-200), 2.0 / 3.0, 1e-12);
    assert_near(a2p(200), 1.0 / 3.0, 1e-12);
    double p = 0;
    assert_int_equal(aps_convert_decimal_to_prob(2.5, &p), 0);
    assert_near(p, 0.4, 1e-15);
    assert_int_equal(aps_convert_prob_to_decimal(0.25, &p), 0);
    assert_near(p, 4.0, 1e-15);
}

static void invalid_inputs_rejected_and_output_untouched(void **state)
{
    (void)state;
    double out = 42.0;
    const double bad_american[] = {99.9, -99.9, 0.0, 50, -1, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_american / sizeof *bad_american; i++) {
        assert_false(aps_convert_american_valid(bad_american[i]));
        assert_int_equal(aps_convert_american_to_decimal(bad_american[i], &out), APS_E_INVAL);
        assert_int_equal(aps_convert_american_to_prob(bad_american[i], &out), APS_E_INVAL);
    }
    const double bad_decimal[] = {1.0, 0.5, -2.0, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_decimal / sizeof *bad_decimal; i++) {
        assert_false(aps_convert_decimal_valid(bad_decimal[i]));
        assert_int_equal(aps_convert_decimal_to_american(bad_decimal[i], &out), APS_E_INVAL);
        assert_int_equal(aps_convert_decimal_to_prob(bad_decimal[i], &out), APS_E_INVAL);
    }
    assert_int_equal(aps_convert_prob_to_decimal(0.0, &out), APS_E_INVAL);
    assert_int_equal(aps_convert_prob_to_decimal(1.0, &out), APS_E_INVAL);
    assert_near(out, 42.0, 0);
}

static void round_trips(void **state)
{
    (void)state;
    for (int a = 100; a <= 5000; a += 7) {
        assert_near(d2a(a2d(a)), a, 1e-9 * a);
        assert_near(d2a(a2d(-a)), a == 100 ? 100 : -a, 1e-9 * a);
        /* The two implied-probability routes agree. */
        assert_near(a2p(a), 1.0 / a2d(a), 1e-15);
        assert_near(a2p(-a), 1.0 / a2d(-a), 1e-15);
    }
    for (double d = 1.01; d < 30.0; d += 0.37)
        assert_near(a2d(d2a(d)), d, 1e-12 * d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(american_to_decimal_examples),
        cmocka_unit_test(decimal_to_american_examples),
        cmocka_unit_test(implied_probability_examples),
        cmocka_unit_test(invalid_inputs_rejected_and_output_untouched),
        cmocka_unit_test(round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
