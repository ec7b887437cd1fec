/* api_admin.c — the admin endpoints: settings read and run-time change, users and roles, the
 * data-quality report and alerts. Every change is written to the audit log in the same
 * transaction as the change itself. Settings changed here live in the settings table and
 * override the configuration for the keys settings.def marks `runtime`, in every process
 * (services/runtime.h); the model
 * registry's endpoints are in api_models.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/domain.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "odds/kelly.h"
#include "services/accounts.h"
#include "services/api_json.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/app.h"
#include "services/authn.h"
#include "services/reload.h"
#include "services/routes.h"
#include "services/runtime.h"

#define OVERDUE_SECONDS (6 * 3600) /* a scheduled game this long past its start is stale */

/* ---- settings ------------------------------------------------------------------------------ */

/* The settings table's rows as {key: {value, updated_by, updated_at}}. */
static int read_overrides(struct aps_conn *c, json_t **out)
{
    struct aps_stmt *st = NULL;
    json_t *o = json_object();
    int rc = aps_conn_prepare(c, "SELECT key, value, updated_by, updated_at FROM settings"
                                 " ORDER BY key", &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        const char *k = aps_stmt_text(st, 0);
        if (k)
            json_object_set_new(o, k,
                                json_pack("{s:o?, s:o, s:o}", "value", aps_api_col_str(st, 1),
                                          "updated_by", aps_api_col_int(st, 2), "updated_at",
                                          aps_api_col_time(st, 3, false)));
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

static json_t *setting_json(const struct aps_config *cfg, enum aps_setting k, json_t *overrides)
{
    bool runtime = aps_setting_is_runtime(k);
    json_t *ov = runtime ? json_object_get(overrides, aps_setting_name(k)) : NULL;
    const char *shown = aps_cfg_display(cfg, k);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "name", aps_setting_name(k), "value",
                          shown, "source", aps_cfg_source_name(aps_cfg_source(cfg, k)), "origin",
                          aps_cfg_origin(cfg, k), "secret", aps_setting_is_secret(k),
                          "runtime_changeable", runtime);
    json_object_set(o, "override", ov ? ov : json_null());
    json_t *eff = ov ? json_object_get(ov, "value") : json_object_get(o, "value");
    json_object_set(o, "effective", eff);
    return o;
}

int aps_api_settings_list(struct aps_http_req *req, struct aps_http_res *res)
{
    const struct aps_app *app = req->app;
    struct aps_conn *c = NULL;
    json_t *overrides = NULL;
    struct aps_api_page pg;
    if (!app || !app->cfg)
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "no configuration loaded");
    aps_api_q_page(req, res, &pg);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = read_overrides(c, &overrides);
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    json_t *items = json_array();
    for (int k = 0; k < APS_SET__COUNT; k++)
        json_array_append_new(items, setting_json(app->cfg, k, overrides));
    json_decref(overrides); /* each setting carries its own override */
    return aps_http_json(res, 200, aps_api_list_slice(items, &pg));
}

/* The body's value as text: a string as is, a number in its shortest exact form. */
static bool value_text(json_t *v, char *out, size_t cap)
{
    if (json_is_string(v))
        return aps_str_copy(out, cap, json_string_value(v)) == 0;
    if (json_is_integer(v))
        return snprintf(out, cap, "%lld", (long long)json_integer_value(v)) < (int)cap;
    if (json_is_real(v))
        return snprintf(out, cap, "%.17g", json_real_value(v)) < (int)cap;
    if (json_is_boolean(v))
        return aps_str_copy(out, cap, json_is_true(v) ? "true" : "false") == 0;
    return false;
}

/* The betting parameters with the new value in place must still hold together (tier order). */
static int check_rules(struct aps_conn *c, const struct aps_config *cfg, enum aps_setting k,
                       const char *norm, bool *ok)
{
    struct aps_kelly_params kp;
    double x = 0;
    int rc = aps_runtime_kelly_params(c, cfg, &kp);
    if (rc)
        return rc;
    if (aps_parse_double(norm, &x))
        x = NAN;
    if (k == APS_SET_KELLY_FRACTION)
        kp.kelly_fraction = x;
    else if (k == APS_SET_MAX_BET_PERCENT)
        kp.max_bet_percent = x;
    else if (k == APS_SET_MIN_EDGE_THRESHOLD)
        kp.min_edge = x;
    else if (k == APS_SET_SIGNAL_TIER_A_MIN)
        kp.tier_a_min = x;
    else if (k == APS_SET_SIGNAL_TIER_B_MIN)
        kp.tier_b_min = x;
    else if (k == APS_SET_SIGNAL_TIER_C_MIN)
        kp.tier_c_min = x;
    *ok = aps_kelly_params_check(&kp) == 0;
    return 0;
}

