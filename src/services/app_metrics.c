/* app_metrics.c — the store-derived metrics of app_metrics.h.
 *
 * Most families are one aggregate query each, listed in the table `families` below: the first
 * columns of a row are label values, the following ones the values of one or more metrics that
 * share the query. The rolling summaries of graded picks need per-pick arithmetic (log-loss,
 * Brier, CLV share, stake-weighted ROI), so they read the graded picks of the longest window
 * once and summarise each (sport, market, tier) block, and each (sport, market) block as tier
 * "all", for every window in C, with the scoring functions of odds/scoring.h.
 *
 * Picks are counted as the API counts them: the current pick of each game and market (the last
 * one locked in; a pick re-made at a new price supersedes the earlier ones, which stay in the
 * lock-in chain and are graded too but never counted again). What the store holds can go down
 * (a re-made pick changes tier, a bet leaves "pending" when it is settled), so every family read
 * from it is a gauge. */
#include "services/app_metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cache/queue.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/cidr.h"
#include "core/mem.h"
#include "core/money.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/bankroll.h"
#include "http/http.h"
#include "metrics/metrics.h"
#include "odds/scoring.h"
#include "services/api_json.h"
#include "services/app.h"
#include "services/backup.h"
#include "services/flags.h"
#include "services/scheduler.h"
#include "store/store.h"

/* ---- the rolling summary of graded picks ---------------------------------------------------- */

void aps_pick_summarize(const struct aps_pick_outcome *o, size_t n, struct aps_pick_summary *out)
{
    memset(out, 0, sizeof *out);
    out->hit_ratio = out->log_loss = out->brier = out->clv_mean = out->clv_positive = out->roi =
        NAN;
    out->graded = n;
    if (!n)
        return;
    double *p = aps_malloc(n * sizeof *p), *ret = aps_malloc(n * sizeof *ret),
           *stake = aps_malloc(n * sizeof *stake);
    int *y = aps_malloc(n * sizeof *y);
    enum aps_grade_result *res = aps_malloc(n * sizeof *res);
    size_t nclv = 0, npos = 0;
    double clv_sum = 0;
    for (size_t i = 0; i < n; i++) {
        res[i] = o[i].result;
        if (o[i].result == APS_GRADE_WIN || o[i].result == APS_GRADE_LOSS) {
            p[out->decided] = o[i].probability;
            y[out->decided++] = o[i].result == APS_GRADE_WIN;
        }
        if (!isnan(o[i].clv)) {
            nclv++;
            clv_sum += o[i].clv;
            npos += o[i].clv > 0;
        }
        if (o[i].stake > 0 && !isnan(o[i].profit)) {
            ret[out->staked] = o[i].stake * o[i].profit;
            stake[out->staked++] = o[i].stake;
        }
    }
    double v;
    if (!aps_score_accuracy(res, n, &v))
        out->hit_ratio = v;
    if (out->decided && !aps_score_log_loss(p, y, out->decided, &v))
        out->log_loss = v;
    if (out->decided && !aps_score_brier(p, y, out->decided, &v))
        out->brier = v;
    if (nclv) {
        out->clv_mean = clv_sum / (double)nclv;
        out->clv_positive = (double)npos / (double)nclv;
    }
    if (out->staked && !aps_score_yield(ret, stake, out->staked, &v))
        out->roi = v;
    aps_free(p);
    aps_free(ret);
    aps_free(stake);
    aps_free(y);
    aps_free(res);
}

/* ---- the table of aggregate families -------------------------------------------------------- */

/* One gauge read from a query: its value is column `col`; its labels are the first
 * `nlabels` label columns of the query (so one query can feed families of fewer labels, when
 * those columns alone tell its rows apart). */
struct output {
    const char *name, *help;
    int col;
    int nlabels;
};

#define MAX_OUTPUTS 5

struct family {
    const char *sql;
    const char *labels[APS_METRIC_MAX_LABELS + 1]; /* names of the leading label columns */
    int64_t ago;        /* ?1 is bound to now - ago seconds; -1: the query takes no parameter */
    struct output out[MAX_OUTPUTS];
};

