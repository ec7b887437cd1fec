/* test_opts.c — the subcommands' option table (src/cli/opts.c, included to build it here, as the
 * CLI's files belong to the aps executable): flags set and clear, values are stored or handed to
 * their function, and a missing value, an unknown option and a refused value end in
 * APS_EXIT_USAGE: a missing value always as one ("needs a value", then the hint or the usage),
 * an unknown option with the command's wording (the default message, one message with the
 * command's words and hint, or its usage); positional words go to the table's function, and a
 * STOP flag (--help) ends parsing where it stands. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../src/cli/opts.c"

struct args {
    const char *sport;
    bool quiet, refit;
    int n;
    const char *last_opt;
};

static int set_n(void *p, const char *opt, const char *v)
{
    struct args *a = p;
    a->last_opt = opt;
    a->n = (int)strtol(v, NULL, 10);
    return a->n > 0 ? 0 : 1;
}

static const struct aps_cli_opt table[] = {
    {"--quiet", APS_OPT_SET, offsetof(struct args, quiet), NULL},
    {"--no-refit", APS_OPT_CLEAR, offsetof(struct args, refit), NULL},
    {"--sport", APS_OPT_STR, offsetof(struct args, sport), NULL},
    {"--n", APS_OPT_FN, 0, set_n},
};

static const struct aps_cli_opts opts = {.cmd = "test", .opt = table, .n = APS_CLI_OPTS_N(table)};

static int parse(struct args *a, int argc, char **argv)
{
    *a = (struct args){.refit = true};
    return aps_cli_opts_parse(&opts, argc, argv, 1, a);
}

static void test_values_and_flags(void **state)
{
    (void)state;
    struct args a;
    char *argv[] = {"cmd", "--n", "7", "--quiet", "--sport", "NBA", "--no-refit"};
    assert_int_equal(parse(&a, 7, argv), 0);
    assert_int_equal(a.n, 7);
    assert_string_equal(a.last_opt, "--n");
    assert_true(a.quiet);
    assert_false(a.refit);
    assert_ptr_equal(a.sport, argv[5]);
    char *none[] = {"cmd"};
    assert_int_equal(parse(&a, 1, none), 0);
    assert_null(a.sport);
    assert_true(a.refit && !a.quiet);
    /* the first argument parsed is `first`: an action word before it is not an option */
    char *action[] = {"cmd", "fit", "--sport", "NFL"};
    a = (struct args){0};
    assert_int_equal(aps_cli_opts_parse(&opts, 4, action, 2, &a), 0);
    assert_string_equal(a.sport, "NFL");
}

static void test_refusals(void **state)
{
    (void)state;
    struct args a;
    char *missing[] = {"cmd", "--quiet", "--sport"};
    assert_int_equal(parse(&a, 3, missing), APS_EXIT_USAGE);
    assert_true(a.quiet);
    char *unknown[] = {"cmd", "--colour", "red"};
    assert_int_equal(parse(&a, 3, unknown), APS_EXIT_USAGE);
    char *unknown_last[] = {"cmd", "--colour"};
    assert_int_equal(parse(&a, 2, unknown_last), APS_EXIT_USAGE);
    char *refused[] = {"cmd", "--n", "0", "--quiet"};
    assert_int_equal(parse(&a, 4, refused), APS_EXIT_USAGE);
    assert_false(a.quiet); /* parsing stops at the refusal */
    char *value_like[] = {"cmd", "--sport", "--quiet"};
    assert_int_equal(parse(&a, 3, value_like), 0); /* a value may start with dashes */
    assert_string_equal(a.sport, "--quiet");
    assert_false(a.quiet);
}

/* What a parse writes on stderr. */
static void parse_message(const struct aps_cli_opts *t, int argc, char **argv, char *out,
                          size_t cap)
{
    struct args a = {0};
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0 && dup2(fileno(tmp), 2) >= 0);
    assert_int_equal(aps_cli_opts_parse(t, argc, argv, 1, &a), APS_EXIT_USAGE);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

static void test_messages(void **state)
{
    (void)state;
    char msg[256];
    char *missing[] = {"cmd", "--sport"};
    char *unknown[] = {"cmd", "--colour", "red"};
    parse_message(&opts, 2, missing, msg, sizeof msg);
    assert_string_equal(msg, "aps test: --sport needs a value\n");
    parse_message(&opts, 3, unknown, msg, sizeof msg);
    assert_string_equal(msg, "aps test: unknown option --colour\n");
    const struct aps_cli_opts hinted = {
        .cmd = "user", .hint = "(see aps user --help)", .opt = table, .n = 4};
    parse_message(&hinted, 2, missing, msg, sizeof msg);
    assert_string_equal(msg, "aps user: --sport needs a value (see aps user --help)\n");
    parse_message(&hinted, 3, unknown, msg, sizeof msg);
    assert_string_equal(msg, "aps user: bad argument --colour (see aps user --help)\n");
}

