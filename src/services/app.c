/* app.c — opening and closing the application context of app.h: the metrics registry first
 * (everything else may register metrics in it), then the store, cache, rate limiter and queue, in
 * that order, each from the configuration. A failure closes what was opened, in reverse. */
#include "services/app.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/queue.h"
#include "cache/ratelimit.h"
#include "config/config.h"
#include "core/str.h"
#include "http/auth.h"
#include "metrics/metrics.h"
#include "services/audit.h"
#include "services/deps.h"
#include "services/flags.h"
#include "services/runtime.h"
#include "store/migrate.h"
#include "store/store.h"

static void name_instance(struct aps_app *app)
{
    char host[48] = "localhost";
    if (gethostname(host, sizeof host))
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(app->instance, sizeof app->instance, "%s:%ld", host, (long)getpid());
}

/* Applies pending migrations (before the queue opens: its store backend needs them). */
static int migrate(struct aps_app *app, char *err, size_t errcap)
{
    char why[400];
    int applied = 0;
    const char *dir = aps_cfg_str(app->cfg, APS_SET_APS_MIGRATIONS_DIR);
    int rc = aps_migrate_up(app->store, dir && *dir ? dir : NULL, NULL, &applied, why, sizeof why);
    if (rc) {
        snprintf(err, errcap, "migration failed: %s", why);
        return rc;
    }
    if (applied)
        APS_LOG(&app->log, APS_LOG_INFO, NULL, "applied %d migration(s)", applied);
    return 0;
}

/* A SQLite store without Redis: the processes on its host share the cache's tag generations
 * through a file beside the database (<database>-apsgen), so a change one of them makes (a
 * logout, a role, new picks) is seen by the others on their next request, and they can cache
 * what they would otherwise read from the store every time. Not fatal when the file cannot be
 * made: the cache then stays per process, as without it. */
static void share_generations(struct aps_app *app)
{
    char db[4096], path[4200], why[512];
    if (aps_cache_shared(app->cache) ||
        aps_store_sqlite_file(aps_cfg_str(app->cfg, APS_SET_DATABASE_URL), db, sizeof db) ||
        aps_str_fmt(path, sizeof path, "%s-apsgen", db))
        return;
    if (aps_cache_share_file(app->cache, path, why, sizeof why))
        APS_LOG(&app->log, APS_LOG_WARNING, NULL,
                "cache generations are not shared with other processes: %s", why);
}

static int open_parts(struct aps_app *app, unsigned parts, char *err, size_t errcap)
{
    int rc = aps_metrics_new(&app->metrics);
    if (rc) {
        snprintf(err, errcap, "cannot create the metrics registry");
        return rc;
    }
    if (parts & APS_APP_STORE) {
        rc = aps_store_open_config(&app->store, app->cfg,
                                   parts & APS_APP_SERVING ? APS_STORE_GENERIC_PLANS : 0, err,
                                   errcap);
        if (rc)
            return rc;
        if (parts & APS_APP_MIGRATE) {
            rc = migrate(app, err, errcap);
            if (rc)
                return rc;
        }
        /* A store that cannot be read now is not fatal here: the watch retries. */
        if (aps_runtime_refresh(app))
            APS_LOG(&app->log, APS_LOG_WARNING, NULL, "run-time settings not loaded yet");
        if ((parts & APS_APP_WATCH) && aps_runtime_watch_start(app)) {
            snprintf(err, errcap, "cannot start the run-time settings thread");
            return APS_E_NOMEM;
        }
        if (aps_audit_secret_reads(app->store, app->cfg, app->instance))
            APS_LOG(&app->log, APS_LOG_WARNING, NULL,
                    "could not write the secret reads to the audit log");
        rc = aps_flags_open(&app->flags, app->store, aps_cfg_str(app->cfg, APS_SET_ENVIRONMENT),
                            (int)aps_cfg_int(app->cfg, APS_SET_FEATURE_FLAGS_REFRESH_MS));
        if (rc) {
            snprintf(err, errcap, "cannot create the feature-flag cache");
            return rc;
        }
    }
    if (parts & APS_APP_CACHE) {
        rc = aps_cache_open(&app->cache, app->cfg, app->metrics, err, errcap);
        if (rc)
            return rc;
        share_generations(app);
    }
    if (parts & APS_APP_RATELIMIT) {
        rc = aps_ratelimit_open(&app->rl, app->cfg, err, errcap);
        if (rc)
            return rc;
        aps_ratelimit_attach_metrics(app->rl, app->metrics);
    }
    if (parts & APS_APP_QUEUE) {
        rc = aps_queue_open(&app->queue, app->cfg, app->store, app->metrics, err, errcap);
        if (rc)
            return rc;
    }
    return 0;
}

int aps_app_blocklist(const struct aps_config *cfg, struct aps_logger *log, char *err,
                      size_t errcap)
{
    const char *path = aps_cfg_str(cfg, APS_SET_PASSWORD_BLOCKLIST_FILE);
    if (!path || !*path || !aps_auth_blocklist_load(path))
        return 0;
    if (!strcmp(aps_cfg_str(cfg, APS_SET_ENVIRONMENT), "production")) {
        snprintf(err, errcap, "cannot read the common-password list %s (PASSWORD_BLOCKLIST_FILE)",
                 path);
        return APS_E_CONFIG;
    }
    APS_LOG(log, APS_LOG_WARNING, NULL,
            "cannot read the common-password list %s: common passwords are not refused", path);
    return 0;
}

int aps_app_open(struct aps_app *app, const struct aps_config *cfg, unsigned parts, char *err,
                 size_t errcap)
{
    memset(app, 0, sizeof *app);
    pthread_mutex_init(&app->reload_mu, NULL);
    app->cfg = cfg;
    int lvl = aps_log_level_parse(aps_cfg_str(cfg, APS_SET_LOG_LEVEL));
    app->log.level = lvl < 0 ? APS_LOG_INFO : (enum aps_log_level)lvl;
    if (parts & APS_APP_LOG_STDERR)
        app->log.out = stderr;
    name_instance(app);
    int rc = aps_app_blocklist(cfg, &app->log, err, errcap);
    if (rc)
        return rc;
    rc = open_parts(app, parts, err, errcap);
    if (rc)
        aps_app_close(app);
    return rc;
}

void aps_app_close(struct aps_app *app)
{
    aps_deps_stop(app->deps); /* first: its thread probes the store and the cache */
    app->deps = NULL;
    aps_runtime_watch_stop(app);
    if (app->queue)
        aps_queue_close(app->queue);
    if (app->rl)
        aps_ratelimit_close(app->rl);
    if (app->cache)
        aps_cache_close(app->cache);
    aps_flags_close(app->flags);
    app->flags = NULL;
    if (app->store)
        aps_store_close(app->store);
    aps_metrics_free(app->metrics);
    app->queue = NULL;
    app->rl = NULL;
    app->cache = NULL;
    app->store = NULL;
    app->metrics = NULL;
    pthread_mutex_destroy(&app->reload_mu);
}
