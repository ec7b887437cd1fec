/* jobs_picks.c — the jobs that turn data into picks and results: predict (publish locked-in
 * picks for a sport's upcoming games, engine/picks.h), grade (grade picks, then settle users'
 * bets, engine/bankroll.h: both by aps_grade_settle's rule, odds/grade.h, at one clock) and
 * train (the trainer of engine/trainer.h).
 *
 * predict and grade hold a named lock while they write, so two workers never publish the same
 * sport's picks or grade at the same moment (the second run fails with APS_E_BUSY and is
 * retried). Both are idempotent by construction: a pick is locked in only when it changed, a
 * graded pick or settled bet is never touched again. A train run from the scheduler skips when
 * a run of the same sport already completed after its slot. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/domain.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/bankroll.h"
#include "engine/elo_store.h"
#include "engine/picks.h"
#include "engine/trainer.h"
#include "ingest/live_store.h"
#include "metrics/metrics.h"
#include "services/app.h"
#include "services/jobs.h"
#include "services/runtime.h"
#include "store/store.h"

#define GRADE_MAX_GAMES 100000 /* games settled by one grading run (the rest wait for the next) */

static int with_conn(struct aps_job_run *r, struct aps_conn **c)
{
    int rc = aps_store_acquire(r->app->store, APS_DB_WRITE, c);
    if (rc)
        return aps_job_fail(r, rc, "no database connection: %s", aps_strerror(rc));
    return 0;
}

static int take_lock(struct aps_job_run *r, const char *name)
{
    bool held = false;
    int rc = aps_job_lock(r, name, (int64_t)r->def->timeout_s * 1000, &held);
    if (rc)
        return rc;
    if (!held) {
        r->contended = true;
        return aps_job_fail(r, APS_E_BUSY, "another %s run holds its lock; retried later", name);
    }
    return 0;
}

/* ---- predict ------------------------------------------------------------------------------- */

int aps_job_do_predict(struct aps_job_run *r)
{
    const struct aps_config *cfg = r->app->cfg;
    const char *code = aps_sport_info(r->sport)->code;
    char lock[48];
    snprintf(lock, sizeof lock, "predict:%s", code);
    int rc = take_lock(r, lock);
    if (rc)
        return rc;
    struct aps_conn *c = NULL;
    rc = with_conn(r, &c);
    if (rc)
        goto out;
    struct aps_publish_opts o = {
        .sport = (enum aps_sport)r->sport, .now = r->now, .model = "elo",
        .horizon = aps_cfg_int(cfg, APS_SET_PREDICT_HORIZON_DAYS) * 86400,
        .margin = (enum aps_margin_method)aps_engine_margin_method(cfg),
        .metrics = r->app->metrics};
    /* The stakes follow a KELLY_FRACTION changed a moment ago, not one poll later. */
    rc = aps_runtime_load(c, cfg, &r->app->log);
    if (rc) {
        aps_job_fail(r, rc, "reading the run-time settings: %s", aps_conn_errmsg(c));
        goto out;
    }
    aps_engine_kelly_params(cfg, &o.kelly);
    struct aps_publish_result res;
    rc = aps_picks_publish(c, &o, &res);
    if (rc) {
        aps_job_fail(r, rc, "publishing %s picks: %s", code, aps_conn_errmsg(c));
        goto out;
    }
    aps_buf_printf(&r->fields,
                   ",\"games\":%zu,\"priced\":%zu,\"published\":%zu,\"unchanged\":%zu,"
                   "\"staked\":%zu,\"tracking_only\":%zu,\"models_not_loaded\":%zu",
                   res.games, res.priced, res.published, res.unchanged, res.staked, res.tracking,
                   res.nunloaded);
    /* A production model that does not load is a fault to repair (counted in
     * aps_model_load_failures_total for the alert), not a market choice: said once a run. */
    for (size_t i = 0; i < res.nunloaded; i++)
        APS_LOG(&r->app->log, APS_LOG_ERROR, NULL,
                "%s %s: production model %s did not load: %s; Elo prices the market, tracking only",
                code, aps_market_name(res.unloaded[i].market), res.unloaded[i].model,
                res.unloaded[i].why);
    if (res.published)
        aps_job_invalidate(r, "predictions");
out:
    if (c)
        aps_store_release(c);
    aps_job_unlock(r, lock);
    return rc;
}

