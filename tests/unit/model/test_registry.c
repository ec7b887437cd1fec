/* test_registry.c — the model registry and its promotion rules (src/model/registry.c,
 * registry_files.c) through a real training run (engine/trainer.c) on Premier League 2018-19 ..
 * 2022-23 in a temporary store:
 *   - the first model of a sport and market is promoted when its leakage check passed and its
 *     ECE is at most 0.03; its artefacts load back and predict what the trained model predicts;
 *   - a challenger is not promoted when its leakage check failed, when its ECE is above 0.03, or
 *     when it does not beat production's log-loss on the same games, and the reason is recorded;
 *   - a challenger that beats production on the same games is promoted and the previous
 *     production model is archived; promoting by hand does the same;
 *   - the market gate of a trained model is measured on exactly the games the trainer scored
 *     walk-forward that have a closing price (never its warm-up fold), with the stored
 *     walk-forward probabilities against the closing no-vig market's;
 *   - retention: models never promoted lose their artefacts after 90 days, the others keep them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "core/mem.h"
#include "core/timeutil.h"
#include "engine/market.h"
#include "engine/trainer.h"
#include "model/registry.h"

#include "fixture.c"

static void status_of(struct aps_conn *c, const char *name, const char *want)
{
    struct aps_model_row r;
    assert_int_equal(aps_registry_get(c, name, &r), 0);
    assert_string_equal(r.status, want);
    aps_registry_row_cleanup(&r);
}

/* Saves t as a challenger with the given meta and walk-forward predictions. */
static int64_t challenger_gated(struct aps_conn *c, const char *dir, const struct aps_trained *t,
                                const struct aps_wf_data *d, const struct aps_oof *oof,
                                double ece, bool leak_ok, bool gate, char *name)
{
    struct aps_model_meta meta = {"{}", "0",
                                  gate ? "{\"market_gate\":{\"passed\":true,\"why\":\"ok\"}}"
                                       : "{\"market_gate\":{\"passed\":false,\"why\":\"worse\"}}",
                                  0.9, ece, 100, leak_ok, aps_time_now()};
    int64_t id;
    assert_int_equal(aps_registry_save(c, dir, t, &meta, d, oof, &id, name), 0);
    return id;
}

static int64_t challenger(struct aps_conn *c, const char *dir, const struct aps_trained *t,
                          const struct aps_wf_data *d, const struct aps_oof *oof, double ece,
                          bool leak_ok, char *name)
{
    return challenger_gated(c, dir, t, d, oof, ece, leak_ok, true, name);
}

/* A walk-forward set that puts q on the class that happened (and the rest evenly). */
static void fake_oof(const struct aps_wf_data *d, double q, struct aps_oof *o)
{
    aps_oof_init(o, d->h->ngames, d->k, false);
    for (size_t gi = 0; gi < d->h->ngames; gi++) {
        if (aps_wf_fold_of(d, gi) < 0)
            continue;
        for (int c = 0; c < d->k; c++)
            o->p[gi * (size_t)d->k + (size_t)c] =
                d->y[gi] < 0 ? 1.0 / d->k : c == d->y[gi] ? q : (1 - q) / (d->k - 1);
    }
}

