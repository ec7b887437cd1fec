/* test_api_health.c — GET /api/v1/health writes its body directly: the same bytes the JSON builder
 * gave ({"status":"ok","time":…,"version":…}, compact, in that order), with the version escaped
 * as JSON requires, as a JSON body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/timeutil.h"
#include "http/http.h"
#include "services/app.h"
#include "services/routes.h"

static void health_with_version(const char *version)
{
    char err[512], env[256];
    snprintf(env, sizeof env, "APP_VERSION=%s", version);
    char *const envp[] = {env, NULL};
    struct aps_config_opts co = {envp, APS_SOURCE_DIR "/config"};
    struct aps_config *cfg = NULL;
    if (aps_config_load(&cfg, &co, err, sizeof err))
        fail_msg("config: %s", err);
    struct aps_app app;
    memset(&app, 0, sizeof app);
    app.cfg = cfg;
    struct aps_http_req req = {.method = "GET", .path = "/api/v1/health", .app = &app};
    struct aps_http_res res = {0};
    int64_t t0 = aps_time_now();
    assert_int_equal(aps_api_health(&req, &res), 0);
    int64_t t1 = aps_time_now();
    assert_int_equal(res.status, 200);
    assert_null(res.json);
    assert_non_null(res.raw);
    assert_string_equal(res.content_type, "application/json");
    json_error_t je;
    json_t *got = json_loadb(res.raw, res.raw_len, 0, &je);
    if (!got)
        fail_msg("not JSON: %.*s (%s)", (int)res.raw_len, res.raw, je.text);
    const char *ts = json_string_value(json_object_get(got, "time"));
    int64_t t;
    assert_non_null(ts);
    assert_int_equal(aps_time_parse_iso(ts, &t), 0);
    assert_true(t >= t0 && t <= t1);
    /* What the JSON builder wrote for the same values. */
    json_t *want = json_pack("{s:s,s:s,s:s}", "status", "ok", "time", ts, "version", version);
    char *text = json_dumps(want, JSON_COMPACT | JSON_REAL_PRECISION(15));
    assert_int_equal(res.raw_len, strlen(text));
    assert_memory_equal(res.raw, text, res.raw_len);
    free(text);
    json_decref(want);
    json_decref(got);
    aps_arena_cleanup(&req.arena);
    aps_config_free(cfg);
}

static void test_body_as_the_builder_wrote_it(void **state)
{
    health_with_version("1.0.0");
    health_with_version("2026.12-rc1+build.7");
    health_with_version("quote\" back\\slash /slash");
    health_with_version("tab\there");
    health_with_version("\xc3\xbc"
                        "n"
                        "\xc3\xaf"
                        "code \xe2\x82\xac");
    health_with_version("");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_as_the_builder_wrote_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
