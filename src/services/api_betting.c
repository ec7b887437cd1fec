/* api_betting.c — the betting endpoints: the caller's bankrolls (open, deposit, withdraw), bets
 * (record, history with a summary), the Kelly sizing calculator and the caller's performance.
 * Every query is scoped to req->who.user_id, so another user's id reads as "not found". The
 * money rules live in src/engine/bankroll.c; sizing is aps_kelly_size with the configured
 * parameters and their run-time overrides. A user's own rows are read from the primary
 * (APS_DB_WRITE): they are small, and a replica could lag behind the user's last write. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/domain.h"
#include "core/mem.h"
#include "core/money.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/bankroll.h"
#include "engine/elo_store.h"
#include "engine/equity.h"
#include "engine/track_record.h"
#include "odds/convert.h"
#include "odds/grade.h"
#include "odds/kelly.h"
#include "odds/scoring.h"
#include "services/api_json.h"
#include "services/api_util.h"
#include "services/api_valid.h"
#include "services/app.h"
#include "services/routes.h"
#include "services/runtime.h"

/* Money in and out is integer cents (core/money.h): 10^12 currency units at most. */
#define MONEY_MAX_CENTS INT64_C(100000000000000)
#define NOTES_MAX 500

/* ---- bankrolls ----------------------------------------------------------------------------- */

#define BANKROLL_SELECT                                                                                                                                                                  \
    "SELECT b.id, b.name, b.currency, " APS_MONEY_SQL("b.initial_cents", "b.initial_amount") ", " APS_MONEY_SQL("b.current_cents", "b.current_amount") ", " APS_MONEY_SQL(               \
        "b.peak_cents",                                                                                                                                                                  \
        "b.peak_amount") ", " APS_MONEY_SQL("b.low_cents",                                                                                                                               \
                                            "b.low_amount") ", b.is_active, b.created_at, b.updated_at,"                                                                                 \
                                                            " (SELECT COUNT(*) FROM bets x WHERE x.bankroll_id = b.id),"                                                                 \
                                                            " (SELECT COUNT(*) FROM bets x WHERE x.bankroll_id = b.id AND x.result = 'pending'),"                                        \
                                                            " (SELECT COUNT(*) FROM bets x WHERE x.bankroll_id = b.id"                                                                   \
                                                            "   AND x.result IN " APS_RECORD_WIN_RESULTS                                                                                 \
                                                            "),"                                                                                                                         \
                                                            " (SELECT COUNT(*) FROM bets x WHERE x.bankroll_id = b.id"                                                                   \
                                                            "   AND x.result IN " APS_RECORD_LOSS_RESULTS                                                                                \
                                                            "),"                                                                                                                         \
                                                            " (SELECT SUM(" APS_MONEY_SQL(                                                                                               \
                                                                "x.profit_loss_cents",                                                                                                   \
                                                                "x.profit_loss") ") FROM bets x"                                                                                         \
                                                                                 "   WHERE x.bankroll_id = b.id"                                                                         \
                                                                                 "   AND x.result <> 'pending'),"                                                                        \
                                                                                 " (SELECT SUM(" APS_MONEY_SQL(                                                                          \
                                                                                     "t.amount_cents",                                                                                   \
                                                                                     "t.amount") ")"                                                                                     \
                                                                                                 "   FROM bankroll_transactions t WHERE t.bankroll_id = b.id"                            \
                                                                                                 "   AND t.kind = 'deposit'),"                                                           \
                                                                                                 " (SELECT SUM(" APS_MONEY_SQL(                                                          \
                                                                                                     "x.stake_cents",                                                                    \
                                                                                                     "x.stake") ") FROM bets x"                                                          \
                                                                                                                "   WHERE x.bankroll_id = b.id AND x.result NOT IN ('pending', 'void'))" \
                                                                                                                " FROM bankrolls b"

static json_t *bankroll_json(const struct aps_stmt *st)
{
    int64_t wins = aps_stmt_int64(st, 12), losses = aps_stmt_int64(st, 13);
    int64_t profit = aps_stmt_is_null(st, 14) ? 0 : aps_stmt_int64(st, 14);
    int64_t deposits = aps_stmt_is_null(st, 15) ? -1 : aps_stmt_int64(st, 15);
    int64_t wagered = aps_stmt_is_null(st, 16) ? 0 : aps_stmt_int64(st, 16);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(aps_stmt_int64(st, 0)));
    json_object_set_new(o, "name", aps_api_col_str(st, 1));
    json_object_set_new(o, "currency", aps_api_col_str(st, 2));
    json_object_set_new(o, "initial_amount", aps_api_col_money(st, 3));
    json_object_set_new(o, "current_amount", aps_api_col_money(st, 4));
    json_object_set_new(o, "peak_amount", aps_api_col_money(st, 5));
    json_object_set_new(o, "low_amount", aps_api_col_money(st, 6));
    json_object_set_new(o, "is_active", json_boolean(aps_stmt_int64(st, 7) != 0));
    json_object_set_new(o, "created_at", aps_api_col_time(st, 8, false));
    json_object_set_new(o, "updated_at", aps_api_col_time(st, 9, false));
    json_object_set_new(o, "total_bets", json_integer(aps_stmt_int64(st, 10)));
    json_object_set_new(o, "pending_bets", json_integer(aps_stmt_int64(st, 11)));
    json_object_set_new(o, "wins", json_integer(wins));
    json_object_set_new(o, "losses", json_integer(losses));
    json_object_set_new(o, "win_rate",
                        aps_api_num(wins + losses ? (double)wins / (wins + losses) : NAN));
    json_object_set_new(o, "profit", aps_api_money(profit));
    json_object_set_new(o, "deposits", deposits < 0 ? json_null() : aps_api_money(deposits));
    json_object_set_new(o, "wagered", aps_api_money(wagered));
    /* ROI: settled profit over the stakes it was made on (a push returns its stake and counts
     * as wagered; a void does not); beside it, the same profit over every deposit (the opening
     * balance is the first deposit). */
    json_object_set_new(o, "roi",
                        aps_api_num(wagered > 0 ? (double)profit / (double)wagered : NAN));
    json_object_set_new(o, "return_on_deposits",
                        aps_api_num(deposits > 0 ? (double)profit / (double)deposits : NAN));
    return o;
}

