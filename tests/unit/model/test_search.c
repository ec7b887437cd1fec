/* test_search.c — walk-forward folds, the seeded search, the ensemble and the margin model
 * (src/model/walkforward.c, candidate.c, search.c, ensemble.c, margin_model.c) on real data:
 * Premier League 2018-19 .. 2022-23 (three-way moneyline) and NBA 2016-17 .. 2018-19 (spreads),
 * ingested into a temporary store.
 *   - folds: every training game is earlier (in index and date) than its fold's first game;
 *   - reproducibility: the same seed gives the same leaderboard (names and every score, bit for
 *     bit), a different seed draws different XGBoost candidates;
 *   - the production fit predicts probabilities that sum to 1 and its explanation adds up;
 *   - spreads: P(cover) at the closing line from the margin model, hand-checked cover
 *     probabilities (push handling on whole-number lines);
 *   - the score distribution at a line: above + push + below = 1, symmetric cases, known normal
 *     and Poisson values; Poisson candidates for goal totals only; the market-anchored ridge (entry line as the offset of the expected margin): a huge
 *     penalty gives the market's line plus a constant, contributions add up, JSON round trip;
 *   - the walk-forward error scale of a fold reads only residuals of earlier folds: changing the
 *     last fold's results leaves every game's scale unchanged;
 *   - the largest search (best_quality on a goal spread, 23 candidates) fits all of them into
 *     the production ensemble, which saves and loads back to the same predictions;
 *   - the search's two threads, which share out the candidates' folds, give every candidate the
 *     scores it gets run alone, and a stop that arrives midway leaves no result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mem.h"
#include "model/explain.h"
#include "model/margin_model.h"
#include "model/registry.h"
#include "model/registry_int.h"
#include "model/search.h"

#include "fixture.c"

struct sport_data {
    struct fx_store fx;
    struct aps_history h;
    struct aps_feat_extras x;
    struct aps_feat_spec spec;
    struct aps_feat_matrix m;
};

static void load(struct sport_data *s, enum aps_source src, const char *const *files, size_t n,
                 enum aps_sport sport)
{
    struct aps_feat_spec all;
    struct aps_feat_matrix m0;
    fx_open(&s->fx);
    fx_ingest(&s->fx, src, files, n);
    assert_int_equal(aps_history_load(s->fx.c, sport, NULL, NULL, &s->h), 0);
    assert_int_equal(aps_feat_extras_load(s->fx.c, &s->h, &s->x), 0);
    aps_feat_spec_all(&s->h, &all);
    assert_int_equal(aps_feat_build(&s->h, &s->x, &all, &m0), 0);
    aps_feat_spec_prune(&m0, &s->h, &all, &s->spec);
    aps_feat_matrix_cleanup(&m0);
    assert_int_equal(aps_feat_build(&s->h, &s->x, &s->spec, &s->m), 0);
}

static void unload(struct sport_data *s)
{
    aps_feat_matrix_cleanup(&s->m);
    aps_feat_extras_cleanup(&s->x);
    aps_history_cleanup(&s->h);
    fx_close(&s->fx);
}

/* load() and the market's labels and folds with the default walk-forward options. */
static void load_market(struct sport_data *s, struct aps_wf_data *d, enum aps_source src,
                        const char *const *files, size_t n, enum aps_sport sport,
                        enum aps_market market)
{
    struct aps_wf_opts wo;
    load(s, src, files, n, sport);
    aps_wf_opts_default(&wo);
    assert_int_equal(aps_wf_data_init(d, &s->h, &s->m, &s->spec, market, &wo), 0);
}

static void check_folds(const struct aps_wf_data *d, size_t min_folds)
{
    size_t *rows = aps_malloc(d->h->ngames * sizeof *rows);
    assert_true(d->nfolds >= min_folds);
    for (size_t f = 0; f < d->nfolds; f++) {
        const struct aps_wf_fold *fo = &d->folds[f];
        size_t n = aps_wf_train_rows(d, f, rows);
        assert_true(n > 0 && fo->t1 > fo->t0);
        if (f)
            assert_int_equal(fo->t0, d->folds[f - 1].t1);
        for (size_t i = 0; i < n; i++) {
            assert_true(rows[i] < fo->t0);
            assert_true(strcmp(d->h->games[rows[i]].date, d->h->games[fo->t0].date) < 0);
        }
    }
    aps_free(rows);
}

