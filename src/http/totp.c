/* totp.c — RFC 6238 TOTP (see totp.h). HMAC-SHA1 comes from OpenSSL's one-shot HMAC(), the
 * random secret from libsodium. */
#include "http/totp.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "http/auth.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void aps_totp_secret_new(char out[APS_TOTP_SECRET_CAP])
{
    uint8_t raw[APS_TOTP_SECRET_BYTES];
    if (aps_auth_init())
        abort();
    randombytes_buf(raw, sizeof raw);
    /* 20 bytes always fit the 33-byte buffer. */
    if (aps_totp_base32_encode(raw, sizeof raw, out, APS_TOTP_SECRET_CAP))
        out[0] = '\0';
    sodium_memzero(raw, sizeof raw);
}

int aps_totp_base32_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t need = (n * 8 + 4) / 5, o = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (need + 1 > cap)
        return APS_E_TOOBIG;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return 0;
}

static int b32_value(int ch)
{
    ch = toupper(ch);
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= '2' && ch <= '7')
        return ch - '2' + 26;
    return -1;
}

int aps_totp_base32_decode(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '=' || *s == '-')
            continue;
        int v = b32_value((unsigned char)*s);
        if (v < 0)
            return APS_E_PARSE;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            if (o >= cap)
                return APS_E_TOOBIG;
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    *n = o;
    return 0;
}

int aps_totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits,
                  uint32_t *code)
{
    static const uint32_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                     100000000};
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (digits < 6 || digits > 8 || keylen == 0 || keylen > 64)
        return APS_E_INVAL;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(counter & 0xff);
        counter >>= 8;
    }
    if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof msg, mac, &maclen) || maclen != 20)
        return APS_E_UNSUPPORTED;
    /* Dynamic truncation (RFC 4226 §5.3). */
    int off = mac[19] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    *code = bin % pow10[digits];
    sodium_memzero(mac, sizeof mac);
    return 0;
}

int aps_totp_code(const char *secret_b32, int64_t t, int digits, char out[9])
{
    uint8_t key[64];
    size_t n = 0;
    uint32_t code = 0;
    if (t < 0)
        return APS_E_RANGE;
    int rc = aps_totp_base32_decode(secret_b32, key, sizeof key, &n);
    if (!rc)
        rc = aps_totp_hotp(key, n, (uint64_t)t / APS_TOTP_STEP, digits, &code);
    sodium_memzero(key, sizeof key);
    if (rc)
        return rc;
    snprintf(out, 9, "%0*u", digits, (unsigned)code);
    return 0;
}

int64_t aps_totp_match(const char *secret_b32, const char *code, int64_t now, int64_t after)
{
    char want[9];
    int64_t step = -1;
    if (!secret_b32 || !code || strlen(code) != APS_TOTP_DIGITS)
        return -1;
    for (int d = -APS_TOTP_WINDOW; d <= APS_TOTP_WINDOW; d++) {
        int64_t t = now + (int64_t)d * APS_TOTP_STEP;
        if (aps_totp_code(secret_b32, t, APS_TOTP_DIGITS, want))
            return -1;
        /* Every step is compared so the time does not say which one matched. */
        if (sodium_memcmp(want, code, APS_TOTP_DIGITS) == 0 && t / APS_TOTP_STEP > after)
            step = t / APS_TOTP_STEP;
    }
    return step;
}

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
static void put_encoded(struct aps_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~')
            aps_buf_putc(b, (char)ch);
        else
            aps_buf_printf(b, "%%%02X", ch);
    }
}

int aps_totp_uri(const char *secret_b32, const char *account, char *out, size_t cap)
{
    struct aps_buf b = {0};
    aps_buf_puts(&b, "otpauth://totp/");
    put_encoded(&b, APS_TOTP_ISSUER);
    aps_buf_putc(&b, ':');
    put_encoded(&b, account);
    aps_buf_printf(&b, "?secret=%s&issuer=", secret_b32);
    put_encoded(&b, APS_TOTP_ISSUER);
    aps_buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d", APS_TOTP_DIGITS, APS_TOTP_STEP);
    int rc = b.len + 1 > cap ? APS_E_TOOBIG : 0;
    if (!rc)
        memcpy(out, aps_buf_str(&b), b.len + 1);
    aps_buf_cleanup(&b);
    return rc;
}
