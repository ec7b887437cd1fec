/* test_load_spreadspoke.c — the spreadspoke NFL loader (load_spreadspoke.c): the favourite mapped
 * through nfl_teams.csv (bare CR lines) including the ids and names that file lacks, PICK, a game
 * not played yet, weather and stadium type in extra, rows rejected; then the real file with counts
 * checked independently in Python. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "ingest/american.h"
#include "ingest/loaders.h"

static char tmpdir[64];
static char written[16][512];
static size_t nwritten;

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/aps_test_ss_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/a", tmpdir);
    if (mkdir(sub, 0700))
        return -1;
    snprintf(sub, sizeof sub, "%s/b", tmpdir);
    return mkdir(sub, 0700);
}

static int teardown(void **state)
{
    (void)state;
    char sub[128];
    for (size_t i = 0; i < nwritten; i++)
        unlink(written[i]);
    snprintf(sub, sizeof sub, "%s/a", tmpdir);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/b", tmpdir);
    rmdir(sub);
    return rmdir(tmpdir);
}

static const char *write_file(const char *name, const char *text)
{
    assert_true(nwritten < 16);
    char *p = written[nwritten++];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return p;
}

static size_t reason(const struct aps_batch *b, const char *why)
{
    for (size_t i = 0; i < b->nrejects; i++)
        if (!strcmp(b->rejects[i].reason, why))
            return b->rejects[i].count;
    return 0;
}

static const struct aps_odds_rec *odds(const struct aps_batch *b, size_t gi, enum aps_market m,
                                       enum aps_selection s)
{
    for (size_t i = 0; i < b->nodds; i++) {
        const struct aps_odds_rec *o = &b->odds[i];
        if (o->game == gi && o->market == m && o->sel == s)
            return o;
    }
    return NULL;
}

static const char teams_csv[] =
    "team_name,team_name_short,team_id,team_id_pfr\r"
    "Oakland Raiders,Raiders,OAK,RAI\r"
    "Los Angeles Raiders,Raiders,OAK,RAI\r"
    "San Diego Chargers,Chargers,LAC,SDG\r"
    "Miami Dolphins,Dolphins,MIA,MIA\r"
    "Kansas City Chiefs,Chiefs,KC,KAN\r"
    "Tampa Bay Buccaneers,Buccaneers,TB,TAM\r"
    "New York Jets,Jets,NYJ,NYJ\r"
    "Washington Redskins,Redskins,WAS,WAS";

static const char stadiums_csv[] =
    "stadium_name,stadium_location,stadium_type,stadium_address\r"
    "Orange Bowl,\"Miami, FL\",outdoor,x\r"
    "Estadio Azteca,\"Mexico City, Mexico\",outdoor,\"Calz. de Tlalpan 3465, Sta. \xdarsula\"\r";

static const char scores_csv[] =
    "schedule_date,schedule_season,schedule_week,schedule_playoff,team_home,score_home,score_away,"
    "team_away,team_favorite_id,spread_favorite,over_under_line,stadium,stadium_neutral,"
    "weather_temperature,weather_wind_mph,weather_humidity,weather_detail\r\n"
    "9/10/2000,2000,1,FALSE,Oakland Raiders,20,10,San Diego Chargers,LVR,-7,41.5,Orange Bowl,"
    "FALSE,70,5,50,\r\n"
    "9/11/2000,2000,1,FALSE,Miami Dolphins,14,23,Kansas City Chiefs,KC,-3.5, ,Orange Bowl,FALSE,,"
    ",,rain\r\n"
    "1/5/2001,2000,Wildcard,TRUE,Tampa Bay Buccaneers,21,21,Washington Commanders,PICK,0,40,"
    "Raymond James Stadium,FALSE,,,,\r\n"
    "2/4/2001,2000,Superbowl,TRUE,Las Vegas Raiders,,,Washington Football Team,WAS,-1,44,"
    "Estadio Azteca,TRUE,,,,indoor\r\n"
    "9/12/2000,2000,2,FALSE,Miami Dolphins,3,6,New York Jets,XYZ,-3,40,,FALSE,,,,\r\n"
    "13/1/2000,2000,2,FALSE,Miami Dolphins,3,6,New York Jets,NYJ,-3,40,,FALSE,,,,\r\n"
    "9/13/2000,2000,2,FALSE,Miami Dolphins,3,6,Miami Dolphins,NYJ,-3,40,,FALSE,,,,\r\n"
    "9/14/2000,2000,2,FALSE,Miami Dolphins,3,6,New York Jets,NYJ,3,90,,FALSE,,,,\r\n"
    "9/15/2000,2000,2,FALSE,Miami Dolphins,3,,New York Jets,,,,,FALSE,,,,\r\n";

static void test_snippet(void **state)
{
    (void)state;
    write_file("a/nfl_teams.csv", teams_csv);
    write_file("a/nfl_stadiums.csv", stadiums_csv);
    const char *p = write_file("a/spreadspoke_scores.csv", scores_csv);
    struct aps_batch b;
    memset(&b, 0, sizeof b);
    char err[512] = "";
    assert_int_equal(aps_load_spreadspoke(p, &b, err, sizeof err), 0);
    assert_string_equal(b.source, "spreadspoke");
    assert_int_equal(b.rows, 9);
    assert_int_equal(b.ngames, 6);

    /* LVR is the teams file's OAK: the home team is the favourite. */
    const struct aps_game_rec *g = &b.games[0];
    assert_int_equal(g->sport, APS_SPORT_NFL);
    assert_string_equal(g->season, "2000");
    assert_string_equal(g->date, "2000-09-10");
    assert_true(g->start_time == aps_time_from_civil(2000, 9, 10, 0, 0, 0));
    assert_string_equal(g->home, "Oakland Raiders");
    assert_int_equal(g->home_score, 20);
    assert_int_equal(g->status, APS_GS_FINAL);
    assert_string_equal(g->venue, "Orange Bowl");
    assert_string_equal(g->extra, "{\"week\":1,\"stadium_type\":\"outdoor\",\"temperature\":70,"
                                  "\"wind_mph\":5,\"humidity\":50}");
    const struct aps_odds_rec *o = odds(&b, 0, APS_MKT_SPREAD, APS_SEL_HOME);
    assert_float_equal(o->line, -7.0, 1e-12);
    assert_float_equal(o->price, APS_AMERICAN_STD_PRICE, 1e-12);
    assert_string_equal(o->book, "consensus");
    assert_int_equal(o->phase, APS_PHASE_CLOSE);
    assert_float_equal(odds(&b, 0, APS_MKT_SPREAD, APS_SEL_AWAY)->line, 7.0, 1e-12);
    assert_float_equal(odds(&b, 0, APS_MKT_TOTAL, APS_SEL_UNDER)->line, 41.5, 1e-12);

    /* Away favourite; a blank total. */
    assert_float_equal(odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME)->line, 3.5, 1e-12);
    assert_null(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_OVER));
    assert_non_null(strstr(b.games[1].extra, "\"weather\":\"rain\""));

    /* PICK: a line of 0 for both sides; a playoff week by name. */
    assert_true(b.games[2].playoff);
    assert_non_null(strstr(b.games[2].extra, "\"week\":\"Wildcard\""));
    o = odds(&b, 2, APS_MKT_SPREAD, APS_SEL_AWAY);
    assert_true(o->line == 0.0 && !signbit(o->line));

    /* A game with no scores yet, at a neutral site, names missing from the teams file. */
    g = &b.games[3];
    assert_int_equal(g->status, APS_GS_SCHEDULED);
    assert_int_equal(g->home_score, -1);
    assert_true(g->neutral);
    assert_non_null(strstr(g->extra, "\"stadium_type\":\"outdoor\""));
    assert_float_equal(odds(&b, 3, APS_MKT_SPREAD, APS_SEL_HOME)->line, 1.0, 1e-12);

    /* An id that names neither team: the game stays, its spread does not. */
    assert_null(odds(&b, 4, APS_MKT_SPREAD, APS_SEL_HOME));
    assert_non_null(odds(&b, 4, APS_MKT_TOTAL, APS_SEL_OVER));
    /* A positive spread and a total of 90 are not lines. */
    assert_null(odds(&b, 5, APS_MKT_SPREAD, APS_SEL_HOME));
    assert_null(odds(&b, 5, APS_MKT_TOTAL, APS_SEL_OVER));
    assert_int_equal(b.nodds, 16);
    assert_int_equal(reason(&b, "unknown favourite"), 1);
    assert_int_equal(reason(&b, "bad date"), 1);
    assert_int_equal(reason(&b, "same teams"), 1);
    assert_int_equal(reason(&b, "bad line"), 2);
    assert_int_equal(reason(&b, "bad score"), 1);
    assert_int_equal(aps_batch_rejected(&b), 6);
    /* venue records: the Orange Bowl's location (no coordinates in this file) gives its time
     * zone; Estadio Azteca's place is ingest/nfl_venues.c's; Raymond James Stadium is in neither */
    assert_int_equal(b.nvenues, 2);
    assert_string_equal(b.venues[0].name, "Orange Bowl");
    assert_true(isnan(b.venues[0].latitude));
    assert_string_equal(b.venues[0].timezone, "America/New_York");
    assert_int_equal(b.venues[0].utc_offset_min, -300);
    assert_string_equal(b.venues[1].name, "Estadio Azteca");
    assert_float_equal(b.venues[1].latitude, 19.30, 1e-9);
    assert_int_equal(b.venues[1].utc_offset_min, -360);
    aps_batch_cleanup(&b);
}

