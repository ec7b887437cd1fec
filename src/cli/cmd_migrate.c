/* cmd_migrate.c — `aps migrate [--status]`. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "core/mem.h"
#include "store/migrate.h"
#include "store/store.h"

int aps_cmd_migrate(struct aps_cli *cli, int argc, char **argv)
{
    bool status = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: aps migrate [--status]\n\n"
                   "Applies the numbered migrations in migrations/ that are not yet applied to\n"
                   "DATABASE_URL, each in its own transaction. Running it again changes nothing.\n"
                   "  --status   list the migrations and whether each is applied\n");
            return APS_EXIT_OK;
        }
        if (!strcmp(argv[i], "--status")) {
            status = true;
        } else {
            fprintf(stderr, "aps migrate: unknown argument %s\n", argv[i]);
            return APS_EXIT_USAGE;
        }
    }
    struct aps_store *st = aps_cli_open_store(cli, false);
    if (!st)
        return APS_EXIT_FAIL;
    char err[512];
    int rc = APS_EXIT_OK;
    const char *dir = aps_cfg_str(cli->cfg, APS_SET_APS_MIGRATIONS_DIR);
    if (dir && !*dir)
        dir = NULL;
    if (status) {
        struct aps_migration_status *ms = NULL;
        int n = 0;
        if (aps_migrate_status(st, dir, &ms, &n, err, sizeof err)) {
            fprintf(stderr, "aps migrate: %s\n", err);
            rc = APS_EXIT_FAIL;
        } else {
            for (int i = 0; i < n; i++)
                printf("%03d %-40s %s\n", ms[i].version, ms[i].name,
                       ms[i].applied ? "applied" : "pending");
        }
        aps_free(ms);
    } else {
        int applied = 0;
        if (aps_migrate_up(st, dir, stdout, &applied, err, sizeof err)) {
            fprintf(stderr, "aps migrate: %s\n", err);
            rc = APS_EXIT_FAIL;
        } else {
            printf("%d migration%s applied\n", applied, applied == 1 ? "" : "s");
        }
    }
    aps_store_close(st);
    return rc;
}
