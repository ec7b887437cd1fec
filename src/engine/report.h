/* report.h — the numbers of the model report (`aps report models`, cli/cmd_report.c writes them):
 * a model's walk-forward probabilities next to another source's on exactly the same games, scored
 * alike, and the Elo predictor next to FiveThirtyEight's published forecasts. */
#ifndef APS_ENGINE_REPORT_H
#define APS_ENGINE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/history.h"
#include "odds/margin.h"

struct aps_model_preds;
struct aps_gate_games;

/* Probabilities of two sources (a, b) on the same games, k classes each, and the outcome class.
 * init allocates room for cap games; cleanup frees. */
struct aps_report_pairs {
    size_t n;
    int k;
    double *a, *b; /* n × k */
    int *y;
};

void aps_report_pairs_init(struct aps_report_pairs *s, size_t cap, int k);
void aps_report_pairs_cleanup(struct aps_report_pairs *s);
/* Appends one game (at most cap games in all). */
void aps_report_pairs_add(struct aps_report_pairs *s, const double *a, const double *b, int y);

struct aps_report_scores {
    double ll, brier, ece, auc;
};

/* Of n rows of k class probabilities p with outcome classes y (n >= 1): log-loss of the actual
 * class (clipped at 1e-15), Brier (two-way: on class 0), ECE (two-way: class 0; three-way: every
 * class pooled) and AUC of class 0 (NAN where undefined). */
void aps_report_score(const double *p, const int *y, size_t n, int k,
                      struct aps_report_scores *out);

/* The model (a) against the market's entry prices (open, else pre-match; only where the entry
 * line is the close's), against the close on the market gate's games, and against
 * FiveThirtyEight (two-way moneylines); drift holds the entry market (a) against the close (b)
 * on the games with both. */
struct aps_report_market {
    struct aps_report_pairs entry, close, f538, drift;
    enum aps_phase entry_phase;
    bool entry_mixed; /* the entry prices mix phases */
};

/* Fills mc from the scored predictions pr of market m (k classes) over history h, with gg the
 * market gate's games and mm the margin method. Cleanup frees; safe on a zeroed struct. */
void aps_report_market_build(const struct aps_history *h, const struct aps_model_preds *pr,
                             enum aps_market m, int k, const struct aps_gate_games *gg,
                             enum aps_margin_method mm, struct aps_report_market *mc);
void aps_report_market_cleanup(struct aps_report_market *mc);

/* Elo's walk-forward probability of a home win (default starting parameters, refitted each
 * season) next to FiveThirtyEight's on every finished game with a 538 forecast, ties left out,
 * after the first season. n is 0 when there is no such game. */
struct aps_report_elo538 {
    size_t n;
    double ll_elo, ll_538, brier_elo, brier_538; /* means */
    char first[11], last[11];                    /* dates of the first and last game */
};

int aps_report_elo_vs_538(const struct aps_history *h,
                          struct aps_report_elo538 *out) APS_MUST_CHECK;

#endif
