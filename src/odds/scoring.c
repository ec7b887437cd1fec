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

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
    uint64_t s = seed;
    for (int b = 0; b < resamples; b++) {
        double t = 0;
        for (size_t i = 0; i < n; i++)
            t += d[splitmix64(&s) % n];
        means[b] = t / (double)n;
    }
    qsort(means, (size_t)resamples, sizeof *means, cmp_double);
    *lo = means[(size_t)floor(0.025 * (resamples - 1))];
    *hi = means[(size_t)ceil(0.975 * (resamples - 1))];
    aps_free(means);
    return 0;
}
