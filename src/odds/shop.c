/* shop.c — line shopping over a quote array (shop.h).
 *
 * Both searches walk the same set, "current offers": quotes of (market, selection) recorded at or
 * before the moment that no later quote of the same book replaces. They differ only in the order
 * used to pick the best one (better()). */
#include "odds/shop.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static bool sel_in_market(enum aps_market m, enum aps_selection s)
{
    switch (m) {
    case APS_MKT_MONEYLINE: return s == APS_SEL_HOME || s == APS_SEL_AWAY || s == APS_SEL_DRAW;
    case APS_MKT_SPREAD: return s == APS_SEL_HOME || s == APS_SEL_AWAY;
    case APS_MKT_TOTAL: return s == APS_SEL_OVER || s == APS_SEL_UNDER;
    default: return false;
    }
}

static bool relevant(const struct aps_quote *q, int64_t at, enum aps_market m, enum aps_selection s)
{
    return q->market == m && q->sel == s && q->recorded_at <= at;
}

/* Whether q[i] is its book's current offer: no relevant quote of the same book is newer. */
static bool is_current(const struct aps_quote *q, size_t n, size_t i, int64_t at)
{
    for (size_t j = 0; j < n; j++) {
        if (j == i || !relevant(&q[j], at, q[i].market, q[i].sel) || strcmp(q[j].book, q[i].book))
            continue;
        if (q[j].recorded_at > q[i].recorded_at || (q[j].recorded_at == q[i].recorded_at && j > i))
            return false;
    }
    return true;
}

/* Orders: by price only, or by line (in the bettor's favour) then price. */
enum order { BY_PRICE, BY_LINE };

/* +1 when line a is better than b for the selection, −1 when worse, 0 when equal. */
static int line_cmp(enum aps_market m, enum aps_selection s, double a, double b)
{
    if (m == APS_MKT_MONEYLINE || a == b)
        return 0;
    bool higher_better = s != APS_SEL_OVER;
    return (a > b) == higher_better ? 1 : -1;
}

static bool better(enum order o, const struct aps_quote *a, const struct aps_quote *b)
{
    if (o == BY_LINE) {
        int c = line_cmp(a->market, a->sel, a->line, b->line);
        if (c)
            return c > 0;
    }
    return a->price > b->price;
}

static int validate(const struct aps_quote *q, size_t n, enum aps_market m, enum aps_selection s)
{
    if ((!q && n) || !sel_in_market(m, s))
        return APS_E_INVAL;
    for (size_t i = 0; i < n; i++)
        if (q[i].market == m && q[i].sel == s &&
            (!q[i].book || !(q[i].price > 1.0) || !isfinite(q[i].price) ||
             (m != APS_MKT_MONEYLINE && !isfinite(q[i].line))))
            return APS_E_INVAL;
    return 0;
}

/* The search behind both entry points; want_line keeps only offers at `line` (best price on a
 * spread or total). */
static int shop(const struct aps_quote *q, size_t n, int64_t at, enum aps_market m,
                enum aps_selection s, enum order o, bool want_line, double line,
                struct aps_shop_pick *out)
{
    int rc = validate(q, n, m, s);
    if (rc)
        return rc;
    size_t best = n, books = 0;
    for (size_t i = 0; i < n; i++) {
        if (!relevant(&q[i], at, m, s) || !is_current(q, n, i, at))
            continue;
        books++;
        if (want_line && q[i].line != line)
            continue;
        if (best == n || better(o, &q[i], &q[best]))
            best = i;
    }
    if (best == n)
        return APS_E_NOTFOUND;
    *out = (struct aps_shop_pick){best, q[best].book, q[best].line, q[best].price,
                                  q[best].recorded_at, books};
    return 0;
}

int aps_shop_best_price(const struct aps_quote *q, size_t n, int64_t at, enum aps_market m,
                        enum aps_selection sel, double line, struct aps_shop_pick *out)
{
    return shop(q, n, at, m, sel, BY_PRICE, m != APS_MKT_MONEYLINE, line, out);
}

int aps_shop_best_line(const struct aps_quote *q, size_t n, int64_t at, enum aps_market m,
                       enum aps_selection sel, struct aps_shop_pick *out)
{
    return shop(q, n, at, m, sel, BY_LINE, false, 0.0, out);
}
