/* test_api_predictions.c — GET /predictions (filters, pagination, newest first, the current
 * pick of each game and market unless history=true, publication and no-bet fields), /today (the
 * next 24 hours, or a tz calendar day),
 * /{id} with its explanation, /performance (the graded record against numbers computed here
 * with the Wilson interval), and lock-in verification by hash and by id, including a pick
 * whose stored content was changed after it was locked in. */
#include "api_fixture.h"

#include "odds/scoring.h"

#define PREDS "/api/v1/predictions"

static int64_t total_of(const struct treq *t)
{
    return json_integer_value(tr_get(t, "total"));
}

static int list_with(struct fixture *fx, struct treq *t, const char *k, const char *v)
{
    tr_init(t, fx, "GET", PREDS, FX_USER, APS_ROLE_USER);
    if (k)
        tr_query(t, k, v);
    return tr_run(t, aps_api_predictions_list);
}

static void test_list(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(list_with(fx, &t, NULL, NULL), 200);
    assert_int_equal(total_of(&t), 3);
    json_t *first = json_array_get(tr_get(&t, "items"), 0);
    assert_int_equal(json_integer_value(json_object_get(first, "id")), 3); /* newest first */
    assert_string_equal(jstr(first, "hash"), fx->hash[3]);
    assert_string_equal(jstr(first, "prev_hash"), fx->hash[2]);
    assert_string_equal(jstr(json_object_get(first, "game"), "sport"), "EPL");
    assert_float_equal(jnum(first, "price"), 3.10, 1e-12);
    assert_true(json_is_null(json_object_get(first, "result")));
    json_t *oldest = json_array_get(tr_get(&t, "items"), 2);
    assert_string_equal(jstr(json_object_get(oldest, "result"), "result"), "win");
    tr_cleanup(&t);

    struct {
        const char *k, *v;
        int64_t n;
    } f[] = {{"tier", "A", 1},         {"tier", "d", 0},        {"sport", "NFL", 2},
             {"market", "spread", 0},  {"min_edge", "0.06", 1}, {"min_probability", "0.5", 2},
             {"publication", "published", 2}, {"publication", "tracking_only", 1},
             {"graded", "true", 1},    {"graded", "false", 2},  {"result", "win", 1},
             {"date", fx->today, 1}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        assert_int_equal(list_with(fx, &t, f[i].k, f[i].v), 200);
        if (total_of(&t) != f[i].n)
            fail_msg("%s=%s: %lld picks, expected %lld", f[i].k, f[i].v,
                     (long long)total_of(&t), (long long)f[i].n);
        tr_cleanup(&t);
    }
}

static void test_list_validation(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    const char *bad[][2] = {{"tier", "E"},        {"tier", "AB"},     {"sport", "XFL"},
                            {"market", "props"},  {"min_edge", "abc"}, {"min_edge", "2"},
                            {"limit", "0"},       {"graded", "perhaps"}, {"result", "lost"},
                            {"min_probability", "-0.1"}, {"history", "maybe"},
                            {"publication", "live"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(list_with(fx, &t, bad[i][0], bad[i][1]), 400);
        if (!tr_detail(&t, bad[i][0]))
            fail_msg("no detail for %s=%s", bad[i][0], bad[i][1]);
        tr_cleanup(&t);
    }
}

/* The message of the validation detail for field, or "" when there is none. */
static const char *detail_message(const struct treq *t, const char *field)
{
    json_t *d = json_object_get(json_object_get(t->res.json, "error"), "details");
    for (size_t i = 0; i < json_array_size(d); i++) {
        json_t *e = json_array_get(d, i);
        if (!strcmp(json_string_value(json_object_get(e, "field")), field))
            return json_string_value(json_object_get(e, "message"));
    }
    return "";
}

/* An unknown sport, market or tier is named in its detail with the values that are accepted. */
static void test_enum_messages(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    const char *bad[][3] = {
        {"tier", "E", "must be A, B, C or D"},
        {"tier", "AB", "must be A, B, C or D"},
        {"sport", "XFL", "unknown sport code (NFL, NBA, MLB, NHL, EPL, ATP, ...)"},
        {"market", "props", "must be moneyline, spread or total"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(list_with(fx, &t, bad[i][0], bad[i][1]), 400);
        assert_string_equal(detail_message(&t, bad[i][0]), bad[i][2]);
        tr_cleanup(&t);
    }
    for (size_t i = 0; i < 2; i++) {
        const char *ok[] = {"B", "total"};
        assert_int_equal(list_with(fx, &t, i ? "market" : "tier", ok[i]), 200);
        tr_cleanup(&t);
    }
}

static void test_today(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    tr_init(&t, fx, "GET", PREDS "/today", FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_predictions_today), 200);
    assert_int_equal(total_of(&t), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tr_get(&t, "items"), 0),
                                                        "game_id")),
                     FX_G_TODAY);
    tr_cleanup(&t);
}