#define SPORT_OF_PICK " JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id"

/* The currency label of a bankroll's code: an ISO 4217 currency as itself, any other code (the
 * API took any three capital letters before it checked them against the list) as "other", so
 * that made-up codes cannot add series without bound. The families group by it (GROUP BY its
 * position). */
#define CURRENCY_LABEL(col)                                                                        \
    "CASE WHEN " col " IN (" APS_ISO4217_SQL ") THEN " col " ELSE 'other' END"

static const struct family families[] = {
    {"SELECT sp.code, p.market, p.tier, COUNT(*), SUM(p.stake_fraction) FROM predictions p"
     SPORT_OF_PICK " WHERE " APS_API_PRED_CURRENT " GROUP BY sp.code, p.market, p.tier",
     {"sport", "market", "tier", NULL}, -1,
     {{"aps_picks_current",
       "Current picks (one per game and market, superseded picks left out), as GET"
       " /api/v1/predictions counts them; tier \"\" is no bet or tracking only.",
       3, 3},
      {"aps_picks_current_stake_fraction",
       "Sum of the Kelly stakes of current picks, as bankroll fractions.", 4, 3}}},
    {"SELECT sp.code, p.market, p.tier, r.result, COUNT(*) FROM predictions p"
     " JOIN prediction_results r ON r.prediction_id = p.id" SPORT_OF_PICK
     " WHERE " APS_API_PRED_CURRENT " GROUP BY sp.code, p.market, p.tier, r.result",
     {"sport", "market", "tier", "result", NULL}, -1,
     {{"aps_picks_graded",
       "Graded current picks by result, as the track record (GET"
       " /api/v1/predictions/performance) counts them.",
       4, 4}}},
    {"SELECT " CURRENCY_LABEL("currency") ", COUNT(*),"
     " SUM(" APS_MONEY_SQL("current_cents", "current_amount") ") / 100.0,"
     " SUM(" APS_MONEY_SQL("initial_cents", "initial_amount") ") / 100.0 FROM bankrolls"
     " WHERE is_active = 1 GROUP BY 1",
     {"currency", NULL}, -1,
     {{"aps_bankrolls_active", "Tracked bankrolls that are active.", 1, 1},
      {"aps_bankroll_balance", "Sum of the current balances of active bankrolls.", 2, 1},
      {"aps_bankroll_initial_balance", "Sum of the starting balances of active bankrolls.", 3,
       1}}},
    /* A stake is in its bankroll's currency: stakes of two currencies are never added. */
    {"SELECT b.result, " CURRENCY_LABEL("br.currency") ", COUNT(*),"
     " SUM(" APS_MONEY_SQL("b.stake_cents", "b.stake") ") / 100.0"
     " FROM bets b JOIN bankrolls br ON br.id = b.bankroll_id GROUP BY 1, 2",
     {"result", "currency", NULL}, -1,
     {{"aps_bets", "Users' tracked bets by result and currency (a settled bet leaves pending).",
       2, 2},
      {"aps_bets_stake", "Sum of the stakes of users' tracked bets by result, in the currency.",
       3, 2}}},
    {"SELECT sp.code, m.market, m.family, m.name, 1, m.ece, m.log_loss, m.promoted_at"
     " FROM models m JOIN sports sp ON sp.id = m.sport_id WHERE m.status = 'production'",
     {"sport", "market", "family", "version", NULL}, -1,
     {{"aps_model_info", "The production model of a sport and market (value 1).", 4, 4},
      {"aps_model_ece", "Expected calibration error of the production model (walk-forward).", 5, 2},
      {"aps_model_log_loss", "Walk-forward log-loss of the production model.", 6, 2},
      {"aps_model_promoted_timestamp_seconds", "When the production model was promoted.", 7, 2}}},
    {"SELECT sp.code, t.market, t.status, COUNT(*) FROM training_runs t"
     " JOIN sports sp ON sp.id = t.sport_id GROUP BY sp.code, t.market, t.status",
     {"sport", "market", "status", NULL}, -1,
     {{"aps_training_runs", "Training runs in the store by status (running, completed, failed).",
       3, 3}}},
    /* 0: never (a run of the sport and market exists, none ended that way). */
    {"SELECT sp.code, t.market,"
     " COALESCE(MAX(CASE WHEN t.status = 'completed' THEN t.finished_at END), 0),"
     " COALESCE(MAX(CASE WHEN t.status = 'failed' THEN t.finished_at END), 0) FROM training_runs t"
     " JOIN sports sp ON sp.id = t.sport_id GROUP BY sp.code, t.market",
     {"sport", "market", NULL}, -1,
     {{"aps_training_last_success_timestamp_seconds", "End of the last completed training run.",
       2, 2},
      {"aps_training_last_failure_timestamp_seconds", "End of the last failed training run.", 3,
       2}}},
    /* Freshness reads the odds of games that have not started: the ones picks are made from.
     * A sport with no upcoming game has no series (nothing to be stale). */
    {"SELECT sp.code, MAX(o.recorded_at), COUNT(DISTINCT g.id) FROM games g"
     " JOIN sports sp ON sp.id = g.sport_id JOIN odds o ON o.game_id = g.id"
     " WHERE g.status = 'scheduled' AND g.start_time >= ?1 GROUP BY sp.code",
     {"sport", NULL}, 0,
     {{"aps_odds_last_update_timestamp_seconds",
       "Newest odds quote stored for the sport's upcoming games.", 1, 1},
      {"aps_odds_upcoming_games", "Upcoming games of the sport with at least one odds quote.", 2,
       1}}},
    {"SELECT provider, requests_remaining, requests_used, last_success_at FROM provider_status",
     {"provider", NULL}, -1,
     {{"aps_provider_quota_remaining", "Requests (credits) left, as the provider last said.", 1, 1},
      {"aps_provider_quota_used", "Requests (credits) used, as the provider last said.", 2, 1},
      {"aps_provider_last_success_timestamp_seconds", "Last successful call to the provider.", 3,
       1}}},
    {"SELECT d.check_code, d.passed, d.score, d.failed_count, d.records_checked, d.checked_at"
     " FROM data_quality_checks d"
     " WHERE d.id IN (SELECT MAX(id) FROM data_quality_checks GROUP BY check_code)",
     {"check", NULL}, -1,
     {{"aps_data_quality_passed", "1 when the check's last run passed, else 0.", 1, 1},
      {"aps_data_quality_score", "Score of the check's last run (0..1).", 2, 1},
      {"aps_data_quality_failed_records", "Records the check's last run found failing.", 3, 1},
      {"aps_data_quality_checked_records", "Records the check's last run looked at.", 4, 1},
      {"aps_data_quality_last_run_timestamp_seconds", "When the check last ran.", 5, 1}}},
    {"SELECT role, COUNT(*) FROM users WHERE is_active = 1 GROUP BY role",
     {"role", NULL}, -1,
     {{"aps_users", "Active user accounts by role.", 1, 1}}},
    {"SELECT COUNT(*) FROM api_keys WHERE revoked = 0 AND (expires_at IS NULL OR expires_at > ?1)",
     {NULL}, 0,
     {{"aps_api_keys_active", "API keys neither revoked nor expired.", 0, 0}}},
    {"SELECT s.severity, COUNT(a.id) FROM (SELECT 'critical' AS severity UNION ALL"
     " SELECT 'warning' UNION ALL SELECT 'info') s"
     " LEFT JOIN alerts a ON a.severity = s.severity AND a.acknowledged = 0 GROUP BY s.severity",
     {"severity", NULL}, -1,
     {{"aps_alerts_unacknowledged", "Platform alerts (admin alerts table) not yet acknowledged.",
       1, 1}}},
};

