/* test_live_store.c — the collectors' write path on a real store (SQLite always, PostgreSQL when
 * APS_TEST_PG_URL is set): an ESPN event and a TheOddsAPI event of the same game become one game
 * (the real NBA samples of 22/23 Nov 2022), odds are stored change-only with movements, closing
 * lines are captured once from the last snapshot before the start (again at a postponed game's
 * new start; none for a game postponed or cancelled), an odds provider's moved commence time
 * moves the game it created until ESPN lists it, unknown teams are refused,
 * statuses only move forward, doubleheaders stay apart, a rescheduled game moves to its new
 * date while a pick locked in before keeps the date its hash covers, provider bookkeeping
 * round-trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "engine/lockin.h"
#include "ingest/espn.h"
#include "ingest/live_store.h"
#include "ingest/theoddsapi.h"
#include "ingest/weather.h"
#include "../support/testdb.h"

#define SAMPLES APS_DATA_DIR_DEFAULT "/api-samples/"

struct fx {
    struct testdb db;
    struct aps_conn *c;
    struct aps_live *l;
    int kind; /* 0 SQLite, 1 PostgreSQL */
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct aps_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        aps_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return aps_buf_steal(&b);
}

static int setup(void **state, int kind)
{
    struct fx *fx = aps_calloc(1, sizeof *fx);
    fx->kind = kind;
    int rc = kind ? testdb_pg(&fx->db, "live") : testdb_sqlite(&fx->db);
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
static int setup_sqlite(void **state) { return setup(state, 0); }
static int setup_pg(void **state) { return setup(state, 1); }

static int teardown(void **state)
{
    struct fx *fx = *state;
    if (!fx)
        return 0;
    aps_live_close(fx->l);
    if (fx->c)
        aps_store_release(fx->c);
    testdb_close(&fx->db);
    aps_free(fx);
    return 0;
}

static void begin(struct fx *fx)
{
    assert_int_equal(aps_conn_begin(fx->c), 0);
    assert_int_equal(aps_live_open(&fx->l, fx->c), 0);
}

static void commit(struct fx *fx)
{
    aps_live_close(fx->l);
    fx->l = NULL;
    assert_int_equal(aps_conn_commit(fx->c), 0);
}

static int64_t q1(struct fx *fx, const char *sql)
{
    int64_t v = -1;
    assert_int_equal(aps_conn_query_int64(fx->c, sql, 0, NULL, &v), 0);
    return v;
}

static void store_espn(struct fx *fx, const char *file, enum aps_sport s, int64_t now)
{
    size_t len;
    char *body = slurp(file, &len), err[128];
    struct aps_espn_board b = {0};
    assert_int_equal(aps_espn_parse_scoreboard(body, len, &b, err, sizeof err), 0);
    begin(fx);
    for (size_t i = 0; i < b.n; i++) {
        const struct aps_espn_event *e = &b.events[i];
        struct aps_live_game g = {s, "espn", e->id, e->home, e->away, e->start, true,
                                  (int)e->status, e->home_score, e->away_score, e->venue,
                                  e->venue_city, e->indoor, e->postseason};
        struct aps_live_ref ref;
        assert_int_equal(aps_live_game(fx->l, &g, now, &ref), 0);
    }
    commit(fx);
    aps_espn_board_cleanup(&b);
    aps_free(body);
}

/* Stores a parsed odds feed; returns the counts. */
static struct aps_live_counts store_feed(struct fx *fx, const struct aps_odds_feed *f, int64_t now)
{
    struct aps_live_counts cnt = {0};
    struct aps_live_ref *refs = aps_calloc(f->nevents, sizeof *refs);
    begin(fx);
    for (size_t i = 0; i < f->nevents; i++) {
        const struct aps_odds_event *e = &f->events[i];
        struct aps_live_game g = {e->sport, "theoddsapi", e->id, e->home, e->away, e->commence,
                                  false, -1, -1, -1, NULL, NULL, -1, false};
        assert_int_equal(aps_live_game(fx->l, &g, now, &refs[i]), 0);
    }
    for (size_t i = 0; i < f->nquotes; i++) {
        const struct aps_odds_quote *q = &f->quotes[i];
        struct aps_live_quote lq = {q->book, q->book_title, q->market, q->sel, q->line, q->price,
                                    q->recorded_at};
        assert_int_equal(aps_live_quote(fx->l, &refs[q->event], &lq, now, &cnt), 0);
    }
    commit(fx);
    aps_free(refs);
    return cnt;
}

static void nba_feed(struct aps_odds_feed *f)
{
    size_t len;
    char *body = slurp(SAMPLES "theoddsapi/odds_basketball_nba_h2h_spreads_totals_american_2022-11-23.json",
                       &len), err[128];
    assert_int_equal(aps_theoddsapi_parse_odds(body, len, APS_ODDS_AMERICAN, f, err, sizeof err), 0);
    aps_free(body);
}

static void test_one_game_across_sources(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t now = aps_time_from_civil(2022, 11, 23, 0, 10, 0);
    store_espn(fx, SAMPLES "espn/nba_scoreboard_2022-11-22_live.json", APS_SPORT_NBA, now);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 4);
    struct aps_odds_feed f = {0};
    nba_feed(&f);
    struct aps_live_counts cnt = store_feed(fx, &f, now);
    assert_int_equal(cnt.inserted, 854);
    assert_int_equal(cnt.movements, 0);
    /* 14 odds events, 4 of them already listed by ESPN: 14 games, not 18. */
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 14);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM external_ids"), 18);
    int64_t g1 = q1(fx, "SELECT game_id FROM external_ids WHERE provider = 'espn'"
                        " AND external_id = '401468411'");
    int64_t g2 = q1(fx, "SELECT game_id FROM external_ids WHERE provider = 'theoddsapi'"
                        " AND external_id = '63330b334dfcd7aa56e69624617bc273'");
    assert_int_equal(g1, g2);
    /* ESPN owns the schedule: its 00:30 start stays, not the odds feed's 00:32:18. */
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT start_time FROM games WHERE id = %lld", (long long)g1);
    assert_int_equal(q1(fx, sql), aps_time_from_civil(2022, 11, 23, 0, 30, 0));
    snprintf(sql, sizeof sql, "SELECT home_score FROM games WHERE id = %lld", (long long)g1);
    assert_int_equal(q1(fx, sql), 33);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games WHERE game_date = '2022-11-22'"), 4);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM game_sources"), 18);
    aps_odds_feed_cleanup(&f);
}

