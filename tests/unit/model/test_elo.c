/* test_elo.c — unit tests of the Elo engine (src/model/elo.c).
 *
 * The heart is an oracle test: FiveThirtyEight's published NFL Elo (nfl_games.csv, 16,810 games
 * 1920–2021, data/README.md §2.2) replayed with 538's documented parameters must give back their
 * pre-game ratings and probabilities. What it takes to match every game, found from the data:
 *
 *  - Formula: elo_prob1 = 1/(1 + 10^(-(elo1 - elo2 + 65·!neutral)/400)) exactly (to 1e-15) from the
 *    file's own elo1/elo2; K 20; MOV multiplier ln(max(|pd|,1)+1)·2.2/(d_w·0.001+2.2) where d_w is
 *    the winner's edge *including* home advantage (elo1 + H − elo2 when team1 won, its negative
 *    when team2 won); for a tie the multiplier is ln(2)·2.2 (the denominator is 1.0 there).
 *    Playoff games and neutral sites use the same K; neutral sites only drop H.
 *  - Seasons: 1/3 toward 1505 at the first game of a season (the `season` column; January
 *    playoff games belong to the season before).
 *  - New teams: every team's first rating is its row in initial_elos.csv (all 123 teams are
 *    listed; most new franchises get 1300, and 538 baked some franchise history into the list:
 *    BAL 1432.223 is the 1995 Browns regressed once, STG and CRP are the 1943/1944 war-time
 *    mergers).
 *  - A team returning after one or more missed seasons regresses toward 1300, not 1505, once per
 *    season boundary since its last game (params.lapse_to_initial): CBD 1925, LOU 1926, RAC 1926,
 *    CIB 1927, BFF 1929, MNN 1929, LAR 1944. Regressing them toward 1505 instead first fails at
 *    CBD–RCH 1925-09-27 (1671.38 vs 538's 1502.032).
 *  - Three franchise events 538's file does not spell out (elo_events below): PHI 1944 continues
 *    the 1943 Steagles (STG), PIT and ARI 1945 both continue the 1944 Card-Pitt (CRP), each
 *    regressed once toward 1505; CLE 1999 (the re-founded Browns) restarts at 1300.
 *  - Precision: up to the first week of 2015, 538's file (and initial_elos.csv) hold ratings
 *    rounded to 3 decimals, and elo_prob1 is computed from those rounded values, so no exact engine
 *    can match elo_prob1 closer than about 1.5e-6 there (a 0.0005 rounding in each rating): 758
 *    games of 1920–2015 differ by more than 1e-6 (at most 1.66e-6; ratings by at most 0.0009). From
 *    2015 week 2 on, the file has full precision; 538's chain restarted from the rounded 2015
 *    week-1 ratings, so the replay takes each team's first 2015 rating from the file (32 values).
 *    After that the match is exact: ratings within 1e-9, probabilities within 1e-12.
 *
 * The other tests pin the reference's worked example, zero-sum updates (the reference's defect:
 * E_home + E_away != 1 with home advantage), symmetry at neutral sites, season regression,
 * three-way probabilities, tennis, defaults and the hash table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/csv.h"
#include "core/mem.h"
#include "core/str.h"
#include "model/elo.h"

#define NFL_GAMES APS_DATA_DIR_DEFAULT "/fivethirtyeight/nfl-elo-game/nfl_games.csv"
#define NFL_INITIAL APS_DATA_DIR_DEFAULT "/fivethirtyeight/nfl-elo-game/initial_elos.csv"

#define assert_near(a, b, eps)                                                                 \
    do {                                                                                       \
        double a_ = (a), b_ = (b);                                                             \
        if (!(fabs(a_ - b_) <= (eps)))                                                         \
            fail_msg("%s = %.12g, %s = %.12g, differ by more than %g", #a, a_, #b, b_, (eps)); \
    } while (0)

static struct aps_elo_params plain_params(double k, double h)
{
    return (struct aps_elo_params){.k = k,
                                   .home_adv = h,
                                   .mov = APS_ELO_MOV_NONE,
                                   .regress = 0,
                                   .mean = 1500,
                                   .initial = 1500,
                                   .scale = 400,
                                   .has_home = true};
}

static void play(struct aps_elo *e, int64_t home, int64_t away, bool neutral, int hs, int as,
                 struct aps_elo_result *res)
{
    struct aps_elo_game g = {.home = home, .away = away, .neutral = neutral};
    assert_int_equal(aps_elo_update(e, &g, hs, as, res), 0);
}

static double prob(const struct aps_elo *e, int64_t home, int64_t away, bool neutral)
{
    struct aps_elo_game g = {.home = home, .away = away, .neutral = neutral};
    double p = -1;
    assert_int_equal(aps_elo_prob(e, &g, &p), 0);
    return p;
}

/* ---- formula and small cases ---------------------------------------------------------------- */

