/* bankroll.c — bankrolls, money movements, bet recording and settlement on the store (see
 * bankroll.h for the money rules and the bet states). */
#include "engine/bankroll.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/money.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/market.h"
#include "odds/benchmark.h"
#include "odds/grade.h"
#include "store/store.h"

#define CAS_ATTEMPTS 8

/* A real that is not a number binds as SQL NULL (a missing closing line, price or CLV). */
static double opt_real(double v)
{
    return isfinite(v) ? v : NAN;
}

/* Spec "id" for one amount: the cents, then the previous release's double. */
#define MONEY(cents) (int64_t)(cents), aps_money_to_double(cents)

/* Ends the transaction a public call began: commits when rc is 0, else (or when the commit
 * fails) rolls back. Returns rc or the commit's error. */
static int end_tx(struct aps_conn *c, int rc)
{
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    return rc;
}

/* ---- bankrolls ----------------------------------------------------------------------------- */

static int record_transaction(struct aps_conn *c, int64_t id, const char *kind, int64_t amount,
                              int64_t balance, int64_t bet_id, const char *description,
                              int64_t now)
{
    return aps_conn_execf(c,
                          "INSERT INTO bankroll_transactions (bankroll_id, kind, amount_cents,"
                          " amount, balance_after_cents, balance_after, bet_id, description,"
                          " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                          "isididIsi", id, kind, MONEY(amount), MONEY(balance),
                          bet_id ? &bet_id : NULL, description, now);
}

int aps_bankroll_create(struct aps_conn *c, int64_t user_id, const char *name,
                        const char *currency, int64_t initial_cents, int64_t *id_out)
{
    if (initial_cents <= 0 || initial_cents > APS_MONEY_LIMIT_CENTS || !name)
        return APS_E_INVAL;
    int64_t now = aps_time_now(), id = 0, amount = initial_cents;
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    rc = aps_conn_query_row(c,
                            "INSERT INTO bankrolls (user_id, name, currency, initial_cents,"
                            " initial_amount, current_cents, current_amount, peak_cents,"
                            " peak_amount, low_cents, low_amount, is_active, created_at,"
                            " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?5, ?4, ?5, ?4, ?5, 1,"
                            " ?6, ?6) RETURNING id",
                            "i", &id, "issidi", user_id, name, currency ? currency : "USD",
                            MONEY(amount), now);
    if (!rc)
        rc = record_transaction(c, id, "deposit", amount, amount, 0, "opening balance", now);
    rc = end_tx(c, rc);
    if (!rc)
        *id_out = id;
    return rc;
}

static void copy_col(char *dst, size_t cap, const struct aps_stmt *st, int col)
{
    const char *t = aps_stmt_text(st, col);
    (void)aps_str_copy(dst, cap, t ? t : "");
}

int aps_bankroll_get(struct aps_conn *c, int64_t id, int64_t user_id, struct aps_bankroll *out)
{
#define BANKROLL_GET                                                                           \
    "SELECT id, user_id, name, currency, " APS_MONEY_SQL("initial_cents", "initial_amount")    \
    ", " APS_MONEY_SQL("current_cents", "current_amount") ", "                                 \
    APS_MONEY_SQL("peak_cents", "peak_amount") ", " APS_MONEY_SQL("low_cents", "low_amount")   \
    ", is_active, created_at, updated_at, current_amount FROM bankrolls WHERE id = ?1"
    static const char *const sql[2] = {BANKROLL_GET, BANKROLL_GET " AND user_id = ?2"};
#undef BANKROLL_GET
    struct aps_stmt *st = NULL;
    int rc = user_id ? aps_conn_preparef(c, &st, sql[1], "ii", id, user_id)
                     : aps_conn_preparef(c, &st, sql[0], "i", id);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        memset(out, 0, sizeof *out);
        out->id = aps_stmt_int64(st, 0);
        out->user_id = aps_stmt_int64(st, 1);
        copy_col(out->name, sizeof out->name, st, 2);
        copy_col(out->currency, sizeof out->currency, st, 3);
        out->initial_cents = aps_stmt_int64(st, 4);
        out->current_cents = aps_stmt_int64(st, 5);
        out->peak_cents = aps_stmt_int64(st, 6);
        out->low_cents = aps_stmt_int64(st, 7);
        out->active = aps_stmt_int64(st, 8) != 0;
        out->created_at = aps_stmt_int64(st, 9);
        out->updated_at = aps_stmt_int64(st, 10);
        out->current_stored = aps_stmt_double(st, 11);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(st);
    return rc;
}

