/* test_queue_pg.c — the job queue and leader lock on the store's jobs and locks tables on
 * PostgreSQL: the shared behaviours of queue_cases.h (two claimer threads there exercise FOR
 * UPDATE SKIP LOCKED) in a schema of this run's own, migrated at the start and dropped at the end.
 *
 * The server comes from APS_TEST_PG_URL (`eval "$(scripts/pgtest start)"`). Without it the test
 * fails, unless APS_TEST_PG_OPTIONAL=1, when it is skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "queue_cases.h"

static char base_url[900], schema[64];

/* Runs one statement on a short-lived store at base_url. */
static int admin_exec(const char *sql)
{
    struct aps_store_opts o = {.url = base_url, .pool_size = 1, .pool_timeout = 10.0};
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    char err[512];
    int rc = aps_store_open(&st, &o, err, sizeof err);
    if (rc) {
        fprintf(stderr, "test_queue_pg: cannot reach APS_TEST_PG_URL: %s\n", err);
        return rc;
    }
    rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (!rc)
        rc = aps_conn_exec(c, sql);
    aps_store_release(c);
    aps_store_close(st);
    return rc;
}

static int group_setup(void **state)
{
    char sql[128], url[1024], err[512] = "";
    int applied = 0;
    snprintf(schema, sizeof schema, "aps_q_%ld_%ld", (long)getpid(), (long)time(NULL));
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
    if (admin_exec(sql))
        return -1;
    snprintf(url, sizeof url, "%s%coptions=-csearch_path%%3D%s", base_url,
             strchr(base_url, '?') ? '&' : '?', schema);
    struct aps_store_opts o = {.url = url,
                               .pool_size = 4,
                               .pool_overflow = 4,
                               .pool_timeout = 10.0};
    if (aps_store_open(&g.st, &o, err, sizeof err) ||
        aps_migrate_up(g.st, NULL, NULL, &applied, err, sizeof err)) {
        fprintf(stderr, "test_queue_pg: %s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    char sql[128];
    aps_store_close(g.st);
    g.st = NULL;
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
    return admin_exec(sql);
}

int main(void)
{
    const char *url = getenv("APS_TEST_PG_URL");
    const char *optional = getenv("APS_TEST_PG_OPTIONAL");
    if (!url || !*url) {
        bool opt = optional && strcmp(optional, "1") == 0;
        fprintf(stderr,
                "test_queue_pg: APS_TEST_PG_URL is not set; start a server with "
                "`eval \"$(scripts/pgtest start)\"`%s\n",
                opt ? " (skipped: APS_TEST_PG_OPTIONAL=1)" : " or set APS_TEST_PG_OPTIONAL=1");
        return opt ? 77 : 1; /* 77: ctest reports the test as skipped (SKIP_RETURN_CODE) */
    }
    snprintf(base_url, sizeof base_url, "%s", url);
    const struct CMUnitTest tests[] = {QUEUE_COMMON_TESTS};
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
