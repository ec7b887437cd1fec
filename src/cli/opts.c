/* opts.c — the table-driven flag parser of the subcommands (see opts.h). */
#include "cli/opts.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct aps_cli_opt *find(const struct aps_cli_opt *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(opts[i].name, name))
            return &opts[i];
    return NULL;
}

static int take_value(const struct aps_cli_opt *o, const char *v, void *args)
{
    if (o->kind == APS_OPT_STR) {
        *(const char **)((char *)args + o->off) = v;
        return 0;
    }
    return o->fn(args, o->name, v);
}

int aps_cli_opts_parse(const char *cmd, const struct aps_cli_opt *opts, size_t n, int argc,
                       char **argv, int first, void *args)
{
    for (int i = first; i < argc; i++) {
        const struct aps_cli_opt *o = find(opts, n, argv[i]);
        if (o && (o->kind == APS_OPT_SET || o->kind == APS_OPT_CLEAR)) {
            *(bool *)((char *)args + o->off) = o->kind == APS_OPT_SET;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "aps %s: %s needs a value\n", cmd, argv[i]);
            return APS_EXIT_USAGE;
        }
        if (!o) {
            fprintf(stderr, "aps %s: unknown option %s\n", cmd, argv[i]);
            return APS_EXIT_USAGE;
        }
        if (take_value(o, argv[++i], args))
            return APS_EXIT_USAGE;
    }
    return 0;
}