/* One compare-and-set of the balance: writes the new balance, peak and low only when the
 * balance is still b's. The comparison is on the double as b read it from the row, which both
 * this and the previous release write (bankroll.h); the double of b's cents would never match a
 * balance the previous release left between two cents. *done tells whether it did. */
static int cas_balance(struct aps_conn *c, int64_t id, const struct aps_bankroll *b, int64_t bal,
                       int64_t now, bool *done)
{
    int64_t changed = 0;
    int rc = aps_conn_changef(c, &changed,
                              "UPDATE bankrolls SET current_cents = ?1, current_amount = ?2,"
                              " peak_cents = ?3, peak_amount = ?4, low_cents = ?5,"
                              " low_amount = ?6, updated_at = ?7"
                              " WHERE id = ?8 AND current_amount = ?9",
                              "idididiid", MONEY(bal),
                              MONEY(bal > b->peak_cents ? bal : b->peak_cents),
                              MONEY(bal < b->low_cents ? bal : b->low_cents), now, id,
                              b->current_stored);
    *done = !rc && changed == 1;
    return rc;
}

int aps_bankroll_move(struct aps_conn *c, int64_t id, const char *kind, int64_t amount,
                      int64_t bet_id, const char *description, int64_t now,
                      int64_t *balance_after)
{
    struct aps_bankroll b;
    int64_t bal = 0;
    bool done = false;
    int rc = 0;
    /* a balance is never negative, so a credit past the limit takes it past the limit and a
     * debit past it takes it below zero, whatever the balance is */
    if (amount > APS_MONEY_LIMIT_CENTS)
        return APS_E_TOOBIG;
    if (amount < -APS_MONEY_LIMIT_CENTS)
        return APS_E_RANGE;
    for (int attempt = 0; !rc && !done && attempt < CAS_ATTEMPTS; attempt++) {
        rc = aps_bankroll_get(c, id, 0, &b);
        if (rc)
            return rc;
        bal = b.current_cents + amount;
        if (bal < 0)
            return APS_E_RANGE;
        if (bal > APS_MONEY_LIMIT_CENTS)
            return APS_E_TOOBIG;
        rc = cas_balance(c, id, &b, bal, now, &done);
    }
    if (!rc && !done)
        rc = APS_E_BUSY;
    if (!rc)
        rc = record_transaction(c, id, kind, amount, bal, bet_id, description, now);
    if (!rc && balance_after)
        *balance_after = bal;
    return rc;
}

int aps_bankroll_transfer(struct aps_conn *c, int64_t user_id, int64_t id, bool withdrawal,
                          int64_t amount, const char *description, int64_t *balance_after)
{
    if (amount <= 0)
        return APS_E_INVAL;
    struct aps_bankroll b;
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    rc = aps_bankroll_get(c, id, user_id, &b);
    if (!rc)
        rc = aps_bankroll_move(c, id, withdrawal ? "withdrawal" : "deposit",
                               withdrawal ? -amount : amount, 0, description, aps_time_now(),
                               balance_after);
    return end_tx(c, rc);
}

/* ---- bets ---------------------------------------------------------------------------------- */

bool aps_bankroll_selection_ok(enum aps_market m, enum aps_selection sel, bool three_way)
{
    return aps_market_side_index(m, three_way, sel) >= 0;
}

