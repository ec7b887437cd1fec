/* gate.h — the market gate of a trained model: what its walk-forward predictions say against the
 * market, the evidence a model needs before its picks are published.
 *
 * The model's stored walk-forward predictions (each from a model fitted on earlier games only)
 * are replayed by the backtest (backtest.h) with the betting rules of the settings:
 *   - log-loss: the model's against the closing no-vig market's on the same games; the gate
 *     passes when the model is within APS_GATE_MAX_LL_GAP (0.5 %) of the market and has at least
 *     APS_GATE_MIN_GAMES scored games (the README's benchmark: within 0.5 % of the close);
 *   - edge buckets: the replayed bets grouped by edge, with their return on stake; the largest
 *     edge the record supports is the upper end of the highest bucket with at least
 *     APS_GATE_MIN_BUCKET_BETS bets and a positive return (0 when none). A live edge above it is
 *     not believed: the pick is published as no bet with that reason. */
#ifndef APS_ENGINE_GATE_H
#define APS_ENGINE_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "engine/history.h"
#include "engine/predictor.h"
#include "odds/kelly.h"
#include "odds/margin.h"

#define APS_GATE_MAX_LL_GAP 0.005
#define APS_GATE_MIN_GAMES 200
#define APS_GATE_MIN_BUCKET_BETS 20
#define APS_GATE_NBUCKETS 6

struct aps_gate_bucket {
    double lo, hi;           /* edge in [lo, hi) */
    size_t bets;
    double staked, profit;   /* return on stake = profit / staked */
};

struct aps_gate {
    size_t games;
    double ll_model, ll_market;
    bool passed;
    char why[200];
    size_t bets;
    struct aps_gate_bucket bucket[APS_GATE_NBUCKETS];
    double max_edge;         /* largest edge the walk-forward record supports; 0: none */
};

/* Replays pred (a walk-forward predictor) over the history for market m. */
int aps_gate_evaluate(const struct aps_history *h, struct aps_predictor *pred, enum aps_market m,
                      const struct aps_kelly_params *kp, enum aps_margin_method mm,
                      struct aps_gate *out) APS_MUST_CHECK;

struct aps_backtest_report;
/* Fills out's edge buckets, bets and max_edge from a backtest's bets. */
void aps_gate_buckets(const struct aps_backtest_report *r, struct aps_gate *out);

/* The gate as JSON text (caller frees with aps_free), stored in the model's metrics under
 * "market_gate". */
char *aps_gate_json(const struct aps_gate *g);

/* Reads "market_gate" from a model's metrics JSON: *passed and *max_edge; false when the metrics
 * have no gate (a model trained before the gate existed: not published). */
bool aps_gate_from_metrics(const char *metrics, bool *passed, double *max_edge);

#endif
