/* logistic.h — L2-regularised logistic regression, binary and multinomial, fitted by Newton's
 * method (IRLS) on standardised features.
 *
 * Classes are 0..k−1; the scores are s_c = w_c·z for c < k−1 and s_{k−1} = 0 (the last class is
 * the reference), p = softmax(s). For k = 2 that is p_0 = σ(w_0·z): the log-odds of class 0.
 * z is the standardised row: z_0 = 1 (intercept), z_j = (x_j − mean_j)/sd_j over the training
 * rows; a missing value (NAN) is imputed with the mean (z_j = 0), and a column with no spread in
 * the training rows is ignored. The penalty (l2/2)·Σ w² leaves the intercepts free. Newton steps
 * are halved while the penalised log-likelihood does not improve; the fit stops when the largest
 * step is below tol or after max_iter steps. */
#ifndef APS_MODEL_LOGISTIC_H
#define APS_MODEL_LOGISTIC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct aps_logit_opts {
    double l2;      /* penalty on the standardised weights (sum over rows, not mean) */
    int max_iter;   /* 0: 25 */
    double tol;     /* 0: 1e-8 */
    const bool *use;/* NULL, or d flags: columns with false are left out (as if constant) */
};

struct aps_logit {
    int d, k;
    double *mean, *sd;  /* d each; sd 0: column ignored */
    double *w;          /* (k − 1) × (d + 1), intercept first */
    int iterations;
};

/* Fits on the rows rows[0..n) of x (row-major, stride d) with labels y[rows[i]] in 0..k−1
 * (k >= 2). rows may be NULL for 0..n−1. m is filled (cleanup frees; safe on a zeroed struct).
 * APS_E_INVAL for bad arguments or a label out of range; APS_E_RANGE when a Newton system cannot
 * be solved. */
int aps_logit_fit(const double *x, int d, const int *y, const size_t *rows, size_t n, int k,
                  const struct aps_logit_opts *o, struct aps_logit *m) APS_MUST_CHECK;
void aps_logit_cleanup(struct aps_logit *m);
/* Class probabilities p[0..k) of one raw row x (d values, NAN allowed). */
void aps_logit_predict(const struct aps_logit *m, const double *x, double *p);
/* Contributions to score s_c (the log-odds of class 0 for k = 2) of each feature:
 * coefficient × (x_j − mean_j) on the raw scale, 0 for a missing value; out has d values. The
 * intercept plus their sum is s_c. */
void aps_logit_contrib(const struct aps_logit *m, const double *x, int c, double *out);
/* JSON object text of the model (caller frees with aps_free) and back. */
char *aps_logit_to_json(const struct aps_logit *m);
int aps_logit_from_json(const char *json, struct aps_logit *m) APS_MUST_CHECK;

#endif