static void test_one_game_odds_first(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t now = aps_time_from_civil(2022, 11, 23, 0, 10, 0);
    struct aps_odds_feed f = {0};
    nba_feed(&f);
    store_feed(fx, &f, now);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 14);
    store_espn(fx, SAMPLES "espn/nba_scoreboard_2022-11-22_live.json", APS_SPORT_NBA, now);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 14);
    assert_int_equal(q1(fx, "SELECT start_time FROM games g JOIN external_ids e ON e.game_id = g.id"
                            " WHERE e.external_id = '401468411'"),
                     aps_time_from_civil(2022, 11, 23, 0, 30, 0));
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games WHERE status = 'in_progress'"), 1);
    aps_odds_feed_cleanup(&f);
}

static void test_change_only(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t now = aps_time_from_civil(2022, 11, 23, 1, 6, 0);
    struct aps_odds_feed f = {0};
    nba_feed(&f);
    struct aps_live_counts a = store_feed(fx, &f, now);
    struct aps_live_counts b = store_feed(fx, &f, now + 60);
    assert_int_equal(a.inserted, 854);
    assert_int_equal(b.inserted, 0);
    assert_int_equal(b.unchanged, 854);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM odds"), 854);
    /* One price moves (same last_update: the store dates it now), one line moves. */
    f.quotes[0].price += 0.05;
    size_t spread = 0;
    while (f.quotes[spread].market != APS_MKT_SPREAD)
        spread++;
    f.quotes[spread].line += 0.5;
    f.quotes[spread].recorded_at += 120;
    struct aps_live_counts c = store_feed(fx, &f, now + 120);
    assert_int_equal(c.inserted, 2);
    assert_int_equal(c.movements, 2);
    assert_int_equal(c.unchanged, 852);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM odds"), 856);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM odds_movements"), 2);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM odds_movements WHERE new_line - old_line = 0.5"), 1);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM odds_movements WHERE old_line IS NULL"
                            " AND new_line IS NULL"), 1);
    assert_int_equal(q1(fx, "SELECT COUNT(DISTINCT phase) FROM odds"), 1);
    aps_odds_feed_cleanup(&f);
}

