/* store_cases.h — the storage behaviours every backend must show, written once and included by
 * test_store_sqlite.c and test_store_pg.c (DESIGN §6: the same tests run on both backends).
 *
 * The including file fills `g` (the database URL and a scratch folder) before the tests run;
 * each test opens its own store on g.url and uses table names of its own. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"
#include "store/migrate.h"
#include "store/store.h"

struct store_fixture {
    char url[1024];   /* the database under test */
    char tmpdir[256]; /* scratch folder for migration files */
};
static struct store_fixture g;

#define MUST(c, call)                                                                     \
    do {                                                                                  \
        int rc_ = (call);                                                                 \
        if (rc_ < 0)                                                                      \
            fail_msg("%s failed: %s (%s)", #call, aps_strerror(rc_), aps_conn_errmsg(c)); \
    } while (0)

static struct aps_store *open_store_with(const char *replica, int size, int overflow,
                                         double timeout)
{
    struct aps_store_opts o = {.url = g.url,
                               .replica_url = replica,
                               .pool_size = size,
                               .pool_overflow = overflow,
                               .pool_timeout = timeout};
    struct aps_store *st = NULL;
    char err[512] = "";
    int rc = aps_store_open(&st, &o, err, sizeof err);
    if (rc)
        fail_msg("aps_store_open(%s): %s", g.url, err);
    return st;
}

static struct aps_store *open_store(void)
{
    return open_store_with(NULL, 2, 2, 5.0);
}

static int64_t count_rows(struct aps_conn *c, const char *table)
{
    char sql[256];
    int64_t n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    MUST(c, aps_conn_query_int64(c, sql, 0, NULL, &n));
    return n;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static void make_dir(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g.tmpdir, name);
    assert_true(mkdir(out, 0755) == 0 || errno == EEXIST);
}

/* ---- values ---------------------------------------------------------------------------------- */

static const char special_text[] =
    "it's \"q\" ? ?1 $1 $$ -- /* c */ tab\t nl\n cr\r bs\\ \xc3\xbc \xe2\x82\xac";

static void test_types_round_trip(void **state)
{
    static const int64_t ints[] = {INT64_MIN, INT64_MAX, 0, -1, 1, 4294967296LL};
    static const double dbls[] = {0.1,     1.0 / 3.0, -2.5e-300, 1e300,
                                  DBL_MAX, DBL_MIN,   5e-324,    -123456789.125};
    /* (-0.0 is not in the list: SQLite stores integral REALs as integers and drops the sign.) */
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c,
         aps_conn_exec(c, "CREATE TABLE vals (k INTEGER PRIMARY KEY, i BIGINT, d DOUBLE PRECISION,"
                          " t TEXT, n TEXT); CREATE INDEX vals_i ON vals (i)"));
    MUST(c,
         aps_conn_prepare(c, "INSERT INTO vals (k, i, d, t, n) VALUES (?1, ?2, ?3, ?4, ?5)", &s));
    for (int k = 0; k < 8; k++) {
        MUST(c, aps_stmt_bind_int64(s, 1, k));
        MUST(c, aps_stmt_bind_int64(s, 2, ints[k % 6]));
        MUST(c, aps_stmt_bind_double(s, 3, dbls[k]));
        MUST(c, aps_stmt_bind_text(s, 4, k == 3 ? special_text : "plain"));
        MUST(c, k % 2 ? aps_stmt_bind_null(s, 5) : aps_stmt_bind_text(s, 5, NULL));
        assert_int_equal(aps_stmt_step(s), APS_DONE);
        assert_int_equal(aps_stmt_changes(s), 1);
        MUST(c, aps_stmt_reset(s));
    }
    aps_stmt_finalize(s);
    MUST(c, aps_conn_prepare(c, "SELECT k, i, d, t, n FROM vals ORDER BY k", &s));
    assert_int_equal(aps_stmt_columns(s), 5);
    assert_string_equal(aps_stmt_column_name(s, 2), "d");
    for (int k = 0; k < 8; k++) {
        assert_int_equal(aps_stmt_step(s), APS_ROW);
        assert_int_equal(aps_stmt_int64(s, 0), k);
        assert_true(aps_stmt_int64(s, 1) == ints[k % 6]);
        double d = aps_stmt_double(s, 2);
        if (memcmp(&d, &dbls[k], sizeof d) != 0)
            fail_msg("row %d: double %.17g came back as %.17g", k, dbls[k], d);
        assert_string_equal(aps_stmt_text(s, 3), k == 3 ? special_text : "plain");
        assert_true(aps_stmt_is_null(s, 4));
        assert_null(aps_stmt_text(s, 4));
        assert_true(isnan(aps_stmt_double(s, 4)));
        assert_false(aps_stmt_is_null(s, 3));
    }
    assert_int_equal(aps_stmt_step(s), APS_DONE);
    aps_stmt_finalize(s);
    aps_store_release(c);
    aps_store_close(st);
}

/* ---- typed statements ------------------------------------------------------------------------ */

