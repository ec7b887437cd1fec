/* test_writer.c — the ingest writer on a real store (SQLite always, PostgreSQL when
 * APS_TEST_PG_URL is set): on PostgreSQL, teams, seasons and venues are analyzed (once) before
 * the batch that follows one that wrote rows to them, and never when no such row was written;
 * the foreign-key checks of new games read seasons by key;
 * the dims handle counts those writes; a second write of a file changes no stored row; a game
 * whose team name is not UTF-8 is dropped with its reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "ingest/dims.h"
#include "ingest/ingest.h"
#include "ingest/writer.h"
#include "../support/testdb.h"

#define DATA APS_DATA_DIR_DEFAULT "/football-data"

struct fx {
    struct testdb db;
    struct aps_conn *c;
    struct aps_writer *w;
};

static int setup(void **state, int kind)
{
    struct fx *fx = aps_calloc(1, sizeof *fx);
    int rc = kind ? testdb_pg(&fx->db, "writer") : testdb_sqlite(&fx->db);
    if (rc == 1) { /* no PostgreSQL */
        aps_free(fx);
        *state = NULL;
        return testdb_pg_required() ? -1 : 0;
    }
    char err[256];
    if (rc || aps_store_acquire(fx->db.st, APS_DB_WRITE, &fx->c) ||
        aps_writer_open(&fx->w, fx->c, err, sizeof err))
        return -1;
    *state = fx;
    return 0;
}
static int setup_sqlite(void **state)
{
    return setup(state, 0);
}
static int setup_pg(void **state)
{
    return setup(state, 1);
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        return 0;
    aps_writer_close(fx->w);
    if (fx->c)
        aps_store_release(fx->c);
    testdb_close(&fx->db);
    aps_free(fx);
    return 0;
}

static int64_t q1(struct fx *fx, const char *sql)
{
    int64_t v = -1;
    assert_int_equal(aps_conn_query_row(fx->c, sql, "i", &v, ""), 0);
    return v;
}

/* Parses and writes one file of source; returns the games stored. */
static size_t write_source(struct fx *fx, enum aps_source source, const char *path)
{
    struct aps_batch b = {0};
    struct aps_ingest_result res;
    char err[1024];
    assert_int_equal(aps_ingest_parse(source, path, &b, err, sizeof err), 0);
    int rc = aps_writer_write(fx->w, &b, path, &res, err, sizeof err);
    if (rc)
        fail_msg("write %s: %s", path, err);
    aps_batch_cleanup(&b);
    return res.games;
}

/* Parses and writes one football-data file; returns the games stored. */
static size_t write_file(struct fx *fx, const char *path)
{
    return write_source(fx, APS_SOURCE_FOOTBALL_DATA, path);
}

/* Manual ANALYZE runs of teams (autovacuum's are counted apart); the statistics snapshot of this
 * connection is dropped first so the count is current. */
static int64_t analyzed(struct fx *fx)
{
    int64_t v = -1;
    assert_int_equal(aps_conn_query_row(fx->c, "SELECT 1 FROM (SELECT pg_stat_clear_snapshot()) s",
                                        "i", &v, ""),
                     0);
    return q1(fx, "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'teams'");
}

static void test_analyze_after_new_dims(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    int64_t a0 = analyzed(fx);
    assert_int_equal(write_file(fx, DATA "/E0/2223_E0.csv"), 380);
    /* The first file wrote its teams and season: the ANALYZE waits for the next batch. */
    assert_int_equal(analyzed(fx), a0);
    assert_int_equal(write_file(fx, DATA "/E0/2223_E0.csv"), 380);
    assert_int_equal(analyzed(fx), a0 + 1);
    assert_true(q1(fx, "SELECT reltuples::bigint FROM pg_class WHERE relname = 'teams'") >= 20);
    /* The same file again wrote no dimension row (every name was cached): no ANALYZE. */
    assert_int_equal(write_file(fx, DATA "/E0/2223_E0.csv"), 380);
    assert_int_equal(analyzed(fx), a0 + 1);
    /* A new season with three promoted teams: one more, before the batch after it. */
    assert_int_equal(write_file(fx, DATA "/E0/2324_E0.csv"), 380);
    assert_int_equal(analyzed(fx), a0 + 1);
    assert_int_equal(write_file(fx, DATA "/E0/2324_E0.csv"), 380);
    assert_int_equal(analyzed(fx), a0 + 2);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 760);
}

