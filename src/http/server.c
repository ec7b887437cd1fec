/* server.c — the libmicrohttpd server of http.h: daemon set-up, the per-request state machine and
 * the generic dispatcher that runs before and after every handler.
 *
 * libmicrohttpd calls the access handler several times per request:
 *   1. URI log callback (on_uri)  — request line parsed: allocate the request, count it in flight.
 *   2. first access call          — headers complete: request id, the query parameters and
 *                                   headers taken into the request (the only reads of them from
 *                                   the connection), framing (two Content-Length
 *                                   headers, or one beside Transfer-Encoding: 400 and close),
 *                                   route, URL/header/length limits.
 *                                   We return MHD_YES without a response (DESIGN §5: a response
 *                                   queued here makes MHD close the connection, which kills
 *                                   keep-alive), except for a body known to be over its limit:
 *                                   then 413 goes out at once and MHD closes without reading it.
 *   3. upload calls               — body bytes: kept up to the route's limit, discarded after.
 *                                   A chunked body that passes its limit is answered 413 at
 *                                   once (send_early), since libmicrohttpd takes no response
 *                                   in the middle of an upload, and closed after the body.
 *   4. final call                 — JSON, authenticate, permission, rate limit, cache, handler,
 *                                   response (process, send_response).
 *   5. completed callback         — free the request, count it out of flight.
 *
 * What libmicrohttpd answers on its own, before our code sees the request: a request line longer
 * than the connection's memory pool gets its 414 and headers larger than the pool its 431; a
 * malformed request line gets 400 (their bodies are our envelope: mhd_pages.c). The pool is sized url_limit +
 * header_limit + 4 KiB, so everything between our limits and the pool gets our JSON envelope.
 * The pool is kept small on purpose: libmicrohttpd clears a connection's whole pool between
 * requests, and with the earlier 40 KiB pool that memset was the largest single cost of a small
 * request (profiled: 9 % of the server's cycles; 67k → 95k req/s on GET /api/v1/health when the
 * pool went from 40 KiB to 16 KiB). The limits match nginx's usual header buffers. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cidr.h"
#include "core/linewriter.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/numfmt.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/http.h"
#include "metrics/metrics.h"

#define DEFAULT_BODY_LIMIT (1024 * 1024)
#define DEFAULT_URL_LIMIT (4 * 1024)
#define DEFAULT_HEADER_LIMIT (8 * 1024)
#define DEFAULT_JSON_DEPTH 32
#define DEFAULT_TIMEOUT 30
#define POOL_SLACK (4 * 1024)
/* Headers and query parameters kept in the request itself: a usual request has fewer (wrk sends
 * 1-2 headers, browsers 10-15), so the arena is not touched for them. */
#define KV_INLINE 24

/* One event-loop thread: a libmicrohttpd daemon polled from outside (see start_workers). */
struct worker {
    struct aps_http_server *srv;
    struct MHD_Daemon *d;
    pthread_t th;
    bool started;
    int ep;          /* our epoll set: the daemon's epoll descriptor and wake */
    int wake;        /* eventfd: a command is waiting */
    atomic_int cmd;  /* CMD_* the thread is asked to carry out */
    atomic_int done; /* the last CMD_* it carried out */
};

enum { CMD_NONE, CMD_QUIESCE, CMD_ADOPT, CMD_EXIT };

struct aps_http_server {
    struct worker *w;
    int nw;
    MHD_socket lfd;                /* the listening socket, shared by the workers' daemons */
    struct aps_http_server_opts o; /* with defaults filled in */
    atomic_int in_flight;
    atomic_int fresh;              /* connections accepted that have not sent a request line */
    atomic_bool draining;
    int port;
    struct aps_linewriter *access_log; /* the access lines' writer (NULL: through o.log) */
    struct route_qspec *qspecs; /* o.routes[i]'s query parameters, parsed at the start */
    struct aps_metric *m_requests, *m_duration, *m_in_flight, *m_hits, *m_misses, *m_by_role;
};

/* A route's query spec, parsed once when the server starts. */
struct route_qspec {
    struct aps_qparam *p;
    size_t n;
    bool required; /* some parameter is required */
};

/* ST_WRITTEN: the answer went out on the socket during the upload (send_early); the connection
 * ends without libmicrohttpd sending anything. */
enum stage { ST_NEW, ST_BODY, ST_SENT, ST_WRITTEN };

/* Per connection: whether it was accepted and has not yet sent a request line. A draining
 * server waits for those too, since the client has most likely sent a request already. */
struct conn_state {
    bool fresh;
};

struct request {
    struct aps_http_server *srv;
    struct MHD_Connection *conn; /* the server's alone: handlers see only req */
    struct aps_http_req req;
    struct aps_http_res res;
    struct aps_buf body;
    double t0;
    size_t uri_len;
    size_t discarded;      /* body bytes thrown away after an early answer */
    enum stage stage;
    bool bad_uri;          /* the raw URL holds a control byte, raw or percent-encoded */
    bool decided;          /* res already holds the answer: the handler does not run */
    bool cacheable;
    int cache_ttl;         /* seconds the route's answers are kept; 0: none are (nor looked up) */
    int cache_state;       /* 0 not cacheable, 1 miss, 2 hit */
    char *cached;          /* body from the cache hook (aps_malloc), freed with the request */
    const char *cached_view; /* or the body in the cache itself (cache_get_ref)… */
    void *cached_ref;        /* …held until cache_release(cached_ref) */
    size_t cached_len;
    char etag[48];
    const char *cache_key, *personal_key;
    struct aps_http_kv kv[KV_INLINE]; /* req.headers and req.query when they fit (last: on_uri
                                       * leaves it unzeroed) */
};

/* ---- request lifetime ---------------------------------------------------------------------- */

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct aps_http_server *s = cls;
    struct conn_state *cs = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        cs = aps_calloc(1, sizeof *cs);
        cs->fresh = true;
        *socket_context = cs;
        atomic_fetch_add(&s->fresh, 1);
    } else if (cs) {
        if (cs->fresh)
            atomic_fetch_sub(&s->fresh, 1);
        aps_free(cs);
        *socket_context = NULL;
    }
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* True when the raw request target holds a control byte (0x00-0x1f, 0x7f), as is or
 * percent-encoded: decoded, "%00" would cut the path or a query value short in C strings. */
static bool has_control_byte(const char *uri)
{
    for (const unsigned char *p = (const unsigned char *)uri; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return true;
        if (*p == '%' && hex_value((char)p[1]) >= 0 && hex_value((char)p[2]) >= 0) {
            int v = hex_value((char)p[1]) * 16 + hex_value((char)p[2]);
            if (v < 0x20 || v == 0x7f)
                return true;
            p += 2;
        }
    }
    return false;
}

/* ---- per-thread scratch ------------------------------------------------------------------- */

/* What a server thread reuses from one request to the next instead of allocating it each time;
 * freed when the thread ends (libmicrohttpd's threads end with the daemon). A connection's
 * callbacks all run on the thread that owns it, so a request taken from one thread's spare
 * normally goes back to it; one that ends elsewhere simply becomes that thread's spare. */
