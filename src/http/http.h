/* http.h — the HTTP layer: a libmicrohttpd server that dispatches requests through a route table
 * generically, so handlers only do their own work.
 *
 * For every request the dispatcher, in order: assigns a request id; takes the query parameters
 * and headers into the request (below); refuses a URL holding a control byte (raw or
 * percent-encoded: 400), a request with more than APS_HTTP_MAX_REQ_HEADERS headers (431) or
 * more than APS_HTTP_MAX_QUERY query parameters (400), and an HTTP/1.1 request without Host (400);
 * answers CORS preflights (OPTIONS with Origin); matches the route (404, 405);
 * enforces the URL, header and body limits (414, 431, 413) and parses a JSON body with a depth
 * limit (400); asks the authenticate hook who is calling (API key or bearer token; 401 for a bad
 * or expired credential); checks the route's permission against the caller's role (401 when
 * anonymous, 403 when not allowed); applies the rate-limit hook (429 with Retry-After and
 * X-RateLimit-*); serves cacheable GETs from the cache hooks (ETag / If-None-Match → 304); runs
 * the handler; stores cacheable answers; writes the response with X-Request-ID and
 * X-Response-Time, the CORS headers for an allowed Origin (with Vary: Origin), and the security
 * headers (X-Content-Type-Options: nosniff on every answer; Cache-Control: no-store on answers
 * to an authenticated caller or that carry tokens; Content-Security-Policy, X-Frame-Options and
 * Referrer-Policy on HTML pages); records metrics; logs one JSON access line.
 *
 * Every error uses one envelope (DESIGN §8) — libmicrohttpd's own error pages included, rewritten
 * once per process by aps_http_library_pages_as_json():
 *   {"error":{"code":"VALIDATION_ERROR","message":"…","details":[{"field":"…","message":"…"}]},
 *    "request_id":"…"}
 *
 * Ownership: the request and everything in its arena live until the response is queued; a
 * handler's json body is owned by the response (decref'd by the server). Handlers run on the
 * server's thread pool and must be thread-safe. */
#ifndef APS_HTTP_HTTP_H
#define APS_HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/perms.h"

struct aps_logger;
struct aps_metrics;

#define APS_HTTP_MAX_PARAMS 4
#define APS_HTTP_MAX_HEADERS 12 /* response headers a handler may set */
#define APS_HTTP_MAX_REQ_HEADERS 100 /* request headers taken; more is refused with 431 */
#define APS_HTTP_MAX_QUERY 64 /* query parameters taken; more is refused with 400 */
/* A bound as text, for messages and documents: APS_HTTP_STR(APS_HTTP_MAX_QUERY) is "64". */
#define APS_HTTP_STR_(x) #x
#define APS_HTTP_STR(x) APS_HTTP_STR_(x)

/* Who is calling, filled by the authenticate hook. */
struct aps_principal {
    bool authenticated;
    int64_t user_id;           /* 0 when anonymous */
    enum aps_role role;        /* APS_ROLE_ANONYMOUS when not authenticated */
    int64_t api_key_id;        /* 0 unless the call came with an API key */
    int rate_limit_per_min;    /* the key's own limit, 0 = the environment's */
    char email[128];
    /* An operator or admin without 2FA while the environment requires it (REQUIRE_TWO_FACTOR):
     * refused on the routes only staff may use (aps_perm_staff), so that they can still sign
     * in and turn 2FA on. */
    bool second_factor_missing;
    /* The answer came from a status the application cached under generation unconfirmed_gen,
     * the latest it had heard of; the rate-limit hook confirms it (services/authn.h), and the
     * server refuses a request that reaches its handler unconfirmed. */
    bool unconfirmed;
    int64_t unconfirmed_gen;
};

struct aps_route;

/* One query parameter or request header, as sent, with the lengths of its strings. Query names
 * and values are percent-decoded ('+' is a space); a query parameter sent without '=' ("?flag")
 * has a NULL value (value_len 0). */
struct aps_http_kv {
    const char *name;
    const char *value;
    size_t name_len, value_len;
};

/* The server fills query and headers once per request, before any hook or handler runs, with
 * arrays the request owns (inline in the server's request for the usual handful, its arena
 * beyond) whose strings live as long as the request; nothing in a request refers to the
 * connection it came on. A request built by hand (a test) may point them at arrays of its own. */
