/* test_report.c — the model report's numbers (engine/report.h): the scores of a probability set
 * against hand-computed values, and Elo next to FiveThirtyEight on FiveThirtyEight's real NFL file,
 * whose 538 side is recomputed here from the stored forecasts alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../model/fixture.c"
#include "engine/report.h"

static void test_score_two_way(void **state)
{
    (void)state;
    /* class 0 = home win; rows are (p_home, p_away) */
    const double p[] = {0.8, 0.2, 0.3, 0.7, 0.6, 0.4, 0.5, 0.5};
    const int y[] = {0, 1, 1, 0};
    struct aps_report_scores s;
    aps_report_score(p, y, 4, 2, &s);
    double ll = -(log(0.8) + log(0.7) + log(0.4) + log(0.5)) / 4;
    double brier = (0.04 + 0.09 + 0.36 + 0.25) / 4; /* on class 0 */
    assert_near(s.ll, ll, 1e-12);
    assert_near(s.brier, brier, 1e-12);
    /* AUC of class 0: home wins scored 0.8 and 0.5 against 0.3 and 0.6: 3 of 4 pairs */
    assert_near(s.auc, 0.75, 1e-12);
    assert_true(s.ece >= 0 && s.ece <= 1);
}

static void test_score_three_way(void **state)
{
    (void)state;
    const double p[] = {0.5, 0.3, 0.2, 0.2, 0.5, 0.3};
    const int y[] = {0, 1};
    struct aps_report_scores s;
    aps_report_score(p, y, 2, 3, &s);
    assert_near(s.ll, -(log(0.5) + log(0.5)) / 2, 1e-12);
    double b0 = 0.25 + 0.09 + 0.04, b1 = 0.04 + 0.25 + 0.09;
    assert_near(s.brier, (b0 + b1) / 2, 1e-12);
}

static void test_pairs(void **state)
{
    (void)state;
    struct aps_report_pairs s;
    aps_report_pairs_init(&s, 2, 2);
    const double a[] = {0.6, 0.4}, b[] = {0.55, 0.45};
    aps_report_pairs_add(&s, a, b, 1);
    aps_report_pairs_add(&s, b, a, 0);
    assert_int_equal(s.n, 2);
    assert_true(s.a[2] == 0.55 && s.b[3] == 0.4 && s.y[0] == 1 && s.y[1] == 0);
    aps_report_pairs_cleanup(&s);
}

/* The 538 side of the comparison is the stored forecasts' own log-loss and Brier over the games
 * the rule admits (final, not tied, after the first season, with a forecast); Elo's side is a
 * real walk-forward score, better than a coin. */
static void test_elo_vs_538(void **state)
{
    (void)state;
    static const char *const f[] = {"fivethirtyeight/nfl-elo-game/nfl_games.csv"};
    struct fx_store fx;
    struct aps_history h;
    fx_open(&fx);
    fx_ingest(&fx, APS_SOURCE_FIVETHIRTYEIGHT, f, 1);
    assert_int_equal(aps_history_load(fx.c, APS_SPORT_NFL, NULL, NULL, &h), 0);
    double ll = 0, bs = 0;
    size_t n = 0;
    const char *first = NULL, *last = NULL;
    for (size_t i = 0; i < h.ngames; i++) {
        const struct aps_hist_game *g = &h.games[i];
        if (g->season_no < 1 || isnan(g->fc_538) || !aps_hist_final(g) ||
            g->home_score == g->away_score)
            continue;
        int y = g->home_score > g->away_score;
        ll -= log(y ? g->fc_538 : 1 - g->fc_538);
        bs += (g->fc_538 - y) * (g->fc_538 - y);
        first = first ? first : g->date;
        last = g->date;
        n++;
    }
    assert_true(n > 10000);
    struct aps_report_elo538 e;
    assert_int_equal(aps_report_elo_vs_538(&h, &e), 0);
    assert_int_equal(e.n, n);
    assert_string_equal(e.first, first);
    assert_string_equal(e.last, last);
    assert_near(e.ll_538, ll / (double)n, 1e-9);
    assert_near(e.brier_538, bs / (double)n, 1e-12);
    assert_true(e.ll_elo > 0.5 && e.ll_elo < log(2.0));
    assert_true(e.brier_elo > 0.15 && e.brier_elo < 0.25);
    aps_history_cleanup(&h);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_two_way),
        cmocka_unit_test(test_score_three_way),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_elo_vs_538),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
