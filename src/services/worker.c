/* worker.c — the worker pool of worker.h: job threads (claim, run, ack or fail), the supervisor
 * (heartbeats, timeouts, queue gauges) and the small /health and /metrics listener. */
#include "services/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/leader.h"
#include "cache/queue.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "http/http.h"
#include "ingest/collect.h"
#include "metrics/metrics.h"
#include "services/app.h"
#include "services/app_metrics.h"
#include "services/deps.h"
#include "services/job_status.h"
#include "services/jobs.h"

#define SUPERVISE_MS 200      /* supervisor period */
#define STATS_EVERY_MS 5000   /* queue depth gauges refresh */
#define QUEUE_ERROR_PAUSE_MS 1000
#define STOP_GRACE_S 2         /* after release, how long a handler may take to return */
#define SETTLE_RETRY_MS 500    /* a finished job's ack/fail/release retried while the queue is down */
#define OUTAGE_POLL_MS 200     /* how often a paused worker looks at the database's state */
#define REPEAT_LOG_MS 30000    /* a queue failure that lasts is logged again this often */
/* After the database comes back, claims wait this long, so the jobs held through the outage are
 * settled by their own threads before anyone else's claim could take over an expired lease. */
#define RESUME_GRACE_S 2.0

struct slot {
    pthread_mutex_t mu;
    struct aps_worker *w;
    pthread_t th;
    bool started;
    char consumer[64];
    struct aps_collector col;
    struct aps_job job;
    bool busy;                /* holds a claimed job */
    bool timed_out, released; /* the supervisor or stop settled it: the handler's result is moot */
    bool finished;            /* the handler returned: only the settling is left (no timeout) */
    bool vanish_logged;       /* the job's entry was found gone and that was logged */
    bool lease_lost;          /* another worker holds the job now: its lease is not renewed */
    int64_t started_ms, renewed_ms, timeout_ms;
    int64_t renew_failed_ms, renew_logged_ms; /* lease renewals failing since (0: they work) */
};

struct aps_worker {
    struct aps_app *app;
    struct aps_worker_opts o;
    struct aps_leader *locks;
    struct slot *slots;
    pthread_t sup;
    bool sup_started;
    atomic_bool stopping, sup_stop;
    atomic_int running;
    atomic_bool queue_ok;     /* the last claim reached the queue */
    atomic_bool paused;       /* claiming paused while the database is down */
    atomic_int unsettled;     /* finished jobs whose result the queue has not taken yet */
    /* Since when claims fail, and when that was last logged (monotonic ms; queue_error). */
    atomic_llong claim_failed_ms, claim_logged_ms;
    pthread_mutex_t stats_mu;
    struct aps_worker_stats st;
    struct aps_http_server *http;
    struct aps_metric *m_seconds, *m_running, *m_timeouts, *m_warnings, *m_queue_errors;
    struct aps_metric *m_unsettled;
};

