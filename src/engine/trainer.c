/* trainer.c — one training run from the store to the registry (see trainer.h). */
#include "engine/trainer.h"

#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/timeutil.h"
#include "core/domain.h"
#include "engine/gate.h"
#include "model/registry.h"
#include "store/store.h"

#define MIN_SCORED 200

int aps_trainer_day_before(const char *date, char out[11])
{
    int64_t t;
    if (!date || strlen(date) != 10 || aps_time_parse_iso(date, &t))
        return APS_E_INVAL;
    aps_time_format_date(t - 86400, out, 11);
    return 0;
}

int aps_trainer_prepare(struct aps_conn *c, enum aps_sport sport, struct aps_trainer_sport *ts)
{
    return aps_trainer_prepare_until(c, sport, NULL, ts);
}

int aps_trainer_prepare_until(struct aps_conn *c, enum aps_sport sport, const char *until,
                              struct aps_trainer_sport *ts)
{
    double t0 = aps_time_mono();
    struct aps_feat_spec all;
    struct aps_feat_matrix m0 = {0};
    char last[11];
    memset(ts, 0, sizeof *ts);
    if (until && aps_trainer_day_before(until, last))
        return APS_E_INVAL;
    int rc = aps_history_load(c, sport, NULL, until ? last : NULL, &ts->h);
    if (!rc)
        rc = aps_feat_extras_load(c, &ts->h, &ts->x);
    if (!rc) {
        aps_feat_spec_all(&ts->h, &all);
        rc = aps_feat_build(&ts->h, &ts->x, &all, &m0);
    }
    if (!rc) {
        aps_feat_spec_prune(&m0, &ts->h, &all, &ts->spec);
        rc = aps_feat_matrix_select(&m0, &all, &ts->spec, &ts->m);
    }
    aps_feat_matrix_cleanup(&m0);
    if (rc)
        aps_trainer_sport_cleanup(ts);
    ts->seconds = aps_time_mono() - t0;
    return rc;
}

void aps_trainer_sport_cleanup(struct aps_trainer_sport *ts)
{
    aps_feat_matrix_cleanup(&ts->m);
    aps_feat_extras_cleanup(&ts->x);
    aps_history_cleanup(&ts->h);
    memset(ts, 0, sizeof *ts);
}

/* SHA-256 over what the model learned from: each labelled game's id, date, teams, scores and
 * label, its feature row, and the feature spec. */