/* Every parameter letter goes in and every result letter comes back, the same on both backends. */
static void test_typed_round_trip(void **state)
{
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE tv (k INTEGER PRIMARY KEY, i BIGINT, b INTEGER,"
                             " d DOUBLE PRECISION, s TEXT, o TEXT, n TEXT)"));
    const char *ins = "INSERT INTO tv (k, i, b, d, s, o, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    const int64_t big = INT64_MAX;
    MUST(c, aps_conn_execf(c, ins, "iibdsSn", (int64_t)1, INT64_MIN, true, 1.0 / 3.0, special_text,
                           "opt"));
    MUST(c, aps_conn_execf(c, ins, "iIbdsSn", (int64_t)2, &big, false, NAN, (char *)NULL, ""));
    MUST(c, aps_conn_execf(c, ins, "iIbdsSn", (int64_t)3, (int64_t *)NULL, false, 0.0, "", "-"));
    int64_t k = 0, i = 0;
    bool b = false;
    double d = 0;
    char s[128], o[8];
    char *m = NULL;
    const char *sel = "SELECT k, i, b, d, s, o, n FROM tv WHERE k = ?1";
    MUST(c,
         aps_conn_query_row(c, sel, "iibdsm-", &k, &i, &b, &d, s, sizeof s, &m, "i", (int64_t)1));
    assert_int_equal(k, 1);
    assert_true(i == INT64_MIN);
    assert_true(b);
    assert_true(d == 1.0 / 3.0);
    assert_string_equal(s, special_text);
    assert_string_equal(m, "opt");
    aps_free(m);
    /* NULLs: NaN and "" (for S) went in as NULL and read back as each letter's NULL value. */
    MUST(c, aps_conn_query_row(c, sel, "iibdssm", &k, &i, &b, &d, s, sizeof s, o, sizeof o, &m, "i",
                               (int64_t)2));
    assert_true(i == INT64_MAX);
    assert_false(b);
    assert_true(isnan(d));
    assert_string_equal(s, "");
    assert_string_equal(o, "");
    assert_null(m);
    int64_t nulls = -1;
    MUST(c, aps_conn_query_row(c,
                               "SELECT count(*) FROM tv WHERE d IS NULL AND s IS NULL"
                               " AND o IS NULL AND n IS NULL",
                               "i", &nulls, ""));
    assert_int_equal(nulls, 1);
    /* I with a NULL pointer is NULL; s with "" is the empty text, not NULL. */
    MUST(c, aps_conn_query_row(c,
                               "SELECT count(*) FROM tv WHERE k = 3 AND i IS NULL"
                               " AND s = '' AND o = '-'",
                               "i", &nulls, ""));
    assert_int_equal(nulls, 1);
    aps_store_release(c);
    aps_store_close(st);
}

/* A helper with a spec of its own, as callers write them over aps_conn_vpreparef. */
static int64_t first_int(struct aps_conn *c, const char *sql, const char *spec, ...)
{
    struct aps_stmt *s = NULL;
    va_list ap;
    va_start(ap, spec);
    int rc = aps_conn_vpreparef(c, &s, sql, spec, ap);
    va_end(ap);
    MUST(c, rc);
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    int64_t v = aps_stmt_int64(s, 0);
    aps_stmt_finalize(s);
    return v;
}

static void test_typed_run_and_rows(void **state)
{
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    int64_t changes = -1, id = 0;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE tr (k INTEGER PRIMARY KEY, v BIGINT NOT NULL)"));
    for (int64_t j = 1; j <= 5; j++)
        MUST(c, aps_conn_execf(c, "INSERT INTO tr (k, v) VALUES (?1, ?2 * 10)", "ii", j, j));
    /* execf runs past RETURNING rows; changef counts. */
    MUST(c,
         aps_conn_execf(c, "INSERT INTO tr (k, v) VALUES (?1, 60) RETURNING k", "i", (int64_t)6));
    MUST(c,
         aps_conn_changef(c, &changes, "UPDATE tr SET v = v + 1 WHERE v >= ?1", "i", (int64_t)30));
    assert_int_equal(changes, 4);
    MUST(c, aps_conn_changef(c, &changes, "DELETE FROM tr WHERE k = ?1", "i", (int64_t)99));
    assert_int_equal(changes, 0);
    MUST(c, aps_conn_query_row(c, "INSERT INTO tr (k, v) VALUES (?1, ?2) RETURNING k", "i", &id,
                               "ii", (int64_t)7, (int64_t)70));
    assert_int_equal(id, 7);
    assert_int_equal(first_int(c, "SELECT v FROM tr WHERE k = ?1 AND CAST(?2 AS TEXT) = 'y'", "is",
                               (int64_t)7, "y"),
                     70);
    /* No row: NOTFOUND, the output untouched. */
    id = -5;
    assert_int_equal(aps_conn_query_row(c, "SELECT v FROM tr WHERE k = ?1", "i", &id, "i",
                                        (int64_t)42),
                     APS_E_NOTFOUND);
    assert_int_equal(id, -5);
    /* preparef, step the rows, rebind with bindf, step again. */
    MUST(c, aps_conn_preparef(c, &s, "SELECT v FROM tr WHERE k >= ?1 AND k <= ?2 ORDER BY k", "ii",
                              (int64_t)2, (int64_t)3));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_int64(s, 0), 20);
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_int64(s, 0), 31);
    assert_int_equal(aps_stmt_step(s), APS_DONE);
    MUST(c, aps_stmt_bindf(s, "ii", (int64_t)5, (int64_t)5));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_int64(s, 0), 51);
    aps_stmt_finalize(s);
    /* Arguments as values: a run of parameters from 2, then the first one on its own. */
    const struct aps_arg args[] = {APS_ARG_I64(3), APS_ARG_DBL(NAN), APS_ARG_TXT("x")};
    MUST(c, aps_conn_prepare(c,
                             "SELECT ?2 + v, CAST(?3 AS DOUBLE PRECISION) IS NULL,"
                             " CAST(?4 AS TEXT) FROM tr WHERE k = ?1",
                             &s));
    MUST(c, aps_stmt_bind_args(s, 2, args, 3));
    MUST(c, aps_stmt_bind_args(s, 1, (const struct aps_arg[]){APS_ARG_I64(1)}, 1));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_int64(s, 0), 13);
    assert_int_equal(aps_stmt_int64(s, 1), 1);
    assert_string_equal(aps_stmt_text(s, 2), "x");
    aps_stmt_finalize(s);
    aps_store_release(c);
    aps_store_close(st);
}

