/* test_store_pg.c — the storage interface on a real PostgreSQL: the shared behaviours of
 * store_cases.h plus replica routing, broken-connection replacement, notices and prepared
 * statement cache (reuse, bounds, a server that lost its statements, schema changes) and
 * pipelined reads.
 *
 * The server comes from APS_TEST_PG_URL (scripts/pgtest start prints it). Without it the test
 * fails, unless APS_TEST_PG_OPTIONAL=1, when it is skipped. Each run works in a schema of its
 * own (search_path set through the URL's options) and drops it at the end, so runs can repeat
 * and overlap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>

#include "store_cases.h"

static char base_url[900];
static char schema[64];

static void text_of(struct aps_conn *c, const char *sql, char *out, size_t cap)
{
    struct aps_stmt *s = NULL;
    MUST(c, aps_conn_prepare(c, sql, &s));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    snprintf(out, cap, "%s", aps_stmt_text(s, 0));
    aps_stmt_finalize(s);
}

static void test_pg_session(void **state)
{
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    char v[128];
    assert_int_equal(aps_store_kind(st), APS_DB_POSTGRES);
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    text_of(c, "SHOW client_min_messages", v, sizeof v);
    assert_string_equal(v, "warning");
    text_of(c, "SELECT current_schema()", v, sizeof v);
    assert_string_equal(v, schema);
    /* A NOTICE-raising statement still succeeds (notices are dropped, not errors). */
    MUST(c, aps_conn_exec(c, "DROP TABLE IF EXISTS no_such_table_here"));
    /* Literal '?' and booleans; columns are known before the first step. */
    struct aps_stmt *s = NULL;
    MUST(c, aps_conn_prepare(c, "SELECT '?' || ?1 AS q, true AS yes, false AS no", &s));
    assert_int_equal(aps_stmt_columns(s), 3);
    assert_string_equal(aps_stmt_column_name(s, 1), "yes");
    MUST(c, aps_stmt_bind_text(s, 1, "x"));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_string_equal(aps_stmt_text(s, 0), "?x");
    assert_int_equal(aps_stmt_int64(s, 1), 1);
    assert_int_equal(aps_stmt_int64(s, 2), 0);
    assert_true(aps_stmt_double(s, 1) == 1.0);
    aps_stmt_finalize(s);
    aps_store_release(c);
    aps_store_close(st);
}

/* Prepared statements on the server, leaving out the one that counts them. */
static int64_t prepared_count(struct aps_conn *c, const char *like)
{
    int64_t n = -1;
    const char *params[] = {like};
    MUST(c, aps_conn_query_int64(c,
                                 "SELECT count(*) FROM pg_prepared_statements"
                                 " WHERE statement NOT LIKE '%pg_prepared_statements%'"
                                 " AND statement LIKE ?1",
                                 1, params, &n));
    return n;
}

static int64_t run_plus_one(struct aps_conn *c, const char *sql, int64_t v)
{
    struct aps_stmt *s = NULL;
    MUST(c, aps_conn_prepare(c, sql, &s));
    MUST(c, aps_stmt_bind_int64(s, 1, v));
    int rc = aps_stmt_step(s);
    int64_t out = rc == APS_ROW ? aps_stmt_int64(s, 0) : rc;
    aps_stmt_finalize(s);
    return out;
}

/* A finalized statement stays prepared on its connection and is reused by the next statement
 * with the same text; the cache is bounded, and a statement finalized inside an aborted
 * transaction is still usable afterwards. */