static void test_reproducible_search(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_MONEYLINE);
    assert_int_equal(d.k, 3);
    check_folds(&d, 3);
    struct aps_search_opts o = {.seed = 42, .budget_s = 3600, .max_models = 50,
                                .preset = APS_PRESET_MEDIUM};
    struct aps_search_result a, b, c;
    assert_int_equal(aps_search_run(&d, &o, &a), 0);
    assert_int_equal(aps_search_run(&d, &o, &b), 0);
    assert_int_equal(a.nlb, b.nlb);
    assert_true(a.nlb >= 5); /* elo, 2 logistic, market logistic, gbm, ensemble */
    for (size_t i = 0; i < a.nlb; i++) {
        assert_string_equal(a.lb[i].name, b.lb[i].name);
        assert_string_equal(a.lb[i].params, b.lb[i].params);
        assert_memory_equal(&a.lb[i].s, &b.lb[i].s, sizeof a.lb[i].s);
        assert_true(a.lb[i].s.n == a.lb[0].s.n); /* every candidate on the same games */
        if (i)
            assert_true(a.lb[i].s.log_loss >= a.lb[i - 1].s.log_loss);
    }
    o.seed = 7;
    assert_int_equal(aps_search_run(&d, &o, &c), 0);
    bool differs = false;
    for (size_t i = 0; i < a.nlb; i++)
        for (size_t j = 0; j < c.nlb; j++)
            if (a.lb[i].family == APS_FAM_GBM && c.lb[j].family == APS_FAM_GBM)
                differs |= strcmp(a.lb[i].params, c.lb[j].params) != 0;
    assert_true(differs);
    /* goal totals (about 2.8 a game) get the Poisson candidates; no entry total line column
       survives pruning (it is 2.5 almost always), so no market-anchored one */
    struct aps_wf_data dt;
    struct aps_wf_opts wo;
    aps_wf_opts_default(&wo);
    assert_int_equal(aps_wf_data_init(&dt, &s.h, &s.m, &s.spec, APS_MKT_TOTAL, &wo), 0);
    assert_true(aps_candidate_line_col(&s.spec, APS_MKT_TOTAL) < 0);
    struct aps_candidate *cands;
    size_t nc;
    assert_int_equal(aps_search_candidates(&dt, &o, &cands, &nc), 0);
    int npois = 0, nanchored = 0;
    for (size_t i = 0; i < nc; i++) {
        npois += cands[i].poisson && strstr(cands[i].name, "ridge_poisson_l2=") == cands[i].name;
        nanchored += cands[i].market_offset;
    }
    assert_int_equal(npois, 2);
    assert_int_equal(nanchored, 0);
    aps_free(cands);
    aps_wf_data_cleanup(&dt);
    /* the production fit: probabilities of a game, and an explanation that adds up */
    size_t gi = s.h.ngames - 3;
    const double *x = s.m.x + gi * (size_t)s.m.d;
    struct aps_prediction pr;
    assert_int_equal(aps_trained_predict(&a.model, x, s.m.elo + gi * 3, NAN, &pr), 0);
    assert_near(pr.p[0] + pr.p[1] + pr.p[2], 1, 1e-9);
    assert_true(pr.p[1] > 0.1 && pr.p[1] < 0.4); /* a draw is a real possibility */
    struct aps_contrib ct[8];
    int n = 0;
    assert_int_equal(aps_explain(&a.model, x, s.m.elo + gi * 3, NAN, 8, ct, &n), 0);
    assert_true(n > 0);
    for (int i = 1; i < n; i++)
        assert_true(fabs(ct[i].contribution) <= fabs(ct[i - 1].contribution));
    char *lb = aps_search_leaderboard_json(&a);
    assert_non_null(strstr(lb, "\"log_loss\""));
    aps_free(lb);
    aps_search_result_cleanup(&a);
    aps_search_result_cleanup(&b);
    aps_search_result_cleanup(&c);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

/* The search starts the boosted trees first, then the logistic models, then Elo, each family in
 * candidate order. */
static void test_start_order(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_MONEYLINE);
    struct aps_search_opts o = {.seed = 42, .budget_s = 3600, .max_models = 50,
                                .preset = APS_PRESET_GOOD};
    struct aps_candidate *c;
    size_t nc, order[64];
    assert_int_equal(aps_search_candidates(&d, &o, &c, &nc), 0);
    assert_true(nc >= 6 && nc <= 64);
    assert_int_equal(c[0].family, APS_FAM_ELO); /* listed first, started last */
    aps_search_start_order(c, nc, order);
    static const enum aps_family want[] = {APS_FAM_GBM, APS_FAM_LOGISTIC, APS_FAM_ELO};
    size_t at = 0;
    for (int f = 0; f < 3; f++) {
        size_t count = 0;
        for (size_t i = 0; i < nc; i++)
            if (c[i].family == want[f]) {
                assert_int_equal(order[at++], i);
                count++;
            }
        assert_true(count >= 1);
    }
    assert_int_equal(at, nc);
    aps_free(c);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

static void test_budget_counts_skipped(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_MONEYLINE);
    struct aps_search_opts o = {.seed = 42, .budget_s = 3600, .max_models = 2,
                                .preset = APS_PRESET_MEDIUM};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(&d, &o, &r), 0);
    assert_int_equal(r.nlb, 2);   /* elo and the first logistic; no room for the ensemble */
    assert_true(r.skipped >= 3);
    aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

/* H2O_MAX_MEM_SIZE: no candidate starts while the resident memory is above it. Below what the
 * process already holds, nothing runs, and the counts and the size seen say so (they outlive
 * the error); far above it, the limit changes nothing. */
static void test_memory_ceiling(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_MONEYLINE);
    struct aps_search_opts o = {.seed = 42,
                                .budget_s = 3600,
                                .max_models = 50,
                                .preset = APS_PRESET_MEDIUM,
                                .max_mem = 4096};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(&d, &o, &r), APS_E_NOTFOUND);
    assert_int_equal(r.nlb, 0);
    assert_true(r.skipped >= 5);
    assert_int_equal(r.skipped_mem, r.skipped);
    assert_true(r.resident_max > o.max_mem);
    o.max_mem = (size_t)1 << 46;
    assert_int_equal(aps_search_run(&d, &o, &r), 0);
    assert_int_equal(r.skipped, 0);
    assert_int_equal(r.skipped_mem, 0);
    assert_true(r.nlb >= 5);
    aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

/* A stop asked for (a signal to `aps train`) ends the search without a result: no candidate
 * starts once it is set, and the caller gets APS_E_INTERRUPTED, not a model fitted on part of
 * the leaderboard. */
