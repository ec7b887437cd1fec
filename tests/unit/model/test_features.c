/* test_features.c — point-in-time features (src/model/features.c, feat_market.c, feat_leak.c).
 *
 * The leakage tests run on real data ingested into a temporary store (Premier League 2018-19 ..
 * 2022-23 from football-data, NBA 2016-17 .. 2018-19 from sportsbookreview):
 *   - truncation: the row of a game computed on the full history equals, bit for bit, the row
 *     computed on a history holding only the games of earlier days plus the game itself without
 *     its result and without its closing quotes;
 *   - poisoned future: scrambling every later game's result and odds changes no earlier row;
 *   - own close: changing a game's own closing prices and lines changes nothing in its row.
 * A small synthetic history pins the hand-checked values: the 30-day half-life (a game 30 days
 * older weighs half), rest days, back-to-backs, head-to-head orientation, the market-implied and
 * the attack/defence ratings.
 * Travel runs on the whole spreadspoke NFL file (stadium coordinates and time zones loaded into
 * the venues): a hand-checked week (2023 week 2, Seahawks at Lions) and the same leakage checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mem.h"
#include "model/features.h"

#include "fixture.c"

static int col_index(const struct aps_feat_spec *s, int col)
{
    for (int j = 0; j < s->ncols; j++)
        if (s->col[j] == col)
            return j;
    return -1;
}

/* ---- synthetic ---- */

static void synth_game(struct aps_hist_game *g, int64_t id, const char *date, int64_t home,
                       int64_t away, int hs, int as)
{
    memset(g, 0, sizeof *g);
    g->id = id;
    g->home = home;
    g->away = away;
    snprintf(g->date, sizeof g->date, "%s", date);
    snprintf(g->season, sizeof g->season, "2020");
    g->status = hs >= 0 ? APS_GS_FINAL : APS_GS_SCHEDULED;
    g->home_score = hs;
    g->away_score = as;
    g->surface = -1;
    g->fc_538 = NAN;
}

static void test_hand_checked_form(void **state)
{
    (void)state;
    struct aps_hist_game g[4];
    synth_game(&g[0], 1, "2020-01-01", 10, 20, 100, 90);  /* A beats B by 10 */
    synth_game(&g[1], 2, "2020-01-31", 20, 10, 110, 100); /* B beats A by 10, 30 days later */
    synth_game(&g[2], 3, "2020-02-01", 10, 30, 95, 95);   /* A the next day: a back-to-back */
    synth_game(&g[3], 4, "2020-02-05", 10, 20, -1, -1);   /* to predict */
    struct aps_history h = {.sport = APS_SPORT_NBA, .games = g, .ngames = 4, .nseasons = 1};
    struct aps_feat_spec spec;
    aps_feat_spec_all(&h, &spec);
    struct aps_feat_matrix m;
    assert_int_equal(aps_feat_build(&h, NULL, &spec, &m), 0);
    const double *r1 = m.x + 1 * (size_t)m.d, *r2 = m.x + 2 * (size_t)m.d, *r3 = m.x + 3 * (size_t)m.d;
    /* game 2: B (home) rested 30 days, A (away) too; h2h: one meeting, won by A (the away side) */
    assert_near(r1[col_index(&spec, APS_F_REST_HOME)], 30, 0);
    assert_near(r1[col_index(&spec, APS_F_H2H_N)], 1, 0);
    assert_near(r1[col_index(&spec, APS_F_H2H_SHARE)], 0, 0);
    assert_near(r1[col_index(&spec, APS_F_H2H_MARGIN)], -10, 0);
    /* game 3: A played yesterday */
    assert_near(r2[col_index(&spec, APS_F_REST_HOME)], 1, 0);
    assert_near(r2[col_index(&spec, APS_F_B2B_HOME)], 1, 0);
    assert_true(isnan(r2[col_index(&spec, APS_F_REST_AWAY)])); /* C never played */
    /* game 4, as of 2020-02-05: A's margins +10 (day 0, weight 1/2 after the 30 days to day 30)
     * and −10 (day 30), then 0 (day 31). Decayed sums at day 31: w = (0.5 + 1)·2^(−1/30) + 1. */
    double k = pow(2, -1.0 / 30);
    double w = (0.5 + 1) * k + 1, s = (5 - 10) * k + 0;
    assert_near(r3[col_index(&spec, APS_F_FORM_MARGIN_HOME)], s / w, 1e-12);
    assert_near(r3[col_index(&spec, APS_F_BUSY_HOME)], 2, 0);   /* days 30 and 31: within 7 days */
    assert_near(r3[col_index(&spec, APS_F_REST_HOME)], 4, 0);
    /* h2h from A's side now: A won once, lost once → share 1/2 weighted by 365-day decay */
    double k30 = pow(2, -30.0 / 365);
    assert_near(r3[col_index(&spec, APS_F_H2H_SHARE)], (1 * k30 + 0) / (k30 + 1), 1e-12);
    aps_feat_matrix_cleanup(&m);
}

