/* test_app_metrics.c — the store-derived metrics of services/app_metrics.h: the rolling summary
 * of graded picks against numbers worked out by hand, and a refresh on a real migrated SQLite
 * store whose rendered /metrics text carries those numbers per sport, market, tier and window,
 * the store's counts (current picks only: a superseded pick counts nowhere; bets per currency, as
 * gauges; a code that is not ISO 4217 as currency "other"), freshness, quotas, models, users and
 * the build info; a label set that left the store leaves the output; the cache keeps a second
 * scrape inside the TTL from querying. Also the process metrics and aps_metric_clear of the
 * registry. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "metrics/metrics.h"
#include "services/app_metrics.h"
#include "jobs_fixture.h"

#define NOW 1764600000 /* 2025-12-01 14:40 UTC */

/* Four graded picks, worked by hand:
 *   p     result  clv    profit  stake
 *   0.60  win     0.05   1.00    0.02
 *   0.70  loss   -0.02  -1.00    0.03
 *   0.55  win     -      0.90    0     (tracked, not staked)
 *   0.65  push    0.01   0.00    0.01
 * hit rate   2 wins / (2 + 1 loss)                         = 0.666667
 * log-loss   -(ln 0.6 + ln 0.3 + ln 0.55) / 3              = (0.510826 + 1.203973 + 0.597837) / 3
 *                                                          = 0.770879
 * Brier      (0.4² + 0.7² + 0.45²) / 3 = 0.8525 / 3        = 0.284167
 * CLV mean   (0.05 − 0.02 + 0.01) / 3                      = 0.013333; positive 2 of 3
 * ROI        (0.02·1 + 0.03·(−1) + 0.01·0) / 0.06           = −0.166667 */
static const struct aps_pick_outcome four[] = {
    {0.60, APS_GRADE_WIN, 0.05, 1.00, 0.02},
    {0.70, APS_GRADE_LOSS, -0.02, -1.00, 0.03},
    {0.55, APS_GRADE_WIN, NAN, 0.90, 0},
    {0.65, APS_GRADE_PUSH, 0.01, 0.00, 0.01},
};

static void test_summary_by_hand(void **state)
{
    (void)state;
    struct aps_pick_summary s;
    aps_pick_summarize(four, 4, &s);
    assert_int_equal(s.graded, 4);
    assert_int_equal(s.decided, 3);
    assert_int_equal(s.staked, 3);
    assert_float_equal(s.hit_ratio, 2.0 / 3.0, 1e-9);
    assert_float_equal(s.log_loss, 0.770879, 1e-6);
    assert_float_equal(s.brier, 0.8525 / 3.0, 1e-9);
    assert_float_equal(s.clv_mean, 0.04 / 3.0, 1e-9);
    assert_float_equal(s.clv_positive, 2.0 / 3.0, 1e-9);
    assert_float_equal(s.roi, -0.01 / 0.06, 1e-9);
}

static void test_summary_edges(void **state)
{
    (void)state;
    struct aps_pick_summary s;
    aps_pick_summarize(NULL, 0, &s);
    assert_int_equal(s.graded, 0);
    assert_true(isnan(s.hit_ratio) && isnan(s.log_loss) && isnan(s.brier) && isnan(s.roi));
    /* Only a push and a void: no rate is defined, and nothing was staked. */
    const struct aps_pick_outcome pv[] = {{0.6, APS_GRADE_PUSH, NAN, 0, 0},
                                          {0.6, APS_GRADE_VOID, NAN, 0, 0}};
    aps_pick_summarize(pv, 2, &s);
    assert_int_equal(s.graded, 2);
    assert_int_equal(s.decided, 0);
    assert_true(isnan(s.hit_ratio) && isnan(s.log_loss) && isnan(s.clv_mean) && isnan(s.roi));
    /* A certain, right pick: log-loss clipped near 0, never -0 or NaN; Brier 0. */
    const struct aps_pick_outcome sure[] = {{1.0, APS_GRADE_WIN, 0.1, 1.0, 0.05}};
    aps_pick_summarize(sure, 1, &s);
    assert_true(s.log_loss >= 0 && s.log_loss < 1e-9);
    assert_float_equal(s.brier, 0, 1e-12);
    assert_float_equal(s.roi, 1.0, 1e-12);
    assert_float_equal(s.clv_positive, 1.0, 1e-12);
}

/* The whole /metrics text of the fixture's registry. */
static char *render(struct jfx *f)
{
    struct aps_buf b = {0};
    aps_metrics_render(f->app.metrics, &b);
    char *s = strdup(aps_buf_str(&b));
    aps_buf_cleanup(&b);
    return s;
}

