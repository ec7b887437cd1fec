/* authn.c — the authenticate hook (see authn.h).
 *
 * The status cache is the one piece of process-wide state in this file, written down here on
 * purpose: the hook's signature gives it only the application context, which has no slot for
 * it, and a per-request store read costs ~180 µs on PostgreSQL. It is a fixed table of slots
 * (direct-mapped by user id or key hash) under one mutex; an entry is used only while the
 * "authn" generation in Redis still equals the one it was stored under (one GET per request)
 * and for at most APS_AUTHN_CACHE_SECONDS. Entries are keyed by the store too, so two
 * applications in one process (tests) never share an answer. Without Redis, a SQLite store's
 * processes share the generation through a file (cache.h aps_cache_share_file; one atomic
 * load per request); without either there is no cache: another process's change could not be
 * seen, so every request reads the store.
 *
 * The store is read on the primary, never on a read replica (DATABASE_REPLICA_URL): a replica
 * behind the primary does not have a session just opened (sign-in, refresh) or a key just made,
 * and still has one just revoked (logout, password or role change, a revoked key), so it would
 * refuse the one and accept the other until it caught up; and an answer read there after a
 * change could be cached under the generation that change moved to. With the cache, that read
 * is made once per user (or key) and generation, at most every APS_AUTHN_CACHE_SECONDS; without
 * it, once per request. Only when the primary cannot be reached (down, or being failed over)
 * is the replica asked, so that reads stay served through a failover as the replica serves them;
 * a change made in the replica's last lag before the primary went down then counts once the
 * replica has replayed it, and such an answer is not cached. */
#include "services/authn.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cache/cache.h"
#include "config/config.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/auth.h"
#include "services/accounts.h"
#include "services/app.h"
#include "services/principal_cache.h"
#include "store/store.h"

#define SLOTS 1024
#define TOUCH_EVERY 60 /* seconds between last_used_at updates of one key */
#define GEN_TAG "authn"

struct user_slot {
    const struct aps_store *st;
    int64_t user_id, sid, gen;
    double until;
    struct aps_user_status status;
};

struct key_slot {
    const struct aps_store *st;
    char hash[APS_AUTH_SHA256_HEX];
    int64_t gen;
    double until;
    struct aps_api_key_owner owner;
};

static struct {
    pthread_mutex_t lock;
    struct user_slot users[SLOTS];
    struct key_slot keys[SLOTS];
} status_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The generation entries must carry to be used now; false when there is no shared cache to
 * hear other processes' changes through (or it does not answer): then nothing is cached. */
static bool cache_generation(struct aps_app *app, int64_t *gen)
{
    return APS_AUTHN_CACHE_SECONDS > 0 && app->cache && aps_cache_generations_shared(app->cache) &&
           aps_cache_generation(app->cache, GEN_TAG, gen) == 0;
}

/* The generation to look cached entries up under without a round trip: the shared file's
 * (*exact), or the one this process last heard from Redis, which aps_authn_confirm checks. */
static bool hint_generation(struct aps_app *app, int64_t *gen, bool *exact)
{
    return APS_AUTHN_CACHE_SECONDS > 0 && app->cache &&
           aps_cache_generation_hint(app->cache, GEN_TAG, gen, exact) == 0;
}

/* Where an answer may come from: this process's cache under the generation last heard of (then
 * confirmed later), its cache under the generation read now, or the store alone. */
enum source { FROM_HINT, FROM_EXACT, FROM_STORE };

/* Marks who as resting on a status cached under gen, unless gen is exact. */
static void mark_unconfirmed(struct aps_principal *who, int64_t gen, bool exact)
{
    who->unconfirmed = !exact;
    who->unconfirmed_gen = gen;
}

static unsigned user_slot_of(int64_t id, int64_t sid)
{
    return (unsigned)(((uint64_t)id * 31u + (uint64_t)sid) % SLOTS);
}

static bool user_cached(const struct aps_store *st, int64_t id, int64_t sid, int64_t gen,
                        struct aps_user_status *out)
{
    bool hit = false;
    pthread_mutex_lock(&status_cache.lock);
    struct user_slot *s = &status_cache.users[user_slot_of(id, sid)];
    if (s->st == st && s->user_id == id && s->sid == sid && s->gen == gen &&
        s->until > aps_time_mono()) {
        *out = s->status;
        hit = true;
    }
    pthread_mutex_unlock(&status_cache.lock);
    return hit;
}

