/* report.c — the numbers of the model report (see report.h). */
#include "engine/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "engine/gate.h"
#include "engine/market.h"
#include "engine/predictor.h"
#include "model/elo.h"
#include "model/registry.h"
#include "odds/scoring.h"

#define CLIP 1e-15

void aps_report_pairs_init(struct aps_report_pairs *s, size_t cap, int k)
{
    s->n = 0;
    s->k = k;
    s->a = aps_malloc((cap * (size_t)k + 1) * sizeof *s->a);
    s->b = aps_malloc((cap * (size_t)k + 1) * sizeof *s->b);
    s->y = aps_malloc((cap + 1) * sizeof *s->y);
}

void aps_report_pairs_cleanup(struct aps_report_pairs *s)
{
    aps_free(s->a);
    aps_free(s->b);
    aps_free(s->y);
}

void aps_report_pairs_add(struct aps_report_pairs *s, const double *a, const double *b, int y)
{
    memcpy(s->a + s->n * (size_t)s->k, a, (size_t)s->k * sizeof *a);
    memcpy(s->b + s->n * (size_t)s->k, b, (size_t)s->k * sizeof *b);
    s->y[s->n++] = y;
}

/* Log-loss of the actual class, Brier (two-way: on class 0), ECE (two-way: class 0; three-way:
 * every class pooled) and AUC of class 0. */
void aps_report_score(const double *p, const int *y, size_t n, int k,
                      struct aps_report_scores *out)
{
    double *pool = aps_malloc((n * (size_t)k + 1) * sizeof *pool), *p0 = aps_malloc((n + 1) * sizeof *p0);
    int *py = aps_malloc((n * (size_t)k + 1) * sizeof *py), *y0 = aps_malloc((n + 1) * sizeof *y0);
    size_t np = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const double *r = p + i * (size_t)k;
        double q = r[y[i]];
        out->ll -= log(q < CLIP ? CLIP : q);
        for (int c = 0; c < k; c++) {
            out->brier += (r[c] - (c == y[i])) * (r[c] - (c == y[i]));
            if (k == 3 || c == 0) {
                pool[np] = r[c];
                py[np++] = c == y[i];
            }
        }
        p0[i] = r[0];
        y0[i] = y[i] == 0;
    }
    out->ll /= (double)n;
    out->brier /= k == 2 ? 2.0 * (double)n : (double)n;
    if (aps_score_ece(pool, py, np, &out->ece))
        out->ece = NAN;
    if (aps_score_auc(p0, y0, n, &out->auc))
        out->auc = NAN;
    aps_free(pool);
    aps_free(p0);
    aps_free(py);
    aps_free(y0);
}

static bool view_probs(const struct aps_market_view *v, bool at_close, double *out)
{
    for (int j = 0; j < v->nsides; j++) {
        out[j] = at_close ? v->side[j].close_novig : v->side[j].entry_novig;
        if (isnan(out[j]))
            return false;
    }
    return true;
}

/* Game gi against the entry market, FiveThirtyEight, and (drift) the entry market against the
 * close; the closing-market set is the market gate's games (engine/gate.h), added by the caller. */
static void compare_game(const struct aps_history *h, size_t gi, const struct aps_model_preds *pr,
                         long i, enum aps_market m, int k, const struct aps_gate_games *gg,
                         enum aps_margin_method mm, struct aps_report_market *mc)
{
    struct aps_market_view v;
    double pm[3], pc[3];
    int y = pr->outcome[i];
    if (aps_market_view(h, &h->games[gi], m, mm, &v) || v.nsides != k)
        return;
    memcpy(pm, pr->p + (size_t)i * 3, (size_t)k * sizeof *pm);
    if (isnan(pm[0]))
        return;
    double pe[3];
    bool has_close = gg->in[gi] && view_probs(&v, true, pc);
    /* the entry market is only a benchmark for the same outcome when its line is the close's */
    bool entry_line = m == APS_MKT_MONEYLINE || v.side[0].entry_line == v.side[0].close_line;
    if (v.has_entry && v.entry_phase != APS_PHASE_CLOSE && entry_line && view_probs(&v, false, pe)) {
        if (mc->entry.n && v.entry_phase != mc->entry_phase)
            mc->entry_mixed = true;
        mc->entry_phase = v.entry_phase;
        aps_report_pairs_add(&mc->entry, pm, pe, y);
        if (has_close)
            aps_report_pairs_add(&mc->drift, pe, pc, y);
    }
    if (m == APS_MKT_MONEYLINE && k == 2 && !isnan(h->games[gi].fc_538)) {
        pc[0] = h->games[gi].fc_538;
        pc[1] = 1 - pc[0];
        aps_report_pairs_add(&mc->f538, pm, pc, y);
    }
}

