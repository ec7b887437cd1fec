/* test_mem.c — the bump arena: allocations aligned and distinct, cleanup of an empty arena, and a
 * reset that keeps the first block for the next allocations and frees the rest. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/mem.h"

static void test_alloc_and_cleanup(void **state)
{
    struct aps_arena a = {0};
    aps_arena_cleanup(&a);
    char *p = aps_arena_alloc(&a, 3), *q = aps_arena_alloc(&a, 5);
    assert_true((uintptr_t)p % _Alignof(max_align_t) == 0);
    assert_true((uintptr_t)q % _Alignof(max_align_t) == 0);
    assert_true(q >= p + 3);
    assert_string_equal(aps_arena_strdup(&a, "abc"), "abc");
    aps_arena_cleanup(&a);
    assert_null(a.head);
}

static void test_reset_keeps_first_block(void **state)
{
    struct aps_arena a = {0};
    aps_arena_reset(&a); /* an empty arena stays empty */
    assert_null(a.head);
    char *first = aps_arena_alloc(&a, 100);
    for (int i = 0; i < 100; i++) /* several more blocks, one of them oversized */
        memset(aps_arena_alloc(&a, 1000), 1, 1000);
    memset(aps_arena_alloc(&a, 100000), 2, 100000);
    aps_arena_reset(&a);
    assert_non_null(a.head);
    assert_ptr_equal(aps_arena_alloc(&a, 100), first); /* the first block, from its start */
    aps_arena_reset(&a);
    aps_arena_cleanup(&a);
    /* An arena whose first block is an oversized one keeps nothing. */
    memset(aps_arena_alloc(&a, 100000), 3, 100000);
    aps_arena_reset(&a);
    assert_null(a.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_and_cleanup),
        cmocka_unit_test(test_reset_keeps_first_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
