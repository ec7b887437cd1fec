/* kelly.c — edge, EV and fractional Kelly sizing with the tier multiplier and the cap (kelly.h).
 *
 * The reference's kelly_calculator.py reported "expected_value = edge × stake", which is not an
 * expected value; here EV is always p·d − 1 per unit (and p·W − q·L in money). */
#include "odds/kelly.h"

#include <math.h>
#include <stddef.h>

void aps_kelly_params_default(struct aps_kelly_params *p)
{
    p->kelly_fraction = 0.25;
    p->max_bet_percent = 0.02;
    p->min_edge = 0.03;
    p->tier_a_min = 0.65;
    p->tier_b_min = 0.60;
    p->tier_c_min = 0.55;
    p->min_bet_size = 10.0;
    p->max_edge = 0;
}

static struct aps_tier_thresholds thresholds_of(const struct aps_kelly_params *p)
{
    struct aps_tier_thresholds t = {p->tier_a_min, p->tier_b_min, p->tier_c_min};
    return t;
}

int aps_kelly_params_check(const struct aps_kelly_params *p)
{
    struct aps_tier_thresholds t = thresholds_of(p);
    /* Positive conditions, so that NaN fails every one of them. */
    if (!(p->kelly_fraction > 0.0 && p->kelly_fraction <= 1.0))
        return APS_E_RANGE;
    if (!(p->max_bet_percent > 0.0 && p->max_bet_percent <= 1.0))
        return APS_E_RANGE;
    if (!(p->min_edge >= 0.0 && p->min_edge < 1.0))
        return APS_E_RANGE;
    if (!(p->min_bet_size >= 0.0 && isfinite(p->min_bet_size)))
        return APS_E_RANGE;
    return aps_tier_thresholds_check(&t);
}

double aps_kelly_edge(double p, double fair)
{
    return p - fair;
}

double aps_kelly_ev(double p, double dec)
{
    return p * dec - 1.0;
}

double aps_kelly_ev_amount(double p, double dec, double stake)
{
    return p * stake * (dec - 1.0) - (1.0 - p) * stake;
}

double aps_kelly_full(double p, double dec)
{
    return (p * dec - 1.0) / (dec - 1.0);
}

static int input_valid(const struct aps_kelly_input *in)
{
    if (!(in->probability > 0.0 && in->probability < 1.0))
        return 0;
    if (!(in->decimal > 1.0 && isfinite(in->decimal)))
        return 0;
    if (!(in->bankroll > 0.0 && isfinite(in->bankroll)))
        return 0;
    if (!isnan(in->no_vig) && !(in->no_vig > 0.0 && in->no_vig < 1.0))
        return 0;
    return in->tier >= -1 && in->tier < APS_TIER__COUNT;
}

/* The first rule that stops the bet, or NULL when it passes all of them. */
static const char *gate(const struct aps_kelly_params *kp, const struct aps_kelly_sizing *s,
                        double stake)
{
    if (!(s->edge > 0.0))
        return "negative edge";
    if (kp->max_edge > 0.0 && s->edge > kp->max_edge)
        return "edge above the largest the model's walk-forward record supports";
    if (!(s->edge >= kp->min_edge))
        return "edge below MIN_EDGE_THRESHOLD";
    if (s->tier == APS_TIER_D)
        return "probability below SIGNAL_TIER_C_MIN";
    if (!(s->full_kelly > 0.0))
        return "no positive expected value";
    if (stake < kp->min_bet_size || !(stake > 0.0))
        return "stake below minimum bet size";
    return NULL;
}

enum aps_tier aps_kelly_tier(const struct aps_kelly_params *kp, double p, double edge)
{
    struct aps_tier_thresholds t = thresholds_of(kp);
    enum aps_tier by_p = aps_tier_classify(&t, p);
    enum aps_tier by_edge = edge >= 2 * kp->min_edge     ? APS_TIER_A
                            : edge >= 1.5 * kp->min_edge ? APS_TIER_B
                            : edge >= kp->min_edge       ? APS_TIER_C
                                                         : APS_TIER_D;
    return by_p > by_edge ? by_p : by_edge;
}

int aps_kelly_size(const struct aps_kelly_params *kp, const struct aps_kelly_input *in,
                   struct aps_kelly_sizing *out)
{
    if (!kp || !in || !out || aps_kelly_params_check(kp) || !input_valid(in))
        return APS_E_INVAL;
    struct aps_kelly_sizing s = {0};
    s.probability = in->probability;
    s.decimal = in->decimal;
    s.implied = 1.0 / in->decimal;
    s.no_vig = in->no_vig;
    s.edge = aps_kelly_edge(in->probability, isnan(in->no_vig) ? s.implied : in->no_vig);
    s.ev = aps_kelly_ev(in->probability, in->decimal);
    s.full_kelly = aps_kelly_full(in->probability, in->decimal);
    s.tier = in->tier < 0 ? aps_kelly_tier(kp, in->probability, s.edge) : (enum aps_tier)in->tier;
    double f = s.full_kelly > 0.0 ? s.full_kelly : 0.0;
    s.fractional_kelly = f * kp->kelly_fraction * aps_tier_multiplier(s.tier);
    double capped = fmin(s.fractional_kelly, kp->max_bet_percent);
    double stake = in->bankroll * capped;
    s.reason = gate(kp, &s, stake);
    s.should_bet = s.reason == NULL;
    if (s.should_bet) {
        s.reason = "bet";
        s.stake = stake;
        s.units = capped * 100.0;
        s.ev_amount = aps_kelly_ev_amount(in->probability, in->decimal, stake);
    } else {
        s.tier = APS_TIER_D; /* no bet: no tier */
    }
    *out = s;
    return 0;
}
