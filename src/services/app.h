/* app.h — the application context every service role shares (api, worker, scheduler, serve):
 * configuration, store, cache, rate limiter, queue, metrics and logger. Built once at start-up
 * by aps_app_open() from the configuration; read-only afterwards except for the objects' own
 * thread-safe state. No globals: handlers reach it through req->app. */
#ifndef APS_SERVICES_APP_H
#define APS_SERVICES_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/log.h"

struct aps_config;
struct aps_store;
struct aps_cache;
struct aps_ratelimit;
struct aps_queue;
struct aps_metrics;
struct aps_runtime_watch;
struct aps_deps;
struct aps_flags;
struct aps_leader;

struct aps_app {
    const struct aps_config *cfg;
    struct aps_store *store;
    struct aps_cache *cache;     /* response and object cache: in process, shared via Redis */
    struct aps_ratelimit *rl;    /* per user / API key / IP; in Redis when REDIS_URL is set */
    struct aps_queue *queue;     /* jobs: Redis Streams, or the store's jobs table */
    struct aps_metrics *metrics;
    struct aps_flags *flags;     /* feature flags (flags.h); with the store */
    struct aps_logger log;
    char instance[64];           /* host:pid, names this process in leases and logs */
    struct aps_runtime_watch *runtime_watch; /* APS_APP_WATCH: polls run-time settings */
    struct aps_deps *deps;       /* the dependency watch (deps.h) of a service; NULL otherwise */
    struct aps_leader *leader;   /* the scheduler's lock while one runs here, and the worker's */
    struct aps_leader *job_locks; /* per-job locks while it runs (a reload moves both to a new
                                   * REDIS_URL); NULL otherwise. Set and cleared under reload_mu,
                                   * which a reload holds throughout (services/reload.h) */
    pthread_mutex_t reload_mu;
    atomic_bool draining;        /* set on SIGTERM: readiness answers 503 from then on */
};

enum aps_app_parts {
    APS_APP_STORE = 1,
    APS_APP_CACHE = 2,
    APS_APP_RATELIMIT = 4,
    APS_APP_QUEUE = 8,
    APS_APP_ALL = 15,
    APS_APP_MIGRATE = 16, /* apply pending migrations right after opening the store */
    APS_APP_WATCH = 32,   /* keep the run-time settings current (services/runtime.h) */
    /* serving API requests: short reads many times a second, so PostgreSQL plans each prepared
     * statement once (aps_store_opts.generic_plans) */
    APS_APP_SERVING = 64,
    /* a one-shot command whose standard output is its result: log lines go to stderr */
    APS_APP_LOG_STDERR = 128
};

/* Opens the parts asked for; with the store, loads the run-time settings once (and keeps them
 * current with APS_APP_WATCH). On failure closes what it opened and writes one line to err. */
int aps_app_open(struct aps_app *app, const struct aps_config *cfg, unsigned parts, char *err,
                 size_t errcap) APS_MUST_CHECK;
void aps_app_close(struct aps_app *app);
/* Loads the common-password list (PASSWORD_BLOCKLIST_FILE) for the password policy; a list that
 * cannot be read is an error in production (one line in err), a warning elsewhere. aps_app_open
 * calls it; so does every command that checks a password without an app. */
int aps_app_blocklist(const struct aps_config *cfg, struct aps_logger *log, char *err,
                      size_t errcap) APS_MUST_CHECK;

#endif
