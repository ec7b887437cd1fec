/* api_server.c — the hooks that connect the HTTP layer to the application: authentication,
 * per-caller rate limits with their X-RateLimit-* headers, and the response cache (see
 * api_server.h for the key and value layout). */
#include "services/api_server.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/ratelimit.h"
#include "config/config.h"
#include "core/mem.h"
#include "core/numfmt.h"
#include "core/str.h"
#include "http/auth.h"
#include "services/app.h"
#include "services/authn.h"
#include "services/routes.h"
#include "store/store.h"

#define APS_API_MAX_THREADS 256 /* what --threads and WORKERS accept */

/* Health, metrics, the docs page and the dashboard's static files are never rate limited: probes
 * and scrapers must always get through (reference §5: "health and /metrics exempt"), and a page
 * load is not an API call. */
static bool rate_exempt(const struct aps_route *rt)
{
    return rt && rt->tag &&
           (!strcmp(rt->tag, "health") || !strcmp(rt->tag, "docs") || !strcmp(rt->tag, "web"));
}

static int authenticate(void *ctx, struct aps_http_req *req, struct aps_http_res *res)
{
    return aps_authn_hook(ctx, req, res);
}

/* The rate-limit key of the caller; APS_E_TOOBIG when it does not fit (a truncated key would
 * count against another client). */
static int rate_key(const struct aps_http_req *req, char *key, size_t cap)
{
    char id[APS_FMT_CAP];
    if (req->who.api_key_id) {
        aps_fmt_i64(id, req->who.api_key_id);
        return aps_str_cat(key, cap, "key:", id, (char *)NULL);
    }
    if (req->who.authenticated) {
        aps_fmt_i64(id, req->who.user_id);
        return aps_str_cat(key, cap, "user:", id, (char *)NULL);
    }
    return aps_str_cat(key, cap, "ip:", req->client_ip, (char *)NULL);
}

/* Counts the request against its caller's limit and, in the same round trip, reads the
 * authentication generation when who rests on a cached answer (authn.h aps_authn_confirm). */
static int rate_limit(void *ctx, struct aps_http_req *req, struct aps_http_res *res)
{
    struct aps_app *app = ctx;
    char key[128], v[APS_FMT_CAP], gen_key[128], seed[24];
    struct aps_rl_read gen = {.key = gen_key, .seed = seed};
    struct aps_rl_result r;
    /* bad arguments cannot come from a client (client_ip holds 64 bytes): then the request goes
     * through uncounted */
    bool counted = app->rl && !rate_exempt(req->route) && !rate_key(req, key, sizeof key);
    if (counted) {
        bool read = req->who.unconfirmed &&
                    !aps_authn_generation_ref(app, gen_key, sizeof gen_key, seed);
        int limit = req->who.rate_limit_per_min > 0
                        ? req->who.rate_limit_per_min
                        : (int)aps_cfg_int(app->cfg, APS_SET_RATE_LIMIT_PER_MIN);
        counted = !aps_ratelimit_hit_read(app->rl, key, limit, read ? &gen : NULL, &r);
    }
    if (aps_authn_confirm(app, gen.got, gen.value, req, res))
        return 1;
    if (!counted)
        return 0;
    aps_fmt_i64(v, r.limit);
    aps_http_header_set(res, "X-RateLimit-Limit", v);
    aps_fmt_i64(v, r.remaining);
    aps_http_header_set(res, "X-RateLimit-Remaining", v);
    aps_fmt_i64(v, r.reset_seconds);
    aps_http_header_set(res, "X-RateLimit-Reset", v);
    if (r.allowed)
        return 0;
    aps_http_error(res, 429, "RATE_LIMITED", "too many requests; retry after the reset");
    snprintf(v, sizeof v, "%d", r.reset_seconds > 0 ? r.reset_seconds : 1);
    aps_http_header_set(res, "Retry-After", v);
    return 1;
}

