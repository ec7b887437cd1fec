/* api_models.c — the model registry endpoints: GET /models and /models/{id} (the models table
 * of migrations/004_models.sql with its training runs), POST /models/train (enqueues a "train"
 * job through the queue of src/cache/queue.h, idempotently) and POST /models/{id}/promote
 * (archives the sport and market's production model; refuses a pruned model, and one that failed
 * the leakage check unless forced). Training requests and promotions are audited; a promotion
 * and its audit row share one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/queue.h"
#include "core/domain.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "model/registry.h"
#include "services/api_json.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/app.h"
#include "services/job_status.h"
#include "services/routes.h"

#define TRAIN_ATTEMPTS 3
#define NOTE_MAX 500

/* ---- models -------------------------------------------------------------------------------- */

#define MODEL_COLUMNS                                                                          \
    "m.id, m.name, sp.code, m.market, m.family, m.status, m.log_loss, m.ece, m.games,"        \
    " m.leakage_ok, m.promotion_note, m.created_at, m.promoted_at, m.path, m.features,"        \
    " m.params, m.data_hash, m.metrics"
#define MODELS_FROM "FROM models m JOIN sports sp ON sp.id = m.sport_id"

static json_t *model_json(const struct aps_stmt *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(aps_stmt_int64(st, 0)));
    json_object_set_new(o, "name", aps_api_col_str(st, 1));
    json_object_set_new(o, "sport", aps_api_col_str(st, 2));
    json_object_set_new(o, "market", aps_api_col_str(st, 3));
    json_object_set_new(o, "family", aps_api_col_str(st, 4));
    json_object_set_new(o, "status", aps_api_col_str(st, 5));
    json_object_set_new(o, "log_loss", aps_api_col_num(st, 6));
    json_object_set_new(o, "ece", aps_api_col_num(st, 7));
    json_object_set_new(o, "games", aps_api_col_int(st, 8));
    json_object_set_new(o, "leakage_ok", json_boolean(aps_stmt_int64(st, 9) != 0));
    json_object_set_new(o, "promotion_note", aps_api_col_str(st, 10));
    json_object_set_new(o, "created_at", aps_api_col_time(st, 11, false));
    json_object_set_new(o, "promoted_at", aps_api_col_time(st, 12, false));
    return o;
}

int aps_api_models_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    int sport, market;
    aps_api_q_page(req, res, &pg);
    aps_api_q_sport(req, res, "sport", &sport);
    aps_api_q_market(req, res, "market", &market);
    const char *status = aps_api_q_str(req, res, "status");
    if (sport >= 0)
        aps_api_where_text(&w, "sp.code = ?", aps_sport_info(sport)->code);
    if (market >= 0)
        aps_api_where_text(&w, "m.market = ?", aps_market_name(market));
    if (status && !aps_api_bad(res))
        aps_api_where_text(&w, "m.status = ?", status);
    if (!aps_api_bad(res))
        aps_api_list_page(req, res, APS_DB_READ, "SELECT " MODEL_COLUMNS, MODELS_FROM,
                          "m.created_at DESC, m.id DESC", &w, &pg, model_json);
    aps_api_where_cleanup(&w);
    return 0;
}

/* The training runs whose best model is id. */
static int model_runs(struct aps_conn *c, int64_t id, json_t **out)
{
    struct aps_stmt *st = NULL;
    json_t *runs = json_array();
    int rc = aps_conn_preparef(c, &st,
                               "SELECT id, status, seed, budget_seconds, max_models, preset,"
                               " leaderboard, error, started_at, finished_at FROM training_runs"
                               " WHERE best_model_id = ?1 ORDER BY id",
                               "i", id);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        json_array_append_new(
            runs, json_pack("{s:I, s:o?, s:o, s:o, s:o, s:o?, s:o, s:o?, s:o, s:o}", "id",
                            (json_int_t)aps_stmt_int64(st, 0), "status", aps_api_col_str(st, 1),
                            "seed", aps_api_col_int(st, 2), "budget_seconds",
                            aps_api_col_int(st, 3), "max_models", aps_api_col_int(st, 4),
                            "preset", aps_api_col_str(st, 5), "leaderboard",
                            aps_api_col_json(st, 6), "error", aps_api_col_str(st, 7),
                            "started_at", aps_api_col_time(st, 8, false), "finished_at",
                            aps_api_col_time(st, 9, false)));
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        json_decref(runs);
        return rc;
    }
    *out = runs;
    return 0;
}

