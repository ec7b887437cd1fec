/* test_theoddsapi.c — TheOddsAPI parsers on every real sample (american and decimal prices, the
 * older and newer shapes, Betfair's h2h_lay skipped, sports list), the scores shape of the
 * OpenAPI ScoreEvent schema, the quota rule and the request URLs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "ingest/collect_http.h"
#include "ingest/theoddsapi.h"

#define SAMPLES APS_DATA_DIR_DEFAULT "/api-samples/theoddsapi/"

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

static int parse_file(const char *name, enum aps_odds_format fmt, struct aps_odds_feed *f)
{
    size_t len;
    char *body = slurp(name, &len), err[256] = "";
    int rc = aps_theoddsapi_parse_odds(body, len, fmt, f, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s: %s\n", name, err);
    aps_free(body);
    return rc;
}

static const struct aps_odds_quote *find(const struct aps_odds_feed *f, size_t ev,
                                         const char *book, enum aps_market m,
                                         enum aps_selection s)
{
    for (size_t i = 0; i < f->nquotes; i++)
        if (f->quotes[i].event == ev && !strcmp(f->quotes[i].book, book) &&
            f->quotes[i].market == m && f->quotes[i].sel == s)
            return &f->quotes[i];
    return NULL;
}

static void test_nba_american_full_markets(void **state)
{
    (void)state;
    struct aps_odds_feed f = {0};
    assert_int_equal(parse_file(SAMPLES "odds_basketball_nba_h2h_spreads_totals_american_2022-11-23.json",
                                APS_ODDS_AMERICAN, &f), 0);
    assert_int_equal(f.nevents, 14);
    assert_int_equal(f.skipped_events, 0);
    const struct aps_odds_event *e = &f.events[0];
    assert_string_equal(e->id, "63330b334dfcd7aa56e69624617bc273");
    assert_int_equal(e->sport, APS_SPORT_NBA);
    assert_string_equal(e->home, "Philadelphia 76ers");
    assert_string_equal(e->away, "Brooklyn Nets");
    assert_int_equal(e->commence, aps_time_from_civil(2022, 11, 23, 0, 32, 18));
    /* FanDuel: h2h Nets -140 / 76ers +110; spreads Nets -2.5 at -110; totals 219.5 */
    const struct aps_odds_quote *q = find(&f, 0, "fanduel", APS_MKT_MONEYLINE, APS_SEL_AWAY);
    assert_non_null(q);
    assert_true(fabs(q->price - (1 + 100.0 / 140)) < 1e-9);
    assert_true(isnan(q->line));
    assert_int_equal(q->recorded_at, aps_time_from_civil(2022, 11, 23, 1, 5, 10));
    q = find(&f, 0, "fanduel", APS_MKT_MONEYLINE, APS_SEL_HOME);
    assert_true(fabs(q->price - 2.10) < 1e-9);
    q = find(&f, 0, "fanduel", APS_MKT_SPREAD, APS_SEL_AWAY);
    assert_non_null(q);
    assert_true(fabs(q->line - -2.5) < 1e-9);
    q = find(&f, 0, "fanduel", APS_MKT_TOTAL, APS_SEL_UNDER);
    assert_non_null(q);
    assert_true(fabs(q->line - 219.5) < 1e-9);
    assert_true(fabs(q->price - (1 + 100.0 / 113)) < 1e-9);
    /* Betfair's h2h_lay is not a market the platform stores. */
    for (size_t i = 0; i < f.nquotes; i++) {
        assert_true(f.quotes[i].price > 1.0);
        assert_true(f.quotes[i].market < APS_MKT__COUNT);
    }
    /* 854 outcomes in h2h, spreads and totals; 20 in Betfair's h2h_lay (counted by hand). */
    assert_int_equal(f.nquotes, 854);
    assert_int_equal(f.skipped_quotes, 20);
    aps_odds_feed_cleanup(&f);
}