/* Three games four days apart, each starting at 20:00, for the quote tests. */
static void three_games(struct aps_hist_game g[3])
{
    synth_game(&g[0], 1, "2020-01-01", 10, 20, 100, 90);
    synth_game(&g[1], 2, "2020-01-05", 20, 10, 90, 100);
    synth_game(&g[2], 3, "2020-01-09", 10, 20, 120, 80);
    for (int i = 0; i < 3; i++)
        g[i].start_time = 1577836800 + 4 * 86400 * i + 72000; /* 20:00 on each date */
}

/* The history of three_games() with quotes q: the first n2 are game 2's, the next n3 game 3's. */
static struct aps_history priced(struct aps_hist_game g[3], struct aps_hist_quote *q, size_t n2,
                                 size_t n3, struct aps_hist_book *books, size_t nbooks)
{
    g[1].q0 = 0;
    g[1].nq = n2;
    g[2].q0 = n2;
    g[2].nq = n3;
    return (struct aps_history){.sport = APS_SPORT_NBA, .games = g, .ngames = 3, .nseasons = 1,
                                .quotes = q, .nquotes = n2 + n3, .books = books,
                                .nbooks = nbooks};
}

/* A quote taken after the game's start — an in-play snapshot or a pre-match price recorded
 * late — is never a feature: the game's row is the same with and without such quotes, and the
 * leakage check (which compares against a history with them removed) passes. */
static void test_no_quote_after_start(void **state)
{
    (void)state;
    struct aps_hist_game g[3];
    three_games(g);
    struct aps_hist_book books[2] = {{"book_a", false, false}, {"book_b", false, false}};
    /* game 3: priced by live snapshots only — one before the start, one in play after it
     * (the home side leading: the in-play price says 1.05); game 2: a pre-match pair recorded
     * an hour after the start next to one recorded before it */
    int64_t s2 = g[1].start_time, s3 = g[2].start_time;
    struct aps_hist_quote q[] = {
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE, NAN, 1.80, s2 - 3600},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE, NAN, 2.10, s2 - 3600},
        {1, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE, NAN, 1.30, s2 + 3600},
        {1, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE, NAN, 3.60, s2 + 3600},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_LIVE, NAN, 1.90, s3 - 600},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_LIVE, NAN, 2.00, s3 - 600},
        {1, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_LIVE, NAN, 1.05, s3 + 3000},
        {1, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_LIVE, NAN, 12.0, s3 + 3000},
    };
    struct aps_history h = priced(g, q, 4, 4, books, 2);
    struct aps_feat_spec spec;
    aps_feat_spec_all(&h, &spec);
    int ml = col_index(&spec, APS_F_ML_HOME), nb = col_index(&spec, APS_F_ML_BOOKS);
    assert_true(ml >= 0 && nb >= 0);
    struct aps_feat_matrix m;
    assert_int_equal(aps_feat_build(&h, NULL, &spec, &m), 0);
    /* only the quotes before the start: book_a's no-vig home probability */
    double p2 = (1 / 1.80) / (1 / 1.80 + 1 / 2.10), p3 = (1 / 1.90) / (1 / 1.90 + 1 / 2.00);
    assert_near(m.x[1 * (size_t)m.d + (size_t)ml], log(p2 / (1 - p2)), 1e-12);
    assert_near(m.x[1 * (size_t)m.d + (size_t)nb], 1, 0);
    assert_near(m.x[2 * (size_t)m.d + (size_t)ml], log(p3 / (1 - p3)), 1e-12);
    size_t checked;
    long bad;
    assert_int_equal(aps_feat_leakage_check(&h, NULL, &spec, &m, 0, &checked, &bad), 0);
    assert_int_equal(checked, 3);
    assert_int_equal(bad, -1);
    aps_feat_matrix_cleanup(&m);
}

/* Line movement: open → the last quote before the start. Game 2 has an open pair two days out,
 * a pre-match pair three hours out and a later one ten minutes out (the latest per book wins),
 * and a pre-match pair recorded after the start (never read); game 3 has an open pair and live
 * snapshots only (the latest one before the start ends the move). The spread line moves from
 * −3.5 at the open to −5.5 before the start, and a post-start −9.5 is ignored. */
