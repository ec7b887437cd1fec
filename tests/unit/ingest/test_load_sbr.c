/* test_load_sbr.c — the sportsbookreview spreadsheet loader (load_sbr.c) and the American odds
 * helpers (american.c): one small file per quirk of the format, then every real file under
 * ../shared/data/sportsbookreview with counts checked independently (a Python re-reading of the
 * same rules gave the same games, odds and rejects, record for record). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "ingest/american.h"
#include "ingest/ingest.h"
#include "ingest/loaders.h"

#define STD (1.0 + 100.0 / 110.0)

static char tmpdir[64];
static char written[32][512];
static size_t nwritten;
static char made[8][512]; /* folders made under tmpdir, removed after the files */
static size_t nmade;

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/aps_test_sbr_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < nwritten; i++)
        unlink(written[i]);
    nwritten = 0;
    while (nmade)
        rmdir(made[--nmade]);
    return rmdir(tmpdir);
}

/* Makes the folder tmpdir/name (once). */
static void make_folder(const char *name)
{
    assert_true(nmade < 8);
    char *p = made[nmade];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    if (mkdir(p, 0700) == 0)
        nmade++;
    else
        assert_int_equal(errno, EEXIST);
}

/* Writes text to tmpdir/name and returns the path (static storage, one per name). */
static const char *write_file(const char *name, const char *text)
{
    assert_true(nwritten < 32);
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
                                       enum aps_selection s, enum aps_phase ph)
{
    for (size_t i = 0; i < b->nodds; i++) {
        const struct aps_odds_rec *o = &b->odds[i];
        if (o->game == gi && o->market == m && o->sel == s && o->phase == ph)
            return o;
    }
    return NULL;
}

static size_t odds_of_game(const struct aps_batch *b, size_t gi)
{
    size_t n = 0;
    for (size_t i = 0; i < b->nodds; i++)
        n += b->odds[i].game == gi;
    return n;
}

static int load(const char *path, int sport, struct aps_batch *b)
{
    char err[512] = "";
    memset(b, 0, sizeof *b);
    int rc = aps_load_sbr(path, sport, b, err, sizeof err);
    if (rc)
        print_message("load: %s\n", err);
    return rc;
}

/* ---- american.c ---- */

static void test_american(void **state)
{
    (void)state;
    double p;
    assert_int_equal(aps_american_price("-110", &p), 0);
    assert_float_equal(p, STD, 1e-12);
    assert_int_equal(aps_american_price(" +150 ", &p), 0);
    assert_float_equal(p, 2.5, 1e-12);
    assert_int_equal(aps_american_price("100", &p), 0);
    assert_float_equal(p, 2.0, 1e-12);
    assert_int_equal(aps_american_price("-100", &p), 0);
    assert_float_equal(p, 2.0, 1e-12);
    assert_int_equal(aps_american_price("10000", &p), 0);
    assert_float_equal(p, 101.0, 1e-12);
    assert_int_equal(aps_american_price("-30000", &p), APS_E_RANGE);
    assert_true(isnan(p));
    assert_int_equal(aps_american_price("-99", &p), APS_E_RANGE);
    assert_int_equal(aps_american_price("9.5", &p), APS_E_RANGE);
    assert_int_equal(aps_american_price("a100", &p), APS_E_PARSE);
    assert_int_equal(aps_american_price("NL", &p), 0);
    assert_true(isnan(p));
    assert_int_equal(aps_american_price("", &p), 0);
    assert_true(isnan(p));
    assert_int_equal(aps_american_price(" - ", &p), 0);
    assert_true(isnan(p));

    double l;
    assert_int_equal(aps_american_line("pk", &l), 0);
    assert_true(l == 0.0);
    assert_int_equal(aps_american_line("PK", &l), 0);
    assert_true(l == 0.0);
    assert_int_equal(aps_american_line("-1.5", &l), 0);
    assert_float_equal(l, -1.5, 1e-12);
    assert_int_equal(aps_american_line("nl", &l), 0);
    assert_true(isnan(l));
    assert_int_equal(aps_american_line("pick", &l), APS_E_PARSE);
    assert_true(aps_american_missing(NULL));
    assert_false(aps_american_missing("0"));
    assert_true(isnan(aps_american_to_decimal(20001)));
    assert_float_equal(aps_american_to_decimal(-20000), 1.005, 1e-12);
    /* Lines off the quarter-point grid are typing errors; a fused "2.5115" is 2.5 at -115. */
    assert_int_equal(aps_american_line("36.6", &l), APS_E_RANGE);
    assert_true(isnan(l));
    assert_int_equal(aps_american_line("2.5115", &l), APS_E_RANGE);
    assert_int_equal(aps_american_line("-0.75", &l), 0);
    assert_float_equal(l, -0.75, 1e-12);
    assert_int_equal(aps_american_fused("2.5115", &l, &p), 0);
    assert_float_equal(l, 2.5, 1e-12);
    assert_float_equal(p, 1.0 + 100.0 / 115.0, 1e-12);
    assert_int_equal(aps_american_fused(" 8.5105 ", &l, &p), 0);
    assert_float_equal(l, 8.5, 1e-12);
    assert_float_equal(p, 1.0 + 100.0 / 105.0, 1e-12);
    assert_int_equal(aps_american_fused("36.6", &l, &p), APS_E_PARSE);
    assert_true(isnan(l) && isnan(p));
    assert_int_equal(aps_american_fused("2.5", &l, &p), APS_E_PARSE);
    assert_int_equal(aps_american_fused("2.51150", &l, &p), APS_E_PARSE);
    assert_int_equal(aps_american_fused("2.5095", &l, &p), APS_E_PARSE);
    assert_int_equal(aps_american_fused("2.2115", &l, &p), APS_E_PARSE);
}