static void test_closing_capture(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t start = aps_time_from_civil(2022, 11, 24, 0, 10, 0);
    struct aps_live_game g = {APS_SPORT_NBA, "theoddsapi", "ev1", "Charlotte Hornets",
                              "Philadelphia 76ers", start, false, -1, -1, -1, NULL, NULL, -1, false};
    struct aps_live_ref ref;
    struct aps_live_counts cnt = {0};
    begin(fx);
    assert_int_equal(aps_live_game(fx->l, &g, start - 7200, &ref), 0);
    double prices[] = {1.90, 1.95, 2.00}; /* 2 h before, 10 min before, 5 min after the start */
    int64_t at[] = {start - 7200, start - 600, start + 300};
    for (int i = 0; i < 3; i++) {
        struct aps_live_quote q = {"pinnacle", "Pinnacle", APS_MKT_MONEYLINE, APS_SEL_HOME, NAN,
                                   prices[i], at[i]};
        assert_int_equal(aps_live_quote(fx->l, &ref, &q, at[i], &cnt), 0);
        struct aps_live_quote t = {"pinnacle", "Pinnacle", APS_MKT_TOTAL, APS_SEL_OVER,
                                   210.5 + i, 1.91, at[i]};
        assert_int_equal(aps_live_quote(fx->l, &ref, &t, at[i], &cnt), 0);
    }
    commit(fx);
    assert_int_equal(cnt.inserted, 6);
    int captured = -1;
    assert_int_equal(aps_live_capture_closing(fx->c, start - 60, &captured), 0);
    assert_int_equal(captured, 0); /* not started yet */
    assert_int_equal(aps_live_capture_closing(fx->c, start + 600, &captured), 0);
    assert_int_equal(captured, 2);
    assert_int_equal(aps_live_capture_closing(fx->c, start + 900, &captured), 0);
    assert_int_equal(captured, 0); /* idempotent */
    int64_t cents = q1(fx, "SELECT CAST(ROUND(price * 100) AS BIGINT) FROM closing_lines"
                           " WHERE market = 'moneyline'");
    assert_int_equal(cents, 195);
    assert_int_equal(q1(fx, "SELECT CAST(line * 10 AS BIGINT) FROM closing_lines"
                            " WHERE market = 'total'"), 2115);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM closing_lines WHERE closed_at = %lld",
             (long long)start);
    assert_int_equal(q1(fx, sql), 2);
}

/* ESPN's update of a game: the schedule's authority, with a status and a start. */
static void espn_update(struct fx *fx, const char *id, const char *home, const char *away,
                        int64_t start, enum aps_game_status st, int64_t now, struct aps_live_ref *r)
{
    struct aps_live_game g = {APS_SPORT_NBA, "espn", id, home, away, start, true,
                              (int)st,       -1,     -1, NULL, NULL, -1, false};
    begin(fx);
    assert_int_equal(aps_live_game(fx->l, &g, now, r), 0);
    commit(fx);
}

static void quote_at(struct fx *fx, const struct aps_live_ref *r, enum aps_selection sel,
                     double price, int64_t at)
{
    struct aps_live_counts cnt = {0};
    struct aps_live_quote q = {"pinnacle", "Pinnacle", APS_MKT_MONEYLINE, sel, NAN, price, at};
    begin(fx);
    assert_int_equal(aps_live_quote(fx->l, r, &q, at, &cnt), 0);
    commit(fx);
    assert_int_equal(cnt.inserted, 1);
}

/* "price in cents@closed_at" of the game's live home close; "none" without one. */
static const char *live_close(struct fx *fx, int64_t game, char *out, size_t cap)
{
    char sql[192];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM closing_lines WHERE game_id = %lld"
             " AND selection = 'home' AND source = 'live'",
             (long long)game);
    if (q1(fx, sql) == 0) {
        snprintf(out, cap, "none");
        return out;
    }
    snprintf(sql, sizeof sql,
             "SELECT CAST(ROUND(price * 100) AS BIGINT) FROM closing_lines"
             " WHERE game_id = %lld AND selection = 'home'",
             (long long)game);
    int64_t cents = q1(fx, sql);
    snprintf(sql, sizeof sql,
             "SELECT closed_at FROM closing_lines WHERE game_id = %lld"
             " AND selection = 'home'",
             (long long)game);
    snprintf(out, cap, "%lld@%lld", (long long)cents, (long long)q1(fx, sql));
    return out;
}

