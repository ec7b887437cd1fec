/* backtest.c — the walk-forward backtest (see backtest.h). */
#include "engine/backtest.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "engine/market.h"
#include "odds/clv.h"
#include "odds/tier.h"

#define CLIP 1e-15

/* One scored game: probabilities of each outcome class from the model and from the close. */
struct scored {
    int season;               /* index into report seasons */
    int ns;                   /* classes: 2 (binary: class 0 = home/over) or 3 */
    int y;                    /* actual class */
    double pm[3], pc[3];
    double pe[3];             /* entry market's no-vig probabilities; pe[0] NAN when none */
    double p538;              /* P(class 0) by 538, NAN */
};

struct run_state {
    struct scored *sc;
    size_t nsc, capsc;
    double *equity;
    size_t neq, capeq;
    double *returns;
};

static int season_index(struct aps_backtest_report *r, const char *season)
{
    for (size_t i = 0; i < r->nseasons; i++)
        if (!strcmp(r->seasons[i].season, season))
            return (int)i;
    r->seasons = aps_realloc(r->seasons, (r->nseasons + 1) * sizeof *r->seasons);
    struct aps_bt_season *s = &r->seasons[r->nseasons];
    memset(s, 0, sizeof *s);
    (void)aps_str_copy(s->season, sizeof s->season, season);
    return (int)r->nseasons++;
}

static bool in_range(const struct aps_backtest_opts *o, const char *date)
{
    return (!o->from || strcmp(date, o->from) >= 0) && (!o->to || strcmp(date, o->to) <= 0);
}

bool aps_backtest_warm_up(const struct aps_backtest_opts *o, const struct aps_hist_game *g)
{
    return g->season_no < o->burn_in && !(o->fresh_from && strcmp(g->date, o->fresh_from) >= 0);
}

/* The class of the outcome for scoring, or -1 when the game does not score (a two-way tie, a push
 * at the closing line). */
static int outcome_class(const struct aps_hist_game *g, const struct aps_market_view *v)
{
    int hs = g->home_score, as = g->away_score;
    if (v->market == APS_MKT_MONEYLINE) {
        if (v->nsides == 3)
            return hs > as ? 0 : hs == as ? 1 : 2;
        return hs == as ? -1 : hs > as ? 0 : 1;
    }
    double line = v->side[0].close_line;
    if (isnan(line))
        return -1;
    double adj = v->market == APS_MKT_SPREAD ? hs - as + line : hs + as - line;
    return adj == 0 ? -1 : adj > 0 ? 0 : 1;
}

static void add_scored(struct run_state *st, const struct scored *s)
{
    if (st->nsc == st->capsc) {
        st->capsc = st->capsc ? st->capsc * 2 : 1024;
        st->sc = aps_realloc(st->sc, st->capsc * sizeof *st->sc);
    }
    st->sc[st->nsc++] = *s;
}

/* Scores game gi when it is final and has a closing benchmark. */
static int score_game(struct aps_predictor *pred, const struct aps_history *h, size_t gi,
                      const struct aps_market_view *v, int season, struct run_state *st)
{
    const struct aps_hist_game *g = &h->games[gi];
    if (!v->has_close || !aps_hist_final(g))
        return 0;
    int y = outcome_class(g, v);
    if (y < 0)
        return 0;
    struct scored s = {.season = season, .ns = v->nsides, .y = y, .p538 = NAN};
    for (int j = 0; j < v->nsides; j++) {
        double line = v->market == APS_MKT_MONEYLINE ? NAN : v->side[j].close_line;
        int rc = pred->prob(pred->ctx, h, gi, v->market, v->side[j].sel, line, &s.pm[j]);
        if (rc == APS_E_NOTFOUND)
            return 0;
        if (rc)
            return rc;
        s.pc[j] = v->side[j].close_novig;
        if (isnan(s.pc[j]))
            return 0;
    }
    s.pe[0] = NAN;
    if (v->has_entry && v->entry_phase != APS_PHASE_CLOSE) {
        bool all = true;
        for (int j = 0; j < v->nsides; j++)
            all &= v->side[j].entry_novig > 0 && v->side[j].entry_novig < 1;
        for (int j = 0; all && j < v->nsides; j++)
            s.pe[j] = v->side[j].entry_novig;
    }
    if (v->market == APS_MKT_MONEYLINE && v->nsides == 2)
        s.p538 = g->fc_538;
    add_scored(st, &s);
    return 0;
}

