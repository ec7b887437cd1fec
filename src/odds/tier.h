/* tier.h — signal tiers (platform-spec §3.6, DESIGN §8).
 *
 * A pick's tier comes from the calibrated probability p of the predicted side: A if p >= a_min,
 * B if p >= b_min, C if p >= c_min, D below (defaults 0.65 / 0.60 / 0.55, the SIGNAL_TIER_*
 * settings). A pick is actionable only with edge >= MIN_EDGE_THRESHOLD and a tier other than D;
 * D is tracked, never staked. The tier scales the fractional Kelly stake: A 1.0, B 0.75, C 0.5,
 * D 0. */
#ifndef APS_ODDS_TIER_H
#define APS_ODDS_TIER_H

#include <stdbool.h>

#include "core/err.h"

enum aps_tier { APS_TIER_A, APS_TIER_B, APS_TIER_C, APS_TIER_D, APS_TIER__COUNT };

struct aps_tier_thresholds {
    double a_min, b_min, c_min;
};

/* Fills t with 0.65 / 0.60 / 0.55. */
void aps_tier_thresholds_default(struct aps_tier_thresholds *t);
/* 0 when 0 < c_min <= b_min <= a_min < 1, else APS_E_RANGE. */
int aps_tier_thresholds_check(const struct aps_tier_thresholds *t) APS_MUST_CHECK;
/* The tier of probability p (a NaN p is D). */
enum aps_tier aps_tier_classify(const struct aps_tier_thresholds *t, double p);
/* "A".."D"; "?" for an unknown value. */
const char *aps_tier_name(enum aps_tier tier);
/* The tier for "A".."D" (case-insensitive); -1 when unknown. */
int aps_tier_parse(const char *s);
/* Kelly multiplier: A 1.0, B 0.75, C 0.5, D and unknown 0. */
double aps_tier_multiplier(enum aps_tier tier);
/* True when tier is A, B or C and edge >= min_edge. */
bool aps_tier_actionable(enum aps_tier tier, double edge, double min_edge);

#endif
