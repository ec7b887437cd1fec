/* registry.h — the model registry: trained models saved under MODEL_PATH with a row in the models
 * table (migrations/004_models.sql), their walk-forward predictions (006_trainer.sql), and the
 * training runs with their leaderboards.
 *
 * Artefacts: MODEL_PATH/<name>/model.json (this module's JSON: the feature spec, each base
 * model's parameters — logistic/ridge coefficients, calibrators, error scales — and the
 * meta-learner) and MODEL_PATH/<name>/base<i>.json for each XGBoost booster
 * (XGBoosterSaveModel's JSON format).
 *
 * States of a model and the function that makes each transition:
 *   (new) → challenger          aps_registry_save()
 *   challenger → production     aps_registry_decide() when the rules hold, or
 *                               aps_registry_promote() by hand
 *   production → archived       aps_registry_promote() of another model of the same sport and
 *                               market (the previous production model is archived in the same
 *                               transaction)
 *   challenger | archived → pruned   aps_registry_prune() when never promoted and past the
 *                               artefact retention (the row stays, its files and walk-forward
 *                               predictions go; registry_prune.c)
 * The automatic rule (aps_registry_decide): the challenger's leakage check passed, its metrics
 * record a passed market gate (engine/gate.h: walk-forward log-loss within 0.5 % of the closing
 * no-vig market's), its walk-forward ECE is at most 0.03, and, when a production model exists, the challenger's
 * walk-forward log-loss is lower than the production model's on the games both scored (at least
 * 100 of them). Otherwise the reason is written to promotion_note and the model stays a
 * challenger. */
#ifndef APS_MODEL_REGISTRY_H
#define APS_MODEL_REGISTRY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "model/ensemble.h"
#include "model/walkforward.h"

struct aps_conn;

#define APS_PROMOTE_MAX_ECE 0.03
#define APS_PROMOTE_MIN_COMMON 100

struct aps_model_meta {
    const char *params;       /* JSON: the candidate and the search settings */
    const char *data_hash;    /* SHA-256 hex of the training data */
    const char *metrics;      /* JSON: walk-forward metrics */
    double log_loss, ece;
    int64_t games;
    bool leakage_ok;
    int64_t created_at;
};

struct aps_model_row {
    int64_t id;
    char name[128], sport[16], market[16], family[16], status[16];
    char path[512];
    double log_loss, ece;
    int64_t games, created_at, promoted_at;
    bool leakage_ok;
    char *features, *params, *metrics, *note, *data_hash; /* owned; aps_registry_row_cleanup */
};

/* Stored walk-forward predictions of a model. */
struct aps_model_preds {
    size_t n;
    int64_t *game_id;         /* ascending */
    double *p;                /* n × 3 */
    double *mu, *sigma;
    int *outcome;             /* -1 when none */
    bool *scored;
    enum aps_score_dist dist; /* spread/total: the distribution of mu (the model's candidate) */
};

/* Saves t's artefacts under model_path/<name>/ and inserts the models row (challenger) and the
 * walk-forward predictions oof of data d. *id and name (cap >= 128) get the new model. */
int aps_registry_save(struct aps_conn *c, const char *model_path, const struct aps_trained *t,
                      const struct aps_model_meta *meta, const struct aps_wf_data *d,
                      const struct aps_oof *oof, int64_t *id, char *name) APS_MUST_CHECK;
/* Sets MODEL_PATH, where a model is looked for when the directory recorded at training (its row's
 * path) has no model.json on this machine: MODEL_PATH/<the directory's last component> (another
 * mount point, a moved volume). Empty or NULL: only the recorded directory. */
void aps_registry_configure(const char *model_path);
/* Loads a model's artefacts from its directory (or, when that is missing, from MODEL_PATH; see
 * aps_registry_configure). t: aps_trained_cleanup. On failure, why (cap
 * bytes; NULL when not wanted) names the file that could not be read or parsed and why, e.g.
 * "unable to open DIR/model.json: No such file or directory" (APS_REGISTRY_WHY_CAP holds any). */
int aps_registry_load(const char *dir, struct aps_trained *t, char *why, size_t cap) APS_MUST_CHECK;
#define APS_REGISTRY_WHY_CAP (PATH_MAX + 256)

