/* test_bankroll.c — bankrolls, money movements, bet recording and settlement on a seeded SQLite
 * store (the API tests' fixture): balances in cents with peak and low, refusals (overdraw,
 * started game, foreign bankroll), grading into payouts and refunds, settling twice changing
 * nothing, settling by hand before the game ends, and the sign of closing-line value against
 * the benchmark book. */
#include "../services/api_fixture.h"

#include "core/money.h"
#include "engine/bankroll.h"
#include "engine/picks.h"
#include "odds/clv.h"

static struct aps_conn *conn(struct fixture *fx)
{
    struct aps_conn *c = NULL;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    return c;
}

static int64_t open_bankroll(struct aps_conn *c, int64_t user, double amount)
{
    int64_t id = 0;
    assert_int_equal(aps_bankroll_create(c, user, "main", "USD", aps_money_round(amount), &id), 0);
    return id;
}

static double balance(struct aps_conn *c, int64_t id)
{
    struct aps_bankroll b;
    assert_int_equal(aps_bankroll_get(c, id, 0, &b), 0);
    return aps_money_to_double(b.current_cents);
}

static void test_create_and_transfer(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 1000);
    struct aps_bankroll b;
    assert_int_equal(aps_bankroll_get(c, id, FX_USER, &b), 0);
    assert_int_equal(b.initial_cents, 100000);
    assert_int_equal(b.peak_cents, 100000);
    assert_int_equal(aps_bankroll_get(c, id, FX_OTHER, &b), APS_E_NOTFOUND);

    int64_t after = 0;
    assert_int_equal(aps_bankroll_transfer(c, FX_USER, id, false, 10, NULL, &after), 0);
    assert_int_equal(aps_bankroll_transfer(c, FX_USER, id, false, 20, NULL, &after), 0);
    assert_int_equal(after, 100030); /* whole cents, no 1000.3000000000001 */
    assert_int_equal(aps_bankroll_transfer(c, FX_USER, id, true, 150000, NULL, &after),
                     APS_E_RANGE);
    /* Above the most a balance holds is its own error, not the withdrawal's. */
    assert_int_equal(aps_bankroll_transfer(c, FX_USER, id, false,
                                           APS_MONEY_LIMIT_CENTS - 100030 + 1, NULL, &after),
                     APS_E_TOOBIG);
    assert_int_equal(aps_bankroll_transfer(c, FX_OTHER, id, true, 1000, NULL, &after),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_bankroll_transfer(c, FX_USER, id, true, 100030, NULL, &after), 0);
    assert_int_equal(after, 0);
    assert_int_equal(aps_bankroll_get(c, id, FX_USER, &b), 0);
    assert_int_equal(b.peak_cents, 100030);
    assert_int_equal(b.low_cents, 0);
    /* opening deposit + 2 deposits + 1 withdrawal; the refused ones left nothing */
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM bankroll_transactions WHERE bankroll_id = %lld",
             (long long)id);
    assert_int_equal(fx_int(fx, sql), 4);
    aps_store_release(c);
}

static struct aps_bet_request bet(int64_t bankroll, int64_t game, enum aps_market m,
                                  enum aps_selection s, double line, double price, double stake)
{
    struct aps_bet_request b = {FX_USER, bankroll, 0, game, m, s, line, price,
                                aps_money_round(stake), NULL, NULL};
    return b;
}

static void test_place_refusals(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 100), bet_id = 0;
    int64_t after = 0;
    int64_t now = aps_time_now();
    struct aps_bet_request b = bet(id, FX_G_STARTED, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.9, 10);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &bet_id, &after), APS_E_STATE);
    b.game_id = FX_G_FINAL;
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &bet_id, &after), APS_E_STATE);
    b.game_id = FX_G_FUTURE;
    b.stake_cents = 10001;
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &bet_id, &after), APS_E_RANGE);
    b.stake_cents = 1000;
    b.sel = APS_SEL_DRAW; /* NFL has no draw */
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &bet_id, &after), APS_E_INVAL);
    b.sel = APS_SEL_HOME;
    b.user_id = FX_OTHER;
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &bet_id, &after), APS_E_NOTFOUND);
    assert_float_equal(balance(c, id), 100, 0);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets"), 0);
    /* the EPL game takes a draw */
    b = bet(id, FX_G_TODAY, APS_MKT_MONEYLINE, APS_SEL_DRAW, NAN, 3.4, 25);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &bet_id, &after), 0);
    assert_int_equal(after, 7500);
    aps_store_release(c);
}

