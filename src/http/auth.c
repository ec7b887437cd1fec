/* auth.c — credential primitives (see auth.h): libsodium for Argon2id, randomness, SHA-256 and
 * constant-time comparison; libjwt 1.10 for HS256 access tokens; libunistring for the NFC form
 * and code-point count of passwords. No store, no logging. The common-password list is the one
 * piece of process-wide state: loaded once, read-only afterwards. */
#include "http/auth.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>
#include <unistr.h>

#include "core/buf.h"
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

/* ---- password policy ---------------------------------------------------------------------- */

/* The NFC form of password (aps_malloc'd, NUL-terminated), or NULL when it is not valid UTF-8. */
static char *nfc_of(const char *password)
{
    size_t n = strlen(password), outn = 0;
    if (u8_check((const uint8_t *)password, n))
        return NULL;
    uint8_t *norm = u8_normalize(UNINORM_NFC, (const uint8_t *)password, n, NULL, &outn);
    if (!norm)
        return NULL;
    char *out = aps_malloc(outn + 1);
    memcpy(out, norm, outn);
    out[outn] = '\0';
    aps_free(norm); /* libunistring allocates with malloc */
    return out;
}

/* The common-password list: sorted lower-case words, loaded once. */
static struct {
    pthread_mutex_t mu;
    char *text;
    const char **words;
    size_t n;
} blocklist = {.mu = PTHREAD_MUTEX_INITIALIZER};
static _Atomic size_t blocklist_ready; /* n, published after the words */

static int cmp_word(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int aps_auth_blocklist_load(const char *path)
{
    pthread_mutex_lock(&blocklist.mu);
    if (blocklist.words) {
        pthread_mutex_unlock(&blocklist.mu);
        return 0;
    }
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        pthread_mutex_unlock(&blocklist.mu);
        return errno == ENOENT || !path ? APS_E_NOTFOUND : APS_E_IO;
    }
    struct aps_buf b = {0};
    char line[256];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        size_t l = strcspn(line, "\r\n");
        line[l] = '\0';
        for (size_t i = 0; i < l; i++)
            line[i] = (char)tolower((unsigned char)line[i]);
        if (l) {
            aps_buf_append(&b, line, l + 1);
            n++;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad || !n) {
        aps_buf_cleanup(&b);
        pthread_mutex_unlock(&blocklist.mu);
        return APS_E_IO;
    }
    const char **words = aps_malloc(n * sizeof *words);
    size_t k = 0;
    for (size_t off = 0; off < b.len && k < n; off += strlen(b.data + off) + 1)
        words[k++] = b.data + off;
    qsort(words, k, sizeof *words, cmp_word);
    blocklist.text = b.data; /* kept for the life of the process */
    blocklist.words = words;
    blocklist.n = k;
    atomic_store(&blocklist_ready, k);
    pthread_mutex_unlock(&blocklist.mu);
    return 0;
}

size_t aps_auth_blocklist_size(void)
{
    return atomic_load(&blocklist_ready);
}

static bool listed(const char *w)
{
    size_t n = atomic_load(&blocklist_ready);
    return n && *w && bsearch(&w, blocklist.words, n, sizeof *blocklist.words, cmp_word);
}

/* A common password: the whole (lower-cased) or its letters once the ASCII digits, symbols and
 * spaces around them are gone. */
static bool common_password(const char *nfc)
{
    size_t n = strlen(nfc);
    char *low = aps_malloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)nfc[i]);
    char *start = low, *end = low + n;
    while (start < end && (unsigned char)*start < 0x80 && !isalpha((unsigned char)*start))
        start++;
    while (end > start && (unsigned char)end[-1] < 0x80 && !isalpha((unsigned char)end[-1]))
        end--;
    bool hit = listed(low);
    *end = '\0';
    hit = hit || listed(start);
    aps_free(low);
    return hit;
}

int aps_auth_password_check(const char *password, const char **why)
{
    *why = NULL;
    if (!password || strlen(password) > APS_AUTH_PASSWORD_MAX_BYTES) {
        *why = !password ? "must be at least 12 characters" : "must be at most 256 characters";
        return APS_E_INVAL;
    }
    char *nfc = nfc_of(password);
    if (!nfc) {
        *why = "must be valid UTF-8";
        return APS_E_INVAL;
    }
    size_t n = strlen(nfc);
    size_t points = u8_mbsnlen((const uint8_t *)nfc, n);
    if (points < APS_AUTH_PASSWORD_MIN)
        *why = "must be at least 12 characters";
    else if (points > APS_AUTH_PASSWORD_MAX)
        *why = "must be at most 256 characters";
    else if (aps_str_blank(nfc))
        *why = "must not be only spaces";
    for (size_t i = 0; !*why && i < n; i++)
        if ((unsigned char)nfc[i] < 0x20 || nfc[i] == 0x7f)
            *why = "must not contain control characters";
    if (!*why && common_password(nfc))
        *why = "is a common password (or one with digits and symbols around it); choose another";
    aps_free(nfc);
    return *why ? APS_E_INVAL : 0;
}