/* A basketball Open/Close cell off the quarter-point grid: SBR's fused "2.5115" is the spread 2.5
 * with the favourite's price -115 (the other side at the conventional -110); any other value off
 * the grid ("3.7") is a "bad line" and stores nothing, so no spread grading cannot settle. */
static void test_basketball_fused_and_off_grid(void **state)
{
    (void)state;
    const char *p = write_file("nba odds 2018-19.csv",
                               "Date,Rot,VH,Team,1st,2nd,3rd,4th,Final,Open,Close,ML,2H\n"
                               "1130,721,V,Denver,38,30,23,22,113,214.5,214.5,105,106.5\n"
                               "1130,722,H,Portland,26,27,32,27,112,2.5115,1.5,-125,5\n"
                               "1130,723,V,Dallas,20,20,20,20,80,3.7,200,105,100\n"
                               "1130,724,H,Utah,20,20,20,21,81,201.5,3.5,-125,4\n");
    static const struct {
        size_t game;
        enum aps_market m;
        enum aps_selection sel;
        enum aps_phase ph;
        double line, price;
    } want[] = {
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN, -2.5, 1.0 + 100.0 / 115.0},
        {0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_OPEN, 2.5, STD},
        {0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE, -1.5, STD},
        {0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_OPEN, 214.5, STD},
        {1, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_OPEN, 201.5, STD},
    };
    struct aps_batch b;
    assert_int_equal(load(p, -1, &b), 0);
    assert_int_equal(b.ngames, 2);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct aps_odds_rec *o = odds(&b, want[i].game, want[i].m, want[i].sel, want[i].ph);
        assert_non_null(o);
        assert_float_equal(o->line, want[i].line, 1e-12);
        assert_float_equal(o->price, want[i].price, 1e-12);
    }
    /* Dallas - Utah: the open spread "3.7" is dropped, the open total kept. */
    assert_null(odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN));
    assert_int_equal(reason(&b, "bad line"), 1);
    aps_batch_cleanup(&b);
}

/* ---- NBA / NCAAB layout ---- */

/* BOM, CRLF, the owner's Month/Day/Year columns, spread on either row, pk, ML. */
static void test_nba_bom_crlf(void **state)
{
    (void)state;
    const char *p = write_file(
        "nba odds 2014-15.csv",
        "\xEF\xBB\xBF"
        "Date,Rot,VH,Team,1st,2nd,3rd,4th,Final,Open,Close,ML,2H,Month,Day,Year\r\n"
        "1028,501,V,Dallas ,24,29,20,27,100,206.5,203.5,140,102,10,28,2014\r\n"
        "1028,502,H, SanAntonio,26,19,31,25,101,6,3.5,-165,4,10,28,2014\r\n"
        "1231,503,V,Houston,25,16,23,20,84,pk,197,-115,94.5,12,31,2014\r\n"
        "1231,504,H,Utah,20,20,20,30,90,196,PK,-105,3,12,31,2014\r\n"
        "101,505,V,Boston,25,16,23,20,84,196,191,380,94.5,1,1,2015\r\n"
        "101,506,H,Miami,20,20,20,30,90,6,5,-450,3,1,1,2015\r\n");
    struct aps_batch b;
    assert_int_equal(load(p, -1, &b), 0);
    assert_string_equal(b.source, "sbr");
    assert_int_equal(b.rows, 6);
    assert_int_equal(b.ngames, 3);
    assert_int_equal(aps_batch_rejected(&b), 0);
    const struct aps_game_rec *g = &b.games[0];
    assert_int_equal(g->sport, APS_SPORT_NBA);
    assert_string_equal(g->season, "2014-15");
    assert_string_equal(g->date, "2014-10-28");
    assert_false(g->time_known);
    assert_true(g->start_time == aps_time_from_civil(2014, 10, 28, 0, 0, 0));
    assert_string_equal(g->home, "SanAntonio");
    assert_string_equal(g->away, "Dallas");
    assert_int_equal(g->home_score, 101);
    assert_int_equal(g->away_score, 100);
    assert_int_equal(g->status, APS_GS_FINAL);
    assert_false(g->neutral);
    assert_string_equal(g->extra, "{\"periods_home\":[26,19,31,25],\"periods_away\":[24,29,20,27]}");
    /* Home favourite by 6 at the open, 3.5 at the close; totals 206.5 / 203.5. */
    const struct aps_odds_rec *o = odds(&b, 0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN);
    assert_non_null(o);
    assert_float_equal(o->line, -6.0, 1e-12);
    assert_float_equal(o->price, STD, 1e-12);
    assert_string_equal(o->book, "sbr");
    o = odds(&b, 0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE);
    assert_float_equal(o->line, 3.5, 1e-12);
    o = odds(&b, 0, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE);
    assert_float_equal(o->line, 203.5, 1e-12);
    o = odds(&b, 0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE);
    assert_float_equal(o->price, 1.0 + 100.0 / 165.0, 1e-12);
    assert_true(isnan(o->line));
    assert_float_equal(odds(&b, 0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE)->price, 2.4,
                       1e-12);
    assert_int_equal(odds_of_game(&b, 0), 10);
    /* pk on the away row at the open, PK on the home row at the close: a line of 0, never -0. */
    assert_string_equal(b.games[1].date, "2014-12-31");
    o = odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN);
    assert_non_null(o);
    assert_true(o->line == 0.0 && !signbit(o->line));
    assert_float_equal(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_OPEN)->line, 196, 1e-12);
    o = odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE);
    assert_true(o->line == 0.0 && !signbit(o->line));
    o = odds(&b, 1, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE);
    assert_true(o->line == 0.0 && !signbit(o->line));
    assert_float_equal(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE)->line, 197, 1e-12);
    /* The year moves on at December → January. */
    assert_string_equal(b.games[2].date, "2015-01-01");
    aps_batch_cleanup(&b);
}

