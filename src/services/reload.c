/* reload.c — the service side of a configuration reload (reload.h): the configuration module
 * does the reading, checking and swapping; this applies what is held outside the configuration
 * (the logger's level), audits the secret reads, logs and counts the outcome. */
#include "services/reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/leader.h"
#include "cache/queue.h"
#include "cache/ratelimit.h"
#include "core/buf.h"
#include "core/mem.h"
#include "metrics/metrics.h"
#include "services/app.h"
#include "services/audit.h"
#include "store/store.h"

json_t *aps_reload_report_json(const struct aps_config_reload_report *report)
{
    json_t *applied = json_array(), *restart = json_array();
    for (int k = 0; k < APS_SET__COUNT; k++) {
        if (report->applied[k])
            json_array_append_new(applied, json_string(aps_setting_name(k)));
        if (report->restart[k])
            json_array_append_new(restart, json_string(aps_setting_name(k)));
    }
    return json_pack("{s:o, s:o}", "applied", applied, "restart_required", restart);
}

static void count(struct aps_app *app, const char *trigger, const char *result)
{
    static const char *const labels[] = {"trigger", "result", NULL};
    struct aps_metric *m =
        aps_metrics_counter(app->metrics, "aps_config_reloads_total",
                            "configuration reloads (SIGHUP or the admin API) by outcome", labels);
    const char *values[] = {trigger, result};
    aps_metric_add(m, values, 1);
}

/* The logger's level comes from LOG_LEVEL, read once at start: set it again. */
static void apply_log_level(struct aps_app *app)
{
    int lvl = aps_log_level_parse(aps_cfg_str(app->cfg, APS_SET_LOG_LEVEL));
    if (lvl >= 0)
        app->log.level = (enum aps_log_level)lvl;
}

static void log_outcome(struct aps_app *app, const char *trigger,
                        const struct aps_config_reload_report *report)
{
    json_t *j = aps_reload_report_json(report);
    json_object_set_new(j, "trigger", json_string(trigger));
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    /* The fragment is the object without its braces. */
    struct aps_buf extra = {0};
    if (body && body[0] == '{')
        aps_buf_append(&extra, body + 1, strlen(body) - 2);
    aps_free(body); /* json_dumps text: jansson allocates through core/mem.h */
    /* Written whatever LOG_LEVEL says, as the start-up lines are. */
    aps_log_write(&app->log, report->nrestart ? APS_LOG_WARNING : APS_LOG_INFO, aps_buf_str(&extra),
                  report->nrestart ? "configuration reloaded; some changes need a restart"
                                   : "configuration reloaded");
    aps_buf_cleanup(&extra);
}

/* A new REDIS_URL moves every Redis pool of the process to it. The cache's pool goes first and
 * connects before it changes anything, so credentials that do not work refuse the reload with
 * nothing changed. */
static int switch_redis(struct aps_app *app, const struct aps_config *fresh, char *err,
                        size_t errcap)
{
    const char *was = aps_cfg_str(app->cfg, APS_SET_REDIS_URL);
    const char *url = aps_cfg_str(fresh, APS_SET_REDIS_URL);
    if ((was && *was) != (url && *url)) {
        snprintf(err, errcap, "adding or removing REDIS_URL needs a restart");
        return APS_E_CONFIG;
    }
    if (!url || !*url)
        return 0;
    int rc = aps_cache_redis_switch(app->cache, url, err, errcap);
    if (!rc)
        rc = aps_ratelimit_redis_switch(app->rl, url, err, errcap);
    if (!rc)
        rc = aps_queue_redis_switch(app->queue, url, err, errcap);
    if (!rc)
        rc = aps_leader_redis_switch(app->leader, url, err, errcap);
    if (!rc)
        rc = aps_leader_redis_switch(app->job_locks, url, err, errcap);
    return rc;
}

/* Before the new configuration takes over: a new REDIS_URL, DATABASE_URL or replica URL moves the
 * pools to it; each connects first, so credentials that do not work refuse the reload. A
 * failure after an earlier switch leaves that switch in place (it was to a working URL); the
 * next reload finds the same difference and completes it. */
static int switch_pools(void *ud, const struct aps_config *fresh,
                        const struct aps_config_reload_report *report, char *err, size_t errcap)
{
    struct aps_app *app = ud;
    if (report->applied[APS_SET_REDIS_URL]) {
        int rc = switch_redis(app, fresh, err, errcap);
        if (rc)
            return rc;
    }
    if (!app->store ||
        !(report->applied[APS_SET_DATABASE_URL] || report->applied[APS_SET_DATABASE_REPLICA_URL]))
        return 0;
    char why[512];
    int rc = aps_store_switch(app->store, aps_cfg_str(fresh, APS_SET_DATABASE_URL),
                              aps_cfg_str(fresh, APS_SET_DATABASE_REPLICA_URL), why, sizeof why);
    if (rc)
        snprintf(err, errcap, "new DATABASE_URL refused: %s", why);
    return rc;
}

int aps_app_reload(struct aps_app *app, const char *trigger,
                   struct aps_config_reload_report *report, char *err, size_t errcap)
{
    pthread_mutex_lock(&app->reload_mu); /* the scheduler's and worker's locks stay while we run */
    int rc = aps_config_reload(app->cfg, report, switch_pools, app, err, errcap);
    pthread_mutex_unlock(&app->reload_mu);
    if (rc) {
        char extra[96];
        snprintf(extra, sizeof extra, "\"trigger\":\"%s\",\"reload\":\"refused\"", trigger);
        aps_log_write(&app->log, APS_LOG_ERROR, extra, "%s", err);
        count(app, trigger, "refused");
        return rc;
    }
    apply_log_level(app);
    if (app->store && aps_audit_secret_reads_now(app->store, app->cfg, app->instance))
        APS_LOG(&app->log, APS_LOG_WARNING, NULL,
                "could not write the secret reads to the audit log");
    log_outcome(app, trigger, report);
    count(app, trigger, "applied");
    return 0;
}
