/* test_api_admin.c — the model registry and admin endpoints called directly: models list/show,
 * training enqueued on the store-backed queue (idempotent, 503 without a queue), promotion
 * (archives the previous production model, refuses a model that failed the leakage check,
 * audited), settings (secrets redacted, allow-list, bounds and tier order, override visible),
 * users and role change (sessions revoked, audited, not one's own), the data-quality report and
 * alerts with acknowledgement. */
#include "api_fixture.h"

#include "cache/queue.h"

static int64_t audits(struct fixture *fx, const char *action)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM audit_log WHERE action = '%s'", action);
    return fx_int(fx, sql);
}

static int get(struct fixture *fx, struct treq *t, aps_http_handler h, const char *pattern,
               const char *param, const char *k, const char *v)
{
    tr_init(t, fx, "GET", pattern, FX_ADMIN, APS_ROLE_ADMIN);
    if (param)
        tr_param(t, 0, param);
    if (k)
        tr_query(t, k, v);
    return tr_run(t, h);
}

static int send(struct fixture *fx, struct treq *t, aps_http_handler h, const char *method,
                const char *pattern, const char *param, const char *body)
{
    tr_init(t, fx, method, pattern, FX_ADMIN, APS_ROLE_ADMIN);
    if (param)
        tr_param(t, 0, param);
    if (body)
        tr_body(t, body);
    return tr_run(t, h);
}

static void test_models(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(get(fx, &t, aps_api_models_list, "/api/v1/models", NULL, NULL, NULL), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 3);
    tr_cleanup(&t);
    assert_int_equal(get(fx, &t, aps_api_models_list, "/api/v1/models", NULL, "status",
                         "challenger"),
                     200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 2);
    tr_cleanup(&t);
    assert_int_equal(get(fx, &t, aps_api_models_list, "/api/v1/models", NULL, "status", "gone"),
                     400);
    tr_cleanup(&t);
    assert_int_equal(get(fx, &t, aps_api_models_get, "/api/v1/models/{id}", "2", NULL, NULL), 200);
    assert_string_equal(jstr(t.res.json, "name"), "nfl_ml_gbm_2");
    assert_int_equal(json_array_size(tr_get(&t, "features")), 2);
    assert_int_equal(json_integer_value(json_object_get(tr_get(&t, "params"), "depth")), 4);
    assert_int_equal(json_array_size(tr_get(&t, "training_runs")), 1);
    tr_cleanup(&t);
    assert_int_equal(get(fx, &t, aps_api_models_get, "/api/v1/models/{id}", "99", NULL, NULL), 404);
    tr_cleanup(&t);
}

