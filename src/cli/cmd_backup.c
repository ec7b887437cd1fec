/* cmd_backup.c — `aps backup run|list|verify|prune` and `aps restore`: the store's backups and
 * restores (services/backup.h), the same code the scheduler's daily backup job runs. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "core/buf.h"
#include "core/str.h"
#include "services/backup.h"
#include "services/jobs.h"
#include "store/store.h"

static void backup_help(FILE *out)
{
    fprintf(out,
            "usage: aps backup run|list|verify|prune\n\n"
            "run     a full backup now: pgBackRest on PostgreSQL (repository and stanza from\n"
            "        BACKUP_PGBACKREST_CONFIG, BACKUP_STANZA), an online copy of the SQLite store\n"
            "        under BACKUP_DIR otherwise (named by the second: when that second's copy\n"
            "        exists already, taken in the next one); recorded in the store, then pruned\n"
            "list    the backups held, oldest first\n"
            "verify  PostgreSQL: archiving works (pgbackrest check) and every file of the\n"
            "        repository matches its checksum (pgbackrest verify); SQLite: PRAGMA\n"
            "        integrity_check of every copy. Exit 1 when something is wrong\n"
            "prune   the retention policy: full backups older than BACKUP_RETENTION_DAYS go,\n"
            "        WAL is kept for BACKUP_PITR_DAYS; the newest valid backup always stays\n");
}

static void restore_help(FILE *out)
{
    fprintf(out,
            "usage: aps restore [--to TIME | --set LABEL] --pg-path DIR --port N [--stop]\n"
            "                                                           (PostgreSQL)\n"
            "       aps restore [--to TIME | --from FILE]                     (SQLite)\n\n"
            "TIME, on both: \"2026-12-02T05:40:00Z\" or \"2026-12-02 05:40:00.123+00\" (any\n"
            "offset from UTC).\n"
            "PostgreSQL: point-in-time recovery from the pgBackRest repository into the new data\n"
            "directory DIR, replayed to TIME (default: the end of the archived WAL), promoted,\n"
            "started on port N and verified; it keeps running (for the switch-over) unless\n"
            "--stop. --set LABEL restores that backup to its own end instead (one older than\n"
            "the PITR window). Run it as the cluster's owner (pgBackRest and pg_ctl write the\n"
            "new directory). A restore that fails before the cluster starts removes what it\n"
            "made (DIR's contents and DIR.restore-spool).\n"
            "SQLite: the copy (FILE, or the newest copy at or before TIME) is integrity-checked\n"
            "and copied into DATABASE_URL, replacing its contents. Both then count picks,\n"
            "bankrolls and bets and verify the lock-in chain (on SQLite the copy passes them\n"
            "first, else the store is left as it was); exit 1 when any check fails. Refused\n"
            "with exit 2 before anything is restored: an option of the other kind of store\n"
            "(--set, --pg-path, --port or --stop on SQLite; --from on PostgreSQL), a --to that\n"
            "is not a time, a --pg-path that is not new or empty, a --port in use.\n");
}

static int backup_run(struct aps_cli *cli, struct aps_store *st, char *err, size_t errcap)
{
    struct aps_backup_result r;
    int rc = aps_backup_run(cli->cfg, st, aps_jobs_now(cli->cfg), 0, &r, err, errcap);
    /* A SQLite copy is named by the second it stands for: a copy of this second made by another
     * run (the scheduler's, or a second command) may hold less than what was written before this
     * one started, so the copy is taken in the next second instead; twice at most (a clock that
     * does not move gives up with the error below). */
    for (int tries = 0; !rc && r.existed && tries < 2; tries++) {
        struct timespec pause = {1, 0};
        nanosleep(&pause, NULL);
        rc = aps_backup_run(cli->cfg, st, aps_jobs_now(cli->cfg), 0, &r, err, errcap);
    }
    if (!rc && r.existed) {
        snprintf(err, errcap,
                 "the %s backup %s already exists (%lld bytes) and the clock stayed in its"
                 " second: nothing was copied",
                 r.kind, r.label, (long long)r.size_bytes);
        return APS_E_EXISTS;
    }
    if (!rc)
        printf("%s backup %s: %lld bytes in %lld s; pruned %d\n", r.kind, r.label,
               (long long)r.size_bytes, (long long)(r.finished_at - r.started_at), r.pruned);
    if (!rc && r.warning[0])
        fprintf(stderr, "aps backup run: warning: %s\n", r.warning);
    return rc;
}