/* ---- grade --------------------------------------------------------------------------------- */

/* Ids of the games with pending bets that may be due (finished, cancelled, postponed or moved
 * from the start a bet was placed for; aps_grade_settle decides each bet) (*ids: aps_free). */
static int games_to_settle(struct aps_conn *c, int64_t **ids, size_t *n)
{
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    int rc = aps_conn_prepare(c,
                              "SELECT DISTINCT b.game_id FROM bets b JOIN games g ON g.id = b.game_id"
                              " WHERE b.result = 'pending'"
                              " AND " APS_GRADE_CANDIDATE_SQL("b.game_start")
                              " ORDER BY b.game_id",
                              &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW && *n < GRADE_MAX_GAMES) {
        rc = 0;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *ids = aps_realloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = aps_stmt_int64(st, 0);
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int settle_bets(struct aps_job_run *r, struct aps_conn *c,
                       const struct aps_grade_clock *clock, int *bets, size_t *games)
{
    int64_t *ids = NULL;
    size_t n = 0;
    enum aps_margin_method mm = (enum aps_margin_method)aps_engine_margin_method(r->app->cfg);
    int rc = games_to_settle(c, &ids, &n);
    if (rc)
        aps_job_fail(r, rc, "listing games with pending bets: %s", aps_conn_errmsg(c));
    /* each game in a transaction of its own: one game that cannot be settled is rolled back and
     * reported, and the others' bets are settled all the same */
    size_t failed = 0;
    int first = 0;
    int64_t first_game = 0;
    char why[200] = "";
    for (size_t i = 0; i < n && !rc; i++) {
        int settled = 0, grc = aps_bankroll_settle_game_with(c, ids[i], mm, clock, &settled);
        if (grc && !failed++) {
            first = grc;
            first_game = ids[i];
            snprintf(why, sizeof why, "%s", aps_conn_errmsg(c));
        }
        *bets += settled;
        *games += settled > 0;
    }
    if (failed)
        rc = aps_job_fail(r, first, "the bets of %zu of %zu games not settled; game %lld: %s",
                          failed, n, (long long)first_game, why);
    aps_free(ids);
    return rc;
}

int aps_job_do_grade(struct aps_job_run *r)
{
    int rc = take_lock(r, "grade");
    if (rc)
        return rc;
    struct aps_conn *c = NULL;
    struct aps_grade_run g = {0};
    struct aps_grade_clock clock;
    int bets = 0;
    size_t games = 0;
    /* one clock for the picks and the bets: a pick and a bet of a postponed game are voided by
     * the same run */
    aps_engine_grade_clock(r->app->cfg, r->now, &clock);
    rc = with_conn(r, &c);
    /* the closes of games that started are captured first: grading measures CLV once, so a game
     * graded before the closing-line task's next run would keep no CLV for good */
    int closes = 0;
    if (!rc && (rc = aps_live_capture_closing(c, r->now, &closes)))
        aps_job_fail(r, rc, "capturing closing lines: %s", aps_conn_errmsg(c));
    /* a pick that cannot be graded holds up neither the other picks nor any bet */
    int picks_rc = 0;
    if (!rc && (picks_rc = aps_picks_grade(
                    c, (enum aps_margin_method)aps_engine_margin_method(r->app->cfg), &clock, &g)))
        aps_job_fail(r, picks_rc, "grading picks: %s", g.why);
    if (!rc)
        rc = settle_bets(r, c, &clock, &bets, &games);
    if (rc && picks_rc) { /* both: the bets' failure is in r->err, the picks' is added */
        char bets_err[sizeof r->err];
        snprintf(bets_err, sizeof bets_err, "%s", r->err);
        aps_job_fail(r, rc, "%.250s; grading picks: %.250s", bets_err, g.why);
    }
    if (!rc)
        rc = picks_rc;
    if (c)
        aps_store_release(c);
    aps_job_unlock(r, "grade");
    aps_buf_printf(&r->fields,
                   ",\"closes_captured\":%d,\"picks_graded\":%zu,\"wins\":%zu,\"losses\":%zu,"
                   "\"pushes\":%zu,\"voids\":%zu,\"bets_settled\":%d,\"games_settled\":%zu",
                   closes, g.graded, g.wins, g.losses, g.pushes, g.voids, bets, games);
    if (g.graded || bets)
        aps_job_invalidate(r, "predictions");
    if (bets)
        aps_job_invalidate(r, "betting");
    return rc;
}

/* ---- train --------------------------------------------------------------------------------- */

/* True when a completed training run of the sport started at or after `since` (seconds). */
static int trained_since(struct aps_conn *c, enum aps_sport sport, int64_t since, bool *yes)
{
    int64_t n = 0;
    int rc = aps_conn_query_row(c,
                                "SELECT COUNT(*) FROM training_runs t JOIN sports sp"
                                " ON sp.id = t.sport_id WHERE sp.code = ?1"
                                " AND t.status = 'completed' AND t.started_at >= ?2",
                                "i", &n, "si", aps_sport_info(sport)->code, since);
    *yes = !rc && n > 0;
    return rc == APS_E_NOTFOUND ? 0 : rc;
}

static void train_opts(const struct aps_config *cfg, bool full, struct aps_trainer_opts *o)
{
    const char *preset = full ? aps_cfg_str(cfg, APS_SET_AUTOGLUON_PRESET) : "medium_quality";
    int p = aps_preset_parse(preset);
    memset(o, 0, sizeof *o);
    o->search.seed = 42;
    o->search.budget_s = (double)aps_cfg_int(cfg, full ? APS_SET_H2O_MAX_RUNTIME_SECS
                                                       : APS_SET_TRAIN_INCREMENTAL_BUDGET_SECONDS);
    o->search.max_models = (int)aps_cfg_int(cfg, APS_SET_H2O_MAX_MODELS);
    o->search.max_mem = (size_t)aps_cfg_int(cfg, APS_SET_H2O_MAX_MEM_SIZE);
    o->search.preset = p < 0 ? APS_PRESET_MEDIUM : (enum aps_preset)p;
    o->preset_name = preset;
    o->model_path = aps_cfg_str(cfg, APS_SET_MODEL_OUTPUT_PATH);
    o->promote = true;
    o->leak_samples = 20;
    aps_engine_kelly_params(cfg, &o->kelly);
    o->margin = (enum aps_margin_method)aps_engine_margin_method(cfg);
    aps_wf_opts_default(&o->wf);
}

/* Trains the sport's market (every market when -1); *why says why none was trained, "" when
 * one was. */
static int train_markets(struct aps_job_run *r, struct aps_conn *c, int market, bool full,
                         const char *until, char *why, size_t cap)
{
    struct aps_trainer_sport ts;
    struct aps_trainer_opts o;
    int rc = aps_trainer_prepare_until(c, (enum aps_sport)r->sport, until, &ts);
    if (rc)
        return aps_job_fail(r, rc, "preparing the training data: %s", aps_conn_errmsg(c));
    train_opts(r->app->cfg, full, &o);
    o.until = until;
    snprintf(why, cap, "no %s game%s%s", aps_sport_info(r->sport)->code, until ? " before " : "",
             until ? until : "");
    bool any = false;
    for (int m = 0; m < APS_MKT__COUNT && !rc && ts.h.ngames; m++) {
        if (market >= 0 && m != market)
            continue;
        struct aps_trainer_outcome out;
        rc = aps_trainer_run(c, &ts, (enum aps_market)m, &o, &out);
        if (rc)
            aps_job_fail(r, rc, "training %s: %s", aps_market_name(m),
                         out.why[0] ? out.why : aps_conn_errmsg(c));
        else if (out.ran)
            aps_buf_printf(&r->fields, ",\"%s\":{\"model\":\"%s\",\"promoted\":%s}",
                           aps_market_name(m), out.model_name, out.promoted ? "true" : "false");
        else
            aps_buf_printf(&r->fields, ",\"%s\":{\"skipped\":true}", aps_market_name(m));
        if (!rc && !any && !out.ran) /* the first market's reason */
            snprintf(why, cap, "%s %s: %s", aps_sport_info(r->sport)->code, aps_market_name(m),
                     out.why);
        any = any || out.ran;
        aps_trainer_outcome_cleanup(&out);
    }
    aps_trainer_sport_cleanup(&ts);
    if (any)
        why[0] = '\0';
    return rc;
}

/* A training run's wall time and outcome, per sport and mode (the run's models and scores are
 * in the store and exported from there). */
static void observe_training(struct aps_job_run *r, const char *mode, int rc, double secs)
{
    static const char *const names[] = {"sport", "mode", "outcome", NULL};
    static const double buckets[] = {10, 30, 60, 300, 900, 1800, 3600, 7200, 14400};
    struct aps_metrics *m = r->app->metrics;
    const char *labels[] = {aps_sport_info(r->sport)->code,
                            !strcmp(mode, "full") ? "full" : "incremental",
                            rc ? "failure" : "success"};
    aps_metric_observe(aps_metrics_histogram(m, "aps_training_duration_seconds",
                                             "Wall time of training jobs", names, buckets,
                                             sizeof buckets / sizeof buckets[0]),
                       labels, secs);
}

/* Payload: sport, mode "full" (default) or "incremental", market (default moneyline, or
 * "all"), until (YYYY-MM-DD: train on earlier games only, see aps_trainer_opts), slot (from the
 * scheduler: skip when already trained since). */
int aps_job_do_train(struct aps_job_run *r)
{
    const char *mode = aps_job_str(r, "mode", "full");
    const char *mk = aps_job_str(r, "market", "moneyline");
    const char *until = aps_job_str(r, "until", NULL);
    int market = strcmp(mk, "all") ? aps_market_parse(mk) : -1;
    char prev[11];
    if (strcmp(mode, "full") && strcmp(mode, "incremental"))
        return aps_job_reject(r, "mode must be full or incremental");
    if (until && aps_trainer_day_before(until, prev))
        return aps_job_reject(r, "until must be a date YYYY-MM-DD");
    if (strcmp(mk, "all") && market < 0)
        return aps_job_reject(r, "market must be moneyline, spread, total or all");
    struct aps_conn *c = NULL;
    int rc = with_conn(r, &c);
    if (rc)
        return rc;
    bool done = false;
    char why[200] = "";
    int64_t slot = aps_job_int(r, "slot", -1);
    if (slot >= 0)
        rc = trained_since(c, (enum aps_sport)r->sport, slot, &done);
    if (!rc && done) {
        snprintf(r->warn, sizeof r->warn, "skipped: already trained since the slot");
    } else if (!rc) {
        double t0 = aps_time_mono();
        rc = train_markets(r, c, market, !strcmp(mode, "full"), until, why, sizeof why);
        observe_training(r, mode, rc, aps_time_mono() - t0);
    }
    aps_buf_printf(&r->fields, ",\"mode\":\"%s\"", !strcmp(mode, "full") ? "full" : "incremental");
    aps_store_release(c);
    if (rc || !why[0])
        return rc;
    /* Nothing trained: a user who asked for a model reads why (refused, as `aps train` exits 1);
     * the schedule's run of a sport without enough games is routine (a warning). */
    if (json_object_get(r->payload, "requested_by"))
        return aps_job_refuse(r, "not trained: %s", why);
    snprintf(r->warn, sizeof r->warn, "not trained: %s", why);
    return 0;
}
