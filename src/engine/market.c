/* market.c — entry and closing prices of one game's market (see market.h). */
#include "engine/market.h"

#include "engine/predictor.h"

#include <math.h>
#include <string.h>

#define MAX_BOOKS 64

static int sides_of(enum aps_market m, bool three_way, enum aps_selection out[3])
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

/* Prices of every book at one phase: price[book][side] at the wanted line (NAN when absent). */
struct book_prices {
    double price[MAX_BOOKS][3];
    double line[MAX_BOOKS][3];
    bool seen[MAX_BOOKS];
};

/* The line of side 0 that most books quote at this phase (spread/total); NAN for moneyline. */
static double main_line(const struct aps_history *h, const struct aps_hist_game *g,
                        enum aps_market m, enum aps_selection s0, enum aps_phase ph, bool agg)
{
    if (m == APS_MKT_MONEYLINE)
        return NAN;
    double lines[MAX_BOOKS];
    int counts[MAX_BOOKS], n = 0;
    for (size_t i = g->q0; i < g->q0 + g->nq; i++) {
        const struct aps_hist_quote *q = &h->quotes[i];
        if (q->market != m || q->phase != ph || q->sel != s0 || isnan(q->line) ||
            h->books[q->book].aggregate != agg)
            continue;
        int j = 0;
        while (j < n && lines[j] != q->line)
            j++;
        if (j == n && n < MAX_BOOKS) {
            lines[n] = q->line;
            counts[n++] = 0;
        }
        if (j < n)
            counts[j]++;
    }
    int best = -1;
    for (int j = 0; j < n; j++)
        if (best < 0 || counts[j] > counts[best])
            best = j;
    return best < 0 ? NAN : lines[best];
}

/* Fills bp for phase ph, books of the given aggregate kind, at the main line. */
static bool gather(const struct aps_history *h, const struct aps_hist_game *g, enum aps_market m,
                   const enum aps_selection *sel, int ns, enum aps_phase ph, bool agg,
                   struct book_prices *bp)
{
    memset(bp->seen, 0, sizeof bp->seen);
    double ml = main_line(h, g, m, sel[0], ph, agg);
    if (m != APS_MKT_MONEYLINE && isnan(ml))
        return false;
    bool any = false;
    for (size_t i = g->q0; i < g->q0 + g->nq; i++) {
        const struct aps_hist_quote *q = &h->quotes[i];
        if (q->market != m || q->phase != ph || q->book >= MAX_BOOKS ||
            h->books[q->book].aggregate != agg)
            continue;
        int k = -1;
        for (int j = 0; j < ns; j++)
            if (sel[j] == q->sel)
                k = j;
        if (k < 0)
            continue;
        /* side 0 at the main line; the other side of a spread at minus it, of a total at it */
        double want = m == APS_MKT_MONEYLINE ? NAN : (m == APS_MKT_SPREAD && k == 1 ? -ml : ml);
        if (m != APS_MKT_MONEYLINE && q->line != want)
            continue;
        if (!bp->seen[q->book]) {
            bp->seen[q->book] = true;
            for (int j = 0; j < 3; j++)
                bp->price[q->book][j] = bp->line[q->book][j] = NAN;
        }
        bp->price[q->book][k] = q->price;
        bp->line[q->book][k] = q->line;
        any = true;
    }
    return any;
}

static bool complete(const struct book_prices *bp, int b, int ns)
{
    if (!bp->seen[b])
        return false;
    for (int j = 0; j < ns; j++)
        if (isnan(bp->price[b][j]))
            return false;
    return true;
}

/* Average no-vig over complete books (all when sharp_only is false, else the sharp ones). */
static int average_novig(const struct aps_history *h, const struct book_prices *bp, int ns,
                         enum aps_margin_method mm, bool sharp_only, double out[3])
{
    int used = 0;
    double sum[3] = {0, 0, 0};
    for (size_t b = 0; b < h->nbooks && b < MAX_BOOKS; b++) {
        if (!complete(bp, (int)b, ns) || (sharp_only && !h->books[b].sharp))
            continue;
        double p[3];
        if (aps_margin_remove(mm, bp->price[b], (size_t)ns, p))
            continue;
        for (int j = 0; j < ns; j++)
            sum[j] += p[j];
        used++;
    }
    for (int j = 0; j < ns; j++)
        out[j] = used ? sum[j] / used : NAN;
    return used;
}

