/* test_numfmt.c — numbers to text without printf: integers as "%lld" writes them; doubles read
 * back exactly, in the short form for prices and lines, and as "%.17g" otherwise; fixed
 * decimals as "%.*f" writes them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"

static void test_integers(void **state)
{
    const int64_t cases[] = {0, 1, -1, 9, 10, -110, 123456789, INT64_MAX, INT64_MIN, -9, 100};
    char a[APS_FMT_CAP], b[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = aps_fmt_i64(a, cases[i]);
        snprintf(b, sizeof b, "%" PRId64, cases[i]);
        assert_string_equal(a, b);
        assert_int_equal(n, strlen(b));
    }
}

static void test_short_forms(void **state)
{
    struct {
        double v;
        const char *s;
    } cases[] = {{-110, "-110"}, {1.91, "1.91"}, {2.375, "2.375"}, {0.5, "0.5"}, {-0.5, "-0.5"},
                 {0, "0"},       {100, "100"},   {-3.5, "-3.5"},   {0.001, "0.001"},
                 {123456.75, "123456.75"}};
    char a[APS_FMT_CAP];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aps_fmt_double(a, cases[i].v);
        assert_string_equal(a, cases[i].s);
    }
}

static void test_round_trip(void **state)
{
    char a[APS_FMT_CAP], b[64];
    srand(42);
    for (int i = 0; i < 200000; i++) {
        double v;
        switch (i % 4) {
        case 0: v = (rand() % 200001 - 100000) / 100.0; break;            /* prices */
        case 1: v = (rand() % 2001 - 1000) / 4.0; break;                   /* lines */
        case 2: v = ((double)rand() / RAND_MAX - 0.5) * 1e4; break;        /* anything */
        default: v = ldexp((double)rand(), rand() % 80 - 40) * (rand() % 2 ? 1 : -1); break;
        }
        size_t n = aps_fmt_double(a, v);
        assert_int_equal(n, strlen(a));
        assert_true(strtod(a, NULL) == v);
        snprintf(b, sizeof b, "%.17g", v);
        assert_true(strlen(a) <= strlen(b));
    }
    aps_fmt_double(a, NAN);
    snprintf(b, sizeof b, "%.17g", NAN);
    assert_string_equal(a, b);
    aps_fmt_double(a, -INFINITY);
    assert_string_equal(a, "-inf");
    aps_fmt_double(a, -0.0);
    assert_string_equal(a, "-0");
    aps_fmt_double(a, 1e300);
    assert_true(strtod(a, NULL) == 1e300);
}

/* Fixed decimals as "%.*f" writes them, ties and near-ties included. */
static void test_fixed(void **state)
{
    char a[APS_FMT_CAP], b[64];
    srand(7);
    for (int i = 0; i < 300000; i++) {
        double v;
        switch (i % 5) {
        case 0: v = (double)rand() / RAND_MAX * 50; break;              /* milliseconds */
        case 1: v = (rand() % 200001 - 100000) / 2000.0; break;         /* halves of a digit */
        case 2: v = (rand() % 2000001 - 1000000) * 0.0005; break;       /* near-ties */
        case 3: v = ((double)rand() / RAND_MAX - 0.5) * 2e9; break;     /* past the fast path */
        default: v = ldexp((double)rand(), rand() % 60 - 50) * (rand() % 2 ? 1 : -1); break;
        }
        int d = i % (APS_FMT_FAST_DECIMALS + 2);
        size_t n = aps_fmt_fixed(a, v, d);
        snprintf(b, sizeof b, "%.*f", d, v);
        assert_string_equal(a, b);
        assert_int_equal(n, strlen(b));
    }
    const double special[] = {0,   -0.0, 0.0005, 0.0015, 0.0025, -0.0004, 1.0005, 2.5,
                              3.5, 999999999.9999, 1e-9, -1e-9, 0.1, 0.7, 123.456};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        for (int d = 0; d <= APS_FMT_FAST_DECIMALS; d++) {
            aps_fmt_fixed(a, special[i], d);
            snprintf(b, sizeof b, "%.*f", d, special[i]);
            assert_string_equal(a, b);
        }
    aps_fmt_fixed(a, NAN, 3);
    snprintf(b, sizeof b, "%.3f", NAN);
    assert_string_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_short_forms),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
