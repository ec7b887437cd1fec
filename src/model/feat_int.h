/* feat_int.h — what the feature files share inside the model layer (not a public interface). */
#ifndef APS_MODEL_FEAT_INT_H
#define APS_MODEL_FEAT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/history.h"
#include "model/features.h"

/* Day number (days since 1970-01-01) of a game's date. */
int64_t aps_feat_day(const struct aps_hist_game *g);
/* Fills the market columns of the full row f from game gi's open/pre-match quotes. */
void aps_feat_market_cols(const struct aps_feat_state *st, size_t gi, double *f);
/* What a finished game's market said, as the market-implied ratings learn it (feat_market.c): its
 * close, else its entry; moneyline home log-odds, spread home margin, total; NAN where unpriced. */
void aps_feat_market_targets(const struct aps_feat_state *st, size_t gi, double out[3]);

#endif
