/* grade.c — bet settlement in integer quarter-points (see grade.h).
 *
 * A line L (a multiple of 0.25) becomes the integer 4L, exactly, because multiples of 0.25 are
 * exact in binary floating point. Each market reduces to one signed quantity in quarter-points,
 * adj4 = 4·(what the selection needs to exceed) adjusted by the line; an even adj4 is a whole or
 * half line and its sign decides; an odd adj4 is a quarter line, settled as two half stakes at
 * adj4 − 1 and adj4 + 1. */
#include "odds/grade.h"

#include <math.h>
#include <string.h>

static const char *result_names[] = {"win", "loss", "push", "void", "half_win", "half_loss"};

const char *aps_grade_result_name(enum aps_grade_result r)
{
    return (unsigned)r < APS_GRADE__COUNT ? result_names[r] : "?";
}

int aps_grade_result_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < APS_GRADE__COUNT; i++)
        if (!strcmp(result_names[i], s))
            return i;
    return -1;
}

/* 4·line as an integer when line is a finite multiple of 0.25 within ±10^6 points. */
static int quarter_points(double line, long *out)
{
    if (!isfinite(line) || fabs(line) > 1e6)
        return APS_E_INVAL;
    double q = line * 4.0;
    if (q != floor(q))
        return APS_E_INVAL;
    *out = (long)q;
    return 0;
}

static int sign_of(long v)
{
    return (v > 0) - (v < 0);
}

/* Settles adj4 (quarter-points in the selection's favour). */
static enum aps_grade_result settle(long adj4)
{
    static const enum aps_grade_result whole[3] = {APS_GRADE_LOSS, APS_GRADE_PUSH, APS_GRADE_WIN};
    if (adj4 % 2 == 0)
        return whole[sign_of(adj4) + 1];
    /* adj4 is odd, so adj4 ± 1 are even and only half a point apart: the halves can be
     * win+win, win+push, push+loss or loss+loss, never win+loss. */
    int sum = sign_of(adj4 - 1) + sign_of(adj4 + 1);
    if (sum == 2)
        return APS_GRADE_WIN;
    if (sum == -2)
        return APS_GRADE_LOSS;
    if (sum == 1)
        return APS_GRADE_HALF_WIN;
    if (sum == -1)
        return APS_GRADE_HALF_LOSS;
    return APS_GRADE_PUSH;
}

/* The two functions below run on a pick that aps_grade_pick_valid() accepted. */
static enum aps_grade_result grade_moneyline(const struct aps_grade_pick *p, long margin)
{
    if (p->sel == APS_SEL_DRAW)
        return margin == 0 ? APS_GRADE_WIN : APS_GRADE_LOSS;
    long own = p->sel == APS_SEL_HOME ? margin : -margin;
    if (own == 0)
        return p->three_way ? APS_GRADE_LOSS : APS_GRADE_PUSH;
    return own > 0 ? APS_GRADE_WIN : APS_GRADE_LOSS;
}

static enum aps_grade_result grade_lined(const struct aps_grade_pick *p, long margin, long total)
{
    long l4 = 0;
    (void)quarter_points(p->line, &l4);
    switch (p->sel) {
    case APS_SEL_HOME: return settle(4 * margin + l4);
    case APS_SEL_AWAY: return settle(-4 * margin + l4);
    case APS_SEL_OVER: return settle(4 * total - l4);
    default: return settle(l4 - 4 * total); /* under */
    }
}

bool aps_grade_splits(enum aps_market market, double line)
{
    long l4;
    return (market == APS_MKT_SPREAD || market == APS_MKT_TOTAL) && !quarter_points(line, &l4) &&
           l4 % 2 != 0;
}

bool aps_grade_pick_valid(const struct aps_grade_pick *p)
{
    long l4;
    switch (p->market) {
    case APS_MKT_MONEYLINE:
        return p->sel == APS_SEL_HOME || p->sel == APS_SEL_AWAY ||
               (p->sel == APS_SEL_DRAW && p->three_way);
    case APS_MKT_SPREAD:
        return (p->sel == APS_SEL_HOME || p->sel == APS_SEL_AWAY) && !quarter_points(p->line, &l4);
    case APS_MKT_TOTAL:
        return (p->sel == APS_SEL_OVER || p->sel == APS_SEL_UNDER) && !quarter_points(p->line, &l4);
    default:
        return false;
    }
}

int aps_grade_bet(const struct aps_grade_pick *pick, const struct aps_grade_score *score,
                  enum aps_grade_result *out)
{
    if (!pick || !score || !out || !aps_grade_pick_valid(pick))
        return APS_E_INVAL;
    if (score->status == APS_GS_CANCELLED) {
        *out = APS_GRADE_VOID;
        return 0;
    }
    if (score->status != APS_GS_FINAL || score->home < 0 || score->away < 0)
        return APS_E_STATE;
    long margin = (long)score->home - score->away;
    long total = (long)score->home + score->away;
    *out = pick->market == APS_MKT_MONEYLINE ? grade_moneyline(pick, margin)
                                             : grade_lined(pick, margin, total);
    return 0;
}

int aps_grade_settle(const struct aps_grade_pick *pick, const struct aps_grade_game *g,
                     const struct aps_grade_clock *clock, enum aps_grade_result *out)
{
    if (!pick || !g || !clock || !out)
        return APS_E_INVAL;
    if ((unsigned)g->status >= APS_GS__COUNT)
        return APS_E_STATE; /* a status the store should not hold: left for a person */
    int64_t grace = clock->grace_s > 0 ? clock->grace_s : 0;
    int64_t deadline = g->booked_start > INT64_MAX - grace ? INT64_MAX : g->booked_start + grace;
    bool late = g->start > deadline; /* played, or to be played, after the grace period */
    if (g->status == APS_GS_FINAL && !late) {
        struct aps_grade_score sc = {g->home, g->away, APS_GS_FINAL};
        return aps_grade_bet(pick, &sc, out);
    }
    bool void_now = g->status == APS_GS_CANCELLED || g->status == APS_GS_FINAL ||
                    ((g->status == APS_GS_POSTPONED || late) && clock->now >= deadline);
    if (!void_now)
        return APS_E_STATE;
    *out = APS_GRADE_VOID;
    return 0;
}

double aps_grade_profit(enum aps_grade_result r, double stake, double dec)
{
    switch (r) {
    case APS_GRADE_WIN: return stake * (dec - 1.0);
    case APS_GRADE_HALF_WIN: return stake * (dec - 1.0) / 2.0;
    case APS_GRADE_LOSS: return -stake;
    case APS_GRADE_HALF_LOSS: return -stake / 2.0;
    default: return 0.0;
    }
}
