/* model_predictor.h — a trained model behind the predictor interface (predictor.h).
 *
 * Two ways:
 *   walk-forward  the model's stored walk-forward predictions (model_predictions, written by
 *                 `aps train`): each game's probabilities come from a model fitted on earlier
 *                 games only, so a backtest over them is honest (`aps backtest --model NAME`);
 *                 for spreads and totals the stored probability is P(home covers / over) at the
 *                 line the trainer labelled the game at (the most-quoted closing line), used at
 *                 that line; at another line the stored margin estimate (mu, sigma) prices it;
 *   live          the production artefact applied to features computed by the same feature
 *                 state that training used (model/features.h): begin() computes the game's row
 *                 from what observe() has learned, prob() scores it through the model;
 *   frozen        both: the stored walk-forward prediction where the model has one, else — for
 *                 games dated on or after the end of its training data only — the production
 *                 artefact on point-in-time features, exactly as live picks compute them. This
 *                 scores a model trained with `aps train --until` on the later games it never
 *                 saw (`aps backtest --model NAME --from DATE`). */
#ifndef APS_ENGINE_MODEL_PREDICTOR_H
#define APS_ENGINE_MODEL_PREDICTOR_H

#include "core/err.h"
#include "engine/predictor.h"
#include "model/ensemble.h"
#include "model/features.h"
#include "model/registry.h"

/* Takes ownership of preds (cleaned up by destroy). market: the model's market; name is kept by
 * pointer and must outlive the predictor. */
int aps_model_predictor_walkforward(const struct aps_history *h, struct aps_model_preds *preds,
                                    enum aps_market market, int k, const char *name,
                                    struct aps_predictor *out) APS_MUST_CHECK;
/* Borrows t and x (they must outlive the predictor). */
/* The frozen predictor. Takes ownership of t, x and preds (cleaned up by destroy; they are
 * zeroed here). fresh_from: the first date (YYYY-MM-DD) the artefact predicts; only games dated
 * in [fresh_from, fresh_to] without a stored prediction are computed (fresh_to NULL: no end).
 * name is kept by pointer. */
int aps_model_predictor_frozen(const struct aps_history *h, struct aps_trained *t,
                               struct aps_feat_extras *x, struct aps_model_preds *preds,
                               const char *fresh_from, const char *fresh_to, const char *name,
                               struct aps_predictor *out) APS_MUST_CHECK;
/* How many games the frozen predictor has computed with the artefact so far. */
size_t aps_model_predictor_frozen_count(const struct aps_predictor *p);
/* The first date a model's artefact may be applied to: the day after its training data ends —
 * params.train_until when the model was trained with a cutoff, else the day after the latest
 * game with a stored walk-forward prediction (h: to date the stored games). out: 11 bytes. */
void aps_model_fresh_from(const char *params_json, const struct aps_model_preds *preds,
                          const struct aps_history *h, char out[11]);

int aps_model_predictor_live(const struct aps_history *h, const struct aps_feat_extras *x,
                             const struct aps_trained *t, struct aps_predictor *out) APS_MUST_CHECK;

struct aps_contrib;
/* The top contributions (model/explain.h) of a live predictor's prediction for game gi, the game
 * its begin() saw last. APS_E_NOTFOUND for another game or a predictor that is not live. */
int aps_model_predictor_explain(const struct aps_predictor *p, size_t gi, int top,
                                struct aps_contrib *out, int *n) APS_MUST_CHECK;

#endif
