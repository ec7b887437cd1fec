/* registry.c — the models, model_predictions and training_runs tables (see registry.h). */
#include "model/registry.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "model/registry_int.h"
#include "store/store.h"

static const char SQL_INSERT[] =
    "INSERT INTO models (name, sport_id, market, family, status, path, features, params,"
    " data_hash, metrics, log_loss, ece, games, leakage_ok, created_at)"
    " SELECT ?1, sp.id, ?2, ?3, 'challenger', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13"
    " FROM sports sp WHERE sp.code = ?14 RETURNING id";

static const char SQL_ROW[] =
    "SELECT m.id, m.name, sp.code, m.market, m.family, m.status, m.path, m.log_loss, m.ece,"
    " m.games, m.created_at, m.promoted_at, m.leakage_ok, m.features, m.params, m.metrics,"
    " m.promotion_note, m.data_hash FROM models m JOIN sports sp ON sp.id = m.sport_id";

static const char *const PRED_COLS[] = {"model_id", "game_id", "p0", "p1", "p2", "mu", "sigma",
                                        "outcome", "scored"};

/* ---- helpers ---- */

/* A double as COPY text (NULL for NaN). */
static char *dup_or_null(const char *s)
{
    return s ? aps_strdup(s) : NULL;
}

static void read_row(struct aps_stmt *st, struct aps_model_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = aps_stmt_int64(st, 0);
    (void)aps_str_copy(r->name, sizeof r->name, aps_stmt_text(st, 1));
    (void)aps_str_copy(r->sport, sizeof r->sport, aps_stmt_text(st, 2));
    (void)aps_str_copy(r->market, sizeof r->market, aps_stmt_text(st, 3));
    (void)aps_str_copy(r->family, sizeof r->family, aps_stmt_text(st, 4));
    (void)aps_str_copy(r->status, sizeof r->status, aps_stmt_text(st, 5));
    (void)aps_str_copy(r->path, sizeof r->path, aps_stmt_text(st, 6));
    r->log_loss = aps_stmt_double(st, 7);
    r->ece = aps_stmt_double(st, 8);
    r->games = aps_stmt_int64(st, 9);
    r->created_at = aps_stmt_int64(st, 10);
    r->promoted_at = aps_stmt_is_null(st, 11) ? 0 : aps_stmt_int64(st, 11);
    r->leakage_ok = aps_stmt_int64(st, 12) != 0;
    r->features = dup_or_null(aps_stmt_text(st, 13));
    r->params = dup_or_null(aps_stmt_text(st, 14));
    r->metrics = dup_or_null(aps_stmt_text(st, 15));
    r->note = dup_or_null(aps_stmt_text(st, 16));
    r->data_hash = dup_or_null(aps_stmt_text(st, 17));
}

void aps_registry_row_cleanup(struct aps_model_row *r)
{
    aps_free(r->features);
    aps_free(r->params);
    aps_free(r->metrics);
    aps_free(r->note);
    aps_free(r->data_hash);
    memset(r, 0, sizeof *r);
}

/* The first row of SQL_ROW + where, with spec's parameters (store.h). */
static int get_one(struct aps_conn *c, struct aps_model_row *r, const char *where,
                   const char *spec, ...)
{
    char sql[1024];
    struct aps_stmt *st = NULL;
    int rc = aps_str_fmt(sql, sizeof sql, "%s %s", SQL_ROW, where);
    if (rc)
        return rc;
    va_list ap;
    va_start(ap, spec);
    rc = aps_conn_vpreparef(c, &st, sql, spec, ap);
    va_end(ap);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        read_row(st, r);
        rc = 0;
    } else if (rc == APS_DONE) {
        rc = APS_E_NOTFOUND;
    }
    aps_stmt_finalize(st);
    return rc;
}

int aps_registry_get(struct aps_conn *c, const char *name, struct aps_model_row *r)
{
    return get_one(c, r, "WHERE m.name = ?1", "s", name);
}

int aps_registry_get_id(struct aps_conn *c, int64_t id, struct aps_model_row *r)
{
    return get_one(c, r, "WHERE m.id = ?1", "i", id);
}

int aps_registry_production(struct aps_conn *c, const char *sport, const char *market,
                            struct aps_model_row *r)
{
    return get_one(c, r, "WHERE sp.code = ?1 AND m.market = ?2 AND m.status = 'production'"
                         " ORDER BY m.promoted_at DESC, m.id DESC", "ss", sport, market);
}

