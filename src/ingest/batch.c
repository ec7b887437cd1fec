/* batch.c — the loader's in-memory result (see batch.h). */
#include "ingest/batch.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"

#define GROW(arr, n, cap)                                        \
    do {                                                         \
        if ((n) == (cap)) {                                      \
            (cap) = (cap) ? (cap) * 2 : 256;                     \
            (arr) = aps_realloc((arr), sizeof(*(arr)) * (cap));  \
        }                                                        \
    } while (0)

void aps_batch_cleanup(struct aps_batch *b)
{
    aps_free(b->games);
    aps_free(b->odds);
    aps_free(b->forecasts);
    aps_free(b->venues);
    memset(b, 0, sizeof *b);
}

struct aps_game_rec *aps_batch_add_game(struct aps_batch *b)
{
    GROW(b->games, b->ngames, b->capgames);
    struct aps_game_rec *g = &b->games[b->ngames++];
    memset(g, 0, sizeof *g);
    g->home_score = g->away_score = -1;
    g->game_no = 1;
    return g;
}

struct aps_odds_rec *aps_batch_add_odds(struct aps_batch *b)
{
    GROW(b->odds, b->nodds, b->capodds);
    struct aps_odds_rec *o = &b->odds[b->nodds++];
    memset(o, 0, sizeof *o);
    o->line = NAN;
    o->price = NAN;
    return o;
}

struct aps_forecast_rec *aps_batch_add_forecast(struct aps_batch *b)
{
    GROW(b->forecasts, b->nforecasts, b->capforecasts);
    struct aps_forecast_rec *f = &b->forecasts[b->nforecasts++];
    memset(f, 0, sizeof *f);
    f->prob1 = f->prob2 = f->prob_tie = f->result1 = NAN;
    f->score1 = f->score2 = -1;
    return f;
}

struct aps_venue_rec *aps_batch_add_venue(struct aps_batch *b)
{
    GROW(b->venues, b->nvenues, b->capvenues);
    struct aps_venue_rec *v = &b->venues[b->nvenues++];
    memset(v, 0, sizeof *v);
    v->latitude = v->longitude = NAN;
    return v;
}

void aps_batch_drop_last_game(struct aps_batch *b)
{
    if (!b->ngames)
        return;
    size_t gi = --b->ngames;
    while (b->nodds && b->odds[b->nodds - 1].game == gi)
        b->nodds--;
}

void aps_batch_reject(struct aps_batch *b, const char *reason)
{
    for (size_t i = 0; i < b->nrejects; i++) {
        if (!strcmp(b->rejects[i].reason, reason)) {
            b->rejects[i].count++;
            return;
        }
    }
    /* The last slot collects every reason past the table's size. */
    if (b->nrejects == APS_MAX_REASONS - 1)
        reason = "other";
    if (b->nrejects == APS_MAX_REASONS) {
        b->rejects[APS_MAX_REASONS - 1].count++;
        return;
    }
    struct aps_reject_count *r = &b->rejects[b->nrejects++];
    (void)aps_str_copy(r->reason, sizeof r->reason, reason);
    r->count = 1;
    r->line = b->line;
}

size_t aps_batch_rejected(const struct aps_batch *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->nrejects; i++)
        n += b->rejects[i].count;
    return n;
}

bool aps_line_on_grid(double line)
{
    return isfinite(line) && fabs(line) < 1e6 && line * 4.0 == floor(line * 4.0);
}

int aps_batch_odds(struct aps_batch *b, size_t gi, const char *book, enum aps_market m,
                   enum aps_selection sel, enum aps_phase ph, double line, double price)
{
    if (isnan(price))
        return 0;
    if (!(price > 1.0) || price > 1001.0) {
        aps_batch_reject(b, "bad price");
        return 0;
    }
    if (m != APS_MKT_MONEYLINE && !isnan(line) && !aps_line_on_grid(line)) {
        aps_batch_reject(b, "bad line");
        return 0;
    }
    struct aps_odds_rec *o = aps_batch_add_odds(b);
    o->game = gi;
    (void)aps_str_copy(o->book, sizeof o->book, book);
    o->market = m;
    o->sel = sel;
    o->phase = ph;
    o->line = line;
    o->price = price;
    return 1;
}