static void test_stop_interrupts(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_MONEYLINE);
    atomic_int stop = 1;
    struct aps_search_opts o = {.seed = 42, .budget_s = 3600, .max_models = 50,
                                .preset = APS_PRESET_MEDIUM, .stop = &stop};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(&d, &o, &r), APS_E_INTERRUPTED);
    assert_int_equal(r.nlb, 0);
    assert_null(r.lb);
    atomic_store(&stop, 0);
    assert_int_equal(aps_search_run(&d, &o, &r), 0); /* the same search, not stopped */
    assert_true(r.nlb > 0);
    aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

/* A stream that counts the progress lines written to it and sets the stop flag at the n-th: a
 * stop that arrives while the threads are in the middle of the candidates' folds. */
struct stop_after {
    atomic_int *stop;
    atomic_int writes;
    int at;
};

static ssize_t stop_after_write(void *cookie, const char *buf, size_t size)
{
    struct stop_after *sa = cookie;
    (void)buf;
    if (atomic_fetch_add(&sa->writes, 1) + 1 == sa->at)
        atomic_store(sa->stop, 1);
    return (ssize_t)size;
}

/* A stop asked for halfway through (at the 7th progress write, while both threads are in the
 * candidates' folds): the candidates already finished and those cut short are all dropped, and
 * the caller gets APS_E_INTERRUPTED with an empty leaderboard (what was set up for the cut
 * candidates is freed: the sanitizer builds run this). The same search not stopped runs to its
 * end. */
static void test_stop_midway(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_MONEYLINE);
    atomic_int stop = 0;
    struct stop_after sa = {.stop = &stop, .at = 7};
    atomic_init(&sa.writes, 0);
    cookie_io_functions_t io = {.write = stop_after_write};
    FILE *progress = fopencookie(&sa, "w", io);
    assert_non_null(progress);
    setvbuf(progress, NULL, _IONBF, 0);
    struct aps_search_opts o = {.seed = 42,
                                .budget_s = 3600,
                                .max_models = 50,
                                .preset = APS_PRESET_MEDIUM,
                                .stop = &stop,
                                .progress = progress};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(&d, &o, &r), APS_E_INTERRUPTED);
    assert_true(atomic_load(&stop));
    assert_int_equal(r.nlb, 0);
    assert_null(r.lb);
    assert_true(atomic_load(&sa.writes) >= sa.at); /* it ran until the stop */
    fclose(progress);
    atomic_store(&stop, 0);
    sa.at = -1;
    atomic_store(&sa.writes, 0);
    progress = fopencookie(&sa, "w", io);
    setvbuf(progress, NULL, _IONBF, 0);
    o.progress = progress;
    assert_int_equal(aps_search_run(&d, &o, &r), 0);
    assert_true(atomic_load(&sa.writes) > 7 * 4); /* a whole search goes well past the stop */
    assert_true(r.nlb >= 5);
    fclose(progress);
    aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

static void test_cover_probabilities(void **state)
{
    (void)state;
    /* mu 0: a pick'em line is a coin flip, pushes excluded */
    assert_near(aps_margin_cover_prob(0, 10, APS_MKT_SPREAD, APS_SEL_HOME, 0), 0.5, 1e-12);
    /* home −3.5 with mu 3.5: P(M >= 4) = 1 − Φ(0), and the away side gets the rest */
    double ph = aps_margin_cover_prob(3.5, 5, APS_MKT_SPREAD, APS_SEL_HOME, -3.5);
    double pa = aps_margin_cover_prob(3.5, 5, APS_MKT_SPREAD, APS_SEL_AWAY, 3.5);
    assert_near(ph, 0.5, 1e-12);
    assert_near(ph + pa, 1, 1e-12);
    /* whole-number line −3 with mu 3: a push at exactly 3 is left out, symmetric otherwise */
    assert_near(aps_margin_cover_prob(3, 5, APS_MKT_SPREAD, APS_SEL_HOME, -3), 0.5, 1e-12);
    /* mu 7, sigma 10, total line 6.5 → over = 1 − Φ((6.5 − 7)/10) */
    double over = aps_margin_cover_prob(7, 10, APS_MKT_TOTAL, APS_SEL_OVER, 6.5);
    assert_near(over, 1 - 0.5 * erfc(0.05 / sqrt(2.0)), 1e-12);
    assert_true(isnan(aps_margin_cover_prob(7, 10, APS_MKT_TOTAL, APS_SEL_HOME, 6.5)));
    assert_true(isnan(aps_margin_cover_prob(7, 0, APS_MKT_TOTAL, APS_SEL_OVER, 6.5)));
}