static void test_pg_statement_cache(void **state)
{
    struct aps_store *st = open_store_with(NULL, 1, 0, 5.0);
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    for (int i = 0; i < 5; i++)
        assert_int_equal(run_plus_one(c, "SELECT ?1::int + 1", i), i + 1);
    assert_int_equal(prepared_count(c, "SELECT $1::int + 1"), 1);
    /* Two open statements with the same text share the server's copy. */
    struct aps_stmt *t = NULL;
    MUST(c, aps_conn_prepare(c, "SELECT ?1::int + 1", &s));
    MUST(c, aps_conn_prepare(c, "SELECT ?1::int + 1", &t));
    MUST(c, aps_stmt_bind_int64(s, 1, 10));
    MUST(c, aps_stmt_bind_int64(t, 1, 20));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_step(t), APS_ROW);
    assert_int_equal(aps_stmt_int64(s, 0), 11);
    assert_int_equal(aps_stmt_int64(t, 0), 21);
    aps_stmt_finalize(s);
    aps_stmt_finalize(t);
    /* Many distinct texts: the cache keeps a bounded number. */
    char sql[64];
    for (int i = 0; i < 200; i++) {
        snprintf(sql, sizeof sql, "SELECT ?1::int + %d /* many */", i + 1);
        assert_int_equal(run_plus_one(c, sql, 1), i + 2);
    }
    int64_t kept = prepared_count(c, "%many%");
    assert_true(kept > 0 && kept <= 64);
    /* An aborted transaction: the statement is kept, and runs once the transaction is over. */
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_prepare(c, "SELECT 1/?1::int", &s));
    MUST(c, aps_stmt_bind_int64(s, 1, 0));
    assert_int_equal(aps_stmt_step(s), APS_E_DB);
    assert_non_null(strstr(aps_conn_errmsg(c), "division by zero"));
    assert_int_equal(aps_stmt_step(s), APS_E_DB); /* the error sticks until reset */
    aps_stmt_finalize(s);
    aps_store_release(c); /* rolls back */
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    assert_int_equal(run_plus_one(c, "SELECT 1/?1::int", 1), 1);
    assert_int_equal(prepared_count(c, "SELECT 1/$1::int"), 1);
    aps_store_release(c);
    aps_store_close(st);
}

/* The server loses its prepared statements: the connection is killed (as by a restart, which
 * ends every session) or the session drops them (DISCARD ALL, DEALLOCATE ALL). The same text
 * is prepared again, outside a transaction without the caller seeing an error. */
static void test_pg_statement_cache_server_lost(void **state)
{
    struct aps_store *st = open_store_with(NULL, 1, 0, 5.0);
    struct aps_store *admin = open_store_with(NULL, 1, 0, 5.0);
    struct aps_conn *c = NULL, *a = NULL;
    int64_t pid = 0, killed = 0;
    char arg[32];
    const char *params[] = {arg};
    const char *sql = "SELECT ?1::int + 1 /* lost */";
    MUST(c, aps_store_acquire(st, APS_DB_READ, &c));
    assert_int_equal(run_plus_one(c, sql, 1), 2);
    MUST(c, aps_conn_query_int64(c, "SELECT pg_backend_pid()", 0, NULL, &pid));
    aps_store_release(c);
    MUST(a, aps_store_acquire(admin, APS_DB_WRITE, &a));
    snprintf(arg, sizeof arg, "%lld", (long long)pid);
    MUST(a, aps_conn_query_int64(a, "SELECT count(*) FROM pg_terminate_backend(?1::int)", 1, params,
                                 &killed));
    aps_store_release(a);
    usleep(300 * 1000);
    MUST(c, aps_store_acquire(st, APS_DB_READ, &c)); /* a new connection, an empty cache */
    assert_int_equal(run_plus_one(c, sql, 2), 3);
    assert_int_equal(prepared_count(c, "SELECT $1::int + 1 /* lost */"), 1);

    MUST(c, aps_conn_exec(c, "DISCARD ALL"));
    assert_int_equal(run_plus_one(c, sql, 3), 4);
    assert_int_equal(prepared_count(c, "SELECT $1::int + 1 /* lost */"), 1);

    /* In a transaction the loss aborts it and is the caller's error; the next run prepares. */
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_exec(c, "DEALLOCATE ALL"));
    assert_int_equal(run_plus_one(c, sql, 4), APS_E_DB);
    assert_int_equal(aps_conn_rollback(c), 0);
    assert_int_equal(run_plus_one(c, sql, 5), 6);
    aps_store_release(c);
    aps_store_close(admin);
    aps_store_close(st);
}

