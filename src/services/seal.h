/* seal.h — encryption at rest of the small secrets the store keeps in a form that must be
 * read back (TOTP seeds: users.totp_secret and totp_pending; API keys and refresh tokens are
 * stored as SHA-256 hashes and need none).
 *
 * Keys: the secret DATA_ENCRYPTION_KEYS, a comma list "kid:base64" of 32-byte keys, from the
 * secrets directory (APS_SECRETS_DIR/DATA_ENCRYPTION_KEYS); the first is the current key, which
 * seals; every listed key opens. A sealed value is "enc:v1:<kid>:<base64(nonce ‖ ciphertext)>",
 * XChaCha20-Poly1305 (libsodium) with additional data naming its row ("users:<id>"), so a value
 * copied to another row does not open. Without keys, values are stored as they are.
 *
 * Rotation: put the new key first and keep the old one after it (every process restarts with
 * both: old values still open, new ones are sealed with the new key); run `aps secrets reseal`,
 * which re-seals every stored value with the current key (and seals values stored in clear
 * before keys were configured); then drop the old key.
 *
 * The keyring is one process-wide structure, filled once at start (aps_seal_configure, before
 * any thread uses it) and read-only afterwards. */
#ifndef APS_SERVICES_SEAL_H
#define APS_SERVICES_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define APS_SEAL_MAX 256 /* a sealed value of a short secret fits this (with its NUL) */

/* Parses keys (NULL or "": no encryption) and installs them. A malformed list is APS_E_CONFIG
 * with one line in err that never shows key material. Calling it again with the same list is a
 * no-op; with another list it replaces the keyring (start-up and tests only). */
int aps_seal_configure(const char *keys, char *err, size_t errcap) APS_MUST_CHECK;
/* True when a current key is configured. */
bool aps_seal_enabled(void);
/* The current key's id, or "" without keys. */
const char *aps_seal_current_kid(void);

/* Seals plain for the row named ad into out (cap >= APS_SEAL_MAX); without keys copies plain.
 * APS_E_TOOBIG when it does not fit. */
int aps_seal(const char *plain, const char *ad, char *out, size_t cap) APS_MUST_CHECK;
/* Opens stored (sealed, or a clear value from before keys were set) into out.
 * APS_E_NOTFOUND: sealed with a key id not configured; APS_E_INTEGRITY: it does not open (wrong
 * key, another row's value, tampered); APS_E_TOOBIG: out too small. */
int aps_unseal(const char *stored, const char *ad, char *out, size_t cap) APS_MUST_CHECK;
/* True when stored is sealed with the current key (nothing to re-seal); false for a clear
 * value or another key's. Always true without keys. */
bool aps_seal_is_current(const char *stored);

#endif
