/* test_picks.c — publishing picks on real Premier League data: without a model that passed the
 * market gate a market is tracking only (Elo and a model promoted by hand alike: no tier, no
 * stake, the reason recorded); with one it is published, every pick a bet with tier and stake
 * within the supported edge or no bet with its reason, and every published pick carries its
 * stored explanation; re-publishing with nothing new adds nothing, grading grades every pick of
 * finished games once, a graded pick is never replaced, and the lock-in chain verifies. Every run counts its tracking-only picks
 * by reason, and names a production model that does not load with the file it could not read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "engine/lockin.h"
#include "engine/picks.h"
#include "engine/trainer.h"
#include "metrics/metrics.h"
#include "model/registry.h"
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

static int64_t q(struct aps_conn *c, const char *sql)
{
    int64_t n = -1;
    assert_int_equal(aps_conn_query_int64(c, sql, 0, NULL, &n), 0);
    return n;
}

static void set_gate(struct aps_conn *c, const char *name, bool passed, double max_edge)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE models SET metrics = '{\"market_gate\":{\"passed\":%s,\"why\":\"log-loss +3.0 %% over the close\","
             "\"max_supported_edge\":%.3f}}' WHERE name = '%s'",
             passed ? "true" : "false", max_edge, name);
    assert_int_equal(aps_conn_exec(c, sql), 0);
}

/* Regression: a production model whose files were moved was hidden behind "no model passed the
 * promotion gate". The run now names it with the file it could not read, and counts its
 * market's tracking-only picks under "did not load". */
