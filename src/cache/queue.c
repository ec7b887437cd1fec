/* queue.c — the dispatch of queue.h: picks the backend from the configuration, checks every
 * argument once, decides retry or dead-letter and the retry delay, and keeps the metrics.
 * The backends (queue_redis.c, queue_db.c) only move jobs between states. */
#include "cache/queue.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cache/queue_backend.h"
#include "config/clock.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"

struct aps_queue {
    struct aps_queue_be *be;
    int64_t retry_base_ms, retry_max_ms, retry_budget_ms;
    pthread_mutex_t rng_mu;
    uint64_t rng; /* xorshift64* state, seeded at open; this queue's own generator */
    pthread_mutex_t obs_mu; /* guards obs and obs_arg */
    aps_queue_observer obs;
    void *obs_arg;
    struct aps_metric *m_depth, *m_age, *m_jobs, *m_vanished, *m_group_lost;
    char *clock_file; /* CLOCK_OFFSET_FILE (testing only), NULL when unset; owned */
};

int64_t aps_queue_now_ms(const struct aps_queue_be *b)
{
    return aps_clock_now_ms(b->owner ? b->owner->clock_file : NULL);
}

static void register_metrics(struct aps_queue *q, struct aps_metrics *m)
{
    static const char *const state[] = {"state", NULL};
    static const char *const name_outcome[] = {"name", "outcome", NULL};
    if (!m)
        return;
    q->m_depth = aps_metrics_gauge(m, "aps_queue_depth", "Jobs in the queue by state", state);
    q->m_age = aps_metrics_gauge(m, "aps_queue_oldest_age_seconds",
                                 "Age of the oldest due, unfinished job", NULL);
    q->m_jobs = aps_metrics_counter(m, "aps_jobs_total", "Finished job attempts by outcome",
                                    name_outcome);
    q->m_vanished = aps_metrics_counter(m, "aps_queue_vanished_total",
                                        "Jobs settled after the queue had lost their entry"
                                        " (Redis restarted without its data)",
                                        (const char *const[]){"name", NULL});
    q->m_group_lost = aps_metrics_counter(m, "aps_queue_group_lost_total",
                                          "Times Redis had lost the consumer group and it was"
                                          " made again",
                                          NULL);
    aps_metric_add(q->m_group_lost, NULL, 0); /* shown at 0, so that increase() sees the first */
}

static void count_job(struct aps_queue *q, const struct aps_job *j, const char *outcome)
{
    const char *labels[] = {j->name, outcome};
    aps_metric_add(q->m_jobs, labels, 1);
    if (j->vanished)
        aps_metric_add(q->m_vanished, labels, 1);
}

void aps_queue_observe(struct aps_queue *q, aps_queue_observer fn, void *arg)
{
    pthread_mutex_lock(&q->obs_mu);
    q->obs = fn;
    q->obs_arg = arg;
    pthread_mutex_unlock(&q->obs_mu);
}

void aps_queue_be_event(struct aps_queue_be *b, enum aps_queue_event ev, const struct aps_job *job)
{
    struct aps_queue *q = b->owner;
    if (!q)
        return;
    if (ev == APS_QUEUE_GROUP_LOST)
        aps_metric_add(q->m_group_lost, NULL, 1);
    else if (ev == APS_QUEUE_EXPIRED_DEAD)
        count_job(q, job, "dead");
    pthread_mutex_lock(&q->obs_mu);
    aps_queue_observer fn = q->obs;
    void *arg = q->obs_arg;
    pthread_mutex_unlock(&q->obs_mu);
    if (fn)
        fn(arg, ev, job);
}