static int count_names(const char *const *names)
{
    int n = 0;
    while (n < APS_METRIC_MAX_LABELS && names[n])
        n++;
    return n;
}

/* The gauge of an output, registered with the first o->nlabels label names of the family. */
static struct aps_metric *output_metric(struct aps_metrics *m, const struct family *f,
                                        const struct output *o)
{
    const char *names[APS_METRIC_MAX_LABELS + 1] = {0};
    for (int i = 0; i < o->nlabels; i++)
        names[i] = f->labels[i];
    return aps_metrics_gauge(m, o->name, o->help, names);
}

static int run_family(struct aps_conn *c, struct aps_metrics *m, const struct family *f,
                      int64_t now)
{
    struct aps_metric *mt[MAX_OUTPUTS] = {0};
    int nout = 0;
    for (; nout < MAX_OUTPUTS && f->out[nout].name; nout++)
        mt[nout] = output_metric(m, f, &f->out[nout]);
    struct aps_stmt *st = NULL;
    int rc = f->ago >= 0 ? aps_conn_preparef(c, &st, f->sql, "i", now - f->ago)
                         : aps_conn_preparef(c, &st, f->sql, "");
    if (rc) {
        aps_stmt_finalize(st);
        return rc;
    }
    for (int i = 0; i < nout; i++)
        aps_metric_clear(mt[i]);
    int nl = count_names(f->labels);
    while ((rc = aps_stmt_step(st)) == APS_ROW) {
        const char *vals[APS_METRIC_MAX_LABELS];
        for (int l = 0; l < nl; l++) {
            const char *t = aps_stmt_text(st, l);
            vals[l] = t ? t : "";
        }
        for (int i = 0; i < nout; i++) {
            double v = aps_stmt_double(st, f->out[i].col);
            if (!isnan(v))
                aps_metric_set(mt[i], vals, v);
        }
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ---- the rolling windows -------------------------------------------------------------------- */

static const struct {
    const char *name;
    int64_t seconds;
} windows[] = {{"7d", 7 * 86400}, {"30d", 30 * 86400}};

#define NWINDOWS (sizeof windows / sizeof windows[0])

struct graded_row {
    char sport[16], market[16], tier[8];
    int64_t graded_at;
    struct aps_pick_outcome o;
};

struct window_metrics {
    struct aps_metric *graded, *hit, *log_loss, *brier, *clv, *clv_pos, *roi;
};

static void window_register(struct aps_metrics *m, struct window_metrics *w)
{
    static const char *const l[] = {"sport", "market", "tier", "window", NULL};
    w->graded = aps_metrics_gauge(m, "aps_picks_window_graded",
                                  "Picks graded within the window (the sample of the rates).", l);
    w->hit = aps_metrics_gauge(m, "aps_picks_hit_ratio",
                               "Wins/(wins + losses) of picks graded within the window,"
                               " a half win or half loss counting half.",
                               l);
    w->log_loss = aps_metrics_gauge(m, "aps_picks_log_loss",
                                    "Log-loss of the picked side's probability, window.", l);
    w->brier = aps_metrics_gauge(m, "aps_picks_brier_score",
                                 "Brier score of the picked side's probability, window.", l);
    w->clv = aps_metrics_gauge(m, "aps_picks_clv_mean",
                               "Mean closing-line value of picks graded within the window.", l);
    w->clv_pos = aps_metrics_gauge(m, "aps_picks_clv_positive_ratio",
                                   "Share of picks graded within the window that beat the close.",
                                   l);
    w->roi = aps_metrics_gauge(m, "aps_picks_roi_ratio",
                               "Stake-weighted return of staked picks graded within the window.",
                               l);
}

static void window_clear(const struct window_metrics *w)
{
    aps_metric_clear(w->graded);
    aps_metric_clear(w->hit);
    aps_metric_clear(w->log_loss);
    aps_metric_clear(w->brier);
    aps_metric_clear(w->clv);
    aps_metric_clear(w->clv_pos);
    aps_metric_clear(w->roi);
}

static void set_if(struct aps_metric *mt, const char *const *labels, double v)
{
    if (!isnan(v))
        aps_metric_set(mt, labels, v);
}

/* Summarises rows[0..n) that were graded at or after `from` and sets the window's gauges. */
static void window_block(const struct window_metrics *w, const struct graded_row *rows, size_t n,
                         const char *tier, size_t wi, int64_t now, struct aps_pick_outcome *tmp)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].graded_at >= now - windows[wi].seconds)
            tmp[k++] = rows[i].o;
    if (!k)
        return;
    struct aps_pick_summary s;
    aps_pick_summarize(tmp, k, &s);
    const char *labels[] = {rows[0].sport, rows[0].market, tier, windows[wi].name};
    aps_metric_set(w->graded, labels, (double)s.graded);
    set_if(w->hit, labels, s.hit_ratio);
    set_if(w->log_loss, labels, s.log_loss);
    set_if(w->brier, labels, s.brier);
    set_if(w->clv, labels, s.clv_mean);
    set_if(w->clv_pos, labels, s.clv_positive);
    set_if(w->roi, labels, s.roi);
}

