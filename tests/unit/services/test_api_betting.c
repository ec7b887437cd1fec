/* test_api_betting.c — the betting endpoints called directly: bankrolls (open, deposit,
 * withdraw, another user's → 404), bets (from a prediction or a game, decimal or American odds,
 * started game and overdraw → 409, validation), history with its summary and in the order the
 * movements were made, the Kelly sizing calculator against aps_kelly_size and a run-time
 * override, and the caller's performance after a settlement. */
#include "api_fixture.h"

#include "engine/bankroll.h"
#include "engine/elo_store.h"
#include "odds/convert.h"
#include "odds/kelly.h"
#include "odds/scoring.h"

#define BR "/api/v1/betting/bankrolls"

static int post(struct fixture *fx, struct treq *t, aps_http_handler h, const char *pattern,
                int64_t user, const char *param, const char *body)
{
    tr_init(t, fx, "POST", pattern, user, APS_ROLE_USER);
    if (param)
        tr_param(t, 0, param);
    tr_body(t, body);
    return tr_run(t, h);
}

/* Opens a bankroll for user through the API; returns its id. */
static int64_t open_br(struct fixture *fx, int64_t user, const char *body)
{
    struct treq t;
    assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, user, NULL, body), 201);
    int64_t id = json_integer_value(tr_get(&t, "id"));
    tr_cleanup(&t);
    return id;
}

static void test_bankrolls(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, FX_USER, NULL,
                          "{\"name\":\"Main\",\"initial_amount\":1000,\"currency\":\"EUR\"}"),
                     201);
    int64_t id = json_integer_value(tr_get(&t, "id"));
    assert_float_equal(jnum(t.res.json, "current_amount"), 1000, 0);
    assert_float_equal(jnum(t.res.json, "peak_amount"), 1000, 0);
    assert_float_equal(jnum(t.res.json, "deposits"), 1000, 0);
    assert_true(json_is_null(tr_get(&t, "roi"))); /* nothing wagered yet */
    assert_float_equal(jnum(t.res.json, "wagered"), 0, 0);
    assert_float_equal(jnum(t.res.json, "return_on_deposits"), 0, 0);
    assert_string_equal(jstr(t.res.json, "currency"), "EUR");
    assert_true(json_is_null(tr_get(&t, "win_rate")));
    tr_cleanup(&t);
    open_br(fx, FX_OTHER, "{\"name\":\"Theirs\",\"initial_amount\":50}");

    tr_init(&t, fx, "GET", BR, FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_bankrolls_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1); /* only the caller's */
    assert_true(t.res.personal);
    tr_cleanup(&t);

    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)id);
    assert_int_equal(post(fx, &t, aps_api_bankrolls_transaction, BR "/{id}/transactions", FX_USER,
                          sid, "{\"kind\":\"deposit\",\"amount\":250.5}"),
                     201);
    assert_float_equal(jnum(t.res.json, "balance_after"), 1250.5, 0);
    assert_float_equal(jnum(tr_get(&t, "bankroll"), "peak_amount"), 1250.5, 0);
    tr_cleanup(&t);
    assert_int_equal(post(fx, &t, aps_api_bankrolls_transaction, BR "/{id}/transactions", FX_USER,
                          sid, "{\"kind\":\"withdrawal\",\"amount\":2000}"),
                     409);
    assert_string_equal(tr_code(&t), "INSUFFICIENT_BANKROLL");
    tr_cleanup(&t);
    assert_int_equal(post(fx, &t, aps_api_bankrolls_transaction, BR "/{id}/transactions", FX_USER,
                          sid, "{\"kind\":\"withdrawal\",\"amount\":50.5}"),
                     201);
    assert_float_equal(jnum(t.res.json, "balance_after"), 1200, 0);
    tr_cleanup(&t);
    /* the same bankroll from another user's account does not exist */
    assert_int_equal(post(fx, &t, aps_api_bankrolls_transaction, BR "/{id}/transactions", FX_OTHER,
                          sid, "{\"kind\":\"deposit\",\"amount\":5}"),
                     404);
    tr_cleanup(&t);
}