/* NCAAB: neutral N rows, NL, extreme moneylines, bare CR line endings, a value typed wrong. */
static void test_ncaab_neutral_nl_cr(void **state)
{
    (void)state;
    const char *p = write_file(
        "ncaa-basketball-2009-10.csv",
        "Date,Rot,VH,Team,1st,2nd,Final,Open,Close,ML,2H\r"
        "1109,711,V,FloridaIntl,30,42,72,146,150.5,10000,79\r"
        "1109,712,H,NorthCarolina,46,42,88,30,30.5,-30000,14.5\r"
        "1110,713,N,Maine,23,19,42,NL,127.5,NL,65.5\r"
        "1110,714,N,Richmond,23,21,44,8.5,5.5,-240,3.5\r"
        "1111,715,V,Furman,30,30,60,NL,37,600,NL\r"
        "1111,716,H,Elon,30,30,61,7,7.5,-800,NL\r");
    struct aps_batch b;
    assert_int_equal(load(p, -1, &b), 0);
    assert_int_equal(b.ngames, 3);
    assert_string_equal(b.games[0].season, "2009-10");
    assert_int_equal(b.games[0].sport, APS_SPORT_NCAAB);
    /* +10000 is kept (decimal 101); -30000 is past APS_AMERICAN_MAX. */
    assert_float_equal(odds(&b, 0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE)->price, 101.0,
                       1e-9);
    assert_null(odds(&b, 0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE));
    assert_float_equal(odds(&b, 0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE)->line, -30.5,
                       1e-12);
    assert_true(b.games[1].neutral);
    assert_string_equal(b.games[1].away, "Maine");
    assert_string_equal(b.games[1].home, "Richmond");
    /* Open: NL on the first row, a spread on the second: the spread alone is kept. */
    assert_float_equal(odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN)->line, -8.5, 1e-12);
    assert_null(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_OPEN));
    assert_null(odds(&b, 1, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE));
    /* Close "37" against "7.5": two spreads by size, dropped as one bad line. */
    assert_null(odds(&b, 2, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE));
    assert_float_equal(odds(&b, 2, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN)->line, -7, 1e-12);
    assert_int_equal(reason(&b, "bad price"), 1);
    assert_int_equal(reason(&b, "bad line"), 1);
    assert_int_equal(aps_batch_rejected(&b), 2);
    aps_batch_cleanup(&b);
}

/* Totals out of the sport's range are dropped, the game kept. */
static void test_basketball_ranges(void **state)
{
    (void)state;
    const char *p = write_file("ncaab-2010-11.csv",
                               "Date,Rot,VH,Team,1st,2nd,Final,Open,Close,ML,2H\n"
                               "107,517,V,TheCitadel,30,30,60,63.5,137,2000,72\n"
                               "107,518,H,NCGreensboro,30,30,61,20,21,-4000,7\n"
                               "107,519,V,MurrayState,30,30,60,1414,142,105,77.5\n"
                               "107,520,H,AustinPeay,30,30,61,-1.5,1.5,-125,pk\n");
    struct aps_batch b;
    assert_int_equal(load(p, APS_SPORT_NCAAB, &b), 0);
    assert_int_equal(b.ngames, 2);
    assert_null(odds(&b, 0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_OPEN));
    assert_float_equal(odds(&b, 0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN)->line, -20, 1e-12);
    assert_float_equal(odds(&b, 0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE)->line, 137, 1e-12);
    /* 1414 is out of range; -1.5 has a sign SBR never writes. */
    assert_null(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_OPEN));
    assert_null(odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN));
    assert_float_equal(odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE)->line, -1.5,
                       1e-12);
    assert_int_equal(reason(&b, "bad line"), 3);
    aps_batch_cleanup(&b);
}

/* ---- NHL / MLB layout ---- */

/* The 2020-21 season started in January 2021; the file is named after its end year. */
static void test_nhl_january_start(void **state)
{
    (void)state;
    const char *p = write_file(
        "nhl odds 2021.csv",
        "Date,Rot,VH,Team,1st,2nd,3rd,Final,Open,Close,PuckLine,,OpenOU,,CloseOU,\n"
        "113,41,V,Pittsburgh,1,1,1,3,-110,-115,1.5,-310,6,-110,6,105\n"
        "113,42,H,Philadelphia,2,1,3,6,100,-105,-1.5,260,6,-110,6,-125\n"
        "707,43,V,Montreal,0,0,0,0,132,120,1.5,-220,6,-110,5.5,a100\n"
        "707,44,H,TampaBay,0,1,0,1,-150,-140,-1.5,180,6,-110,5.5,-110\n");
    struct aps_batch b;
    assert_int_equal(load(p, -1, &b), 0);
    assert_int_equal(b.ngames, 2);
    assert_int_equal(b.games[0].sport, APS_SPORT_NHL);
    assert_string_equal(b.games[0].season, "2020-21");
    assert_string_equal(b.games[0].date, "2021-01-13");
    assert_string_equal(b.games[1].date, "2021-07-07");
    const struct aps_odds_rec *o = odds(&b, 0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_OPEN);
    assert_float_equal(o->price, 1.0 + 100.0 / 110.0, 1e-12);
    assert_float_equal(odds(&b, 0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_OPEN)->price, 2.0,
                       1e-12);
    o = odds(&b, 0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE);
    assert_float_equal(o->line, 1.5, 1e-12);
    assert_float_equal(o->price, 1.0 + 100.0 / 310.0, 1e-12);
    o = odds(&b, 0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE);
    assert_float_equal(o->line, -1.5, 1e-12);
    assert_float_equal(o->price, 3.6, 1e-12);
    /* The first row's total price is the over, the second row's the under. */
    assert_float_equal(odds(&b, 0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE)->price, 2.05, 1e-12);
    assert_float_equal(odds(&b, 0, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE)->price, 1.8, 1e-12);
    assert_float_equal(odds(&b, 0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_OPEN)->line, 6, 1e-12);
    assert_int_equal(odds_of_game(&b, 0), 10);
    /* "a100" is a bad price: that one record is dropped. */
    assert_null(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE));
    assert_non_null(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE));
    assert_int_equal(reason(&b, "bad price"), 1);
    aps_batch_cleanup(&b);
}