static void test_line_distribution(void **state)
{
    (void)state;
    double p[3];
    /* whole-number line 0, mu 0, sigma 1: push = Φ(½) − Φ(−½) = 0.3829249225480262, the tails
       split the rest evenly */
    assert_true(aps_margin_line_probs(APS_DIST_NORMAL, 0, 1, 0, p));
    assert_near(p[1], 0.3829249225480262, 1e-12);
    assert_near(p[0], p[2], 1e-15);
    assert_near(p[0] + p[1] + p[2], 1, 1e-15);
    /* half line 0.5: no push; above = P(V >= 1) = 1 − Φ(½) = 0.3085375387259869 */
    assert_true(aps_margin_line_probs(APS_DIST_NORMAL, 0, 1, 0.5, p));
    assert_near(p[0], 0.3085375387259869, 1e-12);
    assert_true(p[1] == 0);
    assert_near(p[0] + p[2], 1, 1e-15);
    /* mirror image: N(3, 7) above −2.5 equals N(−3, 7) below 2.5 */
    double q[3];
    assert_true(aps_margin_line_probs(APS_DIST_NORMAL, 3, 7, -2.5, p));
    assert_true(aps_margin_line_probs(APS_DIST_NORMAL, -3, 7, 2.5, q));
    assert_near(p[0], q[2], 1e-15);
    /* a whole-number line far out still sums to 1, push included (total 220, mu 205, sigma 18) */
    assert_true(aps_margin_line_probs(APS_DIST_NORMAL, 205, 18, 220, p));
    assert_near(p[0] + p[1] + p[2], 1, 1e-15);
    assert_near(p[1], 0.5 * (erfc(-15.5 / 18 / sqrt(2.0)) - erfc(-14.5 / 18 / sqrt(2.0))), 1e-12);
    /* the cover probability is above / (above + below) at the same line */
    assert_near(aps_margin_cover_prob(205, 18, APS_MKT_TOTAL, APS_SEL_OVER, 220),
                p[0] / (p[0] + p[2]), 1e-15);
    assert_false(aps_margin_line_probs(APS_DIST_NORMAL, 0, 0, 1, p));
    assert_true(isnan(p[0]) && isnan(p[1]) && isnan(p[2]));
    assert_false(aps_margin_line_probs(APS_DIST_NORMAL, NAN, 3, 1, p));
    /* Poisson goals, mean 2.7: over 2.5 = 1 − e^−2.7 (1 + 2.7 + 2.7²/2) = 0.5063... */
    double e = exp(-2.7), le2 = e * (1 + 2.7 + 2.7 * 2.7 / 2);
    assert_true(aps_margin_line_probs(APS_DIST_POISSON, 2.7, NAN, 2.5, p));
    assert_near(p[0], 1 - le2, 1e-12);
    assert_near(p[2], le2, 1e-12);
    assert_true(p[1] == 0);
    /* whole-number line 3: the push is P(V = 3) = e^−2.7 2.7³/6, and the three sum to 1 */
    assert_true(aps_margin_line_probs(APS_DIST_POISSON, 2.7, NAN, 3, p));
    assert_near(p[1], e * 2.7 * 2.7 * 2.7 / 6, 1e-12);
    assert_near(p[2], le2, 1e-12);
    assert_near(p[0] + p[1] + p[2], 1, 1e-12);
    /* over/under 0.5 goals: P(V = 0) = e^−mu below; a line below 0 is always over */
    assert_true(aps_margin_line_probs(APS_DIST_POISSON, 1.3, NAN, 0.5, p));
    assert_near(p[2], exp(-1.3), 1e-12);
    assert_true(aps_margin_line_probs(APS_DIST_POISSON, 1.3, NAN, -0.5, p));
    assert_true(p[0] == 1 && p[1] == 0 && p[2] == 0);
    assert_near(aps_margin_cover_prob_dist(APS_DIST_POISSON, 2.7, NAN, APS_MKT_TOTAL, APS_SEL_UNDER,
                                           3),
                le2 / (1 - e * 2.7 * 2.7 * 2.7 / 6), 1e-12);
    assert_false(aps_margin_line_probs(APS_DIST_POISSON, NAN, 1, 2.5, p));
}

static void test_anchored_ridge(void **state)
{
    (void)state;
    enum { N = 400, D = 3 };
    double *x = aps_malloc(N * D * sizeof *x), *t = aps_malloc(N * sizeof *t);
    uint64_t r = 7;
    for (int i = 0; i < N; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(r >> 11) / 9007199254740992.0;
        x[i * D + 0] = -10 + 20 * u;             /* the entry spread line of the home side */
        x[i * D + 1] = (double)(i % 7) - 3;      /* a form column */
        x[i * D + 2] = i % 5 ? 1.0 : NAN;        /* sometimes missing */
        t[i] = -x[i * D + 0] + 2 + 1.5 * x[i * D + 1] + (double)(i % 11) - 5;
    }
    x[3 * D + 0] = NAN; /* one game without an entry line */
    struct aps_margin_model m, back;
    /* a huge penalty: mu is the market's margin plus the mean residual */
    assert_int_equal(aps_margin_fit_offset(x, D, t, NULL, N, 1e12, 0, -1, &m), 0);
    double mu;
    assert_int_equal(aps_margin_predict(&m, x + 10 * D, &mu), 0);
    assert_near(mu, -x[10 * D] + m.beta[0], 1e-6);
    assert_true(fabs(m.beta[0] - 2) < 0.5);
    assert_int_equal(aps_margin_predict(&m, x + 3 * D, &mu), 0);
    assert_near(mu, m.offset_fill + m.beta[0], 1e-6); /* the missing line reads the mean */
    aps_margin_cleanup(&m);
    /* a small penalty learns the rest; intercept + contributions = mu; JSON keeps the offset */
    assert_int_equal(aps_margin_fit_offset(x, D, t, NULL, N, 1e-3, 0, -1, &m), 0);
    assert_near(m.beta[2] / m.sd[1], 1.5, 0.05);
    double c[D];
    assert_int_equal(aps_margin_predict(&m, x + 20 * D, &mu), 0);
    aps_margin_contrib(&m, x + 20 * D, c);
    assert_near(m.beta[0] + c[0] + c[1] + c[2], mu, 1e-9);
    assert_true(m.sigma > 1 && m.sigma < 5);
    char *js = aps_margin_to_json(&m);
    assert_int_equal(aps_margin_from_json(js, &back), 0);
    double mu2;
    assert_int_equal(aps_margin_predict(&back, x + 20 * D, &mu2), 0);
    assert_near(mu2, mu, 1e-9);
    assert_true(back.has_offset && back.offset_col == 0 && back.offset_sign == -1);
    aps_free(js);
    aps_margin_cleanup(&back);
    aps_margin_cleanup(&m);
    assert_int_equal(aps_margin_fit_offset(x, D, t, NULL, N, 1, 3, -1, &m), APS_E_INVAL);
    aps_free(x);
    aps_free(t);
}