static void test_line_movement(void **state)
{
    (void)state;
    struct aps_hist_game g[3];
    three_games(g);
    struct aps_hist_book books[1] = {{"book_a", false, false}};
    int64_t s2 = g[1].start_time, s3 = g[2].start_time;
    struct aps_hist_quote q[] = {
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_OPEN, NAN, 2.00, s2 - 2 * 86400},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_OPEN, NAN, 1.90, s2 - 2 * 86400},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE, NAN, 1.80, s2 - 600},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE, NAN, 2.10, s2 - 600},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE, NAN, 1.95, s2 - 3 * 3600},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE, NAN, 1.95, s2 - 3 * 3600},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE, NAN, 1.20, s2 + 1800},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE, NAN, 4.50, s2 + 1800},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN, -3.5, 1.91, s2 - 2 * 86400},
        {0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_OPEN, 3.5, 1.91, s2 - 2 * 86400},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_PRE, -5.5, 1.91, s2 - 600},
        {0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_PRE, 5.5, 1.91, s2 - 600},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_PRE, -9.5, 1.91, s2 + 1800},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_PRE, -9.5, 1.91, s2 + 1900},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_OPEN, NAN, 2.50, s3 - 86400},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_OPEN, NAN, 1.55, s3 - 86400},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_LIVE, NAN, 2.20, s3 - 3600},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_LIVE, NAN, 1.70, s3 - 3600},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_LIVE, NAN, 3.00, s3 + 600},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_LIVE, NAN, 1.40, s3 + 600},
    };
    struct aps_history h = priced(g, q, 14, 6, books, 1);
    struct aps_feat_spec spec;
    aps_feat_spec_all(&h, &spec);
    int mv = col_index(&spec, APS_F_ML_MOVE), ml = col_index(&spec, APS_F_ML_HOME);
    int sp = col_index(&spec, APS_F_SPREAD), smv = col_index(&spec, APS_F_SPREAD_MOVE);
    struct aps_feat_matrix m;
    assert_int_equal(aps_feat_build(&h, NULL, &spec, &m), 0);
    const double *r2 = m.x + 1 * (size_t)m.d, *r3 = m.x + 2 * (size_t)m.d;
#define NOVIG_LOGIT(a, b) log((1 / (a)) / (1 / (b)))
    /* entry: the open; move: the 10-minute pre-match pair minus the open */
    assert_near(r2[ml], NOVIG_LOGIT(2.00, 1.90), 1e-12);
    assert_near(r2[mv], NOVIG_LOGIT(1.80, 2.10) - NOVIG_LOGIT(2.00, 1.90), 1e-12);
    assert_near(r2[sp], -3.5, 0);
    assert_near(r2[smv], -2, 0);
    /* game 3: the live snapshot an hour before the start ends the move, the in-play one is not
     * read */
    assert_near(r3[ml], NOVIG_LOGIT(2.50, 1.55), 1e-12);
    assert_near(r3[mv], NOVIG_LOGIT(2.20, 1.70) - NOVIG_LOGIT(2.50, 1.55), 1e-12);
#undef NOVIG_LOGIT
    assert_true(isnan(m.x[0 * (size_t)m.d + (size_t)mv])); /* game 1: no quotes */
    size_t checked;
    long bad;
    assert_int_equal(aps_feat_leakage_check(&h, NULL, &spec, &m, 0, &checked, &bad), 0);
    assert_int_equal(bad, -1);
    aps_feat_matrix_cleanup(&m);
}

/* Market-implied ratings, by hand. Games: A–B (close: 1.50 / 2.75, home −5.5,
 * total 210.5; 100–90), B–A four days later (close 2.00 / 1.80, home +1.5, total 205.5; 90–100),
 * A–C unplayed, A–B in the next season. Both teams new at the first game: each takes half its
 * price; the second game's row is the first's price from B's side; after it each team moves by
 * MKT_STEP (0.35) of the error and the home advantage by 0.01; C has no rating; the next season
 * shrinks the teams' ratings to 0.8. */
/* The ratings' history: A (10) hosts B (20), B hosts A (the two final scores given), A hosts C
 * (30) unplayed, and A hosts B unplayed in the next season. */
static void rating_games(struct aps_hist_game g[4], int hs0, int as0, int hs1, int as1)
{
    synth_game(&g[0], 1, "2020-01-01", 10, 20, hs0, as0);
    synth_game(&g[1], 2, "2020-01-05", 20, 10, hs1, as1);
    synth_game(&g[2], 3, "2020-01-09", 10, 30, -1, -1);
    synth_game(&g[3], 4, "2020-10-20", 10, 20, -1, -1);
    for (int i = 0; i < 4; i++)
        g[i].start_time = 1577836800 + 4 * 86400 * i + 72000;
    g[3].start_time += 280 * 86400;
    g[3].season_no = 1;
}

