/* elo_replay.h — the one walk of a sport's games through the Elo engine, in time order.
 *
 * Every user of ratings over a game sequence steps through it: the parameter fit (elo_fit.c), the
 * feature state (features.c), the Elo predictor and the stored point-in-time ratings (engine), and
 * `aps elo ratings`. Per game, in order:
 *   aps_elo_replay_enter()  before anything is read about the game: when its season differs from
 *                           the previous game's, every rating regresses (the first game starts no
 *                           regression);
 *   aps_elo_replay_feed()   after: a finished game (both scores >= 0) moves the ratings; an
 *                           unfinished one changes nothing.
 * aps_elo_replay_history() is the whole walk over a loaded history, for callers that only watch
 * the ratings move. */
#ifndef APS_MODEL_ELO_REPLAY_H
#define APS_MODEL_ELO_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "model/elo.h"
#include "model/elo_fit.h"
#include "model/history.h"

/* Ratings part-way through a walk. init/cleanup pair; cleanup is safe on a zeroed struct. */
struct aps_elo_replay {
    struct aps_elo elo;
    int season; /* season_no of the last game entered, -1 before the first */
};

/* APS_E_INVAL for parameters aps_elo_init() refuses. */
int aps_elo_replay_init(struct aps_elo_replay *r, const struct aps_elo_params *p) APS_MUST_CHECK;
void aps_elo_replay_cleanup(struct aps_elo_replay *r);
/* Enters a game of season season_no; true when it starts a season (the first game included). */
bool aps_elo_replay_enter(struct aps_elo_replay *r, int season_no);
/* Feeds a game's result when both scores are >= 0 (res filled when not NULL); a no-op returning 0
 * otherwise. Errors as aps_elo_update(). */
int aps_elo_replay_feed(struct aps_elo_replay *r, const struct aps_elo_game *g, int home_score,
                        int away_score, struct aps_elo_result *res) APS_MUST_CHECK;
/* Feeds a history game when it is final (aps_hist_final), as aps_elo_replay_feed(). */
int aps_elo_replay_feed_hist(struct aps_elo_replay *r, const struct aps_hist_game *g,
                             struct aps_elo_result *res) APS_MUST_CHECK;

/* Called after each finished game of aps_elo_replay_history() with the two sides' overall ratings
 * before it; the ratings after it are in r. A nonzero return stops the walk. */
typedef int (*aps_elo_replay_fn)(void *ctx, const struct aps_elo_replay *r,
                                 const struct aps_hist_game *g, double home_before,
                                 double away_before);
/* Walks games [0, n) of h (n <= h->ngames); fn may be NULL. Returns 0, an engine error, or fn's
 * first nonzero return. */
int aps_elo_replay_history(struct aps_elo_replay *r, const struct aps_history *h, size_t n,
                           aps_elo_replay_fn fn, void *ctx) APS_MUST_CHECK;

/* A history game as the engine takes it (its surface by name). */
struct aps_elo_game aps_elo_hist_game(const struct aps_hist_game *g);
/* The home side's edge in overall Elo points, home advantage included when the sport has one and
 * the site is not neutral: what the margin and feature models regress on. */
double aps_elo_diff(const struct aps_elo *e, const struct aps_hist_game *g);
/* The history as Elo fitting input: unfinished games carry scores of -1. Caller frees with
 * aps_free. */
struct aps_elo_fit_game *aps_elo_fit_games(const struct aps_history *h);

#endif
