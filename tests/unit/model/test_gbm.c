/* test_gbm.c — XGBoost through the C API (src/model/gbm.c) on a small real slice: NBA 2016-17
 * and 2017-18 (sportsbookreview files ingested into a temporary store) train a binary model of
 * the home win from the point-in-time features; on 2018-19 it must beat the constant predictor
 * (the training share of home wins) in log-loss. Also: saving and loading the booster keeps its
 * predictions, the one-row path equals the batch path, and TreeSHAP contributions plus the bias
 * add up to the raw score (the log-odds of the prediction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mem.h"
#include "model/gbm.h"

#include "fixture.c"

static void test_beats_constant(void **state)
{
    (void)state;
    struct fx_store fx;
    struct aps_history h;
    struct aps_feat_extras x;
    struct aps_feat_spec spec;
    struct aps_feat_matrix m;
    fx_open(&fx);
    fx_ingest(&fx, APS_SOURCE_SBR, fx_nba, 3);
    assert_int_equal(aps_history_load(fx.c, APS_SPORT_NBA, NULL, NULL, &h), 0);
    assert_int_equal(aps_feat_extras_load(fx.c, &h, &x), 0);
    aps_feat_spec_all(&h, &spec);
    assert_int_equal(aps_feat_build(&h, &x, &spec, &m), 0);
    size_t *train = aps_malloc(h.ngames * sizeof *train), *test = aps_malloc(h.ngames * sizeof *test);
    double *y = aps_malloc(h.ngames * sizeof *y);
    size_t ntr = 0, nte = 0, home_wins = 0;
    for (size_t gi = 0; gi < h.ngames; gi++) {
        const struct aps_hist_game *g = &h.games[gi];
        if (!aps_hist_final(g) || g->home_score == g->away_score)
            continue;
        y[gi] = g->home_score > g->away_score ? 0 : 1;
        if (g->season_no < 2) {
            train[ntr++] = gi;
            home_wins += y[gi] == 0;
        } else {
            test[nte++] = gi;
        }
    }
    assert_true(ntr > 2000 && nte > 1000);
    struct aps_gbm_params p = {80, 3, 0.08, 10, 0.8, 0.8, 5, 0, 0, 42, 1};
    struct aps_gbm gb;
    assert_int_equal(aps_gbm_fit(m.x, m.d, y, train, ntr, APS_GBM_BINARY, 2, &p, &gb), 0);
    double *out = aps_malloc(nte * 2 * sizeof *out);
    assert_int_equal(aps_gbm_predict(&gb, m.x, test, nte, out), 0);
    double base = (double)home_wins / (double)ntr, ll = 0, ll0 = 0;
    for (size_t i = 0; i < nte; i++) {
        bool home = y[test[i]] == 0;
        ll -= log(home ? out[i * 2] : out[i * 2 + 1]);
        ll0 -= log(home ? base : 1 - base);
    }
    ll /= (double)nte;
    ll0 /= (double)nte;
    print_message("gbm log-loss %.4f, constant %.4f on %zu games\n", ll, ll0, nte);
    assert_true(ll < ll0 - 0.02);

    /* the one-row path, save/load, contributions */
    const double *row = m.x + test[5] * (size_t)m.d;
    double one[2], c[128];
    assert_int_equal(aps_gbm_predict_row(&gb, row, one), 0);
    assert_near(one[0], out[5 * 2], 1e-6);
    assert_true(m.d < 127);
    assert_int_equal(aps_gbm_contrib(&gb, row, 0, c), 0);
    double sum = 0;
    for (int j = 0; j <= m.d; j++)
        sum += c[j];
    assert_near(sum, log(one[0] / (1 - one[0])), 1e-4);
    char path[160];
    snprintf(path, sizeof path, "%s/gbm.json", fx.dir);
    assert_int_equal(aps_gbm_save(&gb, path), 0);
    struct aps_gbm g2;
    assert_int_equal(aps_gbm_load(path, APS_GBM_BINARY, 2, &g2), 0);
    assert_int_equal(g2.d, m.d);
    double two[2];
    assert_int_equal(aps_gbm_predict_row(&g2, row, two), 0);
    assert_near(two[0], one[0], 1e-7);
    aps_gbm_cleanup(&g2);
    aps_gbm_cleanup(&gb);
    aps_free(out);
    aps_free(train);
    aps_free(test);
    aps_free(y);
    aps_feat_matrix_cleanup(&m);
    aps_feat_extras_cleanup(&x);
    aps_history_cleanup(&h);
    fx_close(&fx);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    double x[4] = {0, 1, 2, 3}, y[4] = {0, 1, 0, 1};
    struct aps_gbm_params p = {0, 3, 0.1, 1, 1, 1, 1, 0, 0, 1, 1};
    struct aps_gbm gb;
    assert_int_equal(aps_gbm_fit(x, 1, y, NULL, 4, APS_GBM_BINARY, 2, &p, &gb), APS_E_INVAL);
    p.rounds = 5;
    assert_int_equal(aps_gbm_fit(x, 1, y, NULL, 4, APS_GBM_SOFTMAX, 2, &p, &gb), APS_E_INVAL);
    assert_int_equal(aps_gbm_load("/nonexistent/x.json", APS_GBM_BINARY, 2, &gb), APS_E_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beats_constant),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
