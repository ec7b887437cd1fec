/* test_load_tennis_data.c — the tennis-data.co.uk loader: date parsing and sport detection
 * (reached by including the .c file), the quirks of both layouts on small CSV snippets written to
 * a temporary folder (BOM, CRLF, quoted deuce exports, NR and N/A ranks, walkovers, retirements,
 * bad prices, rejects), sides that do not give away the winner, and every real file of
 * ../shared/data/tennis-data with counts verified independently (a Python csv reading). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/load_tennis_data.c"

#include "../support/loader_fixture.h"

static const struct aps_odds_rec *find_odds(const struct aps_batch *b, size_t gi, const char *book,
                                            enum aps_selection s)
{
    for (size_t i = 0; i < b->nodds; i++)
        if (b->odds[i].game == gi && !strcmp(b->odds[i].book, book) && b->odds[i].sel == s)
            return &b->odds[i];
    return NULL;
}

static int load(const char *path, struct aps_batch *b, char *err, size_t cap)
{
    memset(b, 0, sizeof *b);
    err[0] = '\0';
    return aps_load_tennis_data(path, b, err, cap);
}

static void test_parse_td_date(void **state)
{
    int y, m, d;
    assert_int_equal(parse_td_date("2010-01-04", &y, &m, &d), 0);
    assert_true(y == 2010 && m == 1 && d == 4);
    assert_int_equal(parse_td_date("04/01/2010", &y, &m, &d), 0);
    assert_true(y == 2010 && m == 1 && d == 4);
    assert_int_equal(parse_td_date("4/1/2010", &y, &m, &d), 0);
    assert_true(y == 2010 && m == 1 && d == 4);
    assert_int_equal(parse_td_date("2010-13-01", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_td_date("2010-01-04x", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_td_date("2010/01/04", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_td_date("04/01/10", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_td_date("40179", &y, &m, &d), APS_E_PARSE);
    assert_int_equal(parse_td_date("", &y, &m, &d), APS_E_PARSE);
}

static void test_path_says_wta(void **state)
{
    assert_true(path_says_wta("/data/deuce-grand-slams/wta_odds.csv"));
    assert_true(path_says_wta("WTA2019.csv"));
    assert_false(path_says_wta("/data/wta/atp_odds.csv"));
    assert_false(path_says_wta("/data/atp/2010.csv"));
    assert_false(path_says_wta("wt"));
}

#define ATP_HEADER                                                                               \
    "ATP,Location,Tournament,Date,Series,Court,Surface,Round,Best of,Winner,Loser,WRank,LRank,"  \
    "WPts,LPts,W1,L1,W2,L2,W3,L3,W4,L4,W5,L5,Wsets,Lsets,Comment,B365W,B365L,EXW,EXL,PSW,PSL,"   \
    "MaxW,MaxL,AvgW,AvgL"

static void test_atp_layout(void **state)
{
    const char *path = write_file("2010.csv",
        "\xEF\xBB\xBF" ATP_HEADER "\r\n"
        "1,Brisbane,Brisbane International,2010-01-04,ATP250,Outdoor,Hard,1st Round,3,Gasquet R.,"
        "Nieminen J.,52,88,850,568,6,3,4,6,6,4,,,,,2,1,Completed,1.44,2.62,1.48,2.53,1.526,2.74,,,,\r\n"
        "1,Brisbane,Brisbane International,2010-01-04,ATP250,Outdoor,Hard,1st Round,3,Odesnik W.,"
        "Clement A.,105,NR,521,N/A,6,4,7,6,,,,,,,2,0,Completed,2.25,1.57,1,1.65,,,2.3,1.7,,\r\n"
        "2,Chennai,Chennai Open,05/01/2010,ATP250,Outdoor,Hard,2nd Round,3,Berdych T.,"
        "Zverev A.,20,30,1000,900,,,,,,,,,,,,,Walkover,1.3,3.5,,,,,,,,\r\n"
        "2,Chennai,Chennai Open,2010-01-06,ATP250,Outdoor,Hard,Quarterfinals,3,Youzhny M.,"
        "Bolelli S.,9,50,3000,700,4,6,3,1,,,,,,,1,1,Retired,1.2,4.5,,,,,,,,\r\n"
        ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_string_equal(b.source, "tennis-data");
    assert_int_equal(b.ngames, 4);
    assert_int_equal(b.rows, 4);
    /* The one bad price: Expekt's 1 for Odesnik. */
    assert_int_equal(aps_batch_rejected(&b), 1);
    assert_int_equal(reject_count(&b, "bad price"), 1);

    /* Gasquet sorts before Nieminen: the winner is home. */
    const struct aps_game_rec *g = &b.games[0];
    assert_int_equal(g->sport, APS_SPORT_ATP);
    assert_string_equal(g->season, "2010");
    assert_string_equal(g->date, "2010-01-04");
    assert_int_equal(g->start_time, aps_time_from_civil(2010, 1, 4, 0, 0, 0));
    assert_false(g->time_known);
    assert_true(g->neutral);
    assert_string_equal(g->home, "Gasquet R.");
    assert_string_equal(g->away, "Nieminen J.");
    assert_int_equal(g->home_score, 2);
    assert_int_equal(g->away_score, 1);
    assert_int_equal(g->status, APS_GS_FINAL);
    assert_string_equal(g->extra,
        "{\"winner\":\"home\",\"best_of\":3,\"surface\":\"Hard\",\"court\":\"Outdoor\","
        "\"round\":\"1st Round\",\"rank_home\":52,\"rank_away\":88,\"pts_home\":850,"
        "\"pts_away\":568,\"series\":\"ATP250\",\"tournament\":\"Brisbane International\","
        "\"location\":\"Brisbane\"}");
    const struct aps_odds_rec *o = find_odds(&b, 0, "bet365", APS_SEL_HOME);
    assert_true(o && o->price == 1.44 && o->market == APS_MKT_MONEYLINE &&
                o->phase == APS_PHASE_PRE && isnan(o->line));
    o = find_odds(&b, 0, "pinnacle", APS_SEL_AWAY);
    assert_true(o && o->price == 2.74);
    assert_null(find_odds(&b, 0, "max", APS_SEL_HOME));

    /* Clement sorts before Odesnik: the loser is home, and the prices follow the players. */
    g = &b.games[1];
    assert_string_equal(g->home, "Clement A.");
    assert_string_equal(g->away, "Odesnik W.");
    assert_int_equal(g->home_score, 0);
    assert_int_equal(g->away_score, 2);
    o = find_odds(&b, 1, "bet365", APS_SEL_AWAY);
    assert_true(o && o->price == 2.25);
    o = find_odds(&b, 1, "bet365", APS_SEL_HOME);
    assert_true(o && o->price == 1.57);
    o = find_odds(&b, 1, "max", APS_SEL_HOME);
    assert_true(o && o->price == 1.7);
    assert_null(find_odds(&b, 1, "expekt", APS_SEL_AWAY));
    assert_non_null(strstr(g->extra, "\"winner\":\"away\""));
    assert_non_null(strstr(g->extra, "\"rank_home\":null,\"rank_away\":105"));
    assert_non_null(strstr(g->extra, "\"pts_home\":null,\"pts_away\":521"));

    /* Walkover: void, no scores; dd/mm/yyyy date. */
    g = &b.games[2];
    assert_int_equal(g->status, APS_GS_CANCELLED);
    assert_int_equal(g->home_score, -1);
    assert_int_equal(g->away_score, -1);
    assert_string_equal(g->date, "2010-01-05");
    assert_non_null(strstr(g->extra, "\"comment\":\"Walkover\""));

    /* Retired at one set all: final with the sets as played, and who advanced. */
    g = &b.games[3];
    assert_string_equal(g->home, "Bolelli S.");
    assert_int_equal(g->status, APS_GS_FINAL);
    assert_int_equal(g->home_score, 1);
    assert_int_equal(g->away_score, 1);
    assert_non_null(strstr(g->extra, "\"winner\":\"away\",\"comment\":\"Retired\""));
    aps_batch_cleanup(&b);
}

