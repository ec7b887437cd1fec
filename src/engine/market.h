/* market.h — what one game's stored odds say about one market, for walk-forward work.
 *
 * Entry: the earliest pre-match phase the non-aggregate books quote (open, else pre); when the
 * data has only closing prices (SBR's NBA/NCAAB/NFL moneylines), entry falls back to the close and
 * entry_phase says so. Only each book's current quote of a side counts (its newest at the phase:
 * a book that moved its line or price no longer offers the old one). For spreads and totals the
 * main line is the line most books currently quote for the home (spread) or over (total) side;
 * prices are taken at that line.
 * Close: the benchmark the model is judged against, by the one rule of odds/benchmark.h (the
 * sharp books' closes when complete, else every bookmaker's, else the market average or
 * consensus; each book made fair with the margin method passed in, then averaged). When a game has no closing prices at all, the latest pre-match prices stand
 * in for the benchmark (close_phase says which).
 * No-vig probabilities come from the margin-removal method passed in, per book, then averaged.
 * The view reads every quote of the history it is given. A pick made as of a past time T (a
 * replay) gives it the quotes known at T only (aps_history_known_at: snapshots recorded at or
 * before T, imported open and pre-match lines, imported closes of games started before T), so
 * its entry is what the books offered at T, and a game it picks has no close to fall back on
 * (a market whose data has only closing prices has no entry in a replay). */
#ifndef APS_ENGINE_MARKET_H
#define APS_ENGINE_MARKET_H

#include <stdbool.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/history.h"
#include "odds/kelly.h"
#include "odds/margin.h"

struct aps_market_side {
    enum aps_selection sel;
    double entry_price;      /* best decimal price at entry; NAN when none */
    int entry_book;          /* index into history books, -1 when none */
    double entry_line;       /* this side's line at entry; NAN for moneyline */
    double entry_novig;      /* average no-vig probability at entry; NAN when no complete book */
    double close_price;      /* benchmark closing price; NAN */
    double close_line;       /* benchmark closing line of this side; NAN */
    double close_novig;      /* benchmark no-vig closing probability; NAN */
};

struct aps_market_view {
    enum aps_market market;
    int nsides;              /* 2, or 3 for a soccer moneyline */
    struct aps_market_side side[3];
    enum aps_phase entry_phase;
    enum aps_phase close_phase; /* APS_PHASE_CLOSE, or APS_PHASE_PRE when the data has no closing
                                   prices (tennis-data): the latest pre-match price stands in */
    bool has_entry, has_close;
};

struct aps_predictor;

/* The side of the view with the largest edge of the predictor's probability over the entry
 * no-vig probability (over 1/price when the market has no complete book): *best is its index
 * and probs[] the predictor's probability of each priced side; *best is -1 when no side is
 * priced, the predictor has no opinion yet, or the best probability is not inside (0, 1). */
int aps_market_best_side(struct aps_predictor *pred, const struct aps_history *h, size_t gi,
                         const struct aps_market_view *v, int *best, double probs[3]) APS_MUST_CHECK;

/* The bet a market view offers: its best side (aps_market_best_side) at that side's entry line
 * and price, sized by Kelly (aps_kelly_size) with kp from bankroll. The backtest and live picks
 * both choose their bet here, so on the same view and predictor they take the same side at the
 * same price. */
struct aps_market_bet {
    int side;                           /* index into the view's sides; -1: no bet offered */
    const struct aps_market_side *s;    /* &v->side[side]; NULL when side is -1 */
    double probability;                 /* the predictor's probability of that side */
    int sized;                          /* aps_kelly_size's result: 0, or APS_E_INVAL for an
                                           input it refuses (then sz is not set) */
    struct aps_kelly_sizing sz;
};
/* Fills *out; the return value is aps_market_best_side's (a predictor error). */
int aps_market_bet(struct aps_predictor *pred, const struct aps_history *h, size_t gi,
                   const struct aps_market_view *v, const struct aps_kelly_params *kp,
                   double bankroll, struct aps_market_bet *out) APS_MUST_CHECK;

/* Builds the view of market m for game g. Always succeeds for valid input; has_entry/has_close
 * tell what was found. */
int aps_market_view(const struct aps_history *h, const struct aps_hist_game *g, enum aps_market m,
                    enum aps_margin_method mm, struct aps_market_view *out) APS_MUST_CHECK;

/* Price CLV of a spread or total bet at its own line: the bet's decimal price against the fair
 * closing probability of its side at that same line, by the closing benchmark's rule
 * (odds/benchmark.h) over the closing quotes at that line only (the bet's side at line, the other
 * side at minus it for a spread, at it for a total): p_close_novig · price − 1. When the line
 * did not move it is the price CLV against the benchmark; when it moved, the books that still
 * quote the bet's line at the close judge the price. APS_E_NOTFOUND when no complete book quotes
 * the line at the close; APS_E_INVAL for a moneyline, no line or a price not above 1. */
int aps_market_clv_price_at_line(const struct aps_history *h, const struct aps_hist_game *g,
                                 enum aps_market m, enum aps_margin_method mm,
                                 enum aps_selection sel, double line, double price,
                                 double *clv) APS_MUST_CHECK;

struct aps_conn;
struct aps_close_benchmark;

/* The closing benchmark (odds/benchmark.h) of a game's market from its stored closing lines
 * (closing_lines) that stand (core/domain.h: a live close captured before the game's start moved
 * is not its close), with margin-removal method mm: what picks and bets are graded against. */
int aps_market_close_stored(struct aps_conn *c, int64_t game_id, enum aps_market m,
                            bool three_way, enum aps_margin_method mm,
                            struct aps_close_benchmark *out) APS_MUST_CHECK;

#endif