static void test_needs_teams_file(void **state)
{
    (void)state;
    const char *p = write_file("b/spreadspoke_scores.csv", scores_csv);
    struct aps_batch b;
    memset(&b, 0, sizeof b);
    char err[512] = "";
    assert_int_equal(aps_load_spreadspoke(p, &b, err, sizeof err), APS_E_IO);
    assert_non_null(strstr(err, "nfl_teams.csv"));
    assert_non_null(strstr(err, "No such file or directory")); /* not "input/output error" */
    write_file("b/nfl_teams.csv", teams_csv);
    p = write_file("b/other.csv", "date,home,away\n1/1/2000,A,B\n");
    assert_int_equal(aps_load_spreadspoke(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "schedule_date"));
    aps_batch_cleanup(&b);
    static char big[70000];
    memset(big, 'x', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    p = write_file("b/big.csv", big);
    assert_int_equal(aps_load_spreadspoke(p, &b, err, sizeof err), APS_E_TOOBIG);
    assert_non_null(strstr(err, "cannot read the header row"));
    aps_batch_cleanup(&b);
    /* A column it reads named twice, in the scores or in nfl_teams.csv: refused, naming it. */
    p = write_file("b/twice.csv", "schedule_date,schedule_season,team_home,score_home,score_away,"
                                  "team_away,score_home\n"
                                  "9/10/2000,2000,Miami Dolphins,20,10,New York Jets,99\n");
    assert_int_equal(aps_load_spreadspoke(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "twice.csv:1: column score_home appears twice in the header "
                                "(columns 4 and 7)"));
    aps_batch_cleanup(&b);
    write_file("b/nfl_teams.csv", "team_name,team_id,team_id\rMiami Dolphins,MIA,XXX\r");
    assert_int_equal(aps_load_spreadspoke(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "nfl_teams.csv: cannot read the team ids: the header needs one "
                                "team_name column and one team_id column"));
    aps_batch_cleanup(&b);
}

static const struct aps_venue_rec *venue(const struct aps_batch *b, const char *name)
{
    for (size_t i = 0; i < b->nvenues; i++)
        if (!strcmp(b->venues[i].name, name))
            return &b->venues[i];
    fail_msg("no venue record for %s", name);
    return NULL;
}

static void test_real_file(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/spreadspoke/spreadspoke_scores.csv", APS_DATA_DIR_DEFAULT);
    struct aps_batch b;
    memset(&b, 0, sizeof b);
    char err[512] = "";
    double t0 = aps_time_mono();
    assert_int_equal(aps_load_spreadspoke(path, &b, err, sizeof err), 0);
    print_message("spreadspoke: rows %zu games %zu odds %zu rejects %zu in %.1f ms\n", b.rows,
                  b.ngames, b.nodds, aps_batch_rejected(&b), (aps_time_mono() - t0) * 1e3);
    assert_int_equal(b.rows, 13801);
    assert_int_equal(b.ngames, 13801);
    /* Two 1993 totals read "36.6", off the quarter-point grid: dropped as "bad line". */
    assert_int_equal(b.nodds, 45140);
    assert_int_equal(aps_batch_rejected(&b), 2);
    assert_int_equal(b.nrejects, 1);
    assert_string_equal(b.rejects[0].reason, "bad line");
    size_t home_fav = 0, away_fav = 0, pick = 0, playoff = 0, neutral = 0, typed = 0;
    for (size_t i = 0; i < b.nodds; i++) {
        const struct aps_odds_rec *o = &b.odds[i];
        assert_true(o->line * 4.0 == floor(o->line * 4.0));
        if (o->market == APS_MKT_SPREAD && o->sel == APS_SEL_HOME) {
            home_fav += o->line < 0;
            away_fav += o->line > 0;
            pick += o->line == 0;
        }
    }
    for (size_t i = 0; i < b.ngames; i++) {
        playoff += b.games[i].playoff;
        neutral += b.games[i].neutral;
        typed += strstr(b.games[i].extra, "stadium_type") != NULL;
    }
    /* 11,322 games with a spread: every favourite id resolves to one of the two teams. */
    assert_int_equal(home_fav, 7523);
    assert_int_equal(away_fav, 3656);
    assert_int_equal(pick, 143);
    assert_int_equal(playoff, 573);
    assert_int_equal(neutral, 116);
    assert_int_equal(typed, 12559);
    /* Super Bowl LVIII: Kansas City "at home" against the favourite San Francisco (-2). */
    const struct aps_game_rec *g = &b.games[b.ngames - 1];
    assert_string_equal(g->date, "2024-02-11");
    assert_string_equal(g->season, "2023");
    assert_string_equal(g->home, "Kansas City Chiefs");
    assert_string_equal(g->venue, "Allegiant Stadium");
    assert_true(g->neutral && g->playoff);
    assert_int_equal(g->home_score, 25);
    assert_float_equal(odds(&b, b.ngames - 1, APS_MKT_SPREAD, APS_SEL_HOME)->line, 2.0, 1e-12);
    assert_float_equal(odds(&b, b.ngames - 1, APS_MKT_TOTAL, APS_SEL_OVER)->line, 47.0, 1e-12);
    assert_string_equal(b.games[0].date, "1966-09-02");
    /* venues: every stadium of the 1980s on has coordinates and a time zone; Lambeau Field's
     * come from the file (its weather station), Ford Field's from ingest/nfl_venues.c */
    const struct aps_venue_rec *lambeau = venue(&b, "Lambeau Field"), *ford = venue(&b, "Ford Field");
    assert_float_equal(lambeau->latitude, 44.4794, 1e-9);
    assert_float_equal(lambeau->longitude, -88.1366, 1e-9);
    assert_string_equal(lambeau->timezone, "America/Chicago");
    assert_int_equal(lambeau->utc_offset_min, -360);
    assert_string_equal(ford->city, "Detroit, MI");
    assert_float_equal(ford->latitude, 42.34, 1e-9);
    assert_int_equal(ford->utc_offset_min, -300);
    assert_int_equal(venue(&b, "Wembley Stadium")->utc_offset_min, 0);
    for (size_t i = 0; i < b.ngames; i++) {
        const struct aps_game_rec *x = &b.games[i];
        if (strcmp(x->date, "1980-01-01") < 0 || !*x->venue)
            continue;
        const struct aps_venue_rec *v = venue(&b, x->venue);
        if (isnan(v->latitude) || !v->timezone[0])
            fail_msg("stadium %s of %s has no place", x->venue, x->date);
    }
    aps_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snippet),
        cmocka_unit_test(test_needs_teams_file),
        cmocka_unit_test(test_real_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