static int upsert_setting(struct aps_conn *c, const char *key, const char *value, int64_t by)
{
    return aps_conn_execf(c,
                          "INSERT INTO settings (key, value, updated_by, updated_at)"
                          " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET"
                          " value = excluded.value, updated_by = excluded.updated_by,"
                          " updated_at = excluded.updated_at",
                          "ssIi", key, value, by ? &by : NULL, aps_time_now());
}

/* Validates the PUT: the key, the value against the table's bounds. 0 when fine. */
static int setting_input(const struct aps_http_req *req, struct aps_http_res *res, int *key,
                         char *norm, size_t cap)
{
    const char *name = aps_http_param(req, "key");
    char text[256], err[512];
    *key = name ? aps_setting_find(name) : -1;
    if (*key < 0) {
        aps_api_not_found(res, "setting");
        return 1;
    }
    if (!aps_setting_is_runtime(*key)) {
        aps_api_invalid(res, "key", "this setting cannot be changed at run time");
        return 1;
    }
    if (!aps_api_body_object(req, res))
        return 1;
    json_t *v = json_object_get(req->json, "value");
    if (!v || !value_text(v, text, sizeof text)) {
        aps_api_invalid(res, "value", "is required (a number or a string)");
        return 1;
    }
    if (aps_config_validate(*key, text, norm, cap, err, sizeof err)) {
        aps_api_invalid(res, "value", err);
        return 1;
    }
    return 0;
}