static void test_expect(void **state)
{
    (void)state;
    assert_near(aps_elo_expect(0), 0.5, 1e-15);
    assert_near(aps_elo_expect(400), 10.0 / 11.0, 1e-15);
    assert_near(aps_elo_expect(-400), 1.0 / 11.0, 1e-15);
    assert_near(aps_elo_expect(123.4) + aps_elo_expect(-123.4), 1.0, 1e-15);
}

/* platform-spec.md §3.7: 1500 vs 1500, K 32, no home advantage → win 1516, loss 1484. */
static void test_docs_example(void **state)
{
    (void)state;
    struct aps_elo_params p = plain_params(32, 0);
    struct aps_elo e;
    struct aps_elo_result r;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    play(&e, 1, 2, false, 24, 17, &r);
    assert_near(r.p_home, 0.5, 1e-15);
    assert_near(aps_elo_rating(&e, 1), 1516, 1e-12);
    assert_near(aps_elo_rating(&e, 2), 1484, 1e-12);
    play(&e, 3, 4, false, 0, 3, &r); /* the home side loses */
    assert_near(aps_elo_rating(&e, 3), 1484, 1e-12);
    assert_near(aps_elo_rating(&e, 4), 1516, 1e-12);
    play(&e, 5, 6, false, 1, 1, &r); /* a draw between equals moves nothing */
    assert_near(aps_elo_rating(&e, 5), 1500, 1e-12);
    aps_elo_cleanup(&e);
}

/* The reference computed the away side's expectation without the home advantage (0.640 + 0.500
 * at equal ratings with H = 100). Here E_away = 1 − E_home, so every update is zero-sum. */
static void test_home_advantage_zero_sum(void **state)
{
    (void)state;
    struct aps_elo_params p = plain_params(20, 100);
    struct aps_elo e;
    struct aps_elo_result r;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    assert_near(prob(&e, 1, 2, false), 0.6400649998, 1e-9); /* not 0.640/1.140 = 0.561 */
    play(&e, 1, 2, false, 0, 1, &r);                        /* home loses */
    assert_near(r.delta_home, -20 * 0.6400649998, 1e-7);
    assert_near(r.delta_away, -r.delta_home, 0);
    assert_near(aps_elo_rating(&e, 1) + aps_elo_rating(&e, 2), 3000, 1e-9);
    aps_elo_cleanup(&e);

    /* Many games with the 538 multiplier: the total stays put game after game. */
    p.mov = APS_ELO_MOV_FIVETHIRTYEIGHT;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    uint32_t x = 12345;
    for (int i = 0; i < 5000; i++) {
        x = x * 1103515245u + 12345u;
        int64_t h = (x >> 8) % 20, a = (h + 1 + (x >> 20) % 19) % 20;
        play(&e, h, a, (x & 7) == 0, (int)(x >> 3) % 40, (int)(x >> 13) % 40, &r);
        assert_near(r.delta_home + r.delta_away, 0, 0);
        assert_near(r.p_home, aps_elo_expect(r.home_before + 100 * ((x & 7) != 0) - r.away_before),
                    1e-15);
    }
    double sum = 0;
    for (int64_t t = 0; t < 20; t++)
        sum += aps_elo_rating(&e, t);
    assert_near(sum, 20 * 1500, 1e-8);
    aps_elo_cleanup(&e);
}

/* At a neutral site the order of the sides does not matter. */
static void test_neutral_symmetry(void **state)
{
    (void)state;
    struct aps_elo_params p = plain_params(20, 65);
    p.mov = APS_ELO_MOV_FIVETHIRTYEIGHT;
    struct aps_elo e1, e2;
    struct aps_elo_result r1, r2;
    assert_int_equal(aps_elo_init(&e1, &p), 0);
    assert_int_equal(aps_elo_init(&e2, &p), 0);
    assert_int_equal(aps_elo_set_rating(&e1, 7, 1580), 0);
    assert_int_equal(aps_elo_set_rating(&e2, 7, 1580), 0);
    assert_near(prob(&e1, 7, 9, true) + prob(&e1, 9, 7, true), 1.0, 1e-15);
    assert_true(prob(&e1, 7, 9, false) > prob(&e1, 7, 9, true)); /* H counts when not neutral */
    play(&e1, 7, 9, true, 10, 27, &r1);
    play(&e2, 9, 7, true, 27, 10, &r2);
    assert_near(r1.delta_home, r2.delta_away, 1e-12);
    assert_near(aps_elo_rating(&e1, 9), aps_elo_rating(&e2, 9), 1e-12);
    aps_elo_cleanup(&e1);
    aps_elo_cleanup(&e2);
}

