/* bankroll.h — users' bankrolls, their money movements and their bets, on the store: opening a
 * bankroll, deposits and withdrawals, recording a bet (the stake debited in the same
 * transaction), and settling every pending bet of a finished game (grading, payout, closing-line
 * value). The API's betting endpoints and the worker's grading job share it.
 *
 * Money: amounts are in the bankroll's currency as integer cents (core/money.h), stored in the
 * *_cents BIGINT columns (migration 016) and added and subtracted as integers, so balances stay
 * exact over any number of movements. A payout at decimal odds is the one amount computed in
 * floating point; it is rounded to the cent half away from zero. Every new balance is written
 * with a compare-and-set on the old one, so two concurrent movements cannot lose one another on
 * either backend. Every movement is one bankroll_transactions row (kind deposit, withdrawal,
 * stake, payout, refund) with the balance after it, and moves the peak and the low.
 *
 * The previous release's DOUBLE PRECISION columns (current_amount, stake, amount, …) are written
 * alongside with the same value (cents / 100), because that release still reads and writes them
 * during a rolling deploy; APS_MONEY_SQL reads a money column so that a row the previous release
 * wrote or changed (no cents, or cents that no longer match the double) counts by its double.
 * The compare-and-set compares the double for the same reason: both releases write it. It
 * compares the double as the row holds it, which is not always a whole number of cents (the
 * previous release added doubles: 0.1 + 0.2 left 0.30000000000000004, which counts as 30 cents).
 *
 * Bet states: pending → win | loss | push | void | half_win | half_loss, once, by
 * aps_bankroll_settle_game or by hand with aps_bankroll_settle_bet (a bet already settled is
 * never touched again, so settling twice changes nothing). */
#ifndef APS_ENGINE_BANKROLL_H
#define APS_ENGINE_BANKROLL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"
#include "odds/grade.h"
#include "odds/margin.h"

struct aps_conn;

/* SQL for the cents of the money column pair (cents, dbl), e.g. APS_MONEY_SQL("b.current_cents",
 * "b.current_amount"): the cents when they match the double, else the double's decimal value in
 * cents (rounded half away from zero, as migration 016 converted the old rows). NULL stays
 * NULL. Both arguments must be string literals. */
#define APS_MONEY_SQL(cents, dbl)                                                              \
    "(CASE WHEN " cents " IS NOT NULL AND " dbl " = " cents " / 100.0 THEN " cents             \
    " ELSE CAST(ROUND(ROUND(CAST(" dbl " AS NUMERIC) * 100, 6)) AS BIGINT) END)"

struct aps_bankroll {
    int64_t id, user_id;
    char name[72];
    char currency[8];
    int64_t initial_cents, current_cents, peak_cents, low_cents;
    double current_stored; /* current_amount as the row holds it (the compare-and-set's value) */
    bool active;
    int64_t created_at, updated_at;
};

/* Opens a bankroll with `initial_cents` > 0 as its first deposit ("opening balance"), in its
 * own transaction. */
int aps_bankroll_create(struct aps_conn *c, int64_t user_id, const char *name,
                        const char *currency, int64_t initial_cents,
                        int64_t *id_out) APS_MUST_CHECK;
/* Reads bankroll id when it belongs to user_id (0: any user). APS_E_NOTFOUND otherwise. */
int aps_bankroll_get(struct aps_conn *c, int64_t id, int64_t user_id,
                     struct aps_bankroll *out) APS_MUST_CHECK;
/* Moves amount_cents (signed: negative debits) into bankroll id inside the caller's transaction and
 * records it as a transaction of `kind` (bet_id 0: none; description may be NULL). APS_E_RANGE
 * when the balance would go below zero, APS_E_TOOBIG when it would go above
 * APS_MONEY_LIMIT_CENTS, APS_E_NOTFOUND for no such bankroll, APS_E_BUSY when concurrent
 * movements kept winning the compare-and-set. */
int aps_bankroll_move(struct aps_conn *c, int64_t id, const char *kind, int64_t amount_cents,
                      int64_t bet_id, const char *description, int64_t now,
                      int64_t *balance_after_cents) APS_MUST_CHECK;
/* A deposit (amount_cents > 0) or withdrawal of the user's bankroll in its own transaction; errors as
 * aps_bankroll_move (APS_E_NOTFOUND also when the bankroll is another user's). */
int aps_bankroll_transfer(struct aps_conn *c, int64_t user_id, int64_t id, bool withdrawal,
                          int64_t amount_cents, const char *description,
                          int64_t *balance_after_cents) APS_MUST_CHECK;