static void test_promotion_rules(void **state)
{
    (void)state;
    struct fx_store fx;
    struct aps_trainer_sport ts;
    char models[160], note[320], name[128];
    fx_open(&fx);
    fx_ingest(&fx, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5);
    snprintf(models, sizeof models, "%s/models", fx.dir);
    assert_int_equal(aps_trainer_prepare(fx.c, APS_SPORT_EPL, &ts), 0);
    struct aps_trainer_opts o = {.search = {.seed = 42, .budget_s = 3600, .max_models = 4,
                                            .preset = APS_PRESET_MEDIUM},
                                 .preset_name = "medium_quality", .model_path = models,
                                 .promote = true, .leak_samples = 10};
    aps_wf_opts_default(&o.wf);
    struct aps_trainer_outcome out;
    assert_int_equal(aps_trainer_run(fx.c, &ts, APS_MKT_MONEYLINE, &o, &out), 0);
    assert_true(out.ran);
    assert_true(out.leak_checked >= 10 && out.leak_bad < 0);
    /* the market gate is measured on the games the trainer scored walk-forward (not the
     * warm-up fold): every one of them, bar those without a closing price at the line it
     * predicted, and nothing else */
    const struct aps_wf_scores *wf = &out.r.lb[0].s;
    assert_int_equal(out.gate.scored, wf->n);
    assert_int_equal(out.gate.games + out.gate.no_close + out.gate.other_line, wf->n);
    assert_true(out.gate.games >= 700);
    assert_true(out.gate.passed == (out.gate.ll_model <= 1.005 * out.gate.ll_market));
    /* the same log-losses from the stored predictions and the closing market, game by game */
    struct aps_model_preds sp;
    assert_int_equal(aps_registry_preds_load(fx.c, out.model_id, &sp), 0);
    double llm = 0, llc = 0;
    size_t n = 0;
    for (size_t gi = 0; gi < ts.h.ngames; gi++) {
        long i = aps_registry_preds_find(&sp, ts.h.games[gi].id);
        struct aps_market_view v;
        if (i < 0 || !sp.scored[i] || sp.outcome[i] < 0)
            continue;
        assert_int_equal(aps_market_view(&ts.h, &ts.h.games[gi], APS_MKT_MONEYLINE,
                                         APS_MARGIN_MULTIPLICATIVE, &v), 0);
        if (!v.has_close || isnan(v.side[sp.outcome[i]].close_novig))
            continue;
        llm -= log(sp.p[(size_t)i * 3 + (size_t)sp.outcome[i]]);
        llc -= log(v.side[sp.outcome[i]].close_novig);
        n++;
    }
    aps_registry_preds_cleanup(&sp);
    assert_int_equal(out.gate.games, n);
    assert_near(out.gate.ll_model, llm / (double)n, 1e-9);
    assert_near(out.gate.ll_market, llc / (double)n, 1e-9);
    /* its verdict decides: a failed gate keeps the model a challenger with the reason */
    if (!out.gate.passed) {
        assert_false(out.promoted);
        assert_non_null(strstr(out.note, "market gate"));
    } else {
        assert_true(out.promoted == (wf->ece <= 0.03));
    }
    status_of(fx.c, out.model_name, out.promoted ? "production" : "challenger");
    struct aps_model_row gr;
    assert_int_equal(aps_registry_get(fx.c, out.model_name, &gr), 0);
    assert_non_null(strstr(gr.metrics, "\"market_gate\""));
    assert_non_null(strstr(gr.metrics, "\"max_supported_edge\""));
    assert_int_equal(aps_registry_promote(fx.c, gr.id, "by hand, for the rules below"), 0);
    aps_registry_row_cleanup(&gr);
    status_of(fx.c, out.model_name, "production");
    char *lb, preset[32];
    int64_t when, seed;
    assert_int_equal(aps_registry_run_latest(fx.c, "EPL", "moneyline", &lb, &when, &seed, preset,
                                             sizeof preset), 0);
    assert_non_null(strstr(lb, out.r.lb[0].name));
    assert_int_equal(seed, 42);
    assert_string_equal(preset, "medium_quality");
    aps_free(lb);

    /* the artefacts load back and predict the same */
    struct aps_model_row row;
    struct aps_trained t2;
    assert_int_equal(aps_registry_get(fx.c, out.model_name, &row), 0);
    assert_int_equal(aps_registry_load(row.path, &t2, NULL, 0), 0);
    size_t gi = ts.h.ngames - 1;
    struct aps_prediction p1, p2;
    const double *x = ts.m.x + gi * (size_t)ts.m.d;
    assert_int_equal(aps_trained_predict(&out.r.model, x, ts.m.elo + gi * 3, NAN, &p1), 0);
    assert_int_equal(aps_trained_predict(&t2, x, ts.m.elo + gi * 3, NAN, &p2), 0);
    for (int c = 0; c < 3; c++)
        assert_near(p2.p[c], p1.p[c], 1e-6);
    aps_trained_cleanup(&t2);
    aps_registry_row_cleanup(&row);

    struct aps_wf_data d;
    struct aps_oof worse, better;
    bool promoted;
    assert_int_equal(aps_wf_data_init(&d, &ts.h, &ts.m, &ts.spec, APS_MKT_MONEYLINE, &o.wf), 0);
    fake_oof(&d, 1.0 / 3, &worse);
    fake_oof(&d, 0.9, &better);
    const struct aps_trained *t = &out.r.model;

    int64_t id = challenger(fx.c, models, t, &d, &better, 0.01, false, name);
    assert_int_equal(aps_registry_decide(fx.c, id, &promoted, note, sizeof note), 0);
    assert_false(promoted);
    assert_non_null(strstr(note, "leakage"));
    status_of(fx.c, name, "challenger");
    char leak_name[128];
    int64_t leak_id = id;
    snprintf(leak_name, sizeof leak_name, "%s", name);

    /* better than production, but its market gate failed: not promoted */
    id = challenger_gated(fx.c, models, t, &d, &better, 0.01, true, false, name);
    assert_int_equal(aps_registry_decide(fx.c, id, &promoted, note, sizeof note), 0);
    assert_false(promoted);
    assert_non_null(strstr(note, "market gate"));

    id = challenger(fx.c, models, t, &d, &better, 0.05, true, name);
    assert_int_equal(aps_registry_decide(fx.c, id, &promoted, note, sizeof note), 0);
    assert_false(promoted);
    assert_non_null(strstr(note, "ECE"));

    id = challenger(fx.c, models, t, &d, &worse, 0.01, true, name);
    assert_int_equal(aps_registry_decide(fx.c, id, &promoted, note, sizeof note), 0);
    assert_false(promoted);
    assert_non_null(strstr(note, "does not beat"));
    struct aps_model_row nr;
    assert_int_equal(aps_registry_get(fx.c, name, &nr), 0);
    assert_string_equal(nr.note, note); /* the reason is recorded */
    aps_registry_row_cleanup(&nr);
    char worse_name[128];
    snprintf(worse_name, sizeof worse_name, "%s", name);

    id = challenger(fx.c, models, t, &d, &better, 0.01, true, name);
    assert_int_equal(aps_registry_decide(fx.c, id, &promoted, note, sizeof note), 0);
    assert_true(promoted);
    assert_non_null(strstr(note, "beats"));
    status_of(fx.c, name, "production");
    status_of(fx.c, out.model_name, "archived");

    /* by hand: the worse one becomes production, the better one is archived */
    assert_int_equal(aps_registry_get(fx.c, worse_name, &nr), 0);
    assert_int_equal(aps_registry_promote(fx.c, nr.id, "by hand"), 0);
    aps_registry_row_cleanup(&nr);
    status_of(fx.c, worse_name, "production");
    status_of(fx.c, name, "archived");

    struct aps_model_preds mp;
    assert_int_equal(aps_registry_preds_load(fx.c, id, &mp), 0);
    assert_true(mp.n > 1000);
    assert_true(aps_registry_preds_find(&mp, mp.game_id[mp.n / 2]) == (long)(mp.n / 2));
    assert_true(mp.dist == APS_DIST_NORMAL); /* its params name no candidate distribution */
    aps_registry_preds_cleanup(&mp);

    /* Retention: 100 days later the three challengers never promoted (leakage, market gate,
     * ECE) lose their artefacts and walk-forward predictions; the production model, the ones
     * archived after being production and the newest model keep theirs; every row stays. */
    struct aps_model_row lr;
    struct stat sb;
    assert_int_equal(aps_registry_get(fx.c, leak_name, &lr), 0);
    assert_int_equal(stat(lr.path, &sb), 0);
    assert_int_equal(aps_conn_exec(fx.c, "UPDATE models SET created_at = created_at - 8640000"), 0);
    int pruned = -1, kept = -1;
    assert_int_equal(aps_registry_prune(fx.c, aps_time_now() - 90 * 86400, &pruned, &kept), 0);
    assert_int_equal(pruned, 3);
    assert_int_equal(kept, 0);
    status_of(fx.c, leak_name, "pruned");
    assert_int_not_equal(stat(lr.path, &sb), 0);
    assert_int_equal(aps_registry_preds_load(fx.c, leak_id, &mp), 0);
    assert_int_equal(mp.n, 0);
    aps_registry_preds_cleanup(&mp);
    aps_registry_row_cleanup(&lr);
    status_of(fx.c, worse_name, "production");
    status_of(fx.c, name, "archived");
    status_of(fx.c, out.model_name, "archived");
    const char *keep[] = {worse_name, name, out.model_name};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(aps_registry_get(fx.c, keep[i], &lr), 0);
        assert_int_equal(stat(lr.path, &sb), 0);
        aps_registry_row_cleanup(&lr);
    }
    assert_int_equal(aps_registry_latest(fx.c, "EPL", "moneyline", &lr), 0);
    assert_string_equal(lr.name, name);
    aps_registry_row_cleanup(&lr);
    assert_int_equal(aps_registry_prune(fx.c, aps_time_now() - 90 * 86400, &pruned, &kept), 0);
    assert_int_equal(pruned, 0); /* a second run has nothing left to do */

    /* a Poisson candidate's stored predictions are read back with their distribution */
    struct aps_model_meta pm = {
        "{\"candidate\":{\"family\":\"logistic\",\"name\":\"ridge_poisson_l2=10\","
        "\"dist\":\"poisson\"}}", "0", "{}", 0.9, 0.01, 100, true, aps_time_now()};
    char pname[128];
    int64_t pid;
    assert_int_equal(aps_registry_save(fx.c, models, t, &pm, &d, &better, &pid, pname), 0);
    assert_int_equal(aps_registry_preds_load(fx.c, pid, &mp), 0);
    assert_true(mp.n > 1000 && mp.dist == APS_DIST_POISSON);
    aps_registry_preds_cleanup(&mp);

    aps_oof_cleanup(&worse);
    aps_oof_cleanup(&better);
    aps_wf_data_cleanup(&d);
    aps_trainer_outcome_cleanup(&out);
    aps_trainer_sport_cleanup(&ts);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promotion_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