/* Appends a pick on game/market through the lock-in chain; returns its id. */
static int64_t add_pick(struct fixture *fx, int64_t game, enum aps_selection sel, double p)
{
    struct aps_conn *c = NULL;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    struct aps_pick k;
    memset(&k, 0, sizeof k);
    k.game_id = game;
    snprintf(k.model, sizeof k.model, "elo");
    k.market = APS_MKT_MONEYLINE;
    k.selection = sel;
    k.line = NAN;
    k.price = 1.90;
    snprintf(k.book, sizeof k.book, "draftkings");
    k.probability = p;
    k.market_probability = 0.5;
    k.edge = p - 0.5;
    snprintf(k.publication, sizeof k.publication, "tracking_only");
    snprintf(k.no_bet_reason, sizeof k.no_bet_reason, "tracking only: test");
    assert_int_equal(aps_lockin_append(c, &k), 0);
    aps_store_release(c);
    return k.id;
}

/* "Today" is the next 24 hours from now, not the UTC date of the game: a game 28 minutes away
 * whose local date is still yesterday (03:50 UTC, a 04:18 UTC game dated the evening before in
 * the US) is today's; the game's local date is its own field; tz gives a calendar day. */
static void test_today_window(void **state)
{
    struct fixture *fx = *state;
    char yesterday[11];
    aps_time_format_date(fx->now - 86400, yesterday, sizeof yesterday);
    fx_exec(fx,
            "INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id,"
            " start_time, time_known, status, created_at, updated_at) VALUES (1, 1, '%s', 3, 2,"
            " %lld, 1, 'scheduled', 0, 0)",
            yesterday, (long long)(fx->now + 28 * 60));
    int64_t id = add_pick(fx, 5, APS_SEL_HOME, 0.55);
    struct treq t;
    tr_init(&t, fx, "GET", PREDS "/today", FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_predictions_today), 200);
    assert_int_equal(total_of(&t), 2);
    json_t *first = NULL;
    for (size_t i = 0; i < 2; i++)
        if (json_integer_value(json_object_get(json_array_get(tr_get(&t, "items"), i), "id")) ==
            id)
            first = json_array_get(tr_get(&t, "items"), i);
    assert_non_null(first);
    assert_string_equal(jstr(json_object_get(first, "game"), "local_date"), yesterday);
    assert_non_null(json_object_get(tr_get(&t, "window"), "rule"));
    assert_non_null(json_object_get(tr_get(&t, "conventions"), "best_price"));
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", "/api/v1/games/today", FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_games_today), 200);
    assert_int_equal(total_of(&t), 2); /* games 3 and 5; game 4 started an hour ago */
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", PREDS "/today", FX_USER, APS_ROLE_USER);
    tr_query(&t, "tz", "UTC");
    assert_int_equal(tr_run(&t, aps_api_predictions_today), 200);
    assert_string_equal(jstr(tr_get(&t, "window"), "date"), fx->today);
    tr_cleanup(&t);
    tr_init(&t, fx, "GET", PREDS "/today", FX_USER, APS_ROLE_USER);
    tr_query(&t, "tz", "Mars/Olympus");
    assert_int_equal(tr_run(&t, aps_api_predictions_today), 400);
    assert_true(tr_detail(&t, "tz"));
    tr_cleanup(&t);
}

/* A newer pick for the same game and market supersedes the older one: lists show the current
 * pick by default and the history on request, each pick saying whether it is current. */