static void test_nba_decimal(void **state)
{
    (void)state;
    struct aps_odds_feed f = {0};
    assert_int_equal(parse_file(SAMPLES "odds_basketball_nba_h2h_decimal_2022-12-06.json",
                                APS_ODDS_DECIMAL, &f), 0);
    assert_int_equal(f.nevents, 3);
    const struct aps_odds_quote *q = find(&f, 0, "williamhill_us", APS_MKT_MONEYLINE, APS_SEL_HOME);
    assert_non_null(q);
    assert_true(fabs(q->price - 1.53) < 1e-9);
    assert_string_equal(q->book_title, "William Hill (US)");
    /* The same body read as American prices has no valid price: nothing is stored. */
    struct aps_odds_feed g = {0};
    assert_int_equal(parse_file(SAMPLES "odds_basketball_nba_h2h_decimal_2022-12-06.json",
                                APS_ODDS_AMERICAN, &g), 0);
    assert_int_equal(g.nquotes, 0);
    assert_true(g.skipped_quotes > 0);
    aps_odds_feed_cleanup(&f);
    aps_odds_feed_cleanup(&g);
}

static void test_upcoming_mixed_sports(void **state)
{
    (void)state;
    struct aps_odds_feed f = {0};
    assert_int_equal(parse_file(SAMPLES "odds_upcoming_h2h_us_american_2024-03-27.json",
                                APS_ODDS_AMERICAN, &f), 0);
    /* 28 events: NBA, NCAAB and NHL are covered; NCAA baseball, SHL and IPL are not. */
    assert_int_equal(f.nevents + f.skipped_events, 28);
    assert_true(f.skipped_events > 0);
    bool nba = false, nhl = false;
    for (size_t i = 0; i < f.nevents; i++) {
        nba |= f.events[i].sport == APS_SPORT_NBA;
        nhl |= f.events[i].sport == APS_SPORT_NHL;
    }
    assert_true(nba && nhl);
    /* The newer shape: the market's own last_update is used. */
    for (size_t i = 0; i < f.nquotes; i++)
        assert_true(f.quotes[i].recorded_at > aps_time_from_civil(2024, 3, 1, 0, 0, 0));
    aps_odds_feed_cleanup(&f);
}