int aps_cmd_backup(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv) || argc != 2) {
        backup_help(argc != 2 && !aps_cli_wants_help(argc, argv) ? stderr : stdout);
        return aps_cli_wants_help(argc, argv) ? APS_EXIT_OK : APS_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "run") && strcmp(sub, "list") && strcmp(sub, "verify") &&
        strcmp(sub, "prune")) {
        backup_help(stderr);
        return APS_EXIT_USAGE;
    }
    struct aps_store *st = aps_cli_open_store(cli, APS_CLI_MIGRATE);
    if (!st)
        return APS_EXIT_FAIL;
    struct aps_buf out = {0};
    char err[1024] = "";
    int removed = 0, rc;
    if (!strcmp(sub, "run"))
        rc = backup_run(cli, st, err, sizeof err);
    else if (!strcmp(sub, "list"))
        rc = aps_backup_list(cli->cfg, st, &out, err, sizeof err);
    else if (!strcmp(sub, "verify"))
        rc = aps_backup_verify(cli->cfg, st, &out, err, sizeof err);
    else
        rc = aps_backup_prune(cli->cfg, st, aps_jobs_now(cli->cfg), &removed, err, sizeof err);
    fputs(aps_buf_str(&out), stdout);
    if (!rc && !strcmp(sub, "prune"))
        printf("pruned %d backup(s)\n", removed);
    if (!rc && !strcmp(sub, "verify"))
        printf("OK\n");
    if (rc)
        fprintf(stderr, "aps backup %s: %s\n", sub, err[0] ? err : aps_strerror(rc));
    aps_buf_cleanup(&out);
    aps_store_close(st);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

static int set_port(void *p, const char *opt, const char *v)
{
    (void)opt;
    if (!aps_cli_int_in(v, 1, APS_CLI_PORT_MAX, &((struct aps_restore_opts *)p)->port))
        return restore_help(stderr), 1;
    return 0;
}

static const struct aps_cli_opt restore_options[] = {
    {"--stop", APS_OPT_SET, offsetof(struct aps_restore_opts, stop), NULL},
    {"--to", APS_OPT_STR, offsetof(struct aps_restore_opts, to), NULL},
    {"--set", APS_OPT_STR, offsetof(struct aps_restore_opts, set), NULL},
    {"--from", APS_OPT_STR, offsetof(struct aps_restore_opts, from), NULL},
    {"--pg-path", APS_OPT_STR, offsetof(struct aps_restore_opts, pg_path), NULL},
    {"--port", APS_OPT_FN, 0, set_port},
};

/* Any refusal prints the usage on stderr; at most one of --to, --from and --set. */
static int restore_args(int argc, char **argv, struct aps_restore_opts *o)
{
    static const struct aps_cli_opts table = {.cmd = "restore",
                                              .opt = restore_options,
                                              .n = APS_CLI_OPTS_N(restore_options),
                                              .usage = restore_help};
    if (aps_cli_opts_parse(&table, argc, argv, 1, o))
        return APS_E_INVAL;
    if ((o->to != NULL) + (o->from != NULL) + (o->set != NULL) > 1) {
        restore_help(stderr);
        return APS_E_INVAL;
    }
    return 0;
}

int aps_cmd_restore(struct aps_cli *cli, int argc, char **argv)
{
    struct aps_restore_opts o = {0};
    if (aps_cli_wants_help(argc, argv)) {
        restore_help(stdout);
        return APS_EXIT_OK;
    }
    if (restore_args(argc, argv, &o))
        return APS_EXIT_USAGE;
    /* The configured store may be the damaged or lost one: a PostgreSQL restore goes on without
     * it (and records itself in the restored cluster); a SQLite restore writes into it. */
    struct aps_store *st = NULL;
    char err[1024] = "";
    if (aps_store_open_config(&st, cli->cfg, 0, err, sizeof err) && !o.pg_path) {
        fprintf(stderr, "aps restore: cannot open the store: %s\n", err);
        return APS_EXIT_FAIL;
    }
    struct aps_restore_result r;
    int rc = aps_backup_restore(cli->cfg, st, &o, &r, err, sizeof err);
    if (!rc) {
        printf("restored %s%s%s\n", r.source, r.url[0] ? " at " : "", r.url);
        printf("picks %lld, lock-in chain OK (head %s)\nbankrolls %lld, bets %lld\n",
               (long long)r.picks, r.head, (long long)r.bankrolls, (long long)r.bets);
        printf("restore and verification took %.1f s\n", r.seconds);
    } else {
        fprintf(stderr, "aps restore: %s\n", err[0] ? err : aps_strerror(rc));
    }
    aps_store_close(st);
    return rc == APS_E_INVAL ? APS_EXIT_USAGE : rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}