int aps_registry_latest(struct aps_conn *c, const char *sport, const char *market,
                        struct aps_model_row *r)
{
    return get_one(c, r,
                   "WHERE sp.code = ?1 AND m.market = ?2 AND m.status <> 'pruned'"
                   " ORDER BY m.created_at DESC, m.id DESC",
                   "ss", sport, market);
}

int aps_registry_list(struct aps_conn *c, const char *sport, struct aps_model_row **rows,
                      size_t *n)
{
    char sql[1024];
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    *rows = NULL;
    *n = 0;
    int rc = aps_str_fmt(sql, sizeof sql,
                         "%s WHERE (?1 IS NULL OR sp.code = ?1) ORDER BY m.created_at DESC,"
                         " m.id DESC", SQL_ROW);
    if (!rc)
        rc = aps_conn_preparef(c, &st, sql, "s", sport);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *rows = aps_realloc(*rows, cap * sizeof **rows);
        }
        read_row(st, &(*rows)[(*n)++]);
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ---- saving ---- */

/* "<sport>_<market>_<family>_<UTC time>", with a counter when taken. */
static int unique_name(struct aps_conn *c, const struct aps_trained *t, int64_t now, char *name)
{
    char stamp[24], base[112];
    aps_time_format_iso(now, stamp, sizeof stamp);
    char compact[24];
    size_t k = 0;
    for (const char *s = stamp; *s && k + 1 < sizeof compact; s++)
        if (*s != '-' && *s != ':')
            compact[k++] = *s;
    compact[k] = '\0';
    snprintf(base, sizeof base, "%s_%s_%s_%s", aps_sport_info(t->sport)->code,
             aps_market_name(t->market), aps_family_name(t->family), compact);
    for (char *p = base; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    for (int i = 1; i < 1000; i++) {
        int w = i == 1 ? snprintf(name, 128, "%s", base) : snprintf(name, 128, "%s_%d", base, i);
        if (w < 0 || w >= 128)
            return APS_E_TOOBIG;
        struct aps_model_row r;
        int rc = aps_registry_get(c, name, &r);
        if (rc == APS_E_NOTFOUND)
            return 0;
        if (rc)
            return rc;
        aps_registry_row_cleanup(&r);
    }
    return APS_E_EXISTS;
}

static int insert_row(struct aps_conn *c, const struct aps_trained *t,
                      const struct aps_model_meta *m, const char *name, const char *dir,
                      int64_t *id)
{
    char *features = aps_feat_spec_to_json(&t->spec);
    /* APS_E_NOTFOUND when the sport is not in the sports table. */
    int rc = aps_conn_query_row(c, SQL_INSERT, "i", id, "ssssssssddibis", name,
                                aps_market_name(t->market), aps_family_name(t->family), dir,
                                features, m->params, m->data_hash, m->metrics, m->log_loss, m->ece,
                                (int64_t)m->games, m->leakage_ok, m->created_at,
                                aps_sport_info(t->sport)->code);
    aps_free(features);
    return rc;
}

static int insert_preds(struct aps_conn *c, int64_t id, const struct aps_wf_data *d,
                        const struct aps_oof *oof)
{
    struct aps_copy *cp = NULL;
    int rc = aps_conn_copy_begin(c, "model_predictions", PRED_COLS, 9, &cp);
    for (size_t gi = 0; !rc && gi < oof->n; gi++) {
        if (isnan(oof->p[gi * (size_t)oof->k]) && (!oof->mu || isnan(oof->mu[gi])))
            continue;
        const double *p = &oof->p[gi * (size_t)oof->k];
        const struct aps_arg v[9] = {
            APS_ARG_I64(id), APS_ARG_I64(d->h->games[gi].id), APS_ARG_DBL(p[0]),
            APS_ARG_DBL(oof->k > 1 ? p[1] : NAN), APS_ARG_DBL(oof->k > 2 ? p[2] : NAN),
            APS_ARG_DBL(oof->mu ? oof->mu[gi] : NAN),
            APS_ARG_DBL(oof->sigma ? oof->sigma[gi] : NAN),
            d->y[gi] >= 0 ? APS_ARG_I64(d->y[gi]) : APS_ARG_NONE,
            APS_ARG_I64(aps_wf_scored(d, gi))};
        rc = aps_copy_row_args(cp, v);
    }
    if (cp) {
        int rc2 = aps_copy_end(cp);
        if (!rc)
            rc = rc2;
    }
    return rc;
}

int aps_registry_save(struct aps_conn *c, const char *model_path, const struct aps_trained *t,
                      const struct aps_model_meta *meta, const struct aps_wf_data *d,
                      const struct aps_oof *oof, int64_t *id, char *name)
{
    char dir[512];
    int rc = unique_name(c, t, meta->created_at, name);
    if (!rc && snprintf(dir, sizeof dir, "%s/%s", model_path, name) >= (int)sizeof dir)
        rc = APS_E_TOOBIG;
    if (!rc)
        rc = aps_registry_write_model(t, dir);
    if (rc)
        return rc;
    rc = aps_conn_begin(c);
    if (!rc)
        rc = insert_row(c, t, meta, name, dir, id);
    if (!rc)
        rc = insert_preds(c, *id, d, oof);
    if (!rc)
        rc = aps_conn_commit(c);
    else
        aps_conn_rollback(c);
    return rc;
}

/* ---- predictions ---- */

/* The distribution named by the model's params.candidate.dist (normal when there is none). */
static int preds_dist(struct aps_conn *c, int64_t id, enum aps_score_dist *dist)
{
    struct aps_stmt *st = NULL;
    *dist = APS_DIST_NORMAL;
    int rc = aps_conn_preparef(c, &st, "SELECT params FROM models WHERE id = ?1", "i", id);
    if (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        json_error_t e;
        const char *txt = aps_stmt_text(st, 0);
        json_t *o = txt ? json_loads(txt, 0, &e) : NULL;
        const char *d = json_string_value(json_object_get(json_object_get(o, "candidate"), "dist"));
        *dist = aps_score_dist_parse(d);
        json_decref(o);
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int aps_registry_preds_load(struct aps_conn *c, int64_t id, struct aps_model_preds *out)
{
    static const char sql[] = "SELECT game_id, p0, p1, p2, mu, sigma, outcome, scored"
                              " FROM model_predictions WHERE model_id = ?1 ORDER BY game_id";
    struct aps_stmt *st = NULL;
    size_t cap = 0;
    memset(out, 0, sizeof *out);
    int rc = aps_conn_preparef(c, &st, sql, "i", id);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 1024;
            out->game_id = aps_realloc(out->game_id, cap * sizeof *out->game_id);
            out->p = aps_realloc(out->p, cap * 3 * sizeof *out->p);
            out->mu = aps_realloc(out->mu, cap * sizeof *out->mu);
            out->sigma = aps_realloc(out->sigma, cap * sizeof *out->sigma);
            out->outcome = aps_realloc(out->outcome, cap * sizeof *out->outcome);
            out->scored = aps_realloc(out->scored, cap * sizeof *out->scored);
        }
        size_t i = out->n++;
        out->game_id[i] = aps_stmt_int64(st, 0);
        for (int j = 0; j < 3; j++)
            out->p[i * 3 + (size_t)j] = aps_stmt_double(st, 1 + j);
        out->mu[i] = aps_stmt_double(st, 4);
        out->sigma[i] = aps_stmt_double(st, 5);
        out->outcome[i] = aps_stmt_is_null(st, 6) ? -1 : (int)aps_stmt_int64(st, 6);
        out->scored[i] = aps_stmt_int64(st, 7) != 0;
    }
    aps_stmt_finalize(st);
    if (rc >= 0)
        rc = preds_dist(c, id, &out->dist);
    if (rc < 0)
        aps_registry_preds_cleanup(out);
    return rc < 0 ? rc : 0;
}

long aps_registry_preds_find(const struct aps_model_preds *p, int64_t game_id)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->game_id[mid] < game_id)
            lo = mid + 1;
        else if (p->game_id[mid] > game_id)
            hi = mid;
        else
            return (long)mid;
    }
    return -1;
}

