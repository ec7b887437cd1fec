/* test_cidr.c — CIDR lists (core/cidr.h): IPv4 and IPv6 prefixes, host entries without a
 * prefix, IPv4-mapped IPv6 peers, spaces around entries, and malformed entries that are refused
 * by the check and never match. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/cidr.h"

static void test_match(void **state)
{
    (void)state;
    const char *l = "127.0.0.1/32, 10.20.0.0/16,192.168.1.128/25,fd00::/8,::1";
    assert_int_equal(aps_cidr_list_check(l), 0);
    assert_true(aps_cidr_list_match(l, "127.0.0.1"));
    assert_false(aps_cidr_list_match(l, "127.0.0.2"));
    assert_true(aps_cidr_list_match(l, "10.20.255.1"));
    assert_false(aps_cidr_list_match(l, "10.21.0.1"));
    assert_true(aps_cidr_list_match(l, "192.168.1.200"));
    assert_false(aps_cidr_list_match(l, "192.168.1.127")); /* /25: 128..255 only */
    assert_true(aps_cidr_list_match(l, "fd12:3456::1"));
    assert_false(aps_cidr_list_match(l, "fe80::1"));
    assert_true(aps_cidr_list_match(l, "::1"));
    assert_true(aps_cidr_list_match(l, "::ffff:10.20.3.4")); /* mapped IPv4 peer */
    assert_false(aps_cidr_list_match(l, "not-an-ip"));
    assert_false(aps_cidr_list_match(l, NULL));
    assert_true(aps_cidr_list_match("0.0.0.0/0", "203.0.113.9"));
    assert_false(aps_cidr_list_match("0.0.0.0/0", "2001:db8::1")); /* IPv4 /0 is IPv4 only */
    assert_false(aps_cidr_list_match("", "127.0.0.1"));
}

static void test_malformed(void **state)
{
    (void)state;
    assert_int_equal(aps_cidr_list_check(""), 0);
    assert_int_not_equal(aps_cidr_list_check("10.0.0.0/33"), 0);
    assert_int_not_equal(aps_cidr_list_check("10.0.0/8"), 0);
    assert_int_not_equal(aps_cidr_list_check("10.0.0.0/"), 0);
    assert_int_not_equal(aps_cidr_list_check("10.0.0.0/8,,"), 0);
    assert_int_not_equal(aps_cidr_list_check("fd00::/129"), 0);
    /* A bad entry never matches; the good ones still do. */
    assert_false(aps_cidr_list_match("10.0.0.0/33", "10.0.0.1"));
    assert_true(aps_cidr_list_match("10.0.0.0/33,127.0.0.0/8", "127.1.2.3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