/* The NHL 2019-20 season ran into August-September 2020 (the bubble, neutral sites). */
static void test_nhl_bubble_year(void **state)
{
    (void)state;
    static const char *const rows[][2] = {
        {"1002", "2019-10-02"}, {"1231", "2019-12-31"}, {"101", "2020-01-01"},
        {"311", "2020-03-11"},  {"801", "2020-08-01"},  {"928", "2020-09-28"},
    };
    char text[4096];
    size_t k = (size_t)snprintf(text, sizeof text, "Date,Rot,VH,Team,1st,2nd,3rd,Final,Open,Close,"
                                                   "PuckLine,,OpenOU,,CloseOU,\n");
    for (size_t i = 0; i < 6; i++) {
        const char *vh = i >= 4 ? "N" : "V", *hh = i >= 4 ? "N" : "H";
        k += (size_t)snprintf(text + k, sizeof text - k,
                              "%s,%zu,%s,Dallas,1,1,1,3,245,270,1.5,105,6,-110,6.5,-115\n"
                              "%s,%zu,%s,TampaBay,0,4,1,5,-300,-310,-1.5,-125,6,-110,6.5,-105\n",
                              rows[i][0], 2 * i + 1, vh, rows[i][0], 2 * i + 2, hh);
    }
    const char *p = write_file("nhl odds 2019-20.csv", text);
    struct aps_batch b;
    assert_int_equal(load(p, -1, &b), 0);
    assert_int_equal(b.ngames, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(b.games[i].date, rows[i][1]);
        assert_int_equal(b.games[i].neutral, i >= 4);
    }
    aps_batch_cleanup(&b);
}

static const char mlb_head_spaced[] = "Date,Rot,VH,Team,Pitcher,1st,2nd,3rd,4th,5th,6th,7th,8th,9th,"
                                      "Final,Open,Close,Run Line,,Open OU,,Close OU,\n";
static const char mlb_head_tight[] = "Date,Rot,VH,Team,Pitcher,1st,2nd,3rd,4th,5th,6th,7th,8th,9th,"
                                     "Final,Open,Close,RunLine,,OpenOU,,CloseOU,\r\n";
static const char mlb_rows[] =
    "322,993,V,LOS,CKERSHAW-L,0,1,0,2,0,0,0,0,0,3,-170,-170,-1.5,-104,6.5,-110,6.5,-120\n"
    "322,994,H,ARI,WMILEY-L,0,0,0,0,0,1,0,0,x,1,150,150,1.5,-116,6.5,-110,6.5,100\n"
    "322,995,V,LOS,HRYU-L,1,0,2,0,2,1,1,0,0,7,-120,-119,-1.5,140,7.5,-120,7.5,-115\n"
    "322,996,H,ARI,TCAHILL-R,0,0,0,0,0,0,-,x,x,5,110,109,1.5,-160,7.5,100,7.5,-105\n";

/* "Run Line"/"RunLine" headers, x innings, pitchers, a doubleheader. */
static void test_mlb_headers_doubleheader(void **state)
{
    (void)state;
    char a[2048], c[2048];
    snprintf(a, sizeof a, "%s%s", mlb_head_spaced, mlb_rows);
    snprintf(c, sizeof c, "%s%s", mlb_head_tight, mlb_rows);
    struct aps_batch b1, b2;
    assert_int_equal(load(write_file("mlb_odds_2014.csv", a), -1, &b1), 0);
    assert_int_equal(load(write_file("mlb_odds_2020.csv", c), -1, &b2), 0);
    assert_int_equal(b1.ngames, 2);
    assert_int_equal(b2.ngames, 2);
    assert_int_equal(b1.nodds, 20);
    assert_int_equal(b2.nodds, 20);
    for (size_t i = 0; i < b1.nodds; i++) {
        assert_int_equal(b1.odds[i].market, b2.odds[i].market);
        assert_int_equal(b1.odds[i].sel, b2.odds[i].sel);
        assert_true(b1.odds[i].price == b2.odds[i].price);
    }
    assert_string_equal(b1.games[0].season, "2014");
    assert_string_equal(b2.games[0].season, "2020");
    assert_string_equal(b1.games[0].date, "2014-03-22");
    assert_int_equal(b1.games[0].game_no, 1);
    assert_int_equal(b1.games[1].game_no, 2);
    assert_string_equal(b1.games[0].extra,
                        "{\"pitcher_home\":\"WMILEY-L\",\"pitcher_away\":\"CKERSHAW-L\","
                        "\"periods_home\":[0,0,0,0,0,1,0,0,null],"
                        "\"periods_away\":[0,1,0,2,0,0,0,0,0]}");
    assert_non_null(strstr(b1.games[1].extra, "\"periods_home\":[0,0,0,0,0,0,null,null,null]"));
    const struct aps_odds_rec *o = odds(&b1, 0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE);
    assert_float_equal(o->line, -1.5, 1e-12);
    assert_float_equal(o->price, 1.0 + 100.0 / 104.0, 1e-12);
    assert_float_equal(odds(&b1, 0, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_CLOSE)->price, 2.0,
                       1e-12);
    assert_float_equal(odds(&b1, 0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_OPEN)->price, 2.5,
                       1e-12);
    aps_batch_cleanup(&b1);
    aps_batch_cleanup(&b2);
}

