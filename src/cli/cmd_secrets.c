/* cmd_secrets.c — `aps secrets status|reseal|rotate jwt`: the TOTP seeds the store keeps and the
 * key each is sealed with, the re-sealing step of a key rotation (services/seal.h), and the
 * rotation of the JWT signing key in the secrets directory (docs/operations.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/timeutil.h"
#include "http/auth.h"
#include "services/accounts.h"
#include "services/audit.h"
#include "services/seal.h"
#include "store/store.h"

static void secrets_usage(FILE *out)
{
    fprintf(
        out,
        "usage: aps secrets status | reseal | rotate jwt [--stage]\n\n"
        "status  how many stored TOTP seeds are sealed with each key id, and in clear\n"
        "reseal  re-seal every stored seed with the current key (the first of\n"
        "        DATA_ENCRYPTION_KEYS), also seeds stored in clear; the step of a rotation\n"
        "        between adding the new key first and dropping the old one\n"
        "rotate jwt\n"
        "        the JWT signing key, in the files of the secrets directory: the staged key\n"
        "        (JWT_SECRET_NEXT), or a new random one when none is staged, becomes\n"
        "        JWT_SECRET and signs; the old JWT_SECRET becomes JWT_SECRET_PREVIOUS and\n"
        "        still verifies; the key that was previous is dropped. Running processes\n"
        "        take it on reload (SIGHUP or POST /api/v1/admin/config/reload).\n"
        "        --stage: only write a new key to JWT_SECRET_NEXT, which verifies but does not\n"
        "        sign; with several api processes stage, reload all, rotate, reload all, so\n"
        "        that no process meets a token signed by a key it does not know yet.\n"
        "        Each step is written to the audit log (secret_rotated) with the key files:\n"
        "        when the store cannot take that row, no key changes and it exits 1\n");
}

/* Adds one stored value to the per-key counts ("(clear)" for a value stored in clear). */
static void count_value(const char *v, char kids[][24], long long *counts, int *n, int cap)
{
    char kid[24] = "(clear)";
    if (!strncmp(v, "enc:v1:", 7))
        snprintf(kid, sizeof kid, "%.*s", (int)strcspn(v + 7, ":"), v + 7);
    for (int i = 0; i < *n; i++)
        if (!strcmp(kids[i], kid)) {
            counts[i]++;
            return;
        }
    if (*n < cap) {
        snprintf(kids[*n], sizeof kids[*n], "%s", kid);
        counts[(*n)++] = 1;
    }
}

static int status(struct aps_conn *c)
{
    struct aps_stmt *st = NULL;
    char kids[16][24];
    long long counts[16];
    int n = 0;
    int rc = aps_conn_prepare(c,
                              "SELECT totp_secret, totp_pending FROM users WHERE"
                              " totp_secret IS NOT NULL OR totp_pending IS NOT NULL",
                              &st);
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        for (int k = 0; k < 2; k++)
            if (aps_stmt_text(st, k))
                count_value(aps_stmt_text(st, k), kids, counts, &n, 16);
    }
    aps_stmt_finalize(st);
    if (rc < 0)
        return rc;
    printf("current key: %s\n",
           aps_seal_enabled() ? aps_seal_current_kid() : "(none: seeds are stored in clear)");
    for (int i = 0; i < n; i++)
        printf("%-16s %lld\n", kids[i], counts[i]);
    return 0;
}

static int reseal(struct aps_conn *c)
{
    int64_t done = 0, unopened = 0;
    if (!aps_seal_enabled()) {
        fprintf(stderr, "aps secrets: DATA_ENCRYPTION_KEYS is not set: nothing to seal with\n");
        return APS_E_CONFIG;
    }
    int rc = aps_conn_begin(c);
    if (!rc)
        rc = aps_accounts_totp_reseal(c, &done, &unopened);
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc) {
        aps_conn_rollback(c);
        return rc;
    }
    printf("resealed %lld seed(s) with key %s", (long long)done, aps_seal_current_kid());
    if (unopened)
        printf("; %lld could not be opened with any configured key and were left",
               (long long)unopened);
    printf("\n");
    return unopened ? APS_E_INTEGRITY : 0;
}

/* ---- rotate jwt ----------------------------------------------------------------------------- */

/* The file key lives in: the one it was read from (APS_SECRETS_DIR/NAME or NAME_FILE=path), else
 * APS_SECRETS_DIR/NAME. */