/* A schema change that alters a cached statement's result columns ("cached plan must not
 * change result type") is answered with the new columns, not a stale plan or an error. */
static void test_pg_statement_cache_schema_change(void **state)
{
    struct aps_store *st = open_store_with(NULL, 2, 0, 5.0);
    struct aps_conn *c = NULL, *w = NULL;
    struct aps_stmt *s = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_READ, &c));
    MUST(w, aps_store_acquire(st, APS_DB_WRITE, &w));
    MUST(w, aps_conn_exec(w, "CREATE TABLE sc (a INTEGER); INSERT INTO sc VALUES (7)"));
    MUST(c, aps_conn_prepare(c, "SELECT * FROM sc", &s));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_columns(s), 1);
    aps_stmt_finalize(s);
    MUST(w, aps_conn_exec(w, "ALTER TABLE sc ADD COLUMN b TEXT DEFAULT 'x'"));
    MUST(c, aps_conn_prepare(c, "SELECT * FROM sc", &s));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_columns(s), 2);
    assert_string_equal(aps_stmt_text(s, 1), "x");
    aps_stmt_finalize(s);
    /* Described before running: the new shape too. */
    MUST(w, aps_conn_exec(w, "ALTER TABLE sc ADD COLUMN c INTEGER"));
    MUST(c, aps_conn_prepare(c, "SELECT * FROM sc", &s));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_columns(s), 3);
    aps_stmt_finalize(s);
    /* Inside a transaction: the error, then a fresh plan after it. */
    MUST(w, aps_conn_exec(w, "ALTER TABLE sc DROP COLUMN c"));
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_prepare(c, "SELECT * FROM sc", &s));
    assert_int_equal(aps_stmt_step(s), APS_E_DB);
    assert_non_null(strstr(aps_conn_errmsg(c), "cached plan"));
    aps_stmt_finalize(s);
    assert_int_equal(aps_conn_rollback(c), 0);
    MUST(c, aps_conn_prepare(c, "SELECT * FROM sc", &s));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_columns(s), 2);
    aps_stmt_finalize(s);
    aps_store_release(w);
    aps_store_release(c);
    aps_store_close(st);
}

static uint64_t trips_of(struct aps_store *st)
{
    struct aps_store_stats ss;
    aps_store_stats(st, &ss);
    return ss.round_trips_total;
}

/* Round trips: a new statement is prepared once (1) and run (1); the same text again runs in
 * one; three independent reads in a pipeline share one. */
static void test_pg_round_trips(void **state)
{
    struct aps_store *st = open_store_with(NULL, 1, 0, 5.0);
    struct aps_conn *c = NULL;
    struct aps_stmt *s[3] = {NULL, NULL, NULL};
    const char *sql = "SELECT ?1::int + 1 /* trips */";
    MUST(c, aps_store_acquire(st, APS_DB_READ, &c));
    uint64_t t0 = trips_of(st);
    assert_int_equal(run_plus_one(c, sql, 1), 2);
    aps_store_release(c);
    uint64_t t1 = trips_of(st);
    assert_int_equal(t1 - t0, 2);
    MUST(c, aps_store_acquire(st, APS_DB_READ, &c));
    assert_int_equal(run_plus_one(c, sql, 2), 3);
    aps_store_release(c);
    uint64_t t2 = trips_of(st);
    assert_int_equal(t2 - t1, 1);
    MUST(c, aps_store_acquire(st, APS_DB_READ, &c));
    for (int i = 0; i < 3; i++) {
        MUST(c, aps_conn_prepare(c, sql, &s[i]));
        MUST(c, aps_stmt_bind_int64(s[i], 1, 10 * i));
    }
    MUST(c, aps_conn_pipeline(c, s, 3));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(aps_stmt_step(s[i]), APS_ROW);
        assert_int_equal(aps_stmt_int64(s[i], 0), 10 * i + 1);
        aps_stmt_finalize(s[i]);
    }
    aps_store_release(c);
    assert_int_equal(trips_of(st) - t2, 1);
    aps_store_close(st);
}

