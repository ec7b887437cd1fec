/* test_api_games.c — GET /games, /games/today, /games/upcoming and /games/{id} called directly
 * on a seeded SQLite store: filters, pagination, ordering, the odds a game carries on request,
 * and every validation and not-found path. */
#include "api_fixture.h"

#include "cache/cache.h"
#include "services/api_server.h"

#define GAMES "/api/v1/games"

static int64_t item_id(const struct treq *t, size_t i)
{
    return json_integer_value(json_object_get(json_array_get(tr_get(t, "items"), i), "id"));
}

static void test_list_all_newest_first(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 4);
    assert_int_equal(json_integer_value(tr_get(&t, "page")), 1);
    assert_int_equal(json_integer_value(tr_get(&t, "limit")), 50);
    assert_int_equal(item_id(&t, 0), FX_G_FUTURE); /* latest start first */
    assert_int_equal(item_id(&t, 3), FX_G_FINAL);
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "limit", "2");
    tr_query(&t, "page", "2");
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 4);
    assert_int_equal(json_array_size(tr_get(&t, "items")), 2);
    assert_int_equal(item_id(&t, 1), FX_G_FINAL);
    tr_cleanup(&t);

    /* A full page counts the matches; the last page, not full, gives the total itself. */
    static const struct {
        const char *limit, *page;
        size_t rows;
    } pages[] = {{"1", "1", 1}, {"4", "1", 4}, {"3", "1", 3}, {"3", "2", 1}, {"5", "1", 4}};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
        tr_query(&t, "limit", pages[i].limit);
        tr_query(&t, "page", pages[i].page);
        assert_int_equal(tr_run(&t, aps_api_games_list), 200);
        assert_int_equal(json_array_size(tr_get(&t, "items")), pages[i].rows);
        assert_int_equal(json_integer_value(tr_get(&t, "total")), 4);
        tr_cleanup(&t);
    }

    /* A page past the end has no rows, and still the total. */
    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "limit", "2");
    tr_query(&t, "page", "9");
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 4);
    assert_int_equal(json_array_size(tr_get(&t, "items")), 0);
    tr_cleanup(&t);
}

static void test_list_filters(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "sport", "nfl");
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 3);
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "status", "final");
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    json_t *g = json_array_get(tr_get(&t, "items"), 0);
    assert_string_equal(jstr(json_object_get(g, "home_team"), "key"), "KC");
    assert_int_equal(json_integer_value(json_object_get(g, "home_score")), 27);
    assert_int_equal(json_integer_value(json_object_get(g, "away_score")), 20);
    assert_string_equal(jstr(g, "sport"), "NFL");
    char date[11];
    snprintf(date, sizeof date, "%s", jstr(g, "date"));
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "date", date);
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    assert_int_equal(item_id(&t, 0), FX_G_FINAL);
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "date_from", fx->today);
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 3);
    assert_int_equal(item_id(&t, 0), FX_G_STARTED); /* a date window reads forward */
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "team", "kansas city chiefs");
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 2);
    tr_cleanup(&t);

    /* A team by key, in any case, home or away; counted on a full page of a filtered list. */
    static const struct {
        const char *team, *limit;
        int64_t total;
    } teams[] = {
        {"mia", "50", 2}, {"MIA", "1", 2}, {"bal", "1", 1}, {"Kc", "1", 2}, {"XYZ", "1", 0}};
    for (size_t i = 0; i < sizeof teams / sizeof teams[0]; i++) {
        tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
        tr_query(&t, "team", teams[i].team);
        tr_query(&t, "limit", teams[i].limit);
        assert_int_equal(tr_run(&t, aps_api_games_list), 200);
        assert_int_equal(json_integer_value(tr_get(&t, "total")), teams[i].total);
        tr_cleanup(&t);
    }

    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "team_id", "4");
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 2);
    tr_cleanup(&t);
}

static int64_t list_total(struct fixture *fx, const char *limit, const char *page)
{
    struct treq t;
    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "limit", limit);
    tr_query(&t, "page", page);
    assert_int_equal(tr_run(&t, aps_api_games_list), 200);
    int64_t total = json_integer_value(tr_get(&t, "total"));
    tr_cleanup(&t);
    return total;
}

static void add_game(struct fixture *fx, const char *date)
{
    fx_exec(fx,
            "INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id,"
            " start_time, status, created_at, updated_at) SELECT sport_id, season_id, '%s',"
            " home_team_id, away_team_id, 915148800, status, created_at, updated_at FROM games"
            " WHERE id = 1",
            date);
}