static int secret_path(const struct aps_config *cfg, enum aps_setting key, char *out, size_t cap)
{
    const char *origin = aps_cfg_origin(cfg, key), *eq = strchr(origin, '=');
    if (aps_cfg_source(cfg, key) == APS_SRC_SECRET)
        return snprintf(out, cap, "%s", eq ? eq + 1 : origin) >= (int)cap ? -1 : 0;
    const char *dir = aps_cfg_str(cfg, APS_SET_APS_SECRETS_DIR);
    if (!dir || !*dir)
        return -1;
    return snprintf(out, cap, "%s/%s", dir, aps_setting_name(key)) >= (int)cap ? -1 : 0;
}

/* Writes value and a newline to path, mode 0600, replacing the file whole (aps_file_replace), so
 * a process reloading at that moment reads either the old file or the new one. */
static int write_secret(const char *path, const char *value)
{
    struct aps_buf b = {0};
    aps_buf_printf(&b, "%s\n", value);
    int rc = aps_file_replace(path, b.data, b.len, 0600);
    aps_buf_cleanup(&b);
    return rc;
}

/* The audit row of a rotation is written in a transaction begun before any key file changes and
 * committed after they all did: a rotation that cannot be audited (no store, a store that
 * cannot be written) changes nothing, and a failed file write leaves no row. */
struct rotation_audit {
    struct aps_store *st;
    struct aps_conn *c;
};

/* Commits (or, when !commit, rolls back) the row and closes the store; 0 or the commit's error. */
static int audit_end(struct rotation_audit *a, bool commit)
{
    int rc = commit && a->c ? aps_conn_commit(a->c) : 0;
    if (a->c && (!commit || rc))
        aps_conn_rollback(a->c);
    if (rc)
        fprintf(stderr,
                "aps secrets: the key files were written, but the rotation could not be"
                " committed to the audit log: %s\n",
                aps_conn_errmsg(a->c));
    if (a->c)
        aps_store_release(a->c);
    aps_store_close(a->st);
    a->c = NULL;
    a->st = NULL;
    return rc;
}

static int audit_begin(struct aps_cli *cli, struct rotation_audit *a, const char *step,
                       const char *kid, const char *previous_kid)
{
    a->st = aps_cli_open_store(cli, APS_CLI_MIGRATE);
    int rc = a->st ? aps_store_acquire(a->st, APS_DB_WRITE, &a->c) : APS_E_DB;
    if (!rc)
        rc = aps_conn_begin(a->c);
    if (!rc) {
        struct aps_audit_event e = {.action = "secret_rotated",
                                    .actor_type = "system",
                                    .resource_type = "secret",
                                    .resource_id = "JWT_SECRET",
                                    .success = true};
        e.details = json_pack("{s:s, s:s, s:s?}", "step", step, "kid", kid, "previous_kid",
                              previous_kid);
        rc = aps_audit_write(a->c, &e, aps_time_now());
        json_decref(e.details);
    }
    if (rc) {
        fprintf(stderr,
                "aps secrets: cannot write the rotation to the audit log (%s): no key"
                " was changed\n",
                a->c    ? aps_conn_errmsg(a->c)
                : a->st ? "no database connection"
                        : "no store");
        audit_end(a, false);
    }
    return rc;
}

static int rotate_fail(struct rotation_audit *audit, const char *what, const char *path)
{
    fprintf(stderr, "aps secrets: cannot write %s (%s): %s\n", what, path ? path : "no path",
            path ? strerror(errno) : "set APS_SECRETS_DIR");
    if (audit)
        audit_end(audit, false);
    return APS_EXIT_FAIL;
}

static int rotate_stage(struct aps_cli *cli, const char *next_path)
{
    struct rotation_audit audit = {0};
    char fresh[APS_AUTH_TOKEN_CAP], kid[APS_AUTH_KID_CAP];
    aps_auth_random_token(fresh);
    aps_auth_key_id(fresh, kid);
    if (audit_begin(cli, &audit, "stage", kid, NULL))
        return APS_EXIT_FAIL;
    if (write_secret(next_path, fresh))
        return rotate_fail(&audit, "JWT_SECRET_NEXT", next_path);
    if (audit_end(&audit, true))
        return APS_EXIT_FAIL;
    printf("staged JWT signing key %s in %s; reload every process, then run "
           "`aps secrets rotate jwt`\n",
           kid, next_path);
    return APS_EXIT_OK;
}

