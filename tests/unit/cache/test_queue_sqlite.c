/* test_queue_sqlite.c — the job queue and leader lock on the store's jobs and locks tables on
 * SQLite: the shared behaviours of queue_cases.h against a fresh, migrated database file in a
 * scratch folder (two claimer threads there exercise BEGIN IMMEDIATE). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>

#include "queue_cases.h"

static char tmpdir[256];

static int group_setup(void **state)
{
    char url[512], err[512] = "";
    int applied = 0;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/aps-queue-sqlite-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(url, sizeof url, "sqlite:///%s/aps.db", tmpdir);
    struct aps_store_opts o = {.url = url,
                               .pool_size = 4,
                               .pool_overflow = 4,
                               .pool_timeout = 10.0};
    if (aps_store_open(&g.st, &o, err, sizeof err) ||
        aps_migrate_up(g.st, NULL, NULL, &applied, err, sizeof err)) {
        fprintf(stderr, "test_queue_sqlite: %s\n", err);
        return -1;
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int group_teardown(void **state)
{
    aps_store_close(g.st);
    g.st = NULL;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {QUEUE_COMMON_TESTS};
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
