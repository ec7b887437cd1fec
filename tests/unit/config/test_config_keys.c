/* test_config_keys.c — test keys are refused in production and production keys everywhere
 * else, with the one-line message (the key's value never in it); an operator's "live:"/"test:"
 * mark is removed from the value the process uses; unmarked keys and URLs are not judged. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "config/config.h"
#include "core/err.h"

#define GOOD_SECRET "k3y-0123456789abcdefghijklmnopqrstuvwxyz"
#define GOOD_JWT "jwt-zyxwvutsrqponmlkjihgfedcba9876543210"
#define PROD "ENVIRONMENT=production", "SECRET_KEY=" GOOD_SECRET, "JWT_SECRET=" GOOD_JWT, \
             "APS_SECRETS_DIR=/nonexistent"

static int load(const char *const *env, struct aps_config **cfg, char *err, size_t cap)
{
    /* The repository's files: staging and production need theirs, and they hold no key. */
    struct aps_config_opts o = {.envp = (char *const *)(uintptr_t)env,
                                .config_dir = APS_SOURCE_DIR "/config"};
    *cfg = NULL;
    return aps_config_load(cfg, &o, err, cap);
}

static void expect_refused(const char *const *env, const char *want, const char *secret)
{
    struct aps_config *cfg = NULL;
    char err[1024];
    assert_int_equal(load(env, &cfg, err, sizeof err), APS_E_CONFIG);
    assert_null(cfg);
    assert_non_null(strstr(err, want));
    assert_null(strstr(err, secret)); /* the value is never shown */
    assert_null(strchr(err, '\n'));
}

static void test_keys_refused_in_production(void **state)
{
    (void)state;
    const char *marked[] = {PROD, "ODDS_API_KEY=test:0a1b2c3d4e5f", NULL};
    expect_refused(marked, "ODDS_API_KEY=(redacted) (from environment): allowed a production key"
                           " in production, not a key marked for development or staging ('test:')",
                   "0a1b2c3d4e5f");
    const char *stripe[] = {PROD, "WEATHER_API_KEY=sk_test_51Habcdef", NULL};
    expect_refused(stripe, "('sk_test_')", "51Habcdef");
    const char *dev[] = {"ENVIRONMENT=production", "SECRET_KEY=dev_0123456789abcdefghijklmnopqrstuvw",
                         "JWT_SECRET=" GOOD_JWT, "APS_SECRETS_DIR=/nonexistent", NULL};
    expect_refused(dev, "SECRET_KEY=(redacted)", "0123456789abcdefghij");
}

static void production_keys_refused_elsewhere(void **state)
{
    (void)state;
    const char *dev[] = {"ENVIRONMENT=development", "ODDS_API_KEY=live:9f8e7d6c5b4a", NULL};
    expect_refused(dev, "ODDS_API_KEY=(redacted) (from environment): allowed a development or"
                        " staging key outside production, not a key marked for production"
                        " ('live:')",
                   "9f8e7d6c5b4a");
    const char *stg[] = {"ENVIRONMENT=staging", "SECRET_KEY=" GOOD_SECRET, "JWT_SECRET=" GOOD_JWT,
                         "APS_SECRETS_DIR=/nonexistent", "ESPN_API_KEY=sk_live_77aa88bb", NULL};
    expect_refused(stg, "('sk_live_')", "77aa88bb");
}

static void marks_stripped_and_unmarked_accepted(void **state)
{
    (void)state;
    struct aps_config *cfg = NULL;
    char err[1024];
    const char *prod[] = {PROD, "ODDS_API_KEY=LIVE:0a1b2c3d", "ESPN_API_KEY=plainkey123",
                          "DATABASE_URL=postgresql://test:pw@db/aps", NULL};
    assert_int_equal(load(prod, &cfg, err, sizeof err), 0);
    assert_string_equal(aps_cfg_str(cfg, APS_SET_ODDS_API_KEY), "0a1b2c3d");
    assert_string_equal(aps_cfg_str(cfg, APS_SET_ESPN_API_KEY), "plainkey123");
    aps_config_free(cfg);
    const char *dev[] = {"ENVIRONMENT=development", "ODDS_API_KEY=test:0a1b2c3d",
                         "WEATHER_API_KEY=sk_test_keep", NULL};
    assert_int_equal(load(dev, &cfg, err, sizeof err), 0);
    assert_string_equal(aps_cfg_str(cfg, APS_SET_ODDS_API_KEY), "0a1b2c3d");
    assert_string_equal(aps_cfg_str(cfg, APS_SET_WEATHER_API_KEY), "sk_test_keep");
    aps_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_refused_in_production),
        cmocka_unit_test(production_keys_refused_elsewhere),
        cmocka_unit_test(marks_stripped_and_unmarked_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
