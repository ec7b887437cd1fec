/* feat_market.c — the market columns of a game's features: what the books said before the game.
 *
 * Only the open and pre-match phases are read (a live feed's snapshots and the close are not
 * features of the same game). The entry phase is the open when any book quotes it, else the
 * pre-match phase. No-vig probabilities are multiplicative per complete book (every side
 * quoted), averaged over the bookmakers; the market average/consensus rows stand in only when no
 * single book is complete, and the market maximum never (it is not one book's price). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/feat_int.h"
#include "odds/margin.h"

#define MAXB 64

struct phase_view {
    int used;                /* complete books averaged */
    double avg[3];           /* average no-vig per side */
    double sd0;              /* standard deviation of side 0 over the books */
    double book0[MAXB];      /* side-0 no-vig per book, NAN */
};

static double logit(double p)
{
    if (!(p > 0 && p < 1))
        return NAN;
    return log(p / (1 - p));
}

static int sides_of(enum aps_market m, bool three_way, enum aps_selection s[3])
{
    if (m == APS_MKT_TOTAL) {
        s[0] = APS_SEL_OVER;
        s[1] = APS_SEL_UNDER;
        return 2;
    }
    s[0] = APS_SEL_HOME;
    s[1] = APS_SEL_AWAY;
    if (m == APS_MKT_MONEYLINE && three_way) {
        s[1] = APS_SEL_DRAW;
        s[2] = APS_SEL_AWAY;
        return 3;
    }
    return 2;
}

/* A quote a feature of game g may read: not one taken after the game's start (a live snapshot
 * of the game in play, or a pre-match quote recorded late). The close is read only as a label
 * and for later games' form, never as a feature of its own game. */
static bool before_start(const struct aps_hist_game *g, const struct aps_hist_quote *q)
{
    return q->phase == APS_PHASE_CLOSE || q->recorded_at <= g->start_time;
}

double aps_feat_main_line(const struct aps_history *h, size_t gi, enum aps_market m,
                          enum aps_phase ph)
{
    const struct aps_hist_game *g = &h->games[gi];
    enum aps_selection s0 = m == APS_MKT_TOTAL ? APS_SEL_OVER : APS_SEL_HOME;
    double lines[MAXB];
    int counts[MAXB], n = 0, best = -1;
    for (size_t i = g->q0; i < g->q0 + g->nq; i++) {
        const struct aps_hist_quote *q = &h->quotes[i];
        if (q->market != m || q->phase != ph || q->sel != s0 || isnan(q->line) ||
            !before_start(g, q))
            continue;
        int j = 0;
        while (j < n && lines[j] != q->line)
            j++;
        if (j == n && n < MAXB) {
            lines[n] = q->line;
            counts[n++] = 0;
        }
        if (j < n)
            counts[j]++;
    }
    for (int j = 0; j < n; j++)
        if (best < 0 || counts[j] > counts[best])
            best = j;
    return best < 0 ? NAN : lines[best];
}

/* Averages the no-vig probabilities of the complete books of one kind (aggregate or not). */
static void average(const struct aps_history *h, double price[][3], const bool *seen, int ns,
                    bool agg, struct phase_view *pv)
{
    double s0 = 0, s00 = 0;
    for (size_t b = 0; b < h->nbooks && b < MAXB; b++) {
        pv->book0[b] = NAN;
        if (!seen[b] || h->books[b].aggregate != agg || !strcmp(h->books[b].key, "max"))
            continue;
        double p[3];
        if (aps_margin_remove(APS_MARGIN_MULTIPLICATIVE, price[b], (size_t)ns, p))
            continue;
        for (int j = 0; j < ns; j++)
            pv->avg[j] += p[j];
        pv->book0[b] = p[0];
        s0 += p[0];
        s00 += p[0] * p[0];
        pv->used++;
    }
    if (!pv->used)
        return;
    for (int j = 0; j < ns; j++)
        pv->avg[j] /= pv->used;
    double mean = s0 / pv->used, var = s00 / pv->used - mean * mean;
    pv->sd0 = var > 0 ? sqrt(var) : 0;
}

/* The no-vig view of market m at phase ph (at `line` for spreads and totals). False when no
 * complete book quotes it. */
static bool phase_view(const struct aps_history *h, size_t gi, enum aps_market m, bool three_way,
                       enum aps_phase ph, double line, struct phase_view *pv)
{
    const struct aps_hist_game *g = &h->games[gi];
    enum aps_selection sel[3];
    int ns = sides_of(m, three_way, sel);
    double price[MAXB][3];
    int64_t at[MAXB][3];
    bool seen[MAXB] = {false};
    memset(pv, 0, sizeof *pv);
    if (m != APS_MKT_MONEYLINE && isnan(line))
        return false;
    for (size_t i = g->q0; i < g->q0 + g->nq; i++) {
        const struct aps_hist_quote *q = &h->quotes[i];
        if (q->market != m || q->phase != ph || q->book >= MAXB || !before_start(g, q))
            continue;
        int k = -1;
        for (int j = 0; j < ns; j++)
            if (sel[j] == q->sel)
                k = j;
        double want = m == APS_MKT_SPREAD && k == 1 ? -line : line;
        if (k < 0 || (m != APS_MKT_MONEYLINE && q->line != want))
            continue;
        if (!seen[q->book]) {
            seen[q->book] = true;
            price[q->book][0] = price[q->book][1] = price[q->book][2] = NAN;
            at[q->book][0] = at[q->book][1] = at[q->book][2] = INT64_MIN;
        }
        /* a book's latest quote of the side wins (ties: the later stored) */
        if (isnan(price[q->book][k]) || q->recorded_at >= at[q->book][k]) {
            price[q->book][k] = q->price;
            at[q->book][k] = q->recorded_at;
        }
    }
    for (size_t b = 0; b < h->nbooks && b < MAXB; b++)
        for (int j = 0; seen[b] && j < ns; j++)
            if (isnan(price[b][j]))
                seen[b] = false;
    average(h, price, seen, ns, false, pv);
    if (!pv->used)
        average(h, price, seen, ns, true, pv);
    return pv->used > 0;
}

