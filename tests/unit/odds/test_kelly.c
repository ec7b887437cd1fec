/* test_kelly.c — edge, EV and Kelly sizing: the worked examples of platform-spec §3.4–3.5
 * (p = 0.60 at −110: EV $14.55 and 14.5 %, f* = 0.16, quarter 0.04, capped 0.02 → $200 of
 * $10,000), every gate, and properties over seeded random bets: the stake never exceeds
 * bankroll·MAX_BET_PERCENT and is zero below the edge gate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "fixture.c"
#include "odds/kelly.h"

#define D110 (1.0 + 100.0 / 110.0)

static struct aps_kelly_input bet(double p, double d, double no_vig, int tier)
{
    struct aps_kelly_input in = {p, d, no_vig, 10000.0, tier};
    return in;
}

static void ev_and_full_kelly_examples(void **state)
{
    (void)state;
    assert_near(aps_kelly_ev_amount(0.60, D110, 100.0), 14.545454, 1e-5);
    assert_near(aps_kelly_ev(0.60, D110), 0.145454, 1e-5);
    assert_near(aps_kelly_full(0.60, D110), 0.16, 1e-12);
    assert_near(aps_kelly_edge(0.60, 0.52381), 0.07619, 1e-12);
    /* A fair coin at even money has no edge and no Kelly stake. */
    assert_near(aps_kelly_full(0.5, 2.0), 0.0, 0);
}

static void sizing_example_tier_a(void **state)
{
    (void)state;
    struct aps_kelly_params kp;
    aps_kelly_params_default(&kp);
    struct aps_kelly_input in = bet(0.60, D110, NAN, APS_TIER_A);
    struct aps_kelly_sizing s;
    assert_int_equal(aps_kelly_size(&kp, &in, &s), 0);
    assert_near(s.implied, 110.0 / 210.0, 1e-12);
    assert_true(isnan(s.no_vig));
    assert_near(s.edge, 0.60 - 110.0 / 210.0, 1e-12);
    assert_near(s.ev, 0.145454, 1e-5);
    assert_near(s.full_kelly, 0.16, 1e-12);
    assert_near(s.fractional_kelly, 0.04, 1e-12);
    assert_near(s.stake, 200.0, 1e-9);
    assert_near(s.units, 2.0, 1e-12);
    assert_near(s.ev_amount, 200.0 * 0.145454545, 1e-4);
    assert_true(s.should_bet);
    assert_string_equal(s.reason, "bet");
}

/* Tier from the probability: p = 0.60 is B, 0.16·0.25·0.75 = 0.03, still capped at 2 %. */
static void sizing_tier_from_probability(void **state)
{
    (void)state;
    struct aps_kelly_params kp;
    aps_kelly_params_default(&kp);
    struct aps_kelly_input in = bet(0.60, D110, NAN, -1);
    struct aps_kelly_sizing s;
    assert_int_equal(aps_kelly_size(&kp, &in, &s), 0);
    assert_int_equal(s.tier, APS_TIER_B);
    assert_near(s.fractional_kelly, 0.03, 1e-12);
    assert_near(s.stake, 200.0, 1e-9);
    /* Below the cap the tier multiplier shows: tier C, p 0.56 at 2.0 → 0.12·0.25·0.5 = 1.5 %. */
    in = bet(0.56, 2.0, 0.50, -1);
    assert_int_equal(aps_kelly_size(&kp, &in, &s), 0);
    assert_int_equal(s.tier, APS_TIER_C);
    assert_near(s.stake, 10000.0 * 0.12 * 0.25 * 0.5, 1e-9);
    assert_near(s.units, 1.5, 1e-12);
}

