/* test_auth.c — the credential primitives: the password policy, Argon2id hashes, HS256 access
 * tokens (round trip, tampered, expired by a past iat/exp, wrong secret, alg "none" and HS512
 * refused, bad claims), refresh tokens, API keys and constant-time equality. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "http/auth.h"

#define SECRET "test-secret-for-unit-tests-0123456789"
#define NOW 1700000000

static void test_password_policy(void **state)
{
    const char *why = NULL;
    char big[300];
    assert_int_equal(aps_auth_password_check("short", &why), APS_E_INVAL);
    assert_non_null(strstr(why, "12"));
    assert_int_equal(aps_auth_password_check("elevenchars", &why), APS_E_INVAL);
    assert_int_equal(aps_auth_password_check(NULL, &why), APS_E_INVAL);
    assert_int_equal(aps_auth_password_check("twelve chars", &why), 0);
    assert_null(why);
    assert_int_equal(aps_auth_password_check("            ", &why), APS_E_INVAL);
    assert_int_equal(aps_auth_password_check("tab\tinside-password", &why), APS_E_INVAL);
    memset(big, 'x', 256);
    big[256] = '\0';
    assert_int_equal(aps_auth_password_check(big, &why), 0);
    big[256] = 'x';
    big[257] = '\0';
    assert_int_equal(aps_auth_password_check(big, &why), APS_E_INVAL);
    assert_non_null(strstr(why, "256"));
}

/* Lengths count Unicode code points of the NFC form, not bytes. */
static void test_password_code_points(void **state)
{
    const char *why = NULL;
    char pw[2048] = "";
    for (int i = 0; i < 11; i++)
        strcat(pw, "\xc3\xa9"); /* é, precomposed: 22 bytes, 11 characters */
    assert_int_equal(aps_auth_password_check(pw, &why), APS_E_INVAL);
    assert_non_null(strstr(why, "12"));
    strcat(pw, "\xc3\xa9");
    assert_int_equal(aps_auth_password_check(pw, &why), 0);
    pw[0] = '\0';
    for (int i = 0; i < 11; i++)
        strcat(pw, "e\xcc\x81"); /* e + combining acute: NFC makes it 11 × é */
    assert_int_equal(aps_auth_password_check(pw, &why), APS_E_INVAL);
    strcat(pw, "e\xcc\x81");
    assert_int_equal(aps_auth_password_check(pw, &why), 0);
    pw[0] = '\0';
    for (int i = 0; i < 256; i++)
        strcat(pw, "\xc3\xa9"); /* 512 bytes, 256 characters: allowed */
    assert_int_equal(aps_auth_password_check(pw, &why), 0);
    strcat(pw, "\xc3\xa9");
    assert_int_equal(aps_auth_password_check(pw, &why), APS_E_INVAL);
    assert_int_equal(aps_auth_password_check("\xff\xfe not utf-8 at all", &why), APS_E_INVAL);
    assert_non_null(strstr(why, "UTF-8"));
}

/* The hash is of the NFC form: the same password typed decomposed verifies. */
static void test_password_hash_nfc(void **state)
{
    char h[APS_AUTH_HASH_CAP];
    assert_int_equal(aps_auth_password_hash("caf\xc3\xa9 au lait please", h), 0);
    assert_true(aps_auth_password_verify(h, "cafe\xcc\x81 au lait please"));
    assert_false(aps_auth_password_verify(h, "cafe au lait please"));
}

