/* test_pipeline.c — the parse thread of `aps ingest` (ingest/pipeline.h): every job comes back,
 * in job order, with what a parse on the caller's thread gives (the same batch counts, or the
 * same error code and message for a broken file, a missing file and a URL that cannot be
 * fetched), whatever the queue depth; a URL's downloaded copy is removed when its result is
 * freed, and stopping early frees the results nobody took. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ingest/fetch.h"
#include "ingest/pipeline.h"
#include "services/libs.h"

#include "../support/loader_fixture.h"

#define DATA APS_DATA_DIR_DEFAULT "/football-data"

static char broken[256], missing[256], url_missing[300], url_good[300], url_probe[300];

static int setup(void **state)
{
    if (setup_dir(state) || aps_libs_init())
        return -1;
    /* A real file cut short inside a quoted field: the loader refuses it. */
    FILE *in = fopen(DATA "/E0/2324_E0.csv", "rb");
    if (!in)
        return -1;
    char head[20000];
    size_t n = fread(head, 1, sizeof head - 1, in);
    fclose(in);
    head[n] = '\0';
    char *cut = strrchr(head, '\n');
    if (!cut)
        return -1;
    snprintf(cut, sizeof head - (size_t)(cut - head), "\n\"unterminated");
    snprintf(broken, sizeof broken, "%s", write_file("2324_E0.csv", head));
    snprintf(missing, sizeof missing, "%s/1920_E0.csv", tmpdir);
    snprintf(url_missing, sizeof url_missing, "file://%s/2021_E0.csv", tmpdir);
    snprintf(url_good, sizeof url_good, "file://%s", DATA "/SP1/2223_SP1.csv");
    /* A copy under a name no other test uses, to find its download in /tmp. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/pipeprobe_1819_D1.csv'", DATA "/D1/1819_D1.csv", tmpdir);
    if (system(cmd))
        return -1;
    snprintf(url_probe, sizeof url_probe, "file://%s/pipeprobe_1819_D1.csv", tmpdir);
    return 0;
}

/* Downloads of the probe file still in /tmp. */
static size_t probe_copies(void)
{
    glob_t g;
    size_t n = 0;
    if (glob("/tmp/aps-fetch-*-pipeprobe_1819_D1.csv", 0, NULL, &g) == 0)
        n = g.gl_pathc;
    globfree(&g);
    return n;
}

static void check_order_and_results(size_t depth)
{
    const struct aps_ingest_job jobs[] = {
        {APS_SOURCE_FOOTBALL_DATA, DATA "/E0/2324_E0.csv"},
        {APS_SOURCE_FOOTBALL_DATA, broken},
        {APS_SOURCE_FOOTBALL_DATA, missing},
        {APS_SOURCE_FOOTBALL_DATA, url_missing},
        {APS_SOURCE_FOOTBALL_DATA, DATA "/I1/2122_I1.csv"},
        {APS_SOURCE_FOOTBALL_DATA, url_good},
        {APS_SOURCE_SPREADSPOKE, APS_DATA_DIR_DEFAULT "/spreadspoke/spreadspoke_scores.csv"},
    };
    size_t n = sizeof jobs / sizeof jobs[0];
    struct aps_ingest_pipe *p = NULL;
    assert_int_equal(aps_ingest_pipe_start(&p, jobs, n, depth), 0);
    for (size_t i = 0; i < n; i++) {
        struct aps_ingest_parsed *x = aps_ingest_pipe_next(p);
        assert_non_null(x);
        assert_int_equal(x->job, i);
        /* The same job parsed here, on this thread. */
        struct aps_batch b = {0};
        char err[1024] = "", tmp[256] = "";
        int rc = 0;
        const char *path = jobs[i].path;
        if (!strncmp(path, "file://", 7)) {
            rc = aps_fetch_to_temp(path, tmp, sizeof tmp, err, sizeof err);
            assert_int_equal(x->fetch_failed, rc != 0);
            path = tmp;
        }
        if (!rc)
            rc = aps_ingest_parse(jobs[i].source, path, &b, err, sizeof err);
        assert_int_equal(x->rc, rc);
        if (rc) {
            assert_string_equal(x->err, err);
        } else {
            assert_true(b.ngames > 0);
            assert_int_equal(x->batch.ngames, b.ngames);
            assert_int_equal(x->batch.nodds, b.nodds);
            assert_int_equal(x->batch.rows, b.rows);
            assert_memory_equal(x->batch.games, b.games, b.ngames * sizeof *b.games);
        }
        assert_true(x->seconds >= 0);
        if (x->tmp[0]) {
            assert_int_equal(access(x->tmp, F_OK), 0);
            char copy[256];
            snprintf(copy, sizeof copy, "%s", x->tmp);
            aps_ingest_parsed_free(x);
            assert_int_not_equal(access(copy, F_OK), 0);
        } else {
            aps_ingest_parsed_free(x);
        }
        aps_batch_cleanup(&b);
        if (tmp[0])
            unlink(tmp);
    }
    assert_null(aps_ingest_pipe_next(p));
    aps_ingest_pipe_stop(p);
}