/* A game postponed at its start and rescheduled a day later closes again at its new start,
 * from the last quote before it (not the one at the original start, nor one in play); a game
 * postponed and a game cancelled keep no live close; an imported close is never touched. */
static void test_closing_after_postponement(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t start = aps_time_from_civil(2022, 11, 24, 0, 10, 0), later = start + 86400;
    struct aps_live_ref a, b, c;
    espn_update(fx, "e1", "Charlotte Hornets", "Philadelphia 76ers", start, APS_GS_SCHEDULED,
                start - 7200, &a);
    espn_update(fx, "e2", "Boston Celtics", "Dallas Mavericks", start, APS_GS_SCHEDULED,
                start - 7200, &b);
    espn_update(fx, "e3", "Utah Jazz", "Denver Nuggets", start, APS_GS_SCHEDULED, start - 7200, &c);
    for (int i = 0; i < 3; i++)
        quote_at(fx, i == 0 ? &a : i == 1 ? &b : &c, APS_SEL_HOME, 2.10, start - 600);
    /* an imported close of game c, from a historical source: it always stands */
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO closing_lines (game_id, book_id, market, selection,"
             " line, price, closed_at, source) SELECT %lld, id, 'moneyline', 'away', NULL, 1.75,"
             " %lld, 'sbr' FROM sportsbooks WHERE key = 'pinnacle'",
             (long long)c.game_id, (long long)start);
    assert_int_equal(aps_conn_exec(fx->c, sql), 0);
    int captured = -1;
    assert_int_equal(aps_live_capture_closing(fx->c, start + 60, &captured), 0);
    assert_int_equal(captured, 3);
    char buf[64], want[64];
    snprintf(want, sizeof want, "210@%lld", (long long)start);
    assert_string_equal(live_close(fx, a.game_id, buf, sizeof buf), want);

    /* ESPN: a and b postponed, c cancelled; then a rescheduled a day later */
    espn_update(fx, "e1", "Charlotte Hornets", "Philadelphia 76ers", start, APS_GS_POSTPONED,
                start + 600, &a);
    espn_update(fx, "e2", "Boston Celtics", "Dallas Mavericks", start, APS_GS_POSTPONED,
                start + 600, &b);
    espn_update(fx, "e3", "Utah Jazz", "Denver Nuggets", start, APS_GS_CANCELLED, start + 600, &c);
    assert_int_equal(aps_live_capture_closing(fx->c, start + 900, &captured), 0);
    assert_int_equal(captured, 0);
    assert_string_equal(live_close(fx, b.game_id, buf, sizeof buf), "none");
    assert_string_equal(live_close(fx, c.game_id, buf, sizeof buf), "none");
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM closing_lines WHERE game_id = %lld"
             " AND source = 'sbr'",
             (long long)c.game_id);
    assert_int_equal(q1(fx, sql), 1);
    espn_update(fx, "e1", "Charlotte Hornets", "Philadelphia 76ers", later, APS_GS_SCHEDULED,
                start + 3600, &a);
    quote_at(fx, &a, APS_SEL_HOME, 1.70, start + 7200); /* the price moves before the new start */
    quote_at(fx, &a, APS_SEL_HOME, 1.30, later + 300);  /* and again in play */
    assert_int_equal(aps_live_capture_closing(fx->c, later - 60, &captured), 0);
    assert_int_equal(captured, 0); /* not started yet */
    assert_string_equal(live_close(fx, a.game_id, buf, sizeof buf), "none");
    assert_int_equal(aps_live_capture_closing(fx->c, later + 600, &captured), 0);
    assert_int_equal(captured, 1);
    snprintf(want, sizeof want, "170@%lld", (long long)later);
    assert_string_equal(live_close(fx, a.game_id, buf, sizeof buf), want);
    assert_int_equal(aps_live_capture_closing(fx->c, later + 900, &captured), 0);
    assert_int_equal(captured, 0); /* the close at the new start stands */
    assert_string_equal(live_close(fx, a.game_id, buf, sizeof buf), want);
}

