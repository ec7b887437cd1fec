/* queue.h — the durable job queue, one interface over two backends:
 *   redis  Redis Streams (REDIS_URL set): stream <prefix>:jobs read by the consumer group
 *          "workers", delayed jobs in the sorted set <prefix>:jobs:delayed, dead letters in the
 *          stream <prefix>:jobs:dead (queue_redis.c);
 *   store  the jobs table of migrations/005_jobs.sql on SQLite or PostgreSQL (queue_db.c).
 *
 * A job's life (the same on both backends; the function that makes each move):
 *
 *   push ──▶ ready ──claim──▶ leased ──ack──────▶ done
 *     │        ▲                 │ ──fail──────▶ ready later (backoff)   attempts < max
 *     └delay─▶ delayed           │ ──fail──────▶ dead (error kept)      attempts >= max
 *               (due) ▲          │ ──release───▶ ready now (attempt not counted)
 *                     │          └ lease expires (worker died) ─claim─▶ leased by another
 *                     └──────────── (or dead when that was the last attempt)
 *
 * Guarantees: at-least-once. A job is acknowledged only after its handler succeeded (ack); a
 * worker that dies holding a job loses the lease after visibility_ms and the next claim by any
 * consumer takes the job over, so handlers must be idempotent. A push with an idempotency key
 * that was seen before (Redis: within 24 h; store: while the row exists) enqueues nothing and
 * returns APS_E_EXISTS with the first job's id. Retries wait base·2^(attempts-1) (settings
 * QUEUE_RETRY_BASE_MS, QUEUE_RETRY_MAX_MS) with equal jitter: half fixed, half random.
 *
 * Retry budget: a failed job goes dead only once it has used its max_attempts AND
 * QUEUE_RETRY_BUDGET_SECONDS have passed since it was enqueued, so a job that fails through an
 * outage of a few minutes keeps retrying (with the delay growing to QUEUE_RETRY_MAX_MS) until the
 * outage is over. A job with max_attempts 1 is never retried, and no job runs more than
 * APS_QUEUE_MAX_ATTEMPTS times. The budget is for failures a handler reports while its worker
 * lives through an outage; a lease that expires (the worker died or stalled holding the job)
 * counts against max_attempts alone: a job that was running each time a worker died is the
 * likeliest cause (a crash, the memory limit), and retrying it for the whole budget would kill
 * workers, and the jobs beside it, again and again. So the claim that finds a lease expired on
 * the last attempt dead-letters the job at once and reports APS_QUEUE_EXPIRED_DEAD. Outages do
 * not expire leases: a worker that cannot reach the database gives the attempt back, and one
 * that cannot reach Redis keeps the job until it answers. Dead letters stay until an operator
 * requeues or drops them (aps_queue_requeue, aps_queue_drop: `aps worker dead`,
 * /api/v1/admin/jobs/dead).
 *
 * The visibility timeout is given by each claim. On the store it is the holder's lease
 * (lease_until); on Redis it is how long an entry must have been idle before that claimer takes
 * it over (XAUTOCLAIM min-idle-time). So consumers of one queue should use the same value (the
 * longest job timeout). A job that runs longer renews its lease with aps_queue_extend() (on
 * Redis this restarts the idle clock; the new length is again the claimers' visibility).
 *
 * Clocks: due times and leases are judged by the clock of the server that keeps them, Redis's
 * (TIME) or PostgreSQL's (statement_timestamp), so consumers on hosts whose clocks disagree (by
 * the skew NTP allows, or a jump) agree on them; a delay is added to that clock. On SQLite,
 * whose processes all run on one host, the caller's clock decides. Only the retry budget is
 * judged by the failing worker's clock (against the job's enqueue time): a worker off by some
 * skew ends a failing job's retries that much early or late.
 *
 * Redis restarted without its data: the stream, its consumer group, the delayed and dead jobs
 * are gone. Whatever call meets the missing group (NOGROUP: a claim, ack, fail, release or
 * extend) makes it again and goes on, and the queue reports APS_QUEUE_GROUP_LOST. The jobs that
 * were waiting in Redis are lost with it; a job a worker holds is not: its ack finds nothing to
 * acknowledge (the job is done), its fail or release puts it back from the copy the worker holds
 * (attempts and error kept), and job->vanished says so. The rule is "the consumer does not hold
 * the entry and the stream no longer has it"; it also matches an entry that another consumer
 * took over, finished and trimmed away, and such a job then runs once more (at-least-once).
 *
 * Metrics (when m is given): aps_queue_depth{state}, aps_queue_oldest_age_seconds (refreshed by
 * aps_queue_stats), aps_jobs_total{name,outcome} with outcome ok|retry|dead|released|lost,
 * counted by ack, fail, release and the claims that dead-letter an expired lease,
 * aps_queue_vanished_total{name} (settled jobs whose entry was
 * gone) and aps_queue_group_lost_total. Thread-safe: one queue object serves many worker
 * threads. */