static void set_entry(const struct aps_history *h, const struct book_prices *bp, int ns,
                      enum aps_margin_method mm, struct aps_market_view *v)
{
    double nv[3];
    average_novig(h, bp, ns, mm, false, nv);
    for (int j = 0; j < ns; j++) {
        struct aps_market_side *s = &v->side[j];
        s->entry_novig = nv[j];
        for (size_t b = 0; b < h->nbooks && b < MAX_BOOKS; b++) {
            if (!bp->seen[b] || isnan(bp->price[b][j]))
                continue;
            if (isnan(s->entry_price) || bp->price[b][j] > s->entry_price) {
                s->entry_price = bp->price[b][j];
                s->entry_book = (int)b;
                s->entry_line = bp->line[b][j];
            }
        }
        if (!isnan(s->entry_price))
            v->has_entry = true;
    }
}

/* The closing benchmark: sharp books, else all bookmakers, else aggregates (avg/consensus). */
static void set_close(const struct aps_history *h, const struct aps_hist_game *g,
                      enum aps_market m, const enum aps_selection *sel, int ns,
                      enum aps_margin_method mm, struct aps_market_view *v,
                      struct book_prices *bp, enum aps_phase ph)
{
    v->close_phase = ph;
    for (int pass = 0; pass < 3 && !v->has_close; pass++) {
        bool agg = pass == 2;
        if (!gather(h, g, m, sel, ns, ph, agg, bp))
            continue;
        double nv[3];
        int used = 0;
        if (pass == 2) {
            /* of the aggregates only the average or consensus is a market price */
            for (size_t b = 0; b < h->nbooks && b < MAX_BOOKS; b++)
                if (bp->seen[b] && !strcmp(h->books[b].key, "max"))
                    bp->seen[b] = false;
        }
        used = average_novig(h, bp, ns, mm, pass == 0, nv);
        if (!used)
            continue;
        v->has_close = true;
        for (int j = 0; j < ns; j++) {
            v->side[j].close_novig = nv[j];
            double price = 0, line = NAN;
            int cnt = 0;
            for (size_t b = 0; b < h->nbooks && b < MAX_BOOKS; b++) {
                if (!complete(bp, (int)b, ns) || (pass == 0 && !h->books[b].sharp))
                    continue;
                price += bp->price[b][j];
                line = bp->line[b][j];
                cnt++;
            }
            v->side[j].close_price = cnt ? price / cnt : NAN;
            v->side[j].close_line = line;
        }
    }
}

int aps_market_view(const struct aps_history *h, const struct aps_hist_game *g, enum aps_market m,
                    enum aps_margin_method mm, struct aps_market_view *v)
{
    struct book_prices scratch;
    struct book_prices *bp = &scratch;
    enum aps_selection sel[3];
    bool three_way = aps_sport_info(h->sport)->three_way;
    int ns = sides_of(m, three_way, sel);
    memset(v, 0, sizeof *v);
    v->market = m;
    v->nsides = ns;
    for (int j = 0; j < ns; j++) {
        v->side[j].sel = sel[j];
        v->side[j].entry_price = v->side[j].entry_line = v->side[j].entry_novig = NAN;
        v->side[j].close_price = v->side[j].close_line = v->side[j].close_novig = NAN;
        v->side[j].entry_book = -1;
    }
    /* live snapshots (the current market) first; historical files have open, pre and close */
    static const enum aps_phase entry_order[] = {APS_PHASE_LIVE, APS_PHASE_OPEN, APS_PHASE_PRE,
                                                 APS_PHASE_CLOSE};
    for (size_t i = 0; i < 4 && !v->has_entry; i++) {
        if (gather(h, g, m, sel, ns, entry_order[i], false, bp)) {
            v->entry_phase = entry_order[i];
            set_entry(h, bp, ns, mm, v);
        }
    }
    set_close(h, g, m, sel, ns, mm, v, bp, APS_PHASE_CLOSE);
    if (!v->has_close)
        set_close(h, g, m, sel, ns, mm, v, bp, APS_PHASE_PRE);
    return 0;
}

int aps_market_best_side(struct aps_predictor *pred, const struct aps_history *h, size_t gi,
                         const struct aps_market_view *v, int *best, double probs[3])
{
    double best_edge = -INFINITY;
    *best = -1;
    for (int j = 0; j < v->nsides; j++) {
        const struct aps_market_side *s = &v->side[j];
        probs[j] = NAN;
        if (isnan(s->entry_price))
            continue;
        int rc = pred->prob(pred->ctx, h, gi, v->market, s->sel, s->entry_line, &probs[j]);
        if (rc == APS_E_NOTFOUND) {
            *best = -1;
            return 0;
        }
        if (rc)
            return rc;
        double fair = isnan(s->entry_novig) ? 1.0 / s->entry_price : s->entry_novig;
        if (probs[j] - fair > best_edge) {
            best_edge = probs[j] - fair;
            *best = j;
        }
    }
    if (*best >= 0 && !(probs[*best] > 0 && probs[*best] < 1))
        *best = -1;
    return 0;
}
