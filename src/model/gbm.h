/* gbm.h — gradient-boosted trees through the XGBoost C API (libxgboost 1.7): binary, softmax and
 * squared-error regression, with TreeSHAP contributions.
 *
 * Labels follow logistic.h: classes 0..k−1, and for k = 2 the model's raw score is the log-odds
 * of class 0 (XGBoost is given the label "is class 0"), so contributions of both families are in
 * the same units. Missing values are NAN. Training uses the deterministic `hist` method with a
 * fixed seed and thread count: the same data and parameters give the same trees. */
#ifndef APS_MODEL_GBM_H
#define APS_MODEL_GBM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum aps_gbm_objective { APS_GBM_BINARY, APS_GBM_SOFTMAX, APS_GBM_REGRESSION };

struct aps_gbm_params {
    int rounds, depth;
    double eta, min_child, subsample, colsample, lambda, alpha, gamma;
    uint64_t seed;
    int nthread;          /* 0: 1 (measured: two threads on two cores were 4x slower on 3,000 rows) */
};

struct aps_gbm {
    void *booster;        /* BoosterHandle */
    int d, k;             /* features; classes (1 for regression) */
    enum aps_gbm_objective obj;
};

/* Fits on rows rows[0..n) of x (stride d; rows NULL: 0..n−1). y[rows[i]] is the class (binary,
 * softmax with k classes) or the target (regression). APS_E_INVAL for bad arguments; APS_E_IO
 * when XGBoost reports an error. m: cleanup frees; safe on a zeroed struct. */
int aps_gbm_fit(const double *x, int d, const double *y, const size_t *rows, size_t n,
                enum aps_gbm_objective obj, int k, const struct aps_gbm_params *p,
                struct aps_gbm *m) APS_MUST_CHECK;
void aps_gbm_cleanup(struct aps_gbm *m);
/* Predictions for rows rows[0..n) of x: class probabilities out[i·k + c] (k = 2: class 0 and 1),
 * or the regression value out[i]. */
int aps_gbm_predict(const struct aps_gbm *m, const double *x, const size_t *rows, size_t n,
                    double *out) APS_MUST_CHECK;
/* The same for one row, without building a DMatrix (XGBoosterPredictFromDense). */
int aps_gbm_predict_row(const struct aps_gbm *m, const double *x, double *out) APS_MUST_CHECK;
/* TreeSHAP contributions of one row to the raw score of class c (binary: log-odds of class 0;
 * regression: the value): out[0..d) per feature and out[d] the bias. */
int aps_gbm_contrib(const struct aps_gbm *m, const double *x, int c, double *out) APS_MUST_CHECK;
/* XGBoosterSaveModel to path (.json: XGBoost's JSON format) and back. */
int aps_gbm_save(const struct aps_gbm *m, const char *path) APS_MUST_CHECK;
int aps_gbm_load(const char *path, enum aps_gbm_objective obj, int k,
                 struct aps_gbm *m) APS_MUST_CHECK;
/* XGBoost's last error text. */
const char *aps_gbm_last_error(void);

#endif