/* The user's bankrolls (one when id > 0) as a JSON array. */
static int read_bankrolls(struct aps_conn *c, int64_t user_id, int64_t id, json_t **out)
{
    struct aps_api_where w = {0};
    struct aps_buf sql = {0};
    struct aps_stmt *st = NULL;
    aps_api_where_int(&w, "b.user_id = ?", user_id);
    if (id)
        aps_api_where_int(&w, "b.id = ?", id);
    aps_buf_printf(&sql, BANKROLL_SELECT "%s ORDER BY b.id", aps_buf_str(&w.sql));
    json_t *items = json_array();
    int rc = aps_api_prepare(c, aps_buf_str(&sql), &w, &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        json_array_append_new(items, bankroll_json(st));
    }
    aps_stmt_finalize(st);
    aps_buf_cleanup(&sql);
    aps_api_where_cleanup(&w);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = items;
    return 0;
}

int aps_api_bankrolls_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_conn *c = NULL;
    json_t *items = NULL;
    struct aps_api_page pg;
    aps_api_q_page(req, res, &pg);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = read_bankrolls(c, req->who.user_id, 0, &items);
    aps_store_release(c);
    if (rc)
        return aps_api_db_error(res, rc);
    res->personal = true;
    return aps_http_json(res, 200, aps_api_list_slice(items, &pg));
}

/* Answers status with bankroll id of the user, plus the extra fields of `extra` (taken). */
static int answer_bankroll(struct aps_http_res *res, struct aps_conn *c, int64_t user_id,
                           int64_t id, int status, json_t *extra)
{
    json_t *items = NULL;
    int rc = read_bankrolls(c, user_id, id, &items);
    if (rc) {
        json_decref(extra);
        return aps_api_db_error(res, rc);
    }
    json_t *b = json_incref(json_array_get(items, 0));
    json_decref(items);
    if (!b) {
        json_decref(extra);
        return aps_api_not_found(res, "bankroll");
    }
    if (extra) {
        json_object_set_new(extra, "bankroll", b);
        b = extra;
    }
    return aps_http_json(res, status, b);
}

int aps_api_bankrolls_create(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *name = NULL, *currency = NULL;
    int64_t initial = -1; /* set by the required field, or the request is refused */
    struct aps_conn *c = NULL;
    if (aps_api_body_object(req, res)) {
        aps_api_b_str(req, res, "name", true, 64, &name);
        aps_api_b_money(req, res, "initial_amount", true, MONEY_MAX_CENTS, &initial);
        aps_api_b_str(req, res, "currency", false, 3, &currency);
        if (currency && !aps_currency_is_iso4217(currency))
            aps_api_invalid(res, "currency", "must be an ISO 4217 currency code such as USD");
    }
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int64_t id = 0;
    int rc = aps_bankroll_create(c, req->who.user_id, name, currency, initial, &id);
    if (rc)
        aps_api_db_error(res, rc);
    else
        answer_bankroll(res, c, req->who.user_id, id, 201, NULL);
    aps_store_release(c);
    return 0;
}

/* A deposit that would take the balance above the most a bankroll holds: a 400 naming amount,
 * as the amount's other bounds are. */
static void ceiling_refused(struct aps_http_res *res)
{
    char msg[128], top[32];
    snprintf(msg, sizeof msg,
             "would take the bankroll's balance above its limit of %s; deposit less",
             aps_money_format(APS_MONEY_LIMIT_CENTS, top, sizeof top));
    aps_api_invalid(res, "amount", msg);
}

int aps_api_bankrolls_transaction(struct aps_http_req *req, struct aps_http_res *res)
{
    const char *kind = NULL, *desc = NULL;
    int64_t amount = -1; /* set by the required field, or the request is refused */
    struct aps_conn *c = NULL;
    int64_t id = aps_api_path_id(req, res, "id");
    if (aps_api_body_object(req, res)) {
        aps_api_b_str(req, res, "kind", true, 16, &kind);
        if (kind && strcmp(kind, "deposit") && strcmp(kind, "withdrawal"))
            aps_api_invalid(res, "kind", "must be deposit or withdrawal");
        aps_api_b_money(req, res, "amount", true, MONEY_MAX_CENTS, &amount);
        aps_api_b_str(req, res, "description", false, 200, &desc);
    }
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int64_t balance = 0;
    bool withdrawal = kind && !strcmp(kind, "withdrawal");
    int rc = aps_bankroll_transfer(c, req->who.user_id, id, withdrawal, amount, desc, &balance);
    if (rc == APS_E_NOTFOUND)
        aps_api_not_found(res, "bankroll");
    else if (rc == APS_E_RANGE)
        aps_http_error(res, 409, "INSUFFICIENT_BANKROLL",
                       "the withdrawal is larger than the bankroll's balance");
    else if (rc == APS_E_TOOBIG)
        ceiling_refused(res);
    else if (rc)
        aps_api_db_error(res, rc);
    else
        answer_bankroll(res, c, req->who.user_id, id, 201,
                        json_pack("{s:s, s:o, s:o}", "kind", kind, "amount",
                                  aps_api_money(amount), "balance_after", aps_api_money(balance)));
    aps_store_release(c);
    return 0;
}

/* ---- bets ---------------------------------------------------------------------------------- */

#define BET_COLUMNS                                                                            \
    "x.id, x.bankroll_id, x.prediction_id, x.game_id, x.market, x.selection, x.line, x.price,"\
    " " APS_MONEY_SQL("x.stake_cents", "x.stake") ", x.sportsbook, x.notes, x.placed_at,"      \
    " x.result, " APS_MONEY_SQL("x.profit_loss_cents", "x.profit_loss") ", x.closing_line,"    \
    " x.closing_price, x.clv, x.settled_at"