/* A store opened for serving plans prepared statements once (generic plans); others keep the
 * server's default. */
static void test_pg_generic_plans(void **state)
{
    char v[64], err[512];
    for (int generic = 0; generic < 2; generic++) {
        struct aps_store_opts o = {.url = g.url,
                                   .pool_size = 1,
                                   .pool_timeout = 5.0,
                                   .generic_plans = generic == 1};
        struct aps_store *st = NULL;
        struct aps_conn *c = NULL;
        assert_int_equal(aps_store_open(&st, &o, err, sizeof err), 0);
        MUST(c, aps_store_acquire(st, APS_DB_READ, &c));
        text_of(c, "SHOW plan_cache_mode", v, sizeof v);
        assert_string_equal(v, generic ? "force_generic_plan" : "auto");
        aps_store_release(c);
        aps_store_close(st);
    }
}

/* Independent reads in one round trip: each statement's rows, or its own error; outside a
 * transaction a statement after a failed one still runs (at its step). */
static void test_pg_pipeline(void **state)
{
    struct aps_store *st = open_store_with(NULL, 1, 0, 5.0);
    struct aps_conn *c = NULL;
    struct aps_stmt *s[3] = {NULL, NULL, NULL};
    const char *sqls[3] = {"SELECT generate_series(1, ?1::int)", "SELECT 10/?1::int",
                           "SELECT ?1::text || 'z'"};
    MUST(c, aps_store_acquire(st, APS_DB_READ, &c));
    for (int round = 0; round < 3; round++) {
        if (round == 2)
            MUST(c, aps_conn_begin(c));
        for (int i = 0; i < 3; i++)
            MUST(c, aps_conn_prepare(c, sqls[i], &s[i]));
        MUST(c, aps_stmt_bind_int64(s[0], 1, 3));
        MUST(c, aps_stmt_bind_int64(s[1], 1, round == 0 ? 5 : 0)); /* round 1+: fails */
        MUST(c, aps_stmt_bind_text(s[2], 1, "a"));
        MUST(c, aps_conn_pipeline(c, s, 3));
        for (int k = 1; k <= 3; k++) {
            assert_int_equal(aps_stmt_step(s[0]), APS_ROW);
            assert_int_equal(aps_stmt_int64(s[0], 0), k);
        }
        assert_int_equal(aps_stmt_step(s[0]), APS_DONE);
        if (round == 0) {
            assert_int_equal(aps_stmt_step(s[1]), APS_ROW);
            assert_int_equal(aps_stmt_int64(s[1], 0), 2);
        } else {
            assert_int_equal(aps_stmt_step(s[1]), APS_E_DB);
            assert_non_null(strstr(aps_conn_errmsg(c), "division by zero"));
        }
        if (round < 2) {
            assert_int_equal(aps_stmt_step(s[2]), APS_ROW);
            assert_string_equal(aps_stmt_text(s[2], 0), "az");
        } else {
            assert_int_equal(aps_stmt_step(s[2]), APS_E_DB); /* the transaction is aborted */
        }
        for (int i = 0; i < 3; i++)
            aps_stmt_finalize(s[i]);
    }
    assert_int_equal(aps_conn_rollback(c), 0);
    /* The connection is back out of pipeline mode: ordinary statements work. */
    assert_int_equal(run_plus_one(c, "SELECT ?1::int + 1", 1), 2);
    aps_store_release(c);
    aps_store_close(st);
}

