/* test_store_sqlite.c — the storage interface on SQLite: the shared behaviours of store_cases.h
 * against a fresh database file in a scratch folder, plus what only SQLite has (pragmas, URL
 * forms, the in-memory database, BEGIN IMMEDIATE and SQLITE_BUSY, whole-database copies, a full
 * disk). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_cases.h"

static void text_of(struct aps_conn *c, const char *sql, char *out, size_t cap)
{
    struct aps_stmt *s = NULL;
    MUST(c, aps_conn_prepare(c, sql, &s));
    assert_int_equal(aps_stmt_step(s), APS_ROW);
    snprintf(out, cap, "%s", aps_stmt_text(s, 0));
    aps_stmt_finalize(s);
}

static void test_sqlite_pragmas(void **state)
{
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    char v[64];
    assert_int_equal(aps_store_kind(st), APS_DB_SQLITE);
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    assert_int_equal(aps_conn_kind(c), APS_DB_SQLITE);
    text_of(c, "PRAGMA journal_mode", v, sizeof v);
    assert_string_equal(v, "wal");
    text_of(c, "PRAGMA synchronous", v, sizeof v);
    assert_string_equal(v, "1"); /* NORMAL */
    text_of(c, "PRAGMA foreign_keys", v, sizeof v);
    assert_string_equal(v, "1");
    text_of(c, "PRAGMA busy_timeout", v, sizeof v);
    assert_string_equal(v, "5000");
    aps_store_release(c);
    aps_store_close(st);
}

/* SQLite keeps no memory statistics in this program (set before its first open): its
 * allocations then take no global mutex. With them on, the bytes in use are counted. */
static void test_sqlite_memstatus_off(void **state)
{
    struct aps_store *st = open_store();
    struct aps_conn *c = NULL;
    char v[64];
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    text_of(c, "SELECT 1", v, sizeof v);
    assert_int_equal(sqlite3_memory_used(), 0);
    assert_int_equal(sqlite3_memory_highwater(0), 0);
    aps_store_release(c);
    aps_store_close(st);
}

/* sqlite:///rel/path is relative to the working directory; missing folders are created. */
static void test_sqlite_url_forms(void **state)
{
    char cwd[1024], path[1024], err[512];
    struct aps_store *st = NULL;
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(g.tmpdir), 0);
    struct aps_store_opts o = {.url = "sqlite:///rel/a/x.db", .pool_size = 1, .pool_timeout = 1.0};
    int rc = aps_store_open(&st, &o, err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    if (rc)
        fail_msg("open: %s", err);
    aps_store_close(st);
    snprintf(path, sizeof path, "%s/rel/a/x.db", g.tmpdir);
    assert_int_equal(access(path, F_OK), 0);

    o.url = "sqlite:////proc/aps-no-such-dir/x.db";
    assert_true(aps_store_open(&st, &o, err, sizeof err) < 0);
    assert_null(st);
    assert_non_null(strstr(err, "sqlite:////proc/aps-no-such-dir/x.db"));
    o.url = "sqlite:///";
    assert_int_equal(aps_store_open(&st, &o, err, sizeof err), APS_E_CONFIG);
}

/* existing: a file that is not there is refused, naming it, and nothing is made (neither the
 * file nor its folder); a file that is there opens as usual. */
static void test_sqlite_existing_only(void **state)
{
    char url[1100], dir[1024], err[512];
    struct aps_store *st = NULL;
    snprintf(dir, sizeof dir, "%s/typo", g.tmpdir);
    snprintf(url, sizeof url, "sqlite:///%s/x.db", dir);
    struct aps_store_opts o = {.url = url, .pool_size = 1, .pool_timeout = 1.0, .existing = true};
    assert_int_equal(aps_store_open(&st, &o, err, sizeof err), APS_E_NOTFOUND);
    assert_null(st);
    assert_non_null(strstr(err, "no store at"));
    assert_non_null(strstr(err, "/typo/x.db: the file does not exist"));
    assert_int_equal(access(dir, F_OK), -1);
    o.existing = false;
    if (aps_store_open(&st, &o, err, sizeof err))
        fail_msg("open: %s", err);
    aps_store_close(st);
    o.existing = true;
    if (aps_store_open(&st, &o, err, sizeof err))
        fail_msg("open the existing file: %s", err);
    aps_store_close(st);
    o.url = "sqlite://:memory:"; /* nothing on disk to look for */
    if (aps_store_open(&st, &o, err, sizeof err))
        fail_msg("open memory: %s", err);
    aps_store_close(st);
}

