/* cmd_models.c — `aps models list|show|promote|explain`: the model registry (model/registry.h). */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/trainer.h"
#include "model/explain.h"
#include "model/registry.h"
#include "services/jobs.h"
#include "store/store.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: aps models list [--sport CODE]\n"
            "       aps models show NAME\n"
            "       aps models promote NAME [--force]\n"
            "       aps models explain NAME [--game ID] [--top N]\n"
            "       aps models prune [--days N]\n\n"
            "list     every registered model, newest first: status (challenger, production,\n"
            "         archived, pruned), walk-forward log-loss and ECE, and why it was or was not\n"
            "         promoted\n"
            "show     one model's metadata: features, parameters, training-data hash, metrics\n"
            "promote  makes NAME the production model of its sport and market by hand; the\n"
            "         previous production model is archived. A pruned model (its files deleted)\n"
            "         cannot be promoted, nor one that failed the leakage check without --force\n"
            "         (as POST /api/v1/models/{id}/promote); promoting the production model again\n"
            "         changes nothing\n"
            "explain  the top feature contributions of the model's prediction for a game (default:\n"
            "         the last game of its sport), computed from point-in-time features\n"
            "prune    deletes the training artefacts (files and walk-forward predictions) of\n"
            "         models never promoted and older than N days (MODEL_ARTIFACT_RETENTION_DAYS,\n"
            "         90); production models and the newest model of each market stay; pruned\n"
            "         rows stay in the registry with status pruned. The daily cleanup job does\n"
            "         the same\n");
}

static void when(int64_t t, char *buf, size_t cap)
{
    if (t > 0)
        aps_time_format_iso(t, buf, cap);
    else
        (void)aps_str_copy(buf, cap, "-");
}

