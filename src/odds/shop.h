/* shop.h — line shopping: the best available price (or line) for a selection at a moment.
 *
 * Input is an array of quotes, normally every snapshot of one game from several books. At a
 * moment `at`, each book's current offer for (market, selection) is its latest quote recorded at
 * or before `at` (on equal times, the one later in the array); older quotes of that book are stale
 * and ignored, even when they were at a different line. Among the current offers:
 *   best price  moneyline: the highest decimal price. Spread/total: the highest price among
 *               offers at exactly the requested line (lines are quarter-point multiples, so ==
 *               is exact).
 *   best line   spread (home/away): the highest line (most points added to the bettor's side);
 *               over: the lowest total; under: the highest total; equal lines → the higher
 *               price. Lines and prices are not traded off against each other. For a moneyline
 *               this is the best price.
 * Ties keep the quote that comes first in the array. O(n²) in the number of quotes, meant for one
 * game's quotes (hundreds), not a whole season. */
#ifndef APS_ODDS_SHOP_H
#define APS_ODDS_SHOP_H

#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_quote {
    const char *book;        /* borrowed; books compare by strcmp */
    enum aps_market market;
    enum aps_selection sel;
    double line;             /* the selection's own spread line, or the total; NAN for moneyline */
    double price;            /* decimal odds, > 1 */
    int64_t recorded_at;     /* UTC seconds */
};

struct aps_shop_pick {
    size_t index;            /* the chosen quote's index in the array */
    const char *book;        /* borrowed from that quote */
    double line, price;
    int64_t recorded_at;
    size_t books;            /* books with a current offer for the selection (at any line) */
};

/* Best price for (m, sel) at the given line (ignored for moneyline) at moment `at`.
 * APS_E_NOTFOUND when no book has a current offer at that line; APS_E_INVAL for a selection
 * outside the market, or a quote of that (m, sel) with a NULL book, a price <= 1 or (spread,
 * total) a non-finite line. */
int aps_shop_best_price(const struct aps_quote *q, size_t n, int64_t at, enum aps_market m,
                        enum aps_selection sel, double line,
                        struct aps_shop_pick *out) APS_MUST_CHECK;
/* Best line for (m, sel) at moment `at` (see above); errors as aps_shop_best_price. */
int aps_shop_best_line(const struct aps_quote *q, size_t n, int64_t at, enum aps_market m,
                       enum aps_selection sel, struct aps_shop_pick *out) APS_MUST_CHECK;

#endif
