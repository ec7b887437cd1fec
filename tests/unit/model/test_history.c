/* test_history.c — the history loader (model/history.h) against a reference written out here
 * with the plain SQL order: odds by ORDER BY o.game_id, o.id with the sportsbooks joined to every
 * row, books numbered at their first quote in that order, and FiveThirtyEight's forecasts by the
 * loader's documented order. On real games and odds, then with rows added that the store's own
 * order does not give back sorted: late ids for an early game, quotes equal in every column but
 * the time they were taken (ties of every key but the id), a book first quoted late, a quote of a
 * book missing from sportsbooks, a phase the loader does not know, and duplicate forecasts.
 * And the tennis surface read straight from flat records gives what the JSON parser gives, on
 * stored records, crafted ones and random damage to them (the file is included to reach it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.c"
#include "core/mem.h"
#include "core/str.h"
#include "model/history.c"

/* The odds and books as the loader gave them before it sorted in memory. */
static const char REF_ODDS[] =
    "SELECT o.game_id, b.key, b.is_aggregate, b.is_sharp, o.market, o.selection, o.phase, o.line,"
    " o.price, o.recorded_at FROM odds o JOIN games g ON g.id = o.game_id JOIN sports sp"
    " ON sp.id = g.sport_id JOIN sportsbooks b ON b.id = o.book_id WHERE sp.code = ?1"
    " ORDER BY o.game_id, o.id";

static const char REF_538[] =
    "SELECT f.game_id, f.prob1, f.team1_home FROM forecasts f JOIN games g ON g.id = f.game_id"
    " JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = ?1 AND f.model IN ('538_elo', '538')"
    " ORDER BY f.model DESC, f.sport_id DESC, f.game_date DESC, f.team1_id DESC, f.team2_id DESC,"
    " f.game_no DESC";

static long game_of(const struct aps_history *h, int64_t id)
{
    for (size_t i = 0; i < h->ngames; i++)
        if (h->games[i].id == id)
            return (long)i;
    return -1;
}

static int ref_book(struct aps_history *r, const struct aps_stmt *st)
{
    const char *key = aps_stmt_text(st, 1);
    for (size_t b = 0; b < r->nbooks; b++)
        if (!strcmp(r->books[b].key, key))
            return (int)b;
    r->books = aps_realloc(r->books, (r->nbooks + 1) * sizeof *r->books);
    struct aps_hist_book *b = &r->books[r->nbooks];
    memset(b, 0, sizeof *b);
    (void)aps_str_copy(b->key, sizeof b->key, key);
    b->aggregate = aps_stmt_int64(st, 2) != 0;
    b->sharp = aps_stmt_int64(st, 3) != 0;
    return (int)r->nbooks++;
}

/* The reference: h's games (copied) with quotes, books and forecasts read the plain way. */
static void ref_load(struct aps_conn *c, enum aps_sport sport, const struct aps_history *h,
                     struct aps_history *r)
{
    const char *code = aps_sport_info(sport)->code;
    memset(r, 0, sizeof *r);
    r->ngames = h->ngames;
    r->games = aps_malloc(h->ngames * sizeof *r->games);
    memcpy(r->games, h->games, h->ngames * sizeof *r->games);
    for (size_t i = 0; i < r->ngames; i++) {
        r->games[i].q0 = r->games[i].nq = 0;
        r->games[i].fc_538 = NAN;
    }
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    int64_t cur = -1;
    long gi = -1;
    assert_int_equal(aps_conn_preparef(c, &st, REF_ODDS, "s", code), 0);
    int rc;
    while ((rc = aps_stmt_step(st)) == APS_ROW) {
        int64_t id = aps_stmt_int64(st, 0);
        if (id != cur) {
            cur = id;
            gi = game_of(r, id);
            if (gi >= 0)
                r->games[gi].q0 = r->nquotes;
        }
        int m = aps_market_parse(aps_stmt_text(st, 4));
        int s = aps_selection_parse(aps_stmt_text(st, 5));
        int p = aps_phase_parse(aps_stmt_text(st, 6));
        if (gi < 0 || m < 0 || s < 0 || p < 0)
            continue;
        if (r->nquotes == cap) {
            cap = cap ? cap * 2 : 1024;
            r->quotes = aps_realloc(r->quotes, cap * sizeof *r->quotes);
        }
        struct aps_hist_quote *q = &r->quotes[r->nquotes++];
        *q = (struct aps_hist_quote){
            ref_book(r, st),      m, s, p, aps_stmt_double(st, 7), aps_stmt_double(st, 8),
            aps_stmt_int64(st, 9)};
        r->games[gi].nq++;
    }
    assert_int_equal(rc, APS_DONE);
    aps_stmt_finalize(st);
    assert_int_equal(aps_conn_preparef(c, &st, REF_538, "s", code), 0);
    while ((rc = aps_stmt_step(st)) == APS_ROW) {
        gi = game_of(r, aps_stmt_int64(st, 0));
        if (gi < 0 || aps_stmt_is_null(st, 1) || !isnan(r->games[gi].fc_538))
            continue;
        double p1 = aps_stmt_double(st, 1);
        r->games[gi].fc_538 = aps_stmt_int64(st, 2) ? p1 : 1.0 - p1;
    }
    assert_int_equal(rc, APS_DONE);
    aps_stmt_finalize(st);
}

