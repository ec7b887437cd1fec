/* market.c — entry and closing prices of one game's market (see market.h). */
#include "engine/market.h"

#include "engine/predictor.h"
#include "core/mem.h"
#include "odds/benchmark.h"
#include "odds/clv.h"
#include "store/store.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_BOOKS 64

/* Prices of every book at one phase: price[book][side] at the wanted line (NAN when absent). */
struct book_prices {
    double price[MAX_BOOKS][3];
    double line[MAX_BOOKS][3];
    bool seen[MAX_BOOKS];
};

/* Each book's current quote of every side of market m at phase ph: latest[book][side] is the
 * index in h->quotes of its newest one (recorded last; of two recorded at once, the one stored
 * last), SIZE_MAX when the book has none. A book that moved its line or price quotes only its
 * new one: the price it withdrew is not on offer, as in odds/shop.h's line shopping. */
static void current_quotes(const struct aps_history *h, const struct aps_hist_game *g,
                           enum aps_market m, const enum aps_selection *sel, int ns,
                           enum aps_phase ph, bool agg, size_t latest[MAX_BOOKS][3])
{
    for (int b = 0; b < MAX_BOOKS; b++)
        for (int j = 0; j < 3; j++)
            latest[b][j] = SIZE_MAX;
    for (size_t i = g->q0; i < g->q0 + g->nq; i++) {
        const struct aps_hist_quote *q = &h->quotes[i];
        if (q->market != m || q->phase != ph || q->book >= MAX_BOOKS ||
            h->books[q->book].aggregate != agg)
            continue;
        for (int j = 0; j < ns; j++) {
            size_t *l = &latest[q->book][j];
            if (sel[j] == q->sel && (*l == SIZE_MAX || h->quotes[*l].recorded_at <= q->recorded_at))
                *l = i;
        }
    }
}

/* The line of side 0 that most books currently quote (spread/total); NAN for moneyline. */
static double main_line(const struct aps_history *h, enum aps_market m, size_t latest[MAX_BOOKS][3])
{
    if (m == APS_MKT_MONEYLINE)
        return NAN;
    double lines[MAX_BOOKS];
    int counts[MAX_BOOKS], n = 0;
    for (int b = 0; b < MAX_BOOKS; b++) {
        if (latest[b][0] == SIZE_MAX || isnan(h->quotes[latest[b][0]].line))
            continue;
        double line = h->quotes[latest[b][0]].line;
        int j = 0;
        while (j < n && lines[j] != line)
            j++;
        if (j == n) {
            lines[n] = line;
            counts[n++] = 0;
        }
        counts[j]++;
    }
    int best = -1;
    for (int j = 0; j < n; j++)
        if (best < 0 || counts[j] > counts[best])
            best = j;
    return best < 0 ? NAN : lines[best];
}

/* Fills bp for phase ph, books of the given aggregate kind, with each book's current quotes at
 * the main line. */