/* The stored date and number of a game, "2022-11-25#2". */
static const char *game_day(struct fx *fx, int64_t id, char *out, size_t cap)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT game_date, game_no FROM games WHERE id = %lld",
             (long long)id);
    char date[16] = "";
    int64_t no = 0;
    assert_int_equal(aps_conn_query_row(fx->c, sql, "si", date, sizeof date, &no, ""), 0);
    snprintf(out, cap, "%s#%lld", date, (long long)no);
    return out;
}

/* A rescheduled game moves to the local date of its new start, numbered after the game the same
 * two teams already have there; a move within the date keeps it; a game whose time was not known
 * keeps its date when a provider first gives the time; a pick locked in before the move keeps the
 * date its hash covers, and the chain verifies. */
static void test_rescheduled_game_moves_date(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    /* 00:10 UTC on the 24th is the evening of the 23rd in North America */
    int64_t start = aps_time_from_civil(2022, 11, 24, 0, 10, 0), now = start - 86400;
    struct aps_live_ref a, b;
    char buf[32];
    espn_update(fx, "m1", "Charlotte Hornets", "Philadelphia 76ers", start, APS_GS_SCHEDULED, now,
                &a);
    espn_update(fx, "m2", "Charlotte Hornets", "Philadelphia 76ers", start + 2 * 86400,
                APS_GS_SCHEDULED, now, &b);
    assert_true(b.created);
    assert_string_equal(game_day(fx, a.game_id, buf, sizeof buf), "2022-11-23#1");
    assert_string_equal(game_day(fx, b.game_id, buf, sizeof buf), "2022-11-25#1");

    struct aps_pick p = {0};
    p.game_id = a.game_id;
    snprintf(p.model, sizeof p.model, "elo");
    p.market = APS_MKT_MONEYLINE;
    p.selection = APS_SEL_HOME;
    p.line = p.price = p.market_probability = p.edge = NAN;
    p.probability = 0.55;
    snprintf(p.publication, sizeof p.publication, "tracking_only");
    snprintf(p.no_bet_reason, sizeof p.no_bet_reason, "no price");
    assert_int_equal(aps_lockin_append(fx->c, &p), 0);
    assert_string_equal(p.game_date, "2022-11-23");

    /* postponed two days, to the evening after the other game: same date, second game */
    espn_update(fx, "m1", "Charlotte Hornets", "Philadelphia 76ers", start + 2 * 86400 + 10800,
                APS_GS_SCHEDULED, now + 3600, &a);
    assert_true(a.changed);
    assert_string_equal(game_day(fx, a.game_id, buf, sizeof buf), "2022-11-25#2");
    assert_string_equal(game_day(fx, b.game_id, buf, sizeof buf), "2022-11-25#1");
    /* an hour earlier the same evening: the date stays */
    espn_update(fx, "m1", "Charlotte Hornets", "Philadelphia 76ers", start + 2 * 86400 + 7200,
                APS_GS_SCHEDULED, now + 7200, &a);
    assert_true(a.changed);
    assert_string_equal(game_day(fx, a.game_id, buf, sizeof buf), "2022-11-25#2");

    struct aps_verify_result v;
    assert_int_equal(aps_lockin_verify(fx->c, &v), 0);
    assert_true(v.ok);
    assert_int_equal(v.checked, 1);
    char sql[128];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM predictions WHERE game_date = '2022-11-23'"
             " AND game_id = %lld",
             (long long)a.game_id);
    assert_int_equal(q1(fx, sql), 1);

    /* a history game with a date only (start at midnight UTC, time not known): ESPN's first
     * start on that date keeps it */
    snprintf(sql, sizeof sql,
             "UPDATE games SET time_known = 0, start_time = %lld, game_date = '2022-11-27',"
             " game_no = 1 WHERE id = %lld",
             (long long)aps_time_from_civil(2022, 11, 27, 0, 0, 0), (long long)b.game_id);
    assert_int_equal(aps_conn_exec(fx->c, sql), 0);
    espn_update(fx, "m2", "Charlotte Hornets", "Philadelphia 76ers",
                aps_time_from_civil(2022, 11, 28, 0, 30, 0), APS_GS_SCHEDULED, now, &b);
    assert_string_equal(game_day(fx, b.game_id, buf, sizeof buf), "2022-11-27#1");
}