/* Applies the automatic promotion rule to challenger id (see above), promotes or records why
 * not. note (cap bytes) gets the reason either way. */
int aps_registry_decide(struct aps_conn *c, int64_t id, bool *promoted, char *note,
                        size_t cap) APS_MUST_CHECK;
/* Records why model id is (not) in production, as `aps models list` shows it. */
int aps_registry_set_note(struct aps_conn *c, int64_t id, const char *note) APS_MUST_CHECK;
/* Why a model of status (and leakage check) cannot be promoted by hand, the rule `aps models
 * promote` and POST /api/v1/models/{id}/promote share: already in production (nothing to do),
 * pruned (its files are gone), or failed the leakage check and not forced. */
enum aps_promote_refusal {
    APS_PROMOTE_OK,
    APS_PROMOTE_ALREADY,
    APS_PROMOTE_LEAKAGE,
    APS_PROMOTE_PRUNED,
};
enum aps_promote_refusal aps_registry_promote_refusal(const char *status, bool leakage_ok,
                                                      bool force);
/* Makes id the production model of its sport and market, archiving the previous one. */
int aps_registry_promote(struct aps_conn *c, int64_t id, const char *note) APS_MUST_CHECK;

/* Rows by name, by id, the production model of a sport and market; APS_E_NOTFOUND when none. */
int aps_registry_get(struct aps_conn *c, const char *name, struct aps_model_row *r) APS_MUST_CHECK;
int aps_registry_get_id(struct aps_conn *c, int64_t id, struct aps_model_row *r) APS_MUST_CHECK;
int aps_registry_production(struct aps_conn *c, const char *sport, const char *market,
                            struct aps_model_row *r) APS_MUST_CHECK;
/* The newest model of a sport and market, whatever its status except pruned (no artefacts). */
int aps_registry_latest(struct aps_conn *c, const char *sport, const char *market,
                        struct aps_model_row *r) APS_MUST_CHECK;
/* Prunes the training artefacts of models created before `before` (seconds) that were never
 * promoted, keeping the newest model of each sport and market (registry_prune.c). *pruned:
 * models pruned now; *kept_files: model folders that could not be deleted (they hold other
 * files, or an I/O error). */
int aps_registry_prune(struct aps_conn *c, int64_t before, int *pruned,
                       int *kept_files) APS_MUST_CHECK;
/* Every model (of one sport when sport is not NULL), newest first. Free each row with
 * aps_registry_row_cleanup and the array with aps_free. */
int aps_registry_list(struct aps_conn *c, const char *sport, struct aps_model_row **rows,
                      size_t *n) APS_MUST_CHECK;
void aps_registry_row_cleanup(struct aps_model_row *r);

/* The stored walk-forward predictions of model id, and the distribution its candidate reads mu
 * with (params.candidate.dist; normal when absent, e.g. for a stacked ensemble). */
int aps_registry_preds_load(struct aps_conn *c, int64_t id,
                            struct aps_model_preds *out) APS_MUST_CHECK;
/* Index of game_id in the predictions, or -1. */
long aps_registry_preds_find(const struct aps_model_preds *p, int64_t game_id);
void aps_registry_preds_cleanup(struct aps_model_preds *p);

/* Training runs: a row when the search starts, its result when it ends. */
int aps_registry_run_begin(struct aps_conn *c, const char *sport, const char *market,
                           uint64_t seed, int64_t budget, int64_t max_models, const char *preset,
                           int64_t *run_id) APS_MUST_CHECK;
int aps_registry_run_end(struct aps_conn *c, int64_t run_id, const char *leaderboard,
                         int64_t best_model_id, const char *error) APS_MUST_CHECK;
/* The latest completed run of a sport and market: its leaderboard JSON (caller frees with
 * aps_free), when it finished, its seed and preset (cap bytes). */
int aps_registry_run_latest(struct aps_conn *c, const char *sport, const char *market,
                            char **leaderboard, int64_t *finished_at, int64_t *seed, char *preset,
                            size_t cap) APS_MUST_CHECK;
/* The same of the latest completed run that made model_id (its best model). */
int aps_registry_run_of(struct aps_conn *c, int64_t model_id, char **leaderboard,
                        int64_t *finished_at, int64_t *seed, char *preset,
                        size_t cap) APS_MUST_CHECK;

#endif
