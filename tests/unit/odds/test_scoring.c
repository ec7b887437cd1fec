/* test_scoring.c — probability scores (Brier, log-loss with clipping, ECE/MCE and the
 * reliability table with its bin edges, rank AUC with ties, checked against a brute-force pair
 * count on seeded random samples) and betting scores (accuracy over graded results, yield, ROI,
 * max drawdown, Sharpe, Wilson interval), all on hand-computed values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "fixture.c"
#include "odds/scoring.h"

static void brier_and_log_loss(void **state)
{
    (void)state;
    const double p[] = {0.9, 0.2, 0.6};
    const int y[] = {1, 0, 0};
    double v = 0;
    assert_int_equal(aps_score_brier(p, y, 3, &v), 0);
    assert_near(v, (0.01 + 0.04 + 0.36) / 3, 1e-15);
    assert_int_equal(aps_score_log_loss(p, y, 3, &v), 0);
    assert_near(v, -(log(0.9) + log(0.8) + log(0.4)) / 3, 1e-15);
    assert_near(v, 0.4149316, 1e-7);
    /* A certain wrong forecast is clipped at 1e-15: −ln(1e-15) = 34.5388. */
    const double sure[] = {0.0, 1.0};
    const int wrong[] = {1, 0};
    assert_int_equal(aps_score_log_loss(sure, wrong, 2, &v), 0);
    assert_near(v, 34.538776, 1e-3);
    const double bad_p[] = {1.2};
    const int bad_y[] = {2};
    assert_int_equal(aps_score_brier(bad_p, y, 1, &v), APS_E_INVAL);
    assert_int_equal(aps_score_brier(p, bad_y, 1, &v), APS_E_INVAL);
    assert_int_equal(aps_score_log_loss(p, y, 0, &v), APS_E_INVAL);
}

static void bin_edges(void **state)
{
    (void)state;
    for (int b = 0; b < APS_SCORE_BINS; b++) {
        double edge = b / 10.0;
        assert_int_equal(aps_score_bin(edge), b); /* [lo, hi): lo belongs to the bin */
        if (b > 0)
            assert_int_equal(aps_score_bin(nextafter(edge, 0.0)), b - 1);
    }
    assert_int_equal(aps_score_bin(0.7), 7);
    assert_int_equal(aps_score_bin(0.3), 3);
    assert_int_equal(aps_score_bin(1.0), 9); /* the last bin is closed */
    assert_int_equal(aps_score_bin(0.0), 0);
}

static void reliability_table(void **state)
{
    (void)state;
    const double p[] = {0.05, 0.15, 0.15, 0.7, 0.7, 0.95};
    const int y[] = {0, 0, 1, 1, 0, 1};
    struct aps_score_reliability r;
    assert_int_equal(aps_score_reliability(p, y, 6, &r), 0);
    assert_int_equal(r.count[0], 1);
    assert_int_equal(r.count[1], 2);
    assert_int_equal(r.count[7], 2);
    assert_int_equal(r.count[9], 1);
    assert_int_equal(r.count[5], 0);
    assert_near(r.mean_pred[1], 0.15, 1e-15);
    assert_near(r.observed[1], 0.5, 0);
    assert_near(r.observed[7], 0.5, 0);
    assert_near(r.ece, (0.05 + 2 * 0.35 + 2 * 0.2 + 0.05) / 6, 1e-12);
    assert_near(r.mce, 0.35, 1e-12);
    double e = 0;
    assert_int_equal(aps_score_ece(p, y, 6, &e), 0);
    assert_near(e, 0.2, 1e-12);
}

static void auc_examples(void **state)
{
    (void)state;
    double v = 0;
    const double p1[] = {0.1, 0.4, 0.35, 0.8};
    const int y1[] = {0, 0, 1, 1};
    assert_int_equal(aps_score_auc(p1, y1, 4, &v), 0);
    assert_near(v, 0.75, 1e-15);
    const double p2[] = {0.2, 0.5, 0.5, 0.9}; /* a tied pair counts one half */
    assert_int_equal(aps_score_auc(p2, y1, 4, &v), 0);
    assert_near(v, 0.875, 1e-15);
    const int one_class[] = {1, 1, 1, 1};
    assert_int_equal(aps_score_auc(p2, one_class, 4, &v), 0);
    assert_near(v, 0.5, 0);
    const int reversed[] = {1, 1, 0, 0};
    assert_int_equal(aps_score_auc(p1, reversed, 4, &v), 0);
    assert_near(v, 0.25, 1e-15);
}

