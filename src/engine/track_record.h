/* track_record.h — a graded record of picks or bets summed and summarised one way, for the API's
 * performance endpoints (GET /predictions/performance, GET /betting/performance) and whatever
 * else reports a record.
 *
 * Counting: a half win counts as a win and a half loss as a loss (the interval needs whole trials,
 * and a half win is a winning bet); voids are counted but stake nothing. The rule is written once,
 * as the SQL lists below: counts made in the store use them (result IN APS_RECORD_WIN_RESULTS)
 * and aps_record_add classifies a result by the same lists. The summary:
 *   win_rate = wins / (wins + losses), with its Wilson 95 % interval — the API's "win rate",
 *              halves counted whole. It is not the Prometheus hit ratio of services/app_metrics.c
 *              (aps_score_accuracy: a half counts 0.5), a different published number;
 *   roi      = profit / staked (units per unit staked; picks stake 1 unit each);
 *   clv_mean, clv_positive_share over the rows that have a closing-line value; clv_mean only
 *              when they share one unit (a moneyline's CLV is a fraction of the stake, a
 *              spread's or total's is in points: a mean of both is no number at all).
 * Each is NAN when its denominator is 0, clv_mean also when the units are mixed. */
#ifndef APS_ENGINE_TRACK_RECORD_H
#define APS_ENGINE_TRACK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define APS_RECORD_CLV_BINS 20

/* The graded results (odds/grade.h names) counted as wins and as losses. */
#define APS_RECORD_WIN_RESULTS "('win', 'half_win')"
#define APS_RECORD_LOSS_RESULTS "('loss', 'half_loss')"

/* The units a CLV is measured in (odds/benchmark.h aps_close_clv_unit), as bits. */
enum aps_record_clv_unit { APS_RECORD_CLV_PRICE = 1, APS_RECORD_CLV_POINTS = 2 };

struct aps_record {
    int64_t n, wins, losses, pushes, voids, clv_n, clv_pos;
    double staked, profit, clv_sum;
    unsigned clv_units; /* the aps_record_clv_unit bits of the rows with a CLV */
};

/* Rows of one result as an aggregate query returns them: their number, stake, profit and CLV
 * sums. result is an enum aps_grade_result, or -1 when unknown (counted in n only). */
struct aps_record_rows {
    int result;
    int64_t count;
    double staked;  /* stake of the rows (1 per pick with a profit for flat-unit picks) */
    double profit;
    int64_t clv_n, clv_pos;
    double clv_sum;
    enum aps_record_clv_unit clv_unit; /* of the rows' CLV */
};

/* Adds rows to r (a zeroed record is empty); a void's stake is not counted as staked. */
void aps_record_add(struct aps_record *r, const struct aps_record_rows *rows);

struct aps_record_summary {
    double win_rate, win_rate_lo, win_rate_hi; /* interval: Wilson 95 % */
    double roi;
    double clv_mean, clv_positive_share;
};

void aps_record_summarize(const struct aps_record *r, struct aps_record_summary *out);

/* The CLV histogram: APS_RECORD_CLV_BINS bins of equal width between the smallest and the largest
 * of clv[0..n) (one bin when they are equal; none when n is 0). *nbins gets the number of bins,
 * bin b spans [lo + b·width, lo + (b+1)·width) with the last one closed at hi. */
struct aps_record_clv_hist {
    int nbins;
    double lo, hi, width;
    int64_t count[APS_RECORD_CLV_BINS];
};

void aps_record_clv_histogram(const double *clv, size_t n, struct aps_record_clv_hist *out);

#endif
