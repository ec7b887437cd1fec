/* cmd_backtest.c — `aps backtest`: walk-forward backtest of the Elo predictor over the stored
 * history of one sport (or every sport with odds). */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/backtest.h"
#include "engine/elo_store.h"
#include "model/registry.h"
#include "store/store.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: aps backtest --sport CODE|all [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
            "                    [--market moneyline|spread|total] [--format table|json|csv]\n"
            "                    [--bankroll N] [--burn-in SEASONS] [--no-refit]\n"
            "                    [--model NAME|production]\n\n"
            "Replays the sport's stored games day by day. Before each day the Elo predictor gives\n"
            "probabilities from earlier games only; the best entry price in the data is taken, the\n"
            "side with the largest edge over the no-vig market is staked by tier and fractional\n"
            "Kelly (KELLY_FRACTION, MAX_BET_PERCENT, MIN_EDGE_THRESHOLD, SIGNAL_TIER_*) from the\n"
            "day's opening bankroll, graded, and measured against the closing line. The model's\n"
            "probabilities are scored next to the closing market's on the same games.\n\n"
            "  --burn-in N   seasons at the start that only train the model (default 1); the\n"
            "                games after a --model's training data are scored even in them\n"
            "  --no-refit    keep the starting Elo parameters (fitted by 'aps elo fit' when stored,\n"
            "                else the defaults) instead of refitting them each season on earlier\n"
            "                seasons only (walk-forward, the default)\n"
            "  --bankroll N  the starting bankroll (default DEFAULT_BANKROLL), above 0 and at\n"
            "                most 1e12\n"
            "  --format json one JSON object; with --sport all one JSON array of them, one per\n"
            "                sport with odds for the market, in sport order (each has \"sport\")\n"
            "  --format csv  one row per bet; with --sport all one header, and a first column\n"
            "                \"sport\"\n"
            "  --model NAME  score a trained model instead of Elo: its stored walk-forward\n"
            "                predictions (each from a model fitted on earlier games only), and on\n"
            "                the games after its training data (see 'aps train --until') the\n"
            "                frozen model itself, on features computed point in time exactly as\n"
            "                live picks are; 'production' takes the sport's production model.\n"
            "                A model whose files cannot be read (missing, or deleted by 'aps\n"
            "                models prune') is an error\n\n"
            "Scores: log-loss, Brier and ECE of the model against the closing market, and against\n"
            "the entry (opening, else pre-match) market on the games that have entry prices, with\n"
            "a paired bootstrap 95 %% interval of the log-loss difference. A figure that is not\n"
            "defined (a yield without stakes, a Sharpe ratio of fewer than two bets, a score of\n"
            "a season with no scored game) is shown as \"-\" in the table and null in JSON. A\n"
            "window in which no game can be scored is an error (exit 1) that says why.\n");
}

struct bt_args {
    const char *sport, *from, *to;
    const char *model;       /* --model: a registered model's name or "production"; NULL: Elo */
    enum aps_market market;
    enum aps_report_format format;
    double bankroll;
    int burn_in;
    bool refit;
};

static int set_date(void *args, const char *opt, const char *v)
{
    struct bt_args *a = args;
    int64_t t;
    if (strlen(v) != 10 || aps_time_parse_iso(v, &t)) {
        fprintf(stderr, "aps backtest: %s must be a date YYYY-MM-DD\n", opt);
        return 1;
    }
    *(opt[2] == 'f' ? &a->from : &a->to) = v;
    return 0;
}

static int set_market(void *args, const char *opt, const char *v)
{
    int m = aps_market_parse(v);
    (void)opt;
    if (m < 0) {
        fprintf(stderr, "aps backtest: --market must be moneyline, spread or total\n");
        return 1;
    }
    ((struct bt_args *)args)->market = m;
    return 0;
}

static int set_format(void *args, const char *opt, const char *v)
{
    int f = aps_report_format_parse(v);
    (void)opt;
    if (f < 0) {
        fprintf(stderr, "aps backtest: --format must be table, json or csv\n");
        return 1;
    }
    ((struct bt_args *)args)->format = f;
    return 0;
}

