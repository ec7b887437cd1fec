/* cmd_config.c — `aps config`: shows the effective settings main.c loaded, each with where it came
 * from, secrets redacted. Wiring only; the table, loading and printing live in src/config.
 *
 *   aps config print [--format table|json]
 *   aps config get NAME
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: aps config print [--format table|json]\n"
                 "       aps config get NAME\n\n"
                 "Shows the effective settings and where each came from: default, config/"
                 "<ENVIRONMENT>.env,\nthe environment, or a secret (APS_SECRETS_DIR/NAME or "
                 "NAME_FILE). Secrets are redacted.\n");
}

/* Parses `print` options into *json; returns false on a usage error (already reported). */
static bool parse_print(int argc, char **argv, bool *json, FILE *err)
{
    *json = false;
    for (int i = 2; i < argc; i++) {
        const char *fmt = NULL;
        if (!strcmp(argv[i], "--format") && i + 1 < argc)
            fmt = argv[++i];
        else if (!strncmp(argv[i], "--format=", 9))
            fmt = argv[i] + 9;
        if (!fmt) {
            fprintf(err, "aps config print: unexpected argument '%s'\n", argv[i]);
            return false;
        }
        if (strcmp(fmt, "table") && strcmp(fmt, "json")) {
            fprintf(err, "aps config print: --format is table or json, not '%s'\n", fmt);
            return false;
        }
        *json = !strcmp(fmt, "json");
    }
    return true;
}

static int config_get(struct aps_cli *cli, int argc, char **argv, FILE *out, FILE *err)
{
    if (argc != 3) {
        usage(err);
        return APS_EXIT_USAGE;
    }
    int k = aps_setting_find(argv[2]);
    if (k < 0) {
        fprintf(err, "aps config get: unknown setting '%s'\n", argv[2]);
        return APS_EXIT_USAGE;
    }
    fprintf(out, "%s\n", aps_cfg_display(cli->cfg, k));
    return APS_EXIT_OK;
}

/* The command with its streams passed in, so that tests can capture them. */
static int config_run(struct aps_cli *cli, int argc, char **argv, FILE *out, FILE *err)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(out);
            return APS_EXIT_OK;
        }
    }
    if (argc < 2) {
        usage(err);
        return APS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "get"))
        return config_get(cli, argc, argv, out, err);
    if (strcmp(argv[1], "print")) {
        fprintf(err, "aps config: unknown action '%s'\n", argv[1]);
        usage(err);
        return APS_EXIT_USAGE;
    }
    bool json;
    if (!parse_print(argc, argv, &json, err))
        return APS_EXIT_USAGE;
    aps_config_print(cli->cfg, out, json);
    return fflush(out) ? APS_EXIT_FAIL : APS_EXIT_OK;
}

int aps_cmd_config(struct aps_cli *cli, int argc, char **argv)
{
    return config_run(cli, argc, argv, stdout, stderr);
}