int aps_queue_open(struct aps_queue **out, const struct aps_config *cfg, struct aps_store *st,
                   struct aps_metrics *m, char *err, size_t errcap)
{
    const char *url = aps_cfg_str(cfg, APS_SET_REDIS_URL);
    const char *prefix = aps_cfg_str(cfg, APS_SET_REDIS_KEY_PREFIX);
    struct aps_queue_be *be = NULL;
    int rc;
    *out = NULL;
    if (url && *url) {
        rc = aps_queue_redis_open(&be, url, prefix && *prefix ? prefix : "aps", err, errcap);
    } else if (st) {
        rc = aps_queue_db_open(&be, st, err, errcap);
    } else {
        snprintf(err, errcap, "job queue: set REDIS_URL or open the store first");
        rc = APS_E_CONFIG;
    }
    if (rc)
        return rc;
    struct aps_queue *q = aps_calloc(1, sizeof *q);
    q->be = be;
    q->retry_base_ms = aps_cfg_int(cfg, APS_SET_QUEUE_RETRY_BASE_MS);
    q->retry_max_ms = aps_cfg_int(cfg, APS_SET_QUEUE_RETRY_MAX_MS);
    q->retry_budget_ms = aps_cfg_int(cfg, APS_SET_QUEUE_RETRY_BUDGET_SECONDS) * 1000;
    q->rng = (uint64_t)aps_time_now_us() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)q;
    q->rng |= 1;
    const char *clock = aps_cfg_str(cfg, APS_SET_CLOCK_OFFSET_FILE);
    q->clock_file = clock && *clock ? aps_strdup(clock) : NULL;
    pthread_mutex_init(&q->rng_mu, NULL);
    pthread_mutex_init(&q->obs_mu, NULL);
    register_metrics(q, m);
    be->owner = q;
    *out = q;
    return 0;
}

int aps_queue_redis_switch(struct aps_queue *q, const char *url, char *err, size_t errcap)
{
    if (!q || !q->be->ops->switch_url)
        return 0;
    return q->be->ops->switch_url(q->be, url, err, errcap);
}

void aps_queue_close(struct aps_queue *q)
{
    if (!q)
        return;
    q->be->ops->close(q->be);
    pthread_mutex_destroy(&q->rng_mu);
    pthread_mutex_destroy(&q->obs_mu);
    aps_free(q->clock_file);
    aps_free(q);
}

const char *aps_queue_backend(const struct aps_queue *q)
{
    return q->be->ops->name;
}

void aps_job_cleanup(struct aps_job *j)
{
    if (!j)
        return;
    aps_free(j->payload);
    j->payload = NULL;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* Consumers are named by the caller (host:pid/thread): printable, no spaces, under 64 bytes. */
static bool consumer_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false;
    return true;
}

static int check_msg(const struct aps_queue_msg *m)
{
    if (!name_ok(m->name) || !m->payload || m->max_attempts < 1 ||
        m->max_attempts > APS_QUEUE_MAX_ATTEMPTS || m->delay_ms < 0 ||
        m->delay_ms > APS_QUEUE_MAX_DELAY_MS)
        return APS_E_INVAL;
    if (m->idem && (!*m->idem || strlen(m->idem) > APS_QUEUE_MAX_IDEM))
        return APS_E_INVAL;
    if (strlen(m->payload) > APS_QUEUE_MAX_PAYLOAD)
        return APS_E_TOOBIG;
    return 0;
}

/* ---- push and claim -------------------------------------------------------------------------- */

static int push_fenced(struct aps_queue *q, const struct aps_fence *fence,
                       struct aps_queue_msg *msgs, size_t n)
{
    if (fence && (!fence->name || !*fence->name || strlen(fence->name) > 127 || fence->epoch < 1))
        return APS_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        int rc = check_msg(&msgs[i]);
        if (rc)
            return rc;
        msgs[i].id[0] = '\0';
        msgs[i].rc = 0;
    }
    return n || fence ? q->be->ops->push(q->be, msgs, n, fence) : 0;
}

int aps_queue_push_batch(struct aps_queue *q, struct aps_queue_msg *msgs, size_t n)
{
    return push_fenced(q, NULL, msgs, n);
}

int aps_queue_push_fenced(struct aps_queue *q, const struct aps_fence *fence, const char *name,
                          const char *payload_json, const char *idempotency_key,
                          int max_attempts, int64_t delay_ms, char id_out[64])
{
    struct aps_queue_msg msg = {name, payload_json, idempotency_key, max_attempts, delay_ms,
                                "", 0};
    int rc = push_fenced(q, fence, &msg, 1);
    if (rc)
        return rc;
    memcpy(id_out, msg.id, sizeof msg.id);
    return msg.rc;
}

