/* deps.c — the dependency watch of deps.h: one probe thread, a state per dependency under one
 * mutex, a log line and a counter per change. */
#include "services/deps.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"
#include "services/app.h"

struct dep_state {
    bool watched, up;
    double down_since; /* monotonic seconds; valid while !up */
    double up_since;   /* monotonic seconds of the last regain; 0: never down */
};

struct aps_deps {
    struct aps_app *app;
    int period_ms;
    pthread_mutex_t mu;  /* guards st */
    pthread_mutex_t probe_mu; /* one probe at a time, so changes are logged in order */
    struct dep_state st[APS_DEP_COUNT];
    pthread_t th;
    bool started;
    atomic_bool stop;
    struct aps_metric *m_up, *m_changes;
};

static const char *const dep_names[APS_DEP_COUNT] = {"database", "redis"};

const char *aps_dep_name(enum aps_dep dep)
{
    return dep < APS_DEP_COUNT ? dep_names[dep] : "?";
}

int aps_deps_probe_store(struct aps_store *st, enum aps_db_intent intent, double *ms,
                         bool *replica, char *err, size_t errcap)
{
    double t0 = aps_time_mono();
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(st, intent, &c);
    if (rc) {
        aps_store_last_error(st, err, errcap);
        return rc;
    }
    int64_t one = 0;
    rc = aps_conn_query_int64(c, "SELECT 1", 0, NULL, &one);
    if (rc)
        snprintf(err, errcap, "%s", aps_conn_errmsg(c));
    if (replica)
        *replica = aps_conn_is_replica(c);
    aps_store_release(c);
    *ms = (aps_time_mono() - t0) * 1000;
    return rc;
}

/* One probe of dep: 0 when it answers, else an error with its reason in err. */
static int probe(struct aps_deps *d, enum aps_dep dep, char *err, size_t errcap)
{
    double ms = 0;
    if (dep == APS_DEP_DATABASE)
        return aps_deps_probe_store(d->app->store, APS_DB_WRITE, &ms, NULL, err, errcap);
    int rc = aps_cache_ping(d->app->cache, &ms);
    if (rc)
        snprintf(err, errcap, "Redis does not answer a PING: %s", aps_strerror(rc));
    return rc;
}

/* Records the outcome of a probe; logs and counts a change of state. */
static void record(struct aps_deps *d, enum aps_dep dep, bool up, const char *why)
{
    pthread_mutex_lock(&d->mu);
    struct dep_state *s = &d->st[dep];
    bool changed = s->up != up;
    double down_for = up && changed ? aps_time_mono() - s->down_since : 0;
    if (changed) {
        s->up = up;
        if (!up)
            s->down_since = aps_time_mono();
        else
            s->up_since = aps_time_mono();
    }
    pthread_mutex_unlock(&d->mu);
    const char *labels[] = {dep_names[dep]};
    aps_metric_set(d->m_up, labels, up ? 1 : 0);
    if (!changed)
        return;
    const char *change[] = {dep_names[dep], up ? "up" : "down"};
    aps_metric_add(d->m_changes, change, 1);
    char extra[96];
    snprintf(extra, sizeof extra, "\"dependency\":\"%s\",\"state\":\"%s\"", dep_names[dep],
             up ? "up" : "down");
    if (up)
        APS_LOG(&d->app->log, APS_LOG_WARNING, extra, "dependency %s is back after %.1f s",
                dep_names[dep], down_for);
    else
        APS_LOG(&d->app->log, APS_LOG_ERROR, extra, "dependency %s is unreachable: %s",
                dep_names[dep], why);
}

bool aps_deps_check(struct aps_deps *d, enum aps_dep dep)
{
    if (!d || dep >= APS_DEP_COUNT || !d->st[dep].watched)
        return true;
    char err[256] = "";
    pthread_mutex_lock(&d->probe_mu);
    int rc = probe(d, dep, err, sizeof err);
    /* Every pooled connection busy (APS_E_TIMEOUT from the pool) is load, not an outage: the
     * state stays as it was. */
    bool up = rc == APS_E_TIMEOUT && dep == APS_DEP_DATABASE ? aps_deps_up(d, dep) : rc == 0;
    if (rc != APS_E_TIMEOUT || dep != APS_DEP_DATABASE)
        record(d, dep, up, err);
    pthread_mutex_unlock(&d->probe_mu);
    return up;
}

