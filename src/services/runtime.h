/* runtime.h — settings changed while the platform runs (settings.def column `runtime`).
 *
 * An administrator's change (PUT /api/v1/admin/settings/NAME) is one row of the settings table.
 * Every process holds the rows in its configuration's run-time layer (config.h), which every
 * reader of the setting goes through (aps_cfg_int / aps_cfg_double):
 *   - aps_app_open() loads the rows once when it opens the store;
 *   - long-running processes (api, worker, scheduler, serve) open with APS_APP_WATCH, which
 *     re-reads the table every APS_RUNTIME_POLL_SECONDS on a thread of its own, so a change made
 *     in one process reaches every other within that time;
 *   - the process that makes a change, and a job about to use the betting parameters
 *     (publishing picks), load the rows at once (aps_runtime_load).
 * Polling the table was chosen over Redis pub/sub because it works the same with and without
 * Redis, and a lost message cannot leave a process stale: the bound holds in every deployment.
 * A row that no longer passes the table's checks (a setting's bounds changed in a release) is
 * ignored with a warning and the configured value stays. A row removed clears the override. */
#ifndef APS_SERVICES_RUNTIME_H
#define APS_SERVICES_RUNTIME_H

#include <stddef.h>

#include "config/config.h"
#include "core/err.h"

struct aps_app;
struct aps_conn;
struct aps_config;
struct aps_kelly_params;
struct aps_logger;

#define APS_RUNTIME_POLL_SECONDS 1.0

/* Reads the settings table on c into cfg's run-time layer: rows set overrides, keys without a
 * row are cleared. log may be NULL. A store without the table yet is not an error. */
int aps_runtime_load(struct aps_conn *c, const struct aps_config *cfg,
                     struct aps_logger *log) APS_MUST_CHECK;
/* The same on a connection of app's store. */
int aps_runtime_refresh(struct aps_app *app) APS_MUST_CHECK;
/* Starts / stops the polling thread (app.c calls these for APS_APP_WATCH). */
int aps_runtime_watch_start(struct aps_app *app) APS_MUST_CHECK;
void aps_runtime_watch_stop(struct aps_app *app);

/* The run-time override of key from the settings table into out; APS_E_NOTFOUND when none. */
int aps_runtime_setting_override(struct aps_conn *c, enum aps_setting key, char *out,
                                 size_t cap) APS_MUST_CHECK;
/* Betting parameters as of now: the settings table read into the run-time layer
 * (aps_runtime_load), then aps_engine_kelly_params. */
int aps_runtime_kelly_params(struct aps_conn *c, const struct aps_config *cfg,
                             struct aps_kelly_params *kp) APS_MUST_CHECK;

#endif
