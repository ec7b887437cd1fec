/* test_accounts.c — account persistence on SQLite, and the same cases on PostgreSQL: users and
 * e-mails, login lockout, refresh rotation with reuse detection, revocation (logout, password and
 * role change), API keys (create, list, lookup, revoke, expiry, per-user cap) and 2FA, plus the
 * audit log.
 *
 * PostgreSQL comes from APS_TEST_PG_URL (scripts/pgtest start); the run works in a schema of its
 * own and drops it. Without the URL the run fails after the SQLite cases, unless
 * APS_TEST_PG_OPTIONAL=1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "http/totp.h"
#include "services/accounts.h"
#include "services/audit.h"
#include "store/migrate.h"
#include "store/store.h"

#define NOW 1700000000
#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$ZmFrZWhhc2g" /* never verified here */

static struct {
    char url[1024];
    char schema[64];
    char pg_base[900];
    struct aps_store *st;
    struct aps_conn *c;
} g;

#define OK(call)                                                                               \
    do {                                                                                       \
        int rc_ = (call);                                                                      \
        if (rc_ != 0)                                                                          \
            fail_msg("%s = %d (%s): %s", #call, rc_, aps_strerror(rc_), aps_conn_errmsg(g.c)); \
    } while (0)

static int64_t new_user(const char *email, enum aps_role role)
{
    int64_t id = 0;
    OK(aps_accounts_user_create(g.c, email, HASH, "Test", role, NOW, &id));
    assert_true(id > 0);
    return id;
}

static int64_t count(const char *sql)
{
    int64_t n = -1;
    OK(aps_conn_query_int64(g.c, sql, 0, NULL, &n));
    return n;
}

static void test_email_normalize(void **state)
{
    char out[APS_ACCOUNTS_EMAIL_MAX + 1];
    const char *why = NULL;
    assert_int_equal(aps_accounts_email_normalize("  ", out, &why), APS_E_INVAL);
    OK(aps_accounts_email_normalize("Ann.Lee+bets@Example.COM", out, &why));
    assert_string_equal(out, "ann.lee+bets@example.com");
    static const char *bad[] = {"ann",      "ann@",      "@example.com", "ann@example",
                                "a@@b.com", "a b@c.com", "a@b..com",     "a@.b.com",
                                "a@b.com.", "<a>@b.com", "a@b,c.com",    NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(aps_accounts_email_normalize(bad[i], out, &why), APS_E_INVAL);
        assert_non_null(why);
    }
}

static void test_users(void **state)
{
    struct aps_user u;
    struct aps_user_status us;
    int64_t id = new_user("users@example.com", APS_ROLE_PRO), other = 0;
    assert_int_equal(aps_accounts_user_create(g.c, "users@example.com", HASH, NULL, APS_ROLE_USER,
                                              NOW, &other),
                     APS_E_EXISTS);
    OK(aps_accounts_user_by_email(g.c, "users@example.com", &u));
    assert_int_equal(u.id, id);
    assert_int_equal(u.role, APS_ROLE_PRO);
    assert_true(u.is_active);
    assert_false(u.totp_enabled);
    assert_string_equal(u.password_hash, HASH);
    assert_string_equal(u.name, "Test");
    assert_int_equal(u.created_at, NOW);
    assert_int_equal(u.last_login_at, 0);
    assert_int_equal(aps_accounts_user_by_email(g.c, "nobody@example.com", &u), APS_E_NOTFOUND);
    assert_int_equal(aps_accounts_user_by_id(g.c, id + 100000, &u), APS_E_NOTFOUND);
    OK(aps_accounts_user_status(g.c, id, &us));
    assert_int_equal(us.role, APS_ROLE_PRO);
    assert_true(us.active);
    assert_string_equal(us.email, "users@example.com");
    /* A role change revokes the user's sessions. */
    char tok[APS_AUTH_TOKEN_CAP], tok2[APS_AUTH_TOKEN_CAP];
    int64_t who = 0;
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, NULL, tok, NULL));
    OK(aps_accounts_user_set_role(g.c, id, APS_ROLE_ANALYST, NOW + 1, NULL));
    OK(aps_accounts_user_status(g.c, id, &us));
    assert_int_equal(us.role, APS_ROLE_ANALYST);
    assert_int_equal(aps_accounts_session_rotate(g.c, tok, 3600, NOW + 2, NULL, tok2, &who, NULL),
                     APS_E_STATE);
    assert_int_equal(aps_accounts_user_set_role(g.c, id + 100000, APS_ROLE_USER, NOW, NULL),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_accounts_user_set_role(g.c, id, APS_ROLE_ANONYMOUS, NOW, NULL),
                     APS_E_INVAL);
    /* The same change inside the caller's transaction: it counts the sessions it revokes and a
     * rollback undoes it whole. */
    int64_t revoked = -1;
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, NULL, tok, NULL));
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, NULL, tok2, NULL));
    OK(aps_conn_begin(g.c));
    OK(aps_accounts_user_change_role(g.c, id, APS_ROLE_OPERATOR, NOW + 3, &revoked, NULL));
    assert_int_equal(revoked, 2);
    OK(aps_accounts_user_status(g.c, id, &us));
    assert_int_equal(us.role, APS_ROLE_OPERATOR);
    aps_conn_rollback(g.c);
    OK(aps_accounts_user_status(g.c, id, &us));
    assert_int_equal(us.role, APS_ROLE_ANALYST);
    OK(aps_conn_begin(g.c));
    assert_int_equal(aps_accounts_user_change_role(g.c, id + 100000, APS_ROLE_USER, NOW, NULL,
                                                   NULL),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_accounts_user_change_role(g.c, id, APS_ROLE_ANONYMOUS, NOW, NULL, NULL),
                     APS_E_INVAL);
    aps_conn_rollback(g.c);
    /* The role the user has already changes nothing: the session stays, token_gen too. */
    bool changed = true;
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, NULL, tok, NULL));
    OK(aps_accounts_user_status(g.c, id, &us));
    int64_t gen = us.token_gen;
    OK(aps_accounts_user_set_role(g.c, id, APS_ROLE_ANALYST, NOW + 4, &changed));
    assert_false(changed);
    OK(aps_conn_begin(g.c));
    revoked = -1;
    changed = true;
    OK(aps_accounts_user_change_role(g.c, id, APS_ROLE_ANALYST, NOW + 4, &revoked, &changed));
    assert_false(changed);
    assert_int_equal(revoked, 0);
    OK(aps_conn_commit(g.c));
    OK(aps_accounts_user_status(g.c, id, &us));
    assert_int_equal(us.token_gen, gen);
    OK(aps_accounts_session_rotate(g.c, tok, 3600, NOW + 5, NULL, tok2, &who, NULL));
    OK(aps_accounts_user_set_role(g.c, id, APS_ROLE_PRO, NOW + 6, &changed));
    assert_true(changed);
}

