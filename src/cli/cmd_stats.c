/* cmd_stats.c — `aps stats [--format table|json]`: the store's contents per sport and season. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "core/mem.h"
#include "ingest/inventory.h"
#include "store/store.h"

struct stats_args {
    bool help, json;
};

static int set_format(void *p, const char *opt, const char *v)
{
    if (strcmp(v, "table") && strcmp(v, "json")) {
        fprintf(stderr, "aps stats: bad argument %s (see aps stats --help)\n", opt);
        return 1;
    }
    ((struct stats_args *)p)->json = !strcmp(v, "json");
    return 0;
}

/* --help counts where it stands: an argument before it is checked, one after it is not. */
static const struct aps_cli_opt options[] = {
    {"-h", APS_OPT_STOP, offsetof(struct stats_args, help), NULL},
    {"--help", APS_OPT_STOP, offsetof(struct stats_args, help), NULL},
    {"--format", APS_OPT_FN, 0, set_format},
};

int aps_cmd_stats(struct aps_cli *cli, int argc, char **argv)
{
    static const struct aps_cli_opts table = {.cmd = "stats",
                                              .hint = "(see aps stats --help)",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options)};
    struct stats_args a = {false, false};
    if (aps_cli_opts_parse(&table, argc, argv, 1, &a))
        return APS_EXIT_USAGE;
    if (a.help) {
        printf("usage: aps stats [--format table|json]\n\n"
               "What is in the store, per sport and season: games, games with final scores,\n"
               "games with odds, odds rows, bookmakers (market max/average excluded) and\n"
               "FiveThirtyEight forecasts matched to games.\n");
        return APS_EXIT_OK;
    }
    bool json = a.json;
    struct aps_store *st = aps_cli_open_store(cli, APS_CLI_MIGRATE);
    if (!st)
        return APS_EXIT_FAIL;
    struct aps_conn *c = NULL;
    struct aps_inventory_row *rows = NULL;
    size_t n = 0;
    int rc = APS_EXIT_FAIL;
    if (aps_store_acquire(st, APS_DB_READ, &c)) {
        fprintf(stderr, "aps stats: no database connection\n");
        goto out;
    }
    if (aps_inventory_by_season(c, &rows, &n)) {
        fprintf(stderr, "aps stats: %s\n", aps_conn_errmsg(c));
        goto out;
    }
    if (json) {
        printf("[");
        for (size_t i = 0; i < n; i++)
            printf("%s{\"sport\":\"%s\",\"season\":\"%s\",\"games\":%lld,\"final\":%lld,"
                   "\"with_odds\":%lld,\"odds_rows\":%lld,\"books\":%lld,\"forecasts\":%lld}",
                   i ? "," : "", rows[i].sport, rows[i].season, (long long)rows[i].games,
                   (long long)rows[i].finals, (long long)rows[i].with_odds,
                   (long long)rows[i].odds_rows, (long long)rows[i].books,
                   (long long)rows[i].forecasts);
        printf("]\n");
    } else {
        printf("%-11s %-8s %7s %7s %9s %10s %6s %9s\n", "sport", "season", "games", "final",
               "with odds", "odds rows", "books", "forecasts");
        for (size_t i = 0; i < n; i++)
            printf("%-11s %-8s %7lld %7lld %9lld %10lld %6lld %9lld\n", rows[i].sport,
                   rows[i].season, (long long)rows[i].games, (long long)rows[i].finals,
                   (long long)rows[i].with_odds, (long long)rows[i].odds_rows,
                   (long long)rows[i].books, (long long)rows[i].forecasts);
    }
    rc = APS_EXIT_OK;
out:
    aps_free(rows);
    if (c)
        aps_store_release(c);
    aps_store_close(st);
    return rc;
}