/* The game's status, start time, whether its sport has a draw, and its score (-1: unknown). */
struct game_state {
    char status[24];
    int64_t start_time;
    bool three_way;
    int home, away;
};

static int read_game(struct aps_conn *c, int64_t game_id, struct game_state *g)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT g.status, g.start_time, sp.three_way, g.home_score,"
                               " g.away_score FROM games g JOIN sports sp ON sp.id = g.sport_id"
                               " WHERE g.id = ?1",
                               "i", game_id);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        memset(g, 0, sizeof *g);
        copy_col(g->status, sizeof g->status, st, 0);
        g->start_time = aps_stmt_int64(st, 1);
        g->three_way = aps_stmt_int64(st, 2) != 0;
        bool has_score = !aps_stmt_is_null(st, 3) && !aps_stmt_is_null(st, 4);
        g->home = has_score ? (int)aps_stmt_int64(st, 3) : -1;
        g->away = has_score ? (int)aps_stmt_int64(st, 4) : -1;
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(st);
    return rc;
}

/* game_start: the game's start when the bet is placed, the start the bet is made for (settling
 * voids the bet of a game not played within the grace period of it, odds/grade.h). */
static int insert_bet(struct aps_conn *c, const struct aps_bet_request *b, int64_t game_start,
                      int64_t now, int64_t *id)
{
    return aps_conn_query_row(
        c,
        "INSERT INTO bets (user_id, bankroll_id, prediction_id, game_id, market, selection, line,"
        " price, stake_cents, stake, sportsbook, notes, placed_at, result, game_start) VALUES"
        " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'pending', ?14) RETURNING id",
        "i", id, "iiIissddidssii", b->user_id, b->bankroll_id,
        b->prediction_id ? &b->prediction_id : NULL, b->game_id, aps_market_name(b->market),
        aps_selection_name(b->sel), b->market == APS_MKT_MONEYLINE ? NAN : opt_real(b->line),
        b->price, MONEY(b->stake_cents), b->sportsbook, b->notes, now, game_start);
}

/* The checks of aps_bankroll_place_bet that read the store, inside its transaction; *game_start:
 * the game's start. */
static int check_bet(struct aps_conn *c, const struct aps_bet_request *b, int64_t now,
                     int64_t *game_start)
{
    struct aps_bankroll br;
    struct game_state g;
    int rc = aps_bankroll_get(c, b->bankroll_id, b->user_id, &br);
    if (!rc)
        rc = read_game(c, b->game_id, &g);
    if (rc)
        return rc;
    if (!aps_bankroll_selection_ok(b->market, b->sel, g.three_way))
        return APS_E_INVAL;
    if (b->market != APS_MKT_MONEYLINE && !isfinite(b->line))
        return APS_E_INVAL;
    if (strcmp(g.status, "scheduled") || g.start_time <= now)
        return APS_E_STATE;
    *game_start = g.start_time;
    return b->stake_cents > br.current_cents ? APS_E_RANGE : 0;
}

int aps_bankroll_place_bet(struct aps_conn *c, const struct aps_bet_request *b, int64_t now,
                           int64_t *bet_id, int64_t *balance_after)
{
    if (b->stake_cents <= 0 || b->stake_cents > APS_MONEY_LIMIT_CENTS || !(b->price > 1))
        return APS_E_INVAL;
    /* a win pays stake × price back: a bet that could only be paid past the most a bankroll
     * holds could never be settled as won */
    if ((double)b->stake_cents * b->price > (double)APS_MONEY_LIMIT_CENTS)
        return APS_E_TOOBIG;
    int64_t id = 0, game_start = 0;
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    rc = check_bet(c, b, now, &game_start);
    if (!rc)
        rc = insert_bet(c, b, game_start, now, &id);
    if (!rc)
        rc = aps_bankroll_move(c, b->bankroll_id, "stake", -b->stake_cents, id, "bet placed", now,
                               balance_after);
    rc = end_tx(c, rc);
    if (!rc)
        *bet_id = id;
    return rc;
}