struct aps_bet_request {
    int64_t user_id, bankroll_id;
    int64_t prediction_id;    /* 0: none */
    int64_t game_id;
    enum aps_market market;
    enum aps_selection sel;
    double line;              /* the selection's own line; NAN for moneyline */
    double price;             /* decimal odds taken, > 1 */
    int64_t stake_cents;      /* > 0 */
    const char *sportsbook;   /* may be NULL */
    const char *notes;        /* may be NULL */
};

/* Records the bet and debits its stake, in one transaction. Errors: APS_E_NOTFOUND (the
 * bankroll is not the user's, or no such game), APS_E_STATE (the game has started: not
 * scheduled, or its start time has passed at `now`), APS_E_RANGE (stake above the balance),
 * APS_E_TOOBIG (a win would pay stake × price, more than APS_MONEY_LIMIT_CENTS),
 * APS_E_INVAL (a selection outside the market, or a spread/total without a line). */
int aps_bankroll_place_bet(struct aps_conn *c, const struct aps_bet_request *b, int64_t now,
                           int64_t *bet_id, int64_t *balance_after_cents) APS_MUST_CHECK;

/* Settles every pending bet of game_id that aps_grade_settle (odds/grade.h) — the rule picks
 * are graded by too — settles at clock: graded on the score of a game played within the grace
 * period of the start the bet was placed for (bets.game_start; the game's start for a bet the
 * previous release placed), void for a cancelled game or one not played within that grace:
 * result, profit_loss, the closing line and CLV against closing_lines, and a payout (win, half
 * results) or refund (push, void) transaction; a loss moves no money. One transaction. A bet
 * whose payout would take its bankroll past APS_MONEY_LIMIT_CENTS stays pending (the others are
 * settled). *settled is the number of bets settled now (0 when none is due or everything was
 * settled before). Margin removal for price CLV: mm (MARGIN_METHOD). */
int aps_bankroll_settle_game_with(struct aps_conn *c, int64_t game_id, enum aps_margin_method mm,
                                  const struct aps_grade_clock *clock, int *settled) APS_MUST_CHECK;
/* The same now, with the default grace (APS_GRADE_GRACE_DEFAULT_S) and multiplicative margin
 * removal. */
int aps_bankroll_settle_game(struct aps_conn *c, int64_t game_id, int *settled) APS_MUST_CHECK;

/* Settles the user's own pending bet bet_id as r by hand (the game need not be over): the same
 * settlement as aps_bankroll_settle_game — result, profit_loss, the closing line and CLV when
 * the game has a closing benchmark (none for a void), a payout (win, half results) or refund
 * (push, void) — in one transaction. *balance_after_cents (may be NULL): the bankroll's balance
 * after it. Errors: APS_E_NOTFOUND (no such bet of user_id), APS_E_STATE (already settled),
 * APS_E_TOOBIG (the payout would take the balance past APS_MONEY_LIMIT_CENTS: nothing changed),
 * APS_E_INVAL (r is not a result), APS_E_RANGE (a half result for a bet that cannot split: a
 * moneyline, a whole or half line; nothing changed). */
int aps_bankroll_settle_bet(struct aps_conn *c, int64_t user_id, int64_t bet_id,
                            enum aps_grade_result r, enum aps_margin_method mm,
                            int64_t *balance_after_cents) APS_MUST_CHECK;

/* Closing-line value of a bet against a game's closing_lines (DESIGN §8, positive = beat the
 * close), against the closing benchmark of odds/benchmark.h (engine/market.h reads it from the
 * store) — the same benchmark a pick of the same side is graded against, whatever the book of
 * the bet. Moneyline: price CLV (a fraction of the stake) against the benchmark's no-vig
 * probability by margin method mm; spread and total: points CLV. book: the benchmark's class
 * ("sharp", "bookmakers", "aggregate"). NAN fields when there is no benchmark. */
struct aps_bet_close {
    double line, price, clv;
    char book[32];
};
int aps_bankroll_bet_clv(struct aps_conn *c, int64_t game_id, enum aps_market m,
                         enum aps_selection sel, bool three_way, double line, double price,
                         enum aps_margin_method mm, struct aps_bet_close *out) APS_MUST_CHECK;

/* True when sel is a side of market m (draw only in a three-way moneyline). */
bool aps_bankroll_selection_ok(enum aps_market m, enum aps_selection sel, bool three_way);

#endif
