/* api_backtests.c — backtests through the API: POST /api/v1/backtests records a request (sport,
 * market, dates, model, bankroll) and enqueues the backtest job (jobs_backtest.c); GET
 * /api/v1/backtests lists the caller's requests and GET /api/v1/backtests/{id} answers one with
 * its state and, once done, the report (tallies by tier and season, probability scores and the
 * bankroll curve with its drawdown). A caller sees only the backtests it asked for, read from
 * the primary (APS_DB_WRITE): a replica can lag behind the request just made or the worker's
 * last state. The job behind a request has a job_status row, so the job_id answered can be
 * followed at GET /api/v1/jobs/{id} like a training job. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/queue.h"
#include "config/config.h"
#include "core/domain.h"
#include "core/timeutil.h"
#include "engine/backtest.h"
#include "services/api_json.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/app.h"
#include "services/flags.h"
#include "services/job_status.h"
#include "services/routes.h"
#include "store/store.h"

#define BT_ATTEMPTS 2
/* A request whose job ended "failed" while the row still says queued or running (a worker killed
 * on the job's last attempt, or a step that kept failing, never got to end the row) reads as
 * failed with the job's error and end time: the job will not run it again. */
#define BT_ENDED " (b.state IN ('queued', 'running') AND js.state = 'failed')"
#define BT_COLUMNS                                                                       \
    "SELECT b.id, b.sport, b.market, b.date_from, b.date_to, b.model, b.bankroll,"       \
    " CASE WHEN" BT_ENDED " THEN 'failed' ELSE b.state END, b.job_id,"                   \
    " CASE WHEN" BT_ENDED " THEN js.error ELSE b.error END, b.created_at, b.started_at," \
    " CASE WHEN" BT_ENDED " THEN js.finished_at ELSE b.finished_at END"
#define BT_FROM "FROM backtests b LEFT JOIN job_status js ON js.job_id = b.job_id"

static json_t *backtest_row(const struct aps_stmt *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(aps_stmt_int64(st, 0)));
    json_object_set_new(o, "sport", aps_api_col_str(st, 1));
    json_object_set_new(o, "market", aps_api_col_str(st, 2));
    json_object_set_new(o, "from", aps_api_col_str(st, 3));
    json_object_set_new(o, "to", aps_api_col_str(st, 4));
    json_object_set_new(o, "model", aps_api_col_str(st, 5));
    json_object_set_new(o, "bankroll", aps_api_col_num(st, 6));
    json_object_set_new(o, "state", aps_api_col_str(st, 7));
    json_object_set_new(o, "job_id", aps_api_col_str(st, 8));
    json_object_set_new(o, "error", aps_api_col_str(st, 9));
    json_object_set_new(o, "created_at", aps_api_col_time(st, 10, false));
    json_object_set_new(o, "started_at", aps_api_col_time(st, 11, true));
    json_object_set_new(o, "finished_at", aps_api_col_time(st, 12, true));
    return o;
}

static int insert_request(struct aps_conn *c, const struct aps_http_req *req, const char *sport,
                          const char *market, const char *from, const char *to, const char *model,
                          double bankroll, int64_t *id)
{
    int rc = aps_conn_query_row(c,
                                "INSERT INTO backtests (user_id, sport, market, date_from, date_to,"
                                " model, bankroll, state, created_at) VALUES (?1, ?2, ?3, ?4, ?5,"
                                " ?6, ?7, 'queued', ?8) RETURNING id",
                                "i", id, "isssssdi", req->who.user_id, sport, market, from, to,
                                model, bankroll, aps_time_now());
    return rc == APS_E_NOTFOUND ? APS_E_DB : rc;
}

/* Why the backtest could not run, checked before it is queued (the job would only fail): the
 * model named, or the production one, of this sport and market; a game with a price of the
 * market in the dates asked. "" when it can run; a negative APS_E_* when the store failed. */
static int refusal(struct aps_conn *c, const char *sport, const char *market, const char *from,
                   const char *to, const char *model, char *why, size_t cap)
{
    int64_t one = 0;
    why[0] = '\0';
    int rc = 0;
    if (model) {
        const char *params[] = {sport, market, model};
        rc = aps_conn_query_int64(c,
                                  "SELECT 1 FROM models m WHERE m.sport_id ="
                                  " (SELECT s.id FROM sports s WHERE s.code = ?1)"
                                  " AND m.market = ?2 AND (CASE WHEN ?3 = 'production'"
                                  " THEN m.status = 'production' ELSE m.name = ?3 END) LIMIT 1",
                                  3, params, &one);
        if (rc == APS_E_NOTFOUND) {
            if (!strcmp(model, "production"))
                snprintf(why, cap, "no %s %s model is in production", sport, market);
            else
                snprintf(why, cap, "no model %s for %s %s", model, sport, market);
            return 0;
        }
    }
    const char *params[] = {sport, market, from, to};
    if (!rc)
        rc = aps_conn_query_int64(c,
                                  "SELECT 1 FROM games g WHERE g.sport_id ="
                                  " (SELECT s.id FROM sports s WHERE s.code = ?1)"
                                  " AND (CAST(?3 AS TEXT) IS NULL OR g.game_date >= ?3)"
                                  " AND (CAST(?4 AS TEXT) IS NULL OR g.game_date <= ?4)"
                                  " AND (EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id"
                                  " AND o.market = ?2) OR EXISTS (SELECT 1 FROM closing_lines l"
                                  " WHERE l.game_id = g.id AND l.market = ?2)) LIMIT 1",
                                  4, params, &one);
    if (rc == APS_E_NOTFOUND) {
        snprintf(why, cap, "no stored %s games with %s odds in the dates asked", sport, market);
        return 0;
    }
    return rc;
}

