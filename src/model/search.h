/* search.h — the seeded model search of `aps train` (the seed's H2O/AutoGluon step, done in C).
 *
 * The candidates are fixed by the preset (AUTOGLUON_PRESET: breadth) and the seed: Elo, logistic
 * regressions over a grid of penalties, XGBoost configurations (a default, then random draws from
 * the reference's space narrowed to what trains in a second: depth 2–4, learning rate 0.03–0.15,
 * rounds ≈ 8/rate, min child weight 2–50, subsample/colsample 0.6/0.5–1, lambda 0–10, alpha 0–2,
 * gamma 0–1) and, last, the stacked ensemble of every base candidate that ran. Each is run
 * walk-forward, calibrated walk-forward, and scored on the same games. The search stops starting
 * candidates once H2O_MAX_RUNTIME_SECS have passed or H2O_MAX_MODELS have run, and while the
 * process's resident memory is above H2O_MAX_MEM_SIZE (a candidate already running is not
 * stopped: the size is a ceiling on starting work, as H2O's heap size bounds what it takes on);
 * the skipped ones are counted. The base candidates' folds run on two threads (each fold's fit is
 * independent and single-threaded, so one candidate's folds can run side by side) and the
 * candidates join the leaderboard in candidate order. Everything else is
 * deterministic: the same data, seed and preset give the same leaderboard (as long as the budget
 * does not cut the search short).
 *
 * The leaderboard is sorted by walk-forward log-loss (then name). Its first entry is fitted again
 * on all the data (the last training window) for live use: the search result's model. */
#ifndef APS_MODEL_SEARCH_H
#define APS_MODEL_SEARCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "model/candidate.h"
#include "model/ensemble.h"
#include "model/walkforward.h"

enum aps_preset { APS_PRESET_MEDIUM, APS_PRESET_GOOD, APS_PRESET_HIGH, APS_PRESET_BEST };

struct aps_search_opts {
    uint64_t seed;
    double budget_s;          /* H2O_MAX_RUNTIME_SECS */
    int max_models;           /* H2O_MAX_MODELS: candidates run, the ensemble included */
    size_t max_mem;           /* H2O_MAX_MEM_SIZE: no candidate starts while the process's resident
                                 memory is above it (bytes; 0: no limit) */
    enum aps_preset preset;
    FILE *progress;           /* a terminal to draw progress on, or NULL */
    const char *label;        /* "NBA moneyline", for the progress line */
    const char *fit_name;     /* NULL: fit the best entry for live use; else the entry of this
                                 name when it ran ("ensemble": bench/train times the ensemble) */
    const atomic_int *stop;   /* NULL, or nonzero once the search must end (a signal): no
                                 candidate starts after it, the ones running finish, and the
                                 search returns APS_E_INTERRUPTED without a result */
};

struct aps_lb_entry {
    char name[64];
    enum aps_family family;
    char *params;             /* JSON text (owned) */
    enum aps_calib_method calib;
    struct aps_wf_scores s;
    /* the time spent on it: its folds' fits (on either thread), its calibration and scores */
    double seconds;
};

struct aps_search_result {
    struct aps_lb_entry *lb;  /* best first */
    size_t nlb;
    size_t skipped;           /* candidates not run for the budget */
    size_t skipped_mem;       /* of those, the ones whose turn came with the resident memory
                                 above max_mem */
    size_t resident_max;      /* the most resident memory seen at a candidate's turn (bytes) */
    struct aps_oof oof;       /* the best entry's calibrated walk-forward predictions */
    struct aps_trained model; /* the best entry fitted for live use */
    double seconds;
};

/* Preset by its AUTOGLUON_PRESET name ("medium_quality" …); -1 when unknown. */
int aps_preset_parse(const char *s);
/* The most base candidates one search can draw: Elo, the largest L2 grid, the market-only,
 * offset, Poisson, Skellam and anchored-Skellam logistic/ridge variants, and the largest XGBoost
 * draw. Every one of them can become a base model of the ensemble. */
#define APS_SEARCH_MAX_CANDIDATES (1 + 7 + 1 + 3 + 3 + 2 + 2 + 2 + 8)
/* The base candidates (no ensemble) for this market and options. Caller frees with aps_free. */
int aps_search_candidates(const struct aps_wf_data *d, const struct aps_search_opts *o,
                          struct aps_candidate **out, size_t *n) APS_MUST_CHECK;
/* The order in which the search starts candidates c[0..n): order gets 0..n−1, the longest
 * first (boosted trees, then logistic models, then Elo), candidate order kept within each. The
 * leaderboard does not depend on it. */
void aps_search_start_order(const struct aps_candidate *c, size_t n, size_t *order);
/* Runs the search. r: cleanup frees; safe on a zeroed struct. APS_E_NOTFOUND when no candidate
 * could be scored (r->skipped and r->skipped_mem then say whether the limits stopped them all);
 * APS_E_INTERRUPTED when o->stop was set before the candidates were done. On an error r holds
 * only those counts and resident_max. */
int aps_search_run(const struct aps_wf_data *d, const struct aps_search_opts *o,
                   struct aps_search_result *r) APS_MUST_CHECK;
void aps_search_result_cleanup(struct aps_search_result *r);
/* The leaderboard as a JSON array text, best first (caller frees with aps_free). */
char *aps_search_leaderboard_json(const struct aps_search_result *r);
/* The leaderboard as a table. */
void aps_search_print(const struct aps_search_result *r, FILE *out);

#endif