static void test_bankroll_validation(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, FX_USER, NULL,
                          "{\"initial_amount\":-5,\"currency\":\"usd\"}"),
                     400);
    assert_true(tr_detail(&t, "name") && tr_detail(&t, "initial_amount") &&
                tr_detail(&t, "currency"));
    tr_cleanup(&t);
    /* Three capital letters that name no currency (XAU is an ounce of gold): refused. */
    for (const char *const *code = (const char *const[]){"XYZ", "XAU", "QQQ", NULL}; *code;
         code++) {
        char body[96];
        snprintf(body, sizeof body, "{\"name\":\"x\",\"initial_amount\":10,\"currency\":\"%s\"}",
                 *code);
        assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, FX_USER, NULL, body), 400);
        assert_true(tr_detail(&t, "currency"));
        char *txt = json_dumps(t.res.json, 0);
        assert_non_null(strstr(txt, "must be an ISO 4217 currency code"));
        free(txt);
        tr_cleanup(&t);
    }
    assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, FX_USER, NULL,
                          "{\"name\":\"x\",\"initial_amount\":10.001}"),
                     400);
    assert_true(tr_detail(&t, "initial_amount"));
    tr_cleanup(&t);
    assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, FX_USER, NULL, "[1,2]"), 400);
    assert_true(tr_detail(&t, "body"));
    tr_cleanup(&t);
    assert_int_equal(post(fx, &t, aps_api_bankrolls_transaction, BR "/{id}/transactions", FX_USER,
                          "1", "{\"kind\":\"transfer\",\"amount\":\"5\"}"),
                     400);
    assert_true(tr_detail(&t, "kind") && tr_detail(&t, "amount"));
    tr_cleanup(&t);
    /* Money is read into integer cents: below a cent, a third decimal (also one the client's
     * double carries, 0.1 + 0.2), zero and above the bound are refused; the bound itself and
     * the largest amount with two decimals pass. */
    static const char *const refused[] = {"1e-8",   "0.00000001",          "1e-300", "0.001",
                                          "10.005", "0.30000000000000004", "0",      "0.0",
                                          "-0.01",  "1000000000000.01",    "1e13",   "true"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char body[160];
        snprintf(body, sizeof body, "{\"name\":\"x\",\"initial_amount\":%s}", refused[i]);
        assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, FX_USER, NULL, body), 400);
        assert_true(tr_detail(&t, "initial_amount"));
        tr_cleanup(&t);
    }
    assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, FX_USER, NULL,
                          "{\"name\":\"x\",\"initial_amount\":1e12}"),
                     201);
    assert_float_equal(jnum(t.res.json, "current_amount"), 1e12, 0);
    tr_cleanup(&t);
    assert_int_equal(post(fx, &t, aps_api_bankrolls_create, BR, FX_USER, NULL,
                          "{\"name\":\"x\",\"initial_amount\":999999999999.99}"),
                     201);
    assert_float_equal(jnum(t.res.json, "current_amount"), 999999999999.99, 0);
    tr_cleanup(&t);
}

/* 300 deposits of 0.10 and 0.20 through the API: the balance is exactly what the decimal sum
 * says, in the store's cents and in the JSON. */
static void test_money_sums_exact(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    int64_t id = open_br(fx, FX_USER, "{\"name\":\"cents\",\"initial_amount\":0.01}");
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)id);
    for (int i = 0; i < 300; i++) {
        assert_int_equal(post(fx, &t, aps_api_bankrolls_transaction, BR "/{id}/transactions",
                              FX_USER, sid,
                              i % 2 ? "{\"kind\":\"deposit\",\"amount\":0.2}"
                                    : "{\"kind\":\"deposit\",\"amount\":0.1}"),
                         201);
        tr_cleanup(&t);
    }
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT current_cents FROM bankrolls WHERE id = %lld", (long long)id);
    assert_int_equal(fx_int(fx, sql), 1 + 150 * 10 + 150 * 20); /* 45.01 */
    tr_init(&t, fx, "GET", BR, FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_bankrolls_list), 200);
    json_t *b = json_array_get(tr_get(&t, "items"), 0);
    assert_true(jnum(b, "current_amount") == 45.01);
    assert_true(jnum(b, "deposits") == 45.01);
    char *txt = json_dumps(b, JSON_COMPACT | JSON_REAL_PRECISION(15));
    assert_non_null(strstr(txt, "\"current_amount\":45.01,"));
    free(txt);
    tr_cleanup(&t);
    /* the history lists every movement with the balance after it, from the cents */
    tr_init(&t, fx, "GET", BR "/{id}/history", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, sid);
    assert_int_equal(tr_run(&t, aps_api_bankrolls_history), 200);
    json_t *items = tr_get(&t, "items");
    assert_int_equal(json_array_size(items), 301);
    assert_true(jnum(json_array_get(items, 1), "amount") == 0.1);
    assert_true(jnum(json_array_get(items, 300), "balance_after") == 45.01);
    tr_cleanup(&t);
}

