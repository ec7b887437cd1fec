/* test_tennis_players.c — a tour's stored rows of one player merged into one on a real store
 * (SQLite always, PostgreSQL when APS_TEST_PG_URL is set): two spellings, a listed alias and a
 * live full name go into the row the rule keeps, with their games, Elo history and aliases; the
 * row with locked-in picks is the one kept; rows that played on one day, or with picks under two
 * names, are left apart and said; the other tour is not touched; a second run changes nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/mem.h"
#include "ingest/tennis_players.h"
#include "../support/testdb.h"

struct fx {
    struct testdb db;
    struct aps_conn *c;
};

static int setup(void **state, int kind)
{
    struct fx *fx = aps_calloc(1, sizeof *fx);
    int rc = kind ? testdb_pg(&fx->db, "tennis_players") : testdb_sqlite(&fx->db);
    if (rc == 1) { /* no PostgreSQL */
        aps_free(fx);
        *state = NULL;
        return testdb_pg_required() ? -1 : 0;
    }
    if (rc || aps_store_acquire(fx->db.st, APS_DB_WRITE, &fx->c))
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
    if (fx->c)
        aps_store_release(fx->c);
    testdb_close(&fx->db);
    aps_free(fx);
    return 0;
}

static void exec_ok(struct fx *fx, const char *sql)
{
    if (aps_conn_exec(fx->c, sql))
        fail_msg("%s: %s", sql, aps_conn_errmsg(fx->c));
}

static int64_t q1(struct fx *fx, const char *sql)
{
    int64_t v = -1;
    assert_int_equal(aps_conn_query_row(fx->c, sql, "i", &v, ""), 0);
    return v;
}

/* Rows as earlier releases stored them: every spelling a row of its own. Opponents 3 and 4;
 * game ids are 100 + the row that plays in it. */
static const char SEED[] =
    "INSERT INTO sports (id, code, name, kind) VALUES (1, 'ATP', 'ATP', 'tennis'),"
    " (2, 'WTA', 'WTA', 'tennis');"
    "INSERT INTO seasons (id, sport_id, label) VALUES (1, 1, '2020'), (2, 2, '2020');"
    "INSERT INTO teams (id, sport_id, key, name) VALUES"
    " (1, 1, 'Carreno Busta P.', 'x'), (2, 1, 'Carreno-Busta P.', 'x'), (3, 1, 'Opp A.', 'x'),"
    " (4, 1, 'Opp B.', 'x'), (5, 1, 'Tseng C.H.', 'x'), (6, 1, 'Tseng C. H.', 'x'),"
    " (7, 1, 'De Voest R.', 'x'), (8, 1, 'de Voest R.', 'x'), (9, 1, 'Sinner J.', 'x'),"
    " (10, 1, 'Jannik Sinner', 'x'), (11, 1, 'Mathieu P.', 'x'), (12, 1, 'Mathieu P.H.', 'x'),"
    " (13, 1, 'Alcaraz C.', 'x'), (14, 1, 'Carlos Alcaraz', 'x'), (15, 1, 'Ruud C.', 'x'),"
    " (16, 1, 'Casper Ruud', 'x'), (20, 2, 'Carreno Busta P.', 'x'), (21, 2, 'Carreno-Busta P.', 'x'),"
    " (22, 2, 'Opp A.', 'x');"
    "INSERT INTO games (id, sport_id, season_id, game_date, home_team_id, away_team_id, start_time,"
    " created_at, updated_at) VALUES"
    " (101, 1, 1, '2020-01-01', 1, 3, 0, 0, 0), (102, 1, 1, '2020-02-01', 2, 4, 0, 0, 0),"
    " (105, 1, 1, '2020-03-01', 5, 3, 0, 0, 0), (106, 1, 1, '2020-03-05', 4, 6, 0, 0, 0),"
    " (107, 1, 1, '2020-04-01', 7, 3, 0, 0, 0), (108, 1, 1, '2020-04-01', 8, 4, 0, 0, 0),"
    " (109, 1, 1, '2020-05-01', 9, 3, 0, 0, 0), (110, 1, 1, '2026-05-01', 10, 4, 0, 0, 0),"
    " (111, 1, 1, '2005-06-20', 11, 3, 0, 0, 0), (112, 1, 1, '2005-05-24', 12, 4, 0, 0, 0),"
    " (113, 1, 1, '2021-01-01', 13, 3, 0, 0, 0), (114, 1, 1, '2026-06-01', 14, 4, 0, 0, 0),"
    " (115, 1, 1, '2021-02-01', 15, 3, 0, 0, 0), (116, 1, 1, '2026-07-01', 16, 4, 0, 0, 0),"
    " (120, 2, 2, '2020-01-01', 20, 22, 0, 0, 0), (121, 2, 2, '2020-02-01', 21, 22, 0, 0, 0);"
    "INSERT INTO elo_history (game_id, team_id, rating_before, rating_after) VALUES"
    " (101, 1, 1500, 1510), (102, 2, 1500, 1490), (102, 4, 1500, 1510);"
    "INSERT INTO team_aliases (sport_id, source, alias, team_id) VALUES"
    " (1, 'tennis-data', 'Carreno Busta P.', 1), (1, 'tennis-data', 'Carreno-Busta P.', 2),"
    " (1, 'theoddsapi', 'Jannik Sinner', 10);"
    "INSERT INTO predictions (game_id, model, market, selection, probability, tier,"
    " stake_fraction, locked_at, prev_hash, hash, created_at) VALUES"
    " (106, 'elo', 'moneyline', 'home', 0.5, '', 0, 'x', 'p', 'h1', 0),"
    " (114, 'elo', 'moneyline', 'home', 0.5, '', 0, 'x', 'p', 'h2', 0),"
    " (115, 'elo', 'moneyline', 'home', 0.5, '', 0, 'x', 'p', 'h3', 0),"
    " (116, 'elo', 'moneyline', 'home', 0.5, '', 0, 'x', 'p', 'h4', 0);";

