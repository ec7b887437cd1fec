/* test_standings.c — a sport's Elo standings and one team's ratings game by game
 * (engine/standings.h) on a store seeded by SQL: two NFL seasons of four teams with a tie, a
 * playoff game and an unplayed game. The ratings are checked against a replay of the same games
 * written here step by step through the Elo engine, the rest by hand: the season shown and the
 * teams in it, regular-season and playoff records, the change over the last games (a ring of 10),
 * the cut at a day, "all", an unknown season, and a team's last games oldest first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mem.h"
#include "core/timeutil.h"
#include "engine/standings.h"
#include "model/elo_replay.h"

#include "../model/fixture.c"

/* Teams 1..4 are A, B, C, D. Game 7 is scheduled, without scores. */
static const struct {
    int season; /* 0: 2022, 1: 2023 */
    const char *date;
    int home, away, hs, as;
    bool playoff;
} games[] = {
    {0, "2022-09-10", 1, 2, 20, 10, false}, {0, "2022-09-17", 3, 4, 10, 24, false},
    {0, "2022-09-24", 1, 3, 17, 17, false}, {1, "2023-09-09", 2, 3, 21, 14, false},
    {1, "2023-09-16", 1, 4, 13, 27, false}, {1, "2024-01-20", 4, 2, 30, 3, true},
};
#define NGAMES (sizeof games / sizeof games[0])

static void seed(struct aps_conn *c)
{
    assert_int_equal(
        aps_conn_exec(c, "INSERT INTO sports (code, name, kind, three_way) VALUES ('NFL', 'NFL',"
                         " 'team', 0);"
                         "INSERT INTO teams (id, sport_id, key, name) VALUES (1, 1, 'A', 'Alpha'),"
                         " (2, 1, 'B', 'Beta'), (3, 1, 'C', 'Gamma'), (4, 1, 'D', 'Delta');"
                         "INSERT INTO seasons (id, sport_id, label) VALUES (1, 1, '2022'),"
                         " (2, 1, '2023');"),
        0);
    for (size_t i = 0; i < NGAMES; i++) {
        char sql[512];
        int64_t t;
        assert_int_equal(aps_time_parse_iso(games[i].date, &t), 0);
        snprintf(sql, sizeof sql,
                 "INSERT INTO games (id, sport_id, season_id, game_date, home_team_id,"
                 " away_team_id, start_time, time_known, status, home_score, away_score, playoff,"
                 " created_at, updated_at) VALUES (%zu, 1, %d, '%s', %d, %d, %lld, 1, 'final', %d,"
                 " %d, %d, 0, 0)",
                 i + 1, games[i].season + 1, games[i].date, games[i].home, games[i].away,
                 (long long)t + 64800, games[i].hs, games[i].as, games[i].playoff);
        assert_int_equal(aps_conn_exec(c, sql), 0);
    }
    assert_int_equal(aps_conn_exec(c, "INSERT INTO games (id, sport_id, season_id, game_date,"
                                      " home_team_id, away_team_id, start_time, time_known,"
                                      " status, created_at, updated_at) VALUES (7, 1, 2,"
                                      " '2024-03-01', 1, 2, 1709316000, 1, 'scheduled', 0, 0)"),
                     0);
}

/* The oracle: the first n games fed one by one through the engine with the NFL's default
 * parameters; the ratings after them in *out (released with aps_elo_replay_cleanup). */
static void oracle(size_t n, struct aps_elo_replay *out)
{
    struct aps_elo_params p;
    assert_int_equal(aps_elo_params_default(APS_SPORT_NFL, &p), 0);
    assert_int_equal(aps_elo_replay_init(out, &p), 0);
    for (size_t i = 0; i < n; i++) {
        struct aps_elo_game g = {games[i].home, games[i].away, false, NULL};
        aps_elo_replay_enter(out, games[i].season);
        assert_int_equal(aps_elo_replay_feed(out, &g, games[i].hs, games[i].as, NULL), 0);
    }
}

static const struct aps_standing *find(const struct aps_standings *s, int64_t team)
{
    for (size_t i = 0; i < s->nteams; i++)
        if (s->teams[i].team_id == team)
            return &s->teams[i];
    fail_msg("team %lld not in the standings", (long long)team);
    return NULL;
}

static void assert_record(const struct aps_standing *t, int w, int l, int d, int pw, int pl)
{
    assert_int_equal(t->wins, w);
    assert_int_equal(t->losses, l);
    assert_int_equal(t->draws, d);
    assert_int_equal(t->playoff_wins, pw);
    assert_int_equal(t->playoff_losses, pl);
}