/* 538's multiplier by hand: equal teams, H 65, home wins by 7; then the upset the other way. */
static void test_mov_fivethirtyeight(void **state)
{
    (void)state;
    struct aps_elo_params p = plain_params(20, 65);
    p.mov = APS_ELO_MOV_FIVETHIRTYEIGHT;
    struct aps_elo e;
    struct aps_elo_result r;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    double pe = aps_elo_expect(65);
    play(&e, 1, 2, false, 24, 17, &r);
    assert_near(r.k_eff, 20 * log(8) * 2.2 / (0.065 + 2.2), 1e-12);
    assert_near(r.delta_home, r.k_eff * (1 - pe), 1e-12);
    play(&e, 3, 4, false, 17, 24, &r); /* the away side wins: its edge is -65 */
    assert_near(r.k_eff, 20 * log(8) * 2.2 / (-0.065 + 2.2), 1e-12);
    play(&e, 5, 6, false, 0, 0, &r); /* a tie: ln(2)·2.2 */
    assert_near(r.k_eff, 20 * log(2) * 2.2, 1e-12);
    play(&e, 7, 8, false, 1, 0, &r); /* |pd| = 1 counts as 1 */
    assert_near(r.k_eff, 20 * log(2) * 2.2 / (0.065 + 2.2), 1e-12);
    aps_elo_cleanup(&e);
}

static void test_season_regression(void **state)
{
    (void)state;
    struct aps_elo_params p = plain_params(20, 65);
    p.regress = 1.0 / 3.0;
    p.mean = 1505;
    p.initial = 1300;
    struct aps_elo e;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    assert_int_equal(aps_elo_set_rating(&e, 1, 1700), 0);
    assert_int_equal(aps_elo_set_rating(&e, 2, 1400), 0);
    aps_elo_new_season(&e);
    assert_near(aps_elo_rating(&e, 1), 1700 - 195.0 / 3, 1e-9);
    assert_near(aps_elo_rating(&e, 2), 1400 + 35, 1e-9);
    assert_near(aps_elo_rating(&e, 3), 1300, 0); /* unseen: initial */
    play(&e, 1, 2, false, 20, 20, NULL);         /* settles both into the new season */
    aps_elo_new_season(&e);
    aps_elo_new_season(&e);
    /* Two boundaries without a game: twice toward the mean. */
    double r1 = aps_elo_rating(&e, 1);
    aps_elo_new_season(&e);
    assert_near(aps_elo_rating(&e, 1), 1505 + (r1 - 1505) * 2 / 3, 1e-9);
    size_t pos = 0, seen = 0;
    int64_t team;
    double rating;
    while (aps_elo_next(&e, &pos, &team, &rating)) {
        assert_near(rating, aps_elo_rating(&e, team), 0);
        seen++;
    }
    assert_int_equal(seen, aps_elo_count(&e));
    assert_int_equal(seen, 2);
    aps_elo_cleanup(&e);

    /* 538's lapse rule: a team back after missed seasons regresses toward `initial`. */
    p.lapse_to_initial = true;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    assert_int_equal(aps_elo_set_rating(&e, 1, 1754.572), 0);
    aps_elo_new_season(&e);
    assert_near(aps_elo_rating(&e, 1), 1754.572 * 2 / 3 + 1505.0 / 3, 1e-9);
    aps_elo_new_season(&e);
    assert_near(aps_elo_rating(&e, 1), 1502.032, 1e-3); /* CBD 1923 → 1925 */
    aps_elo_cleanup(&e);
}

static void test_three_way(void **state)
{
    (void)state;
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_EPL, &p), 0);
    assert_true(p.draw_width > 0);
    struct aps_elo e;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    struct aps_elo_game g = {.home = 1, .away = 2, .neutral = true};
    double q[3], peak = 0, last = 1;
    for (int d = -600; d <= 600; d += 25) {
        assert_int_equal(aps_elo_set_rating(&e, 1, 1500 + d), 0);
        assert_int_equal(aps_elo_prob3(&e, &g, q), 0);
        assert_near(q[0] + q[1] + q[2], 1.0, 1e-15);
        assert_true(q[0] >= 0 && q[1] >= 0 && q[2] >= 0);
        if (d == 0) {
            peak = q[1];
            assert_near(q[1], 2 * aps_elo_expect(p.draw_width) - 1, 1e-15);
            assert_near(q[0], q[2], 1e-15);
        } else {
            assert_true(q[1] < 2 * aps_elo_expect(p.draw_width) - 1);
        }
        if (d > 0) /* draws get rarer as the gap widens */
            assert_true(q[1] < last);
        last = q[1];
    }
    assert_near(peak, 0.267, 0.005);
    /* Home advantage shifts the split toward the home side. */
    g.neutral = false;
    assert_int_equal(aps_elo_set_rating(&e, 1, 1500), 0);
    assert_int_equal(aps_elo_prob3(&e, &g, q), 0);
    assert_true(q[0] > q[2]);
    /* With w = 0 it is the two-way model. */
    struct aps_elo_params p2 = plain_params(20, 65);
    struct aps_elo e2;
    assert_int_equal(aps_elo_init(&e2, &p2), 0);
    assert_int_equal(aps_elo_prob3(&e2, &g, q), 0);
    assert_near(q[1], 0, 0);
    assert_near(q[0], aps_elo_expect(65), 1e-15);
    aps_elo_cleanup(&e2);
    /* A draw is scored 0.5: the favourite loses rating. */
    struct aps_elo_result r;
    play(&e, 1, 2, false, 1, 1, &r);
    assert_true(r.delta_home < 0);
    aps_elo_cleanup(&e);
}