static void test_lockout(void **state)
{
    int64_t id = new_user("lockout@example.com", APS_ROLE_USER), until = -1;
    struct aps_user u;
    for (int i = 1; i <= 4; i++) {
        OK(aps_accounts_login_failed(g.c, id, NOW + i, &until));
        assert_int_equal(until, 0);
    }
    OK(aps_accounts_user_by_id(g.c, id, &u));
    assert_int_equal(u.failed_logins, 4);
    assert_int_equal(u.locked_until, 0);
    /* The fifth failure locks for 15 minutes and restarts the count. */
    OK(aps_accounts_login_failed(g.c, id, NOW + 5, &until));
    assert_int_equal(until, NOW + 5 + 15 * 60);
    OK(aps_accounts_user_by_id(g.c, id, &u));
    assert_int_equal(u.locked_until, NOW + 5 + 900);
    assert_int_equal(u.failed_logins, 0);
    /* A success clears the count and stamps the login. */
    OK(aps_accounts_login_failed(g.c, id, NOW + 2000, &until));
    assert_int_equal(until, 0);
    OK(aps_accounts_login_succeeded(g.c, id, NOW + 2001));
    OK(aps_accounts_user_by_id(g.c, id, &u));
    assert_int_equal(u.failed_logins, 0);
    assert_int_equal(u.last_login_at, NOW + 2001);
    assert_int_equal(aps_accounts_login_failed(g.c, id + 100000, NOW, &until), APS_E_NOTFOUND);
}