static void the_last_season_ranked_by_rating(void **state)
{
    (void)state;
    struct fx_store fx;
    fx_open(&fx);
    seed(fx.c);
    struct aps_standings s;
    assert_int_equal(aps_standings_load(fx.c, APS_SPORT_NFL, NULL, NULL, &s), 0);
    assert_string_equal(s.season, "2023");
    assert_string_equal(s.as_of, "2024-01-20");
    assert_false(s.fitted);
    assert_int_equal(s.nseasons, 2);
    assert_string_equal(s.seasons[0], "2023");
    assert_string_equal(s.seasons[1], "2022");
    assert_int_equal(s.nteams, 4);
    struct aps_elo_replay o;
    oracle(NGAMES, &o);
    for (size_t i = 0; i < s.nteams; i++) {
        assert_near(s.teams[i].rating, aps_elo_rating(&o.elo, s.teams[i].team_id), 1e-9);
        if (i)
            assert_true(s.teams[i - 1].rating >= s.teams[i].rating);
    }
    assert_record(find(&s, 4), 1, 0, 0, 1, 0);
    assert_record(find(&s, 2), 1, 0, 0, 0, 1);
    assert_record(find(&s, 1), 0, 1, 0, 0, 0);
    assert_record(find(&s, 3), 0, 1, 0, 0, 0);
    assert_string_equal(find(&s, 3)->last_date, "2023-09-09");
    /* D played 3 games: its change spans them all, from the rating every team starts at */
    struct aps_elo_replay none;
    oracle(0, &none);
    const struct aps_standing *d = find(&s, 4);
    assert_int_equal(d->recent, 3);
    assert_near(d->change, d->rating - aps_elo_rating(&none.elo, 4), 1e-9);
    aps_elo_replay_cleanup(&none);
    aps_elo_replay_cleanup(&o);
    aps_standings_cleanup(&s);
    fx_close(&fx);
}

static void a_day_a_season_and_all(void **state)
{
    (void)state;
    struct fx_store fx;
    fx_open(&fx);
    seed(fx.c);
    struct aps_standings s;
    struct aps_elo_replay o;
    /* before 2023: the 2022 season, rated after its three games */
    assert_int_equal(aps_standings_load(fx.c, APS_SPORT_NFL, "2023-01-01", NULL, &s), 0);
    assert_string_equal(s.season, "2022");
    assert_string_equal(s.as_of, "2022-09-24");
    assert_int_equal(s.nseasons, 1);
    oracle(3, &o);
    assert_near(find(&s, 1)->rating, aps_elo_rating(&o.elo, 1), 1e-9);
    assert_record(find(&s, 1), 1, 0, 1, 0, 0);
    aps_elo_replay_cleanup(&o);
    aps_standings_cleanup(&s);
    /* season 2022 now: its records, today's ratings */
    assert_int_equal(aps_standings_load(fx.c, APS_SPORT_NFL, NULL, "2022", &s), 0);
    oracle(NGAMES, &o);
    assert_near(find(&s, 1)->rating, aps_elo_rating(&o.elo, 1), 1e-9);
    assert_record(find(&s, 1), 1, 0, 1, 0, 0);
    aps_elo_replay_cleanup(&o);
    aps_standings_cleanup(&s);
    /* all: every team, records over every season */
    assert_int_equal(aps_standings_load(fx.c, APS_SPORT_NFL, NULL, "all", &s), 0);
    assert_string_equal(s.season, "all");
    assert_int_equal(s.nteams, 4);
    assert_record(find(&s, 1), 1, 1, 1, 0, 0);
    assert_record(find(&s, 4), 2, 0, 0, 1, 0);
    aps_standings_cleanup(&s);
    /* a season with no finished game before the day, and one that does not exist */
    assert_int_equal(aps_standings_load(fx.c, APS_SPORT_NFL, "2023-01-01", "2023", &s),
                     APS_E_NOTFOUND);
    assert_int_equal(s.nseasons, 1);
    aps_standings_cleanup(&s);
    assert_int_equal(aps_standings_load(fx.c, APS_SPORT_NFL, NULL, "1999", &s), APS_E_NOTFOUND);
    aps_standings_cleanup(&s);
    assert_int_equal(aps_standings_load(fx.c, APS_SPORT_NBA, NULL, NULL, &s), APS_E_NOTFOUND);
    assert_int_equal(s.nseasons, 0);
    aps_standings_cleanup(&s);
    fx_close(&fx);
}

/* Twelve more games of A at home to B: the change spans the last 10, from A's rating before the
 * third of them. */
