/* jobs_fixture.h — what the job, worker and scheduler tests share: an application context
 * (services/app.h) on a fresh SQLite file in a temporary folder, migrated with the real
 * migrations, with the store-backed queue, built from a configuration given as environment
 * lines; a few SQL helpers; the app's log in a file. Header-only; include it once per test
 * file. */
#ifndef APS_TEST_JOBS_FIXTURE_H
#define APS_TEST_JOBS_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "services/app.h"
#include "store/store.h"

#define JFX_UNUSED __attribute__((unused))
#define JFX_MAX_ENV 32

struct jfx {
    char dir[64];
    char env_text[JFX_MAX_ENV][512];
    char *env[JFX_MAX_ENV + 1];
    int nenv;
    struct aps_config *cfg;
    struct aps_app app;
};

static JFX_UNUSED void jfx_env(struct jfx *f, const char *line)
{
    snprintf(f->env_text[f->nenv], sizeof f->env_text[0], "%s", line);
    f->env[f->nenv] = f->env_text[f->nenv];
    f->nenv++;
    f->env[f->nenv] = NULL;
}

/* Opens the app on a new SQLite file; extra: NULL-terminated "KEY=VALUE" lines. 0 on success. */
static JFX_UNUSED int jfx_open(struct jfx *f, const char *const *extra, unsigned parts)
{
    char line[512], err[512];
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/aps-jobs-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(line, sizeof line, "DATABASE_URL=sqlite:///%s/aps.db", f->dir);
    jfx_env(f, line);
    jfx_env(f, "APS_MIGRATIONS_DIR=" APS_SOURCE_DIR "/migrations");
    jfx_env(f, "LOG_LEVEL=ERROR");
    jfx_env(f, "ENVIRONMENT=development");
    jfx_env(f, "QUEUE_RETRY_BASE_MS=1");
    jfx_env(f, "QUEUE_RETRY_MAX_MS=5");
    jfx_env(f, "QUEUE_RETRY_BUDGET_SECONDS=0"); /* attempts alone decide: tests stay short */
    for (size_t i = 0; extra && extra[i]; i++)
        jfx_env(f, extra[i]);
    struct aps_config_opts o = {.envp = f->env, .config_dir = "/nonexistent"};
    if (aps_config_load(&f->cfg, &o, err, sizeof err)) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    if (aps_app_open(&f->app, f->cfg, parts | APS_APP_STORE | APS_APP_MIGRATE, err, sizeof err)) {
        fprintf(stderr, "app: %s\n", err);
        return -1;
    }
    return 0;
}

static JFX_UNUSED void jfx_close(struct jfx *f)
{
    char cmd[128];
    aps_app_close(&f->app);
    aps_config_free(f->cfg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
}

/* Runs SQL (no rows). */
static JFX_UNUSED int jfx_exec(struct jfx *f, const char *sql)
{
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(f->app.store, APS_DB_WRITE, &c);
    if (!rc)
        rc = aps_conn_exec(c, sql);
    if (rc && c)
        fprintf(stderr, "sql: %s\n", aps_conn_errmsg(c));
    if (c)
        aps_store_release(c);
    return rc;
}

/* The first column of the first row of sql, or -1 on error / no row. */
static JFX_UNUSED int64_t jfx_int(struct jfx *f, const char *sql)
{
    struct aps_conn *c = NULL;
    int64_t v = -1;
    if (aps_store_acquire(f->app.store, APS_DB_READ, &c))
        return -1;
    if (aps_conn_query_int64(c, sql, 0, NULL, &v))
        v = -1;
    aps_store_release(c);
    return v;
}

/* Routes the app's log into path (cap bytes) in the fixture's folder, from level INFO on.
 * 0, or -1 when the file cannot be made. */
static JFX_UNUSED int jfx_log_open(struct jfx *f, char *path, size_t cap)
{
    snprintf(path, cap, "%s/log.jsonl", f->dir);
    f->app.log.out = fopen(path, "w");
    f->app.log.level = APS_LOG_INFO;
    return f->app.log.out ? 0 : -1;
}

static JFX_UNUSED void jfx_log_close(struct jfx *f)
{
    if (f->app.log.out)
        fclose(f->app.log.out);
    f->app.log.out = NULL;
}

/* Lines of the log file at path that contain every one of the NULL-terminated needles; -1 when
 * the file cannot be read. */
static JFX_UNUSED int jfx_log_lines(const char *path, const char *const *needles)
{
    char line[2048];
    int n = 0;
    FILE *in = fopen(path, "r");
    if (!in)
        return -1;
    while (fgets(line, sizeof line, in)) {
        bool all = true;
        for (size_t i = 0; needles[i] && all; i++)
            all = strstr(line, needles[i]) != NULL;
        n += all;
    }
    fclose(in);
    return n;
}

/* A sport (NBA), two teams, a season and a game starting at `start` with `status`; returns the
 * game id (the store is fresh: the first game is 1). */
static JFX_UNUSED int jfx_game(struct jfx *f, int64_t start, const char *status)
{
    char sql[1024];
    if (jfx_int(f, "SELECT COUNT(*) FROM sports") == 0 &&
        jfx_exec(f, "INSERT INTO sports (code, name, kind) VALUES ('NBA', 'NBA', 'TEAM');"
                    "INSERT INTO teams (sport_id, key, name) VALUES (1, 'BOS', 'Boston');"
                    "INSERT INTO teams (sport_id, key, name) VALUES (1, 'NYK', 'New York');"
                    "INSERT INTO seasons (sport_id, label) VALUES (1, '2025-26');"
                    "INSERT INTO sportsbooks (key, name) VALUES ('book', 'Book')"))
        return -1;
    int64_t n = jfx_int(f, "SELECT COUNT(*) FROM games");
    snprintf(sql, sizeof sql,
             "INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id,"
             " away_team_id, start_time, status, created_at, updated_at) VALUES"
             " (1, 1, '2025-11-%02d', 1, 1, 2, %lld, '%s', 0, 0)",
             (int)(n % 28) + 1, (long long)start, status);
    return jfx_exec(f, sql) ? -1 : (int)(n + 1);
}

#endif