/* Counters of a table's scans in the statistics, once they include the writes of a closed
 * connection (its backend sends them when it exits): waits until games counts `inserted` rows. */
static void scans(struct fx *fx, const char *table, int64_t inserted, int64_t *seq, int64_t *idx)
{
    char sql[256];
    for (int tries = 0; tries < 200; tries++) {
        int64_t v = -1;
        assert_int_equal(aps_conn_query_row(fx->c,
                                            "SELECT 1 FROM (SELECT pg_stat_clear_snapshot()) s",
                                            "i", &v, ""),
                         0);
        if (q1(fx, "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'games'") >= inserted)
            break;
        usleep(20000);
    }
    snprintf(sql, sizeof sql, "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = '%s'",
             table);
    *seq = q1(fx, sql);
    snprintf(sql, sizeof sql,
             "SELECT COALESCE(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = '%s'", table);
    *idx = q1(fx, sql);
}

/* The foreign-key checks of new games read seasons by its key even when the table holds a few
 * hundred rows (a size at which the default costs make each check a sequential scan). The
 * writer runs on a connection of its own that is closed after the write, so that its backend
 * reports its counters. */
static void test_fk_checks_read_seasons_by_key(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    assert_int_equal(aps_conn_exec(fx->c, "INSERT INTO seasons (sport_id, label)"
                                          " SELECT s.id, 'old-' || n FROM sports s,"
                                          " generate_series(1, 400) n WHERE s.code = 'EPL';"
                                          " ANALYZE seasons"),
                     0);
    int64_t seq0, idx0, seq1, idx1;
    scans(fx, "seasons", 0, &seq0, &idx0);
    struct aps_store_opts o = {.url = fx->db.url, .pool_size = 1, .pool_timeout = 10.0};
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    struct aps_writer *w = NULL;
    char err[1024];
    assert_int_equal(aps_store_open(&st, &o, err, sizeof err), 0);
    assert_int_equal(aps_store_acquire(st, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_writer_open(&w, c, err, sizeof err), 0);
    struct aps_batch b = {0};
    struct aps_ingest_result res;
    assert_int_equal(aps_ingest_parse(APS_SOURCE_FOOTBALL_DATA, DATA "/E0/2223_E0.csv", &b, err,
                                      sizeof err),
                     0);
    assert_int_equal(aps_writer_write(w, &b, "2223_E0.csv", &res, err, sizeof err), 0);
    assert_int_equal(res.games, 380);
    aps_batch_cleanup(&b);
    aps_writer_close(w);
    aps_store_release(c);
    aps_store_close(st);
    scans(fx, "seasons", 380, &seq1, &idx1);
    assert_true(idx1 - idx0 >= 380);
    assert_true(seq1 - seq0 < 10);
}

/* The dims handle counts the rows it writes to teams, seasons and venues, not cache hits. */
static void test_dims_written_counts_misses(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    struct aps_dims *d = NULL;
    assert_int_equal(aps_dims_open(&d, fx->c), 0);
    int64_t id;
    assert_int_equal(aps_dims_written(d), 0);
    assert_int_equal(aps_dims_team(d, APS_SPORT_EPL, "test", "Arsenal", &id), 0);
    assert_int_equal(aps_dims_written(d), 1);
    assert_int_equal(aps_dims_team(d, APS_SPORT_EPL, "test", "Arsenal", &id), 0);
    assert_int_equal(aps_dims_season(d, APS_SPORT_EPL, "2023-24", &id), 0);
    assert_int_equal(aps_dims_season(d, APS_SPORT_EPL, "2023-24", &id), 0);
    assert_int_equal(aps_dims_venue(d, "Emirates Stadium", NULL, -1, &id), 0);
    assert_int_equal(aps_dims_venue(d, "Emirates Stadium", NULL, -1, &id), 0);
    assert_int_equal(aps_dims_written(d), 3);
    /* Nothing written for a name unknown in a curated sport, an empty venue or a book. */
    assert_int_equal(aps_dims_team(d, APS_SPORT_NBA, "test", "Nowhere Rovers", &id),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_dims_venue(d, "", NULL, -1, &id), 0);
    assert_int_equal(aps_dims_book(d, "pinnacle", NULL, &id), 0);
    assert_int_equal(aps_dims_written(d), 3);
    /* After a rollback the cache is dropped, and the next lookups write again. */
    aps_dims_forget(d);
    assert_int_equal(aps_dims_team(d, APS_SPORT_EPL, "test", "Arsenal", &id), 0);
    assert_int_equal(aps_dims_written(d), 4);
    aps_dims_close(d);
}

/* A file written twice leaves the stored rows as they were. */
static void test_second_write_changes_nothing(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    assert_int_equal(write_file(fx, DATA "/D1/2223_D1.csv"), 306);
    int64_t g = q1(fx, "SELECT COUNT(*) FROM games"), o = q1(fx, "SELECT COUNT(*) FROM odds");
    int64_t t = q1(fx, "SELECT COUNT(*) FROM teams");
    assert_int_equal(write_file(fx, DATA "/D1/2223_D1.csv"), 306);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), g);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM odds"), o);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams"), t);
    assert_true(o > 20000);
}