int aps_api_models_get(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id");
    struct aps_conn *c = NULL;
    struct aps_stmt *st = NULL;
    json_t *m = NULL, *runs = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_READ, &c))
        return 0;
    int rc = aps_conn_preparef(c, &st, "SELECT " MODEL_COLUMNS " " MODELS_FROM " WHERE m.id = ?1",
                               "i", id);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        m = model_json(st);
        json_object_set_new(m, "path", aps_api_col_str(st, 13));
        json_object_set_new(m, "features", aps_api_col_json(st, 14));
        json_object_set_new(m, "params", aps_api_col_json(st, 15));
        json_object_set_new(m, "data_hash", aps_api_col_str(st, 16));
        json_object_set_new(m, "metrics", aps_api_col_json(st, 17));
        rc = 0;
    }
    aps_stmt_finalize(st);
    if (!rc && m)
        rc = model_runs(c, id, &runs);
    aps_store_release(c);
    if (rc < 0) {
        json_decref(m);
        return aps_api_db_error(res, rc);
    }
    if (!m)
        return aps_api_not_found(res, "model");
    json_object_set_new(m, "training_runs", runs);
    return aps_http_json(res, 200, m);
}

/* The idempotency key of a training request, always the caller's own (a job another user
 * requested is not theirs to follow): the client's Idempotency-Key, else one per sport, market
 * and minute, so a double click enqueues one job. *given: the client chose the key. */
static void train_key(const struct aps_http_req *req, const char *sport, const char *market,
                      char *out, size_t cap, bool *given)
{
    const char *k = aps_http_header(req, "Idempotency-Key");
    *given = k && *k && strlen(k) <= 64;
    if (*given) {
        snprintf(out, cap, "train:u%lld:%s", (long long)req->who.user_id, k);
        return;
    }
    int64_t minute = aps_time_now() / 60;
    snprintf(out, cap, "train:u%lld:%s:%s:%lld", (long long)req->who.user_id, sport, market,
             (long long)minute);
}

/* Whether the sport has a stored game to learn from (before until when given). Read on the
 * primary: it refuses the request, and games collected a moment ago count. */
static int has_games(const struct aps_app *app, const char *code, const char *until, bool *out)
{
    struct aps_conn *c = NULL;
    int64_t one = 0;
    int rc = app->store ? aps_store_acquire(app->store, APS_DB_WRITE, &c) : APS_E_STATE;
    if (rc)
        return rc;
    const char *params[] = {code, until};
    rc = aps_conn_query_int64(c,
                              "SELECT 1 FROM games g WHERE g.sport_id ="
                              " (SELECT s.id FROM sports s WHERE s.code = ?1)"
                              " AND (CAST(?2 AS TEXT) IS NULL OR g.game_date < ?2) LIMIT 1",
                              2, params, &one);
    aps_store_release(c);
    *out = rc == 0;
    return rc == APS_E_NOTFOUND ? 0 : rc;
}

/* Whether the job that holds an idempotency key was asked for with the same sport, market and
 * cutoff as payload: a key names one request. */
static bool same_request(const json_t *job, const json_t *payload)
{
    const json_t *was = json_object_get(job, "payload");
    static const char *const fields[] = {"sport", "market", "until"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const json_t *a = json_object_get(was, fields[i]), *b = json_object_get(payload, fields[i]);
        if (!(a == b || (a && b && json_equal(a, b))))
            return false;
    }
    return true;
}

/* The training request's body: sport, market (moneyline, spread, total, or all: the three in one
 * job, as `aps train --market all`; *market -1) and the optional cutoff date, each checked (a
 * refusal is in res); false when the request is refused. */
static bool train_request(struct aps_http_req *req, struct aps_http_res *res, int *sport,
                          int *market, const char **until)
{
    const char *sport_s = NULL, *market_s = NULL;
    if (aps_api_body_object(req, res)) {
        aps_api_b_str(req, res, "sport", true, 16, &sport_s);
        aps_api_b_str(req, res, "market", true, 16, &market_s);
        aps_api_b_date(req, res, "until", until);
        if (sport_s && (*sport = aps_sport_from_code(sport_s)) < 0)
            aps_api_invalid(res, "sport", "unknown sport code");
        if (market_s && strcmp(market_s, "all") && (*market = aps_market_parse(market_s)) < 0)
            aps_api_invalid(res, "market", "must be moneyline, spread, total or all");
    }
    return !aps_api_bad(res);
}

