/* scoring.h — scoring of probabilities and of betting results (platform-spec §3.9–3.10).
 *
 * Probability scores take predicted probabilities p[i] in [0, 1] and outcomes y[i] in {0, 1}:
 * Brier, log-loss (p clipped to [1e-15, 1 − 1e-15]), ECE/MCE with a reliability table (10
 * equal-width bins [lo, hi), the last bin [0.9, 1.0] closed; the edges are the doubles b/10.0, so
 * p = 0.7 falls in bin 7), and rank-based AUC (ties get their average rank; 0.5 when only one
 * class is present). Betting scores: accuracy over graded results, yield, bankroll ROI, maximum
 * drawdown, Sharpe ratio of per-bet returns and a Wilson interval for a win rate.
 * Every function returns 0 or APS_E_INVAL (n == 0, a value out of range, NULL array). */
#ifndef APS_ODDS_SCORING_H
#define APS_ODDS_SCORING_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "odds/grade.h"

#define APS_SCORE_BINS 10

struct aps_score_reliability {
    size_t count[APS_SCORE_BINS];
    double mean_pred[APS_SCORE_BINS]; /* mean p in the bin; 0 when empty */
    double observed[APS_SCORE_BINS];  /* share of y = 1 in the bin; 0 when empty */
    double ece;                         /* Σ_b (n_b/N)·|observed_b − mean_pred_b| */
    double mce;                         /* max over non-empty bins of |observed_b − mean_pred_b| */
};

/* (1/N)·Σ(p − y)². */
int aps_score_brier(const double *p, const int *y, size_t n, double *out) APS_MUST_CHECK;
/* −(1/N)·Σ[y·ln p + (1 − y)·ln(1 − p)], p clipped to [1e-15, 1 − 1e-15]. */
int aps_score_log_loss(const double *p, const int *y, size_t n, double *out) APS_MUST_CHECK;
/* The bin of probability p (0..9). */
int aps_score_bin(double p);
/* Reliability table, ECE and MCE. */
int aps_score_reliability(const double *p, const int *y, size_t n,
                            struct aps_score_reliability *out) APS_MUST_CHECK;
/* ECE alone. */
int aps_score_ece(const double *p, const int *y, size_t n, double *out) APS_MUST_CHECK;
/* Area under the ROC curve by the rank-sum (Mann–Whitney) formula. Allocates n slots
 * temporarily (aps_malloc; out-of-memory aborts). */
int aps_score_auc(const double *p, const int *y, size_t n, double *out) APS_MUST_CHECK;

/* Wins/(wins + losses) over graded results: WIN counts one win, LOSS one loss, HALF_WIN half a
 * win and HALF_LOSS half a loss (the other half is a push); PUSH and VOID are left out.
 * APS_E_INVAL when nothing counts. This is the picks' hit ratio (the Prometheus metric); the
 * API's win rate (engine/track_record.h) counts half results whole. */
int aps_score_accuracy(const enum aps_grade_result *r, size_t n, double *out) APS_MUST_CHECK;
/* Yield: Σ profit / Σ stake (the reference calls this "ROI"; ×100 for a percentage).
 * APS_E_INVAL when the stakes sum to <= 0. */
int aps_score_yield(const double *profit, const double *stake, size_t n,
                      double *out) APS_MUST_CHECK;
/* Bankroll ROI: (final − initial)/initial, initial > 0. */
int aps_score_roi(double initial, double final_bankroll, double *out) APS_MUST_CHECK;
/* Maximum drawdown of a bankroll series: max over t of (peak_t − b_t)/peak_t, a fraction (0.25 =
 * 25 %); peak_t is the running maximum. The first value must be > 0. */
int aps_score_max_drawdown(const double *bankroll, size_t n, double *out) APS_MUST_CHECK;
/* Sharpe ratio of per-bet returns r_i (profit/stake): mean(r)/sd(r) with the sample standard
 * deviation (n − 1), risk-free rate 0, per bet, not annualised. APS_E_INVAL for n < 2 or a zero
 * standard deviation. */
int aps_score_sharpe(const double *returns, size_t n, double *out) APS_MUST_CHECK;
/* Wilson score interval for a win rate wins/n at normal quantile z (1.96 for 95 %). DESIGN leaves
 * the choice open; Wilson is used because it stays inside [0, 1] and behaves at small n and
 * rates near 0 or 1, where the normal approximation p ± z·sqrt(p(1 − p)/n) does not. */
int aps_score_wilson(size_t wins, size_t n, double z, double *lo, double *hi) APS_MUST_CHECK;
/* Paired bootstrap of a mean difference: d[i] is one game's score difference (model's log-loss
 * minus the market's on the same game). *mean gets the mean of d; [*lo, *hi] the 2.5th and
 * 97.5th percentiles of the means of `resamples` resamples of the n games drawn with
 * replacement by a seeded splitmix64 generator (the same seed gives the same interval). An
 * interval that excludes 0 says the difference is not chance at the 95 % level. */
int aps_score_paired_bootstrap(const double *d, size_t n, int resamples, uint64_t seed,
                                 double *mean, double *lo, double *hi) APS_MUST_CHECK;

#endif