/* Positional words: the first is kept, a second and any unknown option are refused. */
static int one_word(const struct aps_cli_opts *t, void *p, const char *arg)
{
    struct args *a = p;
    if (a->sport || arg[0] == '-')
        return aps_cli_opts_refuse(t, arg);
    a->sport = arg;
    return 0;
}

static int usage_calls;

static void count_usage(FILE *out)
{
    fprintf(out, "usage: cmd\n");
    usage_calls++;
}

static void test_wordings(void **state)
{
    (void)state;
    char msg[256];
    char *missing[] = {"cmd", "--sport"};
    char *unknown[] = {"cmd", "--colour", "red"};
    const struct aps_cli_opts bad = {.cmd = "api", .bad = "unknown argument", .opt = table, .n = 4};
    parse_message(&bad, 2, missing, msg, sizeof msg);
    assert_string_equal(msg, "aps api: --sport needs a value\n");
    parse_message(&bad, 3, unknown, msg, sizeof msg);
    assert_string_equal(msg, "aps api: unknown argument --colour\n");
    const struct aps_cli_opts both = {
        .cmd = "collect", .bad = "bad option", .hint = "(see --help)", .opt = table, .n = 4};
    parse_message(&both, 3, unknown, msg, sizeof msg);
    assert_string_equal(msg, "aps collect: bad option --colour (see --help)\n");
    const struct aps_cli_opts usage = {.cmd = "x", .opt = table, .n = 4, .usage = count_usage};
    usage_calls = 0;
    parse_message(&usage, 2, missing, msg, sizeof msg);
    assert_string_equal(msg, "aps x: --sport needs a value\nusage: cmd\n");
    parse_message(&usage, 3, unknown, msg, sizeof msg);
    assert_string_equal(msg, "usage: cmd\n");
    assert_int_equal(usage_calls, 2);
}

/* Regression: an unknown option as the last argument was reported as a missing value, and a
 * known option missing its value as an unknown (or bad) option in the tables that word unknown
 * arguments their own way. Each message now names the real problem, in every wording. */
static void test_unknown_last_and_missing_value_named_apart(void **state)
{
    (void)state;
    char msg[256];
    char *unknown_last[] = {"cmd", "--sport", "EPL", "--bogus"};
    char *missing_last[] = {"cmd", "--quiet", "--n"};
    parse_message(&opts, 4, unknown_last, msg, sizeof msg);
    assert_string_equal(msg, "aps test: unknown option --bogus\n");
    parse_message(&opts, 3, missing_last, msg, sizeof msg);
    assert_string_equal(msg, "aps test: --n needs a value\n");
    const struct aps_cli_opts bad = {.cmd = "models explain",
                                     .bad = "bad option",
                                     .opt = table,
                                     .n = 4};
    parse_message(&bad, 4, unknown_last, msg, sizeof msg);
    assert_string_equal(msg, "aps models explain: bad option --bogus\n");
    parse_message(&bad, 3, missing_last, msg, sizeof msg);
    assert_string_equal(msg, "aps models explain: --n needs a value\n");
    /* positional words taken by the table's function: a known option at the end still wants
       its value, an unknown one is still unknown */
    const struct aps_cli_opts words = {
        .cmd = "ingest", .bad = "unknown option", .opt = table, .n = 4, .arg = one_word};
    char *word_then_missing[] = {"cmd", "football-data", "--n"};
    parse_message(&words, 3, word_then_missing, msg, sizeof msg);
    assert_string_equal(msg, "aps ingest: --n needs a value\n");
    char *word_then_unknown[] = {"cmd", "football-data", "--jobz"};
    parse_message(&words, 3, word_then_unknown, msg, sizeof msg);
    assert_string_equal(msg, "aps ingest: unknown option --jobz\n");
}