#define BET_NCOLS 18
#define STAKE_SQL APS_MONEY_SQL("x.stake_cents", "x.stake")
#define PL_SQL APS_MONEY_SQL("x.profit_loss_cents", "x.profit_loss")
#define BETS_FROM "FROM bets x JOIN games g ON g.id = x.game_id" APS_API_GAME_JOINS

static json_t *bet_json(const struct aps_stmt *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(aps_stmt_int64(st, 0)));
    json_object_set_new(o, "bankroll_id", json_integer(aps_stmt_int64(st, 1)));
    json_object_set_new(o, "prediction_id", aps_api_col_int(st, 2));
    json_object_set_new(o, "game_id", json_integer(aps_stmt_int64(st, 3)));
    json_object_set_new(o, "market", aps_api_col_str(st, 4));
    json_object_set_new(o, "selection", aps_api_col_str(st, 5));
    json_object_set_new(o, "line", aps_api_col_num(st, 6));
    aps_api_price_fields(o, aps_stmt_double(st, 7));
    json_object_set_new(o, "stake", aps_api_col_money(st, 8));
    json_object_set_new(o, "sportsbook", aps_api_col_str(st, 9));
    json_object_set_new(o, "notes", aps_api_col_str(st, 10));
    json_object_set_new(o, "placed_at", aps_api_col_time(st, 11, false));
    json_object_set_new(o, "result", aps_api_col_str(st, 12));
    json_object_set_new(o, "profit_loss", aps_api_col_money(st, 13));
    json_object_set_new(o, "closing_line", aps_api_col_num(st, 14));
    json_object_set_new(o, "closing_price", aps_api_col_num(st, 15));
    json_object_set_new(o, "clv", aps_api_col_num(st, 16));
    json_object_set_new(o, "settled_at", aps_api_col_time(st, 17, false));
    json_object_set_new(o, "game", aps_api_game_json(st, BET_NCOLS));
    return o;
}

/* What a bet request says, after reading the body and the prediction it names. */
struct bet_input {
    struct aps_bet_request b;
    const char *market_s, *sel_s;
    bool has_line;
};

/* Fills what the body leaves out from prediction id (game, market, selection, line, price,
 * book), and reports a body that contradicts it. Returns 1 when the prediction does not exist. */
static int from_prediction(struct aps_conn *c, struct aps_http_res *res, struct bet_input *in)
{
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT game_id, market, selection, line, price, book"
                               " FROM predictions WHERE id = ?1",
                               "i", in->b.prediction_id);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        int64_t game = aps_stmt_int64(st, 0);
        int m = aps_market_parse(aps_stmt_text(st, 1) ? aps_stmt_text(st, 1) : "");
        int s = aps_selection_parse(aps_stmt_text(st, 2) ? aps_stmt_text(st, 2) : "");
        if ((in->b.game_id && in->b.game_id != game) || (in->market_s && (int)in->b.market != m) ||
            (in->sel_s && (int)in->b.sel != s))
            aps_api_invalid(res, "prediction_id",
                            "game_id, market and selection must match the prediction's");
        in->b.game_id = game;
        in->b.market = m;
        in->b.sel = s;
        if (!in->has_line && !aps_stmt_is_null(st, 3)) {
            in->b.line = aps_stmt_double(st, 3);
            in->has_line = true;
        }
        if (isnan(in->b.price))
            in->b.price = aps_stmt_double(st, 4);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = 1;
    }
    aps_stmt_finalize(st);
    return rc;
}

static void read_bet_body(const struct aps_http_req *req, struct aps_http_res *res,
                          struct bet_input *in)
{
    memset(in, 0, sizeof *in);
    in->b.user_id = req->who.user_id;
    aps_api_b_id(req, res, "prediction_id", false, &in->b.prediction_id);
    aps_api_b_id(req, res, "game_id", false, &in->b.game_id);
    aps_api_b_id(req, res, "bankroll_id", true, &in->b.bankroll_id);
    aps_api_b_str(req, res, "market", false, 16, &in->market_s);
    aps_api_b_str(req, res, "selection", false, 16, &in->sel_s);
    in->b.market = in->market_s ? aps_market_parse(in->market_s) : -1;
    in->b.sel = in->sel_s ? aps_selection_parse(in->sel_s) : -1;
    if (in->market_s && (int)in->b.market < 0)
        aps_api_invalid(res, "market", "must be moneyline, spread or total");
    if (in->sel_s && (int)in->b.sel < 0)
        aps_api_invalid(res, "selection", "must be home, away, draw, over or under");
    aps_api_b_money(req, res, "stake", true, MONEY_MAX_CENTS, &in->b.stake_cents);
    bool alias = !json_object_get(req->json, "price") && json_object_get(req->json, "odds");
    aps_api_b_odds(req, res, alias ? "odds" : "price", false, &in->b.price);
    aps_api_b_double(req, res, "line", false, -1000, 1000, &in->b.line, &in->has_line);
    if (in->has_line && fmod(in->b.line * 4, 1) != 0)
        aps_api_invalid(res, "line", "must be a multiple of 0.25");
    aps_api_b_str(req, res, "sportsbook", false, 31, &in->b.sportsbook);
    aps_api_b_str(req, res, "notes", false, NOTES_MAX, &in->b.notes);
    if (!in->b.prediction_id && (!in->b.game_id || !in->market_s || !in->sel_s))
        aps_api_invalid(res, "prediction_id",
                        "give prediction_id, or game_id with market and selection");
}