/* ---- closing-line value -------------------------------------------------------------------- */

int aps_bankroll_bet_clv(struct aps_conn *c, int64_t game_id, enum aps_market m,
                         enum aps_selection sel, bool three_way, double line, double price,
                         enum aps_margin_method mm, struct aps_bet_close *out)
{
    out->line = out->price = out->clv = NAN;
    out->book[0] = '\0';
    struct aps_close_benchmark bm;
    int rc = aps_market_close_stored(c, game_id, m, three_way, mm, &bm);
    int k = rc ? -1 : aps_market_side_index(m, three_way, sel);
    if (rc || !bm.found || k < 0)
        return rc;
    out->line = bm.line[k];
    out->price = bm.price[k];
    (void)aps_str_copy(out->book, sizeof out->book, bm.source);
    if (aps_close_clv(&bm, m, sel, line, price, &out->clv))
        out->clv = NAN; /* no line or price to compare: report none */
    return 0;
}

/* ---- settlement ---------------------------------------------------------------------------- */

struct pending_bet {
    int64_t id, bankroll_id;
    int market, sel;
    double line, price;
    int64_t stake_cents;
    char book[32];
    bool has_game_start; /* false for a bet the previous release placed */
    int64_t game_start;  /* the game's start when the bet was placed */
};

/* The bet of the current row of a statement selecting id, bankroll_id, market, selection, line,
 * price, the stake in cents (APS_MONEY_SQL), sportsbook, game_start (in that order). */
static void read_bet_row(const struct aps_stmt *st, struct pending_bet *b)
{
    const char *m = aps_stmt_text(st, 2), *s = aps_stmt_text(st, 3);
    b->id = aps_stmt_int64(st, 0);
    b->bankroll_id = aps_stmt_int64(st, 1);
    b->market = m ? aps_market_parse(m) : -1;
    b->sel = s ? aps_selection_parse(s) : -1;
    b->line = aps_stmt_double(st, 4);
    b->price = aps_stmt_double(st, 5);
    b->stake_cents = aps_stmt_int64(st, 6);
    copy_col(b->book, sizeof b->book, st, 7);
    b->has_game_start = !aps_stmt_is_null(st, 8);
    b->game_start = b->has_game_start ? aps_stmt_int64(st, 8) : 0;
}

/* The game's pending bets. On PostgreSQL their rows are locked here, before any bankroll is:
 * a settlement by hand takes its bet's row and then its bankroll's, so a game's settlement that
 * paid one bet into a bankroll and only then waited for another bet's row deadlocked with it
 * (SQLite's BEGIN IMMEDIATE runs one writer at a time). */
static int load_pending(struct aps_conn *c, int64_t game_id, struct pending_bet **out, int *n)
{
#define PENDING_SQL                                                                            \
    "SELECT id, bankroll_id, market, selection, line, price, "                                 \
    APS_MONEY_SQL("stake_cents", "stake") ", sportsbook, game_start FROM bets"                 \
    " WHERE game_id = ?1 AND result = 'pending' ORDER BY id"
    static const char *const sql[2] = {PENDING_SQL, PENDING_SQL " FOR UPDATE"};
#undef PENDING_SQL
    struct aps_stmt *st = NULL;
    int cap = 0;
    *out = NULL;
    *n = 0;
    int rc = aps_conn_preparef(c, &st, sql[aps_conn_kind(c) == APS_DB_POSTGRES], "i", game_id);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = aps_realloc(*out, (size_t)cap * sizeof **out);
        }
        read_bet_row(st, &(*out)[(*n)++]);
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Marks the bet settled unless someone settled it first; *won tells whether this call did. */
static int mark_settled(struct aps_conn *c, const struct pending_bet *b, const char *result,
                        int64_t pl, const struct aps_bet_close *cl, int64_t now, bool *won)
{
    int64_t changed = 0;
    int rc = aps_conn_changef(c, &changed,
                              "UPDATE bets SET result = ?1, profit_loss_cents = ?2,"
                              " profit_loss = ?3, closing_line = ?4, closing_price = ?5, clv = ?6,"
                              " settled_at = ?7 WHERE id = ?8 AND result = 'pending'",
                              "siddddii", result, MONEY(pl), opt_real(cl->line),
                              opt_real(cl->price), opt_real(cl->clv), now, b->id);
    *won = !rc && changed == 1;
    return rc;
}