static void test_superseded(void **state)
{
    struct fixture *fx = *state;
    int64_t id = add_pick(fx, FX_G_FUTURE, APS_SEL_AWAY, 0.56);
    struct treq t;
    assert_int_equal(list_with(fx, &t, NULL, NULL), 200);
    assert_int_equal(total_of(&t), 3);
    json_t *items = tr_get(&t, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        assert_int_not_equal(json_integer_value(json_object_get(it, "id")), 2);
        assert_true(json_is_true(json_object_get(it, "current")));
    }
    tr_cleanup(&t);
    assert_int_equal(list_with(fx, &t, "history", "true"), 200);
    assert_int_equal(total_of(&t), 4);
    items = tr_get(&t, "items");
    bool seen = false;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        if (json_integer_value(json_object_get(it, "id")) != 2)
            continue;
        seen = true;
        assert_true(json_is_false(json_object_get(it, "current")));
        assert_int_equal(json_integer_value(json_object_get(it, "superseded_by")), id);
    }
    assert_true(seen);
    tr_cleanup(&t);
}

static void test_get(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    tr_init(&t, fx, "GET", PREDS "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "1");
    assert_int_equal(tr_run(&t, aps_api_predictions_get), 200);
    assert_float_equal(jnum(t.res.json, "probability"), 0.68, 1e-12);
    assert_float_equal(jnum(t.res.json, "edge"), 0.07, 1e-12);
    assert_string_equal(jstr(t.res.json, "tier"), "A");
    assert_string_equal(jstr(t.res.json, "hash"), fx->hash[1]);
    assert_string_equal(jstr(t.res.json, "publication"), "published");
    assert_true(json_is_null(tr_get(&t, "no_bet_reason")));
    assert_string_equal(jstr(tr_get(&t, "result"), "clv_unit"), "fraction of stake (price CLV)");
    assert_null(tr_get(&t, "explanation"));
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", PREDS "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "1");
    tr_query(&t, "include_explanation", "true");
    assert_int_equal(tr_run(&t, aps_api_predictions_get), 200);
    json_t *c = json_object_get(tr_get(&t, "explanation"), "contributions");
    assert_int_equal(json_array_size(c), 2);
    assert_string_equal(jstr(json_array_get(c, 0), "feature"), "elo_diff");
    assert_string_equal(jstr(json_array_get(c, 1), "impact"), "lowers");
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", PREDS "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "99");
    assert_int_equal(tr_run(&t, aps_api_predictions_get), 404);
    tr_cleanup(&t);
    tr_init(&t, fx, "GET", PREDS "/{id}", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "0");
    assert_int_equal(tr_run(&t, aps_api_predictions_get), 400);
    tr_cleanup(&t);
}

static json_t *group_of(json_t *arr, const char *key)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (!strcmp(jstr(json_array_get(arr, i), "key"), key))
            return json_array_get(arr, i);
    return NULL;
}

/* Picks 2 and 3 graded: a loss with CLV -0.01 and a win with CLV clv3. */
static void grade_two(struct fixture *fx, double clv3)
{
    fx_exec(fx,
            "INSERT INTO prediction_results (prediction_id, result, profit_loss, clv, graded_at)"
            " VALUES (2, 'loss', -1.0, -0.01, 1), (3, 'win', 2.10, %.17g, 1)",
            clv3);
}

/* GET /performance, of one market when market is not NULL (answered 200). */
static void performance(struct fixture *fx, struct treq *t, const char *market)
{
    tr_init(t, fx, "GET", PREDS "/performance", FX_USER, APS_ROLE_USER);
    if (market)
        tr_query(t, "market", market);
    assert_int_equal(tr_run(t, aps_api_predictions_performance), 200);
}