void aps_registry_preds_cleanup(struct aps_model_preds *p)
{
    aps_free(p->game_id);
    aps_free(p->p);
    aps_free(p->mu);
    aps_free(p->sigma);
    aps_free(p->outcome);
    aps_free(p->scored);
    memset(p, 0, sizeof *p);
}

/* ---- promotion ---- */

enum aps_promote_refusal aps_registry_promote_refusal(const char *status, bool leakage_ok,
                                                      bool force)
{
    if (!strcmp(status, "production"))
        return APS_PROMOTE_ALREADY;
    if (!strcmp(status, "pruned"))
        return APS_PROMOTE_PRUNED;
    return !leakage_ok && !force ? APS_PROMOTE_LEAKAGE : APS_PROMOTE_OK;
}

int aps_registry_promote(struct aps_conn *c, int64_t id, const char *note)
{
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = aps_conn_execf(c, "UPDATE models SET status = 'archived' WHERE status = 'production'"
                               " AND id <> ?1 AND sport_id = (SELECT sport_id FROM models"
                               " WHERE id = ?1) AND market = (SELECT market FROM models"
                               " WHERE id = ?1)", "i", id);
    if (!rc)
        rc = aps_conn_execf(c, "UPDATE models SET status = 'production', promoted_at = ?2,"
                               " promotion_note = ?3 WHERE id = ?1", "iis", id, aps_time_now(),
                            note);
    if (!rc)
        rc = aps_conn_commit(c);
    else
        aps_conn_rollback(c);
    return rc;
}

