/* trainer.h — one training run of `aps train`, from the store to the registry: load the sport's
 * history and extras, compute the point-in-time features (model/features.h), run the seeded
 * walk-forward search (model/search.h) and, on a thread of its own beside it, check the features
 * for leakage (model/features.h; it only reads what the search reads), save the best model as a
 * challenger with its walk-forward predictions and a hash of its training data, replay those
 * predictions against the market (the market gate, engine/gate.h, stored in the model's metrics
 * as "market_gate"), apply the promotion rule (model/registry.h, which requires the market gate)
 * and record the run with its leaderboard. */
#ifndef APS_ENGINE_TRAINER_H
#define APS_ENGINE_TRAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/domain.h"
#include "core/err.h"
#include "engine/gate.h"
#include "model/history.h"
#include "model/features.h"
#include "model/search.h"
#include "model/walkforward.h"
#include "odds/kelly.h"
#include "odds/margin.h"

struct aps_conn;

/* A sport's data, shared by the markets trained on it. */
struct aps_trainer_sport {
    struct aps_history h;
    struct aps_feat_extras x;
    struct aps_feat_spec spec;
    struct aps_feat_matrix m;
    double seconds;
};

struct aps_trainer_opts {
    struct aps_search_opts search;
    const char *preset_name;    /* for the runs table */
    const char *model_path;     /* MODEL_PATH */
    bool promote;               /* apply the automatic promotion rule */
    const char *until;          /* YYYY-MM-DD: the history stopped before this date (recorded in
                                   the model's params as train_until; such a model is registered
                                   as a challenger only), NULL: every stored game */
    size_t leak_samples;        /* games the leakage check compares (0: every finished game) */
    struct aps_wf_opts wf;
    struct aps_kelly_params kelly; /* the betting rules the market gate replays (engine/gate.h);
                                      all zero: the reference defaults */
    enum aps_margin_method margin;
};

struct aps_trainer_outcome {
    bool ran;                   /* false: nothing to train (no folds or too few labels) */
    char why[160];              /* why it did not run, or why the search ran no candidate */
    struct aps_search_result r;
    size_t leak_checked;
    long leak_bad;
    int64_t model_id, run_id;
    char model_name[128];
    struct aps_gate gate;       /* the market gate of the saved model */
    bool promoted;
    char note[320];
    size_t nfolds;
    char first_fold[24], last_fold[24];
};

int aps_trainer_prepare(struct aps_conn *c, enum aps_sport sport,
                        struct aps_trainer_sport *ts) APS_MUST_CHECK;
/* The same with a training cutoff: only games dated before `until` (YYYY-MM-DD; NULL: all) are
 * loaded, so features, the search, calibration and stacking never see a game on or after it. */
int aps_trainer_prepare_until(struct aps_conn *c, enum aps_sport sport, const char *until,
                              struct aps_trainer_sport *ts) APS_MUST_CHECK;
/* The day before a YYYY-MM-DD date into out (11 bytes); APS_E_INVAL when it is not a date. */
int aps_trainer_day_before(const char *date, char out[11]) APS_MUST_CHECK;
void aps_trainer_sport_cleanup(struct aps_trainer_sport *ts);
/* Runs the search for one market and registers the result (c must be a write connection).
 * out: aps_trainer_outcome_cleanup. With o->search.stop set: APS_E_INTERRUPTED, and nothing
 * recorded when it was set already, else the run recorded as failed ("interrupted by a signal")
 * and no model registered when it came during the search. */
int aps_trainer_run(struct aps_conn *c, struct aps_trainer_sport *ts, enum aps_market market,
                    const struct aps_trainer_opts *o,
                    struct aps_trainer_outcome *out) APS_MUST_CHECK;
void aps_trainer_outcome_cleanup(struct aps_trainer_outcome *out);

#endif
