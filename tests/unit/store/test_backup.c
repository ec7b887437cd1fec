/* test_backup.c — the pure parts of the store's backup backends (src/store/backup_sqlite.c,
 * backup_pg.c): the names of SQLite copies and the times they stand for, how the PITR window
 * becomes pgBackRest's archive retention, the target time handed to pgBackRest, the URL of a restored cluster and the
 * error line taken from a tool's output, the removal of a restore's spool folder while pgBackRest's
 * background archive-get still holds its lock. The rest runs against real servers in
 * tests/integration/dr_*.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../src/store/backup_sqlite.c"
#include "../../../src/store/backup_pg.c"

static void copy_names_round_trip(void **state)
{
    char name[64];
    int64_t t = aps_time_from_civil(2026, 12, 2, 4, 0, 0);
    copy_name(t, name, sizeof name);
    assert_string_equal(name, "aps-20261202T040000Z.db");
    assert_int_equal(copy_time(name), t);
    assert_int_equal(copy_time("aps-20261202T040000Z.db.tmp"), -1); /* unfinished copy */
    assert_int_equal(copy_time("aps-20261302T040000Z.db"), -1);     /* month 13 */
    assert_int_equal(copy_time("aps-20261202T250000Z.db"), -1);
    assert_int_equal(copy_time("aps-20261202.db"), -1);
    assert_int_equal(copy_time("other-20261202T040000Z.db"), -1);
}

static void pitr_window_in_full_backups(void **state)
{
    assert_int_equal(archive_fulls(86400, 7), 7);      /* the seed: daily fulls, 7 days */
    assert_int_equal(archive_fulls(43200, 1), 2);      /* twice a day, 1 day */
    assert_int_equal(archive_fulls(3 * 86400, 7), 3);  /* rounded up: the window is covered */
    assert_int_equal(archive_fulls(0, 7), 7);          /* scheduled backups off */
    assert_int_equal(archive_fulls(7 * 86400, 1), 1);  /* never fewer than one */
}

static void target_times(void **state)
{
    char out[96];
    assert_int_equal(target_time("2026-12-02T05:40:00Z", out, sizeof out), 0);
    assert_string_equal(out, "2026-12-02 05:40:00+00");
    assert_int_equal(target_time("2026-12-02 05:40:00.123456+00", out, sizeof out), 0);
    assert_string_equal(out, "2026-12-02 05:40:00.123456+00");
    assert_int_equal(target_time("2026-12-02'; select 1", out, sizeof out), APS_E_INVAL);
    assert_int_equal(target_time("today", out, sizeof out), APS_E_INVAL);
}

static void restored_cluster_url(void **state)
{
    char out[256];
    assert_int_equal(local_url("postgresql://aps:s3cret@db1:5432,db2:5432/aps?target_session_attrs"
                               "=read-write",
                               5499, out, sizeof out),
                     0);
    assert_string_equal(out, "postgresql://aps:s3cret@127.0.0.1:5499/aps?target_session_attrs="
                             "read-write");
    assert_int_equal(local_url("postgres://db.internal/aps", 5433, out, sizeof out), 0);
    assert_string_equal(out, "postgresql://127.0.0.1:5433/aps");
    char longer[400];
    snprintf(longer, sizeof longer, "postgresql://h/%0300d", 7); /* a 300-character name */
    assert_int_equal(local_url(longer, 5433, out, sizeof out), APS_E_TOOBIG);
    assert_int_equal(local_url("no scheme", 5433, out, sizeof out), APS_E_CONFIG);
}

