/* test_config.c — the settings loader: every source and their precedence, per-environment
 * defaults, each kind of bad value and its one-line message, the production refusals, redaction
 * in `aps config print`, the real config/<ENVIRONMENT>.env files, and the `aps config` command.
 * Each test works in its own temporary directory and passes envp explicitly; APS_SECRETS_DIR
 * always points into that directory so the host's /run/secrets never leaks in. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "odds/grade.h"

/* The command is wiring over aps_config_print; including it reaches its static config_run. The
 * CLI's option parser is part of the aps binary, not of a library: it comes along. */
#include "cli/cmd_config.c"
#include "cli/opts.c"

#define GOOD_SECRET "k3y-0123456789abcdefghijklmnopqrstuvwxyz"
#define GOOD_JWT "jwt-zyxwvutsrqponmlkjihgfedcba9876543210"

struct fx {
    char root[64];
    char config[128];  /* config dir (created) */
    char secrets[128]; /* secrets dir (created) */
    char err[1024];
    struct aps_config *cfg;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = aps_calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/aps-test-config-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->config, sizeof f->config, "%s/config", f->root);
    snprintf(f->secrets, sizeof f->secrets, "%s/secrets", f->root);
    assert_int_equal(mkdir(f->config, 0700), 0);
    assert_int_equal(mkdir(f->secrets, 0700), 0);
    /* Staging and production need their file (test_env_file_required); an empty one keeps the
     * defaults. */
    for (int i = 0; i < 2; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s/%s.env", f->config, i ? "production" : "staging");
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        assert_int_equal(fclose(fp), 0);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    aps_config_free(f->cfg);
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    aps_free(f);
    return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* Loads with env (NULL-terminated) after "APS_SECRETS_DIR=<fixture>", so a test's own
 * APS_SECRETS_DIR wins. Returns the loader's result; f->cfg holds the config on success. */
static int load_dir(struct fx *f, const char *dir, const char *const *env)
{
    char secrets_env[160];
    snprintf(secrets_env, sizeof secrets_env, "APS_SECRETS_DIR=%s", f->secrets);
    char *envp[32];
    size_t n = 0;
    envp[n++] = secrets_env;
    for (size_t i = 0; env && env[i]; i++) {
        assert_true(n < 31);
        envp[n++] = (char *)(uintptr_t)env[i];
    }
    envp[n] = NULL;
    aps_config_free(f->cfg);
    f->cfg = NULL;
    f->err[0] = '\0';
    struct aps_config_opts opts = {.envp = envp, .config_dir = dir};
    int rc = aps_config_load(&f->cfg, &opts, f->err, sizeof f->err);
    if (rc)
        assert_null(f->cfg);
    return rc;
}

static int load(struct fx *f, const char *const *env)
{
    return load_dir(f, f->config, env);
}

/* Asserts the load fails with a one-line message holding every fragment given. */
static void expect_error(struct fx *f, const char *const *env, const char *frag1,
                         const char *frag2)
{
    int rc = load(f, env);
    if (rc != APS_E_CONFIG)
        fail_msg("expected APS_E_CONFIG, got %d (%s)", rc, f->err);
    assert_null(strchr(f->err, '\n'));
    if (!strstr(f->err, frag1) || (frag2 && !strstr(f->err, frag2)))
        fail_msg("error '%s' lacks '%s' / '%s'", f->err, frag1, frag2 ? frag2 : "");
}

/* ---- defaults and per-environment defaults ------------------------------------------------- */

static void test_defaults_development(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, NULL), 0);
    struct aps_config *c = f->cfg;
    assert_string_equal(aps_cfg_str(c, APS_SET_ENVIRONMENT), "development");
    assert_int_equal(aps_cfg_source(c, APS_SET_ENVIRONMENT), APS_SRC_DEFAULT);
    assert_int_equal(aps_cfg_int(c, APS_SET_PORT), 8000);
    assert_int_equal(aps_cfg_int(c, APS_SET_WORKER_PORT), 9000);
    assert_int_equal(aps_cfg_source(c, APS_SET_PORT), APS_SRC_DEFAULT);
    assert_string_equal(aps_cfg_str(c, APS_SET_DATABASE_URL), "sqlite:///var/aps.db");
    assert_null(aps_cfg_str(c, APS_SET_REDIS_URL));
    assert_null(aps_cfg_str(c, APS_SET_APS_MIGRATIONS_DIR));
    assert_string_equal(aps_cfg_str(c, APS_SET_APS_DATA_DIR), "../shared/data");
    assert_string_equal(aps_cfg_str(c, APS_SET_MODEL_PATH), "var/models");
    assert_string_equal(aps_cfg_str(c, APS_SET_MARGIN_METHOD), "multiplicative");
    assert_string_equal(aps_cfg_str(c, APS_SET_ODDS_API_REGIONS), "us,eu");
    assert_true(aps_cfg_double(c, APS_SET_KELLY_FRACTION) == 0.25);
    assert_true(aps_cfg_double(c, APS_SET_MAX_BET_PERCENT) == 0.02);
    assert_true(aps_cfg_double(c, APS_SET_MIN_EDGE_THRESHOLD) == 0.03);
    assert_true(aps_cfg_double(c, APS_SET_SIGNAL_TIER_A_MIN) == 0.65);
    assert_true(aps_cfg_double(c, APS_SET_SIGNAL_TIER_B_MIN) == 0.60);
    assert_true(aps_cfg_double(c, APS_SET_SIGNAL_TIER_C_MIN) == 0.55);
    assert_true(aps_cfg_double(c, APS_SET_DEFAULT_BANKROLL) == 10000.0);
    assert_true(aps_cfg_double(c, APS_SET_MIN_BET_SIZE) == 10.0);
    /* the grace the engine's convenience calls use is the setting's default */
    assert_int_equal(aps_cfg_int(c, APS_SET_POSTPONED_VOID_HOURS) * 3600, APS_GRADE_GRACE_DEFAULT_S);
    assert_int_equal(aps_cfg_int(c, APS_SET_H2O_MAX_MEM_SIZE), (int64_t)32 << 30);
    assert_int_equal(aps_cfg_int(c, APS_SET_JWT_ACCESS_TOKEN_EXPIRE_MINUTES), 15);
    assert_int_equal(aps_cfg_int(c, APS_SET_JWT_REFRESH_TOKEN_EXPIRE_DAYS), 30);
    assert_true(aps_cfg_bool(c, APS_SET_METRICS_ENABLED));
    /* per-environment defaults for development (seed 4.3) */
    assert_int_equal(aps_cfg_int(c, APS_SET_DATABASE_POOL_SIZE), 5);
    assert_int_equal(aps_cfg_source(c, APS_SET_DATABASE_POOL_SIZE), APS_SRC_ENV_DEFAULT);
    assert_string_equal(aps_cfg_origin(c, APS_SET_DATABASE_POOL_SIZE), "default for development");
    assert_int_equal(aps_cfg_int(c, APS_SET_CACHE_TTL_DEFAULT), 60);
    assert_int_equal(aps_cfg_int(c, APS_SET_RATE_LIMIT_PER_MIN), 1000);
    assert_string_equal(aps_cfg_str(c, APS_SET_ALERT_CHANNELS), "console");
    assert_string_equal(aps_cfg_str(c, APS_SET_LOG_LEVEL), "DEBUG");
    assert_true(aps_cfg_bool(c, APS_SET_DEBUG));
    assert_non_null(aps_cfg_str(c, APS_SET_SECRET_KEY)); /* the dev-only placeholder */
}