/* Checks that need the game: the selection belongs to the market, and a line where needed. */
static void check_bet_shape(struct aps_http_res *res, struct bet_input *in)
{
    if (isnan(in->b.price))
        aps_api_invalid(res, "price", "is required (the prediction has no price)");
    if ((int)in->b.market < 0 || (int)in->b.sel < 0)
        return;
    if (!aps_bankroll_selection_ok(in->b.market, in->b.sel, true))
        aps_api_invalid(res, "selection", "is not a side of this market");
    if (in->b.market != APS_MKT_MONEYLINE && !in->has_line)
        aps_api_invalid(res, "line", "is required for spread and total bets");
    /* a total is the points of both sides: "over -44.5" could only win */
    if (in->b.market == APS_MKT_TOTAL && in->has_line && in->b.line < 0)
        aps_api_invalid(res, "line", "of a total is the points of both sides: 0 or more");
    if (in->b.market == APS_MKT_MONEYLINE)
        in->b.line = NAN;
}

static int answer_bet(struct aps_http_res *res, struct aps_conn *c, int64_t user_id, int64_t id,
                      int64_t balance, int status)
{
    struct aps_stmt *st = NULL;
    json_t *bet = NULL;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT " BET_COLUMNS ", " APS_API_GAME_COLUMNS " " BETS_FROM
                               " WHERE x.id = ?1 AND x.user_id = ?2",
                               "ii", id, user_id);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        bet = bet_json(st);
        rc = 0;
    }
    aps_stmt_finalize(st);
    if (rc || !bet) {
        json_decref(bet);
        return aps_api_db_error(res, rc ? rc : APS_E_DB);
    }
    json_object_set_new(bet, "balance_after", aps_api_money(balance));
    return aps_http_json(res, status, bet);
}

static int bet_failed(struct aps_http_res *res, int rc)
{
    switch (rc) {
    case APS_E_NOTFOUND:
        return aps_api_not_found(res, "bankroll");
    case APS_E_STATE:
        return aps_http_error(res, 409, "GAME_STARTED",
                              "bets are taken on a scheduled game before its start; this game has"
                              " started, or is final, postponed or cancelled");
    case APS_E_RANGE:
        return aps_http_error(res, 409, "INSUFFICIENT_BANKROLL",
                              "the stake is larger than the bankroll's balance");
    case APS_E_INVAL:
        aps_api_invalid(res, "selection", "is not a side of this game's market");
        return 0;
    case APS_E_TOOBIG: {
        char msg[160], top[32];
        snprintf(msg, sizeof msg,
                 "a win would pay stake x price, more than a bankroll holds (%s); lower the "
                 "stake or check the price and its odds_format",
                 aps_money_format(APS_MONEY_LIMIT_CENTS, top, sizeof top));
        aps_api_invalid(res, "price", msg);
        return 0;
    }
    default:
        return aps_api_db_error(res, rc);
    }
}

int aps_api_bets_create(struct aps_http_req *req, struct aps_http_res *res)
{
    struct bet_input in;
    struct aps_conn *c = NULL;
    if (!aps_api_body_object(req, res))
        return 0;
    read_bet_body(req, res, &in);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    int rc = in.b.prediction_id ? from_prediction(c, res, &in) : 0;
    int64_t one = 0, bet_id = 0;
    char gid[24];
    snprintf(gid, sizeof gid, "%lld", (long long)in.b.game_id);
    const char *p[1] = {gid};
    if (rc == 1)
        aps_api_not_found(res, "prediction");
    else if (!rc && !aps_api_bad(res))
        check_bet_shape(res, &in);
    if (!rc && !aps_api_bad(res)) {
        rc = aps_conn_query_int64(c, "SELECT 1 FROM games WHERE id = ?1", 1, p, &one);
        if (rc == APS_E_NOTFOUND) {
            aps_api_not_found(res, "game");
            rc = 1;
        }
    }
    int64_t balance = 0;
    if (!rc && !aps_api_bad(res)) {
        rc = aps_bankroll_place_bet(c, &in.b, aps_time_now(), &bet_id, &balance);
        if (rc)
            bet_failed(res, rc);
        else
            answer_bet(res, c, req->who.user_id, bet_id, balance, 201);
    } else if (rc < 0) {
        aps_api_db_error(res, rc);
    }
    aps_store_release(c);
    return 0;
}

/* The caller settles its own open bet by hand ({"result": win|loss|push|void|half_win|
 * half_loss}) with the settlement the grading job uses (engine/bankroll.c): 200 with the bet and
 * the balance after it, 409 when the bet is settled already. */
int aps_api_bets_settle(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id");
    const char *result = NULL;
    if (!aps_api_body_object(req, res))
        return 0;
    aps_api_b_str(req, res, "result", true, 16, &result);
    int r = result ? aps_grade_result_parse(result) : -1;
    if (result && r < 0)
        aps_api_invalid(res, "result", "must be win, loss, push, void, half_win or half_loss");
    struct aps_conn *c = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    const struct aps_app *app = req->app;
    int64_t balance = 0;
    enum aps_margin_method mm = (enum aps_margin_method)aps_engine_margin_method(app->cfg);
    int rc = aps_bankroll_settle_bet(c, req->who.user_id, id, (enum aps_grade_result)r, mm,
                                     &balance);
    char rid[24];
    snprintf(rid, sizeof rid, "%lld", (long long)id);
    if (!rc)
        rc = aps_api_audit(c, req, "bet_settled", "bet", rid, true,
                           json_pack("{s:s}", "result", result));
    if (rc == APS_E_NOTFOUND)
        aps_api_not_found(res, "bet");
    else if (rc == APS_E_STATE)
        aps_http_error(res, 409, "BET_SETTLED", "the bet is settled already");
    else if (rc == APS_E_RANGE)
        aps_api_invalid(res, "result",
                        "half_win and half_loss settle only a spread or total bet on a quarter "
                        "line (-0.25, 2.75, ...); this bet cannot split");
    else if (rc == APS_E_TOOBIG)
        aps_http_error(res, 409, "BALANCE_LIMIT",
                       "the payout would take the bankroll's balance above its limit; withdraw "
                       "first, or settle the bet with another result");
    else if (rc)
        aps_api_db_error(res, rc);
    else
        answer_bet(res, c, req->who.user_id, id, balance, 200);
    aps_store_release(c);
    return 0;
}

