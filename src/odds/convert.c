/* convert.c — American ↔ decimal ↔ implied probability (platform-spec §3.1).
 *
 * Every conversion validates its input and leaves *out untouched on error, so a caller can keep a
 * default. Decimal is the pivot format: the others convert through it. */
#include "odds/convert.h"

#include <math.h>

bool aps_convert_american_valid(double american)
{
    return isfinite(american) && fabs(american) >= 100.0;
}

bool aps_convert_decimal_valid(double dec)
{
    return isfinite(dec) && dec > 1.0;
}

int aps_convert_american_to_decimal(double american, double *out)
{
    if (!aps_convert_american_valid(american))
        return APS_E_INVAL;
    *out = american > 0 ? 1.0 + american / 100.0 : 1.0 + 100.0 / -american;
    return 0;
}

int aps_convert_decimal_to_american(double dec, double *out)
{
    if (!aps_convert_decimal_valid(dec))
        return APS_E_INVAL;
    *out = dec >= 2.0 ? (dec - 1.0) * 100.0 : -100.0 / (dec - 1.0);
    return 0;
}

int aps_convert_decimal_to_prob(double dec, double *out)
{
    if (!aps_convert_decimal_valid(dec))
        return APS_E_INVAL;
    *out = 1.0 / dec;
    return 0;
}

int aps_convert_american_to_prob(double american, double *out)
{
    if (!aps_convert_american_valid(american))
        return APS_E_INVAL;
    /* Written out per sign rather than as 1/d so −110 gives exactly 110/210. */
    *out = american > 0 ? 100.0 / (american + 100.0) : -american / (-american + 100.0);
    return 0;
}

int aps_convert_prob_to_decimal(double p, double *out)
{
    if (!isfinite(p) || p <= 0.0 || p >= 1.0)
        return APS_E_INVAL;
    *out = 1.0 / p;
    return 0;
}

static double round_to(double v, double scale)
{
    return isnan(v) ? v : round(v * scale) / scale;
}

double aps_round_probability(double v)
{
    return round_to(v, 1e6);
}

double aps_round_price(double v)
{
    return round_to(v, 1e4);
}

double aps_round_line(double v)
{
    return round_to(v, 100.0);
}
