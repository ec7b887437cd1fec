/* test_track_record.c — the graded record (engine/track_record.h) and the betting equity
 * (engine/equity.h): counting half results whole and voids as unstaked, the summary's rates and
 * Wilson interval, the CLV histogram's bins, and the equity and drawdown of a bankroll's movements
 * with deposits and withdrawals taken out. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/equity.h"
#include "engine/track_record.h"
#include "odds/grade.h"
#include "odds/scoring.h"

static void test_record_counts(void **state)
{
    (void)state;
    struct aps_record r = {0};
    /* result, count, staked, profit, clv_n, clv_pos, clv_sum, clv_unit */
    const struct aps_record_rows rows[] = {
        {APS_GRADE_WIN, 5, 5, 4.5, 4, 3, 0.08, APS_RECORD_CLV_PRICE},
        {APS_GRADE_HALF_WIN, 1, 1, 0.45, 1, 1, 0.02, APS_RECORD_CLV_PRICE},
        {APS_GRADE_LOSS, 3, 3, -3, 3, 0, -0.03, APS_RECORD_CLV_PRICE},
        {APS_GRADE_HALF_LOSS, 1, 1, -0.5, 0, 0, 0, APS_RECORD_CLV_PRICE},
        {APS_GRADE_PUSH, 2, 2, 0, 2, 1, 0.01, APS_RECORD_CLV_PRICE},
        {APS_GRADE_VOID, 4, 4, 0, 0, 0, 0, APS_RECORD_CLV_PRICE},
        {-1, 1, 0, 0, 0, 0, 0, APS_RECORD_CLV_PRICE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        aps_record_add(&r, &rows[i]);
    assert_int_equal(r.n, 17);
    assert_int_equal(r.wins, 6);
    assert_int_equal(r.losses, 4);
    assert_int_equal(r.pushes, 2);
    assert_int_equal(r.voids, 4);
    assert_true(r.staked == 12); /* the voids' 4 are not staked */
    assert_true(fabs(r.profit - 1.45) < 1e-12);
    struct aps_record_summary s;
    aps_record_summarize(&r, &s);
    assert_true(fabs(s.win_rate - 0.6) < 1e-12);
    double lo, hi;
    assert_int_equal(aps_score_wilson(6, 10, 1.96, &lo, &hi), 0);
    assert_true(s.win_rate_lo == lo && s.win_rate_hi == hi);
    assert_true(s.win_rate_lo < 0.6 && s.win_rate_hi > 0.6);
    assert_true(fabs(s.roi - 1.45 / 12) < 1e-12);
    assert_true(fabs(s.clv_mean - 0.08 / 10) < 1e-12);
    assert_true(fabs(s.clv_positive_share - 0.5) < 1e-12);
}

/* A moneyline's CLV (a fraction of the stake) and a spread's (points) have no common mean: the
 * record of both gives none; the record of one unit does. */
static void test_record_clv_units(void **state)
{
    (void)state;
    struct aps_record all = {0}, points = {0};
    struct aps_record_rows ml = {APS_GRADE_WIN, 2, 2, 1.8, 2, 1, -0.02, APS_RECORD_CLV_PRICE};
    struct aps_record_rows sp = {APS_GRADE_LOSS, 1, 1, -1, 1, 1, 1.5, APS_RECORD_CLV_POINTS};
    aps_record_add(&all, &ml);
    aps_record_add(&all, &sp);
    aps_record_add(&points, &sp);
    struct aps_record_summary s;
    aps_record_summarize(&all, &s);
    assert_true(isnan(s.clv_mean));
    assert_true(fabs(s.clv_positive_share - 2.0 / 3) < 1e-12);
    aps_record_summarize(&points, &s);
    assert_true(fabs(s.clv_mean - 1.5) < 1e-12);
}

static void test_record_empty(void **state)
{
    (void)state;
    struct aps_record r = {0};
    struct aps_record_rows voids = {APS_GRADE_VOID, 2, 2, 0, 0, 0, 0, APS_RECORD_CLV_PRICE};
    aps_record_add(&r, &voids);
    struct aps_record_summary s;
    aps_record_summarize(&r, &s);
    assert_true(isnan(s.win_rate) && isnan(s.win_rate_lo) && isnan(s.win_rate_hi));
    assert_true(isnan(s.roi) && isnan(s.clv_mean) && isnan(s.clv_positive_share));
}

static void test_clv_histogram(void **state)
{
    (void)state;
    struct aps_record_clv_hist h;
    aps_record_clv_histogram(NULL, 0, &h);
    assert_int_equal(h.nbins, 0);
    const double same[] = {0.01, 0.01, 0.01};
    aps_record_clv_histogram(same, 3, &h);
    assert_int_equal(h.nbins, 1);
    assert_int_equal(h.count[0], 3);
    const double clv[] = {-0.10, 0.10, 0.0, -0.095, 0.099, 0.001};
    aps_record_clv_histogram(clv, 6, &h);
    assert_int_equal(h.nbins, APS_RECORD_CLV_BINS);
    assert_true(h.lo == -0.10 && h.hi == 0.10);
    assert_true(fabs(h.width - 0.01) < 1e-15);
    assert_int_equal(h.count[0], 2);                        /* -0.10 and -0.095 */
    assert_int_equal(h.count[APS_RECORD_CLV_BINS - 1], 2);  /* the largest lands in the last */
    assert_int_equal(h.count[10], 2);                       /* 0.0 and 0.001 */
    int64_t total = 0;
    for (int b = 0; b < h.nbins; b++)
        total += h.count[b];
    assert_int_equal(total, 6);
}

/* Opening 1000, stakes 100 and 200 (900, 700), a deposit of 500 (1200), a payout of 185 (1385),
 * a withdrawal of 300 (1085), a stake of 50 (1035). Equity: 1000 900 700 700 885 885 835. */
static void test_equity(void **state)
{
    (void)state;
    struct aps_equity q;
    aps_equity_init(&q);
    assert_true(isnan(aps_equity_max_drawdown(&q)));
    struct {
        const char *kind;
        double amount, balance, equity, dd;
    } mv[] = {
        {"deposit", 1000, 1000, 1000, 0},      {"stake", -100, 900, 900, 0.1},
        {"stake", -200, 700, 700, 0.3},        {"deposit", 500, 1200, 700, 0.3},
        {"payout", 185, 1385, 885, 0.115},     {"withdrawal", -300, 1085, 885, 0.115},
        {"stake", -50, 1035, 835, 0.165},
    };
    for (size_t i = 0; i < sizeof mv / sizeof mv[0]; i++) {
        double dd;
        double e = aps_equity_feed(&q, mv[i].kind, (int64_t)(mv[i].amount * 100),
                                   (int64_t)(mv[i].balance * 100), &dd);
        assert_true(fabs(e - mv[i].equity) < 1e-9);
        assert_true(fabs(dd - mv[i].dd) < 1e-12);
    }
    assert_int_equal(q.points, 5); /* the later deposit and withdrawal are not points */
    assert_true(fabs(aps_equity_max_drawdown(&q) - 0.3) < 1e-12);
    assert_true(aps_equity_external("withdrawal") && !aps_equity_external("stake"));
    assert_false(aps_equity_external(NULL));
}

/* The maximum drawdown of the equity is odds/scoring.h's over the same series. */
static void test_equity_matches_series(void **state)
{
    (void)state;
    const double bal[] = {500, 520, 480, 610, 300, 450, 700, 640};
    struct aps_equity q;
    aps_equity_init(&q);
    for (size_t i = 0; i < 8; i++)
        (void)aps_equity_feed(&q, i ? "payout" : "deposit", 0, (int64_t)(bal[i] * 100), NULL);
    double want;
    assert_int_equal(aps_score_max_drawdown(bal, 8, &want), 0);
    assert_true(aps_equity_max_drawdown(&q) == want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_counts), cmocka_unit_test(test_record_clv_units),
        cmocka_unit_test(test_record_empty),  cmocka_unit_test(test_clv_histogram),
        cmocka_unit_test(test_equity),        cmocka_unit_test(test_equity_matches_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
