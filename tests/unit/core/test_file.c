/* test_file.c — aps_file_replace: a new file with the umask's mode or the mode given, an old file
 * replaced whole, and a failed replacement that leaves the old file and no temporary file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/aps_test_file_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void read_back(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* Files in dir whose name holds ".tmp." (what a failed replacement must not leave). */
static int temporaries(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void test_replace(void **state)
{
    (void)state;
    char path[128], got[64];
    struct stat sb;
    snprintf(path, sizeof path, "%s/a.txt", dir);
    mode_t old = umask(022);
    assert_int_equal(aps_file_replace(path, "first\n", 6, -1), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644); /* a new file: 0666 less the umask */
    assert_int_equal(aps_file_replace(path, "second", 6, 0600), 0);
    read_back(path, got, sizeof got);
    assert_string_equal(got, "second");
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    umask(old);
    assert_int_equal(temporaries(), 0);
}

static void test_failure_leaves_the_old_file(void **state)
{
    (void)state;
    char path[128], got[64];
    snprintf(path, sizeof path, "%s/b.txt", dir);
    assert_int_equal(aps_file_replace(path, "kept", 4, 0644), 0);
    /* renaming over a folder fails after the temporary file was written */
    char sub[140];
    snprintf(sub, sizeof sub, "%s/c", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    errno = 0;
    assert_int_equal(aps_file_replace(sub, "lost", 4, 0644), -1);
    assert_int_equal(errno, EISDIR);
    assert_int_equal(temporaries(), 0);
    /* a folder that does not exist: nothing is made */
    snprintf(sub, sizeof sub, "%s/nowhere/d.txt", dir);
    assert_int_equal(aps_file_replace(sub, "x", 1, -1), -1);
    assert_int_equal(errno, ENOENT);
    read_back(path, got, sizeof got);
    assert_string_equal(got, "kept");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_failure_leaves_the_old_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
