/* test_load_football_data.c — the football-data.co.uk loader: its date, time-zone and season
 * helpers (reached by including the .c file), the quirks of the format on small CSV snippets
 * written to a temporary folder (BOM, CRLF, bare CR, two-digit years, all-comma rows, columns
 * that come and go, bad and missing prices, rejects), and every real file of
 * ../shared/data/football-data with counts verified independently (a Python csv reading). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/load_football_data.c"

#include "../support/loader_fixture.h"

/* The odds record of game gi with this book, market, selection and phase, or NULL. */
static const struct aps_odds_rec *find_odds(const struct aps_batch *b, size_t gi, const char *book,
                                            enum aps_market m, enum aps_selection s,
                                            enum aps_phase ph)
{
    for (size_t i = 0; i < b->nodds; i++) {
        const struct aps_odds_rec *o = &b->odds[i];
        if (o->game == gi && !strcmp(o->book, book) && o->market == m && o->sel == s &&
            o->phase == ph)
            return o;
    }
    return NULL;
}

static int load(const char *path, struct aps_batch *b, char *err, size_t cap)
{
    memset(b, 0, sizeof *b);
    err[0] = '\0';
    return aps_load_football_data(path, b, err, cap);
}

/* --- helpers ---------------------------------------------------------------------------------- */

static void test_eu_local_to_utc(void **state)
{
    /* Summer: the UK is UTC+1, CET UTC+2; winter: UTC+0 and UTC+1. */
    assert_int_equal(eu_local_to_utc(2023, 8, 11, 20, 0, ZONE_UK),
                     aps_time_from_civil(2023, 8, 11, 19, 0, 0));
    assert_int_equal(eu_local_to_utc(2022, 11, 4, 20, 0, ZONE_UK),
                     aps_time_from_civil(2022, 11, 4, 20, 0, 0));
    assert_int_equal(eu_local_to_utc(2023, 8, 11, 20, 0, ZONE_CET),
                     aps_time_from_civil(2023, 8, 11, 18, 0, 0));
    assert_int_equal(eu_local_to_utc(2023, 1, 15, 20, 0, ZONE_CET),
                     aps_time_from_civil(2023, 1, 15, 19, 0, 0));
    /* The switch days: 26 March and 29 October 2023, 31 March and 27 October 2024. */
    assert_int_equal(last_sunday_0100(2023, 3), aps_time_from_civil(2023, 3, 26, 1, 0, 0));
    assert_int_equal(last_sunday_0100(2023, 10), aps_time_from_civil(2023, 10, 29, 1, 0, 0));
    assert_int_equal(last_sunday_0100(2024, 3), aps_time_from_civil(2024, 3, 31, 1, 0, 0));
    assert_int_equal(last_sunday_0100(2024, 10), aps_time_from_civil(2024, 10, 27, 1, 0, 0));
    assert_int_equal(eu_local_to_utc(2023, 3, 26, 0, 30, ZONE_UK),
                     aps_time_from_civil(2023, 3, 26, 0, 30, 0));
    assert_int_equal(eu_local_to_utc(2023, 3, 26, 2, 30, ZONE_UK),
                     aps_time_from_civil(2023, 3, 26, 1, 30, 0));
    assert_int_equal(eu_local_to_utc(2023, 3, 25, 23, 0, ZONE_UK),
                     aps_time_from_civil(2023, 3, 25, 23, 0, 0));
    assert_int_equal(eu_local_to_utc(2023, 10, 29, 0, 30, ZONE_UK),
                     aps_time_from_civil(2023, 10, 28, 23, 30, 0));
    assert_int_equal(eu_local_to_utc(2023, 10, 29, 2, 0, ZONE_UK),
                     aps_time_from_civil(2023, 10, 29, 2, 0, 0));
    assert_int_equal(eu_local_to_utc(2024, 3, 31, 3, 30, ZONE_CET),
                     aps_time_from_civil(2024, 3, 31, 1, 30, 0));
    assert_int_equal(eu_local_to_utc(2024, 10, 27, 1, 30, ZONE_CET),
                     aps_time_from_civil(2024, 10, 26, 23, 30, 0));
    /* A late kick-off in local summer time can fall on the previous UTC day. */
    assert_int_equal(eu_local_to_utc(2023, 8, 12, 0, 30, ZONE_CET),
                     aps_time_from_civil(2023, 8, 11, 22, 30, 0));
}