static void same_double(double a, double b)
{
    assert_true((isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a));
}

/* The loader's history (of the games dated in [from, to], either may be NULL) equals the
 * reference in every field, quotes and books in order. */
static void same_window(struct aps_conn *c, enum aps_sport sport, const char *from, const char *to)
{
    struct aps_history h, r;
    assert_int_equal(aps_history_load(c, sport, from, to, &h), 0);
    assert_true(h.ngames > 0 && h.nquotes > 0);
    ref_load(c, sport, &h, &r);
    assert_int_equal(h.nquotes, r.nquotes);
    assert_int_equal(h.nbooks, r.nbooks);
    for (size_t b = 0; b < h.nbooks; b++) {
        assert_string_equal(h.books[b].key, r.books[b].key);
        assert_int_equal(h.books[b].aggregate, r.books[b].aggregate);
        assert_int_equal(h.books[b].sharp, r.books[b].sharp);
    }
    for (size_t i = 0; i < h.ngames; i++) {
        assert_int_equal(h.games[i].q0, r.games[i].q0);
        assert_int_equal(h.games[i].nq, r.games[i].nq);
        same_double(h.games[i].fc_538, r.games[i].fc_538);
    }
    for (size_t i = 0; i < h.nquotes; i++) {
        const struct aps_hist_quote *a = &h.quotes[i], *b = &r.quotes[i];
        assert_int_equal(a->book, b->book);
        assert_int_equal(a->market, b->market);
        assert_int_equal(a->sel, b->sel);
        assert_int_equal(a->phase, b->phase);
        same_double(a->line, b->line);
        same_double(a->price, b->price);
        assert_int_equal(a->recorded_at, b->recorded_at);
    }
    aps_history_cleanup(&h);
    aps_history_cleanup(&r);
}

static void same_history(struct aps_conn *c, enum aps_sport sport)
{
    same_window(c, sport, NULL, NULL);
}

static void exec(struct aps_conn *c, const char *sql)
{
    assert_int_equal(aps_conn_exec(c, sql), 0);
}

/* Whether the sport's odds fill less than half of their id range (the loader then reads them
 * by game instead of by id range). */
static bool odds_sparse(struct aps_conn *c, const char *sport)
{
    int64_t span, count;
    assert_int_equal(aps_conn_query_row(c,
                                        "SELECT max(o.id) - min(o.id) + 1, count(*) FROM odds o"
                                        " JOIN games g ON g.id = o.game_id JOIN sports sp"
                                        " ON sp.id = g.sport_id WHERE sp.code = ?1",
                                        "ii", &span, &count, "s", sport),
                     0);
    assert_true(count > 0);
    return span > 2 * count;
}

static void test_real_data(void **state)
{
    (void)state;
    struct fx_store fx;
    fx_open(&fx);
    fx_ingest(&fx, APS_SOURCE_SBR, fx_nba, 2);
    fx_ingest(&fx, APS_SOURCE_FOOTBALL_DATA, fx_epl, 2);
    assert_false(odds_sparse(fx.c, "NBA"));
    assert_false(odds_sparse(fx.c, "EPL"));
    same_history(fx.c, APS_SPORT_NBA);
    same_history(fx.c, APS_SPORT_EPL);
    same_window(fx.c, APS_SPORT_NBA, "2016-12-01", "2017-02-28");
    same_window(fx.c, APS_SPORT_EPL, NULL, "2019-06-30");
    fx_close(&fx);
}