int aps_api_models_train(struct aps_http_req *req, struct aps_http_res *res)
{
    const struct aps_app *app = req->app;
    const char *until = NULL;
    int sport = -1, market = -1;
    if (!train_request(req, res, &sport, &market, &until))
        return 0;
    if (!app || !app->queue)
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "no job queue is configured");
    const char *code = aps_sport_info(sport)->code;
    const char *mname = market < 0 ? "all" : aps_market_name(market);
    bool games = false;
    if (has_games(app, code, until, &games))
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the database is not available");
    if (!games) {
        char msg[96];
        snprintf(msg, sizeof msg, "no %s games are stored%s%s: nothing to train on", code,
                 until ? " before " : "", until ? until : "");
        return aps_http_error(res, 409, "NO_GAMES", msg);
    }
    char key[128], id[64] = "";
    char what[40];
    bool key_given = false;
    snprintf(what, sizeof what, "%s%s%s", mname, until ? ":" : "", until ? until : "");
    train_key(req, code, what, key, sizeof key, &key_given);
    json_t *payload = json_pack("{s:s, s:s, s:I}", "sport", code, "market", mname,
                                "requested_by", (json_int_t)req->who.user_id);
    if (until)
        json_object_set_new(payload, "until", json_string(until));
    char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = aps_queue_push(app->queue, "train", text, key, TRAIN_ATTEMPTS, 0, id);
    aps_free(text); /* json_dumps text: jansson allocates through core/mem.h */
    bool duplicate = rc == APS_E_EXISTS;
    if (rc && !duplicate) {
        json_decref(payload);
        return aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the job queue refused the job");
    }
    /* The job's followable record and the audit row; the job runs whether or not they are
     * written, so a failure here is logged and the answer still says where to follow it. */
    struct aps_conn *c = NULL;
    json_t *job = NULL;
    int64_t by = 0;
    int arc = app->store ? aps_store_acquire(app->store, APS_DB_WRITE, &c) : APS_E_STATE;
    if (!arc) {
        char *ptext = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
        int src = aps_job_status_create(c, id, "train", ptext, req->who.user_id, !duplicate,
                                        aps_time_now());
        aps_free(ptext);
        if (src || aps_job_status_get(c, id, &job, &by))
            APS_LOG(&app->log, APS_LOG_ERROR, NULL, "status of train job %s not recorded", id);
        if (duplicate && key_given && job && !same_request(job, payload)) {
            aps_store_release(c);
            json_decref(job);
            json_decref(payload);
            return aps_http_error(res, 409, "IDEMPOTENCY_KEY_REUSED",
                                  "this Idempotency-Key was used for another training request");
        }
        arc = aps_api_audit(c, req, "model_train_requested", "job", id, true,
                            json_pack("{s:s, s:s, s:b}", "sport", code, "market", mname,
                                      "duplicate", duplicate));
        aps_store_release(c);
    }
    if (arc)
        APS_LOG(&app->log, APS_LOG_WARNING, NULL, "audit row for train job %s not written", id);
    if (!job) /* the store did not answer: what the queue said */
        job = json_pack("{s:s, s:s, s:O, s:I, s:s, s:i, s:n, s:o, s:n, s:n}", "id", id, "name",
                        "train", "payload", payload, "requested_by",
                        (json_int_t)req->who.user_id, "state", "queued", "attempts", 0, "error",
                        "created_at", aps_api_time(aps_time_now()), "started_at",
                        "finished_at");
    json_decref(payload);
    json_object_set_new(job, "idempotency_key", json_string(key));
    json_object_set_new(job, "duplicate", json_boolean(duplicate));
    char loc[96];
    snprintf(loc, sizeof loc, "/api/v1/jobs/%s", id);
    aps_http_header_set(res, "Location", loc);
    res->no_cache = true;
    return aps_http_json(res, 202, job);
}