/* A bankroll's movements are listed in the order they were made, which is the order of their
 * ids: a movement's time is taken before the bankroll's row is locked, so one that waited for
 * the lock (a grading run settling other bankrolls' bets first) can carry an earlier second than
 * a movement that committed before it, and two movements can share a second. Here a stake made
 * at t+10 and then a payout stamped t+5 and a deposit stamped t+5: listed by time, the payout
 * came before the stake and the balance after each went 1000, 1150, 1200, 950: a drawdown of
 * 17 % that never was. */
static void test_history_order(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    int64_t id = open_br(fx, FX_USER, "{\"name\":\"order\",\"initial_amount\":1000}");
    struct aps_conn *c = NULL;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_bankroll_move(c, id, "stake", -5000, 0, "bet", fx->now + 10, NULL), 0);
    assert_int_equal(aps_bankroll_move(c, id, "payout", 20000, 0, "won", fx->now + 5, NULL), 0);
    assert_int_equal(aps_bankroll_move(c, id, "deposit", 5000, 0, "top up", fx->now + 5, NULL), 0);
    aps_store_release(c);
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", (long long)id);
    tr_init(&t, fx, "GET", BR "/{id}/history", FX_USER, APS_ROLE_USER);
    tr_param(&t, 0, sid);
    assert_int_equal(tr_run(&t, aps_api_bankrolls_history), 200);
    json_t *items = tr_get(&t, "items");
    static const char *const kinds[] = {"deposit", "stake", "payout", "deposit"};
    static const double after[] = {1000, 950, 1150, 1200};
    assert_int_equal(json_array_size(items), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(jstr(json_array_get(items, i), "kind"), kinds[i]);
        assert_float_equal(jnum(json_array_get(items, i), "balance_after"), after[i], 0);
    }
    assert_float_equal(jnum(t.res.json, "max_drawdown"), 0.05, 1e-12); /* 1000 → 950 */
    tr_cleanup(&t);
    /* the performance's drawdown reads the movements in the same order */
    tr_init(&t, fx, "GET", "/api/v1/betting/performance", FX_USER, APS_ROLE_USER);
    tr_query(&t, "bankroll_id", sid);
    assert_int_equal(tr_run(&t, aps_api_betting_performance), 200);
    assert_float_equal(jnum(t.res.json, "max_drawdown"), 0.05, 1e-12);
    tr_cleanup(&t);
}

static int place(struct fixture *fx, struct treq *t, int64_t user, const char *body)
{
    return post(fx, t, aps_api_bets_create, "/api/v1/betting/bets", user, NULL, body);
}