static void test_defaults_staging(void **state)
{
    struct fx *f = *state;
    const char *env[] = {"ENVIRONMENT=staging", NULL};
    assert_int_equal(load(f, env), 0);
    struct aps_config *c = f->cfg;
    assert_int_equal(aps_cfg_source(c, APS_SET_ENVIRONMENT), APS_SRC_ENVIRON);
    assert_int_equal(aps_cfg_int(c, APS_SET_DATABASE_POOL_SIZE), 10);
    assert_int_equal(aps_cfg_int(c, APS_SET_CACHE_TTL_DEFAULT), 180);
    assert_int_equal(aps_cfg_int(c, APS_SET_RATE_LIMIT_PER_MIN), 200);
    assert_string_equal(aps_cfg_str(c, APS_SET_ALERT_CHANNELS), "slack");
    assert_string_equal(aps_cfg_str(c, APS_SET_LOG_LEVEL), "INFO");
    assert_false(aps_cfg_bool(c, APS_SET_DEBUG));
    assert_null(aps_cfg_str(c, APS_SET_SECRET_KEY)); /* no placeholder outside development */
    assert_int_equal(aps_cfg_int(c, APS_SET_DATABASE_POOL_OVERFLOW), 10);
    assert_int_equal(aps_cfg_source(c, APS_SET_DATABASE_POOL_OVERFLOW), APS_SRC_DEFAULT);
}

static void test_defaults_production(void **state)
{
    struct fx *f = *state;
    write_file(f->secrets, "SECRET_KEY", GOOD_SECRET "\n");
    write_file(f->secrets, "JWT_SECRET", GOOD_JWT "\n");
    const char *env[] = {"ENVIRONMENT=production", NULL};
    assert_int_equal(load(f, env), 0);
    struct aps_config *c = f->cfg;
    assert_int_equal(aps_cfg_int(c, APS_SET_DATABASE_POOL_SIZE), 20);
    assert_int_equal(aps_cfg_int(c, APS_SET_CACHE_TTL_DEFAULT), 300);
    assert_int_equal(aps_cfg_int(c, APS_SET_RATE_LIMIT_PER_MIN), 100);
    assert_string_equal(aps_cfg_str(c, APS_SET_ALERT_CHANNELS), "slack,pagerduty");
    assert_string_equal(aps_cfg_origin(c, APS_SET_ALERT_CHANNELS), "default for production");
    assert_string_equal(aps_cfg_str(c, APS_SET_SECRET_KEY), GOOD_SECRET);
    assert_int_equal(aps_cfg_source(c, APS_SET_SECRET_KEY), APS_SRC_SECRET);
}

/* ---- sources and precedence ----------------------------------------------------------------- */

/* One secret climbs every source: per-env default < file < environment < secrets dir <
 * KEY_FILE; and DATABASE_POOL_SIZE shows default < per-env default < file < environment. */