static void test_sigma_from_earlier_folds(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_SBR, fx_nba, 3, APS_SPORT_NBA, APS_MKT_TOTAL);
    int col = aps_candidate_line_col(&s.spec, APS_MKT_TOTAL);
    assert_true(col >= 0);
    struct aps_candidate *cands;
    size_t nc;
    struct aps_search_opts so = {.seed = 1, .preset = APS_PRESET_MEDIUM};
    assert_int_equal(aps_search_candidates(&d, &so, &cands, &nc), 0);
    for (size_t i = 0; i < nc; i++) /* basketball points are no Poisson count */
        assert_false(cands[i].poisson);
    aps_free(cands);
    struct aps_candidate c = {.family = APS_FAM_LOGISTIC, .l2 = 300, .market_offset = true};
    snprintf(c.name, sizeof c.name, "ridge_offset_l2=300");
    struct aps_oof a, b;
    double fa, fb;
    assert_int_equal(aps_wf_run(&d, &c, &a, &fa, NULL, NULL), 0);
    /* the last fold's results change: no earlier fold trains on them, and no fold's scale reads
       them, not even the last fold's own */
    const struct aps_wf_fold *last = &d.folds[d.nfolds - 1];
    for (size_t gi = last->t0; gi < last->t1; gi++)
        d.target[gi] = isnan(d.target[gi]) ? NAN : d.target[gi] + 40;
    assert_int_equal(aps_wf_run(&d, &c, &b, &fb, NULL, NULL), 0);
    size_t seen = 0;
    for (size_t gi = 0; gi < s.h.ngames; gi++) {
        if (isnan(a.sigma[gi]))
            continue;
        assert_true(a.sigma[gi] == b.sigma[gi]);
        assert_true(a.mu[gi] == b.mu[gi]);
        seen += gi >= last->t0 && gi < last->t1;
    }
    assert_true(seen > 0);
    assert_true(a.sigma[last->t0] > 5 && a.sigma[last->t0] < 40);
    /* the production scale is the one that reads every fold (all before a --until cutoff) */
    assert_true(fb > fa);
    aps_oof_cleanup(&a);
    aps_oof_cleanup(&b);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

/* Skellam: H ~ Poisson(1.5), A ~ Poisson(1), so mean 0.5 and variance 2.5. By hand (series
 * summed to 80 terms): P(V = 0) = e^−2.5 Σ 1.5^a/(a!)² = 0.25984737425775695, P(V = 1) =
 * 0.2416729818542226, P(V >= 1) = 0.48794568331620386, P(V <= −2) = 0.0910916211898906. */
static void test_skellam(void **state)
{
    (void)state;
    double p[3], mu = 0.5, sigma = sqrt(2.5);
    assert_near(aps_skellam_pmf(1.5, 1.0, 0), 0.25984737425775695, 1e-14);
    assert_near(aps_skellam_pmf(1.5, 1.0, 1), 0.2416729818542226, 1e-14);
    assert_near(aps_skellam_cdf(1.5, 1.0, -2), 0.0910916211898906, 1e-14);
    assert_near(aps_skellam_cdf(1.5, 1.0, 0), 1 - 0.48794568331620386, 1e-14);
    /* home −0.5: wins on V >= 1; no push */
    assert_true(aps_margin_line_probs(APS_DIST_SKELLAM, mu, sigma, 0.5, p));
    assert_near(p[0], 0.48794568331620386, 1e-12);
    assert_true(p[1] == 0);
    assert_near(aps_margin_cover_prob_dist(APS_DIST_SKELLAM, mu, sigma, APS_MKT_SPREAD,
                                           APS_SEL_HOME, -0.5),
                0.48794568331620386, 1e-12);
    /* home −1 (whole line): V = 1 is a push, the win is V >= 2 given no push */
    assert_true(aps_margin_line_probs(APS_DIST_SKELLAM, mu, sigma, 1, p));
    assert_near(p[1], 0.2416729818542226, 1e-12);
    assert_near(p[0] + p[1] + p[2], 1, 1e-12);
    assert_near(aps_margin_cover_prob_dist(APS_DIST_SKELLAM, mu, sigma, APS_MKT_SPREAD,
                                           APS_SEL_HOME, -1),
                (0.48794568331620386 - 0.2416729818542226) / (1 - 0.2416729818542226), 1e-12);
    /* level ball (0): a draw is a push; away +1.5 wins on V <= 1 */
    assert_near(aps_margin_cover_prob_dist(APS_DIST_SKELLAM, mu, sigma, APS_MKT_SPREAD,
                                           APS_SEL_HOME, 0),
                0.48794568331620386 / (1 - 0.25984737425775695), 1e-12);
    assert_near(aps_margin_cover_prob_dist(APS_DIST_SKELLAM, mu, sigma, APS_MKT_SPREAD,
                                           APS_SEL_AWAY, 1.5),
                1 - 0.48794568331620386 + 0.2416729818542226, 1e-12);
    /* quarter line home −0.25 is scored as the backtest does: as −0.5 here (V = 0 loses) */
    assert_near(aps_margin_cover_prob_dist(APS_DIST_SKELLAM, mu, sigma, APS_MKT_SPREAD,
                                           APS_SEL_HOME, -0.25),
                0.48794568331620386, 1e-12);
    assert_false(aps_margin_line_probs(APS_DIST_SKELLAM, mu, 0, 1, p));
    assert_int_equal(aps_score_dist_parse(aps_score_dist_name(APS_DIST_SKELLAM)),
                     APS_DIST_SKELLAM);
    assert_int_equal(aps_score_dist_parse(NULL), APS_DIST_NORMAL);
}

