/* cmd_elo.c — `aps elo fit --sport X [--until D]` and `aps elo ratings --sport X [--date D]`. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "engine/elo_store.h"
#include "store/store.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: aps elo fit --sport CODE|all [--until YYYY-MM-DD]\n"
            "       aps elo ratings --sport CODE [--date YYYY-MM-DD]\n\n"
            "fit      searches K, home advantage, season regression (and the draw width for\n"
            "         soccer) by walk-forward log-loss over the stored games (up to --until; the\n"
            "         first season only warms the ratings up), stores the parameters, and stores\n"
            "         every team's rating before and after each game (point-in-time ratings).\n"
            "ratings  every team's rating as of the start of --date (default: after the last\n"
            "         stored game), replayed from the stored games with the stored parameters.\n");
}

static int fit_sport(struct aps_conn *c, enum aps_sport sport, const char *until)
{
    struct aps_history h;
    if (aps_history_load(c, sport, NULL, until, &h)) {
        fprintf(stderr, "aps elo fit: %s\n", aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    const char *code = aps_sport_info(sport)->code;
    if (!h.ngames) {
        aps_history_cleanup(&h);
        return APS_EXIT_OK;
    }
    struct aps_elo_params start;
    struct aps_elo_fit_result fr;
    double ll0, bs0;
    size_t n0, rows = 0;
    bool three = aps_sport_info(sport)->three_way;
    struct aps_elo_fit_game *fg = aps_elo_fit_games(&h);
    double t0 = aps_time_mono();
    int rc = aps_elo_params_default(sport, &start);
    if (!rc)
        rc = aps_elo_replay_loss(&start, three, fg, h.ngames, 1, &ll0, &bs0, &n0);
    if (!rc)
        rc = aps_elo_fit(&start, three, fg, h.ngames, 1, &fr);
    if (!rc)
        rc = aps_elo_params_save(c, sport, &fr.params, fr.log_loss, fr.scored);
    if (!rc)
        rc = aps_elo_history_save(c, &h, &fr.params, &rows);
    if (rc == APS_E_NOTFOUND) {
        printf("%-10s too few finished games to fit\n", code);
        rc = 0;
    } else if (rc) {
        fprintf(stderr, "aps elo fit: %s: %s %s\n", code, aps_strerror(rc), aps_conn_errmsg(c));
    } else {
        printf("%-10s K %6.2f  home %6.1f  regress %.3f  draw %6.1f | walk-forward log-loss "
               "%.5f (defaults %.5f), Brier %.5f, %zu games, %d sets tried, %.2fs; %zu ratings "
               "stored\n",
               code, fr.params.k, fr.params.home_adv, fr.params.regress, fr.params.draw_width,
               fr.log_loss, ll0, fr.brier, fr.scored, fr.evaluations, aps_time_mono() - t0, rows);
    }
    aps_free(fg);
    aps_history_cleanup(&h);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

static int ratings(struct aps_conn *c, enum aps_sport sport, const char *date)
{
    struct aps_history h;
    if (aps_history_load(c, sport, NULL, NULL, &h)) {
        fprintf(stderr, "aps elo ratings: %s\n", aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    struct aps_elo_params p;
    bool fitted;
    struct aps_elo_replay r;
    int rc = aps_elo_params_load(c, sport, &p, &fitted);
    if (!rc)
        rc = aps_elo_replay_init(&r, &p);
    if (rc) {
        aps_history_cleanup(&h);
        return APS_EXIT_FAIL;
    }
    size_t n = 0;
    while (n < h.ngames && !(date && strcmp(h.games[n].date, date) >= 0))
        n++;
    rc = aps_elo_replay_history(&r, &h, n, NULL, NULL);
    struct aps_stmt *st = NULL;
    if (!rc)
        rc = aps_conn_preparef(c, &st,
                               "SELECT t.id, t.key, t.name FROM teams t JOIN sports s ON"
                               " s.id = t.sport_id WHERE s.code = ?1 ORDER BY t.key",
                               "s", aps_sport_info(sport)->code);
    printf("# %s ratings before %s (%s parameters)\n", aps_sport_info(sport)->code,
           date ? date : "the next game", fitted ? "fitted" : "default");
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        int64_t id = aps_stmt_int64(st, 0);
        size_t pos = 0;
        int64_t team;
        double rating;
        bool seen = false;
        while (aps_elo_next(&r.elo, &pos, &team, &rating))
            if (team == id) {
                seen = true;
                break;
            }
        if (seen)
            printf("%-12s %8.1f  %s\n", aps_stmt_text(st, 1), rating, aps_stmt_text(st, 2));
    }
    aps_stmt_finalize(st);
    aps_elo_replay_cleanup(&r);
    aps_history_cleanup(&h);
    return rc < 0 ? APS_EXIT_FAIL : APS_EXIT_OK;
}

struct elo_args {
    const char *sport, *date;
};

static int set_date(void *p, const char *opt, const char *v)
{
    int64_t t;
    if (strlen(v) != 10 || aps_time_parse_iso(v, &t)) {
        fprintf(stderr, "aps elo: %s must be a date YYYY-MM-DD\n", opt);
        return 1;
    }
    ((struct elo_args *)p)->date = v;
    return 0;
}

/* fit takes --until, ratings --date. */
static const struct aps_cli_opt fit_options[] = {
    {"--sport", APS_OPT_STR, offsetof(struct elo_args, sport), NULL},
    {"--until", APS_OPT_FN, 0, set_date},
};
static const struct aps_cli_opt ratings_options[] = {
    {"--sport", APS_OPT_STR, offsetof(struct elo_args, sport), NULL},
    {"--date", APS_OPT_FN, 0, set_date},
};
static const struct aps_cli_opts fit_table = {.cmd = "elo",
                                              .bad = "bad argument",
                                              .opt = fit_options,
                                              .n = APS_CLI_OPTS_N(fit_options)};
