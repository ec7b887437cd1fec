/* test_elo_replay.c — the one Elo walk (model/elo_replay.h) and its users on real games: the walk,
 * the feature state's Elo columns, the Elo predictor's moneyline, the fit's log-loss and the fit
 * input all give, bit for bit, what a plain loop over the Elo engine's primitives gives (a season
 * boundary regresses every rating once, only final games move ratings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.c"
#include "core/mem.h"
#include "engine/predictor.h"
#include "model/elo_replay.h"

/* The reference walk: the Elo engine's primitives with the rule written out once more, here. */
struct ref {
    struct aps_elo e;
    int season;
};

static void ref_init(struct ref *r, const struct aps_elo_params *p)
{
    assert_int_equal(aps_elo_init(&r->e, p), 0);
    r->season = -1;
}

static void ref_enter(struct ref *r, const struct aps_hist_game *g)
{
    if (r->season >= 0 && g->season_no != r->season)
        aps_elo_new_season(&r->e);
    r->season = g->season_no;
}

static void ref_feed(struct ref *r, const struct aps_hist_game *g)
{
    if (g->status != APS_GS_FINAL || g->home_score < 0 || g->away_score < 0)
        return;
    struct aps_elo_game eg = {g->home, g->away, g->neutral, aps_elo_surface_name(g->surface)};
    assert_int_equal(aps_elo_update(&r->e, &eg, g->home_score, g->away_score, NULL), 0);
}

/* Every team's rating in both engines is the same double. */
static void same_ratings(const struct aps_elo *a, const struct aps_elo *b)
{
    assert_int_equal(aps_elo_count(a), aps_elo_count(b));
    size_t pos = 0;
    int64_t team;
    double r;
    while (aps_elo_next(a, &pos, &team, &r))
        assert_true(r == aps_elo_rating(b, team));
}

struct data {
    struct fx_store fx;
    struct aps_history h;
    struct aps_elo_params p;
};

static void load(struct data *d, enum aps_source src, const char *const *files, size_t n,
                 enum aps_sport sport)
{
    fx_open(&d->fx);
    fx_ingest(&d->fx, src, files, n);
    assert_int_equal(aps_history_load(d->fx.c, sport, NULL, NULL, &d->h), 0);
    assert_true(d->h.ngames > 1000);
    assert_true(d->h.nseasons >= 3);
    assert_int_equal(aps_elo_params_default(sport, &d->p), 0);
}

static void unload(struct data *d)
{
    aps_history_cleanup(&d->h);
    fx_close(&d->fx);
}

struct counter {
    const struct aps_history *h;
    struct ref *ref;
    size_t next, calls;
};

/* Steps the reference up to game g and compares the ratings before and after it. */
static int follow(void *ctx, const struct aps_elo_replay *r, const struct aps_hist_game *g,
                  double home_before, double away_before)
{
    struct counter *c = ctx;
    for (; &c->h->games[c->next] != g; c->next++) {
        ref_enter(c->ref, &c->h->games[c->next]);
        ref_feed(c->ref, &c->h->games[c->next]);
    }
    ref_enter(c->ref, g);
    assert_true(home_before == aps_elo_rating(&c->ref->e, g->home));
    assert_true(away_before == aps_elo_rating(&c->ref->e, g->away));
    ref_feed(c->ref, g);
    c->next++;
    same_ratings(&r->elo, &c->ref->e);
    c->calls++;
    return 0;
}

static void check_walk(struct data *d)
{
    struct aps_elo_replay r;
    struct ref ref;
    assert_int_equal(aps_elo_replay_init(&r, &d->p), 0);
    ref_init(&ref, &d->p);
    struct counter c = {&d->h, &ref, 0, 0};
    size_t finals = 0;
    for (size_t i = 0; i < d->h.ngames; i++)
        finals += aps_hist_final(&d->h.games[i]);
    assert_int_equal(aps_elo_replay_history(&r, &d->h, d->h.ngames, follow, &c), 0);
    assert_int_equal(c.calls, finals);
    aps_elo_replay_cleanup(&r);
    aps_elo_cleanup(&ref.e);
}

/* The feature state's Elo probabilities and Elo difference before each game. */
static void check_features(struct data *d)
{
    struct aps_feat_spec spec = {0};
    spec.ncols = 1;
    spec.col[0] = APS_F_ELO_DIFF;
    struct aps_feat_state st;
    struct ref ref;
    assert_int_equal(aps_feat_state_init(&st, &d->h, NULL, &spec), 0);
    ref_init(&ref, &d->p);
    bool three = aps_sport_info(d->h.sport)->three_way;
    for (size_t i = 0; i < d->h.ngames; i++) {
        const struct aps_hist_game *g = &d->h.games[i];
        double row[1], elo[3], want[3];
        aps_feat_begin(&st, i);
        ref_enter(&ref, g);
        assert_int_equal(aps_feat_row(&st, &spec, i, row, elo), 0);
        struct aps_elo_game eg = {g->home, g->away, g->neutral, aps_elo_surface_name(g->surface)};
        if (three) {
            assert_int_equal(aps_elo_prob3(&ref.e, &eg, want), 0);
        } else {
            assert_int_equal(aps_elo_prob(&ref.e, &eg, &want[0]), 0);
            want[2] = 1 - want[0];
        }
        assert_true(elo[0] == want[0] && elo[2] == want[2]);
        double diff = aps_elo_rating(&ref.e, g->home) - aps_elo_rating(&ref.e, g->away);
        if (ref.e.p.has_home && !g->neutral)
            diff += ref.e.p.home_adv;
        assert_true(row[0] == diff);
        assert_int_equal(aps_feat_observe(&st, i), 0);
        ref_feed(&ref, g);
    }
    same_ratings(&st.elo.elo, &ref.e);
    aps_feat_state_cleanup(&st);
    aps_elo_cleanup(&ref.e);
}