/* Records the job's id on the request, or marks the request failed when the queue refused it. */
static int set_job(struct aps_conn *c, int64_t id, const char *job_id)
{
    if (job_id)
        return aps_conn_execf(c, "UPDATE backtests SET job_id = ?2 WHERE id = ?1", "is", id,
                              job_id);
    return aps_conn_execf(c,
                          "UPDATE backtests SET state = 'failed', error = 'the job queue refused"
                          " the job', finished_at = ?2 WHERE id = ?1",
                          "ii", id, aps_time_now());
}

int aps_api_backtests_create(struct aps_http_req *req, struct aps_http_res *res)
{
    const struct aps_app *app = req->app;
    const char *sport_s = NULL, *market_s = NULL, *from = NULL, *to = NULL, *model = NULL;
    double bankroll = aps_cfg_double(app->cfg, APS_SET_DEFAULT_BANKROLL);
    bool has_bankroll = false;
    int sport = -1;
    if (!aps_flags_enabled(app->flags, APS_FLAG_BACKTESTS, req->who.user_id, req->who.role))
        return aps_http_error(res, 403, "FEATURE_DISABLED",
                              "backtests are not enabled for this account (feature flag"
                              " 'backtests')");
    if (aps_api_body_object(req, res)) {
        aps_api_b_str(req, res, "sport", true, 16, &sport_s);
        aps_api_b_str(req, res, "market", false, 16, &market_s);
        aps_api_b_date(req, res, "from", &from);
        aps_api_b_date(req, res, "to", &to);
        aps_api_b_str(req, res, "model", false, 120, &model);
        double asked = NAN;
        aps_api_b_double(req, res, "bankroll", false, 1, APS_BACKTEST_BANKROLL_MAX, &asked,
                         &has_bankroll);
        if (has_bankroll)
            bankroll = asked;
        if (sport_s && (sport = aps_sport_from_code(sport_s)) < 0)
            aps_api_invalid(res, "sport", "unknown sport code");
        if (market_s && aps_market_parse(market_s) < 0)
            aps_api_invalid(res, "market", "must be moneyline, spread or total");
        if (from && to && strcmp(from, to) > 0)
            aps_api_invalid(res, "from", "is after to");
    }
    if (aps_api_bad(res))
        return 0;
    if (!app->queue)
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "no job queue is configured");
    const char *code = aps_sport_info(sport)->code;
    const char *market = market_s ? market_s : "moneyline";
    struct aps_conn *c = NULL;
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    char why[160];
    int rc = refusal(c, code, market, from, to, model, why, sizeof why);
    if (!rc && why[0]) {
        aps_store_release(c);
        return aps_http_error(res, 409, "CANNOT_RUN", why);
    }
    int64_t id = 0;
    if (!rc)
        rc = insert_request(c, req, code, market, from, to, model, bankroll, &id);
    char job_id[64] = "", payload[128], key[48];
    int qrc = APS_E_STATE;
    if (!rc) {
        /* requested_by makes the worker keep the job's job_status row current (worker.c) */
        snprintf(payload, sizeof payload,
                 "{\"backtest_id\":%lld,\"sport\":\"%s\",\"requested_by\":%lld}", (long long)id,
                 code, (long long)req->who.user_id);
        snprintf(key, sizeof key, "backtest:%lld", (long long)id);
        qrc = aps_queue_push(app->queue, "backtest", payload, key, BT_ATTEMPTS, 0, job_id);
        rc = set_job(c, id, qrc ? NULL : job_id);
    }
    /* The job is followed at GET /api/v1/jobs/{job_id} by its owner (and an admin). */
    if (!rc && !qrc)
        rc = aps_job_status_create(c, job_id, "backtest", payload, req->who.user_id, true,
                                   aps_time_now());
    if (!rc)
        rc = aps_api_audit(c, req, "backtest_requested", "backtest", key, !qrc,
                           json_pack("{s:s, s:s}", "sport", code, "market", market));
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    if (qrc)
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the job queue refused the job");
    res->no_cache = true;
    return aps_http_json(res, 202,
                         json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:o}", "id",
                                   (json_int_t)id, "state", "queued", "job_id", job_id, "sport",
                                   code, "market", market, "from", from, "to", to, "model", model,
                                   "bankroll", aps_api_num(bankroll)));
}

int aps_api_backtests_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    aps_api_q_page(req, res, &pg);
    aps_api_where_int(&w, "b.user_id = ?", req->who.user_id);
    if (!aps_api_bad(res)) {
        res->no_cache = true;
        aps_api_list_page(req, res, APS_DB_WRITE, BT_COLUMNS, BT_FROM,
                          "b.created_at DESC, b.id DESC", &w, &pg, backtest_row);
    }
    aps_api_where_cleanup(&w);
    return 0;
}

int aps_api_backtests_get(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id");
    struct aps_conn *c = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    struct aps_stmt *st = NULL;
    json_t *o = NULL;
    int rc = aps_conn_preparef(c, &st,
                               BT_COLUMNS ", b.report " BT_FROM
                                          " WHERE b.id = ?1 AND b.user_id = ?2",
                               "ii", id, req->who.user_id);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        o = backtest_row(st);
        json_object_set_new(o, "report", aps_api_col_json(st, 13));
        rc = 0;
    }
    aps_stmt_finalize(st);
    aps_store_release(c);
    if (rc < 0)
        return aps_api_db_error(res, rc);
    if (!o)
        return aps_api_not_found(res, "backtest");
    res->no_cache = true;
    return aps_http_json(res, 200, o);
}
