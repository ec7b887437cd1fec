/* test_flags.c — feature flags: the rule (buckets stable per user and growing only by adding
 * users, roles, users, the kill switch), parsing, and the store path on SQLite and PostgreSQL:
 * a set rule is read back, audited, and seen by a second snapshot (a second process) only once
 * its refresh period has passed, while the process that set it sees it at once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "services/audit.h"
#include "services/flags.h"
#include "store/store.h"
#include "../support/testdb.h"

static void bucket_is_stable_and_spread(void **state)
{
    (void)state;
    int in25 = 0;
    for (int64_t u = 1; u <= 10000; u++) {
        int b = aps_flag_bucket("backtests", u);
        assert_true(b >= 0 && b < 100);
        assert_int_equal(b, aps_flag_bucket("backtests", u));
        in25 += b < 25;
    }
    assert_in_range(in25, 2300, 2700); /* 25 % of 10 000, give or take 2 % */
    /* The bucket depends on the flag: the same users are not always first. */
    int same = 0;
    for (int64_t u = 1; u <= 1000; u++)
        same += (aps_flag_bucket("backtests", u) < 50) == (aps_flag_bucket("other", u) < 50);
    assert_in_range(same, 400, 600);
}

static void percent_grows_by_adding_users(void **state)
{
    (void)state;
    struct aps_flag_rule r10 = {.state = APS_FLAG_PERCENT, .percent = 10};
    struct aps_flag_rule r30 = {.state = APS_FLAG_PERCENT, .percent = 30};
    int n10 = 0, n30 = 0;
    for (int64_t u = 1; u <= 2000; u++) {
        bool a = aps_flag_rule_allows(&r10, "backtests", u, APS_ROLE_USER);
        bool b = aps_flag_rule_allows(&r30, "backtests", u, APS_ROLE_USER);
        assert_true(!a || b); /* everyone in at 10 % is still in at 30 % */
        n10 += a;
        n30 += b;
    }
    assert_in_range(n10, 140, 260);
    assert_in_range(n30, 500, 700);
    assert_false(aps_flag_rule_allows(&r30, "backtests", 0, APS_ROLE_ANONYMOUS));
}

static void roles_users_and_kill_switch(void **state)
{
    (void)state;
    struct aps_flag_rule r;
    char err[200];
    assert_int_equal(aps_flag_rule_parse("on", 0, "pro,analyst", "7, 9", &r, err, sizeof err), 0);
    assert_true(aps_flag_rule_allows(&r, "f", 1, APS_ROLE_PRO));
    assert_true(aps_flag_rule_allows(&r, "f", 1, APS_ROLE_ANALYST));
    assert_false(aps_flag_rule_allows(&r, "f", 1, APS_ROLE_USER));
    assert_false(aps_flag_rule_allows(&r, "f", 0, APS_ROLE_ANONYMOUS));
    assert_true(aps_flag_rule_allows(&r, "f", 9, APS_ROLE_USER)); /* listed user */
    assert_int_equal(aps_flag_rule_parse("0%", 0, NULL, "9", &r, err, sizeof err), 0);
    assert_true(aps_flag_rule_allows(&r, "f", 9, APS_ROLE_USER));
    assert_false(aps_flag_rule_allows(&r, "f", 8, APS_ROLE_ADMIN));
    assert_int_equal(aps_flag_rule_parse("off", 0, NULL, "9", &r, err, sizeof err), 0);
    assert_false(aps_flag_rule_allows(&r, "f", 9, APS_ROLE_ADMIN)); /* off beats the list */
    assert_int_equal(aps_flag_rule_parse("percent", 40, "", "", &r, err, sizeof err), 0);
    assert_int_equal(r.percent, 40);
}

static void parse_errors(void **state)
{
    (void)state;
    struct aps_flag_rule r;
    char err[200];
    assert_int_equal(aps_flag_rule_parse("maybe", 0, NULL, NULL, &r, err, sizeof err),
                     APS_E_INVAL);
    assert_int_equal(aps_flag_rule_parse("101%", 0, NULL, NULL, &r, err, sizeof err),
                     APS_E_INVAL);
    assert_int_equal(aps_flag_rule_parse("x%", 0, NULL, NULL, &r, err, sizeof err), APS_E_INVAL);
    assert_int_equal(aps_flag_rule_parse("on", 0, "pro,boss", NULL, &r, err, sizeof err),
                     APS_E_INVAL);
    assert_non_null(strstr(err, "boss"));
    assert_int_equal(aps_flag_rule_parse("on", 0, NULL, "3,-1", &r, err, sizeof err),
                     APS_E_INVAL);
    assert_int_equal(aps_flag_find("backtests"), APS_FLAG_BACKTESTS);
    assert_int_equal(aps_flag_find("nope"), -1);
}