static void test_precedence_chain(void **state)
{
    struct fx *f = *state;
    char keyfile[256];
    snprintf(keyfile, sizeof keyfile, "%s/keyfile", f->root);
    write_file(f->root, "keyfile", "from-key-file\n");
    char keyfile_env[300];
    snprintf(keyfile_env, sizeof keyfile_env, "ODDS_API_KEY_FILE=%s", keyfile);

    assert_int_equal(load(f, NULL), 0);
    assert_null(aps_cfg_str(f->cfg, APS_SET_ODDS_API_KEY));
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_ODDS_API_KEY), APS_SRC_DEFAULT);

    write_file(f->config, "development.env", "ODDS_API_KEY=from-file\nDATABASE_POOL_SIZE=7\n");
    assert_int_equal(load(f, NULL), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_ODDS_API_KEY), "from-file");
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_ODDS_API_KEY), APS_SRC_FILE);
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_DATABASE_POOL_SIZE), 7);
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_DATABASE_POOL_SIZE), APS_SRC_FILE);
    assert_non_null(strstr(aps_cfg_origin(f->cfg, APS_SET_DATABASE_POOL_SIZE),
                           "development.env:2"));

    const char *env1[] = {"ODDS_API_KEY=from-env", "DATABASE_POOL_SIZE=8", NULL};
    assert_int_equal(load(f, env1), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_ODDS_API_KEY), "from-env");
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_ODDS_API_KEY), APS_SRC_ENVIRON);
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_DATABASE_POOL_SIZE), 8);
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_DATABASE_POOL_SIZE), APS_SRC_ENVIRON);

    write_file(f->secrets, "ODDS_API_KEY", "from-secret-dir\n");
    assert_int_equal(load(f, env1), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_ODDS_API_KEY), "from-secret-dir");
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_ODDS_API_KEY), APS_SRC_SECRET);

    const char *env2[] = {"ODDS_API_KEY=from-env", keyfile_env, NULL};
    assert_int_equal(load(f, env2), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_ODDS_API_KEY), "from-key-file");
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_ODDS_API_KEY), APS_SRC_SECRET);
    assert_string_equal(aps_cfg_origin(f->cfg, APS_SET_ODDS_API_KEY), keyfile_env);
}

static void test_env_file_syntax(void **state)
{
    struct fx *f = *state;
    write_file(f->config, "staging.env",
               "# a comment\n"
               "\n"
               "   # an indented comment\n"
               "APP_NAME=\"My App\"\r\n"
               "  PORT =  8100  \n"
               "export WORKER_PORT=9100\n"
               "LOG_LEVEL='warning'\n"
               "CORS_ORIGINS=https://a.example,https://b.example\n"
               "APP_VERSION=\"\"\n");
    const char *env[] = {"ENVIRONMENT=staging", NULL};
    assert_int_equal(load(f, env), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_APP_NAME), "My App");
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_PORT), 8100);
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_WORKER_PORT), 9100);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL), "WARNING");
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_CORS_ORIGINS),
                        "https://a.example,https://b.example");
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_APP_VERSION), "");
    assert_non_null(strstr(aps_cfg_origin(f->cfg, APS_SET_LOG_LEVEL), "staging.env:7"));
}

static void test_unrelated_environment_ignored(void **state)
{
    struct fx *f = *state;
    const char *env[] = {"PATH=/usr/bin", "HOME=/root", "NOEQUALS", "APS_SOMETHING=1",
                         "port=1", "LOG_FILE=/x", NULL};
    assert_int_equal(load(f, env), 0);
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_PORT), 8000);
}

static void test_normalisation_and_empty(void **state)
{
    struct fx *f = *state;
    const char *env[] = {"LOG_LEVEL=debug",         "SIGNAL_TIER_B_MIN=0.60 ",
                         "ALERT_CHANNELS= Slack , email", "H2O_MAX_MEM_SIZE=512M",
                         "GPU_MEMORY_LIMIT=24gb",  "REDIS_URL=",
                         "DEBUG=no",                "PORT= 8001",
                         NULL};
    assert_int_equal(load(f, env), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL), "DEBUG");
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_SIGNAL_TIER_B_MIN), "0.6");
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_ALERT_CHANNELS), "slack,email");
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_H2O_MAX_MEM_SIZE), "512m");
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_H2O_MAX_MEM_SIZE), (int64_t)512 << 20);
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_GPU_MEMORY_LIMIT), (int64_t)24 << 30);
    assert_null(aps_cfg_str(f->cfg, APS_SET_REDIS_URL));
    assert_false(aps_cfg_bool(f->cfg, APS_SET_DEBUG));
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_DEBUG), "false");
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_PORT), 8001);
}

static void test_url_schemes_accepted(void **state)
{
    struct fx *f = *state;
    const char *urls[] = {"DATABASE_URL=postgresql://u:p@h:5432/db", "DATABASE_URL=postgres://h/db",
                          "DATABASE_URL=postgresql+asyncpg://u@h/db",
                          "DATABASE_URL=sqlite:///tmp/x.db"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        const char *env[] = {urls[i], "REDIS_URL=rediss://:pw@cache:6380/1", NULL};
        if (load(f, env))
            fail_msg("%s refused: %s", urls[i], f->err);
    }
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_REDIS_URL), "rediss://:pw@cache:6380/1");
}

/* ---- secrets ---------------------------------------------------------------------------------- */

static void test_secret_files(void **state)
{
    struct fx *f = *state;
    write_file(f->secrets, "WEATHER_API_KEY", "weather-key\r\n");
    write_file(f->secrets, "PORT", "1234\n"); /* not a secret: the directory is not read for it */
    assert_int_equal(load(f, NULL), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_WEATHER_API_KEY), "weather-key");
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_PORT), 8000);

    /* A missing secrets directory is fine. */
    const char *env[] = {"APS_SECRETS_DIR=/nonexistent/aps/secrets", NULL};
    assert_int_equal(load(f, env), 0);
    assert_null(aps_cfg_str(f->cfg, APS_SET_WEATHER_API_KEY));
}

static void test_secret_file_errors(void **state)
{
    struct fx *f = *state;
    const char *missing[] = {"SECRET_KEY_FILE=/nonexistent/secret", NULL};
    expect_error(f, missing, "cannot read SECRET_KEY_FILE=/nonexistent/secret", NULL);

    const char *not_secret[] = {"PORT_FILE=/etc/hostname", NULL};
    expect_error(f, not_secret, "PORT_FILE", "only secret settings");

    char sub[256];
    snprintf(sub, sizeof sub, "%s/JWT_SECRET", f->secrets);
    assert_int_equal(mkdir(sub, 0700), 0);
    expect_error(f, NULL, "JWT_SECRET", "not a regular file");
    assert_int_equal(rmdir(sub), 0);

    char *big = aps_malloc(70000);
    memset(big, 'x', 69999);
    big[69999] = '\0';
    write_file(f->secrets, "ESPN_API_KEY", big);
    aps_free(big);
    expect_error(f, NULL, "ESPN_API_KEY", "too large");
}