static void test_performance(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    grade_two(fx, 0.05);
    performance(fx, &t, NULL);
    json_t *all = tr_get(&t, "overall");
    assert_int_equal(json_integer_value(json_object_get(all, "n")), 3);
    assert_int_equal(json_integer_value(json_object_get(all, "wins")), 2);
    assert_int_equal(json_integer_value(json_object_get(all, "losses")), 1);
    assert_float_equal(jnum(all, "win_rate"), 2.0 / 3, 1e-12);
    double lo, hi;
    assert_int_equal(aps_score_wilson(2, 3, 1.96, &lo, &hi), 0);
    json_t *ci = json_object_get(all, "win_rate_ci95");
    assert_float_equal(json_number_value(json_array_get(ci, 0)), lo, 1e-12);
    assert_float_equal(json_number_value(json_array_get(ci, 1)), hi, 1e-12);
    assert_float_equal(jnum(all, "units"), 0.60 - 1.0 + 2.10, 1e-9);
    assert_float_equal(jnum(all, "roi"), (0.60 - 1.0 + 2.10) / 3, 1e-9);
    assert_float_equal(jnum(all, "clv_mean"), (0.0213 - 0.01 + 0.05) / 3, 1e-9);
    assert_float_equal(jnum(all, "clv_positive_share"), 2.0 / 3, 1e-12);
    json_t *nfl = group_of(tr_get(&t, "by_sport"), "NFL");
    assert_int_equal(json_integer_value(json_object_get(nfl, "n")), 2);
    assert_float_equal(jnum(nfl, "units"), -0.40, 1e-9);
    assert_int_equal(json_array_size(tr_get(&t, "by_tier")), 3);
    assert_int_equal(json_integer_value(json_object_get(group_of(tr_get(&t, "by_market"),
                                                                 "moneyline"), "n")), 3);
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", PREDS "/performance", FX_USER, APS_ROLE_USER);
    tr_query(&t, "sport", "EPL");
    assert_int_equal(tr_run(&t, aps_api_predictions_performance), 200);
    assert_int_equal(json_integer_value(json_object_get(tr_get(&t, "overall"), "n")), 1);
    tr_cleanup(&t);

    /* the record of published picks apart from those kept for the record only */
    int64_t published = fx_int(fx, "SELECT COUNT(*) FROM prediction_results r JOIN predictions p"
                                   " ON p.id = r.prediction_id WHERE p.publication = 'published'");
    assert_true(published > 0 && published < 3);
    const char *pubs[] = {"published", "tracking_only"};
    for (int i = 0; i < 2; i++) {
        tr_init(&t, fx, "GET", PREDS "/performance", FX_USER, APS_ROLE_USER);
        tr_query(&t, "publication", pubs[i]);
        assert_int_equal(tr_run(&t, aps_api_predictions_performance), 200);
        assert_int_equal(json_integer_value(json_object_get(tr_get(&t, "overall"), "n")),
                         i ? 3 - published : published);
        tr_cleanup(&t);
    }

    /* nothing graded in the window: zero counts and null rates, not made-up numbers */
    tr_init(&t, fx, "GET", PREDS "/performance", FX_USER, APS_ROLE_USER);
    tr_query(&t, "date_to", "2000-01-01");
    assert_int_equal(tr_run(&t, aps_api_predictions_performance), 200);
    all = tr_get(&t, "overall");
    assert_int_equal(json_integer_value(json_object_get(all, "n")), 0);
    assert_true(json_is_null(json_object_get(all, "win_rate")));
    assert_true(json_is_null(json_array_get(json_object_get(all, "win_rate_ci95"), 0)));
    tr_cleanup(&t);

    tr_init(&t, fx, "GET", PREDS "/performance", FX_USER, APS_ROLE_USER);
    tr_query(&t, "tier", "Z");
    assert_int_equal(tr_run(&t, aps_api_predictions_performance), 400);
    tr_cleanup(&t);
}

/* A game counts once per market, by its current pick: pick 2 (a C bet, lost) re-made as pick 4
 * (no bet, won) counts as pick 4 alone. The bets (tier A-C) and the rest are recorded apart, and
 * the rest is the tier group "none" (regression: a re-made pick counted its game twice, and the
 * group without a tier had no key, shown as "all" on the dashboard). */