struct scratch {
    struct aps_buf line;   /* the access line being written */
    struct aps_buf key;    /* the cache key being built */
    struct request *spare; /* a finished request, its arena block and body buffer kept */
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void request_free(struct request *r)
{
    aps_buf_cleanup(&r->body);
    aps_arena_cleanup(&r->req.arena);
    aps_free(r);
}

static void scratch_free(void *p)
{
    struct scratch *sc = p;
    aps_buf_cleanup(&sc->line);
    aps_buf_cleanup(&sc->key);
    if (sc->spare)
        request_free(sc->spare);
    aps_free(sc);
}

static void scratch_key_create(void)
{
    if (pthread_key_create(&scratch_key, scratch_free))
        abort(); /* only when the process is out of keys: nothing could run */
}

static void put_num(struct aps_buf *b, int64_t v)
{
    char n[APS_FMT_CAP];
    aps_buf_append(b, n, aps_fmt_i64(n, v));
}

static struct scratch *scratch(void)
{
    pthread_once(&scratch_once, scratch_key_create);
    struct scratch *sc = pthread_getspecific(scratch_key);
    if (!sc) {
        sc = aps_calloc(1, sizeof *sc);
        if (pthread_setspecific(scratch_key, sc))
            abort();
    }
    return sc;
}

/* Body buffers up to this size are kept with a spare request; a larger one is freed. */
#define SPARE_BODY_MAX (64 * 1024)

/* A request zeroed up to its inline block of headers and query parameters, which is only read
 * once take_values has filled it: the thread's spare (its arena block and body buffer kept,
 * emptied) or a new one. */
static struct request *request_new(void)
{
    struct scratch *sc = scratch();
    struct request *r = sc->spare;
    if (!r) {
        r = aps_malloc(sizeof *r);
        memset(r, 0, offsetof(struct request, kv));
        return r;
    }
    sc->spare = NULL;
    struct aps_arena arena = r->req.arena;
    struct aps_buf body = r->body;
    memset(r, 0, offsetof(struct request, kv));
    r->req.arena = arena;
    r->body = body;
    aps_buf_reset(&r->body);
    return r;
}

/* A finished request becomes the thread's spare (when it has none), else it is freed. */
static void request_done(struct request *r)
{
    struct scratch *sc = scratch();
    if (sc->spare || r->body.cap > SPARE_BODY_MAX) {
        request_free(r);
        return;
    }
    aps_arena_reset(&r->req.arena);
    sc->spare = r;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct aps_http_server *s = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_state *cs = ci ? ci->socket_context : NULL;
    if (cs && cs->fresh) {
        cs->fresh = false;
        atomic_fetch_sub(&s->fresh, 1);
    }
    struct request *r = request_new();
    r->srv = s;
    r->t0 = aps_time_mono();
    r->uri_len = strlen(uri);
    r->bad_uri = has_control_byte(uri);
    r->conn = c;
    r->req.app = s->o.app;
    atomic_fetch_add(&s->in_flight, 1);
    aps_metric_add(s->m_in_flight, NULL, 1);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct aps_http_server *s = cls;
    struct request *r = *con_cls;
    if (!r)
        return;
    if (r->stage != ST_SENT && r->stage != ST_WRITTEN)
        APS_LOG(s->o.log, APS_LOG_DEBUG, NULL, "request ended before an answer (code %d)",
                (int)toe);
    if (r->req.json)
        json_decref(r->req.json);
    if (r->res.json)
        json_decref(r->res.json);
    aps_free(r->cached);
    if (r->cached_ref)
        s->o.hooks.cache_release(r->cached_ref);
    request_done(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
    aps_metric_add(s->m_in_flight, NULL, -1);
}

/* ---- the request's query parameters and headers ------------------------------------------- */

struct kv_fill {
    struct aps_http_kv *kv;
    size_t n, cap;
};

static enum MHD_Result put_kv(void *cls, enum MHD_ValueKind kind, const char *key,
                              size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct kv_fill *f = cls;
    if (f->n == f->cap)
        return MHD_NO;
    f->kv[f->n] = (struct aps_http_kv){key, value, key_size, value ? value_size : 0};
    f->n++;
    return MHD_YES;
}

/* The connection's values of one kind, in the order received, as an array: the rest of the
 * request's inline block (*used of it taken so far) when they fit, else the request's arena. The
 * strings stay libmicrohttpd's: they live in the connection's pool until the request completes,
 * as long as the request itself. False, with nothing taken, when there are more than max. */
static bool take_values(struct request *r, enum MHD_ValueKind kind, size_t max, size_t *used,
                        const struct aps_http_kv **out, size_t *n)
{
    int count = MHD_get_connection_values(r->conn, kind, NULL, NULL);
    *out = NULL;
    *n = 0;
    if (count <= 0)
        return true;
    if ((size_t)count > max)
        return false;
    struct kv_fill f = {r->kv + *used, 0, (size_t)count};
    if (*used + (size_t)count <= KV_INLINE)
        *used += (size_t)count;
    else
        f.kv = aps_arena_alloc(&r->req.arena, (size_t)count * sizeof *f.kv);
    MHD_get_connection_values_n(r->conn, kind, put_kv, &f);
    *out = f.kv;
    *n = f.n;
    return true;
}

/* Takes the headers and the query parameters into the request. NULL, or the message refusing a
 * request with too many of them, *status set to its status (431 headers, 400 query). */
static const char *take_query_and_headers(struct request *r, int *status)
{
    size_t used = 0;
    *status = 431;
    if (!take_values(r, MHD_HEADER_KIND, APS_HTTP_MAX_REQ_HEADERS, &used, &r->req.headers,
                     &r->req.nheaders))
        return "more than " APS_HTTP_STR(APS_HTTP_MAX_REQ_HEADERS) " request headers";
    *status = 400;
    if (!take_values(r, MHD_GET_ARGUMENT_KIND, APS_HTTP_MAX_QUERY, &used, &r->req.query,
                     &r->req.nquery))
        return "more than " APS_HTTP_STR(APS_HTTP_MAX_QUERY) " query parameters";
    return NULL;
}

/* ---- first call: identity and limits ------------------------------------------------------- */

static bool is_address(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* An IPv4 address in dotted decimal, as inet_ntop writes it (out holds 16 bytes). */
static void ipv4_text(const struct in_addr *a, char *out)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    char *o = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            *o++ = (char)('0' + v / 100);
        if (v >= 10)
            *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        *o++ = i < 3 ? '.' : '\0';
    }
}

/* The peer address; when the peer is a trusted proxy, X-Forwarded-For read from the right: each
 * entry a trusted proxy added is skipped, and the first address no trusted proxy vouches for is
 * the client. Anything else sending the header is ignored, so it cannot pick its own rate-limit
 * bucket. */
static void client_ip(struct request *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char *ip = r->req.client_ip;
    size_t cap = sizeof r->req.client_ip;
    const char *trusted = r->srv->o.trusted_proxies;
    ip[0] = '\0';
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            ipv4_text(&((const struct sockaddr_in *)sa)->sin_addr, ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip,
                      (socklen_t)cap);
    }
    if (!trusted || !*trusted)
        return;
    const char *xff = aps_http_header(&r->req, "X-Forwarded-For");
    if (!xff || !aps_cidr_list_match(trusted, ip))
        return;
    char list[1024];
    if (aps_str_copy(list, sizeof list, xff))
        return; /* longer than any honest proxy chain */
    for (char *end = list + strlen(list);;) {
        char *comma = end > list ? memrchr(list, ',', (size_t)(end - list)) : NULL;
        char *entry = comma ? comma + 1 : list;
        *end = '\0';
        while (*entry == ' ')
            entry++;
        size_t n = strlen(entry);
        while (n && entry[n - 1] == ' ')
            entry[--n] = '\0';
        if (!is_address(entry) || n >= cap)
            return; /* a hop we cannot read: the last trusted one is as far as we can see */
        memcpy(ip, entry, n + 1);
        if (!comma || !aps_cidr_list_match(trusted, ip))
            return;
        end = comma;
    }
}

static size_t header_bytes(const struct aps_http_req *req)
{
    size_t n = 0;
    for (size_t i = 0; i < req->nheaders; i++) /* ": " and CRLF */
        n += req->headers[i].name_len + req->headers[i].value_len + 4;
    return n;
}

static size_t route_body_limit(const struct request *r)
{
    return r->req.route && r->req.route->body_limit ? r->req.route->body_limit
                                                    : r->srv->o.body_limit;
}

static void decide_error(struct request *r, int status, const char *code, const char *msg)
{
    aps_http_error(&r->res, status, code, msg);
    r->decided = true;
}

/* ---- CORS ---------------------------------------------------------------------------------- */

#define CORS_ALLOW_HEADERS "Authorization, Content-Type, X-API-Key, X-Request-ID, If-None-Match"
#define CORS_EXPOSE_HEADERS                                                                   \
    "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After," \
    " ETag, X-Cache"

enum cors_grant { CORS_NONE, CORS_NAMED, CORS_ANY };

/* How the configured list treats origin: named exactly (case-insensitive; credentials allowed),
 * allowed through "*" (no credentials), or not at all. */