static void test_ratings_by_hand(void **state)
{
    (void)state;
    struct aps_hist_game g[4];
    rating_games(g, 100, 90, 90, 100);
    struct aps_hist_book books[1] = {{"book_a", false, false}};
    int64_t s1 = g[0].start_time, s2 = g[1].start_time;
    struct aps_hist_quote q[] = {
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE, NAN, 1.50, s1},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE, NAN, 2.75, s1},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE, -5.5, 1.91, s1},
        {0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE, 5.5, 1.91, s1},
        {0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE, 210.5, 1.91, s1},
        {0, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE, 210.5, 1.91, s1},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE, NAN, 2.00, s2},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE, NAN, 1.80, s2},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE, 1.5, 1.91, s2},
        {0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE, -1.5, 1.91, s2},
        {0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE, 205.5, 1.91, s2},
        {0, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE, 205.5, 1.91, s2},
    };
    g[0].q0 = 0;
    g[0].nq = 6;
    g[1].q0 = 6;
    g[1].nq = 6;
    g[2].q0 = g[3].q0 = 12;
    struct aps_history h = {.sport = APS_SPORT_NBA, .games = g, .ngames = 4, .nseasons = 2,
                            .quotes = q, .nquotes = 12, .books = books, .nbooks = 1};
    struct aps_feat_spec spec;
    aps_feat_spec_all(&h, &spec);
    int ml = col_index(&spec, APS_F_MKT_ML), sp = col_index(&spec, APS_F_MKT_SPREAD);
    int tot = col_index(&spec, APS_F_MKT_TOTAL);
    struct aps_feat_matrix m;
    assert_int_equal(aps_feat_build(&h, NULL, &spec, &m), 0);
    const double *r[4];
    for (int i = 0; i < 4; i++)
        r[i] = m.x + (size_t)i * (size_t)m.d;
    assert_true(isnan(r[0][ml]) && isnan(r[0][sp]) && isnan(r[0][tot]));
    double l0 = log(2.75 / 1.50), l1 = log(1.80 / 2.00);
    /* ratings after game 1: A +l0/2, B −l0/2; spread A +2.75, B −2.75; the total's mean 210.5 */
    assert_near(r[1][ml], -l0, 1e-12);
    assert_near(r[1][sp], -5.5, 1e-12);
    assert_near(r[1][tot], 210.5, 1e-12);
    double e = l1 + l0;                     /* game 2's errors */
    double a = l0 / 2 - 0.35 * e, b = -l0 / 2 + 0.35 * e, base = 0.01 * e;
    assert_true(isnan(r[2][ml]) && isnan(r[2][sp])); /* C never priced */
    assert_near(r[3][ml], base + 0.8 * (a - b), 1e-12);
    assert_near(r[3][sp], 0.04 + 0.8 * (1.35 - -1.35), 1e-12);
    assert_near(r[3][tot], 210.5 - 0.05 + 0.8 * (-1.75 - 1.75), 1e-12);
    size_t checked;
    long bad;
    assert_int_equal(aps_feat_leakage_check(&h, NULL, &spec, &m, 0, &checked, &bad), 0);
    assert_int_equal(bad, -1);
    aps_feat_matrix_cleanup(&m);
}

/* Attack and defence by hand: the first final game sets the base (mean score 2) and moves no
 * team; the second (B at home loses 0-2, both expected to score 2) moves B's attack down and A's
 * defence up by SCORE_STEP 0.03 times the error over the mean score, the base and home advantage
 * by half of it (1/n at the 2nd game); a new season keeps 0.8 of each rating. */
static void test_score_ratings_by_hand(void **state)
{
    (void)state;
    struct aps_hist_game g[4];
    rating_games(g, 3, 1, 0, 2);
    struct aps_history h = {.sport = APS_SPORT_EPL, .games = g, .ngames = 4, .nseasons = 2};
    struct aps_feat_spec spec;
    aps_feat_spec_all(&h, &spec);
    int sh = col_index(&spec, APS_F_SCORE_HOME), sa = col_index(&spec, APS_F_SCORE_AWAY);
    assert_true(sh >= 0 && sa >= 0);
    struct aps_feat_matrix m;
    assert_int_equal(aps_feat_build(&h, NULL, &spec, &m), 0);
    const double *r[4];
    for (int i = 0; i < 4; i++)
        r[i] = m.x + (size_t)i * (size_t)m.d;
    assert_true(isnan(r[0][sh]) && isnan(r[0][sa])); /* no final game yet */
    assert_near(r[1][sh], 2, 1e-12);                 /* the base alone */
    assert_near(r[1][sa], 2, 1e-12);
    assert_true(isnan(r[2][sh]) && isnan(r[2][sa])); /* C has not played */
    /* after game 2: base log 2 − 0.25, home −0.5, B attack −0.03, A defence +0.03; ×0.8 */
    assert_near(r[3][sh], 2 * exp(-0.25 - 0.25), 1e-12);
    assert_near(r[3][sa], 2 * exp(-0.25 + 0.25 - 0.8 * 0.03 - 0.8 * 0.03), 1e-12);
    size_t checked;
    long bad;
    assert_int_equal(aps_feat_leakage_check(&h, NULL, &spec, &m, 0, &checked, &bad), 0);
    assert_int_equal(bad, -1);
    aps_feat_matrix_cleanup(&m);
}