/* A spec that disagrees with its SQL fails before anything runs, with the reason. */
static void test_typed_spec_errors(void **state)
{
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    struct aps_stmt *s = (struct aps_stmt *)&st; /* any non-NULL value: must come back NULL */
    int64_t n = 0, v = -1;
    char small[4] = "old";
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE te (k INTEGER PRIMARY KEY, t TEXT)"));
    MUST(c, aps_conn_exec(c, "INSERT INTO te (k, t) VALUES (1, 'longer text')"));
    const char *ins = "INSERT INTO te (k, t) VALUES (?1, ?2)";
    assert_int_equal(aps_conn_execf(c, ins, "i", (int64_t)2), APS_E_INVAL);
    assert_non_null(strstr(aps_conn_errmsg(c), "the SQL has 2"));
    assert_int_equal(aps_conn_execf(c, ins, "iss", (int64_t)2, "a", "b"), APS_E_INVAL);
    assert_int_equal(aps_conn_execf(c, ins, "ix", (int64_t)2, "a"), APS_E_INVAL);
    assert_non_null(strstr(aps_conn_errmsg(c), "unknown letter 'x'"));
    assert_int_equal(aps_conn_preparef(c, &s, ins, "i", (int64_t)2), APS_E_INVAL);
    assert_null(s);
    assert_int_equal(aps_conn_query_row(c, "SELECT count(*) FROM te", "i", &n, "i", (int64_t)1),
                     APS_E_INVAL);
    assert_int_equal(aps_conn_query_row(c, "SELECT k, t FROM te", "i", &n, ""), APS_E_INVAL);
    assert_non_null(strstr(aps_conn_errmsg(c), "1 result letters for 2 columns"));
    assert_int_equal(aps_conn_query_row(c, "SELECT k FROM te", "q", &n, ""), APS_E_INVAL);
    /* Text that does not fit: TOOBIG, and no output written (not even the integer before it). */
    assert_int_equal(aps_conn_query_row(c, "SELECT k, t FROM te WHERE k = ?1", "is", &v, small,
                                        sizeof small, "i", (int64_t)1),
                     APS_E_TOOBIG);
    assert_int_equal(v, -1);
    assert_string_equal(small, "old");
    /* Nothing was inserted by the refused statements. */
    MUST(c, aps_conn_query_row(c, "SELECT count(*) FROM te", "i", &n, NULL));
    assert_int_equal(n, 1);
    aps_store_release(c);
    aps_store_close(st);
}

static void test_reset_rebind_and_changes(void **state)
{
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE rr (k INTEGER PRIMARY KEY, v BIGINT NOT NULL)"));
    MUST(c, aps_conn_exec(c, "INSERT INTO rr (k, v) VALUES (1, 10), (2, 20), (3, 30), (4, 40)"));
    MUST(c, aps_conn_prepare(c, "SELECT v FROM rr WHERE k = ?1", &s));
    MUST(c, aps_stmt_bind_int64(s, 1, 2));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_int64(s, 0), 20);
    MUST(c, aps_stmt_reset(s)); /* same binding again */
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_int64(s, 0), 20);
    MUST(c, aps_stmt_bind_int64(s, 1, 4)); /* rebinding mid-run starts over */
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_int_equal(aps_stmt_int64(s, 0), 40);
    assert_int_equal(aps_stmt_step(s), APS_DONE);
    assert_int_equal(aps_stmt_bind_int64(s, 2, 1), APS_E_RANGE);
    aps_stmt_finalize(s);

    MUST(c, aps_conn_prepare(c, "UPDATE rr SET v = v + ?1 WHERE v >= ?2", &s));
    MUST(c, aps_stmt_bind_int64(s, 1, 1));
    MUST(c, aps_stmt_bind_int64(s, 2, 20));
    assert_int_equal(aps_stmt_step(s), APS_DONE);
    assert_int_equal(aps_stmt_changes(s), 3);
    MUST(c, aps_stmt_bind_int64(s, 2, 1000));
    assert_int_equal(aps_stmt_step(s), APS_DONE);
    assert_int_equal(aps_stmt_changes(s), 0);
    aps_stmt_finalize(s);

    int64_t v = -1;
    const char *p[] = {"3"};
    MUST(c, aps_conn_query_int64(c, "SELECT v FROM rr WHERE k = ?1", 1, p, &v));
    assert_int_equal(v, 31);
    const char *q[] = {"99"};
    assert_int_equal(aps_conn_query_int64(c, "SELECT v FROM rr WHERE k = ?1", 1, q, &v),
                     APS_E_NOTFOUND);
    assert_int_equal(v, 31);
    assert_int_equal(aps_conn_query_int64(c, "SELECT max(v) FROM rr WHERE k > 100", 0, NULL, &v),
                     APS_E_NOTFOUND);
    /* RETURNING works on both engines; a duplicate key is APS_E_EXISTS. */
    MUST(c, aps_conn_query_int64(c, "INSERT INTO rr (k, v) VALUES (5, 50) RETURNING v * 2", 0, NULL,
                                 &v));
    assert_int_equal(v, 100);
    assert_int_equal(aps_conn_exec(c, "INSERT INTO rr (k, v) VALUES (5, 51)"), APS_E_EXISTS);
    assert_int_equal(aps_conn_exec(c, "INSERT INTO rr (k, v) VALUES (6, NULL)"), APS_E_DB);
    assert_true(strlen(aps_conn_errmsg(c)) > 0);
    assert_int_equal(aps_conn_prepare(c, "SELECT v FROM rr WHERE k = ?", &s), APS_E_PARSE);
    assert_null(s);
    assert_int_equal(aps_conn_prepare(c, "SELEKT 1", &s), APS_E_DB);
    aps_store_release(c);
    aps_store_close(st);
}

