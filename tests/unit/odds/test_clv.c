/* test_clv.c — closing-line value as DESIGN §8 defines it, on the reference's examples with their
 * signs corrected (bet −3.5, close −4.5 → +1; over 210.5, close 212.5 → +2; moneyline −150
 * against a −180 close → positive), and the sign property over seeded random bets: a better price
 * or line than the close is positive, a worse one negative. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "fixture.c"
#include "odds/clv.h"

static void spread_and_total_examples(void **state)
{
    (void)state;
    /* The bettor took −3.5; the line closed at −4.5: the bettor gave 1 point fewer. */
    assert_near(aps_clv_spread(-3.5, -4.5), 1.0, 0);
    assert_near(aps_clv_spread(+4.5, +3.5), 1.0, 0); /* underdog got more points */
    assert_near(aps_clv_spread(-4.5, -3.5), -1.0, 0);
    double c = 0;
    assert_int_equal(aps_clv_total(APS_SEL_OVER, 210.5, 212.5, &c), 0);
    assert_near(c, 2.0, 0);
    assert_int_equal(aps_clv_total(APS_SEL_UNDER, 210.5, 212.5, &c), 0);
    assert_near(c, -2.0, 0);
    assert_int_equal(aps_clv_points(APS_MKT_SPREAD, APS_SEL_AWAY, 7.0, 6.5, &c), 0);
    assert_near(c, 0.5, 0);
    assert_int_equal(aps_clv_points(APS_MKT_TOTAL, APS_SEL_UNDER, 45.0, 43.5, &c), 0);
    assert_near(c, 1.5, 0);
    c = 99;
    assert_int_equal(aps_clv_total(APS_SEL_HOME, 1, 2, &c), APS_E_INVAL);
    assert_int_equal(aps_clv_points(APS_MKT_MONEYLINE, APS_SEL_HOME, 1, 2, &c), APS_E_INVAL);
    assert_int_equal(aps_clv_points(APS_MKT_SPREAD, APS_SEL_OVER, 1, 2, &c), APS_E_INVAL);
    assert_near(c, 99, 0);
}

/* Bet −150 (d 1.667); close −180 / +160: no-vig 0.6257 for our side → 0.6257·1.667 − 1 > 0. */
static void moneyline_example(void **state)
{
    (void)state;
    const double close[] = {1.0 + 100.0 / 180.0, 2.6};
    double c = 0;
    assert_int_equal(
        aps_clv_price_market(APS_MARGIN_MULTIPLICATIVE, close, 2, 0, 1.0 + 100.0 / 150.0, &c), 0);
    double p_nv = (180.0 / 280.0) / (180.0 / 280.0 + 100.0 / 260.0);
    assert_near(c, p_nv * (1.0 + 100.0 / 150.0) - 1.0, 1e-12);
    assert_true(c > 0.04 && c < 0.045);
    /* The other side, bet at +160 and closing at +160, lost exactly the margin. */
    assert_int_equal(aps_clv_price_market(APS_MARGIN_MULTIPLICATIVE, close, 2, 1, 2.6, &c), 0);
    assert_true(c < 0.0);
    assert_near(aps_clv_price(0.5, 2.10), 0.05, 1e-12);
    assert_int_equal(aps_clv_price_market(APS_MARGIN_SHIN, close, 2, 2, 2.0, &c), APS_E_INVAL);
    assert_int_equal(aps_clv_price_market(APS_MARGIN_SHIN, close, 2, 0, 1.0, &c), APS_E_INVAL);
}

static void property_sign(void **state)
{
    (void)state;
    struct prng r = {31337};
    for (int iter = 0; iter < 50000; iter++) {
        double p = prng_range(&r, 0.05, 0.95), margin = prng_range(&r, 0.0, 0.10);
        const double close[] = {1 / (p * (1 + margin)), 1 / ((1 - p) * (1 + margin))};
        double d_bet = 1 / p * prng_range(&r, 0.8, 1.2), c = 0;
        if (d_bet <= 1.0 || close[0] <= 1.0 || close[1] <= 1.0)
            continue;
        for (int m = 0; m < APS_MARGIN__COUNT; m++) {
            double fair[2];
            assert_int_equal(aps_margin_remove((enum aps_margin_method)m, close, 2, fair), 0);
            assert_int_equal(
                aps_clv_price_market((enum aps_margin_method)m, close, 2, 0, d_bet, &c), 0);
            /* Positive exactly when the bet price beats the fair closing price 1/fair. */
            assert_int_equal(c > 0, d_bet > 1 / fair[0]);
        }
        double bet = prng_int(&r, -40, 40) / 2.0, cl = prng_int(&r, -40, 40) / 2.0;
        assert_int_equal(aps_clv_spread(bet, cl) > 0, bet > cl); /* more points is better */
        double tb = 200 + bet, tc = 200 + cl;
        assert_int_equal(aps_clv_total(APS_SEL_OVER, tb, tc, &c), 0);
        assert_int_equal(c > 0, tb < tc); /* a lower total is better for the over */
        assert_int_equal(aps_clv_total(APS_SEL_UNDER, tb, tc, &c), 0);
        assert_int_equal(c > 0, tb > tc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spread_and_total_examples),
        cmocka_unit_test(moneyline_example),
        cmocka_unit_test(property_sign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
