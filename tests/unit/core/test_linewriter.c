/* test_linewriter.c — the buffered line writer: lines put by several threads at once all reach
 * the file, each whole, each thread's in its own order, and close writes what is still queued. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/linewriter.h"

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

static void test_lines_whole_and_in_order(void **state)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    struct aps_linewriter *w = aps_linewriter_open(fileno(f));
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
        cmocka_unit_test(test_close_empty_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