/* Runs last: the first list loaded stays for the process. */
static void test_password_common_list(void **state)
{
    const char *why = NULL;
    char path[] = "/tmp/aps-blocklist-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("password\nQwerty\ndragon\nsunshineboulevard\n", f);
    fclose(f);
    assert_int_equal(aps_auth_password_check("password1234", &why), 0); /* no list yet */
    assert_int_equal(aps_auth_blocklist_load("/nonexistent/list"), APS_E_NOTFOUND);
    assert_int_equal(aps_auth_blocklist_load(path), 0);
    assert_int_equal(aps_auth_blocklist_size(), 4);
    unlink(path);
    assert_int_equal(aps_auth_password_check("password1234", &why), APS_E_INVAL);
    assert_non_null(strstr(why, "common"));
    assert_int_equal(aps_auth_password_check("Password2024!", &why), APS_E_INVAL);
    assert_int_equal(aps_auth_password_check("  QWERTY123456", &why), APS_E_INVAL);
    assert_int_equal(aps_auth_password_check("SunshineBoulevard", &why), APS_E_INVAL);
    assert_int_equal(aps_auth_password_check("dragon-password", &why), 0); /* not one word */
    assert_int_equal(aps_auth_password_check("correct horse battery staple", &why), 0);
}

static void test_password_hash(void **state)
{
    char h1[APS_AUTH_HASH_CAP], h2[APS_AUTH_HASH_CAP];
    assert_int_equal(aps_auth_password_hash("correct horse battery", h1), 0);
    assert_int_equal(aps_auth_password_hash("correct horse battery", h2), 0);
    assert_true(strncmp(h1, "$argon2id$", 10) == 0);
    assert_string_not_equal(h1, h2); /* salted */
    assert_true(aps_auth_password_verify(h1, "correct horse battery"));
    assert_true(aps_auth_password_verify(h2, "correct horse battery"));
    assert_false(aps_auth_password_verify(h1, "correct horse batterY"));
    assert_false(aps_auth_password_verify(h1, ""));
    assert_false(aps_auth_password_verify("not a hash", "correct horse battery"));
    assert_false(aps_auth_password_verify(NULL, "x"));
    aps_auth_password_dummy_verify("anything at all"); /* must not crash, takes a hash's time */
}

static void test_token_roundtrip(void **state)
{
    char *tok = NULL, *tok2 = NULL;
    struct aps_auth_claims c;
    assert_int_equal(aps_auth_token_issue(SECRET, 42, APS_ROLE_ANALYST, 5, 0, NOW, 900, &tok), 0);
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW + 1, &c), 0);
    assert_int_equal(c.user_id, 42);
    assert_int_equal(c.role, APS_ROLE_ANALYST);
    assert_int_equal(c.iat, NOW);
    assert_int_equal(c.exp, NOW + 900);
    assert_int_equal(strlen(c.jti), 32);
    assert_int_equal(c.sid, 5);
    assert_int_equal(c.gen, 0);
    /* Each token has its own jti. */
    struct aps_auth_claims c2;
    assert_int_equal(aps_auth_token_issue(SECRET, 42, APS_ROLE_ANALYST, 5, 0, NOW, 900, &tok2), 0);
    assert_int_equal(aps_auth_token_verify(SECRET, tok2, NOW, &c2), 0);
    assert_string_not_equal(c.jti, c2.jti);
    /* The header says HS256. */
    jwt_t *j = NULL;
    assert_int_equal(jwt_decode(&j, tok, (const unsigned char *)SECRET, strlen(SECRET)), 0);
    assert_int_equal(jwt_get_alg(j), JWT_ALG_HS256);
    assert_string_equal(jwt_get_grant(j, "typ"), "access");
    assert_string_equal(jwt_get_grant(j, "sub"), "42");
    jwt_free(j);
    /* Bad arguments. */
    char *bad = NULL;
    assert_int_equal(aps_auth_token_issue("", 42, APS_ROLE_USER, 5, 0, NOW, 900, &bad), APS_E_INVAL);
    assert_int_equal(aps_auth_token_issue(SECRET, 0, APS_ROLE_USER, 5, 0, NOW, 900, &bad), APS_E_INVAL);
    assert_int_equal(aps_auth_token_issue(SECRET, 1, APS_ROLE_ANONYMOUS, 5, 0, NOW, 900, &bad),
                     APS_E_INVAL);
    /* A token must name its session. */
    assert_int_equal(aps_auth_token_issue(SECRET, 1, APS_ROLE_USER, 0, 0, NOW, 900, &bad),
                     APS_E_INVAL);
    assert_null(bad);
    aps_free(tok);
    aps_free(tok2);
}

