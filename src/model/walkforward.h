/* walkforward.h — walk-forward evaluation: folds over a sport's history, the labels of a market,
 * out-of-fold predictions of a candidate, their calibration, and their scores.
 *
 * Folds: the history is cut into seasons (runs of equal season_no). The first `burn_in` seasons
 * only train. Each later season is one test fold, except the latest `monthly_seasons` seasons,
 * which are cut by calendar month (months with fewer than 30 games join the fold before). Only
 * the latest `eval_seasons` seasons are tested. A history of a single season (a sport with one
 * season in the data, or trained with a cutoff inside its first season) is cut by month too: its
 * first quarter of games, to the end of that day, only trains, and the rest is tested month by
 * month (a month's part after the cut with fewer than 30 games joins the next month). Fold f's model is trained on the finished games
 * of the `train_seasons` seasons before it and the earlier part of its own season: every game
 * with an index below the fold's first game, whose date is before the fold's first date. A model
 * therefore only ever sees earlier games.
 *
 * Scoring set: the labelled games of every fold but the first (the first fold's out-of-fold
 * predictions only warm up the calibrators and the ensemble's meta-learner). Every candidate is
 * scored on the same games. */
#ifndef APS_MODEL_WALKFORWARD_H
#define APS_MODEL_WALKFORWARD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain.h"
#include "core/err.h"
#include "model/history.h"
#include "model/calibrate.h"
#include "model/features.h"
#include "model/margin_model.h"

struct aps_wf_opts {
    int burn_in;          /* seasons that only train (>= 1) */
    int eval_seasons;     /* latest seasons that are tested */
    int monthly_seasons;  /* latest seasons cut into months */
    int train_seasons;    /* training window in seasons */
};

struct aps_wf_fold {
    size_t t0, t1;        /* test games [t0, t1) */
    size_t train_lo;      /* training games [train_lo, t0) */
    char label[24];       /* "2019-20" or "2023-11" */
};

/* A market's labels over one history and feature matrix. */
struct aps_wf_data {
    const struct aps_history *h;
    const struct aps_feat_matrix *m;
    const struct aps_feat_spec *spec;
    enum aps_market market;
    bool regression;      /* spread/total: the base models regress target */
    int k;                /* classes: 2, or 3 for a soccer moneyline */
    int *y;               /* class of each game (spread/total: 0 = home covers / over at the
                             closing line), -1 when it does not score */
    double *target;       /* home margin (spread) or total points (total) of final games, NAN */
    double *line;         /* closing main line of the home (spread) or over (total) side, NAN */
    double *elo_diff;     /* the Elo difference column, NAN */
    struct aps_wf_fold *folds;
    size_t nfolds;
};

/* Out-of-fold predictions, one row per history game (NAN outside the tested folds). */
struct aps_oof {
    size_t n;
    int k;
    double *p;            /* n × k class probabilities (spread/total: at the closing line) */
    double *mu, *sigma;   /* spread/total: expected value and error scale; NULL otherwise */
    enum aps_score_dist dist; /* spread/total: the distribution giving p from mu and sigma */
};

struct aps_wf_scores {
    size_t n;
    double log_loss, brier, ece, auc;
};

void aps_wf_opts_default(struct aps_wf_opts *o);
/* Labels and folds. APS_E_NOTFOUND when the history has no fold to test. Cleanup frees; safe on
 * a zeroed struct. */
int aps_wf_data_init(struct aps_wf_data *d, const struct aps_history *h,
                     const struct aps_feat_matrix *m, const struct aps_feat_spec *spec,
                     enum aps_market market, const struct aps_wf_opts *o) APS_MUST_CHECK;
void aps_wf_data_cleanup(struct aps_wf_data *d);
/* Fold f's training rows (labelled games for classifiers, final games for regressions) into
 * rows (room for h->ngames); returns how many. */
size_t aps_wf_train_rows(const struct aps_wf_data *d, size_t f, size_t *rows);
/* The production fit's rows: those of the last fold's training window through the end of the
 * history. Returns how many. */
size_t aps_wf_final_rows(const struct aps_wf_data *d, size_t *rows);
/* Fits a calibrator of the given method on the raw out-of-fold predictions of every fold
 * (the production calibrator). c: cleanup frees. */
int aps_wf_fit_calibrator(const struct aps_wf_data *d, const struct aps_oof *raw,
                          enum aps_calib_method method, struct aps_calib *c) APS_MUST_CHECK;
/* True when game gi is in the scoring set. */
bool aps_wf_scored(const struct aps_wf_data *d, size_t gi);

void aps_oof_init(struct aps_oof *o, size_t n, int k, bool regression);
void aps_oof_cleanup(struct aps_oof *o);
/* The fold index of game gi, or -1. */
int aps_wf_fold_of(const struct aps_wf_data *d, size_t gi);

/* Probabilities of the regression rows from mu and sigma (distribution o->dist) at the closing
 * line. */
void aps_wf_regression_probs(const struct aps_wf_data *d, struct aps_oof *o);
/* Walk-forward error scale: for each fold, the root-mean-square out-of-fold residual of the
 * earlier folds (fallback[f] while fewer than 100 exist); fills o->sigma and the probabilities.
 * final_sigma gets the scale over every fold. */
void aps_wf_sigma(const struct aps_wf_data *d, struct aps_oof *o, const double *fallback,
                  double *final_sigma);
/* Walk-forward calibration of out-of-fold probabilities: fold f is calibrated by the method that
 * scored best on folds 1..f−1 (none before), fitted on the raw predictions of folds 0..f−1.
 * *final_method is the best method over all folds, for the production fit. out: a new set
 * (init'ed here). For spreads and totals the calibrated quantity is P(home covers / over) at the
 * closing line; mu and sigma are copied unchanged. */
int aps_wf_calibrate(const struct aps_wf_data *d, const struct aps_oof *raw, struct aps_oof *out,
                     enum aps_calib_method *final_method) APS_MUST_CHECK;
/* Scores on the scoring set (log-loss of the actual class, Brier, ECE and AUC of class 0; for
 * three-way, Brier sums over the classes and ECE pools every class). */
int aps_wf_score(const struct aps_wf_data *d, const struct aps_oof *o,
                 struct aps_wf_scores *s) APS_MUST_CHECK;
/* The same on a subset of the scoring set (mask[gi] true). */
int aps_wf_score_mask(const struct aps_wf_data *d, const struct aps_oof *o, const bool *mask,
                      struct aps_wf_scores *s) APS_MUST_CHECK;

#endif