static enum cors_grant cors_grant(const char *list, const char *origin)
{
    enum cors_grant g = CORS_NONE;
    size_t on = origin ? strlen(origin) : 0;
    for (const char *s = list; on && s && *s;) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        if (n == on && !strncasecmp(s, origin, n))
            return CORS_NAMED;
        if (n == 1 && *s == '*')
            g = CORS_ANY;
        s = end ? end + 1 : NULL;
    }
    return g;
}

/* True when every comma-separated word of requested is one of the headers a browser may send. */
static bool cors_headers_ok(const char *requested)
{
    for (const char *s = requested; s && *s;) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        bool ok = n == 0;
        for (const char *a = CORS_ALLOW_HEADERS; !ok && *a;) {
            const char *ae = strchr(a, ',');
            size_t an = ae ? (size_t)(ae - a) : strlen(a);
            ok = an == n && !strncasecmp(a, s, n);
            a = ae ? ae + 2 : a + an;
        }
        if (!ok)
            return false;
        s = end ? end + 1 : NULL;
    }
    return true;
}

static bool word_in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ' || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

/* An OPTIONS request with Origin and Access-Control-Request-Method on a path that answers to
 * allow: 204 with the grant when the origin, method and headers are allowed, else 403. */
static void cors_preflight(struct request *r, const char *allow)
{
    const char *origin = aps_http_header(&r->req, "Origin");
    const char *method = aps_http_header(&r->req, "Access-Control-Request-Method");
    const char *headers = aps_http_header(&r->req, "Access-Control-Request-Headers");
    enum cors_grant g = cors_grant(r->srv->o.cors_origins, origin);
    if (g == CORS_NONE) {
        decide_error(r, 403, "CORS_REJECTED", "this origin may not call the API from a browser");
        return;
    }
    if (!word_in_list(allow, method) || !cors_headers_ok(headers)) {
        decide_error(r, 403, "CORS_REJECTED",
                     "the preflight asks for a method or header this path does not allow");
        return;
    }
    r->res.status = 204;
    r->decided = true;
    aps_http_header_set(&r->res, "Allow", allow);
    aps_http_header_set(&r->res, "Access-Control-Allow-Methods", allow);
    aps_http_header_set(&r->res, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    aps_http_header_set(&r->res, "Access-Control-Max-Age", "600");
}

/* How many request headers are called name (any case). */
static size_t header_count(const struct aps_http_req *q, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < q->nheaders; i++)
        n += !strcasecmp(q->headers[i].name, name);
    return n;
}

/* A request whose body's length two parties could read differently (RFC 9112 §6.3): two
 * Content-Length headers, or Content-Length beside Transfer-Encoding. A proxy in front that
 * took the other reading would see the rest of the body as a second request on the same
 * connection, so such a request is refused and its connection closed. NULL when unambiguous. */
static const char *ambiguous_framing(const struct aps_http_req *q)
{
    size_t cl = header_count(q, "Content-Length"), te = header_count(q, "Transfer-Encoding");
    if (cl > 1)
        return "more than one Content-Length header";
    if (cl && te)
        return "both Content-Length and Transfer-Encoding";
    if (te > 1)
        return "more than one Transfer-Encoding header";
    return NULL;
}

/* A Transfer-Encoding other than chunked: libmicrohttpd would wait for a body it cannot frame. */
static bool unknown_coding(const struct aps_http_req *q)
{
    const char *te = aps_http_header(q, "Transfer-Encoding");
    return te && strcasecmp(te, "chunked");
}

/* Route, then the URL, header and declared body limits. Returns true when the answer must go
 * out now (a body over its limit that we refuse to read). */
static bool first_call(struct request *r, const char *url, const char *method, const char *version)
{
    struct aps_http_server *s = r->srv;
    char allow[96], msg[96];
    aps_http_request_id_new(r->req.request_id);
    int too_many;
    const char *refusal = take_query_and_headers(r, &too_many);
    client_ip(r);
    r->req.method = method;
    r->req.path = url;
    if (r->bad_uri) {
        decide_error(r, 400, "BAD_REQUEST", "the URL holds a control character (such as %00)");
        return false;
    }
    if (refusal) {
        decide_error(r, too_many, too_many == 431 ? "HEADERS_TOO_LARGE" : "VALIDATION_ERROR",
                     refusal);
        return false;
    }
    if ((refusal = ambiguous_framing(&r->req)) != NULL) {
        decide_error(r, 400, "BAD_REQUEST", refusal);
        return true; /* answered before the body, and the connection closed */
    }
    if (unknown_coding(&r->req)) {
        decide_error(r, 501, "NOT_IMPLEMENTED", "the only Transfer-Encoding served is chunked");
        return true;
    }
    if (version && !strcmp(version, "HTTP/1.1") && !aps_http_header(&r->req, "Host")) {
        decide_error(r, 400, "BAD_REQUEST", "an HTTP/1.1 request needs a Host header");
        return false;
    }
    r->req.route = aps_http_route_match(s->o.routes, s->o.nroutes, method, url, r->req.params,
                                        &r->req.arena, allow, sizeof allow);
    if (!r->req.route) {
        if (!strcmp(method, "OPTIONS") && allow[0] && s->o.cors_origins &&
            *s->o.cors_origins && aps_http_header(&r->req, "Origin") &&
            aps_http_header(&r->req, "Access-Control-Request-Method")) {
            cors_preflight(r, allow);
        } else if (!strcmp(method, "OPTIONS") && allow[0]) {
            r->res.status = 204;
            aps_http_header_set(&r->res, "Allow", allow);
            r->decided = true;
        } else if (allow[0]) {
            decide_error(r, 405, "METHOD_NOT_ALLOWED", "method not allowed on this path");
            aps_http_header_set(&r->res, "Allow", allow);
        } else {
            decide_error(r, 404, "NOT_FOUND", "no such endpoint");
        }
        return false;
    }
    const struct route_qspec *qs = &s->qspecs[r->req.route - s->o.routes];
    r->req.qspec = qs->p;
    r->req.nqspec = qs->n;
    r->req.qspec_set = true;
    if (r->uri_len > s->o.url_limit) {
        snprintf(msg, sizeof msg, "URL longer than %zu bytes", s->o.url_limit);
        decide_error(r, 414, "URI_TOO_LONG", msg);
        return false;
    }
    if (header_bytes(&r->req) > s->o.header_limit) {
        snprintf(msg, sizeof msg, "request headers larger than %zu bytes", s->o.header_limit);
        decide_error(r, 431, "HEADERS_TOO_LARGE", msg);
        return false;
    }
    const char *cl = aps_http_header(&r->req, "Content-Length");
    int64_t declared = 0;
    if (cl && !aps_parse_int64(cl, &declared) && declared > (int64_t)route_body_limit(r)) {
        snprintf(msg, sizeof msg, "request body larger than %zu bytes", route_body_limit(r));
        decide_error(r, 413, "PAYLOAD_TOO_LARGE", msg);
        return true;
    }
    return false;
}

/* How long a connection whose answer was decided before its body ended goes on reading and
 * discarding the body (nginx's lingering close): closing a socket with unread data resets it, and
 * the reset can reach the client before it has read the answer ("Failed sending data to the
 * peer" instead of the 413). Past both this time and take_body's byte bound, the connection
 * closes. */
#define LINGER_SECONDS 5.0

/* Keeps body bytes up to the limit; after an answer is decided, discards them, and gives up on
 * the connection (false) once a client keeps sending far past the limit, for longer than
 * LINGER_SECONDS after the request began. */
static bool take_body(struct request *r, const char *data, size_t n)
{
    size_t limit = route_body_limit(r);
    if (r->decided) {
        r->discarded += n;
        return r->discarded <= 4 * limit + DEFAULT_BODY_LIMIT ||
               aps_time_mono() - r->t0 < LINGER_SECONDS;
    }
    if (r->body.len + n > limit) {
        char msg[96];
        snprintf(msg, sizeof msg, "request body larger than %zu bytes", limit);
        decide_error(r, 413, "PAYLOAD_TOO_LARGE", msg);
        r->discarded = r->body.len + n;
        aps_buf_cleanup(&r->body);
        return true;
    }
    aps_buf_append(&r->body, data, n);
    return true;
}

/* ---- final call: the dispatcher -------------------------------------------------------------- */

/* Appends s[0..n) to item with the key's separators ('%', '&', '=', '#') percent-encoded, so
 * that two different queries never make the same key. */
