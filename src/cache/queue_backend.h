/* queue_backend.h — private to src/cache: the method table behind queue.h and the two backends
 * that fill it (queue_redis.c, queue_db.c). queue.c validates arguments, computes retry delays
 * and counts metrics; a backend only moves jobs between states, atomically.
 *
 * Times are the backend's to take: a push's delay, a retry's backoff and a lease's length come
 * as durations, and the backend adds them to its own clock, the one its leases and due times
 * are compared with: the Redis server's (TIME in its scripts), the PostgreSQL server's, or on
 * SQLite the caller's (aps_queue_now_ms), so that hosts whose clocks disagree share one.
 *
 * Each backend's handle starts with struct aps_queue_be, so the dispatch can hold one pointer. */
#ifndef APS_CACHE_QUEUE_BACKEND_H
#define APS_CACHE_QUEUE_BACKEND_H

#include "cache/queue.h"
#include "store/fence.h"

struct aps_queue_be;

/* How settle() finishes a leased job. */
enum aps_settle {
    APS_SETTLE_RETRY,   /* back to ready delay_ms from now, error kept */
    APS_SETTLE_DEAD,    /* to the dead letters, error kept (delay_ms 0) */
    APS_SETTLE_RELEASE, /* back to ready now, attempt not counted (delay_ms 0) */
    APS_SETTLE_EXTEND   /* still leased: the lease renewed for delay_ms from now (store); the
                           idle clock restarted now (Redis) */
};

struct aps_queue_ops {
    const char *name;
    void (*close)(struct aps_queue_be *b);
    /* Writes msgs[i].id and msgs[i].rc (0 or APS_E_EXISTS). Arguments are already checked.
     * With a fence (else NULL): APS_E_STALE and nothing pushed when the backend's fence holds a
     * newer epoch, else the fence is raised in the same atomic step (n may then be 0). Each job
     * is due msgs[i].delay_ms after the backend's now. */
    int (*push)(struct aps_queue_be *b, struct aps_queue_msg *msgs, size_t n,
                const struct aps_fence *fence);
    /* Leases up to max jobs, fills jobs[0..*n-1]; APS_E_NOTFOUND when none within block_ms. */
    int (*claim)(struct aps_queue_be *b, const char *consumer, int64_t visibility_ms, int block_ms,
                 struct aps_job *jobs, int max, int *n);
    /* Acks the jobs still held by their consumer; held[i] says which were (the rest were
     * taken over after their lease expired and are left alone). A job whose entry the backend
     * lost counts as held, with jobs[i].vanished set. */
    int (*ack)(struct aps_queue_be *b, struct aps_job *jobs, int n, bool *held);
    /* APS_E_STATE when job's lease is no longer held by job->consumer. When the backend lost
     * the job's entry: 0 and job->vanished, the job put back from *job for retry, dead and
     * release (nothing to renew for extend). */
    int (*settle)(struct aps_queue_be *b, struct aps_job *job, enum aps_settle how,
                  const char *error, int64_t delay_ms);
    int (*stats)(struct aps_queue_be *b, struct aps_queue_stats *s);
    int (*dead)(struct aps_queue_be *b, int64_t offset, struct aps_job *jobs, int max, int *n);
    /* Dead letter id back to ready now with no attempts made (requeue), or deleted (drop).
     * APS_E_NOTFOUND when no dead letter has that id. */
    int (*revive)(struct aps_queue_be *b, const char *id, bool requeue);
    /* Removes a consumer that holds nothing from the backend's books (Redis only: NULL). */
    int (*forget)(struct aps_queue_be *b, const char *consumer);
    /* Moves to a new Redis URL (aps_redis_switch); NULL for a backend without one. */
    int (*switch_url)(struct aps_queue_be *b, const char *url, char *err, size_t errcap);
};

struct aps_queue_be {
    const struct aps_queue_ops *ops;
    struct aps_queue *owner; /* set by aps_queue_open: who hears of events (aps_queue_be_event) */
};

/* A backend reports event ev (queue.h) through this: queue.c counts it and tells the observer.
 * job may be NULL. Safe before the owner is set (then nothing happens). */
void aps_queue_be_event(struct aps_queue_be *b, enum aps_queue_event ev, const struct aps_job *job);

int aps_queue_redis_open(struct aps_queue_be **out, const char *url, const char *prefix,
                         char *err, size_t errcap) APS_MUST_CHECK;
int aps_queue_db_open(struct aps_queue_be **out, struct aps_store *st, char *err,
                      size_t errcap) APS_MUST_CHECK;

/* The caller's wall clock in milliseconds since the epoch (both backends store times this
 * way), with the testing offset of the queue's CLOCK_OFFSET_FILE (config/clock.h): the store
 * queue's clock on SQLite, and the clock the retry budget is judged by (queue.c). */
int64_t aps_queue_now_ms(const struct aps_queue_be *b);

#endif
