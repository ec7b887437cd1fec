/* test_shop.c — line shopping over one game's quotes from three books: each book's latest quote
 * at the moment counts, stale and future quotes do not, best price at a fixed line, best line
 * (then price) for spreads and both sides of a total, ties and invalid input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "fixture.c"
#include "odds/shop.h"

#define ML APS_MKT_MONEYLINE
#define SP APS_MKT_SPREAD
#define TT APS_MKT_TOTAL

static const struct aps_quote quotes[] = {
    {"pinnacle", ML, APS_SEL_HOME, NAN, 1.90, 100},
    {"pinnacle", ML, APS_SEL_HOME, NAN, 1.85, 200},
    {"bet365", ML, APS_SEL_HOME, NAN, 1.88, 150},
    {"dk", ML, APS_SEL_HOME, NAN, 1.95, 300},
    {"pinnacle", ML, APS_SEL_AWAY, NAN, 2.05, 100},
    {"pinnacle", SP, APS_SEL_HOME, -3.5, 1.95, 100},
    {"pinnacle", SP, APS_SEL_HOME, -3.0, 1.80, 200},
    {"bet365", SP, APS_SEL_HOME, -3.5, 1.91, 150},
    {"dk", SP, APS_SEL_HOME, -3.0, 1.83, 160},
    {"pinnacle", TT, APS_SEL_OVER, 2.5, 1.90, 100},
    {"bet365", TT, APS_SEL_OVER, 2.75, 2.05, 100},
    {"pinnacle", TT, APS_SEL_UNDER, 2.5, 1.95, 100},
    {"bet365", TT, APS_SEL_UNDER, 2.75, 1.80, 100},
};
#define NQ (sizeof quotes / sizeof *quotes)

static void moneyline_latest_per_book(void **state)
{
    (void)state;
    struct aps_shop_pick pk;
    assert_int_equal(aps_shop_best_price(quotes, NQ, 250, ML, APS_SEL_HOME, NAN, &pk), 0);
    /* Pinnacle's 1.90 was replaced by 1.85 at t=200; dk's 1.95 is not yet there. */
    assert_string_equal(pk.book, "bet365");
    assert_near(pk.price, 1.88, 0);
    assert_int_equal(pk.index, 2);
    assert_int_equal(pk.books, 2);
    assert_int_equal(aps_shop_best_price(quotes, NQ, 300, ML, APS_SEL_HOME, NAN, &pk), 0);
    assert_string_equal(pk.book, "dk");
    assert_int_equal(pk.books, 3);
    assert_int_equal(aps_shop_best_price(quotes, NQ, 120, ML, APS_SEL_HOME, NAN, &pk), 0);
    assert_string_equal(pk.book, "pinnacle");
    assert_near(pk.price, 1.90, 0);
    assert_int_equal(pk.recorded_at, 100);
    assert_int_equal(aps_shop_best_price(quotes, NQ, 50, ML, APS_SEL_HOME, NAN, &pk),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_shop_best_price(quotes, NQ, 500, ML, APS_SEL_DRAW, NAN, &pk),
                     APS_E_NOTFOUND);
}

static void spread_price_at_line_and_best_line(void **state)
{
    (void)state;
    struct aps_shop_pick pk;
    /* At 180 Pinnacle still offers −3.5 at 1.95. */
    assert_int_equal(aps_shop_best_price(quotes, NQ, 180, SP, APS_SEL_HOME, -3.5, &pk), 0);
    assert_string_equal(pk.book, "pinnacle");
    /* At 250 Pinnacle moved to −3.0, so its −3.5 quote is stale: only bet365 offers −3.5. */
    assert_int_equal(aps_shop_best_price(quotes, NQ, 250, SP, APS_SEL_HOME, -3.5, &pk), 0);
    assert_string_equal(pk.book, "bet365");
    assert_near(pk.price, 1.91, 0);
    assert_int_equal(pk.books, 3);
    assert_int_equal(aps_shop_best_price(quotes, NQ, 250, SP, APS_SEL_HOME, -7.0, &pk),
                     APS_E_NOTFOUND);
    /* Best line: −3.0 beats −3.5 for the home bettor; dk's 1.83 beats Pinnacle's 1.80. */
    assert_int_equal(aps_shop_best_line(quotes, NQ, 250, SP, APS_SEL_HOME, &pk), 0);
    assert_string_equal(pk.book, "dk");
    assert_near(pk.line, -3.0, 0);
    assert_near(pk.price, 1.83, 0);
}