static void test_token_expired(void **state)
{
    char *tok = NULL;
    struct aps_auth_claims c = {0};
    /* Issued 20 minutes ago with a 15-minute life. */
    assert_int_equal(aps_auth_token_issue(SECRET, 7, APS_ROLE_USER, 5, 0, NOW - 1200, 900, &tok), 0);
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW, &c), APS_E_TIMEOUT);
    assert_int_equal(c.user_id, 0); /* untouched */
    /* Exactly at exp it is expired; a second before it is not. */
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW - 300, &c), APS_E_TIMEOUT);
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW - 301, &c), 0);
    /* A token from the future is not ours. */
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW - 1200 - 120, &c), APS_E_INTEGRITY);
    aps_free(tok);
}

static void test_token_tampered(void **state)
{
    char *tok = NULL;
    struct aps_auth_claims c;
    assert_int_equal(aps_auth_token_issue(SECRET, 7, APS_ROLE_USER, 5, 0, NOW, 900, &tok), 0);
    char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    assert_non_null(dot1);
    assert_true(dot2 > dot1);
    /* A flipped payload character, a flipped signature character, a truncated token. */
    char *t = aps_strdup(tok);
    t[dot1 - tok + 5] = t[dot1 - tok + 5] == 'A' ? 'B' : 'A';
    assert_int_equal(aps_auth_token_verify(SECRET, t, NOW, &c), APS_E_INTEGRITY);
    aps_free(t);
    t = aps_strdup(tok);
    t[dot2 - tok + 3] = t[dot2 - tok + 3] == 'A' ? 'B' : 'A';
    assert_int_equal(aps_auth_token_verify(SECRET, t, NOW, &c), APS_E_INTEGRITY);
    t[dot2 - tok] = '\0';
    assert_int_equal(aps_auth_token_verify(SECRET, t, NOW, &c), APS_E_INTEGRITY);
    aps_free(t);
    /* The wrong secret, junk, empty. */
    assert_int_equal(aps_auth_token_verify("another-secret", tok, NOW, &c), APS_E_INTEGRITY);
    assert_int_equal(aps_auth_token_verify(SECRET, "a.b.c", NOW, &c), APS_E_INTEGRITY);
    assert_int_equal(aps_auth_token_verify(SECRET, "", NOW, &c), APS_E_INTEGRITY);
    assert_int_equal(aps_auth_token_verify(SECRET, NULL, NOW, &c), APS_E_INTEGRITY);
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW, &c), 0);
    aps_free(tok);
}

static char *b64url(const char *s)
{
    size_t cap = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = aps_malloc(cap);
    sodium_bin2base64(out, cap, (const unsigned char *)s, strlen(s),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static void test_token_alg_none_refused(void **state)
{
    char claims[256], tok[1024];
    struct aps_auth_claims c;
    snprintf(claims, sizeof claims,
             "{\"sub\":\"1\",\"role\":\"admin\",\"typ\":\"access\",\"iat\":%d,\"exp\":%d,"
             "\"sid\":1,\"gen\":0,\"jti\":\"0123456789abcdef0123456789abcdef\"}",
             NOW, NOW + 900);
    char *h = b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}"), *p = b64url(claims);
    snprintf(tok, sizeof tok, "%s.%s.", h, p);
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW, &c), APS_E_INTEGRITY);
    /* Same claims, alg "none" with a junk signature. */
    snprintf(tok, sizeof tok, "%s.%s.abc", h, p);
    assert_int_equal(aps_auth_token_verify(SECRET, tok, NOW, &c), APS_E_INTEGRITY);
    aps_free(h);
    aps_free(p);
}

/* Signs claims with libjwt directly, with any alg. */
static char *sign(jwt_alg_t alg, const char *json)
{
    jwt_t *j = NULL;
    assert_int_equal(jwt_new(&j), 0);
    assert_int_equal(jwt_add_grants_json(j, json), 0);
    assert_int_equal(jwt_set_alg(j, alg, (const unsigned char *)SECRET, strlen(SECRET)), 0);
    char *s = jwt_encode_str(j);
    jwt_free(j);
    assert_non_null(s);
    return s;
}

