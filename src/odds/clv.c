/* clv.c — closing-line value (clv.h). The reference's variants had the spread-example sign and the
 * totals sign inverted and assumed the other side was −110; these follow DESIGN §8 only. */
#include "odds/clv.h"

#include <math.h>

double aps_clv_price(double p_close_novig, double d_bet)
{
    return p_close_novig * d_bet - 1.0;
}

int aps_clv_price_market(enum aps_margin_method m, const double *close_dec, size_t n, size_t side,
                         double d_bet, double *out)
{
    double fair[APS_MARGIN_MAX_OUTCOMES];
    if (side >= n || !(d_bet > 1.0 && isfinite(d_bet)))
        return APS_E_INVAL;
    int rc = aps_margin_remove(m, close_dec, n, fair);
    if (rc)
        return rc;
    *out = aps_clv_price(fair[side], d_bet);
    return 0;
}

double aps_clv_spread(double line_bet, double line_close)
{
    return line_bet - line_close;
}

int aps_clv_total(enum aps_selection sel, double line_bet, double line_close, double *out)
{
    if (sel == APS_SEL_OVER)
        *out = line_close - line_bet;
    else if (sel == APS_SEL_UNDER)
        *out = line_bet - line_close;
    else
        return APS_E_INVAL;
    return 0;
}

int aps_clv_points(enum aps_market m, enum aps_selection sel, double line_bet, double line_close,
                   double *out)
{
    if (m == APS_MKT_TOTAL)
        return aps_clv_total(sel, line_bet, line_close, out);
    if (m != APS_MKT_SPREAD || (sel != APS_SEL_HOME && sel != APS_SEL_AWAY))
        return APS_E_INVAL;
    *out = aps_clv_spread(line_bet, line_close);
    return 0;
}
