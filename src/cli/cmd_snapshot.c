/* cmd_snapshot.c — `aps snapshot --anonymize --out FILE` and `aps snapshot --load FILE`: staging
 * data from production without personal data (services/snapshot.h). Taking a snapshot is
 * written to the source's audit log (action snapshot_taken, actor system). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/timeutil.h"
#include "services/audit.h"
#include "services/snapshot.h"
#include "store/store.h"

static void snapshot_usage(FILE *out)
{
    fprintf(out,
            "usage: aps snapshot --anonymize --out FILE\n"
            "       aps snapshot --load FILE\n\n"
            "--anonymize --out  writes a SQLite copy of DATABASE_URL (one consistent read) with\n"
            "                   users' e-mails, names, password hashes and TOTP secrets, API key\n"
            "                   material, IPs and user agents replaced or removed; sessions, jobs\n"
            "                   and locks left out; bankrolls, bets and the rest kept with\n"
            "                   pseudonymous owners. FILE must not exist; its directory must.\n"
            "--load             copies such a file into DATABASE_URL (a fresh store at the same\n"
            "                   schema version, with no users), e.g. to fill staging.\n");
}

static void audit_snapshot(struct aps_store *st, const char *path)
{
    struct aps_conn *c = NULL;
    struct aps_audit_event e = {.action = "snapshot_taken",
                                .actor_type = "system",
                                .resource_type = "snapshot",
                                .success = true};
    e.details = json_pack("{s:s, s:b}", "file", path, "anonymized", 1);
    if (aps_store_acquire(st, APS_DB_WRITE, &c) == 0) {
        if (aps_audit_write(c, &e, aps_time_now()))
            fprintf(stderr, "aps snapshot: could not audit the snapshot: %s\n", aps_conn_errmsg(c));
        aps_store_release(c);
    }
    json_decref(e.details);
}

struct snapshot_args {
    const char *out, *load;
    bool anonymize;
};

static const struct aps_cli_opt options[] = {
    {"--anonymize", APS_OPT_SET, offsetof(struct snapshot_args, anonymize), NULL},
    {"--out", APS_OPT_STR, offsetof(struct snapshot_args, out), NULL},
    {"--load", APS_OPT_STR, offsetof(struct snapshot_args, load), NULL},
};

int aps_cmd_snapshot(struct aps_cli *cli, int argc, char **argv)
{
    static const struct aps_cli_opts table = {.cmd = "snapshot",
                                              .hint = "(see aps snapshot --help)",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options)};
    struct snapshot_args a = {0};
    if (aps_cli_wants_help(argc, argv)) {
        snapshot_usage(stdout);
        return APS_EXIT_OK;
    }
    if (aps_cli_opts_parse(&table, argc, argv, 1, &a))
        return APS_EXIT_USAGE;
    const char *out = a.out, *load = a.load;
    bool anonymize = a.anonymize;
    if (!!out == !!load || (out && !anonymize)) {
        fprintf(stderr, "aps snapshot: give --anonymize --out FILE or --load FILE (a snapshot is"
                        " always anonymised; `aps backup` makes full copies)\n");
        return APS_EXIT_USAGE;
    }
    struct aps_store *st = aps_cli_open_store(cli, load ? APS_CLI_MIGRATE | APS_CLI_CREATE : 0);
    if (!st)
        return APS_EXIT_FAIL;
    struct aps_snapshot_stats s;
    char err[1024];
    const char *dir = aps_cfg_str(cli->cfg, APS_SET_APS_MIGRATIONS_DIR);
    int rc = out ? aps_snapshot_export(st, out, dir && *dir ? dir : NULL, &s, err, sizeof err)
                 : aps_snapshot_load(st, load, &s, err, sizeof err);
    if (rc) {
        fprintf(stderr, "aps snapshot: %s\n", err);
    } else {
        if (out)
            audit_snapshot(st, out);
        printf("%s %s: %d tables, %lld rows, %lld values anonymised\n", out ? "wrote" : "loaded",
               out ? out : load, s.tables, (long long)s.rows, (long long)s.anonymized);
    }
    aps_store_close(st);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}