static void user_remember(const struct aps_store *st, int64_t id, int64_t sid, int64_t gen,
                          const struct aps_user_status *v)
{
    pthread_mutex_lock(&status_cache.lock);
    struct user_slot *s = &status_cache.users[user_slot_of(id, sid)];
    s->st = st;
    s->user_id = id;
    s->sid = sid;
    s->gen = gen;
    s->status = *v;
    s->until = aps_time_mono() + APS_AUTHN_CACHE_SECONDS;
    pthread_mutex_unlock(&status_cache.lock);
}

static unsigned key_slot_of(const char *hash)
{
    unsigned v = 0;
    for (int i = 0; i < 8; i++)
        v = v * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
    return v % SLOTS;
}

static bool key_cached(const struct aps_store *st, const char *hash, int64_t gen,
                       struct aps_api_key_owner *out)
{
    bool hit = false;
    pthread_mutex_lock(&status_cache.lock);
    struct key_slot *s = &status_cache.keys[key_slot_of(hash)];
    if (s->st == st && !strcmp(s->hash, hash) && s->gen == gen && s->until > aps_time_mono()) {
        *out = s->owner;
        hit = true;
    }
    pthread_mutex_unlock(&status_cache.lock);
    return hit;
}

static void key_remember(const struct aps_store *st, const char *hash, int64_t gen,
                         const struct aps_api_key_owner *v)
{
    pthread_mutex_lock(&status_cache.lock);
    struct key_slot *s = &status_cache.keys[key_slot_of(hash)];
    s->st = st;
    memcpy(s->hash, hash, sizeof s->hash);
    s->gen = gen;
    s->owner = *v;
    s->until = aps_time_mono() + APS_AUTHN_CACHE_SECONDS;
    pthread_mutex_unlock(&status_cache.lock);
}

void aps_authn_cache_clear(void)
{
    aps_principal_cache_clear();
    pthread_mutex_lock(&status_cache.lock);
    for (int i = 0; i < SLOTS; i++) {
        status_cache.users[i].until = 0;
        status_cache.keys[i].until = 0;
    }
    pthread_mutex_unlock(&status_cache.lock);
}

void aps_authn_changed(struct aps_app *app)
{
    aps_authn_cache_clear();
    if (app && app->cache && aps_cache_invalidate(app->cache, GEN_TAG))
        APS_LOG(&app->log, APS_LOG_ERROR, NULL, "cannot invalidate the authentication cache");
}

/* ---- answers ----------------------------------------------------------------------------- */

static int deny(struct aps_http_res *res, const char *code, const char *message,
                const char *www)
{
    aps_http_error(res, 401, code, message);
    if (www)
        aps_http_header_set(res, "WWW-Authenticate", www);
    return 1;
}

/* Runs read(c, arg) on the primary; when the primary cannot be reached (no connection, the
 * connection lost under the read: APS_E_IO, or a server error: APS_E_DB), on the replica instead
 * (the primary again when there is none). *replica says which answered. */
static int read_account(struct aps_store *st, int (*read)(struct aps_conn *, void *), void *arg,
                        bool *replica)
{
    struct aps_conn *c = NULL;
    *replica = false;
    int rc = aps_store_acquire(st, APS_DB_WRITE, &c);
    if (!rc) {
        rc = read(c, arg);
        aps_store_release(c);
        if (rc != APS_E_DB && rc != APS_E_IO)
            return rc;
    }
    int first = rc;
    if (aps_store_acquire(st, APS_DB_READ, &c))
        return first;
    *replica = aps_conn_is_replica(c);
    rc = read(c, arg);
    aps_store_release(c);
    return rc;
}

static int unavailable(struct aps_http_res *res)
{
    aps_http_error(res, 503, "SERVICE_UNAVAILABLE", "the account store cannot be reached");
    aps_http_header_set(res, "Retry-After", "1");
    return 1;
}

struct status_read {
    int64_t id, sid;
    struct aps_user_status *out;
};

static int status_read(struct aps_conn *c, void *arg)
{
    struct status_read *q = arg;
    return aps_accounts_access_status(c, q->id, q->sid, q->out);
}

/* Reads the user's status, as far as src allows: from this process's cache under the generation
 * last heard of (who then marked unconfirmed), else under the generation Redis has now, else
 * from the store, on the primary (see the file's comment). */