static void test_unknown_team_and_status(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t t = aps_time_from_civil(2022, 11, 24, 0, 40, 0);
    struct aps_live_ref ref;
    begin(fx);
    struct aps_live_game bad = {APS_SPORT_NBA, "theoddsapi", "x1", "Springfield Isotopes",
                                "Boston Celtics", t, false, -1, -1, -1, NULL, NULL, -1, false};
    assert_int_equal(aps_live_game(fx->l, &bad, t, &ref), APS_E_NOTFOUND);
    struct aps_live_game g = {APS_SPORT_NBA, "espn", "e1", "Boston Celtics", "Dallas Mavericks",
                              t, true, APS_GS_FINAL, 125, 112, "TD Garden", "Boston, MA", 1, false};
    assert_int_equal(aps_live_game(fx->l, &g, t, &ref), 0);
    assert_true(ref.created);
    /* A lagging source says in progress: the final stays final with its score. */
    struct aps_live_game lag = g;
    lag.status = APS_GS_IN_PROGRESS;
    lag.home_score = 80;
    lag.away_score = 77;
    struct aps_live_ref ref2;
    assert_int_equal(aps_live_game(fx->l, &lag, t + 60, &ref2), 0);
    assert_int_equal(ref2.game_id, ref.game_id);
    assert_false(ref2.created);
    assert_false(ref2.changed); /* what the collector counts as an unchanged record */
    /* A corrected final score changes the game. */
    struct aps_live_game fixed = g;
    fixed.home_score = 126;
    assert_int_equal(aps_live_game(fx->l, &fixed, t + 90, &ref2), 0);
    assert_true(ref2.changed);
    fixed.home_score = 125;
    assert_int_equal(aps_live_game(fx->l, &fixed, t + 100, &ref2), 0);
    assert_true(ref2.changed);
    /* The odds provider lists it the other way round (a neutral-site listing): same game. */
    struct aps_live_game swapped = {APS_SPORT_NBA, "theoddsapi", "o1", "Dallas Mavericks",
                                    "Boston Celtics", t + 120, false, -1, -1, -1, NULL, NULL, -1, false};
    assert_int_equal(aps_live_game(fx->l, &swapped, t, &ref2), 0);
    assert_int_equal(ref2.game_id, ref.game_id);
    assert_true(ref2.swapped);
    struct aps_live_counts cnt = {0};
    struct aps_live_quote q = {"fanduel", "FanDuel", APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 2.5, t};
    assert_int_equal(aps_live_quote(fx->l, &ref2, &q, t, &cnt), 0);
    commit(fx);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 1);
    assert_int_equal(q1(fx, "SELECT home_score FROM games"), 125);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games WHERE status = 'final'"), 1);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM teams WHERE key = 'Springfield Isotopes'"), 0);
    /* The provider's "home" (Dallas) is the stored away side. */
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM odds WHERE selection = 'away'"), 1);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM venues WHERE kind = 'indoor'"), 1);
}

/* An odds provider's event whose commence time moves: the game it created moves with it (a
 * start left behind would close the game's lines at the old time); once ESPN lists the game, its
 * start stands and the odds provider's differing time no longer moves it. */
static void test_odds_start_moves(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t t = aps_time_from_civil(2026, 12, 6, 0, 10, 0), now = t - 43200;
    struct aps_live_ref ref;
    begin(fx);
    struct aps_live_game g = {APS_SPORT_NBA, "theoddsapi", "ev1", "Boston Celtics",
                              "Chicago Bulls", t, false, -1, -1, -1, NULL, NULL, -1, false};
    assert_int_equal(aps_live_game(fx->l, &g, now, &ref), 0);
    assert_true(ref.created);
    g.start = t + 9000; /* moved to 02:40 */
    assert_int_equal(aps_live_game(fx->l, &g, now + 60, &ref), 0);
    assert_false(ref.created);
    assert_true(ref.changed);
    commit(fx);
    assert_int_equal(q1(fx, "SELECT start_time FROM games"), t + 9000);
    begin(fx);
    struct aps_live_game espn = {APS_SPORT_NBA, "espn", "401", "Boston Celtics",
                                 "Chicago Bulls", t + 9000 + 1200, true, APS_GS_SCHEDULED,
                                 -1, -1, NULL, NULL, -1, false};
    assert_int_equal(aps_live_game(fx->l, &espn, now + 120, &ref), 0);
    assert_false(ref.created);
    g.start = t + 9000 + 300;
    assert_int_equal(aps_live_game(fx->l, &g, now + 180, &ref), 0);
    assert_false(ref.changed);
    commit(fx);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 1);
    assert_int_equal(q1(fx, "SELECT start_time FROM games"), t + 9000 + 1200);
}