void aps_report_market_build(const struct aps_history *h, const struct aps_model_preds *pr,
                             enum aps_market m, int k, const struct aps_gate_games *gg,
                             enum aps_margin_method mm, struct aps_report_market *mc)
{
    memset(mc, 0, sizeof *mc);
    aps_report_pairs_init(&mc->entry, pr->n, k);
    aps_report_pairs_init(&mc->close, gg->n, k);
    aps_report_pairs_init(&mc->f538, pr->n, k);
    aps_report_pairs_init(&mc->drift, pr->n, k);
    for (size_t j = 0; j < gg->n; j++)
        aps_report_pairs_add(&mc->close, gg->pm + j * (size_t)k, gg->pc + j * (size_t)k, gg->y[j]);
    for (size_t gi = 0; gi < h->ngames; gi++) {
        long i = aps_registry_preds_find(pr, h->games[gi].id);
        if (i >= 0 && pr->scored[i] && pr->outcome[i] >= 0)
            compare_game(h, gi, pr, i, m, k, gg, mm, mc);
    }
}

void aps_report_market_cleanup(struct aps_report_market *mc)
{
    aps_report_pairs_cleanup(&mc->entry);
    aps_report_pairs_cleanup(&mc->close);
    aps_report_pairs_cleanup(&mc->f538);
    aps_report_pairs_cleanup(&mc->drift);
}

/* Elo's walk-forward probabilities next to FiveThirtyEight's published ones (see report.h). */
int aps_report_elo_vs_538(const struct aps_history *h, struct aps_report_elo538 *out)
{
    struct aps_elo_params params;
    struct aps_predictor pred = {0};
    int rc = aps_elo_params_default(h->sport, &params);
    struct aps_elo_predictor_opts po = {&params, true, 8};
    if (!rc)
        rc = aps_elo_predictor_new(h, &po, &pred);
    double ll_e = 0, ll_f = 0, bs_e = 0, bs_f = 0;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    for (size_t d0 = 0; d0 < h->ngames && !rc;) {
        size_t d1 = d0 + 1;
        while (d1 < h->ngames && !strcmp(h->games[d1].date, h->games[d0].date))
            d1++;
        for (size_t i = d0; i < d1 && !rc; i++) {
            const struct aps_hist_game *g = &h->games[i];
            rc = pred.begin(pred.ctx, h, i);
            if (rc || g->season_no < 1 || isnan(g->fc_538) || !aps_hist_final(g) ||
                g->home_score == g->away_score)
                continue;
            double p;
            int prc = pred.prob(pred.ctx, h, i, APS_MKT_MONEYLINE, APS_SEL_HOME, NAN, &p);
            if (prc == APS_E_NOTFOUND)
                continue;
            rc = prc;
            if (rc)
                break;
            int y = g->home_score > g->away_score;
            double f = g->fc_538, pc = fmin(fmax(p, 1e-15), 1 - 1e-15),
                   fc = fmin(fmax(f, 1e-15), 1 - 1e-15);
            ll_e -= y ? log(pc) : log(1 - pc);
            ll_f -= y ? log(fc) : log(1 - fc);
            bs_e += (p - y) * (p - y);
            bs_f += (f - y) * (f - y);
            if (!n++)
                snprintf(out->first, sizeof out->first, "%s", g->date);
            snprintf(out->last, sizeof out->last, "%s", g->date);
        }
        for (size_t i = d0; i < d1 && !rc; i++)
            rc = pred.observe(pred.ctx, h, i);
        d0 = d1;
    }
    if (!rc && n) {
        out->n = n;
        out->ll_elo = ll_e / n;
        out->ll_538 = ll_f / n;
        out->brier_elo = bs_e / n;
        out->brier_538 = bs_f / n;
    }
    if (pred.destroy)
        pred.destroy(pred.ctx);
    return rc;
}