/* The bet's grade by the rule picks are graded by too (aps_grade_settle): void for a cancelled
 * game or one not played within the grace period of the start the bet was placed for (a bet the
 * previous release placed: the game's start), else graded on the final score; APS_E_STATE while
 * the game is not settled yet. */
static int grade_one(const struct pending_bet *b, const struct game_state *g,
                     const struct aps_grade_clock *clock, enum aps_grade_result *r)
{
    struct aps_grade_game gg = {(enum aps_game_status)aps_status_parse(g->status), g->home,
                                g->away, g->start_time,
                                b->has_game_start ? b->game_start : g->start_time};
    struct aps_grade_pick p = {b->market, b->sel, b->line, g->three_way};
    return aps_grade_settle(&p, &gg, clock, r);
}

/* Settles bet b of game_id as r unless it was settled before (*did: this call settled it): the
 * result, its profit, the closing line and CLV (none for a void), and the stake with the profit
 * paid back (payout) or the stake refunded (push, void); a loss moves no money. */
static int settle_as(struct aps_conn *c, int64_t game_id, const struct pending_bet *b,
                     bool three_way, enum aps_grade_result r, enum aps_margin_method mm,
                     int64_t now, bool *did)
{
    struct aps_bet_close cl = {NAN, NAN, NAN, ""};
    /* The one amount computed in floating point: the profit at decimal odds, in cents. */
    int64_t pl = aps_money_round_cents(aps_grade_profit(r, (double)b->stake_cents, b->price));
    int rc = 0;
    *did = false;
    if (r != APS_GRADE_VOID)
        rc = aps_bankroll_bet_clv(c, game_id, b->market, b->sel, three_way, b->line, b->price, mm,
                                  &cl);
    if (!rc)
        rc = mark_settled(c, b, aps_grade_result_name(r), pl, &cl, now, did);
    int64_t back = b->stake_cents + pl;
    if (!rc && *did && back > 0) {
        const char *kind = r == APS_GRADE_PUSH || r == APS_GRADE_VOID ? "refund" : "payout";
        char desc[64];
        snprintf(desc, sizeof desc, "bet %lld %s", (long long)b->id, aps_grade_result_name(r));
        rc = aps_bankroll_move(c, b->bankroll_id, kind, back, b->id, desc, now, NULL);
    }
    return rc;
}

static int settle_one(struct aps_conn *c, int64_t game_id, const struct pending_bet *b,
                      const struct game_state *g, enum aps_margin_method mm,
                      const struct aps_grade_clock *clock, bool *did)
{
    enum aps_grade_result r;
    *did = false;
    if (grade_one(b, g, clock, &r))
        return 0; /* not due yet, or ungradable (bad line, unknown market): stays pending */
    return settle_as(c, game_id, b, g->three_way, r, mm, aps_time_now(), did);
}

/* settle_one in a savepoint of the game's transaction: a bet whose payout would take its
 * bankroll past the balance limit is put back as it was and stays pending for a person (after a
 * withdrawal it can be settled by hand), so that one bankroll cannot hold up the settlement of
 * every other bet on the game. */
