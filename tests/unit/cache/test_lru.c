/* test_lru.c — the in-process cache tier (src/cache/lru.c): hits and misses, expiry on the
 * caller's clock, eviction of the least recently used entry by entry count and by bytes,
 * replacement, prefix deletion and the per-entry size limit. No servers needed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cache/lru.h"
#include "core/mem.h"

/* Asserts key holds want at time now. */
static void expect_val(struct aps_lru *l, const char *key, int64_t now, const char *want)
{
    char *v = NULL;
    size_t n = 0;
    assert_int_equal(aps_lru_get(l, key, now, &v, &n), 0);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
    assert_int_equal(v[n], '\0');
    aps_free(v);
}

static void expect_miss(struct aps_lru *l, const char *key, int64_t now)
{
    char *v = NULL;
    size_t n = 0;
    assert_int_equal(aps_lru_get(l, key, now, &v, &n), APS_E_NOTFOUND);
    assert_null(v);
}

static void test_hit_miss_replace(void **state)
{
    struct aps_lru *l = aps_lru_new(10, 1000);
    expect_miss(l, "a", 0);
    assert_int_equal(aps_lru_set(l, "a", "one", 3, 100), 0);
    expect_val(l, "a", 0, "one");
    assert_int_equal(aps_lru_set(l, "a", "two!", 4, 100), 0);
    expect_val(l, "a", 0, "two!");
    /* Binary values with NUL bytes survive. */
    assert_int_equal(aps_lru_set(l, "b", "x\0y", 3, 100), 0);
    char *v = NULL;
    size_t n = 0;
    assert_int_equal(aps_lru_get(l, "b", 0, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(v, "x\0y", 3);
    aps_free(v);
    struct aps_lru_stats st;
    aps_lru_stats(l, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.bytes, 1 + 4 + 1 + 3);
    assert_int_equal(aps_lru_del(l, "a"), 0);
    assert_int_equal(aps_lru_del(l, "a"), APS_E_NOTFOUND);
    expect_miss(l, "a", 0);
    aps_lru_free(l);
}

static void test_expiry(void **state)
{
    struct aps_lru *l = aps_lru_new(10, 1000);
    assert_int_equal(aps_lru_set(l, "k", "v", 1, 1000), 0);
    expect_val(l, "k", 999, "v");
    expect_miss(l, "k", 1000); /* expires_ms is exclusive */
    struct aps_lru_stats st;
    aps_lru_stats(l, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.expirations, 1);
    aps_lru_free(l);
}

static void test_evict_by_entries(void **state)
{
    struct aps_lru *l = aps_lru_new(3, 1 << 20);
    char key[16];
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(aps_lru_set(l, key, "v", 1, 1000), 0);
    }
    expect_val(l, "k0", 0, "v"); /* k0 is now the most recent; k1 the least */
    assert_int_equal(aps_lru_set(l, "k3", "v", 1, 1000), 0);
    expect_miss(l, "k1", 0);
    expect_val(l, "k0", 0, "v");
    expect_val(l, "k2", 0, "v");
    expect_val(l, "k3", 0, "v");
    struct aps_lru_stats st;
    aps_lru_stats(l, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.evictions, 1);
    aps_lru_free(l);
}

static void test_evict_by_bytes(void **state)
{
    struct aps_lru *l = aps_lru_new(100, 30); /* key 2 + value 8 = 10 bytes each */
    assert_int_equal(aps_lru_set(l, "k1", "aaaaaaaa", 8, 1000), 0);
    assert_int_equal(aps_lru_set(l, "k2", "bbbbbbbb", 8, 1000), 0);
    assert_int_equal(aps_lru_set(l, "k3", "cccccccc", 8, 1000), 0);
    assert_int_equal(aps_lru_set(l, "k4", "dddddddddddddddddd", 18, 1000), 0); /* 20 bytes */
    expect_miss(l, "k1", 0);
    expect_miss(l, "k2", 0);
    expect_val(l, "k3", 0, "cccccccc");
    struct aps_lru_stats st;
    aps_lru_stats(l, &st);
    assert_true(st.bytes <= 30);
    assert_int_equal(st.bytes, 30);
    /* One entry over the whole budget is refused and leaves the rest alone. */
    char big[64];
    memset(big, 'x', sizeof big);
    assert_int_equal(aps_lru_set(l, "k5", big, sizeof big, 1000), APS_E_TOOBIG);
    expect_val(l, "k3", 0, "cccccccc");
    aps_lru_free(l);
}

static void test_del_prefix(void **state)
{
    struct aps_lru *l = aps_lru_new(100, 1 << 20);
    assert_int_equal(aps_lru_set(l, "aps:c:odds:1:a", "1", 1, 1000), 0);
    assert_int_equal(aps_lru_set(l, "aps:c:odds:1:b", "1", 1, 1000), 0);
    assert_int_equal(aps_lru_set(l, "aps:c:games:1:a", "1", 1, 1000), 0);
    assert_int_equal(aps_lru_del_prefix(l, "aps:c:odds:"), 2);
    expect_miss(l, "aps:c:odds:1:a", 0);
    expect_val(l, "aps:c:games:1:a", 0, "1");
    aps_lru_free(l);
}

struct hammer {
    struct aps_lru *l;
    int id;
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    char key[32], val[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "t%d-%d", h->id, i % 300);
        int n = snprintf(val, sizeof val, "v%d", i);
        (void)aps_lru_set(h->l, key, val, (size_t)n, 1000000);
        char *v = NULL;
        size_t len = 0;
        if (aps_lru_get(h->l, key, 0, &v, &len) == 0)
            aps_free(v);
    }
    return NULL;
}

