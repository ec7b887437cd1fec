/* equity.c — betting equity and drawdown of a bankroll (see equity.h). */
#include "engine/equity.h"

#include "core/money.h"

#include <math.h>
#include <string.h>

void aps_equity_init(struct aps_equity *q)
{
    q->flows = 0;
    q->peak = NAN;
    q->worst = NAN;
    q->points = 0;
}

bool aps_equity_external(const char *kind)
{
    return kind && (!strcmp(kind, "deposit") || !strcmp(kind, "withdrawal"));
}

double aps_equity_feed(struct aps_equity *q, const char *kind, int64_t amount_cents,
                       int64_t balance_after_cents, double *drawdown)
{
    bool point = !(aps_equity_external(kind) && q->points > 0);
    if (!point)
        q->flows += amount_cents;
    double equity = aps_money_to_double(balance_after_cents - q->flows);
    double peak = isnan(q->peak) || equity > q->peak ? equity : q->peak;
    double dd = peak > 0 ? (peak - equity) / peak : NAN;
    if (point) {
        q->peak = peak;
        q->points++;
        if (isfinite(dd) && (isnan(q->worst) || dd > q->worst))
            q->worst = dd;
    }
    if (drawdown)
        *drawdown = dd;
    return equity;
}

double aps_equity_max_drawdown(const struct aps_equity *q)
{
    return q->worst;
}
