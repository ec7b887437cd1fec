/* tier.c — signal tier classification, names and Kelly multipliers (see tier.h). */
#include "odds/tier.h"

#include <math.h>
#include <stddef.h>

#include "core/str.h"

static const char *tier_names[] = {"A", "B", "C", "D"};
static const double tier_multipliers[] = {1.0, 0.75, 0.5, 0.0};

void aps_tier_thresholds_default(struct aps_tier_thresholds *t)
{
    t->a_min = 0.65;
    t->b_min = 0.60;
    t->c_min = 0.55;
}

int aps_tier_thresholds_check(const struct aps_tier_thresholds *t)
{
    /* Written as positive conditions so that a NaN threshold fails the check. */
    if (t->c_min > 0.0 && t->c_min <= t->b_min && t->b_min <= t->a_min && t->a_min < 1.0)
        return 0;
    return APS_E_RANGE;
}

enum aps_tier aps_tier_classify(const struct aps_tier_thresholds *t, double p)
{
    if (p >= t->a_min)
        return APS_TIER_A;
    if (p >= t->b_min)
        return APS_TIER_B;
    if (p >= t->c_min)
        return APS_TIER_C;
    return APS_TIER_D;
}

const char *aps_tier_name(enum aps_tier tier)
{
    return (unsigned)tier < APS_TIER__COUNT ? tier_names[tier] : "?";
}

int aps_tier_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < APS_TIER__COUNT; i++)
        if (aps_str_eq_nocase(s, tier_names[i]))
            return i;
    return -1;
}

double aps_tier_multiplier(enum aps_tier tier)
{
    return (unsigned)tier < APS_TIER__COUNT ? tier_multipliers[tier] : 0.0;
}

bool aps_tier_actionable(enum aps_tier tier, double edge, double min_edge)
{
    return (tier == APS_TIER_A || tier == APS_TIER_B || tier == APS_TIER_C) && edge >= min_edge;
}
