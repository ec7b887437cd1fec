/* test_lockin.c — the lock-in chain: byte-exact canonical form and hash, appending picks, and
 * verification that names the exact pick after a stored field is changed or a row is deleted.
 * Runs on SQLite, and on PostgreSQL when APS_TEST_PG_URL is set (scripts/pgtest). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "engine/lockin.h"
#include "../support/testdb.h"

static const char CANONICAL[] =
    "{\"v\":1,\"prev_hash\":\"0000000000000000000000000000000000000000000000000000000000000000\","
    "\"game_id\":7,\"sport\":\"NFL\",\"game_date\":\"2023-09-07\",\"home\":\"KC\",\"away\":\"DET\","
    "\"model\":\"elo\",\"market\":\"moneyline\",\"selection\":\"home\",\"line\":null,"
    "\"price\":1.6250,\"book\":\"pinnacle\",\"probability\":0.642100,"
    "\"market_probability\":0.601000,\"edge\":0.041100,\"tier\":\"B\","
    "\"stake_fraction\":0.010000,\"locked_at\":\"2023-09-07T12:00:00.123456Z\"}";
/* printf '%s' "$CANONICAL" | sha256sum */
static const char CANONICAL_SHA256[] =
    "3d697c0f097dde2861887e29257c780320f551c3fbf9a201d113b8ba8902c37a";

static struct aps_pick sample_pick(void)
{
    struct aps_pick p = {0};
    p.game_id = 7;
    snprintf(p.sport, sizeof p.sport, "NFL");
    snprintf(p.game_date, sizeof p.game_date, "2023-09-07");
    snprintf(p.home, sizeof p.home, "KC");
    snprintf(p.away, sizeof p.away, "DET");
    snprintf(p.model, sizeof p.model, "elo");
    p.market = APS_MKT_MONEYLINE;
    p.selection = APS_SEL_HOME;
    p.line = NAN;
    p.price = 1.625;
    snprintf(p.book, sizeof p.book, "pinnacle");
    p.probability = 0.6421;
    p.market_probability = 0.601;
    p.edge = 0.0411;
    snprintf(p.tier, sizeof p.tier, "B");
    p.stake_fraction = 0.01;
    snprintf(p.locked_at, sizeof p.locked_at, "2023-09-07T12:00:00.123456Z");
    snprintf(p.prev_hash, sizeof p.prev_hash, APS_GENESIS_HASH);
    return p;
}

static void canonical_form_is_byte_exact(void **state)
{
    (void)state;
    struct aps_pick p = sample_pick();
    struct aps_buf b = {0};
    aps_lockin_canonical(&p, &b);
    assert_string_equal(aps_buf_str(&b), CANONICAL);
    char h[APS_HASH_HEX];
    aps_lockin_hash(&p, h);
    assert_string_equal(h, CANONICAL_SHA256);
    /* any field changes the hash */
    p.probability = 0.6422;
    aps_lockin_hash(&p, h);
    assert_string_not_equal(h, CANONICAL_SHA256);
    aps_buf_cleanup(&b);
}