/* The Skellam candidates (plain and market-anchored ridge) run on a soccer handicap, with the
 * distribution in the model. */
static void test_skellam_search(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_SPREAD);
    struct aps_search_opts o = {.seed = 1, .budget_s = 3600, .max_models = 50,
                                .preset = APS_PRESET_MEDIUM};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(&d, &o, &r), 0);
    size_t found = 0;
    for (size_t i = 0; i < r.nlb; i++)
        if (!strncmp(r.lb[i].name, "ridge_skellam_l2=", 17)) {
            found++;
            assert_true(r.lb[i].s.log_loss > 0.6 && r.lb[i].s.log_loss < 0.75);
        }
    assert_int_equal(found, 2);
    found = 0; /* and around the market-anchored ridge, the entry handicap being known */
    for (size_t i = 0; i < r.nlb; i++)
        found += !strncmp(r.lb[i].name, "ridge_offset_skellam_l2=", 24);
    assert_int_equal(found, 2);
    struct aps_candidate c = {.family = APS_FAM_LOGISTIC, .l2 = 10, .skellam = true};
    char *js = aps_candidate_to_json(&c);
    struct aps_candidate back;
    assert_int_equal(aps_candidate_from_json(js, &back), 0);
    assert_true(back.skellam && !back.poisson);
    aps_free(js);
    aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

static void test_spread_search(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_SBR, fx_nba, 3, APS_SPORT_NBA, APS_MKT_SPREAD);
    assert_true(d.regression);
    check_folds(&d, 3);
    struct aps_search_opts o = {.seed = 1, .budget_s = 3600, .max_models = 50,
                                .preset = APS_PRESET_MEDIUM};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(&d, &o, &r), 0);
    assert_true(r.nlb >= 4);
    bool anchored = false; /* the market-anchored candidates run where the entry line is known */
    for (size_t i = 0; i < r.nlb; i++)
        anchored |= !strcmp(r.lb[i].name, "ridge_offset_l2=300");
    assert_true(anchored);
    /* against the closing spread a model is close to a coin flip: log-loss near ln 2 */
    assert_true(r.lb[0].s.log_loss > 0.66 && r.lb[0].s.log_loss < 0.72);
    size_t gi = s.h.ngames - 2;
    struct aps_prediction pr;
    assert_int_equal(aps_trained_predict(&r.model, s.m.x + gi * (size_t)s.m.d, s.m.elo + gi * 3,
                                         d.elo_diff[gi], &pr), 0);
    assert_true(pr.sigma > 5 && pr.sigma < 20);  /* NBA margins: about 12 points */
    double p = aps_trained_prob(&r.model, &pr, APS_SEL_HOME, -pr.mu);
    assert_near(p, 0.5, 0.05);
    aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

/* Every candidate's place on the search's leaderboard (whose threads share out the candidates'
 * folds) has exactly the scores of the same candidate run alone, fold after fold in one thread,
 * then calibrated and scored: on a three-way moneyline and on a regression (spreads, with the
 * error scale each fold's model leaves behind). Where one candidate wins, the search's
 * out-of-fold predictions are that candidate's own. */
static void check_against_sequential(struct aps_wf_data *d, enum aps_preset preset)
{
    struct aps_search_opts o = {.seed = 3, .budget_s = 3600, .max_models = 50, .preset = preset};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(d, &o, &r), 0);
    struct aps_candidate *cands;
    size_t nc, matched = 0;
    assert_int_equal(aps_search_candidates(d, &o, &cands, &nc), 0);
    for (size_t i = 0; i < nc; i++) {
        struct aps_oof raw, cal;
        enum aps_calib_method m;
        double sigma;
        struct aps_wf_scores sc;
        assert_int_equal(aps_wf_run(d, &cands[i], &raw, &sigma, NULL, NULL), 0);
        assert_int_equal(aps_wf_calibrate(d, &raw, &cal, &m), 0);
        assert_int_equal(aps_wf_score(d, &cal, &sc), 0);
        for (size_t j = 0; j < r.nlb; j++) {
            if (strcmp(r.lb[j].name, cands[i].name))
                continue;
            matched++;
            assert_int_equal(r.lb[j].calib, m);
            assert_memory_equal(&r.lb[j].s, &sc, sizeof sc);
            if (j == 0) {
                for (size_t k = 0; k < cal.n * (size_t)cal.k; k++)
                    assert_true(isnan(cal.p[k]) ? isnan(r.oof.p[k]) : cal.p[k] == r.oof.p[k]);
            }
        }
        aps_oof_cleanup(&raw);
        aps_oof_cleanup(&cal);
    }
    assert_int_equal(matched, nc); /* every candidate ran, each compared */
    aps_free(cands);
    aps_search_result_cleanup(&r);
}

