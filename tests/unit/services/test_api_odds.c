/* test_api_odds.c — GET /odds/{game_id} and its /best, /history, /movements and /closing
 * views on a seeded store: latest snapshot per book, filters, line shopping across bookmakers
 * (aggregates left out), time order, recorded and derived movements, closing lines, errors. */
#include "api_fixture.h"

#include "odds/convert.h"

#define ODDS "/api/v1/odds/{game_id}"

static int run_odds(struct fixture *fx, struct treq *t, aps_http_handler h, const char *game,
                    const char *market, const char *book)
{
    tr_init(t, fx, "GET", ODDS, FX_USER, APS_ROLE_USER);
    tr_param(t, 0, game);
    if (market)
        tr_query(t, "market", market);
    if (book)
        tr_query(t, "book", book);
    return tr_run(t, h);
}

static size_t nitems(const struct treq *t)
{
    return json_array_size(tr_get(t, "items"));
}

static void test_current(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(run_odds(fx, &t, aps_api_odds_current, "1", NULL, NULL), 200);
    assert_int_equal(nitems(&t), 9);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 9);
    tr_cleanup(&t);

    assert_int_equal(run_odds(fx, &t, aps_api_odds_current, "1", "spread", NULL), 200);
    assert_int_equal(nitems(&t), 4);
    tr_cleanup(&t);

    assert_int_equal(run_odds(fx, &t, aps_api_odds_current, "1", NULL, "pinnacle"), 200);
    assert_int_equal(nitems(&t), 4);
    tr_cleanup(&t);

    /* game 2: DraftKings moved its home price from 1.80 to 1.85; the latest is served */
    assert_int_equal(run_odds(fx, &t, aps_api_odds_current, "2", "moneyline", "draftkings"), 200);
    assert_int_equal(nitems(&t), 2);
    json_t *home = json_array_get(tr_get(&t, "items"), 1); /* by selection: away, home */
    assert_string_equal(jstr(home, "selection"), "home");
    assert_float_equal(jnum(home, "price"), 1.85, 1e-12);
    assert_true(json_is_string(json_object_get(home, "recorded_at")));
    tr_cleanup(&t);
}

static void test_errors(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(run_odds(fx, &t, aps_api_odds_current, "999", NULL, NULL), 404);
    assert_string_equal(tr_code(&t), "NOT_FOUND");
    tr_cleanup(&t);
    assert_int_equal(run_odds(fx, &t, aps_api_odds_best, "x", NULL, NULL), 400);
    assert_true(tr_detail(&t, "game_id"));
    tr_cleanup(&t);
    assert_int_equal(run_odds(fx, &t, aps_api_odds_history, "1", "props", NULL), 400);
    assert_true(tr_detail(&t, "market"));
    tr_cleanup(&t);
    assert_int_equal(run_odds(fx, &t, aps_api_odds_closing, "1", NULL, "nosuchbook"), 400);
    assert_true(tr_detail(&t, "book"));
    tr_cleanup(&t);
    assert_int_equal(run_odds(fx, &t, aps_api_odds_movements, "999", NULL, NULL), 404);
    tr_cleanup(&t);
}

static void test_best(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(run_odds(fx, &t, aps_api_odds_best, "2", NULL, NULL), 200);
    json_t *items = tr_get(&t, "items");
    assert_int_equal(json_array_size(items), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *b = json_array_get(items, i);
        if (!strcmp(jstr(b, "selection"), "home")) {
            assert_string_equal(jstr(b, "book"), "draftkings"); /* 1.85 beats FanDuel 1.83 */
            assert_float_equal(jnum(b, "price"), 1.85, 1e-12);
        } else {
            assert_string_equal(jstr(b, "book"), "fanduel"); /* 2.10 beats 2.05 */
            assert_float_equal(jnum(b, "price"), 2.10, 1e-12);
            assert_int_equal(json_integer_value(json_object_get(b, "american")), 110);
        }
        assert_int_equal(json_integer_value(json_object_get(b, "books")), 2);
    }
    tr_cleanup(&t);

    /* a game with no odds: an empty list, not an error */
    assert_int_equal(run_odds(fx, &t, aps_api_odds_best, "4", NULL, NULL), 200);
    assert_int_equal(nitems(&t), 0);
    tr_cleanup(&t);
}