static void test_bets(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    char body[512];
    int64_t br = open_br(fx, FX_USER, "{\"name\":\"Main\",\"initial_amount\":1000}");

    /* from prediction 2: game 2, home moneyline at its 1.85 */
    snprintf(body, sizeof body, "{\"prediction_id\":2,\"bankroll_id\":%lld,\"stake\":100}",
             (long long)br);
    assert_int_equal(place(fx, &t, FX_USER, body), 201);
    assert_int_equal(json_integer_value(tr_get(&t, "game_id")), FX_G_FUTURE);
    assert_float_equal(jnum(t.res.json, "price"), 1.85, 1e-12);
    assert_float_equal(jnum(t.res.json, "balance_after"), 900, 0);
    assert_string_equal(jstr(t.res.json, "result"), "pending");
    tr_cleanup(&t);

    /* a game's draw at American +240 (decimal 3.40) */
    snprintf(body, sizeof body,
             "{\"game_id\":3,\"market\":\"moneyline\",\"selection\":\"draw\",\"bankroll_id\":%lld,"
             "\"stake\":50,\"price\":\"+240\",\"sportsbook\":\"fanduel\",\"notes\":\"derby\"}",
             (long long)br);
    assert_int_equal(place(fx, &t, FX_USER, body), 201);
    assert_float_equal(jnum(t.res.json, "price"), 3.40, 1e-12);
    assert_float_equal(jnum(t.res.json, "balance_after"), 850, 0);
    tr_cleanup(&t);

    struct {
        const char *fmt;
        int status;
        const char *code_or_field;
    } bad[] = {
        {"{\"game_id\":4,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":%lld,"
         "\"stake\":10,\"price\":1.9}",
         409, "GAME_STARTED"},
        {"{\"game_id\":1,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":%lld,"
         "\"stake\":10,\"price\":1.9}",
         409, "GAME_STARTED"},
        {"{\"prediction_id\":2,\"bankroll_id\":%lld,\"stake\":5000}", 409, "INSUFFICIENT_BANKROLL"},
        {"{\"prediction_id\":99,\"bankroll_id\":%lld,\"stake\":5}", 404, "NOT_FOUND"},
        {"{\"game_id\":999,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":%lld,"
         "\"stake\":10,\"price\":1.9}",
         404, "NOT_FOUND"},
        {"{\"game_id\":2,\"market\":\"spread\",\"selection\":\"home\",\"bankroll_id\":%lld,"
         "\"stake\":10,\"price\":1.9}",
         400, "line"},
        {"{\"game_id\":2,\"market\":\"moneyline\",\"selection\":\"over\",\"bankroll_id\":%lld,"
         "\"stake\":10,\"price\":1.9}",
         400, "selection"},
        {"{\"game_id\":2,\"market\":\"spread\",\"selection\":\"home\",\"bankroll_id\":%lld,"
         "\"stake\":10,\"price\":1.9,\"line\":-3.1}",
         400, "line"},
        {"{\"bankroll_id\":%lld,\"stake\":10,\"price\":1.9}", 400, "prediction_id"},
        {"{\"prediction_id\":2,\"bankroll_id\":%lld,\"stake\":10,\"price\":-50}", 400, "price"},
        {"{\"prediction_id\":2,\"game_id\":3,\"bankroll_id\":%lld,\"stake\":10}", 400,
         "prediction_id"},
        {"{\"prediction_id\":2,\"bankroll_id\":%lld,\"stake\":0}", 400, "stake"},
        {"{\"game_id\":2,\"market\":\"total\",\"selection\":\"over\",\"bankroll_id\":%lld,"
         "\"stake\":10,\"price\":1.9,\"line\":-44.5}",
         400, "line"},
        /* American +1e20: a win would pay more than any bankroll holds */
        {"{\"prediction_id\":2,\"bankroll_id\":%lld,\"stake\":10,\"price\":1e20}", 400,
         "price"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
/* the formats are the table's literals above, each with one %lld */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(body, sizeof body, bad[i].fmt, (long long)br);
#pragma GCC diagnostic pop
        int st = place(fx, &t, FX_USER, body);
        bool ok = st == bad[i].status && (st == 400 ? tr_detail(&t, bad[i].code_or_field)
                                                    : !strcmp(tr_code(&t), bad[i].code_or_field));
        if (!ok)
            fail_msg("case %zu: status %d, body %s", i, st, json_dumps(t.res.json, 0));
        tr_cleanup(&t);
    }
    /* another user cannot bet from this bankroll */
    snprintf(body, sizeof body, "{\"prediction_id\":2,\"bankroll_id\":%lld,\"stake\":5}",
             (long long)br);
    assert_int_equal(place(fx, &t, FX_OTHER, body), 404);
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets"), 2);

    /* history and summary */
    tr_init(&t, fx, "GET", "/api/v1/betting/bets", FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_bets_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 2);
    json_t *sum = tr_get(&t, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "pending")), 2);
    assert_float_equal(jnum(sum, "staked"), 150, 0);
    assert_string_equal(jstr(json_object_get(json_array_get(tr_get(&t, "items"), 0), "game"),
                             "sport"),
                        "EPL"); /* newest first */
    tr_cleanup(&t);
    tr_init(&t, fx, "GET", "/api/v1/betting/bets", FX_USER, APS_ROLE_USER);
    tr_query(&t, "sport", "NFL");
    tr_query(&t, "result", "pending");
    assert_int_equal(tr_run(&t, aps_api_bets_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 1);
    tr_cleanup(&t);
    tr_init(&t, fx, "GET", "/api/v1/betting/bets", FX_OTHER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_bets_list), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "total")), 0);
    tr_cleanup(&t);
    tr_init(&t, fx, "GET", "/api/v1/betting/bets", FX_USER, APS_ROLE_USER);
    tr_query(&t, "result", "lost");
    assert_int_equal(tr_run(&t, aps_api_bets_list), 400);
    tr_cleanup(&t);

    /* a win that could never be paid (a price stored before such bets were refused): settling
     * it by hand as won is a 409 that changes nothing */
    fx_exec(fx, "UPDATE bets SET price = 1e20 WHERE id = 1");
    assert_int_equal(post(fx, &t, aps_api_bets_settle, "/api/v1/betting/bets/{id}/settle",
                          FX_USER, "1", "{\"result\":\"win\"}"),
                     409);
    assert_string_equal(tr_code(&t), "BALANCE_LIMIT");
    tr_cleanup(&t);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'pending'"), 2);
}

