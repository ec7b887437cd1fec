/* test_logfmt.c — the log line's pieces written without printf: ISO timestamps (seconds and
 * microseconds) as printf wrote them, JSON string escapes, and the shape of a whole line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"

/* What the printf forms wrote. */
static void printf_iso(int64_t t, char *out, size_t cap)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rem = t - days * 86400;
    int y, m, d;
    aps_civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

static void test_iso_seconds(void **state)
{
    char a[64], b[64];
    srand(3);
    const int64_t fixed[] = {0,
                             1,
                             59,
                             86399,
                             86400,
                             951782400 /* 2000-02-29 */,
                             4102444799,
                             253402300799 /* 9999-12-31T23:59:59 */,
                             253402300800,
                             -1,
                             -86401,
                             -62167219200 /* year 0 */,
                             -62167219201};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        aps_time_format_iso(fixed[i], a, sizeof a);
        printf_iso(fixed[i], b, sizeof b);
        assert_string_equal(a, b);
    }
    for (int i = 0; i < 100000; i++) {
        int64_t t = ((int64_t)rand() << 4) ^ rand();
        aps_time_format_iso(t, a, sizeof a);
        printf_iso(t, b, sizeof b);
        assert_string_equal(a, b);
    }
    aps_time_format_iso(0, a, 11); /* a short buffer still gets printf's cut */
    assert_string_equal(a, "1970-01-01");
}

static void test_iso_microseconds(void **state)
{
    char a[APS_TIME_ISO_US_CAP], b[96], s[32];
    const int64_t cases[] = {
        0, 1, 999999, 1000000, 1764748741777936, 1764748741000001, 253402300799999999};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t us = cases[i];
        size_t n = aps_time_format_iso_us(us, a);
        printf_iso(us / 1000000, s, sizeof s);
        s[19] = '\0';
        snprintf(b, sizeof b, "%s.%06dZ", s, (int)(us % 1000000));
        assert_string_equal(a, b);
        assert_int_equal(n, strlen(b));
    }
    assert_int_equal(aps_time_format_iso_us(-1, a), strlen(a)); /* before 1970: floor */
    assert_string_equal(a, "1969-12-31T23:59:59.999999Z");
    aps_time_format_iso_us(253402300800000000, a); /* year 10000: printf's form */
    assert_string_equal(a, "10000-01-01T00:00:00.000000Z");
}

static void test_escape(void **state)
{
    struct aps_buf b = {0};
    aps_json_escape(&b, "plain/route {id}");
    assert_string_equal(aps_buf_str(&b), "plain/route {id}");
    b.len = 0;
    aps_json_escape(&b, "q\"b\\s\nr\rt\t\x01\x1f\x7f é");
    assert_string_equal(aps_buf_str(&b), "q\\\"b\\\\s\\nr\\rt\\t\\u0001\\u001f\x7f é");
    b.len = 0;
    aps_json_escape(&b, "");
    assert_int_equal(b.len, 0);
    /* Into a plain buffer: the same bytes. */
    const char *cases[] = {"", "plain", "q\"b\\s\nr\rt\t\x01\x1f\x7f \xc3\xa9", "\x02\x02\x02"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        aps_buf_reset(&b);
        aps_json_escape(&b, cases[i]);
        assert_int_equal(aps_json_escape_into(out, cases[i]), b.len);
        assert_string_equal(out, aps_buf_str(&b));
    }
    aps_buf_cleanup(&b);
}

static void test_line_shape(void **state)
{
    struct aps_buf b = {0};
    aps_log_format(&b, APS_LOG_WARNING, "\"k\":1", "say \"hi\"");
    const char *s = aps_buf_str(&b);
    assert_int_equal(strncmp(s, "{\"ts\":\"", 7), 0);
    assert_int_equal(s[7 + 19], '.');
    assert_int_equal(s[7 + 26], 'Z');
    assert_string_equal(s + 7 + 27,
                        "\",\"level\":\"WARNING\",\"msg\":\"say \\\"hi\\\"\",\"k\":1}\n");
    b.len = 0;
    aps_log_begin(&b, APS_LOG_INFO, "request");
    assert_string_equal(aps_buf_str(&b) + 7 + 27, "\",\"level\":\"INFO\",\"msg\":\"request\"");
    aps_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_seconds),
        cmocka_unit_test(test_iso_microseconds),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_line_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