static void test_train(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    const char *body = "{\"sport\":\"nfl\",\"market\":\"moneyline\"}";
    assert_int_equal(send(fx, &t, aps_api_models_train, "POST", "/api/v1/models/train", NULL, body),
                     503);
    tr_cleanup(&t);

    char err[256];
    if (aps_queue_open(&fx->app.queue, fx->cfg, fx->app.store, NULL, err, sizeof err))
        fail_msg("queue: %s", err);
    assert_int_equal(send(fx, &t, aps_api_models_train, "POST", "/api/v1/models/train", NULL, body),
                     202);
    char job[64];
    snprintf(job, sizeof job, "%s", jstr(t.res.json, "id"));
    assert_true(job[0] != '\0');
    assert_string_equal(jstr(t.res.json, "state"), "queued");
    assert_true(json_is_false(tr_get(&t, "duplicate")));
    assert_string_equal(jstr(tr_get(&t, "payload"), "sport"), "NFL");
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM jobs WHERE name = 'train'"), 1);
    /* the same request again (a double click) is the same job */
    assert_int_equal(send(fx, &t, aps_api_models_train, "POST", "/api/v1/models/train", NULL, body),
                     202);
    assert_true(json_is_true(tr_get(&t, "duplicate")));
    assert_string_equal(jstr(t.res.json, "id"), job);
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM jobs WHERE name = 'train'"), 1);
    assert_int_equal(audits(fx, "model_train_requested"), 2);

    /* the job can be followed by the one who started it (and an administrator), nobody else */
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM job_status WHERE state = 'queued'"), 1);
    tr_init(&t, fx, "GET", "/api/v1/jobs/{id}", FX_ADMIN, APS_ROLE_ADMIN);
    tr_param(&t, 0, job);
    assert_int_equal(tr_run(&t, aps_api_jobs_get), 200);
    assert_string_equal(jstr(t.res.json, "state"), "queued");
    assert_string_equal(jstr(t.res.json, "name"), "train");
    assert_string_equal(jstr(tr_get(&t, "payload"), "market"), "moneyline");
    tr_cleanup(&t);
    tr_init(&t, fx, "GET", "/api/v1/jobs/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, job);
    assert_int_equal(tr_run(&t, aps_api_jobs_get), 404);
    tr_cleanup(&t);
    tr_init(&t, fx, "GET", "/api/v1/jobs/{id}", FX_ADMIN, APS_ROLE_ADMIN);
    tr_param(&t, 0, "999999");
    assert_int_equal(tr_run(&t, aps_api_jobs_get), 404);
    tr_cleanup(&t);

    tr_init(&t, fx, "POST", "/api/v1/models/train", FX_ADMIN, APS_ROLE_ADMIN);
    tr_header(&t, "Idempotency-Key", "abc-1");
    tr_body(&t, body);
    assert_int_equal(tr_run(&t, aps_api_models_train), 202);
    assert_string_equal(jstr(t.res.json, "idempotency_key"), "train:u3:abc-1");
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM jobs WHERE name = 'train'"), 2);
    /* the key names that request: again, the same job; for another request, refused */
    tr_init(&t, fx, "POST", "/api/v1/models/train", FX_ADMIN, APS_ROLE_ADMIN);
    tr_header(&t, "Idempotency-Key", "abc-1");
    tr_body(&t, body);
    assert_int_equal(tr_run(&t, aps_api_models_train), 202);
    assert_true(json_is_true(tr_get(&t, "duplicate")));
    tr_cleanup(&t);
    tr_init(&t, fx, "POST", "/api/v1/models/train", FX_ADMIN, APS_ROLE_ADMIN);
    tr_header(&t, "Idempotency-Key", "abc-1");
    tr_body(&t, "{\"sport\":\"nfl\",\"market\":\"total\"}");
    assert_int_equal(tr_run(&t, aps_api_models_train), 409);
    assert_string_equal(tr_code(&t), "IDEMPOTENCY_KEY_REUSED");
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM jobs WHERE name = 'train'"), 2);
    /* without a key, another user's same request in the same minute is that user's own job */
    tr_init(&t, fx, "POST", "/api/v1/models/train", FX_USER, APS_ROLE_ANALYST);
    tr_body(&t, body);
    assert_int_equal(tr_run(&t, aps_api_models_train), 202);
    assert_true(json_is_false(tr_get(&t, "duplicate")));
    assert_true(strncmp(jstr(t.res.json, "idempotency_key"), "train:u1:NFL:moneyline:", 23) == 0);
    snprintf(job, sizeof job, "%s", jstr(t.res.json, "id"));
    tr_cleanup(&t);
    tr_init(&t, fx, "GET", "/api/v1/jobs/{id}", FX_USER, APS_ROLE_ANALYST);
    tr_param(&t, 0, job);
    assert_int_equal(tr_run(&t, aps_api_jobs_get), 200);
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM jobs WHERE name = 'train'"), 3);

    /* a training cutoff travels in the job's payload; a bad date is refused, and so is a
     * cutoff before every stored game of the sport, or a sport with none */
    char until_body[128];
    snprintf(until_body, sizeof until_body,
             "{\"sport\":\"nfl\",\"market\":\"moneyline\",\"until\":\"%s\"}", fx->today);
    assert_int_equal(send(fx, &t, aps_api_models_train, "POST", "/api/v1/models/train", NULL,
                          until_body),
                     202);
    assert_true(json_is_false(tr_get(&t, "duplicate")));
    assert_string_equal(jstr(tr_get(&t, "payload"), "until"), fx->today);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_models_train, "POST", "/api/v1/models/train", NULL,
                          "{\"sport\":\"nfl\",\"market\":\"moneyline\","
                          "\"until\":\"2019-09-01\"}"),
                     409);
    assert_string_equal(tr_code(&t), "NO_GAMES");
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_models_train, "POST", "/api/v1/models/train", NULL,
                          "{\"sport\":\"nhl\",\"market\":\"moneyline\"}"),
                     409);
    assert_string_equal(tr_code(&t), "NO_GAMES");
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_models_train, "POST", "/api/v1/models/train", NULL,
                          "{\"sport\":\"nfl\",\"market\":\"moneyline\","
                          "\"until\":\"2019-13-45\"}"),
                     400);
    assert_true(tr_detail(&t, "until"));
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM jobs WHERE name = 'train'"), 4);

    assert_int_equal(send(fx, &t, aps_api_models_train, "POST", "/api/v1/models/train", NULL,
                          "{\"sport\":\"chess\"}"),
                     400);
    assert_true(tr_detail(&t, "sport") && tr_detail(&t, "market"));
    tr_cleanup(&t);
    aps_queue_close(fx->app.queue);
    fx->app.queue = NULL;
}