static void test_deuce_layout_wta(void **state)
{
    const char *head =
        "\"WTA\",\"Location\",\"Tournament\",\"Date\",\"Tier\",\"Court\",\"Surface\",\"Round\","
        "\"Best.of\",\"Winner\",\"Loser\",\"WRank\",\"LRank\",\"WPts\",\"LPts\",\"Wsets\",\"Lsets\","
        "\"Comment\",\"B365W\",\"B365L\",\"PSW\",\"PSL\",\"B.WW\",\"B.WL\",\"id\"\n";
    const char *row =
        "5,\"Melbourne\",\"Australian Open\",\"2023-01-16\",\"Grand Slam\",\"Outdoor\",\"Hard\","
        "\"1st Round\",3,\"Shnaider D.\",\"Kucova K.\",\"106\",\"N/A\",\"593\",\"227.5\",2,0,"
        "\"Completed\",1.25,4,,,1.3,3.8,\"Melbourne-2023-01-16-Shnaider D.-Kucova K.\"\n";
    char csv[1024];
    snprintf(csv, sizeof csv, "%s%s", head, row);
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(write_file("slams.csv", csv), &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 1);
    const struct aps_game_rec *g = &b.games[0];
    assert_int_equal(g->sport, APS_SPORT_WTA);
    assert_string_equal(g->season, "2023");
    assert_string_equal(g->home, "Kucova K.");
    assert_string_equal(g->away, "Shnaider D.");
    assert_int_equal(g->home_score, 0);
    assert_int_equal(g->away_score, 2);
    assert_non_null(strstr(g->extra, "\"best_of\":3"));
    assert_non_null(strstr(g->extra, "\"rank_home\":null,\"rank_away\":106"));
    assert_non_null(strstr(g->extra, "\"pts_home\":227.5,\"pts_away\":593"));
    assert_non_null(strstr(g->extra, "\"series\":\"Grand Slam\""));
    assert_null(strstr(g->extra, "comment"));
    assert_int_equal(b.nodds, 4);
    const struct aps_odds_rec *o = find_odds(&b, 0, "bwin", APS_SEL_HOME);
    assert_true(o && o->price == 3.8);
    o = find_odds(&b, 0, "bet365", APS_SEL_AWAY);
    assert_true(o && o->price == 1.25);
    aps_batch_cleanup(&b);

    /* Tier without a WTA column is still WTA; a Series file named wta_… is WTA by its name. */
    assert_int_equal(load(write_file("tier.csv",
        "Date,Tier,Winner,Loser\n2020-01-01,Premier,A B.,C D.\n"), &b, err, sizeof err), 0);
    assert_int_equal(b.games[0].sport, APS_SPORT_WTA);
    aps_batch_cleanup(&b);
    assert_int_equal(load(write_file("wta_2020.csv",
        "Date,Series,Winner,Loser\n2020-01-01,Premier,A B.,C D.\n"), &b, err, sizeof err), 0);
    assert_int_equal(b.games[0].sport, APS_SPORT_WTA);
    /* No Comment and no set counts: nothing says it was played. */
    assert_int_equal(b.games[0].status, APS_GS_SCHEDULED);
    aps_batch_cleanup(&b);
    assert_int_equal(load(write_file("2020.csv",
        "Date,Series,Winner,Loser\n2020-01-01,ATP250,A B.,C D.\n"), &b, err, sizeof err), 0);
    assert_int_equal(b.games[0].sport, APS_SPORT_ATP);
    aps_batch_cleanup(&b);
}