/* The value of the exposition line that starts with `series` followed by a space; NAN when
 * absent. */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return NAN;
}

/* cmocka's assert_float_equal passes when a side is NaN, and value_of gives NaN for a series
 * that is not in the output: a missing series must fail, not pass. */
#define assert_series(value, want, eps)                                                            \
    do {                                                                                           \
        double v_ = (value);                                                                       \
        if (isnan(v_))                                                                             \
            fail_msg("series %s is not in the output", s);                                         \
        assert_float_equal(v_, want, eps);                                                         \
    } while (0)

static void exec_ok(struct jfx *f, const char *sql)
{
    if (jfx_exec(f, sql))
        fail_msg("SQL failed: %s", sql);
}

/* Games 1, 4, 5 and 6 (final) carry the four graded A picks, graded a day before NOW; game 1's
 * moneyline was first picked at tier B (p 0.9, a loss, stake 0.04), a pick its A pick superseded,
 * which no count or rate includes; game 2 (final) one old loss graded 20 days before NOW (in 30d,
 * not in 7d); game 3 (upcoming) an ungraded pick and odds recorded 600 s before NOW. */
static void seed(struct jfx *f)
{
    assert_int_equal(jfx_game(f, NOW - 2 * 86400, "final"), 1);
    assert_int_equal(jfx_game(f, NOW - 21 * 86400, "final"), 2);
    assert_int_equal(jfx_game(f, NOW + 3600, "scheduled"), 3);
    for (int g = 4; g <= 6; g++)
        assert_int_equal(jfx_game(f, NOW - 2 * 86400, "final"), g);
    char sql[1024];
    exec_ok(f, "INSERT INTO predictions (game_id, model, market, selection, probability, edge,"
               " tier, stake_fraction, locked_at, prev_hash, hash, created_at) VALUES"
               " (1, 'elo', 'moneyline', 'home', 0.9, 0.05, 'B', 0.04, 'x', 'p', 'h0', 0)");
    snprintf(sql, sizeof sql,
             "INSERT INTO prediction_results (prediction_id, result, profit_loss, clv, graded_at)"
             " VALUES (1, 'loss', -1, -0.5, %d)", NOW - 86400);
    exec_ok(f, sql);
    static const int game[] = {1, 4, 5, 6};
    static const char *const res[] = {"win", "loss", "win", "push"};
    static const char *const clv[] = {"0.05", "-0.02", "NULL", "0.01"};
    for (int i = 0; i < 4; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO predictions (game_id, model, market, selection, probability, edge,"
                 " tier, stake_fraction, locked_at, prev_hash, hash, created_at) VALUES"
                 " (%d, 'elo', 'moneyline', 'home', %.2f, 0.03, 'A', %.2f, 'x', 'p', 'h%d', 0)",
                 game[i], four[i].probability, four[i].stake, i + 1);
        exec_ok(f, sql);
        snprintf(sql, sizeof sql,
                 "INSERT INTO prediction_results (prediction_id, result, profit_loss, clv,"
                 " graded_at) VALUES (%d, '%s', %.2f, %s, %d)",
                 i + 2, res[i], four[i].profit, clv[i], NOW - 86400);
        exec_ok(f, sql);
    }
    exec_ok(f, "INSERT INTO predictions (game_id, model, market, selection, probability, edge,"
               " tier, stake_fraction, locked_at, prev_hash, hash, created_at) VALUES"
               " (2, 'elo', 'moneyline', 'home', 0.62, 0.02, 'B', 0.01, 'x', 'p', 'h5', 0),"
               " (3, 'elo', 'total', 'over', 0.58, 0.04, 'C', 0.005, 'x', 'p', 'h6', 0)");
    snprintf(sql, sizeof sql,
             "INSERT INTO prediction_results (prediction_id, result, profit_loss, clv, graded_at)"
             " VALUES (6, 'loss', -1, -0.03, %d)", NOW - 20 * 86400);
    exec_ok(f, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, price)"
             " VALUES (3, 1, 'moneyline', 'home', 'live', %d, 1.9),"
             " (3, 1, 'moneyline', 'away', 'live', %d, 2.0),"
             " (1, 1, 'moneyline', 'home', 'live', %d, 1.8)",
             NOW - 900, NOW - 600, NOW - 60);
    exec_ok(f, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO provider_status (provider, requests_remaining, requests_used,"
             " last_success_at, updated_at) VALUES ('theoddsapi', 480, 20, %d, %d)",
             NOW - 30, NOW - 30);
    exec_ok(f, sql);
    exec_ok(f, "INSERT INTO users (email, password_hash, role, created_at, updated_at) VALUES"
               " ('a@x', 'h', 'user', 0, 0), ('b@x', 'h', 'user', 0, 0),"
               " ('c@x', 'h', 'admin', 0, 0)");
    exec_ok(f, "INSERT INTO api_keys (user_id, name, prefix, key_hash, rate_limit_per_min,"
               " revoked, expires_at, created_at) VALUES (1, 'k1', 'p', 'k1', 60, 0, NULL, 0),"
               " (1, 'k2', 'p', 'k2', 60, 1, NULL, 0), (1, 'k3', 'p', 'k3', 60, 0, 1, 0)");
    exec_ok(f, "INSERT INTO models (name, sport_id, market, family, status, path, features,"
               " params, data_hash, metrics, log_loss, ece, created_at, promoted_at) VALUES"
               " ('nba_ml_v1', 1, 'moneyline', 'logistic', 'production', 'p', '[]', '{}', 'd',"
               " '{}', 0.64, 0.018, 0, 1764500000),"
               " ('nba_ml_v0', 1, 'moneyline', 'elo', 'archived', 'p', '[]', '{}', 'd', '{}',"
               " 0.66, 0.03, 0, 0)");
    exec_ok(f, "INSERT INTO bankrolls (user_id, name, initial_amount, current_amount,"
               " peak_amount, low_amount, created_at, updated_at) VALUES"
               " (1, 'a', 1000, 1100, 1100, 1000, 0, 0), (2, 'b', 500, 450, 500, 450, 0, 0)");
    /* Bets in two currencies: two pending (50 USD, 5000 JPY) and a won one (20 USD); two
     * bankrolls in made-up codes (not ISO 4217), one with a pending bet of 7. */
    exec_ok(f, "INSERT INTO bankrolls (user_id, name, currency, initial_amount, current_amount,"
               " peak_amount, low_amount, created_at, updated_at) VALUES"
               " (1, 'c', 'JPY', 100000, 95000, 100000, 95000, 0, 0),"
               " (1, 'd', 'ZZZ', 10, 3, 10, 3, 0, 0), (2, 'e', 'QQQ', 20, 20, 20, 20, 0, 0)");
    exec_ok(f, "INSERT INTO bets (user_id, bankroll_id, game_id, market, selection, price, stake,"
               " placed_at, result) VALUES (1, 1, 3, 'total', 'over', 1.9, 50, 0, 'pending'),"
               " (1, 3, 3, 'total', 'over', 1.9, 5000, 0, 'pending'),"
               " (1, 1, 1, 'moneyline', 'home', 2.0, 20, 0, 'win'),"
               " (1, 4, 3, 'total', 'over', 1.9, 7, 0, 'pending')");
}