static void tally_bet(struct aps_bt_tally *t, const struct aps_bt_bet *b)
{
    t->bets++;
    t->staked += b->stake;
    t->profit += b->profit;
    switch (b->result) {
    case APS_GRADE_WIN: t->wins++; break;
    case APS_GRADE_LOSS: t->losses++; break;
    case APS_GRADE_PUSH: t->pushes++; break;
    case APS_GRADE_HALF_WIN: t->half_wins++; break;
    case APS_GRADE_HALF_LOSS: t->half_losses++; break;
    default: t->voids++; break;
    }
    if (b->has_clv) {
        t->clv_n++;
        t->clv_sum += b->clv;
        t->clv_pos += b->clv > 0;
    }
    if (b->has_clv_price) {
        t->clv_price_n++;
        t->clv_price_sum += b->clv_price;
        t->clv_price_pos += b->clv_price > 0;
    }
}

/* The bet's CLV (price for a moneyline, points for a spread or total) and its price CLV at its
 * own line; none when the entry is the close itself or the game has no closing prices. */
static void bet_clv(const struct aps_history *h, size_t gi, const struct aps_market_view *v,
                    enum aps_margin_method mm, int j, struct aps_bt_bet *b)
{
    const struct aps_market_side *s = &v->side[j];
    b->has_clv = b->has_clv_price = false;
    if (!v->has_close || v->close_phase != APS_PHASE_CLOSE || v->entry_phase == APS_PHASE_CLOSE)
        return;
    if (v->market == APS_MKT_MONEYLINE) {
        if (isnan(s->close_novig))
            return;
        b->has_clv = b->has_clv_price = true;
        b->clv = b->clv_price = aps_clv_price(s->close_novig, b->price);
        return;
    }
    b->has_clv = !isnan(s->close_line) &&
                 !aps_clv_points(v->market, s->sel, b->line, s->close_line, &b->clv);
    b->has_clv_price = !aps_market_clv_price_at_line(h, &h->games[gi], v->market, mm, s->sel,
                                                     b->line, b->price, &b->clv_price);
}

/* Chooses and sizes the bet of game gi, if any, from the day's opening bankroll. */
static int consider_bet(struct aps_predictor *pred, const struct aps_history *h, size_t gi,
                        const struct aps_market_view *v, const struct aps_backtest_opts *o,
                        double bankroll_open, struct aps_bt_bet *bet, bool *placed)
{
    *placed = false;
    if (!v->has_entry)
        return 0;
    struct aps_market_bet mb;
    int rc = aps_market_bet(pred, h, gi, v, &o->kelly, bankroll_open, &mb);
    if (rc || mb.side < 0)
        return rc;
    if (mb.sized || !mb.sz.should_bet)
        return 0;
    const struct aps_market_side *s = mb.s;
    const struct aps_kelly_sizing sz = mb.sz;
    const struct aps_hist_game *g = &h->games[gi];
    struct aps_grade_pick pk = {v->market, s->sel, s->entry_line, v->nsides == 3};
    struct aps_grade_score gs = {g->home_score, g->away_score, g->status};
    enum aps_grade_result res;
    if (g->status == APS_GS_CANCELLED || g->status == APS_GS_POSTPONED)
        res = APS_GRADE_VOID;
    else if (aps_grade_bet(&pk, &gs, &res))
        return 0; /* not gradable (no final score): not a bet the backtest can settle */
    memset(bet, 0, sizeof *bet);
    bet->game = gi;
    bet->sel = s->sel;
    bet->line = s->entry_line;
    bet->price = s->entry_price;
    bet->p = mb.probability;
    bet->no_vig = s->entry_novig;
    bet->edge = sz.edge;
    bet->stake = sz.stake;
    bet->tier = sz.tier;
    bet->result = res;
    bet->profit = aps_grade_profit(res, sz.stake, s->entry_price);
    bet->bankroll_before = bankroll_open;
    bet_clv(h, gi, v, o->margin, mb.side, bet);
    *placed = true;
    return 0;
}

