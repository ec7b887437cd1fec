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
#include "metrics/metrics.h"
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

static int open_parts(struct aps_app *app, unsigned parts, char *err, size_t errcap)
{
    int rc = aps_metrics_new(&app->metrics);
    if (rc) {
        snprintf(err, errcap, "cannot create the metrics registry");
        return rc;
    }
    if (parts & APS_APP_STORE) {
        rc = aps_store_open_config(&app->store, app->cfg, (parts & APS_APP_SERVING) != 0,
                                   err, errcap);
        if (rc)
            return rc;
        if (parts & APS_APP_MIGRATE) {
            rc = migrate(app, err, errcap);
            if (rc)
                return rc;
        }
    }
    if (parts & APS_APP_CACHE) {
        rc = aps_cache_open(&app->cache, app->cfg, app->metrics, err, errcap);
        if (rc)
            return rc;
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

int aps_app_open(struct aps_app *app, const struct aps_config *cfg, unsigned parts, char *err,
                 size_t errcap)
{
    memset(app, 0, sizeof *app);
    app->cfg = cfg;
    int lvl = aps_log_level_parse(aps_cfg_str(cfg, APS_SET_LOG_LEVEL));
    app->log.level = lvl < 0 ? APS_LOG_INFO : (enum aps_log_level)lvl;
    name_instance(app);
    int rc = open_parts(app, parts, err, errcap);
    if (rc)
        aps_app_close(app);
    return rc;
}

void aps_app_close(struct aps_app *app)
{
    if (app->queue)
        aps_queue_close(app->queue);
    if (app->rl)
        aps_ratelimit_close(app->rl);
    if (app->cache)
        aps_cache_close(app->cache);
    if (app->store)
        aps_store_close(app->store);
    aps_metrics_free(app->metrics);
    app->queue = NULL;
    app->rl = NULL;
    app->cache = NULL;
    app->store = NULL;
    app->metrics = NULL;
}
