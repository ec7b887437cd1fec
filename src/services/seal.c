/* seal.c — the keyring and the sealed-value format of seal.h. */
#include "services/seal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "enc:v1:"
#define MAX_KEYS 8
#define KID_MAX 16

struct seal_key {
    char kid[KID_MAX + 1];
    unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
};

/* The process's keyring: written by aps_seal_configure at start, read-only afterwards. */
static struct {
    struct seal_key keys[MAX_KEYS];
    int n;
    unsigned char fingerprint[crypto_generichash_BYTES]; /* of the configured list */
} g_seal;

static bool kid_ok(const char *s, size_t n)
{
    if (n == 0 || n > KID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

/* Parses one "kid:base64" item of n bytes into k. */
static int parse_key(const char *s, size_t n, struct seal_key *k, char *err, size_t errcap)
{
    const char *colon = memchr(s, ':', n);
    size_t klen = colon ? (size_t)(colon - s) : 0, got = 0;
    if (!colon || !kid_ok(s, klen)) {
        snprintf(err, errcap, "DATA_ENCRYPTION_KEYS: each key is kid:base64 with a kid of 1 to %d"
                              " of [a-z0-9_-]", KID_MAX);
        return APS_E_CONFIG;
    }
    memcpy(k->kid, s, klen);
    k->kid[klen] = '\0';
    if (sodium_base642bin(k->key, sizeof k->key, colon + 1, n - klen - 1, " \t", &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        got != sizeof k->key) {
        snprintf(err, errcap, "DATA_ENCRYPTION_KEYS: key '%s' is not 32 bytes of base64 (make"
                              " one with: openssl rand -base64 32)", k->kid);
        return APS_E_CONFIG;
    }
    return 0;
}

int aps_seal_configure(const char *keys, char *err, size_t errcap)
{
    unsigned char fp[crypto_generichash_BYTES];
    struct seal_key parsed[MAX_KEYS];
    int n = 0;
    if (sodium_init() < 0) {
        snprintf(err, errcap, "libsodium cannot start (no random source)");
        return APS_E_CONFIG;
    }
    keys = keys ? keys : "";
    crypto_generichash(fp, sizeof fp, (const unsigned char *)keys, strlen(keys), NULL, 0);
    if (sodium_memcmp(fp, g_seal.fingerprint, sizeof fp) == 0 && (g_seal.n || !*keys))
        return 0;
    for (const char *p = keys; *p;) {
        size_t len = strcspn(p, ",");
        if (n == MAX_KEYS) {
            snprintf(err, errcap, "DATA_ENCRYPTION_KEYS: at most %d keys", MAX_KEYS);
            return APS_E_CONFIG;
        }
        int rc = parse_key(p, len, &parsed[n], err, errcap);
        if (rc) {
            sodium_memzero(parsed, sizeof parsed);
            return rc;
        }
        for (int i = 0; i < n; i++)
            if (!strcmp(parsed[i].kid, parsed[n].kid)) {
                snprintf(err, errcap, "DATA_ENCRYPTION_KEYS: key id '%s' given twice",
                         parsed[n].kid);
                sodium_memzero(parsed, sizeof parsed);
                return APS_E_CONFIG;
            }
        n++;
        p += len + (p[len] ? 1 : 0);
    }
    sodium_memzero(&g_seal, sizeof g_seal);
    memcpy(g_seal.keys, parsed, sizeof parsed);
    g_seal.n = n;
    memcpy(g_seal.fingerprint, fp, sizeof fp);
    sodium_memzero(parsed, sizeof parsed);
    return 0;
}

bool aps_seal_enabled(void)
{
    return g_seal.n > 0;
}

const char *aps_seal_current_kid(void)
{
    return g_seal.n ? g_seal.keys[0].kid : "";
}

int aps_seal(const char *plain, const char *ad, char *out, size_t cap)
{
    enum { NB = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
           AB = crypto_aead_xchacha20poly1305_ietf_ABYTES };
    unsigned char box[NB + 128 + AB];
    unsigned long long clen = 0;
    size_t plen = strlen(plain);
    if (!g_seal.n)
        return snprintf(out, cap, "%s", plain) < (int)cap ? 0 : APS_E_TOOBIG;
    if (plen > 128)
        return APS_E_TOOBIG;
    const struct seal_key *k = &g_seal.keys[0];
    randombytes_buf(box, NB);
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + NB, &clen, (const unsigned char *)plain, plen,
                                               (const unsigned char *)ad, strlen(ad), NULL, box,
                                               k->key);
    int head = snprintf(out, cap, PREFIX "%s:", k->kid);
    size_t need = sodium_base64_ENCODED_LEN(NB + clen, sodium_base64_VARIANT_ORIGINAL);
    if (head < 0 || (size_t)head + need > cap)
        return APS_E_TOOBIG;
    sodium_bin2base64(out + head, cap - (size_t)head, box, NB + clen,
                      sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

static const struct seal_key *find_key(const char *kid, size_t n)
{
    for (int i = 0; i < g_seal.n; i++)
        if (strlen(g_seal.keys[i].kid) == n && !memcmp(g_seal.keys[i].kid, kid, n))
            return &g_seal.keys[i];
    return NULL;
}

int aps_unseal(const char *stored, const char *ad, char *out, size_t cap)
{
    enum { NB = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
           AB = crypto_aead_xchacha20poly1305_ietf_ABYTES };
    unsigned char box[NB + 128 + AB];
    unsigned char plain[128 + 1];
    unsigned long long plen = 0;
    size_t blen = 0;
    if (strncmp(stored, PREFIX, strlen(PREFIX)))
        return snprintf(out, cap, "%s", stored) < (int)cap ? 0 : APS_E_TOOBIG;
    const char *kid = stored + strlen(PREFIX);
    const char *colon = strchr(kid, ':');
    const struct seal_key *k = colon ? find_key(kid, (size_t)(colon - kid)) : NULL;
    if (!k)
        return APS_E_NOTFOUND;
    if (sodium_base642bin(box, sizeof box, colon + 1, strlen(colon + 1), NULL, &blen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) ||
        blen < NB + AB ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, box + NB, blen - NB,
                                                   (const unsigned char *)ad, strlen(ad), box,
                                                   k->key))
        return APS_E_INTEGRITY;
    plain[plen] = '\0';
    int rc = snprintf(out, cap, "%s", (char *)plain) < (int)cap ? 0 : APS_E_TOOBIG;
    sodium_memzero(plain, sizeof plain);
    return rc;
}

bool aps_seal_is_current(const char *stored)
{
    if (!g_seal.n)
        return true;
    size_t n = strlen(PREFIX) + strlen(g_seal.keys[0].kid);
    return !strncmp(stored, PREFIX, strlen(PREFIX)) &&
           !strncmp(stored + strlen(PREFIX), g_seal.keys[0].kid, strlen(g_seal.keys[0].kid)) &&
           stored[n] == ':';
}