#ifndef APS_CACHE_QUEUE_H
#define APS_CACHE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_config;
struct aps_fence;
struct aps_metrics;
struct aps_queue;
struct aps_store;

#define APS_QUEUE_MAX_PAYLOAD (1u << 20) /* bytes of JSON per job */
#define APS_QUEUE_MAX_ERROR 512          /* bytes of error text kept (longer is truncated) */
#define APS_QUEUE_MAX_ATTEMPTS 100
#define APS_QUEUE_MAX_IDEM 127 /* bytes of an idempotency key (a key has at least 1) */
#define APS_QUEUE_MAX_DELAY_MS INT64_C(2592000000) /* 30 days: a job held longer is a mistake */

/* A claimed job. aps_job_cleanup() frees payload and is safe on a zeroed job. */
struct aps_job {
    char id[64];      /* stable across retries */
    char name[64];    /* handler name (jobs.def) */
    char *payload;    /* JSON text, aps_malloc'd, owned by the job */
    int attempts;     /* starts so far, this one included (1 on the first run) */
    int max_attempts;
    char idem[128];   /* idempotency key, "" when none */
    int64_t enqueued_ms;
    /* Backend fields: the lease this claim holds. */
    char consumer[64];                /* who claimed it */
    char entry[48];                   /* Redis stream entry id ("" on the store backend) */
    char error[APS_QUEUE_MAX_ERROR];  /* the previous attempt's error ("" when none) */
    bool dead_lettered;               /* set by aps_queue_fail: this failure made it dead */
    bool vanished; /* set by ack, fail, release, extend: the backend had lost the job's entry
                      (Redis restarted without its data); fail and release put the job back */
};

/* One job of a batch push: fill the inputs; id and rc are written back (rc 0 or APS_E_EXISTS). */
struct aps_queue_msg {
    const char *name, *payload, *idem; /* idem may be NULL */
    int max_attempts;
    int64_t delay_ms;
    char id[64];
    int rc;
};

struct aps_queue_stats {
    int64_t ready, leased, delayed, dead;
    double oldest_age_s; /* how long the oldest due, unfinished job has waited; 0 when none */
};

/* What a queue tells its observer: things that happen inside a call made for another purpose,
 * which its caller would not see otherwise. */
enum aps_queue_event {
    APS_QUEUE_GROUP_LOST,   /* Redis had lost the consumer group (a restart without its data)
                               and it was made again; the jobs that waited in Redis are gone.
                               job is NULL. Reported once per loss, by the call that made the
                               group. */
    APS_QUEUE_EXPIRED_DEAD, /* a claim found job's lease expired on its last attempt and
                               dead-lettered it (job: not leased, attempts made, error). */
};
/* Called on the thread of the queue call that met the event; job (when not NULL) is valid only
 * during the call. It must not call back into the queue. */