static int list(struct aps_conn *c, int argc, char **argv)
{
    static const struct aps_cli_opt options[] = {{"--sport", APS_OPT_STR, 0, NULL}};
    static const struct aps_cli_opts table = {.cmd = "models list", .opt = options, .n = 1};
    const char *sport = NULL;
    if (aps_cli_opts_parse(&table, argc, argv, 2, &sport))
        return APS_EXIT_USAGE;
    if (sport) { /* any case, as everywhere else: the registry stores the canonical code */
        int code = aps_sport_from_code(sport);
        if (code < 0) {
            fprintf(stderr, "aps models list: unknown sport %s\n", sport);
            return APS_EXIT_USAGE;
        }
        sport = aps_sport_info(code)->code;
    }
    struct aps_model_row *rows;
    size_t n;
    if (aps_registry_list(c, sport, &rows, &n)) {
        fprintf(stderr, "aps models list: %s\n", aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    printf("%-52s %-10s %-10s %-9s %-11s %8s %7s %6s  %s\n", "name", "sport", "market", "family",
           "status", "log-loss", "ece", "games", "note");
    for (size_t i = 0; i < n; i++) {
        const struct aps_model_row *r = &rows[i];
        printf("%-52s %-10s %-10s %-9s %-11s %8.4f %7.4f %6lld  %s\n", r->name, r->sport, r->market,
               r->family, r->status, r->log_loss, r->ece, (long long)r->games,
               r->note ? r->note : "");
        aps_registry_row_cleanup(&rows[i]);
    }
    aps_free(rows);
    return APS_EXIT_OK;
}

static int show(struct aps_conn *c, const char *name)
{
    struct aps_model_row r;
    int rc = aps_registry_get(c, name, &r);
    if (rc) {
        fprintf(stderr, "aps models show: %s: %s\n", name, aps_strerror(rc));
        return APS_EXIT_FAIL;
    }
    char created[24], promoted[24];
    when(r.created_at, created, sizeof created);
    when(r.promoted_at, promoted, sizeof promoted);
    printf("name        %s\nsport       %s\nmarket      %s\nfamily      %s\nstatus      %s\n"
           "path        %s\ncreated     %s\npromoted    %s\nlog-loss    %.5f (walk-forward, %lld "
           "games)\nece         %.5f\nleakage     %s\ndata hash   %s\nnote        %s\n"
           "features    %s\nparams      %s\nmetrics     %s\n",
           r.name, r.sport, r.market, r.family, r.status, r.path, created, promoted, r.log_loss,
           (long long)r.games, r.ece, r.leakage_ok ? "check passed" : "check failed",
           r.data_hash ? r.data_hash : "", r.note ? r.note : "", r.features ? r.features : "",
           r.params ? r.params : "", r.metrics ? r.metrics : "");
    aps_registry_row_cleanup(&r);
    return APS_EXIT_OK;
}

/* Writes why r cannot be promoted (aps_registry_promote_refusal, as the API refuses it). */
static void say_refusal(const struct aps_model_row *r, enum aps_promote_refusal why)
{
    if (why == APS_PROMOTE_PRUNED) /* its files are gone: no pick could use it */
        fprintf(stderr,
                "aps models promote: %s was pruned (its files and walk-forward predictions are"
                " deleted) and cannot be promoted; promote another model of %s %s (aps models"
                " list --sport %s) or train a new one (aps train)\n",
                r->name, r->sport, r->market, r->sport);
    else
        fprintf(stderr,
                "aps models promote: %s did not pass the leakage check (aps models show %s);"
                " --force promotes it anyway\n",
                r->name, r->name);
}

static int promote(struct aps_conn *c, int argc, char **argv)
{
    static const struct aps_cli_opt options[] = {{"--force", APS_OPT_SET, 0, NULL}};
    static const struct aps_cli_opts table = {.cmd = "models promote", .opt = options, .n = 1};
    bool force = false;
    if (aps_cli_opts_parse(&table, argc, argv, 3, &force))
        return APS_EXIT_USAGE;
    const char *name = argv[2];
    struct aps_model_row r;
    int rc = aps_registry_get(c, name, &r);
    enum aps_promote_refusal why = rc ? APS_PROMOTE_OK
                                      : aps_registry_promote_refusal(r.status, r.leakage_ok, force);
    if (why == APS_PROMOTE_ALREADY) { /* nothing to do: its note stays */
        printf("%s is already the production model of %s %s\n", r.name, r.sport, r.market);
        aps_registry_row_cleanup(&r);
        return APS_EXIT_OK;
    }
    if (why != APS_PROMOTE_OK) {
        say_refusal(&r, why);
        aps_registry_row_cleanup(&r);
        return APS_EXIT_FAIL;
    }
    if (!rc)
        rc = aps_registry_promote(c, r.id, "promoted by hand (aps models promote)");
    if (rc) {
        fprintf(stderr, "aps models promote: %s: %s\n", name, aps_strerror(rc));
        if (rc != APS_E_NOTFOUND)
            aps_registry_row_cleanup(&r);
        return APS_EXIT_FAIL;
    }
    printf("%s is now the production model of %s %s\n", r.name, r.sport, r.market);
    aps_registry_row_cleanup(&r);
    return APS_EXIT_OK;
}

/* Replays the sport's features up to the game (0: the last one) and explains the model's
 * prediction for it. *no_game is set when the sport has no such game (APS_E_NOTFOUND). */
static int explain_game(struct aps_conn *c, const struct aps_trained *t, int64_t game, int top,
                        bool *no_game)
{
    *no_game = false;
    struct aps_trainer_sport ts;
    int rc = aps_trainer_prepare(c, t->sport, &ts);
    if (rc)
        return rc;
    struct aps_feat_matrix m;
    rc = aps_feat_build(&ts.h, &ts.x, &t->spec, &m);
    size_t gi = ts.h.ngames;
    for (size_t i = 0; !rc && i < ts.h.ngames; i++)
        if (ts.h.games[i].id == game || (game <= 0 && i + 1 == ts.h.ngames))
            gi = i;
    if (!rc && gi == ts.h.ngames) {
        *no_game = true;
        rc = APS_E_NOTFOUND;
    }
    struct aps_prediction pr;
    struct aps_contrib ct[64];
    int n = 0;
    const double *x = rc ? NULL : m.x + gi * (size_t)m.d;
    double ed = NAN;
    for (int j = 0; x && j < t->spec.ncols; j++)
        if (t->spec.col[j] == APS_F_ELO_DIFF)
            ed = x[j];
    if (!rc)
        rc = aps_trained_predict(t, x, m.elo + gi * 3, ed, &pr);
    if (!rc)
        rc = aps_explain(t, x, m.elo + gi * 3, ed, top > 64 ? 64 : top, ct, &n);
    if (!rc) {
        const struct aps_hist_game *g = &ts.h.games[gi];
        printf("game %lld on %s: ", (long long)g->id, g->date);
        if (t->regression)
            printf("expected %s %.2f (sigma %.2f); contributions in points",
                   t->market == APS_MKT_SPREAD ? "home margin" : "total", pr.mu, pr.sigma);
        else
            printf("P(%s) %.4f; contributions in log-odds of %s", t->k == 3 ? "home" : "home win",
                   pr.p[0], t->k == 3 ? "home against away" : "a home win");
        printf("\n  %-24s %12s %14s\n", "feature", "value", "contribution");
        for (int i = 0; i < n; i++)
            printf("  %-24s %12.4f %+14.4f\n", ct[i].feature, ct[i].value, ct[i].contribution);
    }
    aps_feat_matrix_cleanup(&m);
    aps_trainer_sport_cleanup(&ts);
    return rc;
}

struct explain_args {
    int64_t game;
    int top;
};

/* A game id is a whole number from 1; 0 stands for "the last game" only as the default. */
static int set_game(void *p, const char *opt, const char *v)
{
    int64_t *game = &((struct explain_args *)p)->game;
    if (!aps_cli_i64_in(v, 1, INT64_MAX, game)) {
        fprintf(stderr, "aps models explain: bad option %s %s (a game id, 1 or more)\n", opt, v);
        return 1;
    }
    return 0;
}

static int set_top(void *p, const char *opt, const char *v)
{
    int *top = &((struct explain_args *)p)->top;
    if (!aps_cli_int_in(v, 1, INT_MAX, top))
        return fprintf(stderr, "aps models explain: bad option %s %s\n", opt, v), 1;
    return 0;
}

static const struct aps_cli_opt explain_options[] = {
    {"--game", APS_OPT_FN, 0, set_game},
    {"--top", APS_OPT_FN, 0, set_top},
};

static int explain(struct aps_conn *c, int argc, char **argv)
{
    static const struct aps_cli_opts table = {.cmd = "models explain",
                                              .bad = "bad option",
                                              .opt = explain_options,
                                              .n = APS_CLI_OPTS_N(explain_options)};
    struct explain_args a = {.game = 0, .top = 10};
    if (aps_cli_opts_parse(&table, argc, argv, 3, &a))
        return APS_EXIT_USAGE;
    const char *name = argv[2];
    struct aps_model_row r;
    struct aps_trained t;
    char why[APS_REGISTRY_WHY_CAP];
    bool no_game = false;
    int rc = aps_registry_get(c, name, &r);
    if (rc) {
        fprintf(stderr, "aps models explain: %s: %s\n", name, aps_strerror(rc));
        return APS_EXIT_FAIL;
    }
    rc = aps_registry_load(r.path, &t, why, sizeof why);
    aps_registry_row_cleanup(&r);
    if (rc) {
        fprintf(stderr, "aps models explain: %s: cannot load the model: %s\n", name, why);
        return APS_EXIT_FAIL;
    }
    rc = explain_game(c, &t, a.game, a.top, &no_game);
    if (no_game && a.game > 0)
        fprintf(stderr, "aps models explain: game %lld: not found among the stored %s games\n",
                (long long)a.game, aps_sport_info(t.sport)->code);
    else if (no_game)
        fprintf(stderr, "aps models explain: no %s game stored\n", aps_sport_info(t.sport)->code);
    else if (rc)
        fprintf(stderr, "aps models explain: %s: %s\n", name, aps_strerror(rc));
    aps_trained_cleanup(&t);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

static void prune_usage(FILE *out)
{
    fprintf(out, "aps models prune: want --days N (N >= 1)\n");
}

static int set_days(void *p, const char *opt, const char *v)
{
    int64_t *days = p;
    (void)opt;
    if (!aps_cli_i64_in(v, 1, INT64_MAX, days))
        return prune_usage(stderr), 1;
    return 0;
}

static int prune(struct aps_cli *cli, struct aps_conn *c, int argc, char **argv)
{
    int64_t days = aps_cfg_int(cli->cfg, APS_SET_MODEL_ARTIFACT_RETENTION_DAYS);
    int pruned = 0, kept = 0;
    static const struct aps_cli_opt options[] = {{"--days", APS_OPT_FN, 0, set_days}};
    static const struct aps_cli_opts table = {
        .cmd = "models prune", .opt = options, .n = 1, .usage = prune_usage};
    if (aps_cli_opts_parse(&table, argc, argv, 2, &days))
        return APS_EXIT_USAGE;
    if (aps_registry_prune(c, aps_jobs_now(cli->cfg) - days * 86400, &pruned, &kept)) {
        fprintf(stderr, "aps models prune: %s\n", aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    printf("pruned %d model(s) older than %lld days; %d folder(s) left (unexpected files)\n",
           pruned, (long long)days, kept);
    return kept ? APS_EXIT_FAIL : APS_EXIT_OK;
}

int aps_cmd_models(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv) || argc < 2) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? APS_EXIT_USAGE : APS_EXIT_OK;
    }
    const char *sub = argv[1];
    bool needs_name = strcmp(sub, "list") != 0 && strcmp(sub, "prune") != 0;
    if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "promote") &&
        strcmp(sub, "explain") && strcmp(sub, "prune")) {
        fprintf(stderr, "aps models: unknown subcommand %s\n", sub);
        return APS_EXIT_USAGE;
    }
    if (needs_name && argc < 3) {
        fprintf(stderr, "aps models %s: NAME is required\n", sub);
        return APS_EXIT_USAGE;
    }
    if (!strcmp(sub, "show") && argc > 3) {
        fprintf(stderr, "aps models %s: one NAME, not '%s' after it\n", sub, argv[3]);
        return APS_EXIT_USAGE;
    }
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    if (aps_cli_open_conn(cli, "models", APS_DB_WRITE, &st, &c))
        return APS_EXIT_FAIL;
    int rc = !strcmp(sub, "prune")     ? prune(cli, c, argc, argv)
             : !strcmp(sub, "list")    ? list(c, argc, argv)
             : !strcmp(sub, "show")    ? show(c, argv[2])
             : !strcmp(sub, "promote") ? promote(c, argc, argv)
                                       : explain(c, argc, argv);
    aps_store_release(c);
    aps_store_close(st);
    return rc;
}
