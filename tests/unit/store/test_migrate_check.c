/* test_migrate_check.c — the expand/contract check over migration text: what an expand
 * migration may not do to an existing table, what is fine (new tables, nullable or defaulted
 * columns, widening), and what a contract migration may drop given the previous release's SQL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/buf.h"
#include "store/migrate.h"

static const char release[] = "-- release: abc\n-- schema: 12\n"
                              "-- from: src/services/accounts.c\n"
                              "SELECT id, email, name FROM users WHERE id = ?1;\n"
                              "-- from: src/services/jobs.c\n"
                              "SELECT * FROM jobs WHERE id = ?1;\n";

/* Checks one migration; returns the problems and leaves the report in *out (caller cleans). */
static int check1(const char *name, const char *sql, struct aps_buf *out)
{
    const char *names[] = {name}, *sqls[] = {sql};
    aps_buf_reset(out);
    return aps_migrate_check_text(names, sqls, 1, release, out);
}

static void expand_refusals(void **state)
{
    (void)state;
    struct aps_buf r = {0};
    assert_int_equal(check1("015_x.sql", "ALTER TABLE users DROP COLUMN name;", &r), 1);
    assert_non_null(strstr(aps_buf_str(&r), "dropping column users.name"));
    assert_int_equal(check1("015_x.sql", "alter table \"users\" rename column name to full_name", &r), 1);
    assert_int_equal(check1("015_x.sql", "ALTER TABLE users RENAME TO people;", &r), 1);
    assert_int_equal(check1("015_x.sql", "DROP TABLE IF EXISTS alerts, bets CASCADE;", &r), 2);
    assert_int_equal(check1("015_x.sql", "ALTER TABLE users ADD COLUMN nick TEXT NOT NULL;", &r), 1);
    assert_non_null(strstr(aps_buf_str(&r), "users.nick NOT NULL without a default"));
    assert_int_equal(check1("015_x.sql", "ALTER TABLE bets ALTER COLUMN stake TYPE INTEGER", &r), 1);
    assert_int_equal(check1("015_x.sql", "ALTER TABLE bets ALTER stake SET DATA TYPE varchar(10)", &r), 1);
    assert_int_equal(check1("015_x.sql", "ALTER TABLE bets ALTER COLUMN result SET NOT NULL,"
                                         " ALTER COLUMN notes DROP DEFAULT;", &r), 2);
    aps_buf_cleanup(&r);
}

static void expand_allowed(void **state)
{
    (void)state;
    struct aps_buf r = {0};
    assert_int_equal(check1("015_x.sql",
                            "-- DROP TABLE users; in a comment\n"
                            "ALTER TABLE users ADD COLUMN nick TEXT;\n"
                            "ALTER TABLE users ADD COLUMN tz TEXT NOT NULL DEFAULT 'UTC';\n"
                            "ALTER TABLE bets ALTER COLUMN stake TYPE DOUBLE PRECISION;\n"
                            "ALTER TABLE bets ALTER COLUMN n TYPE BIGINT USING n::bigint;\n"
                            "ALTER TABLE bets ALTER COLUMN result DROP NOT NULL;\n"
                            "CREATE INDEX users_nick ON users (nick);\n"
                            "INSERT INTO settings (key, value) VALUES ('a;b', 'DROP TABLE x');\n"
                            "CREATE TABLE fresh (id INTEGER);\n"
                            "ALTER TABLE fresh ADD COLUMN x TEXT NOT NULL;\n"
                            "ALTER TABLE fresh RENAME COLUMN x TO y;\n"
                            "DROP TABLE fresh;\n",
                            &r),
                     0);
    assert_string_equal(aps_buf_str(&r), "");
    aps_buf_cleanup(&r);
}

static void contract_rules(void **state)
{
    (void)state;
    struct aps_buf r = {0};
    /* The previous release reads users.name: not even a contract migration may drop it. */
    assert_int_equal(check1("016_contract_users.sql", "ALTER TABLE users DROP COLUMN name;", &r), 1);
    assert_non_null(strstr(aps_buf_str(&r), "still reads it"));
    /* SELECT * reads every column of jobs. */
    assert_int_equal(check1("016_contract_jobs.sql", "ALTER TABLE jobs DROP COLUMN legacy;", &r), 1);
    /* A column and a table it never mentions may go. */
    assert_int_equal(check1("016_contract_users.sql", "ALTER TABLE users DROP COLUMN legacy;"
                                                      " DROP TABLE old_stuff;", &r), 0);
    /* Without the release's SQL nothing destructive is allowed. */
    const char *names[] = {"016_contract_users.sql"}, *sqls[] = {"DROP TABLE old_stuff"};
    aps_buf_reset(&r);
    assert_int_equal(aps_migrate_check_text(names, sqls, 1, NULL, &r), 1);
    aps_buf_cleanup(&r);
}

static void tables_created_earlier_in_the_set(void **state)
{
    (void)state;
    struct aps_buf r = {0};
    const char *names[] = {"014_a.sql", "015_b.sql"};
    const char *sqls[] = {"CREATE TABLE IF NOT EXISTS feature_x (id INTEGER);",
                          "ALTER TABLE feature_x ADD COLUMN y TEXT NOT NULL;"
                          " ALTER TABLE users ADD COLUMN z INTEGER NOT NULL;"};
    assert_int_equal(aps_migrate_check_text(names, sqls, 2, release, &r), 1);
    assert_non_null(strstr(aps_buf_str(&r), "015_b.sql: adding column users.z"));
    aps_buf_cleanup(&r);
}

static void the_shipped_migrations_pass(void **state)
{
    (void)state;
    char err[512];
    int problems = -1;
    assert_int_equal(aps_migrate_check(APS_SOURCE_DIR "/migrations", NULL, -1, NULL, &problems,
                                       err, sizeof err),
                     0);
    assert_int_equal(problems, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expand_refusals),
        cmocka_unit_test(expand_allowed),
        cmocka_unit_test(contract_rules),
        cmocka_unit_test(tables_created_earlier_in_the_set),
        cmocka_unit_test(the_shipped_migrations_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
