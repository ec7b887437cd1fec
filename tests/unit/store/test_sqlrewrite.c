/* test_sqlrewrite.c — ?N → $N rewriting for PostgreSQL (aps_sql_rewrite_pg): placeholders are
 * rewritten, quoted text and comments are not, and malformed SQL is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/buf.h"
#include "store/store.h"

static void expect(const char *in, const char *want)
{
    struct aps_buf b = {0};
    int rc = aps_sql_rewrite_pg(in, &b);
    if (rc)
        fail_msg("rewrite of [%s] failed: %s", in, aps_strerror(rc));
    assert_string_equal(aps_buf_str(&b), want);
    aps_buf_cleanup(&b);
}

static void expect_error(const char *in)
{
    struct aps_buf b = {0};
    assert_int_equal(aps_sql_rewrite_pg(in, &b), APS_E_PARSE);
    aps_buf_cleanup(&b);
}

static void test_placeholders(void **state)
{
    expect("SELECT 1", "SELECT 1");
    expect("", "");
    expect("SELECT * FROM t WHERE a = ?1 AND b = ?2", "SELECT * FROM t WHERE a = $1 AND b = $2");
    expect("INSERT INTO t VALUES (?1,?2,?1)", "INSERT INTO t VALUES ($1,$2,$1)");
    expect("?10 ?11 ?123 ?9", "$10 $11 $123 $9");
    expect("x=?1::bigint", "x=$1::bigint");
    expect("ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE t.v <> ?3",
           "ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE t.v <> $3");
}

static void test_literals_left_alone(void **state)
{
    expect("SELECT '?' || ?1", "SELECT '?' || $1");
    expect("SELECT 'it''s ?2' , ?1", "SELECT 'it''s ?2' , $1");
    expect("SELECT '' , ?1", "SELECT '' , $1");
    expect("SELECT 'a$b$c' || ?1 || '$1'", "SELECT 'a$b$c' || $1 || '$1'");
    expect("SELECT E'\\' ?' , ?1", "SELECT E'\\' ?' , $1");
    expect("SELECT $$ what? $$, ?1", "SELECT $$ what? $$, $1");
    expect("SELECT $tag$ a ?1 $x$ $tag$ || ?2", "SELECT $tag$ a ?1 $x$ $tag$ || $2");
    expect("SELECT price$ FROM t WHERE a = ?1", "SELECT price$ FROM t WHERE a = $1");
}

static void test_identifiers_and_comments(void **state)
{
    expect("SELECT \"odd?name\", \"a\"\"?\" FROM t WHERE x = ?1",
           "SELECT \"odd?name\", \"a\"\"?\" FROM t WHERE x = $1");
    expect("SELECT 1 -- what?\n, ?1", "SELECT 1 -- what?\n, $1");
    expect("SELECT ?1 -- trailing?", "SELECT $1 -- trailing?");
    expect("SELECT /* a ? /* nested ? */ b ? */ ?1", "SELECT /* a ? /* nested ? */ b ? */ $1");
    expect("SELECT 4 - -?1", "SELECT 4 - -$1");
    expect("SELECT 8 / ?1", "SELECT 8 / $1");
}

static void test_errors(void **state)
{
    expect_error("SELECT ?");
    expect_error("SELECT * FROM t WHERE a = ? AND b = ?");
    expect_error("SELECT data ?| array['a']");
    expect_error("SELECT ?0");
    expect_error("SELECT ?99999999");
    expect_error("SELECT 'unterminated");
    expect_error("SELECT 'it''s");
    expect_error("SELECT \"open");
    expect_error("SELECT /* open comment ?1");
    expect_error("SELECT $q$ never closed");
    struct aps_buf b = {0};
    assert_int_equal(aps_sql_rewrite_pg(NULL, &b), APS_E_INVAL);
    aps_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_literals_left_alone),
        cmocka_unit_test(test_identifiers_and_comments),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
