/* test_grade.c — settlement rules of platform-spec §3.13 (moneyline two- and three-way, spreads
 * with each side's own line, totals, whole, half and Asian quarter lines, void), P/L from decimal
 * odds, and properties over seeded random games: the two sides of a spread or total grade as
 * mirror images, and both sides staked to the same payout never profit against a margin. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "fixture.c"
#include "odds/grade.h"

static enum aps_grade_result grade(enum aps_market m, enum aps_selection sel, double line,
                                   bool three_way, int home, int away)
{
    struct aps_grade_pick p = {m, sel, line, three_way};
    struct aps_grade_score sc = {home, away, APS_GS_FINAL};
    enum aps_grade_result r = APS_GRADE__COUNT;
    assert_int_equal(aps_grade_bet(&p, &sc, &r), 0);
    return r;
}

#define ML(sel, three, h, a) grade(APS_MKT_MONEYLINE, APS_SEL_##sel, NAN, three, h, a)
#define SP(sel, line, h, a) grade(APS_MKT_SPREAD, APS_SEL_##sel, line, false, h, a)
#define TOT(sel, line, h, a) grade(APS_MKT_TOTAL, APS_SEL_##sel, line, false, h, a)

static void moneyline(void **state)
{
    (void)state;
    assert_int_equal(ML(HOME, false, 3, 1), APS_GRADE_WIN);
    assert_int_equal(ML(AWAY, false, 3, 1), APS_GRADE_LOSS);
    assert_int_equal(ML(HOME, false, 2, 2), APS_GRADE_PUSH); /* draw in a two-way market */
    assert_int_equal(ML(AWAY, false, 2, 2), APS_GRADE_PUSH);
    assert_int_equal(ML(HOME, true, 2, 2), APS_GRADE_LOSS);
    assert_int_equal(ML(DRAW, true, 2, 2), APS_GRADE_WIN);
    assert_int_equal(ML(DRAW, true, 0, 1), APS_GRADE_LOSS);
    assert_int_equal(ML(AWAY, true, 0, 1), APS_GRADE_WIN);
}

static void spread_whole_and_half_lines(void **state)
{
    (void)state;
    assert_int_equal(SP(HOME, -3.5, 24, 20), APS_GRADE_WIN);
    assert_int_equal(SP(AWAY, 3.5, 24, 20), APS_GRADE_LOSS);
    assert_int_equal(SP(HOME, -3.0, 23, 20), APS_GRADE_PUSH);
    assert_int_equal(SP(AWAY, 3.0, 23, 20), APS_GRADE_PUSH);
    assert_int_equal(SP(HOME, -7.0, 23, 20), APS_GRADE_LOSS);
    assert_int_equal(SP(AWAY, 7.0, 23, 20), APS_GRADE_WIN);
    assert_int_equal(SP(AWAY, -1.5, 17, 21), APS_GRADE_WIN); /* away favourite covers */
    assert_int_equal(SP(HOME, 0.0, 1, 1), APS_GRADE_PUSH);   /* draw no bet */
}

/* Only a quarter line splits a stake over two lines, so only it can end half won or lost. */
static void splits_only_on_quarter_lines(void **state)
{
    (void)state;
    assert_true(aps_grade_splits(APS_MKT_SPREAD, -0.25));
    assert_true(aps_grade_splits(APS_MKT_SPREAD, 0.75));
    assert_true(aps_grade_splits(APS_MKT_TOTAL, 2.25));
    assert_true(aps_grade_splits(APS_MKT_TOTAL, 2.75));
    assert_false(aps_grade_splits(APS_MKT_SPREAD, -0.5));
    assert_false(aps_grade_splits(APS_MKT_SPREAD, 0.0));
    assert_false(aps_grade_splits(APS_MKT_SPREAD, -1.0));
    assert_false(aps_grade_splits(APS_MKT_TOTAL, 2.5));
    assert_false(aps_grade_splits(APS_MKT_SPREAD, -0.3));
    assert_false(aps_grade_splits(APS_MKT_SPREAD, NAN));
    assert_false(aps_grade_splits(APS_MKT_MONEYLINE, -0.25));
}

