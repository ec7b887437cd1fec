/* elo_fit.h — fitting a sport's Elo parameters by walk-forward log-loss.
 *
 * The games are replayed in time order; each game is predicted from the ratings before it, so the
 * log-loss over the replay is out of sample by construction. The first `burn_in` seasons only
 * warm the ratings up and are not scored. Two-way sports score P(home wins) on games that were
 * not tied; three-way sports (soccer) score the probability of the actual result (home, draw,
 * away). The search is a seeded-free, deterministic coordinate descent over K, home advantage,
 * season regression and (for soccer) the draw width, on fixed grids that it refines twice. */
#ifndef APS_MODEL_ELO_FIT_H
#define APS_MODEL_ELO_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "model/elo.h"

struct aps_elo_fit_game {
    int64_t home, away;
    bool neutral;
    int home_score, away_score; /* both >= 0: a finished game */
    int season_no;              /* increases at each season boundary */
    const char *surface;        /* tennis, or NULL */
};

struct aps_elo_fit_result {
    struct aps_elo_params params;
    double log_loss;            /* walk-forward, on the scored games */
    double brier;
    size_t scored;              /* games scored */
    int evaluations;            /* parameter sets tried */
};

/* Log-loss (and Brier, and the number of games scored) of one parameter set over the replay. */
int aps_elo_replay_loss(const struct aps_elo_params *p, bool three_way,
                        const struct aps_elo_fit_game *g, size_t n, int burn_in,
                        double *log_loss, double *brier, size_t *scored) APS_MUST_CHECK;

/* Searches from start (usually the sport's defaults) and returns the best set found. */
int aps_elo_fit(const struct aps_elo_params *start, bool three_way,
                const struct aps_elo_fit_game *g, size_t n, int burn_in,
                struct aps_elo_fit_result *out) APS_MUST_CHECK;

/* JSON text of the parameters (for the elo_params table) and back. */
void aps_elo_params_to_json(const struct aps_elo_params *p, char *out, size_t cap);
int aps_elo_params_from_json(const char *json, struct aps_elo_params *p) APS_MUST_CHECK;

#endif