static void test_parse_fd_date(void **state)
{
    int y, m, d;
    assert_int_equal(parse_fd_date("18/08/12", &y, &m, &d), 0);
    assert_true(y == 2012 && m == 8 && d == 18);
    assert_int_equal(parse_fd_date("01/01/99", &y, &m, &d), 0);
    assert_int_equal(y, 1999);
    assert_int_equal(parse_fd_date("05/05/69", &y, &m, &d), 0);
    assert_int_equal(y, 2069);
    assert_int_equal(parse_fd_date("05/05/70", &y, &m, &d), 0);
    assert_int_equal(y, 1970);
    assert_int_equal(parse_fd_date("11/08/2023", &y, &m, &d), 0);
    assert_true(y == 2023 && m == 8 && d == 11);
    assert_int_equal(parse_fd_date("1/2/2020", &y, &m, &d), 0);
    assert_true(y == 2020 && m == 2 && d == 1);
    assert_int_equal(parse_fd_date("29/02/24", &y, &m, &d), 0);
    assert_int_equal(parse_fd_date("29/02/23", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_fd_date("32/01/2020", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_fd_date("01/13/2020", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_fd_date("1/2/3", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_fd_date("2023-08-11", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_fd_date("11/08/2023x", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_fd_date("", &y, &m, &d), APS_E_PARSE);
    int h, mi;
    assert_int_equal(parse_hhmm("19:45", &h, &mi), 0);
    assert_true(h == 19 && mi == 45);
    assert_int_equal(parse_hhmm("9:05", &h, &mi), 0);
    assert_int_equal(parse_hhmm("25:00", &h, &mi), APS_E_PARSE);
    assert_int_equal(parse_hhmm("19:4", &h, &mi), APS_E_PARSE);
    assert_int_equal(parse_hhmm("", &h, &mi), APS_E_PARSE);
}

static void test_seasons(void **state)
{
    char s[16];
    assert_int_equal(season_from_name("/a/b/1213_E0.csv", s, sizeof s), 2012);
    assert_string_equal(s, "2012-13");
    season_from_name("9900_E0.csv", s, sizeof s);
    assert_string_equal(s, "1999-00");
    assert_int_equal(season_from_name("/a/E0.csv", s, sizeof s), 0);
    assert_string_equal(s, "");
    season_from_name("1214_E0.csv", s, sizeof s);
    assert_string_equal(s, "");
    season_from_date(2012, 8, s, sizeof s);
    assert_string_equal(s, "2012-13");
    season_from_date(2013, 5, s, sizeof s);
    assert_string_equal(s, "2012-13");
    season_from_date(1999, 12, s, sizeof s);
    assert_string_equal(s, "1999-00");
    assert_true(in_season(2019, 2019, 7) && in_season(2019, 2020, 8)); /* 2019-20 ended in August */
    assert_false(in_season(2019, 2019, 6) || in_season(2019, 2020, 9) || in_season(2019, 1823, 8));
}

/* A file named after a season holds that season's games: a row dated outside it is rejected, and
 * a file with none in it (another season's file renamed) is refused whole, saying why. */
static void test_season_of_file_name(void **state)
{
    static const char head[] = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\n";
    char body[512];
    snprintf(body, sizeof body,
             "%sE0,08/08/2019,A,B,1,0\nE0,11/08/1823,C,D,1,0\nE0,26/08/2020,E,F,2,2\n", head);
    const char *path = write_file("1920_E0.csv", body);
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 2);
    assert_int_equal(reject_count(&b, "date outside the season"), 1);
    assert_string_equal(b.games[1].season, "2019-20");
    aps_batch_cleanup(&b);
    snprintf(body, sizeof body, "%sE0,18/08/12,A,B,1,0\nE0,19/08/12,C,D,1,0\n", head);
    path = write_file("2324_E0.csv", body);
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "the file name says season 2023-24, but no game is dated in it "
                                "(the first is dated 2012-08-18)"));
    aps_batch_cleanup(&b);
}

static void test_books(void **state)
{
    assert_string_equal(aps_book_key_from_prefix("B365"), "bet365");
    assert_string_equal(aps_book_key_from_prefix("PS"), "pinnacle");
    assert_string_equal(aps_book_key_from_prefix("P"), "pinnacle");
    assert_string_equal(aps_book_key_from_prefix("BbMx"), "max");
    assert_string_equal(aps_book_key_from_prefix("Avg"), "avg");
    assert_string_equal(aps_book_key_from_prefix("1XB"), "1xbet");
    assert_string_equal(aps_book_key_from_prefix("BFE"), "betfair_exchange");
    assert_string_equal(aps_book_key_from_prefix("B.W"), "bwin");
    assert_null(aps_book_key_from_prefix("XYZ"));
    assert_null(aps_book_key_from_prefix("b365"));
    assert_string_equal(aps_book_name("pinnacle"), "Pinnacle");
    assert_string_equal(aps_book_name("bet365"), "Bet365");
    assert_string_equal(aps_book_name("nobook"), "nobook");
    assert_true(aps_book_is_aggregate("max"));
    assert_true(aps_book_is_aggregate("consensus"));
    assert_false(aps_book_is_aggregate("bet365"));
    assert_true(aps_book_is_sharp("pinnacle"));
    assert_false(aps_book_is_sharp("williamhill"));
    assert_false(aps_book_is_sharp("max"));
    /* The longest prefix that leaves a valid suffix wins: PSCH is PS + CH, not P + SCH. */
    const char *key;
    assert_int_equal(aps_book_match_prefix("PSCH", is_odds_suffix, &key), 2);
    assert_string_equal(key, "pinnacle");
    assert_int_equal(aps_book_match_prefix("PCAHH", is_odds_suffix, &key), 1);
    assert_int_equal(aps_book_match_prefix("BFEH", is_odds_suffix, &key), 3);
    assert_string_equal(key, "betfair_exchange");
    assert_int_equal(aps_book_match_prefix("Bb1X2", is_odds_suffix, &key), 0);
    assert_null(key);
    assert_int_equal(aps_book_match_prefix("HC", is_odds_suffix, &key), 0);
}

/* --- snippets --------------------------------------------------------------------------------- */

static void test_bom_crlf_two_digit_years_blank_rows(void **state)
{
    const char *path = write_file("1213_E0.csv",
        "\xEF\xBB\xBF" "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,Referee,B365H,B365D,B365A\r\n"
        "E0,18/08/12,Arsenal,Sunderland,0,0,D,0,0,D,C Foy,1.4,4.5,8.5\r\n"
        "E0,19/05/13,Wigan,Aston Villa,2,2,D,1,0,H,,2.1,3.3,3.4\r\n"
        ",,,,,,,,,,,,,\r\n"
        ",,,,,,,,,,,,,\r\n");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_string_equal(b.source, "football-data");
    assert_int_equal(b.ngames, 2);
    assert_int_equal(b.rows, 2);
    assert_int_equal(aps_batch_rejected(&b), 0);
    assert_int_equal(b.nodds, 6);
    const struct aps_game_rec *g = &b.games[0];
    assert_int_equal(g->sport, APS_SPORT_EPL);
    assert_string_equal(g->season, "2012-13");
    assert_string_equal(g->date, "2012-08-18");
    assert_false(g->time_known);
    assert_int_equal(g->start_time, aps_time_from_civil(2012, 8, 18, 0, 0, 0));
    assert_string_equal(g->home, "Arsenal");
    assert_string_equal(g->away, "Sunderland");
    assert_int_equal(g->status, APS_GS_FINAL);
    assert_int_equal(g->home_score, 0);
    assert_int_equal(g->away_score, 0);
    assert_false(g->neutral);
    assert_int_equal(g->line, 2);
    assert_string_equal(g->extra, "{\"ht\":[0,0],\"ref\":\"C Foy\"}");
    assert_string_equal(b.games[1].date, "2013-05-19");
    assert_string_equal(b.games[1].season, "2012-13");
    assert_string_equal(b.games[1].extra, "{\"ht\":[1,0]}");
    const struct aps_odds_rec *o = find_odds(&b, 1, "bet365", APS_MKT_MONEYLINE, APS_SEL_DRAW,
                                             APS_PHASE_PRE);
    assert_non_null(o);
    assert_true(o->price == 3.3);
    assert_true(isnan(o->line));
    aps_batch_cleanup(&b);
}

static void test_bare_cr_time_and_unplayed(void **state)
{
    const char *path = write_file("1920_D1.csv",
        "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG\r"
        "D1,16/08/2019,19:30,Bayern Munich,Hertha,2,2\r"
        "D1,01/02/2020,14:30,Hertha,Schalke 04,,\r"
        "D1,02/02/2020,25:30,FC Koln,Mainz,1,0\r");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 3);
    assert_int_equal(aps_batch_rejected(&b), 0);
    assert_int_equal(b.games[0].sport, APS_SPORT_BUNDESLIGA);
    assert_string_equal(b.games[0].season, "2019-20");
    assert_true(b.games[0].time_known);
    /* 19:30 UK summer time is 18:30 UTC. */
    assert_int_equal(b.games[0].start_time, aps_time_from_civil(2019, 8, 16, 18, 30, 0));
    assert_string_equal(b.games[0].extra, "");
    assert_int_equal(b.games[1].status, APS_GS_SCHEDULED);
    assert_int_equal(b.games[1].home_score, -1);
    assert_int_equal(b.games[1].away_score, -1);
    assert_int_equal(b.games[1].start_time, aps_time_from_civil(2020, 2, 1, 14, 30, 0));
    assert_int_equal(b.games[1].line, 3);
    /* A bad kick-off time keeps the match, without a time. */
    assert_false(b.games[2].time_known);
    assert_int_equal(b.games[2].start_time, aps_time_from_civil(2020, 2, 2, 0, 0, 0));
    assert_int_equal(b.games[2].status, APS_GS_FINAL);
    aps_batch_cleanup(&b);
}

static void test_odds_columns_2012(void **state)
{
    const char *path = write_file("odds_2012.csv",
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,HC,Bb1X2,B365H,B365D,B365A,PSCH,PSCD,PSCA,BbMxH,"
        "BbAvA,BbMx>2.5,BbAv<2.5,BbAHh,BbMxAHH,BbAvAHA,XYZH,1XBH,BFEA,BbOU,BbAH\n"
        "F1,18/08/12,Lyon,Nice,1,0,5,40,1.5,4.0,7.0,1.55,4.1,6.5,1.6,6.8,1.9,2.0,-1.25,2.02,1.88,"
        "9.9,1.45,7.2,30,20\n");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 1);
    assert_int_equal(b.games[0].sport, APS_SPORT_LIGUE1);
    assert_string_equal(b.games[0].season, "2012-13"); /* from the date: no season in the name */
    assert_int_equal(aps_batch_rejected(&b), 0);
    /* 3 Bet365 + 3 Pinnacle closing + 6 max/avg + 1XBet + Betfair exchange; HC, Bb1X2, XYZH,
     * BbOU and BbAH are not prices. */
    assert_int_equal(b.nodds, 14);
    const struct aps_odds_rec *o;
    o = find_odds(&b, 0, "pinnacle", APS_MKT_MONEYLINE, APS_SEL_DRAW, APS_PHASE_CLOSE);
    assert_non_null(o);
    assert_true(o->price == 4.1);
    assert_null(find_odds(&b, 0, "pinnacle", APS_MKT_MONEYLINE, APS_SEL_DRAW, APS_PHASE_PRE));
    o = find_odds(&b, 0, "max", APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE);
    assert_true(o && o->price == 1.6);
    o = find_odds(&b, 0, "avg", APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE);
    assert_true(o && o->price == 6.8);
    o = find_odds(&b, 0, "max", APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_PRE);
    assert_true(o && o->price == 1.9 && o->line == 2.5);
    o = find_odds(&b, 0, "avg", APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_PRE);
    assert_true(o && o->price == 2.0 && o->line == 2.5);
    o = find_odds(&b, 0, "max", APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_PRE);
    assert_true(o && o->price == 2.02 && o->line == -1.25);
    o = find_odds(&b, 0, "avg", APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_PRE);
    assert_true(o && o->price == 1.88 && o->line == 1.25);
    o = find_odds(&b, 0, "1xbet", APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE);
    assert_true(o && o->price == 1.45);
    o = find_odds(&b, 0, "betfair_exchange", APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_PRE);
    assert_true(o && o->price == 7.2);
    aps_batch_cleanup(&b);
}

static void test_odds_columns_2019_closing(void **state)
{
    const char *path = write_file("2324_SP1.csv",
        "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,B365H,MaxCA,AvgC>2.5,PC<2.5,AHh,PAHH,AHCh,"
        "B365CAHA,PCAHH,BWCD,IWCH,VCCA,WHCH\n"
        "SP1,04/11/2023,20:00,Girona,Ath Bilbao,2,1,3.75,2.1,1.8,2.05,0.25,1.95,0,1.9,2.0,3.3,"
        "3.5,2.2,3.6\n");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 1);
    assert_int_equal(b.nodds, 11);
    /* 20:00 UK winter time (after the last Sunday of October) is 20:00 UTC. */
    assert_int_equal(b.games[0].start_time, aps_time_from_civil(2023, 11, 4, 20, 0, 0));
    assert_string_equal(b.games[0].season, "2023-24");
    const struct aps_odds_rec *o;
    o = find_odds(&b, 0, "max", APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE);
    assert_true(o && o->price == 2.1);
    o = find_odds(&b, 0, "avg", APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE);
    assert_true(o && o->price == 1.8 && o->line == 2.5);
    o = find_odds(&b, 0, "pinnacle", APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE);
    assert_true(o && o->price == 2.05);
    o = find_odds(&b, 0, "pinnacle", APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_PRE);
    assert_true(o && o->price == 1.95 && o->line == 0.25);
    o = find_odds(&b, 0, "bet365", APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE);
    assert_true(o && o->price == 1.9 && o->line == 0 && !signbit(o->line));
    o = find_odds(&b, 0, "pinnacle", APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE);
    assert_true(o && o->price == 2.0 && o->line == 0);
    o = find_odds(&b, 0, "bwin", APS_MKT_MONEYLINE, APS_SEL_DRAW, APS_PHASE_CLOSE);
    assert_true(o && o->price == 3.3);
    o = find_odds(&b, 0, "interwetten", APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE);
    assert_true(o && o->price == 3.5);
    assert_non_null(find_odds(&b, 0, "betvictor", APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE));
    assert_non_null(find_odds(&b, 0, "williamhill", APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE));
    aps_batch_cleanup(&b);
}

