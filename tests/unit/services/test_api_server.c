/* test_api_server.c — how many request threads the api runs: the number asked for (or one per
 * core) on the embedded store, at least DATABASE_POOL_SIZE on PostgreSQL (APS_TEST_PG_URL, from
 * scripts/pgtest; without it the PostgreSQL case fails unless APS_TEST_PG_OPTIONAL=1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "services/api_server.h"
#include "services/app.h"
#include "store/store.h"

/* An application with only a store (url) and a configuration with DATABASE_POOL_SIZE=pool. */
static void app_with(struct aps_app *app, const char *url, const char *pool)
{
    char err[512], env[64];
    snprintf(env, sizeof env, "DATABASE_POOL_SIZE=%s", pool);
    char *const envp[] = {env, NULL};
    struct aps_config_opts co = {envp, APS_SOURCE_DIR "/config"};
    struct aps_config *cfg = NULL;
    memset(app, 0, sizeof *app);
    if (aps_config_load(&cfg, &co, err, sizeof err))
        fail_msg("config: %s", err);
    app->cfg = cfg;
    struct aps_store_opts so = {.url = url, .pool_size = 1, .pool_timeout = 5.0};
    if (aps_store_open(&app->store, &so, err, sizeof err))
        fail_msg("store: %s", err);
}

static void app_done(struct aps_app *app)
{
    aps_store_close(app->store);
    aps_config_free((struct aps_config *)(uintptr_t)app->cfg);
}

static void test_threads_embedded(void **state)
{
    (void)state;
    struct aps_app app;
    app_with(&app, "sqlite://:memory:", "20");
    assert_int_equal(aps_api_server_threads(&app, 2), 2);
    assert_int_equal(aps_api_server_threads(&app, 0), (int)sysconf(_SC_NPROCESSORS_ONLN));
    app_done(&app);
}

static void test_threads_postgres(void **state)
{
    (void)state;
    const char *url = getenv("APS_TEST_PG_URL");
    const char *optional = getenv("APS_TEST_PG_OPTIONAL");
    if (!url || !*url) {
        if (optional && !strcmp(optional, "1"))
            skip();
        fail_msg("APS_TEST_PG_URL is not set (scripts/pgtest start) or set APS_TEST_PG_OPTIONAL=1");
    }
    struct aps_app app;
    app_with(&app, url, "20");
    assert_int_equal(aps_api_server_threads(&app, 2), 20);  /* a thread per pooled connection */
    assert_int_equal(aps_api_server_threads(&app, 32), 32); /* more when asked */
    assert_int_equal(aps_api_server_threads(&app, 999), 256);
    app_done(&app);
    app_with(&app, url, "5");
    assert_int_equal(aps_api_server_threads(&app, 2), 5);
    app_done(&app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_embedded),
        cmocka_unit_test(test_threads_postgres),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