/* Rows that do not pair: two V rows, an H alone, rotation numbers that do not follow, a V at
 * the end. Each stray row counts once and the next V starts afresh. */
static void test_unpaired_rows(void **state)
{
    (void)state;
    const char *p = write_file("nba odds 2016-17.csv",
                               "Date,Rot,VH,Team,1st,2nd,3rd,4th,Final,Open,Close,ML,2H\n"
                               "1025,501,V,NewYork,1,1,1,1,88,205.5,206,355,103.5\n"
                               "1025,503,V,Utah,1,1,1,1,104,194,192,195,99.5\n"
                               "1025,504,H,Portland,1,1,1,1,113,2,2.5,-135,1\n"
                               "1025,506,H,Denver,1,1,1,1,113,2,2.5,-135,1\n"
                               "\n"
                               "1026,507,V,Boston,1,1,1,1,100,205,205,150,100\n"
                               "1026,510,H,Miami,1,1,1,1,101,3,3,-170,2\n"
                               "1026,511,V,Dallas,1,1,1,1,100,205,205,150,100\n"
                               "1026,512,N,Houston,1,1,1,1,101,3,3,-170,2\n"
                               "1026,513,V,Chicago,1,1,1,1,100,205,205,150,100\n");
    struct aps_batch b;
    assert_int_equal(load(p, -1, &b), 0);
    assert_int_equal(b.rows, 9);
    assert_int_equal(b.ngames, 1);
    assert_string_equal(b.games[0].home, "Portland");
    assert_string_equal(b.games[0].away, "Utah");
    /* NewYork, Denver, Boston, Miami, Dallas, Houston, Chicago. */
    assert_int_equal(reason(&b, "unpaired row"), 7);
    assert_int_equal(aps_batch_rejected(&b), 7);
    /* The first of them, NewYork's, is the file's line 2: the operator can find it. */
    assert_string_equal(b.rejects[0].reason, "unpaired row");
    assert_int_equal(b.rejects[0].line, 2);
    aps_batch_cleanup(&b);
}

/* Whole games rejected: a bad date, no team, the same team twice, a bad and a missing score,
 * Month/Day columns that disagree with MMDD. */
static void test_rejected_games(void **state)
{
    (void)state;
    const char *p = write_file("nba odds 2017-18.csv",
                               "Date,Rot,VH,Team,1st,2nd,3rd,4th,Final,Open,Close,ML,2H,Month,Day,Year\n"
                               "1332,501,V,A,1,1,1,1,88,205.5,206,355,103.5,13,32,2017\n"
                               "1332,502,H,B,1,1,1,1,88,3,2,-355,3,13,32,2017\n"
                               "1101,503,V, ,1,1,1,1,88,205.5,206,355,103.5,11,1,2017\n"
                               "1101,504,H,B,1,1,1,1,88,3,2,-355,3,11,1,2017\n"
                               "1101,505,V,B,1,1,1,1,88,205.5,206,355,103.5,11,1,2017\n"
                               "1101,506,H,B,1,1,1,1,88,3,2,-355,3,11,1,2017\n"
                               "1101,507,V,C,1,1,1,1,88,205.5,206,355,103.5,11,1,2017\n"
                               "1101,508,H,D,1,1,1,1,F,3,2,-355,3,11,1,2017\n"
                               "1101,509,V,E,1,1,1,1,NL,205.5,206,355,103.5,11,1,2017\n"
                               "1101,510,H,F,1,1,1,1,NL,3,2,-355,3,11,1,2017\n"
                               "1102,511,V,G,1,1,1,1,88,205.5,206,355,103.5,11,3,2017\n"
                               "1102,512,H,H,1,1,1,1,89,3,2,-355,3,11,3,2017\n"
                               "0230,513,V,I,1,1,1,1,88,205.5,206,355,103.5,2,30,2018\n"
                               "0230,514,H,J,1,1,1,1,89,3,2,-355,3,2,30,2018\n");
    struct aps_batch b;
    assert_int_equal(load(p, -1, &b), 0);
    assert_int_equal(b.ngames, 0);
    assert_int_equal(b.nodds, 0);
    assert_int_equal(reason(&b, "bad date"), 3);
    assert_int_equal(reason(&b, "missing team"), 1);
    assert_int_equal(reason(&b, "same teams"), 1);
    assert_int_equal(reason(&b, "bad score"), 1);
    assert_int_equal(reason(&b, "no score"), 1);
    aps_batch_cleanup(&b);
}