static void test_missing_and_bad_prices(void **state)
{
    const char *path = write_file("prices.csv",
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,B365H,B365D,B365A,PSH,PSD,PSA,AHh,PAHH,PAHA\n"
        "I1,19/05/13,Torino,Catania,2,2,,1.0,abc,0,2.5,1002,,1.9,2.0\n"
        "I1,19/05/13,Milan,Siena,2,1,1.3,5,9,1.31,5.2,9.5,x,1.9,2.0\n");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 2);
    /* Row 1: 1.0, abc, 0 and 1002 are bad; 2.5 is kept; the AH prices have no line. */
    assert_int_equal(reject_count(&b, "bad price"), 4);
    /* Row 2: six 1X2 prices; the handicap line "x" is counted once, its prices skipped. */
    assert_int_equal(reject_count(&b, "bad handicap"), 1);
    assert_int_equal(b.nodds, 7);
    assert_int_equal(b.odds[0].game, 0);
    assert_true(b.odds[0].price == 2.5);
    assert_int_equal(b.odds[0].sel, APS_SEL_DRAW);
    assert_string_equal(b.odds[0].book, "pinnacle");
    aps_batch_cleanup(&b);
}

static void test_row_rejects(void **state)
{
    const char *path = write_file("rejects.csv",
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,B365H\n"
        "E0,32/01/12,A,B,1,0,2.0\n"
        "E0,2012-01-05,A,B,1,0,2.0\n"
        "E0,05/01/12,,B,1,0,2.0\n"
        "E0,05/01/12,A,A,1,0,2.0\n"
        "E0,05/01/12,A,B,21,0,2.0\n"
        "E0,05/01/12,A,B,-1,0,2.0\n"
        "E0,05/01/12,A,B,1,,2.0\n"
        "E0,05/01/12,A,B,x,0,2.0\n"
        "E0,05/01/12,A,B,,,2.0\n"
        ",,,,,,\n"
        "E0,,A,B,1,0,2.0\n"
        "\n");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 1);
    assert_int_equal(b.rows, 9);
    assert_int_equal(reject_count(&b, "bad date"), 2);
    assert_int_equal(reject_count(&b, "missing team"), 1);
    assert_int_equal(reject_count(&b, "same teams"), 1);
    assert_int_equal(reject_count(&b, "bad score"), 4);
    assert_int_equal(aps_batch_rejected(&b), 8);
    assert_int_equal(b.games[0].status, APS_GS_SCHEDULED);
    assert_int_equal(b.games[0].line, 10);
    /* The rejected rows' prices went with them. */
    assert_int_equal(b.nodds, 1);
    assert_int_equal(b.odds[0].game, 0);
    aps_batch_cleanup(&b);
}