/* A store aps creates is its owner's alone (0600), and so are its -wal and -shm files; a file
 * that is already there keeps its mode. */
static void test_sqlite_new_store_private(void **state)
{
    char url[1100], path[1024], wal[1100], err[512];
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    struct stat sb;
    snprintf(path, sizeof path, "%s/private/x.db", g.tmpdir);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    struct aps_store_opts o = {.url = url, .pool_size = 1, .pool_timeout = 1.0};
    if (aps_store_open(&st, &o, err, sizeof err))
        fail_msg("open: %s", err);
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)"));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &sb) == 0) /* WAL mode: the log takes the database's mode */
        assert_int_equal(sb.st_mode & 0777, 0600);
    aps_store_release(c);
    aps_store_close(st);
    snprintf(path, sizeof path, "%s/shared.db", g.tmpdir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(path, 0644), 0);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    if (aps_store_open(&st, &o, err, sizeof err))
        fail_msg("open the existing file: %s", err);
    aps_store_close(st);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
}

static void test_sqlite_memory_shared(void **state)
{
    struct aps_store_opts o = {.url = "sqlite://:memory:", .pool_size = 2, .pool_timeout = 1.0};
    struct aps_store *st = NULL;
    struct aps_conn *a = NULL, *b = NULL;
    char err[512];
    if (aps_store_open(&st, &o, err, sizeof err))
        fail_msg("open: %s", err);
    MUST(a, aps_store_acquire(st, APS_DB_WRITE, &a));
    MUST(b, aps_store_acquire(st, APS_DB_WRITE, &b));
    MUST(a, aps_conn_exec(a, "CREATE TABLE m (x INTEGER); INSERT INTO m VALUES (7)"));
    assert_int_equal(count_rows(b, "m"), 1); /* one database for the whole pool */
    aps_store_release(a);
    aps_store_release(b);
    aps_store_close(st);
}

static void test_sqlite_replica_routing(void **state)
{
    struct aps_store *st = open_store_with(g.url, 2, 0, 1.0);
    struct aps_conn *w = NULL, *r = NULL;
    assert_true(aps_store_has_replica(st));
    MUST(w, aps_store_acquire(st, APS_DB_WRITE, &w));
    assert_false(aps_conn_is_replica(w));
    MUST(w, aps_conn_exec(w, "CREATE TABLE rep (x INTEGER); INSERT INTO rep VALUES (1)"));
    MUST(r, aps_store_acquire(st, APS_DB_READ, &r));
    assert_true(aps_conn_is_replica(r));
    assert_int_equal(count_rows(r, "rep"), 1);
    assert_true(aps_conn_exec(r, "INSERT INTO rep VALUES (2)") < 0); /* opened read-only */
    aps_store_release(r);
    aps_store_release(w);
    aps_store_close(st);

    char missing[512];
    snprintf(missing, sizeof missing, "sqlite:///%s/no-replica-here.db", g.tmpdir);
    st = open_store_with(missing, 1, 0, 1.0);
    MUST(r, aps_store_acquire(st, APS_DB_READ, &r));
    assert_false(aps_conn_is_replica(r)); /* unreachable replica: served by the primary */
    assert_int_equal(count_rows(r, "rep"), 1);
    aps_store_release(r);
    aps_store_close(st);
}

/* A write transaction takes the write lock at BEGIN; a second writer waits out the busy
 * timeout and gets APS_E_BUSY, while a reader carries on. */
static void test_sqlite_busy(void **state)
{
    struct aps_store *st = open_store_with(NULL, 3, 0, 1.0);
    struct aps_conn *a = NULL, *b = NULL, *r = NULL;
    MUST(a, aps_store_acquire(st, APS_DB_WRITE, &a));
    MUST(b, aps_store_acquire(st, APS_DB_WRITE, &b));
    MUST(r, aps_store_acquire(st, APS_DB_READ, &r));
    MUST(a, aps_conn_exec(a, "CREATE TABLE busy (x INTEGER)"));
    MUST(a, aps_conn_begin(a));
    MUST(a, aps_conn_exec(a, "INSERT INTO busy VALUES (1)"));
    MUST(r, aps_conn_begin(r));
    assert_int_equal(count_rows(r, "busy"), 0);
    MUST(r, aps_conn_rollback(r));
    double t0 = now_s();
    assert_int_equal(aps_conn_begin(b), APS_E_BUSY);
    assert_true(now_s() - t0 >= 4.0);
    assert_non_null(strstr(aps_conn_errmsg(b), "locked"));
    MUST(a, aps_conn_commit(a));
    MUST(b, aps_conn_begin(b));
    MUST(b, aps_conn_commit(b));
    aps_store_release(a);
    aps_store_release(b);
    aps_store_release(r);
    aps_store_close(st);
}

