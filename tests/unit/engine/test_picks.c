/* test_picks.c — publishing picks with the production model of a market when one is registered
 * (Elo elsewhere), on real Premier League data: the pick names the model that made it, its
 * probability is a proper one, re-publishing with nothing new adds nothing, grading grades
 * every pick of finished games once, and the lock-in chain verifies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "engine/lockin.h"
#include "engine/picks.h"
#include "engine/trainer.h"
#include "model/walkforward.h"

#include "../model/fixture.c"

static int64_t count_model(struct aps_conn *c, const char *market, const char *model)
{
    const char *p[2] = {market, model};
    int64_t n = -1;
    assert_int_equal(aps_conn_query_int64(c,
                                          "SELECT count(*) FROM predictions WHERE market = ?1"
                                          " AND model = ?2",
                                          2, p, &n),
                     0);
    return n;
}

static void picks_use_the_production_model(void **state)
{
    (void)state;
    struct fx_store fx;
    fx_open(&fx);
    fx_ingest(&fx, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5);
    struct aps_publish_opts o = {.sport = APS_SPORT_EPL, .horizon = 14 * 86400,
                                 .margin = APS_MARGIN_MULTIPLICATIVE, .replay = true};
    aps_kelly_params_default(&o.kelly);
    assert_int_equal(aps_time_parse_iso("2023-04-20T00:00:00Z", &o.now), 0);

    /* no model registered: every pick comes from Elo */
    struct aps_publish_result r;
    assert_int_equal(aps_picks_publish(fx.c, &o, &r), 0);
    assert_true(r.games > 10);
    assert_int_equal(r.published, count_model(fx.c, "moneyline", "elo") +
                                      count_model(fx.c, "spread", "elo") +
                                      count_model(fx.c, "total", "elo"));

    /* train the moneyline and promote it */
    char models[200];
    snprintf(models, sizeof models, "%s/models", fx.dir);
    struct aps_trainer_sport ts;
    assert_int_equal(aps_trainer_prepare(fx.c, APS_SPORT_EPL, &ts), 0);
    struct aps_trainer_opts to = {.search = {.seed = 42, .budget_s = 3600, .max_models = 4,
                                             .preset = APS_PRESET_MEDIUM},
                                  .preset_name = "medium_quality", .model_path = models,
                                  .promote = true, .leak_samples = 10};
    aps_wf_opts_default(&to.wf);
    struct aps_trainer_outcome out;
    assert_int_equal(aps_trainer_run(fx.c, &ts, APS_MKT_MONEYLINE, &to, &out), 0);
    assert_true(out.promoted);

    /* published again: the moneyline picks now come from the model (their probabilities change,
     * so new picks are locked in); spreads and totals stay with Elo and are unchanged */
    struct aps_publish_result r2;
    assert_int_equal(aps_picks_publish(fx.c, &o, &r2), 0);
    int64_t by_model = count_model(fx.c, "moneyline", out.model_name);
    assert_true(by_model > 10);
    assert_int_equal(count_model(fx.c, "spread", out.model_name), 0);
    int64_t bad = -1;
    assert_int_equal(aps_conn_query_int64(fx.c,
                                          "SELECT count(*) FROM predictions WHERE probability <= 0"
                                          " OR probability >= 1",
                                          0, NULL, &bad),
                     0);
    assert_int_equal(bad, 0);

    /* nothing new: nothing added */
    struct aps_publish_result r3;
    assert_int_equal(aps_picks_publish(fx.c, &o, &r3), 0);
    assert_int_equal(r3.published, 0);

    /* the games are finished in the store: every pick is graded once */
    struct aps_grade_run g1, g2;
    assert_int_equal(aps_picks_grade(fx.c, APS_MARGIN_MULTIPLICATIVE, &g1), 0);
    int64_t total = -1;
    assert_int_equal(aps_conn_query_int64(fx.c, "SELECT count(*) FROM predictions", 0, NULL,
                                          &total),
                     0);
    assert_int_equal((int64_t)g1.graded, total);
    assert_int_equal(aps_picks_grade(fx.c, APS_MARGIN_MULTIPLICATIVE, &g2), 0);
    assert_int_equal(g2.graded, 0);

    struct aps_verify_result v;
    assert_int_equal(aps_lockin_verify(fx.c, &v), 0);
    assert_true(v.ok);
    assert_int_equal(v.checked, total);

    aps_trainer_outcome_cleanup(&out);
    aps_trainer_sport_cleanup(&ts);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_use_the_production_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