static void test_rotation_and_reuse(void **state)
{
    int64_t id = new_user("rotate@example.com", APS_ROLE_USER), who = 0;
    char t1[APS_AUTH_TOKEN_CAP], t2[APS_AUTH_TOKEN_CAP], t3[APS_AUTH_TOKEN_CAP];
    char other[APS_AUTH_TOKEN_CAP], x[APS_AUTH_TOKEN_CAP];
    const struct aps_session_origin from = {"127.0.0.1", "test-agent/1.0"};
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, &from, t1, NULL));
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, NULL, other, NULL)); /* another device */
    assert_int_equal(strlen(t1), 43);
    /* Rotation: t1 → t2 → t3. */
    OK(aps_accounts_session_rotate(g.c, t1, 3600, NOW + 10, &from, t2, &who, NULL));
    assert_int_equal(who, id);
    assert_string_not_equal(t1, t2);
    OK(aps_accounts_session_rotate(g.c, t2, 3600, NOW + 20, &from, t3, &who, NULL));
    /* The token is stored hashed: the plain token is nowhere in the table. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM sessions WHERE token_hash = '%s'", t3);
    assert_int_equal(count(sql), 0);
    /* Reuse of t1 (rotated away): refused, and the whole chain t1→t2→t3 is revoked. */
    who = 0;
    assert_int_equal(aps_accounts_session_rotate(g.c, t1, 3600, NOW + 30, NULL, x, &who, NULL),
                     APS_E_INTEGRITY);
    assert_int_equal(who, id);
    /* t3 (the live tip) is now refused as revoked. */
    assert_int_equal(aps_accounts_session_rotate(g.c, t3, 3600, NOW + 31, NULL, x, &who, NULL),
                     APS_E_STATE);
    assert_int_equal(aps_accounts_session_rotate(g.c, t2, 3600, NOW + 31, NULL, x, &who, NULL),
                     APS_E_INTEGRITY);
    /* The other device's session is untouched and still rotates. */
    OK(aps_accounts_session_rotate(g.c, other, 3600, NOW + 32, NULL, x, &who, NULL));
    /* Unknown and expired tokens. */
    assert_int_equal(aps_accounts_session_rotate(g.c, "no-such-token", 3600, NOW, NULL, t2, &who,
                                                 NULL),
                     APS_E_NOTFOUND);
    assert_int_equal(aps_accounts_session_rotate(g.c, "", 3600, NOW, NULL, t2, &who, NULL),
                     APS_E_NOTFOUND);
    OK(aps_accounts_session_create(g.c, id, 60, NOW, NULL, t1, NULL));
    assert_int_equal(aps_accounts_session_rotate(g.c, t1, 3600, NOW + 60, NULL, t2, &who, NULL),
                     APS_E_TIMEOUT);
}

static void test_revocation(void **state)
{
    int64_t id = new_user("revoke@example.com", APS_ROLE_USER), mallory = 0, who = 0, n = -1;
    char a[APS_AUTH_TOKEN_CAP], b[APS_AUTH_TOKEN_CAP], x[APS_AUTH_TOKEN_CAP];
    mallory = new_user("mallory@example.com", APS_ROLE_USER);
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, NULL, a, NULL));
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, NULL, b, NULL));
    /* Logout only works on one's own token; then the token is refused (not as reuse). */
    assert_int_equal(aps_accounts_session_revoke(g.c, mallory, a), APS_E_NOTFOUND);
    OK(aps_accounts_session_revoke(g.c, id, a));
    assert_int_equal(aps_accounts_session_revoke(g.c, id, a), APS_E_NOTFOUND);
    assert_int_equal(aps_accounts_session_rotate(g.c, a, 3600, NOW + 1, NULL, x, &who, NULL),
                     APS_E_STATE);
    OK(aps_accounts_session_rotate(g.c, b, 3600, NOW + 1, NULL, x, &who, NULL));
    /* A password change revokes every live session. */
    OK(aps_accounts_session_create(g.c, id, 3600, NOW, NULL, a, NULL));
    OK(aps_accounts_user_set_password(g.c, id, HASH "2", NOW + 2, &n));
    assert_int_equal(n, 2); /* x and the new a */
    assert_int_equal(aps_accounts_session_rotate(g.c, x, 3600, NOW + 3, NULL, b, &who, NULL),
                     APS_E_STATE);
    struct aps_user u;
    OK(aps_accounts_user_by_id(g.c, id, &u));
    assert_string_equal(u.password_hash, HASH "2");
    OK(aps_accounts_session_revoke_all(g.c, id, &n));
    assert_int_equal(n, 0);
}

