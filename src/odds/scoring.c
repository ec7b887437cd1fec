/* scoring.c — probability and betting scores (scoring.h). Pure functions; only the AUC allocates,
 * for the sort it needs. */
#include "odds/scoring.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/mem.h"

#define LOGLOSS_EPS 1e-15

/* Common check of a (p, y) sample: n > 0, every p in [0, 1], every y 0 or 1. */
static bool sample_valid(const double *p, const int *y, size_t n)
{
    if (!p || !y || n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(p[i] >= 0.0 && p[i] <= 1.0) || (y[i] != 0 && y[i] != 1))
            return false;
    return true;
}

int aps_score_brier(const double *p, const int *y, size_t n, double *out)
{
    if (!sample_valid(p, y, n))
        return APS_E_INVAL;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (p[i] - y[i]) * (p[i] - y[i]);
    *out = s / (double)n;
    return 0;
}

int aps_score_log_loss(const double *p, const int *y, size_t n, double *out)
{
    if (!sample_valid(p, y, n))
        return APS_E_INVAL;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double q = fmin(fmax(p[i], LOGLOSS_EPS), 1.0 - LOGLOSS_EPS);
        s += y[i] ? log(q) : log(1.0 - q);
    }
    *out = -s / (double)n;
    return 0;
}

int aps_score_bin(double p)
{
    int b = (int)floor(p * APS_SCORE_BINS);
    b = b < 0 ? 0 : b >= APS_SCORE_BINS ? APS_SCORE_BINS - 1 : b;
    /* p·10 can round across an edge; settle against the edge doubles b/10.0 themselves. */
    if (b + 1 < APS_SCORE_BINS && p >= (b + 1) / (double)APS_SCORE_BINS)
        b++;
    else if (b > 0 && p < b / (double)APS_SCORE_BINS)
        b--;
    return b;
}

int aps_score_reliability(const double *p, const int *y, size_t n,
                          struct aps_score_reliability *out)
{
    if (!sample_valid(p, y, n))
        return APS_E_INVAL;
    struct aps_score_reliability r = {{0}, {0}, {0}, 0.0, 0.0};
    double hits[APS_SCORE_BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        int b = aps_score_bin(p[i]);
        r.count[b]++;
        r.mean_pred[b] += p[i];
        hits[b] += y[i];
    }
    for (int b = 0; b < APS_SCORE_BINS; b++) {
        if (!r.count[b])
            continue;
        r.mean_pred[b] /= (double)r.count[b];
        r.observed[b] = hits[b] / (double)r.count[b];
        double gap = fabs(r.observed[b] - r.mean_pred[b]);
        r.ece += (double)r.count[b] / (double)n * gap;
        r.mce = fmax(r.mce, gap);
    }
    *out = r;
    return 0;
}

int aps_score_ece(const double *p, const int *y, size_t n, double *out)
{
    struct aps_score_reliability r;
    int rc = aps_score_reliability(p, y, n, &r);
    if (rc)
        return rc;
    *out = r.ece;
    return 0;
}

struct scored {
    double p;
    int y;
};

static int by_p(const void *a, const void *b)
{
    double x = ((const struct scored *)a)->p, z = ((const struct scored *)b)->p;
    return (x > z) - (x < z);
}

/* Sum of the (1-based, tie-averaged) ranks of the positives in v, sorted by p. */
static double positive_rank_sum(const struct scored *v, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].p == v[i].p)
            j++;
        double avg = (double)(i + 1 + j) / 2.0; /* mean of ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            if (v[k].y)
                sum += avg;
        i = j;
    }
    return sum;
}

int aps_score_auc(const double *p, const int *y, size_t n, double *out)
{
    if (!sample_valid(p, y, n))
        return APS_E_INVAL;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += (size_t)y[i];
    if (pos == 0 || pos == n) {
        *out = 0.5;
        return 0;
    }
    struct scored *v = aps_malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (struct scored){p[i], y[i]};
    qsort(v, n, sizeof *v, by_p);
    double rank_sum = positive_rank_sum(v, n);
    aps_free(v);
    double np = (double)pos, nn = (double)(n - pos);
    *out = (rank_sum - np * (np + 1.0) / 2.0) / (np * nn);
    return 0;
}

int aps_score_accuracy(const enum aps_grade_result *r, size_t n, double *out)
{
    if (!r)
        return APS_E_INVAL;
    double wins = 0.0, losses = 0.0;
    for (size_t i = 0; i < n; i++) {
        switch (r[i]) {
        case APS_GRADE_WIN: wins += 1.0; break;
        case APS_GRADE_HALF_WIN: wins += 0.5; break;
        case APS_GRADE_LOSS: losses += 1.0; break;
        case APS_GRADE_HALF_LOSS: losses += 0.5; break;
        default: break;
        }
    }
    if (wins + losses <= 0.0)
        return APS_E_INVAL;
    *out = wins / (wins + losses);
    return 0;
}

int aps_score_yield(const double *profit, const double *stake, size_t n, double *out)
{
    if (!profit || !stake || n == 0)
        return APS_E_INVAL;
    double won = 0.0, staked = 0.0;
    for (size_t i = 0; i < n; i++) {
        won += profit[i];
        staked += stake[i];
    }
    if (!(staked > 0.0) || !isfinite(won))
        return APS_E_INVAL;
    *out = won / staked;
    return 0;
}

int aps_score_roi(double initial, double final_bankroll, double *out)
{
    if (!(initial > 0.0) || !isfinite(initial) || !isfinite(final_bankroll))
        return APS_E_INVAL;
    *out = (final_bankroll - initial) / initial;
    return 0;
}

int aps_score_max_drawdown(const double *bankroll, size_t n, double *out)
{
    if (!bankroll || n == 0 || !(bankroll[0] > 0.0))
        return APS_E_INVAL;
    double peak = bankroll[0], worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(bankroll[i]))
            return APS_E_INVAL;
        peak = fmax(peak, bankroll[i]);
        worst = fmax(worst, (peak - bankroll[i]) / peak);
    }
    *out = worst;
    return 0;
}

int aps_score_sharpe(const double *returns, size_t n, double *out)
{
    if (!returns || n < 2)
        return APS_E_INVAL;
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += returns[i];
    mean /= (double)n;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (returns[i] - mean) * (returns[i] - mean);
    double sd = sqrt(ss / (double)(n - 1));
    if (!(sd > 0.0) || !isfinite(sd))
        return APS_E_INVAL;
    *out = mean / sd;
    return 0;
}

int aps_score_wilson(size_t wins, size_t n, double z, double *lo, double *hi)
{
    if (n == 0 || wins > n || !(z > 0.0) || !isfinite(z))
        return APS_E_INVAL;
    double nn = (double)n, ph = (double)wins / nn, z2 = z * z;
    double denom = 1.0 + z2 / nn;
    double centre = (ph + z2 / (2.0 * nn)) / denom;
    double half = z / denom * sqrt(ph * (1.0 - ph) / nn + z2 / (4.0 * nn * nn));
    *lo = fmax(0.0, centre - half);
    *hi = fmin(1.0, centre + half);
    return 0;
}

/* splitmix64 is counter-based: its k-th output (k from 1) is mix(seed + k·gamma), so any draw of
 * the sequence can be computed without the draws before it. The bootstrap uses that to run
 * several resamples side by side; resample b takes draws b·n + 1 .. b·n + n, as it would
 * drawing one after the other. */