/* A whole-database copy is one consistent snapshot taken while another connection holds an open
 * write transaction (whose row is not in it), and a restore puts the copy's contents back. */
static void test_sqlite_file_copy(void **state)
{
    struct aps_store *st = open_store_with(NULL, 2, 0, 1.0);
    struct aps_conn *a = NULL, *w = NULL;
    char copy[600], missing[600];
    snprintf(copy, sizeof copy, "%s/copy.db", g.tmpdir);
    snprintf(missing, sizeof missing, "%s/no-such-copy.db", g.tmpdir);
    MUST(a, aps_store_acquire(st, APS_DB_WRITE, &a));
    MUST(w, aps_store_acquire(st, APS_DB_WRITE, &w));
    MUST(a,
         aps_conn_exec(a, "CREATE TABLE copied (x INTEGER); INSERT INTO copied VALUES (1), (2)"));
    MUST(w, aps_conn_begin(w));
    MUST(w, aps_conn_exec(w, "INSERT INTO copied VALUES (3)"));
    MUST(a, aps_conn_backup_file(a, copy));
    MUST(w, aps_conn_commit(w));
    assert_int_equal(count_rows(a, "copied"), 3);
    MUST(a, aps_conn_exec(a, "DELETE FROM copied"));
    MUST(a, aps_conn_restore_file(a, copy));
    assert_int_equal(count_rows(a, "copied"), 2);
    assert_int_equal(count_rows(w, "copied"), 2); /* other connections see the restored data */
    assert_int_equal(aps_conn_restore_file(a, missing), APS_E_IO);
    assert_int_equal(count_rows(a, "copied"), 2);
    aps_store_release(a);
    aps_store_release(w);
    aps_store_close(st);
}

/* aps_store_switch: a connection checked out before the switch finishes on the old database and
 * is not reused; new ones open on the new one; a URL that cannot be opened, another kind of
 * database or a replica appearing change nothing. */
static void test_sqlite_switch(void **state)
{
    char other[512], bad[512], err[512];
    snprintf(other, sizeof other, "sqlite:///%s/switched.db", g.tmpdir);
    snprintf(bad, sizeof bad, "sqlite:///%s/switched.db/x.db", g.tmpdir);
    struct aps_store *st = open_store_with(NULL, 2, 0, 1.0);
    struct aps_conn *old = NULL, *c = NULL;
    MUST(old, aps_store_acquire(st, APS_DB_WRITE, &old));
    MUST(old, aps_conn_exec(old, "CREATE TABLE sw_old (x INTEGER); INSERT INTO sw_old VALUES (1)"));
    assert_int_equal(aps_store_switch(st, other, NULL, err, sizeof err), 0);
    /* In flight: still the old database. */
    MUST(old, aps_conn_exec(old, "INSERT INTO sw_old VALUES (2)"));
    assert_int_equal(count_rows(old, "sw_old"), 2);
    aps_store_release(old);
    struct aps_store_stats stats;
    aps_store_stats(st, &stats);
    assert_int_equal(stats.open, 1); /* the old one closed on release; the probe stays idle */
    for (int i = 0; i < 2; i++) {
        MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
        assert_true(aps_conn_exec(c, "SELECT x FROM sw_old") < 0); /* the new, empty file */
        aps_store_release(c);
    }
    /* Refused switches leave the pool where it is: a file that cannot be opened (its folder
     * is a file), another kind of database, a replica appearing. */
    assert_int_not_equal(aps_store_switch(st, bad, NULL, err, sizeof err), 0);
    assert_int_equal(aps_store_switch(st, "postgresql://u@127.0.0.1:1/x", NULL, err, sizeof err),
                     APS_E_CONFIG);
    assert_int_equal(aps_store_switch(st, other, other, err, sizeof err), APS_E_CONFIG);
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE sw_new (x INTEGER)"));
    aps_store_release(c);
    aps_store_close(st);
}

/* The small file system test_sqlite_disk_full_commit mounts; teardown unmounts it if the test
 * stopped half-way. */
static struct {
    char dir[300];
    bool mounted;
} disk;