static void test_api_keys(void **state)
{
    int64_t id = new_user("keys@example.com", APS_ROLE_PRO);
    int64_t eve = new_user("eve@example.com", APS_ROLE_USER);
    char key[APS_AUTH_KEY_CAP], key2[APS_AUTH_KEY_CAP];
    struct aps_api_key k, k2;
    struct aps_api_key_owner o;
    OK(aps_accounts_api_key_create(g.c, id, "laptop", 120, 0, NOW, key, &k));
    assert_true(aps_auth_api_key_shape(key));
    assert_true(strncmp(key, k.prefix, strlen(k.prefix)) == 0);
    OK(aps_accounts_api_key_create(g.c, id, "ci", 60, NOW + 100, NOW + 1, key2, &k2));
    /* Lookup by the key: owner's role, the key's limit, e-mail. */
    OK(aps_accounts_api_key_lookup(g.c, key, NOW + 5, &o));
    assert_int_equal(o.key.id, k.id);
    assert_int_equal(o.key.user_id, id);
    assert_int_equal(o.role, APS_ROLE_PRO);
    assert_int_equal(o.key.rate_limit_per_min, 120);
    assert_string_equal(o.email, "keys@example.com");
    assert_true(o.active);
    OK(aps_accounts_api_key_touch(g.c, k.id, NOW + 5));
    OK(aps_accounts_api_key_lookup(g.c, key, NOW + 6, &o));
    assert_int_equal(o.key.last_used_at, NOW + 5);
    /* Unknown, junk, expired. */
    char wrong[APS_AUTH_KEY_CAP];
    snprintf(wrong, sizeof wrong, "%s", key);
    wrong[20] = wrong[20] == 'A' ? 'B' : 'A';
    assert_int_equal(aps_accounts_api_key_lookup(g.c, wrong, NOW, &o), APS_E_NOTFOUND);
    assert_int_equal(aps_accounts_api_key_lookup(g.c, "junk", NOW, &o), APS_E_NOTFOUND);
    assert_int_equal(aps_accounts_api_key_lookup(g.c, key2, NOW + 100, &o), APS_E_TIMEOUT);
    /* The list: newest first, no key material. */
    struct aps_api_key *list = NULL;
    size_t n = 0;
    OK(aps_accounts_api_key_list(g.c, id, &list, &n));
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "ci");
    assert_int_equal(list[0].expires_at, NOW + 100);
    assert_string_equal(list[1].name, "laptop");
    assert_int_equal(list[1].expires_at, 0);
    aps_free(list);
    /* Only the owner revokes; then the key is refused. */
    assert_int_equal(aps_accounts_api_key_revoke(g.c, eve, k.id), APS_E_NOTFOUND);
    OK(aps_accounts_api_key_revoke(g.c, id, k.id));
    assert_int_equal(aps_accounts_api_key_revoke(g.c, id, k.id), APS_E_NOTFOUND);
    assert_int_equal(aps_accounts_api_key_lookup(g.c, key, NOW + 7, &o), APS_E_STATE);
    /* Bad arguments and the per-user cap of live keys. */
    assert_int_equal(aps_accounts_api_key_create(g.c, id, "", 60, 0, NOW, key, &k), APS_E_INVAL);
    assert_int_equal(aps_accounts_api_key_create(g.c, id, "x", 0, 0, NOW, key, &k), APS_E_INVAL);
    assert_int_equal(aps_accounts_api_key_create(g.c, id, "x", 60, NOW, NOW, key, &k), APS_E_INVAL);
    for (int i = 0; i < APS_ACCOUNTS_MAX_API_KEYS; i++)
        OK(aps_accounts_api_key_create(g.c, eve, "k", 60, 0, NOW, key, &k));
    assert_int_equal(aps_accounts_api_key_create(g.c, eve, "k", 60, 0, NOW, key, &k), APS_E_RANGE);
    assert_int_equal(count("SELECT COUNT(*) FROM api_keys WHERE key_hash LIKE 'aps_%'"), 0);
}