static void test_transactions(void **state)
{
    struct aps_store *st = open_store_with(NULL, 1, 0, 5.0);
    struct aps_conn *c = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE tx (k INTEGER PRIMARY KEY)"));
    assert_int_equal(aps_conn_rollback(c), 0); /* no transaction: a no-op */
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_exec(c, "INSERT INTO tx (k) VALUES (1)"));
    MUST(c, aps_conn_rollback(c));
    assert_int_equal(count_rows(c, "tx"), 0);
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_exec(c, "INSERT INTO tx (k) VALUES (2)"));
    MUST(c, aps_conn_commit(c));
    assert_int_equal(count_rows(c, "tx"), 1);
    /* A failure inside a transaction, then rollback: the connection is usable again. */
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_exec(c, "INSERT INTO tx (k) VALUES (3)"));
    assert_int_equal(aps_conn_exec(c, "INSERT INTO tx (k) VALUES (2)"), APS_E_EXISTS);
    MUST(c, aps_conn_rollback(c));
    assert_int_equal(count_rows(c, "tx"), 1);
    /* Released with a transaction open: the pool rolls it back. */
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_exec(c, "INSERT INTO tx (k) VALUES (4)"));
    aps_store_release(c);
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    assert_int_equal(count_rows(c, "tx"), 1);
    MUST(c, aps_conn_begin(c));
    aps_store_release(c);
    aps_store_close(st);
}

/* Outside a transaction a write has run to its end, commit included, when its first step
 * returns. So a commit that fails is the error of that step and of aps_conn_query_row, which
 * reads one row and stops (here a deferred foreign key, checked at commit; a full disk fails
 * there too): the caller never gets the id of a row that was rolled back. A write read row by
 * row still gives every RETURNING row, and one left after its first row has written all. */
static void test_write_commits_at_first_step(void **state)
{
    static const char *const names[] = {"", "one", "two", "three"};
    static const char tables[] =
        "CREATE TABLE wp (k INTEGER PRIMARY KEY); CREATE TABLE wc (k INTEGER PRIMARY KEY, t TEXT,"
        " d DOUBLE PRECISION, n TEXT, p INTEGER REFERENCES wp (k) DEFERRABLE INITIALLY DEFERRED)";
    static const char orphan[] = "INSERT INTO wc (k, p) VALUES (?1, 99) RETURNING k";
    static const char three[] = "INSERT INTO wc (k, t, d, n) VALUES (1, 'one', 0.5, NULL),"
                                " (2, 'two', 1.5, NULL), (3, 'three', 2.5, NULL)"
                                " RETURNING k, t, d, n";
    struct aps_store *st = open_store_with(NULL, 2, 0, 5.0);
    struct aps_conn *c = NULL, *other = NULL;
    struct aps_stmt *s = NULL;
    int64_t id = -1, sum = 0;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(other, aps_store_acquire(st, APS_DB_WRITE, &other));
    MUST(c, aps_conn_exec(c, tables));
    assert_true(aps_conn_query_row(c, orphan, "i", &id, "i", (int64_t)1) < 0);
    assert_int_equal(id, -1);
    MUST(c, aps_conn_preparef(c, &s, orphan, "i", (int64_t)2));
    assert_true(aps_stmt_step(s) < 0);
    aps_stmt_finalize(s);
    assert_int_equal(count_rows(other, "wc"), 0);

    MUST(c, aps_conn_prepare(c, three, &s));
    for (int row = 0; row < 3; row++) {
        assert_int_equal(aps_stmt_step(s), APS_ROW);
        if (row == 0) /* committed already: another connection sees every row */
            assert_int_equal(count_rows(other, "wc"), 3);
        int64_t k = aps_stmt_int64(s, 0);
        assert_true(k >= 1 && k <= 3);
        sum += k;
        char ktext[8];
        snprintf(ktext, sizeof ktext, "%d", (int)k);
        assert_string_equal(aps_stmt_text(s, 0), ktext);
        assert_string_equal(aps_stmt_text(s, 1), names[k]);
        assert_true(aps_stmt_double(s, 2) == (double)k - 0.5);
        assert_true(aps_stmt_is_null(s, 3));
        assert_null(aps_stmt_text(s, 3));
        assert_true(isnan(aps_stmt_double(s, 3)));
    }
    assert_int_equal(sum, 6);
    assert_int_equal(aps_stmt_step(s), APS_DONE);
    assert_int_equal(aps_stmt_changes(s), 3);
    aps_stmt_finalize(s);

    MUST(c, aps_conn_prepare(c, "UPDATE wc SET t = t || '!' RETURNING k", &s));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    aps_stmt_finalize(s);
    assert_int_equal(first_int(other, "SELECT count(*) FROM wc WHERE t LIKE ?1", "s", "%!"), 3);
    aps_store_release(other);
    aps_store_release(c);
    aps_store_close(st);
}