/* A row must have the header's fields: a cut-off row (a truncated download's last line) and one
 * shifted by an unquoted comma would put prices under the wrong selections; empty fields past
 * the header (a trailing comma) are harmless. */
static void test_row_width(void **state)
{
    const char *path = write_file("width.csv",
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,Referee,B365H,B365D,B365A\n"
        "E0,05/01/12,A,B,1,0,M Dean,2.0,3.4,4.5\n"
        "E0,05/01/12,C,D,1,0,Pawson, C,2.1,3.5,4.6\n"
        "E0,05/01/12,E,F,1,0,M Oliver,2.2,3.\n"
        "E0,05/01/12,G,H,2,2,A Taylor,2.3,3.6,4.7,\n");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.rows, 4);
    assert_int_equal(b.ngames, 2);
    assert_int_equal(reject_count(&b, "fields past the header"), 1);
    assert_int_equal(reject_count(&b, "fields missing"), 1);
    assert_int_equal(b.nodds, 6);
    assert_string_equal(b.games[1].home, "G");
    double want[] = {2.3, 3.6, 4.7};
    for (size_t i = 3; i < 6; i++) {
        assert_int_equal(b.odds[i].game, 1);
        assert_true(b.odds[i].price == want[i - 3]);
    }
    aps_batch_cleanup(&b);
}

