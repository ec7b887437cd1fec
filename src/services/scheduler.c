/* scheduler.c — the calendar of schedule.def (scheduler.h): slot arithmetic, the catch-up-once
 * rule, one tick over every task and active sport, and the leader thread. */
#include "services/scheduler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/leader.h"
#include "cache/queue.h"
#include "core/buf.h"
#include "core/domain.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"
#include "services/app.h"
#include "services/jobs.h"
#include "store/fence.h"
#include "store/store.h"

#define LIVE_WINDOW (4 * 3600) /* a game started this recently without a final counts as live */
#define MAX_RUNS 512           /* schedule_runs rows read per tick */

static const struct aps_sched_task tasks[] = {
#define APS_TASK(name, job, setting, phase, per_sport, when, on_start, args) \
    {#name, #job, APS_SET_##setting, phase, per_sport, APS_WHEN_##when, on_start, args},
#include "services/schedule.def"
#undef APS_TASK
};

const struct aps_sched_task *aps_sched_tasks(size_t *n)
{
    *n = sizeof tasks / sizeof tasks[0];
    return tasks;
}

/* ---- slot arithmetic ----------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t aps_sched_slot(int64_t t, int64_t period, int64_t phase)
{
    return floor_div(t - phase % period, period);
}

int64_t aps_sched_slot_start(int64_t slot, int64_t period, int64_t phase)
{
    return slot * period + phase % period;
}

enum aps_sched_verdict aps_sched_decide(int64_t now, int64_t period, int64_t phase, bool has_last,
                                        int64_t last_start, bool on_start, int64_t *slot_start,
                                        int64_t *missed)
{
    int64_t cur = aps_sched_slot(now, period, phase);
    *slot_start = aps_sched_slot_start(cur, period, phase);
    *missed = 0;
    if (!has_last)
        return on_start ? APS_SCHED_RUN : APS_SCHED_RECORD;
    int64_t last = aps_sched_slot(last_start, period, phase);
    if (last > cur)
        return APS_SCHED_REWOUND;
    if (last == cur)
        return APS_SCHED_NONE;
    *missed = cur - last - 1;
    return APS_SCHED_RUN;
}

/* ---- one tick ------------------------------------------------------------------------------ */

struct run_row {
    char task[96];
    int64_t last_ms;
    char last_job[64]; /* "" when the last record ran no job */
};

struct tick_ctx {
    struct aps_app *app;
    struct aps_conn *c;
    int64_t now;
    struct run_row *runs;
    size_t nruns;
    struct aps_sched_tick *out;
    struct aps_metric *m_enqueued, *m_caught_up, *m_refused;
    double until_ms; /* monotonic ms after which nothing is enqueued or recorded; 0: no limit */
    const struct aps_fence *fence; /* the leader's token every write carries; NULL: none */
};

static int load_runs(struct tick_ctx *t)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_prepare(t->c, "SELECT task, last_run_at, last_job_id FROM schedule_runs WHERE task NOT LIKE 'noop:%'", &st);
    t->runs = aps_calloc(MAX_RUNS, sizeof *t->runs);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW && t->nruns < MAX_RUNS) {
        rc = 0;
        const char *task = aps_stmt_text(st, 0);
        if (aps_str_copy(t->runs[t->nruns].task, sizeof t->runs[0].task, task ? task : ""))
            continue;
        const char *job = aps_stmt_text(st, 2);
        if (aps_str_copy(t->runs[t->nruns].last_job, sizeof t->runs[0].last_job, job ? job : ""))
            continue;
        t->runs[t->nruns++].last_ms = aps_stmt_int64(st, 1);
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static const struct run_row *find_run(const struct tick_ctx *t, const char *key)
{
    for (size_t i = 0; i < t->nruns; i++)
        if (!strcmp(t->runs[i].task, key))
            return &t->runs[i];
    return NULL;
}

/* Records the run of slot_start. A record only moves forward, except over the very record
 * `rewound` read (the clock went back: then it moves back, once, to the current slot). */
static int record_sql(struct tick_ctx *t, const char *key, int64_t slot_start, const char *job_id,
                      const struct run_row *rewound)
{
    return aps_conn_execf(t->c,
                          "INSERT INTO schedule_runs (task, last_run_at, last_job_id)"
                          " VALUES (?1, ?2, ?3) ON CONFLICT (task) DO UPDATE SET"
                          " last_run_at = excluded.last_run_at,"
                          " last_job_id = excluded.last_job_id"
                          " WHERE excluded.last_run_at > schedule_runs.last_run_at"
                          " OR schedule_runs.last_run_at = ?4",
                          "sisI", key, slot_start * 1000, job_id,
                          rewound ? &rewound->last_ms : NULL);
}

/* record_sql behind the tick's fence: the fence check and the record are one transaction, so a
 * record of a leader that a newer one fenced out is refused (APS_E_STALE), never half-written. */
static int record_run(struct tick_ctx *t, const char *key, int64_t slot_start, const char *job_id,
                      const struct run_row *rewound)
{
    if (!t->fence)
        return record_sql(t, key, slot_start, job_id, rewound);
    int rc = aps_conn_begin(t->c);
    if (!rc)
        rc = aps_fence_pass(t->c, t->fence);
    if (!rc)
        rc = record_sql(t, key, slot_start, job_id, rewound);
    rc = rc ? rc : aps_conn_commit(t->c);
    if (rc)
        aps_conn_rollback(t->c);
    return rc;
}

/* Whether a LIVE or STARTING task has work now. */
static int condition(struct tick_ctx *t, enum aps_sched_when when, int sport, bool *yes)
{
    int64_t n = 0, from = t->now - LIVE_WINDOW;
    int rc;
    if (when == APS_WHEN_LIVE)
        rc = aps_conn_query_row(t->c,
                                "SELECT COUNT(*) FROM games g JOIN sports sp"
                                " ON sp.id = g.sport_id WHERE sp.code = ?1"
                                " AND (g.status = 'in_progress' OR (g.status = 'scheduled'"
                                " AND g.start_time <= ?2 AND g.start_time > ?3))",
                                "i", &n, "sii", sport >= 0 ? aps_sport_info(sport)->code : "",
                                t->now, from);
    else
        rc = aps_conn_query_row(t->c,
                                "SELECT COUNT(*) FROM games g WHERE g.start_time <= ?1"
                                " AND g.start_time > ?2 AND " APS_CLOSE_PLAYED_SQL("g")
                                " AND EXISTS (SELECT 1 FROM odds o"
                                " WHERE o.game_id = g.id AND o.phase = 'live') AND NOT EXISTS"
                                " (SELECT 1 FROM closing_lines cl WHERE cl.game_id = g.id"
                                " AND " APS_CLOSE_STANDS_SQL("cl", "g") ")",
                                "i", &n, "ii", t->now, from);
    *yes = !rc && n > 0;
    return rc == APS_E_NOTFOUND ? 0 : rc;
}

/* Enqueues the task's job for slot_start; last is the task's record (NULL when none) and
 * rewound says the clock went back behind it. */
static int enqueue(struct tick_ctx *t, const struct aps_sched_task *k, int sport,
                   int64_t slot_start, int64_t missed, const char *key,
                   const struct run_row *last, bool rewound)
{
    size_t nj;
    const struct aps_job_def *jt = aps_jobs_table(&nj), *d = aps_jobs_find(jt, nj, k->job);
    const char *code = sport >= 0 ? aps_sport_info(sport)->code : "all";
    char payload[256], idem[128], id[64] = "";
    if (!d)
        return APS_E_NOTFOUND;
    snprintf(payload, sizeof payload, "{\"task\":\"%s\",\"slot\":%lld%s%s%s%s%s}", k->name,
             (long long)slot_start, sport >= 0 ? ",\"sport\":\"" : "", sport >= 0 ? code : "",
             sport >= 0 ? "\"" : "", k->args[0] ? "," : "", k->args);
    int n = snprintf(idem, sizeof idem, "%s:%s:%lld%s%s", k->name, code, (long long)slot_start,
                     last && last->last_job[0] ? ":" : "", last ? last->last_job : "");
    if (n < 0 || (size_t)n >= sizeof idem)
        return APS_E_TOOBIG;
    if (rewound) {
        char extra[192];
        snprintf(extra, sizeof extra, "\"task\":\"%s\",\"sport\":\"%s\",\"slot\":%lld,"
                 "\"recorded_slot\":%lld", k->name, code, (long long)slot_start,
                 (long long)(last->last_ms / 1000));
        APS_LOG(&t->app->log, APS_LOG_WARNING, extra,
                "clock went back behind the last run of %s: running the current slot", k->name);
    }
    int rc = aps_queue_push_fenced(t->app->queue, t->fence, d->name, payload, idem,
                                   d->max_attempts, 0, id);
    if (rc && rc != APS_E_EXISTS)
        return rc;
    const char *labels[] = {k->name};
    if (rc == APS_E_EXISTS) {
        t->out->duplicates++;
    } else {
        t->out->enqueued++;
        aps_metric_add(t->m_enqueued, labels, 1);
        char extra[256];
        snprintf(extra, sizeof extra, "\"task\":\"%s\",\"sport\":\"%s\",\"slot\":%lld,"
                 "\"missed\":%lld,\"job_id\":\"%s\"", k->name, code, (long long)slot_start,
                 (long long)missed, id);
        APS_LOG(&t->app->log, APS_LOG_INFO, extra, "scheduled %s", d->name);
    }
    if (missed > 0) {
        t->out->caught_up++;
        aps_metric_add(t->m_caught_up, labels, 1);
    }
    return record_run(t, key, slot_start, id, rewound ? last : NULL);
}

static int tick_one(struct tick_ctx *t, const struct aps_sched_task *k, int sport,
                    int64_t period)
{
    char key[96];
    int rc = sport >= 0 ? aps_str_fmt(key, sizeof key, "%s:%s", k->name, aps_sport_info(sport)->code)
                        : aps_str_copy(key, sizeof key, k->name);
    if (rc)
        return rc; /* a truncated key would be another task's run row */
    const struct run_row *last = find_run(t, key);
    int64_t slot_start, missed;
    enum aps_sched_verdict v = aps_sched_decide(t->now, period, k->phase_s, last != NULL,
                                                last ? last->last_ms / 1000 : 0, k->on_start,
                                                &slot_start, &missed);
    if (v == APS_SCHED_NONE)
        return 0;
    if (t->until_ms > 0 && aps_time_mono() * 1000.0 >= t->until_ms)
        return APS_E_STATE; /* the leader's lease may have run out: stop writing */
    if (v == APS_SCHED_RECORD)
        return record_run(t, key, slot_start, NULL, NULL);
    if (k->when != APS_WHEN_ALWAYS) {
        bool yes = false;
        rc = condition(t, k->when, sport, &yes);
        if (rc || !yes) {
            t->out->skipped += !rc;
            return rc;
        }
    }
    return enqueue(t, k, sport, slot_start, missed, key, last, v == APS_SCHED_REWOUND);
}

/* The active sports of the SPORTS setting, in its order. */
static size_t active_sports(const struct aps_config *cfg, int *out, size_t cap)
{
    const char *list = aps_cfg_str(cfg, APS_SET_SPORTS);
    size_t n = 0;
    char code[16];
    for (const char *p = list ? list : ""; *p && n < cap;) {
        size_t len = strcspn(p, ",");
        if (len < sizeof code) {
            memcpy(code, p, len);
            code[len] = '\0';
            int s = aps_sport_from_code(aps_str_trim(code));
            if (s >= 0)
                out[n++] = s;
        }
        p += len + (p[len] == ',');
    }
    return n;
}

static void tick_metrics(struct tick_ctx *t)
{
    static const char *const task[] = {"task", NULL};
    struct aps_metrics *m = t->app->metrics;
    if (!m)
        return;
    t->m_enqueued = aps_metrics_counter(m, "aps_scheduler_enqueued_total",
                                        "Jobs the scheduler enqueued, by task", task);
    t->m_caught_up = aps_metrics_counter(m, "aps_scheduler_caught_up_total",
                                         "Runs that stood for slots missed while down", task);
    t->m_refused = aps_metrics_counter(m, "aps_scheduler_fenced_writes_total",
                                       "Writes of a leader refused because a newer leader's"
                                       " epoch holds the fence",
                                       task);
}

/* A write of task k refused by the fence: a newer leader took over while this one still
 * acted. Counted, logged; the tick stops there. */
static void refused(struct tick_ctx *t, const struct aps_sched_task *k)
{
    const char *labels[] = {k->name};
    char extra[160];
    t->out->refused++;
    aps_metric_add(t->m_refused, labels, 1);
    snprintf(extra, sizeof extra, "\"task\":\"%s\",\"epoch\":%lld", k->name,
             (long long)t->fence->epoch);
    APS_LOG(&t->app->log, APS_LOG_WARNING, extra,
            "scheduler: write refused, a newer leader holds the fence");
}

/* One tick that writes nothing once the monotonic clock reaches until_ms (0: no limit);
 * APS_E_STATE when it stopped for that reason, APS_E_STALE when the fence (NULL: none) refused
 * a write. */
static int tick_until(struct aps_app *app, int64_t now, double until_ms,
                      const struct aps_fence *fence, struct aps_sched_tick *out)
{
    struct tick_ctx t = {.app = app, .now = now, .out = out, .until_ms = until_ms,
                         .fence = fence};
    int sports[APS_SPORT__COUNT];
    size_t nsports = active_sports(app->cfg, sports, APS_SPORT__COUNT);
    memset(out, 0, sizeof *out);
    tick_metrics(&t);
    int rc = aps_store_acquire(app->store, APS_DB_WRITE, &t.c);
    if (rc)
        return rc;
    rc = load_runs(&t);
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0] && !rc; i++) {
        const struct aps_sched_task *k = &tasks[i];
        int64_t period = aps_cfg_int(app->cfg, k->period_setting);
        if (period <= 0)
            continue;
        if (!k->per_sport)
            rc = tick_one(&t, k, -1, period);
        for (size_t s = 0; k->per_sport && s < nsports && !rc; s++)
            rc = tick_one(&t, k, sports[s], period);
        if (rc == APS_E_STALE && fence)
            refused(&t, k);
    }
    aps_free(t.runs);
    aps_store_release(t.c);
    return rc;
}