static void test_totp(void **state)
{
    int64_t id = new_user("twofa@example.com", APS_ROLE_ADMIN);
    char secret[APS_TOTP_SECRET_CAP], code[9], bad[9], next[9];
    struct aps_user u;
    aps_totp_secret_new(secret);
    assert_int_equal(aps_accounts_totp_enable(g.c, id, "123456", NOW), APS_E_STATE);
    OK(aps_accounts_totp_set_pending(g.c, id, secret, NOW));
    OK(aps_accounts_user_by_id(g.c, id, &u));
    assert_string_equal(u.totp_pending, secret);
    assert_false(u.totp_enabled);
    OK(aps_totp_code(secret, NOW, 6, code));
    snprintf(bad, sizeof bad, "%c%s", code[0] == '9' ? '0' : code[0] + 1, code + 1);
    assert_int_equal(aps_accounts_totp_enable(g.c, id, bad, NOW), APS_E_INTEGRITY);
    OK(aps_accounts_totp_enable(g.c, id, code, NOW));
    OK(aps_accounts_user_by_id(g.c, id, &u));
    assert_true(u.totp_enabled);
    assert_string_equal(u.totp_secret, secret);
    assert_string_equal(u.totp_pending, "");
    assert_int_equal(u.totp_last_step, NOW / 30);
    /* A code is accepted once (RFC 6238 §5.2): not the one that turned 2FA on, not twice, not
     * one of an earlier step than the last accepted, though all are inside the ±1 window. */
    assert_int_equal(aps_accounts_totp_use(g.c, id, code, NOW), APS_E_INTEGRITY);
    assert_int_equal(aps_accounts_totp_use(g.c, id, bad, NOW), APS_E_INTEGRITY);
    OK(aps_totp_code(secret, NOW + 30, 6, next));
    OK(aps_accounts_totp_use(g.c, id, next, NOW));
    assert_int_equal(aps_accounts_totp_use(g.c, id, next, NOW), APS_E_INTEGRITY);
    assert_int_equal(aps_accounts_totp_use(g.c, id, next, NOW + 30), APS_E_INTEGRITY);
    assert_int_equal(aps_accounts_totp_use(g.c, id, code, NOW + 30), APS_E_INTEGRITY);
    assert_int_equal(aps_accounts_totp_disable(g.c, id, next, NOW + 30), APS_E_INTEGRITY);
    OK(aps_accounts_user_by_id(g.c, id, &u));
    assert_int_equal(u.totp_last_step, NOW / 30 + 1);
    assert_true(u.totp_enabled);
    /* Setup again while enabled is refused; disable needs a valid code. */
    assert_int_equal(aps_accounts_totp_set_pending(g.c, id, secret, NOW), APS_E_STATE);
    assert_int_equal(aps_accounts_totp_disable(g.c, id, bad, NOW + 30), APS_E_INTEGRITY);
    assert_int_equal(aps_accounts_totp_disable(g.c, id, code, NOW + 300), APS_E_INTEGRITY);
    OK(aps_totp_code(secret, NOW + 300, 6, code));
    OK(aps_accounts_totp_disable(g.c, id, code, NOW + 300));
    OK(aps_accounts_user_by_id(g.c, id, &u));
    assert_false(u.totp_enabled);
    assert_string_equal(u.totp_secret, "");
    assert_int_equal(aps_accounts_totp_disable(g.c, id, code, NOW + 300), APS_E_STATE);
    assert_int_equal(aps_accounts_totp_use(g.c, id, code, NOW + 300), APS_E_STATE);
}

static void test_audit(void **state)
{
    json_t *d = json_pack("{s:s, s:i}", "email", "audit@example.com", "failures", 3);
    struct aps_audit_event e = {.action = "login_failed",
                                .actor_type = "user",
                                .resource_type = "user",
                                .resource_id = "7",
                                .success = false,
                                .ip = "10.0.0.1",
                                .user_agent = "curl/8",
                                .request_id = "r1",
                                .details = d};
    int64_t before = count("SELECT COUNT(*) FROM audit_log");
    OK(aps_audit_write(g.c, &e, NOW));
    struct aps_audit_event sys = {.action = "role_changed", .success = true};
    OK(aps_audit_write(g.c, &sys, NOW));
    struct aps_audit_event none = {0};
    assert_int_equal(aps_audit_write(g.c, &none, NOW), APS_E_INVAL);
    json_decref(d);
    assert_int_equal(count("SELECT COUNT(*) FROM audit_log"), before + 2);
    assert_int_equal(count("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND"
                           " outcome = 'failure' AND actor_id IS NULL AND ip = '10.0.0.1' AND"
                           " details = '{\"email\":\"audit@example.com\",\"failures\":3}'"),
                     1);
    assert_int_equal(count("SELECT COUNT(*) FROM audit_log WHERE action = 'role_changed' AND"
                           " actor_type = 'system' AND outcome = 'success'"),
                     1);
}