static void test_file_errors(void **state)
{
    struct aps_batch b;
    char err[256];
    const char *path = write_file("unknown_div.csv",
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\nE0,05/01/12,A,B,1,0\nSC0,05/01/12,C,D,1,0\n");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "unknown_div.csv:3:"));
    assert_non_null(strstr(err, "Div"));
    aps_batch_cleanup(&b);
    path = write_file("no_teams.csv", "Div,Date,Home,Away,FTHG,FTAG\nE0,05/01/12,A,B,1,0\n");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "missing"));
    aps_batch_cleanup(&b);
    path = write_file("empty.csv", "");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "empty"));
    aps_batch_cleanup(&b);
    path = write_file("quote.csv", "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\nE0,\"05/01/12,A,B,1,0\n");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    aps_batch_cleanup(&b);
    assert_int_equal(load("/nonexistent/1213_E0.csv", &b, err, sizeof err), APS_E_IO);
    assert_non_null(strstr(err, "/nonexistent/1213_E0.csv"));
    aps_batch_cleanup(&b);
}

/* A column the loader reads, named twice: which of the two holds the values is not known, so the
 * file is refused with the column's name (the later column once won: 9.99 was stored for 1.3).
 * A repeated column the loader does not read is harmless. */
static void test_repeated_column(void **state)
{
    struct aps_batch b;
    char err[256];
    const char *path = write_file("1213_E0.csv",
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,B365H,B365D,B365A,B365H\n"
        "E0,18/08/12,Arsenal,Sunderland,0,0,1.3,5.0,11.0,9.99\n");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    print_message("%s\n", err);
    assert_non_null(strstr(err, "1213_E0.csv:1: column B365H appears twice in the header "
                                "(columns 7 and 10)"));
    aps_batch_cleanup(&b);
    path = write_file("1213_E0.csv", "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG, FTHG\n"
                                     "E0,18/08/12,Arsenal,Sunderland,0,0,2\n");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "column FTHG appears twice"));
    aps_batch_cleanup(&b);
    path = write_file("1213_E0.csv", "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,HS,HS,,,B365H\n"
                                     "E0,18/08/12,Arsenal,Sunderland,0,0,4,4,,,1.3\n");
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 1);
    const struct aps_odds_rec *o =
        find_odds(&b, 0, "bet365", APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_PRE);
    assert_non_null(o);
    assert_true(o->price == 1.3);
    aps_batch_cleanup(&b);
}