static int setup_sqlite(void **state) { return testdb_fixture(state, 0, "flags"); }
static int setup_pg(void **state) { return testdb_fixture(state, 1, "flags"); }
static int teardown(void **state) { return testdb_fixture_free(state); }

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void store_set_audit_and_refresh(void **state)
{
    struct testdb *db = *state;
    if (!db)
        skip();
    struct aps_flags *a = NULL, *b = NULL;
    struct aps_conn *c = NULL;
    struct aps_flag_rule rule;
    char err[200];
    /* Production: the flag ships dark; development has it on by default. */
    assert_int_equal(aps_flags_open(&a, db->st, "production", 50), 0);
    assert_int_equal(aps_flags_open(&b, db->st, "production", 400), 0);
    assert_false(aps_flags_enabled(a, APS_FLAG_BACKTESTS, 5, APS_ROLE_PRO));
    assert_false(aps_flags_enabled(b, APS_FLAG_BACKTESTS, 5, APS_ROLE_PRO));

    assert_int_equal(aps_store_acquire(db->st, APS_DB_WRITE, &c), 0);
    struct aps_flag_info dev[APS_FLAG__COUNT];
    assert_int_equal(aps_flags_read(c, "development", dev, NULL), 0);
    assert_int_equal(dev[APS_FLAG_BACKTESTS].rule.state, APS_FLAG_ON);
    assert_false(dev[APS_FLAG_BACKTESTS].stored);

    assert_int_equal(aps_flag_rule_parse("on", 0, "pro", NULL, &rule, err, sizeof err), 0);
    struct aps_audit_event who = {.actor_type = "system"};
    assert_int_equal(aps_flags_set(c, "production", APS_FLAG_BACKTESTS, &rule, 0, &who), 0);
    aps_flags_invalidate(a);
    assert_true(aps_flags_enabled(a, APS_FLAG_BACKTESTS, 5, APS_ROLE_PRO));   /* at once */
    assert_false(aps_flags_enabled(a, APS_FLAG_BACKTESTS, 5, APS_ROLE_USER)); /* role */
    assert_false(aps_flags_enabled(b, APS_FLAG_BACKTESTS, 5, APS_ROLE_PRO));  /* still cached */
    sleep_ms(450);
    assert_true(aps_flags_enabled(b, APS_FLAG_BACKTESTS, 5, APS_ROLE_PRO)); /* within 400 ms */

    /* A second change of the same flag is seen too (the version grows on every write). */
    assert_int_equal(aps_flag_rule_parse("off", 0, NULL, NULL, &rule, err, sizeof err), 0);
    assert_int_equal(aps_flags_set(c, "production", APS_FLAG_BACKTESTS, &rule, 0, &who), 0);
    sleep_ms(450);
    assert_false(aps_flags_enabled(b, APS_FLAG_BACKTESTS, 5, APS_ROLE_PRO));
    struct aps_flag_info fl[APS_FLAG__COUNT];
    int64_t version = 0;
    assert_int_equal(aps_flags_read(c, "production", fl, &version), 0);
    assert_int_equal(version, 2);
    assert_true(fl[APS_FLAG_BACKTESTS].stored);
    assert_int_equal(fl[APS_FLAG_BACKTESTS].rule.state, APS_FLAG_OFF);

    int64_t n = 0;
    assert_int_equal(aps_conn_query_int64(c,
                                          "SELECT COUNT(*) FROM audit_log WHERE action ="
                                          " 'flag_changed' AND resource_id = 'backtests'"
                                          " AND details LIKE '%\"previous\"%'",
                                          0, NULL, &n),
                     0);
    assert_int_equal(n, 2);
    aps_store_release(c);
    aps_flags_close(a);
    aps_flags_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_is_stable_and_spread),
        cmocka_unit_test(percent_grows_by_adding_users),
        cmocka_unit_test(roles_users_and_kill_switch),
        cmocka_unit_test(parse_errors),
        cmocka_unit_test_setup_teardown(store_set_audit_and_refresh, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(store_set_audit_and_refresh, setup_pg, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