static int data_hash(const struct aps_wf_data *d, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    char *spec = aps_feat_spec_to_json(d->spec);
    ok = ok && EVP_DigestUpdate(ctx, spec, strlen(spec));
    for (size_t gi = 0; ok && gi < d->h->ngames; gi++) {
        const struct aps_hist_game *g = &d->h->games[gi];
        if (d->y[gi] < 0 && isnan(d->target[gi]))
            continue;
        char line[160];
        int n = snprintf(line, sizeof line, "%lld,%s,%lld,%lld,%d,%d,%d\n", (long long)g->id,
                         g->date, (long long)g->home, (long long)g->away, g->home_score,
                         g->away_score, d->y[gi]);
        ok = n > 0 && (size_t)n < sizeof line && EVP_DigestUpdate(ctx, line, (size_t)n) &&
             EVP_DigestUpdate(ctx, d->m->x + gi * (size_t)d->m->d,
                              (size_t)d->m->d * sizeof *d->m->x);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len) && len == 32;
    EVP_MD_CTX_free(ctx);
    aps_free(spec);
    for (unsigned i = 0; ok && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return ok ? 0 : APS_E_INTEGRITY;
}

static char *metrics_json(const struct aps_trainer_outcome *out, const struct aps_wf_data *d)
{
    const struct aps_lb_entry *b = &out->r.lb[0];
    json_t *o = json_object(), *wf = json_object(), *leak = json_object();
    json_object_set_new(wf, "games", json_integer((json_int_t)b->s.n));
    json_object_set_new(wf, "log_loss", json_real(b->s.log_loss));
    json_object_set_new(wf, "brier", json_real(b->s.brier));
    json_object_set_new(wf, "ece", json_real(b->s.ece));
    json_object_set_new(wf, "auc", json_real(b->s.auc));
    json_object_set_new(o, "walk_forward", wf);
    json_object_set_new(o, "folds", json_integer((json_int_t)d->nfolds));
    json_object_set_new(o, "first_fold", json_string(out->first_fold));
    json_object_set_new(o, "last_fold", json_string(out->last_fold));
    json_object_set_new(o, "calibration", json_string(aps_calib_name(b->calib)));
    json_object_set_new(o, "search_seconds", json_real(round(out->r.seconds * 100) / 100));
    json_object_set_new(leak, "games", json_integer((json_int_t)out->leak_checked));
    json_object_set_new(leak, "passed", json_boolean(out->leak_bad < 0));
    json_object_set_new(o, "leakage_check", leak);
    char *txt = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    char *copy = aps_strdup(txt ? txt : "{}");
    aps_free(txt);
    return copy;
}

static char *params_json(const struct aps_trainer_opts *o, const char *candidate)
{
    json_error_t e;
    json_t *j = json_object(), *c = json_loads(candidate, 0, &e);
    json_object_set_new(j, "candidate", c ? c : json_object());
    json_object_set_new(j, "seed", json_integer((json_int_t)o->search.seed));
    json_object_set_new(j, "preset", json_string(o->preset_name ? o->preset_name : ""));
    json_object_set_new(j, "budget_seconds", json_real(o->search.budget_s));
    json_object_set_new(j, "max_models", json_integer(o->search.max_models));
    json_object_set_new(j, "max_mem_bytes", json_integer((json_int_t)o->search.max_mem));
    if (o->until)
        json_object_set_new(j, "train_until", json_string(o->until));
    char *txt = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(j);
    char *copy = aps_strdup(txt ? txt : "{}");
    aps_free(txt);
    return copy;
}

/* Replays the model's stored walk-forward predictions against the market and adds the verdict
 * to its metrics (engine/gate.h). */
static int market_gate(struct aps_conn *c, const struct aps_trainer_opts *o,
                       const struct aps_wf_data *d, const char *metrics,
                       struct aps_trainer_outcome *out)
{
    struct aps_kelly_params kp = o->kelly;
    if (!(kp.kelly_fraction > 0))
        aps_kelly_params_default(&kp);
    struct aps_model_preds preds;
    int rc = aps_registry_preds_load(c, out->model_id, &preds);
    if (!rc)
        rc = aps_gate_evaluate(d->h, &preds, d->market, d->k, out->model_name, &kp, o->margin,
                               &out->gate);
    if (rc)
        return rc;
    json_error_t e;
    json_t *m = json_loads(metrics, 0, &e);
    char *gate = aps_gate_json(&out->gate);
    json_t *g = json_loads(gate, 0, &e);
    aps_free(gate);
    if (!m || !g) {
        json_decref(m);
        json_decref(g);
        return APS_E_INTEGRITY;
    }
    json_object_set_new(m, "market_gate", g);
    char *txt = json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(m);
    rc = aps_conn_execf(c, "UPDATE models SET metrics = ?1 WHERE id = ?2", "si",
                        txt ? txt : "{}", out->model_id);
    aps_free(txt);
    return rc;
}

static int register_model(struct aps_conn *c, const struct aps_trainer_opts *o,
                          const struct aps_wf_data *d, struct aps_trainer_outcome *out)
{
    char hash[65];
    int rc = data_hash(d, hash);
    if (rc)
        return rc;
    const struct aps_lb_entry *b = &out->r.lb[0];
    char *metrics = metrics_json(out, d), *params = params_json(o, b->params);
    struct aps_model_meta meta = {params, hash, metrics, b->s.log_loss, b->s.ece,
                                  (int64_t)b->s.n, out->leak_bad < 0, aps_time_now()};
    rc = aps_registry_save(c, o->model_path, &out->r.model, &meta, d, &out->r.oof, &out->model_id,
                           out->model_name);
    if (!rc)
        rc = market_gate(c, o, d, metrics, out);
    if (!rc && o->promote && !o->until) {
        rc = aps_registry_decide(c, out->model_id, &out->promoted, out->note, sizeof out->note);
    } else if (!rc) { /* why not, in the registry too (aps models list, GET /models) */
        if (o->until)
            snprintf(out->note, sizeof out->note,
                     "not considered for promotion (trained on games before %s only)", o->until);
        else
            snprintf(out->note, sizeof out->note, "not considered for promotion (--no-promote)");
        rc = aps_registry_set_note(c, out->model_id, out->note);
    }
    aps_free(metrics);
    aps_free(params);
    return rc;
}

static size_t scored_count(const struct aps_wf_data *d)
{
    size_t n = 0;
    for (size_t gi = 0; gi < d->h->ngames; gi++)
        n += aps_wf_scored(d, gi);
    return n;
}

/* The leakage check of a sport's features, run beside the search: it reads the history, the
 * extras, the spec and the matrix, which nothing changes while the search runs (the search only
 * reads them too), and writes only its own fields. */
struct leak_job {
    const struct aps_trainer_sport *ts;
    size_t samples, checked;
    long bad;
    int rc;
    pthread_t th;
    bool started;
};

static void *leak_run(void *arg)
{
    struct leak_job *j = arg;
    j->rc = aps_feat_leakage_check(&j->ts->h, &j->ts->x, &j->ts->spec, &j->ts->m, j->samples,
                                   &j->checked, &j->bad);
    return NULL;
}

static void leak_start(struct leak_job *j, const struct aps_trainer_sport *ts, size_t samples)
{
    *j = (struct leak_job){.ts = ts, .samples = samples, .bad = -1};
    j->started = !pthread_create(&j->th, NULL, leak_run, j);
}

/* Waits for the check (runs it here when its thread could not start). */
static int leak_finish(struct leak_job *j)
{
    if (j->started)
        pthread_join(j->th, NULL);
    else
        (void)leak_run(j);
    return j->rc;
}

int aps_trainer_run(struct aps_conn *c, struct aps_trainer_sport *ts, enum aps_market market,
                    const struct aps_trainer_opts *o, struct aps_trainer_outcome *out)
{
    struct aps_wf_data d;
    memset(out, 0, sizeof *out);
    out->leak_bad = -1;
    if (o->search.stop && atomic_load(o->search.stop))
        return APS_E_INTERRUPTED; /* before a run is recorded */
    const char *sport = aps_sport_info(ts->h.sport)->code, *mk = aps_market_name(market);
    int rc = aps_wf_data_init(&d, &ts->h, &ts->m, &ts->spec, market, &o->wf);
    if (rc == APS_E_NOTFOUND) {
        snprintf(out->why, sizeof out->why, "too few seasons for walk-forward folds");
        return 0;
    }
    if (rc)
        return rc;
    if (scored_count(&d) < MIN_SCORED) {
        snprintf(out->why, sizeof out->why, "fewer than %d games to score (no %s lines?)",
                 MIN_SCORED, mk);
        aps_wf_data_cleanup(&d);
        return 0;
    }
    out->ran = true;
    out->nfolds = d.nfolds;
    snprintf(out->first_fold, sizeof out->first_fold, "%s", d.folds[0].label);
    snprintf(out->last_fold, sizeof out->last_fold, "%s", d.folds[d.nfolds - 1].label);
    rc = aps_registry_run_begin(c, sport, mk, o->search.seed, (int64_t)o->search.budget_s,
                                o->search.max_models, o->preset_name, &out->run_id);
    if (!rc) {
        struct leak_job leak;
        leak_start(&leak, ts, o->leak_samples);
        rc = aps_search_run(&d, &o->search, &out->r);
        if (rc == APS_E_NOTFOUND && out->r.skipped_mem) /* nothing ran: say which limit */
            snprintf(out->why, sizeof out->why,
                     "no candidate started: the process held %.0f MiB, over H2O_MAX_MEM_SIZE"
                     " (%.0f MiB)",
                     (double)out->r.resident_max / 1048576.0,
                     (double)o->search.max_mem / 1048576.0);
        else if (rc == APS_E_NOTFOUND && out->r.skipped)
            snprintf(out->why, sizeof out->why,
                     "no candidate started within H2O_MAX_RUNTIME_SECS (%.0f s) and"
                     " H2O_MAX_MODELS (%d)",
                     o->search.budget_s, o->search.max_models);
        int rc_leak = leak_finish(&leak);
        if (!rc) {
            rc = rc_leak;
            out->leak_checked = leak.checked;
            out->leak_bad = leak.bad;
        }
    }
    if (!rc)
        rc = register_model(c, o, &d, out);
    if (out->run_id) {
        char *lb = out->r.nlb ? aps_search_leaderboard_json(&out->r) : NULL;
        int rc2 = aps_registry_run_end(c, out->run_id, lb, out->model_id,
                                       rc ? (out->why[0] ? out->why : aps_strerror(rc)) : NULL);
        aps_free(lb);
        if (!rc)
            rc = rc2;
    }
    aps_wf_data_cleanup(&d);
    return rc;
}

void aps_trainer_outcome_cleanup(struct aps_trainer_outcome *out)
{
    aps_search_result_cleanup(&out->r);
    memset(out, 0, sizeof *out);
}