static int set_bankroll(void *args, const char *opt, const char *v)
{
    struct bt_args *a = args;
    (void)opt;
    if (!aps_cli_num_in(v, 0, APS_BACKTEST_BANKROLL_MAX, &a->bankroll) || !(a->bankroll > 0)) {
        fprintf(stderr, "aps backtest: --bankroll must be a number above 0 and at most %.0f\n",
                APS_BACKTEST_BANKROLL_MAX);
        return 1;
    }
    return 0;
}

static int set_burn_in(void *args, const char *opt, const char *v)
{
    struct bt_args *a = args;
    (void)opt;
    if (!aps_cli_int_in(v, 0, INT_MAX, &a->burn_in)) {
        fprintf(stderr, "aps backtest: --burn-in must be a whole number >= 0\n");
        return 1;
    }
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--no-refit", APS_OPT_CLEAR, offsetof(struct bt_args, refit), NULL},
    {"--sport", APS_OPT_STR, offsetof(struct bt_args, sport), NULL},
    {"--model", APS_OPT_STR, offsetof(struct bt_args, model), NULL},
    {"--from", APS_OPT_FN, 0, set_date},
    {"--to", APS_OPT_FN, 0, set_date},
    {"--market", APS_OPT_FN, 0, set_market},
    {"--format", APS_OPT_FN, 0, set_format},
    {"--bankroll", APS_OPT_FN, 0, set_bankroll},
    {"--burn-in", APS_OPT_FN, 0, set_burn_in},
};

static int parse(struct aps_cli *cli, int argc, char **argv, struct bt_args *a)
{
    *a = (struct bt_args){.market = APS_MKT_MONEYLINE, .format = APS_FMT_TABLE,
                          .bankroll = aps_cfg_double(cli->cfg, APS_SET_DEFAULT_BANKROLL),
                          .burn_in = 1, .refit = true};
    static const struct aps_cli_opts table = {.cmd = "backtest",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options)};
    int rc = aps_cli_opts_parse(&table, argc, argv, 1, a);
    if (rc)
        return rc;
    if (!a->sport) {
        fprintf(stderr, "aps backtest: --sport is required (see aps backtest --help)\n");
        return APS_EXIT_USAGE;
    }
    if (strcmp(a->sport, "all") && aps_sport_from_code(a->sport) < 0) {
        fprintf(stderr, "aps backtest: unknown sport %s\n", a->sport);
        return APS_EXIT_USAGE;
    }
    if (a->from && a->to && strcmp(a->from, a->to) > 0) {
        fprintf(stderr, "aps backtest: --from is after --to\n");
        return APS_EXIT_USAGE;
    }
    return 0;
}

/* Why --model names no model of this sport and market, written to err; the exit status: 2 when
 * the model is another sport's or market's (the flags to change), else 1. */
static int model_missing(struct aps_conn *c, enum aps_sport sport, const struct bt_args *a,
                         FILE *err)
{
    const char *code = aps_sport_info(sport)->code, *mk = aps_market_name(a->market);
    struct aps_model_row r;
    if (!strcmp(a->model, "production")) {
        fprintf(err,
                "aps backtest: no %s %s model is in production (aps models list --sport %s;"
                " --model NAME scores any of them)\n",
                code, mk, code);
        return APS_EXIT_FAIL;
    }
    if (aps_registry_get(c, a->model, &r)) {
        fprintf(err, "aps backtest: no model %s (aps models list --sport %s)\n", a->model, code);
        return APS_EXIT_FAIL;
    }
    fprintf(err, "aps backtest: %s models %s %s, not %s %s (--sport %s --market %s)\n", r.name,
            r.sport, r.market, code, mk, r.sport, r.market);
    aps_registry_row_cleanup(&r);
    return APS_EXIT_USAGE;
}

/* Runs one sport, writing its report to out and its messages to err; *ran is false when the
 * sport has no games with odds for the market. o carries everything read from the
 * configuration, so a worker thread reads nothing shared but the arguments. */
