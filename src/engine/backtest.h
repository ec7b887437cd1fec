/* backtest.h — a walk-forward backtest of one sport and market over the stored history.
 *
 * Games are taken day by day in time order. For each day the predictor gives its probabilities
 * for every game from what it learned before that day; the backtest takes the best entry price in
 * the data (market.h), picks the side with the largest edge over the no-vig entry market, sizes it
 * with the tier and fractional-Kelly rules from that day's opening bankroll, grades it against the
 * final score and records closing-line value against the closing benchmark (price CLV for a
 * moneyline; for a spread or total the points CLV of its line against the closing line and the
 * price CLV at its own line, where the close quotes that line). Then the predictor
 * learns the day's results. Separately, every finished game with a closing benchmark is scored:
 * the model's probabilities next to the closing market's no-vig ones, and, on the games that also
 * have real entry prices, next to the entry market's (the bar a bettor who bets before the close
 * must beat), each with a paired bootstrap interval of the log-loss difference (and
 * FiveThirtyEight's where stored), on the same games. */
#ifndef APS_ENGINE_BACKTEST_H
#define APS_ENGINE_BACKTEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/history.h"
#include "engine/predictor.h"
#include "odds/grade.h"
#include "odds/kelly.h"
#include "odds/margin.h"
#include "odds/scoring.h"

/* The largest starting bankroll a backtest takes (aps backtest --bankroll, POST
 * /api/v1/backtests; DEFAULT_BANKROLL has the same bound): stakes, profits and the bankroll
 * curve stay finite numbers printed to the cent. */
#define APS_BACKTEST_BANKROLL_MAX 1e12

struct aps_backtest_opts {
    enum aps_market market;
    const char *from, *to;   /* bet and score only games dated in [from, to]; NULL: unbounded */
    struct aps_kelly_params kelly;
    enum aps_margin_method margin;
    double bankroll;         /* starting bankroll */
    int burn_in;             /* first seasons of the history that only train the model */
    const char *fresh_from;  /* games dated from it are after the model's training data (a frozen
                                model's): never warm-up; NULL: none */
};

struct aps_bt_tally {
    size_t bets, wins, losses, pushes, half_wins, half_losses, voids;
    double staked, profit;
    size_t clv_n, clv_pos;
    double clv_sum;
    /* price CLV at the bet's own line (aps_bt_bet.clv_price): the bets that have one */
    size_t clv_price_n, clv_price_pos;
    double clv_price_sum;
};

/* Probability scores of the model and of the closing market on the same games. */
struct aps_bt_scores {
    size_t n;
    double ll_model, ll_close, brier_model, brier_close, ece_model, ece_close;
    struct aps_score_reliability rel_model;
    /* the model's log-loss minus the close's, per game: mean with its paired bootstrap 95 %
       interval (NAN when fewer than two games) */
    double d_close, d_close_lo, d_close_hi;
    /* the entry (opening, else pre-match) market on the scored games that have real entry
       prices (not the close standing in): the model's, the entry market's and the close's
       log-loss on exactly those games, and the model-minus-entry difference with its interval */
    size_t n_entry;
    double ll_model_entry, ll_entry, ll_close_entry, brier_entry, ece_entry;
    double d_entry, d_entry_lo, d_entry_hi;
    /* FiveThirtyEight on the games where its forecast is stored (two-way only) */
    size_t n538;
    double ll_538, brier_538, ll_model_538, brier_model_538;
};

struct aps_bt_bet {
    size_t game;             /* index into the history */
    enum aps_selection sel;
    double line, price, p, no_vig, edge, stake, profit, bankroll_before;
    enum aps_tier tier;
    enum aps_grade_result result;
    bool has_clv;
    double clv;              /* price CLV (moneyline) or points CLV (spread, total) */
    /* price CLV at the bet's own line: a moneyline's clv; for a spread or total the entry price
       against the fair closing probability of the same side at the same line
       (aps_market_clv_price_at_line), when the close quotes that line */
    bool has_clv_price;
    double clv_price;
};

struct aps_bt_season {
    char season[16];
    struct aps_bt_tally t;
    struct aps_bt_scores s;
};

