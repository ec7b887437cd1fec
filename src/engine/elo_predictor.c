/* elo_predictor.c — the Elo predictor (see predictor.h).
 *
 * Moneyline: the Elo engine's two- or three-way probability.
 * Spread: the home side's expected margin is beta·d, with d the Elo difference including home
 *   advantage and beta fitted online by least squares through the origin over the games seen so
 *   far; the error is normal with the running root-mean-square residual. P(side covers its own
 *   line L) = Phi((mu_side + L)/sigma).
 * Total: each team's exponentially weighted points for and against (alpha 0.1, about a seven-game
 *   half-life); expected total = (for_home + against_away)/2 + (for_away + against_home)/2 plus
 *   the running mean residual; normal error as above. P(over L) = 1 − Phi((L − mu)/sigma).
 * Spread and total opinions need 30 finished games in the sport and 3 per team first. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/strmap.h"
#include "engine/predictor.h"
#include "model/elo.h"
#include "engine/elo_store.h"
#include "model/elo_fit.h"
#include "model/elo_replay.h"

#define MIN_GAMES 30
#define MIN_TEAM_GAMES 3
#define TOTAL_ALPHA 0.1

struct team_scoring {
    double pts_for, pts_against;
    int games;
};

struct elo_pred {
    struct aps_elo_replay walk; /* the ratings, walked game by game */
    struct aps_elo_predictor_opts opts;
    bool three_way;
    /* margin model */
    double sdm, sdd, srr;
    size_t nm;
    /* totals model */
    struct aps_strmap team_index;
    struct team_scoring *teams;
    size_t nteams, capteams;
    double tot_mean, tot_m2;    /* Welford running mean and sum of squared deviations */
    size_t nt;
    /* all games as the refit needs them */
    struct aps_elo_fit_game *fit;
};

double aps_norm_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static struct team_scoring *scoring(struct elo_pred *ep, int64_t team)
{
    char key[24];
    int64_t idx;
    snprintf(key, sizeof key, "%lld", (long long)team);
    if (!aps_strmap_get(&ep->team_index, key, &idx)) {
        if (ep->nteams == ep->capteams) {
            ep->capteams = ep->capteams ? ep->capteams * 2 : 64;
            ep->teams = aps_realloc(ep->teams, ep->capteams * sizeof *ep->teams);
        }
        idx = (int64_t)ep->nteams++;
        memset(&ep->teams[idx], 0, sizeof ep->teams[idx]);
        aps_strmap_put(&ep->team_index, key, idx);
    }
    return &ep->teams[idx];
}

/* The scoring records of a game's two teams. Both are looked up (and added) before either
 * pointer is taken, since adding one may move the array. */
static void scoring_pair(struct elo_pred *ep, const struct aps_hist_game *g,
                         struct team_scoring **home, struct team_scoring **away)
{
    (void)scoring(ep, g->home);
    *away = scoring(ep, g->away);
    *home = scoring(ep, g->home);
}