#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL

static uint64_t splitmix64_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* x mod d without a division: with m = floor((2^64 − 1) / d), q = (x·m) >> 64 is floor(x / d) or
 * one less (x·m / 2^64 falls short of x / d by less than x / 2^64 < 1), so x − q·d lies in
 * [0, 2d) and one conditional subtraction finishes it; exact for every 64-bit x and d ≥ 1. The
 * 64-bit division it replaces was the bootstrap's largest cost. */
__extension__ typedef unsigned __int128 u128;

struct fastmod {
    uint64_t m, d;
};

static struct fastmod fastmod_init(uint64_t d)
{
    return (struct fastmod){UINT64_MAX / d, d};
}

static uint64_t fastmod(const struct fastmod *f, uint64_t x)
{
    uint64_t q = (uint64_t)(((u128)x * f->m) >> 64);
    uint64_t r = x - q * f->d;
    return r >= f->d ? r - f->d : r;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static uint64_t draw(const struct fastmod *fm, uint64_t base, size_t i)
{
    return fastmod(fm, splitmix64_mix(base + i * SPLITMIX_GAMMA));
}

/* The mean of resample b: draws b·n + 1 .. b·n + n, summed in draw order. */
static double resample_mean(const double *d, size_t n, const struct fastmod *fm, uint64_t seed,
                            int b)
{
    uint64_t base = seed + (uint64_t)b * (uint64_t)n * SPLITMIX_GAMMA;
    double t = 0;
    for (size_t i = 1; i <= n; i++)
        t += d[draw(fm, base, i)];
    return t / (double)n;
}

/* The means of resamples b .. b + 3 at once: four independent sums in registers, each in its own
 * draw order, so each mean is bit for bit resample_mean's. */
static void resample_means4(const double *d, size_t n, const struct fastmod *fm, uint64_t seed,
                            int b, double *means)
{
    uint64_t step = (uint64_t)n * SPLITMIX_GAMMA, b0 = seed + (uint64_t)b * step;
    uint64_t b1 = b0 + step, b2 = b1 + step, b3 = b2 + step;
    double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (size_t i = 1; i <= n; i++) {
        t0 += d[draw(fm, b0, i)];
        t1 += d[draw(fm, b1, i)];
        t2 += d[draw(fm, b2, i)];
        t3 += d[draw(fm, b3, i)];
    }
    means[b] = t0 / (double)n;
    means[b + 1] = t1 / (double)n;
    means[b + 2] = t2 / (double)n;
    means[b + 3] = t3 / (double)n;
}

int aps_score_paired_bootstrap(const double *d, size_t n, int resamples, uint64_t seed,
                               double *mean, double *lo, double *hi)
{
    if (!d || !n || resamples < 2)
        return APS_E_INVAL;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(d[i]))
            return APS_E_INVAL;
        sum += d[i];
    }
    *mean = sum / (double)n;
    double *means = aps_malloc((size_t)resamples * sizeof *means);
    struct fastmod fm = fastmod_init(n);
    int b = 0;
    for (; b + 4 <= resamples; b += 4)
        resample_means4(d, n, &fm, seed, b, means);
    for (; b < resamples; b++)
        means[b] = resample_mean(d, n, &fm, seed, b);
    qsort(means, (size_t)resamples, sizeof *means, cmp_double);
    *lo = means[(size_t)floor(0.025 * (resamples - 1))];
    *hi = means[(size_t)ceil(0.975 * (resamples - 1))];
    aps_free(means);
    return 0;
}
