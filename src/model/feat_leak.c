/* feat_leak.c — the leakage check of the features (see features.h): rows on the full history
 * against rows on a history cut just before each game. */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "model/feat_int.h"

/* What a truncated history leaves out besides later days and the game's result. */
enum cut_mode {
    CUT_PHASE, /* the game's own closing quotes (its live snapshots are the time cut's) */
    CUT_TIME   /* every quote recorded after the game's start, of any game kept */
};

static bool cut_quote(enum cut_mode mode, const struct aps_hist_quote *q, bool own,
                      int64_t start)
{
    if (mode == CUT_TIME)
        return q->recorded_at > start;
    return own && q->phase == APS_PHASE_CLOSE;
}

static int truncate_at(const struct aps_history *h, const struct aps_feat_extras *x, size_t gi,
                       enum cut_mode mode, struct aps_history *out, struct aps_feat_extras *xout)
{
    if (gi >= h->ngames)
        return APS_E_INVAL;
    size_t day0 = gi;
    while (day0 > 0 && !strcmp(h->games[day0 - 1].date, h->games[gi].date))
        day0--;
    memset(out, 0, sizeof *out);
    memset(xout, 0, sizeof *xout);
    out->sport = h->sport;
    out->nseasons = h->nseasons;
    out->books = h->books; /* shared, read-only: not freed by the cleanup below */
    out->nbooks = h->nbooks;
    out->ngames = day0 + 1;
    out->games = aps_malloc(out->ngames * sizeof *out->games);
    out->quotes = aps_malloc((h->nquotes + 1) * sizeof *out->quotes);
    for (size_t i = 0; i < out->ngames; i++) {
        const struct aps_hist_game *src = &h->games[i < day0 ? i : gi];
        struct aps_hist_game *g = &out->games[i];
        *g = *src;
        g->q0 = out->nquotes;
        g->nq = 0;
        for (size_t q = src->q0; q < src->q0 + src->nq; q++) {
            const struct aps_hist_quote *qq = &h->quotes[q];
            if (cut_quote(mode, qq, i == day0, h->games[gi].start_time))
                continue;
            out->quotes[out->nquotes++] = *qq;
            g->nq++;
        }
        if (i == day0) {
            g->status = APS_GS_SCHEDULED;
            g->home_score = g->away_score = -1;
            g->fc_538 = NAN;
        }
    }
    if (x && x->n == h->ngames) {
        xout->n = out->ngames;
        xout->g = aps_malloc(out->ngames * sizeof *xout->g);
        memcpy(xout->g, x->g, day0 * sizeof *xout->g);
        xout->g[day0] = x->g[gi];
    }
    return 0;
}

int aps_feat_truncate(const struct aps_history *h, const struct aps_feat_extras *x, size_t gi,
                      struct aps_history *out, struct aps_feat_extras *xout)
{
    return truncate_at(h, x, gi, CUT_PHASE, out, xout);
}

void aps_feat_truncated_cleanup(struct aps_history *t, struct aps_feat_extras *x)
{
    aps_free(t->games);
    aps_free(t->quotes);
    memset(t, 0, sizeof *t);
    aps_feat_extras_cleanup(x);
}

static bool same(double a, double b)
{
    return (isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a);
}

/* Compares the row of game gi with the last row of its truncated history. */
static int check_one(const struct aps_history *h, const struct aps_feat_extras *x,
                     const struct aps_feat_spec *spec, const struct aps_feat_matrix *full,
                     size_t gi, enum cut_mode mode, bool *equal)
{
    struct aps_history t;
    struct aps_feat_extras tx;
    struct aps_feat_matrix m;
    int rc = truncate_at(h, x, gi, mode, &t, &tx);
    if (rc)
        return rc;
    rc = aps_feat_build_from(&t, tx.n ? &tx : NULL, spec, t.ngames - 1, &m);
    *equal = !rc;
    for (int j = 0; !rc && j < spec->ncols; j++)
        *equal &= same(full->x[gi * (size_t)full->d + (size_t)j],
                       m.x[(t.ngames - 1) * (size_t)m.d + (size_t)j]);
    for (int j = 0; !rc && j < 3; j++)
        *equal &= same(full->elo[gi * 3 + (size_t)j], m.elo[(t.ngames - 1) * 3 + (size_t)j]);
    aps_feat_matrix_cleanup(&m);
    aps_feat_truncated_cleanup(&t, &tx);
    return rc;
}

int aps_feat_leakage_check(const struct aps_history *h, const struct aps_feat_extras *x,
                           const struct aps_feat_spec *spec, const struct aps_feat_matrix *full,
                           size_t samples, size_t *checked, long *bad)
{
    size_t finals = 0;
    *checked = 0;
    *bad = -1;
    for (size_t gi = 0; gi < h->ngames; gi++)
        finals += aps_hist_final(&h->games[gi]);
    size_t step = samples && finals > samples ? finals / samples : 1, seen = 0;
    int rc = 0;
    for (size_t gi = 0; gi < h->ngames && !rc && *bad < 0; gi++) {
        if (!aps_hist_final(&h->games[gi]) || seen++ % step != step / 2)
            continue;
        bool eq;
        rc = check_one(h, x, spec, full, gi, CUT_PHASE, &eq);
        if (!rc && eq)
            rc = check_one(h, x, spec, full, gi, CUT_TIME, &eq);
        (*checked)++;
        if (!rc && !eq)
            *bad = (long)gi;
    }
    return rc;
}