int aps_scheduler_tick(struct aps_app *app, int64_t now, struct aps_sched_tick *out)
{
    return tick_until(app, now, 0, NULL, out);
}

int aps_scheduler_tick_fenced(struct aps_app *app, int64_t now, const struct aps_fence *fence,
                              struct aps_sched_tick *out)
{
    if (!fence)
        return APS_E_INVAL;
    return tick_until(app, now, 0, fence, out);
}

int aps_scheduler_claim(struct aps_app *app, const struct aps_fence *fence)
{
    struct aps_conn *c = NULL;
    int rc = aps_store_acquire(app->store, APS_DB_WRITE, &c);
    if (rc)
        return rc;
    rc = aps_conn_begin(c);
    if (!rc)
        rc = aps_fence_pass(c, fence);
    rc = rc ? rc : aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    aps_store_release(c);
    return rc ? rc : aps_queue_fence(app->queue, fence);
}

/* ---- the leader thread --------------------------------------------------------------------- */

struct aps_scheduler {
    struct aps_app *app;
    struct aps_scheduler_opts o;
    char owner[128];
    struct aps_leader *leader;
    pthread_t th;
    atomic_bool stop, held;
    double sent_ms;  /* monotonic ms the last renewal was sent (scheduler thread only) */
    double lease_ms; /* monotonic ms until which this process may act as leader (likewise) */
    int64_t epoch;   /* the lock's epoch of the current holding, the writes' fencing token */
    int64_t floor;   /* the store's fence after a refusal: the next epoch starts above it */
    bool waiting;    /* "waiting for the lock" logged since the last holding (likewise) */
    struct aps_metric *m_leader, *m_errors;
};

