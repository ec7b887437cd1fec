/* testdb.h — fresh, migrated stores for tests: a SQLite file in a temporary folder, and a new
 * database on the PostgreSQL server named by APS_TEST_PG_URL (scripts/pgtest). Header-only;
 * include it once per test file. */
#ifndef APS_TESTS_TESTDB_H
#define APS_TESTS_TESTDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "store/migrate.h"
#include "store/store.h"

struct testdb {
    struct aps_store *st;
    char url[1300];
    char dir[256];    /* SQLite: the temporary folder */
    char pgname[64];  /* PostgreSQL: the database created for the test */
    char admin[1024]; /* PostgreSQL: the server URL the database was created on */
};

static inline int testdb_migrate(struct testdb *t)
{
    char err[512];
    int applied;
    if (aps_migrate_up(t->st, APS_SOURCE_DIR "/migrations", NULL, &applied, err, sizeof err)) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    return 0;
}

static inline int testdb_open_url(struct testdb *t, const char *url)
{
    struct aps_store_opts o = {.url = url,
                               .pool_size = 4,
                               .pool_overflow = 2,
                               .pool_timeout = 10.0};
    char err[512];
    snprintf(t->url, sizeof t->url, "%s", url);
    if (aps_store_open(&t->st, &o, err, sizeof err)) {
        fprintf(stderr, "open %s: %s\n", url, err);
        return -1;
    }
    return testdb_migrate(t);
}

/* A new SQLite store under /tmp. */
static inline int testdb_sqlite(struct testdb *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/aps-test-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    char url[512];
    snprintf(url, sizeof url, "sqlite:///%s/t.db", t->dir);
    return testdb_open_url(t, url);
}

/* A new database on APS_TEST_PG_URL's server; 1 when the variable is unset (caller skips or
 * fails), -1 on error. */
static inline int testdb_pg(struct testdb *t, const char *tag)
{
    memset(t, 0, sizeof *t);
    const char *base = getenv("APS_TEST_PG_URL");
    if (!base || !*base)
        return 1;
    snprintf(t->admin, sizeof t->admin, "%s", base);
    snprintf(t->pgname, sizeof t->pgname, "aps_t_%s_%d", tag, (int)getpid());
    struct aps_store_opts o = {.url = base, .pool_size = 1, .pool_timeout = 10.0};
    struct aps_store *adm = NULL;
    struct aps_conn *c = NULL;
    char err[512], sql[160];
    if (aps_store_open(&adm, &o, err, sizeof err) || aps_store_acquire(adm, APS_DB_WRITE, &c)) {
        aps_store_close(adm);
        return -1;
    }
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", t->pgname);
    int rc = aps_conn_exec(c, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", t->pgname);
    if (!rc)
        rc = aps_conn_exec(c, sql);
    aps_store_release(c);
    aps_store_close(adm);
    if (rc)
        return -1;
    char url[1200];
    const char *slash = strrchr(base, '/');
    snprintf(url, sizeof url, "%.*s/%s", (int)(slash - base), base, t->pgname);
    return testdb_open_url(t, url);
}

static inline void testdb_close(struct testdb *t)
{
    aps_store_close(t->st);
    t->st = NULL;
    if (t->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", t->dir);
    }
    if (t->pgname[0]) {
        struct aps_store_opts o = {.url = t->admin, .pool_size = 1, .pool_timeout = 10.0};
        struct aps_store *adm = NULL;
        struct aps_conn *c = NULL;
        char err[512], sql[160];
        if (!aps_store_open(&adm, &o, err, sizeof err) &&
            !aps_store_acquire(adm, APS_DB_WRITE, &c)) {
            snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", t->pgname);
            if (aps_conn_exec(c, sql))
                fprintf(stderr, "drop %s: %s\n", t->pgname, aps_conn_errmsg(c));
            aps_store_release(c);
        }
        aps_store_close(adm);
    }
}

/* Fails the test unless APS_TEST_PG_OPTIONAL=1 allows skipping when PostgreSQL is absent. */
static inline int testdb_pg_required(void)
{
    const char *opt = getenv("APS_TEST_PG_OPTIONAL");
    return !(opt && !strcmp(opt, "1"));
}

/* First line of a test whose fixture may be NULL: when it is (PostgreSQL absent, and only because
 * APS_TEST_PG_OPTIONAL=1 allows that), says so on stderr, naming the test, and skips it — never
 * silently. Without the opt-out the fixture's setup fails instead. */
#define TESTDB_SKIP_WITHOUT_PG(fx)                                                                \
    do {                                                                                          \
        if (!(fx)) {                                                                              \
            fprintf(stderr, "%s: no PostgreSQL and APS_TEST_PG_OPTIONAL=1: skipped\n", __func__); \
            skip();                                                                               \
        }                                                                                         \
    } while (0)

/* cmocka setup and teardown bodies: a fresh store (SQLite, or PostgreSQL when pg) in *state;
 * *state NULL (and success) when PostgreSQL is absent and APS_TEST_PG_OPTIONAL=1 allows it, so
 * the test skips. tag names the PostgreSQL database. */
static inline int testdb_fixture(void **state, int pg, const char *tag)
{
    struct testdb *db = (struct testdb *)calloc(1, sizeof *db);
    int rc = db ? (pg ? testdb_pg(db, tag) : testdb_sqlite(db)) : -1;
    if (rc == 1) {
        free(db);
        *state = NULL;
        return testdb_pg_required() ? -1 : 0;
    }
    *state = db;
    return rc ? -1 : 0;
}

static inline int testdb_fixture_free(void **state)
{
    struct testdb *db = (struct testdb *)*state;
    if (db) {
        testdb_close(db);
        free(db);
    }
    *state = NULL;
    return 0;
}

#endif