static int load_status(struct aps_app *app, int64_t id, int64_t sid, enum source src,
                       struct aps_principal *who, struct aps_user_status *out)
{
    int64_t gen = 0;
    bool exact = false;
    if (src == FROM_HINT && hint_generation(app, &gen, &exact) &&
        user_cached(app->store, id, sid, gen, out)) {
        mark_unconfirmed(who, gen, exact);
        return 0;
    }
    bool cache = src != FROM_STORE && cache_generation(app, &gen);
    if (cache && user_cached(app->store, id, sid, gen, out))
        return 0;
    struct status_read q = {id, sid, out};
    bool replica;
    int rc = read_account(app->store, status_read, &q, &replica);
    if (!rc && cache && !replica)
        user_remember(app->store, id, sid, gen, out);
    return rc;
}

/* Whether the environment requires 2FA of this role (REQUIRE_TWO_FACTOR) and the user has none. */
static bool second_factor_missing(const struct aps_app *app, enum aps_role role, bool two_factor)
{
    return !two_factor && aps_role_needs_two_factor(role) &&
           aps_cfg_bool(app->cfg, APS_SET_REQUIRE_TWO_FACTOR);
}

static int by_bearer(struct aps_app *app, const char *token, enum source src,
                     struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_auth_claims cl;
    struct aps_user_status us;
    /* The current key signs; a staged one and the previous one verify too (docs/operations.md,
     * "Rotating the JWT signing key"). */
    const char *keys[] = {aps_cfg_str(app->cfg, APS_SET_JWT_SECRET),
                          aps_cfg_str(app->cfg, APS_SET_JWT_SECRET_NEXT),
                          aps_cfg_str(app->cfg, APS_SET_JWT_SECRET_PREVIOUS)};
    int rc = aps_principal_verify_keys(keys, 3, token, aps_time_now(), &cl);
    if (rc == APS_E_TIMEOUT)
        return deny(res, "TOKEN_EXPIRED", "the access token has expired; refresh it",
                    "Bearer error=\"invalid_token\", error_description=\"expired\"");
    if (rc)
        return deny(res, "INVALID_TOKEN", "the access token is not valid",
                    "Bearer error=\"invalid_token\"");
    rc = load_status(app, cl.user_id, cl.sid, src, &req->who, &us);
    if (req->who.unconfirmed && (rc || !us.active || !us.session_live || us.token_gen != cl.gen)) {
        /* a refusal is never made on a status that may be out of date */
        req->who.unconfirmed = false;
        rc = load_status(app, cl.user_id, cl.sid, FROM_EXACT, &req->who, &us);
    }
    if (rc == APS_E_NOTFOUND || (!rc && !us.active))
        return deny(res, "INVALID_TOKEN", "the account of this token is disabled or gone",
                    "Bearer error=\"invalid_token\"");
    if (!rc && (!us.session_live || us.token_gen != cl.gen))
        return deny(res, "INVALID_TOKEN",
                    "the access token has been revoked (logout, password or role change)",
                    "Bearer error=\"invalid_token\"");
    if (rc)
        return unavailable(res);
    req->who.authenticated = true;
    req->who.user_id = cl.user_id;
    req->who.role = us.role;
    req->who.second_factor_missing = second_factor_missing(app, us.role, us.two_factor);
    /* who.email holds 127 bytes; a longer address is cut (handlers read the row when exact). */
    (void)aps_str_copy(req->who.email, sizeof req->who.email, us.email);
    return 0;
}

/* Why a key that was found may not be used: APS_E_STATE revoked, APS_E_TIMEOUT expired, else 0. */
static int key_state(const struct aps_api_key_owner *o, int64_t now)
{
    return o->key.revoked                                   ? APS_E_STATE
           : o->key.expires_at && o->key.expires_at <= now ? APS_E_TIMEOUT
                                                            : 0;
}

struct key_read {
    const char *key;
    int64_t now;
    struct aps_api_key_owner *o;
};

/* Looks the key up and, on the primary, stamps last_used_at at most once a minute. */
static int key_read(struct aps_conn *c, void *arg)
{
    struct key_read *q = arg;
    int rc = aps_accounts_api_key_lookup(c, q->key, q->now, q->o);
    if (rc == 0 && !aps_conn_is_replica(c) && q->now - q->o->key.last_used_at >= TOUCH_EVERY) {
        /* Best effort: a failed stamp must not refuse the call. */
        int touched = aps_accounts_api_key_touch(c, q->o->key.id, q->now);
        (void)touched;
    }
    return rc;
}

/* Looks a key up (cache, as load_status does, then the store's primary) and stamps last_used_at
 * at most once a minute. */