/* The row that plays game id (the side that is not an opponent). */
static int64_t player_of(struct fx *fx, int game)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT CASE WHEN home_team_id IN (3, 4) THEN away_team_id ELSE home_team_id END"
             " FROM games WHERE id = %d",
             game);
    return q1(fx, sql);
}

static void test_merge(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    exec_ok(fx, SEED);
    struct aps_tennis_merge m;
    assert_int_equal(aps_conn_begin(fx->c), 0);
    assert_int_equal(aps_tennis_players_merge(fx->c, APS_SPORT_ATP, 1, &m), 0);
    assert_int_equal(aps_conn_commit(fx->c), 0);
    /* 2 → 1 (spelling), 5 → 6 (6 has picks), 10 → 9 (full name, no picks: the history's row),
     * 11 → 12 (listed alias), 13 → 14 (the full name has picks) */
    assert_int_equal(m.merged, 5);
    assert_string_equal(m.apart, "\"de Voest R.\" and \"De Voest R.\" left apart: played on one"
                                 " day; \"Ruud C.\" and \"Casper Ruud\" left apart: picks are"
                                 " locked in under more than one of its names");
    static const int games[] = {101, 102, 105, 106, 107, 108, 109,
                                110, 111, 112, 113, 114, 115, 116};
    static const int64_t want[] = {1, 1, 6, 6, 7, 8, 9, 9, 12, 12, 14, 14, 15, 16};
    for (size_t i = 0; i < sizeof games / sizeof games[0]; i++)
        if (player_of(fx, games[i]) != want[i])
            fail_msg("game %d: row %lld, not %lld", games[i], (long long)player_of(fx, games[i]),
                     (long long)want[i]);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE id IN (2, 5, 10, 11, 13)"), 0);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE sport_id = 1"), 11);
    assert_int_equal(q1(fx, "SELECT team_id FROM elo_history WHERE game_id = 102 AND team_id <> 4"),
                     1);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM team_aliases WHERE team_id = 1"), 2);
    assert_int_equal(q1(fx, "SELECT team_id FROM team_aliases WHERE alias = 'Jannik Sinner'"), 9);
    /* The WTA's two spellings wait for a WTA run. */
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE sport_id = 2"), 3);
    assert_int_equal(aps_tennis_players_merge(fx->c, APS_SPORT_WTA, 2, &m), 0);
    assert_int_equal(m.merged, 1);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE sport_id = 2"), 2);

    /* Nothing left to do. */
    assert_int_equal(aps_tennis_players_merge(fx->c, APS_SPORT_ATP, 1, &m), 0);
    assert_int_equal(m.merged, 0);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE sport_id = 1"), 11);
}

/* NCAAB as earlier releases stored it: each SBR spelling a team of its own (teams_ncaab.def).
 * Opponent 32; game ids are 100 + the row that plays in it. */
