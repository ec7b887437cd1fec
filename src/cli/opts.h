/* opts.h — the option table the subcommands of `aps` parse their flags with.
 *
 * A command lists its options once (name, kind, where the value goes) and aps_cli_opts_parse()
 * walks argv: a flag sets or clears a bool; an option with a value stores the string or hands it
 * to the option's function, which checks it and prints its own message. The messages common to
 * every command are written here: "aps CMD: OPT needs a value" (the last argument, when it is not
 * a flag) and "aps CMD: unknown option OPT", or for commands that word both alike
 * "aps CMD: bad argument ARG HINT". */
#ifndef APS_CLI_OPTS_H
#define APS_CLI_OPTS_H

#include <stddef.h>

enum aps_cli_opt_kind {
    APS_OPT_SET,   /* flag: the bool at off becomes true */
    APS_OPT_CLEAR, /* flag: the bool at off becomes false */
    APS_OPT_STR,   /* value: stored as the const char * at off (points into argv) */
    APS_OPT_FN,    /* value: given to fn */
};

struct aps_cli_opt {
    const char *name; /* "--sport" */
    enum aps_cli_opt_kind kind;
    size_t off; /* offset in the command's argument struct (SET, CLEAR, STR) */
    /* APS_OPT_FN: 0, or nonzero after printing why the value is refused */
    int (*fn)(void *args, const char *opt, const char *value);
};

/* A command's options: its name in messages ("backtest"), the table, and hint: NULL for the two
 * messages above, else the text after "bad argument ARG" ("(see aps user --help)"). */
struct aps_cli_opts {
    const char *cmd;
    const char *hint;
    const struct aps_cli_opt *opt;
    size_t n;
};

/* Parses argv[first..argc) into args. Returns 0, or APS_EXIT_USAGE after a message. */
int aps_cli_opts_parse(const struct aps_cli_opts *t, int argc, char **argv, int first,
                       void *args);

#endif