/* Four threads setting and getting over a table smaller than their keys: the limits hold and
 * nothing is corrupted (ASan/TSan builds check the rest). */
static void test_threads(void **state)
{
    struct aps_lru *l = aps_lru_new(500, 1 << 20);
    pthread_t t[4];
    struct hammer h[4];
    for (int i = 0; i < 4; i++) {
        h[i] = (struct hammer){l, i};
        assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    struct aps_lru_stats st;
    aps_lru_stats(l, &st);
    assert_true(st.entries <= 500);
    assert_true(st.evictions > 0);
    aps_lru_free(l);
}

/* A lent value stays intact while held, whatever happens to its key; a released one that was
 * dropped is freed (ASan and valgrind see a leak or a use after free otherwise). */
static void test_refs(void **state)
{
    struct aps_lru *l = aps_lru_new(2, 1 << 20);
    const char *v1 = NULL, *v2 = NULL;
    size_t n1 = 0, n2 = 0;
    struct aps_lru_ref *r1 = NULL, *r2 = NULL;
    assert_int_equal(aps_lru_set(l, "k", "first", 5, 1000), 0);
    assert_int_equal(aps_lru_get_ref(l, "k", 10, &v1, &n1, &r1), 0);
    assert_int_equal(aps_lru_get_ref(l, "k", 10, &v2, &n2, &r2), 0);
    assert_ptr_equal(v1, v2);
    assert_int_equal(aps_lru_set(l, "k", "second", 6, 1000), 0); /* replaced while held */
    assert_int_equal(aps_lru_set(l, "a", "x", 1, 1000), 0);
    assert_int_equal(aps_lru_set(l, "b", "y", 1, 1000), 0); /* and "second" evicted */
    assert_int_equal(n1, 5);
    assert_memory_equal(v1, "first", 5);
    struct aps_lru_stats st;
    aps_lru_stats(l, &st);
    assert_int_equal(st.entries, 2);
    aps_lru_release(r1);
    assert_memory_equal(v2, "first", 5);
    aps_lru_release(r2);
    aps_lru_release(NULL);
    /* a held entry that is still in the table stays there after release */
    assert_int_equal(aps_lru_get_ref(l, "a", 10, &v1, &n1, &r1), 0);
    aps_lru_release(r1);
    char *copy = NULL;
    assert_int_equal(aps_lru_get(l, "a", 10, &copy, &n1), 0);
    assert_string_equal(copy, "x");
    aps_free(copy);
    /* expired: not lent */
    assert_int_not_equal(aps_lru_get_ref(l, "a", 5000, &v1, &n1, &r1), 0);
    aps_lru_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_miss_replace),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_evict_by_entries),
        cmocka_unit_test(test_evict_by_bytes),
        cmocka_unit_test(test_del_prefix),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