int aps_queue_push(struct aps_queue *q, const char *name, const char *payload_json,
                   const char *idempotency_key, int max_attempts, int64_t delay_ms,
                   char id_out[64])
{
    return aps_queue_push_fenced(q, NULL, name, payload_json, idempotency_key, max_attempts,
                                 delay_ms, id_out);
}

int aps_queue_fence(struct aps_queue *q, const struct aps_fence *fence)
{
    return fence ? push_fenced(q, fence, NULL, 0) : APS_E_INVAL;
}

int aps_queue_claim_batch(struct aps_queue *q, const char *consumer, int64_t visibility_ms,
                          int block_ms, struct aps_job *jobs, int max, int *n)
{
    *n = 0;
    if (!consumer_ok(consumer))
        return APS_E_INVAL;
    if (visibility_ms < 1 || block_ms < 0 || max < 1)
        return APS_E_INVAL;
    memset(jobs, 0, sizeof *jobs * (size_t)max);
    return q->be->ops->claim(q->be, consumer, visibility_ms, block_ms, jobs, max, n);
}

int aps_queue_claim(struct aps_queue *q, const char *consumer, int64_t visibility_ms, int block_ms,
                    struct aps_job *job)
{
    int n = 0;
    return aps_queue_claim_batch(q, consumer, visibility_ms, block_ms, job, 1, &n);
}

/* ---- finishing ------------------------------------------------------------------------------- */

/* Acks n jobs, each counted as outcome when still held (else lost). */
static int ack_counted(struct aps_queue *q, struct aps_job *jobs, int n, const char *outcome)
{
    if (n < 1)
        return 0;
    bool *held = aps_calloc((size_t)n, sizeof *held);
    int rc = q->be->ops->ack(q->be, jobs, n, held);
    for (int i = 0; i < n && !rc; i++)
        count_job(q, &jobs[i], held[i] ? outcome : "lost");
    for (int i = 0; i < n && !rc; i++)
        if (!held[i])
            rc = APS_E_STATE;
    aps_free(held);
    return rc;
}

int aps_queue_ack_batch(struct aps_queue *q, struct aps_job *jobs, int n)
{
    return ack_counted(q, jobs, n, "ok");
}

int aps_queue_ack(struct aps_queue *q, struct aps_job *job)
{
    return ack_counted(q, job, 1, "ok");
}

int aps_queue_refuse(struct aps_queue *q, struct aps_job *job)
{
    return ack_counted(q, job, 1, "refused");
}

/* The wait before the next attempt: base·2^(attempts-1), capped, with equal jitter. */
static int64_t retry_delay(struct aps_queue *q, int attempts)
{
    int64_t d = q->retry_base_ms;
    for (int i = 1; i < attempts && d < q->retry_max_ms; i++)
        d *= 2;
    if (d > q->retry_max_ms)
        d = q->retry_max_ms;
    pthread_mutex_lock(&q->rng_mu);
    q->rng ^= q->rng >> 12;
    q->rng ^= q->rng << 25;
    q->rng ^= q->rng >> 27;
    uint64_t r = q->rng * 2685821657736338717ull;
    pthread_mutex_unlock(&q->rng_mu);
    int64_t half = d / 2;
    return d - half + (int64_t)(r % (uint64_t)(half + 1));
}

/* Copies error into out (APS_QUEUE_MAX_ERROR bytes), cut at a UTF-8 character boundary so the
 * text stays valid for PostgreSQL. */
