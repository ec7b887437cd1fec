/* candidate.h — one point of the model search: a family and its hyperparameters, fitted as a base
 * model on a set of games and run walk-forward through the folds.
 *
 * Families, for a moneyline (classifiers) and for spreads/totals (regressions of margin/total):
 *   elo       the Elo probabilities of the feature state; for spreads a ridge of the margin on the
 *             Elo difference alone (not offered for totals)
 *   logistic  L2 logistic regression (logistic.h); ridge regression for spreads/totals; with
 *             market_offset, the entry market's no-vig probabilities are the model's offset
 *             (logistic.h), so the penalty shrinks it towards the market; for spreads/totals
 *             the entry line is the offset of the expected margin/total (margin_model.h), a
 *             normal score distribution centred on the market plus a ridge correction; with
 *             poisson, a total's count (goals, runs) is Poisson with the ridge's mean; with
 *             skellam, a spread's goal margin is a difference of two Poisson counts (Skellam)
 *             with the ridge's mean and the walk-forward residual variance (margin_model.h),
 *             also with market_offset (the ridge centred on the entry line)
 *   gbm       XGBoost (gbm.h), softmax for three-way, squared error for spreads/totals
 *   ensemble  the stacked meta-learner over the others (ensemble.h) */
#ifndef APS_MODEL_CANDIDATE_H
#define APS_MODEL_CANDIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "model/gbm.h"
#include "model/logistic.h"
#include "model/margin_model.h"
#include "model/walkforward.h"

enum aps_family { APS_FAM_ELO, APS_FAM_LOGISTIC, APS_FAM_GBM, APS_FAM_ENSEMBLE, APS_FAM__COUNT };

struct aps_candidate {
    enum aps_family family;
    char name[64];
    double l2;                    /* logistic and ridge penalty */
    bool market_only;             /* logistic: the market columns and the Elo difference only */
    bool market_offset;           /* logistic: the entry market is the offset (see above) */
    bool poisson;                 /* ridge of a total: Poisson outcome instead of normal */
    bool skellam;                 /* ridge of a goal margin: Skellam outcome instead of normal */
    struct aps_gbm_params gbm;
};

/* A fitted base model. */
struct aps_base_model {
    struct aps_candidate c;
    bool regression;
    int k, d;
    struct aps_logit lr;
    struct aps_gbm gb;
    struct aps_margin_model mm;   /* regressions (elo: on the Elo difference alone, d = 1) */
};

const char *aps_family_name(enum aps_family f); /* "elo", "logistic", "gbm", "ensemble" */
int aps_family_parse(const char *s);            /* -1 when unknown */

/* Hyperparameters as a JSON object text (caller frees with aps_free) and back. */
char *aps_candidate_to_json(const struct aps_candidate *c);
int aps_candidate_from_json(const char *json, struct aps_candidate *c) APS_MUST_CHECK;

/* The market offset columns of a spec for k classes (ml_home, ml_draw, ml_away; for k = 2
 * ml_home twice) into cols; false when the spec lacks one. */
bool aps_candidate_offset_cols(const struct aps_feat_spec *spec, int k, int cols[3]);
/* The entry line column of a spread (APS_F_SPREAD) or total (APS_F_TOTAL) market in spec: the
 * market-anchored regression's offset; -1 when the spec lacks it or for a moneyline. */
int aps_candidate_line_col(const struct aps_feat_spec *spec, enum aps_market market);
/* Fits candidate c on the games rows[0..n) of data's matrix. */
int aps_base_fit(const struct aps_candidate *c, const struct aps_wf_data *data, const size_t *rows,
                 size_t n, struct aps_base_model *b) APS_MUST_CHECK;
void aps_base_cleanup(struct aps_base_model *b);
/* One game: classifiers give k probabilities, regressions out[0] = expected value. x is the
 * feature row, elo the Elo probabilities (home, draw, away), elo_diff its difference. */
int aps_base_predict(const struct aps_base_model *b, const double *x, const double *elo,
                     double elo_diff, double *out) APS_MUST_CHECK;
/* Predictions of rows rows[0..n) of data into out (k per row, or 1). */
int aps_base_predict_rows(const struct aps_base_model *b, const struct aps_wf_data *data,
                          const size_t *rows, size_t n, double *out) APS_MUST_CHECK;

/* Progress of a walk-forward run: called after each fold (may be NULL). */
typedef void (*aps_wf_progress)(void *arg, size_t fold, size_t nfolds);

/* Runs c through every fold: fold f's model is fitted on aps_wf_train_rows(f) and predicts the
 * fold's games. Regressions get their walk-forward error scale (aps_wf_sigma). raw: init'ed here.
 * *final_sigma: the error scale for a production fit (regressions). */
int aps_wf_run(const struct aps_wf_data *data, const struct aps_candidate *c, struct aps_oof *raw,
               double *final_sigma, aps_wf_progress cb, void *arg) APS_MUST_CHECK;

/* The same run taken fold by fold, as the search spreads one candidate's folds over its threads:
 * aps_wf_begin inits raw; aps_wf_fold fits fold f on aps_wf_train_rows(f) and writes the
 * predictions of the fold's games into raw (folds write disjoint rows, so they may run at the same
 * time, in any order, each with its own rows buffer of ngames entries; *in_sigma gets the fold's
 * in-sample error scale for regressions); aps_wf_end, once every fold succeeded, sets the
 * regressions' walk-forward error scale from the folds' fallback[] (aps_wf_sigma). aps_wf_run is
 * the three in turn, and both give the same predictions. */
void aps_wf_begin(const struct aps_wf_data *data, const struct aps_candidate *c,
                  struct aps_oof *raw);
int aps_wf_fold(const struct aps_wf_data *data, const struct aps_candidate *c, size_t f,
                size_t *rows, struct aps_oof *raw, double *in_sigma) APS_MUST_CHECK;
void aps_wf_end(const struct aps_wf_data *data, struct aps_oof *raw, const double *fallback,
                double *final_sigma);

#endif
