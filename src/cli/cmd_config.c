/* cmd_config.c — `aps config`: shows the effective settings main.c loaded, each with where it came
 * from, secrets redacted. Wiring only; the table, loading and printing live in src/config.
 *
 *   aps config print [--format table|json]
 *   aps config get NAME
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/str.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: aps config print [--format table|json]\n"
                 "       aps config get NAME\n\n"
                 "Shows the effective settings and where each came from: default, config/"
                 "<ENVIRONMENT>.env,\nthe environment, or a secret (APS_SECRETS_DIR/NAME or "
                 "NAME_FILE). Secrets are redacted.\n");
}

struct print_args {
    bool json;
    FILE *err;
};

static int set_format(void *p, const char *opt, const char *v)
{
    struct print_args *a = p;
    (void)opt;
    if (strcmp(v, "table") && strcmp(v, "json")) {
        fprintf(a->err, "aps config print: --format is table or json, not '%s'\n", v);
        return 1;
    }
    a->json = !strcmp(v, "json");
    return 0;
}

/* An argument not in the table: --format=VALUE (the one spelling the table cannot hold) or a
 * refusal. */
static int print_word(const struct aps_cli_opts *t, void *p, const char *arg)
{
    if (aps_str_starts(arg, "--format="))
        return set_format(p, "--format", arg + strlen("--format="));
    return aps_cli_opts_refuse(t, arg);
}

static const struct aps_cli_opt print_options[] = {{"--format", APS_OPT_FN, 0, set_format}};

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
    static const struct aps_cli_opts table = {.cmd = "config print",
                                              .bad = "unexpected argument",
                                              .quote = true,
                                              .opt = print_options,
                                              .n = APS_CLI_OPTS_N(print_options),
                                              .arg = print_word};
    struct print_args a = {.json = false, .err = err};
    if (aps_cli_opts_parse(&table, argc, argv, 2, &a))
        return APS_EXIT_USAGE;
    aps_config_print(cli->cfg, out, a.json);
    return fflush(out) ? APS_EXIT_FAIL : APS_EXIT_OK;
}

int aps_cmd_config(struct aps_cli *cli, int argc, char **argv)
{
    return config_run(cli, argc, argv, stdout, stderr);
}
