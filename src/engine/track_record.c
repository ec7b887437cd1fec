/* track_record.c — counting and summarising a graded record (see track_record.h). */
#include "engine/track_record.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "odds/grade.h"
#include "odds/scoring.h"

/* Whether the result's quoted name stands in the SQL list (APS_RECORD_WIN_RESULTS, …). */
static bool in_list(const char *list, int result)
{
    char quoted[32];
    int n = snprintf(quoted, sizeof quoted, "'%s'", aps_grade_result_name(result));
    return n > 0 && (size_t)n < sizeof quoted && strstr(list, quoted) != NULL;
}

void aps_record_add(struct aps_record *r, const struct aps_record_rows *a)
{
    r->n += a->count;
    if (in_list(APS_RECORD_WIN_RESULTS, a->result))
        r->wins += a->count;
    else if (in_list(APS_RECORD_LOSS_RESULTS, a->result))
        r->losses += a->count;
    else if (a->result == APS_GRADE_PUSH)
        r->pushes += a->count;
    else if (a->result == APS_GRADE_VOID)
        r->voids += a->count;
    if (a->result != APS_GRADE_VOID)
        r->staked += a->staked;
    r->profit += a->profit;
    r->clv_n += a->clv_n;
    r->clv_pos += a->clv_pos;
    r->clv_sum += a->clv_sum;
    if (a->clv_n > 0)
        r->clv_units |= a->clv_unit;
}

void aps_record_summarize(const struct aps_record *r, struct aps_record_summary *out)
{
    int64_t decided = r->wins + r->losses;
    out->win_rate_lo = out->win_rate_hi = NAN;
    if (decided > 0 && aps_score_wilson((size_t)r->wins, (size_t)decided, 1.96,
                                          &out->win_rate_lo, &out->win_rate_hi))
        out->win_rate_lo = out->win_rate_hi = NAN;
    out->win_rate = decided ? (double)r->wins / (double)decided : NAN;
    out->roi = r->staked > 0 ? r->profit / r->staked : NAN;
    bool one_unit = r->clv_units == APS_RECORD_CLV_PRICE || r->clv_units == APS_RECORD_CLV_POINTS;
    out->clv_mean = r->clv_n && one_unit ? r->clv_sum / (double)r->clv_n : NAN;
    out->clv_positive_share = r->clv_n ? (double)r->clv_pos / (double)r->clv_n : NAN;
}

void aps_record_clv_histogram(const double *clv, size_t n, struct aps_record_clv_hist *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        if (!i || clv[i] < out->lo)
            out->lo = clv[i];
        if (!i || clv[i] > out->hi)
            out->hi = clv[i];
    }
    if (!n)
        return;
    out->width = out->hi > out->lo ? (out->hi - out->lo) / APS_RECORD_CLV_BINS : 1;
    for (size_t i = 0; i < n; i++) {
        int b = (int)((clv[i] - out->lo) / out->width);
        out->count[b < 0 ? 0 : b >= APS_RECORD_CLV_BINS ? APS_RECORD_CLV_BINS - 1 : b]++;
    }
    out->nbins = out->hi > out->lo ? APS_RECORD_CLV_BINS : 1;
}