/* A finished game without closing prices teaches the ratings its entry: the open when a book
 * quoted it (not the later pre-match price), for every market. */
static void test_ratings_from_entry(void **state)
{
    (void)state;
    struct aps_hist_game g[2];
    synth_game(&g[0], 1, "2020-01-01", 10, 20, 100, 90);
    synth_game(&g[1], 2, "2020-01-05", 10, 20, -1, -1);
    g[0].start_time = 1577836800 + 72000;
    g[1].start_time = g[0].start_time + 4 * 86400;
    struct aps_hist_book books[1] = {{"book_a", false, false}};
    int64_t t = g[0].start_time - 86400;
    struct aps_hist_quote q[] = {
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_OPEN, NAN, 1.60, t},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_OPEN, NAN, 2.40, t},
        {0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE, NAN, 1.40, t + 3600},
        {0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE, NAN, 3.00, t + 3600},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN, -4.5, 1.91, t},
        {0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_OPEN, 4.5, 1.91, t},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_PRE, -6.5, 1.91, t + 3600},
        {0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_PRE, 6.5, 1.91, t + 3600},
        {0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_PRE, 199.5, 1.91, t + 3600},
        {0, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_PRE, 199.5, 1.91, t + 3600},
    };
    g[0].q0 = 0;
    g[0].nq = 10;
    g[1].q0 = 10;
    struct aps_history h = {.sport = APS_SPORT_NBA, .games = g, .ngames = 2, .nseasons = 1,
                            .quotes = q, .nquotes = 10, .books = books, .nbooks = 1};
    struct aps_feat_spec spec;
    aps_feat_spec_all(&h, &spec);
    struct aps_feat_matrix m;
    assert_int_equal(aps_feat_build(&h, NULL, &spec, &m), 0);
    const double *r1 = m.x + (size_t)m.d;
    /* both teams new: the second game's prediction is the first game's entry exactly */
    assert_near(r1[col_index(&spec, APS_F_MKT_ML)], log(2.40 / 1.60), 1e-12);
    assert_near(r1[col_index(&spec, APS_F_MKT_SPREAD)], 4.5, 1e-12);
    assert_near(r1[col_index(&spec, APS_F_MKT_TOTAL)], 199.5, 1e-12); /* no open: pre-match */
    aps_feat_matrix_cleanup(&m);
}

/* ---- real data ---- */

struct real {
    struct fx_store fx;
    struct aps_history h;
    struct aps_feat_extras x;
    struct aps_feat_spec spec;
    struct aps_feat_matrix m;
};

/* Loads the games from date `from` on (NULL: all). */
static void real_load(struct real *r, enum aps_source src, const char *const *files, size_t n,
                      enum aps_sport sport, const char *from)
{
    struct aps_feat_spec all;
    struct aps_feat_matrix m0;
    fx_open(&r->fx);
    fx_ingest(&r->fx, src, files, n);
    assert_int_equal(aps_history_load(r->fx.c, sport, from, NULL, &r->h), 0);
    assert_true(r->h.ngames > 1000);
    assert_int_equal(aps_feat_extras_load(r->fx.c, &r->h, &r->x), 0);
    aps_feat_spec_all(&r->h, &all);
    assert_int_equal(aps_feat_build(&r->h, &r->x, &all, &m0), 0);
    aps_feat_spec_prune(&m0, &r->h, &all, &r->spec);
    aps_feat_matrix_cleanup(&m0);
    assert_true(col_index(&r->spec, APS_F_ELO_DIFF) >= 0);
    assert_int_equal(aps_feat_build(&r->h, &r->x, &r->spec, &r->m), 0);
}

static void real_free(struct real *r)
{
    aps_feat_matrix_cleanup(&r->m);
    aps_feat_extras_cleanup(&r->x);
    aps_history_cleanup(&r->h);
    fx_close(&r->fx);
}

static void truncation_check(struct real *r, int market_col)
{
    size_t checked;
    long bad;
    assert_true(col_index(&r->spec, market_col) >= 0); /* the market is among the features */
    assert_int_equal(aps_feat_leakage_check(&r->h, &r->x, &r->spec, &r->m, 150, &checked, &bad), 0);
    assert_true(checked >= 140);
    if (bad >= 0)
        fail_msg("game %ld (%s) differs on the truncated history", bad, r->h.games[bad].date);
}

static bool rows_equal(const double *a, const double *b, int d)
{
    for (int j = 0; j < d; j++)
        if (!(isnan(a[j]) && isnan(b[j])) && memcmp(&a[j], &b[j], sizeof a[j]))
            return false;
    return true;
}

/* Scrambles the results and odds of every game from index cut on; rows before cut's day must not
 * move. */