static int load_key(struct aps_app *app, const char *key, enum source src,
                    struct aps_principal *who, struct aps_api_key_owner *o)
{
    char hash[APS_AUTH_SHA256_HEX];
    int64_t now = aps_time_now();
    int64_t gen = 0;
    bool exact = false;
    aps_auth_sha256_hex(key, hash);
    /* only a usable key is taken on the hint: a refusal is never made on a stale answer */
    if (src == FROM_HINT && hint_generation(app, &gen, &exact) &&
        key_cached(app->store, hash, gen, o) && !key_state(o, now) && o->active &&
        aps_role_can(o->role, APS_PERM_API_KEYS)) {
        mark_unconfirmed(who, gen, exact);
        return 0;
    }
    bool cache = src != FROM_STORE && cache_generation(app, &gen);
    if (cache && key_cached(app->store, hash, gen, o))
        return key_state(o, now);
    struct key_read q = {key, now, o};
    bool replica;
    int rc = read_account(app->store, key_read, &q, &replica);
    if (cache && !replica && (rc == 0 || rc == APS_E_STATE || rc == APS_E_TIMEOUT))
        key_remember(app->store, hash, gen, o);
    return rc;
}

static int by_api_key(struct aps_app *app, const char *key, enum source src,
                      struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_api_key_owner o;
    if (!aps_auth_api_key_shape(key))
        return deny(res, "INVALID_API_KEY", "the API key is not valid", NULL);
    int rc = load_key(app, key, src, &req->who, &o);
    if (rc == APS_E_NOTFOUND || rc == APS_E_STATE || rc == APS_E_TIMEOUT)
        return deny(res, "INVALID_API_KEY",
                    rc == APS_E_STATE     ? "the API key has been revoked"
                    : rc == APS_E_TIMEOUT ? "the API key has expired"
                                          : "the API key is not valid",
                    NULL);
    if (rc)
        return unavailable(res);
    if (!o.active)
        return deny(res, "INVALID_API_KEY", "the account of this API key is disabled", NULL);
    /* A key is API access: it stops working when its owner's role no longer has that (a role
     * change bumps the cache's generation, so this is read fresh on the next request). */
    if (!aps_role_can(o.role, APS_PERM_API_KEYS))
        return deny(res, "INVALID_API_KEY",
                    "the owner of this API key has no API access (their role does not allow it)",
                    NULL);
    req->who.authenticated = true;
    req->who.user_id = o.key.user_id;
    req->who.role = o.role;
    req->who.second_factor_missing = second_factor_missing(app, o.role, o.two_factor);
    req->who.api_key_id = o.key.id;
    req->who.rate_limit_per_min = o.key.rate_limit_per_min;
    (void)aps_str_copy(req->who.email, sizeof req->who.email, o.email);
    return 0;
}

/* Fills req->who from answers src allows. */
static int authenticate(struct aps_app *app, enum source src, struct aps_http_req *req,
                        struct aps_http_res *res)
{
    const char *authz = aps_http_header(req, "Authorization");
    const char *key = aps_http_header(req, "X-API-Key");
    memset(&req->who, 0, sizeof req->who);
    req->who.role = APS_ROLE_ANONYMOUS;
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0)
            return deny(res, "INVALID_TOKEN", "Authorization must be `Bearer <access token>`",
                        "Bearer");
        const char *tok = authz + 7;
        while (*tok == ' ')
            tok++;
        return by_bearer(app, tok, src, req, res);
    }
    if (key)
        return by_api_key(app, key, src, req, res);
    return 0;
}

int aps_authn_hook(void *ctx, struct aps_http_req *req, struct aps_http_res *res)
{
    return authenticate(ctx, FROM_HINT, req, res);
}

int aps_authn_generation_ref(struct aps_app *app, char *key, size_t keycap, char seed[24])
{
    return app->cache ? aps_cache_generation_ref(app->cache, GEN_TAG, key, keycap, seed)
                      : APS_E_UNSUPPORTED;
}

int aps_authn_confirm(struct aps_app *app, bool have, int64_t gen, struct aps_http_req *req,
                      struct aps_http_res *res)
{
    if (!req->who.unconfirmed)
        return 0;
    if (have)
        aps_cache_generation_heard(app->cache, GEN_TAG, gen);
    else
        have = cache_generation(app, &gen);
    if (have && gen == req->who.unconfirmed_gen) {
        req->who.unconfirmed = false;
        return 0;
    }
    /* the generation moved since (or cannot be read: then from the store alone, without asking
     * Redis again): decide again on what is true now */
    if (authenticate(app, have ? FROM_EXACT : FROM_STORE, req, res))
        return 1;
    return aps_http_role_ok(req, res) ? 0 : 1;
}
