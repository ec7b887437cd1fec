/* test_timeutil.c — aps_time_parse_iso (core/timeutil.h): the ISO 8601 forms with T or a space,
 * seconds and fractions optional, and a zone: Z, none (UTC), or PostgreSQL's and ISO's offsets
 * (+00, +0530, -03:00), each read as the same instant in UTC; and what it refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/timeutil.h"

static int64_t parsed(const char *s)
{
    int64_t t = -1;
    int rc = aps_time_parse_iso(s, &t);
    if (rc)
        fail_msg("'%s' was refused (%d)", s, rc);
    return t;
}

static void test_forms(void **state)
{
    (void)state;
    const int64_t at = aps_time_from_civil(2026, 12, 2, 5, 40, 0);
    /* Each form of the same instant; PostgreSQL's, as `aps restore --help` shows it for --to,
     * among them. */
    const char *same[] = {"2026-12-02T05:40:00Z",       "2026-12-02T05:40:00",
                          "2026-12-02T05:40Z",          "2026-12-02 05:40:00",
                          "2026-12-02 05:40:00.123+00", "2026-12-02T05:40:00.123456Z",
                          "2026-12-02T05:40:00+00:00",  "2026-12-02 07:40:00+02",
                          "2026-12-02T11:10:00+0530",   "2026-12-02T02:40:00-03:00",
                          "2026-12-01T23:40:00-06"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (parsed(same[i]) != at)
            fail_msg("'%s' is %lld s off", same[i], (long long)(parsed(same[i]) - at));
    assert_int_equal(parsed("2026-12-02"), aps_time_from_civil(2026, 12, 2, 0, 0, 0));
}

static void test_refused(void **state)
{
    (void)state;
    int64_t t;
    const char *bad[] = {"2026-12-02T05:40:00+", "2026-12-02T05:40:00+5",
                         "2026-12-02T05:40:00+05:3", "2026-12-02T05:40:00 UTC",
                         "2026-12-02T05:40:00Zjunk", "2026-12-02T05:40:00+00:00:00",
                         "2026-12-02+00", "2026-12-02T5:40", "02/12/2026"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (aps_time_parse_iso(bad[i], &t) != APS_E_PARSE)
            fail_msg("'%s' was not refused as malformed", bad[i]);
    assert_int_equal(aps_time_parse_iso("2026-12-02T05:40:00+24", &t), APS_E_RANGE);
    assert_int_equal(aps_time_parse_iso("2026-12-02T05:40:00+05:60", &t), APS_E_RANGE);
    assert_int_equal(aps_time_parse_iso("2026-02-30T05:40:00Z", &t), APS_E_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