static void totals_best_line_by_side(void **state)
{
    (void)state;
    struct aps_shop_pick pk;
    assert_int_equal(aps_shop_best_line(quotes, NQ, 100, TT, APS_SEL_OVER, &pk), 0);
    assert_near(pk.line, 2.5, 0); /* lower total for the over, despite the worse price */
    assert_string_equal(pk.book, "pinnacle");
    assert_int_equal(aps_shop_best_line(quotes, NQ, 100, TT, APS_SEL_UNDER, &pk), 0);
    assert_near(pk.line, 2.75, 0);
    assert_string_equal(pk.book, "bet365");
    assert_int_equal(aps_shop_best_price(quotes, NQ, 100, TT, APS_SEL_OVER, 2.75, &pk), 0);
    assert_near(pk.price, 2.05, 0);
    /* Best line on a moneyline is the best price. */
    assert_int_equal(aps_shop_best_line(quotes, NQ, 250, ML, APS_SEL_HOME, &pk), 0);
    assert_string_equal(pk.book, "bet365");
}

static void ties(void **state)
{
    (void)state;
    const struct aps_quote q[] = {
        {"a", ML, APS_SEL_HOME, NAN, 2.0, 10},
        {"a", ML, APS_SEL_HOME, NAN, 2.5, 10}, /* same time, later in the array: current */
        {"b", ML, APS_SEL_HOME, NAN, 2.5, 5},
    };
    struct aps_shop_pick pk;
    assert_int_equal(aps_shop_best_price(q, 3, 10, ML, APS_SEL_HOME, NAN, &pk), 0);
    assert_int_equal(pk.index, 1); /* equal best prices: the first in the array */
    assert_int_equal(pk.books, 2);
}

static void invalid(void **state)
{
    (void)state;
    struct aps_shop_pick pk;
    assert_int_equal(aps_shop_best_price(quotes, NQ, 100, TT, APS_SEL_HOME, 2.5, &pk),
                     APS_E_INVAL);
    assert_int_equal(aps_shop_best_line(quotes, NQ, 100, SP, APS_SEL_DRAW, &pk), APS_E_INVAL);
    const struct aps_quote nobook[] = {{NULL, ML, APS_SEL_HOME, NAN, 2.0, 1}};
    assert_int_equal(aps_shop_best_price(nobook, 1, 5, ML, APS_SEL_HOME, NAN, &pk), APS_E_INVAL);
    const struct aps_quote badprice[] = {{"a", ML, APS_SEL_HOME, NAN, 1.0, 1}};
    assert_int_equal(aps_shop_best_price(badprice, 1, 5, ML, APS_SEL_HOME, NAN, &pk),
                     APS_E_INVAL);
    const struct aps_quote badline[] = {{"a", SP, APS_SEL_HOME, NAN, 1.9, 1}};
    assert_int_equal(aps_shop_best_line(badline, 1, 5, SP, APS_SEL_HOME, &pk), APS_E_INVAL);
    assert_int_equal(aps_shop_best_line(NULL, 0, 5, SP, APS_SEL_HOME, &pk), APS_E_NOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moneyline_latest_per_book),
        cmocka_unit_test(spread_price_at_line_and_best_line),
        cmocka_unit_test(totals_best_line_by_side),
        cmocka_unit_test(ties),
        cmocka_unit_test(invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
