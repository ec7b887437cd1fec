/* gate.h — the market gate of a trained model: what its walk-forward predictions say against the
 * market, the evidence a model needs before its picks are published.
 *
 * The gate's games (aps_gate_games) are one definition, used by `aps train` for the verdict and
 * by `aps report models` for its closing-market row: the games the trainer scored walk-forward
 * (its scoring set: labelled games of every fold but the warm-up fold), each with a closing
 * benchmark (odds/benchmark.h; the latest pre-match prices where the data has no close) whose
 * line — for spreads and totals — is the line the trainer labelled and predicted the game at
 * (the most-quoted closing home/over line, model/features.h aps_feat_main_line). On each of them
 * the model's probability is its stored walk-forward one (for spreads and totals P(home covers /
 * over) at that line, after walk-forward calibration) and the market's the benchmark's no-vig
 * probability at the same line, so both price the outcome the trainer scored.
 *   - log-loss: the model's against the closing market's on those games; the gate passes when
 *     the model is within APS_GATE_MAX_LL_GAP (0.5 %) of the market on at least
 *     APS_GATE_MIN_GAMES games (the README's benchmark: within 0.5 % of the close);
 *   - edge buckets: the model's picks on the same games replayed by the backtest (backtest.h)
 *     with the betting rules of the settings, grouped by edge, with their return on stake; the
 *     largest edge the record supports is the upper end of the highest bucket with at least
 *     APS_GATE_MIN_BUCKET_BETS bets and a positive return (0 when none). A live edge above it is
 *     not believed: the pick is published as no bet with that reason. */
#ifndef APS_ENGINE_GATE_H
#define APS_ENGINE_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/history.h"
#include "engine/predictor.h"
#include "model/registry.h"
#include "odds/kelly.h"
#include "odds/margin.h"

#define APS_GATE_MAX_LL_GAP 0.005
#define APS_GATE_MIN_GAMES 200
#define APS_GATE_MIN_BUCKET_BETS 20
#define APS_GATE_NBUCKETS 6
#define APS_GATE_BANKROLL 10000

struct aps_backtest_opts;

struct aps_backtest_report;

struct aps_gate_bucket {
    double lo, hi;           /* edge in [lo, hi) */
    size_t bets;
    double staked, profit;   /* return on stake = profit / staked */
};

struct aps_gate {
    size_t games;
    size_t scored;           /* games in the trainer's walk-forward scoring set */
    size_t no_close;         /* of those, without a closing benchmark */
    size_t other_line;       /* of those, whose closing benchmark is at another line */
    enum aps_margin_method margin;
    double ll_model, ll_market;
    bool passed;
    char why[200];
    size_t bets;
    struct aps_gate_bucket bucket[APS_GATE_NBUCKETS];
    double max_edge;         /* largest edge the walk-forward record supports; 0: none */
};

/* The gate's games of a model (see above): n games in history order, with the model's (pm) and
 * the closing market's (pc) probabilities of each of the k outcome classes and the class that
 * happened (y); in[gi] tells whether history game gi is one of them. */
struct aps_gate_games {
    size_t n;
    int k;
    size_t *gi;
    double *pm, *pc;         /* n × k */
    int *y;
    bool *in;                /* h->ngames */
    size_t scored, no_close, other_line; /* as in struct aps_gate */
};

/* The gate's games of preds (a model's stored walk-forward predictions for market m, k classes)
 * over history h, with closing no-vig probabilities by margin method mm. Cleanup frees. */
int aps_gate_games(const struct aps_history *h, const struct aps_model_preds *preds,
                   enum aps_market m, int k, enum aps_margin_method mm,
                   struct aps_gate_games *out) APS_MUST_CHECK;
void aps_gate_games_cleanup(struct aps_gate_games *g);

/* The model's and the market's mean log-loss on the games (NAN when there are none). */
void aps_gate_log_loss(const struct aps_gate_games *g, double *ll_model, double *ll_market);

/* The walk-forward predictor of preds (engine/model_predictor.h; takes ownership of preds) that
 * answers only for the gate's games g (which must outlive it): the backtest of its picks is the
 * gate's edge evidence. name is kept by pointer. */
int aps_gate_predictor(const struct aps_history *h, struct aps_model_preds *preds,
                       enum aps_market m, int k, const char *name,
                       const struct aps_gate_games *g, struct aps_predictor *out) APS_MUST_CHECK;

/* The backtest options of the gate's replay: market m, the Kelly rules kp without an edge cap
 * (the record is what sets the cap), margin method mm, a bankroll of APS_GATE_BANKROLL. */
void aps_gate_backtest_opts(const struct aps_kelly_params *kp, enum aps_margin_method mm,
                            enum aps_market m, struct aps_backtest_opts *bo);

/* The verdict on the games g, the bets of r (a backtest of aps_gate_predictor) as evidence. */
void aps_gate_verdict(const struct aps_gate_games *g, const struct aps_backtest_report *r,
                      enum aps_margin_method mm, struct aps_gate *out);

/* The whole gate of a model: its games, the backtest of its picks on them (the settings' Kelly
 * rules without an edge cap, margin method mm) and the verdict. Takes ownership of preds. */
int aps_gate_evaluate(const struct aps_history *h, struct aps_model_preds *preds,
                      enum aps_market m, int k, const char *name,
                      const struct aps_kelly_params *kp, enum aps_margin_method mm,
                      struct aps_gate *out) APS_MUST_CHECK;

/* Fills out's edge buckets, bets and max_edge from a backtest's bets. */
void aps_gate_buckets(const struct aps_backtest_report *r, struct aps_gate *out);

/* The gate as JSON text (caller frees with aps_free), stored in the model's metrics under
 * "market_gate". */
char *aps_gate_json(const struct aps_gate *g);

/* The stored gate of a model's metrics as a struct: verdict, largest supported edge, games,
 * log-losses, margin method (APS_MARGIN__COUNT when not recorded) and why (edge buckets are not
 * read back); false when the metrics have no gate (a model trained before the gate existed: not
 * published). */
bool aps_gate_read(const char *metrics, struct aps_gate *out);

#endif