/* The Elo predictor without refits: its moneyline is the reference's probability. */
static void check_predictor(struct data *d)
{
    struct aps_elo_predictor_opts o = {&d->p, false, 8};
    struct aps_predictor pr;
    struct ref ref;
    assert_int_equal(aps_elo_predictor_new(&d->h, &o, &pr), 0);
    ref_init(&ref, &d->p);
    bool three = aps_sport_info(d->h.sport)->three_way;
    for (size_t i = 0; i < d->h.ngames; i++) {
        const struct aps_hist_game *g = &d->h.games[i];
        double p, want[3];
        assert_int_equal(pr.begin(pr.ctx, &d->h, i), 0);
        ref_enter(&ref, g);
        assert_int_equal(pr.prob(pr.ctx, &d->h, i, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, &p), 0);
        struct aps_elo_game eg = {g->home, g->away, g->neutral, aps_elo_surface_name(g->surface)};
        if (three)
            assert_int_equal(aps_elo_prob3(&ref.e, &eg, want), 0);
        else
            assert_int_equal(aps_elo_prob(&ref.e, &eg, &want[0]), 0);
        assert_true(p == want[0]);
        assert_int_equal(pr.observe(pr.ctx, &d->h, i), 0);
        ref_feed(&ref, g);
    }
    pr.destroy(pr.ctx);
    aps_elo_cleanup(&ref.e);
}

/* The fit input keeps every game, with -1 scores for those not final, and the fit's log-loss is
 * the reference's over the scored seasons. */
static void check_fit(struct data *d)
{
    struct aps_elo_fit_game *f = aps_elo_fit_games(&d->h);
    struct ref ref;
    ref_init(&ref, &d->p);
    bool three = aps_sport_info(d->h.sport)->three_way;
    double ll = 0;
    size_t k = 0;
    for (size_t i = 0; i < d->h.ngames; i++) {
        const struct aps_hist_game *g = &d->h.games[i];
        assert_int_equal(f[i].season_no, g->season_no);
        assert_int_equal(f[i].home_score, aps_hist_final(g) ? g->home_score : -1);
        ref_enter(&ref, g);
        struct aps_elo_game eg = {g->home, g->away, g->neutral, aps_elo_surface_name(g->surface)};
        if (aps_hist_final(g) && g->season_no >= d->h.games[0].season_no + 1) {
            double pr[3];
            int y = g->home_score > g->away_score ? 0 : g->home_score == g->away_score ? 1 : 2;
            if (three) {
                assert_int_equal(aps_elo_prob3(&ref.e, &eg, pr), 0);
                ll -= log(pr[y]);
                k++;
            } else if (y != 1) {
                assert_int_equal(aps_elo_prob(&ref.e, &eg, &pr[0]), 0);
                ll -= log(y == 0 ? pr[0] : 1 - pr[0]);
                k++;
            }
        }
        ref_feed(&ref, g);
    }
    double got, brier;
    size_t scored;
    assert_int_equal(aps_elo_replay_loss(&d->p, three, f, d->h.ngames, 1, &got, &brier, &scored),
                     0);
    assert_int_equal(scored, k);
    assert_near(got, ll / (double)k, 1e-12);
    aps_free(f);
    aps_elo_cleanup(&ref.e);
}

static void run_all(enum aps_source src, const char *const *files, size_t n, enum aps_sport sport)
{
    struct data d;
    load(&d, src, files, n, sport);
    check_walk(&d);
    check_features(&d);
    check_predictor(&d);
    check_fit(&d);
    unload(&d);
}

static void test_epl(void **state)
{
    (void)state;
    run_all(APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL);
}

static void test_nba(void **state)
{
    (void)state;
    run_all(APS_SOURCE_SBR, fx_nba, 3, APS_SPORT_NBA);
}

static void test_tennis_surfaces(void **state)
{
    (void)state;
    static const char *const atp[] = {"tennis-data/atp/2010.csv", "tennis-data/atp/2011.csv",
                                      "tennis-data/atp/2012.csv"};
    run_all(APS_SOURCE_TENNIS_DATA, atp, 3, APS_SPORT_ATP);
}

/* The steps on their own: a season boundary regresses once, an unfinished game changes nothing. */
static void test_steps(void **state)
{
    (void)state;
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_NFL, &p), 0);
    struct aps_elo_replay r;
    assert_int_equal(aps_elo_replay_init(&r, &p), 0);
    struct aps_elo_game g = {1, 2, false, NULL};
    assert_true(aps_elo_replay_enter(&r, 0));
    assert_false(aps_elo_replay_enter(&r, 0));
    assert_int_equal(aps_elo_replay_feed(&r, &g, -1, 3, NULL), 0);
    assert_int_equal(aps_elo_count(&r.elo), 0);
    assert_int_equal(aps_elo_replay_feed(&r, &g, 30, 3, NULL), 0);
    double after = aps_elo_rating(&r.elo, 1);
    assert_true(after > p.initial);
    assert_true(aps_elo_replay_enter(&r, 1));
    assert_near(aps_elo_rating(&r.elo, 1), after + p.regress * (p.mean - after), 1e-9);
    assert_int_equal(r.elo.season, 1);
    aps_elo_replay_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_epl),
        cmocka_unit_test(test_nba),
        cmocka_unit_test(test_tennis_surfaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