static void gates(void **state)
{
    (void)state;
    struct aps_kelly_params kp;
    aps_kelly_params_default(&kp);
    struct aps_kelly_sizing s;
    struct {
        struct aps_kelly_input in;
        const char *reason;
    } cases[] = {
        {bet(0.54, 2.2, NAN, -1), "probability below SIGNAL_TIER_C_MIN"},
        {bet(0.62, D110, 0.60, -1), "edge below MIN_EDGE_THRESHOLD"}, /* edge vs no-vig 0.02 */
        {bet(0.66, 1.40, 0.60, -1), "no positive expected value"},    /* p·d = 0.924 */
        {bet(0.50, 2.0, 0.55, -1), "negative edge"},
        {bet(0.66, D110, NAN, -1), "bet"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(aps_kelly_size(&kp, &cases[i].in, &s), 0);
        assert_string_equal(s.reason, cases[i].reason);
        assert_int_equal(s.should_bet, !strcmp(cases[i].reason, "bet"));
        if (!s.should_bet)
            assert_near(s.stake, 0.0, 0);
    }
    /* Minimum bet size: a $300 bankroll at 2 % is $6 < $10. */
    struct aps_kelly_input small = bet(0.66, D110, NAN, -1);
    small.bankroll = 300.0;
    assert_int_equal(aps_kelly_size(&kp, &small, &s), 0);
    assert_false(s.should_bet);
    assert_string_equal(s.reason, "stake below minimum bet size");
}

/* Tiers come from value gated by probability: a tiny edge is no bet whatever the probability
 * (the Tier A with edge 0.006 and stake 0 of the old rule), a bet's tier is never better than
 * its edge or its probability allow, a tier is never given without a stake, and an edge above
 * the model's supported maximum is not believed. */
static void tiers_from_value(void **state)
{
    (void)state;
    struct aps_kelly_params kp;
    aps_kelly_params_default(&kp);
    struct aps_kelly_sizing s;
    struct aps_kelly_input tiny = bet(0.70, 1.45, 0.694, -1);
    assert_int_equal(aps_kelly_size(&kp, &tiny, &s), 0);
    assert_false(s.should_bet);
    assert_int_equal(s.tier, APS_TIER_D);
    assert_string_equal(s.reason, "edge below MIN_EDGE_THRESHOLD");
    /* p 0.70 (A by probability), edge 0.04 (C by edge): C */
    struct aps_kelly_input c = bet(0.70, 1.55, 0.66, -1);
    assert_int_equal(aps_kelly_size(&kp, &c, &s), 0);
    assert_true(s.should_bet);
    assert_int_equal(s.tier, APS_TIER_C);
    /* edge 0.07 (A by edge) at p 0.58 (C by probability): C */
    assert_int_equal(aps_kelly_tier(&kp, 0.58, 0.07), APS_TIER_C);
    assert_int_equal(aps_kelly_tier(&kp, 0.66, 0.061), APS_TIER_A);
    assert_int_equal(aps_kelly_tier(&kp, 0.66, 0.05), APS_TIER_B);
    /* the settings move the rule: a stricter SIGNAL_TIER_A_MIN takes A away */
    kp.tier_a_min = 0.68;
    assert_int_equal(aps_kelly_tier(&kp, 0.66, 0.061), APS_TIER_B);
    aps_kelly_params_default(&kp);
    /* implausible edge */
    kp.max_edge = 0.06;
    struct aps_kelly_input wild = bet(0.75, 1.80, 0.55, -1);
    assert_int_equal(aps_kelly_size(&kp, &wild, &s), 0);
    assert_false(s.should_bet);
    assert_string_equal(s.reason, "edge above the largest the model's walk-forward record supports");
    /* over random bets: never a tier without a stake */
    struct prng r = {11};
    aps_kelly_params_default(&kp);
    for (int i = 0; i < 20000; i++) {
        double p = 0.05 + 0.9 * prng_uniform(&r), d = 1.05 + 4 * prng_uniform(&r);
        double nv = 0.05 + 0.9 * prng_uniform(&r);
        struct aps_kelly_input in = bet(p, d, nv, -1);
        assert_int_equal(aps_kelly_size(&kp, &in, &s), 0);
        assert_true(s.should_bet == (s.tier != APS_TIER_D));
        if (s.tier != APS_TIER_D)
            assert_true(s.stake > 0 && s.edge >= kp.min_edge);
    }
}

static void invalid_inputs_and_params(void **state)
{
    (void)state;
    struct aps_kelly_params kp;
    aps_kelly_params_default(&kp);
    struct aps_kelly_sizing s;
    struct aps_kelly_input bad[] = {
        bet(0.0, 2.0, NAN, -1), bet(1.0, 2.0, NAN, -1), bet(0.6, 1.0, NAN, -1),
        bet(0.6, 2.0, 1.2, -1), bet(0.6, 2.0, NAN, 7), bet(NAN, 2.0, NAN, -1),
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(aps_kelly_size(&kp, &bad[i], &s), APS_E_INVAL);
    struct aps_kelly_input ok = bet(0.6, 2.0, NAN, -1);
    ok.bankroll = 0.0;
    assert_int_equal(aps_kelly_size(&kp, &ok, &s), APS_E_INVAL);
    ok.bankroll = 100.0;
    kp.max_bet_percent = 0.0;
    assert_int_equal(aps_kelly_params_check(&kp), APS_E_RANGE);
    assert_int_equal(aps_kelly_size(&kp, &ok, &s), APS_E_INVAL);
    aps_kelly_params_default(&kp);
    kp.tier_b_min = 0.70;
    assert_int_equal(aps_kelly_params_check(&kp), APS_E_RANGE);
    aps_kelly_params_default(&kp);
    kp.kelly_fraction = NAN;
    assert_int_equal(aps_kelly_params_check(&kp), APS_E_RANGE);
}

static void property_cap_and_gate(void **state)
{
    (void)state;
    struct prng r = {7};
    struct aps_kelly_params kp;
    int bets = 0, capped = 0;
    for (int iter = 0; iter < 50000; iter++) {
        aps_kelly_params_default(&kp);
        kp.kelly_fraction = prng_range(&r, 0.05, 1.0);
        kp.max_bet_percent = prng_range(&r, 0.005, 0.10);
        kp.min_edge = prng_range(&r, 0.0, 0.06);
        double d = prng_range(&r, 1.05, 8.0);
        double nv = prng_uniform(&r) < 0.5 ? NAN : fmin(0.99, fmax(0.01, 1 / d - 0.02));
        struct aps_kelly_input in = bet(prng_range(&r, 0.01, 0.99), d, nv, prng_int(&r, -1, 3));
        in.bankroll = prng_range(&r, 100.0, 1e6);
        struct aps_kelly_sizing s;
        assert_int_equal(aps_kelly_size(&kp, &in, &s), 0);
        assert_true(s.stake >= 0.0);
        assert_true(s.stake <= in.bankroll * kp.max_bet_percent * (1 + 1e-12));
        if (s.edge < kp.min_edge || s.full_kelly <= 0.0 || s.tier == APS_TIER_D)
            assert_true(s.stake == 0.0 && !s.should_bet);
        if (s.should_bet) {
            assert_true(s.stake >= kp.min_bet_size);
            assert_near(s.units, s.stake / in.bankroll * 100.0, 1e-9);
            bets++;
            capped += s.stake == in.bankroll * kp.max_bet_percent;
        }
    }
    assert_true(bets > 1000 && capped > 100); /* both branches were reached */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ev_and_full_kelly_examples),
        cmocka_unit_test(sizing_example_tier_a),
        cmocka_unit_test(sizing_tier_from_probability),
        cmocka_unit_test(gates),
        cmocka_unit_test(tiers_from_value),
        cmocka_unit_test(invalid_inputs_and_params),
        cmocka_unit_test(property_cap_and_gate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