/* Key ids: the header names the signing key; a set of keys verifies by kid; a token without a
 * kid (signed before kids) is tried with each key; a removed key's tokens are refused. */
static void test_token_kid(void **state)
{
    char *tok = NULL, kid[APS_AUTH_KID_CAP], kid2[APS_AUTH_KID_CAP];
    struct aps_auth_claims c;
    const char *other = "another-secret-for-unit-tests-9876543210";
    aps_auth_key_id(SECRET, kid);
    aps_auth_key_id(other, kid2);
    assert_int_equal(strlen(kid), 16);
    assert_string_not_equal(kid, kid2);
    assert_int_equal(aps_auth_token_issue(SECRET, 9, APS_ROLE_USER, 4, 0, NOW, 900, &tok), 0);
    jwt_t *j = NULL;
    assert_int_equal(jwt_decode(&j, tok, (const unsigned char *)SECRET, strlen(SECRET)), 0);
    assert_string_equal(jwt_get_header(j, "kid"), kid);
    jwt_free(j);
    const char *both[] = {other, NULL, SECRET}, *only_other[] = {other};
    assert_int_equal(aps_auth_token_verify_keys(both, 3, tok, NOW, &c), 0);
    assert_int_equal(c.user_id, 9);
    assert_int_equal(aps_auth_token_verify_keys(only_other, 1, tok, NOW, &c), APS_E_INTEGRITY);
    aps_free(tok);
    /* No kid in the header: each key is tried. */
    char json[256];
    snprintf(json, sizeof json,
             "{\"sub\":\"5\",\"role\":\"pro\",\"typ\":\"access\",\"iat\":%d,\"exp\":%d,"
             "\"sid\":3,\"gen\":0,\"jti\":\"0123456789abcdef0123456789abcdef\"}",
             NOW, NOW + 900);
    char *old = sign(JWT_ALG_HS256, json);
    assert_int_equal(aps_auth_token_verify_keys(both, 3, old, NOW, &c), 0);
    assert_int_equal(aps_auth_token_verify_keys(only_other, 1, old, NOW, &c), APS_E_INTEGRITY);
    free(old);
}

static void test_token_other_alg_and_claims(void **state)
{
    char json[256];
    struct aps_auth_claims c;
    snprintf(json, sizeof json,
             "{\"sub\":\"5\",\"role\":\"pro\",\"typ\":\"access\",\"iat\":%d,\"exp\":%d,"
             "\"sid\":3,\"gen\":0,\"jti\":\"0123456789abcdef0123456789abcdef\"}",
             NOW, NOW + 900);
    char *ok = sign(JWT_ALG_HS256, json), *hs512 = sign(JWT_ALG_HS512, json);
    assert_int_equal(aps_auth_token_verify(SECRET, ok, NOW, &c), 0);
    assert_int_equal(c.role, APS_ROLE_PRO);
    assert_int_equal(aps_auth_token_verify(SECRET, hs512, NOW, &c), APS_E_INTEGRITY);
    free(ok);
    free(hs512);
    /* Well signed but with bad claims: refresh typ, unknown role, missing exp, bad sub, no
     * jti, no session (a token that cannot be revoked), a negative generation. */
    static const char *bad[] = {
        "{\"sub\":\"5\",\"role\":\"pro\",\"typ\":\"refresh\",\"iat\":1700000000,"
        "\"exp\":1700000900,\"jti\":\"0123456789abcdef0123456789abcdef\"}",
        "{\"sub\":\"5\",\"role\":\"root\",\"typ\":\"access\",\"iat\":1700000000,"
        "\"exp\":1700000900,\"jti\":\"0123456789abcdef0123456789abcdef\"}",
        "{\"sub\":\"5\",\"role\":\"pro\",\"typ\":\"access\",\"iat\":1700000000,"
        "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
        "{\"sub\":\"five\",\"role\":\"pro\",\"typ\":\"access\",\"iat\":1700000000,"
        "\"exp\":1700000900,\"jti\":\"0123456789abcdef0123456789abcdef\"}",
        "{\"sub\":\"5\",\"role\":\"pro\",\"typ\":\"access\",\"iat\":1700000000,"
        "\"exp\":1700000900}",
        "{\"sub\":\"5\",\"role\":\"pro\",\"typ\":\"access\",\"iat\":1700000000,"
        "\"exp\":1700000900,\"gen\":0,\"jti\":\"0123456789abcdef0123456789abcdef\"}",
        "{\"sub\":\"5\",\"role\":\"pro\",\"typ\":\"access\",\"iat\":1700000000,"
        "\"exp\":1700000900,\"sid\":3,\"gen\":-1,"
        "\"jti\":\"0123456789abcdef0123456789abcdef\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = sign(JWT_ALG_HS256, bad[i]);
        assert_int_equal(aps_auth_token_verify(SECRET, t, NOW, &c), APS_E_INTEGRITY);
        free(t);
    }
}