/* With a response cache, the count of a long list (10,000 rows or more) is kept a few seconds
 * under the route's tag: a game added later shows in the total of a page that is not full at
 * once, in a full page's when the kept count is less than the page shows or after the tag is
 * invalidated (as a job that writes games does). A short list is counted every time. */
static void test_list_count_kept(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    assert_true(aps_api_cache_ttl(&fx->app, APS_CACHE_DEFAULT) > 0);
    assert_int_equal(aps_cache_open(&fx->app.cache, fx->cfg, NULL, err, sizeof err), 0);
    assert_int_equal(list_total(fx, "2", "1"), 4);
    add_game(fx, "1999-01-01");
    assert_int_equal(list_total(fx, "2", "1"), 5); /* short: counted again */
    /* 10,000 more games, one a day from 1960, far in the past (the last pages of the list) */
    fx_exec(fx, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)"
                " INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id,"
                " start_time, status, created_at, updated_at) SELECT g.sport_id, g.season_id,"
                " date('1960-01-01', '+' || n.i || ' days'), g.home_team_id, g.away_team_id,"
                " -315619200 + n.i * 86400, g.status, g.created_at, g.updated_at"
                " FROM n, games g WHERE g.id = 1");
    assert_int_equal(list_total(fx, "2", "1"), 10005);
    add_game(fx, "1999-01-02");
    assert_int_equal(list_total(fx, "2", "1"), 10005);     /* kept */
    assert_int_equal(list_total(fx, "4", "1"), 10005);     /* another page size, the same list */
    assert_int_equal(list_total(fx, "2", "9000"), 10005);  /* past the end: kept */
    assert_int_equal(list_total(fx, "100", "101"), 10006); /* not full: the page counts itself */
    add_game(fx, "1999-01-03");
    /* a full page that ends past the kept count (rows 10,005 and 10,006): counted, and kept */
    assert_int_equal(list_total(fx, "2", "5003"), 10007);
    add_game(fx, "1999-01-04");
    assert_int_equal(list_total(fx, "2", "1"), 10007);
    assert_int_equal(aps_cache_invalidate(fx->app.cache, "games"), 0);
    assert_int_equal(list_total(fx, "2", "1"), 10008);
    aps_cache_close(fx->app.cache);
    fx->app.cache = NULL;
    /* No cache: every full page counts. */
    fx_exec(fx, "DELETE FROM games WHERE game_date < '2000-01-01'");
    assert_int_equal(list_total(fx, "2", "1"), 4);
}

static void test_list_validation(void **state)
{
    struct fixture *fx = *state;
    struct {
        const char *k1, *v1, *k2, *v2, *field;
    } bad[] = {
        {"sport", "CRICKET", NULL, NULL, "sport"},
        {"limit", "101", NULL, NULL, "limit"},
        {"limit", "0", NULL, NULL, "limit"},
        {"page", "0", NULL, NULL, "page"},
        {"page", "x", NULL, NULL, "page"},
        {"date", "2024-13-01", NULL, NULL, "date"},
        {"date", "2024-01-01T10:00", NULL, NULL, "date"},
        {"date", "2024-01-01", "date_from", "2024-01-01", "date"},
        {"date_from", "2024-02-01", "date_to", "2024-01-01", "date_from"},
        {"status", "halftime", NULL, NULL, "status"},
        {"team_id", "-3", NULL, NULL, "team_id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct treq t;
        tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
        tr_query(&t, bad[i].k1, bad[i].v1);
        if (bad[i].k2)
            tr_query(&t, bad[i].k2, bad[i].v2);
        assert_int_equal(tr_run(&t, aps_api_games_list), 400);
        assert_string_equal(tr_code(&t), "VALIDATION_ERROR");
        if (!tr_detail(&t, bad[i].field))
            fail_msg("case %zu: no detail for %s", i, bad[i].field);
        tr_cleanup(&t);
    }
    /* every bad field is reported at once */
    struct treq t;
    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    tr_query(&t, "sport", "X");
    tr_query(&t, "limit", "500");
    assert_int_equal(tr_run(&t, aps_api_games_list), 400);
    assert_true(tr_detail(&t, "sport") && tr_detail(&t, "limit"));
    tr_cleanup(&t);
}

static void test_today_and_upcoming(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    /* the next 24 hours: game 3 in three hours; game 4 started an hour ago */
    tr_init(&t, fx, "GET", GAMES "/today", FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_games_today), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES "/today", FX_USER, APS_ROLE_USER);
    tr_query(&t, "sport", "EPL");
    assert_int_equal(tr_run(&t, aps_api_games_today), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    assert_int_equal(item_id(&t, 0), FX_G_TODAY);
    tr_cleanup(&t);

    /* scheduled, starting after now, within 7 days, soonest first; the started game is out */
    tr_init(&t, fx, "GET", GAMES "/upcoming", FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_games_upcoming), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 2);
    assert_int_equal(item_id(&t, 0), FX_G_TODAY);
    assert_int_equal(item_id(&t, 1), FX_G_FUTURE);
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES "/upcoming", FX_USER, APS_ROLE_USER);
    tr_query(&t, "days", "1");
    assert_int_equal(tr_run(&t, aps_api_games_upcoming), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES "/upcoming", FX_USER, APS_ROLE_USER);
    tr_query(&t, "days", "31");
    assert_int_equal(tr_run(&t, aps_api_games_upcoming), 400);
    assert_true(tr_detail(&t, "days"));
    tr_cleanup(&t);
}