static void test_performance_current_and_bets(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    grade_two(fx, 0.05);
    fx_exec(fx, "INSERT INTO predictions (game_id, model, market, selection, price, probability,"
                " tier, stake_fraction, locked_at, prev_hash, hash, created_at, publication,"
                " no_bet_reason) SELECT game_id, model, market, 'away', 1.85, 0.40, '', 0,"
                " locked_at, hash, 'remade', created_at, 'published', 'negative edge'"
                " FROM predictions WHERE id = 2;"
                "INSERT INTO prediction_results (prediction_id, result, profit_loss, clv,"
                " graded_at) VALUES (4, 'win', 0.85, 0.02, 1)");
    performance(fx, &t, NULL);
    json_t *all = tr_get(&t, "overall"), *bets = tr_get(&t, "bets"), *rest = tr_get(&t, "no_bets");
    assert_int_equal(json_integer_value(json_object_get(all, "n")), 3);
    assert_float_equal(jnum(all, "units"), 0.60 + 2.10 + 0.85, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(bets, "n")), 1);
    assert_float_equal(jnum(bets, "units"), 0.60, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(rest, "n")), 2);
    assert_float_equal(jnum(rest, "units"), 2.10 + 0.85, 1e-9);
    json_t *tiers = tr_get(&t, "by_tier");
    assert_int_equal(json_array_size(tiers), 2);
    assert_int_equal(json_integer_value(json_object_get(group_of(tiers, "none"), "n")), 2);
    assert_null(group_of(tiers, "C"));
    assert_int_equal(json_integer_value(json_object_get(tr_get(&t, "reliability"), "n")), 3);
    assert_int_equal(json_array_size(tr_get(&t, "cumulative")) > 0, 1);
    tr_cleanup(&t);
}

/* A pick locked in at or after the start it was made for (a replay of a past game) is marked,
 * counted apart in every record, and can be left out (locked=before_start): the record of
 * forecasts alone. The start is predictions.game_start, else the game's start. */
static void test_performance_lock_timing(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    grade_two(fx, 0.05);
    /* pick 2 was locked an hour before its game, pick 3 a minute after the start it was made
     * for (its game has since moved an hour later) */
    fx_exec(fx, "UPDATE predictions SET game_start = NULL, created_at = (SELECT g.start_time"
                " FROM games g WHERE g.id = game_id) - 3600 WHERE id = 2;"
                "UPDATE predictions SET game_start = (SELECT g.start_time FROM games g"
                " WHERE g.id = game_id) - 3600, created_at = (SELECT g.start_time FROM games g"
                " WHERE g.id = game_id) - 3540 WHERE id = 3");
    performance(fx, &t, NULL);
    json_t *all = tr_get(&t, "overall");
    int64_t n = json_integer_value(json_object_get(all, "n"));
    int64_t late = json_integer_value(json_object_get(all, "locked_after_start"));
    assert_true(late >= 1 && late < n);
    json_t *sports = tr_get(&t, "by_sport");
    int64_t late_sum = 0;
    for (size_t i = 0; i < json_array_size(sports); i++)
        late_sum += json_integer_value(
            json_object_get(json_array_get(sports, i), "locked_after_start"));
    assert_int_equal(late_sum, late);
    tr_cleanup(&t);
    for (int before = 0; before < 2; before++) {
        tr_init(&t, fx, "GET", PREDS "/performance", FX_USER, APS_ROLE_USER);
        tr_query(&t, "locked", before ? "before_start" : "after_start");
        assert_int_equal(tr_run(&t, aps_api_predictions_performance), 200);
        all = tr_get(&t, "overall");
        assert_int_equal(json_integer_value(json_object_get(all, "n")), before ? n - late : late);
        assert_int_equal(json_integer_value(json_object_get(all, "locked_after_start")),
                         before ? 0 : late);
        tr_cleanup(&t);
    }
    /* each pick says which it is; the list filters the same way */
    assert_int_equal(list_with(fx, &t, "game_id", "2"), 200);
    json_t *items = tr_get(&t, "items");
    assert_true(json_array_size(items) >= 1);
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        int64_t id = json_integer_value(json_object_get(it, "id"));
        if (id == 2)
            assert_true(json_is_true(json_object_get(it, "locked_before_start")));
        if (id == 3)
            assert_true(json_is_false(json_object_get(it, "locked_before_start")));
    }
    tr_cleanup(&t);
    assert_int_equal(list_with(fx, &t, "locked", "after_start"), 200);
    items = tr_get(&t, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        assert_true(
            json_is_false(json_object_get(json_array_get(items, i), "locked_before_start")));
    assert_int_not_equal(json_array_size(items), 0);
    tr_cleanup(&t);
    assert_int_equal(list_with(fx, &t, "locked", "whenever"), 400);
    tr_cleanup(&t);
}

/* Moneyline CLV is a fraction of the stake, spread CLV points: the record of both has no mean
 * CLV and no histogram bins, each market's record has its own (regression: an NBA replay's
 * track record published a mean CLV of 0.0915 from -0.041 (moneyline), -0.32 and +0.64 points). */