/* Files that are not this layout at all are errors, with the file named. */
static void test_errors(void **state)
{
    (void)state;
    struct aps_batch b;
    char err[512];
    memset(&b, 0, sizeof b);
    const char *p = write_file("nba odds 2014-15 nofinal.csv", "Date,Rot,VH,Team,Open,Close\n");
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "no Final column"));
    assert_non_null(strstr(err, "nofinal.csv:1"));
    aps_batch_cleanup(&b);

    p = write_file("nhl odds 2021 noprice.csv",
                   "Date,Rot,VH,Team,Final,Open,Close,PuckLine,OpenOU,,CloseOU,\n");
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "PuckLine"));
    aps_batch_cleanup(&b);

    /* A column it reads named twice, as it reads names (spaces and case aside): refused with
     * the column's name; the unnamed price columns repeat in every NHL and MLB file. */
    p = write_file("nba odds 2014-15 twice.csv", "Date,Rot,VH,Team,Final,Open,Close,ML,Close\n");
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "twice.csv:1: column Close appears twice in the header "
                                "(columns 7 and 9)"));
    aps_batch_cleanup(&b);
    p = write_file("mlb odds 2019 twice.csv",
                   "Date,Rot,VH,Team,Pitcher,1st,Final,Open,Close,Run Line,,RunLine,\n");
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "column RunLine appears twice in the header (columns 10 and 12)"));
    aps_batch_cleanup(&b);
    p = write_file("mlb odds 2019 periods.csv", "Date,Rot,VH,Team,1st,1st,Final,Open,Close\n");
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "column 1st appears twice"));
    aps_batch_cleanup(&b);

    /* In a folder of a fixed name: the random name of tmpdir must not decide the sport. */
    make_folder("plain");
    p = write_file("plain/odds.csv", "Date,Rot,VH,Team,Final,Open,Close\n");
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_INVAL);
    /* Given the sport, the name still needs a season. */
    assert_int_equal(aps_load_sbr(p, APS_SPORT_NBA, &b, err, sizeof err), APS_E_PARSE);
    assert_int_equal(aps_load_sbr(p, APS_SPORT_NFL, &b, err, sizeof err), APS_E_INVAL);
    /* A header line past the reader's limit says so (it once read "no header row"). */
    static char big[70000];
    memset(big, 'x', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    p = write_file("nba odds 2014-15 big.csv", big);
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_TOOBIG);
    assert_non_null(strstr(err, "cannot read the header row"));
    assert_non_null(strstr(err, "64 KiB"));
    assert_null(strstr(err, "no header row"));
    aps_batch_cleanup(&b);
    /* A file named for another season than its Year column holds is refused whole (it would
     * file its games under the wrong season and leave that season's row empty). */
    p = write_file("nba odds 2017-18.csv",
                   "Date,Rot,VH,Team,1st,2nd,3rd,4th,Final,Open,Close,ML,2H,Month,Day,Year\n"
                   "1028,501,V,Dallas,24,29,20,27,100,206.5,203.5,140,102,10,28,2014\n"
                   "1028,502,H,SanAntonio,26,19,31,25,101,6,3.5,-165,4,10,28,2014\n");
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "the file name says season 2017-18"));
    assert_non_null(strstr(err, "2014-10-28"));
    aps_batch_cleanup(&b);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nba odds 1999-00.csv", tmpdir);
    assert_int_equal(aps_load_sbr(missing, -1, &b, err, sizeof err), APS_E_IO);
    assert_non_null(strstr(err, "1999-00"));
    aps_batch_cleanup(&b);
}

/* ---- the real files ---- */

struct real_file {
    const char *path;
    size_t rows, games, odds;
    size_t unpaired, bad_line, bad_price, bad_score, no_score;
    const char *first_date, *last_date;
    size_t playoff; /* postseason games (postseason.def): each league's own count of the season's
                       playoff games (NBA 81, 86, 79, 82, 82; MLB's Wild Card games to the World
                       Series, the 2017 file lacking one of its 38; the NHL's 2020 qualifying
                       round, round robin and playoffs, 130, and 2021's 84), NCAAB the games from
                       the Tuesday after Selection Sunday the files hold */
};

static const struct real_file real_files[] = {
    {"mlb/mlb_odds_2014.csv", 4924, 2462, 24620, 0, 0, 0, 0, 0, "2014-03-22", "2014-10-29", 32},
    {"mlb/mlb_odds_2015.csv", 4930, 2465, 24650, 0, 0, 0, 0, 0, "2015-04-05", "2015-11-01", 36},
    {"mlb/mlb_odds_2016.csv", 4924, 2461, 24610, 0, 0, 0, 0, 1, "2016-04-03", "2016-11-02", 35},
    {"mlb/mlb_odds_2017.csv", 4934, 2467, 24670, 0, 0, 0, 0, 0, "2017-04-02", "2017-10-31", 37},
    {"mlb/mlb_odds_2018.csv", 4928, 2464, 24628, 0, 8, 4, 0, 0, "2018-03-29", "2018-10-28", 33},
    {"mlb/mlb_odds_2019.csv", 4850, 2425, 24238, 0, 2, 0, 0, 0, "2019-03-28", "2019-09-29", 0},
    {"mlb/mlb_odds_2020.csv", 1900, 950, 9490, 0, 0, 0, 0, 0, "2020-07-23", "2020-10-27", 53},
    {"nba/nba odds 2014-15.csv", 2622, 1311, 13106, 0, 1, 0, 0, 0, "2014-10-28", "2015-06-16", 81},
    {"nba/nba odds 2015-16.csv", 2632, 1316, 13160, 0, 0, 0, 0, 0, "2015-10-27", "2016-06-19", 86},
    {"nba/nba odds 2016-17.csv", 2618, 1309, 13088, 0, 1, 0, 0, 0, "2016-10-25", "2017-06-12", 79},
    {"nba/nba odds 2017-18.csv", 2624, 1312, 13120, 0, 0, 0, 0, 0, "2017-10-17", "2018-06-08", 82},
    {"nba/nba odds 2018-19.csv", 2624, 1312, 13120, 0, 0, 0, 0, 0, "2018-10-16", "2019-06-13", 82},
    {"ncaab/ncaa-basketball-2007-08.csv", 7046, 3523, 35000, 0, 6, 4, 0, 0, "2007-11-05", "2008-04-07", 112},
    {"ncaab/ncaa-basketball-2008-09.csv", 6956, 3478, 34301, 0, 2, 11, 0, 0, "2008-11-10", "2009-04-06", 127},
    {"ncaab/ncaa-basketball-2009-10.csv", 7438, 3719, 34987, 0, 1, 15, 0, 0, "2009-11-09", "2010-04-05", 126},
    {"ncaab/ncaa-basketball-2010-11.csv", 7580, 3790, 34501, 0, 1, 29, 0, 0, "2010-11-08", "2011-04-04", 137},
    {"nhl/nhl odds 2019-20.csv", 2424, 1211, 12110, 2, 0, 0, 0, 0, "2019-10-02", "2020-09-28", 130},
    {"nhl/nhl odds 2021.csv", 1904, 951, 9503, 0, 4, 1, 1, 0, "2021-01-13", "2021-07-07", 84},
};

