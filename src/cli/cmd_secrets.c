/* cmd_secrets.c — `aps secrets status|reseal`: the TOTP seeds the store keeps and the key each
 * is sealed with, and the re-sealing step of a key rotation (services/seal.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "services/accounts.h"
#include "services/seal.h"
#include "store/store.h"

static void secrets_usage(FILE *out)
{
    fprintf(out,
            "usage: aps secrets status | reseal\n\n"
            "status  how many stored TOTP seeds are sealed with each key id, and in clear\n"
            "reseal  re-seal every stored seed with the current key (the first of\n"
            "        DATA_ENCRYPTION_KEYS), also seeds stored in clear; the step of a rotation\n"
            "        between adding the new key first and dropping the old one\n");
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
    int rc = aps_conn_prepare(c, "SELECT totp_secret, totp_pending FROM users WHERE"
                                 " totp_secret IS NOT NULL OR totp_pending IS NOT NULL", &st);
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
        printf("; %lld could not be opened with any configured key and were left", (long long)unopened);
    printf("\n");
    return unopened ? APS_E_INTEGRITY : 0;
}

int aps_cmd_secrets(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv) || argc != 2 ||
        (strcmp(argv[1], "status") && strcmp(argv[1], "reseal"))) {
        secrets_usage(argc == 2 && aps_cli_wants_help(argc, argv) ? stdout : stderr);
        return aps_cli_wants_help(argc, argv) ? APS_EXIT_OK : APS_EXIT_USAGE;
    }
    struct aps_store *st = aps_cli_open_store(cli, true);
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
