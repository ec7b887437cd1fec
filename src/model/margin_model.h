/* margin_model.h — spread and total markets: a regression of the home margin (spread) or the
 * total points (total) on the game's features, with a fitted normal error, giving P(cover) and
 * P(over) at any line.
 *
 * Regressions: ridge (least squares with an L2 penalty on standardised features, missing values
 * imputed with the mean; the intercept is free) or XGBoost squared error. The error scale sigma is
 * set by the caller from held-out residuals (walkforward.c), since in-sample residuals of boosted
 * trees are too small.
 *
 * Scores are whole numbers, so the outcome V (margin or total) is treated as a normal variable
 * rounded to an integer: P(V > b) = 1 − Φ((⌊b⌋ + ½ − μ)/σ), P(V < b) = Φ((⌈b⌉ − ½ − μ)/σ). A side
 * wins when V is on its side of the line (home: margin > −line; away: margin < its own line; over:
 * total > line; under: total < line); a push (V = b, whole-number lines only) is neither, and the
 * probability returned is P(win | no push), the quantity scored on non-push games. Quarter lines
 * count the half-won bet as won, as the backtest's scoring does.
 *
 * Market-anchored ridge (aps_margin_fit_offset): the expected value is the entry market's line
 * turned into a margin or total (sign · x[col]: −spread line for the home margin, the total line
 * itself) plus a ridge correction, so the penalty shrinks the model towards the market's own
 * expectation instead of towards the average game. A row without the entry line reads the
 * training rows' mean of that term instead (like the ridge's mean imputation). */
#ifndef APS_MODEL_MARGIN_MODEL_H
#define APS_MODEL_MARGIN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/gbm.h"

enum aps_margin_kind { APS_MARGIN_RIDGE, APS_MARGIN_GBM };

/* The distribution of the outcome around mu: normal with scale sigma, rounded to an integer (see
 * above), or Poisson with mean mu (sigma unused; a mean below 0.05 counts as 0.05), for totals that
 * are counts of goals or runs, or Skellam for a margin of goals: the difference H − A of two
 * independent Poisson counts whose mean is mu and whose variance is sigma², so the home and away
 * rates are (sigma² + mu)/2 and (sigma² − mu)/2 (each at least 0.05). */
enum aps_score_dist { APS_DIST_NORMAL, APS_DIST_POISSON, APS_DIST_SKELLAM };

/* "normal", "poisson", "skellam"; and back (NULL or unknown: normal). */
const char *aps_score_dist_name(enum aps_score_dist d);
enum aps_score_dist aps_score_dist_parse(const char *s);
/* P(V = k) and P(V <= k) for V = H − A, H ~ Poisson(lh), A ~ Poisson(la) independent. */
double aps_skellam_pmf(double lh, double la, int k);
double aps_skellam_cdf(double lh, double la, int k);

struct aps_margin_model {
    enum aps_margin_kind kind;
    int d;
    double *mean, *sd, *beta;   /* ridge: beta[0] intercept, beta[1..d] standardised weights */
    struct aps_gbm gb;
    double sigma;
    enum aps_score_dist dist;   /* set by the caller; saved in the JSON */
    bool has_offset;            /* ridge: mu = offset_sign · x[offset_col] + the ridge part */
    int offset_col;
    double offset_sign, offset_fill; /* fill: the offset of a row without x[offset_col] */
};

/* Fits on rows rows[0..n) of x (stride d) with targets t[rows[i]]. gp is used for GBM only.
 * m: cleanup frees; safe on a zeroed struct. sigma is set to the in-sample residual standard
 * deviation. */
int aps_margin_fit(enum aps_margin_kind kind, const double *x, int d, const double *t,
                   const size_t *rows, size_t n, double l2, const struct aps_gbm_params *gp,
                   struct aps_margin_model *m) APS_MUST_CHECK;
/* A ridge fit of t − sign · x[col] (see above); sigma as aps_margin_fit. APS_E_INVAL when col is
 * outside the row or sign is 0. */
int aps_margin_fit_offset(const double *x, int d, const double *t, const size_t *rows, size_t n,
                          double l2, int col, double sign,
                          struct aps_margin_model *m) APS_MUST_CHECK;
void aps_margin_cleanup(struct aps_margin_model *m);
/* Expected value for one raw row (NAN allowed in x). */
int aps_margin_predict(const struct aps_margin_model *m, const double *x,
                       double *mu) APS_MUST_CHECK;
/* Expected values of rows rows[0..n). */
int aps_margin_predict_rows(const struct aps_margin_model *m, const double *x, const size_t *rows,
                            size_t n, double *mu) APS_MUST_CHECK;
/* P(selection wins | no push) at its own line, for V ~ N(mu, sigma) rounded (see above). NAN
 * for a market or selection that does not fit, or sigma <= 0. */
double aps_margin_cover_prob(double mu, double sigma, enum aps_market market,
                             enum aps_selection sel, double line);
/* The same for either distribution. */
double aps_margin_cover_prob_dist(enum aps_score_dist dist, double mu, double sigma,
                                  enum aps_market market, enum aps_selection sel, double line);
/* The probabilities that V ends above b, exactly on b (a push; only for whole-number b) and
 * below b, for V of distribution dist (normal: N(mu, sigma) rounded to an integer; Poisson: mean
 * mu; Skellam: mean mu, variance sigma²): out[0] + out[1] + out[2] = 1. Returns false (out NAN)
 * when mu or b is NAN, or sigma <= 0 for the normal or the Skellam. */
bool aps_margin_line_probs(enum aps_score_dist dist, double mu, double sigma, double b,
                           double out[3]);
/* Ridge contributions beta_j/sd_j·(x_j − mean_j) (0 for missing values), d values; a
 * market-anchored model adds its offset sign · x_col (or the fill) to the offset column, so the
 * contributions plus the intercept beta_0 add up to mu. */
void aps_margin_contrib(const struct aps_margin_model *m, const double *x, double *out);

/* JSON of the ridge part (kind, d, sigma, mean, sd, beta, dist when not normal, and offset when
 * anchored) — caller frees — and back (a GBM
 * model's booster is saved separately by the registry). */
char *aps_margin_to_json(const struct aps_margin_model *m);
int aps_margin_from_json(const char *json, struct aps_margin_model *m) APS_MUST_CHECK;

#endif