static const struct aps_cli_opts ratings_table = {.cmd = "elo",
                                                  .bad = "bad argument",
                                                  .opt = ratings_options,
                                                  .n = APS_CLI_OPTS_N(ratings_options)};

int aps_cmd_elo(struct aps_cli *cli, int argc, char **argv)
{
    if (argc < 2 || aps_cli_wants_help(argc, argv)) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? APS_EXIT_USAGE : APS_EXIT_OK;
    }
    bool fit = !strcmp(argv[1], "fit");
    if (!fit && strcmp(argv[1], "ratings")) {
        fprintf(stderr, "aps elo: unknown action %s (fit or ratings)\n", argv[1]);
        return APS_EXIT_USAGE;
    }
    struct elo_args a = {NULL, NULL};
    if (aps_cli_opts_parse(fit ? &fit_table : &ratings_table, argc, argv, 2, &a))
        return APS_EXIT_USAGE;
    const char *sport = a.sport, *date = a.date;
    int code = sport ? aps_sport_from_code(sport) : -1;
    bool all = fit && sport && !strcmp(sport, "all");
    if (!all && code < 0) {
        fprintf(stderr, "aps elo: --sport needs a sport code%s\n", fit ? " or all" : "");
        return APS_EXIT_USAGE;
    }
    struct aps_store *st = aps_cli_open_store(cli, APS_CLI_MIGRATE);
    if (!st)
        return APS_EXIT_FAIL;
    struct aps_conn *c = NULL;
    int rc = APS_EXIT_FAIL;
    if (!aps_store_acquire(st, APS_DB_WRITE, &c)) {
        rc = APS_EXIT_OK;
        for (int s = 0; s < APS_SPORT__COUNT && rc == APS_EXIT_OK; s++)
            if (all || s == code)
                rc = fit ? fit_sport(c, s, date) : ratings(c, s, date);
        aps_store_release(c);
    }
    aps_store_close(st);
    return rc;
}
