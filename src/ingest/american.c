/* american.c — American odds and line cells to numbers (see american.h). */
#include "ingest/american.h"

#include <math.h>
#include <strings.h>
#include <string.h>

#include "core/str.h"

/* True when cell s, ignoring surrounding spaces, is word (case-insensitive). */
static bool cell_is(const char *s, const char *word)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(word);
    if (strncasecmp(s, word, n) != 0)
        return false;
    return aps_str_blank(s + n);
}

bool aps_american_missing(const char *s)
{
    return aps_str_blank(s) || cell_is(s, "NL") || cell_is(s, "-");
}

double aps_american_to_decimal(double a)
{
    if (!isfinite(a) || fabs(a) < 100.0 || fabs(a) > APS_AMERICAN_MAX)
        return NAN;
    return a > 0 ? 1.0 + a / 100.0 : 1.0 + 100.0 / -a;
}

int aps_american_price(const char *s, double *price)
{
    *price = NAN;
    if (aps_american_missing(s))
        return 0;
    double a;
    if (aps_parse_double(s, &a))
        return APS_E_PARSE;
    double d = aps_american_to_decimal(a);
    if (isnan(d))
        return APS_E_RANGE;
    *price = d;
    return 0;
}

int aps_american_line(const char *s, double *line)
{
    *line = NAN;
    if (aps_american_missing(s))
        return 0;
    if (cell_is(s, "pk")) {
        *line = 0.0;
        return 0;
    }
    double v;
    if (aps_parse_double(s, &v))
        return APS_E_PARSE;
    *line = v;
    return 0;
}
