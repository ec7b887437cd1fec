/* linewriter.c — a buffered line writer with a thread of its own (see linewriter.h).
 *
 * Two buffers: producers append to `fill` under the mutex; the writer swaps it with its empty
 * `out`, drops the mutex and writes `out`. The first line put into an empty `fill` sets the
 * batch's due time. The writer sleeps on `more` while there is nothing to write (`idle`: the
 * next put wakes it) and then until the due time while the batch is under way (`gathering`: a
 * put that fills the batch wakes it early), so producers signal at most twice per batch and
 * never while the writer is busy. `room` wakes a producer held at the cap. The condition
 * variables run on the monotonic clock, so a change of the wall clock cannot hold a batch. */
#include "core/linewriter.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"

struct aps_linewriter {
    int fd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    struct aps_buf fill, out;
    struct timespec due; /* when the batch in `fill` goes out at the latest */
    long flush_ns;
    size_t batch;
    bool idle;      /* the writer waits on `more` with nothing to write */
    bool gathering; /* the writer waits on `more` until `due` */
    bool stop;
};

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return; /* a log that cannot be written is dropped, as a failed fwrite would be */
        p += k;
        n -= (size_t)k;
    }
}

static void *writer_main(void *arg)
{
    struct aps_linewriter *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->fill.len == 0 && !w->stop) {
            w->idle = true;
            pthread_cond_wait(&w->more, &w->mu);
            w->idle = false;
        }
        if (w->fill.len == 0 && w->stop)
            break;
        while (w->fill.len < w->batch && !w->stop) {
            w->gathering = true;
            int rc = pthread_cond_timedwait(&w->more, &w->mu, &w->due);
            w->gathering = false;
            if (rc == ETIMEDOUT)
                break;
        }
        struct aps_buf t = w->out;
        w->out = w->fill;
        w->fill = t;
        w->fill.len = 0;
        pthread_cond_broadcast(&w->room);
        pthread_mutex_unlock(&w->mu);
        write_all(w->fd, w->out.data, w->out.len);
        w->out.len = 0;
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct aps_linewriter *aps_linewriter_open_batched(int fd, unsigned flush_ms, size_t batch_bytes)
{
    struct aps_linewriter *w = aps_calloc(1, sizeof *w);
    w->fd = fd;
    w->flush_ns = (long)(flush_ms ? flush_ms : APS_LINEWRITER_FLUSH_MS) * 1000000L;
    w->batch = batch_bytes ? batch_bytes : APS_LINEWRITER_BATCH;
    if (w->batch > APS_LINEWRITER_MAX)
        w->batch = APS_LINEWRITER_MAX;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->more, &ca);
    pthread_cond_init(&w->room, NULL);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, writer_main, w)) {
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->more);
        pthread_mutex_destroy(&w->mu);
        aps_free(w);
        return NULL;
    }
    (void)pthread_setname_np(w->thread, "aps-log");
    return w;
}

struct aps_linewriter *aps_linewriter_open(int fd)
{
    return aps_linewriter_open_batched(fd, 0, 0);
}

void aps_linewriter_put(struct aps_linewriter *w, const char *line, size_t len)
{
    pthread_mutex_lock(&w->mu);
    while (w->fill.len >= APS_LINEWRITER_MAX && !w->stop)
        pthread_cond_wait(&w->room, &w->mu);
    if (w->fill.len == 0) {
        clock_gettime(CLOCK_MONOTONIC, &w->due);
        w->due.tv_nsec += w->flush_ns;
        w->due.tv_sec += w->due.tv_nsec / 1000000000L;
        w->due.tv_nsec %= 1000000000L;
    }
    aps_buf_append(&w->fill, line, len);
    if (w->idle || (w->gathering && w->fill.len >= w->batch))
        pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
}

void aps_linewriter_close(struct aps_linewriter *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->more);
    pthread_cond_broadcast(&w->room);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    aps_buf_cleanup(&w->fill);
    aps_buf_cleanup(&w->out);
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->more);
    pthread_mutex_destroy(&w->mu);
    aps_free(w);
}
