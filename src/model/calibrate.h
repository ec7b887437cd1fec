/* calibrate.h — recalibration of predicted probabilities, fitted on held-out (walk-forward)
 * predictions and outcomes.
 *
 * Binary (probability p of class 0, outcome y = 1 when class 0 happened):
 *   isotonic     pool-adjacent-violators on the points sorted by p: the least-squares
 *                non-decreasing step function; applied by linear interpolation between the
 *                blocks' mean p (flat beyond the ends), clipped to [1e-4, 1 − 1e-4];
 *   platt        σ(a·logit(p) + b), a and b by maximum likelihood (Newton);
 *   temperature  σ(logit(p)/T), T by maximum likelihood (the special case b = 0).
 * Three-way (probabilities of k classes): temperature only, p_c ∝ p_c^(1/T).
 * NONE leaves the probabilities alone. */
#ifndef APS_MODEL_CALIBRATE_H
#define APS_MODEL_CALIBRATE_H

#include <stddef.h>

#include "core/err.h"

enum aps_calib_method {
    APS_CALIB_NONE, APS_CALIB_ISOTONIC, APS_CALIB_PLATT, APS_CALIB_TEMPERATURE, APS_CALIB__COUNT
};

struct aps_calib {
    enum aps_calib_method method;
    double a, b;                /* platt: a, b; temperature: a = 1/T, b = 0 */
    double *x, *y;              /* isotonic blocks: mean p and fitted value, increasing x */
    size_t n;
};

const char *aps_calib_name(enum aps_calib_method m); /* "none", "isotonic", "platt", "temperature" */
int aps_calib_parse(const char *s);                  /* -1 when unknown */

/* Fits method on n binary pairs (p[i], y[i] in {0, 1}). APS_E_INVAL for n == 0 or a p outside
 * [0, 1]. c: cleanup frees; safe on a zeroed struct. */
int aps_calib_fit(enum aps_calib_method method, const double *p, const int *y, size_t n,
                  struct aps_calib *c) APS_MUST_CHECK;
/* The calibrated probability of class 0. */
double aps_calib_apply(const struct aps_calib *c, double p);
/* Three-way: fits the temperature (method must be NONE or TEMPERATURE) on n rows of k
 * probabilities p[i·k + c] and classes y[i]. */
int aps_calib_fit_multi(enum aps_calib_method method, const double *p, const int *y, size_t n,
                        int k, struct aps_calib *c) APS_MUST_CHECK;
/* Applies it to one row of k probabilities in place. */
void aps_calib_apply_multi(const struct aps_calib *c, double *p, int k);
void aps_calib_cleanup(struct aps_calib *c);

/* JSON object text (caller frees with aps_free) and back. */
char *aps_calib_to_json(const struct aps_calib *c);
int aps_calib_from_json(const char *json, struct aps_calib *c) APS_MUST_CHECK;

#endif
