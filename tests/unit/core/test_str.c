/* test_str.c — aps_str_cat: strings up to a NULL one joined into a fixed buffer, with the cut
 * reported (and the buffer still terminated) when they do not fit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/err.h"
#include "core/str.h"

static void test_cat(void **state)
{
    char b[8];
    assert_int_equal(aps_str_cat(b, sizeof b, "ab", "", "cd", (char *)NULL), 0);
    assert_string_equal(b, "abcd");
    assert_int_equal(aps_str_cat(b, sizeof b, (char *)NULL), 0);
    assert_string_equal(b, "");
    assert_int_equal(aps_str_cat(b, sizeof b, "1234", "567", (char *)NULL), 0); /* 7 fit */
    assert_string_equal(b, "1234567");
    assert_int_equal(aps_str_cat(b, sizeof b, "1234", "5678", (char *)NULL), APS_E_TOOBIG);
    assert_string_equal(b, "1234567");
    assert_int_equal(aps_str_cat(b, sizeof b, "12345678", "x", (char *)NULL), APS_E_TOOBIG);
    assert_string_equal(b, "1234567");
    assert_int_equal(aps_str_cat(b, 1, "a", (char *)NULL), APS_E_TOOBIG);
    assert_string_equal(b, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
