/* authn.h — the authenticate hook of the HTTP server (http.h struct aps_http_hooks): who is
 * calling, from `Authorization: Bearer <access token>` or `X-API-Key: <key>`.
 *
 * Bearer: the token's signature, alg (HS256 only), typ and expiry are checked with JWT_SECRET
 * (expired → 401 TOKEN_EXPIRED, anything else wrong → 401 INVALID_TOKEN), once per token: a
 * token that verified is remembered (services/principal_cache.h) and only its expiry checked
 * again; then, on every request, against the
 * store, the user must still exist and be active, the token's session family ("sid") must still
 * have a live row (logout, a password or role change and refresh reuse end it) and the token's
 * generation ("gen") must equal the user's token_gen (a password or role change bumps it). The
 * role used is the user's current role in the store. So all of these take effect on the very
 * next request, in every process.
 * API key: looked up by its SHA-256; unknown, revoked or expired → 401 INVALID_API_KEY; the
 * owner must be active and their current role must hold API access (APS_PERM_API_KEYS: pro and
 * above), else 401 INVALID_API_KEY too, so a key stops working when its owner is moved to a role
 * without it and works again if they get such a role back; the role is the owner's and
 * req->who.rate_limit_per_min the key's own.
 * No credential: anonymous (the server answers 401/403 from the route's permission).
 * A store that cannot be reached → 503.
 *
 * What a handler reads afterwards: req->who.authenticated, .user_id, .role, .email, and
 * .api_key_id (non-zero when the call came with an API key).
 *
 * Cost: with REDIS_URL the answers are cached in process for up to APS_AUTHN_CACHE_SECONDS and
 * used only while the "authn" generation in Redis is the one they were stored under — read in
 * the rate limiter's round trip (aps_authn_confirm below), or one GET of its own on routes
 * without a limit, instead of a store read (~8 µs a request on SQLite, ~180 µs on PostgreSQL
 * over loopback). Every change of a user, session or key calls aps_authn_changed(), which bumps that
 * generation, so a cached answer is never used after a change anywhere. On SQLite without Redis
 * the generation is shared through a file beside the database (cache.h aps_cache_share_file),
 * one atomic load a request; without either the store is read on every request (another
 * process's change could not be heard of otherwise). */
#ifndef APS_SERVICES_AUTHN_H
#define APS_SERVICES_AUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "http/http.h"

#ifndef APS_AUTHN_CACHE_SECONDS /* a build may override it (0 turns the cache off) */
#define APS_AUTHN_CACHE_SECONDS 5.0
#endif

/* app is the struct aps_app * given to the server as the hooks' ctx. Returns 0 (req->who filled,
 * anonymous included) or 1 with res set (401, or 503 when the store is unreachable). */
int aps_authn_hook(void *app, struct aps_http_req *req, struct aps_http_res *res);

struct aps_app;

/* Confirming a cached answer in the rate limiter's round trip. With Redis, the hook looks this
 * process's cached answers up under the generation it last heard of, without asking, and marks
 * such a who unconfirmed (http.h); a refusal is never made that way. The rate-limit hook reads
 * the generation in the same script as its count (the key and seed from
 * aps_authn_generation_ref; APS_E_UNSUPPORTED without Redis, APS_E_STATE while this process has
 * unsent bumps) and passes what it read to aps_authn_confirm (have false when it read nothing:
 * then it is read here). The same generation confirms who; another one, or none, decides again
 * from the store and checks the route's role: 0, or 1 with res set (401, 403, 503). So one Redis
 * round trip a request serves both, and a change is still seen on the very next request: a
 * request that raced it at most counts once against its user's rate limit. */
int aps_authn_generation_ref(struct aps_app *app, char *key, size_t keycap,
                             char seed[24]) APS_MUST_CHECK;
int aps_authn_confirm(struct aps_app *app, bool have, int64_t gen, struct aps_http_req *req,
                      struct aps_http_res *res);

/* Call after any change to a user's role, activity or password, a session or an API key: every
 * cached answer, in every process, is dropped before the next request. */
void aps_authn_changed(struct aps_app *app);
/* Drops this process's cached entries (the verified tokens too). */
void aps_authn_cache_clear(void);

#endif
