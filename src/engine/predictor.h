/* predictor.h — the interface a model offers to walk-forward work (backtests now, live picks and
 * the trainer's models later): probabilities for a game from information before it, then the
 * game's result once it is final.
 *
 * The caller drives it strictly in time order: for each day, begin() and prob() for every game of
 * the day, then observe() for every finished game of the day (games of one day are predicted
 * before any of them is learned from, since most sources give no kick-off time). */
#ifndef APS_ENGINE_PREDICTOR_H
#define APS_ENGINE_PREDICTOR_H

#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/history.h"

struct aps_predictor {
    const char *name;
    void *ctx;
    /* Prepares the state for game gi (season boundaries, refits). */
    int (*begin)(void *ctx, const struct aps_history *h, size_t gi);
    /* Probability that selection sel wins, for spread/total at its own line (a push counts as not
     * winning only when the line can push; callers use it on non-push games). APS_E_NOTFOUND
     * when the model has no opinion yet (too little history). */
    int (*prob)(void *ctx, const struct aps_history *h, size_t gi, enum aps_market m,
                enum aps_selection sel, double line, double *p);
    /* Learns from finished game gi. */
    int (*observe)(void *ctx, const struct aps_history *h, size_t gi);
    void (*destroy)(void *ctx);
};

struct aps_elo_params;

struct aps_elo_predictor_opts {
    const struct aps_elo_params *params; /* starting parameters (defaults or fitted) */
    bool refit;         /* refit K, H, regression (and draw width) at each season start on the
                           earlier seasons: walk-forward parameters */
    int refit_window;   /* seasons of history the refit uses (e.g. 8) */
};

/* Elo for moneylines; Elo difference → expected margin (a through-origin regression learned
 * online) with a normal error for spreads; team scoring averages for totals. */
int aps_elo_predictor_new(const struct aps_history *h, const struct aps_elo_predictor_opts *o,
                          struct aps_predictor *out) APS_MUST_CHECK;

/* Standard normal CDF. */
double aps_norm_cdf(double x);

#endif
