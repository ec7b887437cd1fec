/* auth.c — credential primitives (see auth.h): libsodium for Argon2id, randomness, SHA-256 and
 * constant-time comparison; libjwt 1.10 for HS256 access tokens. No store, no logging. */
#include "http/auth.h"

#include <errno.h>
#include <jwt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"

#define TOKEN_MAX_LEN 2048 /* an access token we issue is ~250 bytes */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -1;

static void sodium_start(void)
{
    sodium_status = sodium_init() < 0 ? -1 : 0;
}

int aps_auth_init(void)
{
    pthread_once(&sodium_once, sodium_start);
    return sodium_status ? APS_E_UNSUPPORTED : 0;
}

int aps_auth_password_check(const char *password, const char **why)
{
    size_t n = password ? strlen(password) : 0;
    *why = NULL;
    if (n < APS_AUTH_PASSWORD_MIN)
        *why = "must be at least 12 characters";
    else if (n > APS_AUTH_PASSWORD_MAX)
        *why = "must be at most 256 characters";
    else if (aps_str_blank(password))
        *why = "must not be only spaces";
    for (size_t i = 0; !*why && i < n; i++)
        if ((unsigned char)password[i] < 0x20 || password[i] == 0x7f)
            *why = "must not contain control characters";
    return *why ? APS_E_INVAL : 0;
}

int aps_auth_password_hash(const char *password, char out[APS_AUTH_HASH_CAP])
{
    if (aps_auth_init())
        return APS_E_UNSUPPORTED;
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return APS_E_NOMEM;
    return 0;
}

bool aps_auth_password_verify(const char *hash, const char *password)
{
    if (!hash || !password || aps_auth_init())
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[APS_AUTH_HASH_CAP];

static void dummy_make(void)
{
    char pw[APS_AUTH_TOKEN_CAP];
    aps_auth_random_token(pw);
    if (aps_auth_password_hash(pw, dummy_hash))
        dummy_hash[0] = '\0';
}

void aps_auth_password_dummy_verify(const char *password)
{
    pthread_once(&dummy_once, dummy_make);
    (void)aps_auth_password_verify(dummy_hash, password);
}

void aps_auth_random_token(char out[APS_AUTH_TOKEN_CAP])
{
    unsigned char raw[32];
    if (aps_auth_init()) {
        /* sodium_init only fails without a random source; a fixed token would be a hole. */
        fprintf(stderr, "aps: no random source (libsodium failed to start)\n");
        abort();
    }
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, APS_AUTH_TOKEN_CAP, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void aps_auth_sha256_hex(const char *s, char out[APS_AUTH_SHA256_HEX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, APS_AUTH_SHA256_HEX, h, sizeof h);
}

void aps_auth_api_key_new(char key[APS_AUTH_KEY_CAP], char prefix[APS_AUTH_KEY_PREFIX_LEN + 1],
                          char hash[APS_AUTH_SHA256_HEX])
{
    char tok[APS_AUTH_TOKEN_CAP];
    aps_auth_random_token(tok);
    snprintf(key, APS_AUTH_KEY_CAP, "aps_%s", tok);
    memcpy(prefix, key, APS_AUTH_KEY_PREFIX_LEN);
    prefix[APS_AUTH_KEY_PREFIX_LEN] = '\0';
    aps_auth_sha256_hex(key, hash);
    sodium_memzero(tok, sizeof tok);
}

bool aps_auth_api_key_shape(const char *s)
{
    if (!s || strncmp(s, "aps_", 4) != 0 || strlen(s) != 47)
        return false;
    for (const char *p = s + 4; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
            *p != '-' && *p != '_')
            return false;
    return true;
}

bool aps_auth_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    return sodium_memcmp(a, b, n) == 0;
}

int aps_auth_token_issue(const char *secret, int64_t user_id, enum aps_role role, int64_t sid,
                         int64_t gen, int64_t now, int lifetime_s, char **out)
{
    jwt_t *jwt = NULL;
    unsigned char jti_raw[16];
    char jti[33], sub[24];
    int rc = APS_E_INVAL;
    *out = NULL;
    if (!secret || !*secret || user_id <= 0 || role < 0 || role >= APS_ROLE__COUNT ||
        lifetime_s <= 0 || sid <= 0 || gen < 0 || aps_auth_init())
        return APS_E_INVAL;
    randombytes_buf(jti_raw, sizeof jti_raw);
    sodium_bin2hex(jti, sizeof jti, jti_raw, sizeof jti_raw);
    snprintf(sub, sizeof sub, "%lld", (long long)user_id);
    if (jwt_new(&jwt))
        return APS_E_NOMEM;
    if (jwt_add_grant(jwt, "sub", sub) || jwt_add_grant(jwt, "role", aps_role_name(role)) ||
        jwt_add_grant(jwt, "typ", "access") || jwt_add_grant(jwt, "jti", jti) ||
        jwt_add_grant_int(jwt, "iat", (long)now) || jwt_add_grant_int(jwt, "sid", (long)sid) ||
        jwt_add_grant_int(jwt, "gen", (long)gen) ||
        jwt_add_grant_int(jwt, "exp", (long)(now + lifetime_s)) ||
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret)))
        goto out;
    char *s = jwt_encode_str(jwt);
    if (!s) {
        rc = APS_E_NOMEM;
        goto out;
    }
    *out = aps_strdup(s);
    free(s); /* libjwt allocates with malloc */
    rc = 0;