/* A game whose team name is not UTF-8 (a Latin-1 file) is dropped with its reason, never stored:
 * the name would break every JSON answer that carries it; the file's other games are stored. */
static void test_team_name_not_utf8(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    char path[] = "/tmp/aps-writer-test-XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    static const char csv[] = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,B365H,B365D,B365A\n"
                              "E0,12/08/23,Burnl\xe9y,Man City,0,3,8.0,5.5,1.33\n"
                              "E0,12/08/23,Arsenal,Nott'm Forest,2,1,1.25,6.5,12.0\n";
    assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    close(fd);
    struct aps_batch b = {0};
    struct aps_ingest_result res;
    char err[1024];
    assert_int_equal(aps_ingest_parse(APS_SOURCE_FOOTBALL_DATA, path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 2);
    assert_int_equal(aps_writer_write(fx->w, &b, path, &res, err, sizeof err), 0);
    aps_batch_cleanup(&b);
    unlink(path);
    assert_int_equal(res.games, 1);
    assert_int_equal(res.rejected, 1);
    assert_string_equal(res.reasons[0].reason, "team name not UTF-8");
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 1);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE name LIKE 'Burnl%'"), 0);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM odds o JOIN games g ON g.id = o.game_id"), 3);
}

/* 538's MLB forecasts on SBR's 2020 games: each forecast is on the game its result says. 538
 * numbers some doubleheaders the other way round (WSH at MIA, 2020-09-20: its first game is SBR's
 * second) and marks none where the teams swapped home (SD - SF, 2020-09-25, one game at each
 * park); the number alone put those forecasts on the other game, or two on one. */
static void test_forecasts_on_doubleheaders(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    assert_int_equal(write_source(fx, APS_SOURCE_SBR,
                                  APS_DATA_DIR_DEFAULT "/sportsbookreview/mlb/mlb_odds_2020.csv"),
                     950);
    write_source(fx, APS_SOURCE_FIVETHIRTYEIGHT,
                 APS_DATA_DIR_DEFAULT "/fivethirtyeight/checking-our-work/mlb_games.csv");
    int64_t linked = q1(fx, "SELECT COUNT(*) FROM forecasts WHERE game_id IS NOT NULL");
    int64_t wrong = q1(fx, "SELECT COUNT(*) FROM forecasts f JOIN games g ON g.id = f.game_id"
                           " WHERE g.home_score <> g.away_score AND (f.result1 = 1) <>"
                           " ((g.home_score > g.away_score) = (g.home_team_id = f.team1_id))");
    int64_t shared = q1(fx, "SELECT COUNT(*) FROM (SELECT game_id FROM forecasts WHERE game_id"
                            " IS NOT NULL GROUP BY game_id HAVING COUNT(*) > 1) s");
    print_message("forecasts on 2020 games: %lld, on a game another team won: %lld, games with"
                  " two: %lld\n",
                  (long long)linked, (long long)wrong, (long long)shared);
    assert_int_equal(linked, 950);
    assert_int_equal(wrong, 0);
    assert_int_equal(shared, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dims_written_counts_misses, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_second_write_changes_nothing, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_team_name_not_utf8, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_forecasts_on_doubleheaders, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_after_new_dims, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_fk_checks_read_seasons_by_key, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_dims_written_counts_misses, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_second_write_changes_nothing, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_team_name_not_utf8, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_forecasts_on_doubleheaders, setup_pg, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
