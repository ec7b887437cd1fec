/* cmd_train.c — `aps train --sport X|all [--market M|all]`: the seeded walk-forward model search
 * of each sport and market (engine/trainer.h), its leaderboard, and the registry's verdict. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/elo_store.h"
#include "engine/trainer.h"
#include "store/store.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: aps train --sport CODE|all [--market moneyline|spread|total|all]\n"
            "                 [--seed N] [--preset medium_quality|good_quality|high_quality|"
            "best_quality]\n"
            "                 [--budget SECONDS] [--max-models N] [--until YYYY-MM-DD]\n"
            "                 [--no-promote] [--quiet]\n\n"
            "Computes point-in-time features for every stored game of the sport, then runs a\n"
            "seeded search over Elo, L2 logistic regression, XGBoost and their stacked ensemble\n"
            "(ridge and XGBoost regressions of the margin/total for spreads and totals). For a\n"
            "moneyline with entry prices, logistic regressions with the entry market's no-vig\n"
            "probabilities as a fixed offset join the search: their penalty shrinks them towards\n"
            "the market, so they learn only what it misses (logistic_offset_l2=...). For a\n"
            "spread or total with an entry line, ridge regressions centred on that line join\n"
            "it the same way (ridge_offset_l2=...): the expected margin/total is the line plus\n"
            "a penalised correction, with a normal error whose scale is fitted walk-forward on\n"
            "earlier games; P(cover) and P(over) come from that distribution at the market's\n"
            "line, pushes on whole-number lines left out. Totals that are counts (goals, runs)\n"
            "also get a Poisson outcome around a ridge's mean (ridge_poisson_l2=...); soccer\n"
            "and hockey handicaps a Skellam one, the goal margin as a difference of two Poisson\n"
            "counts with the ridge's mean and the walk-forward variance (ridge_skellam_l2=...),\n"
            "also around the ridge centred on the entry line (ridge_offset_skellam_l2=...).\n"
            "Every candidate is scored walk-forward — season by season, by month in the latest\n"
            "season (one too young to leave 200 games to test: by month after the seasons before\n"
            "it, as if they were the whole history), each fold's model trained on earlier games\n"
            "only — on log-loss, with Brier, ECE and AUC beside it, after a walk-forward\n"
            "calibration (isotonic, Platt or temperature).\n"
            "The leaderboard is printed and stored (training_runs). The best candidate is fitted\n"
            "on all the data, saved under MODEL_OUTPUT_PATH as a challenger with its market\n"
            "gate: its walk-forward log-loss against the closing no-vig market's on the games it\n"
            "scored that have a closing price at the line it predicted (within 0.5 %% on at\n"
            "least 200 games passes). It is promoted to production when its leakage check and\n"
            "market gate passed, its ECE is at most 0.03 and it beats the production model's\n"
            "log-loss on the same games (see `aps models`).\n"
            "A sport with no games in the store (before --until) is an error when asked for\n"
            "by name (exit 1), and skipped with a note under --sport all. A market that cannot\n"
            "be trained (too few games to score, no lines) says why in one line, with --quiet\n"
            "too: on stderr, exit 1, when --sport and --market name it; on stdout otherwise,\n"
            "and then the run exits 1 when a sport asked for by name had no market trained.\n"
            "SIGINT (Ctrl-C) or SIGTERM stops it once the candidates running finish: a search\n"
            "cut short is recorded as failed (training_runs) and registers no model; exit 130\n"
            "(SIGINT) or 143 (SIGTERM). A second signal stops it at once.\n\n"
            "  --market M      default moneyline; all: moneyline, spread and total\n"
            "  --seed N        search seed (default 42): the same seed gives the same leaderboard\n"
            "  --preset P      breadth of the search (default AUTOGLUON_PRESET)\n"
            "  --budget S      time budget per search (default H2O_MAX_RUNTIME_SECS)\n"
            "  --max-models N  candidates per search (default H2O_MAX_MODELS); and no candidate\n"
            "                  starts while the process's resident memory is above\n"
            "                  H2O_MAX_MEM_SIZE (the ones not run are counted under the\n"
            "                  leaderboard; none run at all is an error that says so)\n"
            "  --until DATE    train on the games dated before DATE only: features, search,\n"
            "                  calibration and stacking never see a later game; the cutoff is\n"
            "                  stored with the model (params.train_until), which is registered\n"
            "                  as a challenger only. Score it on later games with\n"
            "                  `aps backtest --model NAME --from DATE`\n"
            "  --no-promote    register the challenger without applying the promotion rule\n"
            "  --quiet         no progress bar and no note of a sport skipped under --sport all;\n"
            "                  the leaderboards, a market's reason for not training and the\n"
            "                  errors are still printed\n");
}

struct train_args {
    const char *sport, *market;
    struct aps_trainer_opts o;
    bool quiet;
};

/* The signal (SIGINT, SIGTERM) that asked the run to stop, 0 while none has. A signal handler
 * has to reach it, hence a file-scope variable; the search reads it through its options. */
static atomic_int stop_signal;

