/* opts.h — the option table the subcommands of `aps` parse their flags with.
 *
 * A command lists its options once (name, kind, where the value goes) and aps_cli_opts_parse()
 * walks argv: a flag sets or clears a bool; an option with a value stores the string or hands it
 * to the option's function, which checks it and prints its own message. The messages common to
 * every command are written here: "aps CMD: OPT needs a value [HINT]" (a known option that is
 * the last argument, followed by the command's usage when the table has one), and for an
 * argument the table does not know "aps CMD: unknown option ARG", or the table's own wording
 * "aps CMD: WORDS ARG HINT" (WORDS "bad argument" unless the table names others), or the
 * command's usage on stderr. An option with a value given twice is refused: "aps CMD: OPT given
 * twice [HINT]". Arguments that are not in the table go to the table's arg function
 * when it has one (positional words), else they are unknown options, wherever they stand. */
#ifndef APS_CLI_OPTS_H
#define APS_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum aps_cli_opt_kind {
    APS_OPT_SET,   /* flag: the bool at off becomes true */
    APS_OPT_CLEAR, /* flag: the bool at off becomes false */
    APS_OPT_STR,   /* value: stored as the const char * at off (points into argv) */
    APS_OPT_FN,    /* value: given to fn */
    APS_OPT_STOP,  /* flag: the bool at off becomes true and parsing ends there (--help) */
};

struct aps_cli_opt {
    const char *name; /* "--sport" */
    enum aps_cli_opt_kind kind;
    size_t off; /* offset in the command's argument struct (SET, CLEAR, STR) */
    /* APS_OPT_FN: 0, or nonzero after printing why the value is refused */
    int (*fn)(void *args, const char *opt, const char *value);
};

/* A command's options: its name in messages ("backtest"), the table, and how an unknown option
 * is reported: by usage (printed on stderr) when set, else by one message "WORDS ARG HINT" when
 * bad or hint is set (bad NULL: "bad argument"; hint NULL: none), else by the default message;
 * a missing value is always "OPT needs a value", with the hint or the usage after it. arg, when set, takes each argument that is not in the table (the
 * command's positional words): 0, or nonzero after printing why it is refused (it may print the
 * table's message with aps_cli_opts_refuse). word, instead of arg: one positional word, stored
 * as the const char * at word_off; an option not in the table and a second word are refused.
 * quote: the one message shows ARG in single quotes ('ARG'). */
struct aps_cli_opts {
    const char *cmd;
    const char *hint;
    const struct aps_cli_opt *opt;
    size_t n;
    const char *bad;
    void (*usage)(FILE *out);
    int (*arg)(const struct aps_cli_opts *t, void *args, const char *arg);
    bool word;
    size_t word_off;
    bool quote;
};

/* The number of entries of an option table array. */
#define APS_CLI_OPTS_N(a) (sizeof(a) / sizeof((a)[0]))

/* Parses argv[first..argc) into args. Returns 0, or APS_EXIT_USAGE after a message. */
int aps_cli_opts_parse(const struct aps_cli_opts *t, int argc, char **argv, int first,
                       void *args);
/* The bounds of the serving commands' numbers (api, serve, worker). */
#define APS_CLI_PORT_MAX 65535 /* --port: 0 (a free port) .. 65535 */
#define APS_CLI_THREADS_MAX 256 /* --threads: 1 .. 256 */

/* The numbers of every option (an APS_OPT_FN's check): true when v is written in decimal and
 * lies in lo..hi, stored in *out; else false and *out is left alone. Decimal means an optional
 * sign and digits ("010" is ten), nothing else: no spaces, no hex ("0x10"), no text after it.
 * aps_cli_num_in takes a fraction and an exponent too (2.5, .5, 1e3), never inf or nan. */
bool aps_cli_int_in(const char *v, int lo, int hi, int *out);
bool aps_cli_i64_in(const char *v, int64_t lo, int64_t hi, int64_t *out);
bool aps_cli_num_in(const char *v, double lo, double hi, double *out);
/* Prints the table's message (or usage) for an unknown argument; returns APS_EXIT_USAGE. */
int aps_cli_opts_refuse(const struct aps_cli_opts *t, const char *arg);

#endif