int aps_api_settings_put(struct aps_http_req *req, struct aps_http_res *res)
{
    const struct aps_app *app = req->app;
    char norm[256], prev[256] = "";
    int key;
    struct aps_conn *c = NULL;
    if (setting_input(req, res, &key, norm, sizeof norm) ||
        aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    const char *name = aps_setting_name(key);
    bool ok = true, had = false;
    int rc = aps_conn_begin(c);
    if (!rc) {
        rc = aps_runtime_setting_override(c, key, prev, sizeof prev);
        had = rc == 0;
        rc = rc == APS_E_NOTFOUND ? 0 : rc;
    }
    if (!rc)
        rc = check_rules(c, app ? app->cfg : NULL, key, norm, &ok);
    if (!rc && ok)
        rc = upsert_setting(c, name, norm, req->who.user_id);
    if (!rc)
        rc = aps_api_audit(c, req, "setting_changed", "setting", name, ok,
                           json_pack("{s:s?, s:s, s:s?}", "previous", had ? prev : NULL, "value",
                                     norm, "refused",
                                     ok ? NULL : "tier or Kelly parameters out of order"));
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    else if (app) /* this process at once; the others within APS_RUNTIME_POLL_SECONDS */
        rc = aps_runtime_load(c, app->cfg, NULL);
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    if (!ok) {
        aps_api_invalid(res, "value",
                        "the betting parameters would not hold together (tiers must keep"
                        " A >= B >= C, fractions in range)");
        return 0;
    }
    return aps_http_json(res, 200,
                         json_pack("{s:s, s:s, s:s?, s:s}", "name", name, "value", norm,
                                   "previous", had ? prev : NULL, "configured",
                                   app && app->cfg ? aps_cfg_display(app->cfg, key) : ""));
}

/* ---- configuration reload ------------------------------------------------------------------ */

/* Reloads this process's configuration as SIGHUP does (reload.h), then audits the outcome. A
 * refused reload answers 409 with the one-line message start-up would print; the old
 * configuration stays. */
int aps_api_config_reload(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = req->app;
    struct aps_config_reload_report report;
    char err[1024];
    struct aps_conn *c = NULL;
    if (!app || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    bool ok = aps_app_reload(app, "api", &report, err, sizeof err) == 0;
    json_t *body = ok ? aps_reload_report_json(&report) : NULL;
    if (body)
        json_object_set_new(body, "process", json_string(app->instance));
    int rc = aps_api_audit(c, req, "config_reloaded", "config", app->instance, ok,
                           ok ? json_deep_copy(body) : json_pack("{s:s}", "error", err));
    aps_store_release(c);
    if (rc) {
        json_decref(body);
        return aps_api_db_error(res, rc);
    }
    if (!ok)
        return aps_http_error(res, 409, "CONFIG_INVALID", err);
    return aps_http_json(res, 200, body);
}

/* ---- users --------------------------------------------------------------------------------- */

#define USER_COLUMNS                                                                           \
    "u.id, u.email, u.name, u.role, u.is_active, u.totp_enabled, u.last_login_at, u.created_at"

static json_t *user_json(const struct aps_stmt *st)
{
    return json_pack("{s:I, s:o?, s:o?, s:o?, s:b, s:b, s:o, s:o}", "id",
                     (json_int_t)aps_stmt_int64(st, 0), "email", aps_api_col_str(st, 1), "name",
                     aps_api_col_str(st, 2), "role", aps_api_col_str(st, 3), "is_active",
                     aps_stmt_int64(st, 4) != 0, "totp_enabled", aps_stmt_int64(st, 5) != 0,
                     "last_login_at", aps_api_col_time(st, 6, false), "created_at",
                     aps_api_col_time(st, 7, false));
}

int aps_api_users_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    bool active = true;
    bool has_active = aps_http_query(req, "active") != NULL;
    aps_api_q_page(req, res, &pg);
    aps_api_q_bool(req, res, "active", &active);
    const char *role = aps_api_q_str(req, res, "role");
    if (role && !aps_api_bad(res))
        aps_api_where_text(&w, "u.role = ?", role);
    if (has_active)
        aps_api_where_int(&w, "u.is_active = ?", active ? 1 : 0);
    /* on the primary: an admin reads the list again right after changing a role or an account */
    if (!aps_api_bad(res))
        aps_api_list_page(req, res, APS_DB_WRITE, "SELECT " USER_COLUMNS, "FROM users u", "u.id", &w, &pg,
                          user_json);
    aps_api_where_cleanup(&w);
    return 0;
}

static int read_role(struct aps_conn *c, int64_t id, char *out, size_t cap)
{
    return aps_conn_query_row(c, "SELECT role FROM users WHERE id = ?1", "s", out, cap, "i", id);
}

int aps_api_users_role(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id");
    const char *role = NULL;
    if (aps_api_body_object(req, res)) {
        aps_api_b_str(req, res, "role", true, 16, &role);
        if (role && aps_role_parse(role) < 0)
            aps_api_invalid(res, "role", "must be user, pro, analyst, operator or admin");
    }
    if (aps_api_bad(res))
        return 0;
    if (id == req->who.user_id)
        return aps_http_error(res, 409, "CONFLICT",
                              "an administrator cannot change their own role");
    struct aps_conn *c = NULL;
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    char old[24] = "", rid[24];
    int64_t revoked = 0;
    bool changed = false;
    snprintf(rid, sizeof rid, "%lld", (long long)id);
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = read_role(c, id, old, sizeof old);
    if (!rc)
        rc = aps_accounts_user_change_role(c, id, (enum aps_role)aps_role_parse(role),
                                           aps_time_now(), &revoked, &changed);
    /* the role the user has already: nothing written, nothing revoked, nothing audited */
    if (!rc && changed)
        rc = aps_api_audit(c, req, "role_changed", "user", rid, true,
                           json_pack("{s:s, s:s, s:I}", "previous_role", old, "role", role,
                                     "sessions_revoked", (json_int_t)revoked));
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND)
        return aps_api_not_found(res, "user");
    if (rc)
        return aps_api_db_error(res, rc);
    if (changed)
        aps_authn_changed(req->app);
    return aps_http_json(res, 200,
                         json_pack("{s:I, s:s, s:s, s:I, s:b}", "id", (json_int_t)id, "role", role,
                                   "previous_role", old, "sessions_revoked", (json_int_t)revoked,
                                   "changed", changed));
}