static bool same_block(const struct graded_row *a, const struct graded_row *b, bool tier)
{
    return !strcmp(a->sport, b->sport) && !strcmp(a->market, b->market) &&
           (!tier || !strcmp(a->tier, b->tier));
}

/* Sets the window gauges from rows ordered by sport, market, tier. */
static void window_set(const struct window_metrics *w, const struct graded_row *rows, size_t n,
                       int64_t now)
{
    struct aps_pick_outcome *tmp = aps_malloc((n ? n : 1) * sizeof *tmp);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && same_block(&rows[a], &rows[b], false))
            b++;
        for (size_t wi = 0; wi < NWINDOWS; wi++)
            window_block(w, rows + a, b - a, "all", wi, now, tmp);
        for (size_t t = a; t < b;) {
            size_t u = t;
            while (u < b && same_block(&rows[t], &rows[u], true))
                u++;
            for (size_t wi = 0; wi < NWINDOWS; wi++)
                window_block(w, rows + t, u - t, rows[t].tier, wi, now, tmp);
            t = u;
        }
        a = b;
    }
    aps_free(tmp);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    if (aps_str_copy(dst, cap, src ? src : ""))
        dst[0] = '\0'; /* a code longer than any known one: grouped under "" */
}

static int refresh_windows(struct aps_conn *c, struct aps_metrics *m, int64_t now)
{
    struct window_metrics w;
    window_register(m, &w);
    int64_t longest = 0;
    for (size_t i = 0; i < NWINDOWS; i++)
        longest = windows[i].seconds > longest ? windows[i].seconds : longest;
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT sp.code, p.market, p.tier, p.probability, r.result, r.clv,"
                               " r.profit_loss, p.stake_fraction, r.graded_at FROM predictions p"
                               " JOIN prediction_results r ON r.prediction_id = p.id"
                               SPORT_OF_PICK " WHERE r.graded_at >= ?1 AND " APS_API_PRED_CURRENT
                               " ORDER BY sp.code, p.market, p.tier",
                               "i", now - longest);
    struct graded_row *rows = NULL;
    size_t n = 0, cap = 0;
    while (!rc) {
        rc = aps_stmt_step(st);
        if (rc != APS_ROW)
            break;
        rc = 0;
        int res = aps_grade_result_parse(aps_stmt_text(st, 4));
        if (res < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            rows = aps_realloc(rows, cap * sizeof *rows);
        }
        struct graded_row *r = &rows[n++];
        copy_text(r->sport, sizeof r->sport, aps_stmt_text(st, 0));
        copy_text(r->market, sizeof r->market, aps_stmt_text(st, 1));
        copy_text(r->tier, sizeof r->tier, aps_stmt_text(st, 2));
        r->o.probability = aps_stmt_double(st, 3);
        r->o.result = (enum aps_grade_result)res;
        r->o.clv = aps_stmt_double(st, 5);
        r->o.profit = aps_stmt_double(st, 6);
        r->o.stake = aps_stmt_double(st, 7);
        r->graded_at = aps_stmt_int64(st, 8);
    }
    aps_stmt_finalize(st);
    if (!rc) { /* APS_DONE */
        window_clear(&w);
        window_set(&w, rows, n, now);
    }
    aps_free(rows);
    return rc;
}

