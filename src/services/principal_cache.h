/* principal_cache.h — bearer tokens verified once per token, not once per request.
 *
 * aps_principal_verify() answers as aps_auth_token_verify() (http/auth.h) does, from a bounded
 * in-process cache of the tokens that verified: a token seen before under the same secret, and
 * not yet expired, gives back its claims without the signature check and the JSON parse. A miss,
 * an expired token and every failure go through aps_auth_token_verify() (failures are never
 * remembered). What the cache holds depends only on the token's bytes and the secret: whether
 * the token's user, session and generation are still good is checked on every request after it
 * (services/authn.c), so logout, a role or password change and deactivation take effect on the
 * next request as before. A change of the key set (a rotation, a key removed) empties the cache,
 * so a token whose key was removed is refused on its next use.
 *
 * Bounds: APS_PRINCIPAL_SETS × APS_PRINCIPAL_WAYS entries, the least recently used of a set
 * making room; tokens longer than APS_PRINCIPAL_TOKEN_MAX - 1 bytes are verified every time.
 * Entries are found by a keyed hash (SipHash, a random key per process) and compared in constant
 * time, so lookups tell nothing about the tokens of others. Thread-safe. */
#ifndef APS_SERVICES_PRINCIPAL_CACHE_H
#define APS_SERVICES_PRINCIPAL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "http/auth.h"

#define APS_PRINCIPAL_SETS 256
#define APS_PRINCIPAL_WAYS 4
#define APS_PRINCIPAL_TOKEN_MAX 640

/* Same contract as aps_auth_token_verify_keys(): the token checked against a set of keys. */
int aps_principal_verify_keys(const char *const *secrets, size_t nkeys, const char *token,
                              int64_t now, struct aps_auth_claims *out) APS_MUST_CHECK;

/* Same contract as aps_auth_token_verify(): one key. */
int aps_principal_verify(const char *secret, const char *token, int64_t now,
                         struct aps_auth_claims *out) APS_MUST_CHECK;

/* Forgets every entry (the invalidation hooks of services/authn.c call it too). */
void aps_principal_cache_clear(void);

/* Answers from the cache and verifications done since the process started (tests, metrics). */
struct aps_principal_cache_counts {
    uint64_t hits, misses;
};
void aps_principal_cache_counts(struct aps_principal_cache_counts *out);

#endif