static void auc_matches_pair_count(void **state)
{
    (void)state;
    struct prng r = {424242};
    enum { N = 300 };
    double p[N];
    int y[N];
    for (int rep = 0; rep < 50; rep++) {
        for (int i = 0; i < N; i++) {
            p[i] = prng_int(&r, 0, 20) / 20.0; /* coarse, so ties are frequent */
            y[i] = prng_uniform(&r) < 0.3 + 0.4 * p[i];
        }
        double pairs = 0, score = 0, v = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                if (y[i] == 1 && y[j] == 0) {
                    pairs++;
                    score += p[i] > p[j] ? 1.0 : p[i] == p[j] ? 0.5 : 0.0;
                }
        assert_int_equal(aps_score_auc(p, y, N, &v), 0);
        assert_near(v, score / pairs, 1e-12);
    }
}

static void betting_scores(void **state)
{
    (void)state;
    const enum aps_grade_result res[] = {APS_GRADE_WIN,  APS_GRADE_LOSS,      APS_GRADE_PUSH,
                                         APS_GRADE_HALF_WIN, APS_GRADE_VOID, APS_GRADE_HALF_LOSS,
                                         APS_GRADE_WIN};
    double v = 0;
    assert_int_equal(aps_score_accuracy(res, 7, &v), 0);
    assert_near(v, 2.5 / 4.0, 1e-15);
    const enum aps_grade_result none[] = {APS_GRADE_PUSH, APS_GRADE_VOID};
    assert_int_equal(aps_score_accuracy(none, 2, &v), APS_E_INVAL);

    const double profit[] = {90.91, -100.0, 0.0}, stake[] = {100.0, 100.0, 100.0};
    assert_int_equal(aps_score_yield(profit, stake, 3, &v), 0);
    assert_near(v, -9.09 / 300.0, 1e-12);
    const double zero[] = {0.0};
    assert_int_equal(aps_score_yield(profit, zero, 1, &v), APS_E_INVAL);
    assert_int_equal(aps_score_roi(10000.0, 11000.0, &v), 0);
    assert_near(v, 0.10, 1e-15);
    assert_int_equal(aps_score_roi(0.0, 1.0, &v), APS_E_INVAL);

    const double bank[] = {100, 120, 90, 110, 60, 130, 125};
    assert_int_equal(aps_score_max_drawdown(bank, 7, &v), 0);
    assert_near(v, 0.5, 1e-15);
    const double up[] = {100, 101, 102};
    assert_int_equal(aps_score_max_drawdown(up, 3, &v), 0);
    assert_near(v, 0.0, 0);

    const double ret[] = {0.1, -0.1, 0.2, 0.0};
    assert_int_equal(aps_score_sharpe(ret, 4, &v), 0);
    assert_near(v, 0.05 / sqrt(0.05 / 3), 1e-12);
    assert_near(v, 0.3872983, 1e-7);
    const double flat[] = {0.1, 0.1};
    assert_int_equal(aps_score_sharpe(flat, 2, &v), APS_E_INVAL);
    assert_int_equal(aps_score_sharpe(ret, 1, &v), APS_E_INVAL);
}

static void wilson_interval(void **state)
{
    (void)state;
    double lo = -1, hi = -1;
    assert_int_equal(aps_score_wilson(55, 100, 1.96, &lo, &hi), 0);
    assert_near(lo, 0.4524443, 1e-6);
    assert_near(hi, 0.6438562, 1e-6);
    assert_int_equal(aps_score_wilson(0, 10, 1.96, &lo, &hi), 0);
    assert_near(lo, 0.0, 1e-15); /* stays inside [0, 1], unlike the normal approximation */
    assert_near(hi, 0.2775402, 1e-6);
    assert_int_equal(aps_score_wilson(10, 10, 1.96, &lo, &hi), 0);
    assert_near(hi, 1.0, 1e-15);
    assert_int_equal(aps_score_wilson(3, 0, 1.96, &lo, &hi), APS_E_INVAL);
    assert_int_equal(aps_score_wilson(11, 10, 1.96, &lo, &hi), APS_E_INVAL);
}

/* The paired bootstrap: the mean is exact, the interval brackets it, is reproducible for a seed,
 * and its width matches the normal approximation sd/sqrt(n) of the mean. */