static const char *model_status(struct fixture *fx, int id, char *out)
{
    struct aps_conn *c = NULL;
    struct aps_stmt *st = NULL;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_conn_prepare(c, "SELECT status FROM models WHERE id = ?1", &st), 0);
    assert_int_equal(aps_stmt_bind_int64(st, 1, id), 0);
    assert_int_equal(aps_stmt_step(st), APS_ROW);
    snprintf(out, 24, "%s", aps_stmt_text(st, 0));
    aps_stmt_finalize(st);
    aps_store_release(c);
    return out;
}

static void test_promote(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    char s[24];
    const char *path = "/api/v1/models/{id}/promote";
    assert_int_equal(send(fx, &t, aps_api_models_promote, "POST", path, "2",
                          "{\"note\":\"lower log loss\"}"),
                     200);
    tr_cleanup(&t);
    assert_string_equal(model_status(fx, 2, s), "production");
    assert_string_equal(model_status(fx, 1, s), "archived");
    assert_int_equal(audits(fx, "model_promoted"), 1);

    assert_int_equal(send(fx, &t, aps_api_models_promote, "POST", path, "2", NULL), 409);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_models_promote, "POST", path, "3", NULL), 409);
    assert_string_equal(tr_code(&t), "MODEL_NOT_ELIGIBLE");
    tr_cleanup(&t);
    assert_string_equal(model_status(fx, 3, s), "challenger");
    assert_int_equal(send(fx, &t, aps_api_models_promote, "POST", path, "3", "{\"force\":true}"),
                     200);
    tr_cleanup(&t);
    assert_string_equal(model_status(fx, 3, s), "production");
    assert_string_equal(model_status(fx, 2, s), "archived");
    assert_int_equal(audits(fx, "model_promoted"), 4); /* refusals are audited too */
    assert_int_equal(send(fx, &t, aps_api_models_promote, "POST", path, "99", NULL), 404);
    tr_cleanup(&t);
}

static json_t *setting(json_t *items, const char *name)
{
    for (size_t i = 0; i < json_array_size(items); i++)
        if (!strcmp(jstr(json_array_get(items, i), "name"), name))
            return json_array_get(items, i);
    return NULL;
}