static void test_words_and_stop(void **state)
{
    (void)state;
    /* without --sport in the table, the word lands in sport */
    const struct aps_cli_opts words = {
        .cmd = "w", .hint = "(see --help)", .opt = table, .n = 2, .arg = one_word};
    struct args a = {0};
    char *ok[] = {"cmd", "--quiet", "odds", "--no-refit"};
    a.refit = true;
    assert_int_equal(aps_cli_opts_parse(&words, 4, ok, 1, &a), 0);
    assert_string_equal(a.sport, "odds");
    assert_true(a.quiet && !a.refit);
    char msg[256];
    char *two[] = {"cmd", "odds", "extra"};
    parse_message(&words, 3, two, msg, sizeof msg);
    assert_string_equal(msg, "aps w: bad argument extra (see --help)\n");
    char *dash[] = {"cmd", "--colour"};
    parse_message(&words, 2, dash, msg, sizeof msg);
    assert_string_equal(msg, "aps w: bad argument --colour (see --help)\n");

    /* the same rule built in: one word at word_off */
    const struct aps_cli_opts one = {.cmd = "w",
                                     .hint = "(see --help)",
                                     .opt = table,
                                     .n = 2,
                                     .word = true,
                                     .word_off = offsetof(struct args, sport)};
    a = (struct args){0};
    assert_int_equal(aps_cli_opts_parse(&one, 4, ok, 1, &a), 0);
    assert_string_equal(a.sport, "odds");
    parse_message(&one, 3, two, msg, sizeof msg);
    assert_string_equal(msg, "aps w: bad argument extra (see --help)\n");
    parse_message(&one, 2, dash, msg, sizeof msg);
    assert_string_equal(msg, "aps w: bad argument --colour (see --help)\n");

    struct stop_args {
        bool help, quiet;
    };
    static const struct aps_cli_opt stop_table[] = {
        {"--help", APS_OPT_STOP, offsetof(struct stop_args, help), NULL},
        {"--quiet", APS_OPT_SET, offsetof(struct stop_args, quiet), NULL},
    };
    const struct aps_cli_opts stop = {.cmd = "s", .opt = stop_table, .n = 2};
    struct stop_args sa = {false, false};
    char *after[] = {"cmd", "--help", "--colour", "--quiet"};
    assert_int_equal(aps_cli_opts_parse(&stop, 4, after, 1, &sa), 0);
    assert_true(sa.help);
    assert_false(sa.quiet); /* nothing after --help is read */
    char *before[] = {"cmd", "--colour", "x", "--help"};
    sa.help = false;
    assert_int_equal(aps_cli_opts_parse(&stop, 4, before, 1, &sa), APS_EXIT_USAGE);
    assert_false(sa.help);
}

/* Numbers are decimal and in range: every spelling strtol or strtod would also take (hex,
 * leading spaces, inf) is refused, and *out keeps its value then. */
static void test_numbers_decimal_only(void **state)
{
    (void)state;
    int n = 7;
    int64_t l = 7;
    double d = 7;
    static const char *const good[] = {"16", "+16", "016", "-0"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(aps_cli_int_in(good[i], -20, 20, &n));
        assert_true(aps_cli_i64_in(good[i], -20, 20, &l));
        assert_true(aps_cli_num_in(good[i], -20, 20, &d));
    }
    assert_int_equal(n, 0);
    assert_true(aps_cli_int_in("016", 0, 20, &n) && n == 16); /* never octal */
    static const char *const bad[] = {
        "0x10", " 16", "16 ", "16x", "",    "-",   "+",
        "1e1",  "inf", "nan", "1.5", "--1", "\t1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(aps_cli_int_in(bad[i], INT_MIN, INT_MAX, &n));
        assert_false(aps_cli_i64_in(bad[i], INT64_MIN, INT64_MAX, &l));
    }
    assert_int_equal(n, 16);
    assert_int_equal(l, 0);
    assert_false(aps_cli_int_in("-5", 0, 10, &n));
    assert_false(aps_cli_i64_in("-5", 0, 10, &l));
    assert_false(aps_cli_int_in("4294967296", INT_MIN, INT_MAX, &n));
    static const char *const reals[] = {"2.5", ".5", "2.", "1e3", "1E+3", "25e-1"};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        assert_true(aps_cli_num_in(reals[i], 0, 1000, &d));
    static const char *const not_reals[] = {"0x10", "0x1p4", " 5", "5 ",   "inf", "nan",
                                            "1e",   ".",     "e3", "1e3x", "1,5", ""};
    d = 7;
    for (size_t i = 0; i < sizeof not_reals / sizeof not_reals[0]; i++)
        assert_false(aps_cli_num_in(not_reals[i], -1e300, 1e300, &d));
    assert_false(aps_cli_num_in("1e308", 0, 1e12, &d));
    assert_true(d == 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_flags),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_wordings),
        cmocka_unit_test(test_unknown_last_and_missing_value_named_apart),
        cmocka_unit_test(test_words_and_stop),
        cmocka_unit_test(test_numbers_decimal_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
