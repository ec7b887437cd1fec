/* auth.h — the credential primitives of the API (DESIGN §8, reference §6.2), with no store:
 * Argon2id password hashing and the password policy, HS256 access tokens, opaque refresh tokens
 * and API keys (random, shown once, stored as SHA-256 hex), and constant-time comparison.
 * Persistence lives in src/services/accounts.c; the per-request check in src/services/authn.c.
 *
 * Every function is thread-safe. aps_auth_init() must have run once (it is cheap to call again);
 * the other functions call it themselves where libsodium needs it. */
#ifndef APS_HTTP_AUTH_H
#define APS_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/perms.h"

#define APS_AUTH_PASSWORD_MIN 12   /* Unicode code points, after NFC normalisation */
#define APS_AUTH_PASSWORD_MAX 256  /* code points */
#define APS_AUTH_PASSWORD_MAX_BYTES (4 * APS_AUTH_PASSWORD_MAX) /* UTF-8 */
#define APS_AUTH_HASH_CAP 128     /* crypto_pwhash_STRBYTES */
#define APS_AUTH_TOKEN_CAP 48     /* 32 random bytes as base64url (43 chars) + NUL */
#define APS_AUTH_KEY_CAP 52       /* "aps_" + 43 chars + NUL */
#define APS_AUTH_KEY_PREFIX_LEN 12 /* "aps_" + 8 chars, shown in listings */
#define APS_AUTH_SHA256_HEX 65    /* 64 hex digits + NUL */

/* Initialises libsodium once per process. APS_E_UNSUPPORTED when it cannot start. */
int aps_auth_init(void) APS_MUST_CHECK;

/* Password policy, on the password in Unicode NFC: valid UTF-8, APS_AUTH_PASSWORD_MIN..MAX code
 * points (so 11 × "é" is 11, whichever way it was typed), not all spaces, no control characters,
 * and not a common password: not in the loaded list (aps_auth_blocklist_load), neither as a
 * whole (case-insensitive) nor once the digits and symbols around it are taken away
 * ("Password2024!" is "password"). Returns 0, or APS_E_INVAL with *why set to a static sentence
 * for the client. */
int aps_auth_password_check(const char *password, const char **why) APS_MUST_CHECK;
/* Loads the common-password list: one word a line (the cracklib-runtime package's
 * /usr/share/dict/cracklib-small, PASSWORD_BLOCKLIST_FILE). The first successful load in the
 * process stays; later calls return 0 at once. APS_E_NOTFOUND / APS_E_IO when it cannot be read. */
int aps_auth_blocklist_load(const char *path) APS_MUST_CHECK;
/* Words in the loaded list (0 before a load). */
size_t aps_auth_blocklist_size(void);
/* Argon2id (crypto_pwhash_str, OPSLIMIT/MEMLIMIT_INTERACTIVE) of the NFC form into out (verify
 * normalises too, so a password typed composed or decomposed is the same). APS_E_NOMEM when the
 * memory for the hash cannot be had. */
int aps_auth_password_hash(const char *password, char out[APS_AUTH_HASH_CAP]) APS_MUST_CHECK;
/* True when password matches the stored hash. */
bool aps_auth_password_verify(const char *hash, const char *password);
/* Spends the time of one verification on a fixed hash, so an unknown e-mail costs the same as a
 * wrong password (no account enumeration by timing). */
void aps_auth_password_dummy_verify(const char *password);

/* Claims of an access token. */
struct aps_auth_claims {
    int64_t user_id;     /* "sub" */
    enum aps_role role;  /* "role" */
    int64_t iat, exp;
    int64_t sid;         /* the session family the token belongs to (logout ends it) */
    int64_t gen;         /* the user's token generation when it was signed */
    char jti[33];
};

/* Signs an HS256 access token {sub, role, sid, gen, iat, exp, jti, typ:"access"} with secret;
 * the header names the key (kid, below).
 * sid > 0 names the session family, gen >= 0 the user's token generation; the per-request check
 * (src/services/authn.c) refuses the token once either has moved on.
 * *out is malloc'd (free with aps_free). */
int aps_auth_token_issue(const char *secret, int64_t user_id, enum aps_role role, int64_t sid,
                         int64_t gen, int64_t now, int lifetime_s, char **out) APS_MUST_CHECK;
/* Verifies signature, alg (HS256 only; "none" and every other alg refused), typ, exp and the
 * claims (sid and gen included). Returns 0 with *out filled, APS_E_TIMEOUT when well signed but expired, or
 * APS_E_INTEGRITY for anything else (malformed, tampered, wrong alg, bad claims). */
int aps_auth_token_verify(const char *secret, const char *token, int64_t now,
                          struct aps_auth_claims *out) APS_MUST_CHECK;

/* Key ids. Every token carries in its header the kid of the key that signed it: 16 hex digits of
 * a BLAKE2b hash of the key, so every process derives the same id from the same key without
 * sharing anything else, and the id tells nothing of the key. */
#define APS_AUTH_KID_CAP 17
void aps_auth_key_id(const char *secret, char out[APS_AUTH_KID_CAP]);
/* As aps_auth_token_verify, against a set of keys (n of them; NULL or empty entries skipped): the
 * key whose kid the token's header names checks it; a token without a kid (signed before
 * kids existed) is tried with each key; a kid no key has is refused (APS_E_INTEGRITY). */
int aps_auth_token_verify_keys(const char *const *secrets, size_t n, const char *token,
                               int64_t now, struct aps_auth_claims *out) APS_MUST_CHECK;

/* 32 random bytes as unpadded base64url (43 characters). */
void aps_auth_random_token(char out[APS_AUTH_TOKEN_CAP]);
/* Lower-case hex SHA-256 of a NUL-terminated string. */
void aps_auth_sha256_hex(const char *s, char out[APS_AUTH_SHA256_HEX]);
/* A new API key "aps_<43 chars>", its visible prefix and its SHA-256 hex. */
void aps_auth_api_key_new(char key[APS_AUTH_KEY_CAP], char prefix[APS_AUTH_KEY_PREFIX_LEN + 1],
                          char hash[APS_AUTH_SHA256_HEX]);
/* True when s has the shape of an API key (so junk never reaches the store). */
bool aps_auth_api_key_shape(const char *s);
/* Constant-time equality of two strings (time depends only on the lengths). */
bool aps_auth_equal(const char *a, const char *b);

#endif