static bool gather(const struct aps_history *h, const struct aps_hist_game *g, enum aps_market m,
                   const enum aps_selection *sel, int ns, enum aps_phase ph, bool agg,
                   struct book_prices *bp)
{
    size_t latest[MAX_BOOKS][3];
    memset(bp->seen, 0, sizeof bp->seen);
    current_quotes(h, g, m, sel, ns, ph, agg, latest);
    double ml = main_line(h, m, latest);
    if (m != APS_MKT_MONEYLINE && isnan(ml))
        return false;
    bool any = false;
    for (int b = 0; b < MAX_BOOKS; b++) {
        for (int k = 0; k < ns; k++) {
            if (latest[b][k] == SIZE_MAX)
                continue;
            const struct aps_hist_quote *q = &h->quotes[latest[b][k]];
            /* side 0 at the main line; the other side of a spread at minus it, of a total at it */
            double want = m == APS_MKT_MONEYLINE ? NAN : (m == APS_MKT_SPREAD && k == 1 ? -ml : ml);
            if (m != APS_MKT_MONEYLINE && q->line != want)
                continue;
            if (!bp->seen[b]) {
                bp->seen[b] = true;
                for (int j = 0; j < 3; j++)
                    bp->price[b][j] = bp->line[b][j] = NAN;
            }
            bp->price[b][k] = q->price;
            bp->line[b][k] = q->line;
            any = true;
        }
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

/* The game's quotes of market m at phase ph as benchmark quotes (q has room for g->nq); with
 * sel0 a side of a spread or total, only those at one line: sel0's side at line0, the other side
 * at minus it (spread) or at it (total). Returns how many. */
static size_t bench_quotes(const struct aps_history *h, const struct aps_hist_game *g,
                           enum aps_market m, enum aps_phase ph, int sel0, double line0,
                           struct aps_close_quote *q)
{
    size_t n = 0;
    for (size_t i = g->q0; i < g->q0 + g->nq; i++) {
        const struct aps_hist_quote *hq = &h->quotes[i];
        if (hq->market != m || hq->phase != ph)
            continue;
        if (sel0 >= 0) {
            double want = (int)hq->sel == sel0 || m == APS_MKT_TOTAL ? line0 : -line0;
            if (hq->line != want)
                continue;
        }
        const struct aps_hist_book *b = &h->books[hq->book];
        q[n++] = (struct aps_close_quote){hq->book, b->sharp, b->aggregate,
                                          b->aggregate && !strcmp(b->key, "max"), hq->sel,
                                          hq->line, hq->price};
    }
    return n;
}

/* The closing benchmark of phase ph (odds/benchmark.h, the rule every CLV uses). */
static void set_close(const struct aps_history *h, const struct aps_hist_game *g,
                      enum aps_market m, bool three_way, enum aps_margin_method mm,
                      struct aps_market_view *v, enum aps_phase ph)
{
    struct aps_close_quote small[128], *q = small;
    if (g->nq > sizeof small / sizeof small[0])
        q = aps_calloc(g->nq, sizeof *q);
    size_t n = bench_quotes(h, g, m, ph, -1, NAN, q);
    struct aps_close_benchmark bm;
    v->close_phase = ph;
    if (!aps_close_benchmark(q, n, m, three_way, mm, &bm) && bm.found) {
        v->has_close = true;
        for (int j = 0; j < v->nsides; j++) {
            v->side[j].close_novig = bm.novig[j];
            v->side[j].close_price = bm.price[j];
            v->side[j].close_line = bm.line[j];
        }
    }
    if (q != small)
        aps_free(q);
}

int aps_market_view(const struct aps_history *h, const struct aps_hist_game *g, enum aps_market m,
                    enum aps_margin_method mm, struct aps_market_view *v)
{
    struct book_prices scratch;
    struct book_prices *bp = &scratch;
    enum aps_selection sel[3];
    bool three_way = aps_sport_info(h->sport)->three_way;
    int ns = aps_market_sides(m, three_way, sel);
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
    set_close(h, g, m, three_way, mm, v, APS_PHASE_CLOSE);
    if (!v->has_close)
        set_close(h, g, m, three_way, mm, v, APS_PHASE_PRE);
    return 0;
}

int aps_market_clv_price_at_line(const struct aps_history *h, const struct aps_hist_game *g,
                                 enum aps_market m, enum aps_margin_method mm,
                                 enum aps_selection sel, double line, double price, double *clv)
{
    if ((m != APS_MKT_SPREAD && m != APS_MKT_TOTAL) || isnan(line) || !(price > 1))
        return APS_E_INVAL;
    struct aps_close_quote small[128], *q = small;
    if (g->nq > sizeof small / sizeof small[0])
        q = aps_calloc(g->nq, sizeof *q);
    size_t n = bench_quotes(h, g, m, APS_PHASE_CLOSE, (int)sel, line, q);
    struct aps_close_benchmark bm;
    int rc = aps_close_benchmark(q, n, m, false, mm, &bm);
    if (!rc && !bm.found)
        rc = APS_E_NOTFOUND;
    int k = -1;
    for (int j = 0; !rc && j < bm.nsides; j++)
        if (bm.sel[j] == sel)
            k = j;
    if (!rc && k < 0)
        rc = APS_E_NOTFOUND;
    if (!rc)
        *clv = aps_clv_price(bm.novig[k], price);
    if (q != small)
        aps_free(q);
    return rc;
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

int aps_market_close_stored(struct aps_conn *c, int64_t game_id, enum aps_market m,
                            bool three_way, enum aps_margin_method mm,
                            struct aps_close_benchmark *out)
{
    struct aps_stmt *st = NULL;
    struct aps_close_quote *q = NULL;
    size_t n = 0, cap = 0;
    char last[32] = "";
    int book = -1;
    int rc = aps_conn_preparef(c, &st,
                               "SELECT b.key, b.is_sharp, b.is_aggregate, cl.selection, cl.line,"
                               " cl.price FROM closing_lines cl JOIN sportsbooks b"
                               " ON b.id = cl.book_id JOIN games g ON g.id = cl.game_id"
                               " WHERE cl.game_id = ?1 AND cl.market = ?2"
                               " AND " APS_CLOSE_STANDS_SQL("cl", "g")
                               " ORDER BY b.key, cl.selection",
                               "is", game_id, aps_market_name(m));
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        const char *key = aps_stmt_text(st, 0), *sel = aps_stmt_text(st, 3);
        int s = sel ? aps_selection_parse(sel) : -1;
        if (!key || s < 0 || aps_stmt_is_null(st, 5))
            continue;
        if (strcmp(key, last)) {
            (void)snprintf(last, sizeof last, "%s", key);
            book++;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            q = aps_realloc(q, cap * sizeof *q);
        }
        bool agg = aps_stmt_int64(st, 2) != 0;
        q[n++] = (struct aps_close_quote){book, aps_stmt_int64(st, 1) != 0, agg,
                                          agg && !strcmp(key, "max"), (enum aps_selection)s,
                                          aps_stmt_is_null(st, 4) ? NAN : aps_stmt_double(st, 4),
                                          aps_stmt_double(st, 5)};
    }
    aps_stmt_finalize(st);
    if (rc < 0) {
        aps_free(q);
        return rc;
    }
    rc = aps_close_benchmark(q, n, m, three_way, mm, out);
    aps_free(q);
    return rc;
}

int aps_market_bet(struct aps_predictor *pred, const struct aps_history *h, size_t gi,
                   const struct aps_market_view *v, const struct aps_kelly_params *kp,
                   double bankroll, struct aps_market_bet *out)
{
    double probs[3];
    memset(out, 0, sizeof *out);
    out->side = -1;
    int rc = aps_market_best_side(pred, h, gi, v, &out->side, probs);
    if (rc || out->side < 0) {
        out->side = -1;
        return rc;
    }
    out->s = &v->side[out->side];
    out->probability = probs[out->side];
    struct aps_kelly_input in = {out->probability, out->s->entry_price, out->s->entry_novig,
                                 bankroll, -1};
    out->sized = aps_kelly_size(kp, &in, &out->sz);
    return 0;
}