void aps_scheduler_opts_default(struct aps_scheduler_opts *o, const struct aps_config *cfg)
{
    memset(o, 0, sizeof *o);
    o->lock_ttl_ms = aps_cfg_int(cfg, APS_SET_SCHEDULER_LOCK_TTL_MS);
    o->tick_ms = 1000;
}

static void nap(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double mono_ms(void)
{
    return aps_time_mono() * 1000.0;
}

/* How long a leader's own lease lasts: the lock's ttl counted from when the renewal was SENT
 * (the backend starts its ttl later, when it runs the renewal), less a tenth of the ttl for
 * clock-rate differences between this host and the lock's judge. */
static double lease_length_ms(const struct aps_scheduler *s)
{
    return (double)s->o.lock_ttl_ms * 0.9;
}

/* Logs a change of leadership: "leader" with the wall-clock ms it starts acting, "follower" with
 * why and the wall-clock ms after which it started nothing as leader (led_until_ms). */
static void log_change(struct aps_scheduler *s, bool held, const char *why)
{
    char extra[320];
    double now = mono_ms(), end = now < s->lease_ms ? now : s->lease_ms;
    int64_t wall = aps_time_now_us() / 1000;
    if (held)
        snprintf(extra, sizeof extra, "\"owner\":\"%s\",\"since_ms\":%lld,\"epoch\":%lld",
                 s->owner, (long long)wall, (long long)s->epoch);
    else
        snprintf(extra, sizeof extra, "\"owner\":\"%s\",\"reason\":\"%s\",\"led_until_ms\":%lld",
                 s->owner, why, (long long)(wall - (int64_t)(now - end)));
    APS_LOG(&s->app->log, APS_LOG_INFO, extra, held ? "scheduler: leader" : "scheduler: follower");
    aps_metric_set(s->m_leader, NULL, held ? 1 : 0);
}

static void demote(struct aps_scheduler *s, const char *why)
{
    if (atomic_exchange(&s->held, false))
        log_change(s, false, why);
}

/* After a write was refused by the fence: the store's fence, for the next epoch to start above
 * (it is above the lock's counter only when that counter was lost). */
static void fenced_out(struct aps_scheduler *s, const char *why)
{
    struct aps_conn *c = NULL;
    int64_t f = 0;
    if (!aps_store_acquire(s->app->store, APS_DB_WRITE, &c)) {
        if (!aps_fence_read(c, "scheduler", &f) && f > s->floor)
            s->floor = f;
        aps_store_release(c);
    }
    demote(s, why);
}

/* A holding that starts (or a new epoch of it) raises the fences of the store and the queue to
 * its epoch before anything is written, so writes still in flight from an older leader are
 * refused from here on. */
static int claim(struct aps_scheduler *s, int64_t epoch)
{
    struct aps_fence f = {"scheduler", epoch};
    int rc = aps_scheduler_claim(s->app, &f);
    if (rc == APS_E_STALE) {
        fenced_out(s, "a newer leader holds the fence");
    } else if (rc) {
        aps_metric_add(s->m_errors, NULL, 1);
        APS_LOG(&s->app->log, APS_LOG_ERROR, NULL, "scheduler fence unreachable: %s",
                aps_strerror(rc));
        demote(s, "fence unreachable");
    }
    return rc;
}

/* Acquires or renews the lock. The lease counts from before the request left, so an answer that
 * comes back late shortens it; one that comes back after the lease ended makes no leader. */
static void renew(struct aps_scheduler *s)
{
    bool held = false;
    int64_t epoch = 0;
    double sent = mono_ms();
    int rc = aps_leader_acquire_epoch(s->leader, "scheduler", s->owner, s->o.lock_ttl_ms,
                                      s->floor, &held, &epoch);
    s->sent_ms = sent;
    if (rc) {
        aps_metric_add(s->m_errors, NULL, 1);
        APS_LOG(&s->app->log, APS_LOG_ERROR, NULL, "scheduler lock unreachable: %s",
                aps_strerror(rc));
    }
    if (!held) {
        demote(s, rc ? "lock unreachable" : "lock held by another owner");
        if (!rc && !s->waiting) {
            char extra[160];
            snprintf(extra, sizeof extra, "\"owner\":\"%s\"", s->owner);
            APS_LOG(&s->app->log, APS_LOG_INFO, extra, "scheduler: waiting for the lock");
        }
        s->waiting = !rc;
        return;
    }
    s->waiting = false;
    if ((epoch != s->epoch || !atomic_load(&s->held)) && claim(s, epoch))
        return;
    s->epoch = epoch;
    s->lease_ms = sent + lease_length_ms(s);
    if (mono_ms() < s->lease_ms && !atomic_exchange(&s->held, true))
        log_change(s, true, NULL);
}

/* Whether this process may act as leader now: it holds the lock and its lease has not run out
 * (a renewal that came back too late, or none for the whole lease, ends leadership here). */
static bool leading(struct aps_scheduler *s)
{
    if (atomic_load(&s->held) && mono_ms() >= s->lease_ms)
        demote(s, "lease ran out before a renewal came back");
    return atomic_load(&s->held);
}

static bool renewal_due(const struct aps_scheduler *s)
{
    return !atomic_load(&s->held) || mono_ms() - s->sent_ms >= (double)s->o.lock_ttl_ms / 3;
}

static void tick(struct aps_scheduler *s)
{
    struct aps_sched_tick r;
    struct aps_fence f = {"scheduler", s->epoch};
    int rc = tick_until(s->app, aps_jobs_now(s->app->cfg), s->lease_ms, &f, &r);
    if (rc == APS_E_STATE) {
        demote(s, "lease ran out during a tick");
    } else if (rc == APS_E_STALE) {
        fenced_out(s, "a newer leader holds the fence");
    } else if (rc) {
        aps_metric_add(s->m_errors, NULL, 1);
        APS_LOG(&s->app->log, APS_LOG_ERROR, NULL, "scheduler tick failed: %s", aps_strerror(rc));
    }
}

static void *sched_thread(void *arg)
{
    struct aps_scheduler *s = arg;
    s->sent_ms = -1e18;
    while (!atomic_load(&s->stop)) {
        if (renewal_due(s))
            renew(s);
        if (leading(s))
            tick(s);
        for (int64_t slept = 0; slept < s->o.tick_ms && !atomic_load(&s->stop); slept += 100) {
            nap(100);
            if (atomic_load(&s->held) && renewal_due(s))
                renew(s); /* renewals keep their pace while the thread waits for the next tick */
        }
    }
    /* Compare-and-set: deletes the lock only while it is still ours. */
    (void)aps_leader_release(s->leader, "scheduler", s->owner);
    return NULL;
}

int aps_scheduler_start(struct aps_scheduler **out, struct aps_app *app,
                        const struct aps_scheduler_opts *o, char *err, size_t errcap)
{
    *out = NULL;
    if (!app->store || !app->queue || o->lock_ttl_ms < 3 || o->tick_ms < 1) {
        snprintf(err, errcap, "scheduler: needs the store, the queue, a lock TTL and a tick");
        return APS_E_INVAL;
    }
    struct aps_scheduler *s = aps_calloc(1, sizeof *s);
    s->app = app;
    s->o = *o;
    snprintf(s->owner, sizeof s->owner, "%s", o->owner ? o->owner : app->instance);
    int rc = aps_leader_open(&s->leader, app->cfg, app->store, err, errcap);
    if (rc) {
        aps_free(s);
        return rc;
    }
    if (app->metrics) {
        s->m_leader = aps_metrics_gauge(app->metrics, "aps_scheduler_leader",
                                        "1 while this process is the active scheduler", NULL);
        s->m_errors = aps_metrics_counter(app->metrics, "aps_scheduler_errors_total",
                                          "Failed lock renewals and ticks", NULL);
    }
    if (pthread_create(&s->th, NULL, sched_thread, s)) {
        aps_leader_close(s->leader);
        aps_free(s);
        snprintf(err, errcap, "cannot start the scheduler thread");
        return APS_E_NOMEM;
    }
    (void)pthread_setname_np(s->th, "aps-scheduler");
    pthread_mutex_lock(&app->reload_mu); /* a configuration reload may move it to a new REDIS_URL */
    app->leader = s->leader;
    pthread_mutex_unlock(&app->reload_mu);
    *out = s;
    return 0;
}

bool aps_scheduler_is_leader(struct aps_scheduler *s)
{
    return s && atomic_load(&s->held);
}

void aps_scheduler_stop(struct aps_scheduler *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    pthread_mutex_lock(&s->app->reload_mu);
    if (s->app->leader == s->leader)
        s->app->leader = NULL;
    pthread_mutex_unlock(&s->app->reload_mu);
    aps_leader_close(s->leader);
    aps_free(s);
}