static void test_history_time_order(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(run_odds(fx, &t, aps_api_odds_history, "2", NULL, NULL), 200);
    json_t *items = tr_get(&t, "items");
    assert_int_equal(json_array_size(items), 5);
    json_t *last = json_array_get(items, 4);
    assert_string_equal(jstr(last, "book"), "draftkings");
    assert_float_equal(jnum(last, "price"), 1.85, 1e-12);
    const char *prev = "";
    for (size_t i = 0; i < 5; i++) {
        const char *at = jstr(json_array_get(items, i), "recorded_at");
        assert_true(strcmp(prev, at) <= 0);
        prev = at;
    }
    tr_cleanup(&t);

    /* untimed snapshots: the open comes before the close */
    assert_int_equal(run_odds(fx, &t, aps_api_odds_history, "1", "moneyline", "pinnacle"), 200);
    items = tr_get(&t, "items");
    assert_int_equal(json_array_size(items), 4);
    assert_string_equal(jstr(json_array_get(items, 0), "phase"), "open");
    assert_string_equal(jstr(json_array_get(items, 3), "phase"), "close");
    assert_true(json_is_null(json_object_get(json_array_get(items, 0), "recorded_at")));
    tr_cleanup(&t);
}

static void test_movements(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(run_odds(fx, &t, aps_api_odds_movements, "2", NULL, NULL), 200);
    assert_non_null(strstr(jstr(t.res.json, "source"), "derived"));
    json_t *items = tr_get(&t, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *m = json_array_get(items, 0);
    assert_string_equal(jstr(m, "book"), "draftkings");
    assert_float_equal(jnum(m, "old_price"), 1.80, 1e-12);
    assert_float_equal(jnum(m, "new_price"), 1.85, 1e-12);
    tr_cleanup(&t);

    assert_int_equal(run_odds(fx, &t, aps_api_odds_movements, "1", "moneyline", NULL), 200);
    assert_int_equal(nitems(&t), 2); /* Pinnacle open → close on both sides */
    tr_cleanup(&t);

    fx_exec(fx, "INSERT INTO odds_movements (game_id, book_id, market, selection, old_line,"
                " new_line, old_price, new_price, detected_at) VALUES"
                " (2, 3, 'moneyline', 'away', NULL, NULL, 2.15, 2.10, 100)");
    assert_int_equal(run_odds(fx, &t, aps_api_odds_movements, "2", NULL, NULL), 200);
    assert_string_equal(jstr(t.res.json, "source"), "odds_movements");
    assert_int_equal(nitems(&t), 1);
    assert_float_equal(jnum(json_array_get(tr_get(&t, "items"), 0), "old_price"), 2.15, 1e-12);
    tr_cleanup(&t);
}

static void test_closing(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(run_odds(fx, &t, aps_api_odds_closing, "1", NULL, NULL), 200);
    assert_int_equal(nitems(&t), 6);
    tr_cleanup(&t);
    assert_int_equal(run_odds(fx, &t, aps_api_odds_closing, "1", "moneyline", "pinnacle"), 200);
    json_t *items = tr_get(&t, "items");
    assert_int_equal(json_array_size(items), 2);
    json_t *away = json_array_get(items, 0); /* ordered by selection: away, home */
    assert_string_equal(jstr(away, "selection"), "away");
    assert_int_equal(json_integer_value(json_object_get(away, "american")), 160);
    assert_float_equal(jnum(away, "implied_probability"), aps_round_probability(1 / 2.60), 0);
    tr_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_current, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_best, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_history_time_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_movements, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_closing, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
