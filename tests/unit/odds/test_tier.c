/* test_tier.c — tier classification at and around the thresholds (DESIGN §8), names, multipliers,
 * actionability and threshold validation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "fixture.c"
#include "odds/tier.h"

static void classify_at_boundaries(void **state)
{
    (void)state;
    struct aps_tier_thresholds t;
    aps_tier_thresholds_default(&t);
    assert_int_equal(aps_tier_thresholds_check(&t), 0);
    assert_int_equal(aps_tier_classify(&t, 0.65), APS_TIER_A);
    assert_int_equal(aps_tier_classify(&t, 0.90), APS_TIER_A);
    assert_int_equal(aps_tier_classify(&t, 0.6499), APS_TIER_B);
    assert_int_equal(aps_tier_classify(&t, 0.60), APS_TIER_B);
    assert_int_equal(aps_tier_classify(&t, 0.5999), APS_TIER_C);
    assert_int_equal(aps_tier_classify(&t, 0.55), APS_TIER_C);
    assert_int_equal(aps_tier_classify(&t, 0.5499), APS_TIER_D);
    assert_int_equal(aps_tier_classify(&t, 0.10), APS_TIER_D);
    assert_int_equal(aps_tier_classify(&t, NAN), APS_TIER_D);
    /* Thresholds are parameters: an NCAAF-style A at 0.63. */
    t.a_min = 0.63;
    assert_int_equal(aps_tier_classify(&t, 0.64), APS_TIER_A);
}

static void names_and_multipliers(void **state)
{
    (void)state;
    const char *names[] = {"A", "B", "C", "D"};
    const double mult[] = {1.0, 0.75, 0.5, 0.0};
    for (int i = 0; i < APS_TIER__COUNT; i++) {
        assert_string_equal(aps_tier_name((enum aps_tier)i), names[i]);
        assert_int_equal(aps_tier_parse(names[i]), i);
        assert_near(aps_tier_multiplier((enum aps_tier)i), mult[i], 0);
    }
    assert_int_equal(aps_tier_parse("b"), APS_TIER_B);
    assert_int_equal(aps_tier_parse("E"), -1);
    assert_int_equal(aps_tier_parse("AB"), -1);
    assert_int_equal(aps_tier_parse(""), -1);
    assert_string_equal(aps_tier_name(APS_TIER__COUNT), "?");
    assert_near(aps_tier_multiplier(APS_TIER__COUNT), 0.0, 0);
}

static void actionable_needs_edge_and_not_d(void **state)
{
    (void)state;
    assert_true(aps_tier_actionable(APS_TIER_A, 0.03, 0.03));
    assert_true(aps_tier_actionable(APS_TIER_C, 0.10, 0.03));
    assert_false(aps_tier_actionable(APS_TIER_B, 0.0299, 0.03));
    assert_false(aps_tier_actionable(APS_TIER_D, 0.50, 0.03));
    assert_false(aps_tier_actionable(APS_TIER_A, NAN, 0.03));
}

static void thresholds_validated(void **state)
{
    (void)state;
    struct aps_tier_thresholds bad[] = {
        {0.60, 0.65, 0.55}, {0.65, 0.60, 0.0}, {1.0, 0.6, 0.55}, {0.65, NAN, 0.55},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(aps_tier_thresholds_check(&bad[i]), APS_E_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classify_at_boundaries),
        cmocka_unit_test(names_and_multipliers),
        cmocka_unit_test(actionable_needs_edge_and_not_d),
        cmocka_unit_test(thresholds_validated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