static void the_change_spans_the_last_ten_games(void **state)
{
    (void)state;
    struct fx_store fx;
    fx_open(&fx);
    seed(fx.c);
    double before_third = 0;
    struct aps_elo_replay o;
    oracle(NGAMES, &o);
    for (int i = 0; i < 12; i++) {
        char sql[512];
        int hs = i % 3 ? 24 : 10, as = 17;
        int64_t t = 1705860000 + (int64_t)i * 86400; /* 2024-01-21 18:00 UTC, a day apart */
        char day[11];
        aps_time_format_date(t, day, sizeof day);
        if (i == 2)
            before_third = aps_elo_rating(&o.elo, 1);
        struct aps_elo_game g = {1, 2, false, NULL};
        aps_elo_replay_enter(&o, 1);
        assert_int_equal(aps_elo_replay_feed(&o, &g, hs, as, NULL), 0);
        snprintf(sql, sizeof sql,
                 "INSERT INTO games (id, sport_id, season_id, game_date, home_team_id,"
                 " away_team_id, start_time, time_known, status, home_score, away_score,"
                 " created_at, updated_at) VALUES (%d, 1, 2, '%s', 1, 2, %lld, 1, 'final', %d, %d,"
                 " 0, 0)",
                 100 + i, day, (long long)t, hs, as);
        assert_int_equal(aps_conn_exec(fx.c, sql), 0);
    }
    /* the unplayed game 7 is dated after them all */
    struct aps_standings s;
    assert_int_equal(aps_standings_load(fx.c, APS_SPORT_NFL, NULL, NULL, &s), 0);
    const struct aps_standing *a = find(&s, 1);
    assert_int_equal(a->recent, 10);
    assert_near(a->rating, aps_elo_rating(&o.elo, 1), 1e-9);
    assert_near(a->change, a->rating - before_third, 1e-9);
    assert_record(a, 8, 5, 0, 0, 0);
    aps_standings_cleanup(&s);
    aps_elo_replay_cleanup(&o);
    fx_close(&fx);
}

static void a_teams_last_games_oldest_first(void **state)
{
    (void)state;
    struct fx_store fx;
    fx_open(&fx);
    seed(fx.c);
    struct aps_team_game *g = NULL;
    size_t n = 0;
    double rating = 0;
    bool fitted = true;
    assert_int_equal(aps_team_ratings(fx.c, APS_SPORT_NFL, 1, NULL, 2, &g, &n, &rating, &fitted),
                     0);
    assert_false(fitted);
    assert_int_equal(n, 2);
    assert_int_equal(g[0].game_id, 3);
    assert_int_equal(g[1].game_id, 5);
    assert_true(g[0].home && g[1].home);
    assert_int_equal(g[0].opponent, 3);
    assert_int_equal(g[1].opponent, 4);
    assert_int_equal(g[1].score_for, 13);
    assert_int_equal(g[1].score_against, 27);
    assert_string_equal(g[1].season, "2023");
    struct aps_elo_replay o;
    oracle(2, &o);
    assert_near(g[0].rating_before, aps_elo_rating(&o.elo, 1), 1e-9);
    assert_near(g[0].opponent_before, aps_elo_rating(&o.elo, 3), 1e-9);
    aps_elo_replay_cleanup(&o);
    oracle(3, &o);
    assert_near(g[0].rating_after, aps_elo_rating(&o.elo, 1), 1e-9);
    aps_elo_replay_enter(&o, 1); /* the new season's regression comes before game 5 */
    assert_near(g[1].rating_before, aps_elo_rating(&o.elo, 1), 1e-9);
    aps_elo_replay_cleanup(&o);
    oracle(NGAMES, &o);
    assert_near(g[1].rating_after, rating, 1e-9);
    assert_near(rating, aps_elo_rating(&o.elo, 1), 1e-9);
    aps_elo_replay_cleanup(&o);
    aps_free(g);
    /* before the first game: no games, the starting rating */
    assert_int_equal(aps_team_ratings(fx.c, APS_SPORT_NFL, 1, "2022-09-01", 5, &g, &n, &rating,
                                      &fitted),
                     0);
    assert_int_equal(n, 0);
    oracle(0, &o);
    assert_near(rating, aps_elo_rating(&o.elo, 1), 1e-9);
    aps_elo_replay_cleanup(&o);
    aps_free(g);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_last_season_ranked_by_rating),
        cmocka_unit_test(a_day_a_season_and_all),
        cmocka_unit_test(the_change_spans_the_last_ten_games),
        cmocka_unit_test(a_teams_last_games_oldest_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
