/* deps.h — the watch over the outside services a long-running process needs: the store (the
 * database) and, when REDIS_URL is set, Redis. `aps api`, `aps worker` and `aps serve` start it.
 *
 * A thread probes each watched dependency every period (the store: SELECT 1 on a primary
 * connection; Redis: PING). Each change of state is logged once, not per request: a loss at
 * ERROR with the reason, a regain at WARNING with how long it was down. Changes are counted in
 * aps_dependency_changes_total{dependency,state} and the state is the gauge
 * aps_dependency_up{dependency}. Code that meets a failure itself calls aps_deps_check(), which
 * probes at once, so the state turns without waiting for the next period.
 *
 * States (per dependency): up ──probe fails──▶ down ──probe succeeds──▶ up (aps_deps_check and
 * the probe thread make both moves; a dependency not configured is always up). */
#ifndef APS_SERVICES_DEPS_H
#define APS_SERVICES_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "store/store.h"

struct aps_app;
struct aps_deps;

enum aps_dep { APS_DEP_DATABASE, APS_DEP_REDIS, APS_DEP_COUNT };

/* The dependency's name in logs, metrics and health ("database", "redis"). */
const char *aps_dep_name(enum aps_dep dep);

/* Starts the probe thread for app's store and (when shared) cache, probing every period_ms.
 * app must outlive the watch; aps_app_close() stops it. */
int aps_deps_start(struct aps_deps **out, struct aps_app *app, int period_ms) APS_MUST_CHECK;
void aps_deps_stop(struct aps_deps *d);
/* The last known state; true for a dependency not watched and when d is NULL. */
bool aps_deps_up(struct aps_deps *d, enum aps_dep dep);
/* Probes dep now, records (and logs) a change, and returns whether it is up. */
bool aps_deps_check(struct aps_deps *d, enum aps_dep dep);
/* Seconds since dep went down (0 while up). */
double aps_deps_down_seconds(struct aps_deps *d, enum aps_dep dep);
/* Seconds since dep came back (0 while down; 1e9 when it was never down). */
double aps_deps_up_seconds(struct aps_deps *d, enum aps_dep dep);

/* Runs SELECT 1 on a connection of the given intent; *ms is the round trip including the pool
 * checkout and *replica whether the replica answered (replica may be NULL). 0, or an error
 * with its text in err. */
int aps_deps_probe_store(struct aps_store *st, enum aps_db_intent intent, double *ms,
                         bool *replica, char *err, size_t errcap) APS_MUST_CHECK;

#endif