/* Walk-forward refit: the parameters for season s are fitted on the seasons before it only. */
static int refit(struct elo_pred *ep, const struct aps_history *h, size_t gi)
{
    int s = h->games[gi].season_no;
    if (s < 2)
        return 0;
    int lo_season = s - ep->opts.refit_window;
    size_t lo = gi;
    while (lo > 0 && h->games[lo - 1].season_no >= lo_season)
        lo--;
    struct aps_elo_fit_result fr;
    int rc = aps_elo_fit(&ep->walk.elo.p, ep->three_way, ep->fit + lo, gi - lo, 1, &fr);
    if (rc == APS_E_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    ep->walk.elo.p = fr.params;
    return 0;
}

static int ep_begin(void *ctx, const struct aps_history *h, size_t gi)
{
    struct elo_pred *ep = ctx;
    if (aps_elo_replay_enter(&ep->walk, h->games[gi].season_no) && ep->opts.refit)
        return refit(ep, h, gi);
    return 0;
}

static int prob_spread(struct elo_pred *ep, const struct aps_hist_game *g, enum aps_selection sel,
                       double line, double *p)
{
    if (ep->nm < MIN_GAMES || ep->sdd <= 0 || ep->srr <= 0)
        return APS_E_NOTFOUND;
    double beta = ep->sdm / ep->sdd, sigma = sqrt(ep->srr / (double)ep->nm);
    double mu = beta * aps_elo_diff(&ep->walk.elo, g);
    if (sel == APS_SEL_AWAY)
        mu = -mu;
    else if (sel != APS_SEL_HOME)
        return APS_E_INVAL;
    *p = aps_norm_cdf((mu + line) / sigma);
    return 0;
}

static int expected_total(struct elo_pred *ep, const struct aps_hist_game *g, double *mu)
{
    struct team_scoring *th, *ta;
    scoring_pair(ep, g, &th, &ta);
    if (th->games < MIN_TEAM_GAMES || ta->games < MIN_TEAM_GAMES)
        return APS_E_NOTFOUND;
    *mu = (th->pts_for + ta->pts_against) / 2 + (ta->pts_for + th->pts_against) / 2;
    return 0;
}

static int prob_total(struct elo_pred *ep, const struct aps_hist_game *g, enum aps_selection sel,
                      double line, double *p)
{
    double mu;
    if (ep->nt < MIN_GAMES || expected_total(ep, g, &mu))
        return APS_E_NOTFOUND;
    mu += ep->tot_mean;
    double sigma = sqrt(ep->tot_m2 / (double)ep->nt);
    if (!(sigma > 0))
        return APS_E_NOTFOUND;
    double over = 1 - aps_norm_cdf((line - mu) / sigma);
    if (sel == APS_SEL_OVER)
        *p = over;
    else if (sel == APS_SEL_UNDER)
        *p = 1 - over;
    else
        return APS_E_INVAL;
    return 0;
}

static int ep_prob(void *ctx, const struct aps_history *h, size_t gi, enum aps_market m,
                   enum aps_selection sel, double line, double *p)
{
    struct elo_pred *ep = ctx;
    const struct aps_hist_game *g = &h->games[gi];
    struct aps_elo_game eg = aps_elo_hist_game(g);
    if (m == APS_MKT_SPREAD)
        return prob_spread(ep, g, sel, line, p);
    if (m == APS_MKT_TOTAL)
        return prob_total(ep, g, sel, line, p);
    if (ep->three_way) {
        double pr[3];
        int rc = aps_elo_prob3(&ep->walk.elo, &eg, pr);
        if (rc)
            return rc;
        *p = sel == APS_SEL_HOME ? pr[0] : sel == APS_SEL_DRAW ? pr[1] : pr[2];
        return 0;
    }
    double ph;
    int rc = aps_elo_prob(&ep->walk.elo, &eg, &ph);
    if (rc)
        return rc;
    if (sel == APS_SEL_DRAW)
        return APS_E_INVAL;
    *p = sel == APS_SEL_HOME ? ph : 1 - ph;
    return 0;
}

static int ep_observe(void *ctx, const struct aps_history *h, size_t gi)
{
    struct elo_pred *ep = ctx;
    const struct aps_hist_game *g = &h->games[gi];
    if (!aps_hist_final(g))
        return 0;
    /* margin model, from the ratings before the game */
    double d = aps_elo_diff(&ep->walk.elo, g), margin = g->home_score - g->away_score;
    if (ep->nm >= 1 && ep->sdd > 0) {
        double r = margin - (ep->sdm / ep->sdd) * d;
        ep->srr += r * r;
    } else {
        ep->srr += margin * margin;
    }
    ep->sdm += d * margin;
    ep->sdd += d * d;
    ep->nm++;
    /* totals model */
    double mu, total = g->home_score + g->away_score;
    if (!expected_total(ep, g, &mu)) {
        double r = total - mu, delta = r - ep->tot_mean;
        ep->nt++;
        ep->tot_mean += delta / (double)ep->nt;
        ep->tot_m2 += delta * (r - ep->tot_mean);
    }
    struct team_scoring *th, *ta;
    scoring_pair(ep, g, &th, &ta);
    double a_h = th->games ? TOTAL_ALPHA : 1, a_a = ta->games ? TOTAL_ALPHA : 1;
    th->pts_for += a_h * (g->home_score - th->pts_for);
    th->pts_against += a_h * (g->away_score - th->pts_against);
    ta->pts_for += a_a * (g->away_score - ta->pts_for);
    ta->pts_against += a_a * (g->home_score - ta->pts_against);
    th->games++;
    ta->games++;
    return aps_elo_replay_feed_hist(&ep->walk, g, NULL);
}

static void ep_destroy(void *ctx)
{
    struct elo_pred *ep = ctx;
    if (!ep)
        return;
    aps_elo_replay_cleanup(&ep->walk);
    aps_strmap_cleanup(&ep->team_index);
    aps_free(ep->teams);
    aps_free(ep->fit);
    aps_free(ep);
}

int aps_elo_predictor_new(const struct aps_history *h, const struct aps_elo_predictor_opts *o,
                          struct aps_predictor *out)
{
    struct elo_pred *ep = aps_calloc(1, sizeof *ep);
    ep->opts = *o;
    if (ep->opts.refit_window < 2)
        ep->opts.refit_window = 8;
    ep->three_way = aps_sport_info(h->sport)->three_way;
    int rc = aps_elo_replay_init(&ep->walk, o->params);
    if (rc) {
        aps_free(ep);
        return rc;
    }
    ep->fit = aps_elo_fit_games(h);
    *out = (struct aps_predictor){"elo", ep, ep_begin, ep_prob, ep_observe, ep_destroy};
    return 0;
}