void aps_api_cache_tag(const char *key, char out[33])
{
    const char *p = strstr(key, "/api/v1/");
    size_t n = 0;
    if (p) {
        for (p += 8; *p && *p != '/' && *p != '?' && *p != '#' && n < 32; p++) {
            char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
            bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            out[n++] = ok ? c : '_';
        }
    }
    if (!n)
        memcpy(out, "api", 4);
    else
        out[n] = '\0';
}

/* The cache's key for an HTTP-layer key: long ones are replaced by their SHA-256. A key decides
 * whose cached answer a request gets (personal keys name the user), so its hash must resist a
 * client who chooses a URL to collide with another's key; the ETag's fast hash need not, and is
 * not used here. */
static int full_key(struct aps_app *app, const char *key, char *out, size_t cap)
{
    char tag[33], hashed[APS_AUTH_SHA256_HEX];
    aps_api_cache_tag(key, tag);
    if (strlen(key) > 256) {
        aps_auth_sha256_hex(key, hashed);
        key = hashed;
    }
    return aps_cache_key(app->cache, tag, key, out, cap);
}

static int cache_get(void *ctx, const char *const *keys, int nkeys, char **body, size_t *len,
                     char etag[48])
{
    struct aps_app *app = ctx;
    char k[2][APS_CACHE_MAX_KEY];
    const char *full[2];
    char *v = NULL;
    size_t n = 0;
    int which = 0;
    if (nkeys < 1 || nkeys > 2)
        return 1;
    for (int i = 0; i < nkeys; i++) {
        if (full_key(app, keys[i], k[i], sizeof k[i]))
            return 1;
        full[i] = k[i];
    }
    if (aps_cache_get_first(app->cache, full, nkeys, &which, &v, &n))
        return 1;
    char *nl = memchr(v, '\n', n);
    if (!nl || nl - v >= 48) {
        aps_free(v);
        return 1;
    }
    size_t el = (size_t)(nl - v), bl = n - el - 1;
    memcpy(etag, v, el);
    etag[el] = '\0';
    memmove(v, nl + 1, bl);
    v[bl] = '\0';
    *body = v;
    *len = bl;
    return 0;
}

/* The body in place: the stored value is "<etag>\n<body>", so the body starts after the line. */
static int cache_get_ref(void *ctx, const char *key, const char **body, size_t *len,
                         char etag[48], void **ref)
{
    struct aps_app *app = ctx;
    char k[APS_CACHE_MAX_KEY];
    const char *v = NULL;
    size_t n = 0;
    struct aps_cache_ref *r = NULL;
    if (full_key(app, key, k, sizeof k) || aps_cache_get_ref(app->cache, k, &v, &n, &r))
        return 1;
    const char *nl = memchr(v, '\n', n);
    if (!nl || nl - v >= 48) {
        aps_cache_release(r);
        return 1;
    }
    size_t el = (size_t)(nl - v);
    memcpy(etag, v, el);
    etag[el] = '\0';
    *body = nl + 1;
    *len = n - el - 1;
    *ref = r;
    return 0;
}

static void cache_release(void *ref)
{
    aps_cache_release(ref);
}

static void cache_put(void *ctx, const char *key, const char *body, size_t len, int ttl)
{
    struct aps_app *app = ctx;
    char k[APS_CACHE_MAX_KEY], etag[48];
    if (full_key(app, key, k, sizeof k))
        return;
    aps_http_etag(body, len, etag);
    size_t el = strlen(etag);
    char *v = aps_malloc(el + 1 + len);
    memcpy(v, etag, el);
    v[el] = '\n';
    memcpy(v + el + 1, body, len);
    int rc = aps_cache_set(app->cache, k, v, el + 1 + len, ttl);
    if (rc) /* too big for the cache: the answer simply stays uncached */
        APS_LOG(&app->log, APS_LOG_DEBUG, NULL, "response not cached: %s", aps_strerror(rc));
    aps_free(v);
}