static int64_t mono_ms(void)
{
    return (int64_t)(aps_time_mono() * 1000.0);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

enum aps_worker_action aps_worker_action(int64_t now_ms, int64_t started_ms, int64_t timeout_ms,
                                         int64_t renewed_ms, int64_t lease_ms)
{
    if (now_ms - started_ms >= timeout_ms)
        return APS_WORKER_TIMEOUT;
    if (now_ms - renewed_ms >= lease_ms / 3)
        return APS_WORKER_EXTEND;
    return APS_WORKER_WAIT;
}

void aps_worker_opts_default(struct aps_worker_opts *o, const struct aps_config *cfg)
{
    memset(o, 0, sizeof *o);
    o->threads = (int)aps_cfg_int(cfg, APS_SET_WORKER_THREADS);
    o->lease_ms = aps_cfg_int(cfg, APS_SET_WORKER_LEASE_SECONDS) * 1000;
    o->drain_ms = aps_cfg_int(cfg, APS_SET_WORKER_DRAIN_SECONDS) * 1000;
    o->block_ms = 1000;
    o->table = aps_jobs_table(&o->njobs);
    o->http_port = (int)aps_cfg_int(cfg, APS_SET_WORKER_PORT);
}

static void count(struct aps_worker *w, uint64_t *field)
{
    pthread_mutex_lock(&w->stats_mu);
    ++*field;
    pthread_mutex_unlock(&w->stats_mu);
}

/* ---- one job ------------------------------------------------------------------------------- */

/* The fields every log line about a job's end starts with: job, id, attempt, outcome. Past its
 * max_attempts a failed job is retried on the retry budget (cache/queue.h), so the line says
 * until when ("retries_until") instead of a maximum the attempt is over. */
static void job_fields(struct aps_worker *w, struct aps_buf *b, const struct aps_job *j,
                       const char *outcome)
{
    aps_buf_printf(b, "\"job\":\"%s\",\"id\":\"", j->name);
    aps_json_escape(b, j->id);
    aps_buf_printf(b, "\",\"attempt\":%d", j->attempts);
    if (j->attempts <= j->max_attempts) {
        aps_buf_printf(b, ",\"max_attempts\":%d", j->max_attempts);
    } else {
        char until[32];
        aps_time_format_iso(aps_queue_retry_until_ms(w->app->queue, j) / 1000, until, sizeof until);
        aps_buf_printf(b, ",\"retries_until\":\"%s\"", until);
    }
    aps_buf_printf(b, ",\"outcome\":\"%s\"", outcome);
}

/* The worker's log line for a finished run: one JSON line with the handler's fields. */
static void log_run(struct aps_worker *w, const struct aps_job *j, struct aps_job_run *r,
                    int rc, const char *outcome, double ms, bool outage)
{
    struct aps_buf b = {0};
    const char *error = rc ? r->err : NULL;
    /* Waiting for another run's lock is routine, a run cut short by a database outage is
     * requeued (the outage itself was logged once, at ERROR), and a refused request is its
     * requester's to mend: warnings, not errors. */
    enum aps_log_level lvl = r->contended || outage || r->refused ? APS_LOG_WARNING
                             : error                              ? APS_LOG_ERROR
                             : r->warn[0] || j->vanished          ? APS_LOG_WARNING
                                                                  : APS_LOG_INFO;
    job_fields(w, &b, j, outcome);
    aps_buf_printf(&b, ",\"ms\":%.1f", ms);
    aps_buf_puts(&b, aps_buf_str(&r->fields));
    if (j->vanished) /* the queue had lost the job's entry: done, or put back from this copy */
        aps_buf_puts(&b, ",\"vanished\":true");
    if (error && r->rejected) /* the payload can never work: dead at once, not retried */
        aps_buf_puts(&b, ",\"rejected\":true");
    if (r->warn[0] || error) {
        aps_buf_puts(&b, error ? ",\"error\":\"" : ",\"warning\":\"");
        aps_json_escape(&b, error ? error : r->warn);
        aps_buf_putc(&b, '"');
    }
    APS_LOG(&w->app->log, lvl, aps_buf_str(&b), "job %s %s", j->name, outcome);
    aps_buf_cleanup(&b);
}

/* Settles the job after its handler returned (under the slot lock): ack, fail, release (a
 * failure during a database outage is not the job's: its attempt is given back), reject (a
 * payload that can never work goes dead at once), refuse (a user's request that cannot run ends
 * at once, its requester told), or nothing when the supervisor or stop already settled it.
 * *qrc is the queue's answer. Returns the outcome word for the log. */
static const char *settle(struct slot *s, int rc, const struct aps_job_run *r, bool outage,
                          int *qrc)
{
    struct aps_worker *w = s->w;
    *qrc = 0;
    if (s->timed_out || s->released)
        return s->timed_out ? "timeout_discarded" : "released";
    if (!rc || (r->refused && !outage)) {
        *qrc = rc ? aps_queue_refuse(w->app->queue, &s->job)
                  : aps_queue_ack(w->app->queue, &s->job);
        return *qrc == APS_E_STATE ? "lost" : *qrc ? "ack_failed" : rc ? "refused" : "ok";
    }
    if (outage) {
        *qrc = aps_queue_release(w->app->queue, &s->job);
        return *qrc == APS_E_STATE ? "lost" : *qrc ? "release_failed" : "requeued_outage";
    }
    *qrc = r->rejected ? aps_queue_reject(w->app->queue, &s->job, r->err)
                       : aps_queue_fail(w->app->queue, &s->job, r->err);
    return *qrc == APS_E_STATE ? "lost"
           : *qrc              ? "fail_failed"
           : s->job.dead_lettered ? "dead"
                                  : "retry";
}

/* Waits (off the slot lock) until the database answers again, or the worker stops. */
static void wait_for_database(struct aps_worker *w)
{
    while (!atomic_load(&w->stopping) && !aps_deps_up(w->app->deps, APS_DEP_DATABASE))
        sleep_ms(OUTAGE_POLL_MS);
}

/* Jobs started through the API carry requested_by and have a job_status row to keep current. */
static void follow(struct aps_worker *w, const struct aps_job *job, const char *state,
                   const char *error)
{
    if (!w->app->store || !job->payload || !strstr(job->payload, "\"requested_by\""))
        return;
    int rc = aps_job_status_update(w->app->store, job->id, state, job->attempts, error,
                                   aps_time_now());
    if (rc)
        APS_LOG(&w->app->log, APS_LOG_WARNING, NULL, "job %s: status %s not recorded: %s", job->id,
                state, aps_strerror(rc));
}

/* The queue refused a finished job's result (under the slot lock): the first time and every
 * REPEAT_LOG_MS after, one ERROR line; every refusal counts in aps_worker_queue_errors_total,
 * and the job counts in aps_worker_jobs_unsettled (and /health) until the queue takes it. */
static void settle_refused(struct slot *s, const char *outcome, int qrc, int64_t *since,
                           int64_t *logged)
{
    struct aps_worker *w = s->w;
    int64_t now = mono_ms();
    aps_metric_add(w->m_queue_errors, NULL, 1);
    if (!*since) {
        *since = now;
        atomic_fetch_add(&w->unsettled, 1);
        aps_metric_add(w->m_unsettled, NULL, 1);
    }
    if (*logged && now - *logged < REPEAT_LOG_MS)
        return;
    *logged = now;
    char extra[256];
    snprintf(extra, sizeof extra,
             "\"job\":\"%s\",\"id\":\"%.40s\",\"outcome\":\"%s\",\"for_s\":%lld", s->job.name,
             s->job.id, outcome, (long long)((now - *since) / 1000));
    APS_LOG(&w->app->log, APS_LOG_ERROR, extra,
            "job %s %s finished but the queue did not take its result: %s; retrying every %d ms",
            s->job.name, s->job.id, aps_strerror(qrc), SETTLE_RETRY_MS);
}

/* The queue took (or stop gave up) a result it had refused: logged, and no longer unsettled. */
static void settle_taken(struct slot *s, int qrc, int64_t since)
{
    struct aps_worker *w = s->w;
    atomic_fetch_sub(&w->unsettled, 1);
    aps_metric_add(w->m_unsettled, NULL, -1);
    APS_LOG(&w->app->log, APS_LOG_WARNING, NULL, "job %s %s: result %s after %.1f s", s->job.name,
            s->job.id, qrc && qrc != APS_E_STATE ? "given up at stop" : "taken by the queue",
            (double)(mono_ms() - since) / 1000.0);
}

static void run_job(struct slot *s)
{
    struct aps_worker *w = s->w;
    follow(w, &s->job, "running", NULL);
    const struct aps_job_def *d = aps_jobs_find(w->o.table, w->o.njobs, s->job.name);
    struct aps_job_run r = {.app = w->app, .col = &s->col, .locks = w->locks, .id = s->job.id,
                            .attempt = s->job.attempts};
    double t0 = aps_time_mono();
    int rc;
    if (d) {
        rc = aps_jobs_exec(d, s->job.payload, &r);
    } else {
        rc = APS_E_NOTFOUND;
        snprintf(r.err, sizeof r.err, "no job named %s in this worker's table", s->job.name);
    }
    double ms = (aps_time_mono() - t0) * 1000.0;
    const char *labels[] = {s->job.name};
    aps_metric_observe(w->m_seconds, labels, ms / 1000.0);
    if (r.warn[0])
        aps_metric_add(w->m_warnings, labels, 1);
    /* A failure while the database is down says nothing about the job: give the attempt back
     * once the database answers again (a fresh probe, not the last known state). */
    bool outage = rc && !aps_deps_check(w->app->deps, APS_DEP_DATABASE);
    pthread_mutex_lock(&s->mu);
    s->finished = true;
    pthread_mutex_unlock(&s->mu);
    if (outage)
        wait_for_database(w);
    const char *outcome;
    int qrc;
    int64_t refused_ms = 0, logged_ms = 0;
    for (;;) { /* the queue may be down too: keep the result until it answers, or stop */
        pthread_mutex_lock(&s->mu);
        outcome = settle(s, rc, &r, outage, &qrc);
        if (!qrc || qrc == APS_E_STATE || atomic_load(&w->stopping))
            break;
        settle_refused(s, outcome, qrc, &refused_ms, &logged_ms);
        pthread_mutex_unlock(&s->mu);
        sleep_ms(SETTLE_RETRY_MS);
    }
    if (refused_ms)
        settle_taken(s, qrc, refused_ms);
    if (!s->timed_out && !s->released) /* else the supervisor or stop counted it */
        count(w, qrc ? &w->st.lost : outage ? &w->st.released : rc ? &w->st.failed : &w->st.ok);
    if (!strcmp(outcome, "ok"))
        follow(w, &s->job, "succeeded", NULL);
    else if (!strcmp(outcome, "retry") || !strcmp(outcome, "requeued_outage"))
        follow(w, &s->job, "queued", r.err);
    else if (!strcmp(outcome, "dead") || !strcmp(outcome, "refused"))
        follow(w, &s->job, "failed", r.err);
    log_run(w, &s->job, &r, rc, outcome, ms, outage);
    s->busy = false;
    aps_job_cleanup(&s->job);
    pthread_mutex_unlock(&s->mu);
    aps_job_run_cleanup(&r);
}

/* A failed claim: logged when claims start failing and every REPEAT_LOG_MS while they go on
 * (one line for all threads), counted, and shown by /health. */
static void queue_error(struct aps_worker *w, int rc)
{
    int64_t now = mono_ms();
    bool was_ok = atomic_exchange(&w->queue_ok, false);
    aps_metric_add(w->m_queue_errors, NULL, 1);
    if (was_ok) {
        atomic_store(&w->claim_failed_ms, now);
        atomic_store(&w->claim_logged_ms, now);
        APS_LOG(&w->app->log, APS_LOG_ERROR, NULL, "job queue unreachable: %s", aps_strerror(rc));
    } else {
        long long last = atomic_load(&w->claim_logged_ms);
        if (now - last >= REPEAT_LOG_MS &&
            atomic_compare_exchange_strong(&w->claim_logged_ms, &last, now))
            APS_LOG(&w->app->log, APS_LOG_ERROR, NULL,
                    "job queue still failing claims after %lld s: %s",
                    (long long)((now - atomic_load(&w->claim_failed_ms)) / 1000), aps_strerror(rc));
    }
    sleep_ms(QUEUE_ERROR_PAUSE_MS);
}

/* Claims pause while the database is down (a job would only fail and burn an attempt), or
 * Redis when the queue is there, and for RESUME_GRACE_S after it returns: the jobs held through
 * the outage are settled by their own threads first, before another claim could take over a
 * lease that lapsed meanwhile and run the job again. NULL when claims may go on, else the
 * dependency that holds them. */
static const char *claims_held_by(struct aps_worker *w)
{
    struct aps_deps *d = w->app->deps;
    if (aps_deps_up_seconds(d, APS_DEP_DATABASE) < RESUME_GRACE_S)
        return "the database";
    if (!strcmp(aps_queue_backend(w->app->queue), "redis") &&
        aps_deps_up_seconds(d, APS_DEP_REDIS) < RESUME_GRACE_S)
        return "Redis";
    return NULL;
}

/* claims_held_by(), with the change logged once per worker. */
static bool claim_allowed(struct aps_worker *w)
{
    const char *held = claims_held_by(w);
    bool was_paused = atomic_exchange(&w->paused, held != NULL);
    if (was_paused != (held != NULL)) {
        if (held)
            APS_LOG(&w->app->log, APS_LOG_ERROR, NULL, "claiming paused: %s is unreachable", held);
        else
            APS_LOG(&w->app->log, APS_LOG_WARNING, NULL, "claiming resumed");
    }
    return !held;
}

static void *job_thread(void *arg)
{
    struct slot *s = arg;
    struct aps_worker *w = s->w;
    while (!atomic_load(&w->stopping)) {
        if (!claim_allowed(w)) {
            sleep_ms(OUTAGE_POLL_MS);
            continue;
        }
        struct aps_job job;
        int rc = aps_queue_claim(w->app->queue, s->consumer, w->o.lease_ms, w->o.block_ms, &job);
        if (rc && rc != APS_E_NOTFOUND) {
            queue_error(w, rc);
            continue;
        }
        if (!atomic_exchange(&w->queue_ok, true))
            APS_LOG(&w->app->log, APS_LOG_WARNING, NULL, "job queue reachable again");
        if (rc == APS_E_NOTFOUND)
            continue;
        if (atomic_load(&w->stopping)) { /* claimed while stopping: give it straight back */
            if (aps_queue_release(w->app->queue, &job))
                APS_LOG(&w->app->log, APS_LOG_WARNING, NULL,
                        "job %s %s: release failed; its lease will lapse", job.name, job.id);
            aps_job_cleanup(&job);
            break;
        }
        const struct aps_job_def *d = aps_jobs_find(w->o.table, w->o.njobs, job.name);
        pthread_mutex_lock(&s->mu);
        s->job = job;
        s->busy = true;
        s->timed_out = s->released = s->finished = s->vanish_logged = s->lease_lost = false;
        s->started_ms = s->renewed_ms = mono_ms();
        s->renew_failed_ms = s->renew_logged_ms = 0;
        s->timeout_ms = (int64_t)(d ? d->timeout_s : 60) * 1000;
        pthread_mutex_unlock(&s->mu);
        atomic_fetch_add(&w->running, 1);
        aps_metric_add(w->m_running, NULL, 1);
        APS_LOG(&w->app->log, APS_LOG_DEBUG, NULL, "job %s %s claimed by %s (attempt %d)",
                s->job.name, s->job.id, s->consumer, s->job.attempts);
        run_job(s);
        aps_metric_add(w->m_running, NULL, -1);
        atomic_fetch_sub(&w->running, 1);
    }
    return NULL;
}

/* ---- supervisor ---------------------------------------------------------------------------- */

/* A lease renewal failed (the queue did not answer or refused the write): logged at the first
 * failure and every REPEAT_LOG_MS while they go on, and counted. */
static void renew_failed(struct slot *s, int rc, int64_t now)
{
    struct aps_worker *w = s->w;
    aps_metric_add(w->m_queue_errors, NULL, 1);
    if (!s->renew_failed_ms)
        s->renew_failed_ms = now;
    if (s->renew_logged_ms && now - s->renew_logged_ms < REPEAT_LOG_MS)
        return;
    s->renew_logged_ms = now;
    APS_LOG(&w->app->log, APS_LOG_ERROR, NULL,
            "job %s %s: lease not renewed for %lld s: %s; it lapses %lld s after the last renewal",
            s->job.name, s->job.id, (long long)((now - s->renew_failed_ms) / 1000),
            aps_strerror(rc), (long long)(w->o.lease_ms / 1000));
}

static void supervise_slot(struct slot *s, int64_t now)
{
    struct aps_worker *w = s->w;
    pthread_mutex_lock(&s->mu);
    if (!s->busy || s->timed_out || s->released) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    enum aps_worker_action a =
        aps_worker_action(now, s->started_ms, s->timeout_ms, s->renewed_ms, w->o.lease_ms);
    if (a == APS_WORKER_TIMEOUT && s->finished) /* only its settling is left: keep the lease */
        a = now - s->renewed_ms >= w->o.lease_ms / 3 ? APS_WORKER_EXTEND : APS_WORKER_WAIT;
    if (a == APS_WORKER_EXTEND && s->lease_lost) {
        /* another worker runs it: nothing to renew (this run's result will be refused) */
    } else if (a == APS_WORKER_EXTEND) {
        int rc = aps_queue_extend(w->app->queue, &s->job, w->o.lease_ms);
        if (!rc)
            s->renewed_ms = now;
        if (!rc || rc == APS_E_STATE)
            s->renew_failed_ms = 0;
        s->lease_lost = rc == APS_E_STATE;
        if (rc == APS_E_STATE)
            APS_LOG(&w->app->log, APS_LOG_WARNING, NULL,
                    "job %s %s: lease lost to another worker", s->job.name, s->job.id);
        else if (rc)
            renew_failed(s, rc, now);
        if (!rc && s->job.vanished && !s->vanish_logged) {
            s->vanish_logged = true;
            APS_LOG(&w->app->log, APS_LOG_WARNING, NULL,
                    "job %s %s: its queue entry is gone (the queue lost its data); it runs on and"
                    " is put back if it fails",
                    s->job.name, s->job.id);
        }
    } else if (a == APS_WORKER_TIMEOUT) {
        char why[96];
        snprintf(why, sizeof why, "timed out after %lld s", (long long)(s->timeout_ms / 1000));
        int rc = aps_queue_fail(w->app->queue, &s->job, why);
        s->timed_out = true;
        count(w, &w->st.timed_out);
        const char *labels[] = {s->job.name};
        aps_metric_add(w->m_timeouts, labels, 1);
        APS_LOG(&w->app->log, APS_LOG_ERROR, NULL, "job %s %s %s; %s", s->job.name, s->job.id, why,
                rc                     ? "its lease will lapse"
                : s->job.dead_lettered ? "dead: out of attempts"
                                       : "retried later");
        if (!rc) /* the handler's result will be discarded: its status is settled here */
            follow(w, &s->job, s->job.dead_lettered ? "failed" : "queued", why);
    }
    pthread_mutex_unlock(&s->mu);
}

static void *supervisor(void *arg)
{
    struct aps_worker *w = arg;
    int64_t last_stats = 0;
    while (!atomic_load(&w->sup_stop)) {
        int64_t now = mono_ms();
        for (int i = 0; i < w->o.threads; i++)
            supervise_slot(&w->slots[i], now);
        if (now - last_stats >= STATS_EVERY_MS) {
            struct aps_queue_stats qs;
            /* Sets the depth gauges; an unreachable queue shows in the claims instead. */
            int rc = aps_queue_stats(w->app->queue, &qs);
            (void)rc;
            last_stats = now;
        }
        sleep_ms(SUPERVISE_MS);
    }
    return NULL;
}

/* ---- /health and /metrics ------------------------------------------------------------------ */

/* 503 while the queue does not answer (nothing can be claimed); "degraded" (200: a restart
 * would not help) while the database is down (claiming paused), while claims fail although the
 * queue answers its reads (a full disk), or while finished jobs wait for the queue to take their
 * result (unsettled). */
static int health(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_worker *w = req->app;
    struct aps_queue_stats qs;
    int rc = aps_queue_stats(w->app->queue, &qs);
    bool db_up = aps_deps_up(w->app->deps, APS_DEP_DATABASE);
    bool claims_ok = atomic_load(&w->queue_ok);
    int unsettled = atomic_load(&w->unsettled);
    struct aps_worker_stats ws;
    aps_worker_stats(w, &ws);
    const char *status = rc                                      ? "unhealthy"
                         : !db_up || !claims_ok || unsettled > 0 ? "degraded"
                                                                 : "ok";
    json_t *j = json_pack("{s:s,s:s,s:b,s:b,s:b,s:b,s:i,s:i,s:i}", "status", status, "queue",
                          aps_queue_backend(w->app->queue), "queue_reachable", rc == 0,
                          "database_reachable", db_up, "claiming", claims_held_by(w) == NULL,
                          "claims_failing", !claims_ok, "threads", w->o.threads, "running",
                          ws.running, "unsettled", unsettled);
    if (!rc)
        json_object_set_new(j, "depth", json_pack("{s:I,s:I,s:I,s:I,s:f}", "ready",
                                                  (json_int_t)qs.ready, "leased",
                                                  (json_int_t)qs.leased, "delayed",
                                                  (json_int_t)qs.delayed, "dead",
                                                  (json_int_t)qs.dead, "oldest_age_seconds",
                                                  qs.oldest_age_s));
    res->no_cache = true;
    return aps_http_json(res, rc ? 503 : 200, j);
}

static int metrics(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_worker *w = req->app;
    return aps_app_metrics_respond(w->app, req, res);
}

static const struct aps_route worker_routes[] = {
    {"GET", "/health", health, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "health", "queue reachable", NULL, NULL, NULL, NULL},
    {"GET", "/metrics", metrics, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "health", "Prometheus", NULL, NULL, NULL, NULL},
};

static int start_http(struct aps_worker *w, char *err, size_t errcap)
{
    struct aps_http_server_opts ho = {.host = w->o.http_host, .port = w->o.http_port,
                                      .threads = 2, .routes = worker_routes,
                                      .nroutes = sizeof worker_routes / sizeof worker_routes[0],
                                      .metrics = NULL, .log = NULL, .app = w};
    return aps_http_server_start(&w->http, &ho, err, errcap);
}

/* ---- start and stop ------------------------------------------------------------------------ */

static void register_metrics(struct aps_worker *w)
{
    static const char *const name[] = {"name", NULL};
    static const double buckets[] = {0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800};
    struct aps_metrics *m = w->app->metrics;
    if (!m)
        return;
    w->m_seconds = aps_metrics_histogram(m, "aps_worker_job_duration_seconds",
                                         "Job handler run time", name, buckets,
                                         sizeof buckets / sizeof buckets[0]);
    w->m_running = aps_metrics_gauge(m, "aps_worker_jobs_running", "Jobs running now", NULL);
    w->m_timeouts = aps_metrics_counter(m, "aps_worker_job_timeouts_total",
                                        "Jobs failed for running past their timeout", name);
    w->m_warnings = aps_metrics_counter(m, "aps_worker_job_warnings_total",
                                        "Jobs that succeeded with a warning (skipped, rejected)",
                                        name);
    w->m_queue_errors = aps_metrics_counter(m, "aps_worker_queue_errors_total",
                                            "Failed queue calls: claims, lease renewals, results"
                                            " of finished jobs (each retry counts)",
                                            NULL);
    w->m_unsettled = aps_metrics_gauge(m, "aps_worker_jobs_unsettled",
                                       "Finished jobs whose result the queue has not taken yet",
                                       NULL);
    aps_metric_set(w->m_unsettled, NULL, 0); /* shown from the start, not only once it moved */
}

static int start_threads(struct aps_worker *w, char *err, size_t errcap)
{
    for (int i = 0; i < w->o.threads; i++) {
        struct slot *s = &w->slots[i];
        if (pthread_create(&s->th, NULL, job_thread, s)) {
            snprintf(err, errcap, "cannot start worker thread %d", i);
            return APS_E_NOMEM;
        }
        char name[16];
        snprintf(name, sizeof name, "aps-job-%d", i % 1000);
        (void)pthread_setname_np(s->th, name);
        s->started = true;
    }
    if (pthread_create(&w->sup, NULL, supervisor, w)) {
        snprintf(err, errcap, "cannot start the worker supervisor");
        return APS_E_NOMEM;
    }
    (void)pthread_setname_np(w->sup, "aps-supervisor");
    w->sup_started = true;
    return 0;
}

/* A job a claim dead-lettered because its lease expired on its last attempt (its worker died
 * or stalled): the same line as a finished run's, and its status. */
static void expired_dead(struct aps_worker *w, const struct aps_job *j)
{
    struct aps_buf b = {0};
    job_fields(w, &b, j, "dead");
    aps_buf_puts(&b, ",\"error\":\"");
    aps_json_escape(&b, j->error);
    aps_buf_putc(&b, '"');
    APS_LOG(&w->app->log, APS_LOG_ERROR, aps_buf_str(&b), "job %s dead", j->name);
    aps_buf_cleanup(&b);
    follow(w, j, "failed", j->error);
}

/* The queue's events (cache/queue.h), on the thread of the call that met them. */
static void queue_event(void *arg, enum aps_queue_event ev, const struct aps_job *job)
{
    struct aps_worker *w = arg;
    if (ev == APS_QUEUE_EXPIRED_DEAD)
        expired_dead(w, job);
    else if (ev == APS_QUEUE_GROUP_LOST)
        APS_LOG(&w->app->log, APS_LOG_ERROR, NULL,
                "job queue: Redis had lost its consumer group (restarted without its data?);"
                " made it again. Jobs that waited in Redis are gone; jobs held by workers are put"
                " back when they fail or are released");
}

static void init_slots(struct aps_worker *w)
{
    struct aps_app *app = w->app;
    w->slots = aps_calloc((size_t)w->o.threads, sizeof *w->slots);
    for (int i = 0; i < w->o.threads; i++) {
        struct slot *s = &w->slots[i];
        pthread_mutex_init(&s->mu, NULL);
        s->w = w;
        snprintf(s->consumer, sizeof s->consumer, "%.50s/%d", app->instance, i);
        aps_collector_init(&s->col, app->cfg, app->store, app->metrics);
    }
}

int aps_worker_start(struct aps_worker **out, struct aps_app *app,
                     const struct aps_worker_opts *o, char *err, size_t errcap)
{
    *out = NULL;
    if (!app->queue || !app->store || o->threads < 1 || o->lease_ms < 3 || !o->table) {
        snprintf(err, errcap, "worker: needs the store, the queue and at least one thread");
        return APS_E_INVAL;
    }
    struct aps_worker *w = aps_calloc(1, sizeof *w);
    w->app = app;
    w->o = *o;
    atomic_init(&w->queue_ok, true);
    pthread_mutex_init(&w->stats_mu, NULL);
    char why[256];
    if (aps_leader_open(&w->locks, app->cfg, app->store, why, sizeof why)) {
        APS_LOG(&app->log, APS_LOG_WARNING, NULL, "job locks unavailable: %s", why);
        w->locks = NULL;
    }
    register_metrics(w);
    init_slots(w);
    aps_queue_observe(app->queue, queue_event, w);
    int rc = o->http_host ? start_http(w, err, errcap) : 0;
    if (!rc)
        rc = start_threads(w, err, errcap);
    if (rc) {
        (void)aps_worker_stop(w);
        return rc;
    }
    pthread_mutex_lock(&app->reload_mu); /* a configuration reload may move them to a new REDIS_URL */
    app->job_locks = w->locks;
    pthread_mutex_unlock(&app->reload_mu);
    *out = w;
    return 0;
}

int aps_worker_http_port(const struct aps_worker *w)
{
    return w && w->http ? aps_http_server_port(w->http) : 0;
}

void aps_worker_stats(struct aps_worker *w, struct aps_worker_stats *out)
{
    pthread_mutex_lock(&w->stats_mu);
    *out = w->st;
    pthread_mutex_unlock(&w->stats_mu);
    out->running = atomic_load(&w->running);
}

/* Gives every job still running back to the queue; returns how many jobs are still running
 * (released now, or timed out earlier). */
static int release_running(struct aps_worker *w)
{
    int n = 0;
    for (int i = 0; i < w->o.threads; i++) {
        struct slot *s = &w->slots[i];
        pthread_mutex_lock(&s->mu);
        if (s->busy && !s->timed_out && !s->released) {
            int rc = aps_queue_release(w->app->queue, &s->job);
            s->released = true;
            count(w, &w->st.released);
            APS_LOG(&w->app->log, APS_LOG_WARNING, NULL, "job %s %s %s at shutdown", s->job.name,
                    s->job.id, rc ? "left to its lease" : "released");
            n++;
        }
        n += s->busy && s->timed_out; /* still running: abandoned too */
        pthread_mutex_unlock(&s->mu);
    }
    return n;
}

/* Joins the job threads; one still inside a handler gets until `grace` (CLOCK_REALTIME) to
 * return, then is detached. Returns how many were detached. */
static int join_threads(struct aps_worker *w, const struct timespec *grace)
{
    int stuck = 0;
    for (int i = 0; i < w->o.threads; i++) {
        struct slot *s = &w->slots[i];
        if (!s->started)
            continue;
        if (pthread_timedjoin_np(s->th, NULL, grace)) {
            pthread_detach(s->th); /* stuck in a handler: left to the process's exit */
            stuck++;
        }
    }
    return stuck;
}

/* A clean exit removes this worker's consumers from the queue's books (Redis), so they do not
 * pile up across restarts; a consumer still holding a job keeps its entry for the takeover. */
static void forget_consumers(struct aps_worker *w)
{
    for (int i = 0; i < w->o.threads; i++) {
        int rc = aps_queue_forget(w->app->queue, w->slots[i].consumer);
        if (rc)
            APS_LOG(&w->app->log, APS_LOG_WARNING, NULL, "consumer %s not removed: %s",
                    w->slots[i].consumer, aps_strerror(rc));
    }
}

int aps_worker_stop(struct aps_worker *w)
{
    if (!w)
        return 0;
    atomic_store(&w->stopping, true);
    pthread_mutex_lock(&w->app->reload_mu);
    if (w->app->job_locks == w->locks)
        w->app->job_locks = NULL;
    pthread_mutex_unlock(&w->app->reload_mu);
    int64_t until = mono_ms() + w->o.drain_ms;
    while (atomic_load(&w->running) > 0 && mono_ms() < until)
        sleep_ms(50);
    (void)release_running(w);
    atomic_store(&w->sup_stop, true);
    if (w->sup_started)
        pthread_join(w->sup, NULL);
    struct timespec grace;
    clock_gettime(CLOCK_REALTIME, &grace);
    grace.tv_sec += STOP_GRACE_S;
    int stuck = join_threads(w, &grace);
    forget_consumers(w);
    if (!stuck) /* a stuck thread may still settle its job: w stays, and so does the observer */
        aps_queue_observe(w->app->queue, NULL, NULL);
    if (w->http)
        aps_http_server_stop(w->http, 1.0);
    if (stuck)
        return stuck; /* those threads may still touch w: leave it to the process's exit */
    for (int i = 0; i < w->o.threads; i++) {
        aps_collector_cleanup(&w->slots[i].col);
        pthread_mutex_destroy(&w->slots[i].mu);
    }
    if (w->locks)
        aps_leader_close(w->locks);
    aps_free(w->slots);
    pthread_mutex_destroy(&w->stats_mu);
    aps_free(w);
    return 0;
}