struct aps_backtest_report {
    enum aps_sport sport;
    enum aps_market market;
    const char *model;
    char from[11], to[11];   /* first and last game date scored/bet */
    double bankroll0, bankroll;
    double max_drawdown, sharpe, growth;
    size_t games, with_entry, with_close, entry_from_close;
    size_t close_from_pre;   /* games scored against pre-match prices: no closing prices */
    size_t frozen;           /* games the model's artefact predicted (no stored walk-forward
                                prediction: games after its training data) */
    char fresh_from[11];     /* the opts' fresh_from the run used ("" when none) */
    struct aps_bt_tally all, tier[4];
    struct aps_bt_scores scores;
    struct aps_bt_season *seasons;
    size_t nseasons;
    struct aps_bt_bet *bets;
    size_t nbets;
};

int aps_backtest_run(const struct aps_history *h, struct aps_predictor *pred,
                     const struct aps_backtest_opts *o,
                     struct aps_backtest_report *r) APS_MUST_CHECK;
void aps_backtest_report_cleanup(struct aps_backtest_report *r);

/* What one sport's backtest replays: the Elo predictor (model NULL; refit: walk-forward
 * parameters) or a registered model's stored walk-forward predictions (model: its name, or
 * "production" for the sport's production model of the market). */
struct aps_backtest_sport_opts {
    struct aps_backtest_opts bt;
    const char *model;
    bool refit;
    char *why;      /* optional (why_cap bytes): why a named model's files could not be read */
    size_t why_cap;
};

/* Loads the sport's history up to o->bt.to, builds the predictor and runs the backtest into *r
 * (the history stays in *h for the report; clean both up even on failure). model_name (cap
 * bytes) holds the predictor's name while *r is in use. APS_E_NOTFOUND when the named model does
 * not exist or belongs to another sport or market; APS_E_IO when its files cannot be read,
 * missing, unreadable or pruned (o->why says which file and why). */
struct aps_conn;
int aps_backtest_sport(struct aps_conn *c, enum aps_sport sport,
                       const struct aps_backtest_sport_opts *o, struct aps_history *h,
                       struct aps_backtest_report *r, char *model_name,
                       size_t cap) APS_MUST_CHECK;

/* order[0..n): the indexes of sports[0..n) by the number of games stored for each, most first,
 * in the given order among equals (all count as equal when the counts cannot be read): the order
 * in which runs of several sports on a few threads end closest together. */
void aps_backtest_sport_order(struct aps_conn *c, const enum aps_sport *sports, size_t n,
                              size_t *order);

/* True when game g only trains the predictor: in the first o->burn_in seasons and not after a
 * frozen model's training data. */
bool aps_backtest_warm_up(const struct aps_backtest_opts *o, const struct aps_hist_game *g);

/* True when the run scored no game and placed no bet: an empty evaluation, which is never a
 * result. why (cap bytes) then says which condition emptied it: no game in the dates, no final
 * game, no closing or entry prices, or no prediction by the model for any of them. */
bool aps_backtest_empty(const struct aps_backtest_report *r, const struct aps_history *h,
                        const struct aps_backtest_opts *o, char *why, size_t cap);

enum aps_report_format { APS_FMT_TABLE, APS_FMT_JSON, APS_FMT_CSV };
int aps_report_format_parse(const char *s); /* -1 when unknown */
/* The report as one JSON object (the --format json document); with curve, also "curve": the
 * bankroll at the end of each betting day with its drawdown from the peak so far
 * ({date, bankroll, drawdown}). */
json_t *aps_backtest_json(const struct aps_backtest_report *r, const struct aps_history *h,
                          bool curve);
/* Writes the report: a readable table, one JSON object, or CSV with one row per bet. */
void aps_backtest_write(const struct aps_backtest_report *r, const struct aps_history *h,
                        enum aps_report_format f, FILE *out);
/* The CSV report in parts, for a run of several sports that writes one header and then every
 * sport's bets: the header line, and one row per bet; with sport, a first column "sport" holds
 * the sport's code. aps_backtest_write's CSV is the header and the rows without it. */
void aps_backtest_csv_header(FILE *out, bool sport);
void aps_backtest_csv_rows(const struct aps_backtest_report *r, const struct aps_history *h,
                           bool sport, FILE *out);

#endif
