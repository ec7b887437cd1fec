/* reload.c — the service side of a configuration reload (reload.h): the configuration module
 * does the reading, checking and swapping; this applies what is held outside the configuration
 * (the logger's level), audits the secret reads, logs and counts the outcome. */
#include "services/reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
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
    struct aps_metric *m = aps_metrics_counter(
        app->metrics, "aps_config_reloads_total",
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
    free(body);
    /* Written whatever LOG_LEVEL says, as the start-up lines are. */
    aps_log_write(&app->log, report->nrestart ? APS_LOG_WARNING : APS_LOG_INFO,
                  aps_buf_str(&extra),
                  report->nrestart ? "configuration reloaded; some changes need a restart"
                                   : "configuration reloaded");
    aps_buf_cleanup(&extra);
}

/* Before the new configuration takes over: a new DATABASE_URL (or replica URL) moves the store's
 * pools to it, which connects first, so credentials that do not work refuse the reload. */
static int switch_store(void *ud, const struct aps_config *fresh,
                        const struct aps_config_reload_report *report, char *err, size_t errcap)
{
    struct aps_app *app = ud;
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
    int rc = aps_config_reload(app->cfg, report, switch_store, app, err, errcap);
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
