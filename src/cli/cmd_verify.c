/* cmd_verify.c — `aps verify [HASH]`: walks the lock-in chain of every stored pick (or checks the
 * pick with that hash) and prints OK with the count, or the first pick that does not match. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/lockin.h"
#include "store/store.h"

/* A lock-in hash as stored: the SHA-256 in 64 hexadecimal digits. */
static bool is_hash(const char *s)
{
    size_t n = 0;
    while (isxdigit((unsigned char)s[n]))
        n++;
    return n == 64 && !s[n];
}

int aps_cmd_verify(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv) || argc > 2) {
        fprintf(
            argc > 2 ? stderr : stdout,
            "usage: aps verify [HASH]\n\n"
            "Recomputes the SHA-256 lock-in hash of every stored pick from its stored columns and\n"
            "checks that each names its predecessor's hash. Prints 'OK n picks' and the head\n"
            "hash, or the first pick that no longer matches (exit 1). With HASH, checks that one\n"
            "pick.\n");
        return argc > 2 ? APS_EXIT_USAGE : APS_EXIT_OK;
    }
    if (argc == 2 && !is_hash(argv[1])) {
        fprintf(stderr, "aps verify: %s is not a lock-in hash (64 hexadecimal digits)\n", argv[1]);
        return APS_EXIT_USAGE;
    }
    struct aps_store *st = aps_cli_open_store(cli, APS_CLI_MIGRATE);
    if (!st)
        return APS_EXIT_FAIL;
    struct aps_conn *c = NULL;
    int rc = APS_EXIT_FAIL;
    if (aps_store_acquire(st, APS_DB_WRITE, &c)) {
        fprintf(stderr, "aps verify: no database connection\n");
        goto out;
    }
    struct aps_verify_result r;
    char hash[APS_HASH_HEX] = "";
    for (size_t i = 0; argc == 2 && argv[1][i] && i + 1 < sizeof hash; i++)
        hash[i] = (char)tolower((unsigned char)argv[1][i]); /* stored in lower case */
    int err = argc == 2 ? aps_lockin_verify_hash(c, hash, &r) : aps_lockin_verify(c, &r);
    if (err) {
        fprintf(stderr, "aps verify: %s\n", aps_conn_errmsg(c));
        goto out;
    }
    if (r.ok) {
        printf("OK %lld picks\nhead %s\n", (long long)r.checked, r.head);
        rc = APS_EXIT_OK;
    } else if (r.bad_id) {
        printf("FAILED at pick %lld: %s (%lld picks before it verified)\n", (long long)r.bad_id,
               r.reason, (long long)r.checked);
    } else {
        printf("FAILED: %s\n", r.reason);
    }
out:
    if (c)
        aps_store_release(c);
    aps_store_close(st);
    return rc;
}