/* A lock taken inside a transaction is held until it ends: on PostgreSQL another connection cannot
 * take the same advisory key meanwhile; on SQLite the write transaction is the lock. */
static int try_key(struct aps_conn *c, const char *sql)
{
    struct aps_stmt *s = NULL;
    int got = -1;
    MUST(c, aps_conn_prepare(c, sql, &s));
    if (aps_stmt_step(s) == APS_ROW)
        got = (int)aps_stmt_int64(s, 0);
    aps_stmt_finalize(s);
    return got;
}

static void test_locks(void **state)
{
    struct aps_store *st = open_store_with(NULL, 2, 0, 5.0);
    struct aps_conn *a = NULL, *b = NULL;
    MUST(a, aps_store_acquire(st, APS_DB_WRITE, &a));
    MUST(a, aps_conn_begin(a));
    MUST(a, aps_conn_lock(a, APS_LOCK_LOCKIN));
    MUST(a, aps_conn_lock(a, APS_LOCK_MIGRATE));
    assert_int_equal(aps_conn_lock(a, APS_LOCK__COUNT), APS_E_INVAL);
    if (aps_conn_kind(a) == APS_DB_POSTGRES) {
        static const char probe[] =
            "SELECT CASE WHEN pg_try_advisory_xact_lock(724501) THEN 1 ELSE 0 END";
        MUST(b, aps_store_acquire(st, APS_DB_WRITE, &b));
        MUST(b, aps_conn_begin(b));
        assert_int_equal(try_key(b, probe), 0);
        MUST(b, aps_conn_rollback(b));
        MUST(a, aps_conn_commit(a));
        MUST(b, aps_conn_begin(b));
        assert_int_equal(try_key(b, probe), 1);
        MUST(b, aps_conn_rollback(b));
        aps_store_release(b);
    } else {
        MUST(a, aps_conn_commit(a));
    }
    aps_store_release(a);
    aps_store_close(st);
}

/* ---- copy ------------------------------------------------------------------------------------ */

#define COPY_ROWS 10000

static void test_copy(void **state)
{
    static const char *const cols[] = {"id", "i", "d", "t", "flag"};
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    struct aps_copy *cp = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE cp (id BIGINT PRIMARY KEY, i BIGINT NOT NULL,"
                             " d DOUBLE PRECISION, t TEXT, flag BOOLEAN)"));
    assert_int_equal(aps_conn_copy_begin(c, "cp", cols, 5, &cp), APS_E_STATE); /* no txn */
    MUST(c, aps_conn_begin(c));
    static const char *const bad[] = {"id", "i; DROP TABLE cp"};
    assert_int_equal(aps_conn_copy_begin(c, "cp", bad, 2, &cp), APS_E_INVAL);
    MUST(c, aps_conn_copy_begin(c, "cp", cols, 5, &cp));
    for (int k = 0; k < COPY_ROWS; k++) {
        char id[24], i[24], d[32];
        snprintf(id, sizeof id, "%d", k);
        snprintf(i, sizeof i, "%d", k * 3);
        snprintf(d, sizeof d, "%.17g", k / 7.0);
        const char *t = k % 13 == 0 ? NULL : k % 7 == 0 ? special_text : "row";
        const char *vals[] = {id, i, d, t, k % 2 ? "1" : "0"};
        MUST(c, aps_copy_row(cp, vals));
    }
    MUST(c, aps_copy_end(cp));
    MUST(c, aps_conn_commit(c));
    assert_int_equal(count_rows(c, "cp"), COPY_ROWS);
    int64_t n = 0;
    MUST(c, aps_conn_query_int64(c, "SELECT sum(i) FROM cp", 0, NULL, &n));
    assert_int_equal(n, 3LL * (COPY_ROWS - 1) * COPY_ROWS / 2);
    MUST(c, aps_conn_query_int64(c, "SELECT count(*) FROM cp WHERE t IS NULL", 0, NULL, &n));
    assert_int_equal(n, (COPY_ROWS + 12) / 13);
    struct aps_stmt *s = NULL;
    MUST(c, aps_conn_prepare(c, "SELECT t, d, flag FROM cp WHERE id = ?1", &s));
    MUST(c, aps_stmt_bind_int64(s, 1, 7));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    assert_string_equal(aps_stmt_text(s, 0), special_text);
    assert_true(aps_stmt_double(s, 1) == 1.0);
    assert_int_equal(aps_stmt_int64(s, 2), 1);
    aps_stmt_finalize(s);

    /* A row the table refuses fails the copy (at the row or at the end); nothing is kept. */
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_copy_begin(c, "cp", cols, 5, &cp));
    const char *ok_row[] = {"100000", "1", NULL, NULL, NULL};
    const char *null_i[] = {"100001", NULL, NULL, NULL, NULL};
    int rc = aps_copy_row(cp, ok_row);
    assert_int_equal(rc, 0);
    rc = aps_copy_row(cp, null_i);
    int end = aps_copy_end(cp);
    assert_true(rc < 0 || end < 0);
    MUST(c, aps_conn_rollback(c));
    assert_int_equal(count_rows(c, "cp"), COPY_ROWS);
    aps_store_release(c);
    aps_store_close(st);
}