static void finish_game(struct fixture *fx, int64_t game, int home, int away)
{
    fx_exec(fx, "UPDATE games SET status = 'final', home_score = %d, away_score = %d WHERE id = %lld",
            home, away, (long long)game);
}

/* 1,000 deposits of 0.10 are exactly 100.00, and 1,000 bets of 0.10 at even money that win
 * give back exactly what they took: integer cents, where the same sums in doubles drift
 * (1,000 × 0.1 in doubles is 99.9999999999986). */
static void test_cents_stay_exact(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 0.01), after = 0, bet_id = 0;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(aps_bankroll_transfer(c, FX_USER, id, false, 10, NULL, &after), 0);
    assert_int_equal(after, 10001);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT current_cents FROM bankrolls WHERE id = %lld",
             (long long)id);
    assert_int_equal(fx_int(fx, sql), 10001);
    snprintf(sql, sizeof sql, "SELECT SUM(amount_cents) FROM bankroll_transactions"
                              " WHERE bankroll_id = %lld", (long long)id);
    assert_int_equal(fx_int(fx, sql), 10001);
    /* the previous release's double beside it holds the same amount */
    snprintf(sql, sizeof sql, "SELECT current_amount FROM bankrolls WHERE id = %lld",
             (long long)id);
    assert_true(fx_double(fx, sql) == 100.01);
    for (int i = 0; i < 1000; i++) {
        struct aps_bet_request b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN,
                                       2.0, 0.10);
        assert_int_equal(aps_bankroll_place_bet(c, &b, aps_time_now(), &bet_id, &after), 0);
    }
    assert_int_equal(after, 1);
    finish_game(fx, FX_G_FUTURE, 24, 21);
    int settled = 0;
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    assert_int_equal(settled, 1000);
    assert_float_equal(balance(c, id), 200.01, 0);
    assert_int_equal(fx_int(fx, "SELECT SUM(profit_loss_cents) FROM bets"), 10000);
    aps_store_release(c);
}

/* During a rolling deploy the previous release writes only the double columns: a balance it
 * changed (stale cents) or a bankroll it opened (no cents) counts by its double, and the next
 * movement writes both again. */
static void test_previous_release_rows(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 100), after = 0;
    fx_exec(fx, "UPDATE bankrolls SET current_amount = 80.1, low_amount = 80.1 WHERE id = %lld",
            (long long)id);
    assert_float_equal(balance(c, id), 80.1, 0);
    assert_int_equal(aps_bankroll_transfer(c, FX_USER, id, false, 5, NULL, &after), 0);
    assert_int_equal(after, 8015);
    struct aps_bankroll b;
    assert_int_equal(aps_bankroll_get(c, id, FX_USER, &b), 0);
    assert_int_equal(b.low_cents, 8010);
    assert_int_equal(b.peak_cents, 10000);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT current_cents FROM bankrolls WHERE id = %lld",
             (long long)id);
    assert_int_equal(fx_int(fx, sql), 8015);
    fx_exec(fx, "INSERT INTO bankrolls (user_id, name, currency, initial_amount, current_amount,"
                " peak_amount, low_amount, is_active, created_at, updated_at)"
                " VALUES (%d, 'old', 'USD', 19.99, 19.99, 19.99, 19.99, 1, 0, 0)", FX_USER);
    int64_t old = fx_int(fx, "SELECT MAX(id) FROM bankrolls");
    assert_int_equal(aps_bankroll_get(c, old, FX_USER, &b), 0);
    assert_int_equal(b.current_cents, 1999);
    assert_int_equal(b.initial_cents, 1999);
    assert_int_equal(aps_bankroll_transfer(c, FX_USER, old, true, 1999, NULL, &after), 0);
    assert_int_equal(after, 0);
    aps_store_release(c);
}