static void test_settings(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    const char *path = "/api/v1/admin/settings/{key}";
    assert_int_equal(send(fx, &t, aps_api_settings_put, "PUT", path, "KELLY_FRACTION",
                          "{\"value\":0.5}"),
                     200);
    assert_string_equal(jstr(t.res.json, "value"), "0.5");
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_settings_put, "PUT", path, "CACHE_TTL_ODDS",
                          "{\"value\":\"45\"}"),
                     200);
    tr_cleanup(&t);
    assert_int_equal(audits(fx, "setting_changed"), 2);

    assert_int_equal(get(fx, &t, aps_api_settings_list, "/api/v1/admin/settings", NULL, NULL, NULL),
                     200);
    json_t *items = tr_get(&t, "items");
    assert_int_equal(json_array_size(items), APS_SET__COUNT);
    json_t *jwt = setting(items, "JWT_SECRET");
    assert_true(json_is_true(json_object_get(jwt, "secret")));
    assert_null(strstr(jstr(jwt, "value"), "dev-only")); /* never the secret itself */
    json_t *kf = setting(items, "KELLY_FRACTION");
    assert_true(json_is_true(json_object_get(kf, "runtime_changeable")));
    assert_string_equal(jstr(kf, "value"), "0.25");
    assert_string_equal(jstr(kf, "effective"), "0.5");
    assert_true(
        json_is_false(json_object_get(setting(items, "DATABASE_URL"), "runtime_changeable")));
    tr_cleanup(&t);

    struct {
        const char *key, *body;
        int status;
    } bad[] = {
        {"KELLY_FRACTION", "{\"value\":2}", 400},
        {"KELLY_FRACTION", "{\"value\":\"lots\"}", 400},
        {"KELLY_FRACTION", "{}", 400},
        {"DATABASE_URL", "{\"value\":\"sqlite:///x.db\"}", 400},
        {"NO_SUCH_KEY", "{\"value\":1}", 404},
        {"SIGNAL_TIER_C_MIN", "{\"value\":0.70}", 400}, /* above B: tiers out of order */
        {"RATE_LIMIT_PER_MIN", "{\"value\":0}", 400},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = send(fx, &t, aps_api_settings_put, "PUT", path, bad[i].key, bad[i].body);
        if (st != bad[i].status)
            fail_msg("case %zu (%s): %d", i, bad[i].key, st);
        tr_cleanup(&t);
    }
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM settings"), 2);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM settings WHERE key = 'SIGNAL_TIER_C_MIN'"),
                     0);
}

static void test_users(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(get(fx, &t, aps_api_users_list, "/api/v1/admin/users", NULL, NULL, NULL), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 3);
    char *text = json_dumps(t.res.json, 0);
    assert_null(strstr(text, "password")); /* hashes never leave */
    free(text);
    tr_cleanup(&t);
    assert_int_equal(get(fx, &t, aps_api_users_list, "/api/v1/admin/users", NULL, "role", "admin"),
                     200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    tr_cleanup(&t);
    assert_int_equal(get(fx, &t, aps_api_users_list, "/api/v1/admin/users", NULL, "role", "king"),
                     400);
    tr_cleanup(&t);

    const char *path = "/api/v1/admin/users/{id}/role";
    assert_int_equal(send(fx, &t, aps_api_users_role, "PUT", path, "2", "{\"role\":\"pro\"}"), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "sessions_revoked")), 2);
    assert_string_equal(jstr(t.res.json, "previous_role"), "user");
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM users WHERE id = 2 AND role = 'pro'"), 1);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM sessions WHERE user_id = 2 AND revoked = 0"),
                     0);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM sessions WHERE user_id = 1 AND revoked = 0"),
                     1);
    assert_int_equal(audits(fx, "role_changed"), 1);

    assert_int_equal(send(fx, &t, aps_api_users_role, "PUT", path, "3", "{\"role\":\"user\"}"),
                     409);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_users_role, "PUT", path, "99", "{\"role\":\"user\"}"),
                     404);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_users_role, "PUT", path, "2", "{\"role\":\"root\"}"),
                     400);
    assert_true(tr_detail(&t, "role"));
    tr_cleanup(&t);
}

