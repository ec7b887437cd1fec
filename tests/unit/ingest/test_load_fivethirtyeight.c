/* test_load_fivethirtyeight.c — the 538 loader: each layout and quirk on small snippets, then
 * every real 538 file with counts worked out independently (a Python pass over the same files). */
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

#include "core/timeutil.h"
#include "ingest/loaders.h"

#define DATA APS_DATA_DIR_DEFAULT "/fivethirtyeight/"

static char tmpdir[64];

/* Writes text to tmpdir/name and returns the path (static buffer, valid until the next call). */
static const char *write_tmp(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

static size_t rejects(const struct aps_batch *b, const char *reason)
{
    for (size_t i = 0; i < b->nrejects; i++)
        if (!strcmp(b->rejects[i].reason, reason))
            return b->rejects[i].count;
    return 0;
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/aps-538-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    static const char *names[] = {"nfl_games.csv", "nba_games.csv", "mlb_games.csv",
                                  "wnba_games.csv", "games.csv",     "nfl_elo.csv",
                                  "nba_elo.csv",   "world_cup_matches_men.csv",
                                  "initial_elos.csv", "other.csv"};
    char path[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    return rmdir(tmpdir);
}

/* ---- nfl-elo-game ---- */

static const char nfl_games_snippet[] =
    "date,season,neutral,playoff,team1,team2,elo1,elo2,elo_prob1,score1,score2,result1\n"
    "1920-09-26,1920,0,0,RII,STP,1503.9,1300.0,0.8246512009492516,48,0,1\n"
    "2021-02-07,2020,1,1,TB,KC,1703.3,1741.1,0.4458378304058082,31,9,1\n"
    "1997-11-16,1997,0,0,NYG,WSH,1500,1500,0.59,7,7,0.5\n"
    "2020-02-30,2019,0,0,KC,SF,1,1,0.5,31,20,1\n"   /* no such date */
    "2019-09-08,2019,0,0,KC,XXX,1,1,0.5,31,20,1\n"  /* unknown team */
    "2019-09-08,2019,0,0,KC,JAX,1,1,1.2,40,26,1\n"  /* probability over 1 */
    "2019-09-08,2019,0,0,KC,JAX,1,1,0.7,40,26,0\n"  /* result disagrees with the score */
    "2019-09-08,2019,0,0,KC,JAX,1,1,0.7,,,\n"       /* not played: this file has none */
    "2019-09-08,2019,2,0,KC,JAX,1,1,0.7,40,26,1\n"  /* neutral is not a flag */
    "2019-09-08,2019,0,0,,JAX,1,1,0.7,40,26,1\n"
    "\n";

static void test_nfl_elo_game_layout(void **state)
{
    struct aps_batch b = {0};
    char err[256];
    const char *p = write_tmp("nfl_games.csv", nfl_games_snippet);
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), 0);
    assert_string_equal(b.source, "fivethirtyeight");
    assert_int_equal(b.rows, 10);
    assert_int_equal(b.ngames, 3);
    assert_int_equal(b.nforecasts, 3);
    assert_int_equal(rejects(&b, "bad date"), 1);
    assert_int_equal(rejects(&b, "unknown team"), 1);
    assert_int_equal(rejects(&b, "bad probability"), 1);
    assert_int_equal(rejects(&b, "bad result"), 1);
    assert_int_equal(rejects(&b, "bad score"), 1);
    assert_int_equal(rejects(&b, "bad flag"), 1);
    assert_int_equal(rejects(&b, "missing team"), 1);

    const struct aps_game_rec *g = &b.games[0];
    assert_int_equal(g->sport, APS_SPORT_NFL);
    assert_string_equal(g->season, "1920");
    assert_string_equal(g->date, "1920-09-26");
    assert_int_equal(g->start_time, aps_time_from_civil(1920, 9, 26, 0, 0, 0));
    assert_false(g->time_known);
    assert_string_equal(g->home, "RII");
    assert_string_equal(g->away, "STP");
    assert_false(g->neutral);
    assert_int_equal(g->status, APS_GS_FINAL);
    assert_int_equal(g->home_score, 48);
    assert_int_equal(g->away_score, 0);
    assert_int_equal(g->line, 2);

    /* Super Bowl LV: neutral, so team1 stays "home" with the neutral flag set. */
    g = &b.games[1];
    assert_string_equal(g->home, "TB");
    assert_true(g->neutral);
    assert_true(g->playoff);
    const struct aps_forecast_rec *f = &b.forecasts[1];
    assert_string_equal(f->model, "538_elo");
    assert_string_equal(f->team1, "TB");
    assert_string_equal(f->team2, "KC");
    assert_false(f->team1_home);
    assert_true(f->neutral);
    assert_float_equal(f->prob1, 0.4458378304058082, 1e-15);
    assert_float_equal(f->prob2, 1.0 - 0.4458378304058082, 1e-15);
    assert_true(isnan(f->prob_tie));
    assert_float_equal(f->result1, 1.0, 0);
    assert_int_equal(f->score1, 31);
    assert_int_equal(f->score2, 9);

    assert_true(b.forecasts[0].team1_home);
    assert_float_equal(b.forecasts[2].result1, 0.5, 0);
    aps_batch_cleanup(&b);
}