static void test_row_rejects(void **state)
{
    const char *path = write_file("rejects.csv",
        "Date,Winner,Loser,Wsets,Lsets,Comment,PSW,PSL\r"
        "2010-02-30,A B.,C D.,2,0,Completed,1.5,2.5\r"
        ",A B.,C D.,2,0,Completed,1.5,2.5\r"
        "2010-02-03,,C D.,2,0,Completed,1.5,2.5\r"
        "2010-02-03,A B.,,2,0,Completed,1.5,2.5\r"
        "2010-02-03,A B.,A B.,2,0,Completed,1.5,2.5\r"
        ",,,,,,,\r"
        "2010-02-03,C D.,A B.,2,1,Completed,1.5,abc\r");
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 1);
    assert_int_equal(b.rows, 6);
    assert_int_equal(reject_count(&b, "bad date"), 2);
    assert_int_equal(reject_count(&b, "missing player"), 2);
    assert_int_equal(reject_count(&b, "same player"), 1);
    assert_int_equal(reject_count(&b, "bad price"), 1);
    assert_int_equal(aps_batch_rejected(&b), 6);
    assert_int_equal(b.nodds, 1);
    assert_int_equal(b.odds[0].game, 0);
    assert_int_equal(b.odds[0].sel, APS_SEL_AWAY); /* C D. won and sorts second */
    assert_int_equal(b.games[0].line, 8);
    aps_batch_cleanup(&b);
}