static json_t *find_best(json_t *best, const char *market, const char *sel)
{
    for (size_t i = 0; i < json_array_size(best); i++) {
        json_t *b = json_array_get(best, i);
        if (!strcmp(jstr(b, "market"), market) && !strcmp(jstr(b, "selection"), sel))
            return b;
    }
    return NULL;
}

static void test_get_one(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    tr_init(&t, fx, "GET", GAMES "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "1");
    assert_int_equal(tr_run(&t, aps_api_games_get), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "id")), 1);
    assert_string_equal(jstr(tr_get(&t, "away_team"), "name"), "Baltimore Ravens");
    assert_null(tr_get(&t, "odds"));
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "1");
    tr_query(&t, "include_odds", "true");
    assert_int_equal(tr_run(&t, aps_api_games_get), 200);
    json_t *odds = tr_get(&t, "odds"), *best = tr_get(&t, "best");
    assert_int_equal(json_array_size(odds), 9); /* latest per book, market, selection */
    /* Pinnacle's home moneyline: the close (1.55) is later than the open (1.60). */
    bool seen = false;
    for (size_t i = 0; i < json_array_size(odds); i++) {
        json_t *q = json_array_get(odds, i);
        if (!strcmp(jstr(q, "book"), "pinnacle") && !strcmp(jstr(q, "market"), "moneyline") &&
            !strcmp(jstr(q, "selection"), "home")) {
            assert_float_equal(jnum(q, "price"), 1.55, 1e-12);
            assert_string_equal(jstr(q, "phase"), "close");
            assert_int_equal(json_integer_value(json_object_get(q, "american")), -182);
            seen = true;
        }
    }
    assert_true(seen);
    /* best home moneyline: DraftKings 1.58; the aggregate's 1.70 is not a bookmaker */
    json_t *b = find_best(best, "moneyline", "home");
    assert_non_null(b);
    assert_string_equal(jstr(b, "book"), "draftkings");
    assert_float_equal(jnum(b, "price"), 1.58, 1e-12);
    assert_int_equal(json_integer_value(json_object_get(b, "books")), 2);
    /* best spread lines: home −3.0 (DraftKings), away +3.5 (Pinnacle) */
    b = find_best(best, "spread", "home");
    assert_string_equal(jstr(b, "book"), "draftkings");
    assert_float_equal(jnum(b, "line"), -3.0, 0);
    b = find_best(best, "spread", "away");
    assert_string_equal(jstr(b, "book"), "pinnacle");
    assert_float_equal(jnum(b, "line"), 3.5, 0);
    tr_cleanup(&t);
}

static void test_get_errors(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    tr_init(&t, fx, "GET", GAMES "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "999");
    assert_int_equal(tr_run(&t, aps_api_games_get), 404);
    assert_string_equal(tr_code(&t), "NOT_FOUND");
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "abc");
    assert_int_equal(tr_run(&t, aps_api_games_get), 400);
    assert_true(tr_detail(&t, "id"));
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", GAMES "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "1");
    tr_query(&t, "include_odds", "maybe");
    assert_int_equal(tr_run(&t, aps_api_games_get), 400);
    assert_true(tr_detail(&t, "include_odds"));
    tr_cleanup(&t);
}

/* Without a store the answer is 503, not a crash. */
static void test_no_store(void **state)
{
    struct fixture *fx = *state;
    struct aps_store *st = fx->app.store;
    struct treq t;
    fx->app.store = NULL;
    tr_init(&t, fx, "GET", GAMES, FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_games_list), 503);
    tr_cleanup(&t);
    fx->app.store = st;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_all_newest_first, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_count_kept, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_validation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_today_and_upcoming, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_get_one, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_get_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_store, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