static void poison_check(struct real *r)
{
    struct aps_history p = r->h;
    size_t cut = r->h.ngames / 2;
    while (cut > 0 && !strcmp(r->h.games[cut - 1].date, r->h.games[cut].date))
        cut--;
    p.games = aps_malloc(p.ngames * sizeof *p.games);
    p.quotes = aps_malloc(p.nquotes * sizeof *p.quotes);
    memcpy(p.games, r->h.games, p.ngames * sizeof *p.games);
    memcpy(p.quotes, r->h.quotes, p.nquotes * sizeof *p.quotes);
    for (size_t gi = cut; gi < p.ngames; gi++) {
        struct aps_hist_game *g = &p.games[gi];
        g->home_score = (int)(gi * 7 % 5);
        g->away_score = (int)(gi * 3 % 4);
        for (size_t q = g->q0; q < g->q0 + g->nq; q++)
            p.quotes[q].price = 1.01 + (double)((q * 13) % 40) / 10;
    }
    struct aps_feat_matrix pm;
    assert_int_equal(aps_feat_build(&p, &r->x, &r->spec, &pm), 0);
    for (size_t gi = 0; gi < cut; gi++)
        if (!rows_equal(r->m.x + gi * (size_t)r->m.d, pm.x + gi * (size_t)pm.d, r->m.d))
            fail_msg("row of game %zu changed when later games were scrambled", gi);
    /* and the scrambling did reach later rows (the check can fail) */
    size_t changed = 0;
    for (size_t gi = cut; gi < p.ngames; gi++)
        changed += !rows_equal(r->m.x + gi * (size_t)r->m.d, pm.x + gi * (size_t)pm.d, r->m.d);
    assert_true(changed > (p.ngames - cut) / 2);
    aps_feat_matrix_cleanup(&pm);
    aps_free(p.games);
    aps_free(p.quotes);
}

/* Changes every closing quote of one game: its own row stays, later rows may move. */
static void own_close_check(struct real *r)
{
    struct aps_history p = r->h;
    size_t gi = r->h.ngames * 3 / 4;
    p.quotes = aps_malloc(p.nquotes * sizeof *p.quotes);
    memcpy(p.quotes, r->h.quotes, p.nquotes * sizeof *p.quotes);
    const struct aps_hist_game *g = &p.games[gi];
    size_t closes = 0;
    for (size_t q = g->q0; q < g->q0 + g->nq; q++)
        if (p.quotes[q].phase == APS_PHASE_CLOSE) {
            p.quotes[q].price += 0.7;
            if (!isnan(p.quotes[q].line))
                p.quotes[q].line += 3;
            closes++;
        }
    assert_true(closes > 0);
    struct aps_feat_matrix pm;
    assert_int_equal(aps_feat_build(&p, &r->x, &r->spec, &pm), 0);
    assert_true(rows_equal(r->m.x + gi * (size_t)r->m.d, pm.x + gi * (size_t)pm.d, r->m.d));
    aps_feat_matrix_cleanup(&pm);
    aps_free(p.quotes);
}

/* The attack/defence ratings on real scores: over the second half of the history, the expected
 * scores add up to the scored total within 10 % on average, and the expected margin goes with the
 * real one (correlation above min_r). */
static void scores_check(struct real *r, double min_r)
{
    int sh = col_index(&r->spec, APS_F_SCORE_HOME), sa = col_index(&r->spec, APS_F_SCORE_AWAY);
    assert_true(sh >= 0 && sa >= 0);
    double ex = 0, real = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    size_t n = 0;
    for (size_t gi = r->h.ngames / 2; gi < r->h.ngames; gi++) {
        const struct aps_hist_game *g = &r->h.games[gi];
        const double *row = r->m.x + gi * (size_t)r->m.d;
        if (!aps_hist_final(g) || isnan(row[sh]))
            continue;
        double x = row[sh] - row[sa], y = g->home_score - g->away_score;
        ex += row[sh] + row[sa];
        real += g->home_score + g->away_score;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
        n++;
    }
    assert_true(n > r->h.ngames / 4);
    assert_true(ex / real > 0.9 && ex / real < 1.1);
    double cov = sxy - sx * sy / (double)n;
    double corr = cov / sqrt((sxx - sx * sx / (double)n) * (syy - sy * sy / (double)n));
    if (!(corr > min_r))
        fail_msg("expected and real margins correlate %.3f (at least %.2f expected)", corr, min_r);
}

static void test_leakage_epl(void **state)
{
    (void)state;
    struct real r;
    real_load(&r, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, NULL);
    assert_true(col_index(&r.spec, APS_F_ML_DRAW) >= 0);
    truncation_check(&r, APS_F_ML_HOME);
    poison_check(&r);
    own_close_check(&r);
    scores_check(&r, 0.3); /* measured 0.46 on 948 games */
    real_free(&r);
}