static int settle_each(struct aps_conn *c, int64_t game_id, const struct pending_bet *b,
                       const struct game_state *g, enum aps_margin_method mm,
                       const struct aps_grade_clock *clock, bool *did)
{
    int rc = aps_conn_exec(c, "SAVEPOINT settle_bet");
    if (rc)
        return rc;
    rc = settle_one(c, game_id, b, g, mm, clock, did);
    if (rc == APS_E_TOOBIG) {
        *did = false;
        return aps_conn_exec(c, "ROLLBACK TO SAVEPOINT settle_bet") ||
                       aps_conn_exec(c, "RELEASE SAVEPOINT settle_bet")
                   ? APS_E_DB
                   : 0;
    }
    return rc ? rc : aps_conn_exec(c, "RELEASE SAVEPOINT settle_bet");
}

int aps_bankroll_settle_game_with(struct aps_conn *c, int64_t game_id, enum aps_margin_method mm,
                                  const struct aps_grade_clock *clock, int *settled)
{
    struct pending_bet *bets = NULL;
    struct game_state g;
    int n = 0, rc = aps_conn_begin(c);
    *settled = 0;
    if (rc)
        return rc;
    rc = read_game(c, game_id, &g);
    if (!rc)
        rc = load_pending(c, game_id, &bets, &n);
    for (int i = 0; !rc && i < n; i++) {
        bool did = false;
        rc = settle_each(c, game_id, &bets[i], &g, mm, clock, &did);
        *settled += did;
    }
    rc = end_tx(c, rc);
    if (rc)
        *settled = 0;
    aps_free(bets);
    return rc;
}

int aps_bankroll_settle_game(struct aps_conn *c, int64_t game_id, int *settled)
{
    struct aps_grade_clock clock = {aps_time_now(), APS_GRADE_GRACE_DEFAULT_S};
    return aps_bankroll_settle_game_with(c, game_id, APS_MARGIN_MULTIPLICATIVE, &clock, settled);
}

/* The user's bet bet_id with its game; APS_E_NOTFOUND when there is none, APS_E_STATE when it
 * is settled already. */
static int load_own_bet(struct aps_conn *c, int64_t user_id, int64_t bet_id,
                        struct pending_bet *b, int64_t *game_id)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT id, bankroll_id, market, selection, line, price, "
                               APS_MONEY_SQL("stake_cents", "stake") ", sportsbook,"
                               " game_start, game_id, result FROM bets"
                               " WHERE id = ?1 AND user_id = ?2",
                               "ii", bet_id, user_id);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        read_bet_row(st, b);
        *game_id = aps_stmt_int64(st, 9);
        const char *result = aps_stmt_text(st, 10);
        rc = result && !strcmp(result, "pending") ? 0 : APS_E_STATE;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(st);
    return rc;
}

int aps_bankroll_settle_bet(struct aps_conn *c, int64_t user_id, int64_t bet_id,
                            enum aps_grade_result r, enum aps_margin_method mm,
                            int64_t *balance_after)
{
    struct pending_bet b;
    struct game_state g;
    struct aps_bankroll br;
    int64_t game_id = 0;
    bool did = false;
    if ((int)r < 0 || r >= APS_GRADE__COUNT)
        return APS_E_INVAL;
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    rc = load_own_bet(c, user_id, bet_id, &b, &game_id);
    if (!rc && (r == APS_GRADE_HALF_WIN || r == APS_GRADE_HALF_LOSS) &&
        !aps_grade_splits((enum aps_market)b.market, b.line))
        rc = APS_E_RANGE;
    if (!rc)
        rc = read_game(c, game_id, &g);
    if (!rc)
        rc = settle_as(c, game_id, &b, g.three_way, r, mm, aps_time_now(), &did);
    if (!rc && !did)
        rc = APS_E_STATE; /* settled by someone else since it was read */
    if (!rc)
        rc = aps_bankroll_get(c, b.bankroll_id, user_id, &br);
    rc = end_tx(c, rc);
    if (!rc && balance_after)
        *balance_after = br.current_cents;
    return rc;
}