static json_t *sport_row(json_t *arr, const char *code)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (!strcmp(jstr(json_array_get(arr, i), "sport"), code))
            return json_array_get(arr, i);
    return NULL;
}

static void test_data_quality(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(get(fx, &t, aps_api_data_quality, "/api/v1/admin/data-quality", NULL, NULL,
                         NULL),
                     200);
    json_t *checks = tr_get(&t, "checks");
    assert_int_equal(json_array_size(checks), 1); /* the newest DQ001 only */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(checks, 0), "failed_count")),
                     3);
    json_t *computed = tr_get(&t, "computed");
    json_t *nfl = sport_row(json_object_get(computed, "by_sport"), "NFL");
    assert_int_equal(json_integer_value(json_object_get(nfl, "games")), 3);
    assert_int_equal(json_integer_value(json_object_get(nfl, "games_without_odds")), 1);
    assert_int_equal(json_integer_value(json_object_get(nfl, "upcoming_games")), 1);
    double stale = jnum(nfl, "upcoming_odds_staleness_seconds");
    assert_true(stale >= 600 && stale < 700);
    json_t *epl = sport_row(json_object_get(computed, "by_sport"), "EPL");
    assert_int_equal(json_integer_value(json_object_get(epl, "games_without_odds")), 1);
    assert_true(json_is_null(json_object_get(epl, "upcoming_odds_staleness_seconds")));
    assert_int_equal(json_integer_value(json_object_get(computed, "predictions_final_ungraded")),
                     0);
    tr_cleanup(&t);

    fx_exec(fx, "UPDATE games SET status = 'final' WHERE id = 2");
    assert_int_equal(get(fx, &t, aps_api_data_quality, "/api/v1/admin/data-quality", NULL, NULL,
                         NULL),
                     200);
    computed = tr_get(&t, "computed");
    nfl = sport_row(json_object_get(computed, "by_sport"), "NFL");
    assert_int_equal(json_integer_value(json_object_get(nfl, "final_without_score")), 1);
    assert_int_equal(json_integer_value(json_object_get(computed, "predictions_final_ungraded")),
                     1);
    tr_cleanup(&t);
}

/* Dead letters: listed with their error, requeued (ready again, attempts reset) or dropped,
 * each change audited; an id that is not a dead letter is 404; no queue is 503. */