static void test_sports_list(void **state)
{
    (void)state;
    size_t len, n;
    char *body = slurp(SAMPLES "sports.json", &len), err[128];
    struct aps_odds_sport *v = NULL;
    assert_int_equal(aps_theoddsapi_parse_sports(body, len, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 60);
    size_t outrights = 0, nfl = 0;
    for (size_t i = 0; i < n; i++) {
        outrights += v[i].has_outrights;
        nfl += v[i].sport == APS_SPORT_NFL;
    }
    assert_int_equal(outrights, 11);
    assert_int_equal(nfl, 1);
    aps_free(v);
    aps_free(body);
}

static void test_scores_schema(void **state)
{
    (void)state;
    /* Built from the OpenAPI ScoreEvent schema: scores null before the game, strings after. */
    const char *body =
        "[{\"id\":\"a1\",\"sport_key\":\"basketball_nba\",\"sport_title\":\"NBA\","
        "\"commence_time\":\"2022-11-23T00:32:18Z\",\"completed\":true,"
        "\"home_team\":\"Philadelphia 76ers\",\"away_team\":\"Brooklyn Nets\","
        "\"scores\":[{\"name\":\"Brooklyn Nets\",\"score\":\"106\"},"
        "{\"name\":\"Philadelphia 76ers\",\"score\":\"115\"}],"
        "\"last_update\":\"2022-11-23T03:02:00Z\"},"
        "{\"id\":\"a2\",\"sport_key\":\"basketball_nba\",\"commence_time\":\"2022-11-24T00:10:00Z\","
        "\"completed\":false,\"home_team\":\"Charlotte Hornets\",\"away_team\":\"Philadelphia 76ers\","
        "\"scores\":null,\"last_update\":null}]";
    struct aps_odds_feed f = {0};
    char err[128];
    assert_int_equal(aps_theoddsapi_parse_scores(body, strlen(body), &f, err, sizeof err), 0);
    assert_int_equal(f.nevents, 2);
    assert_true(f.events[0].completed);
    assert_true(f.events[0].has_scores);
    assert_int_equal(f.events[0].home_score, 115);
    assert_int_equal(f.events[0].away_score, 106);
    assert_false(f.events[1].has_scores);
    assert_int_equal(f.events[1].home_score, -1);
    assert_int_equal(f.events[1].last_update, 0);
    aps_odds_feed_cleanup(&f);
}

static void test_malformed_and_truncated(void **state)
{
    (void)state;
    size_t len;
    char *body = slurp(SAMPLES "odds_basketball_nba_h2h_spreads_totals_american_2022-11-23.json",
                       &len), err[256] = "";
    struct aps_odds_feed f = {0};
    assert_int_equal(aps_theoddsapi_parse_odds(body, len / 2, APS_ODDS_AMERICAN, &f, err,
                                               sizeof err), APS_E_PARSE);
    assert_true(strlen(err) > 0);
    assert_int_equal(aps_theoddsapi_parse_odds("{\"message\":\"x\"}", 15, APS_ODDS_AMERICAN, &f,
                                               err, sizeof err), APS_E_PARSE);
    assert_int_equal(aps_theoddsapi_parse_odds("[{\"id\":1}]", 10, APS_ODDS_AMERICAN, &f, err,
                                               sizeof err), APS_E_PARSE);
    aps_odds_feed_cleanup(&f);
    aps_free(body);
}

/* An event without an id, teams or commence time is left out and counted, and every other event
 * of the answer is read (it once failed the whole answer, so each poll lost every good event). */
static void test_bad_event_among_good(void **state)
{
    (void)state;
    size_t len, first_quotes = 0;
    char *body = slurp(SAMPLES "odds_basketball_nba_h2h_spreads_totals_american_2022-11-23.json",
                       &len), err[256] = "";
    struct aps_odds_feed whole = {0}, f = {0};
    assert_int_equal(aps_theoddsapi_parse_odds(body, len, APS_ODDS_AMERICAN, &whole, err,
                                               sizeof err), 0);
    for (size_t i = 0; i < whole.nquotes; i++)
        first_quotes += whole.quotes[i].event == 0;
    assert_true(first_quotes > 0);
    char *id = strstr(body, "\"id\""); /* the first event's id: "ix" is no field of it */
    assert_non_null(id);
    id[2] = 'x';
    assert_int_equal(aps_theoddsapi_parse_odds(body, len, APS_ODDS_AMERICAN, &f, err, sizeof err),
                     0);
    assert_int_equal(f.nevents, whole.nevents - 1);
    assert_int_equal(f.bad_events, 1);
    assert_string_equal(f.bad_event, "event 1 of the answer has no id");
    assert_string_equal(f.events[0].id, whole.events[1].id);
    assert_int_equal(f.nquotes, whole.nquotes - first_quotes);
    aps_odds_feed_cleanup(&whole);
    aps_odds_feed_cleanup(&f);
    aps_free(body);

    const char *scores =
        "[{\"id\":\"a1\",\"sport_key\":\"basketball_nba\",\"commence_time\":\"2022-11-23T00:32:18Z\","
        "\"completed\":true,\"home_team\":\"Philadelphia 76ers\",\"away_team\":\"Brooklyn Nets\","
        "\"scores\":[{\"name\":\"Brooklyn Nets\",\"score\":\"106\"},"
        "{\"name\":\"Philadelphia 76ers\",\"score\":\"115\"}]},"
        "{\"id\":\"a2\",\"sport_key\":\"basketball_nba\",\"commence_time\":\"2022-11-24T00:10:00Z\","
        "\"home_team\":null,\"away_team\":\"Philadelphia 76ers\",\"scores\":null},"
        "{\"id\":\"a3\",\"sport_key\":\"basketball_nba\",\"commence_time\":\"soon\","
        "\"home_team\":\"Charlotte Hornets\",\"away_team\":\"Boston Celtics\",\"scores\":null}]";
    assert_int_equal(aps_theoddsapi_parse_scores(scores, strlen(scores), &f, err, sizeof err), 0);
    assert_int_equal(f.nevents, 1);
    assert_int_equal(f.events[0].home_score, 115);
    assert_int_equal(f.bad_events, 2);
    assert_string_equal(f.bad_event, "event 2 of the answer (id a2) has no home_team");
    aps_odds_feed_cleanup(&f);

    /* An answer of nothing but such events is not the documented shape: the poll fails. */
    assert_int_equal(aps_theoddsapi_parse_scores("[{\"id\":1}]", 10, &f, err, sizeof err),
                     APS_E_PARSE);
    assert_non_null(strstr(err, "no event has an id, teams and a commence time (event 1 of the "
                                "answer has no id)"));
    aps_odds_feed_cleanup(&f);
    assert_int_equal(aps_theoddsapi_parse_odds("[]", 2, APS_ODDS_AMERICAN, &f, err, sizeof err), 0);
    assert_int_equal(f.nevents + f.bad_events, 0);
}

static void test_sport_keys(void **state)
{
    (void)state;
    assert_int_equal(aps_theoddsapi_sport("basketball_nba"), APS_SPORT_NBA);
    assert_int_equal(aps_theoddsapi_sport("americanfootball_nfl"), APS_SPORT_NFL);
    assert_int_equal(aps_theoddsapi_sport("tennis_atp_french_open"), APS_SPORT_ATP);
    assert_int_equal(aps_theoddsapi_sport("soccer_epl"), APS_SPORT_EPL);
    assert_int_equal(aps_theoddsapi_sport("cricket_ipl"), -1);
    assert_int_equal(aps_theoddsapi_sport("tennis_atpx"), -1);
}

static void test_budget(void **state)
{
    (void)state;
    assert_int_equal(aps_theoddsapi_cost("h2h,spreads,totals", "us,eu"), 6);
    assert_int_equal(aps_theoddsapi_cost("h2h", "us"), 1);
    assert_true(aps_theoddsapi_budget_ok(-1, -1, 500, 6));      /* nothing known yet */
    assert_true(aps_theoddsapi_budget_ok(6, 494, 500, 6));      /* exactly fits */
    assert_false(aps_theoddsapi_budget_ok(5, 10, 500, 6));      /* provider has 5 left */
    assert_false(aps_theoddsapi_budget_ok(1000, 495, 500, 6));  /* our budget is spent */
    assert_false(aps_theoddsapi_budget_ok(-1, -1, 4, 6));
}

static void test_urls_and_redaction(void **state)
{
    (void)state;
    struct aps_buf u = {0};
    aps_theoddsapi_odds_url(&u, "http://127.0.0.1:9/v4/", "basketball_nba", "s3cr3t k&y",
                            "us,eu", "h2h,spreads,totals", APS_ODDS_AMERICAN);
    assert_string_equal(aps_buf_str(&u),
                        "http://127.0.0.1:9/v4/sports/basketball_nba/odds?apiKey=s3cr3t%20k%26y"
                        "&regions=us,eu&markets=h2h,spreads,totals&oddsFormat=american"
                        "&dateFormat=iso");
    char safe[256];
    aps_collect_redact_url(aps_buf_str(&u), safe, sizeof safe);
    assert_null(strstr(safe, "s3cr3t"));
    assert_non_null(strstr(safe, "apiKey=REDACTED&regions=us,eu"));
    aps_theoddsapi_scores_url(&u, "https://api.the-odds-api.com/v4", "icehockey_nhl", "k", 2);
    assert_string_equal(aps_buf_str(&u), "https://api.the-odds-api.com/v4/sports/icehockey_nhl/"
                                         "scores?apiKey=k&daysFrom=2&dateFormat=iso");
    aps_buf_cleanup(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nba_american_full_markets),
        cmocka_unit_test(test_nba_decimal),
        cmocka_unit_test(test_upcoming_mixed_sports),
        cmocka_unit_test(test_sports_list),
        cmocka_unit_test(test_scores_schema),
        cmocka_unit_test(test_malformed_and_truncated),
        cmocka_unit_test(test_bad_event_among_good),
        cmocka_unit_test(test_sport_keys),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_urls_and_redaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
