/* domain.c — names of the fixed vocabularies in domain.h. */
#include "core/domain.h"

#include <string.h>

#include "core/str.h"

static const struct aps_sport_info sports[] = {
#define APS_SPORT(code, name, odds_key, espn, kind, three_way) \
    {#code, name, odds_key, espn, APS_KIND_##kind, three_way},
#include "core/sports.def"
#undef APS_SPORT
};

const struct aps_sport_info *aps_sport_info(enum aps_sport s)
{
    return (unsigned)s < APS_SPORT__COUNT ? &sports[s] : NULL;
}

int aps_sport_from_code(const char *code)
{
    for (int i = 0; i < APS_SPORT__COUNT; i++)
        if (aps_str_eq_nocase(code, sports[i].code))
            return i;
    return -1;
}

static const char *market_names[] = {"moneyline", "spread", "total"};
static const char *selection_names[] = {"home", "away", "draw", "over", "under"};
static const char *phase_names[] = {"open", "pre", "close", "live"};
static const char *status_names[] = {"scheduled", "in_progress", "final", "postponed", "cancelled"};

/* The first letters are compared before the whole names: the history loader parses three of
 * these per odds row. */
static int lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (names[i][0] == s[0] && !strcmp(names[i], s))
            return i;
    return -1;
}

const char *aps_market_name(enum aps_market m)
{
    return (unsigned)m < APS_MKT__COUNT ? market_names[m] : "?";
}
const char *aps_selection_name(enum aps_selection s)
{
    return (unsigned)s < APS_SEL__COUNT ? selection_names[s] : "?";
}
const char *aps_phase_name(enum aps_phase p)
{
    return (unsigned)p < APS_PHASE__COUNT ? phase_names[p] : "?";
}
const char *aps_status_name(enum aps_game_status s)
{
    return (unsigned)s < APS_GS__COUNT ? status_names[s] : "?";
}
int aps_market_parse(const char *s)
{
    return lookup(market_names, APS_MKT__COUNT, s);
}
int aps_selection_parse(const char *s)
{
    return lookup(selection_names, APS_SEL__COUNT, s);
}
int aps_phase_parse(const char *s)
{
    return lookup(phase_names, APS_PHASE__COUNT, s);
}
int aps_status_parse(const char *s)
{
    return lookup(status_names, APS_GS__COUNT, s);
}

int aps_market_sides(enum aps_market m, bool three_way, enum aps_selection out[3])
{
    if (m == APS_MKT_TOTAL) {
        out[0] = APS_SEL_OVER;
        out[1] = APS_SEL_UNDER;
        return 2;
    }
    out[0] = APS_SEL_HOME;
    out[1] = APS_SEL_AWAY;
    if (m == APS_MKT_MONEYLINE && three_way) {
        out[1] = APS_SEL_DRAW;
        out[2] = APS_SEL_AWAY;
        return 3;
    }
    return 2;
}

int aps_market_side_index(enum aps_market m, bool three_way, enum aps_selection sel)
{
    enum aps_selection s[3];
    if ((unsigned)m >= APS_MKT__COUNT)
        return -1;
    int n = aps_market_sides(m, three_way, s);
    for (int i = 0; i < n; i++)
        if (s[i] == sel)
            return i;
    return -1;
}