static char *put_escaped(char *item, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' || c == '&' || c == '=' || c == '#') {
            *item++ = '%';
            *item++ = hex[c >> 4];
            *item++ = hex[c & 15];
        } else {
            *item++ = (char)c;
        }
    }
    return item;
}

/* "name=value" of one query parameter, escaped (put_escaped), in the arena. */
static char *query_item(struct aps_arena *a, const struct aps_http_kv *kv)
{
    size_t kl = kv->name_len, vl = kv->value_len;
    char *item = aps_arena_alloc(a, 3 * (kl + vl) + 2), *p = item;
    p = put_escaped(p, kv->name, kl);
    *p++ = '=';
    p = put_escaped(p, kv->value ? kv->value : "", vl);
    *p = '\0';
    return item;
}

struct key_item {
    const char *s; /* "name=value", escaped */
    size_t pos;    /* its place in the query */
};

/* Items sort by name alone, and a name given more than once keeps its values' order: handlers
 * answer from a name's first value, so "?a=1&a=2" and "?a=2&a=1" are different questions. */
static int cmp_item(const void *a, const void *b)
{
    const struct key_item *x = a, *y = b;
    size_t nx = strcspn(x->s, "="), ny = strcspn(y->s, "="); /* the first '=' ends the name */
    int c = memcmp(x->s, y->s, nx < ny ? nx : ny);
    if (c)
        return c;
    if (nx != ny)
        return nx < ny ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* "GET /path?a=1&b=2" with the query sorted by name, so equal queries share an entry; the
 * personal key adds "#u<user id>". Both live in the request arena. */
static void build_cache_keys(struct request *r)
{
    size_t n = r->req.nquery;
    struct key_item *items = n ? aps_arena_alloc(&r->req.arena, n * sizeof *items) : NULL;
    for (size_t i = 0; i < n; i++)
        items[i] = (struct key_item){query_item(&r->req.arena, &r->req.query[i]), i};
    if (n > 1)
        qsort(items, n, sizeof *items, cmp_item);
    struct aps_buf *b = &scratch()->key;
    aps_buf_reset(b);
    aps_buf_puts(b, "GET ");
    aps_buf_puts(b, r->req.path);
    for (size_t i = 0; i < n; i++) {
        aps_buf_putc(b, i ? '&' : '?');
        aps_buf_puts(b, items[i].s);
    }
    r->cache_key = aps_arena_strdup(&r->req.arena, aps_buf_str(b));
    if (r->req.who.authenticated) {
        aps_buf_puts(b, "#u");
        put_num(b, r->req.who.user_id);
        r->personal_key = aps_arena_strdup(&r->req.arena, aps_buf_str(b));
    }
}

/* The route's answer from the cache: the shared key, then the caller's own (a route stores one
 * kind, so the two are alternatives): each lent in place when the hooks can, then both asked
 * for a copy in one call (one round trip to a shared cache). */
static bool cache_lookup(struct request *r)
{
    const struct aps_http_hooks *h = &r->srv->o.hooks;
    bool hit = false;
    r->cache_state = 1;
    if (r->cache_ttl <= 0)
        return false; /* nothing is stored now, so nothing stored before is served either */
    build_cache_keys(r);
    const char *keys[2] = {r->cache_key, r->personal_key};
    int n = r->personal_key ? 2 : 1;
    if (h->cache_get_ref && h->cache_release)
        for (int i = 0; i < n && !hit; i++)
            hit = !h->cache_get_ref(h->ctx, keys[i], &r->cached_view, &r->cached_len, r->etag,
                                    &r->cached_ref);
    if (!hit)
        hit = !h->cache_get(h->ctx, keys, n, &r->cached, &r->cached_len, r->etag);
    aps_metric_add(hit ? r->srv->m_hits : r->srv->m_misses, NULL, 1);
    r->cache_state = hit ? 2 : 1;
    return hit;
}

static void cache_store(struct request *r, const char *body, size_t len)
{
    const char *key = r->res.personal ? r->personal_key : r->cache_key;
    if (r->cache_ttl > 0 && key)
        r->srv->o.hooks.cache_put(r->srv->o.hooks.ctx, key, body, len, r->cache_ttl);
}

/* Percent-decodes s[0..n) of a form body ('+' is a space) into a NUL-terminated arena copy;
 * NULL on a malformed escape or a NUL byte. */
static char *form_decode(struct aps_arena *a, const char *s, size_t n)
{
    char *out = aps_arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%') {
            unsigned v;
            char hex[3] = {0};
            if (i + 2 >= n)
                return NULL;
            memcpy(hex, s + i + 1, 2);
            if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]) ||
                sscanf(hex, "%2x", &v) != 1 || v == 0)
                return NULL;
            *o++ = (char)v;
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* An application/x-www-form-urlencoded body as a JSON object of strings (the OAuth2 password
 * flow of Swagger UI and FastAPI-style clients posts its credentials this way). */
static bool parse_form(struct request *r, char *msg, size_t cap)
{
    json_t *o = json_object();
    const char *p = r->body.data, *end = p + r->body.len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end, *eq = memchr(p, '=', (size_t)(e - p));
        if (e > p) {
            char *k = form_decode(&r->req.arena, p, (size_t)((eq ? eq : e) - p));
            char *v = eq ? form_decode(&r->req.arena, eq + 1, (size_t)(e - eq - 1)) : "";
            if (!k || !v || !*k || !json_is_object(o) ||
                json_object_set_new(o, k, json_string(v))) {
                snprintf(msg, cap, "malformed form body (bad escape or text that is not UTF-8)");
                json_decref(o);
                return false;
            }
        }
        p = e + 1;
    }
    r->req.json = o;
    return true;
}

/* True when the route takes form bodies and this one is labelled as one and is not JSON text
 * (curl -d labels JSON as a form too). */