/* The pruned matrix taken from the full one equals the one built with the pruned spec, bit for
 * bit; a spec with a column the source lacks, or a per-book column of another book, is refused. */
static void test_matrix_select(void **state)
{
    (void)state;
    struct real r;
    real_load(&r, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, NULL);
    struct aps_feat_spec all;
    struct aps_feat_matrix m0, sel;
    aps_feat_spec_all(&r.h, &all);
    assert_int_equal(aps_feat_build(&r.h, &r.x, &all, &m0), 0);
    assert_true(r.spec.ncols < all.ncols);
    assert_int_equal(aps_feat_matrix_select(&m0, &all, &r.spec, &sel), 0);
    assert_int_equal(sel.n, r.m.n);
    assert_int_equal(sel.d, r.m.d);
    assert_memory_equal(sel.x, r.m.x, r.m.n * (size_t)r.m.d * sizeof *sel.x);
    assert_memory_equal(sel.elo, r.m.elo, r.m.n * 3 * sizeof *sel.elo);
    aps_feat_matrix_cleanup(&sel);
    struct aps_feat_matrix none;
    assert_int_equal(aps_feat_matrix_select(&r.m, &r.spec, &all, &none), APS_E_INVAL);
    int b = -1;
    for (int j = 0; j < r.spec.ncols; j++)
        if (r.spec.col[j] >= APS_F_BOOK0)
            b = r.spec.col[j] - APS_F_BOOK0;
    assert_true(b >= 0); /* EPL keeps per-book columns */
    struct aps_feat_spec other = r.spec;
    snprintf(other.books[b], sizeof other.books[b], "another_book");
    assert_int_equal(aps_feat_matrix_select(&m0, &all, &other, &none), APS_E_INVAL);
    aps_feat_matrix_cleanup(&m0);
    real_free(&r);
}

/* A build that leaves out the rows before a game (the leakage check's, which compares only the
 * last row) learns from those games all the same: its rows from that game on equal the full
 * build's bit for bit, wherever the cut falls; the rows left out are NaN. */
static void test_build_from(void **state)
{
    (void)state;
    struct real r;
    real_load(&r, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, NULL);
    size_t n = r.m.n, d = (size_t)r.m.d;
    const size_t cuts[] = {0, 1, n / 3, n / 2 + 7, n - 1};
    for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
        struct aps_feat_matrix m;
        size_t first = cuts[c];
        assert_int_equal(aps_feat_build_from(&r.h, &r.x, &r.spec, first, &m), 0);
        assert_int_equal(m.n, n);
        assert_memory_equal(m.x + first * d, r.m.x + first * d, (n - first) * d * sizeof *m.x);
        assert_memory_equal(m.elo + first * 3, r.m.elo + first * 3,
                            (n - first) * 3 * sizeof *m.elo);
        for (size_t i = 0; i < first * d; i++)
            assert_true(isnan(m.x[i]));
        aps_feat_matrix_cleanup(&m);
    }
    real_free(&r);
}

static void test_leakage_nba(void **state)
{
    (void)state;
    struct real r;
    real_load(&r, APS_SOURCE_SBR, fx_nba, 3, APS_SPORT_NBA, NULL);
    /* SBR's NBA moneylines are closing prices only: no moneyline feature may exist */
    assert_int_equal(col_index(&r.spec, APS_F_ML_HOME), -1);
    truncation_check(&r, APS_F_SPREAD);
    poison_check(&r);
    own_close_check(&r);
    scores_check(&r, 0.3); /* measured 0.40 on 1967 games */
    real_free(&r);
}

/* Lambeau Field to Soldier Field (nfl_stadiums.csv's coordinates): 294.85 km by the spherical law
 * of cosines, 6371 km radius, computed by hand independently of the haversine form. */
static void test_haversine_stadiums(void **state)
{
    (void)state;
    assert_near(aps_feat_haversine_km(44.4794, -88.1366, 41.8558, -87.6094), 294.8456, 1e-3);
    assert_near(aps_feat_haversine_km(41.8558, -87.6094, 44.4794, -88.1366), 294.8456, 1e-3);
    assert_near(aps_feat_haversine_km(44.4794, -88.1366, 44.4794, -88.1366), 0, 1e-9);
    assert_true(isnan(aps_feat_haversine_km(NAN, 0, 1, 1)));
}

static size_t find_game(struct real *r, const char *date, const char *home)
{
    int64_t id = 0;
    assert_int_equal(aps_conn_query_row(r->fx.c,
                                        "SELECT g.id FROM games g JOIN teams t ON t.id ="
                                        " g.home_team_id WHERE g.game_date = ?1 AND t.name = ?2",
                                        "i", &id, "ss", date, home),
                     0);
    for (size_t gi = 0; gi < r->h.ngames; gi++)
        if (r->h.games[gi].id == id)
            return gi;
    fail_msg("no game on %s at %s", date, home);
    return 0;
}