static void moneyline_cols(const struct aps_feat_state *st, size_t gi, double *f)
{
    struct phase_view open, pre;
    bool has_open = phase_view(st->h, gi, APS_MKT_MONEYLINE, st->three_way, APS_PHASE_OPEN, NAN,
                               &open);
    bool has_pre = phase_view(st->h, gi, APS_MKT_MONEYLINE, st->three_way, APS_PHASE_PRE, NAN, &pre);
    /* A game without pre-match prices but priced by the live collectors (phase live: every
     * snapshot recorded before the start, the latest per book) reads its current prices as the
     * pre-match ones: the entry when there is no open, the end of the open → pre move when there
     * is. Historical files never have live snapshots, so training rows are unchanged. */
    if (!has_pre)
        has_pre = phase_view(st->h, gi, APS_MKT_MONEYLINE, st->three_way, APS_PHASE_LIVE, NAN,
                             &pre);
    const struct phase_view *e = has_open ? &open : has_pre ? &pre : NULL;
    f[APS_F_ML_BOOKS] = e ? e->used : 0;
    if (!e)
        return;
    f[APS_F_ML_HOME] = logit(e->avg[0]);
    if (st->three_way) {
        f[APS_F_ML_DRAW] = logit(e->avg[1]);
        f[APS_F_ML_AWAY] = logit(e->avg[2]);
    }
    f[APS_F_ML_SD] = e->sd0;
    if (has_open && has_pre)
        f[APS_F_ML_MOVE] = logit(pre.avg[0]) - logit(open.avg[0]);
    for (int b = 0; b < APS_FEAT_BOOKS; b++)
        if (st->book_index[b] >= 0 && st->book_index[b] < MAXB)
            f[APS_F_BOOK0 + b] = logit(e->book0[st->book_index[b]]);
}

/* Line, its no-vig price and the open → pre move of a spread or total. */
static void line_cols(const struct aps_feat_state *st, size_t gi, enum aps_market m, double *line,
                      double *p, double *move)
{
    double lo = aps_feat_main_line(st->h, gi, m, APS_PHASE_OPEN);
    double lp = aps_feat_main_line(st->h, gi, m, APS_PHASE_PRE);
    enum aps_phase pre_phase = APS_PHASE_PRE;
    if (isnan(lp)) {
        /* no pre-match line: the live snapshots' current line stands for it (see above) */
        lp = aps_feat_main_line(st->h, gi, m, APS_PHASE_LIVE);
        pre_phase = APS_PHASE_LIVE;
    }
    double l = isnan(lo) ? lp : lo;
    struct phase_view pv;
    *line = l;
    if (phase_view(st->h, gi, m, false, isnan(lo) ? pre_phase : APS_PHASE_OPEN, l, &pv))
        *p = logit(pv.avg[0]);
    if (!isnan(lo) && !isnan(lp))
        *move = lp - lo;
}

void aps_feat_market_cols(const struct aps_feat_state *st, size_t gi, double *f)
{
    moneyline_cols(st, gi, f);
    line_cols(st, gi, APS_MKT_SPREAD, &f[APS_F_SPREAD], &f[APS_F_SPREAD_P], &f[APS_F_SPREAD_MOVE]);
    line_cols(st, gi, APS_MKT_TOTAL, &f[APS_F_TOTAL], &f[APS_F_TOTAL_P], &f[APS_F_TOTAL_MOVE]);
}

/* What a finished game's market said, as the market-implied ratings learn it: the closing market
 * when books quoted it, else the entry (open, else pre-match). The moneyline as the no-vig home
 * log-odds (home against away when three-way); the spread as the home margin its main line
 * implies; the total as its main line. NAN where the game has no such prices. */
void aps_feat_market_targets(const struct aps_feat_state *st, size_t gi, double out[3])
{
    static const enum aps_phase order[] = {APS_PHASE_CLOSE, APS_PHASE_OPEN, APS_PHASE_PRE};
    out[0] = out[1] = out[2] = NAN;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        struct phase_view pv;
        if (isnan(out[0]) &&
            phase_view(st->h, gi, APS_MKT_MONEYLINE, st->three_way, order[i], NAN, &pv)) {
            double home = pv.avg[0], away = pv.avg[st->three_way ? 2 : 1];
            if (home > 0 && away > 0)
                out[0] = log(home / away);
        }
        if (isnan(out[1]))
            out[1] = -aps_feat_main_line(st->h, gi, APS_MKT_SPREAD, order[i]);
        if (isnan(out[2]))
            out[2] = aps_feat_main_line(st->h, gi, APS_MKT_TOTAL, order[i]);
    }
}