/* ---- data quality -------------------------------------------------------------------------- */

/* The newest row of every check code. */
static int latest_checks(struct aps_conn *c, json_t **out)
{
    struct aps_stmt *st = NULL;
    json_t *items = json_array();
    int rc = aps_conn_prepare(c,
                              "SELECT check_code, source, passed, records_checked, failed_count,"
                              " score, details, checked_at FROM data_quality_checks WHERE id IN"
                              " (SELECT MAX(id) FROM data_quality_checks GROUP BY check_code)"
                              " ORDER BY check_code",
                              &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        json_array_append_new(
            items, json_pack("{s:o?, s:o?, s:b, s:o, s:o, s:o, s:o, s:o}", "check_code",
                             aps_api_col_str(st, 0), "source", aps_api_col_str(st, 1), "passed",
                             aps_stmt_int64(st, 2) != 0, "records_checked",
                             aps_api_col_int(st, 3), "failed_count", aps_api_col_int(st, 4),
                             "score", aps_api_col_num(st, 5), "details", aps_api_col_json(st, 6),
                             "checked_at", aps_api_col_time(st, 7, false)));
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return 0;
}

/* Per sport, computed now: games, games without any odds, final games without a score,
 * scheduled games long past their start, and for upcoming games the newest timed snapshot. */
static int sport_report(struct aps_conn *c, int64_t now, json_t **out)
{
    struct aps_stmt *st = NULL;
    json_t *items = json_array();
    int rc = aps_conn_preparef(
        c, &st,
        "SELECT sp.code, COUNT(*),"
        " SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id) THEN 1 ELSE 0"
        " END),"
        " SUM(CASE WHEN g.status = 'final' AND (g.home_score IS NULL OR g.away_score IS NULL)"
        " THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN g.status = 'scheduled' AND g.start_time < ?1 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN g.status = 'scheduled' AND g.start_time >= ?2 THEN 1 ELSE 0 END),"
        " (SELECT MAX(o.recorded_at) FROM odds o JOIN games u ON u.id = o.game_id"
        "  WHERE u.sport_id = sp.id AND u.status = 'scheduled' AND u.start_time >= ?2)"
        " FROM games g JOIN sports sp ON sp.id = g.sport_id GROUP BY sp.id, sp.code"
        " ORDER BY sp.code",
        "ii", now - OVERDUE_SECONDS, now);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int64_t newest = aps_stmt_is_null(st, 6) ? 0 : aps_stmt_int64(st, 6);
        json_array_append_new(
            items,
            json_pack("{s:o?, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "sport",
                      aps_api_col_str(st, 0), "games", (json_int_t)aps_stmt_int64(st, 1),
                      "games_without_odds", (json_int_t)aps_stmt_int64(st, 2),
                      "final_without_score", (json_int_t)aps_stmt_int64(st, 3),
                      "scheduled_overdue", (json_int_t)aps_stmt_int64(st, 4), "upcoming_games",
                      (json_int_t)aps_stmt_int64(st, 5), "upcoming_newest_odds_at",
                      newest ? aps_api_time(newest) : json_null(),
                      "upcoming_odds_staleness_seconds",
                      newest ? json_integer(now - newest) : json_null()));
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return 0;
}

static int count_of(struct aps_conn *c, const char *sql, int64_t *out)
{
    return aps_conn_query_int64(c, sql, 0, NULL, out);
}

int aps_api_data_quality(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_conn *c = NULL;
    json_t *checks = NULL, *sports = NULL;
    int64_t ungraded = 0, unsettled = 0, now = aps_time_now();
    if (aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    int rc = latest_checks(c, &checks);
    if (!rc)
        rc = sport_report(c, now, &sports);
    if (!rc)
        rc = count_of(c,
                      "SELECT COUNT(*) FROM predictions p JOIN games g ON g.id = p.game_id"
                      " LEFT JOIN prediction_results r ON r.prediction_id = p.id"
                      " WHERE g.status = 'final' AND r.prediction_id IS NULL",
                      &ungraded);
    if (!rc)
        rc = count_of(c,
                      "SELECT COUNT(*) FROM bets x JOIN games g ON g.id = x.game_id"
                      " WHERE x.result = 'pending' AND g.status IN ('final', 'cancelled')",
                      &unsettled);
    aps_store_release(c);
    if (rc) {
        json_decref(checks);
        json_decref(sports);
        return aps_api_db_error(res, rc);
    }
    return aps_http_json(
        res, 200,
        json_pack("{s:o, s:{s:o, s:o, s:I, s:I}}", "checks", checks, "computed", "at",
                  aps_api_time(now), "by_sport", sports, "predictions_final_ungraded",
                  (json_int_t)ungraded, "bets_unsettled_on_finished_games",
                  (json_int_t)unsettled));
}

/* ---- alerts -------------------------------------------------------------------------------- */

#define ALERT_COLUMNS                                                                          \
    "a.id, a.kind, a.severity, a.title, a.message, a.details, a.acknowledged,"                \
    " a.acknowledged_by, a.acknowledged_at, a.created_at"

static json_t *alert_json(const struct aps_stmt *st)
{
    return json_pack("{s:I, s:o?, s:o?, s:o?, s:o?, s:o, s:b, s:o, s:o, s:o}", "id",
                     (json_int_t)aps_stmt_int64(st, 0), "kind", aps_api_col_str(st, 1),
                     "severity", aps_api_col_str(st, 2), "title", aps_api_col_str(st, 3),
                     "message", aps_api_col_str(st, 4), "details", aps_api_col_json(st, 5),
                     "acknowledged", aps_stmt_int64(st, 6) != 0, "acknowledged_by",
                     aps_api_col_int(st, 7), "acknowledged_at", aps_api_col_time(st, 8, false),
                     "created_at", aps_api_col_time(st, 9, false));
}

int aps_api_alerts_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    bool ack = false;
    bool has_ack = aps_http_query(req, "acknowledged") != NULL;
    aps_api_q_page(req, res, &pg);
    aps_api_q_bool(req, res, "acknowledged", &ack);
    const char *sev = aps_api_q_str(req, res, "severity");
    if (has_ack)
        aps_api_where_int(&w, "a.acknowledged = ?", ack ? 1 : 0);
    if (sev && !aps_api_bad(res))
        aps_api_where_text(&w, "a.severity = ?", sev);
    /* on the primary: the list is read again right after an acknowledgement */
    if (!aps_api_bad(res))
        aps_api_list_page(req, res, APS_DB_WRITE, "SELECT " ALERT_COLUMNS, "FROM alerts a",
                          "a.created_at DESC, a.id DESC", &w, &pg, alert_json);
    aps_api_where_cleanup(&w);
    return 0;
}

/* Acknowledges alert id unless it already is; *changed tells. */
static int acknowledge(struct aps_conn *c, int64_t id, int64_t by, bool *changed)
{
    int64_t n = 0;
    int rc = aps_conn_changef(c, &n,
                              "UPDATE alerts SET acknowledged = 1, acknowledged_by = ?1,"
                              " acknowledged_at = ?2 WHERE id = ?3 AND acknowledged = 0",
                              "Iii", by ? &by : NULL, aps_time_now(), id);
    *changed = !rc && n == 1;
    return rc;
}

int aps_api_alerts_ack(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id");
    struct aps_conn *c = NULL;
    struct aps_stmt *st = NULL;
    json_t *alert = NULL;
    bool changed = false;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    char rid[24];
    snprintf(rid, sizeof rid, "%lld", (long long)id);
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = acknowledge(c, id, req->who.user_id, &changed);
    if (!rc && changed)
        rc = aps_api_audit(c, req, "alert_acknowledged", "alert", rid, true, NULL);
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    if (!rc)
        rc = aps_conn_preparef(c, &st, "SELECT " ALERT_COLUMNS " FROM alerts a WHERE a.id = ?1",
                               "i", id);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        alert = alert_json(st);
        rc = 0;
    }
    aps_stmt_finalize(st);
    aps_store_release(c);
    if (rc < 0)
        return aps_api_db_error(res, rc);
    if (!alert)
        return aps_api_not_found(res, "alert");
    json_object_set_new(alert, "already_acknowledged", json_boolean(!changed));
    return aps_http_json(res, 200, alert);
}