/* ---- bad values ------------------------------------------------------------------------------- */

static void test_bad_values(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *env, *frag1, *frag2;
    } cases[] = {
        {"PORT=abc", "invalid setting PORT=abc (from environment): allowed an integer",
         "1 <= x <= 65535"},
        {"PORT=70000", "PORT=70000", "1 <= x <= 65535"},
        {"WORKERS=0", "WORKERS=0", "1 <= x <= 256"},
        {"DATABASE_POOL_SIZE=5.5", "DATABASE_POOL_SIZE=5.5", "an integer"},
        {"KELLY_FRACTION=0", "KELLY_FRACTION=0", "0 < x <= 1"},
        {"TRUSTED_PROXIES=10.0.0.0/33", "TRUSTED_PROXIES=10.0.0.0/33", "CIDR blocks"},
        {"TRUSTED_PROXIES=nginx", "TRUSTED_PROXIES=nginx", "CIDR blocks"},
        {"CORS_ORIGINS=https://app.example.com/", "CORS_ORIGINS", "a comma list of origins"},
        {"CORS_ORIGINS=app.example.com", "CORS_ORIGINS", "a comma list of origins"},
        {"KELLY_FRACTION=1.5", "KELLY_FRACTION=1.5", "0 < x <= 1"},
        {"KELLY_FRACTION=abc", "KELLY_FRACTION=abc", "a number"},
        {"MAX_BET_PERCENT=0.2", "MAX_BET_PERCENT=0.2", "0 < x <= 0.1"},
        {"SIGNAL_TIER_A_MIN=1", "SIGNAL_TIER_A_MIN=1", "0.5 < x < 1"},
        {"SIGNAL_TIER_C_MIN=0.5", "SIGNAL_TIER_C_MIN=0.5", "0.5 < x < 1"},
        {"LOG_LEVEL=VERBOSE", "LOG_LEVEL=VERBOSE", "one of DEBUG, INFO, WARNING, ERROR"},
        {"ENVIRONMENT=prod", "ENVIRONMENT=prod", "development, staging, production"},
        {"AUTOGLUON_PRESET=ultra", "AUTOGLUON_PRESET=ultra", "best_quality"},
        {"MARGIN_METHOD=magic", "MARGIN_METHOD=magic", "shin"},
        {"DEBUG=maybe", "DEBUG=maybe", "true, false, 1, 0, yes or no"},
        {"METRICS_ENABLED=", "METRICS_ENABLED=", "true, false"},
        {"DATABASE_URL=mysql://u@h/db", "DATABASE_URL=mysql://***@h/db", "postgresql://"},
        {"DATABASE_URL=sqlite://", "DATABASE_URL=sqlite://", "a URL starting with sqlite://"},
        {"REDIS_URL=http://cache:6379", "REDIS_URL=http://cache:6379", "redis://, rediss://"},
        {"ODDS_API_BASE_URL=ftp://x", "ODDS_API_BASE_URL=ftp://x", "https://"},
        {"ALERT_CHANNELS=console,sms", "ALERT_CHANNELS=console,sms", "a comma list of console"},
        {"ALERT_CHANNELS=slack,,email", "ALERT_CHANNELS=slack,,email", "comma list"},
        {"ODDS_API_REGIONS=mars", "ODDS_API_REGIONS=mars", "us, us2, uk, eu, au"},
        {"H2O_MAX_MEM_SIZE=32x", "H2O_MAX_MEM_SIZE=32x", "a size such as 512m or 32g"},
        {"H2O_MAX_MEM_SIZE=10k", "H2O_MAX_MEM_SIZE=10k", "from 1m to 16t"},
        {"H2O_MAX_MEM_SIZE=99999999999t", "H2O_MAX_MEM_SIZE", "a size"},
        {"CACHE_TTL_ODDS=-1", "CACHE_TTL_ODDS=-1", "0 <= x <= 604800"},
        {"POSTPONED_VOID_HOURS=-1", "POSTPONED_VOID_HOURS=-1", "0 <= x <= 720"},
        {"POSTPONED_VOID_HOURS=1.5", "POSTPONED_VOID_HOURS=1.5", "an integer"},
        {"RATE_LIMIT_PER_MIN=1000000001", "RATE_LIMIT_PER_MIN=1000000001",
         "1 <= x <= 1000000000"},
        {"SIGNAL_TIER_B_MIN=0.7", "SIGNAL_TIER_B_MIN=0.7", "less than SIGNAL_TIER_A_MIN (0.65)"},
        {"SIGNAL_TIER_C_MIN=0.61", "SIGNAL_TIER_C_MIN=0.61", "less than SIGNAL_TIER_B_MIN (0.6)"},
        {"MIN_BET_SIZE=20000", "MIN_BET_SIZE=20000", "at most DEFAULT_BANKROLL"},
        {"PORT=1\n2", "PORT=1?2", "an integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {cases[i].env, NULL};
        expect_error(f, env, cases[i].frag1, cases[i].frag2);
    }
}

static void test_bad_value_names_file_line(void **state)
{
    struct fx *f = *state;
    write_file(f->config, "development.env", "# c\nPORT=8000\nKELLY_FRACTION=2\n");
    expect_error(f, NULL, "invalid setting KELLY_FRACTION=2 (from ", "development.env:3)");
    /* The environment overrides the bad file value, so the file's value never matters. */
    const char *env[] = {"KELLY_FRACTION=0.5", NULL};
    assert_int_equal(load(f, env), 0);
    assert_true(aps_cfg_double(f->cfg, APS_SET_KELLY_FRACTION) == 0.5);
}

