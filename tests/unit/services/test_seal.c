/* test_seal.c — encryption at rest of TOTP seeds: the keyring's parsing (errors never show key
 * material), sealing bound to its row, tampering and unknown keys refused, values in clear
 * still read; and the accounts path on SQLite and PostgreSQL: a seed is stored sealed (never in
 * clear), 2FA works through it, a rotation (new key first, aps secrets reseal, old key dropped)
 * keeps it working, and a seed no configured key opens fails closed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/mem.h"
#include "core/timeutil.h"
#include "services/accounts.h"
#include "services/seal.h"
#include "store/store.h"
#include "../support/testdb.h"

/* Three 32-byte keys in base64 (test material only). */
#define K1 "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define K2 "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define K3 "k3:QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="

static void keyring_errors(void **state)
{
    (void)state;
    char err[300];
    const char *bad[] = {"nokid", "K1:AAEC", "k1:not-base64!!", "k1:AAECAwQ=",
                         K1 "," K1, "toolongkeyidentifier:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(aps_seal_configure(bad[i], err, sizeof err), APS_E_CONFIG);
        assert_null(strstr(err, "AAECAwQ"));
    }
    assert_int_equal(aps_seal_configure("", err, sizeof err), 0);
    assert_false(aps_seal_enabled());
}

static void seal_open_bind_tamper(void **state)
{
    (void)state;
    char err[300], sealed[APS_SEAL_MAX], plain[64];
    assert_int_equal(aps_seal_configure(NULL, err, sizeof err), 0);
    assert_int_equal(aps_seal("JBSWY3DPEHPK3PXP", "users:1", sealed, sizeof sealed), 0);
    assert_string_equal(sealed, "JBSWY3DPEHPK3PXP"); /* no keys: stored as it is */
    assert_int_equal(aps_seal_configure(K1, err, sizeof err), 0);
    assert_int_equal(aps_seal("JBSWY3DPEHPK3PXP", "users:1", sealed, sizeof sealed), 0);
    assert_true(!strncmp(sealed, "enc:v1:k1:", 10));
    assert_null(strstr(sealed, "JBSWY3DP"));
    assert_int_equal(aps_unseal(sealed, "users:1", plain, sizeof plain), 0);
    assert_string_equal(plain, "JBSWY3DPEHPK3PXP");
    assert_int_equal(aps_unseal(sealed, "users:2", plain, sizeof plain), APS_E_INTEGRITY);
    char bent[APS_SEAL_MAX];
    snprintf(bent, sizeof bent, "%s", sealed);
    bent[20] = bent[20] == 'A' ? 'B' : 'A';
    assert_int_equal(aps_unseal(bent, "users:1", plain, sizeof plain), APS_E_INTEGRITY);
    assert_int_equal(aps_unseal("enc:v1:k9:AAAA", "users:1", plain, sizeof plain),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_unseal("CLEARSEED", "users:1", plain, sizeof plain), 0);
    assert_string_equal(plain, "CLEARSEED");
    assert_true(aps_seal_is_current(sealed));
    assert_false(aps_seal_is_current("CLEARSEED"));
    /* Rotation: the old key still opens, its values are no longer current. */
    assert_int_equal(aps_seal_configure(K2 "," K1, err, sizeof err), 0);
    assert_string_equal(aps_seal_current_kid(), "k2");
    assert_int_equal(aps_unseal(sealed, "users:1", plain, sizeof plain), 0);
    assert_false(aps_seal_is_current(sealed));
}

static int setup_sqlite(void **state) { return testdb_fixture(state, 0, "seal"); }
static int setup_pg(void **state) { return testdb_fixture(state, 1, "seal"); }
static int teardown(void **state)
{
    char err[100];
    testdb_fixture_free(state);
    return aps_seal_configure(NULL, err, sizeof err);
}

static void raw_seed(struct aps_conn *c, int64_t id, char *out, size_t cap)
{
    struct aps_stmt *st = NULL;
    assert_int_equal(aps_conn_prepare(c, "SELECT COALESCE(totp_secret, totp_pending) FROM users"
                                         " WHERE id = ?1", &st), 0);
    assert_int_equal(aps_stmt_bind_int64(st, 1, id), 0);
    assert_int_equal(aps_stmt_step(st), APS_ROW);
    snprintf(out, cap, "%s", aps_stmt_text(st, 0));
    aps_stmt_finalize(st);
}

static void accounts_seal_and_rotate(void **state)
{
    struct testdb *db = *state;
    if (!db)
        skip();
    char err[300], seed[APS_TOTP_SECRET_CAP], code[9], raw[APS_SEAL_MAX];
    struct aps_conn *c = NULL;
    struct aps_user u;
    int64_t id = 0, now = aps_time_now(), done = 0, unopened = 0;
    assert_int_equal(aps_seal_configure(K1, err, sizeof err), 0);
    assert_int_equal(aps_store_acquire(db->st, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_accounts_user_create(c, "s@example.com", "$argon2id$x", "S",
                                              APS_ROLE_USER, now, &id),
                     0);
    aps_totp_secret_new(seed);
    assert_int_equal(aps_accounts_totp_set_pending(c, id, seed, now), 0);
    raw_seed(c, id, raw, sizeof raw);
    assert_true(!strncmp(raw, "enc:v1:k1:", 10));
    assert_null(strstr(raw, seed));
    assert_int_equal(aps_totp_code(seed, now, 6, code), 0);
    assert_int_equal(aps_accounts_totp_enable(c, id, code, now), 0);
    assert_int_equal(aps_accounts_user_by_id(c, id, &u), 0);
    assert_true(u.totp_enabled);
    assert_string_equal(u.totp_secret, seed);

    /* Rotation: k2 first, reseal, then k1 dropped. */
    assert_int_equal(aps_seal_configure(K2 "," K1, err, sizeof err), 0);
    assert_int_equal(aps_accounts_totp_reseal(c, &done, &unopened), 0);
    assert_int_equal(done, 1);
    assert_int_equal(unopened, 0);
    raw_seed(c, id, raw, sizeof raw);
    assert_true(!strncmp(raw, "enc:v1:k2:", 10));
    assert_int_equal(aps_accounts_totp_reseal(c, &done, &unopened), 0);
    assert_int_equal(done, 0); /* already current */
    assert_int_equal(aps_seal_configure(K2, err, sizeof err), 0);
    assert_int_equal(aps_accounts_user_by_id(c, id, &u), 0);
    assert_string_equal(u.totp_secret, seed);

    /* A key that opens nothing: the seed reads as none, so 2FA refuses every code. */
    assert_int_equal(aps_seal_configure(K3, err, sizeof err), 0);
    assert_int_equal(aps_accounts_user_by_id(c, id, &u), 0);
    assert_string_equal(u.totp_secret, "");
    assert_int_equal(aps_accounts_totp_disable(c, id, code, now), APS_E_STATE);
    assert_int_equal(aps_accounts_totp_reseal(c, &done, &unopened), 0);
    assert_int_equal(unopened, 1);
    aps_store_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyring_errors),
        cmocka_unit_test(seal_open_bind_tamper),
        cmocka_unit_test_setup_teardown(accounts_seal_and_rotate, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(accounts_seal_and_rotate, setup_pg, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
