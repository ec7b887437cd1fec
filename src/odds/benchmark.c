/* benchmark.c — the closing benchmark of a game's market and the CLV against it (benchmark.h). */
#include "odds/benchmark.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "odds/clv.h"

/* One book's prices and lines per side, at the class's main line. */
struct book_row {
    int book;
    double price[3], line[3];
};

static bool in_class(const struct aps_close_quote *q, int cls)
{
    switch (cls) {
    case 0:
        return q->sharp && !q->aggregate;
    case 1:
        return !q->aggregate;
    default:
        return q->aggregate && !q->best_of;
    }
}

/* The home/over line most books of the class quote (first seen wins a tie); NAN when none. */
static double main_line(const struct aps_close_quote *q, size_t n, int cls, enum aps_selection s0)
{
    double best = NAN;
    size_t best_count = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_class(&q[i], cls) || q[i].sel != s0 || isnan(q[i].line))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = in_class(&q[j], cls) && q[j].sel == s0 && q[j].line == q[i].line;
        if (seen)
            continue;
        size_t count = 0;
        for (size_t j = i; j < n; j++)
            count += in_class(&q[j], cls) && q[j].sel == s0 && q[j].line == q[i].line;
        if (count > best_count) {
            best_count = count;
            best = q[i].line;
        }
    }
    return best;
}

/* Collects the class's books at the main line into rows; returns how many rows. */
static size_t gather(const struct aps_close_quote *q, size_t n, enum aps_market m, int cls,
                     const enum aps_selection *sides, int ns, struct book_row *rows)
{
    double ml = m == APS_MKT_MONEYLINE ? NAN : main_line(q, n, cls, sides[0]);
    if (m != APS_MKT_MONEYLINE && isnan(ml))
        return 0;
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_class(&q[i], cls) || !(q[i].price > 1))
            continue;
        int k = -1;
        for (int j = 0; j < ns; j++)
            if (sides[j] == q[i].sel)
                k = j;
        if (k < 0)
            continue;
        if (m != APS_MKT_MONEYLINE) {
            double want = m == APS_MKT_SPREAD && k == 1 ? -ml : ml;
            if (q[i].line != want)
                continue;
        }
        size_t r = 0;
        while (r < nr && rows[r].book != q[i].book)
            r++;
        if (r == nr) {
            rows[nr].book = q[i].book;
            for (int j = 0; j < 3; j++)
                rows[nr].price[j] = rows[nr].line[j] = NAN;
            nr++;
        }
        rows[r].price[k] = q[i].price;
        rows[r].line[k] = q[i].line;
    }
    return nr;
}

int aps_close_benchmark(const struct aps_close_quote *q, size_t n, enum aps_market m,
                        bool three_way, enum aps_margin_method mm, struct aps_close_benchmark *out)
{
    static const char *const source[] = {"sharp", "bookmakers", "aggregate"};
    memset(out, 0, sizeof *out);
    if ((unsigned)m >= APS_MKT__COUNT)
        return APS_E_INVAL;
    out->nsides = aps_market_sides(m, three_way, out->sel);
    for (int j = 0; j < 3; j++)
        out->line[j] = out->price[j] = out->novig[j] = NAN;
    if (!n)
        return 0;
    struct book_row *rows = aps_calloc(n, sizeof *rows);
    int ns = out->nsides;
    for (int cls = 0; cls < 3 && !out->found; cls++) {
        size_t nr = gather(q, n, m, cls, out->sel, ns, rows);
        double fair_sum[3] = {0, 0, 0}, price_sum[3] = {0, 0, 0}, line[3] = {NAN, NAN, NAN};
        int used = 0;
        for (size_t r = 0; r < nr; r++) {
            bool complete = true;
            for (int j = 0; j < ns; j++)
                complete = complete && !isnan(rows[r].price[j]);
            double fair[3];
            if (!complete || aps_margin_remove(mm, rows[r].price, (size_t)ns, fair))
                continue;
            for (int j = 0; j < ns; j++) {
                fair_sum[j] += fair[j];
                price_sum[j] += rows[r].price[j];
                line[j] = rows[r].line[j];
            }
            used++;
        }
        if (!used)
            continue;
        out->found = true;
        out->source = source[cls];
        out->books = used;
        for (int j = 0; j < ns; j++) {
            out->novig[j] = fair_sum[j] / used;
            out->price[j] = price_sum[j] / used;
            out->line[j] = line[j];
        }
    }
    aps_free(rows);
    return 0;
}

int aps_close_clv(const struct aps_close_benchmark *b, enum aps_market m, enum aps_selection sel,
                  double line, double price, double *clv)
{
    int k = -1;
    for (int j = 0; b->found && j < b->nsides; j++)
        if (b->sel[j] == sel)
            k = j;
    if (k < 0)
        return APS_E_NOTFOUND;
    if (m == APS_MKT_MONEYLINE) {
        if (!(price > 1) || !(b->novig[k] > 0))
            return APS_E_NOTFOUND;
        *clv = aps_clv_price(b->novig[k], price);
        return 0;
    }
    if (!isfinite(line) || !isfinite(b->line[k]))
        return APS_E_NOTFOUND;
    return aps_clv_points(m, sel, line, b->line[k], clv) ? APS_E_NOTFOUND : 0;
}

const char *aps_close_clv_unit(enum aps_market m)
{
    return m == APS_MKT_MONEYLINE ? "fraction of stake (price CLV)" : "points";
}