static void test_settle_win_loss_push_idempotent(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 1000), b1, b2, b3, b4;
    int64_t after;
    int64_t now = aps_time_now();
    struct aps_bet_request b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.85, 100);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b1, &after), 0);
    b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_AWAY, NAN, 2.10, 50);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b2, &after), 0);
    b = bet(id, FX_G_FUTURE, APS_MKT_SPREAD, APS_SEL_HOME, -3, 1.91, 40); /* 24–21: push */
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b3, &after), 0);
    b = bet(id, FX_G_FUTURE, APS_MKT_TOTAL, APS_SEL_OVER, 44.5, 1.95, 20); /* 45: win */
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b4, &after), 0);
    assert_int_equal(after, 79000);

    int settled = -1;
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    assert_int_equal(settled, 0); /* not over yet */
    finish_game(fx, FX_G_FUTURE, 24, 21);
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    assert_int_equal(settled, 4);
    /* 790 + 185 (win) + 0 (loss) + 40 (push refund) + 39 (win 20 @ 1.95) */
    double expect = 790 + 185 + 40 + 39;
    assert_float_equal(balance(c, id), expect, 1e-9);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT profit_loss FROM bets WHERE id = %lld", (long long)b1);
    assert_float_equal(fx_double(fx, sql), 85, 1e-9);
    snprintf(sql, sizeof sql, "SELECT profit_loss FROM bets WHERE id = %lld", (long long)b2);
    assert_float_equal(fx_double(fx, sql), -50, 1e-9);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'push'"), 1);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bankroll_transactions WHERE kind = 'refund'"),
                     1);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bankroll_transactions WHERE kind = 'payout'"),
                     2);
    int64_t rows = fx_int(fx, "SELECT COUNT(*) FROM bankroll_transactions");

    /* settling again changes nothing */
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    assert_int_equal(settled, 0);
    assert_float_equal(balance(c, id), expect, 1e-9);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bankroll_transactions"), rows);
    struct aps_bankroll br;
    assert_int_equal(aps_bankroll_get(c, id, FX_USER, &br), 0);
    assert_int_equal(br.peak_cents, aps_money_round(expect));
    assert_int_equal(br.low_cents, 79000);
    aps_store_release(c);
}

/* A bankroll at the balance limit whose bet wins cannot take its payout: that bet stays pending
 * and its bankroll untouched, and every other bet on the game is settled all the same. */
static void test_settle_past_the_limit_holds_one_bet(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t full = open_bankroll(c, FX_USER, 1000), other = open_bankroll(c, FX_ADMIN, 1000);
    int64_t now = aps_time_now(), b1, b2, after;
    struct aps_bet_request b =
        bet(full, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.85, 100);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b1, &after), 0);
    b = bet(other, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.85, 100);
    b.user_id = FX_ADMIN;
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b2, &after), 0);
    /* deposits fill the first bankroll to the limit after its stake went out */
    int64_t room = APS_MONEY_LIMIT_CENTS - 90000;
    while (room > 0) {
        int64_t d = room < APS_MONEY_LIMIT_CENTS / 10 ? room : APS_MONEY_LIMIT_CENTS / 10;
        assert_int_equal(aps_bankroll_move(c, full, "deposit", d, 0, NULL, now, &after), 0);
        room -= d;
    }
    finish_game(fx, FX_G_FUTURE, 24, 21);
    int settled = -1;
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    assert_int_equal(settled, 1);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM bets WHERE id = %lld AND result = 'pending'",
             (long long)b1);
    assert_int_equal(fx_int(fx, sql), 1);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM bets WHERE id = %lld AND result = 'win'",
             (long long)b2);
    assert_int_equal(fx_int(fx, sql), 1);
    struct aps_bankroll br;
    assert_int_equal(aps_bankroll_get(c, full, 0, &br), 0);
    assert_true(br.current_cents == APS_MONEY_LIMIT_CENTS);
    assert_float_equal(balance(c, other), 900 + 185, 1e-9);
    aps_store_release(c);
}

/* A win at a price so long that it could never be paid: refused when placed; one stored anyway
 * (placed before that refusal, or written by SQL) stays pending for a person while the grading
 * settles the game's other bets, and settling it by hand as a win changes nothing. */