static void test_refresh_from_store(void **state)
{
    (void)state;
    struct jfx f;
    assert_int_equal(jfx_open(&f, NULL, 0), 0);
    seed(&f);
    assert_int_equal(aps_app_metrics_refresh(&f.app, NOW, true), 0);
    char *t = render(&f);
    const char *a7 = "{sport=\"NBA\",market=\"moneyline\",tier=\"A\",window=\"7d\"}";
    char s[256];
#define V(name, labels) (snprintf(s, sizeof s, "%s%s", name, labels), value_of(t, s))
    assert_series(V("aps_picks_window_graded", a7), 4, 0);
    assert_series(V("aps_picks_hit_ratio", a7), 2.0 / 3.0, 1e-12);
    assert_series(V("aps_picks_log_loss", a7), 0.770879, 1e-6);
    assert_series(V("aps_picks_brier_score", a7), 0.8525 / 3.0, 1e-12);
    assert_series(V("aps_picks_clv_mean", a7), 0.04 / 3.0, 1e-12);
    assert_series(V("aps_picks_clv_positive_ratio", a7), 2.0 / 3.0, 1e-12);
    assert_series(V("aps_picks_roi_ratio", a7), -0.01 / 0.06, 1e-12);
    /* Tier "all" over 30 days adds game 2's B loss (p 0.62, stake 0.01, CLV -0.03):
     * hit 2/4, Brier (0.8525 + 0.62²)/4, ROI (-0.01 - 0.01)/0.07, CLV (0.04 - 0.03)/4. */
    const char *all30 = "{sport=\"NBA\",market=\"moneyline\",tier=\"all\",window=\"30d\"}";
    assert_series(V("aps_picks_window_graded", all30), 5, 0);
    assert_series(V("aps_picks_hit_ratio", all30), 0.5, 1e-12);
    assert_series(V("aps_picks_brier_score", all30), (0.8525 + 0.3844) / 4, 1e-12);
    assert_series(V("aps_picks_roi_ratio", all30), -0.02 / 0.07, 1e-12);
    assert_series(V("aps_picks_clv_mean", all30), 0.01 / 4, 1e-12);
    /* The old loss is outside 7 days: tier B has a 30d series only. */
    assert_true(isnan(V("aps_picks_window_graded",
                        "{sport=\"NBA\",market=\"moneyline\",tier=\"B\",window=\"7d\"}")));
    assert_series(V("aps_picks_window_graded",
                         "{sport=\"NBA\",market=\"moneyline\",tier=\"B\",window=\"30d\"}"),
                       1, 0);
    /* Counts from the store: current picks only (game 1's superseded B pick is in none). */
    const char *ma = "{sport=\"NBA\",market=\"moneyline\",tier=\"A\"}",
               *mb = "{sport=\"NBA\",market=\"moneyline\",tier=\"B\"}";
    assert_series(V("aps_picks_current", ma), 4, 0);
    assert_series(V("aps_picks_current_stake_fraction", ma), 0.06, 1e-12);
    assert_series(V("aps_picks_current", mb), 1, 0);
    assert_series(V("aps_picks_current_stake_fraction", mb), 0.01, 1e-12);
    assert_series(V("aps_picks_current", "{sport=\"NBA\",market=\"total\",tier=\"C\"}"), 1,
                       0);
    assert_series(V("aps_picks_graded",
                         "{sport=\"NBA\",market=\"moneyline\",tier=\"A\",result=\"win\"}"),
                       2, 0);
    assert_series(V("aps_picks_graded",
                         "{sport=\"NBA\",market=\"moneyline\",tier=\"B\",result=\"loss\"}"),
                       1, 0);
    /* Bets by result in each currency; what the store holds can go down: gauges, every one. */
    assert_series(V("aps_bets", "{result=\"pending\",currency=\"USD\"}"), 1, 0);
    assert_series(V("aps_bets", "{result=\"pending\",currency=\"JPY\"}"), 1, 0);
    assert_series(V("aps_bets_stake", "{result=\"pending\",currency=\"USD\"}"), 50, 0);
    assert_series(V("aps_bets_stake", "{result=\"pending\",currency=\"JPY\"}"), 5000, 0);
    assert_series(V("aps_bets_stake", "{result=\"win\",currency=\"USD\"}"), 20, 0);
    /* A code that is not an ISO 4217 currency is "other": made-up codes add no series. */
    assert_series(V("aps_bankrolls_active", "{currency=\"other\"}"), 2, 0);
    assert_series(V("aps_bankroll_balance", "{currency=\"other\"}"), 23, 0);
    assert_series(V("aps_bets_stake", "{result=\"pending\",currency=\"other\"}"), 7, 0);
    assert_null(strstr(t, "currency=\"ZZZ\""));
    assert_non_null(strstr(t, "# TYPE aps_picks_current gauge\n"));
    assert_non_null(strstr(t, "# TYPE aps_picks_graded gauge\n"));
    assert_non_null(strstr(t, "# TYPE aps_bets gauge\n"));
    /* Freshness reads the upcoming game's odds only (game 1's newer quote is of a final game). */
    assert_series(V("aps_odds_last_update_timestamp_seconds", "{sport=\"NBA\"}"), NOW - 600,
                       0);
    assert_series(V("aps_odds_upcoming_games", "{sport=\"NBA\"}"), 1, 0);
    assert_series(V("aps_provider_quota_remaining", "{provider=\"theoddsapi\"}"), 480, 0);
    assert_series(V("aps_provider_last_success_timestamp_seconds", "{provider=\"theoddsapi\"}"),
                       NOW - 30, 0);
    assert_series(V("aps_users", "{role=\"user\"}"), 2, 0);
    assert_series(V("aps_users", "{role=\"admin\"}"), 1, 0);
    assert_series(V("aps_api_keys_active", ""), 1, 0); /* k2 revoked, k3 expired */
    assert_series(V("aps_model_info", "{sport=\"NBA\",market=\"moneyline\",family=\"logistic\","
                                           "version=\"nba_ml_v1\"}"),
                       1, 0);
    assert_true(isnan(V("aps_model_info", "{sport=\"NBA\",market=\"moneyline\",family=\"elo\","
                                          "version=\"nba_ml_v0\"}")));
    assert_series(V("aps_model_ece", "{sport=\"NBA\",market=\"moneyline\"}"), 0.018, 1e-12);
    assert_series(V("aps_bankroll_balance", "{currency=\"USD\"}"), 1550, 0);
    assert_series(V("aps_bankroll_initial_balance", "{currency=\"USD\"}"), 1500, 0);
    assert_series(V("aps_build_info", "{version=\"2.0.0\",environment=\"development\","
                                           "store=\"sqlite\",queue=\"none\"}"),
                       1, 0);
    assert_series(V("aps_metrics_refresh_errors_total", ""), 0, 0);
    /* No platform alert: every severity is exported as 0 rather than missing. */
    assert_series(V("aps_alerts_unacknowledged", "{severity=\"critical\"}"), 0, 0);
    assert_series(V("aps_alerts_unacknowledged", "{severity=\"info\"}"), 0, 0);
    free(t);

    /* A new production model replaces the old one in the output; inside the TTL nothing is
     * queried again, so the change shows only on a forced (or later) refresh. */
    exec_ok(&f, "UPDATE models SET status = 'archived' WHERE name = 'nba_ml_v1'");
    exec_ok(&f, "UPDATE models SET status = 'production' WHERE name = 'nba_ml_v0'");
    assert_int_equal(aps_app_metrics_refresh(&f.app, NOW, false), 0);
    t = render(&f);
    assert_series(V("aps_model_info", "{sport=\"NBA\",market=\"moneyline\",family=\"logistic\","
                                           "version=\"nba_ml_v1\"}"),
                       1, 0);
    free(t);
    assert_int_equal(aps_app_metrics_refresh(&f.app, NOW, true), 0);
    t = render(&f);
    assert_true(isnan(V("aps_model_info", "{sport=\"NBA\",market=\"moneyline\",family=\"logistic\","
                                          "version=\"nba_ml_v1\"}")));
    assert_series(V("aps_model_info", "{sport=\"NBA\",market=\"moneyline\",family=\"elo\","
                                           "version=\"nba_ml_v0\"}"),
                       1, 0);
    /* Ten days and 30 s later the four A picks left the 7-day window, and the odds task (every
     * 60 s, slots on whole minutes) last ran a slot before: 30 s late. The grade task ran its
     * current slot (0); the live-scores task skips slots by design and is not exported. */
    free(t);
    int64_t later = NOW + 10 * 86400 + 30;
    snprintf(s, sizeof s,
             "INSERT INTO schedule_runs (task, last_run_at) VALUES ('odds:NBA', %lld),"
             " ('grade', %lld), ('scores_live:NBA', 0)",
             (long long)(later - 90) * 1000, (long long)later * 1000);
    exec_ok(&f, s);
    assert_int_equal(aps_app_metrics_refresh(&f.app, later, true), 0);
    t = render(&f);
    assert_true(isnan(V("aps_picks_window_graded", a7)));
    assert_series(V("aps_schedule_lag_seconds", "{task=\"odds\",sport=\"NBA\"}"), 30, 0);
    assert_series(V("aps_schedule_lag_seconds", "{task=\"grade\",sport=\"all\"}"), 0, 0);
    assert_true(isnan(V("aps_schedule_lag_seconds", "{task=\"scores_live\",sport=\"NBA\"}")));
    free(t);
#undef V
    jfx_close(&f);
}