/* The sport comes from the file's name, else from its folder, as a word of its own: a sport
 * word inside a longer one ("unbalanced") or in a folder further up names nothing. */
static void test_sport_from_path(void **state)
{
    (void)state;
    static const char nba_rows[] =
        "Date,Rot,VH,Team,1st,2nd,3rd,4th,Final,Open,Close,ML,2H\n"
        "1028,501,V,Dallas,24,29,20,27,100,206.5,203.5,140,102\n"
        "1028,502,H,SanAntonio,26,19,31,25,101,6,3.5,-165,4\n";
    struct aps_batch b;
    char err[512];
    memset(&b, 0, sizeof b);
    make_folder("plain");
    make_folder("ncaab");
    make_folder("nba");
    make_folder("nba/raw");
    const char *p = write_file("plain/unbalanced 2014-15.csv", nba_rows);
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_INVAL);
    assert_non_null(strstr(err, "name it after the sport"));
    aps_batch_cleanup(&b);
    p = write_file("nba/raw/2014-15.csv", nba_rows); /* the sport two folders up */
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), APS_E_INVAL);
    aps_batch_cleanup(&b);
    p = write_file("ncaab/2014-15.csv", nba_rows); /* the folder decides */
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), 0);
    assert_int_equal(b.ngames, 1);
    assert_int_equal(b.games[0].sport, APS_SPORT_NCAAB);
    aps_batch_cleanup(&b);
    p = write_file("ncaab/NBA_2014-15.csv", nba_rows); /* the name before the folder */
    assert_int_equal(aps_load_sbr(p, -1, &b, err, sizeof err), 0);
    assert_int_equal(b.games[0].sport, APS_SPORT_NBA);
    aps_batch_cleanup(&b);
    /* `aps ingest sbr FOLDER` takes the files the loader names a sport for, in any case, and no
     * other: not the file two folders below nba/, nor "unbalanced" in plain/ */
    write_file("plain/NHL Odds 2019-20.csv", nba_rows);
    char folder[600];
    struct aps_ingest_found found;
    snprintf(folder, sizeof folder, "%s/nba", tmpdir);
    assert_int_equal(aps_ingest_discover(APS_SOURCE_SBR, folder, &found), 0);
    assert_int_equal(found.n, 0);
    aps_ingest_found_free(&found);
    snprintf(folder, sizeof folder, "%s/plain", tmpdir);
    assert_int_equal(aps_ingest_discover(APS_SOURCE_SBR, folder, &found), 0);
    assert_int_equal(found.n, 1);
    assert_non_null(strstr(found.paths[0], "/plain/NHL Odds 2019-20.csv"));
    aps_ingest_found_free(&found);
    snprintf(folder, sizeof folder, "%s/ncaab", tmpdir);
    assert_int_equal(aps_ingest_discover(APS_SOURCE_SBR, folder, &found), 0);
    assert_int_equal(found.n, 2);
    aps_ingest_found_free(&found);
}