static void test_performance_clv_units(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    fx_exec(fx, "UPDATE predictions SET market = 'spread', line = -3.5 WHERE id = 3");
    grade_two(fx, 1.5);
    performance(fx, &t, NULL);
    json_t *all = tr_get(&t, "overall");
    assert_int_equal(json_integer_value(json_object_get(all, "clv_n")), 3);
    assert_true(json_is_null(json_object_get(all, "clv_mean")));
    assert_float_equal(jnum(all, "clv_positive_share"), 2.0 / 3, 1e-12);
    json_t *hist = tr_get(&t, "clv_histogram");
    assert_int_equal(json_integer_value(json_object_get(hist, "n")), 3);
    assert_int_equal(json_array_size(json_object_get(hist, "bins")), 0);
    json_t *by = tr_get(&t, "by_market");
    assert_float_equal(jnum(group_of(by, "spread"), "clv_mean"), 1.5, 1e-12);
    assert_float_equal(jnum(group_of(by, "moneyline"), "clv_mean"), (0.0213 - 0.01) / 2, 1e-9);
    tr_cleanup(&t);

    performance(fx, &t, "moneyline");
    assert_float_equal(jnum(tr_get(&t, "overall"), "clv_mean"), (0.0213 - 0.01) / 2, 1e-9);
    hist = tr_get(&t, "clv_histogram");
    assert_int_equal(json_integer_value(json_object_get(hist, "n")), 2);
    assert_true(json_array_size(json_object_get(hist, "bins")) > 0);
    tr_cleanup(&t);
}

static int verify_hash(struct fixture *fx, struct treq *t, const char *hash)
{
    tr_init(t, fx, "GET", PREDS "/verify", FX_USER, APS_ROLE_USER);
    tr_query(t, "hash", hash);
    return tr_run(t, aps_api_predictions_verify_hash);
}

static void test_verify(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(verify_hash(fx, &t, fx->hash[1]), 200);
    assert_true(json_is_true(tr_get(&t, "verified")));
    assert_int_equal(json_integer_value(tr_get(&t, "prediction_id")), 1);
    assert_true(json_is_null(tr_get(&t, "reason")));
    tr_cleanup(&t);

    assert_int_equal(verify_hash(fx, &t, "0123456789abcdef0123456789abcdef"
                                         "0123456789abcdef0123456789abcdef"),
                     404);
    tr_cleanup(&t);
    assert_int_equal(verify_hash(fx, &t, "not-a-hash"), 400);
    assert_true(tr_detail(&t, "hash"));
    tr_cleanup(&t);

    /* change a locked-in number: the pick no longer matches its hash */
    fx_exec(fx, "UPDATE predictions SET probability = 0.70 WHERE id = 2");
    assert_int_equal(verify_hash(fx, &t, fx->hash[2]), 200);
    assert_true(json_is_false(tr_get(&t, "verified")));
    assert_true(json_is_false(tr_get(&t, "content_ok")));
    assert_true(json_is_string(tr_get(&t, "reason")));
    tr_cleanup(&t);

    tr_init(&t, fx, "POST", PREDS "/{id}/verify", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "3");
    assert_int_equal(tr_run(&t, aps_api_predictions_verify_id), 200);
    assert_true(json_is_true(tr_get(&t, "verified")));
    assert_true(json_is_true(tr_get(&t, "link_ok")));
    tr_cleanup(&t);

    /* a pick whose link to its predecessor was rewritten */
    fx_exec(fx, "UPDATE predictions SET prev_hash = '%s' WHERE id = 3", APS_GENESIS_HASH);
    tr_init(&t, fx, "POST", PREDS "/{id}/verify", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "3");
    assert_int_equal(tr_run(&t, aps_api_predictions_verify_id), 200);
    assert_true(json_is_false(tr_get(&t, "verified")));
    tr_cleanup(&t);

    tr_init(&t, fx, "POST", PREDS "/{id}/verify", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, "99");
    assert_int_equal(tr_run(&t, aps_api_predictions_verify_id), 404);
    tr_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_list_validation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enum_messages, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_today, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_today_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_superseded, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_get, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_performance, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_performance_clv_units, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_performance_current_and_bets, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_performance_lock_timing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_verify, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