static void asian_quarter_lines(void **state)
{
    (void)state;
    /* −0.25 = half on 0, half on −0.5. */
    assert_int_equal(SP(HOME, -0.25, 1, 1), APS_GRADE_HALF_LOSS);
    assert_int_equal(SP(AWAY, 0.25, 1, 1), APS_GRADE_HALF_WIN);
    assert_int_equal(SP(HOME, -0.25, 2, 1), APS_GRADE_WIN);
    assert_int_equal(SP(HOME, -0.25, 0, 1), APS_GRADE_LOSS);
    /* −0.75 = half on −0.5, half on −1. */
    assert_int_equal(SP(HOME, -0.75, 2, 1), APS_GRADE_HALF_WIN);
    assert_int_equal(SP(AWAY, 0.75, 2, 1), APS_GRADE_HALF_LOSS);
    assert_int_equal(SP(HOME, -0.75, 3, 1), APS_GRADE_WIN);
    assert_int_equal(SP(HOME, -1.25, 2, 1), APS_GRADE_HALF_LOSS);
    /* Totals: 2.25 = 2 and 2.5; 2.75 = 2.5 and 3. */
    assert_int_equal(TOT(OVER, 2.25, 1, 1), APS_GRADE_HALF_LOSS);
    assert_int_equal(TOT(UNDER, 2.25, 1, 1), APS_GRADE_HALF_WIN);
    assert_int_equal(TOT(OVER, 2.25, 2, 1), APS_GRADE_WIN);
    assert_int_equal(TOT(OVER, 2.75, 2, 1), APS_GRADE_HALF_WIN);
    assert_int_equal(TOT(UNDER, 2.75, 2, 1), APS_GRADE_HALF_LOSS);
    assert_int_equal(TOT(UNDER, 2.75, 1, 1), APS_GRADE_WIN);
}

static void totals(void **state)
{
    (void)state;
    assert_int_equal(TOT(OVER, 210.5, 110, 101), APS_GRADE_WIN);
    assert_int_equal(TOT(UNDER, 210.5, 110, 101), APS_GRADE_LOSS);
    assert_int_equal(TOT(OVER, 211.0, 110, 101), APS_GRADE_PUSH);
    assert_int_equal(TOT(UNDER, 211.0, 110, 101), APS_GRADE_PUSH);
    assert_int_equal(TOT(UNDER, 44.5, 21, 20), APS_GRADE_WIN);
}

static void void_and_not_gradable(void **state)
{
    (void)state;
    struct aps_grade_pick p = {APS_MKT_SPREAD, APS_SEL_HOME, -3.5, false};
    struct aps_grade_score sc = {-1, -1, APS_GS_CANCELLED};
    enum aps_grade_result r = APS_GRADE__COUNT;
    assert_int_equal(aps_grade_bet(&p, &sc, &r), 0);
    assert_int_equal(r, APS_GRADE_VOID);
    r = APS_GRADE__COUNT;
    /* a postponed game is not over: whether it is void is aps_grade_settle's to say */
    sc.status = APS_GS_POSTPONED;
    assert_int_equal(aps_grade_bet(&p, &sc, &r), APS_E_STATE);
    sc.status = APS_GS_SCHEDULED;
    assert_int_equal(aps_grade_bet(&p, &sc, &r), APS_E_STATE);
    sc.status = APS_GS_FINAL; /* final, but the score is unknown */
    assert_int_equal(aps_grade_bet(&p, &sc, &r), APS_E_STATE);
    assert_int_equal(r, APS_GRADE__COUNT);
}

#define H 3600
#define T0 1800000000 /* the start the pick or bet was made for */

/* aps_grade_settle on a game of status st, started (or to start) at start, at now with the
 * default 48-hour grace: the result's name, or "wait" / "invalid". */
static const char *settle(enum aps_game_status st, int home, int away, int64_t start, int64_t now)
{
    struct aps_grade_pick p = {APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, false};
    struct aps_grade_game g = {st, home, away, start, T0};
    struct aps_grade_clock clock = {now, APS_GRADE_GRACE_DEFAULT_S};
    enum aps_grade_result r = APS_GRADE__COUNT;
    int rc = aps_grade_settle(&p, &g, &clock, &r);
    if (rc)
        return rc == APS_E_STATE ? "wait" : "invalid";
    return aps_grade_result_name(r);
}

/* The one rule of picks and bets: a postponed game waits for the grace period (48 hours from
 * the start they were made for), graded on its score when played within it, void after it. */
