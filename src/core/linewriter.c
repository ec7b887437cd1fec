/* linewriter.c — a buffered line writer with a thread of its own (see linewriter.h).
 *
 * Two buffers: producers append to `fill` under the mutex; the writer swaps it with its empty
 * `out`, drops the mutex and writes `out`. The condition `more` wakes the writer (signalled only
 * while it waits, so a busy writer costs producers no system call); `room` wakes a producer
 * held at the cap. */
#include "core/linewriter.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"

struct aps_linewriter {
    int fd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    struct aps_buf fill, out;
    bool waiting; /* the writer sleeps on `more` */
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
            w->waiting = true;
            pthread_cond_wait(&w->more, &w->mu);
            w->waiting = false;
        }
        if (w->fill.len == 0 && w->stop)
            break;
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

struct aps_linewriter *aps_linewriter_open(int fd)
{
    struct aps_linewriter *w = aps_calloc(1, sizeof *w);
    w->fd = fd;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->more, NULL);
    pthread_cond_init(&w->room, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w)) {
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->more);
        pthread_mutex_destroy(&w->mu);
        aps_free(w);
        return NULL;
    }
    return w;
}

void aps_linewriter_put(struct aps_linewriter *w, const char *line, size_t len)
{
    pthread_mutex_lock(&w->mu);
    while (w->fill.len >= APS_LINEWRITER_MAX && !w->stop)
        pthread_cond_wait(&w->room, &w->mu);
    aps_buf_append(&w->fill, line, len);
    if (w->waiting)
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
