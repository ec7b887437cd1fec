/* runtime.c — the settings table fed into the configuration's run-time layer (see runtime.h). */
#include "services/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "engine/elo_store.h"
#include "odds/kelly.h"
#include "services/app.h"
#include "store/store.h"

int aps_runtime_load(struct aps_conn *c, const struct aps_config *cfg, struct aps_logger *log)
{
    bool seen[APS_SET__COUNT] = {false};
    struct aps_stmt *st = NULL;
    int rc = aps_conn_prepare(c, "SELECT key, value FROM settings", &st);
    if (rc) /* before the migration that creates the table: nothing to apply */
        return 0;
    while ((rc = aps_stmt_step(st)) == APS_ROW) {
        const char *name = aps_stmt_text(st, 0), *value = aps_stmt_text(st, 1);
        int key = name ? aps_setting_find(name) : -1;
        char err[300];
        if (key < 0 || !aps_setting_is_runtime(key) || !value)
            continue;
        if (aps_config_runtime_set(cfg, key, value, err, sizeof err)) {
            if (log)
                APS_LOG(log, APS_LOG_WARNING, NULL, "run-time setting ignored: %s", err);
            continue;
        }
        seen[key] = true;
    }
    aps_stmt_finalize(st);
    if (rc != APS_DONE)
        return rc;
    for (int k = 0; k < APS_SET__COUNT; k++)
        if (!seen[k] && aps_setting_is_runtime(k))
            aps_config_runtime_clear(cfg, k);
    return 0;
}

int aps_runtime_refresh(struct aps_app *app)
{
    struct aps_conn *c = NULL;
    if (!app->store)
        return 0;
    int rc = aps_store_acquire(app->store, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = aps_runtime_load(c, app->cfg, &app->log);
    aps_store_release(c);
    return rc;
}

struct aps_runtime_watch {
    struct aps_app *app;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

static void *watch_thread(void *arg)
{
    struct aps_runtime_watch *w = arg;
    bool failing = false;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)(APS_RUNTIME_POLL_SECONDS * 1e9);
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->cv, &w->mu, &until);
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->mu);
        int rc = aps_runtime_refresh(w->app);
        if (rc && !failing) /* said once per outage, not once a second */
            APS_LOG(&w->app->log, APS_LOG_WARNING, NULL,
                    "cannot read the run-time settings: %s", aps_strerror(rc));
        failing = rc != 0;
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int aps_runtime_watch_start(struct aps_app *app)
{
    struct aps_runtime_watch *w = aps_calloc(1, sizeof *w);
    pthread_condattr_t ca;
    w->app = app;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->th, NULL, watch_thread, w)) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        aps_free(w);
        return APS_E_NOMEM;
    }
    (void)pthread_setname_np(w->th, "aps-settings");
    app->runtime_watch = w;
    return 0;
}

void aps_runtime_watch_stop(struct aps_app *app)
{
    struct aps_runtime_watch *w = app->runtime_watch;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    aps_free(w);
    app->runtime_watch = NULL;
}

/* ---- reads for the handlers ------------------------------------------------------------------ */

int aps_runtime_setting_override(struct aps_conn *c, enum aps_setting key, char *out, size_t cap)
{
    return aps_conn_query_row(c, "SELECT value FROM settings WHERE key = ?1", "s", out, cap, "s",
                              aps_setting_name(key));
}

int aps_runtime_kelly_params(struct aps_conn *c, const struct aps_config *cfg,
                             struct aps_kelly_params *kp)
{
    if (!cfg) {
        aps_kelly_params_default(kp);
        return 0;
    }
    int rc = aps_runtime_load(c, cfg, NULL);
    if (!rc)
        aps_engine_kelly_params(cfg, kp);
    return rc;
}