static void test_env_file_errors(void **state)
{
    struct fx *f = *state;
    write_file(f->config, "development.env", "PORT=8000\n\nNOT_A_SETTING=1\n");
    expect_error(f, NULL, "unknown setting NOT_A_SETTING in ", "development.env:3");
    write_file(f->config, "development.env", "PORT 8000\n");
    expect_error(f, NULL, "development.env:1", "expected KEY=VALUE");
    write_file(f->config, "development.env", "PORT=1\nPORT=2\n");
    expect_error(f, NULL, "PORT given twice", "line 2");
    write_file(f->config, "development.env", "APP_NAME=\"oops\n");
    expect_error(f, NULL, "development.env:1", "unterminated quote");
    write_file(f->config, "development.env", "ENVIRONMENT=production\n");
    expect_error(f, NULL, "ENVIRONMENT=production", "only in the environment");
}

static void test_secret_redacted_in_errors(void **state)
{
    struct fx *f = *state;
    write_file(f->config, "staging.env", "ODDS_API_KEY=\"\n");
    const char *env[] = {"ENVIRONMENT=staging", NULL};
    expect_error(f, env, "staging.env:1", "unterminated quote");
    const char *env2[] = {"DATABASE_URL=mysql://aps:hunter2@db/aps?password=hunter3", NULL};
    expect_error(f, env2, "mysql://aps:***@db/aps?***", NULL);
    assert_null(strstr(f->err, "hunter"));
}

/* ---- production ------------------------------------------------------------------------------- */

static void test_production_refusals(void **state)
{
    struct fx *f = *state;
    const char *none[] = {"ENVIRONMENT=production", NULL};
    expect_error(f, none, "SECRET_KEY=(unset)", "at least 32 characters");

    const char *shrt[] = {"ENVIRONMENT=production", "SECRET_KEY=tooshort-secret", NULL};
    expect_error(f, shrt, "SECRET_KEY=(redacted)", "at least 32 characters");
    assert_null(strstr(f->err, "tooshort"));

    const char *star[] = {"ENVIRONMENT=production", "SECRET_KEY=" GOOD_SECRET,
                          "JWT_SECRET=" GOOD_JWT, "CORS_ORIGINS=https://a.example, *", NULL};
    expect_error(f, star, "CORS_ORIGINS", "named origins in production");

    const char *dev[] = {"ENVIRONMENT=production",
                         "SECRET_KEY=dev-only-insecure-secret-key-not-for-prod",
                         "JWT_SECRET=" GOOD_JWT, NULL};
    expect_error(f, dev, "SECRET_KEY=(redacted)", "not a default or placeholder");

    const char *chg[] = {"ENVIRONMENT=production", "SECRET_KEY=" GOOD_SECRET,
                         "JWT_SECRET=please-CHANGE-ME-before-going-live-0123", NULL};
    expect_error(f, chg, "JWT_SECRET=(redacted)", "not a default or placeholder");

    const char *same[] = {"ENVIRONMENT=production", "SECRET_KEY=" GOOD_SECRET,
                          "JWT_SECRET=" GOOD_SECRET, NULL};
    expect_error(f, same, "JWT_SECRET=(redacted)", "different from SECRET_KEY");

    const char *dbg[] = {"ENVIRONMENT=production", "DEBUG=true", "SECRET_KEY=" GOOD_SECRET,
                         "JWT_SECRET=" GOOD_JWT, NULL};
    expect_error(f, dbg, "DEBUG=true (from environment)", "false in production");

    /* Secrets only in the environment: accepted (no secrets file expected for them). */
    const char *ok[] = {"ENVIRONMENT=production", "SECRET_KEY=" GOOD_SECRET,
                        "JWT_SECRET=" GOOD_JWT, NULL};
    assert_int_equal(load(f, ok), 0);
    /* The same with a file for JWT_SECRET in the secrets dir: the plain variable is refused. */
    write_file(f->secrets, "JWT_SECRET", GOOD_JWT "-from-file\n");
    expect_error(f, ok, "JWT_SECRET=(redacted) (from environment)", "remove the environment");
    /* Staging keeps the file and does not mind the variable. */
    const char *stg[] = {"ENVIRONMENT=staging", "JWT_SECRET=" GOOD_JWT, NULL};
    assert_int_equal(load(f, stg), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_JWT_SECRET), GOOD_JWT "-from-file");
}

static void test_production_file_holds_no_secret(void **state)
{
    struct fx *f = *state;
    write_file(f->secrets, "SECRET_KEY", GOOD_SECRET);
    write_file(f->secrets, "JWT_SECRET", GOOD_JWT);
    write_file(f->config, "production.env", "LOG_LEVEL=ERROR\nODDS_API_KEY=abc\n");
    const char *env[] = {"ENVIRONMENT=production", NULL};
    expect_error(f, env, "ODDS_API_KEY=(redacted)", "production.env:2");
    write_file(f->config, "production.env", "LOG_LEVEL=ERROR\n");
    assert_int_equal(load(f, env), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL), "ERROR");
}

/* ---- the repository's own config files ---------------------------------------------------------- */

