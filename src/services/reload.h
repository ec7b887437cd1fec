/* reload.h — reloading a running process's configuration without a restart (SIGHUP, or POST
 * /api/v1/admin/config/reload). aps_app_reload re-reads config/<ENVIRONMENT>.env and the
 * secrets directory through aps_config_reload (config.h): everything is checked first with the
 * start-up code, and a bad value is refused whole with the start-up's one-line message, logged,
 * while the old configuration stays in force. On success the live settings take their new
 * values (log level, TTLs, rate limits, provider keys, JWT keys, betting parameters, retention;
 * new DATABASE_URL / REDIS_URL credentials move the pools, which connect first),
 * the others are logged as needing a restart, and the secret files just read are written to the
 * audit log (which secret, which process, never the value). */
#ifndef APS_SERVICES_RELOAD_H
#define APS_SERVICES_RELOAD_H

#include <jansson.h>
#include <stddef.h>

#include "config/config.h"
#include "core/err.h"

struct aps_app;

/* trigger names the cause in the log line and the metric ("SIGHUP", "api"). Returns 0 (report
 * filled) or APS_E_CONFIG with the one-line message in err; both outcomes are logged and counted
 * in aps_config_reloads_total{trigger,result}. */
int aps_app_reload(struct aps_app *app, const char *trigger,
                   struct aps_config_reload_report *report, char *err,
                   size_t errcap) APS_MUST_CHECK;

/* {"applied": [names], "restart_required": [names]} of a report (new reference). */
json_t *aps_reload_report_json(const struct aps_config_reload_report *report);

#endif