typedef void (*aps_queue_observer)(void *arg, enum aps_queue_event ev, const struct aps_job *job);

/* Opens the Redis backend when REDIS_URL is set, else the store backend on st (which must have
 * the 005 migration applied). A Redis that is down at open is not an error (commands fail with
 * APS_E_IO until it answers). APS_E_CONFIG when there is neither Redis nor a store. */
int aps_queue_open(struct aps_queue **out, const struct aps_config *cfg, struct aps_store *st,
                   struct aps_metrics *m, char *err, size_t errcap) APS_MUST_CHECK;
void aps_queue_close(struct aps_queue *q);
/* A new REDIS_URL (credentials) for a queue in Redis, without dropping jobs in flight (see
 * aps_redis_switch); 0 and nothing done for the store-backed queue. */
int aps_queue_redis_switch(struct aps_queue *q, const char *url, char *err,
                           size_t errcap) APS_MUST_CHECK;
/* "redis" or "store". */
const char *aps_queue_backend(const struct aps_queue *q);
/* Sends the queue's events to fn(arg, …) from now on (fn NULL: to nobody). The events are
 * counted in the metrics either way. */
void aps_queue_observe(struct aps_queue *q, aps_queue_observer fn, void *arg);

/* Enqueues one job: name [a-z0-9_.-]{1,63}, payload JSON (at most APS_QUEUE_MAX_PAYLOAD bytes),
 * max_attempts 1..APS_QUEUE_MAX_ATTEMPTS, delay_ms 0..APS_QUEUE_MAX_DELAY_MS. Writes the new
 * job's id to id_out, or the existing job's id with APS_E_EXISTS when the idempotency key was
 * seen. */
int aps_queue_push(struct aps_queue *q, const char *name, const char *payload_json,
                   const char *idempotency_key, int max_attempts, int64_t delay_ms,
                   char id_out[64]) APS_MUST_CHECK;
/* aps_queue_push behind a fencing token (store/fence.h; NULL: none): APS_E_STALE, and nothing
 * enqueued, when the queue has seen a newer epoch of fence->name; otherwise the queue's fence is
 * raised to fence->epoch atomically with the push (Redis: one Lua script with the XADD; store:
 * one transaction with the INSERT), so a leader that was fenced out cannot enqueue. */
int aps_queue_push_fenced(struct aps_queue *q, const struct aps_fence *fence, const char *name,
                          const char *payload_json, const char *idempotency_key,
                          int max_attempts, int64_t delay_ms, char id_out[64]) APS_MUST_CHECK;
/* Raises the queue's fence of fence->name to fence->epoch without enqueueing (a new leader
 * does this first); APS_E_STALE when a newer epoch is there already. */
int aps_queue_fence(struct aps_queue *q, const struct aps_fence *fence) APS_MUST_CHECK;
/* Enqueues n jobs in one round trip (Redis pipeline / one transaction). 0 when every msgs[i].rc
 * is 0 or APS_E_EXISTS; a negative code when the batch failed (then rcs are not meaningful). */
int aps_queue_push_batch(struct aps_queue *q, struct aps_queue_msg *msgs, size_t n) APS_MUST_CHECK;

/* Leases one ready job for visibility_ms; waits up to block_ms for one. APS_E_NOTFOUND when
 * nothing was ready in time. The job must be finished with ack, fail or release, and cleaned up.
 * Expired leases are taken over on the way, or dead-lettered (APS_QUEUE_EXPIRED_DEAD). */
int aps_queue_claim(struct aps_queue *q, const char *consumer, int64_t visibility_ms, int block_ms,
                    struct aps_job *job) APS_MUST_CHECK;
/* Leases up to max jobs at once (*n of them); APS_E_NOTFOUND when none. Each leased job's clock
 * starts now, so batch only jobs that will all finish within visibility_ms. */
int aps_queue_claim_batch(struct aps_queue *q, const char *consumer, int64_t visibility_ms,
                          int block_ms, struct aps_job *jobs, int max, int *n) APS_MUST_CHECK;

