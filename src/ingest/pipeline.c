/* pipeline.c — the parse thread and its bounded queue (see pipeline.h).
 *
 * The queue is a ring of `depth` slots guarded by one mutex: the parse thread waits on `room`
 * while every slot is full, the taker waits on `ready` while the next job is not parsed yet.
 * Results are produced in job order, so the ring's head is always the next job. */
#include "ingest/pipeline.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/timeutil.h"
#include "ingest/fetch.h"

struct aps_ingest_pipe {
    const struct aps_ingest_job *jobs;
    size_t njobs;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t room, ready;
    struct aps_ingest_parsed **ring;
    size_t depth, head, count; /* ring[head] is the oldest of count results */
    size_t taken;              /* results handed to the caller */
    bool stop;
};

/* Fetches (a URL) and parses one job; the result is complete whatever happens. */
static struct aps_ingest_parsed *parse_job(const struct aps_ingest_job *j, size_t idx)
{
    struct aps_ingest_parsed *x = aps_calloc(1, sizeof *x);
    x->job = idx;
    double t0 = aps_time_mono();
    const char *path = j->path;
    if (aps_fetch_is_url(path)) {
        x->rc = aps_fetch_to_temp(path, x->tmp, sizeof x->tmp, x->err, sizeof x->err);
        if (x->rc) {
            x->tmp[0] = '\0';
            x->fetch_failed = true;
            x->seconds = aps_time_mono() - t0;
            return x;
        }
        path = x->tmp;
    }
    x->rc = aps_ingest_parse(j->source, path, &x->batch, x->err, sizeof x->err);
    x->seconds = aps_time_mono() - t0;
    return x;
}

static void *parse_thread(void *arg)
{
    struct aps_ingest_pipe *p = arg;
    for (size_t i = 0; i < p->njobs; i++) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->count == p->depth)
            pthread_cond_wait(&p->room, &p->mu);
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        struct aps_ingest_parsed *x = parse_job(&p->jobs[i], i);
        pthread_mutex_lock(&p->mu);
        p->ring[(p->head + p->count) % p->depth] = x;
        p->count++;
        pthread_cond_signal(&p->ready);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

int aps_ingest_pipe_start(struct aps_ingest_pipe **out, const struct aps_ingest_job *jobs, size_t n,
                          size_t depth)
{
    struct aps_ingest_pipe *p = aps_calloc(1, sizeof *p);
    p->jobs = jobs;
    p->njobs = n;
    p->depth = depth ? depth : 1;
    p->ring = aps_calloc(p->depth, sizeof *p->ring);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->room, NULL);
    pthread_cond_init(&p->ready, NULL);
    if (pthread_create(&p->th, NULL, parse_thread, p)) {
        pthread_cond_destroy(&p->ready);
        pthread_cond_destroy(&p->room);
        pthread_mutex_destroy(&p->mu);
        aps_free(p->ring);
        aps_free(p);
        *out = NULL;
        return APS_E_IO;
    }
    *out = p;
    return 0;
}

struct aps_ingest_parsed *aps_ingest_pipe_next(struct aps_ingest_pipe *p)
{
    if (p->taken == p->njobs)
        return NULL;
    pthread_mutex_lock(&p->mu);
    while (!p->count)
        pthread_cond_wait(&p->ready, &p->mu);
    struct aps_ingest_parsed *x = p->ring[p->head];
    p->ring[p->head] = NULL;
    p->head = (p->head + 1) % p->depth;
    p->count--;
    p->taken++;
    pthread_cond_signal(&p->room);
    pthread_mutex_unlock(&p->mu);
    return x;
}

void aps_ingest_pipe_stop(struct aps_ingest_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->room);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    for (size_t k = 0; k < p->count; k++)
        aps_ingest_parsed_free(p->ring[(p->head + k) % p->depth]);
    pthread_cond_destroy(&p->ready);
    pthread_cond_destroy(&p->room);
    pthread_mutex_destroy(&p->mu);
    aps_free(p->ring);
    aps_free(p);
}

void aps_ingest_parsed_free(struct aps_ingest_parsed *x)
{
    if (!x)
        return;
    aps_batch_cleanup(&x->batch);
    if (x->tmp[0])
        unlink(x->tmp);
    aps_free(x);
}