static void test_dead_jobs(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(get(fx, &t, aps_api_jobs_dead_list, "/api/v1/admin/jobs/dead", NULL, NULL,
                         NULL),
                     503);
    tr_cleanup(&t);
    char err[256], a[64], b[64];
    if (aps_queue_open(&fx->app.queue, fx->cfg, fx->app.store, NULL, err, sizeof err))
        fail_msg("queue: %s", err);
    assert_int_equal(aps_queue_push(fx->app.queue, "noop", "{\"n\":1}", NULL, 1, 0, a), 0);
    assert_int_equal(aps_queue_push(fx->app.queue, "noop", "{\"n\":2}", NULL, 1, 0, b), 0);
    /* the newer one's error holds a byte that is not UTF-8, as a provider's answer can: the
     * letter is listed (it was dropped from the page), the byte shown as U+FFFD */
    const char *errors[] = {"provider said no", "provider said \xff no"};
    for (int i = 0; i < 2; i++) {
        struct aps_job job = {0};
        assert_int_equal(aps_queue_claim(fx->app.queue, "test", 10000, 0, &job), 0);
        assert_int_equal(aps_queue_fail(fx->app.queue, &job, errors[i]), 0);
        aps_job_cleanup(&job);
    }
    assert_int_equal(get(fx, &t, aps_api_jobs_dead_list, "/api/v1/admin/jobs/dead", NULL, "limit",
                         "10"),
                     200);
    assert_int_equal(jnum(t.res.json, "total"), 2);
    assert_int_equal(json_array_size(tr_get(&t, "items")), 2);
    json_t *first = json_array_get(tr_get(&t, "items"), 0);
    assert_string_equal(jstr(first, "error"), "provider said \xEF\xBF\xBD no");
    assert_string_equal(jstr(json_array_get(tr_get(&t, "items"), 1), "error"),
                        "provider said no");
    assert_string_equal(jstr(first, "name"), "noop");
    assert_string_equal(jstr(first, "id"), b); /* newest first */
    tr_cleanup(&t);
    /* The second page of one holds the older letter, and says it is page 2 of 2. */
    tr_init(&t, fx, "GET", "/api/v1/admin/jobs/dead", FX_ADMIN, APS_ROLE_ADMIN);
    tr_query(&t, "page", "2");
    tr_query(&t, "limit", "1");
    assert_int_equal(tr_run(&t, aps_api_jobs_dead_list), 200);
    assert_int_equal(jnum(t.res.json, "total"), 2);
    assert_int_equal(jnum(t.res.json, "page"), 2);
    assert_int_equal(json_array_size(tr_get(&t, "items")), 1);
    assert_string_equal(jstr(json_array_get(tr_get(&t, "items"), 0), "id"), a);
    tr_cleanup(&t);
    const char *requeue = "/api/v1/admin/jobs/dead/{id}/requeue",
               *drop = "/api/v1/admin/jobs/dead/{id}";
    assert_int_equal(send(fx, &t, aps_api_jobs_dead_requeue, "POST", requeue, a, NULL), 200);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_jobs_dead_requeue, "POST", requeue, a, NULL), 404);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_jobs_dead_drop, "DELETE", drop, b, NULL), 200);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_jobs_dead_drop, "DELETE", drop, b, NULL), 404);
    tr_cleanup(&t);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM jobs WHERE id = %s AND state = 'ready'"
             " AND attempts = 0",
             a);
    assert_int_equal(fx_int(fx, sql), 1);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'"), 0);
    assert_int_equal(audits(fx, "job_requeued"), 1);
    assert_int_equal(audits(fx, "job_dropped"), 1);
    aps_queue_close(fx->app.queue);
    fx->app.queue = NULL;
}

static void test_alerts(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    const char *list = "/api/v1/admin/alerts", *ack = "/api/v1/admin/alerts/{id}/acknowledge";
    assert_int_equal(get(fx, &t, aps_api_alerts_list, list, NULL, NULL, NULL), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 2);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(tr_get(&t, "items"), 0), "id")),
                     2); /* newest first */
    tr_cleanup(&t);
    assert_int_equal(get(fx, &t, aps_api_alerts_list, list, NULL, "severity", "critical"), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    tr_cleanup(&t);
    assert_int_equal(get(fx, &t, aps_api_alerts_list, list, NULL, "severity", "meh"), 400);
    tr_cleanup(&t);

    assert_int_equal(send(fx, &t, aps_api_alerts_ack, "POST", ack, "1", NULL), 200);
    assert_true(json_is_true(tr_get(&t, "acknowledged")));
    assert_true(json_is_false(tr_get(&t, "already_acknowledged")));
    assert_int_equal(json_integer_value(tr_get(&t, "acknowledged_by")), FX_ADMIN);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_alerts_ack, "POST", ack, "1", NULL), 200);
    assert_true(json_is_true(tr_get(&t, "already_acknowledged")));
    tr_cleanup(&t);
    assert_int_equal(audits(fx, "alert_acknowledged"), 1);
    assert_int_equal(get(fx, &t, aps_api_alerts_list, list, NULL, "acknowledged", "false"), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    tr_cleanup(&t);
    assert_int_equal(send(fx, &t, aps_api_alerts_ack, "POST", ack, "99", NULL), 404);
    tr_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_models, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_train, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_promote, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_settings, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_users, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_data_quality, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_alerts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dead_jobs, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