static void settle_postponed_and_cancelled(void **state)
{
    (void)state;
    assert_int_equal(APS_GRADE_GRACE_DEFAULT_S, 48 * H);
    /* an ordinary game: waits until final, graded on its score */
    assert_string_equal(settle(APS_GS_SCHEDULED, -1, -1, T0, T0 - H), "wait");
    assert_string_equal(settle(APS_GS_IN_PROGRESS, -1, -1, T0, T0 + H), "wait");
    assert_string_equal(settle(APS_GS_FINAL, 24, 21, T0, T0 + 4 * H), "win");
    assert_string_equal(settle(APS_GS_FINAL, -1, -1, T0, T0 + 4 * H), "wait"); /* no score yet */
    /* stale data: a scheduled game whose start has not moved is never voided by the clock */
    assert_string_equal(settle(APS_GS_SCHEDULED, -1, -1, T0, T0 + 100 * H), "wait");
    /* a status the store should not hold (an unknown name) is left alone */
    assert_string_equal(settle((enum aps_game_status) - 1, -1, -1, T0 + 96 * H, T0 + 100 * H),
                        "wait");
    /* cancelled: void at once, before or after its start */
    assert_string_equal(settle(APS_GS_CANCELLED, -1, -1, T0, T0 - 72 * H), "void");
    /* postponed: waits through the grace, void from its end */
    assert_string_equal(settle(APS_GS_POSTPONED, -1, -1, T0, T0 + H), "wait");
    assert_string_equal(settle(APS_GS_POSTPONED, -1, -1, T0, T0 + 48 * H - 1), "wait");
    assert_string_equal(settle(APS_GS_POSTPONED, -1, -1, T0, T0 + 48 * H), "void");
    /* rescheduled within the grace: waits, then graded on the score at its new start */
    assert_string_equal(settle(APS_GS_SCHEDULED, -1, -1, T0 + 24 * H, T0 + 47 * H), "wait");
    assert_string_equal(settle(APS_GS_SCHEDULED, -1, -1, T0 + 48 * H, T0 + 60 * H), "wait");
    assert_string_equal(settle(APS_GS_FINAL, 21, 24, T0 + 48 * H, T0 + 60 * H), "loss");
    /* rescheduled past the grace: waits until the grace ends, then void; played, still void */
    assert_string_equal(settle(APS_GS_SCHEDULED, -1, -1, T0 + 96 * H, T0 + 47 * H), "wait");
    assert_string_equal(settle(APS_GS_SCHEDULED, -1, -1, T0 + 96 * H, T0 + 48 * H), "void");
    assert_string_equal(settle(APS_GS_IN_PROGRESS, -1, -1, T0 + 48 * H + 1, T0 + 49 * H), "void");
    assert_string_equal(settle(APS_GS_FINAL, 24, 21, T0 + 48 * H + 1, T0 + 49 * H), "void");
    /* a grace of 0: a postponed game is void from its start */
    struct aps_grade_pick p = {APS_MKT_SPREAD, APS_SEL_HOME, -3.5, false};
    struct aps_grade_game g = {APS_GS_POSTPONED, -1, -1, T0, T0};
    struct aps_grade_clock now0 = {T0, 0}, before = {T0 - 1, 0};
    enum aps_grade_result r = APS_GRADE__COUNT;
    assert_int_equal(aps_grade_settle(&p, &g, &before, &r), APS_E_STATE);
    assert_int_equal(aps_grade_settle(&p, &g, &now0, &r), 0);
    assert_int_equal(r, APS_GRADE_VOID);
    /* a void needs no valid pick; a score does */
    struct aps_grade_pick bad = {APS_MKT_SPREAD, APS_SEL_OVER, 1.5, false};
    r = APS_GRADE__COUNT;
    assert_int_equal(aps_grade_settle(&bad, &g, &now0, &r), 0);
    assert_int_equal(r, APS_GRADE_VOID);
    g.status = APS_GS_FINAL;
    g.home = 3, g.away = 1;
    assert_int_equal(aps_grade_settle(&bad, &g, &now0, &r), APS_E_INVAL);
}

static void invalid_picks(void **state)
{
    (void)state;
    struct aps_grade_score sc = {2, 1, APS_GS_FINAL};
    struct aps_grade_pick bad[] = {
        {APS_MKT_MONEYLINE, APS_SEL_DRAW, NAN, false}, {APS_MKT_MONEYLINE, APS_SEL_OVER, NAN, true},
        {APS_MKT_SPREAD, APS_SEL_OVER, 1.5, false},    {APS_MKT_SPREAD, APS_SEL_HOME, 0.3, false},
        {APS_MKT_SPREAD, APS_SEL_HOME, NAN, false},    {APS_MKT_TOTAL, APS_SEL_HOME, 2.5, false},
        {APS_MKT_TOTAL, APS_SEL_OVER, 2.6, false},     {APS_MKT__COUNT, APS_SEL_HOME, 0, false},
    };
    enum aps_grade_result r;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(aps_grade_bet(&bad[i], &sc, &r), APS_E_INVAL);
    /* An invalid pick stays invalid on a cancelled game. */
    sc.status = APS_GS_CANCELLED;
    assert_int_equal(aps_grade_bet(&bad[0], &sc, &r), APS_E_INVAL);
}

