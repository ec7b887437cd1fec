/* fixture.c — shared helpers of the trainer's tests: assert_near() for doubles, and a temporary
 * SQLite store with real data files ingested through the ingest layer (aps_ingest_parse + the
 * writer), so features, models and the registry are tested on real games and odds. Included after
 * <cmocka.h> by the test files; not a test of its own, so every function is static. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/history.h"
#include "ingest/ingest.h"
#include "model/features.h"
#include "store/migrate.h"
#include "store/store.h"

#define assert_near(a, b, eps) near_impl((a), (b), (eps), #a, __FILE__, __LINE__)

static inline void near_impl(double a, double b, double eps, const char *expr, const char *file,
                             int line)
{
    if (fabs(a - b) <= eps)
        return;
    print_error("%s = %.17g, expected %.17g within %g\n", expr, a, b, eps);
    _fail(file, line);
}

struct fx_store {
    char dir[64], path[96];
    struct aps_store *st;
    struct aps_conn *c;
};

/* A fresh migrated store in a temporary directory. */
static inline void fx_open(struct fx_store *fx)
{
    char err[256], url[128];
    snprintf(fx->dir, sizeof fx->dir, "/tmp/aps-model-test-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/t.db", fx->dir);
    snprintf(url, sizeof url, "sqlite:///%s", fx->path);
    struct aps_store_opts o = {.url = url, .pool_size = 1, .pool_timeout = 5};
    int applied = 0;
    assert_int_equal(aps_store_open(&fx->st, &o, err, sizeof err), 0);
    assert_int_equal(aps_migrate_up(fx->st, APS_SOURCE_DIR "/migrations", NULL, &applied, err,
                                    sizeof err),
                     0);
    assert_int_equal(aps_store_acquire(fx->st, APS_DB_WRITE, &fx->c), 0);
}

/* Ingests the given data files (relative to the data directory) with source s. */
static inline void fx_ingest(struct fx_store *fx, enum aps_source s, const char *const *files,
                             size_t n)
{
    char err[256], path[512];
    struct aps_writer *w = NULL;
    assert_int_equal(aps_writer_open(&w, fx->c, err, sizeof err), 0);
    for (size_t i = 0; i < n; i++) {
        struct aps_batch b = {0};
        struct aps_ingest_result res;
        snprintf(path, sizeof path, "%s/%s", APS_DATA_DIR_DEFAULT, files[i]);
        assert_int_equal(aps_ingest_parse(s, path, &b, err, sizeof err), 0);
        assert_int_equal(aps_writer_write(w, &b, path, &res, err, sizeof err), 0);
        aps_batch_cleanup(&b);
    }
    aps_writer_close(w);
}

static inline void fx_close(struct fx_store *fx)
{
    char cmd[160];
    aps_store_release(fx->c);
    aps_store_close(fx->st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fx->dir);
}

__attribute__((unused)) static const char *const fx_epl[] = {"football-data/E0/1819_E0.csv",
                                                             "football-data/E0/1920_E0.csv",
                                                             "football-data/E0/2021_E0.csv",
                                                             "football-data/E0/2122_E0.csv",
                                                             "football-data/E0/2223_E0.csv"};
__attribute__((
    unused)) static const char *const fx_nba[] = {"sportsbookreview/nba/nba odds 2016-17.csv",
                                                  "sportsbookreview/nba/nba odds 2017-18.csv",
                                                  "sportsbookreview/nba/nba odds 2018-19.csv"};
