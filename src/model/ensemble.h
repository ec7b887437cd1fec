/* ensemble.h — the stacked ensemble and the trained model it belongs to.
 *
 * Stacking: a logistic meta-learner over the calibrated out-of-fold probabilities of each model
 * family (Elo, logistic, XGBoost; a family's members are averaged first, so the meta-learner sees
 * a few distinct inputs rather than many near-copies, and no member is picked by its score on the
 * games it is judged on). The meta-learner is a log-linear pool, a multinomial logistic model
 * whose class scores are s_c = Σ_g w_g·log p_{g,c} + b_c with one weight per family shared by the
 * classes (b of the last class 0): for two-way markets exactly a logistic regression on the
 * families' log-odds, for three-way ones far fewer parameters than a free multinomial fit. It is
 * fitted by Newton's method with an L2 pull of the weights toward the equal pool 1/G. Walk-forward, the meta-learner of fold f is fitted on the out-of-fold
 * predictions of folds 0..f−1 only (a plain average of the base probabilities stands in while
 * fewer than 200 games exist). For spreads and totals the meta-learner is a ridge regression of
 * the margin/total on the base models' expected values, with its own walk-forward error scale.
 *
 * A trained model (struct aps_trained) is what the registry stores and live picks use: the
 * feature spec, one or more fitted base models with their calibrators and, for an ensemble, the
 * meta-learner. A single-family model is the case of one base model and no meta-learner. */
#ifndef APS_MODEL_ENSEMBLE_H
#define APS_MODEL_ENSEMBLE_H

#include <stdbool.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/calibrate.h"
#include "model/candidate.h"
#include "model/features.h"
#include "model/walkforward.h"

/* Base models of one trained model: at least APS_SEARCH_MAX_CANDIDATES (search.h). */
#define APS_ENS_MAX 32

struct aps_trained {
    enum aps_sport sport;
    enum aps_market market;
    bool regression;
    int k;
    struct aps_feat_spec spec;
    enum aps_family family;
    char name[64];                        /* the leaderboard name of the candidate */
    int nbase;
    struct aps_base_model base[APS_ENS_MAX];
    struct aps_calib calib[APS_ENS_MAX];
    double sigma[APS_ENS_MAX];            /* regressions: each base's error scale */
    int ngroups;                          /* meta-learner inputs: family averages */
    int group[APS_ENS_MAX];               /* each base model's group */
    bool has_meta;
    double pool_w[APS_ENS_MAX], pool_b[3];/* classifiers: the log-linear pool */
    struct aps_margin_model meta_reg;     /* regressions; meta_reg.sigma is the model's scale */
    struct aps_calib out_calib;           /* an ensemble's own calibration of its output */
};

/* One game's prediction: class probabilities (spread/total: none), or the expected margin/total
 * with its error scale; base[] holds each base model's calibrated class-0 probability (or
 * expected value), the inputs of the meta-learner. */
struct aps_prediction {
    double p[3];
    double mu, sigma;
    double base[APS_ENS_MAX];
};

/* The average of n out-of-fold sets (a family's members); NAN where any member has none.
 * out: init'ed here. */
void aps_ens_average(const struct aps_oof *members, int n, bool regression, struct aps_oof *out);
/* Walk-forward ensemble over nb input out-of-fold sets (calibrated family averages). out:
 * init'ed here. */
int aps_ens_walkforward(const struct aps_wf_data *d, const struct aps_oof *base, int nb,
                        struct aps_oof *out) APS_MUST_CHECK;
/* Fits the production meta-learner of t over its t->ngroups input sets (base) on every
 * out-of-fold row. */
int aps_ens_fit_meta(const struct aps_wf_data *d, const struct aps_oof *base,
                     struct aps_trained *t) APS_MUST_CHECK;

/* Predicts one game from its feature row x, Elo probabilities and Elo difference. */
int aps_trained_predict(const struct aps_trained *t, const double *x, const double elo[3],
                        double elo_diff, struct aps_prediction *out) APS_MUST_CHECK;
/* Probability that sel wins at its own line (spread/total: P(win | no push), through the
 * calibration fitted on P(home covers / over) at the closing line), from a prediction. NAN when
 * the selection does not belong to the market. */
double aps_trained_prob(const struct aps_trained *t, const struct aps_prediction *pr,
                        enum aps_selection sel, double line);
void aps_trained_cleanup(struct aps_trained *t);

#endif
