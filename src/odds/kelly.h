/* kelly.h — edge, expected value and Kelly stake sizing (platform-spec §3.3–3.5, DESIGN §8).
 *
 *   edge        = p − no-vig market probability of the same side (p − 1/d when no no-vig
 *                 probability is given, i.e. against the raw implied probability)
 *   EV per unit = p·d − 1;  money EV = p·W − q·L with W = stake·(d − 1), L = stake
 *   full Kelly  f* = (p·d − 1)/(d − 1)
 *   stake       = bankroll · min(f* · kelly_fraction · tier multiplier, max_bet_percent)
 * Tier (docs/models.md has the walk-forward evidence): the worse of the probability tier (A if
 * p >= SIGNAL_TIER_A_MIN, B >= B_MIN, C >= C_MIN, else D) and the edge tier (A if
 * edge >= 2 · MIN_EDGE_THRESHOLD, B >= 1.5 ·, C >= 1 ·, else D): value first, gated by the
 * model's confidence.
 * No bet (should_bet false, stake 0, tier reported D, reason says why), in this order: edge <= 0
 * ("negative edge"), edge above max_edge when one is set, edge < min_edge, tier D (probability
 * below SIGNAL_TIER_C_MIN), f* <= 0, or a stake below min_bet_size (never rounded up: rounding up
 * could break the cap). A bet's tier is never D and its stake never 0.
 * Parameters are passed in, never global; the caller fills them from the settings
 * (KELLY_FRACTION, MAX_BET_PERCENT, MIN_EDGE_THRESHOLD, SIGNAL_TIER_*, MIN_BET_SIZE). */
#ifndef APS_ODDS_KELLY_H
#define APS_ODDS_KELLY_H

#include <stdbool.h>

#include "core/err.h"
#include "odds/tier.h"

struct aps_kelly_params {
    double kelly_fraction;  /* 0.25: quarter Kelly */
    double max_bet_percent; /* 0.02: cap as a fraction of bankroll (not a percentage) */
    double min_edge;        /* 0.03 */
    double tier_a_min, tier_b_min, tier_c_min; /* 0.65, 0.60, 0.55 */
    double min_bet_size;    /* 10: smallest stake in money */
    double max_edge;        /* edges above it are not believed (no bet); 0: no cap */
};

/* One bet to size. */
struct aps_kelly_input {
    double probability; /* calibrated probability of the side bet on, in (0, 1) */
    double decimal;     /* offered decimal price, > 1 */
    double no_vig;      /* no-vig market probability of the same side; NAN when unknown */
    double bankroll;    /* > 0 */
    int tier;           /* an enum aps_tier, or -1 to classify probability with the params */
};

struct aps_kelly_sizing {
    double probability;
    double decimal;
    double implied;          /* 1/d */
    double no_vig;           /* as given (NAN when not) */
    double edge;             /* p − no_vig, or p − implied when no_vig is NAN */
    double ev;               /* per unit staked: p·d − 1 */
    double ev_amount;        /* money EV of the recommended stake (0 when no bet) */
    double full_kelly;       /* f*, may be negative */
    double fractional_kelly; /* max(f*, 0) · kelly_fraction · tier multiplier, before the cap */
    double stake;            /* money; 0 when should_bet is false */
    double units;            /* stake as % of bankroll (1 unit = 1 %) */
    enum aps_tier tier;
    bool should_bet;
    const char *reason;      /* static text: "bet", "negative edge", "edge below
                                MIN_EDGE_THRESHOLD", ... */
};

/* Fills p with the reference defaults: 0.25, 0.02, 0.03, 0.65/0.60/0.55, 10. */
void aps_kelly_params_default(struct aps_kelly_params *p);
/* 0 when every parameter is in range (fractions in (0, 1], min_edge >= 0, ordered tiers,
 * min_bet_size >= 0), else APS_E_RANGE. */
int aps_kelly_params_check(const struct aps_kelly_params *p) APS_MUST_CHECK;

/* Edge p − fair (fair: no-vig probability of the same side). */
double aps_kelly_edge(double p, double fair);
/* Expected value per unit staked, p·d − 1. */
double aps_kelly_ev(double p, double dec);
/* Money EV of a stake: p·stake·(d − 1) − (1 − p)·stake. */
double aps_kelly_ev_amount(double p, double dec, double stake);
/* Full Kelly fraction (p·d − 1)/(d − 1); may be negative. dec must be > 1. */
double aps_kelly_full(double p, double dec);

/* The tier of a pick with probability p and edge (the rule above; D when it is not one). */
enum aps_tier aps_kelly_tier(const struct aps_kelly_params *kp, double p, double edge);

/* Sizes one bet. APS_E_INVAL for a bad input (p outside (0, 1), d <= 1, bankroll <= 0, no_vig
 * neither NAN nor in (0, 1), unknown tier) or parameters failing aps_kelly_params_check; *out is
 * then untouched. */
int aps_kelly_size(const struct aps_kelly_params *kp, const struct aps_kelly_input *in,
                   struct aps_kelly_sizing *out) APS_MUST_CHECK;

#endif
