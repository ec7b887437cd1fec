/* cmd_predict.c — `aps predict` (publish picks for upcoming games) and `aps grade` (grade the
 * picks of finished games). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "engine/elo_store.h"
#include "engine/picks.h"
#include "ingest/live_store.h"
#include "services/runtime.h"
#include "store/store.h"

static void predict_help(FILE *out)
{
    fprintf(out,
            "usage: aps predict --sport CODE|all [--horizon-days N] [--now YYYY-MM-DDTHH:MM:SSZ]\n\n"
            "Publishes a pick for every scheduled game starting within the horizon (default 7\n"
            "days) and every market with a current price: the model's probability, the best price,\n"
            "the edge over the no-vig market, the tier and the fractional-Kelly stake, locked in\n"
            "with a SHA-256 hash chained to the previous pick. A market is published only from a\n"
            "production model that passed the promotion gate for its sport and market (aps train);\n"
            "every other market is tracking only: recorded and graded, never a tier or a stake.\n"
            "A published pick that is not a bet says why (negative edge, edge below the minimum,\n"
            "probability below SIGNAL_TIER_C_MIN, an edge above what the model's walk-forward\n"
            "record supports). The summary counts the tracking-only picks by reason. A\n"
            "production model that does not load is reported on stderr (its file and the error),\n"
            "Elo prices its market, tracking only, and the run exits 1. A game keeps\n"
            "its pick until the side, line or price changes or the probability moves by more than\n"
            "half a point; a graded pick is never replaced. --now in the past replays: games\n"
            "after it are picked whatever their stored status, from what was known before it.\n\n"
            "usage: aps predict --model NAME|production [--sport CODE --market M]\n"
            "                   [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format csv|json]\n\n"
            "Batch predictions: the model's probability of every outcome (home/draw/away,\n"
            "home/away cover, over/under at the closing line, else the latest pre-game line,\n"
            "with the expected margin or total and its scale) for every stored game dated in\n"
            "the range, past or future, from features computed point in time as live picks\n"
            "and `aps models explain` compute them. in_training is 1 for games dated before\n"
            "the end of the model's training data (in-sample). Nothing is published. Default\n"
            "format csv; 'production' needs --sport and --market.\n");
}

struct predict_args {
    const char *sport;
    int64_t now;
    int days;
    bool replay; /* --now is in the past */
};

static int set_days(void *args, const char *opt, const char *v)
{
    struct predict_args *a = args;
    (void)opt;
    if (!aps_cli_int_in(v, 1, 60, &a->days)) {
        fprintf(stderr, "aps predict: --horizon-days must be 1..60\n");
        return 1;
    }
    return 0;
}

static int set_now(void *args, const char *opt, const char *v)
{
    struct predict_args *a = args;
    (void)opt;
    if (aps_time_parse_iso(v, &a->now)) {
        fprintf(stderr, "aps predict: --now must be an ISO-8601 UTC time\n");
        return 1;
    }
    a->replay = a->now < aps_time_now();
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--sport", APS_OPT_STR, offsetof(struct predict_args, sport), NULL},
    {"--horizon-days", APS_OPT_FN, 0, set_days},
    {"--now", APS_OPT_FN, 0, set_now},
};

/* A production model that did not load is a fault to repair, not a market choice: it is said
 * on stderr with its file and error, and the run exits 1 once every sport is published. */
static void report_unloaded(int sport, const struct aps_publish_result *r)
{
    for (size_t i = 0; i < r->nunloaded; i++) {
        const struct aps_publish_unloaded *u = &r->unloaded[i];
        fprintf(stderr,
                "aps predict: %s %s: production model %s did not load: %s; Elo prices the"
                " market, tracking only\n",
                aps_sport_info(sport)->code, aps_market_name(u->market), u->model, u->why);
    }
}

/* The sport's line, then one line per reason its tracking-only picks gave, with their count. */
static void print_summary(int sport, const struct aps_publish_result *r)
{
    printf("%-10s %zu upcoming games, %zu priced, %zu picks locked in (%zu published, %zu of them"
           " bets with a stake; %zu tracking only), %zu unchanged\n",
           aps_sport_info(sport)->code, r->games, r->priced, r->published,
           r->published - r->tracking, r->staked, r->tracking, r->unchanged);
    for (size_t i = 0; i < r->nreasons; i++)
        printf("%-10s   %zu tracking only: %s\n", "", r->reasons[i].picks, r->reasons[i].why);
}

