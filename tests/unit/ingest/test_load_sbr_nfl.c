/* test_load_sbr_nfl.c — the sportsbookreview NFL JSON archive loader (load_sbr_nfl.c): the quirks
 * of the file in small snippets (string scores, float dates, the Super Bowl rows with home_team 0,
 * spreads and totals swapped by the scraper), file-level errors, and the real archive with counts
 * checked independently in Python. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    snprintf(tmpdir, sizeof tmpdir, "/tmp/aps_test_nfl_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < nwritten; i++)
        unlink(written[i]);
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
                                       enum aps_selection s, enum aps_phase ph)
{
    for (size_t i = 0; i < b->nodds; i++) {
        const struct aps_odds_rec *o = &b->odds[i];
        if (o->game == gi && o->market == m && o->sel == s && o->phase == ph)
            return o;
    }
    return NULL;
}

#define GAME(season, date, home, away, hf, af, hml, aml, hos, hcs, oou, cou)                       \
    "{\"season\":" season ",\"date\":" date ",\"home_team\":" home ",\"away_team\":" away          \
    ",\"home_1stQtr\":\"21\",\"away_1stQtr\":\"7\",\"home_2ndQtr\":\"7\",\"away_2ndQtr\":\"10\","  \
    "\"home_3rdQtr\":\"7\",\"away_3rdQtr\":\"-10\",\"home_4thQtr\":\"7\",\"away_4thQtr\":\"7\","   \
    "\"home_final\":" hf ",\"away_final\":" af ",\"home_close_ml\":" hml                           \
    ",\"away_close_ml\":" aml ",\"home_open_spread\":" hos ",\"home_close_spread\":" hcs           \
    ",\"home_2H_spread\":-24.5,\"away_2H_spread\":24.5,\"2H_total\":0.0,"                          \
    "\"open_over_under\":" oou ",\"close_over_under\":" cou "}"

static void test_snippet(void **state)
{
    (void)state;
    const char *p = write_file(
        "archive.json",
        "[" GAME("2011", "20110908.0", "\"Packers\"", "\"Saints\"", "\"42\"", "\"34\"", "-250",
                 "210", "-4.5", "-5.0", "46.0", "48.0") ","
        /* Away favourite: the scraper put the total in the spread and the spread in the total. */
        GAME("2011", "20110911.0", "\" Bears \"", "\"Falcons\"", "\"30\"", "\"12\"", "130", "-150",
             "0.0", "40.5", "41.0", "1.0") ","
        /* A Super Bowl row. */
        GAME("2011", "20120205.0", "0", "\"Giants\"", "0", "\"21\"", "0", "115", "0.0", "0.0",
             "53.0", "53.0") ","
        GAME("2012", "20120231.0", "\"Jets\"", "\"Bills\"", "\"1\"", "\"2\"", "-110", "-110", "1",
             "1", "40", "40") ","
        GAME("2012", "20121001.0", "\"Jets\"", "\"Bills\"", "10", "\"x\"", "-110", "-110", "1",
             "1", "40", "40") ","
        GAME("2012", "20121002.0", "\"Jets\"", "\"Bills\"", "\"10\"", "\"13\"", "-50", "\"-110\"",
             "-0.0", "-3", "40", "40") ",42]");
    struct aps_batch b;
    memset(&b, 0, sizeof b);
    char err[256] = "";
    assert_int_equal(aps_load_sbr_nfl(p, &b, err, sizeof err), 0);
    assert_string_equal(b.source, "sbr");
    assert_int_equal(b.rows, 7);
    assert_int_equal(b.ngames, 3);
    const struct aps_game_rec *g = &b.games[0];
    assert_int_equal(g->sport, APS_SPORT_NFL);
    assert_string_equal(g->season, "2011");
    assert_string_equal(g->date, "2011-09-08");
    assert_true(g->start_time == aps_time_from_civil(2011, 9, 8, 0, 0, 0));
    assert_string_equal(g->home, "Packers");
    assert_string_equal(g->away, "Saints");
    assert_int_equal(g->home_score, 42);
    assert_int_equal(g->away_score, 34);
    assert_false(g->neutral);
    /* A negative quarter score is not a score. */
    assert_string_equal(g->extra, "{\"periods_home\":[21,7,7,7],\"periods_away\":[7,10,null,7]}");
    assert_float_equal(odds(&b, 0, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE)->price, 1.4,
                       1e-12);
    assert_float_equal(odds(&b, 0, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE)->price, 3.1,
                       1e-12);
    const struct aps_odds_rec *o = odds(&b, 0, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN);
    assert_float_equal(o->line, -4.5, 1e-12);
    assert_float_equal(o->price, APS_AMERICAN_STD_PRICE, 1e-12);
    assert_string_equal(o->book, "sbr");
    assert_float_equal(odds(&b, 0, APS_MKT_SPREAD, APS_SEL_AWAY, APS_PHASE_CLOSE)->line, 5.0, 1e-12);
    assert_float_equal(odds(&b, 0, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE)->line, 48.0, 1e-12);
    assert_float_equal(odds(&b, 0, APS_MKT_TOTAL, APS_SEL_UNDER, APS_PHASE_OPEN)->line, 46.0, 1e-12);
    /* Swapped values are dropped; the sane ones of the same game stay. */
    assert_string_equal(b.games[1].home, "Bears");
    assert_null(odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_CLOSE));
    assert_null(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_CLOSE));
    assert_float_equal(odds(&b, 1, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN)->line, 0.0, 1e-12);
    assert_non_null(odds(&b, 1, APS_MKT_TOTAL, APS_SEL_OVER, APS_PHASE_OPEN));
    /* A moneyline of -50 is not a price; "-110" as a string is. -0.0 is stored as 0. */
    assert_null(odds(&b, 2, APS_MKT_MONEYLINE, APS_SEL_HOME, APS_PHASE_CLOSE));
    assert_non_null(odds(&b, 2, APS_MKT_MONEYLINE, APS_SEL_AWAY, APS_PHASE_CLOSE));
    o = odds(&b, 2, APS_MKT_SPREAD, APS_SEL_HOME, APS_PHASE_OPEN);
    assert_false(signbit(o->line));
    assert_int_equal(reason(&b, "bad line"), 2);
    assert_int_equal(reason(&b, "missing team"), 1);
    assert_int_equal(reason(&b, "bad date"), 1);
    assert_int_equal(reason(&b, "bad score"), 1);
    assert_int_equal(reason(&b, "bad price"), 1);
    assert_int_equal(reason(&b, "bad row"), 1);
    assert_int_equal(aps_batch_rejected(&b), 7);
    aps_batch_cleanup(&b);
}