/* One sport's odds stored on both sides of another's: read by game, not by id range. */
static void test_interleaved_sports(void **state)
{
    (void)state;
    struct fx_store fx;
    fx_open(&fx);
    fx_ingest(&fx, APS_SOURCE_SBR, fx_nba, 1);
    fx_ingest(&fx, APS_SOURCE_FOOTBALL_DATA, fx_epl, 5);
    fx_ingest(&fx, APS_SOURCE_SBR, fx_nba + 1, 1);
    assert_true(odds_sparse(fx.c, "NBA"));
    assert_false(odds_sparse(fx.c, "EPL"));
    same_history(fx.c, APS_SPORT_NBA);
    same_history(fx.c, APS_SPORT_EPL);
    /* a window of dates: the rows of the games outside it are read by id range and skipped */
    same_window(fx.c, APS_SPORT_NBA, "2017-01-01", "2017-03-31");
    same_window(fx.c, APS_SPORT_EPL, "2019-01-01", NULL);
    struct aps_history h;
    assert_int_equal(aps_history_load(fx.c, APS_SPORT_NBA, "2017-01-01", "2017-03-31", &h), 0);
    assert_true(h.ngames > 100 && h.nquotes > 0);
    for (size_t i = 0; i < h.ngames; i++)
        assert_true(strcmp(h.games[i].date, "2017-01-01") >= 0 &&
                    strcmp(h.games[i].date, "2017-03-31") <= 0);
    aps_history_cleanup(&h);
    fx_close(&fx);
}