static bool is_form(const struct request *r)
{
    const struct aps_route *rt = r->req.route;
    const char *ct = aps_http_header(&r->req, "Content-Type");
    if (!rt->request || !strstr(rt->request, "+form") || !ct ||
        strncasecmp(ct, "application/x-www-form-urlencoded", 33))
        return false;
    for (size_t i = 0; i < r->body.len; i++) {
        char c = r->body.data[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return c != '{' && c != '[';
    }
    return true;
}

/* Every query parameter must be one the route declares, with a value of its type and bounds;
 * otherwise 400 naming each offending parameter (and, for an unknown one, the allowed ones). */
static void check_query_arg(struct request *r, const char *key, const char *value)
{
    char msg[400];
    const struct aps_qparam *p = NULL, *qs = r->req.qspec;
    size_t nq = r->req.nqspec;
    for (size_t i = 0; i < nq; i++)
        if (!strcmp(qs[i].name, key))
            p = &qs[i];
    if (!p) {
        struct aps_buf b = {0};
        for (size_t i = 0; i < nq; i++)
            aps_buf_printf(&b, "%s%s", i ? ", " : "", qs[i].name);
        if (nq)
            snprintf(msg, sizeof msg, "unknown query parameter '%.64s'; allowed: %s", key,
                     aps_buf_str(&b));
        else
            snprintf(msg, sizeof msg,
                     "unknown query parameter '%.64s'; this operation takes no query parameters",
                     key);
        aps_buf_cleanup(&b);
        if (r->res.status != 400)
            aps_http_error(&r->res, 400, "VALIDATION_ERROR", msg);
        aps_http_error_field(&r->res, key, msg);
        return;
    }
    if (!aps_http_qvalue_ok(p, value ? value : "", msg, sizeof msg)) {
        if (r->res.status != 400)
            aps_http_error(&r->res, 400, "VALIDATION_ERROR", "invalid query parameter");
        aps_http_error_field(&r->res, key, msg);
    }
}

static bool check_query(struct request *r)
{
    const struct route_qspec *qs = &r->srv->qspecs[r->req.route - r->srv->o.routes];
    if (!r->req.nquery && !qs->required)
        return true;
    for (size_t i = 0; i < r->req.nquery; i++)
        check_query_arg(r, r->req.query[i].name, r->req.query[i].value);
    for (size_t i = 0; i < qs->n; i++) {
        if (qs->p[i].required && !aps_http_query(&r->req, qs->p[i].name)) {
            if (r->res.status != 400)
                aps_http_error(&r->res, 400, "VALIDATION_ERROR", "invalid query parameter");
            aps_http_error_field(&r->res, qs->p[i].name, "required");
        }
    }
    return r->res.status != 400;
}

static bool parse_body(struct request *r)
{
    if (!r->body.len)
        return true;
    r->req.body = r->body.data;
    r->req.body_len = r->body.len;
    char fmsg[120];
    if (is_form(r)) {
        if (parse_form(r, fmsg, sizeof fmsg))
            return true;
        aps_http_error(&r->res, 400, "VALIDATION_ERROR", fmsg);
        aps_http_error_field(&r->res, "body", fmsg);
        return false;
    }
    /* The API takes JSON bodies only. Content-Type is not checked: `curl -d` and many clients
     * label JSON as form data, and refusing them would help nobody. */
    char msg[200];
    int rc = aps_http_parse_json(r->body.data, r->body.len, r->srv->o.json_depth, &r->req.json,
                                 msg, sizeof msg);
    if (rc) {
        aps_http_error(&r->res, 400, "VALIDATION_ERROR", msg);
        aps_http_error_field(&r->res, "body", msg);
        return false;
    }
    return true;
}

bool aps_http_role_ok(const struct aps_http_req *req, struct aps_http_res *res)
{
    if (aps_role_can(req->who.role, req->route->perm) && req->who.second_factor_missing &&
        aps_perm_staff(req->route->perm)) {
        aps_http_error(res, 403, "TWO_FACTOR_REQUIRED",
                       "your role must have two-factor authentication on for this: turn it on"
                       " (POST /api/v1/auth/2fa/setup, then POST /api/v1/auth/2fa/verify)");
        return false;
    }
    if (aps_role_can(req->who.role, req->route->perm))
        return true;
    if (req->who.authenticated) {
        aps_http_error(res, 403, "FORBIDDEN", "your role does not allow this");
    } else {
        aps_http_error(res, 401, "UNAUTHORIZED", "authentication required");
        aps_http_header_set(res, "WWW-Authenticate", "Bearer");
    }
    return false;
}

/* Everything between the headers and the handler's answer (the order of http.h). */
static void process(struct request *r)
{
    const struct aps_http_hooks *h = &r->srv->o.hooks;
    const struct aps_route *rt = r->req.route;
    r->req.who.role = APS_ROLE_ANONYMOUS;
    if (!parse_body(r))
        return;
    if (h->authenticate && h->authenticate(h->ctx, &r->req, &r->res))
        return;
    if (!aps_http_role_ok(&r->req, &r->res))
        return;
    if (h->rate_limit && h->rate_limit(h->ctx, &r->req, &r->res))
        return;
    if (r->req.who.unconfirmed) { /* no hook confirmed it: never act on it */
        aps_http_error(&r->res, 503, "SERVICE_UNAVAILABLE", "the caller could not be confirmed");
        aps_http_header_set(&r->res, "Retry-After", "1");
        return;
    }
    if (!check_query(r))
        return;
    r->cacheable = rt->cache != APS_CACHE_NONE && h->cache_get && h->cache_put &&
                   (!strcmp(r->req.method, "GET") || !strcmp(r->req.method, "HEAD"));
    if (r->cacheable) {
        r->cache_ttl = h->cache_ttl ? h->cache_ttl(h->ctx, rt->cache) : 60;
        if (cache_lookup(r))
            return;
    }
    int rc = rt->handler(&r->req, &r->res);
    if (rc < 0 && r->res.status < 400) {
        aps_http_error(&r->res, 500, "INTERNAL_ERROR", "internal error");
        snprintf(r->res.cause, sizeof r->res.cause, "the handler failed: %s", aps_strerror(rc));
    }
}

/* ---- the response ---------------------------------------------------------------------------- */

static const char *method_label(const char *m)
{
    static const char *known[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(m, known[i]))
            return known[i];
    return "OTHER";
}

/* The access line of a request, written field by field (no printf: it is on every request):
 * what aps_log_format(line, APS_LOG_INFO, fields, "request") writes. */
static void access_line(struct aps_buf *b, const struct request *r, const char *route, int status,
                        size_t bytes, double secs)
{
    char ms[APS_FMT_CAP];
    aps_log_begin(b, APS_LOG_INFO, "request");
    aps_buf_puts(b, ",\"method\":\"");
    aps_buf_puts(b, method_label(r->req.method));
    aps_buf_puts(b, "\",\"route\":\"");
    aps_json_escape(b, route);
    aps_buf_puts(b, "\",\"status\":");
    put_num(b, status);
    aps_buf_puts(b, ",\"ms\":");
    aps_buf_append(b, ms, aps_fmt_fixed(ms, secs * 1000, 3));
    aps_buf_puts(b, ",\"bytes\":");
    put_num(b, (int64_t)bytes);
    aps_buf_puts(b, ",\"request_id\":\"");
    aps_buf_puts(b, r->req.request_id);
    aps_buf_puts(b, "\",\"user_id\":");
    if (r->req.who.authenticated)
        put_num(b, r->req.who.user_id);
    else
        aps_buf_puts(b, "null");
    if (r->cache_state)
        aps_buf_puts(b, r->cache_state == 2 ? ",\"cache\":\"hit\"" : ",\"cache\":\"miss\"");
    aps_buf_puts(b, "}\n");
}

static void record(struct request *r, int status, size_t bytes, double secs)
{
    struct aps_http_server *s = r->srv;
    const char *route = r->req.route ? r->req.route->pattern : "unmatched";
    char st[APS_FMT_CAP];
    aps_fmt_i64(st, status);
    const char *labels[] = {route, method_label(r->req.method), st};
    aps_metric_add(s->m_requests, labels, 1);
    aps_metric_observe(s->m_duration, labels, secs);
    const char *role[] = {aps_role_name(r->req.who.role)};
    aps_metric_add(s->m_by_role, role, 1);
    if (status >= 500 && s->o.log) { /* every server error says why, whatever the log level */
        struct aps_buf e = {0};
        aps_buf_puts(&e, "\"route\":\"");
        aps_json_escape(&e, route);
        aps_buf_printf(&e, "\",\"status\":%d,\"request_id\":\"%s\",\"cause\":\"", status,
                       r->req.request_id);
        const char *msg = json_string_value(
            json_object_get(json_object_get(r->res.json, "error"), "message"));
        aps_json_escape(&e, r->res.cause[0] ? r->res.cause : msg ? msg : "(none given)");
        aps_buf_puts(&e, "\"");
        APS_LOG(s->o.log, APS_LOG_ERROR, aps_buf_str(&e), "server error");
        aps_buf_cleanup(&e);
    }
    if (!s->o.log || APS_LOG_INFO < s->o.log->level)
        return;
    struct aps_buf *line = &scratch()->line;
    aps_buf_reset(line);
    access_line(line, r, route, status, bytes, secs);
    if (s->access_log) {
        aps_linewriter_put(s->access_log, line->data, line->len);
    } else {
        FILE *out = s->o.log->out ? s->o.log->out : stdout;
        fwrite(line->data, 1, line->len, out);
        fflush(out);
    }
}

/* The body bytes of the answer; *free_it tells whether they were malloc'd for the response. */
static char *response_body(struct request *r, size_t *len, const char **ctype, bool *free_it)
{
    *free_it = false;
    *ctype = "application/json";
    if (r->cache_state == 2 && r->cached_ref) {
        *len = r->cached_len; /* lent by the cache: see send_response */
        return (char *)(uintptr_t)r->cached_view; /* MHD takes void *, sends it read-only */
    }
    if (r->cache_state == 2) {
        char *b = r->cached; /* handed over to the response */
        r->cached = NULL;
        *len = r->cached_len;
        *free_it = true;
        return b;
    }
    if (r->res.json) {
        json_t *err = json_object_get(r->res.json, "error");
        if (json_is_object(err))
            json_object_set_new(r->res.json, "request_id", json_string(r->req.request_id));
        if (json_is_object(err) && r->srv->o.debug && r->res.status >= 500 && r->res.cause[0])
            json_object_set_new(err, "cause", json_string(r->res.cause));
        /* 15 significant digits: every double survives to its meaning, and 0.063 prints as
         * 0.063 rather than 0.063000000000000001. */
        char *s = json_dumps(r->res.json, JSON_COMPACT | JSON_REAL_PRECISION(15));
        *len = s ? strlen(s) : 0;
        *free_it = s != NULL;
        return s;
    }
    *ctype = r->res.content_type ? r->res.content_type : "application/octet-stream";
    *len = r->res.raw_len;
    return r->res.raw;
}

/* Access-Control-* for an allowed Origin; Vary: Origin whenever CORS is configured, since the
 * answer then depends on it. */
static void add_cors_headers(struct request *r, struct MHD_Response *resp)
{
    const char *list = r->srv->o.cors_origins;
    if (!list || !*list)
        return;
    MHD_add_response_header(resp, "Vary", "Origin");
    const char *origin = aps_http_header(&r->req, "Origin");
    enum cors_grant g = cors_grant(list, origin);
    if (g == CORS_NONE)
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", g == CORS_NAMED ? origin : "*");
    if (g == CORS_NAMED)
        MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
}

/* nosniff everywhere; no-store where the answer is the caller's own or carries a token; the page
 * policies on HTML. Styles come from the page's own files only, except on the docs page (routes
 * tagged "docs"), whose Swagger UI needs inline styles; both pages may show data: images. */
static void add_security_headers(struct request *r, struct MHD_Response *resp, const char *ctype)
{
    bool own = false; /* the handler chose a Cache-Control of its own */
    for (int i = 0; i < r->res.nheaders; i++)
        own |= !strcasecmp(r->res.headers[i].name, "Cache-Control");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (!own && (r->req.who.authenticated || r->res.no_cache || r->res.personal))
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (ctype && !strncmp(ctype, "text/html", 9)) {
        const struct aps_route *rt = r->req.route;
        bool docs = rt && rt->tag && !strcmp(rt->tag, "docs");
        MHD_add_response_header(resp, "Content-Security-Policy",
                                docs ? "default-src 'self'; script-src 'self'; style-src 'self'"
                                       " 'unsafe-inline'; img-src 'self' data:; connect-src"
                                       " 'self'; object-src 'none'; base-uri 'none'; form-action"
                                       " 'self'; frame-ancestors 'none'"
                                     : "default-src 'self'; script-src 'self'; style-src 'self';"
                                       " img-src 'self' data:; connect-src 'self'; object-src"
                                       " 'none'; base-uri 'none'; form-action 'self';"
                                       " frame-ancestors 'none'");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    }
}

static void add_headers(struct request *r, struct MHD_Response *resp, const char *ctype,
                        size_t len, double secs)
{
    char rt[APS_FMT_CAP + 2];
    if (len || r->res.json || r->res.raw)
        MHD_add_response_header(resp, "Content-Type", ctype);
    if (r->etag[0])
        MHD_add_response_header(resp, "ETag", r->etag);
    MHD_add_response_header(resp, "X-Request-ID", r->req.request_id);
    size_t n = aps_fmt_fixed(rt, secs * 1000, 3);
    memcpy(rt + n, "ms", 3);
    MHD_add_response_header(resp, "X-Response-Time", rt);
    if (r->cache_state)
        MHD_add_response_header(resp, "X-Cache", r->cache_state == 2 ? "HIT" : "MISS");
    for (int i = 0; i < r->res.nheaders; i++)
        MHD_add_response_header(resp, r->res.headers[i].name, r->res.headers[i].value);
    add_cors_headers(r, resp);
    add_security_headers(r, resp, ctype);
    if (atomic_load(&r->srv->draining))
        MHD_add_response_header(resp, "Connection", "close");
}

static enum MHD_Result send_response(struct request *r)
{
    size_t len = 0;
    const char *ctype;
    bool free_it;
    char *body = response_body(r, &len, &ctype, &free_it);
    int status = r->res.status ? r->res.status : 200;
    bool get = !strcmp(r->req.method, "GET") || !strcmp(r->req.method, "HEAD");
    if (get && status == 200 && body) {
        if (r->cacheable && r->cache_state == 1 && r->res.json && !r->res.no_cache)
            cache_store(r, body, len);
        if (!r->etag[0])
            aps_http_etag(body, len, r->etag);
        const char *inm = aps_http_header(&r->req, "If-None-Match");
        if (inm && aps_http_etag_matches(inm, r->etag))
            status = 304;
    }
    size_t send_len = status == 304 || status == 204 ? 0 : len;
    /* A malloc'd body (JSON text, cache copy) is given to libmicrohttpd, which frees it; a body
     * lent by the cache is sent from the cache's bytes and released when libmicrohttpd is done
     * with them (the request keeps it when nothing is sent: a 304); a raw body lives in the
     * request arena and is copied. */
    enum MHD_ResponseMemoryMode mode = !send_len  ? MHD_RESPMEM_PERSISTENT
                                       : free_it ? MHD_RESPMEM_MUST_FREE
                                                 : MHD_RESPMEM_MUST_COPY;
    struct MHD_Response *resp;
    if (send_len && r->cache_state == 2 && r->cached_ref) {
        resp = MHD_create_response_from_buffer_with_free_callback_cls(
            send_len, body, r->srv->o.hooks.cache_release, r->cached_ref);
        if (resp)
            r->cached_ref = NULL; /* libmicrohttpd releases it */
    } else {
        resp = MHD_create_response_from_buffer(send_len, send_len ? body : (void *)"", mode);
    }
    if (free_it && mode != MHD_RESPMEM_MUST_FREE)
        aps_free(body);
    else if (!resp && mode == MHD_RESPMEM_MUST_FREE)
        aps_free(body);
    if (!resp)
        return MHD_NO;
    double secs = aps_time_mono() - r->t0;
    add_headers(r, resp, ctype, send_len, secs);
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->stage = ST_SENT;
    record(r, status, send_len, secs);
    return ret;
}

/* Collects a response's headers as "Name: value\r\n" lines. */
static enum MHD_Result header_line(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    aps_buf_printf(cls, "%s: %s\r\n", key, value ? value : "");
    return MHD_YES;
}

/* Writes all of buf to the non-blocking socket fd, waiting up to 2 s for room. */
static bool write_all(int fd, const char *buf, size_t len)
{
    double until = aps_time_mono() + 2;
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
                   aps_time_mono() < until) {
            struct pollfd p = {fd, POLLOUT, 0};
            (void)poll(&p, 1, 100);
        } else {
            return false;
        }
    }
    return true;
}