/* ---- checking-our-work ---- */

static void test_checking_our_work_layout(void **state)
{
    struct aps_batch b = {0};
    char err[256];
    const char *p = write_tmp("nfl_games.csv",
                              "season,date,team1,team2,prob1,prob1_outcome,prob2,prob2_outcome\n"
                              "2021,2022-02-13,Bengals,Rams,0.31506042899461806,0,0.685,1\n"
                              "2020,2020-10-13,Bears,Browns,0.5,0.5,0.5,0.5\n"
                              "2021,2022-02-13,Bengals,Rams,-0.1,0,0.685,1\n"
                              "2021,2022-02-13,Bengals,Rams,abc,0,0.685,1\n"
                              "2021,2022-02-13,Bengals,Rams,0.3,2,0.7,1\n"
                              "2021,2022-02-13,Bengals,,0.3,0,0.7,1\n"
                              "21,2022-02-13,Bengals,Rams,0.3,0,0.7,1\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), 0);
    assert_int_equal(b.rows, 7);
    assert_int_equal(b.ngames, 0);
    assert_int_equal(b.nforecasts, 2);
    assert_int_equal(rejects(&b, "bad probability"), 2);
    assert_int_equal(rejects(&b, "bad result"), 1);
    assert_int_equal(rejects(&b, "missing team"), 1);
    assert_int_equal(rejects(&b, "bad season"), 1);
    const struct aps_forecast_rec *f = &b.forecasts[0];
    assert_int_equal(f->sport, APS_SPORT_NFL);
    assert_string_equal(f->season, "2021");
    assert_string_equal(f->date, "2022-02-13");
    assert_string_equal(f->model, "538");
    assert_false(f->team1_home); /* not known */
    assert_false(f->neutral);
    assert_float_equal(f->prob1, 0.31506042899461806, 1e-15);
    assert_float_equal(f->prob2, 0.685, 1e-15);
    assert_float_equal(f->result1, 0.0, 0);
    assert_int_equal(f->score1, -1);
    assert_int_equal(f->game_no, 1);
    assert_float_equal(b.forecasts[1].result1, 0.5, 0);
    aps_batch_cleanup(&b);
}

static void test_checking_sport_season_and_doubleheader(void **state)
{
    struct aps_batch b = {0};
    char err[256];
    const char *hdr = "season,date,team1,team2,prob1,prob1_outcome,prob2,prob2_outcome\n";
    char text[512];
    snprintf(text, sizeof text, "%s2022,2022-06-16,Celtics,Warriors,0.74,0,0.26,1\n", hdr);
    assert_int_equal(aps_load_fivethirtyeight(write_tmp("nba_games.csv", text), &b, err,
                                              sizeof err),
                     0);
    assert_int_equal(b.nforecasts, 1);
    assert_int_equal(b.forecasts[0].sport, APS_SPORT_NBA);
    assert_string_equal(b.forecasts[0].season, "2021-22");
    aps_batch_cleanup(&b);

    /* "wnba" holds "nba": the longer name must win. Sun and Aces are not NBA teams. */
    snprintf(text, sizeof text, "%s2022,2022-09-18,Sun,Aces,0.66,0,0.34,1\n", hdr);
    assert_int_equal(aps_load_fivethirtyeight(write_tmp("wnba_games.csv", text), &b, err,
                                              sizeof err),
                     0);
    assert_int_equal(b.nforecasts, 1);
    assert_int_equal(b.forecasts[0].sport, APS_SPORT_WNBA);
    assert_string_equal(b.forecasts[0].season, "2022");
    aps_batch_cleanup(&b);

    assert_int_equal(aps_load_fivethirtyeight(
                         write_tmp("mlb_games.csv",
                                   "season,date,team1,team2,dh,prob1,prob1_outcome,prob2,"
                                   "prob2_outcome\n"
                                   "2022,2022-10-05,Orioles,Blue Jays,0,0.44,0,0.56,1\n"
                                   "2022,2022-10-05,Orioles,Blue Jays,1,0.40,1,0.60,0\n"
                                   "2022,2022-10-05,Orioles,Blue Jays,3,0.40,1,0.60,0\n"),
                         &b, err, sizeof err),
                     0);
    assert_int_equal(b.nforecasts, 2);
    assert_int_equal(b.forecasts[0].sport, APS_SPORT_MLB);
    assert_int_equal(b.forecasts[0].game_no, 1);
    assert_int_equal(b.forecasts[1].game_no, 2);
    assert_int_equal(rejects(&b, "bad flag"), 1);
    aps_batch_cleanup(&b);

    /* A checking-our-work header in a file not named after a league. */
    snprintf(text, sizeof text, "%s2022,2022-06-16,Celtics,Warriors,0.74,0,0.26,1\n", hdr);
    assert_int_equal(aps_load_fivethirtyeight(write_tmp("games.csv", text), &b, err, sizeof err),
                     APS_E_UNSUPPORTED);
    assert_non_null(strstr(err, "named after its league"));
    aps_batch_cleanup(&b);
}

/* ---- Elo mirrors ---- */

static void test_nfl_elo_mirror_layout(void **state)
{
    struct aps_batch b = {0};
    char err[256];
    const char *p = write_tmp(
        "nfl_elo.csv",
        "date,season,neutral,playoff,team1,team2,elo1_pre,elo2_pre,elo_prob1,elo_prob2,"
        "qbelo_prob1,qbelo_prob2,score1,score2,qb_adj\r\n"
        "2/7/2021,2020,1,s,,,,,,,,,,,\r\n"
        "1/3/2021,2020,0,,IND,JAX,1,1,0.833380855,0.17,0.891609781,0.11,,,\r\n"
        "11/8/2020,2020,0,,KC,CAR,1,1,0.8,0.2,0.78,0.22,33,31,\r\n"
        "9/8/2016,2016,0,,DEN,CAR,1,1,0.4,0.6,0.45,0.55,21,21,\r\n"
        "9/8/2016,2016,0,,DEN,CAR,1,1,0.4,0.6,1.45,0.55,21,20,\r\n"
        "13/8/2016,2016,0,,DEN,CAR,1,1,0.4,0.6,0.45,0.55,21,20,\r\n"
        "9/8/2016,2016,0,,DEN,CAR,1,1,0.4,0.6,0.45,0.55,21,x,\r\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), 0);
    assert_int_equal(b.rows, 7);
    assert_int_equal(b.ngames, 0);
    assert_int_equal(b.nforecasts, 6);
    assert_int_equal(rejects(&b, "missing team"), 1);
    assert_int_equal(rejects(&b, "bad probability"), 1);
    assert_int_equal(rejects(&b, "bad date"), 1);
    assert_int_equal(rejects(&b, "bad score"), 1);
    const struct aps_forecast_rec *f = &b.forecasts[0];
    assert_string_equal(f->model, "538_elo");
    assert_string_equal(f->date, "2021-01-03");
    assert_string_equal(f->season, "2020");
    assert_true(f->team1_home);
    assert_float_equal(f->prob1, 0.833380855, 1e-12);
    assert_true(isnan(f->result1)); /* not played yet */
    assert_int_equal(f->score1, -1);
    f = &b.forecasts[1];
    assert_string_equal(f->model, "538_qbelo");
    assert_float_equal(f->prob1, 0.891609781, 1e-12);
    assert_float_equal(f->prob2, 1.0 - 0.891609781, 1e-12);
    assert_float_equal(b.forecasts[2].result1, 1.0, 0);
    assert_int_equal(b.forecasts[3].score1, 33);
    assert_float_equal(b.forecasts[5].result1, 0.5, 0); /* 21-21 */
    aps_batch_cleanup(&b);
}

static void test_nba_elo_mirror_layout(void **state)
{
    struct aps_batch b = {0};
    char err[256];
    const char *p = write_tmp(
        "nba_elo.csv",
        "date,season,neutral,playoff,team1,team2,elo_prob1,elo_prob2,carm-elo_prob1,"
        "raptor_prob1,raptor_prob2,score1,score2\n"
        "2020-12-22,2021,0,,BRK,GSW,0.7534579055086146,0.25,,0.7495812219019251,0.25,125,99\n"
        "2021-05-16,2021,0,,CHO,WAS,0.4,0.6,,,,,\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), 0);
    assert_int_equal(b.nforecasts, 3);
    assert_int_equal(b.forecasts[0].sport, APS_SPORT_NBA);
    assert_string_equal(b.forecasts[0].season, "2020-21");
    assert_string_equal(b.forecasts[0].model, "538_elo");
    assert_string_equal(b.forecasts[1].model, "538_raptor");
    assert_float_equal(b.forecasts[1].prob1, 0.7495812219019251, 1e-15);
    assert_float_equal(b.forecasts[1].result1, 1.0, 0);
    assert_string_equal(b.forecasts[2].model, "538_elo"); /* no RAPTOR on that row */
    assert_true(isnan(b.forecasts[2].result1));
    aps_batch_cleanup(&b);
}

/* ---- files that are refused ---- */

static void test_refused_files(void **state)
{
    struct aps_batch b = {0};
    char err[256];
    const char *p = write_tmp("world_cup_matches_men.csv",
                              "season,league,date,team1,team2,prob1,prob1_outcome,probtie,"
                              "probtie_outcome,prob2,prob2_outcome\n"
                              "2018,FIFA World Cup,2018-06-14,Russia,Saudi Arabia,0.66,1,0.22,0,"
                              "0.12,0\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), APS_E_UNSUPPORTED);
    assert_non_null(strstr(err, "no sport for world cup"));
    assert_int_equal(b.nforecasts, 0);

    p = write_tmp("initial_elos.csv", "team,elo\nRII,1503.947\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), APS_E_UNSUPPORTED);
    assert_non_null(strstr(err, "starting ratings, not games"));

    p = write_tmp("other.csv", "a,b,c\n1,2,3\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "not a FiveThirtyEight layout"));
    assert_non_null(strstr(err, "other.csv:1:"));

    p = write_tmp("other.csv", "date,neutral,team1,team2,elo_prob1,score1,score2,result1\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "missing column season"));

    p = write_tmp("other.csv", "");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), APS_E_PARSE);

    p = write_tmp("nfl_games.csv", "date,season,neutral,playoff,team1,team2,elo_prob1,score1,"
                                   "score2,result1,score1\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "column score1 appears twice in the header (columns 8 and 11)"));

    p = write_tmp("other.csv", "season,date,team1,team2,prob1,prob1_outcome,prob2\n"
                               "2021,\"2022-02-13,Bengals,Rams,0.3,0,0.7\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), APS_E_UNSUPPORTED);

    p = write_tmp("nfl_games.csv", "season,date,team1,team2,prob1,prob1_outcome,prob2\n"
                                   "2021,\"2022-02-13,Bengals,Rams,0.3,0,0.7\n");
    assert_int_equal(aps_load_fivethirtyeight(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "malformed CSV"));

    assert_true(aps_load_fivethirtyeight("/nonexistent/nfl_games.csv", &b, err, sizeof err) < 0);
    assert_non_null(strstr(err, "/nonexistent/nfl_games.csv"));
    aps_batch_cleanup(&b);
}

/* ---- the real files ---- */

struct expect {
    const char *file;
    size_t rows, games, forecasts, rejected;
};

static void load_real(const struct expect *e, struct aps_batch *b)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s%s", DATA, e->file);
    memset(b, 0, sizeof *b);
    int rc = aps_load_fivethirtyeight(path, b, err, sizeof err);
    if (rc)
        printf("  %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(b->rows, e->rows);
    assert_int_equal(b->ngames, e->games);
    assert_int_equal(b->nforecasts, e->forecasts);
    assert_int_equal(aps_batch_rejected(b), e->rejected);
}

static void test_real_nfl_elo_game(void **state)
{
    static const struct expect e = {"nfl-elo-game/nfl_games.csv", 16810, 16810, 16810, 0};
    struct aps_batch b;
    load_real(&e, &b);
    long s1 = 0, s2 = 0;
    size_t neutral = 0, playoff = 0;
    double psum = 0;
    for (size_t i = 0; i < b.ngames; i++) {
        s1 += b.games[i].home_score;
        s2 += b.games[i].away_score;
        neutral += b.games[i].neutral;
        playoff += b.games[i].playoff;
        psum += b.forecasts[i].prob1;
    }
    assert_int_equal(s1, 363395);
    assert_int_equal(s2, 315070);
    assert_int_equal(neutral, 92);
    assert_int_equal(playoff, 590);
    assert_float_equal(psum, 9831.906699150752, 1e-6);
    assert_string_equal(b.games[b.ngames - 1].date, "2021-02-07");
    assert_string_equal(b.games[b.ngames - 1].season, "2020");
    aps_batch_cleanup(&b);
}

static void test_real_checking_our_work(void **state)
{
    static const struct expect es[] = {
        {"checking-our-work/nfl_games.csv", 1889, 0, 1889, 0},
        {"checking-our-work/nba_games.csv", 8886, 0, 8886, 0},
        {"checking-our-work/mlb_games.csv", 15748, 0, 15748, 0},
        {"checking-our-work/nhl_games.csv", 1401, 0, 1401, 0},
        {"checking-our-work/wnba_games.csv", 450, 0, 450, 0},
    };
    for (size_t i = 0; i < sizeof es / sizeof es[0]; i++) {
        struct aps_batch b;
        load_real(&es[i], &b);
        size_t ties = 0, second = 0, s2022 = 0;
        for (size_t k = 0; k < b.nforecasts; k++) {
            ties += b.forecasts[k].result1 == 0.5;
            second += b.forecasts[k].game_no == 2;
            s2022 += !strcmp(b.forecasts[k].season, "2021-22");
        }
        if (i == 0)
            assert_int_equal(ties, 7);
        if (i == 1)
            assert_int_equal(s2022, 1323);
        if (i == 2) {
            assert_int_equal(second, 271);
            assert_int_equal(ties, 1);
        }
        if (i == 3)
            assert_int_equal(s2022, 1401);
        aps_batch_cleanup(&b);
    }
}

static void test_real_mirrors(void **state)
{
    static const struct expect nfl = {"mirrors/nfl_elo.csv", 1337, 0, 2 * 1324, 13};
    static const struct expect nba = {"mirrors/nba_elo_latest.csv", 1080, 0, 2 * 1080, 0};
    struct aps_batch b;
    load_real(&nfl, &b);
    assert_int_equal(rejects(&b, "missing team"), 13);
    size_t unplayed = 0, qb = 0;
    double qbsum = 0;
    for (size_t i = 0; i < b.nforecasts; i++) {
        unplayed += isnan(b.forecasts[i].result1);
        if (!strcmp(b.forecasts[i].model, "538_qbelo")) {
            qb++;
            qbsum += b.forecasts[i].prob1;
        }
    }
    assert_int_equal(unplayed, 2 * 123);
    assert_int_equal(qb, 1324);
    assert_float_equal(qbsum, 754.7500832420003, 1e-6);
    assert_string_equal(b.forecasts[0].date, "2021-01-03");
    assert_string_equal(b.forecasts[b.nforecasts - 1].date, "2016-09-08");
    aps_batch_cleanup(&b);

    load_real(&nba, &b);
    unplayed = 0;
    double rsum = 0;
    for (size_t i = 0; i < b.nforecasts; i++) {
        unplayed += isnan(b.forecasts[i].result1);
        if (!strcmp(b.forecasts[i].model, "538_raptor"))
            rsum += b.forecasts[i].prob1;
    }
    assert_int_equal(unplayed, 2 * 29);
    assert_float_equal(rsum, 643.1830524373415, 1e-6);
    assert_string_equal(b.forecasts[0].season, "2020-21");
    aps_batch_cleanup(&b);
}

static void test_real_refused(void **state)
{
    struct aps_batch b = {0};
    char err[256];
    assert_int_equal(aps_load_fivethirtyeight(DATA "checking-our-work/world_cup_matches_men.csv",
                                              &b, err, sizeof err),
                     APS_E_UNSUPPORTED);
    assert_int_equal(aps_load_fivethirtyeight(DATA "checking-our-work/world_cup_matches_women.csv",
                                              &b, err, sizeof err),
                     APS_E_UNSUPPORTED);
    assert_int_equal(aps_load_fivethirtyeight(DATA "nfl-elo-game/initial_elos.csv", &b, err,
                                              sizeof err),
                     APS_E_UNSUPPORTED);
    assert_int_equal(b.rows, 0);
    aps_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfl_elo_game_layout),
        cmocka_unit_test(test_checking_our_work_layout),
        cmocka_unit_test(test_checking_sport_season_and_doubleheader),
        cmocka_unit_test(test_nfl_elo_mirror_layout),
        cmocka_unit_test(test_nba_elo_mirror_layout),
        cmocka_unit_test(test_refused_files),
        cmocka_unit_test(test_real_nfl_elo_game),
        cmocka_unit_test(test_real_checking_our_work),
        cmocka_unit_test(test_real_mirrors),
        cmocka_unit_test(test_real_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