/* Rows the store returns out of (game_id, id) order when not asked to sort. */
static void test_out_of_order_rows(void **state)
{
    (void)state;
    struct fx_store fx;
    fx_open(&fx);
    fx_ingest(&fx, APS_SOURCE_SBR, fx_nba, 1);
    /* the earliest game, its lowest-id book and every odds row of the game, again, with later
       ids: the same keys but recorded later, inserted in descending time so that the unique
       index's order (time ascending) is the reverse of the ids' */
    exec(fx.c, "CREATE TEMP TABLE g0 AS SELECT min(g.id) AS id FROM games g JOIN sports sp"
               " ON sp.id = g.sport_id WHERE sp.code = 'NBA'");
    for (int t = 3; t >= 1; t--) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at,"
                 " line, price) SELECT game_id, book_id, market, selection, phase,"
                 " recorded_at + %d, line, price + %d * 0.01 FROM odds WHERE game_id ="
                 " (SELECT id FROM g0) AND recorded_at < 1000 ORDER BY id DESC",
                 t * 1000, t);
        exec(fx.c, sql);
    }
    /* a new book, first quoted (by id) on the last game but (by game) on the first */
    exec(fx.c, "INSERT INTO sportsbooks (key, name, is_sharp, is_aggregate)"
               " VALUES ('zz-late', 'Late', 1, 0)");
    exec(fx.c, "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line,"
               " price) SELECT max(g.id), (SELECT id FROM sportsbooks WHERE key = 'zz-late'),"
               " 'moneyline', 'home', 'close', 7, NULL, 1.9 FROM games g JOIN sports sp"
               " ON sp.id = g.sport_id WHERE sp.code = 'NBA'");
    exec(fx.c, "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line,"
               " price) SELECT id, (SELECT id FROM sportsbooks WHERE key = 'zz-late'),"
               " 'moneyline', 'away', 'close', 7, NULL, 2.05 FROM g0");
    /* a book not in sportsbooks (dropped, as the join drops it) and a phase no one knows (read,
       then skipped) */
    exec(fx.c, "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line,"
               " price) SELECT id, 987654, 'moneyline', 'home', 'close', 9, NULL, 1.5 FROM g0");
    exec(fx.c, "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line,"
               " price) SELECT id, (SELECT min(id) FROM sportsbooks), 'moneyline', 'home',"
               " 'halftime', 9, NULL, 1.5 FROM g0");
    /* two forecasts of one model for the same game: the loader's order picks one */
    exec(fx.c, "INSERT INTO forecasts (model, sport_id, game_date, team1_id, team2_id, game_id,"
               " team1_home, prob1) SELECT '538', g.sport_id, g.game_date, g.home_team_id,"
               " g.away_team_id, g.id, 1, 0.61 FROM games g WHERE g.id = (SELECT id FROM g0)");
    exec(fx.c, "INSERT INTO forecasts (model, sport_id, game_date, team1_id, team2_id, game_id,"
               " team1_home, prob1) SELECT '538', g.sport_id, g.game_date, g.away_team_id,"
               " g.home_team_id, g.id, 0, 0.35 FROM games g WHERE g.id = (SELECT id FROM g0)");
    exec(fx.c, "INSERT INTO forecasts (model, sport_id, game_date, team1_id, team2_id, game_id,"
               " team1_home, prob1) SELECT '538_elo', g.sport_id, g.game_date, g.home_team_id,"
               " g.away_team_id, g.id, 1, 0.52 FROM games g WHERE g.id = (SELECT max(id) FROM"
               " games WHERE sport_id = g.sport_id)");
    exec(fx.c, "INSERT INTO forecasts (model, sport_id, game_date, team1_id, team2_id, game_id,"
               " team1_home, prob1) SELECT '538', g.sport_id, g.game_date, g.home_team_id,"
               " g.away_team_id, g.id, 1, 0.48 FROM games g WHERE g.id = (SELECT max(id) FROM"
               " games WHERE sport_id = g.sport_id)");
    same_history(fx.c, APS_SPORT_NBA);

    /* the added rows are there: the first game has four times its quotes plus the late book's */
    struct aps_history h;
    assert_int_equal(aps_history_load(fx.c, APS_SPORT_NBA, NULL, NULL, &h), 0);
    int64_t g0 = INT64_MAX;
    size_t first = 0;
    for (size_t i = 0; i < h.ngames; i++)
        if (h.games[i].id < g0) {
            g0 = h.games[i].id;
            first = i;
        }
    const struct aps_hist_game *g = &h.games[first];
    assert_true(g->nq >= 9 && (g->nq - 1) % 4 == 0);
    /* within the game, quotes come in id order: the originals, then the copies recorded at
       +3000, +2000, +1000 (inserted in that order), then the late book */
    size_t k = (g->nq - 1) / 4;
    assert_true(h.quotes[g->q0 + k].recorded_at >= 3000);
    assert_true(h.quotes[g->q0 + 3 * k].recorded_at >= 1000 &&
                h.quotes[g->q0 + 3 * k].recorded_at < 2000);
    assert_string_equal(h.books[h.quotes[g->q0 + g->nq - 1].book].key, "zz-late");
    assert_true(h.books[h.quotes[g->q0 + g->nq - 1].book].sharp);
    /* of the two '538' rows the one with the larger team1 wins */
    same_double(g->fc_538, g->home > g->away ? 0.61 : 1 - 0.35);
    aps_history_cleanup(&h);
    fx_close(&fx);
}

/* surface_of() is surface_json(); handled: whether the flat reader took the text. */
static void same_surface(const char *text, bool handled)
{
    int s;
    if (flat_surface(text, &s) != handled)
        fail_msg("flat reader %s: %s", handled ? "refused" : "took", text);
    if (surface_of(text) != surface_json(text))
        fail_msg("surface %d, parser %d: %s", surface_of(text), surface_json(text), text);
}