/* ---- schedule lag --------------------------------------------------------------------------- */

/* How late each calendar task is: 0 while its current slot has been enqueued, else the seconds
 * since that slot began. Read from schedule_runs (the slot start each task last ran, ms), so
 * it shows a missing or stuck scheduler from any process. Tasks that run only while games are
 * live or starting skip slots by design and are left out. */
static int refresh_schedule(struct aps_conn *c, struct aps_metrics *m, const struct aps_config *cfg,
                            int64_t now)
{
    static const char *const l[] = {"task", "sport", NULL};
    struct aps_metric *lag = aps_metrics_gauge(
        m, "aps_schedule_lag_seconds",
        "Seconds since the task's current slot began while it is not yet enqueued (0: on time)",
        l);
    size_t nt;
    const struct aps_sched_task *t = aps_sched_tasks(&nt);
    struct aps_stmt *st = NULL;
    int rc = aps_conn_prepare(c, "SELECT task, last_run_at FROM schedule_runs", &st);
    if (rc)
        return rc;
    aps_metric_clear(lag);
    while ((rc = aps_stmt_step(st)) == APS_ROW) {
        const char *key = aps_stmt_text(st, 0);
        int64_t last = aps_stmt_int64(st, 1) / 1000;
        size_t n = key ? strcspn(key, ":") : 0;
        for (size_t i = 0; i < nt && n; i++) {
            int64_t period = aps_cfg_int(cfg, t[i].period_setting);
            if (strlen(t[i].name) != n || strncmp(t[i].name, key, n) ||
                t[i].when != APS_WHEN_ALWAYS || period <= 0)
                continue;
            int64_t start = aps_sched_slot_start(aps_sched_slot(now, period, t[i].phase_s),
                                                 period, t[i].phase_s);
            const char *labels[] = {t[i].name, key[n] == ':' ? key + n + 1 : "all"};
            aps_metric_set(lag, labels, last >= start ? 0.0 : (double)(now - start));
        }
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ---- pools, queue, build ------------------------------------------------------------------- */

/* Store pool gauges (the names the api exported before this module existed). */
static void pool_metrics(struct aps_app *app)
{
    struct aps_store_stats s;
    aps_store_stats(app->store, &s);
    struct aps_metrics *m = app->metrics;
    aps_metric_set(aps_metrics_gauge(m, "aps_db_pool_open", "Store connections open.", NULL),
                   NULL, s.open);
    aps_metric_set(aps_metrics_gauge(m, "aps_db_pool_in_use", "Store connections checked out.",
                                     NULL),
                   NULL, s.in_use);
    aps_metric_set(aps_metrics_gauge(m, "aps_db_pool_max",
                                     "Most store connections per target (size + overflow).", NULL),
                   NULL, s.max);
    aps_metric_set(aps_metrics_counter(m, "aps_db_pool_acquired_total",
                                       "Store connections checked out since start.", NULL),
                   NULL, (double)s.acquired_total);
    aps_metric_set(aps_metrics_counter(m, "aps_db_pool_timeouts_total",
                                       "Waits for a store connection that timed out.", NULL),
                   NULL, (double)s.timeouts_total);
    aps_metric_set(aps_metrics_counter(m, "aps_db_round_trips_total",
                                       "Requests sent to the database server and waited for"
                                       " (a pipeline of statements counts once).",
                                       NULL),
                   NULL, (double)s.round_trips_total);
}

static void build_info(struct aps_app *app)
{
    static const char *const l[] = {"version", "environment", "store", "queue", NULL};
    const char *vals[] = {
        aps_cfg_str(app->cfg, APS_SET_APP_VERSION), aps_cfg_str(app->cfg, APS_SET_ENVIRONMENT),
        !app->store ? "none" : aps_store_kind(app->store) == APS_DB_POSTGRES ? "postgresql"
                                                                              : "sqlite",
        app->queue ? aps_queue_backend(app->queue) : "none"};
    aps_metric_set(aps_metrics_gauge(app->metrics, "aps_build_info",
                                     "Version and backends of this process (value 1).", l),
                   vals, 1);
}

/* ---- refresh -------------------------------------------------------------------------------- */

static int refresh_store(struct aps_app *app, int64_t now, struct aps_metric *errors)
{
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(app->store, APS_DB_READ, &c);
    if (rc) {
        aps_metric_add(errors, NULL, 1);
        return rc;
    }
    int first = 0;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        int r = run_family(c, app->metrics, &families[i], now);
        if (r) {
            aps_metric_add(errors, NULL, 1);
            APS_LOG(&app->log, APS_LOG_WARNING, NULL, "metrics query failed (%s): %s",
                    families[i].out[0].name, aps_conn_errmsg(c));
            first = first ? first : r;
        }
    }
    int r = refresh_windows(c, app->metrics, now);
    if (r) {
        aps_metric_add(errors, NULL, 1);
        APS_LOG(&app->log, APS_LOG_WARNING, NULL, "metrics query failed (pick windows): %s",
                aps_conn_errmsg(c));
        first = first ? first : r;
    }
    r = refresh_schedule(c, app->metrics, app->cfg, now);
    if (r) {
        aps_metric_add(errors, NULL, 1);
        APS_LOG(&app->log, APS_LOG_WARNING, NULL, "metrics query failed (schedule): %s",
                aps_conn_errmsg(c));
        first = first ? first : r;
    }
    aps_store_release(c);
    return first;
}

int aps_app_metrics_refresh(struct aps_app *app, int64_t now, bool force)
{
    struct aps_metrics *m = app->metrics;
    if (!m)
        return 0;
    struct aps_metric *last = aps_metrics_gauge(
        m, "aps_metrics_refresh_timestamp_seconds",
        "When the store-derived metrics were last computed (they are cached a few seconds).",
        NULL);
    struct aps_metric *took = aps_metrics_gauge(m, "aps_metrics_refresh_duration_seconds",
                                                "Time the last store-derived refresh took.", NULL);
    struct aps_metric *errors = aps_metrics_counter(
        m, "aps_metrics_refresh_errors_total", "Store queries of the metrics refresh that failed.",
        NULL);
    aps_metric_add(errors, NULL, 0); /* exported as 0 until a query fails */
    double wall = (double)aps_time_now_us() / 1e6;
    if (!force && wall - aps_metric_value(last, NULL) < APS_APP_METRICS_TTL_S)
        return 0;
    aps_metric_set(last, NULL, wall);
    double t0 = aps_time_mono();
    build_info(app);
    if (app->queue) {
        struct aps_queue_stats qs;
        if (aps_queue_stats(app->queue, &qs)) /* sets the depth gauges; a failure keeps them */
            aps_metric_add(errors, NULL, 1);
    }
    int rc = 0;
    if (app->store) {
        pool_metrics(app);
        aps_flags_export_metrics(app->flags, m);
        rc = refresh_store(app, now, errors);
    }
    aps_metric_set(took, NULL, aps_time_mono() - t0);
    return rc;
}

int aps_app_metrics_respond(struct aps_app *app, struct aps_http_req *req,
                            struct aps_http_res *res)
{
    if (!aps_cfg_bool(app->cfg, APS_SET_METRICS_ENABLED) || !app->metrics)
        return aps_http_error(res, 404, "NOT_FOUND", "metrics are disabled (METRICS_ENABLED)");
    const char *allow = aps_cfg_str(app->cfg, APS_SET_METRICS_ALLOW_CIDRS);
    if (allow && *allow && !aps_cidr_list_match(allow, req->client_ip))
        return aps_http_error(res, 403, "FORBIDDEN",
                              "metrics are served to the monitoring network only");
    struct aps_buf b = {0};
    (void)aps_process_metrics_update(app->metrics); /* without /proc the other metrics remain */
    (void)aps_app_metrics_refresh(app, aps_time_now(), false); /* failures are counted */
    aps_backup_metrics_update(app->store, app->metrics);
    aps_metrics_render(app->metrics, &b);
    res->raw = aps_arena_alloc(&req->arena, b.len + 1);
    memcpy(res->raw, aps_buf_str(&b), b.len + 1);
    res->raw_len = b.len;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    res->no_cache = true;
    aps_buf_cleanup(&b);
    return 0;
}