int aps_cmd_predict(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        predict_help(stdout);
        return APS_EXIT_OK;
    }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--model"))
            return aps_cmd_predict_batch(cli, argc, argv);
    static const struct aps_cli_opts table = {.cmd = "predict",
                                              .hint = "(see --help)",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options)};
    struct predict_args a = {.now = aps_time_now(), .days = 7};
    if (aps_cli_opts_parse(&table, argc, argv, 1, &a))
        return APS_EXIT_USAGE;
    const char *sport = a.sport;
    int64_t now = a.now;
    int days = a.days;
    bool replay = a.replay;
    int code = sport ? aps_sport_from_code(sport) : -1;
    if (!sport || (code < 0 && strcmp(sport, "all"))) {
        fprintf(stderr, "aps predict: --sport needs a sport code or all\n");
        return APS_EXIT_USAGE;
    }
    struct aps_store *st;
    struct aps_conn *c;
    if (aps_cli_open_conn(cli, NULL, APS_DB_WRITE, &st, &c))
        return APS_EXIT_FAIL;
    struct aps_publish_opts o = {.now = now, .horizon = (int64_t)days * 86400, .model = "elo",
                                 .margin = aps_engine_margin_method(cli->cfg), .replay = replay};
    /* Betting parameters an administrator changed at run time apply here too. */
    if (aps_runtime_load(c, cli->cfg, &cli->log))
        fprintf(stderr, "aps predict: cannot read the run-time settings; using the configured\n");
    aps_engine_kelly_params(cli->cfg, &o.kelly);
    int rc = APS_EXIT_OK;
    bool unloaded = false;
    for (int s = 0; s < APS_SPORT__COUNT && rc == APS_EXIT_OK; s++) {
        if (code >= 0 && s != code)
            continue;
        o.sport = s;
        struct aps_publish_result r;
        if (aps_picks_publish(c, &o, &r)) {
            fprintf(stderr, "aps predict: %s: %s\n", aps_sport_info(s)->code, aps_conn_errmsg(c));
            rc = APS_EXIT_FAIL;
            continue;
        }
        report_unloaded(s, &r);
        unloaded |= r.nunloaded > 0;
        if (r.games || code >= 0)
            print_summary(s, &r);
    }
    aps_store_release(c);
    aps_store_close(st);
    return rc == APS_EXIT_OK && unloaded ? APS_EXIT_FAIL : rc;
}

int aps_cmd_grade(struct aps_cli *cli, int argc, char **argv)
{
    bool help = aps_cli_wants_help(argc, argv);
    if (help || argc > 1) {
        fprintf(help ? stdout : stderr,
                "usage: aps grade\n\n"
                "Grades every pick that has no result yet and is due: win, loss or push on the\n"
                "score of a game played within POSTPONED_VOID_HOURS of the start the pick was\n"
                "made for; void for a cancelled game, or one not played within that grace (a\n"
                "postponed game waits until then). Profit per unit staked, and closing-line\n"
                "value against the closing benchmark, after capturing the closing lines of the\n"
                "games that started (as the closing-line job does). Users' bets are settled by\n"
                "the same rule in the grading job (aps worker run grade). Running it again\n"
                "changes nothing.\n");
        return help ? APS_EXIT_OK : APS_EXIT_USAGE;
    }
    struct aps_store *st;
    struct aps_conn *c;
    if (aps_cli_open_conn(cli, NULL, APS_DB_WRITE, &st, &c))
        return APS_EXIT_FAIL;
    struct aps_grade_run r;
    struct aps_grade_clock clock;
    int64_t now = aps_time_now();
    aps_engine_grade_clock(cli->cfg, now, &clock);
    int rc = APS_EXIT_OK, closes = 0;
    /* the closes of started games first, as the grading job does: CLV is measured once */
    if (aps_live_capture_closing(c, now, &closes)) {
        fprintf(stderr, "aps grade: %s\n", aps_conn_errmsg(c));
        rc = APS_EXIT_FAIL;
    } else {
        /* the picks graded are kept and counted even when some others could not be */
        int grc = aps_picks_grade(c, aps_engine_margin_method(cli->cfg), &clock, &r);
        if (!grc || r.graded)
            printf("%zu picks graded: %zu won, %zu lost, %zu pushed, %zu void\n", r.graded,
                   r.wins, r.losses, r.pushes, r.voids);
        if (grc) {
            fprintf(stderr, "aps grade: %s\n", r.why);
            rc = APS_EXIT_FAIL;
        }
    }
    aps_store_release(c);
    aps_store_close(st);
    return rc;
}