static void test_errors(void **state)
{
    (void)state;
    struct aps_batch b;
    memset(&b, 0, sizeof b);
    char err[256];
    const char *p = write_file("object.json", "{\"season\":2011}");
    assert_int_equal(aps_load_sbr_nfl(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "not a JSON array"));
    p = write_file("broken.json", "[\n{\"season\":2011,\n\"date\":}\n]");
    assert_int_equal(aps_load_sbr_nfl(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "broken.json:3"));
    /* a key given twice: which value holds is not known; the file is refused with the place of
     * the second, its column too (the real archive is one line) */
    p = write_file("dup.json", "[{\"season\":2011},{\"season\":2011,\"season\":2012}]");
    assert_int_equal(aps_load_sbr_nfl(p, &b, err, sizeof err), APS_E_PARSE);
    assert_non_null(strstr(err, "dup.json:1: duplicate object key near '\"season\"' (column 40)"));
    char path[600];
    snprintf(path, sizeof path, "%s/none.json", tmpdir);
    assert_int_equal(aps_load_sbr_nfl(path, &b, err, sizeof err), APS_E_IO);
    /* Over 64 MiB is refused before reading (a sparse file costs no disk). */
    p = write_file("huge.json", "[");
    assert_int_equal(truncate(p, (off_t)65 << 20), 0);
    assert_int_equal(aps_load_sbr_nfl(p, &b, err, sizeof err), APS_E_TOOBIG);
    assert_int_equal(b.ngames, 0);
    aps_batch_cleanup(&b);
}

static void test_real_archive(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/sportsbookreview/nfl/nfl_archive_10Y.json",
             APS_DATA_DIR_DEFAULT);
    struct aps_batch b;
    memset(&b, 0, sizeof b);
    char err[256] = "";
    double t0 = aps_time_mono();
    assert_int_equal(aps_load_sbr_nfl(path, &b, err, sizeof err), 0);
    print_message("nfl archive: rows %zu games %zu odds %zu rejects %zu in %.1f ms\n", b.rows,
                  b.ngames, b.nodds, aps_batch_rejected(&b), (aps_time_mono() - t0) * 1e3);
    assert_int_equal(b.rows, 2956);
    assert_int_equal(b.ngames, 2946);
    assert_int_equal(b.nodds, 28416);
    assert_int_equal(reason(&b, "missing team"), 10); /* the ten Super Bowls */
    assert_int_equal(reason(&b, "bad line"), 522);
    assert_int_equal(aps_batch_rejected(&b), 532);
    assert_string_equal(b.games[0].date, "2011-09-08");
    assert_string_equal(b.games[b.ngames - 1].date, "2022-01-30");
    assert_string_equal(b.games[b.ngames - 1].season, "2021");
    assert_string_equal(b.games[b.ngames - 1].home, "Rams");
    assert_string_equal(b.games[b.ngames - 1].away, "Fortyniners");
    size_t ml = 0;
    for (size_t i = 0; i < b.nodds; i++)
        ml += b.odds[i].market == APS_MKT_MONEYLINE;
    assert_int_equal(ml, 2 * 2946);
    aps_batch_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snippet),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_real_archive),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