/* The first SIGINT or SIGTERM asks the search to stop between candidates, so that the run in
 * progress is recorded as failed instead of staying "running" for ever; a second one ends the
 * process at once, by the signal's default action (it is blocked until the handler returns). */
static void on_stop(int sig)
{
    if (atomic_exchange(&stop_signal, sig)) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

/* Catches SIGINT and SIGTERM, except one that is ignored (a job started in the background by a
 * shell without job control ignores SIGINT, and keeps doing so). */
static void catch_stop(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (!sigaction(sigs[i], NULL, &old) && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
}

/* The values of the table below: 0, or 1 after printing why the value is refused. */
static int set_market(void *p, const char *opt, const char *v)
{
    (void)opt;
    if (strcmp(v, "all") && aps_market_parse(v) < 0)
        return fprintf(stderr, "aps train: --market must be moneyline, spread, total or all\n"), 1;
    ((struct train_args *)p)->market = v;
    return 0;
}

static int set_until(void *p, const char *opt, const char *v)
{
    char prev[11];
    (void)opt;
    if (aps_trainer_day_before(v, prev))
        return fprintf(stderr, "aps train: --until must be a date YYYY-MM-DD\n"), 1;
    ((struct train_args *)p)->o.until = v;
    return 0;
}

static int set_seed(void *p, const char *opt, const char *v)
{
    int64_t n;
    (void)opt;
    if (!aps_cli_i64_in(v, 0, INT64_MAX, &n))
        return fprintf(stderr, "aps train: --seed must be a whole number >= 0\n"), 1;
    ((struct train_args *)p)->o.search.seed = (uint64_t)n;
    return 0;
}

static int set_preset(void *p, const char *opt, const char *v)
{
    struct train_args *a = p;
    int preset = aps_preset_parse(v);
    (void)opt;
    if (preset < 0)
        return fprintf(stderr, "aps train: unknown preset %s\n", v), 1;
    a->o.search.preset = preset;
    a->o.preset_name = v;
    return 0;
}

static int set_budget(void *p, const char *opt, const char *v)
{
    int64_t n;
    (void)opt;
    if (!aps_cli_i64_in(v, 1, INT64_MAX, &n))
        return fprintf(stderr, "aps train: --budget must be a whole number of seconds\n"), 1;
    ((struct train_args *)p)->o.search.budget_s = (double)n;
    return 0;
}

static int set_max_models(void *p, const char *opt, const char *v)
{
    int64_t n;
    (void)opt;
    if (!aps_cli_i64_in(v, 1, 10000, &n))
        return fprintf(stderr, "aps train: --max-models must be 1..10000\n"), 1;
    ((struct train_args *)p)->o.search.max_models = (int)n;
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--no-promote", APS_OPT_CLEAR, offsetof(struct train_args, o.promote), NULL},
    {"--quiet", APS_OPT_SET, offsetof(struct train_args, quiet), NULL},
    {"--sport", APS_OPT_STR, offsetof(struct train_args, sport), NULL},
    {"--market", APS_OPT_FN, 0, set_market},
    {"--until", APS_OPT_FN, 0, set_until},
    {"--seed", APS_OPT_FN, 0, set_seed},
    {"--preset", APS_OPT_FN, 0, set_preset},
    {"--budget", APS_OPT_FN, 0, set_budget},
    {"--max-models", APS_OPT_FN, 0, set_max_models},
};

static int parse(struct aps_cli *cli, int argc, char **argv, struct train_args *a)
{
    const char *preset = aps_cfg_str(cli->cfg, APS_SET_AUTOGLUON_PRESET);
    memset(a, 0, sizeof *a);
    a->market = "moneyline";
    a->o.search = (struct aps_search_opts){
        .seed = 42,
        .budget_s = (double)aps_cfg_int(cli->cfg, APS_SET_H2O_MAX_RUNTIME_SECS),
        .max_models = (int)aps_cfg_int(cli->cfg, APS_SET_H2O_MAX_MODELS),
        .max_mem = (size_t)aps_cfg_int(cli->cfg, APS_SET_H2O_MAX_MEM_SIZE),
        .preset = aps_preset_parse(preset) < 0 ? APS_PRESET_MEDIUM : aps_preset_parse(preset)};
    a->o.preset_name = preset;
    a->o.model_path = aps_cfg_str(cli->cfg, APS_SET_MODEL_OUTPUT_PATH);
    a->o.promote = true;
    a->o.leak_samples = 20;
    aps_engine_kelly_params(cli->cfg, &a->o.kelly);
    a->o.margin = (enum aps_margin_method)aps_engine_margin_method(cli->cfg);
    aps_wf_opts_default(&a->o.wf);
    static const struct aps_cli_opts table = {.cmd = "train",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options)};
    int rc = aps_cli_opts_parse(&table, argc, argv, 1, a);
    if (rc)
        return rc;
    if (!a->sport || (strcmp(a->sport, "all") && aps_sport_from_code(a->sport) < 0)) {
        fprintf(stderr, "aps train: --sport CODE|all is required (see aps train --help)\n");
        return APS_EXIT_USAGE;
    }
    return 0;
}

/* A market's model: its leaderboard and the registry's verdict; or, when it was not trained, the
 * reason in one line, on stderr as the run's error when the market was asked for by name (named),
 * else on stdout as a note. Either way --quiet does not hide it: nothing trained is a result the
 * caller has to see. */
static void print_outcome(const char *sport, const char *market,
                          const struct aps_trainer_outcome *out, bool named)
{
    if (!out->ran) {
        fprintf(named ? stderr : stdout, "%s%s %s: not trained: %s\n", named ? "aps train: " : "",
                sport, market, out->why);
        return;
    }
    const struct aps_lb_entry *b = &out->r.lb[0];
    printf("%s %s: %zu folds (%s .. %s), %zu scored games, search %.1fs\n", sport, market,
           out->nfolds, out->first_fold, out->last_fold, b->s.n, out->r.seconds);
    aps_search_print(&out->r, stdout);
    printf("  leakage check: %zu games, %s\n", out->leak_checked,
           out->leak_bad < 0 ? "passed" : "FAILED");
    printf("  model %s (%s): %s\n\n", out->model_name, b->name, out->note);
}

static int train_sport(struct aps_cli *cli, struct aps_conn *c, enum aps_sport sport,
                       const struct train_args *a)
{
    struct aps_trainer_sport ts;
    const char *code = aps_sport_info(sport)->code;
    int rc = aps_trainer_prepare_until(c, sport, a->o.until, &ts);
    if (rc) {
        fprintf(stderr, "aps train: %s: %s %s\n", code, aps_strerror(rc), aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    bool named = strcmp(a->sport, "all") != 0;
    if (!ts.h.ngames) { /* an error when the sport was asked for by name, a note under 'all' */
        if (named || !a->quiet)
            fprintf(named ? stderr : stdout, "%s%s: no games in the store%s%s%s\n",
                    named ? "aps train: " : "", code, a->o.until ? " before " : "",
                    a->o.until ? a->o.until : "", named ? ": nothing to train" : ", skipped");
        aps_trainer_sport_cleanup(&ts);
        return named ? APS_EXIT_FAIL : APS_EXIT_OK;
    }
    bool one = named && strcmp(a->market, "all") != 0; /* one market, asked for by name */
    size_t trained = 0;
    for (int m = 0; m < APS_MKT__COUNT && !rc; m++) {
        if (strcmp(a->market, "all") && m != aps_market_parse(a->market))
            continue;
        char label[48];
        snprintf(label, sizeof label, "%s %s", code, aps_market_name(m));
        struct aps_trainer_opts o = a->o;
        o.search.label = label;
        o.search.progress = cli->tty && !a->quiet ? stderr : NULL;
        struct aps_trainer_outcome out;
        rc = aps_trainer_run(c, &ts, m, &o, &out);
        if (!rc)
            print_outcome(code, aps_market_name(m), &out, one);
        else if (rc != APS_E_INTERRUPTED && out.why[0]) /* the search's limits stopped it */
            fprintf(stderr, "aps train: %s: %s\n", label, out.why);
        else if (rc != APS_E_INTERRUPTED) /* that one is said once, by aps_cmd_train */
            fprintf(stderr, "aps train: %s: %s %s\n", label, aps_strerror(rc), aps_conn_errmsg(c));
        trained += !rc && out.ran;
        aps_trainer_outcome_cleanup(&out);
    }
    aps_trainer_sport_cleanup(&ts);
    if (!rc && named && !trained) { /* nothing of what was asked for was trained */
        if (!one)
            fprintf(stderr, "aps train: %s: no market trained (the reasons are above)\n", code);
        return APS_EXIT_FAIL;
    }
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

int aps_cmd_train(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        help(stdout);
        return APS_EXIT_OK;
    }
    struct train_args a;
    int rc = parse(cli, argc, argv, &a);
    if (rc)
        return rc;
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    if (aps_cli_open_conn(cli, "train", APS_DB_WRITE, &st, &c))
        return APS_EXIT_FAIL;
    a.o.search.stop = &stop_signal;
    catch_stop();
    double t0 = aps_time_mono();
    bool all = !strcmp(a.sport, "all");
    rc = APS_EXIT_OK;
    for (int s = 0; s < APS_SPORT__COUNT && rc == APS_EXIT_OK && !atomic_load(&stop_signal); s++)
        if (all || s == aps_sport_from_code(a.sport))
            rc = train_sport(cli, c, s, &a);
    printf("aps train: %s, %s, seed %llu, preset %s%s%s: %.1fs in total\n", a.sport, a.market,
           (unsigned long long)a.o.search.seed, a.o.preset_name, a.o.until ? ", games before " : "",
           a.o.until ? a.o.until : "", aps_time_mono() - t0);
    int sig = atomic_load(&stop_signal);
    if (sig) {
        fprintf(stderr, "aps train: stopped by %s: a search it cut short is recorded as failed"
                        " and registered no model\n", aps_cli_signal_name(sig));
        rc = 128 + sig;
    }
    aps_store_release(c);
    aps_store_close(st);
    return rc;
}