static void test_pg_replica_routing(void **state)
{
    struct aps_store *st = open_store_with(g.url, 2, 0, 2.0);
    struct aps_conn *w = NULL, *r = NULL;
    assert_true(aps_store_has_replica(st));
    MUST(w, aps_store_acquire(st, APS_DB_WRITE, &w));
    assert_false(aps_conn_is_replica(w));
    MUST(w, aps_conn_exec(w, "CREATE TABLE rep (x INTEGER); INSERT INTO rep VALUES (1)"));
    MUST(r, aps_store_acquire(st, APS_DB_READ, &r));
    assert_true(aps_conn_is_replica(r));
    assert_int_equal(count_rows(r, "rep"), 1);
    assert_int_equal(aps_conn_exec(r, "INSERT INTO rep VALUES (2)"), APS_E_DB);
    assert_non_null(strstr(aps_conn_errmsg(r), "read-only"));
    struct aps_store_stats ss;
    aps_store_stats(st, &ss);
    assert_int_equal(ss.open, 2);
    assert_int_equal(ss.in_use, 2);
    aps_store_release(r);
    aps_store_release(w);
    aps_store_close(st);

    st = open_store_with("postgresql://postgres:pw@127.0.0.1:1/aps_test?connect_timeout=2", 1, 0,
                         2.0);
    MUST(r, aps_store_acquire(st, APS_DB_READ, &r));
    assert_false(aps_conn_is_replica(r)); /* unreachable replica: served by the primary */
    assert_int_equal(count_rows(r, "rep"), 1);
    aps_store_release(r);
    aps_store_close(st);
}

/* A connection the server killed while it sat idle is replaced at the next acquire; one that
 * breaks while checked out is dropped at release. */
static void test_pg_broken_connection(void **state)
{
    struct aps_store *st = open_store_with(NULL, 2, 0, 5.0);
    struct aps_conn *a = NULL, *b = NULL;
    int64_t pid_a = 0, pid = 0;
    char arg[32];
    const char *params[] = {arg};
    MUST(a, aps_store_acquire(st, APS_DB_WRITE, &a));
    MUST(a, aps_conn_query_int64(a, "SELECT pg_backend_pid()", 0, NULL, &pid_a));
    MUST(b, aps_store_acquire(st, APS_DB_WRITE, &b));
    aps_store_release(a);
    snprintf(arg, sizeof arg, "%lld", (long long)pid_a);
    MUST(b, aps_conn_query_int64(b, "SELECT count(*) FROM pg_terminate_backend(?1::int)", 1, params,
                                 &pid));
    usleep(300 * 1000);
    MUST(a, aps_store_acquire(st, APS_DB_WRITE, &a));
    MUST(a, aps_conn_query_int64(a, "SELECT pg_backend_pid()", 0, NULL, &pid));
    assert_true(pid != pid_a);

    /* Now kill the one in use: its query fails, and the pool drops it on release. */
    snprintf(arg, sizeof arg, "%lld", (long long)pid);
    MUST(b, aps_conn_query_int64(b, "SELECT count(*) FROM pg_terminate_backend(?1::int)", 1, params,
                                 &pid));
    usleep(300 * 1000);
    assert_true(aps_conn_exec(a, "SELECT 1") < 0);
    aps_store_release(a);
    struct aps_store_stats ss;
    aps_store_stats(st, &ss);
    assert_int_equal(ss.open, 1);
    aps_store_release(b);
    aps_store_close(st);
}

static void test_pg_copy_bad_data(void **state)
{
    static const char *const cols[] = {"id", "n"};
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    struct aps_copy *cp = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE cpbad (id BIGINT, n INTEGER)"));
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_copy_begin(c, "cpbad", cols, 2, &cp));
    const char *row1[] = {"1", "2"}, *row2[] = {"2", "not a number"};
    MUST(c, aps_copy_row(cp, row1));
    MUST(c, aps_copy_row(cp, row2));
    assert_int_equal(aps_copy_end(cp), APS_E_DB);
    assert_non_null(strstr(aps_conn_errmsg(c), "not a number"));
    MUST(c, aps_conn_rollback(c));
    assert_int_equal(count_rows(c, "cpbad"), 0);
    aps_store_release(c);
    aps_store_close(st);
}