static void test_random_and_keys(void **state)
{
    char a[APS_AUTH_TOKEN_CAP], b[APS_AUTH_TOKEN_CAP];
    aps_auth_random_token(a);
    aps_auth_random_token(b);
    assert_int_equal(strlen(a), 43);
    assert_string_not_equal(a, b);
    assert_null(strpbrk(a, "+/="));

    char h[APS_AUTH_SHA256_HEX];
    aps_auth_sha256_hex("abc", h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    char key[APS_AUTH_KEY_CAP], prefix[APS_AUTH_KEY_PREFIX_LEN + 1], kh[APS_AUTH_SHA256_HEX];
    aps_auth_api_key_new(key, prefix, kh);
    assert_int_equal(strlen(key), 47);
    assert_true(strncmp(key, "aps_", 4) == 0);
    assert_int_equal(strlen(prefix), APS_AUTH_KEY_PREFIX_LEN);
    assert_true(strncmp(key, prefix, APS_AUTH_KEY_PREFIX_LEN) == 0);
    aps_auth_sha256_hex(key, h);
    assert_string_equal(h, kh);
    assert_true(aps_auth_api_key_shape(key));
    assert_false(aps_auth_api_key_shape("aps_short"));
    assert_false(aps_auth_api_key_shape(NULL));
    key[10] = '/';
    assert_false(aps_auth_api_key_shape(key));
}

static void test_equal(void **state)
{
    assert_true(aps_auth_equal("abcdef", "abcdef"));
    assert_false(aps_auth_equal("abcdef", "abcdeg"));
    assert_false(aps_auth_equal("abcdef", "abcde"));
    assert_true(aps_auth_equal("", ""));
    /* Tokens of every length up to 600 bytes, equal and differing in each single byte (within
     * the 8-byte steps and the tail) or only in their last bit. */
    char a[601], b[601];
    for (size_t n = 1; n <= 600; n += (n < 40 ? 1 : 37)) {
        for (size_t i = 0; i < n; i++)
            a[i] = (char)('A' + (i * 7 + n) % 58);
        a[n] = '\0';
        memcpy(b, a, n + 1);
        assert_true(aps_auth_equal(a, b));
        for (size_t i = 0; i < n; i++) {
            b[i] ^= 1;
            assert_false(aps_auth_equal(a, b));
            b[i] ^= (char)0x81; /* a difference only in the top bit */
            assert_false(aps_auth_equal(a, b));
            b[i] = a[i];
        }
        assert_true(aps_auth_equal(a, b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_policy),
        cmocka_unit_test(test_password_hash),
        cmocka_unit_test(test_token_roundtrip),
        cmocka_unit_test(test_token_expired),
        cmocka_unit_test(test_token_tampered),
        cmocka_unit_test(test_token_alg_none_refused),
        cmocka_unit_test(test_token_other_alg_and_claims),
        cmocka_unit_test(test_random_and_keys),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_password_code_points),
        cmocka_unit_test(test_password_hash_nfc),
        cmocka_unit_test(test_password_common_list),
        cmocka_unit_test(test_token_kid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
