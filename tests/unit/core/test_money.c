/* test_money.c — money as integer cents (core/money.h): decimal text and JSON doubles read into
 * cents exactly or refused (a third decimal, 1e-8, out of range, not a number), rounding of
 * computed amounts half away from zero on the decimal value, formatting, and sums that stay
 * exact where the same sums in doubles drift. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"

static int64_t parsed(const char *s)
{
    int64_t c = -1;
    assert_int_equal(aps_money_parse(s, &c), 0);
    return c;
}

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(parsed("0.01"), 1);
    assert_int_equal(parsed("0.1"), 10);
    assert_int_equal(parsed("19.99"), 1999);
    assert_int_equal(parsed("100"), 10000);
    assert_int_equal(parsed("1.50"), 150);
    assert_int_equal(parsed("1.5000000"), 150);
    assert_int_equal(parsed("-5.05"), -505);
    assert_int_equal(parsed("+7"), 700);
    assert_int_equal(parsed(".25"), 25);
    assert_int_equal(parsed("3."), 300);
    assert_int_equal(parsed("1e2"), 10000);
    assert_int_equal(parsed("1.25E+3"), 125000);
    assert_int_equal(parsed("125e-2"), 125);
    assert_int_equal(parsed("0"), 0);
    assert_int_equal(parsed("0.000"), 0);
    assert_int_equal(parsed("999999999999.99"), INT64_C(99999999999999));
    assert_int_equal(parsed("10000000000000"), APS_MONEY_LIMIT_CENTS);
    int64_t c;
    const char *const inval[] = {"0.001", "1e-8", "0.00000001", "12.345", "1.2e-2e", NULL};
    for (int i = 0; inval[i]; i++)
        assert_int_not_equal(aps_money_parse(inval[i], &c), 0);
    assert_int_equal(aps_money_parse("0.001", &c), APS_E_INVAL);
    assert_int_equal(aps_money_parse("1e-8", &c), APS_E_INVAL);
    assert_int_equal(aps_money_parse("10000000000000.01", &c), APS_E_RANGE);
    assert_int_equal(aps_money_parse("1e300", &c), APS_E_RANGE);
    assert_int_equal(aps_money_parse("123456789012345678901234567890123456789012345", &c),
                     APS_E_RANGE);
    const char *const bad[] = {"", "-", ".", "abc", "1,5", "1.2.3", "1e", "0x10", " 1", "1 ",
                               "nan", "inf", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(aps_money_parse(bad[i], &c), APS_E_PARSE);
    assert_int_equal(aps_money_parse(NULL, &c), APS_E_PARSE);
}

static void test_from_double(void **state)
{
    (void)state;
    int64_t c = 0;
    assert_int_equal(aps_money_from_double(0.1, &c), 0);
    assert_int_equal(c, 10);
    assert_int_equal(aps_money_from_double(19.99, &c), 0);
    assert_int_equal(c, 1999);
    assert_int_equal(aps_money_from_double(1e12, &c), 0);
    assert_int_equal(c, INT64_C(100000000000000));
    assert_int_equal(aps_money_from_double(999999999999.99, &c), 0);
    assert_int_equal(c, INT64_C(99999999999999));
    /* The sender wrote more than two decimals: the double says so. */
    assert_int_equal(aps_money_from_double(0.1 + 0.2, &c), APS_E_INVAL); /* 0.30000000000000004 */
    assert_int_equal(aps_money_from_double(1e-8, &c), APS_E_INVAL);
    assert_int_equal(aps_money_from_double(1e-300, &c), APS_E_INVAL);
    assert_int_equal(aps_money_from_double(0.005, &c), APS_E_INVAL);
    assert_int_equal(aps_money_from_double(1e20, &c), APS_E_RANGE);
    assert_int_equal(aps_money_from_double(NAN, &c), APS_E_PARSE);
    assert_int_equal(aps_money_from_double(INFINITY, &c), APS_E_PARSE);
}

static void test_round(void **state)
{
    (void)state;
    assert_int_equal(aps_money_round(12.345), 1235);  /* the double is 12.34499… */
    assert_int_equal(aps_money_round(-12.345), -1235);
    assert_int_equal(aps_money_round(0.125), 13);
    assert_int_equal(aps_money_round(-0.125), -13);
    assert_int_equal(aps_money_round(0.1 + 0.2), 30);
    assert_int_equal(aps_money_round(19.99), 1999);
    assert_int_equal(aps_money_round(0.004), 0);
    assert_int_equal(aps_money_round_cents(1000 * 0.91), 910); /* 910.0000000000001 */
    assert_int_equal(aps_money_round_cents(-500.5), -501);
    assert_int_equal(aps_money_round_cents(NAN), 0);
    assert_int_equal(aps_money_round(1e300), APS_MONEY_LIMIT_CENTS);
}

static void test_format_and_sums(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(aps_money_format(0, buf, sizeof buf), "0.00");
    assert_string_equal(aps_money_format(5, buf, sizeof buf), "0.05");
    assert_string_equal(aps_money_format(-1205, buf, sizeof buf), "-12.05");
    assert_string_equal(aps_money_format(INT64_C(99999999999999), buf, sizeof buf),
                        "999999999999.99");
    /* 1,000 deposits of 0.10: exactly 100.00 in cents; the same sum in doubles is not. */
    int64_t total = 0, step = 0;
    double drift = 0;
    assert_int_equal(aps_money_from_double(0.10, &step), 0);
    for (int i = 0; i < 1000; i++) {
        total += step;
        drift += 0.10;
    }
    assert_int_equal(total, 10000);
    assert_true(drift != 100.0);
    assert_true(aps_money_to_double(total) == 100.0);
    snprintf(buf, sizeof buf, "%.15g", aps_money_to_double(30));
    assert_string_equal(buf, "0.3");
    /* Every cent amount prints back as itself through the JSON writer's %.15g. */
    for (int64_t c = -100000; c <= 100000; c += 7) {
        char a[32];
        snprintf(a, sizeof a, "%.15g", aps_money_to_double(c));
        int64_t back = 0;
        assert_int_equal(aps_money_parse(a, &back), 0);
        assert_int_equal(back, c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_from_double),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_format_and_sums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