static void test_repo_config_files(void **state)
{
    struct fx *f = *state;
    const char *dir = APS_SOURCE_DIR "/config";
    assert_int_equal(load_dir(f, dir, NULL), 0);
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_LOG_LEVEL), APS_SRC_FILE);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL), "DEBUG");
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_DATABASE_POOL_SIZE), 5);

    const char *stg[] = {"ENVIRONMENT=staging", NULL};
    assert_int_equal(load_dir(f, dir, stg), 0);
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_RATE_LIMIT_PER_MIN), 200);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_ALERT_CHANNELS), "slack");

    /* Loading production at all proves production.env holds no secret (the loader refuses). */
    write_file(f->secrets, "SECRET_KEY", GOOD_SECRET "\n");
    write_file(f->secrets, "JWT_SECRET", GOOD_JWT "\n");
    const char *prod[] = {"ENVIRONMENT=production", NULL};
    if (load_dir(f, dir, prod))
        fail_msg("production: %s", f->err);
    assert_int_equal(aps_cfg_source(f->cfg, APS_SET_ALERT_CHANNELS), APS_SRC_FILE);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_ALERT_CHANNELS), "slack,pagerduty");
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_DATABASE_POOL_SIZE), 20);
    assert_false(aps_cfg_bool(f->cfg, APS_SET_DEBUG));
}

/* ---- printing and the command ----------------------------------------------------------------- */

/* Reads back everything written to a tmpfile and closes it; free with aps_free. (A tmpfile rather
 * than open_memstream, whose pointer-to-local argument trips GCC's -Wdangling-pointer.) */
static char *slurp(FILE *fp)
{
    assert_int_equal(fflush(fp), 0);
    long n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    char *text = aps_malloc((size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
    text[n] = '\0';
    assert_int_equal(fclose(fp), 0);
    return text;
}

static char *capture(const struct aps_config *cfg, bool json)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    aps_config_print(cfg, fp, json);
    return slurp(fp);
}

static void test_print_redacts(void **state)
{
    struct fx *f = *state;
    const char *env[] = {"SECRET_KEY=supersecret-value-0123456789-abcdef",
                         "DATABASE_URL=postgresql://aps:hunter2pw@db:5432/aps", NULL};
    assert_int_equal(load(f, env), 0);
    char *table = capture(f->cfg, false);
    assert_null(strstr(table, "supersecret"));
    assert_null(strstr(table, "hunter2pw"));
    assert_null(strstr(table, "dev-only-insecure")); /* the dev JWT placeholder is a secret too */
    assert_non_null(strstr(table, "NAME"));
    assert_non_null(strstr(table, "SOURCE"));
    assert_non_null(strstr(table, "(set, redacted)"));
    assert_non_null(strstr(table, "postgresql://aps:***@db:5432/aps"));
    /* the ODDS_API_KEY row says (unset) */
    const char *row = strstr(table, "\nODDS_API_KEY ");
    assert_non_null(row);
    const char *eol = strchr(row + 1, '\n');
    assert_non_null(eol);
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(eol - row - 1), row + 1);
    assert_non_null(strstr(line, "(unset)"));
    assert_non_null(strstr(line, "default"));
    aps_free(table);

    char *json = capture(f->cfg, true);
    assert_null(strstr(json, "supersecret"));
    assert_null(strstr(json, "hunter2pw"));
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    if (!root)
        fail_msg("bad JSON: %s", jerr.text);
    assert_int_equal(json_object_size(root), APS_SET__COUNT);
    json_t *port = json_object_get(root, "PORT");
    assert_int_equal(json_integer_value(json_object_get(port, "value")), 8000);
    assert_string_equal(json_string_value(json_object_get(port, "source")), "default");
    json_t *pool = json_object_get(root, "DATABASE_POOL_SIZE");
    assert_string_equal(json_string_value(json_object_get(pool, "source")), "env-default");
    json_t *kelly = json_object_get(root, "KELLY_FRACTION");
    assert_true(json_real_value(json_object_get(kelly, "value")) == 0.25);
    json_t *sk = json_object_get(root, "SECRET_KEY");
    assert_string_equal(json_string_value(json_object_get(sk, "value")), "(set, redacted)");
    assert_string_equal(json_string_value(json_object_get(sk, "source")), "environment");
    json_t *redis = json_object_get(json_object_get(root, "REDIS_URL"), "value");
    assert_string_equal(json_string_value(redis), "(unset)"); /* a secret: never null */
    assert_true(json_is_null(json_object_get(json_object_get(root, "CORS_ORIGINS"), "value")));
    assert_true(json_is_true(json_object_get(json_object_get(root, "DEBUG"), "value")));
    json_decref(root);
    aps_free(json);
}

/* Runs `aps config ARGS…`; returns the exit code and the captured stdout in *out (aps_free). */
static int run_cmd(struct aps_config *cfg, char **out, int argc, char **argv)
{
    struct aps_cli cli = {.cfg = cfg};
    FILE *o = tmpfile(), *e = tmpfile();
    assert_non_null(o);
    assert_non_null(e);
    int rc = config_run(&cli, argc, argv, o, e);
    *out = slurp(o);
    aps_free(slurp(e));
    return rc;
}