/* The bet history filters: bankroll_id, sport, market, result, date_from/date_to (placed). */
static void bet_filters(const struct aps_http_req *req, struct aps_http_res *res,
                        struct aps_api_where *w)
{
    int64_t bankroll = 0;
    bool has_bankroll;
    int sport, market;
    char from[11], to[11];
    aps_api_where_int(w, "x.user_id = ?", req->who.user_id);
    aps_api_q_int(req, res, "bankroll_id", &bankroll, &has_bankroll);
    aps_api_q_sport(req, res, "sport", &sport);
    aps_api_q_market(req, res, "market", &market);
    aps_api_q_date_range(req, res, from, to);
    const char *result = aps_api_q_str(req, res, "result");
    if (has_bankroll)
        aps_api_where_int(w, "x.bankroll_id = ?", bankroll);
    if (sport >= 0)
        aps_api_where_text(w, "sp.code = ?", aps_sport_info(sport)->code);
    if (market >= 0)
        aps_api_where_text(w, "x.market = ?", aps_market_name(market));
    if (result && !aps_api_bad(res))
        aps_api_where_text(w, "x.result = ?", result);
    int64_t t;
    if (from[0] && !aps_time_parse_iso(from, &t))
        aps_api_where_int(w, "x.placed_at >= ?", t);
    if (to[0] && !aps_time_parse_iso(to, &t))
        aps_api_where_int(w, "x.placed_at < ?", t + 86400);
}

/* ---- money per currency -------------------------------------------------------------------- */

/* The stakes and profit of the bets matching w in one currency (their bankroll's), in cents:
 * every stake, the stakes settled at a price (neither pending nor void), and the profit of the
 * settled bets. Amounts in two currencies are never added together. */
struct currency_money {
    char currency[8];
    int64_t staked, settled, profit;
};

static int64_t col_cents(const struct aps_stmt *st, int col)
{
    return aps_stmt_is_null(st, col) ? 0 : aps_stmt_int64(st, col);
}

/* The money of the bets matching w, one row per currency in code order (*out: aps_free). */
static int money_by_currency(struct aps_conn *c, const struct aps_api_where *w,
                             struct currency_money **out, size_t *n)
{
    struct aps_buf sql = {0};
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    aps_buf_printf(&sql,
                   "SELECT br.currency, SUM(" STAKE_SQL "),"
                   " SUM(CASE WHEN x.result NOT IN ('pending', 'void') THEN " STAKE_SQL
                   " ELSE 0 END),"
                   " SUM(CASE WHEN x.result = 'pending' THEN 0 ELSE " PL_SQL " END) " BETS_FROM
                   " JOIN bankrolls br ON br.id = x.bankroll_id%s GROUP BY br.currency"
                   " ORDER BY br.currency",
                   aps_buf_str(&w->sql));
    int rc = aps_api_prepare(c, aps_buf_str(&sql), w, &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = aps_realloc(*out, cap * sizeof **out);
        }
        struct currency_money *m = &(*out)[(*n)++];
        const char *cur = aps_stmt_text(st, 0);
        (void)aps_str_copy(m->currency, sizeof m->currency, cur ? cur : "");
        m->staked = col_cents(st, 1);
        m->settled = col_cents(st, 2);
        m->profit = col_cents(st, 3);
    }
    aps_stmt_finalize(st);
    aps_buf_cleanup(&sql);
    return rc < 0 ? rc : 0;
}

/* Adds currency and by_currency to o, a summary of bets whose money fields (staked, profit,
 * yield and, with `all`, settled_staked) add the bets of every currency: in one currency they
 * stand and currency names it; in several they are null (dollars and yen do not add up) and
 * by_currency gives each currency's. With `all` a currency's staked is every stake and
 * settled_staked the settled ones (the bet list), else staked is the settled stakes (the
 * performance, over settled bets only). */
static void money_fields(json_t *o, const struct currency_money *m, size_t n, bool all)
{
    json_t *by = json_array();
    for (size_t i = 0; i < n; i++) {
        int64_t staked = all ? m[i].staked : m[i].settled;
        json_t *e = json_pack("{s:s, s:o, s:o, s:o}", "currency", m[i].currency, "staked",
                              aps_api_money(staked), "profit", aps_api_money(m[i].profit),
                              "yield",
                              aps_api_num(m[i].settled > 0
                                              ? (double)m[i].profit / (double)m[i].settled
                                              : NAN));
        if (all)
            json_object_set_new(e, "settled_staked", aps_api_money(m[i].settled));
        json_array_append_new(by, e);
    }
    if (n > 1) {
        static const char *const fields[] = {"staked", "settled_staked", "profit", "yield"};
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (json_object_get(o, fields[i]))
                json_object_set_new(o, fields[i], json_null());
    }
    json_object_set_new(o, "currency", n == 1 ? json_string(m[0].currency) : json_null());
    json_object_set_new(o, "by_currency", by);
}

/* money_fields of the bets matching w. */
static int add_money(struct aps_conn *c, const struct aps_api_where *w, json_t *o, bool all)
{
    struct currency_money *m = NULL;
    size_t n = 0;
    int rc = money_by_currency(c, w, &m, &n);
    if (!rc)
        money_fields(o, m, n, all);
    aps_free(m);
    return rc;
}

