/* margin.c — overround and the four margin-removal methods described in margin.h.
 *
 * Both solvers (power's exponent k, Shin's insider share z) use plain bisection: each sum is
 * monotone in its unknown, bisection cannot diverge, and 200 halvings reach the resolution of a
 * double long before the loop ends. The markets are small (2–3 outcomes), so speed is not a
 * concern; robustness on extreme prices (1.001 against 500.0) is. */
#include "odds/margin.h"

#include <math.h>
#include <string.h>

static const char *method_names[] = {"multiplicative", "additive", "power", "shin"};

const char *aps_margin_method_name(enum aps_margin_method m)
{
    return (unsigned)m < APS_MARGIN__COUNT ? method_names[m] : "?";
}

int aps_margin_method_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < APS_MARGIN__COUNT; i++)
        if (!strcmp(method_names[i], s))
            return i;
    return -1;
}

int aps_margin_overround(const double *dec, size_t n, double *out)
{
    if (!dec || n < 2)
        return APS_E_INVAL;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(dec[i]) || dec[i] <= 1.0)
            return APS_E_INVAL;
        sum += 1.0 / dec[i];
    }
    *out = sum - 1.0;
    return 0;
}

double aps_margin_hold(double overround)
{
    return 1.0 - 1.0 / (1.0 + overround);
}

static double sum_of(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

static void scale_to_one(double *v, size_t n)
{
    double s = sum_of(v, n);
    for (size_t i = 0; i < n; i++)
        v[i] /= s;
}

static void remove_multiplicative(const double *pi, size_t n, double *out)
{
    memcpy(out, pi, n * sizeof *out);
    scale_to_one(out, n);
}

/* Additive removal with clamping. active[i] marks outcomes still sharing the margin; each round
 * spreads (Σ_active π − 1) equally over them, and any that would go negative are set to 0 and
 * leave the set. At least one outcome leaves per repeated round, so the loop ends within n. */
static void remove_additive(const double *pi, size_t n, double *out)
{
    unsigned char active[APS_MARGIN_MAX_OUTCOMES];
    memset(active, 1, n);
    for (;;) {
        double s = 0.0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (active[i]) {
                s += pi[i];
                m++;
            }
        double share = (s - 1.0) / (double)m;
        int clamped = 0;
        for (size_t i = 0; i < n; i++) {
            out[i] = active[i] ? pi[i] - share : 0.0;
            if (active[i] && out[i] < 0.0 && m > 1) {
                active[i] = 0;
                clamped = 1;
            }
        }
        if (!clamped)
            break;
    }
    scale_to_one(out, n); /* only removes rounding: the survivors already sum to 1 */
}

static double power_sum(const double *pi, size_t n, double k)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += pow(pi[i], k);
    return s;
}

/* Σ π_i^k falls as k grows (every π_i < 1); bracket the root of Σ π_i^k = 1, then bisect. */
static void remove_power(const double *pi, size_t n, double *out)
{
    double lo = 1.0, hi = 1.0;
    if (power_sum(pi, n, 1.0) > 1.0) {
        while (power_sum(pi, n, hi) > 1.0)
            hi *= 2.0;
    } else {
        while (power_sum(pi, n, lo) < 1.0)
            lo /= 2.0;
    }
    for (int it = 0; it < 200 && hi - lo > 0.0; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (power_sum(pi, n, mid) > 1.0)
            lo = mid;
        else
            hi = mid;
    }
    double k = 0.5 * (lo + hi);
    for (size_t i = 0; i < n; i++)
        out[i] = pow(pi[i], k);
    scale_to_one(out, n);
}

/* Shin's probabilities for insider share z, written to out; returns their sum. */
static double shin_probs(const double *pi, size_t n, double total, double z, double *out)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = sqrt(z * z + 4.0 * (1.0 - z) * pi[i] * pi[i] / total);
        out[i] = (r - z) / (2.0 * (1.0 - z));
        s += out[i];
    }
    return s;
}

/* The sum is sqrt(Σπ) > 1 at z = 0 and tends to Σπ²/Σπ < 1 as z → 1, so a root lies in (0, 1). */
static void remove_shin(const double *pi, size_t n, double *out)
{
    double total = sum_of(pi, n);
    if (total <= 1.0) {
        remove_multiplicative(pi, n, out);
        return;
    }
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (shin_probs(pi, n, total, mid, out) > 1.0)
            lo = mid;
        else
            hi = mid;
    }
    shin_probs(pi, n, total, 0.5 * (lo + hi), out);
    scale_to_one(out, n);
}

int aps_margin_remove_probs(enum aps_margin_method m, const double *implied, size_t n, double *out)
{
    if (!implied || !out || n < 2 || (unsigned)m >= APS_MARGIN__COUNT)
        return APS_E_INVAL;
    if (n > APS_MARGIN_MAX_OUTCOMES)
        return APS_E_TOOBIG;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(implied[i]) || implied[i] <= 0.0 || implied[i] >= 1.0)
            return APS_E_INVAL;
    switch (m) {
    case APS_MARGIN_MULTIPLICATIVE: remove_multiplicative(implied, n, out); break;
    case APS_MARGIN_ADDITIVE: remove_additive(implied, n, out); break;
    case APS_MARGIN_POWER: remove_power(implied, n, out); break;
    case APS_MARGIN_SHIN: remove_shin(implied, n, out); break;
    default: return APS_E_INVAL;
    }
    return 0;
}

int aps_margin_remove(enum aps_margin_method m, const double *dec, size_t n, double *out)
{
    if (!dec || n < 2)
        return APS_E_INVAL;
    if (n > APS_MARGIN_MAX_OUTCOMES)
        return APS_E_TOOBIG;
    double pi[APS_MARGIN_MAX_OUTCOMES];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(dec[i]) || dec[i] <= 1.0)
            return APS_E_INVAL;
        pi[i] = 1.0 / dec[i];
    }
    return aps_margin_remove_probs(m, pi, n, out);
}