static void test_unpayable_price(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 1000), b1, after;
    int64_t now = aps_time_now();
    struct aps_bet_request b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1e20, 1);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b1, &after), APS_E_TOOBIG);
    /* stake × price exactly at the limit is still a bet */
    b.price = (double)APS_MONEY_LIMIT_CENTS / 100;
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b1, &after), 0);
    b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 2.0, 10);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b1, &after), 0);
    assert_int_equal(after, 98900);
    fx_exec(fx, "UPDATE bets SET price = 1e20 WHERE price > 1000");
    assert_int_equal(aps_bankroll_settle_bet(c, FX_USER, 1, APS_GRADE_WIN,
                                             APS_MARGIN_MULTIPLICATIVE, &after),
                     APS_E_TOOBIG);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'pending'"), 2);
    finish_game(fx, FX_G_FUTURE, 24, 21);
    int settled = -1;
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    assert_int_equal(settled, 1);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'pending'"
                                " AND price = 1e20"),
                     1);
    assert_float_equal(balance(c, id), 989 + 20, 1e-9);
    /* a person settles it with another result */
    assert_int_equal(aps_bankroll_settle_bet(c, FX_USER, 1, APS_GRADE_VOID,
                                             APS_MARGIN_MULTIPLICATIVE, &after),
                     0);
    assert_int_equal(after, 101000);
    aps_store_release(c);
}

static void test_settle_void_on_cancel(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 500), b1;
    int64_t after;
    struct aps_bet_request b = bet(id, FX_G_TODAY, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 2.0, 80);
    assert_int_equal(aps_bankroll_place_bet(c, &b, aps_time_now(), &b1, &after), 0);
    fx_exec(fx, "UPDATE games SET status = 'cancelled' WHERE id = %d", FX_G_TODAY);
    int settled = 0;
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_TODAY, &settled), 0);
    assert_int_equal(settled, 1);
    assert_float_equal(balance(c, id), 500, 0);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'void'"), 1);
    aps_store_release(c);
}

/* Grades the picks and settles game's bets as the grading job does, at now with the default
 * grace; "pick result/bet result" of the game's seeded pick (pick_id) and its one bet. */
static const char *grade_at(struct fixture *fx, struct aps_conn *c, int64_t game, int64_t pick_id,
                            int64_t now, char *out, size_t cap)
{
    struct aps_grade_clock clock = {now, APS_GRADE_GRACE_DEFAULT_S};
    struct aps_grade_run g;
    int settled = 0;
    assert_int_equal(aps_picks_grade(c, APS_MARGIN_MULTIPLICATIVE, &clock, &g), 0);
    assert_int_equal(
        aps_bankroll_settle_game_with(c, game, APS_MARGIN_MULTIPLICATIVE, &clock, &settled), 0);
    (void)fx;
    assert_int_equal(aps_conn_query_row(c,
                                        "SELECT COALESCE((SELECT result FROM prediction_results"
                                        " WHERE prediction_id = ?1), 'pending') || '/' ||"
                                        " (SELECT result FROM bets WHERE game_id = ?2)",
                                        "s", out, cap, "ii", pick_id, game),
                     0);
    return out;
}

/* A postponed game's pick and bet follow one rule: neither is settled while the game is
 * postponed; played within 48 hours of its original start (at a new start) both are graded on
 * the score; still postponed 48 hours after it, both are void. The grading used to void the bet
 * at once and leave the pick pending, then grade the pick on the later score. */
static void test_postponed_pick_and_bet_agree(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 1000), b1, b2, after;
    int64_t now = aps_time_now();
    /* the seeded pick 2 (game 2, home at 1.85) and pick 3 (game 3, away at 3.10) */
    struct aps_bet_request b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.85, 10);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b1, &after), 0);
    b = bet(id, FX_G_TODAY, APS_MKT_MONEYLINE, APS_SEL_AWAY, NAN, 3.10, 10);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b2, &after), 0);
    int64_t s2 = fx_int(fx, "SELECT start_time FROM games WHERE id = 2");
    int64_t s3 = fx_int(fx, "SELECT start_time FROM games WHERE id = 3");
    /* each records the start it was made for */
    assert_int_equal(fx_int(fx, "SELECT game_start FROM predictions WHERE id = 2"), s2);
    assert_int_equal(fx_int(fx, "SELECT game_start FROM bets WHERE game_id = 2"), s2);
    fx_exec(fx, "UPDATE games SET status = 'postponed' WHERE id IN (2, 3)");
    char got[64];
    assert_string_equal(grade_at(fx, c, FX_G_TODAY, 3, s3 + 3600, got, sizeof got),
                        "pending/pending");
    assert_string_equal(grade_at(fx, c, FX_G_FUTURE, 2, s3 + 3600, got, sizeof got),
                        "pending/pending");
    /* game 3 still postponed: waits through 48 hours from its start, then void */
    assert_string_equal(grade_at(fx, c, FX_G_TODAY, 3, s3 + 48 * 3600 - 1, got, sizeof got),
                        "pending/pending");
    assert_string_equal(grade_at(fx, c, FX_G_TODAY, 3, s3 + 48 * 3600, got, sizeof got),
                        "void/void");
    assert_string_equal(grade_at(fx, c, FX_G_FUTURE, 2, s3 + 48 * 3600, got, sizeof got),
                        "pending/pending");
    /* game 2 played a day late (ESPN moved its start), 20-17: graded on the score */
    fx_exec(fx, "UPDATE games SET status = 'final', start_time = %lld, home_score = 20,"
                " away_score = 17 WHERE id = 2", (long long)(s2 + 86400));
    assert_string_equal(grade_at(fx, c, FX_G_FUTURE, 2, s2 + 90000, got, sizeof got), "win/win");
    assert_float_equal(balance(c, id), 1000 - 20 + 18.50 + 10, 1e-9);
    aps_store_release(c);
}

