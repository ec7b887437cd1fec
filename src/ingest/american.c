/* american.c — American odds and line cells to numbers (see american.h). */
#include "ingest/american.h"

#include <ctype.h>
#include <math.h>
#include <strings.h>
#include <string.h>

#include "core/str.h"
#include "ingest/batch.h"

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
    if (!aps_line_on_grid(v))
        return APS_E_RANGE;
    *line = v;
    return 0;
}

int aps_american_fused(const char *s, double *line, double *price)
{
    *line = *price = NAN;
    while (*s == ' ')
        s++;
    int whole = 0, nd = 0;
    for (; isdigit((unsigned char)*s) && nd < 3; s++, nd++)
        whole = whole * 10 + (*s - '0');
    if (!nd || s[0] != '.' || s[1] != '5')
        return APS_E_PARSE;
    s += 2;
    int cents = 0;
    for (nd = 0; isdigit((unsigned char)*s); s++, nd++)
        cents = cents * 10 + (*s - '0');
    if (nd != 3 || cents < 100 || !aps_str_blank(s))
        return APS_E_PARSE;
    *line = whole + 0.5;
    *price = aps_american_to_decimal(-(double)cents);
    return 0;
}
