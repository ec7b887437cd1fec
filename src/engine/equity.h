/* equity.h — a bankroll's betting equity and its drawdown, movement by movement.
 *
 * The equity is the balance after each movement (bankroll_transactions, in order) with the
 * deposits and withdrawals after the first movement taken out, so only bets move it: a stake
 * counts when placed, its payout when settled. The drawdown at a movement is
 * (peak equity - equity) / peak, NAN while the peak is not positive; the maximum drawdown is the
 * largest over the bet movements (a later deposit or withdrawal leaves the equity where it was).
 * GET /betting/performance and GET /bankrolls/{id}/history both read a bankroll through it. */
#ifndef APS_ENGINE_EQUITY_H
#define APS_ENGINE_EQUITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One bankroll's walk. aps_equity_init() starts it; nothing to free. */
struct aps_equity {
    int64_t flows; /* deposits and withdrawals after the first movement, in cents */
    double peak;   /* NAN before the first point */
    double worst;  /* NAN before the first point with a positive peak */
    size_t points; /* movements that are points of the equity series */
};

void aps_equity_init(struct aps_equity *q);
/* True for the movement kinds that put money in or take it out ("deposit", "withdrawal"). */
bool aps_equity_external(const char *kind);
/* Feeds the next movement: its kind, amount and the balance after it, both in integer cents (the
 * flows are summed exactly). Returns the equity after it in currency units and sets *drawdown
 * (may be NULL) to the drawdown there. */
double aps_equity_feed(struct aps_equity *q, const char *kind, int64_t amount_cents,
                       int64_t balance_after_cents, double *drawdown);
/* The largest drawdown so far; NAN before the first point. */
double aps_equity_max_drawdown(const struct aps_equity *q);

#endif