int aps_registry_set_note(struct aps_conn *c, int64_t id, const char *note)
{
    return aps_conn_execf(c, "UPDATE models SET promotion_note = ?2 WHERE id = ?1", "is", id,
                          note);
}

/* Log-losses of the challenger and the production model on the games both scored. */
static int compare(struct aps_conn *c, int64_t chal, int64_t prod, double *ll_c, double *ll_p,
                   size_t *common)
{
    struct aps_model_preds a, b;
    int rc = aps_registry_preds_load(c, chal, &a);
    if (rc)
        return rc;
    rc = aps_registry_preds_load(c, prod, &b);
    if (rc) {
        aps_registry_preds_cleanup(&a);
        return rc;
    }
    *ll_c = *ll_p = 0;
    *common = 0;
    for (size_t i = 0; i < a.n; i++) {
        long j = aps_registry_preds_find(&b, a.game_id[i]);
        int y = a.outcome[i];
        if (j < 0 || !a.scored[i] || !b.scored[j] || y < 0 || y != b.outcome[j])
            continue;
        double pa = a.p[i * 3 + (size_t)y], pb = b.p[(size_t)j * 3 + (size_t)y];
        if (isnan(pa) || isnan(pb))
            continue;
        *ll_c -= log(pa < 1e-15 ? 1e-15 : pa);
        *ll_p -= log(pb < 1e-15 ? 1e-15 : pb);
        (*common)++;
    }
    if (*common) {
        *ll_c /= (double)*common;
        *ll_p /= (double)*common;
    }
    aps_registry_preds_cleanup(&a);
    aps_registry_preds_cleanup(&b);
    return 0;
}

/* True when the model's metrics record a passed market gate (engine/gate.h); else note says
 * why not. */
static bool market_gate_passed(const char *metrics, char *note, size_t cap)
{
    json_error_t e;
    json_t *m = metrics ? json_loads(metrics, 0, &e) : NULL;
    json_t *g = m ? json_object_get(m, "market_gate") : NULL;
    bool ok = json_is_true(json_object_get(g, "passed"));
    const char *why = json_string_value(json_object_get(g, "why"));
    if (!g)
        snprintf(note, cap, "not promoted: no market gate recorded (walk-forward log-loss against"
                            " the no-vig market)");
    else if (!ok)
        snprintf(note, cap, "not promoted: market gate: %s", why ? why : "failed");
    json_decref(m);
    return ok;
}

/* The rule; *ok tells whether it holds, note says why. */
static int judge(struct aps_conn *c, const struct aps_model_row *ch, bool *ok, char *note,
                 size_t cap)
{
    struct aps_model_row pr;
    *ok = false;
    if (!ch->leakage_ok) {
        snprintf(note, cap, "not promoted: the leakage check did not pass");
        return 0;
    }
    if (!market_gate_passed(ch->metrics, note, cap))
        return 0;
    if (!(ch->ece <= APS_PROMOTE_MAX_ECE)) {
        snprintf(note, cap, "not promoted: walk-forward ECE %.4f is above %.2f", ch->ece,
                 APS_PROMOTE_MAX_ECE);
        return 0;
    }
    int rc = aps_registry_production(c, ch->sport, ch->market, &pr);
    if (rc == APS_E_NOTFOUND) {
        *ok = true;
        snprintf(note, cap, "promoted: first model of %s %s (ECE %.4f, leakage check passed)",
                 ch->sport, ch->market, ch->ece);
        return 0;
    }
    if (rc)
        return rc;
    double llc, llp;
    size_t common;
    rc = compare(c, ch->id, pr.id, &llc, &llp, &common);
    if (!rc && common < APS_PROMOTE_MIN_COMMON)
        snprintf(note, cap, "not promoted: only %zu scored games in common with %s", common,
                 pr.name);
    else if (!rc && llc < llp)
        snprintf(note, cap, "promoted: log-loss %.5f beats %.5f of %s on %zu common games "
                 "(ECE %.4f, leakage check passed)", llc, llp, pr.name, common, ch->ece);
    else if (!rc)
        snprintf(note, cap, "not promoted: log-loss %.5f does not beat %.5f of %s on %zu common"
                 " games", llc, llp, pr.name, common);
    *ok = !rc && common >= APS_PROMOTE_MIN_COMMON && llc < llp;
    aps_registry_row_cleanup(&pr);
    return rc;
}

