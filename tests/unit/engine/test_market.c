/* test_market.c — a game's current market as live picks read it (engine/market.h): books whose
 * snapshots moved their line or price offer only their newest quote. Regression: a pick's best
 * price, line and no-vig probability came from every snapshot ever stored, so a price a book had
 * withdrawn with its old line was published as the best price (an NBA total "under 218.5 @ 1.9524
 * at lowvig" when lowvig quoted 219 @ 2.0), and old snapshots voted for the main line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "engine/market.h"
#include "model/history.h"

#define T1 1796429811
#define T2 1796429880

static struct aps_hist_quote quote(int book, enum aps_market m, enum aps_selection s, double line,
                                   double price, int64_t at)
{
    return (struct aps_hist_quote){book, m, s, APS_PHASE_LIVE, line, price, at};
}

/* The view of market m of one upcoming NBA game whose books are a, b, c and w (index 0..3),
 * quoted q. */
static void view_of(struct aps_hist_quote *q, size_t n, enum aps_market m,
                    struct aps_market_view *v)
{
    struct aps_hist_book books[4] = {{.key = "a"}, {.key = "b"}, {.key = "c"}, {.key = "w"}};
    struct aps_hist_game g = {.id = 1, .home = 10, .away = 11, .start_time = T2 + 3600,
                              .status = APS_GS_SCHEDULED, .home_score = -1, .away_score = -1,
                              .surface = -1, .nq = n, .fc_538 = NAN};
    struct aps_history h = {.sport = APS_SPORT_NBA, .games = &g, .ngames = 1, .quotes = q,
                            .nquotes = n, .books = books, .nbooks = 4};
    assert_int_equal(aps_market_view(&h, &g, m, APS_MARGIN_MULTIPLICATIVE, v), 0);
    assert_true(v->has_entry);
}

static void a_total_whose_line_moved(void **state)
{
    (void)state;
    /* a and b quote 218.5; w quotes 218.5 at 1.9524, then moves to 219 at 2.0 */
    struct aps_hist_quote q[] = {
        quote(0, APS_MKT_TOTAL, APS_SEL_OVER, 218.5, 1.9091, T1),
        quote(0, APS_MKT_TOTAL, APS_SEL_UNDER, 218.5, 1.9091, T1),
        quote(1, APS_MKT_TOTAL, APS_SEL_OVER, 218.5, 1.8696, T1),
        quote(1, APS_MKT_TOTAL, APS_SEL_UNDER, 218.5, 1.9346, T1),
        quote(3, APS_MKT_TOTAL, APS_SEL_OVER, 218.5, 1.9524, T1),
        quote(3, APS_MKT_TOTAL, APS_SEL_UNDER, 218.5, 1.9524, T1),
        quote(3, APS_MKT_TOTAL, APS_SEL_OVER, 219.0, 2.0, T2),
        quote(3, APS_MKT_TOTAL, APS_SEL_UNDER, 219.0, 2.0, T2),
    };
    struct aps_market_view v;
    view_of(q, sizeof q / sizeof q[0], APS_MKT_TOTAL, &v);
    const struct aps_market_side *under = &v.side[1];
    assert_int_equal(under->sel, APS_SEL_UNDER);
    /* the best under at 218.5 is b's 1.9346: w no longer quotes 218.5 */
    assert_true(under->entry_line == 218.5);
    assert_true(under->entry_price == 1.9346);
    assert_int_equal(under->entry_book, 1);
    /* the no-vig probability is the mean of a's and b's books at 218.5 */
    double pb = (1 / 1.9346) / (1 / 1.8696 + 1 / 1.9346);
    assert_true(fabs(under->entry_novig - (0.5 + pb) / 2) < 1e-12);
}

static void a_spread_whose_books_moved(void **state)
{
    (void)state;
    /* at T1 a, b quote home -3 and c -3.5; at T2 b moves to -3.5 (and a's price moves): the main
     * line is now -3.5, quoted by b and c, and b's old 1.95 at -3 is gone */
    struct aps_hist_quote q[] = {
        quote(0, APS_MKT_SPREAD, APS_SEL_HOME, -3.0, 1.91, T1),
        quote(0, APS_MKT_SPREAD, APS_SEL_AWAY, 3.0, 1.91, T1),
        quote(1, APS_MKT_SPREAD, APS_SEL_HOME, -3.0, 1.95, T1),
        quote(1, APS_MKT_SPREAD, APS_SEL_AWAY, 3.0, 1.87, T1),
        quote(2, APS_MKT_SPREAD, APS_SEL_HOME, -3.5, 2.0, T1),
        quote(2, APS_MKT_SPREAD, APS_SEL_AWAY, 3.5, 1.83, T1),
        quote(1, APS_MKT_SPREAD, APS_SEL_HOME, -3.5, 1.93, T2),
        quote(1, APS_MKT_SPREAD, APS_SEL_AWAY, 3.5, 1.89, T2),
        quote(0, APS_MKT_SPREAD, APS_SEL_HOME, -3.0, 1.87, T2),
        quote(0, APS_MKT_SPREAD, APS_SEL_AWAY, 3.0, 1.95, T2),
    };
    struct aps_market_view v;
    view_of(q, sizeof q / sizeof q[0], APS_MKT_SPREAD, &v);
    const struct aps_market_side *home = &v.side[0], *away = &v.side[1];
    assert_true(home->entry_line == -3.5);
    assert_true(home->entry_price == 2.0);
    assert_int_equal(home->entry_book, 2);
    assert_true(away->entry_line == 3.5);
    assert_true(away->entry_price == 1.89);
    assert_int_equal(away->entry_book, 1);
    double pb = (1 / 1.93) / (1 / 1.93 + 1 / 1.89), pc = (1 / 2.0) / (1 / 2.0 + 1 / 1.83);
    assert_true(fabs(home->entry_novig - (pb + pc) / 2) < 1e-12);

    /* a moneyline's newest price is the one offered, whatever order the snapshots come in */
    struct aps_hist_quote ml[] = {
        quote(0, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.70, T2),
        quote(0, APS_MKT_MONEYLINE, APS_SEL_AWAY, NAN, 2.25, T2),
        quote(0, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.80, T1),
        quote(0, APS_MKT_MONEYLINE, APS_SEL_AWAY, NAN, 2.10, T1),
    };
    view_of(ml, sizeof ml / sizeof ml[0], APS_MKT_MONEYLINE, &v);
    assert_true(v.side[0].entry_price == 1.70);
    assert_true(v.side[1].entry_price == 2.25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_total_whose_line_moved),
        cmocka_unit_test(a_spread_whose_books_moved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