static void production_model_that_does_not_load(struct fx_store *fx,
                                                const struct aps_publish_opts *o, const char *name)
{
    char sql[512], want[256];
    snprintf(sql, sizeof sql, "UPDATE models SET path = path || '-moved' WHERE name = '%s'", name);
    assert_int_equal(aps_conn_exec(fx->c, sql), 0);
    struct aps_publish_result r;
    struct aps_publish_opts with_metrics = *o; /* as the worker's predict job runs it */
    assert_int_equal(aps_metrics_new(&with_metrics.metrics), 0);
    assert_int_equal(aps_picks_publish(fx->c, &with_metrics, &r), 0);
    assert_int_equal(r.nunloaded, 1);
    /* counted for the ProductionModelNotLoading alert, under the sport and market */
    static const char *const sm[] = {"sport", "market", NULL};
    struct aps_metric *m = aps_metrics_counter(with_metrics.metrics,
                                               "aps_model_load_failures_total", "", sm);
    const char *epl_moneyline[] = {"EPL", "moneyline"}, *epl_total[] = {"EPL", "total"};
    assert_true(aps_metric_value(m, epl_moneyline) == 1);
    assert_true(aps_metric_value(m, epl_total) == 0);
    aps_metrics_free(with_metrics.metrics);
    assert_int_equal(r.unloaded[0].market, APS_MKT_MONEYLINE);
    assert_string_equal(r.unloaded[0].model, name);
    snprintf(want, sizeof want, "%s-moved/model.json", name);
    assert_non_null(strstr(r.unloaded[0].why, want));
    /* the moneyline picks change from published to tracking only: all of them are new */
    assert_true(r.published > 10);
    assert_int_equal(r.tracking, r.published);
    snprintf(want, sizeof want, "production model %s did not load", name);
    size_t sum = 0, moneyline = 0;
    for (size_t i = 0; i < r.nreasons; i++) {
        sum += r.reasons[i].picks;
        if (!strcmp(r.reasons[i].why, want))
            moneyline = r.reasons[i].picks;
    }
    assert_int_equal(sum, r.tracking);
    assert_true(moneyline > 10);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM predictions WHERE model = 'elo' AND"
             " market = 'moneyline' AND no_bet_reason = 'tracking only: %s'",
             want);
    assert_int_equal(q(fx->c, sql), (int64_t)moneyline);
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

    /* no model registered: every pick comes from Elo, and Elo has no free pass: tracking only,
     * no tier, no stake, the reason recorded */
    struct aps_publish_result r;
    assert_int_equal(aps_picks_publish(fx.c, &o, &r), 0);
    assert_true(r.games > 10);
    assert_int_equal(r.published, count_model(fx.c, "moneyline", "elo") +
                                      count_model(fx.c, "spread", "elo") +
                                      count_model(fx.c, "total", "elo"));
    assert_int_equal(r.tracking, r.published);
    assert_int_equal(r.staked, 0);
    assert_int_equal(q(fx.c, "SELECT count(*) FROM predictions WHERE publication <> 'tracking_only'"
                             " OR tier <> '' OR stake_fraction <> 0 OR no_bet_reason NOT LIKE"
                             " 'tracking only: no model passed the promotion gate for EPL %'"),
                     0);
    /* the run counts them by reason: one per market, every pick under one */
    assert_int_equal(r.nreasons, 3);
    assert_int_equal(r.nunloaded, 0);
    size_t by_reason = 0;
    for (size_t i = 0; i < r.nreasons; i++) {
        assert_non_null(strstr(r.reasons[i].why, "no model passed the promotion gate for EPL "));
        by_reason += r.reasons[i].picks;
    }
    assert_int_equal(by_reason, r.tracking);

    /* train the moneyline, then record a failed market gate for it */
    char models[200];
    snprintf(models, sizeof models, "%s/models", fx.dir);
    struct aps_trainer_sport ts;
    assert_int_equal(aps_trainer_prepare(fx.c, APS_SPORT_EPL, &ts), 0);
    struct aps_trainer_opts to = {.search = {.seed = 42, .budget_s = 3600, .max_models = 4,
                                             .preset = APS_PRESET_MEDIUM},
                                  .preset_name = "medium_quality", .model_path = models,
                                  .promote = false, .leak_samples = 10};
    aps_wf_opts_default(&to.wf);
    struct aps_trainer_outcome out;
    assert_int_equal(aps_trainer_run(fx.c, &ts, APS_MKT_MONEYLINE, &to, &out), 0);
    assert_false(out.promoted);
    set_gate(fx.c, out.model_name, false, 0);

    /* promoted by hand with its failed gate: its probabilities are used, still tracking only */
    struct aps_model_row row;
    assert_int_equal(aps_registry_get(fx.c, out.model_name, &row), 0);
    assert_int_equal(aps_registry_promote(fx.c, row.id, "by hand"), 0);
    aps_registry_row_cleanup(&row);
    struct aps_publish_result r2;
    assert_int_equal(aps_picks_publish(fx.c, &o, &r2), 0);
    int64_t by_model = count_model(fx.c, "moneyline", out.model_name);
    assert_true(by_model > 10);
    assert_int_equal(r2.tracking, r2.published);
    assert_int_equal(q(fx.c, "SELECT count(*) FROM predictions WHERE publication = 'published'"), 0);
    /* each of its picks says why the gate failed, as the gate recorded it */
    assert_int_equal(q(fx.c, "SELECT count(*) FROM predictions WHERE no_bet_reason = 'tracking"
                             " only: the production model failed the market gate: log-loss +3.0 %"
                             " over the close'"),
                     by_model);

    /* the same model with a passed gate whose record supports edges up to 0.06: its market is
     * published; every pick is a bet with a tier and a stake or no bet with its reason, an edge
     * above 0.06 is never a bet, and every published pick has its explanation stored */
    set_gate(fx.c, out.model_name, true, 0.06);
    struct aps_publish_result r3;
    assert_int_equal(aps_picks_publish(fx.c, &o, &r3), 0);
    assert_true(r3.published > r3.tracking);
    int64_t published = q(fx.c, "SELECT count(*) FROM predictions WHERE publication = 'published'");
    assert_true(published > 10);
    assert_int_equal(q(fx.c, "SELECT count(*) FROM predictions WHERE publication = 'published'"
                             " AND market <> 'moneyline'"),
                     0);
    assert_int_equal(q(fx.c, "SELECT count(*) FROM predictions WHERE (tier <> '' AND"
                             " (stake_fraction <= 0 OR edge < 0.03 OR edge > 0.06))"
                             " OR (tier = '' AND (stake_fraction <> 0 OR no_bet_reason IS NULL))"),
                     0);
    assert_int_equal(q(fx.c, "SELECT count(*) FROM predictions p WHERE publication = 'published'"
                             " AND (explanation IS NULL OR NOT EXISTS (SELECT 1 FROM"
                             " prediction_explanations e WHERE e.prediction_id = p.id))"),
                     0);
    assert_int_equal(q(fx.c, "SELECT count(*) FROM predictions p WHERE publication <> 'published'"
                             " AND EXISTS (SELECT 1 FROM prediction_explanations e WHERE"
                             " e.prediction_id = p.id)"),
                     0);
    int64_t bad = -1;
    assert_int_equal(aps_conn_query_int64(fx.c,
                                          "SELECT count(*) FROM predictions WHERE probability <= 0"
                                          " OR probability >= 1",
                                          0, NULL, &bad),
                     0);
    assert_int_equal(bad, 0);

    /* nothing new: nothing added */
    struct aps_publish_result r4;
    assert_int_equal(aps_picks_publish(fx.c, &o, &r4), 0);
    assert_int_equal(r4.published, 0);

    production_model_that_does_not_load(&fx, &o, out.model_name);

    /* the games are finished in the store: every pick is graded once, and a graded pick is
     * never replaced */
    struct aps_grade_run g1, g2;
    struct aps_grade_clock clock = {aps_time_now(), APS_GRADE_GRACE_DEFAULT_S};
    assert_int_equal(aps_picks_grade(fx.c, APS_MARGIN_MULTIPLICATIVE, &clock, &g1), 0);
    int64_t total = q(fx.c, "SELECT count(*) FROM predictions");
    assert_int_equal((int64_t)g1.graded, total);
    assert_int_equal(aps_picks_grade(fx.c, APS_MARGIN_MULTIPLICATIVE, &clock, &g2), 0);
    assert_int_equal(g2.graded, 0);
    /* the production model loads again: its market would be published, but every game's
     * pick is graded */
    assert_int_equal(aps_conn_exec(fx.c, "UPDATE models SET path = replace(path, '-moved', '')"),
                     0);
    struct aps_publish_result r5;
    assert_int_equal(aps_picks_publish(fx.c, &o, &r5), 0);
    assert_int_equal(r5.published, 0);
    assert_int_equal(q(fx.c, "SELECT count(*) FROM predictions"), total);

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