/* Answers a request whose body is still arriving (a chunked body past its limit): libmicrohttpd
 * queues no response before the body's end, and a client may never end it, so the answer — the
 * same status, headers and JSON envelope send_response would give, plus Connection: close — is
 * written to the socket here, and the write side shut so the client sees its end. The rest of the
 * body is read and discarded up to take_body's bound, then the connection closes. */
static void send_early(struct request *r)
{
    size_t len = 0;
    const char *ctype;
    bool free_it;
    char *body = response_body(r, &len, &ctype, &free_it);
    int status = r->res.status ? r->res.status : 500;
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
                                                                MHD_RESPMEM_PERSISTENT);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    double secs = aps_time_mono() - r->t0;
    r->stage = ST_WRITTEN;
    if (resp && ci) {
        struct aps_buf out = {0};
        const char *reason = MHD_get_reason_phrase_for((unsigned)status);
        aps_buf_printf(&out, "HTTP/1.1 %d %s\r\n", status, reason ? reason : "");
        add_headers(r, resp, ctype, len, secs);
        MHD_get_response_headers(resp, header_line, &out);
        aps_buf_printf(&out, "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
        aps_buf_append(&out, body, len);
        if (write_all(ci->connect_fd, aps_buf_str(&out), out.len))
            (void)shutdown(ci->connect_fd, SHUT_WR);
        aps_buf_cleanup(&out);
    }
    if (resp)
        MHD_destroy_response(resp);
    if (free_it)
        aps_free(body);
    record(r, status, len, secs);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload, size_t *upload_size, void **con_cls)
{
    struct aps_http_server *s = cls;
    struct request *r = *con_cls;
    if (!r) /* on_uri always runs first; this only guards against a library change */
        *con_cls = r = on_uri(s, url, c);
    if (r->stage == ST_SENT) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->stage == ST_WRITTEN) { /* answered already: discard the body, then close */
        bool keep = *upload_size && take_body(r, upload, *upload_size);
        *upload_size = 0;
        return keep ? MHD_YES : MHD_NO;
    }
    if (r->stage == ST_NEW) {
        r->stage = ST_BODY;
        if (first_call(r, url, method, version))
            return send_response(r);
        return MHD_YES;
    }
    if (*upload_size) {
        bool keep = take_body(r, upload, *upload_size);
        *upload_size = 0;
        /* An answer is decided (413 for this body, or one from the first call) and the chunked
         * body is past its limit: answer now rather than after a body that may never end. */
        if (keep && r->decided && r->discarded > route_body_limit(r) &&
            !aps_http_header(&r->req, "Content-Length"))
            send_early(r);
        return keep ? MHD_YES : MHD_NO;
    }
    if (!r->decided)
        process(r);
    return send_response(r);
}