static void clip_error(const char *error, char out[APS_QUEUE_MAX_ERROR])
{
    size_t n = error ? strlen(error) : 0;
    if (n >= APS_QUEUE_MAX_ERROR) {
        n = APS_QUEUE_MAX_ERROR - 1;
        while (n > 0 && ((unsigned char)error[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(out, error, n);
    out[n] = '\0';
}

/* Whether a failed job is done retrying (see "Retry budget" in queue.h). */
static bool out_of_retries(const struct aps_queue *q, const struct aps_job *job, int64_t now_ms)
{
    if (job->max_attempts <= 1 || job->attempts >= APS_QUEUE_MAX_ATTEMPTS)
        return true;
    return job->attempts >= job->max_attempts && now_ms - job->enqueued_ms >= q->retry_budget_ms;
}

int64_t aps_queue_retry_until_ms(const struct aps_queue *q, const struct aps_job *job)
{
    return job->enqueued_ms + q->retry_budget_ms;
}

/* Settles a failed job: dead (out of retries, or final) or retried later. */
static int settle_failed(struct aps_queue *q, struct aps_job *job, const char *error, bool final)
{
    char text[APS_QUEUE_MAX_ERROR];
    bool dead = final || out_of_retries(q, job, aps_queue_now_ms(q->be));
    int64_t delay = dead ? 0 : retry_delay(q, job->attempts);
    clip_error(error, text);
    int rc = q->be->ops->settle(q->be, job, dead ? APS_SETTLE_DEAD : APS_SETTLE_RETRY, text, delay);
    job->dead_lettered = dead && rc == 0;
    if (rc == 0 || rc == APS_E_STATE) /* an unreachable backend settled nothing: not counted */
        count_job(q, job, rc == APS_E_STATE ? "lost" : dead ? "dead" : "retry");
    return rc;
}

int aps_queue_fail(struct aps_queue *q, struct aps_job *job, const char *error)
{
    return settle_failed(q, job, error, false);
}

int aps_queue_reject(struct aps_queue *q, struct aps_job *job, const char *error)
{
    return settle_failed(q, job, error, true);
}

int aps_queue_release(struct aps_queue *q, struct aps_job *job)
{
    int rc = q->be->ops->settle(q->be, job, APS_SETTLE_RELEASE, job->error, 0);
    if (rc == 0 || rc == APS_E_STATE)
        count_job(q, job, rc == APS_E_STATE ? "lost" : "released");
    return rc;
}

int aps_queue_extend(struct aps_queue *q, struct aps_job *job, int64_t visibility_ms)
{
    if (visibility_ms < 1)
        return APS_E_INVAL;
    return q->be->ops->settle(q->be, job, APS_SETTLE_EXTEND, NULL, visibility_ms);
}

/* ---- inspection ------------------------------------------------------------------------------ */

int aps_queue_stats(struct aps_queue *q, struct aps_queue_stats *s)
{
    memset(s, 0, sizeof *s);
    int rc = q->be->ops->stats(q->be, s);
    if (rc)
        return rc;
    aps_metric_set(q->m_depth, (const char *const[]){"ready"}, (double)s->ready);
    aps_metric_set(q->m_depth, (const char *const[]){"leased"}, (double)s->leased);
    aps_metric_set(q->m_depth, (const char *const[]){"delayed"}, (double)s->delayed);
    aps_metric_set(q->m_depth, (const char *const[]){"dead"}, (double)s->dead);
    aps_metric_set(q->m_age, NULL, s->oldest_age_s);
    return 0;
}

int aps_queue_dead(struct aps_queue *q, int64_t offset, struct aps_job *jobs, int max, int *n)
{
    *n = 0;
    if (max < 1 || offset < 0)
        return APS_E_INVAL;
    memset(jobs, 0, sizeof *jobs * (size_t)max);
    return q->be->ops->dead(q->be, offset, jobs, max, n);
}

bool aps_queue_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (id[i] < '0' || id[i] > '9')
            return false;
    return true;
}

int aps_queue_requeue(struct aps_queue *q, const char *id)
{
    return aps_queue_id_ok(id) ? q->be->ops->revive(q->be, id, true) : APS_E_INVAL;
}

int aps_queue_drop(struct aps_queue *q, const char *id)
{
    return aps_queue_id_ok(id) ? q->be->ops->revive(q->be, id, false) : APS_E_INVAL;
}

int aps_queue_forget(struct aps_queue *q, const char *consumer)
{
    if (!consumer_ok(consumer))
        return APS_E_INVAL;
    return q->be->ops->forget ? q->be->ops->forget(q->be, consumer) : 0;
}