static void test_tennis(void **state)
{
    (void)state;
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_ATP, &p), 0);
    assert_false(p.has_home);
    struct aps_elo e;
    struct aps_elo_result r;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    /* No home side even when the game is not marked neutral. */
    assert_near(prob(&e, 1, 2, false), 0.5, 0);
    struct aps_elo_game g = {.home = 1, .away = 2, .surface = "Clay"};
    assert_int_equal(aps_elo_update(&e, &g, 2, 0, &r), 0);
    assert_near(r.delta_home, 16, 1e-12);
    assert_near(aps_elo_rating(&e, 1), 1516, 1e-12);
    /* On clay player 1 is now rated 1516 overall and 1516 on clay; on grass 0.5·1516 + 0.5·1500. */
    double pc, pg, pn;
    assert_int_equal(aps_elo_prob(&e, &g, &pc), 0);
    g.surface = "grass";
    assert_int_equal(aps_elo_prob(&e, &g, &pg), 0);
    g.surface = NULL;
    assert_int_equal(aps_elo_prob(&e, &g, &pn), 0);
    assert_near(pc, aps_elo_expect(32), 1e-15);
    assert_near(pg, aps_elo_expect(16), 1e-15);
    assert_near(pn, aps_elo_expect(32), 1e-15);
    g.surface = "ice";
    assert_int_equal(aps_elo_prob(&e, &g, &pn), APS_E_INVAL);
    assert_int_equal(aps_elo_update(&e, &g, 2, 0, &r), APS_E_INVAL);
    assert_near(aps_elo_rating(&e, 1), 1516, 1e-12); /* nothing changed */
    aps_elo_cleanup(&e);
}

static void test_defaults(void **state)
{
    (void)state;
    for (int s = 0; s < APS_SPORT__COUNT; s++) {
        struct aps_elo_params p;
        struct aps_elo e;
        assert_int_equal(aps_elo_params_default((enum aps_sport)s, &p), 0);
        assert_int_equal(aps_elo_init(&e, &p), 0);
        assert_near(p.scale, 400, 0);
        const struct aps_sport_info *info = aps_sport_info((enum aps_sport)s);
        assert_int_equal(p.has_home, info->kind != APS_KIND_TENNIS);
        assert_int_equal(p.draw_width > 0, info->three_way);
        aps_elo_cleanup(&e);
    }
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_NFL, &p), 0);
    assert_near(p.k, 20, 0);
    assert_near(p.home_adv, 65, 0);
    assert_near(p.regress, 1.0 / 3.0, 0);
    assert_near(p.mean, 1505, 0);
    assert_int_equal(p.mov, APS_ELO_MOV_FIVETHIRTYEIGHT);
    assert_int_equal(aps_elo_params_default(APS_SPORT__COUNT, &p), APS_E_INVAL);
}

static void test_invalid(void **state)
{
    (void)state;
    struct aps_elo_params p = plain_params(20, 65);
    struct aps_elo e;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    struct aps_elo_game g = {.home = 5, .away = 5};
    double q;
    assert_int_equal(aps_elo_prob(&e, &g, &q), APS_E_INVAL);
    assert_int_equal(aps_elo_update(&e, &g, 1, 0, NULL), APS_E_INVAL);
    g.away = 6;
    assert_int_equal(aps_elo_update(&e, &g, -1, 0, NULL), APS_E_INVAL);
    assert_int_equal(aps_elo_count(&e), 0);
    assert_int_equal(aps_elo_set_rating(&e, 1, NAN), APS_E_INVAL);
    aps_elo_cleanup(&e);
    aps_elo_cleanup(&e); /* safe twice */

    struct aps_elo_params bad[6];
    for (int i = 0; i < 6; i++)
        bad[i] = plain_params(20, 65);
    bad[0].k = 0;
    bad[1].scale = 0;
    bad[2].regress = 1.5;
    bad[3].draw_width = -1;
    bad[4].surface_weight = 2;
    bad[5].mean = NAN;
    for (int i = 0; i < 6; i++)
        assert_int_equal(aps_elo_init(&e, &bad[i]), APS_E_INVAL);
    aps_elo_cleanup(&e);
}

