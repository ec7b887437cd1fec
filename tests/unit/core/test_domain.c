/* test_domain.c — the vocabularies of core/domain.h read back from their names: every name to
 * its value, and near misses (a prefix, a longer word, another case, another vocabulary's
 * name, the empty string) to -1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/domain.h"

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int m = 0; m < APS_MKT__COUNT; m++)
        assert_int_equal(aps_market_parse(aps_market_name((enum aps_market)m)), m);
    for (int s = 0; s < APS_SEL__COUNT; s++)
        assert_int_equal(aps_selection_parse(aps_selection_name((enum aps_selection)s)), s);
    for (int p = 0; p < APS_PHASE__COUNT; p++)
        assert_int_equal(aps_phase_parse(aps_phase_name((enum aps_phase)p)), p);
    for (int g = 0; g < APS_GS__COUNT; g++)
        assert_int_equal(aps_status_parse(aps_status_name((enum aps_game_status)g)), g);
}

static void test_near_misses(void **state)
{
    (void)state;
    static const char *const markets[] = {"",          "m",       "money", "moneylines",
                                          "Moneyline", "spreads", "tota",  "home"};
    for (size_t i = 0; i < sizeof markets / sizeof markets[0]; i++)
        assert_int_equal(aps_market_parse(markets[i]), -1);
    static const char *const sels[] = {"", "h", "hom", "homes", "AWAY", "dra", "overs", "total"};
    for (size_t i = 0; i < sizeof sels / sizeof sels[0]; i++)
        assert_int_equal(aps_selection_parse(sels[i]), -1);
    static const char *const phases[] = {"", "o", "opens", "pr", "pre ", "closing", "Live", "over"};
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
        assert_int_equal(aps_phase_parse(phases[i]), -1);
    static const char *const statuses[] = {"", "final ", "Final", "in-progress", "cancel", "pre"};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        assert_int_equal(aps_status_parse(statuses[i]), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_near_misses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