static void test_in_order_depth_1(void **state)
{
    (void)state;
    check_order_and_results(1);
}

static void test_in_order_depth_3(void **state)
{
    (void)state;
    check_order_and_results(3);
}

/* The expected failures really are failures, with the messages a user would see. */
static void test_failures_are_reported(void **state)
{
    (void)state;
    const struct aps_ingest_job jobs[] = {
        {APS_SOURCE_FOOTBALL_DATA, broken},
        {APS_SOURCE_FOOTBALL_DATA, url_missing},
    };
    struct aps_ingest_pipe *p = NULL;
    assert_int_equal(aps_ingest_pipe_start(&p, jobs, 2, 2), 0);
    struct aps_ingest_parsed *x = aps_ingest_pipe_next(p);
    assert_int_not_equal(x->rc, 0);
    assert_false(x->fetch_failed);
    assert_true(x->err[0] != '\0');
    aps_ingest_parsed_free(x);
    x = aps_ingest_pipe_next(p);
    assert_int_not_equal(x->rc, 0);
    assert_true(x->fetch_failed);
    assert_non_null(strstr(x->err, "2021_E0.csv"));
    aps_ingest_parsed_free(x);
    aps_ingest_pipe_stop(p);
}

/* Stopping with results in the queue and jobs not parsed: the queued results are freed (the
 * downloaded copies removed) and the thread ends. */
static void test_stop_early(void **state)
{
    (void)state;
    assert_int_equal(probe_copies(), 0);
    const struct aps_ingest_job jobs[] = {
        {APS_SOURCE_FOOTBALL_DATA, DATA "/E0/2324_E0.csv"},
        {APS_SOURCE_FOOTBALL_DATA, url_probe},
        {APS_SOURCE_FOOTBALL_DATA, url_probe},
        {APS_SOURCE_FOOTBALL_DATA, url_probe},
    };
    struct aps_ingest_pipe *p = NULL;
    assert_int_equal(aps_ingest_pipe_start(&p, jobs, 4, 2), 0);
    struct aps_ingest_parsed *x = aps_ingest_pipe_next(p);
    assert_int_equal(x->rc, 0);
    aps_ingest_parsed_free(x);
    /* The queue (depth 2) fills with two downloads while the fourth waits for room. */
    for (int tries = 0; tries < 500 && probe_copies() < 2; tries++)
        usleep(10000);
    usleep(50000);
    assert_int_equal(probe_copies(), 2);
    aps_ingest_pipe_stop(p);
    assert_int_equal(probe_copies(), 0);

    /* Nothing taken at all. */
    assert_int_equal(aps_ingest_pipe_start(&p, jobs, 4, 1), 0);
    aps_ingest_pipe_stop(p);
    assert_int_equal(probe_copies(), 0);
}

static void test_no_jobs(void **state)
{
    (void)state;
    struct aps_ingest_pipe *p = NULL;
    assert_int_equal(aps_ingest_pipe_start(&p, NULL, 0, 2), 0);
    assert_null(aps_ingest_pipe_next(p));
    aps_ingest_pipe_stop(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_depth_1),
        cmocka_unit_test(test_in_order_depth_3),
        cmocka_unit_test(test_failures_are_reported),
        cmocka_unit_test(test_stop_early),
        cmocka_unit_test(test_no_jobs),
    };
    return cmocka_run_group_tests(tests, setup, remove_dir);
}