static void test_real_files(void **state)
{
    (void)state;
    size_t games = 0, nodds = 0, rejects = 0;
    double t0 = aps_time_mono();
    for (size_t i = 0; i < sizeof real_files / sizeof real_files[0]; i++) {
        const struct real_file *r = &real_files[i];
        char path[1024];
        snprintf(path, sizeof path, "%s/sportsbookreview/%s", APS_DATA_DIR_DEFAULT, r->path);
        struct aps_batch b;
        assert_int_equal(load(path, -1, &b), 0);
        print_message("%-36s rows %5zu games %5zu odds %6zu rejects %zu\n", r->path, b.rows,
                      b.ngames, b.nodds, aps_batch_rejected(&b));
        assert_int_equal(b.rows, r->rows);
        assert_int_equal(b.ngames, r->games);
        assert_int_equal(b.nodds, r->odds);
        assert_int_equal(reason(&b, "unpaired row"), r->unpaired);
        assert_int_equal(reason(&b, "bad line"), r->bad_line);
        assert_int_equal(reason(&b, "bad price"), r->bad_price);
        assert_int_equal(reason(&b, "bad score"), r->bad_score);
        assert_int_equal(reason(&b, "no score"), r->no_score);
        assert_int_equal(aps_batch_rejected(&b), r->unpaired + r->bad_line + r->bad_price +
                                                     r->bad_score + r->no_score);
        size_t playoff = 0;
        for (size_t k = 0; k < b.ngames; k++)
            playoff += b.games[k].playoff;
        assert_int_equal(playoff, r->playoff);
        /* Every game of the file is in its season, dated within it, in file order. */
        assert_string_equal(b.games[0].date, r->first_date);
        assert_string_equal(b.games[b.ngames - 1].date, r->last_date);
        for (size_t k = 0; k < b.nodds; k++) {
            assert_true(b.odds[k].price > 1.0 && b.odds[k].game < b.ngames);
            /* A stored line is one a book quotes and grading settles: NBA 2018-19 reads "2.5115"
             * and NCAAB 2009-10 "8.5115", each a half-point line run together with its price. */
            double l = b.odds[k].line;
            if (!isnan(l) && l * 4.0 != floor(l * 4.0))
                print_message("%s: line %g off the quarter grid\n", r->path, l);
            assert_true(isnan(l) || l * 4.0 == floor(l * 4.0));
        }
        games += b.ngames;
        nodds += b.nodds;
        rejects += aps_batch_rejected(&b);
        aps_batch_cleanup(&b);
    }
    print_message("sbr total: games %zu odds %zu rejects %zu in %.1f ms\n", games, nodds, rejects,
                  (aps_time_mono() - t0) * 1e3);
    assert_int_equal(games, 38926);
    assert_int_equal(nodds, 382902);
    assert_int_equal(rejects, 94);
}

/* Doubleheaders and neutral sites in the real MLB files. */
/* The game of home against away on date in b: its playoff mark (fails when there is none). */
static bool playoff_of(const struct aps_batch *b, const char *date, const char *home,
                       const char *away)
{
    for (size_t i = 0; i < b->ngames; i++)
        if (!strcmp(b->games[i].date, date) && !strcmp(b->games[i].home, home) &&
            !strcmp(b->games[i].away, away))
            return b->games[i].playoff;
    fail_msg("no game %s %s-%s", date, home, away);
    return false;
}

/* Where a postseason begins in the files (postseason.def): the NHL's 2021 North division
 * finished its regular season after the playoffs began, Toronto's first playoff game is its
 * 56th game of the file (one regular-season game is missing) and Montreal's 57th; the 2014 AL
 * Wild Card game is dated the day after the regular season's last; a regular season that ended
 * on a day the playoffs had not begun keeps every game (NBA 2018-19's last, 2019-04-10). */
static void test_real_postseason_edges(void **state)
{
    (void)state;
    char path[1024];
    struct aps_batch b;
    snprintf(path, sizeof path, "%s/sportsbookreview/nhl/nhl odds 2021.csv", APS_DATA_DIR_DEFAULT);
    assert_int_equal(load(path, -1, &b), 0);
    assert_false(playoff_of(&b, "2021-05-19", "Calgary", "Vancouver"));
    assert_true(playoff_of(&b, "2021-05-20", "Toronto", "Montreal"));
    assert_true(playoff_of(&b, "2021-05-19", "Carolina", "Nashville"));
    aps_batch_cleanup(&b);
    snprintf(path, sizeof path, "%s/sportsbookreview/mlb/mlb_odds_2014.csv", APS_DATA_DIR_DEFAULT);
    assert_int_equal(load(path, -1, &b), 0);
    assert_true(playoff_of(&b, "2014-09-29", "KAN", "OAK"));
    assert_false(playoff_of(&b, "2014-09-28", "CWS", "KAN"));
    aps_batch_cleanup(&b);
    snprintf(path, sizeof path, "%s/sportsbookreview/nba/nba odds 2018-19.csv",
             APS_DATA_DIR_DEFAULT);
    assert_int_equal(load(path, -1, &b), 0);
    for (size_t i = 0; i < b.ngames; i++)
        assert_int_equal(b.games[i].playoff, strcmp(b.games[i].date, "2019-04-13") >= 0);
    aps_batch_cleanup(&b);
}

static void test_real_mlb_details(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/sportsbookreview/mlb/mlb_odds_2014.csv", APS_DATA_DIR_DEFAULT);
    struct aps_batch b;
    assert_int_equal(load(path, -1, &b), 0);
    size_t second = 0;
    for (size_t i = 0; i < b.ngames; i++)
        second += b.games[i].game_no == 2;
    assert_int_equal(second, 31);
    aps_batch_cleanup(&b);
    snprintf(path, sizeof path, "%s/sportsbookreview/mlb/mlb_odds_2020.csv", APS_DATA_DIR_DEFAULT);
    assert_int_equal(load(path, -1, &b), 0);
    size_t neutral = 0;
    for (size_t i = 0; i < b.ngames; i++)
        neutral += b.games[i].neutral;
    assert_int_equal(neutral, 53); /* the 2020 bubble postseason: 106 N rows */
    aps_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_american),
        cmocka_unit_test(test_nba_bom_crlf),
        cmocka_unit_test(test_ncaab_neutral_nl_cr),
        cmocka_unit_test(test_basketball_ranges),
        cmocka_unit_test(test_basketball_fused_and_off_grid),
        cmocka_unit_test(test_nhl_january_start),
        cmocka_unit_test(test_nhl_bubble_year),
        cmocka_unit_test(test_mlb_headers_doubleheader),
        cmocka_unit_test(test_unpaired_rows),
        cmocka_unit_test(test_rejected_games),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sport_from_path),
        cmocka_unit_test(test_real_files),
        cmocka_unit_test(test_real_mlb_details),
        cmocka_unit_test(test_real_postseason_edges),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