static void paired_bootstrap(void **state)
{
    (void)state;
    enum { N = 400 };
    double d[N], mean, lo, hi, mean2, lo2, hi2, sum = 0, sq = 0;
    for (int i = 0; i < N; i++) {
        d[i] = (i % 2 ? 0.05 : -0.03) + 0.001 * (i % 7); /* mean 0.013, sd about 0.04 */
        sum += d[i];
    }
    for (int i = 0; i < N; i++)
        sq += (d[i] - sum / N) * (d[i] - sum / N);
    double se = sqrt(sq / (N - 1)) / sqrt((double)N);
    assert_int_equal(aps_score_paired_bootstrap(d, N, 2000, 42, &mean, &lo, &hi), 0);
    assert_near(mean, sum / N, 1e-12);
    assert_true(lo < mean && mean < hi);
    assert_true(lo > 0); /* a difference of over six standard errors excludes 0 */
    assert_near(hi - lo, 2 * 1.96 * se, 0.15 * 2 * 1.96 * se);
    assert_int_equal(aps_score_paired_bootstrap(d, N, 2000, 42, &mean2, &lo2, &hi2), 0);
    assert_true(lo == lo2 && hi == hi2 && mean == mean2);
    double same[3] = {0.2, 0.2, 0.2};
    assert_int_equal(aps_score_paired_bootstrap(same, 3, 100, 1, &mean, &lo, &hi), 0);
    assert_near(lo, 0.2, 1e-15);
    assert_near(hi, 0.2, 1e-15);
    assert_int_equal(aps_score_paired_bootstrap(d, 0, 100, 1, &mean, &lo, &hi), APS_E_INVAL);
    d[3] = NAN;
    assert_int_equal(aps_score_paired_bootstrap(d, N, 100, 1, &mean, &lo, &hi), APS_E_INVAL);
}

/* The plain form of the bootstrap, kept here as its specification: resamples drawn one after
 * the other from one splitmix64 stream, each index the draw modulo n. */
static uint64_t ref_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int ref_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void ref_bootstrap(const double *d, size_t n, int resamples, uint64_t seed, double *lo,
                          double *hi)
{
    double *means = malloc((size_t)resamples * sizeof *means);
    uint64_t s = seed;
    for (int b = 0; b < resamples; b++) {
        double t = 0;
        for (size_t i = 0; i < n; i++)
            t += d[ref_splitmix64(&s) % n];
        means[b] = t / (double)n;
    }
    qsort(means, (size_t)resamples, sizeof *means, ref_cmp);
    *lo = means[(size_t)floor(0.025 * (resamples - 1))];
    *hi = means[(size_t)ceil(0.975 * (resamples - 1))];
    free(means);
}

/* The bootstrap's intervals are bit for bit those of the plain form, for sizes of every residue
 * and resample counts that are and are not multiples of its four lanes. */
static void bootstrap_matches_plain_draws(void **state)
{
    (void)state;
    enum { MAXN = 100003 };
    double *d = malloc(MAXN * sizeof *d);
    uint64_t g = 7;
    for (size_t i = 0; i < MAXN; i++)
        d[i] = (double)(ref_splitmix64(&g) >> 11) * 0x1p-53 - 0.5;
    const size_t sizes[] = {1, 2, 3, 5, 7, 31, 64, 400, 1000, 65537, MAXN};
    const int counts[] = {2, 3, 5, 8, 1001};
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++) {
        for (size_t b = 0; b < sizeof counts / sizeof counts[0]; b++) {
            if (sizes[a] > 1000 && counts[b] > 8)
                continue;
            double mean, lo, hi, rlo, rhi;
            uint64_t seed = 42 + a * 31 + b;
            assert_int_equal(
                aps_score_paired_bootstrap(d, sizes[a], counts[b], seed, &mean, &lo, &hi), 0);
            ref_bootstrap(d, sizes[a], counts[b], seed, &rlo, &rhi);
            assert_true(lo == rlo);
            assert_true(hi == rhi);
        }
    }
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(brier_and_log_loss),
        cmocka_unit_test(bin_edges),
        cmocka_unit_test(reliability_table),
        cmocka_unit_test(auc_examples),
        cmocka_unit_test(auc_matches_pair_count),
        cmocka_unit_test(betting_scores),
        cmocka_unit_test(wilson_interval),
        cmocka_unit_test(paired_bootstrap),
        cmocka_unit_test(bootstrap_matches_plain_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