/* A bet placed by the previous release has no game_start: the game's start stands for it. */
static void test_previous_release_bet_without_game_start(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 100), b1, after;
    struct aps_bet_request b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 2.0, 10);
    assert_int_equal(aps_bankroll_place_bet(c, &b, aps_time_now(), &b1, &after), 0);
    fx_exec(fx, "UPDATE bets SET game_start = NULL; UPDATE games SET status = 'postponed',"
                " start_time = start_time - 5 * 86400 WHERE id = 2");
    struct aps_grade_clock clock = {aps_time_now(), APS_GRADE_GRACE_DEFAULT_S};
    int settled = 0;
    assert_int_equal(aps_bankroll_settle_game_with(c, FX_G_FUTURE, APS_MARGIN_MULTIPLICATIVE,
                                                   &clock, &settled),
                     0);
    assert_int_equal(settled, 1);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'void'"), 1);
    aps_store_release(c);
}

/* A bet settled by hand takes the grading's settlement (profit, payout) once; the grading of the
 * game later settles only what is still pending. */
static void test_settle_by_hand(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    int64_t id = open_bankroll(c, FX_USER, 1000), b1, b2;
    int64_t after = 0;
    int64_t now = aps_time_now();
    struct aps_bet_request b = bet(id, FX_G_FUTURE, APS_MKT_SPREAD, APS_SEL_HOME, -0.25, 1.85, 100);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b1, &after), 0);
    b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_AWAY, NAN, 2.10, 50);
    assert_int_equal(aps_bankroll_place_bet(c, &b, now, &b2, &after), 0);
    assert_int_equal(after, 85000);

    enum aps_margin_method mm = APS_MARGIN_MULTIPLICATIVE;
    assert_int_equal(aps_bankroll_settle_bet(c, FX_OTHER, b1, APS_GRADE_WIN, mm, &after),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_bankroll_settle_bet(c, FX_USER, 999999, APS_GRADE_WIN, mm, &after),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_bankroll_settle_bet(c, FX_USER, b1, (enum aps_grade_result)-1, mm, &after),
                     APS_E_INVAL);
    /* a half result only for a stake split over two lines: not a moneyline; nothing changed */
    assert_int_equal(aps_bankroll_settle_bet(c, FX_USER, b2, APS_GRADE_HALF_LOSS, mm, &after),
                     APS_E_RANGE);
    assert_float_equal(balance(c, id), 850.00, 1e-9);
    /* half win of 100 at 1.85 on -0.25: profit 42.50, 142.50 paid back */
    assert_int_equal(aps_bankroll_settle_bet(c, FX_USER, b1, APS_GRADE_HALF_WIN, mm, &after), 0);
    assert_int_equal(after, 99250);
    assert_float_equal(balance(c, id), 992.50, 1e-9);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT profit_loss FROM bets WHERE id = %lld AND result = 'half_win'",
             (long long)b1);
    assert_float_equal(fx_double(fx, sql), 42.50, 1e-9);
    assert_int_equal(aps_bankroll_settle_bet(c, FX_USER, b1, APS_GRADE_LOSS, mm, &after),
                     APS_E_STATE);
    assert_float_equal(balance(c, id), 992.50, 1e-9);

    /* the home side wins: the grading loses b2 and leaves b1 as settled by hand */
    finish_game(fx, FX_G_FUTURE, 30, 10);
    int settled = 0;
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    assert_int_equal(settled, 1);
    assert_float_equal(balance(c, id), 992.50, 1e-9);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'half_win'"), 1);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'loss'"), 1);
    aps_store_release(c);
}

