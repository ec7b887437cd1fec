/* margin.h — the bookmaker's margin (overround) and its removal (platform-spec §3.2, DESIGN §8).
 *
 * A market of n mutually exclusive outcomes (2: home/away, over/under; 3: home/draw/away) is given
 * as decimal prices d_i or raw implied probabilities π_i = 1/d_i, whose sum exceeds 1 by the
 * overround. Removal turns them into fair probabilities p_i that sum to 1 and keep the order of
 * the π_i. Four methods, chosen by configuration:
 *   multiplicative  p_i = π_i / Σπ (normalisation; the reference's "no-vig").
 *   additive        p_i = π_i − (Σπ − 1)/n (the same share off every outcome). A longshot can go
 *                   negative: such outcomes are clamped to 0 and the margin is spread again over
 *                   the others, until none is negative (so the sum stays exactly 1).
 *   power           p_i = π_i^k with k found by bisection so that Σ π_i^k = 1 (k > 1 with a margin:
 *                   longshots lose proportionally more).
 *   shin            Shin's insider-trading model: p_i = (sqrt(z² + 4(1−z)·π_i²/Σπ) − z) / (2(1−z)),
 *                   with the insider share z in [0, 1) found by bisection so that Σ p_i = 1.
 *                   An under-round book (Σπ <= 1) has no z >= 0; it falls back to multiplicative.
 * Power and Shin end with a division by the solved sum, which removes the solver's residual
 * (< 1e-14), so Σ p_i = 1 to rounding for every method. Pure functions, no allocation. */
#ifndef APS_ODDS_MARGIN_H
#define APS_ODDS_MARGIN_H

#include <stddef.h>

#include "core/err.h"

#define APS_MARGIN_MAX_OUTCOMES 64

enum aps_margin_method {
    APS_MARGIN_MULTIPLICATIVE,
    APS_MARGIN_ADDITIVE,
    APS_MARGIN_POWER,
    APS_MARGIN_SHIN,
    APS_MARGIN__COUNT
};

/* "multiplicative", "additive", "power", "shin"; "?" for an unknown value. */
const char *aps_margin_method_name(enum aps_margin_method m);
/* The method for its exact lower-case name; -1 when unknown. */
int aps_margin_method_parse(const char *s);

/* Overround V = Σ 1/d_i − 1 of n decimal prices (−110/−110 → 0.0476). APS_E_INVAL when n < 2 or a
 * price is not > 1. */
int aps_margin_overround(const double *dec, size_t n, double *out) APS_MUST_CHECK;
/* The bookmaker's hold 1 − 1/(1 + V) for an overround V > −1 (0.0476 → 0.0455). */
double aps_margin_hold(double overround);

/* Fair probabilities from n raw implied probabilities (each in (0, 1)) by method m, written to
 * out[0..n-1] (caller's array; it may not alias implied). APS_E_INVAL for n < 2, a bad
 * probability or method; APS_E_TOOBIG for n > APS_MARGIN_MAX_OUTCOMES. */
int aps_margin_remove_probs(enum aps_margin_method m, const double *implied, size_t n,
                            double *out) APS_MUST_CHECK;
/* The same from n decimal prices (each > 1). */
int aps_margin_remove(enum aps_margin_method m, const double *dec, size_t n,
                      double *out) APS_MUST_CHECK;

#endif