int aps_registry_decide(struct aps_conn *c, int64_t id, bool *promoted, char *note, size_t cap)
{
    struct aps_model_row ch;
    *promoted = false;
    int rc = aps_registry_get_id(c, id, &ch);
    if (rc)
        return rc;
    bool ok = false;
    rc = judge(c, &ch, &ok, note, cap);
    if (!rc && ok)
        rc = aps_registry_promote(c, id, note);
    else if (!rc)
        rc = aps_registry_set_note(c, id, note);
    *promoted = !rc && ok;
    aps_registry_row_cleanup(&ch);
    return rc;
}

/* ---- training runs ---- */

int aps_registry_run_begin(struct aps_conn *c, const char *sport, const char *market,
                           uint64_t seed, int64_t budget, int64_t max_models, const char *preset,
                           int64_t *run_id)
{
    static const char sql[] =
        "INSERT INTO training_runs (sport_id, market, status, seed, budget_seconds, max_models,"
        " preset, started_at) SELECT sp.id, ?2, 'running', ?3, ?4, ?5, ?6, ?7 FROM sports sp"
        " WHERE sp.code = ?1 RETURNING id";
    /* The seed is stored as its 64 bits (aps_registry_run_latest reads it back the same way). */
    return aps_conn_query_row(c, sql, "i", run_id, "ssiiisi", sport, market, (int64_t)seed,
                              budget, max_models, preset, aps_time_now());
}

int aps_registry_run_end(struct aps_conn *c, int64_t run_id, const char *leaderboard,
                         int64_t best_model_id, const char *error)
{
    return aps_conn_execf(c, "UPDATE training_runs SET status = ?2, leaderboard = ?3,"
                             " best_model_id = ?4, error = ?5, finished_at = ?6 WHERE id = ?1",
                          "issIsi", run_id, error ? "failed" : "completed", leaderboard,
                          best_model_id > 0 ? &best_model_id : NULL, error, aps_time_now());
}

/* The latest completed run of a sport and market (sport and market given) or that made model
 * *model_id (given). */
static int run_row(struct aps_conn *c, const char *sport, const char *market,
                   const int64_t *model_id, char **leaderboard, int64_t *finished_at, int64_t *seed,
                   char *preset, size_t cap)
{
    static const char sql[] =
        "SELECT r.leaderboard, r.finished_at, r.seed, r.preset FROM training_runs r JOIN sports sp"
        " ON sp.id = r.sport_id WHERE (CAST(?1 AS TEXT) IS NULL OR sp.code = ?1)"
        " AND (CAST(?2 AS TEXT) IS NULL OR r.market = ?2)"
        " AND (CAST(?3 AS BIGINT) IS NULL OR r.best_model_id = ?3) AND r.status = 'completed'"
        " ORDER BY r.finished_at DESC, r.id DESC";
    *leaderboard = NULL;
    int rc = aps_conn_query_row(c, sql, "miis", leaderboard, finished_at, seed, preset, cap, "ssI",
                                sport, market, model_id);
    return !rc && !*leaderboard ? APS_E_NOTFOUND : rc; /* a run without a leaderboard */
}

int aps_registry_run_latest(struct aps_conn *c, const char *sport, const char *market,
                            char **leaderboard, int64_t *finished_at, int64_t *seed, char *preset,
                            size_t cap)
{
    return run_row(c, sport, market, NULL, leaderboard, finished_at, seed, preset, cap);
}

int aps_registry_run_of(struct aps_conn *c, int64_t model_id, char **leaderboard,
                        int64_t *finished_at, int64_t *seed, char *preset, size_t cap)
{
    return run_row(c, NULL, NULL, &model_id, leaderboard, finished_at, seed, preset, cap);
}