static void test_clv_sign_and_benchmark(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    /* closing moneyline at Pinnacle (sharp) 1.70 / 2.25 and DraftKings 1.60 / 2.40 */
    fx_exec(fx, "INSERT INTO closing_lines (game_id, book_id, market, selection, line, price,"
                " closed_at, source) VALUES (2, 1, 'moneyline', 'home', NULL, 1.70, 0, 't'),"
                " (2, 1, 'moneyline', 'away', NULL, 2.25, 0, 't'),"
                " (2, 2, 'moneyline', 'home', NULL, 1.60, 0, 't'),"
                " (2, 2, 'moneyline', 'away', NULL, 2.40, 0, 't'),"
                " (2, 2, 'spread', 'home', -3.5, 1.91, 0, 't'),"
                " (2, 2, 'spread', 'away', 3.5, 1.91, 0, 't')");
    struct aps_bet_close cl;
    double p_home = (1 / 1.70) / (1 / 1.70 + 1 / 2.25);
    assert_int_equal(aps_bankroll_bet_clv(c, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, false,
                                          NAN, 1.85, APS_MARGIN_MULTIPLICATIVE,
                                          &cl),
                     0);
    assert_string_equal(cl.book, "sharp"); /* the sharp book before every other */
    assert_float_equal(cl.price, 1.70, 0);
    assert_float_equal(cl.clv, p_home * 1.85 - 1, 1e-12);
    assert_true(cl.clv > 0); /* 1.85 beat a fair close of about 1.76 */
    assert_int_equal(aps_bankroll_bet_clv(c, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, false,
                                          NAN, 1.65, APS_MARGIN_MULTIPLICATIVE, &cl),
                     0);
    assert_true(cl.clv < 0);
    /* spread: home −3 against a −3.5 close beat it by half a point */
    assert_int_equal(aps_bankroll_bet_clv(c, FX_G_FUTURE, APS_MKT_SPREAD, APS_SEL_HOME, false,
                                          -3, 1.91, APS_MARGIN_MULTIPLICATIVE, &cl),
                     0);
    assert_string_equal(cl.book, "bookmakers");
    assert_float_equal(cl.clv, 0.5, 0);
    /* no closing total at all: CLV unknown */
    assert_int_equal(aps_bankroll_bet_clv(c, FX_G_FUTURE, APS_MKT_TOTAL, APS_SEL_OVER, false,
                                          44.5, 1.91, APS_MARGIN_MULTIPLICATIVE, &cl),
                     0);
    assert_true(isnan(cl.clv));

    /* settlement stores the CLV it computed */
    int64_t id = open_bankroll(c, FX_USER, 1000), b1;
    int64_t after;
    struct aps_bet_request b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.85, 10);
    assert_int_equal(aps_bankroll_place_bet(c, &b, aps_time_now(), &b1, &after), 0);
    finish_game(fx, FX_G_FUTURE, 10, 17);
    int settled = 0;
    assert_int_equal(aps_bankroll_settle_game(c, FX_G_FUTURE, &settled), 0);
    assert_int_equal(settled, 1);
    assert_float_equal(fx_double(fx, "SELECT clv FROM bets"), p_home * 1.85 - 1, 1e-12);
    assert_float_equal(fx_double(fx, "SELECT closing_price FROM bets"), 1.70, 0);
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM bets WHERE result = 'loss'"), 1);
    aps_store_release(c);
}

/* A live close captured at a start the game has since left (postponed and moved) is not its
 * close: CLV is measured against the closes that stand, and against the live one again once it is
 * captured at the game's start. */
