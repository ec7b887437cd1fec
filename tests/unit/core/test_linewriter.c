/* test_linewriter.c — the buffered line writer: lines put by several threads at once all reach
 * the file, each whole, each thread's in its own order, and close writes what is still queued;
 * a batch goes out at its flush time or once it holds the batch size, not before. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/linewriter.h"
#include "core/timeutil.h"

#define THREADS 4
#define LINES 5000

struct producer {
    struct aps_linewriter *w;
    int id;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    char line[128];
    for (int i = 0; i < LINES; i++) {
        int n = snprintf(line, sizeof line, "{\"thread\":%d,\"seq\":%d,\"pad\":\"%.*s\"}\n", p->id,
                         i, i % 40, "........................................");
        aps_linewriter_put(p->w, line, (size_t)n);
    }
    return NULL;
}

static void lines_whole_and_in_order(unsigned flush_ms, size_t batch)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    struct aps_linewriter *w = aps_linewriter_open_batched(fileno(f), flush_ms, batch);
    assert_non_null(w);
    pthread_t t[THREADS];
    struct producer p[THREADS];
    for (int i = 0; i < THREADS; i++) {
        p[i] = (struct producer){w, i};
        assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    aps_linewriter_close(w);
    rewind(f);
    int next[THREADS] = {0};
    char line[256];
    int total = 0;
    while (fgets(line, sizeof line, f)) {
        int id = -1, seq = -1;
        assert_int_equal(sscanf(line, "{\"thread\":%d,\"seq\":%d,", &id, &seq), 2);
        assert_true(id >= 0 && id < THREADS);
        assert_int_equal(seq, next[id]);
        next[id]++;
        assert_int_equal((int)strlen(line), (int)strlen(strchr(line, '{')));
        assert_true(strstr(line, "\"}\n") != NULL);
        total++;
    }
    assert_int_equal(total, THREADS * LINES);
    fclose(f);
}

static void test_lines_whole_and_in_order(void **state)
{
    lines_whole_and_in_order(0, 0);
}

/* Batches of 4 KiB: most go out by size, with many writes under way while threads put. */
static void test_lines_whole_and_in_order_small_batches(void **state)
{
    lines_whole_and_in_order(1, 4096);
}

/* Reads from fd into buf until it holds want bytes or ms milliseconds have passed; the count. */
static size_t read_within(int fd, int ms, char *buf, size_t want)
{
    size_t got = 0;
    double until = aps_time_mono() + ms / 1000.0;
    while (got < want) {
        int left = (int)((until - aps_time_mono()) * 1000);
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return got;
        ssize_t n = read(fd, buf + got, want - got);
        if (n <= 0)
            return got;
        got += (size_t)n;
    }
    return got;
}

/* A line waits for its batch's flush time, then goes out without any more lines or a close. */
static void test_flush_by_time(void **state)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct aps_linewriter *w = aps_linewriter_open_batched(fds[1], 300, 1 << 20);
    assert_non_null(w);
    char buf[256];
    double t0 = aps_time_mono();
    aps_linewriter_put(w, "one\n", 4);
    assert_int_equal(read_within(fds[0], 150, buf, 1), 0); /* held: not due yet */
    size_t n = read_within(fds[0], 5000, buf, 4);
    double waited = aps_time_mono() - t0;
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "one\n", 4);
    assert_true(waited >= 0.29);       /* not before its flush time */
    aps_linewriter_put(w, "two\n", 4); /* the next batch */
    assert_int_equal(read_within(fds[0], 5000, buf, 4), 4);
    assert_memory_equal(buf, "two\n", 4);
    aps_linewriter_close(w);
    close(fds[0]);
    close(fds[1]);
}

/* A batch that reaches its size goes out at once, long before its flush time; what follows it
 * waits for its own batch. */
static void test_flush_by_size(void **state)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct aps_linewriter *w = aps_linewriter_open_batched(fds[1], 60000, 16384);
    assert_non_null(w);
    char line[64], *buf = malloc(65536);
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 16384 / 64; i++)
        aps_linewriter_put(w, line, sizeof line);
    assert_int_equal(read_within(fds[0], 3000, buf, 16384), 16384);
    aps_linewriter_put(w, line, sizeof line);
    assert_int_equal(read_within(fds[0], 200, buf, 1), 0);
    aps_linewriter_close(w); /* and close writes the rest */
    assert_int_equal(read_within(fds[0], 3000, buf, 64), 64);
    free(buf);
    close(fds[0]);
    close(fds[1]);
}

/* Close writes a batch that is far from its flush time and size, every line of it. */
static void test_close_writes_the_batch(void **state)
{
    FILE *f = tmpfile();
    struct aps_linewriter *w = aps_linewriter_open_batched(fileno(f), 60000, 1 << 20);
    assert_non_null(w);
    char line[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(line, sizeof line, "line %d\n", i);
        aps_linewriter_put(w, line, (size_t)n);
    }
    aps_linewriter_close(w);
    rewind(f);
    int i = 0;
    char got[32];
    while (fgets(got, sizeof got, f)) {
        snprintf(line, sizeof line, "line %d\n", i++);
        assert_string_equal(got, line);
    }
    assert_int_equal(i, 1000);
    fclose(f);
}

static void test_close_empty_and_null(void **state)
{
    FILE *f = tmpfile();
    struct aps_linewriter *w = aps_linewriter_open(fileno(f));
    assert_non_null(w);
    aps_linewriter_close(w);
    aps_linewriter_close(NULL);
    assert_int_equal(ftell(f), 0);
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), 0);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_whole_and_in_order),
        cmocka_unit_test(test_lines_whole_and_in_order_small_batches),
        cmocka_unit_test(test_flush_by_time),
        cmocka_unit_test(test_flush_by_size),
        cmocka_unit_test(test_close_writes_the_batch),
        cmocka_unit_test(test_close_empty_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
