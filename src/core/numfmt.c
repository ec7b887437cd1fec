/* numfmt.c — numbers to text without printf (see numfmt.h).
 *
 * The fast path of a double: m = round(v * 10^d) for the smallest d that works, accepted only
 * when m / 10^d == v in double arithmetic. m and 10^d are both exact doubles, so that quotient
 * is v correctly rounded from the decimal m·10^-d, which is what strtod computes for the text
 * written: the text reads back as exactly v. */
#include "core/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double p10[APS_FMT_FAST_DECIMALS + 1] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};

/* Digits of u, most significant first, at buf; returns their count. */
static size_t utoa(char *buf, uint64_t u)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

size_t aps_fmt_i64(char buf[APS_FMT_CAP], int64_t v)
{
    size_t n = 0;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        buf[n++] = '-';
        u = 0 - u;
    }
    n += utoa(buf + n, u);
    buf[n] = '\0';
    return n;
}

size_t aps_fmt_double(char buf[APS_FMT_CAP], double v)
{
    if (isfinite(v) && fabs(v) < 1e9) {
        for (int d = 0; d <= APS_FMT_FAST_DECIMALS; d++) {
            double m = nearbyint(v * p10[d]);
            if (m / p10[d] != v)
                continue;
            uint64_t u = (uint64_t)fabs(m);
            size_t n = 0;
            if (signbit(v) && u)
                buf[n++] = '-';
            if (v == 0 && signbit(v))
                break; /* -0: printf's form keeps the sign */
            uint64_t ip = u / (uint64_t)p10[d], fp = u % (uint64_t)p10[d];
            n += utoa(buf + n, ip);
            if (d) {
                buf[n++] = '.';
                for (int k = d - 1; k >= 0; k--) {
                    buf[n + (size_t)k] = (char)('0' + fp % 10);
                    fp /= 10;
                }
                n += (size_t)d;
            }
            buf[n] = '\0';
            return n;
        }
    }
    int n = snprintf(buf, APS_FMT_CAP, "%.17g", v);
    return n > 0 ? (size_t)n : 0;
}

/* m = round(|v| * 10^d) to nearest, then corrected by the exact residual |v|·10^d - m that fma
 * gives rounded once: rounding keeps it on its side of ±0.5, so a residual past ±0.5 moves m by
 * one and only an apparent tie (exactly ±0.5 after rounding) is left to printf. */
size_t aps_fmt_fixed(char buf[APS_FMT_CAP], double v, int decimals)
{
    if (decimals >= 0 && decimals <= APS_FMT_FAST_DECIMALS && isfinite(v) && fabs(v) < 1e9) {
        double p = p10[decimals], a = fabs(v), m = nearbyint(a * p), r = fma(a, p, -m);
        if (r > 0.5)
            m += 1;
        else if (r < -0.5)
            m -= 1;
        if (r != 0.5 && r != -0.5) {
            uint64_t u = (uint64_t)m, ip = u / (uint64_t)p, fp = u % (uint64_t)p;
            size_t n = 0;
            if (signbit(v))
                buf[n++] = '-';
            n += utoa(buf + n, ip);
            if (decimals) {
                buf[n++] = '.';
                for (int k = decimals - 1; k >= 0; k--) {
                    buf[n + (size_t)k] = (char)('0' + fp % 10);
                    fp /= 10;
                }
                n += (size_t)decimals;
            }
            buf[n] = '\0';
            return n;
        }
    }
    int n = snprintf(buf, APS_FMT_CAP, "%.*f", decimals, v);
    return n > 0 ? (size_t)n : 0;
}