static void test_command(void **state)
{
    struct fx *f = *state;
    const char *env[] = {"SECRET_KEY=supersecret-value-0123456789-abcdef", NULL};
    assert_int_equal(load(f, env), 0);
    char *out = NULL;
    char *help[] = {"config", "--help"};
    assert_int_equal(run_cmd(f->cfg, &out, 2, help), APS_EXIT_OK);
    assert_non_null(strstr(out, "usage: aps config print"));
    aps_free(out);

    char *bare[] = {"config"};
    assert_int_equal(run_cmd(f->cfg, &out, 1, bare), APS_EXIT_USAGE);
    aps_free(out);
    char *bad_fmt[] = {"config", "print", "--format", "xml"};
    assert_int_equal(run_cmd(f->cfg, &out, 4, bad_fmt), APS_EXIT_USAGE);
    aps_free(out);
    char *no_fmt[] = {"config", "print", "--format"};
    assert_int_equal(run_cmd(f->cfg, &out, 3, no_fmt), APS_EXIT_USAGE);
    aps_free(out);
    char *bad_act[] = {"config", "frobnicate"};
    assert_int_equal(run_cmd(f->cfg, &out, 2, bad_act), APS_EXIT_USAGE);
    aps_free(out);

    char *js[] = {"config", "print", "--format=json"};
    assert_int_equal(run_cmd(f->cfg, &out, 3, js), APS_EXIT_OK);
    assert_true(out[0] == '{');
    assert_null(strstr(out, "supersecret"));
    aps_free(out);
    char *tb[] = {"config", "print"};
    assert_int_equal(run_cmd(f->cfg, &out, 2, tb), APS_EXIT_OK);
    assert_true(aps_str_starts(out, "NAME"));
    aps_free(out);

    char *get[] = {"config", "get", "PORT"};
    assert_int_equal(run_cmd(f->cfg, &out, 3, get), APS_EXIT_OK);
    assert_string_equal(out, "8000\n");
    aps_free(out);
    char *get_secret[] = {"config", "get", "SECRET_KEY"};
    assert_int_equal(run_cmd(f->cfg, &out, 3, get_secret), APS_EXIT_OK);
    assert_string_equal(out, "(set, redacted)\n");
    aps_free(out);
    char *getx[] = {"config", "get", "NOPE"};
    assert_int_equal(run_cmd(f->cfg, &out, 3, getx), APS_EXIT_USAGE);
    aps_free(out);
}

static void test_names_and_lookup(void **state)
{
    (void)state;
    assert_string_equal(aps_setting_name(APS_SET_KELLY_FRACTION), "KELLY_FRACTION");
    assert_int_equal(aps_setting_find("ALERT_CHANNELS"), APS_SET_ALERT_CHANNELS);
    assert_int_equal(aps_setting_find("alert_channels"), -1);
    assert_true(aps_setting_is_secret(APS_SET_JWT_SECRET));
    assert_false(aps_setting_is_secret(APS_SET_PORT));
    assert_string_equal(aps_cfg_source_name(APS_SRC_SECRET), "secret");
    assert_string_equal(aps_cfg_source_name(APS_SRC_FILE), "file");
}

/* The run-time layer: only the table's `runtime` settings, INT and DOUBLE, checked like loading;
 * while set it is what aps_cfg_int / aps_cfg_double return. */
static void test_runtime_layer(void **state)
{
    struct fx *f = *state;
    char err[300];
    assert_int_equal(load(f, NULL), 0);
    const struct aps_config *c = f->cfg;
    int n = 0;
    for (int k = 0; k < APS_SET__COUNT; k++)
        if (aps_setting_is_runtime(k)) {
            n++;
            char v[32];
            /* INT and DOUBLE only: the configured text parses back through the layer. */
            snprintf(v, sizeof v, "%s", aps_cfg_str(c, k));
            assert_int_equal(aps_config_runtime_set(c, k, v, err, sizeof err), 0);
            aps_config_runtime_clear(c, k);
        }
    assert_int_equal(n, 10);
    assert_true(aps_setting_is_runtime(APS_SET_KELLY_FRACTION));
    assert_true(aps_setting_is_runtime(APS_SET_RATE_LIMIT_PER_MIN));
    assert_false(aps_setting_is_runtime(APS_SET_JWT_SECRET));
    double kf = aps_cfg_double(c, APS_SET_KELLY_FRACTION);
    assert_int_equal(aps_config_runtime_set(c, APS_SET_KELLY_FRACTION, "0.1", err, sizeof err), 0);
    assert_true(aps_cfg_overridden(c, APS_SET_KELLY_FRACTION));
    assert_true(aps_cfg_double(c, APS_SET_KELLY_FRACTION) == 0.1);
    assert_true(aps_cfg_configured_double(c, APS_SET_KELLY_FRACTION) == kf);
    assert_int_equal(aps_config_runtime_set(c, APS_SET_RATE_LIMIT_PER_MIN, "7", err, sizeof err),
                     0);
    assert_int_equal(aps_cfg_int(c, APS_SET_RATE_LIMIT_PER_MIN), 7);
    /* The top of the range: what one benchmark client needs to never meet the limit. */
    assert_int_equal(
        aps_config_runtime_set(c, APS_SET_RATE_LIMIT_PER_MIN, "1000000000", err, sizeof err), 0);
    assert_int_equal(aps_cfg_int(c, APS_SET_RATE_LIMIT_PER_MIN), 1000000000);
    assert_int_equal(aps_config_runtime_set(c, APS_SET_RATE_LIMIT_PER_MIN, "7", err, sizeof err),
                     0);
    /* Out of bounds or not a number: refused with the loader's message, the value stays. */
    assert_int_equal(aps_config_runtime_set(c, APS_SET_KELLY_FRACTION, "2", err, sizeof err),
                     APS_E_CONFIG);
    assert_non_null(strstr(err, "KELLY_FRACTION"));
    assert_int_equal(aps_config_runtime_set(c, APS_SET_RATE_LIMIT_PER_MIN, "x", err, sizeof err),
                     APS_E_CONFIG);
    assert_true(aps_cfg_double(c, APS_SET_KELLY_FRACTION) == 0.1);
    assert_int_equal(aps_config_runtime_set(c, APS_SET_PORT, "9", err, sizeof err), APS_E_INVAL);
    aps_config_runtime_clear(c, APS_SET_KELLY_FRACTION);
    assert_false(aps_cfg_overridden(c, APS_SET_KELLY_FRACTION));
    assert_true(aps_cfg_double(c, APS_SET_KELLY_FRACTION) == kf);
}

/* ---- the environment's file ------------------------------------------------------------------ */

/* Staging and production take their settings from config/<ENVIRONMENT>.env: without it, start-up
 * refuses and a reload keeps the running configuration, with one line naming the file;
 * development runs on the defaults without one. */