/* ---- daemon -------------------------------------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct aps_http_server *s = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    APS_LOG(s->o.log, APS_LOG_WARNING, "\"component\":\"libmicrohttpd\"", "%s", line);
}

static void fill_defaults(struct aps_http_server_opts *o)
{
    if (!o->host || !*o->host)
        o->host = "127.0.0.1";
    if (o->threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = n > 0 ? (int)n : 2;
    }
    if (!o->body_limit)
        o->body_limit = DEFAULT_BODY_LIMIT;
    if (!o->url_limit)
        o->url_limit = DEFAULT_URL_LIMIT;
    if (!o->header_limit)
        o->header_limit = DEFAULT_HEADER_LIMIT;
    if (o->json_depth <= 0)
        o->json_depth = DEFAULT_JSON_DEPTH;
    if (!o->connection_timeout)
        o->connection_timeout = DEFAULT_TIMEOUT;
}

static void register_metrics(struct aps_http_server *s)
{
    static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    static const char *const rms[] = {"route", "method", "status", NULL};
    struct aps_metrics *m = s->o.metrics;
    if (!m)
        return;
    s->m_requests = aps_metrics_counter(m, "aps_http_requests_total",
                                        "HTTP requests answered, by route, method and status.",
                                        rms);
    s->m_duration = aps_metrics_histogram(m, "aps_http_request_duration_seconds",
                                          "Time from request line to queued response.", rms,
                                          buckets, sizeof buckets / sizeof buckets[0]);
    s->m_in_flight = aps_metrics_gauge(m, "aps_http_in_flight", "Requests being served now.",
                                       NULL);
    s->m_hits = aps_metrics_counter(m, "aps_http_cache_hits_total",
                                    "Cacheable GETs answered from the response cache.", NULL);
    s->m_misses = aps_metrics_counter(m, "aps_http_cache_misses_total",
                                      "Cacheable GETs the handler had to answer.", NULL);
    static const char *const role[] = {"role", NULL};
    s->m_by_role = aps_metrics_counter(m, "aps_http_requests_by_role_total",
                                       "HTTP requests answered, by the caller's role.", role);
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *sslen,
                   char *err, size_t errcap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(host, ps, &hints, &res);
    if (g || !res) {
        snprintf(err, errcap, "cannot resolve listen address %s: %s", host, gai_strerror(g));
        return APS_E_CONFIG;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static pthread_once_t pages_once = PTHREAD_ONCE_INIT;

static void rewrite_library_pages(void)
{
    (void)aps_http_library_pages_as_json();
}

/* The access lines go through a writer thread of their own (core/linewriter.h): request threads
 * never wait on the log's file. Other lines stay on o.log's FILE, which is flushed after every
 * line, so the two never interleave within a line. No writer for a FILE without a descriptor. */
static struct aps_linewriter *open_access_log(const struct aps_http_server_opts *o)
{
    if (!o->log)
        return NULL;
    FILE *f = o->log->out ? o->log->out : stdout;
    int fd = fileno(f);
    if (fd < 0)
        return NULL;
    fflush(f);
    return aps_linewriter_open(fd);
}

static void free_qspecs(struct route_qspec *q, size_t n)
{
    for (size_t i = 0; q && i < n; i++)
        aps_free(q[i].p);
    aps_free(q);
}

/* Every route's query spec, parsed once for all the server's requests; NULL with err set when
 * one does not parse (a mistake in the route table: the server does not start). */
static struct route_qspec *parse_qspecs(const struct aps_http_server_opts *o, char *err,
                                        size_t errcap)
{
    struct route_qspec *q = aps_calloc(o->nroutes ? o->nroutes : 1, sizeof *q);
    for (size_t i = 0; i < o->nroutes; i++) {
        struct aps_qparam ps[APS_HTTP_MAX_QPARAMS];
        size_t n;
        char why[160];
        if (aps_http_qspec_parse(o->routes[i].query, ps, APS_HTTP_MAX_QPARAMS, &n, why,
                                 sizeof why)) {
            snprintf(err, errcap, "route %s %s: %s", o->routes[i].method, o->routes[i].pattern,
                     why);
            free_qspecs(q, o->nroutes);
            return NULL;
        }
        q[i].n = n;
        if (n) {
            q[i].p = aps_malloc(n * sizeof *ps);
            memcpy(q[i].p, ps, n * sizeof *ps);
        }
        for (size_t k = 0; k < n; k++)
            q[i].required |= ps[k].required;
    }
    return q;
}

/* ---- event loop ----
 *
 * Each of o.threads threads runs a libmicrohttpd daemon of its own in "external" epoll mode: the
 * thread waits on the daemon's epoll descriptor (and its wake eventfd) for at most the daemon's
 * next connection timeout, then lets MHD_run() serve whatever is ready without blocking. The
 * daemons share one listening socket, each watching it in its own epoll set (the first ready
 * thread accepts; the others find nothing), as libmicrohttpd's own thread pool does.
 * Why not that pool: its poll() loop rebuilds and scans the whole descriptor set every round
 * (this loop serves 1.07-1.09 times its requests a second at 64 connections, bench/results/
 * api.md), and its epoll loop, after a
 * full batch of 128 events, waits again with the connection timeout instead of zero, so a thread
 * with exactly 128, 256, ... connections ready sleeps while all of them wait
 * (test_http_server: test_many_connections_at_once). MHD_run() never blocks, so that wait
 * never happens here.
 * Commands (quiesce, adopt the backlog, exit) reach a thread through its eventfd and are carried
 * out by the thread itself, since a daemon polled from outside belongs to the thread polling it. */

/* Connections the kernel completed but no daemon had accepted yet would be reset when the
 * listening socket closes, dropping requests their clients have already sent; accept them here
 * and hand them to this daemon so that they are served like the rest. */
static void adopt_backlog(struct worker *w, MHD_socket lfd)
{
    int fl = fcntl(lfd, F_GETFL);
    if (fl < 0 || fcntl(lfd, F_SETFL, fl | O_NONBLOCK) < 0)
        return; /* an accept on a blocking socket could wait forever */
    for (int n = 0; n < 4096; n++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        if (MHD_add_connection(w->d, fd, (const struct sockaddr *)&ss, len) != MHD_YES)
            APS_LOG(w->srv->o.log, APS_LOG_WARNING, NULL, "could not adopt a pending connection");
    }
}

static void run_command(struct worker *w, int cmd)
{
    struct aps_http_server *s = w->srv;
    if (cmd == CMD_QUIESCE)
        (void)MHD_quiesce_daemon(w->d); /* the shared socket is closed once, after ADOPT */
    else if (cmd == CMD_ADOPT && s->lfd != MHD_INVALID_SOCKET) {
        adopt_backlog(w, s->lfd);
        close(s->lfd);
        s->lfd = MHD_INVALID_SOCKET;
    }
    atomic_store(&w->done, cmd);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        MHD_UNSIGNED_LONG_LONG to;
        int ms = -1;
        if (MHD_get_timeout(w->d, &to) == MHD_YES)
            ms = to > 60000 ? 60000 : (int)to;
        struct epoll_event ev[2];
        int n = epoll_wait(w->ep, ev, 2, ms);
        for (int i = 0; i < n; i++)
            if (ev[i].data.fd == w->wake) {
                uint64_t v;
                (void)!read(w->wake, &v, sizeof v);
            }
        int cmd = atomic_exchange(&w->cmd, CMD_NONE);
        if (cmd == CMD_EXIT) {
            atomic_store(&w->done, cmd);
            return NULL;
        }
        if (cmd != CMD_NONE)
            run_command(w, cmd);
        (void)MHD_run(w->d);
    }
}