static void test_extra_cap_and_escaping(void **state)
{
    char name[400], csv[1024];
    memset(name, 'T', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(csv, sizeof csv,
             "Date,Tournament,Location,Surface,Winner,Loser,Wsets,Lsets,Comment\n"
             "2010-02-03,%s,\"Paris \"\"Bercy\"\"\",Hard,A B.,C D.,2,0,Completed\n"
             "2010-02-03,%s,%s,Hard,A B.,C D.,2,0,Completed\n",
             "Open", name, name);
    struct aps_batch b;
    char err[256];
    assert_int_equal(load(write_file("extra.csv", csv), &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 2);
    assert_string_equal(b.games[0].extra, "{\"winner\":\"home\",\"surface\":\"Hard\","
                                          "\"tournament\":\"Open\",\"location\":\"Paris \\\"Bercy\\\"\"}");
    /* The second long name no longer fits: location is dropped, the rest stays valid. */
    assert_true(strlen(b.games[1].extra) < APS_EXTRA_MAX);
    assert_non_null(strstr(b.games[1].extra, "\"tournament\":\"TTT"));
    assert_null(strstr(b.games[1].extra, "location"));
    assert_int_equal(b.games[1].extra[strlen(b.games[1].extra) - 1], '}');
    aps_batch_cleanup(&b);
}

static void test_file_errors(void **state)
{
    struct aps_batch b;
    char err[256];
    const char *path = write_file("nowinner.csv", "Date,Player1,Player2\n2010-01-01,A,B\n");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "nowinner.csv"));
    assert_non_null(strstr(err, "Winner"));
    aps_batch_cleanup(&b);
    assert_int_equal(load("/nonexistent/2010.csv", &b, err, sizeof err), APS_E_IO);
    aps_batch_cleanup(&b);
    path = write_file("empty.csv", "");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    aps_batch_cleanup(&b);
    /* A column it reads named twice: which one holds the prices is not known. */
    path = write_file("twice.csv", "Date,Winner,Loser,B365W,B365L,B365W\n"
                                   "2010-01-04,A,B,1.5,2.5,9.99\n");
    assert_int_equal(load(path, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "twice.csv:1: column B365W appears twice in the header "
                                "(columns 4 and 6)"));
    aps_batch_cleanup(&b);
}

/* --- the real files --------------------------------------------------------------------------- */

struct expect {
    const char *file;
    size_t games, odds, bad_prices, winner_home, walkovers;
};

/* Counted independently with Python's csv module: rows with a YYYY-MM-DD date and two different
 * names; non-empty cells of the <book>W/<book>L columns; cells not a number in (1, 1001] are bad
 * prices; winner_home: rows where the winner's name sorts first (byte order); Walkover rows. */