/* A game ESPN calls a postseason game (season type 3) is stored as a playoff game, one it calls
 * a regular-season game is not, and a stored game is marked once ESPN calls it postseason; the
 * odds provider, which does not say, never clears the mark. */
static void test_postseason_marked(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t t = aps_time_from_civil(2027, 4, 20, 23, 0, 0), now = t - 86400;
    struct aps_live_ref ref;
    begin(fx);
    struct aps_live_game po = {APS_SPORT_NBA, "espn", "p1", "Boston Celtics", "Miami Heat", t,
                               true, APS_GS_SCHEDULED, -1, -1, NULL, NULL, -1, true};
    assert_int_equal(aps_live_game(fx->l, &po, now, &ref), 0);
    struct aps_live_game reg = {APS_SPORT_NBA, "espn", "r1", "Chicago Bulls", "Dallas Mavericks",
                                t, true, APS_GS_SCHEDULED, -1, -1, NULL, NULL, -1, false};
    assert_int_equal(aps_live_game(fx->l, &reg, now, &ref), 0);
    commit(fx);
    assert_int_equal(q1(fx, "SELECT playoff FROM games WHERE external_id = 'p1'"), 1);
    assert_int_equal(q1(fx, "SELECT playoff FROM games WHERE external_id = 'r1'"), 0);
    begin(fx);
    reg.postseason = true;
    assert_int_equal(aps_live_game(fx->l, &reg, now + 60, &ref), 0);
    struct aps_live_game odds = {APS_SPORT_NBA, "theoddsapi", "o1", "Boston Celtics",
                                 "Miami Heat", t, false, -1, -1, -1, NULL, NULL, -1, false};
    assert_int_equal(aps_live_game(fx->l, &odds, now + 120, &ref), 0);
    commit(fx);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games WHERE playoff = 1"), 2);
    assert_int_equal(q1(fx, "SELECT COUNT(*) FROM games"), 2);
}

static void test_same_date_and_doubleheader(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t t = aps_time_from_civil(2023, 7, 4, 17, 5, 0);
    struct aps_live_ref a, b, c;
    begin(fx);
    struct aps_live_game g1 = {APS_SPORT_MLB, "theoddsapi", "m1", "New York Yankees",
                               "Boston Red Sox", t, false, -1, -1, -1, NULL, NULL, -1, false};
    assert_int_equal(aps_live_game(fx->l, &g1, t, &a), 0);
    /* ESPN lists the game 3 hours later (a delayed start) on the same local date: same game. */
    struct aps_live_game g2 = {APS_SPORT_MLB, "espn", "s1", "New York Yankees", "Boston Red Sox",
                               t + 3 * 3600, true, APS_GS_SCHEDULED, -1, -1, NULL, NULL, -1, false};
    assert_int_equal(aps_live_game(fx->l, &g2, t, &b), 0);
    assert_int_equal(b.game_id, a.game_id);
    /* ESPN's second game of a doubleheader that evening: a new game, game_no 2. */
    struct aps_live_game g3 = g2;
    g3.external_id = "s2";
    g3.start = t + 6 * 3600;
    assert_int_equal(aps_live_game(fx->l, &g3, t, &c), 0);
    assert_true(c.created);
    assert_int_not_equal(c.game_id, a.game_id);
    commit(fx);
    assert_int_equal(q1(fx, "SELECT MAX(game_no) FROM games"), 2);
    assert_int_equal(q1(fx, "SELECT COUNT(DISTINCT season_id) FROM games"), 1);
}

