/* cmd_user.c — `aps user create|role`: accounts made and promoted by an operator on the host (the
 * first admin cannot come from the API). The password is read from a file or standard input,
 * never from argv (argv is visible to every user of the machine). Both changes are audited
 * with actor_type "system". */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "services/app.h"
#include "services/authn.h"
#include "core/timeutil.h"
#include "http/auth.h"
#include "services/accounts.h"
#include "services/audit.h"
#include "store/store.h"

struct user_args {
    const char *email, *role, *name, *password_file;
};

static void user_usage(FILE *out)
{
    fprintf(out,
            "usage: aps user create --email E --role R [--name N] [--password-file F]\n"
            "       aps user role --email E --role R\n\n"
            "create  makes an account; the password (12 to 256 characters) is the first line of\n"
            "        F, or of standard input when F is not given (never an argument).\n"
            "role    changes the role of an account and revokes its sessions (the role it\n"
            "        has already changes nothing).\n"
            "Roles: user, pro, analyst, operator, admin. Both are written to the audit log.\n");
}

static const struct aps_cli_opt options[] = {
    {"--email", APS_OPT_STR, offsetof(struct user_args, email), NULL},
    {"--role", APS_OPT_STR, offsetof(struct user_args, role), NULL},
    {"--name", APS_OPT_STR, offsetof(struct user_args, name), NULL},
    {"--password-file", APS_OPT_STR, offsetof(struct user_args, password_file), NULL},
};

static int parse_args(int argc, char **argv, struct user_args *a)
{
    static const struct aps_cli_opts table = {.cmd = "user",
                                              .hint = "(see aps user --help)",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options)};
    if (aps_cli_opts_parse(&table, argc, argv, 2, a))
        return -1;
    if (!a->email || !a->role) {
        fprintf(stderr, "aps user: --email and --role are required\n");
        return -1;
    }
    return 0;
}

/* The terminal's settings while echo is off for the password, put back by a signal that ends
 * the command there (Ctrl-C, a closed terminal, SIGTERM), so the shell is not left without
 * echo. */
