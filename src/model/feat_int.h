/* feat_int.h — what the feature files share inside the model layer (not a public interface). */
#ifndef APS_MODEL_FEAT_INT_H
#define APS_MODEL_FEAT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/history.h"
#include "model/features.h"

/* True when the game has a final score (engine/history.c's aps_hist_final, restated here so the
 * model layer does not link against the engine layer above it). */
static inline bool aps_feat_final(const struct aps_hist_game *g)
{
    return g->status == APS_GS_FINAL && g->home_score >= 0 && g->away_score >= 0;
}
/* Day number (days since 1970-01-01) of a game's date. */
int64_t aps_feat_day(const struct aps_hist_game *g);
/* Fills the market columns of the full row f from game gi's open/pre-match quotes. */
void aps_feat_market_cols(const struct aps_feat_state *st, size_t gi, double *f);

#endif
