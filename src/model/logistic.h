/* logistic.h — L2-regularised logistic regression, binary and multinomial, fitted by Newton's
 * method (IRLS) on standardised features.
 *
 * Classes are 0..k−1; the scores are s_c = w_c·z for c < k−1 and s_{k−1} = 0 (the last class is
 * the reference), p = softmax(s). For k = 2 that is p_0 = σ(w_0·z): the log-odds of class 0.
 * z is the standardised row: z_0 = 1 (intercept), z_j = (x_j − mean_j)/sd_j over the training
 * rows; a missing value (NAN) is imputed with the mean (z_j = 0), and a column with no spread in
 * the training rows is ignored. The penalty (l2/2)·Σ w² leaves the intercepts free (except with
 * a market offset, below). Newton steps are halved while the penalised log-likelihood does not
 * improve; the fit stops when the largest step is below tol or after max_iter steps.
 *
 * Market offset (optional): with offset columns given, each score also carries a fixed term from
 * the row's market probabilities, s_c = o_c + w_c·z with o_c = log(q_c / q_{k−1}), q_c = σ(x_oc)
 * read from column oc (the no-vig log-odds of class c, features.h's ml_home/ml_draw/ml_away; for
 * k = 2, o_0 = x_o0 itself). The penalty then shrinks the model towards the market's own
 * probabilities rather than towards the base rates, so the weights only learn what the market
 * misses; it covers the intercepts too (on standardised rows an intercept is the model's average
 * shift from the market, which a season of chance would otherwise set freely and carry into the
 * next). A row whose offset columns are missing gets o = 0. */
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
    const int *offset; /* NULL, or k column indexes of the market offset (see above) */
};

struct aps_logit {
    int d, k;
    double *mean, *sd;  /* d each; sd 0: column ignored */
    double *w;          /* (k − 1) × (d + 1), intercept first */
    bool has_offset;
    int offset[8];      /* market offset column of each class when has_offset */
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
 * coefficient × (x_j − mean_j) on the raw scale, 0 for a missing value, plus the market offset's
 * terms on its columns (+log q_c on class c's, −log q_{k−1} on the reference class's); out has d
 * values. The intercept plus their sum is s_c. */
void aps_logit_contrib(const struct aps_logit *m, const double *x, int c, double *out);
/* JSON object text of the model (caller frees with aps_free) and back. */
char *aps_logit_to_json(const struct aps_logit *m);
int aps_logit_from_json(const char *json, struct aps_logit *m) APS_MUST_CHECK;

#endif