/* COMMIT after a failed statement is reported as a failure, not as success. */
static void test_pg_commit_after_error(void **state)
{
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE ce (k INTEGER PRIMARY KEY)"));
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_exec(c, "INSERT INTO ce (k) VALUES (1)"));
    assert_int_equal(aps_conn_exec(c, "INSERT INTO ce (k) VALUES (1)"), APS_E_EXISTS);
    assert_int_equal(aps_conn_commit(c), APS_E_DB);
    assert_non_null(strstr(aps_conn_errmsg(c), "rolled back"));
    assert_int_equal(count_rows(c, "ce"), 0);
    aps_store_release(c);
    aps_store_close(st);
}

static void test_pg_missing(void **state)
{
    skip();
}

/* Creates this run's schema and points g.url at it. */
static int setup(void **state)
{
    struct aps_store_opts o = {.url = base_url,
                               .pool_size = 1,
                               .pool_overflow = 0,
                               .pool_timeout = 10.0};
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    char err[512], sql[128];
    snprintf(g.tmpdir, sizeof g.tmpdir, "/tmp/aps-store-pg-XXXXXX");
    snprintf(schema, sizeof schema, "aps_t_%ld_%ld", (long)getpid(), (long)time(NULL));
    if (aps_store_open(&st, &o, err, sizeof err)) {
        fprintf(stderr, "cannot reach PostgreSQL at APS_TEST_PG_URL: %s\n", err);
        return -1;
    }
    if (!mkdtemp(g.tmpdir)) {
        aps_store_close(st);
        return -1;
    }
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (!rc)
        rc = aps_conn_exec(c, sql);
    aps_store_release(c);
    aps_store_close(st);
    int n = snprintf(g.url, sizeof g.url, "%s%coptions=-csearch_path%%3D%s", base_url,
                     strchr(base_url, '?') ? '&' : '?', schema);
    return rc || n >= (int)sizeof g.url;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    struct aps_store_opts o = {.url = base_url,
                               .pool_size = 1,
                               .pool_overflow = 0,
                               .pool_timeout = 10.0};
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    char err[512], sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
    int rc = aps_store_open(&st, &o, err, sizeof err);
    if (!rc)
        rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (!rc)
        rc = aps_conn_exec(c, sql);
    aps_store_release(c);
    aps_store_close(st);
    return rc || nftw(g.tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const char *url = getenv("APS_TEST_PG_URL");
    const char *optional = getenv("APS_TEST_PG_OPTIONAL");
    if (!url || !*url) {
        fprintf(stderr,
                "test_store_pg: APS_TEST_PG_URL is not set; start a server with "
                "`eval \"$(scripts/pgtest start)\"`%s\n",
                optional && strcmp(optional, "1") == 0 ? " (skipped: APS_TEST_PG_OPTIONAL=1)"
                                                       : " or set APS_TEST_PG_OPTIONAL=1");
        if (!optional || strcmp(optional, "1") != 0)
            return 1;
        const struct CMUnitTest skipped[] = {cmocka_unit_test(test_pg_missing)};
        return cmocka_run_group_tests(skipped, NULL, NULL);
    }
    snprintf(base_url, sizeof base_url, "%s", url);
    const struct CMUnitTest tests[] = {
        STORE_COMMON_TESTS,
        cmocka_unit_test(test_pg_session),
        cmocka_unit_test(test_pg_statement_cache),
        cmocka_unit_test(test_pg_statement_cache_server_lost),
        cmocka_unit_test(test_pg_statement_cache_schema_change),
        cmocka_unit_test(test_pg_pipeline),
        cmocka_unit_test(test_pg_generic_plans),
        cmocka_unit_test(test_pg_round_trips),
        cmocka_unit_test(test_pg_replica_routing),
        cmocka_unit_test(test_pg_broken_connection),
        cmocka_unit_test(test_pg_copy_bad_data),
        cmocka_unit_test(test_pg_commit_after_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