struct aps_http_req {
    const char *method;        /* "GET" */
    const char *path;          /* "/api/v1/games/12" (no query string) */
    const struct aps_route *route;
    const char *params[APS_HTTP_MAX_PARAMS]; /* path parameters in pattern order */
    const char *body;          /* raw body (NUL-terminated), NULL when none */
    size_t body_len;
    json_t *json;              /* parsed JSON body (object or array), NULL when none */
    struct aps_arena arena;    /* freed after the response is queued */
    char request_id[33];
    char client_ip[64];
    struct aps_principal who;
    const struct aps_http_kv *query; /* the query string's parameters, in the order sent */
    size_t nquery;
    const struct aps_http_kv *headers; /* the request headers, in the order sent */
    size_t nheaders;
    void *app;                 /* the application context given to the server */
    /* The route's query parameters as the server parsed them once at its start (qspec_set);
     * unset, the readers below parse route->query themselves (handlers called directly). */
    const struct aps_qparam *qspec;
    size_t nqspec;
    bool qspec_set;
};

/* Query parameter (name compared exactly), request header (name compared without regard to
 * case) and path parameter by name; NULL when absent. A name sent more than once reads as its
 * first occurrence (the dispatcher has refused query names a route does not declare, so a
 * repeated parameter is one the route takes, each occurrence checked against its type). Plain
 * lookups over the arrays above: strings live as long as the request. */
const char *aps_http_query(const struct aps_http_req *r, const char *name);
const char *aps_http_header(const struct aps_http_req *r, const char *name);
const char *aps_http_param(const struct aps_http_req *r, const char *name);
/* A new request id: 32 lowercase hex digits of 128 random bits (the server gives one to each
 * request; cheap: drawn from a per-thread pool of random bytes). Thread-safe. */
void aps_http_request_id_new(char out[33]);

struct aps_http_res {
    int status;                /* 200 when left 0 */
    json_t *json;              /* JSON body (owned by the response), or */
    char *raw;                 /* a raw body in the request arena (static files, metrics) */
    size_t raw_len;
    const char *content_type;  /* for raw bodies */
    struct {
        char name[48];
        char value[256];
    } headers[APS_HTTP_MAX_HEADERS];
    int nheaders;
    bool no_cache;             /* the handler asks not to cache this answer */
    char cause[160];           /* why a 5xx happened, for the server's error log (never sent) */
    bool personal;             /* the answer depends on the caller (cached per user) */
};

/* Sets the error envelope (status, machine code, message); returns 0 so handlers can
 * `return aps_http_error(...)`. Details can be appended with aps_http_error_field. */
int aps_http_error(struct aps_http_res *res, int status, const char *code, const char *message);
void aps_http_error_field(struct aps_http_res *res, const char *field, const char *message);
void aps_http_header_set(struct aps_http_res *res, const char *name, const char *value);
/* Convenience: res->json = obj, status 200 (or the status given). Takes the reference. */
int aps_http_json(struct aps_http_res *res, int status, json_t *obj);

typedef int (*aps_http_handler)(struct aps_http_req *req, struct aps_http_res *res);

enum aps_cache_policy {
    APS_CACHE_NONE,
    APS_CACHE_DEFAULT,         /* CACHE_TTL_DEFAULT */
    APS_CACHE_PREDICTIONS,     /* CACHE_TTL_PREDICTIONS */
    APS_CACHE_ODDS,            /* CACHE_TTL_ODDS */
};

/* One row of the route table (src/services/routes.def). pattern uses {name} segments:
 * "/api/v1/games/{id}". */
struct aps_route {
    const char *method;
    const char *pattern;
    aps_http_handler handler;
    enum aps_perm perm;
    size_t body_limit;         /* 0 → the server default (1 MiB) */
    enum aps_cache_policy cache;
    const char *tag;           /* OpenAPI tag: "auth", "games", … */
    const char *summary;       /* one line for the OpenAPI document */
    /* The query parameters the operation takes (query.c): "name:type[=default] …", NULL or ""
     * for none. The dispatcher answers 400 for any other parameter and for a value of the wrong
     * type or out of bounds before the handler runs. */
    const char *query;
    /* The request body: a schema name of the OpenAPI document ("LoginRequest"), NULL for none.
     * A "+form" suffix also accepts application/x-www-form-urlencoded bodies, which the
     * dispatcher turns into a JSON object of strings. */
    const char *request;
    /* The success answer: "<status> <schema>" ("200 Game", "202 Job", "200 List:Game" for the
     * list envelope of Game, "200 text/plain" for a raw body). */
    const char *response;
    /* The statuses beyond those every operation of its kind can meet, "404 409" (openapi.c). */
    const char *errors;
};