/* aps_elo_prob_update() gives, bit for bit, what aps_elo_prob()/aps_elo_prob3() give just before
 * aps_elo_update(), and leaves the same ratings: two engines fed the same games, one each way,
 * over seasons with regression (one and several boundaries, lapses to `initial`), margin
 * multipliers, neutral sites, draws, tennis surfaces and new teams mid-way. */
static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

static void same_bits(double a, double b)
{
    if (memcmp(&a, &b, sizeof a))
        fail_msg("%.17g and %.17g differ", a, b);
}

static void prob_update_walk(enum aps_sport sport, bool three_way, bool lapse, uint64_t seed)
{
    static const char *const surfaces[] = {NULL, "hard", "Clay", "grass", "carpet"};
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(sport, &p), 0);
    p.lapse_to_initial = lapse;
    if (p.regress == 0)
        p.regress = 0.25;
    struct aps_elo a, b;
    assert_int_equal(aps_elo_init(&a, &p), 0);
    assert_int_equal(aps_elo_init(&b, &p), 0);
    uint64_t x = seed;
    for (int i = 0; i < 20000; i++) {
        if (i % 700 == 699) {
            int boundaries = 1 + (int)(lcg(&x) % 3);
            for (int k = 0; k < boundaries; k++) {
                aps_elo_new_season(&a);
                aps_elo_new_season(&b);
            }
        }
        int64_t teams = 20 + i / 400; /* new teams keep arriving */
        int64_t home = (int64_t)(lcg(&x) % (uint64_t)teams) * 7919 - 100000;
        int64_t away = (int64_t)(lcg(&x) % (uint64_t)teams) * 7919 - 100000;
        if (home == away)
            continue;
        struct aps_elo_game g = {home, away, lcg(&x) % 10 == 0,
                                 p.surface_weight > 0 ? surfaces[lcg(&x) % 5] : NULL};
        int hs = (int)(lcg(&x) % 6), as = (int)(lcg(&x) % 6);
        double ref[3] = {0, 0, 0}, got[3] = {0, 0, 0};
        if (three_way)
            assert_int_equal(aps_elo_prob3(&a, &g, ref), 0);
        else
            assert_int_equal(aps_elo_prob(&a, &g, &ref[0]), 0);
        assert_int_equal(aps_elo_update(&a, &g, hs, as, NULL), 0);
        assert_int_equal(aps_elo_prob_update(&b, &g, hs, as, three_way, got), 0);
        for (int c = 0; c < (three_way ? 3 : 1); c++)
            same_bits(got[c], ref[c]);
        same_bits(aps_elo_rating(&a, home), aps_elo_rating(&b, home));
        same_bits(aps_elo_rating(&a, away), aps_elo_rating(&b, away));
    }
    assert_int_equal(aps_elo_count(&a), aps_elo_count(&b));
    size_t pos = 0;
    int64_t team;
    double r;
    while (aps_elo_next(&a, &pos, &team, &r))
        same_bits(r, aps_elo_rating(&b, team));
    /* errors change nothing and leave p alone */
    struct aps_elo_game same = {1, 1, false, NULL};
    double untouched[3] = {7, 7, 7};
    assert_int_equal(aps_elo_prob_update(&b, &same, 1, 0, three_way, untouched), APS_E_INVAL);
    struct aps_elo_game neg = {1, 2, false, NULL};
    assert_int_equal(aps_elo_prob_update(&b, &neg, -1, 0, three_way, untouched), APS_E_INVAL);
    assert_true(untouched[0] == 7 && untouched[1] == 7 && untouched[2] == 7);
    assert_int_equal(aps_elo_count(&a), aps_elo_count(&b));
    aps_elo_cleanup(&a);
    aps_elo_cleanup(&b);
}

static void test_prob_update(void **state)
{
    (void)state;
    prob_update_walk(APS_SPORT_NFL, false, false, 1); /* 538 margin multiplier */
    prob_update_walk(APS_SPORT_NFL, false, true, 2);  /* lapses regress toward `initial` */
    prob_update_walk(APS_SPORT_NBA, false, false, 3);
    prob_update_walk(APS_SPORT_EPL, true, false, 4);  /* draws, three-way split */
    prob_update_walk(APS_SPORT_ATP, false, false, 5); /* no home side, surfaces */
}