static void push_double(double **arr, size_t *n, size_t *cap, double v)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *arr = aps_realloc(*arr, *cap * sizeof **arr);
    }
    (*arr)[(*n)++] = v;
}

static void add_bet(struct aps_backtest_report *r, const struct aps_bt_bet *b, size_t *cap)
{
    if (r->nbets == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        r->bets = aps_realloc(r->bets, *cap * sizeof *r->bets);
    }
    r->bets[r->nbets++] = *b;
}

static double ll_of(double p)
{
    return -log(p < CLIP ? CLIP : p);
}

#define BOOT_RESAMPLES 1000
#define BOOT_SEED 42

/* The model-against-market log-loss differences: against the close on every game, against the
 * entry market on the games with entry prices, with their paired bootstrap intervals; and the
 * entry market's own scores on those games. */
static void compare_markets(const struct run_state *st, int season, struct aps_bt_scores *out)
{
    size_t n = 0, ne = 0, npool = 0;
    double *dc = aps_malloc(sizeof(double) * (st->nsc + 1));
    double *de = aps_malloc(sizeof(double) * (st->nsc + 1));
    double *pool = aps_malloc(sizeof(double) * (st->nsc * 3 + 1));
    int *pool_y = aps_malloc(sizeof(int) * (st->nsc * 3 + 1));
    for (size_t i = 0; i < st->nsc; i++) {
        const struct scored *s = &st->sc[i];
        if (season >= 0 && s->season != season)
            continue;
        dc[n++] = ll_of(s->pm[s->y]) - ll_of(s->pc[s->y]);
        if (isnan(s->pe[0]))
            continue;
        de[ne++] = ll_of(s->pm[s->y]) - ll_of(s->pe[s->y]);
        out->ll_model_entry += ll_of(s->pm[s->y]);
        out->ll_entry += ll_of(s->pe[s->y]);
        out->ll_close_entry += ll_of(s->pc[s->y]);
        for (int c = 0; c < s->ns; c++) {
            double o = c == s->y;
            out->brier_entry += (s->pe[c] - o) * (s->pe[c] - o) / (s->ns == 2 ? 2.0 : 1.0);
            if (s->ns == 3 || c == 0) {
                pool[npool] = s->pe[c];
                pool_y[npool++] = c == s->y;
            }
        }
    }
    out->d_close = out->d_close_lo = out->d_close_hi = NAN;
    out->d_entry = out->d_entry_lo = out->d_entry_hi = NAN;
    out->ece_entry = NAN;
    if (n >= 2 && aps_score_paired_bootstrap(dc, n, BOOT_RESAMPLES, BOOT_SEED, &out->d_close,
                                               &out->d_close_lo, &out->d_close_hi))
        out->d_close = out->d_close_lo = out->d_close_hi = NAN;
    out->n_entry = ne;
    if (ne) {
        out->ll_model_entry /= (double)ne;
        out->ll_entry /= (double)ne;
        out->ll_close_entry /= (double)ne;
        out->brier_entry /= (double)ne;
        if (aps_score_ece(pool, pool_y, npool, &out->ece_entry))
            out->ece_entry = NAN;
    } else { /* no game: the scores are undefined, not zero */
        out->ll_model_entry = out->ll_entry = out->ll_close_entry = out->brier_entry = NAN;
    }
    if (ne >= 2 && aps_score_paired_bootstrap(de, ne, BOOT_RESAMPLES, BOOT_SEED, &out->d_entry,
                                                &out->d_entry_lo, &out->d_entry_hi))
        out->d_entry = out->d_entry_lo = out->d_entry_hi = NAN;
    aps_free(dc);
    aps_free(de);
    aps_free(pool);
    aps_free(pool_y);
}