/* Totals over every bet matching w (not only the page). */
static int bets_summary(struct aps_conn *c, const struct aps_api_where *w, json_t **out)
{
    struct aps_buf sql = {0};
    struct aps_stmt *st = NULL;
    aps_buf_printf(&sql,
                   "SELECT COUNT(*),"
                   " SUM(CASE WHEN x.result = 'pending' THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN x.result IN " APS_RECORD_WIN_RESULTS " THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN x.result IN " APS_RECORD_LOSS_RESULTS " THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN x.result = 'push' THEN 1 ELSE 0 END), SUM(" STAKE_SQL "),"
                   " SUM(CASE WHEN x.result NOT IN ('pending', 'void') THEN " STAKE_SQL
                   " ELSE 0 END),"
                   " SUM(CASE WHEN x.result = 'pending' THEN 0 ELSE " PL_SQL " END) %s%s",
                   BETS_FROM, aps_buf_str(&w->sql));
    int rc = aps_api_prepare(c, aps_buf_str(&sql), w, &st);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        int64_t settled = aps_stmt_is_null(st, 6) ? 0 : aps_stmt_int64(st, 6);
        int64_t profit = aps_stmt_is_null(st, 7) ? 0 : aps_stmt_int64(st, 7);
        *out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "bets",
                         (json_int_t)aps_stmt_int64(st, 0), "pending",
                         (json_int_t)aps_stmt_int64(st, 1), "wins",
                         (json_int_t)aps_stmt_int64(st, 2), "losses",
                         (json_int_t)aps_stmt_int64(st, 3), "pushes",
                         (json_int_t)aps_stmt_int64(st, 4), "staked",
                         aps_api_money(aps_stmt_is_null(st, 5) ? 0 : aps_stmt_int64(st, 5)),
                         "settled_staked", aps_api_money(settled), "profit",
                         aps_api_money(profit), "yield",
                         aps_api_num(settled > 0 ? (double)profit / (double)settled : NAN));
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_DB;
    }
    aps_stmt_finalize(st);
    aps_buf_cleanup(&sql);
    return rc ? rc : add_money(c, w, *out, true);
}

int aps_api_bets_list(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_api_page pg;
    struct aps_conn *c = NULL;
    struct aps_stmt *st = NULL;
    struct aps_buf sql = {0};
    json_t *summary = NULL, *items = json_array();
    int64_t total = 0;
    aps_api_q_page(req, res, &pg);
    bet_filters(req, res, &w);
    int rc = 0;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        goto out;
    rc = aps_api_count(c, BETS_FROM, &w, &total);
    if (!rc)
        rc = bets_summary(c, &w, &summary);
    aps_buf_printf(&sql,
                   "SELECT " BET_COLUMNS ", " APS_API_GAME_COLUMNS " " BETS_FROM
                   "%s ORDER BY x.placed_at DESC, x.id DESC LIMIT %d OFFSET %lld",
                   aps_buf_str(&w.sql), pg.limit, (long long)pg.offset);
    if (!rc)
        rc = aps_api_prepare(c, aps_buf_str(&sql), &w, &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        json_array_append_new(items, bet_json(st));
    }
    aps_stmt_finalize(st);
    aps_store_release(c);
    if (rc < 0) {
        aps_api_db_error(res, rc);
        goto out;
    }
    json_t *list = aps_api_list(items, total, &pg);
    items = NULL;
    json_object_set_new(list, "summary", summary);
    summary = NULL;
    res->personal = true;
    aps_http_json(res, 200, list);
out:
    json_decref(items);
    json_decref(summary);
    aps_buf_cleanup(&sql);
    aps_api_where_cleanup(&w);
    return 0;
}

/* ---- sizing -------------------------------------------------------------------------------- */

static json_t *sizing_json(const struct aps_kelly_sizing *s, const struct aps_kelly_params *kp,
                           double bankroll)
{
    json_t *o = json_object();
    json_object_set_new(o, "probability", aps_api_num(aps_round_probability(s->probability)));
    json_object_set_new(o, "decimal_odds", aps_api_num(aps_round_price(s->decimal)));
    double am = NAN;
    if (aps_convert_decimal_to_american(s->decimal, &am))
        am = NAN;
    json_object_set_new(o, "american_odds", isfinite(am) ? json_integer((json_int_t)lround(am))
                                                         : json_null());
    json_object_set_new(o, "implied_probability", aps_api_num(aps_round_probability(s->implied)));
    json_object_set_new(o, "no_vig_probability", aps_api_num(aps_round_probability(s->no_vig)));
    json_object_set_new(o, "edge", aps_api_num(aps_round_probability(s->edge)));
    json_object_set_new(o, "ev_per_unit", aps_api_num(aps_round_probability(s->ev)));
    json_object_set_new(o, "ev_amount", aps_api_num(aps_round_line(s->ev_amount)));
    json_object_set_new(o, "full_kelly", aps_api_num(aps_round_probability(s->full_kelly)));
    json_object_set_new(o, "fractional_kelly",
                        aps_api_num(aps_round_probability(s->fractional_kelly)));
    json_object_set_new(o, "stake", aps_api_money(aps_money_round(s->stake)));
    json_object_set_new(o, "units", aps_api_num(s->units));
    json_object_set_new(o, "bankroll", aps_api_num(bankroll));
    json_object_set_new(o, "tier", json_string(aps_tier_name(s->tier)));
    json_object_set_new(o, "should_bet", json_boolean(s->should_bet));
    json_object_set_new(o, "reason", json_string(s->reason ? s->reason : ""));
    json_object_set_new(
        o, "params",
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "kelly_fraction",
                  aps_api_num(kp->kelly_fraction), "max_bet_percent",
                  aps_api_num(kp->max_bet_percent), "min_edge", aps_api_num(kp->min_edge),
                  "tier_a_min", aps_api_num(kp->tier_a_min), "tier_b_min",
                  aps_api_num(kp->tier_b_min), "tier_c_min", aps_api_num(kp->tier_c_min),
                  "min_bet_size", aps_api_num(kp->min_bet_size)));
    return o;
}

struct sizing_input {
    struct aps_kelly_input k;
    int64_t bankroll_id;
};

