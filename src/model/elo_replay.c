/* elo_replay.c — the walk of games through the Elo engine (see elo_replay.h). */
#include "model/elo_replay.h"

#include "core/mem.h"

int aps_elo_replay_init(struct aps_elo_replay *r, const struct aps_elo_params *p)
{
    r->season = -1;
    return aps_elo_init(&r->elo, p);
}

void aps_elo_replay_cleanup(struct aps_elo_replay *r)
{
    aps_elo_cleanup(&r->elo);
    r->season = -1;
}

bool aps_elo_replay_enter(struct aps_elo_replay *r, int season_no)
{
    if (season_no == r->season)
        return false;
    if (r->season >= 0)
        aps_elo_new_season(&r->elo);
    r->season = season_no;
    return true;
}

int aps_elo_replay_feed(struct aps_elo_replay *r, const struct aps_elo_game *g, int home_score,
                        int away_score, struct aps_elo_result *res)
{
    if (home_score < 0 || away_score < 0)
        return 0;
    return aps_elo_update(&r->elo, g, home_score, away_score, res);
}

int aps_elo_replay_feed_hist(struct aps_elo_replay *r, const struct aps_hist_game *g,
                             struct aps_elo_result *res)
{
    if (!aps_hist_final(g))
        return 0;
    struct aps_elo_game eg = aps_elo_hist_game(g);
    return aps_elo_replay_feed(r, &eg, g->home_score, g->away_score, res);
}

int aps_elo_replay_history(struct aps_elo_replay *r, const struct aps_history *h, size_t n,
                           aps_elo_replay_fn fn, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct aps_hist_game *g = &h->games[i];
        aps_elo_replay_enter(r, g->season_no);
        if (!aps_hist_final(g))
            continue;
        double hb = aps_elo_rating(&r->elo, g->home), ab = aps_elo_rating(&r->elo, g->away);
        rc = aps_elo_replay_feed_hist(r, g, NULL);
        if (!rc && fn)
            rc = fn(ctx, r, g, hb, ab);
    }
    return rc;
}

struct aps_elo_game aps_elo_hist_game(const struct aps_hist_game *g)
{
    struct aps_elo_game eg = {g->home, g->away, g->neutral, aps_elo_surface_name(g->surface)};
    return eg;
}

double aps_elo_diff(const struct aps_elo *e, const struct aps_hist_game *g)
{
    double d = aps_elo_rating(e, g->home) - aps_elo_rating(e, g->away);
    if (e->p.has_home && !g->neutral)
        d += e->p.home_adv;
    return d;
}

struct aps_elo_fit_game *aps_elo_fit_games(const struct aps_history *h)
{
    struct aps_elo_fit_game *f = aps_calloc(h->ngames ? h->ngames : 1, sizeof *f);
    for (size_t i = 0; i < h->ngames; i++) {
        const struct aps_hist_game *g = &h->games[i];
        bool fin = aps_hist_final(g);
        f[i] = (struct aps_elo_fit_game){
            g->home, g->away, g->neutral, fin ? g->home_score : -1, fin ? g->away_score : -1,
            g->season_no, aps_elo_surface_name(g->surface)};
    }
    return f;
}
