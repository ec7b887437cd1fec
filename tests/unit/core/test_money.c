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

/* Text, the expected result and, when it is 0, the cents. */
static const struct {
    const char *text;
    int rc;
    int64_t cents;
} parse_cases[] = {
    {"0.01", 0, 1},
    {"0.1", 0, 10},
    {"19.99", 0, 1999},
    {"100", 0, 10000},
    {"1.50", 0, 150},
    {"1.5000000", 0, 150},
    {"-5.05", 0, -505},
    {"+7", 0, 700},
    {".25", 0, 25},
    {"3.", 0, 300},
    {"1e2", 0, 10000},
    {"1.25E+3", 0, 125000},
    {"125e-2", 0, 125},
    {"0", 0, 0},
    {"0.000", 0, 0},
    {"999999999999.99", 0, INT64_C(99999999999999)},
    {"10000000000000", 0, APS_MONEY_LIMIT_CENTS},
    /* below the cent */
    {"0.001", APS_E_INVAL, 0},
    {"1e-8", APS_E_INVAL, 0},
    {"0.00000001", APS_E_INVAL, 0},
    {"12.345", APS_E_INVAL, 0},
    /* out of range */
    {"10000000000000.01", APS_E_RANGE, 0},
    {"1e300", APS_E_RANGE, 0},
    {"123456789012345678901234567890123456789012345", APS_E_RANGE, 0},
    /* not a number */
    {"", APS_E_PARSE, 0},
    {"-", APS_E_PARSE, 0},
    {".", APS_E_PARSE, 0},
    {"abc", APS_E_PARSE, 0},
    {"1,5", APS_E_PARSE, 0},
    {"1.2.3", APS_E_PARSE, 0},
    {"1e", APS_E_PARSE, 0},
    {"1.2e-2e", APS_E_PARSE, 0},
    {"0x10", APS_E_PARSE, 0},
    {" 1", APS_E_PARSE, 0},
    {"1 ", APS_E_PARSE, 0},
    {"nan", APS_E_PARSE, 0},
    {"inf", APS_E_PARSE, 0},
};

static void test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        int64_t c = -1;
        int rc = aps_money_parse(parse_cases[i].text, &c);
        if (rc != parse_cases[i].rc || (!rc && c != parse_cases[i].cents))
            fail_msg("'%s': rc %d, %lld cents", parse_cases[i].text, rc, (long long)c);
    }
    int64_t c;
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
    assert_int_equal(aps_money_round(12.345), 1235); /* the double is 12.34499… */
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

static void test_currency_codes(void **state)
{
    (void)state;
    for (const char *const *c =
             (const char *const[]){"USD", "EUR", "JPY", "GBP", "AED", "ZWL", "XCG", "CHE", NULL};
         *c; c++)
        assert_true(aps_currency_is_iso4217(*c));
    for (const char *const *c = (const char *const[]){"usd", "XYZ", "XAU", "XTS", "XXX", "US",
                                                      "USDD", "", "','", "D',", NULL};
         *c; c++)
        assert_false(aps_currency_is_iso4217(*c));
    assert_false(aps_currency_is_iso4217(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),          cmocka_unit_test(test_from_double),
        cmocka_unit_test(test_round),          cmocka_unit_test(test_format_and_sums),
        cmocka_unit_test(test_currency_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