int aps_api_cache_ttl(const struct aps_app *app, enum aps_cache_policy p)
{
    switch (p) {
    case APS_CACHE_PREDICTIONS:
        return (int)aps_cfg_int(app->cfg, APS_SET_CACHE_TTL_PREDICTIONS);
    case APS_CACHE_ODDS:
        return (int)aps_cfg_int(app->cfg, APS_SET_CACHE_TTL_ODDS);
    case APS_CACHE_DEFAULT:
        return (int)aps_cfg_int(app->cfg, APS_SET_CACHE_TTL_DEFAULT);
    case APS_CACHE_NONE:
        break;
    }
    return 0;
}

static int cache_ttl(void *ctx, enum aps_cache_policy p)
{
    return aps_api_cache_ttl(ctx, p);
}

int aps_api_server_threads(const struct aps_app *app, int requested)
{
    int n = requested;
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)cores : 2;
    }
    if (app->store && aps_store_kind(app->store) == APS_DB_POSTGRES) {
        int pool = (int)aps_cfg_int(app->cfg, APS_SET_DATABASE_POOL_SIZE);
        if (pool > n)
            n = pool;
    }
    return n > APS_API_MAX_THREADS ? APS_API_MAX_THREADS : n;
}

void aps_api_server_tune_malloc(void)
{
    (void)mallopt(M_MXFAST, 0);
}

#define TCACHE_TUNABLE "glibc.malloc.tcache_count"

#define TUNED_MARK "APS_MALLOC_TUNED" /* set for the restarted process only: never twice */

void aps_api_server_exec_tuned(char **argv)
{
    if (getenv(TUNED_MARK)) {
        (void)unsetenv(TUNED_MARK);
        return;
    }
    const char *was = getenv("GLIBC_TUNABLES");
    char old[1024] = "", tuned[1100];
    if (was && strstr(was, TCACHE_TUNABLE))
        return;
    if (was && aps_str_copy(old, sizeof old, was))
        return; /* too long to extend safely: leave it alone */
    if (aps_str_cat(tuned, sizeof tuned, old, *old ? ":" : "", TCACHE_TUNABLE "=256", (char *)NULL) ||
        setenv("GLIBC_TUNABLES", tuned, 1) || setenv(TUNED_MARK, "1", 1))
        return;
    execv("/proc/self/exe", argv);
    /* no /proc (or no exec): go on with glibc's defaults, the environment as it was */
    (void)unsetenv(TUNED_MARK);
    if (was)
        (void)setenv("GLIBC_TUNABLES", old, 1);
    else
        (void)unsetenv("GLIBC_TUNABLES");
}

void aps_api_server_opts(struct aps_http_server_opts *o, struct aps_app *app, const char *host,
                         int port)
{
    memset(o, 0, sizeof *o);
    o->host = host;
    o->port = port;
    o->routes = aps_routes;
    o->nroutes = aps_nroutes;
    o->app = app;
    o->log = &app->log;
    o->debug = aps_cfg_bool(app->cfg, APS_SET_DEBUG);
    o->trusted_proxies = aps_cfg_str(app->cfg, APS_SET_TRUSTED_PROXIES);
    o->cors_origins = aps_cfg_str(app->cfg, APS_SET_CORS_ORIGINS);
    if (aps_cfg_bool(app->cfg, APS_SET_METRICS_ENABLED))
        o->metrics = app->metrics;
    o->hooks.ctx = app;
    o->hooks.authenticate = authenticate;
    o->hooks.rate_limit = rate_limit; /* also confirms cached authentication answers */
    if (app->cache) {
        o->hooks.cache_get = cache_get;
        o->hooks.cache_get_ref = cache_get_ref;
        o->hooks.cache_release = cache_release;
        o->hooks.cache_put = cache_put;
        o->hooks.cache_ttl = cache_ttl;
    }
}
