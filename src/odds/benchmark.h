/* benchmark.h — the closing benchmark of one game's market, the one rule every closing-line
 * value is measured against (picks, bets, backtests, market views).
 *
 * Input: the game's closing quotes for the market (one price per book and side; the caller
 * chooses the phase). Books are taken by class, the first class with a complete book wins:
 *   1. sharp bookmakers (Pinnacle),
 *   2. every bookmaker (sharp ones included),
 *   3. the aggregates that are a market price (average, consensus; never the "max" column).
 * For spreads and totals the main line is the home (spread) or over (total) line most books of
 * the class quote, and a book counts only with every side priced at it (the away spread at minus
 * it). Each complete book's prices are made fair by the margin-removal method passed in, and the
 * benchmark is the average over the books of the class: fair probability, price and line per side.
 *
 * CLV (clv.h, DESIGN §8): moneyline price CLV = benchmark no-vig probability · bet price − 1, a
 * fraction of the stake (0.02 = +2 %); spread and total CLV in points. */
#ifndef APS_ODDS_BENCHMARK_H
#define APS_ODDS_BENCHMARK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "odds/margin.h"

struct aps_close_quote {
    int book;                 /* the caller's book number: quotes of one book share it */
    bool sharp, aggregate;
    bool best_of;             /* an aggregate that is the best price across books ("max") */
    enum aps_selection sel;
    double line;              /* NAN for moneyline */
    double price;             /* decimal */
};

struct aps_close_benchmark {
    bool found;
    const char *source;       /* "sharp", "bookmakers" or "aggregate" */
    int books;                /* complete books averaged */
    int nsides;
    enum aps_selection sel[3];    /* aps_market_sides order */
    double line[3], price[3], novig[3];
};

/* The benchmark of the quotes (see above); out->found is false when no class has a complete
 * book. APS_E_INVAL for a bad market. */
int aps_close_benchmark(const struct aps_close_quote *q, size_t n, enum aps_market m,
                        bool three_way, enum aps_margin_method mm,
                        struct aps_close_benchmark *out) APS_MUST_CHECK;

/* The CLV of a bet on sel at line/price against the benchmark: price CLV (a fraction) for a
 * moneyline, points for a spread or total. APS_E_NOTFOUND when there is none (no benchmark, the
 * selection is not a side, or the line or price is missing). */
int aps_close_clv(const struct aps_close_benchmark *b, enum aps_market m, enum aps_selection sel,
                  double line, double price, double *clv) APS_MUST_CHECK;

/* The unit the CLV of a market is stated in: "fraction of stake (price CLV)" or "points". */
const char *aps_close_clv_unit(enum aps_market m);

#endif