/* Marks a job done. APS_E_STATE when this consumer no longer holds the lease (it expired and
 * another consumer took the job over): the job is then left to that consumer. 0 with
 * job->vanished when the backend had lost the job's entry: there is nothing left to mark. */
int aps_queue_ack(struct aps_queue *q, struct aps_job *job) APS_MUST_CHECK;
/* Acks n jobs in one round trip; APS_E_STATE when any of them was no longer held. */
int aps_queue_ack_batch(struct aps_queue *q, struct aps_job *jobs, int n) APS_MUST_CHECK;
/* Marks a job done whose handler refused the request it carries, the requester being told why
 * (a backtest asked through the API that has nothing to score): not retried, not dead-lettered,
 * counted as refused — the job worked, the request could not. APS_E_STATE as for ack. */
int aps_queue_refuse(struct aps_queue *q, struct aps_job *job) APS_MUST_CHECK;
/* The handler failed with error: retry later with backoff, or dead-letter it with the error
 * after max_attempts. APS_E_STATE when the lease was lost. */
int aps_queue_fail(struct aps_queue *q, struct aps_job *job, const char *error) APS_MUST_CHECK;
/* The job can never succeed as it is (its payload is wrong): dead-lettered now with error,
 * whatever attempts and retry budget it has left; counted as dead. APS_E_STATE when the lease
 * was lost. */
int aps_queue_reject(struct aps_queue *q, struct aps_job *job, const char *error) APS_MUST_CHECK;
/* When a job that has used its max_attempts stops being retried (ms since the epoch): its
 * enqueue plus QUEUE_RETRY_BUDGET_SECONDS (see "Retry budget"). */
int64_t aps_queue_retry_until_ms(const struct aps_queue *q, const struct aps_job *job);
/* Gives the job back to the queue now without counting the attempt (SIGTERM). */
int aps_queue_release(struct aps_queue *q, struct aps_job *job) APS_MUST_CHECK;
/* Renews the lease for another visibility_ms (a long job's heartbeat). APS_E_STATE when lost. */
int aps_queue_extend(struct aps_queue *q, struct aps_job *job,
                     int64_t visibility_ms) APS_MUST_CHECK;

/* Depth by state and the oldest job's age; also sets the depth and age gauges. */
int aps_queue_stats(struct aps_queue *q, struct aps_queue_stats *s) APS_MUST_CHECK;
/* Dead letters, newest first, with their error in job.error: up to max (*n of them) after
 * skipping the newest offset.
 * The jobs are not leased: do not ack them; clean them up. */
int aps_queue_dead(struct aps_queue *q, int64_t offset, struct aps_job *jobs, int max,
                   int *n) APS_MUST_CHECK;

/* True when id is written as a job id (1 to 20 decimal digits, on both backends); requeue and
 * drop refuse any other with APS_E_INVAL. */
bool aps_queue_id_ok(const char *id);
/* Puts dead letter id back on the queue, ready now, with its attempts reset to 0 (its last error
 * kept until the next run). APS_E_NOTFOUND when no dead letter has that id. */
int aps_queue_requeue(struct aps_queue *q, const char *id) APS_MUST_CHECK;
/* Deletes dead letter id. APS_E_NOTFOUND when no dead letter has that id. */
int aps_queue_drop(struct aps_queue *q, const char *id) APS_MUST_CHECK;
/* Called by a consumer that exits cleanly holding no job: removes its entry from the backend
 * (Redis: XGROUP DELCONSUMER, only while it has no pending entries). 0 on the store backend.
 * Consumers that vanished without saying so are reaped by claims: on Redis a consumer idle
 * for ten visibility timeouts and holding no entries is deleted. */
int aps_queue_forget(struct aps_queue *q, const char *consumer) APS_MUST_CHECK;

void aps_job_cleanup(struct aps_job *j);

#endif