static void read_sizing_body(const struct aps_http_req *req, struct aps_http_res *res,
                             struct sizing_input *in)
{
    const char *tier = NULL;
    bool has_bankroll;
    in->k.tier = -1;
    aps_api_b_double(req, res, "probability", true, 0, 1, &in->k.probability, NULL);
    if (in->k.probability == 0 || in->k.probability == 1)
        aps_api_invalid(res, "probability", "must be strictly between 0 and 1");
    aps_api_b_odds(req, res, "odds", true, &in->k.decimal);
    aps_api_b_double(req, res, "no_vig", false, 0, 1, &in->k.no_vig, NULL);
    if (in->k.no_vig == 0 || in->k.no_vig == 1)
        aps_api_invalid(res, "no_vig", "must be strictly between 0 and 1");
    int64_t bankroll = -1;
    aps_api_b_money(req, res, "bankroll", false, MONEY_MAX_CENTS, &bankroll);
    in->k.bankroll = bankroll > 0 ? aps_money_to_double(bankroll) : NAN;
    has_bankroll = bankroll > 0;
    aps_api_b_id(req, res, "bankroll_id", false, &in->bankroll_id);
    if (has_bankroll == (in->bankroll_id != 0))
        aps_api_invalid(res, "bankroll", "give either bankroll (an amount) or bankroll_id");
    aps_api_b_str(req, res, "tier", false, 1, &tier);
    if (tier && (in->k.tier = aps_tier_parse(tier)) < 0)
        aps_api_invalid(res, "tier", "must be A, B, C or D");
}

int aps_api_betting_sizing(struct aps_http_req *req, struct aps_http_res *res)
{
    struct sizing_input in;
    struct aps_conn *c = NULL;
    const struct aps_app *app = req->app;
    memset(&in, 0, sizeof in);
    if (aps_api_body_object(req, res))
        read_sizing_body(req, res, &in);
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    struct aps_kelly_params kp;
    struct aps_bankroll b;
    int rc = aps_runtime_kelly_params(c, app->cfg, &kp);
    if (!rc && in.bankroll_id) {
        rc = aps_bankroll_get(c, in.bankroll_id, req->who.user_id, &b);
        in.k.bankroll = aps_money_to_double(b.current_cents);
    }
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND)
        return aps_api_not_found(res, "bankroll");
    if (rc)
        return aps_api_db_error(res, rc);
    if (!(in.k.bankroll > 0))
        return aps_http_error(res, 409, "INSUFFICIENT_BANKROLL", "the bankroll's balance is 0");
    struct aps_kelly_sizing s;
    if (aps_kelly_size(&kp, &in.k, &s))
        return aps_http_error(res, 500, "INTERNAL_ERROR", "the betting parameters are invalid");
    return aps_http_json(res, 200, sizing_json(&s, &kp, in.k.bankroll));
}

/* ---- performance --------------------------------------------------------------------------- */

/* Graded bets of the user: counts, stakes, profit and CLV. */
static int bet_record(struct aps_conn *c, const struct aps_api_where *w, json_t **out)
{
    struct aps_buf sql = {0};
    struct aps_stmt *st = NULL;
    aps_buf_printf(&sql,
                   "SELECT SUM(CASE WHEN x.result IN " APS_RECORD_WIN_RESULTS " THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN x.result IN " APS_RECORD_LOSS_RESULTS " THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN x.result = 'push' THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN x.result = 'void' THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN x.result = 'void' THEN 0 ELSE " STAKE_SQL " END),"
                   " SUM(" PL_SQL "), SUM(CASE WHEN x.clv IS NULL THEN 0 ELSE 1 END),"
                   " SUM(x.clv), SUM(CASE WHEN x.clv > 0 THEN 1 ELSE 0 END), COUNT(*),"
                   " SUM(CASE WHEN x.clv IS NOT NULL AND x.market = 'moneyline' THEN 1 ELSE 0"
                   " END) %s%s",
                   BETS_FROM, aps_buf_str(&w->sql));
    int rc = aps_api_prepare(c, aps_buf_str(&sql), w, &st);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        int64_t staked = aps_stmt_is_null(st, 4) ? 0 : aps_stmt_int64(st, 4); /* cents */
        int64_t profit = aps_stmt_is_null(st, 5) ? 0 : aps_stmt_int64(st, 5);
        /* a moneyline's CLV is a fraction of the stake, a spread's or total's is in points
         * (engine/bankroll.h): the mean is given only over one unit (engine/track_record.h) */
        int64_t clv_n = aps_stmt_int64(st, 6);
        int64_t clv_price = aps_stmt_is_null(st, 10) ? 0 : aps_stmt_int64(st, 10);
        struct aps_record r = {
            .n = aps_stmt_int64(st, 9), .wins = aps_stmt_int64(st, 0),
            .losses = aps_stmt_int64(st, 1), .pushes = aps_stmt_int64(st, 2),
            .voids = aps_stmt_int64(st, 3), .clv_n = clv_n,
            .clv_pos = aps_stmt_int64(st, 8),
            .staked = aps_money_to_double(staked), .profit = aps_money_to_double(profit),
            .clv_sum = aps_stmt_is_null(st, 7) ? 0 : aps_stmt_double(st, 7),
            .clv_units = (clv_price > 0 ? APS_RECORD_CLV_PRICE : 0u) |
                         (clv_n > clv_price ? APS_RECORD_CLV_POINTS : 0u)};
        struct aps_record_summary s;
        aps_record_summarize(&r, &s);
        *out = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o}", "graded",
            (json_int_t)r.n, "wins", (json_int_t)r.wins, "losses", (json_int_t)r.losses,
            "pushes", (json_int_t)r.pushes, "voids", (json_int_t)r.voids, "win_rate",
            aps_api_num(s.win_rate), "win_rate_ci95",
            json_pack("[o, o]", aps_api_num(s.win_rate_lo), aps_api_num(s.win_rate_hi)),
            "staked", aps_api_money(staked), "profit", aps_api_money(profit), "yield",
            aps_api_num(s.roi), "clv_n", (json_int_t)r.clv_n, "clv_mean",
            aps_api_num(s.clv_mean), "clv_positive_share", aps_api_num(s.clv_positive_share));
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_DB;
    }
    aps_stmt_finalize(st);
    aps_buf_cleanup(&sql);
    return rc ? rc : add_money(c, w, *out, false);
}