static void test_sizing(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    assert_int_equal(post(fx, &t, aps_api_betting_sizing, "/api/v1/betting/sizing", FX_USER, NULL,
                          "{\"probability\":0.62,\"odds\":-110,\"bankroll\":1000}"),
                     200);
    struct aps_kelly_params kp;
    struct aps_kelly_sizing s;
    aps_engine_kelly_params(fx->cfg, &kp);
    struct aps_kelly_input in = {0.62, 1 + 100.0 / 110, NAN, 1000, -1};
    assert_int_equal(aps_kelly_size(&kp, &in, &s), 0);
    /* the numbers of a pick's rounding rule: prices to 4 decimals, probabilities, edges and
     * fractions to 6, money to cents, American odds to whole points (1.909090… → 1.9091) */
    assert_float_equal(jnum(t.res.json, "decimal_odds"), 1.9091, 0);
    assert_float_equal(jnum(t.res.json, "decimal_odds"), aps_round_price(in.decimal), 0);
    assert_true(json_is_integer(tr_get(&t, "american_odds")));
    assert_float_equal(jnum(t.res.json, "full_kelly"), aps_round_probability(s.full_kelly), 0);
    assert_float_equal(jnum(t.res.json, "fractional_kelly"),
                       aps_round_probability(s.fractional_kelly), 0);
    assert_float_equal(jnum(t.res.json, "stake"), aps_round_line(s.stake), 0);
    assert_float_equal(jnum(t.res.json, "edge"), aps_round_probability(s.edge), 0);
    assert_float_equal(jnum(t.res.json, "ev_per_unit"), aps_round_probability(s.ev), 0);
    assert_float_equal(jnum(t.res.json, "implied_probability"),
                       aps_round_probability(1 / in.decimal), 0);
    assert_string_equal(jstr(t.res.json, "tier"), "B");
    assert_true(json_is_true(tr_get(&t, "should_bet")));
    tr_cleanup(&t);

    /* a run-time override of KELLY_FRACTION is used */
    fx_exec(fx,
            "INSERT INTO settings (key, value, updated_at) VALUES ('KELLY_FRACTION', '0.1', 0)");
    int64_t br = open_br(fx, FX_USER, "{\"name\":\"Main\",\"initial_amount\":2000}");
    char body[256];
    snprintf(body, sizeof body,
             "{\"probability\":0.70,\"odds\":2.0,\"bankroll_id\":%lld,\"no_vig\":0.5}",
             (long long)br);
    assert_int_equal(post(fx, &t, aps_api_betting_sizing, "/api/v1/betting/sizing", FX_USER, NULL,
                          body),
                     200);
    kp.kelly_fraction = 0.1;
    struct aps_kelly_input in2 = {0.70, 2.0, 0.5, 2000, -1};
    assert_int_equal(aps_kelly_size(&kp, &in2, &s), 0);
    assert_float_equal(jnum(t.res.json, "stake"), aps_round_line(s.stake), 0);
    assert_float_equal(jnum(t.res.json, "bankroll"), 2000, 0);
    assert_float_equal(jnum(tr_get(&t, "params"), "kelly_fraction"), 0.1, 0);
    assert_float_equal(jnum(t.res.json, "edge"), 0.20, 1e-12);
    tr_cleanup(&t);

    /* another user's bankroll */
    assert_int_equal(post(fx, &t, aps_api_betting_sizing, "/api/v1/betting/sizing", FX_OTHER, NULL,
                          body),
                     404);
    tr_cleanup(&t);

    const char *bad[][2] = {
        {"{\"probability\":1.2,\"odds\":2.0,\"bankroll\":100}", "probability"},
        {"{\"probability\":0.5,\"bankroll\":100}", "odds"},
        {"{\"probability\":0.5,\"odds\":50,\"odds_format\":\"american\",\"bankroll\":100}", "odds"},
        {"{\"probability\":0.5,\"odds\":2,\"bankroll\":100,\"bankroll_id\":1}", "bankroll"},
        {"{\"probability\":0.5,\"odds\":2}", "bankroll"},
        {"{\"probability\":0.5,\"odds\":2,\"bankroll\":100,\"tier\":\"Q\"}", "tier"},
        {"{\"probability\":0.5,\"odds\":2,\"bankroll\":100,\"no_vig\":1}", "no_vig"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = post(fx, &t, aps_api_betting_sizing, "/api/v1/betting/sizing", FX_USER, NULL,
                      bad[i][0]);
        if (st != 400 || !tr_detail(&t, bad[i][1]))
            fail_msg("case %zu: %d", i, st);
        tr_cleanup(&t);
    }
}

static void test_performance(void **state)
{
    struct fixture *fx = *state;
    struct treq t;
    char body[256];
    int64_t br = open_br(fx, FX_USER, "{\"name\":\"Main\",\"initial_amount\":1000}");
    snprintf(body, sizeof body, "{\"prediction_id\":2,\"bankroll_id\":%lld,\"stake\":100}",
             (long long)br);
    assert_int_equal(place(fx, &t, FX_USER, body), 201);
    tr_cleanup(&t);
    snprintf(body, sizeof body,
             "{\"game_id\":2,\"market\":\"moneyline\",\"selection\":\"away\",\"bankroll_id\":%lld,"
             "\"stake\":200,\"odds\":2.10}",
             (long long)br);
    assert_int_equal(place(fx, &t, FX_USER, body), 201);
    tr_cleanup(&t);
    fx_exec(fx, "INSERT INTO closing_lines (game_id, book_id, market, selection, line, price,"
                " closed_at, source) VALUES (2, 1, 'moneyline', 'home', NULL, 1.70, 0, 't'),"
                " (2, 1, 'moneyline', 'away', NULL, 2.25, 0, 't');"
                "UPDATE games SET status = 'final', home_score = 30, away_score = 3 WHERE id = 2");
    struct aps_conn *c = NULL;
    int settled = 0;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    aps_store_release(c);
    assert_int_equal(settled, 2);

    tr_init(&t, fx, "GET", "/api/v1/betting/performance", FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_betting_performance), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "graded")), 2);
    assert_int_equal(json_integer_value(tr_get(&t, "wins")), 1);
    assert_int_equal(json_integer_value(tr_get(&t, "losses")), 1);
    assert_float_equal(jnum(t.res.json, "profit"), 85 - 200, 1e-9);
    assert_float_equal(jnum(t.res.json, "yield"), (85.0 - 200) / 300, 1e-12);
    double lo, hi;
    assert_int_equal(aps_score_wilson(1, 2, 1.96, &lo, &hi), 0);
    assert_float_equal(json_number_value(json_array_get(tr_get(&t, "win_rate_ci95"), 0)), lo,
                       1e-12);
    double p_home = (1 / 1.70) / (1 / 1.70 + 1 / 2.25);
    double clv1 = p_home * 1.85 - 1, clv2 = (1 - p_home) * 2.10 - 1;
    /* (cmocka's float comparison takes a NaN as equal to anything: a null must fail here) */
    assert_true(json_is_number(tr_get(&t, "clv_mean")));
    assert_float_equal(jnum(t.res.json, "clv_mean"), (clv1 + clv2) / 2, 1e-12);
    assert_float_equal(jnum(t.res.json, "clv_positive_share"), ((clv1 > 0) + (clv2 > 0)) / 2.0,
                       1e-12);
    /* equity: 1000 → 900 → 700 (stakes) → 885 (payout): drawdown 300/1000 */
    assert_true(json_is_number(tr_get(&t, "max_drawdown")));
    assert_float_equal(jnum(t.res.json, "max_drawdown"), 0.30, 1e-12);
    tr_cleanup(&t);
    /* a spread's CLV is in points: no mean across it and a moneyline's, each market its own */
    fx_exec(fx, "INSERT INTO bets (user_id, bankroll_id, game_id, market, selection, line, price,"
                " stake_cents, stake, placed_at, result, profit_loss_cents, profit_loss, clv,"
                " settled_at) SELECT user_id, bankroll_id, game_id, 'spread', 'home', -3.5, 1.9,"
                " 100, 1.0, placed_at, 'win', 90, 0.9, 1.5, settled_at FROM bets WHERE id = 1");
    struct {
        const char *market;
        double mean; /* NAN: null */
    } by_market[] = {{NULL, NAN}, {"moneyline", (clv1 + clv2) / 2}, {"spread", 1.5}};
    for (size_t i = 0; i < sizeof by_market / sizeof by_market[0]; i++) {
        tr_init(&t, fx, "GET", "/api/v1/betting/performance", FX_USER, APS_ROLE_USER);
        if (by_market[i].market)
            tr_query(&t, "market", by_market[i].market);
        assert_int_equal(tr_run(&t, aps_api_betting_performance), 200);
        json_t *mean = tr_get(&t, "clv_mean");
        if (isnan(by_market[i].mean))
            assert_true(json_is_null(mean));
        else if (!json_is_number(mean) ||
                 fabs(json_number_value(mean) - by_market[i].mean) > 1e-12)
            fail_msg("market %s: clv_mean %s", by_market[i].market, json_dumps(mean, JSON_ENCODE_ANY));
        tr_cleanup(&t);
    }
    fx_exec(fx, "DELETE FROM bets WHERE market = 'spread'");

    /* the ROI of a bankroll is its profit over what it wagered, not over what was deposited */
    tr_init(&t, fx, "GET", BR, FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_bankrolls_list), 200);
    json_t *b = json_array_get(tr_get(&t, "items"), 0);
    assert_float_equal(jnum(b, "wagered"), 300, 1e-9);
    assert_float_equal(jnum(b, "roi"), (85.0 - 200) / 300, 1e-12);
    assert_float_equal(jnum(b, "return_on_deposits"), (85.0 - 200) / 1000, 1e-12);
    tr_cleanup(&t);

    /* half results count whole in the API's record (engine/track_record.h) */
    fx_exec(fx, "UPDATE bets SET result = CASE result WHEN 'win' THEN 'half_win'"
                " ELSE 'half_loss' END");
    tr_init(&t, fx, "GET", "/api/v1/betting/performance", FX_USER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_betting_performance), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "wins")), 1);
    assert_int_equal(json_integer_value(tr_get(&t, "losses")), 1);
    assert_float_equal(jnum(t.res.json, "win_rate"), 0.5, 1e-12);
    tr_cleanup(&t);

    /* a second bankroll half staked (equity 100 → 50): the drawdowns follow bankroll_id */
    int64_t br2 = open_br(fx, FX_USER, "{\"name\":\"Second\",\"initial_amount\":100}");
    snprintf(body, sizeof body,
             "{\"game_id\":3,\"market\":\"moneyline\",\"selection\":\"draw\","
             "\"bankroll_id\":%lld,\"stake\":50,\"price\":3.4}",
             (long long)br2);
    assert_int_equal(place(fx, &t, FX_USER, body), 201);
    tr_cleanup(&t);
    char id[24];
    const char *filters[] = {NULL, id};
    for (size_t i = 0; i < 2; i++) {
        snprintf(id, sizeof id, "%lld", (long long)br);
        tr_init(&t, fx, "GET", "/api/v1/betting/performance", FX_USER, APS_ROLE_USER);
        if (filters[i])
            tr_query(&t, "bankroll_id", filters[i]);
        assert_int_equal(tr_run(&t, aps_api_betting_performance), 200);
        json_t *dd = tr_get(&t, "drawdown_by_bankroll");
        assert_int_equal(json_array_size(dd), filters[i] ? 1 : 2);
        assert_true(json_is_number(tr_get(&t, "max_drawdown")));
        assert_float_equal(jnum(t.res.json, "max_drawdown"), (filters[i] ? 0.30 : 0.50), 1e-12);
        tr_cleanup(&t);
    }

    tr_init(&t, fx, "GET", "/api/v1/betting/performance", FX_OTHER, APS_ROLE_USER);
    assert_int_equal(tr_run(&t, aps_api_betting_performance), 200);
    assert_int_equal(json_integer_value(tr_get(&t, "graded")), 0);
    assert_true(json_is_null(tr_get(&t, "win_rate")));
    tr_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bankrolls, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bankroll_validation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_money_sums_exact, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_history_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bets, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sizing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_performance, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
