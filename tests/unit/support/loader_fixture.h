/* loader_fixture.h — what the loader tests share: a temporary folder per test group, small files
 * written into it, and the count of rejected rows by reason. Include after <cmocka.h>. */
#ifndef APS_TESTS_LOADER_FIXTURE_H
#define APS_TESTS_LOADER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/batch.h"

static char tmpdir[64];

/* Writes content to tmpdir/name and returns the path (static storage, one at a time). */
__attribute__((unused)) static const char *write_file(const char *name, const char *content)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
    assert_int_equal(fclose(f), 0);
    return path;
}

__attribute__((unused)) static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/aps_loader_test_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

__attribute__((unused)) static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

__attribute__((unused)) static size_t reject_count(const struct aps_batch *b, const char *reason)
{
    for (size_t i = 0; i < b->nrejects; i++)
        if (!strcmp(b->rejects[i].reason, reason))
            return b->rejects[i].count;
    return 0;
}

#endif