/* ---- query parameters (query.c) ---------------------------------------------------------------
 * A route's query spec is a space-separated list of "name:type" with an optional "=default":
 *   int(lo,hi)  number(lo,hi)   integers / numbers within the bounds (either may be left out)
 *   bool        true, false, 1 or 0
 *   date        a calendar date YYYY-MM-DD
 *   string(max) 1..max bytes
 *   enum(a|b)   one of the words; enumi(...) compares without regard to case
 *   sport, market, game_status   the vocabularies of core/domain.h (sport codes without regard
 *               to case)
 * A '!' after the name ("hash!:string(64)") makes the parameter required.
 * e.g. "sport:enumi(NFL|NBA) page:int(1,1000000)=1 limit:int(1,100)=50". */
#define APS_HTTP_MAX_QPARAMS 16

struct aps_qparam {
    char name[32];
    char type;                 /* 'i' int, 'n' number, 'b' bool, 'd' date, 's' string, 'e' enum */
    bool required;
    bool nocase;               /* enum words compared without regard to case */
    bool has_lo, has_hi;
    double lo, hi;             /* bounds; for strings hi is the longest length */
    char values[320];          /* enum words, '|'-separated */
    bool has_def;
    char def[32];
};

/* Parses a spec into out[0..*n). Returns APS_E_PARSE with a message naming the bad token. */
int aps_http_qspec_parse(const char *spec, struct aps_qparam *out, size_t cap, size_t *n,
                         char *err, size_t errcap) APS_MUST_CHECK;
/* The parameter `name` of route rt's spec into *out; false when the route does not take it. */
bool aps_http_qparam(const struct aps_route *rt, const char *name, struct aps_qparam *out);
/* The same for the request's route, from the spec the server parsed at its start when there is
 * one (req->qspec_set), else from route->query. */
bool aps_http_req_qparam(const struct aps_http_req *r, const char *name, struct aps_qparam *out);
/* Checks one value against its parameter; false with a message for the client when bad. */
/* False, with res set to 403 (401 for an anonymous caller), when req->who's role may not call
 * the route. */
bool aps_http_role_ok(const struct aps_http_req *req, struct aps_http_res *res);
bool aps_http_qvalue_ok(const struct aps_qparam *p, const char *value, char *msg, size_t cap);
/* Typed reads of a query parameter that the dispatcher has checked: the value sent, else the
 * spec's default. False (and *out untouched) when neither is there. */
bool aps_http_qint(const struct aps_http_req *r, const char *name, int64_t *out);
bool aps_http_qnum(const struct aps_http_req *r, const char *name, double *out);
bool aps_http_qbool(const struct aps_http_req *r, const char *name, bool *out);

/* The server calls these; the application supplies them (src/services). Each may be NULL. */
struct aps_http_hooks {
    void *ctx;
    /* Fills req->who from Authorization: Bearer or X-API-Key. Returns 0 (anonymous is fine
     * too), or fills res with 401 and returns 1 for a bad credential. */
    int (*authenticate)(void *ctx, struct aps_http_req *req, struct aps_http_res *res);
    /* Returns 0 when allowed (and may add X-RateLimit-* headers), 1 with res set to 429 (or to
     * 401 / 403 when confirming an unconfirmed who changed the answer). */
    int (*rate_limit)(void *ctx, struct aps_http_req *req, struct aps_http_res *res);
    /* Response cache: get returns 0 and a copy of the body (aps_malloc) and its ETag of the
     * first of keys[0..nkeys-1] (nkeys <= 2) that is fresh; put stores body for ttl seconds. */
    int (*cache_get)(void *ctx, const char *const *keys, int nkeys, char **body, size_t *len,
                     char etag[48]);
    /* Optional, tried before cache_get: the same answer without a copy. *body stays valid until
     * cache_release(*ref), which the server calls once the response has been sent. */
    int (*cache_get_ref)(void *ctx, const char *key, const char **body, size_t *len,
                         char etag[48], void **ref);
    void (*cache_release)(void *ref);
    void (*cache_put)(void *ctx, const char *key, const char *body, size_t len, int ttl);
    /* Seconds a policy's answers are kept (NULL: 60); at 0 none are stored or looked up. */
    int (*cache_ttl)(void *ctx, enum aps_cache_policy p);
};