out:
    jwt_free(jwt);
    return rc;
}

/* Reads the claims of a decoded, signature-checked token. */
static int read_claims(jwt_t *jwt, struct aps_auth_claims *c)
{
    const char *typ = jwt_get_grant(jwt, "typ");
    const char *sub = jwt_get_grant(jwt, "sub");
    const char *role = jwt_get_grant(jwt, "role");
    const char *jti = jwt_get_grant(jwt, "jti");
    if (!typ || strcmp(typ, "access") != 0 || !sub || !role || !jti || strlen(jti) != 32)
        return APS_E_INTEGRITY;
    if (aps_parse_int64(sub, &c->user_id) || c->user_id <= 0)
        return APS_E_INTEGRITY;
    int r = aps_role_parse(role);
    if (r < 0)
        return APS_E_INTEGRITY;
    c->role = (enum aps_role)r;
    errno = 0;
    c->iat = jwt_get_grant_int(jwt, "iat");
    if (errno)
        return APS_E_INTEGRITY;
    c->exp = jwt_get_grant_int(jwt, "exp");
    if (errno || c->exp <= c->iat)
        return APS_E_INTEGRITY;
    c->sid = jwt_get_grant_int(jwt, "sid");
    if (errno || c->sid <= 0)
        return APS_E_INTEGRITY;
    c->gen = jwt_get_grant_int(jwt, "gen");
    if (errno || c->gen < 0)
        return APS_E_INTEGRITY;
    memcpy(c->jti, jti, sizeof c->jti);
    return 0;
}

int aps_auth_token_verify(const char *secret, const char *token, int64_t now,
                          struct aps_auth_claims *out)
{
    jwt_t *jwt = NULL;
    struct aps_auth_claims c = {0};
    if (!secret || !*secret || !token || strlen(token) > TOKEN_MAX_LEN)
        return APS_E_INTEGRITY;
    if (jwt_decode(&jwt, token, (const unsigned char *)secret, (int)strlen(secret)) || !jwt)
        return APS_E_INTEGRITY;
    int rc = jwt_get_alg(jwt) == JWT_ALG_HS256 ? read_claims(jwt, &c) : APS_E_INTEGRITY;
    jwt_free(jwt);
    if (rc)
        return rc;
    /* A token from the future (beyond a minute of clock skew) was not made by us. */
    if (c.iat > now + 60)
        return APS_E_INTEGRITY;
    if (c.exp <= now)
        return APS_E_TIMEOUT;
    *out = c;
    return 0;
}