static void time_format_has_microseconds(void **state)
{
    (void)state;
    char out[32];
    aps_lockin_format_time(1694088000123456LL, out);
    assert_string_equal(out, "2023-09-07T12:00:00.123456Z");
    aps_lockin_format_time(5, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000005Z");
}

/* Seeds one sport, two teams, a season and a game; returns the game id. */
static int64_t seed_game(struct aps_conn *c)
{
    assert_int_equal(aps_conn_exec(c,
        "INSERT INTO sports (code, name, kind) VALUES ('NFL', 'National Football League', 'team');"
        "INSERT INTO teams (sport_id, key, name) VALUES (1, 'KC', 'Kansas City Chiefs');"
        "INSERT INTO teams (sport_id, key, name) VALUES (1, 'DET', 'Detroit Lions');"
        "INSERT INTO seasons (sport_id, label) VALUES (1, '2023');"
        "INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id,"
        " start_time, created_at, updated_at) VALUES (1, 1, '2023-09-07', 1, 2, 1694133600, 0, 0)"),
        0);
    int64_t id = 0;
    assert_int_equal(aps_conn_query_int64(c, "SELECT id FROM games", 0, NULL, &id), 0);
    return id;
}

/* Appends n picks with different probabilities; checks the chain links as it goes. */
static void append_picks(struct aps_conn *c, int64_t game, int n)
{
    char prev[APS_HASH_HEX] = APS_GENESIS_HASH;
    for (int i = 0; i < n; i++) {
        struct aps_pick p = sample_pick();
        p.game_id = game;
        p.probability = 0.55 + 0.01 * i + 0.0000004; /* rounded to 6 decimals when locked */
        assert_int_equal(aps_lockin_append(c, &p), 0);
        assert_true(p.id > 0);
        assert_string_equal(p.prev_hash, prev);
        assert_int_equal(strlen(p.hash), 64);
        assert_true(fabs(p.probability - (0.55 + 0.01 * i)) < 1e-12);
        snprintf(prev, sizeof prev, "%s", p.hash);
    }
}

static int64_t nth_id(struct aps_conn *c, int k)
{
    char sql[128];
    int64_t id = 0;
    snprintf(sql, sizeof sql, "SELECT id FROM predictions ORDER BY id LIMIT 1 OFFSET %d", k);
    assert_int_equal(aps_conn_query_int64(c, sql, 0, NULL, &id), 0);
    return id;
}

static void chain_scenarios(struct testdb *t)
{
    struct aps_conn *c = NULL;
    assert_int_equal(aps_store_acquire(t->st, APS_DB_WRITE, &c), 0);
    int64_t game = seed_game(c);
    struct aps_verify_result r;

    /* an empty chain verifies */
    assert_int_equal(aps_lockin_verify(c, &r), 0);
    assert_true(r.ok);
    assert_int_equal(r.checked, 0);
    assert_string_equal(r.head, APS_GENESIS_HASH);

    append_picks(c, game, 6);
    assert_int_equal(aps_lockin_verify(c, &r), 0);
    assert_true(r.ok);
    assert_int_equal(r.checked, 6);

    /* a pick looked up by its hash */
    char head[APS_HASH_HEX];
    snprintf(head, sizeof head, "%s", r.head);
    assert_int_equal(aps_lockin_verify_hash(c, head, &r), 0);
    assert_true(r.ok);
    assert_int_equal(aps_lockin_verify_hash(c, "00ff", &r), 0);
    assert_false(r.ok);

    /* tamper with one stored field of the third pick: it is named */
    int64_t third = nth_id(c, 2);
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE predictions SET probability = 0.99 WHERE id = %lld",
             (long long)third);
    assert_int_equal(aps_conn_exec(c, sql), 0);
    assert_int_equal(aps_lockin_verify(c, &r), 0);
    assert_false(r.ok);
    assert_int_equal(r.bad_id, third);
    assert_int_equal(r.checked, 2);
    assert_non_null(strstr(r.reason, "no longer matches"));

    /* a change smaller than the printed precision is caught too */
    snprintf(sql, sizeof sql,
             "UPDATE predictions SET probability = 0.57 + 0.0000001 WHERE id = %lld",
             (long long)third);
    assert_int_equal(aps_conn_exec(c, sql), 0);
    assert_int_equal(aps_lockin_verify(c, &r), 0);
    assert_false(r.ok);
    assert_int_equal(r.bad_id, third);

    /* restore it: the chain verifies again */
    snprintf(sql, sizeof sql, "UPDATE predictions SET probability = 0.57 WHERE id = %lld",
             (long long)third);
    assert_int_equal(aps_conn_exec(c, sql), 0);
    assert_int_equal(aps_lockin_verify(c, &r), 0);
    assert_true(r.ok);

    /* a changed tier, book or time is caught */
    snprintf(sql, sizeof sql, "UPDATE predictions SET tier = 'A' WHERE id = %lld",
             (long long)nth_id(c, 4));
    assert_int_equal(aps_conn_exec(c, sql), 0);
    assert_int_equal(aps_lockin_verify(c, &r), 0);
    assert_int_equal(r.bad_id, nth_id(c, 4));
    snprintf(sql, sizeof sql, "UPDATE predictions SET tier = 'B' WHERE id = %lld",
             (long long)nth_id(c, 4));
    assert_int_equal(aps_conn_exec(c, sql), 0);

    /* delete the fourth pick: the fifth is named, and the message names the third */
    int64_t fourth = nth_id(c, 3), fifth = nth_id(c, 4);
    snprintf(sql, sizeof sql, "DELETE FROM predictions WHERE id = %lld", (long long)fourth);
    assert_int_equal(aps_conn_exec(c, sql), 0);
    assert_int_equal(aps_lockin_verify(c, &r), 0);
    assert_false(r.ok);
    assert_int_equal(r.bad_id, fifth);
    assert_int_equal(r.checked, 3);
    char want[64];
    snprintf(want, sizeof want, "pick %lld", (long long)third);
    assert_non_null(strstr(r.reason, want));

    /* delete the first pick: the new first one does not start the chain */
    snprintf(sql, sizeof sql, "DELETE FROM predictions WHERE id = %lld", (long long)nth_id(c, 0));
    assert_int_equal(aps_conn_exec(c, sql), 0);
    assert_int_equal(aps_lockin_verify(c, &r), 0);
    assert_false(r.ok);
    assert_int_equal(r.bad_id, nth_id(c, 0));
    aps_store_release(c);
}

static void chain_on_sqlite(void **state)
{
    (void)state;
    struct testdb t;
    assert_int_equal(testdb_sqlite(&t), 0);
    chain_scenarios(&t);
    testdb_close(&t);
}

static void chain_on_postgres(void **state)
{
    (void)state;
    struct testdb t;
    int rc = testdb_pg(&t, "lockin");
    if (rc == 1) {
        if (testdb_pg_required())
            fail_msg("APS_TEST_PG_URL is unset: start PostgreSQL with scripts/pgtest start");
        skip();
    }
    assert_int_equal(rc, 0);
    chain_scenarios(&t);
    testdb_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canonical_form_is_byte_exact),
        cmocka_unit_test(time_format_has_microseconds),
        cmocka_unit_test(chain_on_sqlite),
        cmocka_unit_test(chain_on_postgres),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