/* Asks a worker to carry out cmd and waits until it has. */
static void ask_worker(struct worker *w, int cmd)
{
    if (!w->started) {
        if (cmd != CMD_EXIT)
            run_command(w, cmd); /* no thread: nothing else touches the daemon */
        return;
    }
    atomic_store(&w->cmd, cmd);
    uint64_t one = 1;
    (void)!write(w->wake, &one, sizeof one);
    while (atomic_load(&w->done) != cmd) {
        struct timespec ts = {0, 200 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void stop_workers(struct aps_http_server *s)
{
    for (int i = 0; i < s->nw; i++) {
        struct worker *w = &s->w[i];
        if (w->started) {
            ask_worker(w, CMD_EXIT);
            pthread_join(w->th, NULL);
        }
        if (w->d) {
            (void)MHD_quiesce_daemon(w->d); /* the socket is ours to close, not each daemon's */
            MHD_stop_daemon(w->d);
        }
        if (w->ep >= 0)
            close(w->ep);
        if (w->wake >= 0)
            close(w->wake);
    }
    if (s->lfd != MHD_INVALID_SOCKET)
        close(s->lfd);
    aps_free(s->w);
}

static struct MHD_Daemon *start_daemon(struct aps_http_server *s, const struct sockaddr_storage *ss,
                                       unsigned limit)
{
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    size_t pool = s->o.url_limit + s->o.header_limit + POOL_SLACK;
    /* The first daemon opens the listening socket, the others are given it. */
    struct sockaddr_storage addr = *ss;
    struct MHD_OptionItem first[] = {{MHD_OPTION_SOCK_ADDR, 0, &addr},
                                     {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
                                     {MHD_OPTION_END, 0, NULL}};
    struct MHD_OptionItem given[] = {{MHD_OPTION_LISTEN_SOCKET, (intptr_t)s->lfd, NULL},
                                     {MHD_OPTION_END, 0, NULL}};
    /* The logger goes first so that libmicrohttpd's messages about the other options use it. */
    return MHD_start_daemon(flags, (uint16_t)s->o.port, NULL, NULL, on_access, s,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_ARRAY,
                            s->lfd == MHD_INVALID_SOCKET ? first : given,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o.connection_timeout,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_CONNECTION_LIMIT,
                            limit, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
}

/* The worker's epoll set: its daemon's epoll descriptor and its wake eventfd. */
static int worker_events(struct worker *w)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_EPOLL_FD);
    w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!di || w->wake < 0 || w->ep < 0)
        return -1;
    struct epoll_event e1 = {.events = EPOLLIN, .data.fd = di->epoll_fd};
    struct epoll_event e2 = {.events = EPOLLIN, .data.fd = w->wake};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, di->epoll_fd, &e1) ||
        epoll_ctl(w->ep, EPOLL_CTL_ADD, w->wake, &e2))
        return -1;
    return 0;
}

static int start_workers(struct aps_http_server *s, const struct sockaddr_storage *ss, char *err,
                         size_t errcap)
{
    s->nw = s->o.threads > 0 ? s->o.threads : 1;
    s->w = aps_calloc((size_t)s->nw, sizeof *s->w);
    s->lfd = MHD_INVALID_SOCKET;
    unsigned limit = 8192 / (unsigned)s->nw;
    int rc = 0;
    for (int i = 0; i < s->nw && !rc; i++) {
        struct worker *w = &s->w[i];
        w->srv = s;
        w->ep = w->wake = -1;
        w->d = start_daemon(s, ss, limit);
        if (!w->d) {
            snprintf(err, errcap, "cannot listen on %s:%d (address in use or not allowed)",
                     s->o.host, s->o.port);
            rc = APS_E_IO;
            break;
        }
        if (i == 0) {
            const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_LISTEN_FD);
            const union MHD_DaemonInfo *pi = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
            s->lfd = di ? di->listen_fd : MHD_INVALID_SOCKET;
            s->port = pi ? pi->port : s->o.port;
        }
        if (s->lfd == MHD_INVALID_SOCKET || worker_events(w)) {
            snprintf(err, errcap, "cannot set up the event loop of the server: %s",
                     strerror(errno));
            rc = APS_E_IO;
        }
    }
    for (int i = 0; i < s->nw && !rc; i++) {
        struct worker *w = &s->w[i];
        if (pthread_create(&w->th, NULL, worker_main, w)) {
            snprintf(err, errcap, "cannot start the server's threads");
            rc = APS_E_IO;
        } else {
            char name[16];
            snprintf(name, sizeof name, "aps-http-%d", i % 1000);
            (void)pthread_setname_np(w->th, name);
            w->started = true;
        }
    }
    if (rc)
        stop_workers(s);
    return rc;
}

int aps_http_server_start(struct aps_http_server **out, const struct aps_http_server_opts *o,
                          char *err, size_t errcap)
{
    *out = NULL;
    pthread_once(&pages_once, rewrite_library_pages);
    if (sodium_init() < 0) {
        snprintf(err, errcap, "libsodium failed to initialise");
        return APS_E_STATE;
    }
    struct route_qspec *qspecs = parse_qspecs(o, err, errcap);
    if (!qspecs)
        return APS_E_PARSE;
    struct aps_http_server *s = aps_calloc(1, sizeof *s);
    s->o = *o;
    s->qspecs = qspecs;
    fill_defaults(&s->o);
    register_metrics(s);
    struct sockaddr_storage ss;
    socklen_t sslen;
    int rc = resolve(s->o.host, s->o.port, &ss, &sslen, err, errcap);
    if (rc) {
        free_qspecs(s->qspecs, s->o.nroutes);
        aps_free(s);
        return rc;
    }
    s->access_log = open_access_log(&s->o);
    rc = start_workers(s, &ss, err, errcap);
    if (rc) {
        aps_linewriter_close(s->access_log);
        free_qspecs(s->qspecs, s->o.nroutes);
        aps_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int aps_http_server_port(const struct aps_http_server *s)
{
    return s->port;
}

int aps_http_server_threads(const struct aps_http_server *s)
{
    return s->o.threads;
}

int aps_http_server_in_flight(const struct aps_http_server *s)
{
    return atomic_load(&s->in_flight);
}

/* True once nothing is in flight and no fresh connection is pending (those only during the
 * first FRESH_WAIT seconds: a client that connects and says nothing is not worth waiting for). */
#define FRESH_WAIT 2.0
#define QUIET_TIME 0.1

static bool idle_now(struct aps_http_server *s, double elapsed)
{
    return atomic_load(&s->in_flight) == 0 && (elapsed > FRESH_WAIT || atomic_load(&s->fresh) == 0);
}

void aps_http_server_stop(struct aps_http_server *s, double drain_seconds)
{
    if (!s)
        return;
    atomic_store(&s->draining, true);
    /* every daemon stops accepting, then the first takes what the kernel still holds */
    for (int i = 0; i < s->nw; i++)
        ask_worker(&s->w[i], CMD_QUIESCE);
    ask_worker(&s->w[0], CMD_ADOPT);
    /* Wait until the server has been idle for QUIET_TIME: a thread that just finished one
     * request may be about to parse the next one already read from a connection. */
    double t0 = aps_time_mono(), quiet_since = -1;
    for (;;) {
        double now = aps_time_mono();
        if (now - t0 >= drain_seconds)
            break;
        if (!idle_now(s, now - t0))
            quiet_since = -1;
        else if (quiet_since < 0)
            quiet_since = now;
        else if (now - quiet_since >= QUIET_TIME)
            break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&s->in_flight);
    if (left)
        APS_LOG(s->o.log, APS_LOG_WARNING, NULL, "stopping with %d requests still in flight", left);
    stop_workers(s);
    aps_linewriter_close(s->access_log);
    free_qspecs(s->qspecs, s->o.nroutes);
    aps_free(s);
}