/* Fills the file system under dir: a file takes every byte left. */
static void fill_disk(const char *dir)
{
    char path[600], chunk[4096];
    snprintf(path, sizeof path, "%s/filler", dir);
    memset(chunk, 0, sizeof chunk);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    ssize_t n = 0;
    do
        n = write(fd, chunk, sizeof chunk);
    while (n > 0);
    assert_int_equal(errno, ENOSPC);
    close(fd);
}

/* A disk that fills up fails the write whose commit it stopped. The store lives on a small tmpfs
 * (mounted here: the tests run as root); a row of 512 KiB fits in SQLite's page cache and fails
 * only at the commit, when its pages go to the WAL file. aps_conn_query_row of an INSERT …
 * RETURNING and a step of one are APS_E_NOSPACE with no output written, instead of the id of a
 * row that was rolled back; the file stays intact and, once space returns, the same connection
 * writes the row. */
static void test_sqlite_disk_full_commit(void **state)
{
    char url[600], err[512], v[64];
    static char big[512 * 1024];
    const char *ins = "INSERT INTO full_t (t) VALUES (?1) RETURNING k";
    snprintf(disk.dir, sizeof disk.dir, "%s/disk", g.tmpdir);
    assert_int_equal(mkdir(disk.dir, 0755), 0);
    if (mount("tmpfs", disk.dir, "tmpfs", 0, "size=2m") != 0)
        fail_msg("cannot mount a tmpfs on %s (the test needs root): %s", disk.dir, strerror(errno));
    disk.mounted = true;
    snprintf(url, sizeof url, "sqlite:///%s/full.db", disk.dir);
    struct aps_store_opts o = {.url = url, .pool_size = 1, .pool_timeout = 5.0};
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    struct aps_stmt *s = NULL;
    if (aps_store_open(&st, &o, err, sizeof err))
        fail_msg("open: %s", err);
    MUST(c, aps_store_acquire(st, APS_DB_WRITE, &c));
    MUST(c, aps_conn_exec(c, "CREATE TABLE full_t (k INTEGER PRIMARY KEY, t TEXT)"));
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';

    fill_disk(disk.dir);
    int64_t k = -1;
    assert_int_equal(aps_conn_query_row(c, ins, "i", &k, "s", big), APS_E_NOSPACE);
    assert_int_equal(k, -1);
    MUST(c, aps_conn_preparef(c, &s, ins, "s", big));
    assert_int_equal(aps_stmt_step(s), APS_E_NOSPACE);
    aps_stmt_finalize(s);
    assert_int_equal(count_rows(c, "full_t"), 0);
    text_of(c, "PRAGMA integrity_check", v, sizeof v);
    assert_string_equal(v, "ok");

    char filler[600];
    snprintf(filler, sizeof filler, "%s/filler", disk.dir);
    assert_int_equal(unlink(filler), 0);
    MUST(c, aps_conn_query_row(c, ins, "i", &k, "s", big));
    assert_int_equal(k, 1);
    assert_int_equal(count_rows(c, "full_t"), 1);
    aps_store_release(c);
    aps_store_close(st);
    assert_int_equal(umount(disk.dir), 0);
    disk.mounted = false;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    snprintf(g.tmpdir, sizeof g.tmpdir, "/tmp/aps-store-test-XXXXXX");
    if (!mkdtemp(g.tmpdir))
        return -1;
    snprintf(g.url, sizeof g.url, "sqlite:///%s/sub/dir/test.db", g.tmpdir);
    return 0;
}

static int teardown(void **state)
{
    if (disk.mounted && umount2(disk.dir, MNT_DETACH) != 0)
        fprintf(stderr, "umount %s: %s\n", disk.dir, strerror(errno));
    return nftw(g.tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_COMMON_TESTS,
        cmocka_unit_test(test_sqlite_pragmas),
        cmocka_unit_test(test_sqlite_memstatus_off),
        cmocka_unit_test(test_sqlite_url_forms),
        cmocka_unit_test(test_sqlite_existing_only),
        cmocka_unit_test(test_sqlite_new_store_private),
        cmocka_unit_test(test_sqlite_memory_shared),
        cmocka_unit_test(test_sqlite_replica_routing),
        cmocka_unit_test(test_sqlite_busy),
        cmocka_unit_test(test_sqlite_file_copy),
        cmocka_unit_test(test_sqlite_switch),
        cmocka_unit_test(test_sqlite_disk_full_commit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