static int rotate_jwt(struct aps_cli *cli, bool stage)
{
    const struct aps_config *cfg = cli->cfg;
    struct rotation_audit audit = {0};
    char next_path[4200], cur_path[4200], prev_path[4200], fresh[APS_AUTH_TOKEN_CAP];
    char kid[APS_AUTH_KID_CAP], prev_kid[APS_AUTH_KID_CAP];
    bool paths = !secret_path(cfg, APS_SET_JWT_SECRET_NEXT, next_path, sizeof next_path) &&
                 !secret_path(cfg, APS_SET_JWT_SECRET, cur_path, sizeof cur_path) &&
                 !secret_path(cfg, APS_SET_JWT_SECRET_PREVIOUS, prev_path, sizeof prev_path);
    if (!paths)
        return rotate_fail(NULL, "the JWT keys", NULL);
    if (stage)
        return rotate_stage(cli, next_path);
    const char *staged = aps_cfg_str(cfg, APS_SET_JWT_SECRET_NEXT);
    const char *cur = aps_cfg_str(cfg, APS_SET_JWT_SECRET);
    aps_auth_random_token(fresh);
    const char *key = staged && *staged ? staged : fresh;
    aps_auth_key_id(key, kid);
    aps_auth_key_id(cur, prev_kid);
    if (audit_begin(cli, &audit, "rotate", kid, prev_kid))
        return APS_EXIT_FAIL;
    /* Previous first: at every moment the files name keys that verify every live token. */
    if (cur && *cur && write_secret(prev_path, cur))
        return rotate_fail(&audit, "JWT_SECRET_PREVIOUS", prev_path);
    if (write_secret(cur_path, key))
        return rotate_fail(&audit, "JWT_SECRET", cur_path);
    if (staged && *staged && unlink(next_path) && errno != ENOENT)
        return rotate_fail(&audit, "JWT_SECRET_NEXT", next_path);
    if (audit_end(&audit, true))
        return APS_EXIT_FAIL;
    printf("JWT signing key %s now signs (%s); %s verifies as previous (%s); reload every "
           "process (SIGHUP or POST /api/v1/admin/config/reload)\n",
           kid, cur_path, prev_kid, prev_path);
    return APS_EXIT_OK;
}

/* `aps secrets rotate jwt [--stage]` */
static int rotate_cmd(struct aps_cli *cli, int argc, char **argv)
{
    static const struct aps_cli_opt options[] = {{"--stage", APS_OPT_SET, 0, NULL}};
    static const struct aps_cli_opts table = {.cmd = "secrets",
                                              .opt = options,
                                              .n = 1,
                                              .usage = secrets_usage};
    bool stage = false;
    if (argc > 4) /* --stage at most once */
        secrets_usage(stderr);
    if (argc > 4 || aps_cli_opts_parse(&table, argc, argv, 3, &stage))
        return APS_EXIT_USAGE;
    return rotate_jwt(cli, stage);
}

int aps_cmd_secrets(struct aps_cli *cli, int argc, char **argv)
{
    if (!aps_cli_wants_help(argc, argv) && argc >= 3 && !strcmp(argv[1], "rotate") &&
        !strcmp(argv[2], "jwt"))
        return rotate_cmd(cli, argc, argv);
    if (aps_cli_wants_help(argc, argv) || argc != 2 ||
        (strcmp(argv[1], "status") && strcmp(argv[1], "reseal"))) {
        secrets_usage(argc == 2 && aps_cli_wants_help(argc, argv) ? stdout : stderr);
        return aps_cli_wants_help(argc, argv) ? APS_EXIT_OK : APS_EXIT_USAGE;
    }
    struct aps_store *st = aps_cli_open_store(cli, APS_CLI_MIGRATE);
    struct aps_conn *c = NULL;
    if (!st)
        return APS_EXIT_FAIL;
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (!rc)
        rc = !strcmp(argv[1], "status") ? status(c) : reseal(c);
    if (rc && rc != APS_E_CONFIG && rc != APS_E_INTEGRITY)
        fprintf(stderr, "aps secrets: %s\n", c ? aps_conn_errmsg(c) : aps_strerror(rc));
    aps_store_release(c);
    aps_store_close(st);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}