static void test_weather_and_provider(void **state)
{
    struct fx *fx = *state;
    TESTDB_SKIP_WITHOUT_PG(fx);
    int64_t now = aps_time_from_civil(2023, 10, 5, 21, 0, 0);
    store_espn(fx, SAMPLES "espn/nfl_scoreboard_2023_week5_pregame.json", APS_SPORT_NFL, now);
    struct aps_live_venue_game *due = NULL;
    size_t n = 0;
    assert_int_equal(aps_live_weather_due(fx->c, APS_SPORT_NFL, now, 4 * 3600, &due, &n), 0);
    assert_int_equal(n, 1); /* only Thursday's game starts within 4 h */
    assert_string_equal(due[0].place, "Landover,MD,US");
    assert_int_equal(due[0].indoor, 0);
    struct aps_weather_obs w = {60.5, 12.0, 40, "clear sky", now, "Landover"};
    begin(fx);
    assert_int_equal(aps_live_weather(fx->l, due[0].game_id, &w, now), 0);
    commit(fx);
    aps_free(due);
    assert_int_equal(aps_live_weather_due(fx->c, APS_SPORT_NFL, now + 60, 4 * 3600, &due, &n), 0);
    assert_int_equal(n, 0); /* fresh reading */
    aps_free(due);
    assert_int_equal(q1(fx, "SELECT CAST(temperature_f * 10 AS BIGINT) FROM weather"), 605);

    struct aps_provider_status ps;
    assert_int_equal(aps_live_provider_get(fx->c, "theoddsapi", &ps), APS_E_NOTFOUND);
    assert_int_equal(ps.requests_remaining, -1);
    assert_int_equal(aps_live_provider_put(fx->c, "theoddsapi", 494, 6, 6, NULL, now), 0);
    assert_int_equal(aps_live_provider_put(fx->c, "theoddsapi", -1, -1, -1, "HTTP 500", now + 1), 0);
    assert_int_equal(aps_live_provider_get(fx->c, "theoddsapi", &ps), 0);
    assert_int_equal(ps.requests_remaining, 494);
    assert_int_equal(ps.requests_used, 6);
    assert_int_equal(ps.last_success_at, now);
    assert_string_equal(ps.last_error, "HTTP 500");
}

static void test_dates_and_seasons(void **state)
{
    (void)state;
    char d[11], s[16];
    aps_live_local_date(APS_SPORT_NBA, aps_time_from_civil(2022, 11, 23, 3, 0, 0), d, sizeof d);
    assert_string_equal(d, "2022-11-22");
    aps_live_local_date(APS_SPORT_NBA, aps_time_from_civil(2022, 11, 23, 6, 30, 0), d, sizeof d);
    assert_string_equal(d, "2022-11-22"); /* 10:30 PM in Los Angeles */
    aps_live_local_date(APS_SPORT_EPL, aps_time_from_civil(2022, 11, 23, 3, 0, 0), d, sizeof d);
    assert_string_equal(d, "2022-11-23");
    aps_live_season(APS_SPORT_NBA, "2022-11-22", s, sizeof s);
    assert_string_equal(s, "2022-23");
    aps_live_season(APS_SPORT_NHL, "2023-03-01", s, sizeof s);
    assert_string_equal(s, "2022-23");
    aps_live_season(APS_SPORT_NFL, "2023-01-15", s, sizeof s);
    assert_string_equal(s, "2022");
    aps_live_season(APS_SPORT_MLB, "2023-07-04", s, sizeof s);
    assert_string_equal(s, "2023");
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown)
#define PG(t) cmocka_unit_test_setup_teardown(t, setup_pg, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_one_game_across_sources),
        BOTH(test_one_game_odds_first),
        BOTH(test_change_only),
        BOTH(test_closing_capture),
        BOTH(test_rescheduled_game_moves_date),
        PG(test_rescheduled_game_moves_date),
        BOTH(test_unknown_team_and_status),
        BOTH(test_odds_start_moves),
        BOTH(test_same_date_and_doubleheader),
        BOTH(test_postseason_marked),
        PG(test_postseason_marked),
        BOTH(test_weather_and_provider),
        cmocka_unit_test(test_dates_and_seasons),
        BOTH(test_closing_after_postponement),
        PG(test_closing_after_postponement),
        PG(test_one_game_across_sources),
        PG(test_change_only),
        PG(test_closing_capture),
        PG(test_unknown_team_and_status),
        PG(test_odds_start_moves),
        PG(test_same_date_and_doubleheader),
        PG(test_weather_and_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
