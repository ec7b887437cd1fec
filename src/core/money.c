/* money.c — integer cents from and to decimal text and doubles (see money.h). */
#include "core/money.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The digits of a decimal number without leading zeros, and the power of ten of the last one:
 * value = ±digits × 10^exp10. */
struct decimal {
    bool neg;
    char digits[40];
    int ndigits;
    long exp10;
};

static int read_exponent(const char *p, long *e, const char **end)
{
    int sign = 1;
    long v = 0;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*p))
        return APS_E_PARSE;
    for (; isdigit((unsigned char)*p); p++)
        v = v < 100000 ? v * 10 + (*p - '0') : v; /* a huge exponent stays huge */
    *e = sign * v;
    *end = p;
    return 0;
}

static int read_decimal(const char *p, struct decimal *d)
{
    memset(d, 0, sizeof *d);
    if (*p == '+' || *p == '-')
        d->neg = *p++ == '-';
    bool any = false, point = false, dropped = false;
    for (;; p++) {
        if (*p == '.' && !point) {
            point = true;
        } else if (isdigit((unsigned char)*p)) {
            any = true;
            if (*p == '0' && d->ndigits == 0) {
                d->exp10 -= point;
            } else if (d->ndigits < (int)sizeof d->digits - 1) {
                d->digits[d->ndigits++] = *p;
                d->exp10 -= point;
            } else {
                d->exp10 += !point; /* beyond 39 digits: out of range anyway */
                dropped |= *p != '0' && point;
            }
        } else {
            break;
        }
    }
    if (!any)
        return APS_E_PARSE;
    if (*p == 'e' || *p == 'E') {
        long e;
        if (read_exponent(p + 1, &e, &p))
            return APS_E_PARSE;
        d->exp10 += e;
    }
    if (*p)
        return APS_E_PARSE;
    if (dropped)
        return APS_E_INVAL;
    return 0;
}

int aps_money_parse(const char *text, int64_t *cents)
{
    struct decimal d;
    *cents = 0;
    if (!text)
        return APS_E_PARSE;
    int rc = read_decimal(text, &d);
    if (rc)
        return rc;
    while (d.ndigits > 0 && d.digits[d.ndigits - 1] == '0') { /* 1.50 has no third decimal */
        d.ndigits--;
        d.exp10++;
    }
    if (d.ndigits == 0)
        return 0;
    long shift = d.exp10 + 2; /* the power of ten of the last digit, in cents */
    if (shift < 0)
        return APS_E_INVAL;
    if (d.ndigits + shift > 16)
        return APS_E_RANGE;
    int64_t v = 0;
    for (int i = 0; i < d.ndigits; i++)
        v = v * 10 + (d.digits[i] - '0');
    for (long i = 0; i < shift; i++)
        v *= 10;
    if (v > APS_MONEY_LIMIT_CENTS)
        return APS_E_RANGE;
    *cents = d.neg ? -v : v;
    return 0;
}

int aps_money_from_double(double v, int64_t *cents)
{
    char buf[40];
    *cents = 0;
    if (!isfinite(v))
        return APS_E_PARSE;
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return aps_money_parse(buf, cents);
}

int64_t aps_money_round_cents(double c)
{
    if (isnan(c))
        return 0;
    if (fabs(c) >= (double)APS_MONEY_LIMIT_CENTS)
        return c < 0 ? -APS_MONEY_LIMIT_CENTS : APS_MONEY_LIMIT_CENTS;
    /* Below 10^9 cents the double holds six more decimals: round them away first, so a decimal
     * half (12.345 units = 1234.4999999999998 cents) counts as a half. */
    if (fabs(c) < 1e9)
        c = round(c * 1e6) / 1e6;
    return (int64_t)llround(c);
}

int64_t aps_money_round(double units)
{
    return aps_money_round_cents(units * 100);
}

double aps_money_to_double(int64_t cents)
{
    return (double)cents / 100;
}

char *aps_money_format(int64_t cents, char *buf, int cap)
{
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    snprintf(buf, (size_t)cap, "%s%llu.%02llu", cents < 0 ? "-" : "", (unsigned long long)(a / 100),
             (unsigned long long)(a % 100));
    return buf;
}

bool aps_currency_is_iso4217(const char *code)
{
    if (!code || strlen(code) != 3)
        return false;
    for (int i = 0; i < 3; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return false;
    char quoted[6];
    snprintf(quoted, sizeof quoted, "'%s'", code);
    return strstr(APS_ISO4217_SQL, quoted) != NULL;
}