static struct termios echo_saved;
static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void restore_echo_and_die(int sig)
{
    tcsetattr(STDIN_FILENO, TCSANOW, &echo_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void echo_off(const struct termios *old)
{
    struct termios quiet = *old;
    echo_saved = *old;
    for (size_t i = 0; i < sizeof prompt_signals / sizeof prompt_signals[0]; i++)
        signal(prompt_signals[i], restore_echo_and_die);
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
}

static void echo_on(const struct termios *old)
{
    tcsetattr(STDIN_FILENO, TCSAFLUSH, old);
    for (size_t i = 0; i < sizeof prompt_signals / sizeof prompt_signals[0]; i++)
        signal(prompt_signals[i], SIG_DFL);
}

/* Reads the first line of f into buf (without its newline); echo is off on a terminal. */
static int read_password(const char *path, char *buf, size_t cap)
{
    FILE *f = path ? fopen(path, "r") : stdin;
    struct termios old;
    bool tty = !path && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (!f) {
        fprintf(stderr, "aps user: cannot open %s\n", path);
        return -1;
    }
    if (tty) {
        echo_off(&old);
        fprintf(stderr, "password: ");
    }
    char *line = fgets(buf, (int)cap, f);
    int e = !line && ferror(f) ? errno : 0; /* a directory, an I/O error: not an empty file */
    if (tty) {
        echo_on(&old);
        fprintf(stderr, "\n");
    }
    if (path)
        fclose(f);
    if (e) {
        fprintf(stderr, "aps user: cannot read %s: %s\n", path ? path : "standard input",
                strerror(e));
        return -1;
    }
    if (!line) {
        fprintf(stderr, "aps user: no password given\n");
        return -1;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int audit_system(struct aps_conn *c, const char *action, int64_t user_id, json_t *details)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)user_id);
    struct aps_audit_event e = {.action = action,
                                .actor_type = "system",
                                .resource_type = "user",
                                .resource_id = id,
                                .success = true,
                                .details = details};
    int rc = aps_audit_write(c, &e, aps_time_now());
    json_decref(details);
    return rc;
}

static int user_create(struct aps_conn *c, const struct user_args *a, const char *email,
                       enum aps_role role)
{
    char pw[APS_AUTH_PASSWORD_MAX_BYTES + 2], hash[APS_AUTH_HASH_CAP];
    const char *why = NULL;
    int64_t id = 0;
    if (read_password(a->password_file, pw, sizeof pw))
        return APS_EXIT_USAGE;
    int bad = aps_auth_password_check(pw, &why);
    int hashed = bad ? 0 : aps_auth_password_hash(pw, hash);
    explicit_bzero(pw, sizeof pw);
    if (bad) {
        fprintf(stderr, "aps user: the password %s\n", why);
        return APS_EXIT_USAGE;
    }
    if (hashed) {
        fprintf(stderr, "aps user: cannot hash the password\n");
        return APS_EXIT_FAIL;
    }
    int rc = aps_accounts_user_create(c, email, hash, a->name, role, aps_time_now(), &id);
    if (rc == APS_E_EXISTS) {
        fprintf(stderr, "aps user: %s already has an account\n", email);
        return APS_EXIT_FAIL;
    }
    if (!rc)
        rc = audit_system(c, "user_created", id,
                          json_pack("{s:s, s:s}", "email", email, "role", aps_role_name(role)));
    if (rc) {
        fprintf(stderr, "aps user: %s\n", aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    printf("created user %lld %s (%s)\n", (long long)id, email, aps_role_name(role));
    return APS_EXIT_OK;
}

/* Sets the role of the account email; the role it has already changes nothing (no session
 * revoked, no audit event) and *changed stays false. */
static int user_role(struct aps_conn *c, const char *email, enum aps_role role, bool *changed)
{
    struct aps_user u;
    int rc = aps_accounts_user_by_email(c, email, &u);
    if (rc == APS_E_NOTFOUND) {
        fprintf(stderr, "aps user: no account for %s\n", email);
        return APS_EXIT_FAIL;
    }
    if (!rc)
        rc = aps_accounts_user_set_role(c, u.id, role, aps_time_now(), changed);
    if (!rc && *changed)
        rc = audit_system(c, "role_changed", u.id,
                          json_pack("{s:s, s:s, s:s}", "email", email, "from",
                                    aps_role_name(u.role), "to", aps_role_name(role)));
    if (rc) {
        fprintf(stderr, "aps user: %s\n", aps_conn_errmsg(c));
        return APS_EXIT_FAIL;
    }
    if (*changed)
        printf("user %lld %s: role %s -> %s (sessions revoked)\n", (long long)u.id, email,
               aps_role_name(u.role), aps_role_name(role));
    else
        printf("user %lld %s: role %s already (nothing changed)\n", (long long)u.id, email,
               aps_role_name(role));
    return APS_EXIT_OK;
}

/* Running api processes cache who may do what; tell them (through Redis, when configured). */
static void forget_sessions(struct aps_cli *cli)
{
    struct aps_app app;
    char err[300];
    if (aps_app_open(&app, cli->cfg, APS_APP_CACHE, err, sizeof err)) {
        fprintf(stderr, "aps user: %s\n", err);
        return;
    }
    aps_authn_changed(&app);
    aps_app_close(&app);
}

int aps_cmd_user(struct aps_cli *cli, int argc, char **argv)
{
    struct user_args a = {0};
    char email[APS_ACCOUNTS_EMAIL_MAX + 1];
    const char *why = NULL;
    if (argc < 2 || aps_cli_wants_help(argc, argv)) {
        user_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? APS_EXIT_USAGE : APS_EXIT_OK;
    }
    bool create = !strcmp(argv[1], "create");
    if (!create && strcmp(argv[1], "role")) {
        fprintf(stderr, "aps user: unknown action %s (create or role)\n", argv[1]);
        return APS_EXIT_USAGE;
    }
    if (parse_args(argc, argv, &a))
        return APS_EXIT_USAGE;
    int role = aps_role_parse(a.role);
    if (role < 0) {
        fprintf(stderr, "aps user: unknown role %s (user, pro, analyst, operator, admin)\n",
                a.role);
        return APS_EXIT_USAGE;
    }
    if (aps_accounts_email_normalize(a.email, email, &why)) {
        fprintf(stderr, "aps user: the e-mail %s\n", why);
        return APS_EXIT_USAGE;
    }
    if (create && a.name && strlen(a.name) > APS_ACCOUNTS_NAME_MAX) {
        fprintf(stderr, "aps user: --name is longer than %d characters\n", APS_ACCOUNTS_NAME_MAX);
        return APS_EXIT_USAGE;
    }
    char err[300];
    if (create && aps_app_blocklist(cli->cfg, &cli->log, err, sizeof err)) {
        fprintf(stderr, "aps user: %s\n", err);
        return APS_EXIT_FAIL;
    }
    struct aps_store *st = aps_cli_open_store(cli, APS_CLI_MIGRATE | APS_CLI_CREATE);
    struct aps_conn *c = NULL;
    if (!st)
        return APS_EXIT_FAIL;
    int rc = APS_EXIT_FAIL;
    bool changed = false;
    if (aps_store_acquire(st, APS_DB_WRITE, &c))
        fprintf(stderr, "aps user: no database connection\n");
    else
        rc = create ? user_create(c, &a, email, (enum aps_role)role)
                    : user_role(c, email, (enum aps_role)role, &changed);
    if (c)
        aps_store_release(c);
    aps_store_close(st);
    if (changed)
        forget_sessions(cli);
    return rc;
}
