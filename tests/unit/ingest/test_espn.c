/* test_espn.c — the ESPN scoreboard parser on the three real boards (live NFL, pregame NFL with
 * odds and weather, live NBA), the status mapping of reference §2.3, venue facts, and that every
 * team name on the boards resolves to a canonical team. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "ingest/espn.h"
#include "ingest/teams.h"

#define SAMPLES APS_DATA_DIR_DEFAULT "/api-samples/espn/"

static void parse_board(const char *path, struct aps_espn_board *b)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct aps_buf buf = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        aps_buf_append(&buf, chunk, n);
    fclose(f);
    char err[256] = "";
    assert_int_equal(aps_espn_parse_scoreboard(buf.data, buf.len, b, err, sizeof err), 0);
    aps_buf_cleanup(&buf);
}

static size_t count_status(const struct aps_espn_board *b, enum aps_game_status s)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->events[i].status == s;
    return n;
}

static void all_teams_resolve(const struct aps_espn_board *b, enum aps_sport s)
{
    for (size_t i = 0; i < b->n; i++) {
        struct aps_team_ref r;
        assert_int_equal(aps_team_resolve(s, b->events[i].home, &r), 0);
        assert_int_equal(aps_team_resolve(s, b->events[i].away, &r), 0);
    }
}

static void test_nfl_live(void **state)
{
    (void)state;
    struct aps_espn_board b = {0};
    parse_board(SAMPLES "nfl_scoreboard_2022_week11_live.json", &b);
    assert_int_equal(b.n, 14);
    assert_int_equal(b.bad_events, 0);
    assert_int_equal(count_status(&b, APS_GS_IN_PROGRESS), 8);
    assert_int_equal(count_status(&b, APS_GS_SCHEDULED), 5);
    assert_int_equal(count_status(&b, APS_GS_FINAL), 1);
    const struct aps_espn_event *e = &b.events[0];
    assert_string_equal(e->id, "401437845");
    assert_string_equal(e->home, "Atlanta Falcons");
    assert_string_equal(e->away, "Chicago Bears");
    assert_string_equal(e->home_abbr, "ATL");
    assert_int_equal(e->start, aps_time_from_civil(2022, 11, 20, 18, 0, 0));
    assert_int_equal(e->home_score, 7);
    assert_int_equal(e->away_score, 7);
    assert_int_equal(e->period, 2);
    assert_string_equal(e->venue, "Mercedes-Benz Stadium");
    assert_string_equal(e->venue_city, "Atlanta, GA");
    assert_int_equal(e->indoor, 1);
    for (size_t i = 0; i < b.n; i++)
        if (b.events[i].status == APS_GS_SCHEDULED)
            assert_int_equal(b.events[i].home_score, -1); /* "0" before the game is no score */
    all_teams_resolve(&b, APS_SPORT_NFL);
    aps_espn_board_cleanup(&b);
}

static void test_nfl_pregame(void **state)
{
    (void)state;
    struct aps_espn_board b = {0};
    parse_board(SAMPLES "nfl_scoreboard_2023_week5_pregame.json", &b);
    assert_int_equal(b.n, 14);
    assert_int_equal(count_status(&b, APS_GS_SCHEDULED), 14);
    assert_string_equal(b.events[0].home, "Washington Commanders");
    assert_string_equal(b.events[0].venue, "FedExField");
    assert_string_equal(b.events[0].venue_city, "Landover, MD");
    assert_int_equal(b.events[0].indoor, 0);
    size_t outdoor = 0;
    for (size_t i = 0; i < b.n; i++)
        outdoor += b.events[i].indoor == 0;
    assert_int_equal(outdoor, 7);
    all_teams_resolve(&b, APS_SPORT_NFL);
    aps_espn_board_cleanup(&b);
}

static void test_nba_live(void **state)
{
    (void)state;
    struct aps_espn_board b = {0};
    parse_board(SAMPLES "nba_scoreboard_2022-11-22_live.json", &b);
    assert_int_equal(b.n, 4);
    assert_string_equal(b.events[0].id, "401468411");
    assert_int_equal(b.events[0].status, APS_GS_IN_PROGRESS);
    assert_int_equal(b.events[0].home_score, 33);
    assert_int_equal(b.events[0].away_score, 26);
    assert_int_equal(b.events[0].start, aps_time_from_civil(2022, 11, 23, 0, 30, 0));
    all_teams_resolve(&b, APS_SPORT_NBA);
    aps_espn_board_cleanup(&b);
}