static void test_surface_crafted(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool flat;
    } cases[] = {
        {"{\"winner\":\"home\",\"best_of\":3,\"surface\":\"Hard\",\"rank_home\":52,"
         "\"pts\":-0.5,\"x\":null,\"y\":true,\"z\":false}",
         true},
        {"{\"surface\":\"clay\"}", true},
        {" { \"surface\" : \"GRASS\" , \"a\" : 1 } \n", true},
        {"{\"surface\":\"Carpet\",\"surface\":\"Clay\"}", true}, /* the last counts */
        {"{\"surface\":\"Clay\",\"surface\":7}", true},
        {"{\"surface\":\"Indoor\"}", true},
        {"{\"surface\":\"Hardcourt-of-a-long-name\"}", true},
        {"{\"surface\":\"\"}", true},
        {"{}", true},
        {"{\"a\":1}", true},
        {"{\"surface\":\"Hard\"", false},                              /* unterminated */
        {"{\"surface\":\"Hard\"} x", false},                           /* text after the object */
        {"{\"surface\":\"H\\u0061rd\"}", false},                       /* an escape */
        {"{\"surface\":\"Hard\",\"t\":\"D\xc3\xbcsseldorf\"}", false}, /* UTF-8 */
        {"{\"surface\":\"Hard\",\"t\":\"\xff\"}", false},              /* not UTF-8 */
        {"{\"surface\":\"Hard\",\"o\":{\"surface\":\"Clay\"}}", false},
        {"{\"surface\":\"Hard\",\"a\":[1,2]}", false},
        {"{\"surface\":\"Hard\",\"n\":1e5}", false},
        {"{\"surface\":\"Hard\",\"n\":12345678901234567890}", false},
        {"{\"surface\":\"Hard\",\"n\":01}", false},
        {"{\"surface\":\"Hard\",\"n\":-true}", false},
        {"{\"surface\":\"Hard\",\"n\":1.}", false},
        {"{\"surface\":\"Hard\",}", false},
        {"{\"surface\":Hard}", false},
        {"[\"surface\",\"Hard\"]", false},
        {"\"Hard\"", false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_surface(cases[i].text, cases[i].flat);
    assert_int_equal(surface_of("{\"surface\":\"Carpet\",\"surface\":\"Clay\"}"),
                     APS_ELO_SURFACE_CLAY);
    assert_int_equal(surface_of(NULL), -1);
}

/* Random damage to a stored record: every result as the parser's. */
static void test_surface_damaged(void **state)
{
    (void)state;
    static const char base[] =
        "{\"winner\":\"away\",\"best_of\":3,\"surface\":\"Clay\",\"court\":\"Outdoor\","
        "\"round\":\"1st Round\",\"rank_home\":63,\"rank_away\":105,\"pts_home\":667.5,"
        "\"pts_away\":null,\"series\":\"ATP250\",\"tournament\":\"Brisbane\"}";
    static const char bytes[] = "{}[]\":,\\-+0123456789.eE \t\ntrufalsn\x01\x7f\xc3\xa9Hh";
    uint64_t x = 7;
    size_t flat = 0;
    for (int i = 0; i < 20000; i++) {
        char t[sizeof base + 8];
        memcpy(t, base, sizeof base);
        size_t len = sizeof base - 1;
        for (int k = 0, edits = 1 + i % 3; k < edits; k++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t at = (size_t)(x >> 33) % len;
            char b = bytes[(x >> 20) % (sizeof bytes - 1)];
            switch ((x >> 8) % 3) {
            case 0: t[at] = b; break; /* replace */
            case 1:
                memmove(t + at, t + at + 1, len - at);
                len--;
                break; /* delete */
            default:   /* insert */
                memmove(t + at + 1, t + at, len - at + 1);
                t[at] = b;
                len++;
            }
        }
        int s;
        flat += flat_surface(t, &s);
        if (surface_of(t) != surface_json(t))
            fail_msg("surface %d, parser %d: %s", surface_of(t), surface_json(t), t);
    }
    assert_true(flat > 2000); /* the flat reader took a good part of them */
}

/* The stored records of a real ATP season agree; the flat reader takes all but the few with
 * names outside ASCII. */
static void test_surface_stored(void **state)
{
    (void)state;
    static const char *const atp[] = {"tennis-data/atp/2012.csv"};
    struct fx_store fx;
    fx_open(&fx);
    fx_ingest(&fx, APS_SOURCE_TENNIS_DATA, atp, 1);
    struct aps_stmt *st = NULL;
    assert_int_equal(
        aps_conn_preparef(fx.c, &st, "SELECT extra FROM game_sources WHERE source = 'tennis-data'",
                          ""),
        0);
    size_t n = 0, known = 0, flat = 0;
    while (aps_stmt_step(st) == APS_ROW) {
        const char *t = aps_stmt_text(st, 0);
        bool ascii = true;
        for (const char *q = t; *q; q++)
            ascii &= *q > 0;
        same_surface(t, ascii);
        n++;
        flat += ascii;
        known += surface_of(t) >= 0;
    }
    aps_stmt_finalize(st);
    assert_true(n > 2000 && known == n && flat > n * 9 / 10);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_data),          cmocka_unit_test(test_out_of_order_rows),
        cmocka_unit_test(test_interleaved_sports), cmocka_unit_test(test_surface_crafted),
        cmocka_unit_test(test_surface_damaged),    cmocka_unit_test(test_surface_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
