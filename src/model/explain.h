/* explain.h — why a trained model gave its prediction: the top feature contributions.
 *
 * Units: the log-odds of class 0 (home win, home cover, over) for classifiers — for three-way
 * markets the log-odds of home against away — and points of expected margin/total for spreads
 * and totals. Each base model contributes in those units:
 *   XGBoost   TreeSHAP values from the C API (XGBoosterPredictFromDMatrix, type 2 =
 *             contributions), exact for the trees;
 *   logistic  coefficient × (x − training mean), exact for the linear score;
 *   elo       the Elo log-odds (or the ridge's slope × Elo difference), all on elo_diff.
 * A Platt or temperature calibration scales them by its slope; isotonic steps are left out (a
 * local slope would mislead more than help). An ensemble combines them through the
 * meta-learner's weight on each base model's log-odds (its expected value for spreads/totals).
 * The result is a first-order account of the ensemble, exact for a single linear model. */
#ifndef APS_MODEL_EXPLAIN_H
#define APS_MODEL_EXPLAIN_H

#include "core/err.h"
#include "model/ensemble.h"

struct aps_contrib {
    int col;                 /* index into the model's spec columns */
    char feature[48];
    double value;            /* the feature's value (NAN when missing) */
    double contribution;
};

/* The top (at most `top`) contributions by absolute size, largest first, into out; *n gets how
 * many. x, elo and elo_diff as for aps_trained_predict(). */
int aps_explain(const struct aps_trained *t, const double *x, const double elo[3], double elo_diff,
                int top, struct aps_contrib *out, int *n) APS_MUST_CHECK;

#endif