/* The same matches under two different column sets and orders read the same. */
static void test_column_order_does_not_matter(void **state)
{
    struct aps_batch a, c;
    char err[256];
    const char *p1 = write_file("1516_E0.csv",
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,HTHG,HTAG,Referee,PSH,PSD,PSA,BbAHh,BbMxAHH\n"
        "E0,08/08/2015,Bournemouth,Aston Villa,0,1,0,0,M Clattenburg,1.82,3.74,4.92,-0.5,1.76\n");
    assert_int_equal(load(p1, &a, err, sizeof err), 0);
    const char *p2 = write_file("1516_E0.csv",
        "BbMxAHH,PSA,HS,Referee,AwayTeam,FTAG,HTAG,Div,PSD,HomeTeam,BbAHh,Date,FTHG,HTHG,PSH\n"
        "1.76,4.92,11,M Clattenburg,Aston Villa,1,0,E0,3.74,Bournemouth,-0.5,08/08/2015,0,0,1.82\n");
    assert_int_equal(load(p2, &c, err, sizeof err), 0);
    assert_int_equal(a.ngames, 1);
    assert_int_equal(c.ngames, 1);
    assert_string_equal(a.games[0].extra, c.games[0].extra);
    assert_string_equal(a.games[0].home, c.games[0].home);
    assert_int_equal(a.games[0].away_score, c.games[0].away_score);
    assert_int_equal(a.nodds, 4);
    assert_int_equal(c.nodds, 4);
    for (size_t i = 0; i < a.nodds; i++) {
        const struct aps_odds_rec *o = &a.odds[i];
        const struct aps_odds_rec *q = find_odds(&c, 0, o->book, o->market, o->sel, o->phase);
        assert_non_null(q);
        assert_true(q->price == o->price);
    }
    aps_batch_cleanup(&a);
    aps_batch_cleanup(&c);
}

static void test_extra_escaping_and_cap(void **state)
{
    struct aps_batch b;
    char err[256];
    const char *path = write_file("ref.csv",
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,HTHG,HTAG,Referee\n"
        "E0,05/01/12,A,B,1,0,1,0,\"M \"\"Big\"\" O\\Dean\"\n");
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_string_equal(b.games[0].extra, "{\"ht\":[1,0],\"ref\":\"M \\\"Big\\\" O\\\\Dean\"}");
    aps_batch_cleanup(&b);
    /* A referee name too long for the extra field is dropped; the object stays valid. */
    char csv[2048];
    char longname[701];
    memset(longname, 'x', 700);
    longname[700] = '\0';
    snprintf(csv, sizeof csv, "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,HTHG,HTAG,Referee\n"
                              "E0,05/01/12,A,B,1,0,1,0,%s\n", longname);
    path = write_file("longref.csv", csv);
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_string_equal(b.games[0].extra, "{\"ht\":[1,0]}");
    aps_batch_cleanup(&b);
}

/* --- the real files --------------------------------------------------------------------------- */