#define ACCOUNT_TESTS                                                              \
    cmocka_unit_test(test_email_normalize), cmocka_unit_test(test_users),          \
        cmocka_unit_test(test_lockout), cmocka_unit_test(test_rotation_and_reuse), \
        cmocka_unit_test(test_revocation), cmocka_unit_test(test_api_keys),        \
        cmocka_unit_test(test_totp), cmocka_unit_test(test_audit)

/* Opens g.url, applies the migrations, holds one WRITE connection for the tests. */
static int open_and_migrate(void)
{
    struct aps_store_opts o = {.url = g.url, .pool_size = 2, .pool_timeout = 10.0};
    char err[512];
    int applied = 0;
    if (aps_store_open(&g.st, &o, err, sizeof err) ||
        aps_migrate_up(g.st, NULL, NULL, &applied, err, sizeof err)) {
        fprintf(stderr, "test_accounts: %s: %s\n", g.url, err);
        return -1;
    }
    return aps_store_acquire(g.st, APS_DB_WRITE, &g.c) ? -1 : 0;
}

static void close_store(void)
{
    if (g.c)
        aps_store_release(g.c);
    aps_store_close(g.st);
    g.c = NULL;
    g.st = NULL;
}

static char sqlite_path[256];

static int sqlite_setup(void **state)
{
    snprintf(sqlite_path, sizeof sqlite_path, "/tmp/aps-accounts-%ld.db", (long)getpid());
    unlink(sqlite_path);
    snprintf(g.url, sizeof g.url, "sqlite:///%s", sqlite_path);
    return open_and_migrate();
}

static int sqlite_teardown(void **state)
{
    char p[300];
    close_store();
    unlink(sqlite_path);
    snprintf(p, sizeof p, "%s-wal", sqlite_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", sqlite_path);
    unlink(p);
    return 0;
}

/* Runs one statement on the server's base URL (schema create/drop). */
static int pg_exec(const char *sql)
{
    struct aps_store_opts o = {.url = g.pg_base, .pool_size = 1, .pool_timeout = 10.0};
    struct aps_store *st = NULL;
    struct aps_conn *c = NULL;
    char err[512];
    int rc = aps_store_open(&st, &o, err, sizeof err);
    if (rc) {
        fprintf(stderr, "test_accounts: cannot reach PostgreSQL: %s\n", err);
        return -1;
    }
    rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (!rc)
        rc = aps_conn_exec(c, sql);
    if (c)
        aps_store_release(c);
    aps_store_close(st);
    return rc;
}

static int pg_setup(void **state)
{
    char sql[128];
    snprintf(g.schema, sizeof g.schema, "aps_acc_%ld_%ld", (long)getpid(), (long)time(NULL));
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", g.schema);
    if (pg_exec(sql))
        return -1;
    int n = snprintf(g.url, sizeof g.url, "%s%coptions=-csearch_path%%3D%s", g.pg_base,
                     strchr(g.pg_base, '?') ? '&' : '?', g.schema);
    if (n >= (int)sizeof g.url)
        return -1;
    return open_and_migrate();
}

static int pg_teardown(void **state)
{
    char sql[128];
    close_store();
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", g.schema);
    return pg_exec(sql);
}

int main(void)
{
    const struct CMUnitTest tests[] = {ACCOUNT_TESTS};
    int failed = cmocka_run_group_tests_name("accounts on SQLite", tests, sqlite_setup,
                                             sqlite_teardown);
    const char *url = getenv("APS_TEST_PG_URL");
    const char *optional = getenv("APS_TEST_PG_OPTIONAL");
    bool may_skip = optional && strcmp(optional, "1") == 0;
    if (!url || !*url) {
        fprintf(stderr,
                "test_accounts: APS_TEST_PG_URL is not set, so the PostgreSQL cases did "
                "not run; start a server with `eval \"$(scripts/pgtest start)\"`%s\n",
                may_skip ? " (skipped: APS_TEST_PG_OPTIONAL=1)" : " or set APS_TEST_PG_OPTIONAL=1");
        return failed || !may_skip;
    }
    snprintf(g.pg_base, sizeof g.pg_base, "%s", url);
    const struct CMUnitTest pg_tests[] = {ACCOUNT_TESTS};
    failed += cmocka_run_group_tests_name("accounts on PostgreSQL", pg_tests, pg_setup,
                                          pg_teardown);
    return failed;
}