/* Probability scores over a subset of the scored games (season < 0: all). */
static void compute_scores(const struct run_state *st, int season, struct aps_bt_scores *out)
{
    memset(out, 0, sizeof *out);
    compare_markets(st, season, out);
    size_t n = 0, npool = 0;
    double *pool_m = aps_malloc(sizeof(double) * (st->nsc * 3 + 1));
    double *pool_c = aps_malloc(sizeof(double) * (st->nsc * 3 + 1));
    int *pool_y = aps_malloc(sizeof(int) * (st->nsc * 3 + 1));
    for (size_t i = 0; i < st->nsc; i++) {
        const struct scored *s = &st->sc[i];
        if (season >= 0 && s->season != season)
            continue;
        n++;
        double pm = s->pm[s->y], pc = s->pc[s->y];
        out->ll_model -= log(pm < CLIP ? CLIP : pm);
        out->ll_close -= log(pc < CLIP ? CLIP : pc);
        for (int c = 0; c < s->ns; c++) {
            double o = c == s->y;
            out->brier_model += (s->pm[c] - o) * (s->pm[c] - o);
            out->brier_close += (s->pc[c] - o) * (s->pc[c] - o);
            /* binary markets are scored on class 0 only; three-way pools every class */
            if (s->ns == 3 || c == 0) {
                pool_m[npool] = s->pm[c];
                pool_c[npool] = s->pc[c];
                pool_y[npool++] = c == s->y;
            }
        }
        if (!isnan(s->p538)) {
            double p5 = s->y == 0 ? s->p538 : 1 - s->p538;
            out->n538++;
            out->ll_538 -= log(p5 < CLIP ? CLIP : p5);
            out->ll_model_538 -= log(pm < CLIP ? CLIP : pm);
            out->brier_538 += 2 * (s->p538 - (s->y == 0)) * (s->p538 - (s->y == 0));
            out->brier_model_538 += 2 * (s->pm[0] - (s->y == 0)) * (s->pm[0] - (s->y == 0));
        }
    }
    out->n = n;
    /* a score over no game (a warm-up season, a window with nothing scored) is undefined, not
       zero; so is an ECE that cannot be computed */
    out->ece_model = out->ece_close = NAN;
    if (!n) {
        out->ll_model = out->ll_close = out->brier_model = out->brier_close = NAN;
    } else {
        out->ll_model /= (double)n;
        out->ll_close /= (double)n;
        /* two-way Brier is reported on P(class 0), the usual convention: halve the two-class sum */
        double div = st->nsc && st->sc[0].ns == 2 ? 2.0 * (double)n : (double)n;
        out->brier_model /= div;
        out->brier_close /= div;
        if (!aps_score_reliability(pool_m, pool_y, npool, &out->rel_model))
            out->ece_model = out->rel_model.ece;
        struct aps_score_reliability rc;
        if (!aps_score_reliability(pool_c, pool_y, npool, &rc))
            out->ece_close = rc.ece;
    }
    if (out->n538) {
        out->ll_538 /= (double)out->n538;
        out->ll_model_538 /= (double)out->n538;
        out->brier_538 /= 2.0 * (double)out->n538;
        out->brier_model_538 /= 2.0 * (double)out->n538;
    }
    aps_free(pool_m);
    aps_free(pool_c);
    aps_free(pool_y);
}