static const char SEED_NCAAB[] =
    "INSERT INTO sports (id, code, name, kind) VALUES (3, 'NCAAB', 'NCAAB', 'team');"
    "INSERT INTO seasons (id, sport_id, label) VALUES (3, 3, '2007-08');"
    "INSERT INTO teams (id, sport_id, key, name) VALUES"
    " (30, 3, 'ColoradoState', 'x'), (31, 3, 'ColoradoSt.', 'x'), (32, 3, 'Opp', 'x'),"
    " (33, 3, 'NCCENTRAL', 'x'), (34, 3, 'FlaGulfCoast', 'x'), (35, 3, 'floridagulfcoast', 'x'),"
    " (36, 3, 'UtahSt.', 'x'), (37, 3, 'UtahState', 'x');"
    "INSERT INTO games (id, sport_id, season_id, game_date, home_team_id, away_team_id, start_time,"
    " created_at, updated_at) VALUES"
    " (130, 3, 3, '2008-01-01', 30, 32, 0, 0, 0), (131, 3, 3, '2008-01-05', 31, 32, 0, 0, 0),"
    " (133, 3, 3, '2008-01-09', 33, 32, 0, 0, 0), (134, 3, 3, '2008-01-13', 32, 34, 0, 0, 0),"
    " (135, 3, 3, '2008-01-17', 35, 32, 0, 0, 0), (136, 3, 3, '2008-01-21', 36, 32, 0, 0, 0),"
    " (137, 3, 3, '2008-01-25', 37, 32, 0, 0, 0);"
    "INSERT INTO team_aliases (sport_id, source, alias, team_id) VALUES"
    " (3, 'sbr', 'ColoradoSt.', 31), (3, 'sbr', 'ColoradoState', 30);"
    "INSERT INTO predictions (game_id, model, market, selection, probability, tier,"
    " stake_fraction, locked_at, prev_hash, hash, created_at) VALUES"
    " (136, 'elo', 'moneyline', 'home', 0.5, '', 0, 'x', 'p', 'h5', 0);";

/* The rows of one NCAAB team meet on the row stored under the team's key; a lone row or a group
 * without it takes the key; picks under another spelling leave the group apart. */
static void test_merge_ncaab(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        skip();
    exec_ok(fx, SEED_NCAAB);
    struct aps_tennis_merge m;
    assert_int_equal(aps_conn_begin(fx->c), 0);
    assert_int_equal(aps_tennis_players_merge(fx->c, APS_SPORT_NCAAB, 3, &m), 0);
    assert_int_equal(aps_conn_commit(fx->c), 0);
    /* 31 → 30, 33 renamed NCCentral, 34 renamed FloridaGulfCoast and 35 → 34 */
    assert_int_equal(m.merged, 3);
    assert_string_equal(m.apart, "\"UtahSt.\" and \"UtahState\" left apart: picks are locked in"
                                 " under the first one");
    assert_int_equal(q1(fx, "SELECT home_team_id FROM games WHERE id = 131"), 30);
    assert_int_equal(q1(fx, "SELECT home_team_id FROM games WHERE id = 135"), 34);
    assert_int_equal(q1(fx, "SELECT id FROM teams WHERE key = 'NCCentral'"), 33);
    assert_int_equal(q1(fx, "SELECT id FROM teams WHERE key = 'FloridaGulfCoast'"), 34);
    assert_int_equal(q1(fx, "SELECT id FROM teams WHERE key = 'UtahSt.'"), 36);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE sport_id = 3"), 6);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM team_aliases WHERE team_id = 30"), 2);
    assert_int_equal(aps_tennis_players_merge(fx->c, APS_SPORT_NCAAB, 3, &m), 0);
    assert_int_equal(m.merged, 0);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE sport_id = 3"), 6);
}

static void test_player_key(void **state)
{
    (void)state;
    char a[APS_TENNIS_KEY_MAX], b[APS_TENNIS_KEY_MAX];
    assert_true(aps_tennis_player_key(APS_SPORT_ATP, "Mathieu P.", a));
    assert_true(aps_tennis_player_key(APS_SPORT_ATP, "Mathieu P.H.", b));
    assert_string_equal(a, b);
    /* teams_atp.def is the ATP's list */
    assert_true(aps_tennis_player_key(APS_SPORT_WTA, "Mathieu P.", a));
    assert_true(aps_tennis_player_key(APS_SPORT_WTA, "Mathieu P.H.", b));
    assert_string_not_equal(a, b);
    assert_true(aps_tennis_player_key(APS_SPORT_WTA, "Petkovic", a));
    assert_true(aps_tennis_player_key(APS_SPORT_WTA, "Petkovic A.", b));
    assert_string_equal(a, b);
    assert_false(aps_tennis_player_key(APS_SPORT_ATP, "", a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_merge_ncaab, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_merge_ncaab, setup_pg, teardown),
        cmocka_unit_test(test_player_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