/* The table keeps thousands of arbitrary int64 ids apart, extremes included. */
static void test_table(void **state)
{
    (void)state;
    struct aps_elo_params p = plain_params(20, 0);
    struct aps_elo e;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    enum { N = 20000 };
    for (int64_t i = 0; i < N; i++) {
        int64_t id = (i % 2 ? -1 : 1) * (i * 1000003);
        assert_int_equal(aps_elo_set_rating(&e, id, 1000 + (double)i), 0);
    }
    assert_int_equal(aps_elo_set_rating(&e, INT64_MIN, 1), 0);
    assert_int_equal(aps_elo_set_rating(&e, INT64_MAX, 2), 0);
    assert_int_equal(aps_elo_count(&e), N + 2);
    for (int64_t i = 0; i < N; i++) {
        int64_t id = (i % 2 ? -1 : 1) * (i * 1000003);
        assert_near(aps_elo_rating(&e, id), 1000 + (double)i, 0);
    }
    assert_near(aps_elo_rating(&e, INT64_MIN), 1, 0);
    assert_near(aps_elo_rating(&e, INT64_MAX), 2, 0);
    assert_near(aps_elo_rating(&e, 999), 1500, 0); /* 999 is not a multiple of 1000003 */
    size_t pos = 0, seen = 0;
    int64_t team;
    double rating;
    while (aps_elo_next(&e, &pos, &team, &rating))
        seen++;
    assert_int_equal(seen, N + 2);
    aps_elo_cleanup(&e);
}

/* ---- the FiveThirtyEight oracle ------------------------------------------------------------- */

enum { MAX_TEAMS = 200 };

struct nfl_team {
    char code[8];
    double initial;  /* initial_elos.csv */
    int last_season; /* per replay */
};

struct nfl_game {
    int season;
    bool neutral;
    int t1, t2; /* index into teams */
    double elo1, elo2, prob1;
    int score1, score2;
    double result1;
    bool full_precision; /* row after the file switched from 3 decimals to full precision */
};

struct nfl_data {
    struct nfl_team teams[MAX_TEAMS];
    int nteams;
    struct nfl_game *games;
    size_t ngames;
};

static int team_index(struct nfl_data *d, const char *code)
{
    for (int i = 0; i < d->nteams; i++)
        if (strcmp(d->teams[i].code, code) == 0)
            return i;
    assert_true(d->nteams < MAX_TEAMS);
    assert_int_equal(aps_str_copy(d->teams[d->nteams].code, sizeof d->teams[0].code, code), 0);
    d->teams[d->nteams].initial = NAN;
    return d->nteams++;
}

static int decimals(const char *s)
{
    const char *dot = strchr(s, '.');
    return dot ? (int)strlen(dot + 1) : 0;
}