static void tool_error_line(void **state)
{
    char out[200];
    failure_text("INFO: start\nERROR: [056]: unable to find primary cluster\n\n", out, sizeof out);
    assert_string_equal(out, "ERROR: [056]: unable to find primary cluster");
    /* pgBackRest's error with its hints, on one line: the last line alone is a hint */
    failure_text("ERROR: [040]: unable to restore to path '/r' because it contains files\n"
                 "       HINT: try using --delta if this is what you intended.\n",
                 out, sizeof out);
    assert_string_equal(out, "ERROR: [040]: unable to restore to path '/r' because it contains "
                             "files HINT: try using --delta if this is what you intended.");
    failure_text("WARN: one\nERROR: [055]: first\nERROR: [037]: last\n  HINT: h\n", out, 40);
    assert_string_equal(out, "ERROR: [037]: last HINT: h");
    /* another program: its last line */
    failure_text("pg_ctl: could not start server\nExamine the log output.\n", out, sizeof out);
    assert_string_equal(out, "Examine the log output.");
    failure_text("ERROR: [1]: cut", out, 8);
    assert_string_equal(out, "ERROR: ");
    failure_text("", out, sizeof out);
    assert_string_equal(out, "");
}

/* A child stands in for pgBackRest's background archive-get: it holds the lock file with flock,
 * writes into the spool after a while, then exits. Returns its pid once it holds the lock. */
static pid_t hold_spool_lock(const char *spool, double hold_s)
{
    char path[600];
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        snprintf(path, sizeof path, "%s/lock/aps-archive.lock", spool);
        int fd = open(path, O_CREAT | O_RDWR, 0640);
        if (fd < 0 || flock(fd, LOCK_EX))
            _exit(1);
        (void)!write(ready[1], "x", 1);
        struct timespec ts = {(time_t)hold_s, (long)((hold_s - (time_t)hold_s) * 1e9)};
        nanosleep(&ts, NULL);
        snprintf(path, sizeof path, "%s/spool/000000010000000000000005.ok", spool);
        mkdir(spool, 0750);
        char dir[600];
        snprintf(dir, sizeof dir, "%s/spool", spool);
        mkdir(dir, 0750);
        int f = open(path, O_CREAT | O_WRONLY, 0640);
        _exit(f < 0 ? 2 : 0);
    }
    char c;
    close(ready[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    return pid;
}

static void make_spool(char *spool, size_t cap, char *dir)
{
    assert_non_null(mkdtemp(dir));
    snprintf(spool, cap, "%s/restored.restore-spool", dir);
    char sub[600];
    assert_int_equal(mkdir(spool, 0750), 0);
    snprintf(sub, sizeof sub, "%s/lock", spool);
    assert_int_equal(mkdir(sub, 0750), 0);
    snprintf(sub, sizeof sub, "%s/spool", spool);
    assert_int_equal(mkdir(sub, 0750), 0);
}

static void spool_removed_after_the_lock_is_let_go(void **state)
{
    (void)state;
    char dir[] = "/tmp/aps-spool-XXXXXX", spool[512], err[256];
    make_spool(spool, sizeof spool, dir);
    pid_t pid = hold_spool_lock(spool, 0.5);
    double t0 = aps_time_mono();
    assert_int_equal(remove_spool(spool, 10, err, sizeof err), 0);
    assert_true(aps_time_mono() - t0 >= 0.45); /* it waited for the lock */
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct stat sb;
    assert_int_not_equal(lstat(spool, &sb), 0); /* nothing written after the removal */
    assert_int_equal(rmdir(dir), 0);
}

static void spool_still_locked_is_an_error(void **state)
{
    (void)state;
    char dir[] = "/tmp/aps-spool-XXXXXX", spool[512], err[256] = "";
    make_spool(spool, sizeof spool, dir);
    pid_t pid = hold_spool_lock(spool, 2);
    assert_int_equal(remove_spool(spool, 0.3, err, sizeof err), APS_E_IO);
    assert_non_null(strstr(err, "spool folder is still in use"));
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(remove_spool(spool, 10, err, sizeof err), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_names_round_trip),
        cmocka_unit_test(pitr_window_in_full_backups),
        cmocka_unit_test(target_times),
        cmocka_unit_test(restored_cluster_url),
        cmocka_unit_test(tool_error_line),
        cmocka_unit_test(spool_removed_after_the_lock_is_let_go),
        cmocka_unit_test(spool_still_locked_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
