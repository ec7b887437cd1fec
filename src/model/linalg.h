/* linalg.h — the small dense linear algebra the model layer needs: a Cholesky solve of a
 * symmetric positive-definite system (Newton steps, ridge regression). */
#ifndef APS_MODEL_LINALG_H
#define APS_MODEL_LINALG_H

#include "core/err.h"

/* Solves A·x = b in place: A (n × n, row-major, symmetric positive definite) is overwritten by
 * its Cholesky factor and b by x. A tiny ridge (1e-10 × the diagonal's mean) is added when a
 * pivot is not positive; APS_E_RANGE when that does not help. */
int aps_linalg_solve_spd(double *a, double *b, int n) APS_MUST_CHECK;

#endif
