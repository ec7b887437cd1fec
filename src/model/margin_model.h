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
 * count the half-won bet as won, as the backtest's scoring does. */
#ifndef APS_MODEL_MARGIN_MODEL_H
#define APS_MODEL_MARGIN_MODEL_H

#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/gbm.h"

enum aps_margin_kind { APS_MARGIN_RIDGE, APS_MARGIN_GBM };

struct aps_margin_model {
    enum aps_margin_kind kind;
    int d;
    double *mean, *sd, *beta;   /* ridge: beta[0] intercept, beta[1..d] standardised weights */
    struct aps_gbm gb;
    double sigma;
};

/* Fits on rows rows[0..n) of x (stride d) with targets t[rows[i]]. gp is used for GBM only.
 * m: cleanup frees; safe on a zeroed struct. sigma is set to the in-sample residual standard
 * deviation. */
int aps_margin_fit(enum aps_margin_kind kind, const double *x, int d, const double *t,
                   const size_t *rows, size_t n, double l2, const struct aps_gbm_params *gp,
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
/* Ridge contributions beta_j/sd_j·(x_j − mean_j) (0 for missing values), d values. */
void aps_margin_contrib(const struct aps_margin_model *m, const double *x, double *out);

/* JSON of the ridge part (kind, d, sigma, mean, sd, beta) — caller frees — and back (a GBM
 * model's booster is saved separately by the registry). */
char *aps_margin_to_json(const struct aps_margin_model *m);
int aps_margin_from_json(const char *json, struct aps_margin_model *m) APS_MUST_CHECK;

#endif
