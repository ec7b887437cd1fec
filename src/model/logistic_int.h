/* logistic_int.h — the Newton system of the logistic fit, shared with its tests (not a public
 * interface). */
#ifndef APS_MODEL_LOGISTIC_INT_H
#define APS_MODEL_LOGISTIC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/logistic.h"

/* How the Hessian is accumulated: every form gives the same bits (the rows are added to each
 * element in the same order); AUTO, the default, takes AVX when the processor has it. */
enum aps_logit_kernel { APS_LOGIT_KERNEL_AUTO, APS_LOGIT_KERNEL_SCALAR, APS_LOGIT_KERNEL_AVX };

/* Whether form k can run on this machine (AUTO and SCALAR always can). */
bool aps_logit_kernel_available(enum aps_logit_kernel k);
/* Sets the form of every later fit in this process; false (nothing changed) when k cannot run
 * here. Not to be called while a fit runs. */
bool aps_logit_set_kernel(enum aps_logit_kernel k);

/* z = the standardised row of raw row x under m's means and spreads, with z[0] = 1. */
void aps_logit_zrow(const struct aps_logit *m, const double *x, double *z);

/* The Newton system at weights w over the training rows: g (P = (k − 1)(d + 1) values) the
 * gradient of the penalised log-likelihood and H (P × P, row-major) the Hessian of its negative,
 * upper triangle only (blocks c <= e, and b >= a inside the diagonal blocks; the rest is 0). Z
 * holds the n rows standardised (aps_logit_zrow, stride d + 1); x and rows give the raw rows
 * (for the market offset) and y their labels, as in aps_logit_fit(). Each element is the sum of
 * its rows' terms taken in row order: g_cj += ([y = c] − p_c)·z_j and
 * H_(c,a),(e,b) += p_c·([c = e] − p_e)·(z_a·z_b); then g_cj −= l2·w_cj and H's diagonal gets l2
 * (not on the intercepts, unless the model has a market offset). */
void aps_logit_newton_system(const struct aps_logit *m, const double *w, const double *x,
                             const double *Z, const int *y, const size_t *rows, size_t n, double l2,
                             double *g, double *H);

#endif