/* Hash and verify work on the NFC form; text that is not UTF-8 is taken as it is. */
static int pwhash_str(char out[APS_AUTH_HASH_CAP], const char *password)
{
    char *nfc = nfc_of(password);
    const char *p = nfc ? nfc : password;
    int rc = crypto_pwhash_str(out, p, strlen(p), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    if (nfc) {
        sodium_memzero(nfc, strlen(nfc));
        aps_free(nfc);
    }
    return rc;
}

int aps_auth_password_hash(const char *password, char out[APS_AUTH_HASH_CAP])
{
    if (aps_auth_init())
        return APS_E_UNSUPPORTED;
    if (pwhash_str(out, password) != 0)
        return APS_E_NOMEM;
    return 0;
}

bool aps_auth_password_verify(const char *hash, const char *password)
{
    if (!hash || !password || aps_auth_init())
        return false;
    char *nfc = nfc_of(password);
    const char *p = nfc ? nfc : password;
    bool ok = crypto_pwhash_str_verify(hash, p, strlen(p)) == 0;
    if (nfc) {
        sodium_memzero(nfc, strlen(nfc));
        aps_free(nfc);
    }
    return ok;
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
    _Static_assert(APS_AUTH_KEY_CAP >= sizeof "aps_" - 1 + APS_AUTH_TOKEN_CAP,
                   "an API key holds aps_ and a whole token");
    memcpy(key, "aps_", 4);
    memcpy(key + 4, tok, strlen(tok) + 1);
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

/* Eight bytes a step: the differences are OR-ed together and looked at once, after the last
 * byte. The empty asm makes the accumulator opaque to the compiler at every step, so it cannot
 * turn the loop into one that stops at the first difference (sodium_memcmp gets the same from a
 * volatile byte loop, eight times the steps: it was the largest user-space cost of a cached
 * bearer token's check, which compares the whole token). */
bool aps_auth_equal(const char *a, const char *b)
{
    size_t n = strlen(a), i = 0;
    if (n != strlen(b))
        return false;
    uint64_t d = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d |= x ^ y;
        __asm__ volatile("" : "+r"(d));
    }
    for (; i < n; i++) {
        d |= (uint64_t)((unsigned char)a[i] ^ (unsigned char)b[i]);
        __asm__ volatile("" : "+r"(d));
    }
    return d == 0;
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
    char kid[APS_AUTH_KID_CAP];
    aps_auth_key_id(secret, kid);
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
        jwt_add_header(jwt, "kid", kid) ||
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret)))
        goto out;
    char *s = jwt_encode_str(jwt);
    if (!s) {
        rc = APS_E_NOMEM;
        goto out;
    }
    *out = aps_strdup(s);
    aps_free(s); /* libjwt allocates with malloc */
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

void aps_auth_key_id(const char *secret, char out[APS_AUTH_KID_CAP])
{
    unsigned char h[8];
    static const char ctx[] = "aps-jwt-kid";
    out[0] = '\0';
    if (!secret || aps_auth_init())
        return;
    crypto_generichash(h, sizeof h, (const unsigned char *)secret, strlen(secret),
                       (const unsigned char *)ctx, sizeof ctx - 1);
    sodium_bin2hex(out, APS_AUTH_KID_CAP, h, sizeof h);
}

/* The kid named in the token's header, without checking anything else: "" when the header has
 * none or cannot be read (the signature check decides what the token is worth). */
static void header_kid(const char *token, char out[APS_AUTH_KID_CAP])
{
    unsigned char head[512];
    size_t n = 0;
    const char *dot = strchr(token, '.');
    out[0] = '\0';
    if (!dot || sodium_base642bin(head, sizeof head - 1, token, (size_t)(dot - token), NULL, &n,
                                  NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return;
    json_t *h = json_loadb((const char *)head, n, 0, NULL);
    const char *kid = json_string_value(json_object_get(h, "kid"));
    if (kid && strlen(kid) < APS_AUTH_KID_CAP)
        memcpy(out, kid, strlen(kid) + 1);
    else if (kid)
        memcpy(out, "?", 2); /* a kid no key of ours can have */
    json_decref(h);
}

int aps_auth_token_verify_keys(const char *const *secrets, size_t n, const char *token, int64_t now,
                               struct aps_auth_claims *out)
{
    char want[APS_AUTH_KID_CAP], kid[APS_AUTH_KID_CAP];
    if (!token || strlen(token) > TOKEN_MAX_LEN)
        return APS_E_INTEGRITY;
    header_kid(token, want);
    int rc = APS_E_INTEGRITY;
    for (size_t i = 0; i < n; i++) {
        if (!secrets[i] || !*secrets[i])
            continue;
        aps_auth_key_id(secrets[i], kid);
        if (*want && strcmp(want, kid))
            continue;
        rc = aps_auth_token_verify(secrets[i], token, now, out);
        if (rc != APS_E_INTEGRITY || *want)
            return rc;
    }
    return rc;
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