static void test_env_file_required(void **state)
{
    struct fx *f = *state;
    char path[160];
    write_file(f->secrets, "SECRET_KEY", GOOD_SECRET "\n");
    write_file(f->secrets, "JWT_SECRET", GOOD_JWT "\n");
    const char *stg[] = {"ENVIRONMENT=staging", NULL}, *prod[] = {"ENVIRONMENT=production", NULL};
    snprintf(path, sizeof path, "%s/production.env", f->config);
    assert_int_equal(unlink(path), 0);
    expect_error(f, prod, "production.env: no such file", "ENVIRONMENT=production takes its");
    assert_int_equal(load(f, NULL), 0); /* development: no development.env, the defaults */
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL), "DEBUG");

    write_file(f->config, "staging.env", "LOG_LEVEL=WARNING\n");
    assert_int_equal(load(f, stg), 0);
    snprintf(path, sizeof path, "%s/staging.env", f->config);
    assert_int_equal(unlink(path), 0);
    struct aps_config_reload_report r;
    assert_int_equal(aps_config_reload(f->cfg, &r, NULL, NULL, f->err, sizeof f->err),
                     APS_E_CONFIG);
    assert_non_null(strstr(f->err, "staging.env: no such file"));
    assert_null(strchr(f->err, '\n'));
    assert_int_equal(r.napplied + r.nrestart, 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL), "WARNING");
}

/* ---- reload ----------------------------------------------------------------------------------- */

static int refuse_all(void *ud, const struct aps_config *fresh,
                      const struct aps_config_reload_report *report, char *err, size_t errcap)
{
    (void)fresh, (void)report;
    ++*(int *)ud;
    snprintf(err, errcap, "refused by the check");
    return APS_E_CONFIG;
}

/* A reload applies live settings, names the others, keeps everything on a bad value (with the
 * start-up's message) or when the check refuses, and leaves earlier strings readable. */
static void test_reload(void **state)
{
    struct fx *f = *state;
    struct aps_config_reload_report r;
    write_file(f->config, "development.env", "LOG_LEVEL=WARNING\nRATE_LIMIT_PER_MIN=50\n");
    assert_int_equal(load(f, NULL), 0);
    const char *level_before = aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL);
    write_file(f->config, "development.env",
               "LOG_LEVEL=ERROR\nRATE_LIMIT_PER_MIN=75\nWORKERS=3\n");
    write_file(f->secrets, "ODDS_API_KEY", "odds-key-new\n");
    assert_int_equal(aps_config_reload(f->cfg, &r, NULL, NULL, f->err, sizeof f->err), 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL), "ERROR");
    assert_string_equal(level_before, "WARNING"); /* a string read before stays valid */
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_RATE_LIMIT_PER_MIN), 75);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_ODDS_API_KEY), "odds-key-new");
    assert_true(r.applied[APS_SET_LOG_LEVEL] && r.applied[APS_SET_RATE_LIMIT_PER_MIN] &&
                r.applied[APS_SET_ODDS_API_KEY]);
    assert_int_equal(r.napplied, 3);
    assert_true(r.restart[APS_SET_WORKERS]);
    assert_int_equal(r.nrestart, 1);
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_WORKERS), 1); /* the development default */
    /* A bad value: the same message as a fresh load, nothing changes. */
    write_file(f->config, "development.env", "LOG_LEVEL=INFO\nRATE_LIMIT_PER_MIN=0\n");
    char fresh_err[1024];
    struct aps_config *other = NULL;
    char secrets_env[160];
    snprintf(secrets_env, sizeof secrets_env, "APS_SECRETS_DIR=%s", f->secrets);
    char *envp[] = {secrets_env, NULL};
    struct aps_config_opts opts = {.envp = envp, .config_dir = f->config};
    assert_int_equal(aps_config_load(&other, &opts, fresh_err, sizeof fresh_err), APS_E_CONFIG);
    assert_int_equal(aps_config_reload(f->cfg, &r, NULL, NULL, f->err, sizeof f->err),
                     APS_E_CONFIG);
    assert_string_equal(f->err, fresh_err);
    assert_int_equal(r.napplied + r.nrestart, 0);
    assert_string_equal(aps_cfg_str(f->cfg, APS_SET_LOG_LEVEL), "ERROR");
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_RATE_LIMIT_PER_MIN), 75);
    /* A good file the check refuses: nothing changes either. */
    int calls = 0;
    write_file(f->config, "development.env", "LOG_LEVEL=INFO\nRATE_LIMIT_PER_MIN=80\n");
    assert_int_equal(aps_config_reload(f->cfg, &r, refuse_all, &calls, f->err, sizeof f->err),
                     APS_E_CONFIG);
    assert_int_equal(calls, 1);
    assert_string_equal(f->err, "refused by the check");
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_RATE_LIMIT_PER_MIN), 75);
    /* A run-time override still wins over a reloaded value. */
    assert_int_equal(aps_config_runtime_set(f->cfg, APS_SET_RATE_LIMIT_PER_MIN, "20", f->err,
                                            sizeof f->err), 0);
    assert_int_equal(aps_config_reload(f->cfg, &r, NULL, NULL, f->err, sizeof f->err), 0);
    assert_int_equal(aps_cfg_int(f->cfg, APS_SET_RATE_LIMIT_PER_MIN), 20);
    assert_int_equal(aps_cfg_configured_int(f->cfg, APS_SET_RATE_LIMIT_PER_MIN), 80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_runtime_layer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_development, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_staging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_production, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_file_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_file_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unrelated_environment_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalisation_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_schemes_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_value_names_file_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_redacted_in_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_production_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_production_file_holds_no_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repo_config_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_redacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
        cmocka_unit_test(test_names_and_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