static void test_process_and_clear(void **state)
{
    (void)state;
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    assert_int_equal(aps_process_metrics_update(m), 0);
    double start = aps_metric_value(aps_metrics_gauge(m, "process_start_time_seconds", "", NULL),
                                    NULL);
    double now = (double)time(NULL);
    assert_true(start > now - 3600 && start <= now + 1); /* this test started seconds ago */
    assert_true(aps_metric_value(aps_metrics_gauge(m, "process_open_fds", "", NULL), NULL) >= 3);
    assert_true(aps_metric_value(aps_metrics_gauge(m, "process_max_fds", "", NULL), NULL) >= 64);
    static const char *const l[] = {"k", NULL};
    struct aps_metric *g = aps_metrics_gauge(m, "aps_t", "t", l);
    const char *a[] = {"a"}, *b[] = {"b"};
    aps_metric_set(g, a, 1);
    aps_metric_set(g, b, 2);
    aps_metric_clear(g);
    aps_metric_set(g, b, 3);
    struct aps_buf out = {0};
    aps_metrics_render(m, &out);
    assert_null(strstr(aps_buf_str(&out), "aps_t{k=\"a\"}"));
    assert_non_null(strstr(aps_buf_str(&out), "aps_t{k=\"b\"} 3\n"));
    aps_buf_cleanup(&out);
    aps_metric_clear(NULL);
    aps_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_by_hand),
        cmocka_unit_test(test_summary_edges),
        cmocka_unit_test(test_refresh_from_store),
        cmocka_unit_test(test_process_and_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