bool aps_deps_up(struct aps_deps *d, enum aps_dep dep)
{
    if (!d || dep >= APS_DEP_COUNT)
        return true;
    pthread_mutex_lock(&d->mu);
    bool up = !d->st[dep].watched || d->st[dep].up;
    pthread_mutex_unlock(&d->mu);
    return up;
}

double aps_deps_down_seconds(struct aps_deps *d, enum aps_dep dep)
{
    if (!d || dep >= APS_DEP_COUNT)
        return 0;
    pthread_mutex_lock(&d->mu);
    double s = d->st[dep].watched && !d->st[dep].up ? aps_time_mono() - d->st[dep].down_since : 0;
    pthread_mutex_unlock(&d->mu);
    return s;
}

double aps_deps_up_seconds(struct aps_deps *d, enum aps_dep dep)
{
    if (!d || dep >= APS_DEP_COUNT)
        return 1e9;
    pthread_mutex_lock(&d->mu);
    const struct dep_state *s = &d->st[dep];
    double t = !s->watched || (s->up && s->up_since == 0) ? 1e9
               : s->up                                  ? aps_time_mono() - s->up_since
                                                        : 0;
    pthread_mutex_unlock(&d->mu);
    return t;
}

static void *watch(void *arg)
{
    struct aps_deps *d = arg;
    while (!atomic_load(&d->stop)) {
        for (int i = 0; i < APS_DEP_COUNT; i++)
            (void)aps_deps_check(d, (enum aps_dep)i);
        /* Sleep in short steps so that stop is quick. */
        for (int waited = 0; waited < d->period_ms && !atomic_load(&d->stop); waited += 50) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int aps_deps_start(struct aps_deps **out, struct aps_app *app, int period_ms)
{
    static const char *const dep[] = {"dependency", NULL};
    static const char *const dep_state[] = {"dependency", "state", NULL};
    *out = NULL;
    if (period_ms < 50)
        return APS_E_INVAL;
    struct aps_deps *d = aps_calloc(1, sizeof *d);
    d->app = app;
    d->period_ms = period_ms;
    pthread_mutex_init(&d->mu, NULL);
    pthread_mutex_init(&d->probe_mu, NULL);
    d->st[APS_DEP_DATABASE].watched = app->store != NULL;
    d->st[APS_DEP_REDIS].watched = app->cache && aps_cache_shared(app->cache);
    for (int i = 0; i < APS_DEP_COUNT; i++)
        d->st[i].up = true; /* assumed until the first probe says otherwise */
    if (app->metrics) {
        d->m_up = aps_metrics_gauge(app->metrics, "aps_dependency_up",
                                    "1 while the dependency answers its probe, 0 while it is down",
                                    dep);
        d->m_changes = aps_metrics_counter(app->metrics, "aps_dependency_changes_total",
                                           "Dependency losses (state=down) and regains (state=up)",
                                           dep_state);
    }
    for (int i = 0; i < APS_DEP_COUNT; i++)
        (void)aps_deps_check(d, (enum aps_dep)i);
    if (pthread_create(&d->th, NULL, watch, d)) {
        aps_deps_stop(d);
        return APS_E_NOMEM;
    }
    (void)pthread_setname_np(d->th, "aps-deps");
    d->started = true;
    *out = d;
    return 0;
}

void aps_deps_stop(struct aps_deps *d)
{
    if (!d)
        return;
    atomic_store(&d->stop, true);
    if (d->started)
        pthread_join(d->th, NULL);
    pthread_mutex_destroy(&d->probe_mu);
    pthread_mutex_destroy(&d->mu);
    aps_free(d);
}