/* One day: predictions and bets for every game of [d0, d1), then settlement, then learning. */
static int run_day(struct aps_predictor *pred, const struct aps_history *h, size_t d0, size_t d1,
                   const struct aps_backtest_opts *o, struct aps_backtest_report *r,
                   struct run_state *st, size_t *betcap)
{
    double open = r->bankroll, day_profit = 0;
    int rc = 0;
    for (size_t gi = d0; gi < d1 && !rc; gi++) {
        const struct aps_hist_game *g = &h->games[gi];
        rc = pred->begin(pred->ctx, h, gi);
        if (rc || aps_backtest_warm_up(o, g) || !in_range(o, g->date))
            continue;
        struct aps_market_view v;
        rc = aps_market_view(h, g, o->market, o->margin, &v);
        if (rc)
            break;
        r->games++;
        r->with_entry += v.has_entry;
        r->with_close += v.has_close && v.close_phase == APS_PHASE_CLOSE;
        r->close_from_pre += v.has_close && v.close_phase != APS_PHASE_CLOSE;
        r->entry_from_close += v.has_entry && v.entry_phase == APS_PHASE_CLOSE;
        if (!r->from[0])
            (void)aps_str_copy(r->from, sizeof r->from, g->date);
        (void)aps_str_copy(r->to, sizeof r->to, g->date);
        int season = season_index(r, g->season);
        rc = score_game(pred, h, gi, &v, season, st);
        struct aps_bt_bet bet;
        bool placed = false;
        if (!rc)
            rc = consider_bet(pred, h, gi, &v, o, open, &bet, &placed);
        if (!rc && placed) {
            add_bet(r, &bet, betcap);
            tally_bet(&r->all, &bet);
            tally_bet(&r->tier[bet.tier], &bet);
            tally_bet(&r->seasons[season].t, &bet);
            day_profit += bet.profit;
        }
    }
    for (size_t gi = d0; gi < d1 && !rc; gi++)
        rc = pred->observe(pred->ctx, h, gi);
    r->bankroll = open + day_profit;
    return rc;
}

int aps_backtest_run(const struct aps_history *h, struct aps_predictor *pred,
                     const struct aps_backtest_opts *o, struct aps_backtest_report *r)
{
    memset(r, 0, sizeof *r);
    r->sport = h->sport;
    r->market = o->market;
    r->model = pred->name;
    r->bankroll0 = r->bankroll = o->bankroll;
    if (o->fresh_from)
        (void)aps_str_copy(r->fresh_from, sizeof r->fresh_from, o->fresh_from);
    struct run_state st = {0};
    size_t betcap = 0, neq = 0, capeq = 0;
    double *equity = NULL;
    push_double(&equity, &neq, &capeq, r->bankroll);
    int rc = 0;
    for (size_t d0 = 0; d0 < h->ngames && !rc;) {
        size_t d1 = d0 + 1;
        while (d1 < h->ngames && !strcmp(h->games[d1].date, h->games[d0].date))
            d1++;
        size_t before = r->nbets;
        rc = run_day(pred, h, d0, d1, o, r, &st, &betcap);
        if (r->nbets > before)
            push_double(&equity, &neq, &capeq, r->bankroll);
        d0 = d1;
    }
    if (!rc) {
        compute_scores(&st, -1, &r->scores);
        for (size_t s = 0; s < r->nseasons; s++)
            compute_scores(&st, (int)s, &r->seasons[s].s);
        if (aps_score_max_drawdown(equity, neq, &r->max_drawdown))
            r->max_drawdown = NAN;
        if (r->nbets > 1) {
            double *ret = aps_malloc(r->nbets * sizeof *ret);
            for (size_t i = 0; i < r->nbets; i++)
                ret[i] = r->bets[i].stake > 0 ? r->bets[i].profit / r->bets[i].stake : 0;
            if (aps_score_sharpe(ret, r->nbets, &r->sharpe))
                r->sharpe = NAN;
            aps_free(ret);
        } else {
            r->sharpe = NAN;
        }
        r->growth = r->bankroll0 > 0 ? (r->bankroll - r->bankroll0) / r->bankroll0 : NAN;
    }
    aps_free(st.sc);
    aps_free(equity);
    if (rc)
        aps_backtest_report_cleanup(r);
    return rc;
}

void aps_backtest_report_cleanup(struct aps_backtest_report *r)
{
    aps_free(r->seasons);
    aps_free(r->bets);
    r->seasons = NULL;
    r->bets = NULL;
    r->nseasons = r->nbets = 0;
}

int aps_report_format_parse(const char *s)
{
    if (!strcmp(s, "table"))
        return APS_FMT_TABLE;
    if (!strcmp(s, "json"))
        return APS_FMT_JSON;
    if (!strcmp(s, "csv"))
        return APS_FMT_CSV;
    return -1;
}
