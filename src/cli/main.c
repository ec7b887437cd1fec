/* main.c — `aps`: parses the subcommand, loads the configuration, runs the command. Wiring only;
 * the work lives in the modules. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "model/registry.h"
#include "services/audit.h"
#include "services/api_server.h"
#include "services/libs.h"
#include "services/seal.h"
#include "store/migrate.h"
#include "store/store.h"

extern char **environ;

struct command {
    const char *name;
    int (*fn)(struct aps_cli *, int, char **);
    const char *help;
};

static const struct command commands[] = {
#define APS_CMD(name, fn, help) {#name, fn, help},
#include "cli/commands.def"
#undef APS_CMD
};

static void usage(FILE *out)
{
    fprintf(out, "usage: aps COMMAND [ARGS]\n\n"
                 "AI PRO SPORTS — sports prediction and betting signals.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'aps COMMAND --help' describes each command. Settings come from defaults,\n"
                 "config/<ENVIRONMENT>.env, the environment and secrets ('aps config print').\n");
}

bool aps_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    return false;
}

struct aps_store *aps_cli_open_store(struct aps_cli *cli, unsigned how)
{
    char err[512];
    struct aps_store *st = NULL;
    bool migrate = how & APS_CLI_MIGRATE;
    if (aps_store_open_config(&st, cli->cfg, how & APS_CLI_CREATE ? 0 : APS_STORE_EXISTING, err,
                              sizeof err)) {
        fprintf(stderr, "aps: cannot open the store: %s\n", err);
        return NULL;
    }
    if (migrate) {
        int applied = 0;
        const char *dir = aps_cfg_str(cli->cfg, APS_SET_APS_MIGRATIONS_DIR);
        if (aps_migrate_up(st, dir && *dir ? dir : NULL, NULL, &applied, err, sizeof err)) {
            fprintf(stderr, "aps: migration failed: %s\n", err);
            aps_store_close(st);
            return NULL;
        }
    }
    /* A store not migrated yet may have no audit_log: the reads are then not recorded. */
    char me[80], host[48] = "localhost";
    if (gethostname(host, sizeof host))
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    snprintf(me, sizeof me, "%s:%ld", host, (long)getpid());
    if (aps_audit_secret_reads(st, cli->cfg, me) && migrate)
        fprintf(stderr, "aps: could not write the secret reads to the audit log\n");
    return st;
}

int aps_cli_open_conn(struct aps_cli *cli, const char *who, enum aps_db_intent intent,
                      struct aps_store **st, struct aps_conn **c)
{
    *c = NULL;
    *st = aps_cli_open_store(cli, APS_CLI_MIGRATE);
    if (!*st)
        return APS_EXIT_FAIL;
    if (aps_store_acquire(*st, intent, c)) {
        fprintf(stderr, "aps%s%s: no database connection\n", who ? " " : "", who ? who : "");
        aps_store_close(*st);
        *st = NULL;
        return APS_EXIT_FAIL;
    }
    return 0;
}

/* The command's exit code, or APS_EXIT_FAIL after a message when what it printed on stdout did
 * not all get there (a full disk, an I/O error): a script reading `aps backtest --format csv >
 * FILE` would otherwise take a truncated FILE for the whole result. A code that is already a
 * failure stays as it is. */
static int stdout_written(int rc)
{
    int e = fflush(stdout) ? errno : 0;
    if (!e && !ferror(stdout))
        return rc;
    fprintf(stderr, "aps: cannot write the output: %s\n", e ? strerror(e) : "write error");
    return rc == APS_EXIT_OK ? APS_EXIT_FAIL : rc;
}

/* Finds the command, loads the configuration and runs it; returns its exit code. */
static int run(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? APS_EXIT_USAGE : APS_EXIT_OK;
    }
    const struct command *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr, "aps: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return APS_EXIT_USAGE;
    }
    if (!strcmp(cmd->name, "api") || !strcmp(cmd->name, "serve"))
        aps_api_server_exec_tuned(argv); /* returns when it does not start again */

    if (aps_libs_init()) {
        fprintf(stderr, "aps: libcurl could not initialise\n");
        return APS_EXIT_FAIL;
    }
    struct aps_cli cli = {0};
    cli.tty = isatty(STDERR_FILENO);
    char err[1024];
    struct aps_config_opts opts = {.envp = environ, .config_dir = NULL};
    if (aps_config_load(&cli.cfg, &opts, err, sizeof err)) {
        fprintf(stderr, "aps: %s\n", err);
        return APS_EXIT_USAGE;
    }
    if (aps_seal_configure(aps_cfg_str(cli.cfg, APS_SET_DATA_ENCRYPTION_KEYS), err, sizeof err)) {
        fprintf(stderr, "aps: %s\n", err);
        aps_config_free(cli.cfg);
        return APS_EXIT_USAGE;
    }
    aps_registry_configure(aps_cfg_str(cli.cfg, APS_SET_MODEL_PATH));
    int lvl = aps_log_level_parse(aps_cfg_str(cli.cfg, APS_SET_LOG_LEVEL));
    cli.log.level = lvl < 0 ? APS_LOG_INFO : (enum aps_log_level)lvl;
    int rc = cmd->fn(&cli, argc - 1, argv + 1);
    aps_config_free(cli.cfg);
    aps_libs_cleanup();
    return rc;
}

int main(int argc, char **argv)
{
    return stdout_written(run(argc, argv));
}
