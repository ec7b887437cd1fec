/* queue.c — the driver of bench/queue: no-op jobs end to end through the Redis queue
 * (src/cache/queue_redis.c), or through the store queue (src/cache/queue_db.c) when the URL is a
 * database URL (sqlite:///…, postgresql://…; migrated here, jobs left by earlier runs deleted).
 * One producer thread pushes N jobs while W worker threads claim and acknowledge them; the clock
 * runs from the first push to the last ack.
 *
 *   queue_bench URL N WORKERS CLAIM_BATCH PUSH_BATCH
 *
 * CLAIM_BATCH 1 and PUSH_BATCH 1 is the one-job-at-a-time path (one round trip per push, claim
 * and ack); larger values use aps_queue_push_batch (a pipeline) and aps_queue_claim_batch /
 * aps_queue_ack_batch (one script run for many jobs). Prints one line of key=value results.
 * Every job is checked to be acknowledged exactly once and the queue to be empty at the end. */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/queue.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "store/migrate.h"
#include "store/store.h"

struct bench {
    struct aps_queue *q;
    int n, claim_batch, push_batch;
    _Atomic int acked;
    _Atomic int errors;
    _Atomic unsigned char *seen; /* per job id (ids are base+1..base+n) */
    int64_t base;                /* 0 on Redis (a fresh prefix); the store's last id before */
    struct aps_store *st;        /* the store queue's database, or NULL */
    double t_end;
    pthread_mutex_t mu;
};

struct worker {
    struct bench *b;
    char name[32];
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct bench *b = w->b;
    struct aps_job *jobs = aps_calloc((size_t)b->claim_batch, sizeof *jobs);
    while (atomic_load(&b->acked) < b->n && atomic_load(&b->errors) == 0) {
        int got = 0;
        int rc = aps_queue_claim_batch(b->q, w->name, 60000, 100, jobs, b->claim_batch, &got);
        if (rc == APS_E_NOTFOUND)
            continue;
        if (!rc)
            rc = aps_queue_ack_batch(b->q, jobs, got);
        for (int i = 0; i < got; i++) {
            int64_t id = 0;
            bool ok = aps_parse_int64(jobs[i].id, &id) == 0;
            id -= b->base;
            if (ok && id >= 1 && id <= b->n)
                atomic_fetch_add(&b->seen[id - 1], 1);
            aps_job_cleanup(&jobs[i]);
        }
        if (rc) {
            fprintf(stderr, "worker %s: %s\n", w->name, aps_strerror(rc));
            atomic_fetch_add(&b->errors, 1);
            break;
        }
        if (atomic_fetch_add(&b->acked, got) + got >= b->n) {
            pthread_mutex_lock(&b->mu);
            if (b->t_end == 0)
                b->t_end = aps_time_mono();
            pthread_mutex_unlock(&b->mu);
        }
    }
    aps_free(jobs);
    return NULL;
}

/* Pushes n jobs, push_batch at a time; returns the seconds it took or -1. */
static double produce(struct bench *b)
{
    struct aps_queue_msg *msgs = aps_calloc((size_t)b->push_batch, sizeof *msgs);
    double t0 = aps_time_mono();
    for (int done = 0; done < b->n;) {
        int k = b->n - done < b->push_batch ? b->n - done : b->push_batch;
        for (int i = 0; i < k; i++)
            msgs[i] = (struct aps_queue_msg){"noop", "{}", NULL, 3, 0, "", 0};
        int rc = aps_queue_push_batch(b->q, msgs, (size_t)k);
        if (rc) {
            fprintf(stderr, "push: %s\n", aps_strerror(rc));
            aps_free(msgs);
            return -1;
        }
        done += k;
    }
    aps_free(msgs);
    return aps_time_mono() - t0;
}