/* A transaction's amount and balance after it, in cents. */
#define TX_MONEY_SQL                                                                           \
    APS_MONEY_SQL("t.amount_cents", "t.amount") ", "                                           \
    APS_MONEY_SQL("t.balance_after_cents", "t.balance_after")

/* Appends {bankroll_id, max_drawdown, points} for one bankroll's equity (engine/equity.h). */
static void add_drawdown(json_t *arr, int64_t id, const struct aps_equity *q, double *worst)
{
    double dd = aps_equity_max_drawdown(q);
    if (isfinite(dd) && (isnan(*worst) || dd > *worst))
        *worst = dd;
    json_array_append_new(arr, json_pack("{s:I, s:o, s:I}", "bankroll_id", (json_int_t)id,
                                         "max_drawdown", aps_api_num(dd), "points",
                                         (json_int_t)q->points));
}

/* Maximum drawdown of each of the user's bankrolls (only bankroll_id's when it is not 0) from
 * bankroll_transactions, in the order they were made (see aps_api_bankrolls_history). */
static int drawdowns(struct aps_conn *c, int64_t user_id, int64_t bankroll_id, json_t **out,
                     double *worst)
{
    struct aps_stmt *st = NULL;
    struct aps_equity q;
    int64_t cur = 0;
    json_t *arr = json_array();
    *worst = NAN;
    aps_equity_init(&q);
    int rc = aps_conn_preparef(c, &st,
                               "SELECT t.bankroll_id, t.kind, " TX_MONEY_SQL
                               " FROM bankroll_transactions t JOIN bankrolls b"
                               " ON b.id = t.bankroll_id WHERE b.user_id = ?1"
                               " AND (?2 = 0 OR b.id = ?2)"
                               " ORDER BY t.bankroll_id, t.id",
                               "ii", user_id, bankroll_id);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int64_t id = aps_stmt_int64(st, 0);
        if (id != cur) {
            if (cur)
                add_drawdown(arr, cur, &q, worst);
            cur = id;
            aps_equity_init(&q);
        }
        (void)aps_equity_feed(&q, aps_stmt_text(st, 1), aps_stmt_int64(st, 2),
                              aps_stmt_int64(st, 3), NULL);
    }
    if (cur && rc >= 0)
        add_drawdown(arr, cur, &q, worst);
    aps_stmt_finalize(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

int aps_api_betting_performance(struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_where w = {0};
    struct aps_conn *c = NULL;
    json_t *record = NULL, *dd = NULL;
    double worst = NAN;
    int64_t bankroll_id = 0; /* the drawdowns follow the bankroll filter of the record */
    bool one_bankroll = false;
    bet_filters(req, res, &w);
    aps_api_q_int(req, res, "bankroll_id", &bankroll_id, &one_bankroll);
    aps_api_where_raw(&w, "x.result <> 'pending'");
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c)) {
        aps_api_where_cleanup(&w);
        return 0;
    }
    int rc = bet_record(c, &w, &record);
    if (!rc)
        rc = drawdowns(c, req->who.user_id, one_bankroll ? bankroll_id : 0, &dd, &worst);
    aps_store_release(c);
    aps_api_where_cleanup(&w);
    if (rc) {
        json_decref(record);
        return aps_api_db_error(res, rc);
    }
    json_object_set_new(record, "max_drawdown", aps_api_num(worst));
    json_object_set_new(record, "drawdown_by_bankroll", dd);
    res->personal = true;
    return aps_http_json(res, 200, record);
}

/* ---- balance history ----------------------------------------------------------------------- */

/* One bankroll's movements in order with the balance after each and the drawdown of the betting
 * equity (the balance with later deposits and withdrawals taken out, as for max_drawdown). The
 * order is the rows' ids, the order in which the bankroll's row lock let them in: a movement's
 * created_at is taken before that lock (a grading run stamps all its payouts when it starts),
 * so a later movement can carry an earlier second than one stored before it. */
int aps_api_bankrolls_history(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t id = aps_api_path_id(req, res, "id");
    struct aps_conn *c = NULL;
    if (aps_api_bad(res) || aps_api_acquire(req, res, APS_DB_WRITE, &c))
        return 0;
    struct aps_bankroll b;
    int rc = aps_bankroll_get(c, id, req->who.user_id, &b);
    struct aps_stmt *st = NULL;
    json_t *items = json_array();
    struct aps_equity q;
    size_t n = 0;
    aps_equity_init(&q);
    if (!rc)
        rc = aps_conn_preparef(c, &st,
                               "SELECT created_at, kind, " TX_MONEY_SQL ", bet_id, description"
                               " FROM bankroll_transactions t WHERE t.bankroll_id = ?1"
                               " ORDER BY t.id",
                               "i", id);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        double dd;
        double equity = aps_equity_feed(&q, aps_stmt_text(st, 1), aps_stmt_int64(st, 2),
                                        aps_stmt_int64(st, 3), &dd);
        n++;
        json_array_append_new(
            items, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "at",
                             aps_api_col_time(st, 0, false), "kind", aps_api_col_str(st, 1),
                             "amount", aps_api_col_money(st, 2), "balance_after",
                             aps_api_col_money(st, 3), "bet_id", aps_api_col_int(st, 4),
                             "description", aps_api_col_str(st, 5), "equity", aps_api_num(equity),
                             "drawdown", aps_api_num(dd)));
    }
    aps_stmt_finalize(st);
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND) {
        json_decref(items);
        return aps_api_not_found(res, "bankroll");
    }
    if (rc < 0) {
        json_decref(items);
        return aps_api_db_error(res, rc);
    }
    res->personal = true;
    return aps_http_json(res, 200,
                         json_pack("{s:I, s:o, s:o, s:I, s:s}", "bankroll_id", (json_int_t)id,
                                   "items", items, "max_drawdown",
                                   aps_api_num(aps_equity_max_drawdown(&q)), "count",
                                   (json_int_t)n, "method",
                                   "equity: the balance with deposits and withdrawals after the"
                                   " first taken out; drawdown: (peak equity - equity) / peak"));
}