struct expect {
    const char *file;
    size_t games, odds, bad_prices;
};

/* Counted independently with Python's csv module: rows with a Date; non-empty cells of every
 * column named book prefix + odds suffix (Asian handicap cells only where the row has the line);
 * cells that are not a number in (1, 1001] are bad prices. */
static const struct expect fd_files[] = {
    {"D1/1213_D1.csv", 306, 14382, 0},
    {"D1/1314_D1.csv", 306, 12504, 0},
    {"D1/1415_D1.csv", 306, 11697, 0},
    {"D1/1516_D1.csv", 306, 11628, 0},
    {"D1/1617_D1.csv", 306, 11625, 0},
    {"D1/1718_D1.csv", 306, 11625, 0},
    {"D1/1819_D1.csv", 306, 10704, 0},
    {"D1/1920_D1.csv", 306, 24452, 1},
    {"D1/2021_D1.csv", 306, 24460, 0},
    {"D1/2122_D1.csv", 306, 24459, 0},
    {"D1/2223_D1.csv", 306, 24428, 0},
    {"D1/2324_D1.csv", 306, 23392, 0},
    {"E0/1213_E0.csv", 380, 17854, 0},
    {"E0/1314_E0.csv", 380, 15540, 0},
    {"E0/1415_E0.csv", 380, 14557, 0},
    {"E0/1516_E0.csv", 380, 14437, 0},
    {"E0/1617_E0.csv", 380, 14440, 0},
    {"E0/1718_E0.csv", 380, 14440, 0},
    {"E0/1819_E0.csv", 380, 13300, 0},
    {"E0/1920_E0.csv", 380, 30400, 0},
    {"E0/2021_E0.csv", 380, 30400, 0},
    {"E0/2122_E0.csv", 380, 30385, 2},
    {"E0/2223_E0.csv", 380, 30396, 0},
    {"E0/2324_E0.csv", 380, 29234, 0},
    {"F1/1213_F1.csv", 380, 17851, 0},
    {"F1/1314_F1.csv", 380, 15537, 0},
    {"F1/1415_F1.csv", 380, 14581, 0},
    {"F1/1516_F1.csv", 380, 14434, 0},
    {"F1/1617_F1.csv", 380, 14431, 0},
    {"F1/1718_F1.csv", 380, 14428, 0},
    {"F1/1819_F1.csv", 380, 13294, 0},
    {"F1/1920_F1.csv", 279, 22318, 0},
    {"F1/2021_F1.csv", 380, 30353, 0},
    {"F1/2122_F1.csv", 380, 30376, 0},
    {"F1/2223_F1.csv", 380, 30376, 0},
    {"F1/2324_F1.csv", 306, 23508, 0},
    {"I1/1213_I1.csv", 380, 17815, 0},
    {"I1/1314_I1.csv", 380, 15577, 0},
    {"I1/1415_I1.csv", 380, 14482, 0},
    {"I1/1516_I1.csv", 380, 14437, 0},
    {"I1/1617_I1.csv", 380, 14428, 0},
    {"I1/1718_I1.csv", 380, 14437, 0},
    {"I1/1819_I1.csv", 380, 13300, 0},
    {"I1/1920_I1.csv", 380, 30400, 0},
    {"I1/2021_I1.csv", 380, 30345, 0},
    {"I1/2122_I1.csv", 380, 30345, 0},
    {"I1/2223_I1.csv", 380, 30400, 0},
    {"I1/2324_I1.csv", 380, 29146, 0},
    {"SP1/1213_SP1.csv", 380, 17842, 0},
    {"SP1/1314_SP1.csv", 380, 15534, 0},
    {"SP1/1415_SP1.csv", 380, 14515, 0},
    {"SP1/1516_SP1.csv", 380, 14437, 0},
    {"SP1/1617_SP1.csv", 380, 14428, 0},
    {"SP1/1718_SP1.csv", 380, 14434, 0},
    {"SP1/1819_SP1.csv", 380, 13300, 0},
    {"SP1/1920_SP1.csv", 380, 30366, 0},
    {"SP1/2021_SP1.csv", 380, 30396, 0},
    {"SP1/2122_SP1.csv", 380, 30380, 0},
    {"SP1/2223_SP1.csv", 380, 30400, 0},
    {"SP1/2324_SP1.csv", 380, 29195, 0},
};