static void test_clv_ignores_a_close_of_a_moved_start(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    /* Pinnacle (sharp) live at an earlier start, 2.10 / 1.80; DraftKings imported, 1.60 / 2.40 */
    fx_exec(fx, "INSERT INTO closing_lines (game_id, book_id, market, selection, line, price,"
                " closed_at, source) SELECT 2, 1, 'moneyline', 'home', NULL, 2.10,"
                " start_time - 86400, 'live' FROM games WHERE id = 2;"
                "INSERT INTO closing_lines (game_id, book_id, market, selection, line, price,"
                " closed_at, source) SELECT 2, 1, 'moneyline', 'away', NULL, 1.80,"
                " start_time - 86400, 'live' FROM games WHERE id = 2;"
                "INSERT INTO closing_lines (game_id, book_id, market, selection, line, price,"
                " closed_at, source) VALUES (2, 2, 'moneyline', 'home', NULL, 1.60, 0, 't'),"
                " (2, 2, 'moneyline', 'away', NULL, 2.40, 0, 't')");
    struct aps_bet_close cl;
    assert_int_equal(aps_bankroll_bet_clv(c, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, false,
                                          NAN, 1.85, APS_MARGIN_MULTIPLICATIVE, &cl),
                     0);
    assert_string_equal(cl.book, "bookmakers");
    assert_float_equal(cl.price, 1.60, 0);
    fx_exec(fx, "UPDATE closing_lines SET closed_at = (SELECT start_time FROM games WHERE id = 2)"
                " WHERE source = 'live'");
    assert_int_equal(aps_bankroll_bet_clv(c, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, false,
                                          NAN, 1.85, APS_MARGIN_MULTIPLICATIVE, &cl),
                     0);
    assert_string_equal(cl.book, "sharp");
    assert_float_equal(cl.price, 2.10, 0);
    aps_store_release(c);
}

/* A pick and a bet on the same side of the same game report the same CLV under every margin
 * method: both are measured against the one closing benchmark (here two bookmakers with
 * different closes, no sharp book, the bet and the pick at one of them). */
static void test_pick_and_bet_clv_agree(void **state)
{
    struct fixture *fx = *state;
    struct aps_conn *c = conn(fx);
    fx_exec(fx, "INSERT INTO closing_lines (game_id, book_id, market, selection, line, price,"
                " closed_at, source) VALUES (2, 2, 'moneyline', 'home', NULL, 1.60, 0, 't'),"
                " (2, 2, 'moneyline', 'away', NULL, 2.45, 0, 't'),"
                " (2, 3, 'moneyline', 'home', NULL, 1.75, 0, 't'),"
                " (2, 3, 'moneyline', 'away', NULL, 2.10, 0, 't')");
    int64_t id = open_bankroll(c, FX_USER, 1000), b1;
    int64_t after;
    /* the seeded pick 2: game 2, moneyline home at 1.85 (DraftKings) */
    struct aps_bet_request b = bet(id, FX_G_FUTURE, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, 1.85, 10);
    b.sportsbook = "draftkings";
    assert_int_equal(aps_bankroll_place_bet(c, &b, aps_time_now(), &b1, &after), 0);
    finish_game(fx, FX_G_FUTURE, 20, 17);
    static const enum aps_margin_method methods[] = {APS_MARGIN_MULTIPLICATIVE,
                                                     APS_MARGIN_ADDITIVE, APS_MARGIN_POWER,
                                                     APS_MARGIN_SHIN};
    double seen[4];
    for (int i = 0; i < 4; i++) {
        fx_exec(fx, "DELETE FROM prediction_results WHERE prediction_id = 2;"
                    " UPDATE bets SET result = 'pending', clv = NULL, settled_at = NULL");
        struct aps_grade_run g;
        struct aps_grade_clock clock = {aps_time_now(), APS_GRADE_GRACE_DEFAULT_S};
        assert_int_equal(aps_picks_grade(c, methods[i], &clock, &g), 0);
        int settled = 0;
        assert_int_equal(
            aps_bankroll_settle_game_with(c, FX_G_FUTURE, methods[i], &clock, &settled), 0);
        double pick_clv = fx_double(fx, "SELECT clv FROM prediction_results WHERE prediction_id = 2");
        double bet_clv = fx_double(fx, "SELECT clv FROM bets");
        assert_false(isnan(pick_clv));
        assert_float_equal(pick_clv, bet_clv, 1e-12);
        seen[i] = pick_clv;
    }
    /* the methods do differ on this market: the agreement is not an accident of one method */
    assert_true(fabs(seen[0] - seen[2]) > 1e-6);
    aps_store_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_transfer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_place_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cents_stay_exact, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_previous_release_rows, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_settle_win_loss_push_idempotent, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_settle_past_the_limit_holds_one_bet, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_unpayable_price, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_settle_void_on_cancel, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_postponed_pick_and_bet_agree, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_previous_release_bet_without_game_start, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_settle_by_hand, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_clv_sign_and_benchmark, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_clv_ignores_a_close_of_a_moved_start, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_pick_and_bet_clv_agree, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
