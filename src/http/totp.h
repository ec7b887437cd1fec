/* totp.h — time-based one-time passwords, RFC 6238 over RFC 4226 HOTP with HMAC-SHA1: a 30 s
 * step, 6 digits (8 supported for the RFC's test vectors), ±1 step accepted when verifying and
 * only steps later than the last one accepted (aps_totp_match), 160-bit secrets written in
 * RFC 4648 base32 without padding, and the otpauth:// URI that authenticator apps scan (issuer
 * "AI PRO SPORTS"). Pure functions; thread-safe. */
#ifndef APS_HTTP_TOTP_H
#define APS_HTTP_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define APS_TOTP_STEP 30
#define APS_TOTP_DIGITS 6
#define APS_TOTP_WINDOW 1
#define APS_TOTP_SECRET_BYTES 20
#define APS_TOTP_SECRET_CAP 33 /* 20 bytes → 32 base32 characters + NUL */
#define APS_TOTP_ISSUER "AI PRO SPORTS"

/* A new random 160-bit secret in base32. */
void aps_totp_secret_new(char out[APS_TOTP_SECRET_CAP]);
/* Decodes base32 (A–Z, 2–7; case, spaces and '=' padding tolerated) into out. APS_E_PARSE for
 * other characters, APS_E_TOOBIG when it does not fit in cap. */
int aps_totp_base32_decode(const char *s, uint8_t *out, size_t cap, size_t *n) APS_MUST_CHECK;
/* Encodes n bytes as base32 without padding; APS_E_TOOBIG when out is too small. */
int aps_totp_base32_encode(const uint8_t *in, size_t n, char *out, size_t cap) APS_MUST_CHECK;

/* RFC 4226 HOTP value for a counter: digits 6..8. */
int aps_totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits,
                  uint32_t *code) APS_MUST_CHECK;
/* The code for time t (seconds since the epoch) as a zero-padded string of `digits` digits. */
int aps_totp_code(const char *secret_b32, int64_t t, int digits, char out[9]) APS_MUST_CHECK;
/* The time step (t / APS_TOTP_STEP) whose code equals code (6 digits), among the step of now and
 * one step either side that are later than `after` (pass -1 for any); the latest when two
 * match. -1 when none does. Every step of the window is compared, in constant time in the
 * digits. RFC 6238 §5.2 has a code accepted at most once: the caller records the step returned
 * and passes it as `after` next time. */
int64_t aps_totp_match(const char *secret_b32, const char *code, int64_t now, int64_t after);
/* otpauth://totp/AI%20PRO%20SPORTS:<account>?secret=…&issuer=AI%20PRO%20SPORTS&algorithm=SHA1
 * &digits=6&period=30, with the account percent-encoded. APS_E_TOOBIG when out is too small. */
int aps_totp_uri(const char *secret_b32, const char *account, char *out,
                 size_t cap) APS_MUST_CHECK;

#endif