static const struct expect td_files[] = {
    {"atp/2010.csv", 2679, 33294, 10, 1326, 16},
    {"atp/2011.csv", 2675, 37129, 14, 1354, 14},
    {"atp/2012.csv", 2607, 36161, 36, 1340, 16},
    {"atp/2013.csv", 2631, 36603, 11, 1340, 17},
    {"atp/2015.csv", 2630, 31469, 16, 1312, 9},
    {"atp/2016.csv", 2626, 31411, 24, 1262, 17},
    {"atp/2017.csv", 2633, 30975, 7, 1353, 14},
    {"atp/2018.csv", 610, 7156, 0, 306, 2},
    {"deuce-grand-slams/atp_odds.csv", 11684, 116454, 152, 5946, 35},
    {"deuce-grand-slams/wta_odds.csv", 8128, 90509, 16, 3868, 19},
};

static void test_real_files(void **state)
{
    size_t games = 0, odds = 0;
    double t0 = aps_time_mono();
    for (size_t i = 0; i < sizeof td_files / sizeof td_files[0]; i++) {
        const struct expect *e = &td_files[i];
        char path[512], err[256];
        struct aps_batch b;
        snprintf(path, sizeof path, "%s/tennis-data/%s", APS_DATA_DIR_DEFAULT, e->file);
        int rc = load(path, &b, err, sizeof err);
        if (rc)
            fail_msg("%s: %s", e->file, err);
        size_t home_won = 0, cancelled = 0;
        for (size_t k = 0; k < b.ngames; k++) {
            const struct aps_game_rec *g = &b.games[k];
            home_won += strstr(g->extra, "\"winner\":\"home\"") != NULL;
            cancelled += g->status == APS_GS_CANCELLED;
            assert_true(strcmp(g->home, g->away) < 0);
            assert_true(g->neutral);
            assert_int_equal(g->sport, strstr(e->file, "wta") ? APS_SPORT_WTA : APS_SPORT_ATP);
        }
        if (b.ngames != e->games || b.nodds != e->odds || aps_batch_rejected(&b) != e->bad_prices ||
            reject_count(&b, "bad price") != e->bad_prices || home_won != e->winner_home ||
            cancelled != e->walkovers)
            fail_msg("%s: %zu games, %zu odds, %zu rejects, %zu home wins, %zu cancelled", e->file,
                     b.ngames, b.nodds, aps_batch_rejected(&b), home_won, cancelled);
        /* Sides do not leak the result: about half the winners are at home. */
        double share = (double)home_won / (double)b.ngames;
        assert_true(share > 0.45 && share < 0.55);
        games += b.ngames;
        odds += b.nodds;
        aps_batch_cleanup(&b);
    }
    double dt = aps_time_mono() - t0;
    print_message("tennis-data: %zu files, %zu games, %zu odds records in %.3f s\n",
                  sizeof td_files / sizeof td_files[0], games, odds, dt);
    assert_int_equal(games, 38903);
    assert_int_equal(odds, 451161);
}

static void test_real_disqualification(void **state)
{
    /* Queen's Club final 2012: Cilic won when Nalbandian was disqualified, one set down. */
    char path[512], err[256];
    struct aps_batch b;
    snprintf(path, sizeof path, "%s/tennis-data/atp/2012.csv", APS_DATA_DIR_DEFAULT);
    assert_int_equal(load(path, &b, err, sizeof err), 0);
    const struct aps_game_rec *g = NULL;
    for (size_t k = 0; k < b.ngames; k++)
        if (b.games[k].line == 1431)
            g = &b.games[k];
    assert_non_null(g);
    assert_string_equal(g->home, "Cilic M.");
    assert_string_equal(g->away, "Nalbandian D.");
    assert_string_equal(g->date, "2012-06-17");
    assert_int_equal(g->status, APS_GS_FINAL);
    assert_int_equal(g->home_score, 0);
    assert_int_equal(g->away_score, 1);
    assert_non_null(strstr(g->extra, "\"winner\":\"home\",\"comment\":\"Disqualified\""));
    aps_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_td_date),
        cmocka_unit_test(test_path_says_wta),
        cmocka_unit_test(test_atp_layout),
        cmocka_unit_test(test_deuce_layout_wta),
        cmocka_unit_test(test_row_rejects),
        cmocka_unit_test(test_extra_cap_and_escaping),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_real_files),
        cmocka_unit_test(test_real_disqualification),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