/* Opens, migrates and empties the store behind a store queue; *base = the last job id. */
static struct aps_store *open_store(const char *url, int workers, int64_t *base)
{
    struct aps_store_opts o = {.url = url, .pool_size = workers + 2, .pool_timeout = 30.0};
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    char err[512] = "";
    int applied = 0;
    int rc = aps_store_open(&st, &o, err, sizeof err);
    if (!rc)
        rc = aps_migrate_up(st, NULL, NULL, &applied, err, sizeof err);
    if (!rc)
        rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    bool pg = !rc && aps_store_kind(st) == APS_DB_POSTGRES;
    if (!rc)
        rc = aps_conn_exec(c, pg ? "TRUNCATE jobs RESTART IDENTITY" : "DELETE FROM jobs");
    if (!rc && !pg) { /* AUTOINCREMENT: ids go on from the last one ever given */
        rc = aps_conn_query_row(c, "SELECT seq FROM sqlite_sequence WHERE name = 'jobs'", "i", base,
                                "");
        if (rc == APS_E_NOTFOUND)
            rc = 0;
    }
    if (rc) {
        fprintf(stderr, "queue_bench: %s %s\n", err, c ? aps_conn_errmsg(c) : "");
        exit(1);
    }
    aps_store_release(c);
    return st;
}

static struct aps_queue *open_queue(const char *url, const char *prefix, struct aps_store *st)
{
    char u[600], p[200];
    snprintf(u, sizeof u, "REDIS_URL=%s", st ? "" : url);
    snprintf(p, sizeof p, "REDIS_KEY_PREFIX=%s", prefix);
    char *envp[] = {u, p, (char *)"APS_SECRETS_DIR=/nonexistent", NULL};
    struct aps_config_opts o = {envp, "/nonexistent"};
    struct aps_config *cfg = NULL;
    struct aps_queue *q = NULL;
    char err[512] = "";
    if (aps_config_load(&cfg, &o, err, sizeof err) ||
        aps_queue_open(&q, cfg, st, NULL, err, sizeof err)) {
        fprintf(stderr, "queue_bench: %s\n", err);
        exit(1);
    }
    aps_config_free(cfg);
    return q;
}

int main(int argc, char **argv)
{
    int n = 0, workers = 0, cb = 0, pb = 0;
    if (argc != 6 || aps_parse_int(argv[2], &n) || aps_parse_int(argv[3], &workers) ||
        aps_parse_int(argv[4], &cb) || aps_parse_int(argv[5], &pb) || n < 1 || workers < 1 ||
        workers > 64 || cb < 1 || pb < 1) {
        fprintf(stderr, "usage: queue_bench URL N WORKERS CLAIM_BATCH PUSH_BATCH\n");
        return 2;
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "apsbench_%ld_%ld", (long)getpid(), (long)aps_time_now());
    struct bench b = {.n = n, .claim_batch = cb, .push_batch = pb};
    if (strncmp(argv[1], "redis", 5) != 0)
        b.st = open_store(argv[1], workers, &b.base);
    b.q = open_queue(argv[1], prefix, b.st);
    b.seen = aps_calloc((size_t)n, sizeof *b.seen);
    pthread_mutex_init(&b.mu, NULL);
    pthread_t t[64];
    struct worker w[64];
    for (int i = 0; i < workers; i++) {
        w[i].b = &b;
        snprintf(w[i].name, sizeof w[i].name, "bench-%d", i);
        pthread_create(&t[i], NULL, worker_run, &w[i]);
    }
    double t0 = aps_time_mono();
    double push_s = produce(&b);
    if (push_s < 0)
        atomic_fetch_add(&b.errors, 1);
    for (int i = 0; i < workers; i++)
        pthread_join(t[i], NULL);
    int twice = 0, missing = 0;
    for (int i = 0; i < n; i++) {
        missing += b.seen[i] == 0;
        twice += b.seen[i] > 1;
    }
    struct aps_queue_stats s = {0};
    int src = aps_queue_stats(b.q, &s);
    double total = b.t_end > 0 ? b.t_end - t0 : -1;
    printf("jobs=%d workers=%d claim_batch=%d push_batch=%d seconds=%.3f jobs_per_s=%.0f "
           "push_per_s=%.0f missing=%d twice=%d left=%lld errors=%d\n",
           n, workers, cb, pb, total, total > 0 ? n / total : 0, push_s > 0 ? n / push_s : 0,
           missing, twice, src ? -1LL : (long long)(s.ready + s.leased + s.delayed + s.dead),
           atomic_load(&b.errors));
    aps_queue_close(b.q);
    aps_store_close(b.st);
    aps_free(b.seen);
    return atomic_load(&b.errors) || missing || twice ? 1 : 0;
}