int aps_api_jobs_get(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *id = aps_http_param(req, "id");
    struct aps_conn *c = NULL;
    json_t *job = NULL;
    int64_t by = 0;
    if (!id || !*id || strlen(id) > 63) {
        aps_api_invalid(res, "id", "must be a job id");
        return 0;
    }
    /* the primary: a job is followed right after the request that enqueued it */
    if (aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = aps_job_status_get(c, id, &job, &by);
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND)
        return aps_api_not_found(res, "job");
    if (rc)
        return aps_api_db_error(res, rc);
    /* another caller's job is not there for this one (an administrator sees every job) */
    if (by != req->who.user_id && req->who.role != APS_ROLE_ADMIN) {
        json_decref(job);
        return aps_api_not_found(res, "job");
    }
    res->personal = true;
    return aps_http_json(res, 200, job);
}

/* Status, sport and market of model id, for the promotion. */
struct model_state {
    char status[24], market[16];
    int64_t sport_id;
    bool leakage_ok;
};

static int read_model_state(struct aps_conn *c, int64_t id, struct model_state *m)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st, "SELECT status, sport_id, market, leakage_ok FROM models"
                                       " WHERE id = ?1", "i", id);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        const char *s = aps_stmt_text(st, 0), *mk = aps_stmt_text(st, 2);
        (void)aps_str_copy(m->status, sizeof m->status, s ? s : "");
        (void)aps_str_copy(m->market, sizeof m->market, mk ? mk : "");
        m->sport_id = aps_stmt_int64(st, 1);
        m->leakage_ok = aps_stmt_int64(st, 3) != 0;
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(st);
    return rc;
}

/* Archives the sport and market's production model and promotes id, in the open transaction. */
static int promote(struct aps_conn *c, int64_t id, const struct model_state *m, const char *note)
{
    int rc = aps_conn_execf(c, "UPDATE models SET status = 'archived' WHERE sport_id = ?1"
                               " AND market = ?2 AND status = 'production'", "is", m->sport_id,
                            m->market);
    if (rc)
        return rc;
    return aps_conn_execf(c, "UPDATE models SET status = 'production', promoted_at = ?1,"
                             " promotion_note = ?2 WHERE id = ?3", "isi", aps_time_now(), note,
                          id);
}

int aps_api_models_promote(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id");
    const char *note = NULL;
    bool force = false;
    if (req->json) {
        aps_api_body_object(req, res);
        aps_api_b_str(req, res, "note", false, NOTE_MAX, &note);
        aps_api_b_bool(req, res, "force", &force);
    }
    struct aps_conn *c = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    struct model_state m;
    char rid[24], fallback[96];
    snprintf(rid, sizeof rid, "%lld", (long long)id);
    snprintf(fallback, sizeof fallback, "promoted through the API by user %lld",
             (long long)req->who.user_id);
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = read_model_state(c, id, &m);
    enum aps_promote_refusal refuse = APS_PROMOTE_OK;
    if (!rc)
        refuse = aps_registry_promote_refusal(m.status, m.leakage_ok, force);
    if (!rc && !refuse)
        rc = promote(c, id, &m, note ? note : fallback);
    if (!rc)
        rc = aps_api_audit(c, req, "model_promoted", "model", rid, !refuse,
                           json_pack("{s:s, s:s, s:b, s:s?, s:s?}", "previous_status", m.status,
                                     "market", m.market, "force", force, "note", note, "refused",
                                     refuse == APS_PROMOTE_ALREADY   ? "already in production"
                                     : refuse == APS_PROMOTE_LEAKAGE ? "leakage check not passed"
                                     : refuse == APS_PROMOTE_PRUNED  ? "pruned"
                                                                     : NULL));
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND)
        return aps_api_not_found(res, "model");
    if (rc)
        return aps_api_db_error(res, rc);
    if (refuse == APS_PROMOTE_ALREADY)
        return aps_http_error(res, 409, "CONFLICT", "the model is already in production");
    if (refuse == APS_PROMOTE_LEAKAGE)
        return aps_http_error(res, 409, "MODEL_NOT_ELIGIBLE",
                              "the model did not pass the leakage check; send force=true to"
                              " promote it anyway");
    if (refuse == APS_PROMOTE_PRUNED)
        return aps_http_error(res, 409, "MODEL_NOT_ELIGIBLE",
                              "the model was pruned: its files and walk-forward predictions are"
                              " deleted, so no pick could use it; promote another model of its"
                              " sport and market or train a new one");
    return aps_http_json(res, 200, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "status",
                                             "production", "previous_status", m.status));
}