static void test_search_equals_sequential(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_MONEYLINE);
    check_against_sequential(&d, APS_PRESET_GOOD);
    aps_wf_data_cleanup(&d);
    unload(&s);
    load_market(&s, &d, APS_SOURCE_SBR, fx_nba, 3, APS_SPORT_NBA, APS_MKT_SPREAD);
    check_against_sequential(&d, APS_PRESET_MEDIUM);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

static void test_largest_ensemble(void **state)
{
    (void)state;
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5, APS_SPORT_EPL, APS_MKT_SPREAD);
    struct aps_search_opts o = {.seed = 1,
                                .budget_s = 3600,
                                .max_models = 50,
                                .preset = APS_PRESET_BEST,
                                .fit_name = "ensemble"};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(&d, &o, &r), 0);
    int bases = 0;
    for (size_t i = 0; i < r.nlb; i++)
        bases += r.lb[i].family != APS_FAM_ENSEMBLE;
    assert_true(bases > 20 && bases <= APS_ENS_MAX);
    assert_int_equal(r.model.family, APS_FAM_ENSEMBLE);
    assert_int_equal(r.model.nbase, bases);
    char dir[] = "/tmp/aps-test-ensemble-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(aps_registry_write_model(&r.model, dir), 0);
    struct aps_trained back;
    assert_int_equal(aps_registry_load(dir, &back, NULL, 0), 0);
    assert_int_equal(back.nbase, bases);
    size_t gi = s.h.ngames - 2;
    struct aps_prediction p1, p2;
    assert_int_equal(aps_trained_predict(&r.model, s.m.x + gi * (size_t)s.m.d, s.m.elo + gi * 3,
                                         d.elo_diff[gi], &p1),
                     0);
    assert_int_equal(aps_trained_predict(&back, s.m.x + gi * (size_t)s.m.d, s.m.elo + gi * 3,
                                         d.elo_diff[gi], &p2),
                     0);
    assert_true(isfinite(p1.mu) && p1.sigma > 0);
    assert_near(p2.mu, p1.mu, 1e-9);
    assert_near(p2.sigma, p1.sigma, 1e-9);
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    aps_trained_cleanup(&back);
    aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

/* A single season (NHL 2020-21, the only NHL season with prices): no earlier season to burn in,
 * so its first quarter only trains and the rest is tested month by month; a search runs and
 * scores every tested game but the first fold's. Cut inside the season (the history a
 * `--until 2021-04-01` training loads), the same rule applies to what is left. */
static void test_single_season_folds(void **state)
{
    (void)state;
    static const char *const nhl[] = {"sportsbookreview/nhl/nhl odds 2021.csv"};
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_SBR, nhl, 1, APS_SPORT_NHL, APS_MKT_MONEYLINE);
    assert_int_equal(s.h.nseasons, 1);
    check_folds(&d, 3);
    size_t t0 = d.folds[0].t0;
    assert_true(t0 >= (s.h.ngames + 3) / 4);                             /* a quarter at least */
    assert_string_not_equal(s.h.games[t0 - 1].date, s.h.games[t0].date); /* a day's end */
    assert_true(strcmp(s.h.games[t0 - 1].date, s.h.games[(s.h.ngames + 3) / 4 - 1].date) == 0);
    assert_int_equal(d.folds[d.nfolds - 1].t1, s.h.ngames);
    for (size_t f = 0; f < d.nfolds; f++) {
        const struct aps_wf_fold *fo = &d.folds[f];
        assert_int_equal(strlen(fo->label), 7); /* a month, "2021-03" */
        if (f)
            assert_true(strcmp(fo->label, d.folds[f - 1].label) > 0);
        assert_true(fo->train_lo == 0);
    }
    size_t scored = 0;
    for (size_t gi = 0; gi < s.h.ngames; gi++) {
        scored += aps_wf_scored(&d, gi);
        if (gi < d.folds[1].t0)
            assert_false(aps_wf_scored(&d, gi)); /* training quarter and the warm-up fold */
    }
    assert_true(scored >= 200);
    struct aps_search_opts o = {.seed = 42,
                                .budget_s = 3600,
                                .max_models = 3,
                                .preset = APS_PRESET_MEDIUM};
    struct aps_search_result r;
    assert_int_equal(aps_search_run(&d, &o, &r), 0);
    assert_true(r.nlb >= 2);
    assert_int_equal(r.lb[0].s.n, scored);
    assert_true(r.lb[0].s.log_loss > 0.5 && r.lb[0].s.log_loss < 0.75);
    aps_search_result_cleanup(&r);
    aps_wf_data_cleanup(&d);
    /* the part of the season before 2021-04-01 */
    struct aps_history cut;
    struct aps_feat_extras x;
    struct aps_feat_matrix m;
    struct aps_wf_opts wo;
    assert_int_equal(aps_history_load(s.fx.c, APS_SPORT_NHL, NULL, "2021-03-31", &cut), 0);
    assert_true(cut.ngames < s.h.ngames);
    assert_int_equal(aps_feat_extras_load(s.fx.c, &cut, &x), 0);
    assert_int_equal(aps_feat_build(&cut, &x, &s.spec, &m), 0);
    aps_wf_opts_default(&wo);
    assert_int_equal(aps_wf_data_init(&d, &cut, &m, &s.spec, APS_MKT_MONEYLINE, &wo), 0);
    check_folds(&d, 2);
    assert_true(d.folds[0].t0 >= (cut.ngames + 3) / 4);
    assert_true(strcmp(cut.games[cut.ngames - 1].date, "2021-04-01") < 0);
    aps_wf_data_cleanup(&d);
    aps_feat_matrix_cleanup(&m);
    aps_feat_extras_cleanup(&x);
    aps_history_cleanup(&cut);
    /* a history too short for two months after its first quarter (January 2021 alone) has no
       folds */
    assert_int_equal(aps_history_load(s.fx.c, APS_SPORT_NHL, NULL, "2021-01-31", &cut), 0);
    assert_int_equal(aps_feat_extras_load(s.fx.c, &cut, &x), 0);
    assert_int_equal(aps_feat_build(&cut, &x, &s.spec, &m), 0);
    assert_int_equal(aps_wf_data_init(&d, &cut, &m, &s.spec, APS_MKT_MONEYLINE, &wo),
                     APS_E_NOTFOUND);
    aps_feat_matrix_cleanup(&m);
    aps_feat_extras_cleanup(&x);
    aps_history_cleanup(&cut);
    unload(&s);
}