static int run_sport(struct aps_conn *c, enum aps_sport sport, const struct bt_args *a,
                     const struct aps_backtest_sport_opts *o0, FILE *out, FILE *err, bool *ran)
{
    struct aps_history h;
    struct aps_backtest_report r = {0};
    struct aps_backtest_sport_opts o = *o0;
    char model_name[128], load_why[APS_REGISTRY_WHY_CAP + 160] = "";
    o.why = load_why;
    o.why_cap = sizeof load_why;
    *ran = false;
    int rc = aps_backtest_sport(c, sport, &o, &h, &r, model_name, sizeof model_name);
    if (rc == APS_E_NOTFOUND && a->model && !strcmp(a->sport, "all")) {
        rc = 0; /* no such model for this sport: nothing to replay */
    } else if (rc == APS_E_NOTFOUND && a->model) {
        int status = model_missing(c, sport, a, err);
        aps_backtest_report_cleanup(&r);
        aps_history_cleanup(&h);
        return status;
    } else if (rc == APS_E_DB) {
        fprintf(err, "aps backtest: cannot load %s: %s\n", aps_sport_info(sport)->code,
                aps_conn_errmsg(c));
    } else if (rc) {
        fprintf(err, "aps backtest: %s: %s\n", aps_sport_info(sport)->code,
                load_why[0] ? load_why : aps_strerror(rc));
    } else if (r.with_entry || r.with_close || strcmp(a->sport, "all")) {
        char why[320];
        *ran = true;
        if (aps_backtest_empty(&r, &h, &o.bt, why, sizeof why)) {
            fprintf(err, "aps backtest: nothing to score: %s\n", why);
            rc = APS_E_NOTFOUND;
        } else if (a->format == APS_FMT_CSV && !strcmp(a->sport, "all")) {
            aps_backtest_csv_rows(&r, &h, true, out); /* the header is written once */
        } else {
            aps_backtest_write(&r, &h, a->format, out);
        }
    }
    aps_backtest_report_cleanup(&r);
    aps_history_cleanup(&h);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

/* Sports are independent (each loads its own history and runs on its own connection), so
 * `--sport all` runs them on BT_THREADS threads. Each sport's report and messages are kept in
 * memory and printed in sport order afterwards, stopping after the first sport that fails, so
 * the output is the one a run of the sports one after the other gives. The threads take the
 * sports with the most stored games first, so that the last ones to finish are small and the
 * threads end close together. */
#define BT_THREADS 2

struct bt_job {
    enum aps_sport sport;
    char *out, *err; /* what the run wrote to stdout and stderr (open_memstream; aps_free) */
    size_t nout, nerr;
    int rc;
    bool ran;
};

struct bt_pool {
    const struct bt_args *a;
    struct aps_backtest_sport_opts o;
    struct aps_store *st;
    struct bt_job *jobs;
    size_t njobs;
    size_t order[APS_SPORT__COUNT]; /* the jobs by stored games of their sport, most first */
    atomic_size_t next;   /* the next place in order to take */
    atomic_size_t failed; /* the first failed job (njobs: none); later jobs are skipped */
};

static void run_job(struct bt_pool *p, struct aps_conn *c, struct bt_job *j)
{
    FILE *out = open_memstream(&j->out, &j->nout), *err = open_memstream(&j->err, &j->nerr);
    if (!out || !err) {
        j->rc = APS_EXIT_FAIL;
    } else {
        j->rc = run_sport(c, j->sport, p->a, &p->o, out, err, &j->ran);
    }
    if (out)
        fclose(out);
    if (err)
        fclose(err);
}

/* Takes jobs in p->order until none is left, skipping those after a failed one in sport order
 * (they would not be printed). */
static void drain(struct bt_pool *p, struct aps_conn *c)
{
    for (;;) {
        size_t k = atomic_fetch_add(&p->next, 1);
        if (k >= p->njobs)
            return;
        size_t i = p->order[k];
        if (i > atomic_load(&p->failed))
            continue;
        run_job(p, c, &p->jobs[i]);
        if (p->jobs[i].rc != APS_EXIT_OK) {
            size_t f = atomic_load(&p->failed);
            while (i < f && !atomic_compare_exchange_weak(&p->failed, &f, i))
                ;
        }
    }
}

static void *drain_thread(void *arg)
{
    struct bt_pool *p = arg;
    struct aps_conn *c = NULL;
    if (aps_store_acquire(p->st, APS_DB_READ, &c))
        return NULL; /* no second connection: the main thread does every job */
    drain(p, c);
    aps_store_release(c);
    return NULL;
}

/* Runs the jobs on the main thread's connection c and up to BT_THREADS − 1 more threads. */
static void run_jobs(struct bt_pool *p, struct aps_conn *c)
{
    pthread_t th[BT_THREADS];
    size_t nth = 0;
    for (size_t t = 1; t < BT_THREADS && t < p->njobs; t++)
        if (!pthread_create(&th[nth], NULL, drain_thread, p))
            nth++;
    drain(p, c);
    for (size_t t = 0; t < nth; t++)
        pthread_join(th[t], NULL);
}

/* Prints the jobs' output in order up to the first failure; the exit status of the run. With
 * --sport all the sports make one document: tables one after the other, one JSON array of the
 * sports' report objects (closed even after a failure), or one CSV header with a sport column
 * and then every sport's bets. */
static int emit_jobs(const struct bt_pool *p, bool *any)
{
    bool all = !strcmp(p->a->sport, "all");
    enum aps_report_format f = p->a->format;
    size_t printed = 0;
    if (all && f == APS_FMT_JSON)
        printf("[\n");
    else if (all && f == APS_FMT_CSV)
        aps_backtest_csv_header(stdout, true);
    int rc = APS_EXIT_OK;
    for (size_t i = 0; i < p->njobs && rc == APS_EXIT_OK; i++) {
        const struct bt_job *j = &p->jobs[i];
        if (all && f == APS_FMT_JSON && j->nout && printed++)
            printf(",\n");
        fwrite(j->out, 1, j->nout, stdout);
        fflush(stdout);
        fwrite(j->err, 1, j->nerr, stderr);
        rc = j->rc;
        *any |= j->ran;
        if (j->ran && all && f == APS_FMT_TABLE)
            printf("\n");
    }
    if (all && f == APS_FMT_JSON)
        printf("]\n");
    return rc;
}

int aps_cmd_backtest(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        help(stdout);
        return APS_EXIT_OK;
    }
    struct bt_args a;
    int rc = parse(cli, argc, argv, &a);
    if (rc)
        return rc;
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    if (aps_cli_open_conn(cli, "backtest", APS_DB_READ, &st, &c))
        return APS_EXIT_FAIL;
    struct bt_job jobs[APS_SPORT__COUNT] = {0};
    struct bt_pool p = {
        .a = &a,
        .o = {.bt = {.market = a.market, .from = a.from, .to = a.to, .bankroll = a.bankroll,
                     .burn_in = a.burn_in, .margin = aps_engine_margin_method(cli->cfg)},
              .model = a.model,
              .refit = a.refit},
        .st = st,
        .jobs = jobs};
    aps_engine_kelly_params(cli->cfg, &p.o.bt.kelly);
    bool all = !strcmp(a.sport, "all"), any = false;
    for (int s = 0; s < APS_SPORT__COUNT; s++)
        if (all || s == aps_sport_from_code(a.sport))
            jobs[p.njobs++].sport = (enum aps_sport)s;
    enum aps_sport sports[APS_SPORT__COUNT];
    for (size_t i = 0; i < p.njobs; i++)
        sports[i] = jobs[i].sport;
    aps_backtest_sport_order(c, sports, p.njobs, p.order);
    atomic_init(&p.next, 0);
    atomic_init(&p.failed, p.njobs);
    run_jobs(&p, c);
    rc = emit_jobs(&p, &any);
    for (size_t i = 0; i < p.njobs; i++) {
        aps_free(jobs[i].out);
        aps_free(jobs[i].err);
    }
    if (rc == APS_EXIT_OK && !any) {
        fprintf(stderr, "aps backtest: no stored games with %s odds for %s\n",
                aps_market_name(a.market), a.sport);
        rc = APS_EXIT_FAIL;
    }
    aps_store_release(c);
    aps_store_close(st);
    return rc;
}