static void names_and_profit(void **state)
{
    (void)state;
    const char *names[] = {"win", "loss", "push", "void", "half_win", "half_loss"};
    for (int i = 0; i < APS_GRADE__COUNT; i++) {
        assert_string_equal(aps_grade_result_name((enum aps_grade_result)i), names[i]);
        assert_int_equal(aps_grade_result_parse(names[i]), i);
    }
    assert_int_equal(aps_grade_result_parse("WIN"), -1);
    double d = 1.0 + 100.0 / 110.0;
    assert_near(aps_grade_profit(APS_GRADE_WIN, 110.0, d), 100.0, 1e-9);
    assert_near(aps_grade_profit(APS_GRADE_WIN, 100.0, 2.5), 150.0, 1e-12);
    assert_near(aps_grade_profit(APS_GRADE_LOSS, 100.0, 2.5), -100.0, 0);
    assert_near(aps_grade_profit(APS_GRADE_HALF_WIN, 100.0, 2.5), 75.0, 1e-12);
    assert_near(aps_grade_profit(APS_GRADE_HALF_LOSS, 100.0, 2.5), -50.0, 0);
    assert_near(aps_grade_profit(APS_GRADE_PUSH, 100.0, 2.5), 0.0, 0);
    assert_near(aps_grade_profit(APS_GRADE_VOID, 100.0, 2.5), 0.0, 0);
}

static enum aps_grade_result mirror(enum aps_grade_result r)
{
    switch (r) {
    case APS_GRADE_WIN: return APS_GRADE_LOSS;
    case APS_GRADE_LOSS: return APS_GRADE_WIN;
    case APS_GRADE_HALF_WIN: return APS_GRADE_HALF_LOSS;
    case APS_GRADE_HALF_LOSS: return APS_GRADE_HALF_WIN;
    default: return r;
    }
}

/* Dutching: stakes 1/d_h and 1/d_a return 1 whichever side wins; with a margin (Σ 1/d >= 1) the
 * pair's P/L is never positive, whatever the result (halves and pushes included). */
static void check_pair_pl(struct prng *r, enum aps_grade_result a, enum aps_grade_result b)
{
    double p = prng_range(r, 0.05, 0.95), margin = prng_range(r, 0.0, 0.12);
    double da = 1 / (p * (1 + margin)), db = 1 / ((1 - p) * (1 + margin));
    if (da <= 1.0 || db <= 1.0)
        return;
    double pl = aps_grade_profit(a, 1 / da, da) + aps_grade_profit(b, 1 / db, db);
    assert_true(pl <= 1e-12);
}

static void property_sides_mirror(void **state)
{
    (void)state;
    struct prng r = {99};
    int quarter = 0, pushes = 0;
    for (int iter = 0; iter < 100000; iter++) {
        int h = prng_int(&r, 0, 130), a = prng_int(&r, 0, 130);
        double line = prng_int(&r, -80, 80) / 4.0, total = prng_int(&r, 0, 1000) / 4.0;
        enum aps_grade_result home = SP(HOME, line, h, a), away = SP(AWAY, -line, h, a);
        assert_int_equal(away, mirror(home));
        check_pair_pl(&r, home, away);
        enum aps_grade_result over = TOT(OVER, total, h, a), under = TOT(UNDER, total, h, a);
        assert_int_equal(under, mirror(over));
        check_pair_pl(&r, over, under);
        quarter += home == APS_GRADE_HALF_WIN || home == APS_GRADE_HALF_LOSS;
        pushes += home == APS_GRADE_PUSH;
    }
    assert_true(quarter > 0 && pushes > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moneyline),
        cmocka_unit_test(spread_whole_and_half_lines),
        cmocka_unit_test(asian_quarter_lines),
        cmocka_unit_test(splits_only_on_quarter_lines),
        cmocka_unit_test(totals),
        cmocka_unit_test(void_and_not_gradable),
        cmocka_unit_test(settle_postponed_and_cancelled),
        cmocka_unit_test(invalid_picks),
        cmocka_unit_test(names_and_profit),
        cmocka_unit_test(property_sides_mirror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