/* Typed rows: numbers go in as numbers (SQLite binds them; PostgreSQL gets them as COPY text)
 * and read back exactly, a double that needs 17 digits included; NaN, a NULL text and
 * APS_ARG_NULL are SQL NULL; text is escaped for COPY like aps_copy_row()'s. */
static double typed_d(int k)
{
    return k == 1 ? 1e300 : k == 2 ? -123456789012.25 : k == 3 ? 1e-7 : (k - 5000) / 7.0;
}

static void test_copy_typed(void **state)
{
    static const char *const cols[] = {"id", "i", "d", "t", "flag"};
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    struct aps_copy *cp = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE cpt (id BIGINT PRIMARY KEY, i BIGINT NOT NULL,"
                             " d DOUBLE PRECISION, t TEXT, flag BOOLEAN)"));
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_copy_begin(c, "cpt", cols, 5, &cp));
    for (int k = 0; k < COPY_ROWS; k++) {
        int64_t i = k == 1 ? INT64_MAX : k == 2 ? INT64_MIN : (int64_t)k * 3 - 5000;
        struct aps_arg t = k % 13 == 0   ? APS_ARG_TXT(NULL)
                           : k % 17 == 0 ? APS_ARG_NONE
                           : k % 7 == 0  ? APS_ARG_TXT(special_text)
                                         : APS_ARG_TXT("row");
        const struct aps_arg vals[] = {APS_ARG_I64(k), APS_ARG_I64(i),
                                       APS_ARG_DBL(k % 11 == 0 ? NAN : typed_d(k)), t,
                                       APS_ARG_I64(k % 2)};
        MUST(c, aps_copy_row_args(cp, vals));
    }
    MUST(c, aps_copy_end(cp));
    MUST(c, aps_conn_commit(c));
    assert_int_equal(count_rows(c, "cpt"), COPY_ROWS);
    struct aps_stmt *s = NULL;
    MUST(c, aps_conn_prepare(c, "SELECT id, i, d, t, flag FROM cpt ORDER BY id", &s));
    int k = 0, nulls_d = 0, nulls_t = 0;
    for (; aps_stmt_step(s) == APS_ROW; k++) {
        assert_int_equal(aps_stmt_int64(s, 0), k);
        int64_t i = k == 1 ? INT64_MAX : k == 2 ? INT64_MIN : (int64_t)k * 3 - 5000;
        assert_true(aps_stmt_int64(s, 1) == i);
        if (aps_stmt_is_null(s, 2)) {
            assert_int_equal(k % 11, 0);
            nulls_d++;
        } else if (aps_stmt_double(s, 2) != typed_d(k)) {
            fail_msg("row %d: d reads back %.17g, not %.17g", k, aps_stmt_double(s, 2), typed_d(k));
        }
        if (aps_stmt_is_null(s, 3))
            nulls_t++;
        else
            assert_string_equal(aps_stmt_text(s, 3), k % 7 == 0 ? special_text : "row");
        assert_int_equal(aps_stmt_int64(s, 4), k % 2);
    }
    aps_stmt_finalize(s);
    assert_int_equal(k, COPY_ROWS);
    assert_int_equal(nulls_d, (COPY_ROWS + 10) / 11);
    int expect_t = 0;
    for (int j = 0; j < COPY_ROWS; j++)
        expect_t += j % 13 == 0 || j % 17 == 0;
    assert_int_equal(nulls_t, expect_t);

    /* A NULL where the table refuses one fails the copy; nothing is kept. */
    MUST(c, aps_conn_begin(c));
    MUST(c, aps_conn_copy_begin(c, "cpt", cols, 5, &cp));
    const struct aps_arg null_i[] = {APS_ARG_I64(100000), APS_ARG_NONE, APS_ARG_DBL(1),
                                     APS_ARG_TXT("x"), APS_ARG_I64(0)};
    int rc = aps_copy_row_args(cp, null_i);
    int end = aps_copy_end(cp);
    assert_true(rc < 0 || end < 0);
    MUST(c, aps_conn_rollback(c));
    assert_int_equal(count_rows(c, "cpt"), COPY_ROWS);
    aps_store_release(c);
    aps_store_close(st);
}

/* ---- pool ------------------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_pool_limits(void **state)
{
    struct aps_store *st = open_store_with(NULL, 2, 1, 0.2);
    struct aps_conn *c[4] = {NULL};
    struct aps_store_stats ss;
    for (int i = 0; i < 3; i++)
        MUST(c[i], aps_store_acquire(st, APS_DB_WRITE, &c[i]));
    aps_store_stats(st, &ss);
    assert_int_equal(ss.open, 3);
    assert_int_equal(ss.in_use, 3);
    assert_int_equal(ss.max, 3);
    double t0 = now_s();
    assert_int_equal(aps_store_acquire(st, APS_DB_WRITE, &c[3]), APS_E_TIMEOUT);
    double waited = now_s() - t0;
    assert_true(waited >= 0.15 && waited < 2.0);
    assert_null(c[3]);
    char why[512];
    aps_store_last_error(st, why, sizeof why);
    assert_non_null(strstr(why, "no free connection"));
    for (int i = 0; i < 3; i++)
        aps_store_release(c[i]);
    aps_store_stats(st, &ss);
    assert_int_equal(ss.open, 2); /* the overflow connection was closed */
    assert_int_equal(ss.in_use, 0);
    assert_int_equal(ss.acquired_total, 3);
    assert_int_equal(ss.timeouts_total, 1);
    aps_store_close(st);
}