/* 2023 week 2, Seahawks at Lions (Ford Field, 2023-09-17). The Lions' previous game was week 1
 * at Kansas City (GEHA Field at Arrowhead Stadium): 1029.70 km and one hour east; the Seahawks'
 * was at home (Lumen Field): 3110.34 km and three hours east (both by the law of cosines on
 * nfl_venues.c's coordinates, by hand). Computed on the full file, and again on the history cut
 * just before that day: the same values. */
static void test_travel_nfl_week(void **state)
{
    (void)state;
    static const char *const files[] = {"spreadspoke/spreadspoke_scores.csv"};
    struct real r;
    /* from 1980: before 1970 start times are negative while the stored quotes say 0, which the
     * time cut of the leakage check reads as after the start */
    real_load(&r, APS_SOURCE_SPREADSPOKE, files, 1, APS_SPORT_NFL, "1980-01-01");
    int jd[2] = {col_index(&r.spec, APS_F_TRAVEL_HOME), col_index(&r.spec, APS_F_TRAVEL_AWAY)};
    int jz[2] = {col_index(&r.spec, APS_F_TZ_HOME), col_index(&r.spec, APS_F_TZ_AWAY)};
    assert_true(jd[0] >= 0 && jd[1] >= 0 && jz[0] >= 0 && jz[1] >= 0);
    size_t gi = find_game(&r, "2023-09-17", "Detroit Lions");
    const double *row = r.m.x + gi * (size_t)r.m.d;
    assert_near(row[jd[0]], 1029.70, 0.01);
    assert_near(row[jz[0]], 1.0, 1e-12);
    assert_near(row[jd[1]], 3110.34, 0.01);
    assert_near(row[jz[1]], 3.0, 1e-12);
    struct aps_history t;
    struct aps_feat_extras tx;
    struct aps_feat_matrix tm;
    assert_int_equal(aps_feat_truncate(&r.h, &r.x, gi, &t, &tx), 0);
    assert_int_equal(aps_feat_build(&t, &tx, &r.spec, &tm), 0);
    const double *cut = tm.x + (tm.n - 1) * (size_t)tm.d;
    for (int k = 0; k < 2; k++) {
        assert_near(cut[jd[k]], row[jd[k]], 0);
        assert_near(cut[jz[k]], row[jz[k]], 0);
    }
    aps_feat_matrix_cleanup(&tm);
    aps_feat_truncated_cleanup(&t, &tx);
    /* a neutral-site game: both sides travel (2023 week 4, Jaguars v Falcons at Wembley) */
    size_t ni = find_game(&r, "2023-10-01", "Jacksonville Jaguars");
    assert_true(r.h.games[ni].neutral);
    const double *nrow = r.m.x + ni * (size_t)r.m.d;
    assert_true(nrow[jd[0]] > 5000 && nrow[jd[1]] > 5000);
    assert_true(nrow[jz[0]] >= 5 && nrow[jz[1]] >= 5);
    truncation_check(&r, APS_F_TRAVEL_AWAY); /* spreadspoke's lines are closing: no market column */
    poison_check(&r);
    real_free(&r);
}

static void test_spec_json(void **state)
{
    (void)state;
    struct aps_feat_spec s = {0}, t;
    s.col[s.ncols++] = APS_F_ELO_DIFF;
    s.col[s.ncols++] = APS_F_BOOK0 + 1;
    snprintf(s.books[1], sizeof s.books[1], "pinnacle");
    char *js = aps_feat_spec_to_json(&s), name[48];
    assert_int_equal(aps_feat_spec_from_json(js, &t), 0);
    assert_int_equal(t.ncols, 2);
    assert_int_equal(t.col[1], APS_F_BOOK0 + 1);
    assert_string_equal(aps_feat_spec_name(&t, 1, name, sizeof name), "ml_pinnacle");
    assert_int_equal(aps_feat_spec_from_json("{\"cols\":[\"nope\"]}", &t), APS_E_PARSE);
    aps_free(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_checked_form),     cmocka_unit_test(test_spec_json),
        cmocka_unit_test(test_no_quote_after_start),  cmocka_unit_test(test_line_movement),
        cmocka_unit_test(test_ratings_by_hand),       cmocka_unit_test(test_ratings_from_entry),
        cmocka_unit_test(test_score_ratings_by_hand), cmocka_unit_test(test_leakage_epl),
        cmocka_unit_test(test_leakage_nba),           cmocka_unit_test(test_build_from),
        cmocka_unit_test(test_matrix_select),         cmocka_unit_test(test_haversine_stadiums),
        cmocka_unit_test(test_travel_nfl_week),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