/* Month folds end where months end: the Premier League's September 2020 (28 games, too few for a
 * fold of its own) grows into October and the fold ends with October. (It ended after the 30th
 * game, in the middle of 3 October, whose earlier games then trained the fold that tested the
 * later ones.) */
static void test_small_month_folds(void **state)
{
    (void)state;
    static const char *const epl[] = {"football-data/E0/1819_E0.csv",
                                      "football-data/E0/1920_E0.csv",
                                      "football-data/E0/2021_E0.csv"};
    struct sport_data s;
    struct aps_wf_data d;
    load_market(&s, &d, APS_SOURCE_FOOTBALL_DATA, epl, 3, APS_SPORT_EPL, APS_MKT_MONEYLINE);
    check_folds(&d, 3);
    assert_string_equal(d.folds[0].label, "2020-09");
    for (size_t f = 1; f < d.nfolds; f++) /* each fold starts a month */
        assert_int_not_equal(strncmp(s.h.games[d.folds[f].t0 - 1].date,
                                     s.h.games[d.folds[f].t0].date, 7),
                             0);
    aps_wf_data_cleanup(&d);
    unload(&s);
}

/* Scored games of the history cut at `to` (the history a `--until` the next day loads). */
static size_t scored_until(struct sport_data *s, const char *to, size_t *last_t1)
{
    struct aps_history cut;
    struct aps_feat_extras x;
    struct aps_feat_matrix m;
    struct aps_wf_opts wo;
    struct aps_wf_data d;
    size_t scored = 0;
    assert_int_equal(aps_history_load(s->fx.c, APS_SPORT_EPL, NULL, to, &cut), 0);
    assert_int_equal(aps_feat_extras_load(s->fx.c, &cut, &x), 0);
    assert_int_equal(aps_feat_build(&cut, &x, &s->spec, &m), 0);
    aps_wf_opts_default(&wo);
    assert_int_equal(aps_wf_data_init(&d, &cut, &m, &s->spec, APS_MKT_MONEYLINE, &wo), 0);
    check_folds(&d, 2);
    for (size_t gi = 0; gi < cut.ngames; gi++)
        scored += aps_wf_scored(&d, gi);
    *last_t1 = d.folds[d.nfolds - 1].t1 == cut.ngames;
    aps_wf_data_cleanup(&d);
    aps_feat_matrix_cleanup(&m);
    aps_feat_extras_cleanup(&x);
    aps_history_cleanup(&cut);
    return scored;
}

/* Three Premier League seasons and the start of a fourth (a cutoff a few weeks into 2021-22):
 * the folds test every game of the young season and still score the season before it month by
 * month, as they do with the cutoff before the young season; a few more games never leave fewer
 * to score. (It used to be tested as one warm-up fold, leaving only the young season's few games
 * to score: "fewer than 200 games to score".) */
static void test_young_season_folds(void **state)
{
    (void)state;
    static const char *const epl[] = {"football-data/E0/1819_E0.csv",
                                      "football-data/E0/1920_E0.csv",
                                      "football-data/E0/2021_E0.csv",
                                      "football-data/E0/2122_E0.csv"};
    struct sport_data s;
    size_t to_end = 0;
    load(&s, APS_SOURCE_FOOTBALL_DATA, epl, 4, APS_SPORT_EPL);
    size_t before = scored_until(&s, "2021-07-31", &to_end);
    assert_true(before >= 200);
    size_t prev = before;
    static const char *const cuts[] = {"2021-08-13", "2021-09-30", "2021-10-31", "2021-12-31"};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t n = scored_until(&s, cuts[i], &to_end);
        assert_true(n >= prev); /* more games, never fewer scored */
        assert_true(to_end);    /* every game of the young season is tested */
        prev = n;
    }
    assert_true(prev > before + 150); /* the young season's games, scored */
    unload(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cover_probabilities),
        cmocka_unit_test(test_line_distribution),
        cmocka_unit_test(test_anchored_ridge),
        cmocka_unit_test(test_sigma_from_earlier_folds),
        cmocka_unit_test(test_reproducible_search),
        cmocka_unit_test(test_start_order),
        cmocka_unit_test(test_search_equals_sequential),
        cmocka_unit_test(test_budget_counts_skipped),
        cmocka_unit_test(test_memory_ceiling),
        cmocka_unit_test(test_stop_interrupts),
        cmocka_unit_test(test_stop_midway),
        cmocka_unit_test(test_single_season_folds),
        cmocka_unit_test(test_small_month_folds),
        cmocka_unit_test(test_young_season_folds),
        cmocka_unit_test(test_spread_search),
        cmocka_unit_test(test_skellam),
        cmocka_unit_test(test_skellam_search),
        cmocka_unit_test(test_largest_ensemble),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