struct waiter {
    struct aps_store *st;
    int rc;
    atomic_bool started;
    double got_at; /* now_s() when aps_store_acquire returned */
};

static void *wait_for_conn(void *arg)
{
    struct waiter *w = arg;
    struct aps_conn *c = NULL;
    atomic_store(&w->started, true);
    w->rc = aps_store_acquire(w->st, APS_DB_READ, &c);
    w->got_at = now_s();
    if (!w->rc)
        aps_store_release(c);
    return NULL;
}

static void test_pool_wakes_waiter(void **state)
{
    struct aps_store *st = open_store_with(NULL, 1, 0, 10.0);
    struct aps_conn *c = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    struct waiter w = {st, 1, false, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_for_conn, &w), 0);
    while (!atomic_load(&w.started))
        usleep(1000);
    usleep(150 * 1000); /* most likely blocked in acquire by now; the check below needs no timing */
    double released_at = now_s();
    aps_store_release(c);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.rc, 0);
    /* the only connection was held until released_at, so the waiter cannot have it earlier */
    assert_true(w.got_at >= released_at && w.got_at - released_at < 5.0);
    aps_store_close(st);
}

static void test_bad_urls(void **state)
{
    struct aps_store *st = NULL;
    char err[512] = "";
    struct aps_store_opts o = {.url = "mysql://root:hunter2@localhost/db",
                               .pool_size = 1,
                               .pool_timeout = 1.0};
    assert_int_equal(aps_store_open(&st, &o, err, sizeof err), APS_E_CONFIG);
    assert_null(st);
    assert_null(strstr(err, "hunter2"));
    assert_non_null(strstr(err, "***"));
    o.url = "postgresql+asyncpg://aps:s3cret-pw@127.0.0.1:1/aps?connect_timeout=2";
    assert_int_equal(aps_store_open(&st, &o, err, sizeof err), APS_E_DB);
    assert_null(strstr(err, "s3cret-pw"));
    assert_non_null(strstr(err, "postgresql+asyncpg://aps:***@127.0.0.1:1/aps"));
    o.url = "postgresql://127.0.0.1:1/aps?password=s3cret-pw&connect_timeout=2";
    assert_int_equal(aps_store_open(&st, &o, err, sizeof err), APS_E_DB);
    assert_null(strstr(err, "s3cret-pw"));
    o.url = "postgres://127.0.0.1:1/aps?connect_timeout=2&application_name=a@b";
    assert_int_equal(aps_store_open(&st, &o, err, sizeof err), APS_E_DB);
    assert_non_null(
        strstr(err, "postgres://127.0.0.1:1/aps?connect_timeout=2&application_name=a@b"));
    o.url = g.url;
    o.pool_size = 0;
    assert_int_equal(aps_store_open(&st, &o, err, sizeof err), APS_E_INVAL);
}

/* ---- migrations ------------------------------------------------------------------------------ */

static const char mig1[] = "-- the first table\n"
                           "CREATE TABLE mig_items (id @ID@, name TEXT NOT NULL UNIQUE,"
                           " score DOUBLE PRECISION);\n"
                           "CREATE INDEX mig_items_score ON mig_items (score);\n";
static const char mig2[] = "ALTER TABLE mig_items ADD COLUMN note TEXT;\n"
                           "INSERT INTO mig_items (name, score, note) VALUES ('seed', 1.5, 'x');\n";

static struct aps_migration_status *status_of(struct aps_store *st, const char *dir, int *n)
{
    struct aps_migration_status *ms = NULL;
    char err[512] = "";
    if (aps_migrate_status(st, dir, &ms, n, err, sizeof err) != 0)
        fail_msg("aps_migrate_status: %s", err);
    return ms;
}

static void test_migrations(void **state)
{
    char dir[512], err[512] = "";
    int applied = -1, n = 0;
    make_dir(dir, sizeof dir, "mig");
    write_file(dir, "001_base.sql", mig1);
    write_file(dir, "002_more.sql", mig2);
    write_file(dir, "README.md", "not a migration");
    struct aps_store *st = open_store();

    struct aps_migration_status *ms = status_of(st, dir, &n);
    assert_int_equal(n, 2);
    assert_int_equal(ms[0].applied + ms[1].applied, 0);
    aps_free(ms);

    if (aps_migrate_up(st, dir, NULL, &applied, err, sizeof err) != 0)
        fail_msg("migrate: %s", err);
    assert_int_equal(applied, 2);
    assert_int_equal(aps_migrate_up(st, dir, NULL, &applied, err, sizeof err), 0);
    assert_int_equal(applied, 0);

    ms = status_of(st, dir, &n);
    assert_int_equal(n, 2);
    assert_int_equal(ms[0].version, 1);
    assert_string_equal(ms[0].name, "base");
    assert_int_equal(ms[1].version, 2);
    assert_string_equal(ms[1].name, "more");
    assert_int_equal(ms[0].applied + ms[1].applied, 2);
    aps_free(ms);

    struct aps_conn *c = NULL;
    int64_t id = 0;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_query_int64(c, "INSERT INTO mig_items (name) VALUES ('auto') RETURNING id", 0,
                                 NULL, &id));
    assert_int_equal(id, 2); /* @ID@ expanded to an auto-increment key */
    assert_int_equal(count_rows(c, "schema_migrations"), 2);
    aps_store_release(c);
    aps_store_close(st);
}