static void test_status_mapping(void **state)
{
    (void)state;
    /* the names of reference §2.3, as ESPN sends them (with state and completed) and bare */
    assert_int_equal(aps_espn_status("STATUS_SCHEDULED", "pre", 0), APS_GS_SCHEDULED);
    assert_int_equal(aps_espn_status("STATUS_IN_PROGRESS", "in", 0), APS_GS_IN_PROGRESS);
    assert_int_equal(aps_espn_status("STATUS_HALFTIME", "in", 0), APS_GS_IN_PROGRESS);
    assert_int_equal(aps_espn_status("STATUS_FINAL", "post", 1), APS_GS_FINAL);
    assert_int_equal(aps_espn_status("STATUS_POSTPONED", "post", 0), APS_GS_POSTPONED);
    assert_int_equal(aps_espn_status("STATUS_CANCELED", "post", 0), APS_GS_CANCELLED);
    assert_int_equal(aps_espn_status("STATUS_DELAYED", "pre", 0), APS_GS_SCHEDULED);
    assert_int_equal(aps_espn_status("STATUS_SCHEDULED", NULL, -1), APS_GS_SCHEDULED);
    assert_int_equal(aps_espn_status("STATUS_IN_PROGRESS", NULL, -1), APS_GS_IN_PROGRESS);
    assert_int_equal(aps_espn_status("STATUS_FINAL", NULL, -1), APS_GS_FINAL);
    assert_int_equal(aps_espn_status("STATUS_POSTPONED", NULL, -1), APS_GS_POSTPONED);
    assert_int_equal(aps_espn_status("STATUS_SOMETHING_NEW", NULL, -1), APS_GS_SCHEDULED);
    assert_int_equal(aps_espn_status(NULL, NULL, -1), APS_GS_SCHEDULED);
    /* soccer's names: over at full time, after extra time or on penalties; halves in play
     * (regression: every one of them read as scheduled, so no soccer game was ever graded) */
    assert_int_equal(aps_espn_status("STATUS_FULL_TIME", "post", 1), APS_GS_FINAL);
    assert_int_equal(aps_espn_status("STATUS_FINAL_AET", "post", 1), APS_GS_FINAL);
    assert_int_equal(aps_espn_status("STATUS_FINAL_PEN", "post", 1), APS_GS_FINAL);
    assert_int_equal(aps_espn_status("STATUS_FULL_TIME", NULL, -1), APS_GS_FINAL);
    assert_int_equal(aps_espn_status("STATUS_FIRST_HALF", "in", 0), APS_GS_IN_PROGRESS);
    assert_int_equal(aps_espn_status("STATUS_SECOND_HALF", NULL, -1), APS_GS_IN_PROGRESS);
    /* a name not known yet: the phase decides */
    assert_int_equal(aps_espn_status("STATUS_SOMETHING_NEW", "in", 0), APS_GS_IN_PROGRESS);
    assert_int_equal(aps_espn_status("STATUS_SOMETHING_NEW", "post", 1), APS_GS_FINAL);
    /* delayed in play is in play; suspended or abandoned mid-game is not played out */
    assert_int_equal(aps_espn_status("STATUS_DELAYED", "in", 0), APS_GS_IN_PROGRESS);
    assert_int_equal(aps_espn_status("STATUS_SUSPENDED", "in", 0), APS_GS_POSTPONED);
    assert_int_equal(aps_espn_status("STATUS_ABANDONED", "post", 0), APS_GS_CANCELLED);
    assert_int_equal(aps_espn_status("STATUS_SOMETHING_NEW", "post", 0), APS_GS_POSTPONED);
}

/* A soccer board as ESPN's soccer/eng.1 scoreboard gives it: a game over at full time keeps its
 * score and is final. */
static void test_soccer_full_time(void **state)
{
    (void)state;
    static const char body[] =
        "{\"events\":[{\"id\":\"704300\",\"date\":\"2024-05-19T15:00Z\","
        "\"status\":{\"period\":2,\"type\":{\"name\":\"STATUS_FULL_TIME\",\"state\":\"post\","
        "\"completed\":true}},\"competitions\":[{\"neutralSite\":false,\"competitors\":["
        "{\"homeAway\":\"home\",\"score\":\"3\",\"team\":{\"displayName\":\"Manchester City\","
        "\"abbreviation\":\"MNC\"}},{\"homeAway\":\"away\",\"score\":\"1\",\"team\":"
        "{\"displayName\":\"West Ham United\",\"abbreviation\":\"WHU\"}}]}]}]}";
    struct aps_espn_board b = {0};
    char err[256];
    assert_int_equal(aps_espn_parse_scoreboard(body, sizeof body - 1, &b, err, sizeof err), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.events[0].status, APS_GS_FINAL);
    assert_int_equal(b.events[0].home_score, 3);
    assert_int_equal(b.events[0].away_score, 1);
    aps_espn_board_cleanup(&b);
}

