/* opts.c — the table-driven flag parser of the subcommands (see opts.h). */
#include "cli/opts.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/str.h"

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

/* An argument the table does not know: the table's usage, its one message, or "unknown option". */
static int refuse(const struct aps_cli_opts *t, const char *arg)
{
    if (t->usage)
        t->usage(stderr);
    else if (t->hint || t->bad)
        fprintf(stderr, "aps %s: %s %s%s%s%s%s\n", t->cmd, t->bad ? t->bad : "bad argument",
                t->quote ? "'" : "", arg, t->quote ? "'" : "", t->hint ? " " : "",
                t->hint ? t->hint : "");
    else
        fprintf(stderr, "aps %s: unknown option %s\n", t->cmd, arg);
    return APS_EXIT_USAGE;
}

/* A known option at the end of argv without its value: says so whatever the table's wording of
 * an unknown argument, followed by its hint or its usage. */
static int missing(const struct aps_cli_opts *t, const char *opt)
{
    fprintf(stderr, "aps %s: %s needs a value%s%s\n", t->cmd, opt, t->hint ? " " : "",
            t->hint ? t->hint : "");
    if (t->usage)
        t->usage(stderr);
    return APS_EXIT_USAGE;
}

/* An option with a value given a second time: the first value would be dropped without a word
 * (`aps flags set NAME on --roles admin --roles user` stored roles=["user"]), so neither is
 * taken. The hint follows, as after a missing value. */
static int twice(const struct aps_cli_opts *t, const char *opt)
{
    fprintf(stderr, "aps %s: %s given twice%s%s\n", t->cmd, opt, t->hint ? " " : "",
            t->hint ? t->hint : "");
    return APS_EXIT_USAGE;
}

/* An argument that is not in the table: the table's arg function, or its one word. */
static int take_word(const struct aps_cli_opts *t, const char *arg, void *args)
{
    if (t->arg)
        return t->arg(t, args, arg);
    const char **word = (const char **)((char *)args + t->word_off);
    if (*word || arg[0] == '-')
        return refuse(t, arg);
    *word = arg;
    return 0;
}

/* True when s is written in decimal: an optional sign, digits and, when real, a fraction
 * (2.5, .5, 2.) and an exponent (1e3); nothing before or after it. */
static bool decimal(const char *s, bool real)
{
    static const char digit[] = "0123456789";
    s += *s == '+' || *s == '-';
    size_t n = strspn(s, digit);
    s += n;
    if (real && *s == '.') {
        size_t f = strspn(++s, digit);
        n += f;
        s += f;
    }
    if (!n)
        return false;
    if (real && (*s == 'e' || *s == 'E')) {
        s++;
        s += *s == '+' || *s == '-';
        size_t e = strspn(s, digit);
        if (!e)
            return false;
        s += e;
    }
    return !*s;
}

bool aps_cli_i64_in(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t n;
    if (!v || !decimal(v, false) || aps_parse_int64(v, &n) || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

bool aps_cli_int_in(const char *v, int lo, int hi, int *out)
{
    int64_t n;
    if (!aps_cli_i64_in(v, lo, hi, &n))
        return false;
    *out = (int)n;
    return true;
}

bool aps_cli_num_in(const char *v, double lo, double hi, double *out)
{
    double x;
    if (!v || !decimal(v, true) || aps_parse_double(v, &x) || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

int aps_cli_opts_refuse(const struct aps_cli_opts *t, const char *arg)
{
    return refuse(t, arg);
}

int aps_cli_opts_parse(const struct aps_cli_opts *t, int argc, char **argv, int first,
                       void *args)
{
    uint64_t given = 0; /* bit k: option k took its value (tables hold far fewer than 64) */
    for (int i = first; i < argc; i++) {
        const struct aps_cli_opt *o = find(t->opt, t->n, argv[i]);
        if (o && o->kind != APS_OPT_STR && o->kind != APS_OPT_FN) {
            *(bool *)((char *)args + o->off) = o->kind != APS_OPT_CLEAR;
            if (o->kind == APS_OPT_STOP)
                return 0;
            continue;
        }
        if (!o && (t->arg || t->word)) {
            if (take_word(t, argv[i], args))
                return APS_EXIT_USAGE;
            continue;
        }
        /* unknown before missing: a last argument the table does not know is not an option
           waiting for its value */
        if (!o)
            return refuse(t, argv[i]);
        if (i + 1 >= argc)
            return missing(t, argv[i]);
        size_t k = (size_t)(o - t->opt);
        uint64_t bit = k < 64 ? UINT64_C(1) << k : 0;
        if (given & bit)
            return twice(t, argv[i]);
        given |= bit;
        if (take_value(o, argv[++i], args))
            return APS_EXIT_USAGE;
    }
    return 0;
}
