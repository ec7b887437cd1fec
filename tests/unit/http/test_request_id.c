/* test_request_id.c — request ids from the per-thread pool of random bytes: 32 lowercase hex
 * digits, and no two alike across threads and across many refills of each thread's pool. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

#define THREADS 4
#define PER_THREAD 5000 /* about twenty refills of a 4 KiB pool each */

static char ids[THREADS * PER_THREAD][33];

static void *draw(void *arg)
{
    char(*mine)[33] = arg;
    for (int i = 0; i < PER_THREAD; i++)
        aps_http_request_id_new(mine[i]);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    return memcmp(a, b, 33);
}

static void test_ids_unique_and_hex(void **state)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, draw, ids[i * PER_THREAD]), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        assert_int_equal(strlen(ids[i]), 32);
        assert_int_equal(strspn(ids[i], "0123456789abcdef"), 32);
    }
    qsort(ids, THREADS * PER_THREAD, 33, cmp);
    for (int i = 1; i < THREADS * PER_THREAD; i++)
        assert_true(memcmp(ids[i - 1], ids[i], 33) != 0);
}

/* The digits are not stuck: across many ids every hex digit shows up in every position. */
static void test_ids_vary(void **state)
{
    unsigned seen[32] = {0};
    char id[33];
    for (int i = 0; i < 2000; i++) {
        aps_http_request_id_new(id);
        for (int k = 0; k < 32; k++)
            seen[k] |= 1u << (id[k] <= '9' ? id[k] - '0' : id[k] - 'a' + 10);
    }
    for (int k = 0; k < 32; k++)
        assert_int_equal(seen[k], 0xffffu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_unique_and_hex),
        cmocka_unit_test(test_ids_vary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
