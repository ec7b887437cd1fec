/* cmd_flags.c — `aps flags list|set`: the feature flags of flags.def as the store holds them,
 * and an operator's change from the host (audited with actor_type "system", like `aps user`).
 * Running processes pick a change up within FEATURE_FLAGS_REFRESH_MS (flags.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/mem.h"
#include "services/audit.h"
#include "services/flags.h"
#include "store/store.h"

static void flags_usage(FILE *out)
{
    fprintf(out,
            "usage: aps flags list [--json]\n"
            "       aps flags set NAME on|off|N%% [--roles R1,R2] [--users ID1,ID2]\n\n"
            "list  every declared flag with its rule in this environment; (default) marks a flag\n"
            "      nobody has set, which has its environment's default from flags.def.\n"
            "set   stores a rule: on (every eligible user), off (nobody: a kill switch), N%% (an\n"
            "      eligible user whose bucket, a hash of flag and user id, is under N: stable\n"
            "      per user). --roles limits who is eligible; --users are always on unless off.\n"
            "      Written to the audit log; every process applies it within\n"
            "      FEATURE_FLAGS_REFRESH_MS.\n");
}

static void print_rule(const struct aps_flag_info *fi)
{
    json_t *r = aps_flag_rule_json(&fi->rule);
    char *roles = json_dumps(json_object_get(r, "roles"), JSON_COMPACT);
    char *users = json_dumps(json_object_get(r, "users"), JSON_COMPACT);
    char state[16];
    if (fi->rule.state == APS_FLAG_PERCENT)
        snprintf(state, sizeof state, "%d%%", fi->rule.percent);
    else
        snprintf(state, sizeof state, "%s", aps_flag_state_name(fi->rule.state));
    printf("%-20s %-8s roles=%s users=%s%s\n", fi->name, state, roles ? roles : "[]",
           users ? users : "[]", fi->stored ? "" : " (default)");
    aps_free(roles);
    aps_free(users);
    json_decref(r);
}

static int flags_list(struct aps_conn *c, const char *env, bool as_json)
{
    struct aps_flag_info fl[APS_FLAG__COUNT];
    int64_t version = 0;
    int rc = aps_flags_read(c, env, fl, &version);
    if (rc) {
        fprintf(stderr, "aps flags: cannot read the flags: %s\n", aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    json_t *items = as_json ? json_array() : NULL;
    for (int i = 0; i < APS_FLAG__COUNT; i++) {
        if (items)
            json_array_append_new(items, aps_flag_info_json(&fl[i]));
        else
            print_rule(&fl[i]);
    }
    if (items) {
        json_t *doc = json_pack("{s:s, s:I, s:o}", "environment", env, "version",
                                (json_int_t)version, "items", items);
        char *s = json_dumps(doc, JSON_INDENT(2));
        printf("%s\n", s ? s : "{}");
        aps_free(s);
        json_decref(doc);
    }
    return APS_EXIT_OK;
}

struct set_args {
    const char *roles, *users;
};

static const struct aps_cli_opt set_options[] = {
    {"--roles", APS_OPT_STR, offsetof(struct set_args, roles), NULL},
    {"--users", APS_OPT_STR, offsetof(struct set_args, users), NULL},
};

static int flags_set(struct aps_conn *c, const char *env, int argc, char **argv)
{
    static const struct aps_cli_opts table = {.cmd = "flags",
                                              .hint = "(see aps flags --help)",
                                              .opt = set_options,
                                              .n = APS_CLI_OPTS_N(set_options)};
    struct set_args a = {0};
    char err[200];
    struct aps_flag_rule rule;
    if (argc < 4) {
        flags_usage(stderr);
        return APS_EXIT_USAGE;
    }
    if (aps_cli_opts_parse(&table, argc, argv, 4, &a))
        return APS_EXIT_USAGE;
    const char *roles = a.roles, *users = a.users;
    int flag = aps_flag_find(argv[2]);
    if (flag < 0) {
        fprintf(stderr, "aps flags: no flag named '%s' (aps flags list shows them)\n", argv[2]);
        return APS_EXIT_USAGE;
    }
    if (aps_flag_rule_parse(argv[3], 0, roles, users, &rule, err, sizeof err)) {
        fprintf(stderr, "aps flags: %s\n", err);
        return APS_EXIT_USAGE;
    }
    struct aps_audit_event who = {.actor_type = "system"};
    if (aps_flags_set(c, env, flag, &rule, 0, &who)) {
        fprintf(stderr, "aps flags: cannot store the flag: %s\n", aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    struct aps_flag_info fi = {.name = aps_flag_name(flag), .rule = rule, .stored = true};
    print_rule(&fi);
    return APS_EXIT_OK;
}

static const struct aps_cli_opt list_options[] = {{"--json", APS_OPT_SET, 0, NULL}};
static const struct aps_cli_opts list_table = {.cmd = "flags",
                                               .hint = "(see aps flags --help)",
                                               .opt = list_options,
                                               .n = 1};

int aps_cmd_flags(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv) || argc < 2) {
        flags_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? APS_EXIT_USAGE : APS_EXIT_OK;
    }
    bool list = !strcmp(argv[1], "list"), set = !strcmp(argv[1], "set");
    if (!list && !set) {
        fprintf(stderr, "aps flags: unknown action %s (list or set)\n", argv[1]);
        return APS_EXIT_USAGE;
    }
    bool json = false;
    if (list && aps_cli_opts_parse(&list_table, argc, argv, 2, &json))
        return APS_EXIT_USAGE;
    struct aps_store *st = aps_cli_open_store(cli, APS_CLI_MIGRATE);
    struct aps_conn *c = NULL;
    if (!st)
        return APS_EXIT_FAIL;
    int code = APS_EXIT_FAIL;
    if (aps_store_acquire(st, APS_DB_WRITE, &c)) {
        fprintf(stderr, "aps flags: no store connection\n");
    } else {
        const char *env = aps_cfg_str(cli->cfg, APS_SET_ENVIRONMENT);
        code = list ? flags_list(c, env, json) : flags_set(c, env, argc, argv);
        aps_store_release(c);
    }
    aps_store_close(st);
    return code;
}