struct aps_http_server_opts {
    const char *host;          /* "127.0.0.1" */
    int port;                  /* 0: pick a free port (read it back with aps_http_server_port) */
    int threads;               /* event-loop threads; 0 = number of cores */
    size_t body_limit;         /* default 1 MiB */
    size_t url_limit;          /* default 4 KiB */
    size_t header_limit;       /* total header bytes, default 8 KiB */
    int json_depth;            /* default 32 */
    unsigned connection_timeout; /* seconds a connection may stay idle, default 30 */
    /* Comma list of addresses / CIDR blocks of the proxies in front (TRUSTED_PROXIES): only
     * from these peers is X-Forwarded-For believed, read from the right past every trusted
     * hop. NULL or "": the peer is the client. */
    const char *trusted_proxies;
    /* Comma list of browser origins allowed to call cross-origin (CORS_ORIGINS), "*" for any
     * (then without credentials). NULL or "": no CORS header is ever sent. */
    const char *cors_origins;
    const struct aps_route *routes;
    size_t nroutes;
    struct aps_http_hooks hooks;
    struct aps_metrics *metrics; /* may be NULL */
    struct aps_logger *log;      /* may be NULL: no access log */
    bool debug;                  /* DEBUG: a server error's answer says its cause (error.cause),
                                    which is otherwise only logged */
    void *app;                   /* handed to handlers as req->app */
};

/* Route matching: the route for method and path, its path parameters copied into the arena
 * (params[i] for the i-th {name} segment). NULL when none: then allow holds the methods the path
 * does answer to ("GET, POST") when there are some (the caller answers 405), or "" (404). HEAD
 * matches GET routes. A trailing slash is ignored. */
const struct aps_route *aps_http_route_match(const struct aps_route *routes, size_t n,
                                             const char *method, const char *path,
                                             const char **params, struct aps_arena *a,
                                             char *allow, size_t allowcap);
/* The ETag of a body: the quoted hex of a 128-bit BLAKE2b hash, 35 bytes with the NUL. */
void aps_http_etag(const void *body, size_t len, char out[48]);
/* True when an If-None-Match value (a list of quoted tags, W/ allowed, or *) names etag. */
bool aps_http_etag_matches(const char *if_none_match, const char *etag);
/* Parses a request body as a JSON object or array. Nesting deeper than max_depth is refused by a
 * scan before jansson sees the text (APS_E_TOOBIG); malformed JSON or a bare scalar is
 * APS_E_PARSE. msg gets one line for the client. *out is owned by the caller. */
int aps_http_parse_json(const char *body, size_t len, int max_depth, json_t **out, char *msg,
                        size_t msgcap) APS_MUST_CHECK;

/* Static files (static.c): serves dir/name as a raw body with a content type from the
 * extension. name must be one segment of [A-Za-z0-9._-] not starting with a dot (no path can
 * leave dir); anything else, or a missing file, is 404. */
bool aps_http_static_name_ok(const char *name);
int aps_http_static_file(struct aps_http_req *req, struct aps_http_res *res, const char *dir,
                         const char *name);

/* Rewrites libmicrohttpd's own HTML error pages (answers it gives before our code sees a request:
 * a request line or headers past the memory pool, a malformed request, a bad Content-Length or
 * chunk, an unknown HTTP version) into the JSON error envelope, in the loaded library's read-only
 * data, once per process (mhd_pages.c). Returns the pages rewritten; aps_http_server_start calls
 * it. */
int aps_http_library_pages_as_json(void);

struct aps_http_server;

int aps_http_server_start(struct aps_http_server **out, const struct aps_http_server_opts *o,
                          char *err, size_t errcap) APS_MUST_CHECK;
int aps_http_server_port(const struct aps_http_server *s);
/* The event-loop threads in use (opts.threads, or the core count when that was 0). */
int aps_http_server_threads(const struct aps_http_server *s);
/* Requests being served now. */
int aps_http_server_in_flight(const struct aps_http_server *s);
/* Stops accepting, waits up to drain_seconds for in-flight requests, then stops. */
void aps_http_server_stop(struct aps_http_server *s, double drain_seconds);

#endif