/* A playoff game is one whose event says season type 3 (postseason); the real boards' games are
 * all regular season (type 2). */
static void test_postseason(void **state)
{
    (void)state;
    static const char body[] =
        "{\"events\":[{\"id\":\"401547378\",\"date\":\"2024-01-14T01:15Z\","
        "\"season\":{\"year\":2023,\"type\":3,\"slug\":\"post-season\"},"
        "\"status\":{\"type\":{\"name\":\"STATUS_SCHEDULED\",\"state\":\"pre\","
        "\"completed\":false}},\"competitions\":[{\"competitors\":["
        "{\"homeAway\":\"home\",\"team\":{\"displayName\":\"Kansas City Chiefs\"}},"
        "{\"homeAway\":\"away\",\"team\":{\"displayName\":\"Miami Dolphins\"}}]}]}]}";
    struct aps_espn_board b = {0};
    char err[256];
    assert_int_equal(aps_espn_parse_scoreboard(body, sizeof body - 1, &b, err, sizeof err), 0);
    assert_int_equal(b.n, 1);
    assert_true(b.events[0].postseason);
    aps_espn_board_cleanup(&b);
    parse_board(SAMPLES "nfl_scoreboard_2022_week11_live.json", &b);
    for (size_t i = 0; i < b.n; i++)
        assert_false(b.events[i].postseason);
    aps_espn_board_cleanup(&b);
}

static void test_bad_bodies(void **state)
{
    (void)state;
    struct aps_espn_board b = {0};
    char err[128] = "";
    assert_int_equal(aps_espn_parse_scoreboard("{\"events\":[{\"id\"", 16, &b, err, sizeof err),
                     APS_E_PARSE);
    assert_true(strlen(err) > 0);
    assert_int_equal(aps_espn_parse_scoreboard("{}", 2, &b, err, sizeof err), APS_E_PARSE);
    const char *one_side = "{\"events\":[{\"id\":\"1\",\"date\":\"2022-11-20T18:00Z\","
                           "\"competitions\":[{\"competitors\":[{\"homeAway\":\"home\","
                           "\"team\":{\"displayName\":\"Atlanta Falcons\"}}]}]}]}";
    assert_int_equal(aps_espn_parse_scoreboard(one_side, strlen(one_side), &b, err, sizeof err), 0);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.bad_events, 1);
    assert_string_equal(b.bad_event, "event 1 of the answer (id 1) has no home and away team");
    aps_espn_board_cleanup(&b);
    /* one event without an id and one without a date among good ones: each left out alone,
     * the first described */
    const char *two_bad = "{\"events\":[{\"date\":\"2022-11-20T18:00Z\"},"
                          "{\"id\":\"7\",\"date\":\"soon\"}]}";
    assert_int_equal(aps_espn_parse_scoreboard(two_bad, strlen(two_bad), &b, err, sizeof err), 0);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.bad_events, 2);
    assert_string_equal(b.bad_event, "event 1 of the answer has no id");
    aps_espn_board_cleanup(&b);
}

static void test_url(void **state)
{
    (void)state;
    struct aps_buf u = {0};
    aps_espn_scoreboard_url(&u, "https://site.api.espn.com/apis/site/v2/sports/", APS_SPORT_NFL,
                            aps_time_from_civil(2023, 10, 8, 12, 0, 0));
    assert_string_equal(aps_buf_str(&u), "https://site.api.espn.com/apis/site/v2/sports/"
                                         "football/nfl/scoreboard?dates=20231008");
    aps_espn_scoreboard_url(&u, "http://x", APS_SPORT_NBA, 0);
    assert_string_equal(aps_buf_str(&u), "http://x/basketball/nba/scoreboard");
    /* college boards: every game of the division, not only the featured ones */
    aps_espn_scoreboard_url(&u, "http://x", APS_SPORT_NCAAB,
                            aps_time_from_civil(2024, 3, 9, 12, 0, 0));
    assert_string_equal(aps_buf_str(&u), "http://x/basketball/mens-college-basketball/scoreboard"
                                         "?dates=20240309&groups=50&limit=1000");
    aps_espn_scoreboard_url(&u, "http://x", APS_SPORT_NCAAF, 0);
    assert_string_equal(aps_buf_str(&u),
                        "http://x/football/college-football/scoreboard?groups=80&limit=1000");
    aps_buf_cleanup(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfl_live),     cmocka_unit_test(test_nfl_pregame),
        cmocka_unit_test(test_nba_live),     cmocka_unit_test(test_status_mapping),
        cmocka_unit_test(test_soccer_full_time),
        cmocka_unit_test(test_postseason),
        cmocka_unit_test(test_bad_bodies),   cmocka_unit_test(test_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