static void test_real_files(void **state)
{
    size_t games = 0, odds = 0;
    double t0 = aps_time_mono();
    for (size_t i = 0; i < sizeof fd_files / sizeof fd_files[0]; i++) {
        const struct expect *e = &fd_files[i];
        char path[512], err[256];
        struct aps_batch b;
        snprintf(path, sizeof path, "%s/football-data/%s", APS_DATA_DIR_DEFAULT, e->file);
        int rc = load(path, &b, err, sizeof err);
        if (rc)
            fail_msg("%s: %s", e->file, err);
        if (b.ngames != e->games || b.nodds != e->odds ||
            aps_batch_rejected(&b) != e->bad_prices || reject_count(&b, "bad price") != e->bad_prices)
            fail_msg("%s: %zu games, %zu odds, %zu rejects; expected %zu, %zu, %zu", e->file,
                     b.ngames, b.nodds, aps_batch_rejected(&b), e->games, e->odds, e->bad_prices);
        /* Every match was played; Time exists from 2019-20; the season comes from the name. */
        const char *base = strchr(e->file, '/') + 1;
        int yy = (base[0] - '0') * 10 + (base[1] - '0');
        char season[16];
        snprintf(season, sizeof season, "20%.2s-%.2s", base, base + 2);
        for (size_t k = 0; k < b.ngames; k++) {
            assert_int_equal(b.games[k].status, APS_GS_FINAL);
            assert_int_equal(b.games[k].time_known, yy >= 19);
            assert_string_equal(b.games[k].season, season);
        }
        games += b.ngames;
        odds += b.nodds;
        aps_batch_cleanup(&b);
    }
    double dt = aps_time_mono() - t0;
    print_message("football-data: %zu files, %zu games, %zu odds records in %.3f s\n",
                  sizeof fd_files / sizeof fd_files[0], games, odds, dt);
    assert_int_equal(games, 21737);
    assert_int_equal(odds, 1212565);
}

static void load_real(const char *file, struct aps_batch *b)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/football-data/%s", APS_DATA_DIR_DEFAULT, file);
    int rc = load(path, b, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
}

static void test_real_games(void **state)
{
    struct aps_batch b;
    load_real("E0/1213_E0.csv", &b);
    const struct aps_game_rec *g = &b.games[0];
    assert_string_equal(g->home, "Arsenal");
    assert_string_equal(g->away, "Sunderland");
    assert_string_equal(g->date, "2012-08-18");
    assert_string_equal(g->extra, "{\"ht\":[0,0],\"ref\":\"C Foy\"}");
    /* Pinnacle closing prices are in every row of this file (Python: 380 non-empty PSCH). */
    size_t psch = 0;
    for (size_t i = 0; i < b.nodds; i++)
        psch += !strcmp(b.odds[i].book, "pinnacle") && b.odds[i].phase == APS_PHASE_CLOSE &&
                b.odds[i].sel == APS_SEL_HOME;
    assert_int_equal(psch, 380);
    aps_batch_cleanup(&b);

    load_real("E0/2324_E0.csv", &b);
    size_t gi = b.ngames - 1;
    g = &b.games[gi];
    assert_string_equal(g->home, "Sheffield United");
    assert_string_equal(g->away, "Tottenham");
    assert_int_equal(g->home_score, 0);
    assert_int_equal(g->away_score, 3);
    /* 16:00 BST on 19 May 2024. */
    assert_int_equal(g->start_time, aps_time_from_civil(2024, 5, 19, 15, 0, 0));
    assert_string_equal(g->date, "2024-05-19");
    const struct aps_odds_rec *o;
    o = find_odds(&b, gi, "pinnacle", APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_PRE);
    assert_true(o && o->line == 1.5 && o->price == 2.02);
    o = find_odds(&b, gi, "pinnacle", APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE);
    assert_true(o && o->line == -1.5 && o->price == 1.88);
    aps_batch_cleanup(&b);

    /* Three all-comma rows at the end are not data. */
    load_real("I1/1213_I1.csv", &b);
    assert_int_equal(b.ngames, 380);
    assert_int_equal(b.rows, 380);
    aps_batch_cleanup(&b);

    load_real("F1/1920_F1.csv", &b);
    assert_int_equal(b.ngames, 279);
    assert_int_equal(b.games[0].sport, APS_SPORT_LIGUE1);
    aps_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eu_local_to_utc),
        cmocka_unit_test(test_parse_fd_date),
        cmocka_unit_test(test_seasons),
        cmocka_unit_test(test_season_of_file_name),
        cmocka_unit_test(test_books),
        cmocka_unit_test(test_bom_crlf_two_digit_years_blank_rows),
        cmocka_unit_test(test_bare_cr_time_and_unplayed),
        cmocka_unit_test(test_odds_columns_2012),
        cmocka_unit_test(test_odds_columns_2019_closing),
        cmocka_unit_test(test_missing_and_bad_prices),
        cmocka_unit_test(test_row_rejects),
        cmocka_unit_test(test_row_width),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_repeated_column),
        cmocka_unit_test(test_column_order_does_not_matter),
        cmocka_unit_test(test_extra_escaping_and_cap),
        cmocka_unit_test(test_real_files),
        cmocka_unit_test(test_real_games),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
