/* cmd_migrate.c — `aps migrate [--status | --check | --replay FILE]`. In production the
 * expand/contract check (store/migrate.h) runs before anything is applied and a failing check
 * applies nothing. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "store/migrate.h"
#include "store/store.h"

struct migrate_args {
    bool status, check, no_check;
    const char *replay, *release;
    int since;
};

static void migrate_usage(void)
{
    printf(
        "usage: aps migrate [--status | --check [--since N] [--release FILE] | --replay FILE]\n\n"
        "Applies the numbered migrations in migrations/ that are not yet applied to\n"
        "DATABASE_URL, each in its own transaction. Running it again changes nothing.\n"
        "In production the --check below runs first and a failure applies nothing\n"
        "(--no-check skips it, for a contract migration run after the old release is gone).\n"
        "  --status   list the migrations and whether each is applied\n"
        "  --check    are the migrations newer than the previous release safe while it still\n"
        "             runs? (no drop or rename of what it reads, no NOT NULL without a default\n"
        "             on an existing table, no type narrowing; destructive steps only in a\n"
        "             NNN_contract_*.sql that nothing of the previous release reads). The\n"
        "             previous release is migrations/release/queries.sql (scripts/release-sql);\n"
        "             --since N checks the migrations after version N instead. Exit 1 on a\n"
        "             problem. Needs no database.\n"
        "  --replay FILE  run every statement of a release's SQL file (NULL parameters, rolled\n"
        "             back) against DATABASE_URL; one line each; exit 1 when one fails\n");
}

static int set_since(void *p, const char *opt, const char *v)
{
    struct migrate_args *a = p;
    (void)opt;
    if (!aps_cli_int_in(v, 0, INT_MAX, &a->since)) {
        fprintf(stderr, "aps migrate: --since wants a migration version\n");
        return 1;
    }
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--status", APS_OPT_SET, offsetof(struct migrate_args, status), NULL},
    {"--check", APS_OPT_SET, offsetof(struct migrate_args, check), NULL},
    {"--no-check", APS_OPT_SET, offsetof(struct migrate_args, no_check), NULL},
    {"--replay", APS_OPT_STR, offsetof(struct migrate_args, replay), NULL},
    {"--release", APS_OPT_STR, offsetof(struct migrate_args, release), NULL},
    {"--since", APS_OPT_FN, 0, set_since},
};

static int parse_args(int argc, char **argv, struct migrate_args *a)
{
    static const struct aps_cli_opts table = {.cmd = "migrate",
                                              .bad = "unknown argument",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options)};
    a->since = -1;
    return aps_cli_opts_parse(&table, argc, argv, 1, a) ? -1 : 0;
}

/* Runs the check; APS_EXIT_OK when it passed. */
static int run_check(const char *dir, const char *release, int since, FILE *out)
{
    char err[512];
    int problems = 0;
    if (aps_migrate_check(dir, release, since, out, &problems, err, sizeof err)) {
        fprintf(stderr, "aps migrate: %s\n", err);
        return APS_EXIT_FAIL;
    }
    if (problems) {
        fprintf(stderr, "aps migrate: %d migration step%s unsafe while the previous release runs\n",
                problems, problems == 1 ? " is" : "s are");
        return APS_EXIT_FAIL;
    }
    return APS_EXIT_OK;
}

static int show_status(struct aps_store *st, const char *dir)
{
    struct aps_migration_status *ms = NULL;
    char err[512];
    int n = 0;
    if (aps_migrate_status(st, dir, &ms, &n, err, sizeof err)) {
        fprintf(stderr, "aps migrate: %s\n", err);
        return APS_EXIT_FAIL;
    }
    for (int i = 0; i < n; i++)
        printf("%03d %-40s %s\n", ms[i].version, ms[i].name, ms[i].applied ? "applied" : "pending");
    aps_free(ms);
    return APS_EXIT_OK;
}

static int replay(struct aps_store *st, const char *file)
{
    char err[512];
    int failed = 0;
    if (aps_migrate_replay(st, file, stdout, &failed, err, sizeof err)) {
        fprintf(stderr, "aps migrate: %s\n", err);
        return APS_EXIT_FAIL;
    }
    return failed ? APS_EXIT_FAIL : APS_EXIT_OK;
}

int aps_cmd_migrate(struct aps_cli *cli, int argc, char **argv)
{
    struct migrate_args a = {0};
    if (aps_cli_wants_help(argc, argv)) {
        migrate_usage();
        return APS_EXIT_OK;
    }
    if (parse_args(argc, argv, &a))
        return APS_EXIT_USAGE;
    const char *dir = aps_cfg_str(cli->cfg, APS_SET_APS_MIGRATIONS_DIR);
    if (dir && !*dir)
        dir = NULL;
    if (a.check)
        return run_check(dir, a.release, a.since, stdout);
    bool production = !strcmp(aps_cfg_str(cli->cfg, APS_SET_ENVIRONMENT), "production");
    if (production && !a.status && !a.replay && !a.no_check &&
        run_check(dir, a.release, a.since, stdout) != APS_EXIT_OK)
        return APS_EXIT_FAIL;
    /* --status and --replay read a store; only applying migrations may create one. */
    struct aps_store *st = aps_cli_open_store(cli, a.status || a.replay ? 0 : APS_CLI_CREATE);
    if (!st)
        return APS_EXIT_FAIL;
    char err[512];
    int rc = APS_EXIT_OK, applied = 0;
    if (a.status) {
        rc = show_status(st, dir);
    } else if (a.replay) {
        rc = replay(st, a.replay);
    } else if (aps_migrate_up(st, dir, stdout, &applied, err, sizeof err)) {
        fprintf(stderr, "aps migrate: %s\n", err);
        rc = APS_EXIT_FAIL;
    } else {
        printf("%d migration%s applied\n", applied, applied == 1 ? "" : "s");
    }
    aps_store_close(st);
    return rc;
}