static void load_initial(struct nfl_data *d)
{
    struct aps_csv *c;
    char **f;
    size_t n;
    assert_int_equal(aps_csv_open(&c, NFL_INITIAL), 0);
    assert_int_equal(aps_csv_next(c, &f, &n), 1);
    int ct = aps_csv_find(f, n, "team"), ce = aps_csv_find(f, n, "elo");
    assert_true(ct >= 0 && ce >= 0);
    int rc, rows = 0;
    while ((rc = aps_csv_next(c, &f, &n)) == 1) {
        int t = team_index(d, f[ct]);
        assert_int_equal(aps_parse_double(f[ce], &d->teams[t].initial), 0);
        rows++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(rows, 123);
    aps_csv_close(c);
}

static void parse_game(struct nfl_data *d, char **f, const int *col, struct nfl_game *g)
{
    int neutral;
    assert_int_equal(aps_parse_int(f[col[0]], &g->season), 0);
    assert_int_equal(aps_parse_int(f[col[1]], &neutral), 0);
    g->neutral = neutral == 1;
    g->t1 = team_index(d, f[col[2]]);
    g->t2 = team_index(d, f[col[3]]);
    assert_int_equal(aps_parse_double(f[col[4]], &g->elo1), 0);
    assert_int_equal(aps_parse_double(f[col[5]], &g->elo2), 0);
    assert_int_equal(aps_parse_double(f[col[6]], &g->prob1), 0);
    assert_int_equal(aps_parse_int(f[col[7]], &g->score1), 0);
    assert_int_equal(aps_parse_int(f[col[8]], &g->score2), 0);
    assert_int_equal(aps_parse_double(f[col[9]], &g->result1), 0);
    g->full_precision = decimals(f[col[4]]) > 3 || decimals(f[col[5]]) > 3;
}

static void load_games(struct nfl_data *d)
{
    static const char *const names[] = {"season", "neutral",   "team1",  "team2",  "elo1",
                                        "elo2",   "elo_prob1", "score1", "score2", "result1"};
    int col[10];
    struct aps_csv *c;
    char **f;
    size_t n;
    assert_int_equal(aps_csv_open(&c, NFL_GAMES), 0);
    assert_int_equal(aps_csv_next(c, &f, &n), 1);
    for (int i = 0; i < 10; i++) {
        col[i] = aps_csv_find(f, n, names[i]);
        assert_true(col[i] >= 0);
    }
    size_t cap = 20000;
    d->games = aps_calloc(cap, sizeof *d->games);
    int rc;
    bool full = false;
    while ((rc = aps_csv_next(c, &f, &n)) == 1) {
        assert_true(d->ngames < cap);
        struct nfl_game *g = &d->games[d->ngames++];
        parse_game(d, f, col, g);
        full = full || g->full_precision; /* once full, the rest of the file is too */
        g->full_precision = full;
    }
    assert_int_equal(rc, 0);
    aps_csv_close(c);
}

/* 538's franchise events the game file does not spell out (see the comment at the top). */
static const struct {
    int season;
    const char *team;
    const char *from; /* continues this team's rating (regressed once), or NULL */
    double rating;    /* else restarts here */
} elo_events[] = {
    {1944, "PHI", "STG", 0},   /* 1943 Steagles (Eagles + Steelers) → Eagles */
    {1945, "PIT", "CRP", 0},   /* 1944 Card-Pitt (Cardinals + Steelers) → Steelers */
    {1945, "ARI", "CRP", 0},   /* … and → Cardinals */
    {1999, "CLE", NULL, 1300}, /* the re-founded Browns; BAL kept the old rating */
};

struct replay_opts {
    bool lapse;  /* params.lapse_to_initial */
    bool events; /* apply elo_events */
    bool reseed; /* take the 2015 week-1 ratings from the file */
};

struct replay_stats {
    size_t compared, over_1e6;
    double max_p, max_r;           /* all games */
    double max_p_full, max_r_full; /* full-precision rows */
    long first_bad;                /* first game whose rating is off by more than 0.01, or -1 */
    double seconds;                /* the replay loop alone */
};

/* Sets a team's rating at its first game of a season when 538 did something special there. */
static void season_start(struct aps_elo *e, struct nfl_data *d, const struct nfl_game *g, int t,
                         const struct replay_opts *o)
{
    struct nfl_team *tm = &d->teams[t];
    double r = NAN;
    if (tm->last_season == 0) /* first game ever */
        r = tm->initial;
    for (size_t i = 0; o->events && i < sizeof elo_events / sizeof elo_events[0]; i++) {
        if (elo_events[i].season != g->season || strcmp(elo_events[i].team, tm->code) != 0)
            continue;
        r = elo_events[i].from ? aps_elo_rating(e, team_index(d, elo_events[i].from) + 1)
                               : elo_events[i].rating;
    }
    if (o->reseed && g->season == 2015 && !g->full_precision)
        r = t == g->t1 ? g->elo1 : g->elo2;
    if (!isnan(r))
        assert_int_equal(aps_elo_set_rating(e, t + 1, r), 0);
    tm->last_season = g->season;
}

static void compare(struct replay_stats *st, const struct nfl_game *g, double p, double r1,
                    double r2, long i)
{
    double dp = fabs(p - g->prob1), dr = fmax(fabs(r1 - g->elo1), fabs(r2 - g->elo2));
    st->compared++;
    st->over_1e6 += dp > 1e-6;
    st->max_p = fmax(st->max_p, dp);
    st->max_r = fmax(st->max_r, dr);
    if (g->full_precision) {
        st->max_p_full = fmax(st->max_p_full, dp);
        st->max_r_full = fmax(st->max_r_full, dr);
    }
    if (dr > 0.01 && st->first_bad < 0)
        st->first_bad = i;
}

static void replay(struct nfl_data *d, const struct replay_opts *o, struct replay_stats *st)
{
    struct aps_elo_params p = {.k = 20,
                               .home_adv = 65,
                               .mov = APS_ELO_MOV_FIVETHIRTYEIGHT,
                               .regress = 1.0 / 3.0,
                               .mean = 1505,
                               .initial = 1300,
                               .scale = 400,
                               .has_home = true,
                               .lapse_to_initial = o->lapse};
    struct aps_elo e;
    struct timespec t0, t1;
    memset(st, 0, sizeof *st);
    st->first_bad = -1;
    for (int t = 0; t < d->nteams; t++)
        d->teams[t].last_season = 0;
    assert_int_equal(aps_elo_init(&e, &p), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int season = d->games[0].season;
    for (size_t i = 0; i < d->ngames; i++) {
        const struct nfl_game *g = &d->games[i];
        if (g->season != season) {
            aps_elo_new_season(&e);
            season = g->season;
        }
        if (d->teams[g->t1].last_season != season)
            season_start(&e, d, g, g->t1, o);
        if (d->teams[g->t2].last_season != season)
            season_start(&e, d, g, g->t2, o);
        struct aps_elo_game eg = {.home = g->t1 + 1, .away = g->t2 + 1, .neutral = g->neutral};
        struct aps_elo_result r;
        assert_int_equal(aps_elo_update(&e, &eg, g->score1, g->score2, &r), 0);
        compare(st, g, r.p_home, r.home_before, r.away_before, (long)i);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    aps_elo_cleanup(&e);
}

static void test_fivethirtyeight_nfl(void **state)
{
    (void)state;
    struct nfl_data *d = aps_calloc(1, sizeof *d);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    load_initial(d);
    load_games(d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(d->ngames, 16810);
    assert_int_equal(d->nteams, 123); /* every team of the games is in initial_elos.csv */

    /* The file's own numbers: probability formula, H, neutral sites, ties, ordering. */
    size_t full = 0;
    for (size_t i = 0; i < d->ngames; i++) {
        const struct nfl_game *g = &d->games[i];
        double h = g->neutral ? 0 : 65;
        assert_near(aps_elo_expect(g->elo1 + h - g->elo2), g->prob1, 1e-12);
        double s = g->score1 > g->score2 ? 1 : g->score1 < g->score2 ? 0 : 0.5;
        assert_near(s, g->result1, 0);
        assert_true(i == 0 || g->season >= d->games[i - 1].season);
        full += g->full_precision;
    }
    assert_int_equal(full, 1588); /* 2015 week 2 (KC–DEN, 2015-09-17) to Super Bowl LV */

    struct replay_opts o = {.lapse = true, .events = true, .reseed = true};
    struct replay_stats st;
    replay(d, &o, &st);
    print_message("538 NFL oracle: %zu games, max |dp| %.3g (full-precision rows %.3g), "
                  "max |dRating| %.3g (%.3g), %zu games over 1e-6\n",
                  st.compared, st.max_p, st.max_p_full, st.max_r, st.max_r_full, st.over_1e6);
    double load_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    print_message("538 NFL oracle: load %.1f ms, replay %.2f ms (%.0f ns/game)\n", load_s * 1e3,
                  st.seconds * 1e3, st.seconds * 1e9 / (double)st.compared);
    if (st.first_bad >= 0)
        print_message("first game off by more than 0.01: row %ld (%d %s-%s)\n", st.first_bad + 2,
                      d->games[st.first_bad].season, d->teams[d->games[st.first_bad].t1].code,
                      d->teams[d->games[st.first_bad].t2].code);
    assert_int_equal(st.compared, 16810);
    assert_true(st.first_bad < 0);
    assert_true(st.max_r <= 1e-3);      /* measured 0.000905: the file's 3-decimal rounding */
    assert_true(st.max_p <= 2e-6);      /* measured 1.66e-6, the same rounding seen through p */
    assert_true(st.max_r_full <= 1e-9); /* measured ~3e-11 */
    assert_true(st.max_p_full <= 1e-12);

    /* Each piece of 538's history is needed: without it the replay fails where said above. */
    struct replay_opts no_lapse = {.lapse = false, .events = true, .reseed = true};
    replay(d, &no_lapse, &st);
    assert_true(st.first_bad >= 0);
    assert_int_equal(d->games[st.first_bad].season, 1925);
    assert_string_equal(d->teams[d->games[st.first_bad].t1].code, "CBD");
    struct replay_opts no_events = {.lapse = true, .events = false, .reseed = true};
    replay(d, &no_events, &st);
    assert_true(st.first_bad >= 0);
    assert_int_equal(d->games[st.first_bad].season, 1944);
    assert_true(st.max_p > 0.1);
    struct replay_opts no_reseed = {.lapse = true, .events = true, .reseed = false};
    replay(d, &no_reseed, &st);
    assert_true(st.first_bad < 0 && st.max_p <= 2e-6);
    assert_true(st.max_p_full > 1e-9); /* the 2015 restart from rounded values shows */

    aps_free(d->games);
    aps_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_docs_example),
        cmocka_unit_test(test_home_advantage_zero_sum),
        cmocka_unit_test(test_neutral_symmetry),
        cmocka_unit_test(test_mov_fivethirtyeight),
        cmocka_unit_test(test_season_regression),
        cmocka_unit_test(test_three_way),
        cmocka_unit_test(test_tennis),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_prob_update),
        cmocka_unit_test(test_fivethirtyeight_nfl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