static void test_migration_failure(void **state)
{
    char dir[512], err[512] = "";
    int applied = -1, n = 0;
    make_dir(dir, sizeof dir, "migbad");
    write_file(dir, "010_first.sql", "CREATE TABLE mig_first (x INTEGER);\n");
    write_file(dir, "011_bad.sql",
               "CREATE TABLE mig_bad (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n");
    struct aps_store *st = open_store();
    assert_true(aps_migrate_up(st, dir, NULL, &applied, err, sizeof err) < 0);
    assert_int_equal(applied, 1);
    assert_non_null(strstr(err, "011_bad.sql"));
    struct aps_migration_status *ms = status_of(st, dir, &n);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].version == 10)
            seen += ms[i].applied == 1;
        if (ms[i].version == 11)
            seen += ms[i].applied == 0 ? 10 : 100;
    }
    assert_int_equal(seen, 11);
    aps_free(ms);
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    assert_int_equal(aps_conn_prepare(c, "SELECT count(*) FROM mig_bad", &s), APS_E_DB);
    assert_int_equal(count_rows(c, "mig_first"), 0);
    aps_store_release(c);

    char bad[512];
    make_dir(bad, sizeof bad, "migname");
    write_file(bad, "1-oops.sql", "SELECT 1;");
    assert_int_equal(aps_migrate_up(st, bad, NULL, &applied, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "1-oops.sql"));
    make_dir(bad, sizeof bad, "migdup");
    write_file(bad, "004_a.sql", "SELECT 1;");
    write_file(bad, "004_b.sql", "SELECT 1;");
    assert_int_equal(aps_migrate_up(st, bad, NULL, &applied, err, sizeof err), APS_E_EXISTS);
    assert_non_null(strstr(err, "004_a.sql"));
    assert_int_equal(aps_migrate_up(st, "/nonexistent/dir", NULL, &applied, err, sizeof err),
                     APS_E_IO);
    aps_store_close(st);
}

/* A database that holds another program's tables is refused before anything is written: no
 * schema_migrations, no table of ours, its own table as it was. Runs first, on an empty store. */
static void test_migrate_refuses_foreign(void **state)
{
    char dir[512], err[512] = "";
    int applied = -1;
    make_dir(dir, sizeof dir, "migforeign");
    write_file(dir, "001_base.sql", mig1);
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE other_app_notes (x TEXT)"));
    MUST(c, aps_conn_exec(c, "INSERT INTO other_app_notes VALUES ('kept')"));
    aps_store_release(c);
    assert_int_equal(aps_migrate_up(st, dir, NULL, &applied, err, sizeof err), APS_E_STATE);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err, "1 table of something else"));
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    struct aps_stmt *s = NULL;
    assert_int_equal(aps_conn_prepare(c, "SELECT count(*) FROM schema_migrations", &s), APS_E_DB);
    assert_int_equal(aps_conn_prepare(c, "SELECT count(*) FROM mig_items", &s), APS_E_DB);
    assert_int_equal(count_rows(c, "other_app_notes"), 1);
    MUST(c, aps_conn_exec(c, "DROP TABLE other_app_notes"));
    aps_store_release(c);
    aps_store_close(st);
}

struct migrator {
    const char *dir;
    int rc, applied;
    char err[512];
};

static void *run_migrator(void *arg)
{
    struct migrator *m = arg;
    struct aps_store *st = open_store_with(NULL, 1, 0, 30.0);
    m->rc = aps_migrate_up(st, m->dir, NULL, &m->applied, m->err, sizeof m->err);
    aps_store_close(st);
    return NULL;
}

/* Two processes' worth of stores migrating the same files at once apply each file once. */
static void test_migrations_concurrent(void **state)
{
    char dir[512];
    make_dir(dir, sizeof dir, "migconc");
    for (int v = 20; v < 26; v++) {
        char name[64], sql[256];
        snprintf(name, sizeof name, "%03d_conc.sql", v);
        snprintf(sql, sizeof sql, "CREATE TABLE conc_%d (id @ID@, v TEXT);", v);
        write_file(dir, name, sql);
    }
    struct migrator m[3] = {{dir, 1, 0, ""}, {dir, 1, 0, ""}, {dir, 1, 0, ""}};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, run_migrator, &m[i]), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 3; i++) {
        if (m[i].rc)
            fail_msg("migrator %d: %s", i, m[i].err);
    }
    assert_int_equal(m[0].applied + m[1].applied + m[2].applied, 6);
}

/* The migration cases first, while the store holds no table of the other cases. */
#define STORE_COMMON_TESTS                                                                      \
    cmocka_unit_test(test_migrate_refuses_foreign), cmocka_unit_test(test_migrations),          \
        cmocka_unit_test(test_migration_failure), cmocka_unit_test(test_migrations_concurrent), \
        cmocka_unit_test(test_types_round_trip), cmocka_unit_test(test_typed_round_trip),       \
        cmocka_unit_test(test_typed_run_and_rows), cmocka_unit_test(test_typed_spec_errors),    \
        cmocka_unit_test(test_reset_rebind_and_changes), cmocka_unit_test(test_transactions),   \
        cmocka_unit_test(test_write_commits_at_first_step), cmocka_unit_test(test_locks),       \
        cmocka_unit_test(test_copy), cmocka_unit_test(test_copy_typed),                         \
        cmocka_unit_test(test_pool_limits), cmocka_unit_test(test_pool_wakes_waiter),           \
        cmocka_unit_test(test_bad_urls)
