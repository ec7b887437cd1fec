/* test_http_server.c — the HTTP server end to end over loopback with libcurl: the dispatch order
 * of http.h (404/405, limits 413/414/431, JSON 400, 401/403, 429, cache with ETag and 304,
 * handler failure 500), the envelope with its request id, response headers, keep-alive over one
 * connection, metrics, a stop that lets a slow request finish, 256 connections ready at once
 * on one server thread all answered, and the access log's lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/http.h"
#include "metrics/metrics.h"

/* ---- the application under test ------------------------------------------------------------ */

static atomic_int cached_calls;

static int h_ok(struct aps_http_req *req, struct aps_http_res *res)
{
    return aps_http_json(res, 200, json_pack("{s:b,s:s}", "ok", 1, "who",
                                             aps_role_name(req->who.role)));
}

static int h_slow(struct aps_http_req *req, struct aps_http_res *res)
{
    usleep(400 * 1000);
    return h_ok(req, res);
}

static int h_echo(struct aps_http_req *req, struct aps_http_res *res)
{
    if (!req->json)
        return aps_http_error(res, 400, "VALIDATION_ERROR", "a JSON body is required");
    return aps_http_json(res, 200, json_incref(req->json));
}

static int h_cached(struct aps_http_req *req, struct aps_http_res *res)
{
    int n = atomic_fetch_add(&cached_calls, 1) + 1;
    return aps_http_json(res, 200, json_pack("{s:i,s:s?}", "n", n, "q", aps_http_query(req, "q")));
}

static int h_fail(struct aps_http_req *req, struct aps_http_res *res)
{
    return APS_E_DB;
}

/* What the request carries: q (the first one sent), the header X-Probe read by another case,
 * how many query parameters and headers it holds, and the client's address. */
static int h_peek(struct aps_http_req *req, struct aps_http_res *res)
{
    return aps_http_json(res, 200,
                         json_pack("{s:s?,s:s?,s:I,s:I,s:s}", "q", aps_http_query(req, "q"),
                                   "probe", aps_http_header(req, "x-PROBE"), "nquery",
                                   (json_int_t)req->nquery, "nheaders", (json_int_t)req->nheaders,
                                   "ip", req->client_ip));
}

static const struct aps_route routes[] = {
    {"GET", "/ok", h_ok, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "t", "ok", "q:string(100000)", NULL,
     "200 Ok", NULL},
    {"GET", "/slow", h_slow, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "t", "slow", NULL, NULL, "200 Ok",
     NULL},
    {"POST", "/echo", h_echo, APS_PERM_PUBLIC, 1024, APS_CACHE_NONE, "t", "echo", NULL,
     "Echo+form", "200 Echo", NULL},
    {"GET", "/admin", h_ok, APS_PERM_MANAGE_USERS, 0, APS_CACHE_NONE, "t", "admin", NULL, NULL,
     "200 Ok", NULL},
    {"GET", "/cached", h_cached, APS_PERM_PUBLIC, 0, APS_CACHE_DEFAULT, "t", "cached",
     "a:int(0,9) b:int(0,9)", NULL, "200 Ok", NULL},
    {"GET", "/limited", h_ok, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "limited", "limited", NULL, NULL,
     "200 Ok", NULL},
    {"GET", "/fail", h_fail, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "t", "fail", NULL, NULL, "200 Ok",
     NULL},
    {"GET", "/peek", h_peek, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "t", "peek", "q:string(100)",
     NULL, "200 Ok", NULL},
};

static int authenticate(void *ctx, struct aps_http_req *req, struct aps_http_res *res)
{
    const char *a = aps_http_header(req, "Authorization");
    if (!a)
        return 0;
    if (!strcmp(a, "Bearer user") || !strcmp(a, "Bearer admin")) {
        req->who.authenticated = true;
        req->who.user_id = a[7] == 'u' ? 1 : 2;
        req->who.role = a[7] == 'u' ? APS_ROLE_USER : APS_ROLE_ADMIN;
        return 0;
    }
    if (!strcmp(a, "Bearer cached")) { /* an answer that no hook below confirms */
        req->who.authenticated = true;
        req->who.user_id = 3;
        req->who.role = APS_ROLE_ADMIN;
        req->who.unconfirmed = true;
        return 0;
    }
    aps_http_error(res, 401, "UNAUTHORIZED", "bad token");
    return 1;
}

static atomic_int limited_hits;

static int rate_limit(void *ctx, struct aps_http_req *req, struct aps_http_res *res)
{
    if (strcmp(req->route->tag, "limited"))
        return 0;
    int n = atomic_fetch_add(&limited_hits, 1) + 1;
    aps_http_header_set(res, "X-RateLimit-Limit", "2");
    if (n <= 2)
        return 0;
    aps_http_error(res, 429, "RATE_LIMITED", "slow down");
    aps_http_header_set(res, "Retry-After", "60");
    return 1;
}

/* A one-slot-per-key cache, enough for the test. */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char key[256];
    char *body;
    size_t len;
} slots[8];

static int cache_get(void *ctx, const char *const *keys, int nkeys, char **body, size_t *len,
                     char etag[48])
{
    int rc = 1;
    pthread_mutex_lock(&cache_mu);
    for (int k = 0; k < nkeys && rc; k++)
        for (int i = 0; i < 8 && rc; i++)
            if (slots[i].body && !strcmp(slots[i].key, keys[k])) {
                *body = aps_strndup(slots[i].body, slots[i].len);
                *len = slots[i].len;
                aps_http_etag(slots[i].body, slots[i].len, etag);
                rc = 0;
            }
    pthread_mutex_unlock(&cache_mu);
    return rc;
}

/* Lends the slot's own bytes (slots live until teardown) for keys with "b=2", so that both the
 * lent path and the copying path above are exercised; counts what was lent and released. */
static atomic_int lent, released;

static int cache_get_ref(void *ctx, const char *key, const char **body, size_t *len,
                         char etag[48], void **ref)
{
    int rc = 1;
    if (!strstr(key, "b=2"))
        return 1;
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < 8; i++)
        if (slots[i].body && !strcmp(slots[i].key, key)) {
            *body = slots[i].body;
            *len = slots[i].len;
            *ref = &slots[i];
            aps_http_etag(slots[i].body, slots[i].len, etag);
            atomic_fetch_add(&lent, 1);
            rc = 0;
        }
    pthread_mutex_unlock(&cache_mu);
    return rc;
}

static void cache_release(void *ref)
{
    assert_non_null(ref);
    atomic_fetch_add(&released, 1);
}

static void cache_put(void *ctx, const char *key, const char *body, size_t len, int ttl)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < 8; i++)
        if (!slots[i].body) {
            (void)aps_str_copy(slots[i].key, sizeof slots[i].key, key);
            slots[i].body = aps_strndup(body, len);
            slots[i].len = len;
            break;
        }
    pthread_mutex_unlock(&cache_mu);
}

struct fixture {
    struct aps_http_server *srv;
    struct aps_metrics *metrics;
    struct aps_logger log; /* ERROR lines only, into a temporary file */
    char base[64];
};
static struct fixture g;

static struct aps_http_server *start_logging(struct aps_metrics *m, int threads,
                                            struct aps_logger *log)
{
    struct aps_http_server_opts o = {
        .host = "127.0.0.1",
        .threads = threads,
        .routes = routes,
        .nroutes = sizeof routes / sizeof routes[0],
        .metrics = m,
        .log = log,
        .hooks = {.authenticate = authenticate, .rate_limit = rate_limit,
                  .cache_get = cache_get, .cache_get_ref = cache_get_ref,
                  .cache_release = cache_release, .cache_put = cache_put},
    };
    struct aps_http_server *s = NULL;
    char err[256];
    if (aps_http_server_start(&s, &o, err, sizeof err))
        fail_msg("server start: %s", err);
    return s;
}

static struct aps_http_server *start(struct aps_metrics *m, int threads)
{
    return start_logging(m, threads, &g.log);
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    g.log.level = APS_LOG_ERROR;
    g.log.out = tmpfile();
    if (!g.log.out || aps_metrics_new(&g.metrics))
        return -1;
    g.srv = start(g.metrics, 2);
    snprintf(g.base, sizeof g.base, "http://127.0.0.1:%d", aps_http_server_port(g.srv));
    return 0;
}

static int teardown(void **state)
{
    aps_http_server_stop(g.srv, 1);
    aps_metrics_free(g.metrics);
    fclose(g.log.out);
    for (int i = 0; i < 8; i++)
        aps_free(slots[i].body);
    curl_global_cleanup();
    return 0;
}

/* ---- a small client ---------------------------------------------------------------------- */

struct reply {
    long status;
    struct aps_buf body, headers;
    json_t *json;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    aps_buf_append(ud, p, size * n);
    return size * n;
}

static void reply_cleanup(struct reply *r)
{
    aps_buf_cleanup(&r->body);
    aps_buf_cleanup(&r->headers);
    if (r->json)
        json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* Runs one request on handle h (reused: keep-alive); extra headers may be NULL. */
static void request(CURL *h, const char *method, const char *path, const char *body, size_t len,
                    struct curl_slist *hdrs, struct reply *r)
{
    char url[16384];
    snprintf(url, sizeof url, "%s%s", g.base, path);
    memset(r, 0, sizeof *r);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, body ? (long)len : -1L);
    if (!body)
        curl_easy_setopt(h, CURLOPT_HTTPGET, strcmp(method, "GET") ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    r->json = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
}

static void get(const char *path, struct curl_slist *hdrs, struct reply *r)
{
    CURL *h = curl_easy_init();
    request(h, "GET", path, NULL, 0, hdrs, r);
    curl_easy_cleanup(h);
}

/* The value of response header name (case-insensitive) copied into out; false when absent. */
static bool header(const struct reply *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = aps_buf_str(&r->headers); *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1
                                                                          : p + strlen(p)) {
        if (!strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r\n");
            snprintf(out, cap, "%.*s", (int)vl, v);
            return true;
        }
    }
    return false;
}

static void assert_envelope(const struct reply *r, long status, const char *code)
{
    assert_int_equal(r->status, status);
    assert_non_null(r->json);
    json_t *e = json_object_get(r->json, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    assert_true(json_is_array(json_object_get(e, "details")));
    char rid[64];
    assert_true(header(r, "X-Request-ID", rid, sizeof rid));
    assert_string_equal(json_string_value(json_object_get(r->json, "request_id")), rid);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_ok_headers(void **state)
{
    struct reply r;
    char v[128];
    get("/ok", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "ok")));
    assert_string_equal(json_string_value(json_object_get(r.json, "who")), "anonymous");
    assert_true(header(&r, "X-Request-ID", v, sizeof v));
    assert_int_equal(strlen(v), 32);
    assert_int_equal(strspn(v, "0123456789abcdef"), 32);
    assert_true(header(&r, "X-Response-Time", v, sizeof v));
    assert_non_null(strstr(v, "ms"));
    assert_true(header(&r, "Content-Type", v, sizeof v));
    assert_string_equal(v, "application/json");
    assert_true(header(&r, "ETag", v, sizeof v));
    reply_cleanup(&r);
    /* Every request gets its own id. */
    char first[64], second[64];
    get("/ok", NULL, &r);
    assert_true(header(&r, "X-Request-ID", first, sizeof first));
    reply_cleanup(&r);
    get("/ok", NULL, &r);
    assert_true(header(&r, "X-Request-ID", second, sizeof second));
    assert_string_not_equal(first, second);
    reply_cleanup(&r);
}

static void test_not_found_and_method(void **state)
{
    struct reply r;
    char allow[64];
    get("/nope", NULL, &r);
    assert_envelope(&r, 404, "NOT_FOUND");
    reply_cleanup(&r);
    CURL *h = curl_easy_init();
    request(h, "DELETE", "/ok", NULL, 0, NULL, &r);
    assert_envelope(&r, 405, "METHOD_NOT_ALLOWED");
    assert_true(header(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET");
    reply_cleanup(&r);
    request(h, "OPTIONS", "/echo", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 204);
    assert_true(header(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "POST");
    reply_cleanup(&r);
    curl_easy_cleanup(h);
}

static void test_body_limit(void **state)
{
    CURL *h = curl_easy_init();
    struct reply r;
    char big[2048];
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 1] = '}';
    request(h, "POST", "/echo", big, sizeof big, NULL, &r);
    assert_envelope(&r, 413, "PAYLOAD_TOO_LARGE");
    reply_cleanup(&r);
    /* Chunked: no Content-Length, so the limit trips while reading. */
    struct curl_slist *hd = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    request(h, "POST", "/echo", big, sizeof big, hd, &r);
    assert_envelope(&r, 413, "PAYLOAD_TOO_LARGE");
    reply_cleanup(&r);
    /* Far past the limit (32 MiB against 1 KiB, beyond the 4 × limit + 1 MiB the server reads
     * before closing): the 413 envelope still arrives, sent as soon as the body passed the
     * limit, and the connection closes. */
    size_t huge_len = (size_t)32 << 20;
    char *huge = malloc(huge_len);
    assert_non_null(huge);
    memset(huge, ' ', huge_len);
    request(h, "POST", "/echo", huge, huge_len, hd, &r);
    assert_envelope(&r, 413, "PAYLOAD_TOO_LARGE");
    char conn[32];
    assert_true(header(&r, "Connection", conn, sizeof conn));
    assert_string_equal(conn, "close");
    reply_cleanup(&r);
    free(huge);
    curl_slist_free_all(hd);
    /* Within the limit it is echoed. */
    request(h, "POST", "/echo", "{\"a\":[1,2]}", 11, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(r.json, "a"), 1)), 2);
    reply_cleanup(&r);
    curl_easy_cleanup(h);
}

static void test_json_errors(void **state)
{
    CURL *h = curl_easy_init();
    struct reply r;
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    request(h, "POST", "/echo", deep, sizeof deep, NULL, &r);
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    assert_non_null(strstr(aps_buf_str(&r.body), "deeper than 32"));
    reply_cleanup(&r);
    request(h, "POST", "/echo", "{\"a\":", 5, NULL, &r);
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    reply_cleanup(&r);
    curl_easy_cleanup(h);
}

/* The route's query spec is enforced before the handler: an undeclared parameter is refused
 * naming it and the allowed ones, a declared one out of its bounds is refused naming it. */
static void test_query_parameters(void **state)
{
    struct reply r;
    get("/ok?q=x&sprot=NBA", NULL, &r);
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    json_t *e = json_object_get(r.json, "error");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "'sprot'"));
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "allowed: q"));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(e, "details"), 0), "field")),
                        "sprot");
    reply_cleanup(&r);
    get("/slow?x=1", NULL, &r);
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    assert_non_null(strstr(aps_buf_str(&r.body), "takes no query parameters"));
    reply_cleanup(&r);
    get("/cached?a=10&b=1", NULL, &r);
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    assert_non_null(strstr(aps_buf_str(&r.body), "\"field\":\"a\""));
    assert_non_null(strstr(aps_buf_str(&r.body), "from 0 to 9"));
    reply_cleanup(&r);
    get("/ok?q=fine", NULL, &r);
    assert_int_equal(r.status, 200);
    reply_cleanup(&r);
}

/* The request carries its query parameters (decoded, the first of a repeated name wins) and
 * headers (names without regard to case); more than the bounds of http.h is refused. */
static void test_query_and_headers_taken(void **state)
{
    struct reply r;
    struct curl_slist *hd = curl_slist_append(NULL, "X-Probe: seen");
    get("/peek?q=a%20b+c&q=second", hd, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "q")), "a b c");
    assert_string_equal(json_string_value(json_object_get(r.json, "probe")), "seen");
    assert_int_equal(json_integer_value(json_object_get(r.json, "nquery")), 2);
    long base = (long)json_integer_value(json_object_get(r.json, "nheaders")) - 1; /* curl's own */
    reply_cleanup(&r);
    curl_slist_free_all(hd);
    /* APS_HTTP_MAX_QUERY parameters are fine, one more is 400. */
    struct aps_buf path = {0};
    aps_buf_puts(&path, "/peek?q=0");
    for (int i = 1; i < APS_HTTP_MAX_QUERY; i++)
        aps_buf_printf(&path, "&q=%d", i);
    get(aps_buf_str(&path), NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "nquery")), APS_HTTP_MAX_QUERY);
    assert_string_equal(json_string_value(json_object_get(r.json, "q")), "0");
    reply_cleanup(&r);
    aps_buf_puts(&path, "&q=x");
    get(aps_buf_str(&path), NULL, &r);
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    assert_non_null(strstr(aps_buf_str(&r.body), "more than 64 query parameters"));
    reply_cleanup(&r);
    aps_buf_cleanup(&path);
    /* APS_HTTP_MAX_REQ_HEADERS headers in all are fine, one more is 431. */
    hd = NULL;
    for (long i = base; i < APS_HTTP_MAX_REQ_HEADERS; i++) {
        char line[64];
        snprintf(line, sizeof line, "X-H%ld: %ld", i, i);
        hd = curl_slist_append(hd, line);
    }
    get("/peek", hd, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "nheaders")),
                     APS_HTTP_MAX_REQ_HEADERS);
    reply_cleanup(&r);
    hd = curl_slist_append(hd, "X-One-More: 1");
    get("/peek", hd, &r);
    assert_envelope(&r, 431, "HEADERS_TOO_LARGE");
    assert_non_null(strstr(aps_buf_str(&r.body), "more than 100 request headers"));
    reply_cleanup(&r);
    curl_slist_free_all(hd);
}

/* A route that takes form bodies gets application/x-www-form-urlencoded ones as a JSON object
 * of strings; JSON text labelled as a form (curl -d) stays JSON. */
static void test_form_body(void **state)
{
    CURL *h = curl_easy_init();
    struct reply r;
    struct curl_slist *form = curl_slist_append(NULL,
                                                "Content-Type: application/x-www-form-urlencoded");
    const char *body = "username=a%40b.example&password=x+y%21&grant_type=password";
    request(h, "POST", "/echo", body, strlen(body), form, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "username")), "a@b.example");
    assert_string_equal(json_string_value(json_object_get(r.json, "password")), "x y!");
    reply_cleanup(&r);
    request(h, "POST", "/echo", "{\"a\":1}", 7, form, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "a")), 1);
    reply_cleanup(&r);
    request(h, "POST", "/echo", "a=%zz", 5, form, &r);
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    reply_cleanup(&r);
    curl_slist_free_all(form);
    curl_easy_cleanup(h);
}

static void test_url_and_header_limits(void **state)
{
    struct reply r;
    struct aps_buf path = {0};
    aps_buf_puts(&path, "/ok?q=");
    for (int i = 0; i < 5000; i++) /* over the 4 KiB URL limit, inside the pool */
        aps_buf_putc(&path, 'a');
    get(aps_buf_str(&path), NULL, &r);
    assert_envelope(&r, 414, "URI_TOO_LONG");
    reply_cleanup(&r);
    struct aps_buf hv = {0};
    aps_buf_puts(&hv, "X-Big: ");
    for (int i = 0; i < 10000; i++) /* over the 8 KiB header limit, inside the pool */
        aps_buf_putc(&hv, 'b');
    struct curl_slist *hd = curl_slist_append(NULL, aps_buf_str(&hv));
    get("/ok", hd, &r);
    assert_envelope(&r, 431, "HEADERS_TOO_LARGE");
    reply_cleanup(&r);
    curl_slist_free_all(hd);
    /* Past the connection's memory pool (16 KiB) libmicrohttpd answers itself: the status still
     * holds. (A URL past the pool is refused by libmicrohttpd before the request is read whole;
     * curl reports that as a transport error, so only the header case is checked here.) */
    for (int i = 0; i < 60000; i++)
        aps_buf_putc(&hv, 'b');
    hd = curl_slist_append(NULL, aps_buf_str(&hv));
    get("/ok", hd, &r);
    assert_int_equal(r.status, 431);
    reply_cleanup(&r);
    curl_slist_free_all(hd);
    aps_buf_cleanup(&path);
    aps_buf_cleanup(&hv);
}

static void test_auth_and_permissions(void **state)
{
    struct reply r;
    char v[64];
    get("/admin", NULL, &r);
    assert_envelope(&r, 401, "UNAUTHORIZED");
    assert_true(header(&r, "WWW-Authenticate", v, sizeof v));
    reply_cleanup(&r);
    struct curl_slist *user = curl_slist_append(NULL, "Authorization: Bearer user");
    struct curl_slist *admin = curl_slist_append(NULL, "Authorization: Bearer admin");
    struct curl_slist *bad = curl_slist_append(NULL, "Authorization: Bearer forged");
    get("/admin", user, &r);
    assert_envelope(&r, 403, "FORBIDDEN");
    reply_cleanup(&r);
    get("/admin", admin, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "who")), "admin");
    reply_cleanup(&r);
    /* A bad credential is 401 even on a public route. */
    get("/ok", bad, &r);
    assert_envelope(&r, 401, "UNAUTHORIZED");
    reply_cleanup(&r);
    /* A caller resting on a cached answer that the rate-limit hook did not confirm never
     * reaches a handler. */
    struct curl_slist *cached = curl_slist_append(NULL, "Authorization: Bearer cached");
    get("/admin", cached, &r);
    assert_envelope(&r, 503, "SERVICE_UNAVAILABLE");
    reply_cleanup(&r);
    curl_slist_free_all(cached);
    curl_slist_free_all(user);
    curl_slist_free_all(admin);
    curl_slist_free_all(bad);
}

static void test_rate_limit(void **state)
{
    struct reply r;
    char v[32];
    for (int i = 0; i < 2; i++) {
        get("/limited", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_true(header(&r, "X-RateLimit-Limit", v, sizeof v));
        reply_cleanup(&r);
    }
    get("/limited", NULL, &r);
    assert_envelope(&r, 429, "RATE_LIMITED");
    assert_true(header(&r, "Retry-After", v, sizeof v));
    assert_string_equal(v, "60");
    reply_cleanup(&r);
}

static void test_cache_etag_304(void **state)
{
    struct reply r;
    char etag[64], v[64];
    int before = atomic_load(&cached_calls);
    get("/cached?b=2&a=1", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(header(&r, "X-Cache", v, sizeof v));
    assert_string_equal(v, "MISS");
    assert_true(header(&r, "ETag", etag, sizeof etag));
    char *first = aps_strdup(aps_buf_str(&r.body));
    reply_cleanup(&r);
    /* The same query in another order is the same entry: the handler does not run again. */
    get("/cached?a=1&b=2", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(header(&r, "X-Cache", v, sizeof v));
    assert_string_equal(v, "HIT");
    assert_string_equal(aps_buf_str(&r.body), first);
    assert_true(header(&r, "ETag", v, sizeof v));
    assert_string_equal(v, etag);
    assert_int_equal(atomic_load(&cached_calls), before + 1);
    reply_cleanup(&r);
    char inm[96];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    struct curl_slist *hd = curl_slist_append(NULL, inm);
    get("/cached?a=1&b=2", hd, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body.len, 0);
    reply_cleanup(&r);
    curl_slist_free_all(hd);
    aps_free(first);
    /* The two hits (200 and 304) were lent from the cache and each released once, after the
     * answer went out (the 304 with nothing sent). */
    for (int i = 0; i < 100 && atomic_load(&released) < atomic_load(&lent); i++)
        usleep(10000);
    assert_true(atomic_load(&lent) >= 2);
    assert_int_equal(atomic_load(&released), atomic_load(&lent));
    /* No query at all (regression: qsort was handed a NULL list, caught by UBSan). */
    get("/cached", NULL, &r);
    assert_int_equal(r.status, 200);
    reply_cleanup(&r);
}

static void test_handler_failure(void **state)
{
    struct reply r;
    long before = ftell(g.log.out);
    get("/fail", NULL, &r);
    assert_envelope(&r, 500, "INTERNAL_ERROR");
    /* Every 500 logs its cause, with the request id the client got. */
    char line[1024] = "";
    fflush(g.log.out);
    fseek(g.log.out, before, SEEK_SET);
    bool found = false;
    while (!found && fgets(line, sizeof line, g.log.out))
        found = strstr(line, "\"server error\"") && strstr(line, "\"route\":\"/fail\"") &&
                strstr(line, "the handler failed") &&
                strstr(line, json_string_value(json_object_get(r.json, "request_id")));
    fseek(g.log.out, 0, SEEK_END);
    assert_true(found);
    /* The cause stays in the log: the answer does not carry it (DEBUG off). */
    assert_null(json_object_get(json_object_get(r.json, "error"), "cause"));
    reply_cleanup(&r);
}

/* DEBUG: a server error's answer carries its cause; a client error's does not. */
static void test_debug_cause(void **state)
{
    struct aps_http_server_opts o = {.host = "127.0.0.1",
                                     .threads = 1,
                                     .routes = routes,
                                     .nroutes = sizeof routes / sizeof routes[0],
                                     .debug = true};
    struct aps_http_server *s = NULL;
    char err[256], base[64];
    assert_int_equal(aps_http_server_start(&s, &o, err, sizeof err), 0);
    snprintf(base, sizeof base, "%s", g.base);
    snprintf(g.base, sizeof g.base, "http://127.0.0.1:%d", aps_http_server_port(s));
    struct reply r;
    get("/fail", NULL, &r);
    assert_envelope(&r, 500, "INTERNAL_ERROR");
    const char *cause = json_string_value(
        json_object_get(json_object_get(r.json, "error"), "cause"));
    assert_non_null(cause);
    assert_non_null(strstr(cause, "the handler failed"));
    reply_cleanup(&r);
    get("/no-such-route", NULL, &r);
    assert_int_equal(r.status, 404);
    assert_null(json_object_get(json_object_get(r.json, "error"), "cause"));
    reply_cleanup(&r);
    aps_http_server_stop(s, 1);
    snprintf(g.base, sizeof g.base, "%s", base);
}

static void test_keep_alive(void **state)
{
    CURL *h = curl_easy_init();
    long connects = 0;
    for (int i = 0; i < 50; i++) {
        struct reply r;
        request(h, i % 2 ? "GET" : "POST", i % 2 ? "/ok" : "/echo", i % 2 ? NULL : "[1]",
                i % 2 ? 0 : 3, NULL, &r);
        assert_int_equal(r.status, 200);
        long n = 0;
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n);
        connects += n;
        reply_cleanup(&r);
    }
    /* One connection for all fifty requests. */
    assert_int_equal(connects, 1);
    curl_easy_cleanup(h);
}

/* Requests on one connection reuse the server thread's request: nothing of one (its body, its
 * query parameters and headers, an arena grown by a long query) shows in the next. */
static void test_requests_reused_clean(void **state)
{
    CURL *h = curl_easy_init();
    struct reply r;
    char path[4096];
    request(h, "POST", "/echo", "{\"a\":[1,2,3]}", 13, NULL, &r);
    assert_int_equal(r.status, 200);
    reply_cleanup(&r);
    request(h, "POST", "/echo", NULL, 0, NULL, &r);
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    reply_cleanup(&r);
    /* 40 query parameters: past the inline block, into the arena. */
    int n = snprintf(path, sizeof path, "/peek?q=first");
    for (int i = 0; i < 39; i++)
        n += snprintf(path + n, sizeof path - (size_t)n, "&q=%d", i);
    struct curl_slist *hd = curl_slist_append(NULL, "X-Probe: one");
    request(h, "GET", path, NULL, 0, hd, &r);
    curl_slist_free_all(hd);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "q")), "first");
    assert_string_equal(json_string_value(json_object_get(r.json, "probe")), "one");
    assert_int_equal(json_integer_value(json_object_get(r.json, "nquery")), 40);
    json_int_t headers = json_integer_value(json_object_get(r.json, "nheaders"));
    reply_cleanup(&r);
    request(h, "GET", "/peek", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_null(json_object_get(r.json, "q")));
    assert_true(json_is_null(json_object_get(r.json, "probe")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "nquery")), 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "nheaders")), headers - 1);
    reply_cleanup(&r);
    long connects = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    assert_int_equal(connects, 0); /* the last request went on the first connection */
    curl_easy_cleanup(h);
}

/* The client's address as the request sees it, dotted decimal, from two loopback sources. */
static void test_client_address(void **state)
{
    const char *from[] = {"127.0.0.1", "127.10.200.5"};
    for (int i = 0; i < 2; i++) {
        char iface[64];
        struct reply r;
        CURL *h = curl_easy_init();
        snprintf(iface, sizeof iface, "host!%s", from[i]);
        curl_easy_setopt(h, CURLOPT_INTERFACE, iface);
        request(h, "GET", "/peek", NULL, 0, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(json_string_value(json_object_get(r.json, "ip")), from[i]);
        reply_cleanup(&r);
        curl_easy_cleanup(h);
    }
}

static void test_metrics_counted(void **state)
{
    static const char *const lv[] = {"/ok", "GET", "200"};
    struct aps_metric *c = aps_metrics_counter(g.metrics, "aps_http_requests_total", "",
                                               (const char *const[]){"route", "method", "status",
                                                                     NULL});
    double before = aps_metric_value(c, lv);
    struct reply r;
    for (int i = 0; i < 3; i++) {
        get("/ok", NULL, &r);
        reply_cleanup(&r);
    }
    assert_true(aps_metric_value(c, lv) == before + 3);
    struct aps_buf text = {0};
    aps_metrics_render(g.metrics, &text);
    assert_non_null(strstr(aps_buf_str(&text), "aps_http_request_duration_seconds_bucket{route="
                                                "\"/ok\",method=\"GET\",status=\"200\",le=\"0.0005\"}"));
    assert_non_null(strstr(aps_buf_str(&text), "aps_http_cache_hits_total"));
    assert_non_null(strstr(aps_buf_str(&text), "aps_http_requests_total{route=\"unmatched\""));
    aps_buf_cleanup(&text);
}

struct slow_arg {
    char base[64];
    long status;
};

/* Clients of test_stop_drains whose request headers have gone out on the socket. */
static atomic_int slow_sent;

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)h, (void)data, (void)size;
    bool *counted = ud;
    if (type == CURLINFO_HEADER_OUT && !*counted) {
        *counted = true;
        atomic_fetch_add(&slow_sent, 1);
    }
    return 0;
}

static void *slow_client(void *p)
{
    struct slow_arg *a = p;
    char url[128];
    snprintf(url, sizeof url, "%s/slow", a->base);
    CURL *h = curl_easy_init();
    struct aps_buf body = {0};
    bool counted = false;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &counted);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* the debug callback is called only when verbose */
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_cleanup(h);
    aps_buf_cleanup(&body);
    return NULL;
}

static void test_stop_drains(void **state)
{
    /* libmicrohttpd's pool threads each accept a series of connections, so some of the four
     * wait, accepted but unread, behind a slow one: the stop must wait for those too. */
    struct aps_http_server *s = start(NULL, 2);
    struct slow_arg a[4];
    pthread_t t[4];
    atomic_store(&slow_sent, 0);
    for (int i = 0; i < 4; i++) {
        snprintf(a[i].base, sizeof a[i].base, "http://127.0.0.1:%d", aps_http_server_port(s));
        a[i].status = 0;
        assert_int_equal(pthread_create(&t[i], NULL, slow_client, &a[i]), 0);
    }
    for (int i = 0; i < 200 && aps_http_server_in_flight(s) < 1; i++)
        usleep(5000);
    assert_true(aps_http_server_in_flight(s) >= 1);
    for (int i = 0; i < 1000 && atomic_load(&slow_sent) < 4; i++)
        usleep(5000); /* every client connected and sent its request (5 s at most) */
    assert_int_equal(atomic_load(&slow_sent), 4);
    aps_http_server_stop(s, 5);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].status, 200);
    }
}

/* ---- many connections at once ---------------------------------------------------------------- */

#define MANY 256

static int connect_loopback(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("connect to 127.0.0.1:%d failed", port);
    return fd;
}

static void send_get(int fd, const char *path)
{
    char line[128];
    int n = snprintf(line, sizeof line, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    assert_int_equal(write(fd, line, (size_t)n), n);
}

struct answer {
    char buf[2048];
    size_t len;
    bool done;
};

/* True once buf holds a whole response: its headers and Content-Length bytes of body. */
static bool answer_complete(struct answer *a)
{
    a->buf[a->len] = '\0';
    const char *end = strstr(a->buf, "\r\n\r\n");
    const char *cl = strcasestr(a->buf, "\r\nContent-Length:");
    if (!end || !cl || cl > end)
        return false;
    return a->len >= (size_t)(end + 4 - a->buf) + strtoul(cl + 17, NULL, 10);
}

/* Reads every connection's answer within deadline seconds; returns how many arrived whole. */
static int read_answers(const int *fds, struct answer *ans, int n, double deadline)
{
    struct pollfd p[MANY];
    int got = 0;
    double t0 = aps_time_mono();
    while (got < n && aps_time_mono() - t0 < deadline) {
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){ans[i].done ? -1 : fds[i], POLLIN, 0};
        if (poll(p, (nfds_t)n, 100) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t r = read(fds[i], ans[i].buf + ans[i].len, sizeof ans[i].buf - 1 - ans[i].len);
            if (r <= 0) {
                ans[i].done = true; /* closed without an answer: never counted */
                continue;
            }
            ans[i].len += (size_t)r;
            if (answer_complete(&ans[i])) {
                ans[i].done = true;
                got += strncmp(ans[i].buf, "HTTP/1.1 200", 12) == 0;
            }
        }
    }
    return got;
}

static void test_many_connections_at_once(void **state)
{
    /* One server thread is held in a slow handler while MANY other keep-alive connections send
     * their requests, so all of them are ready together when it returns. Each one must be
     * answered (the bound is generous: this checks that none is left waiting, not speed). */
    struct aps_http_server *s = start(NULL, 1);
    int port = aps_http_server_port(s);
    int slow = connect_loopback(port);
    int fds[MANY];
    for (int i = 0; i < MANY; i++)
        fds[i] = connect_loopback(port);
    usleep(300 * 1000); /* the server accepts them all while it is idle */
    send_get(slow, "/slow");
    for (int i = 0; i < 200 && aps_http_server_in_flight(s) < 1; i++)
        usleep(5000);
    assert_int_equal(aps_http_server_in_flight(s), 1);
    for (int i = 0; i < MANY; i++)
        send_get(fds[i], "/ok");
    static struct answer ans[MANY];
    memset(ans, 0, sizeof ans);
    int got = read_answers(fds, ans, MANY, 10);
    struct answer sa = {0};
    assert_int_equal(read_answers(&slow, &sa, 1, 10), 1);
    assert_int_equal(got, MANY);
    close(slow);
    for (int i = 0; i < MANY; i++)
        close(fds[i]);
    aps_http_server_stop(s, 1);
}

/* Reads n of the query (the spec's default when not sent) and answers it. */
static int h_n(struct aps_http_req *req, struct aps_http_res *res)
{
    int64_t n = -1;
    if (!aps_http_qint(req, "n", &n))
        n = -1;
    return aps_http_json(res, 200, json_pack("{s:I}", "n", (json_int_t)n));
}

/* The server parses each route's query spec once, when it starts: requests are checked, and
 * handlers read values and defaults, against that parse (here the spec's text is changed under
 * the running server, which a request that parsed it again would see). A spec that does not
 * parse stops the server from starting. */
static void test_query_spec_parsed_at_start(void **state)
{
    static char spec[64];
    snprintf(spec, sizeof spec, "n:int(0,9)=4 m!:int(0,9)");
    struct aps_route rt[] = {{"GET", "/n", h_n, APS_PERM_PUBLIC, 0, APS_CACHE_NONE, "t", "n", spec,
                              NULL, "200 Ok", NULL}};
    struct aps_http_server_opts o = {.host = "127.0.0.1", .threads = 1, .routes = rt,
                                     .nroutes = 1, .log = &g.log};
    struct aps_http_server *s = NULL;
    char err[256], base[64];
    assert_int_equal(aps_http_server_start(&s, &o, err, sizeof err), 0);
    snprintf(spec, sizeof spec, "x:string(3)");
    snprintf(base, sizeof base, "%s", g.base);
    snprintf(g.base, sizeof g.base, "http://127.0.0.1:%d", aps_http_server_port(s));
    struct reply r;
    get("/n?m=1", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "n")), 4); /* the default */
    reply_cleanup(&r);
    get("/n?m=1&n=7", NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "n")), 7);
    reply_cleanup(&r);
    get("/n", NULL, &r); /* m is still required */
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    reply_cleanup(&r);
    get("/n?m=1&x=abc", NULL, &r); /* x is still unknown */
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    reply_cleanup(&r);
    get("/n?m=1&n=12", NULL, &r); /* n still has its bounds */
    assert_envelope(&r, 400, "VALIDATION_ERROR");
    reply_cleanup(&r);
    aps_http_server_stop(s, 1);
    snprintf(g.base, sizeof g.base, "%s", base);
    snprintf(spec, sizeof spec, "n:int(0,9)=12");
    assert_int_not_equal(aps_http_server_start(&s, &o, err, sizeof err), 0);
    assert_non_null(strstr(err, "route GET /n"));
}

/* Reads the access lines ("msg":"request") of f from its start, parsed; how many. */
static size_t access_lines(FILE *f, json_t **out, size_t cap)
{
    char line[2048];
    size_t n = 0;
    fflush(f);
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (!j)
            fail_msg("access log line is not JSON: %s", line);
        if (json_is_string(json_object_get(j, "msg")) &&
            !strcmp(json_string_value(json_object_get(j, "msg")), "request") && n < cap)
            out[n++] = j;
        else
            json_decref(j);
    }
    return n;
}

/* The access log at INFO: one line per request with its fields (anonymous and signed-in callers,
 * cache miss and hit, an unmatched path), each request's line written within the log's flush
 * time without waiting for more, and every line of a burst there after the stop. */
static void test_access_log(void **state)
{
    struct aps_logger log = {.level = APS_LOG_INFO, .out = tmpfile()};
    assert_non_null(log.out);
    struct aps_http_server *s = start_logging(NULL, 2, &log);
    char base[64];
    snprintf(base, sizeof base, "%s", g.base);
    snprintf(g.base, sizeof g.base, "http://127.0.0.1:%d", aps_http_server_port(s));
    struct reply r[4];
    char rid[4][64];
    struct curl_slist *user = curl_slist_append(NULL, "Authorization: Bearer user");
    get("/ok", NULL, &r[0]);
    get("/cached?a=3", user, &r[1]);
    get("/cached?a=3", user, &r[2]);
    get("/no/such/path", NULL, &r[3]);
    curl_slist_free_all(user);
    for (int i = 0; i < 4; i++)
        assert_true(header(&r[i], "X-Request-ID", rid[i], sizeof rid[i]));
    /* Written by time: all four lines arrive while the server runs and nothing more is sent. */
    json_t *lines[300];
    size_t n = 0;
    for (int i = 0; i < 200 && n < 4; i++) {
        for (size_t k = 0; k < n; k++)
            json_decref(lines[k]);
        usleep(10 * 1000);
        n = access_lines(log.out, lines, 300);
        fseek(log.out, 0, SEEK_END);
    }
    assert_int_equal(n, 4);
    const char *routes_seen[] = {"/ok", "/cached", "/cached", "unmatched"};
    const long status[] = {200, 200, 200, 404};
    const char *cache[] = {NULL, "miss", "hit", NULL};
    for (int i = 0; i < 4; i++) {
        json_t *j = lines[i];
        const char *ts = json_string_value(json_object_get(j, "ts"));
        assert_non_null(ts);
        assert_int_equal(strlen(ts), 27);
        assert_true(ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' && ts[26] == 'Z');
        assert_string_equal(json_string_value(json_object_get(j, "level")), "INFO");
        assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
        assert_string_equal(json_string_value(json_object_get(j, "route")), routes_seen[i]);
        assert_int_equal(json_integer_value(json_object_get(j, "status")), status[i]);
        assert_true(json_is_number(json_object_get(j, "ms")));
        assert_true(json_number_value(json_object_get(j, "ms")) >= 0);
        assert_int_equal(json_integer_value(json_object_get(j, "bytes")),
                         (json_int_t)r[i].body.len);
        assert_string_equal(json_string_value(json_object_get(j, "request_id")), rid[i]);
        json_t *uid = json_object_get(j, "user_id");
        if (i == 1 || i == 2)
            assert_int_equal(json_integer_value(uid), 1);
        else
            assert_true(json_is_null(uid));
        const char *c = json_string_value(json_object_get(j, "cache"));
        if (cache[i])
            assert_string_equal(c, cache[i]);
        else
            assert_null(c);
        reply_cleanup(&r[i]);
    }
    for (size_t k = 0; k < n; k++)
        json_decref(lines[k]);
    /* A burst on one connection: every line is there once the server has stopped. */
    CURL *h = curl_easy_init();
    for (int i = 0; i < 250; i++) {
        struct reply x;
        request(h, "GET", "/ok", NULL, 0, NULL, &x);
        assert_int_equal(x.status, 200);
        reply_cleanup(&x);
    }
    curl_easy_cleanup(h);
    aps_http_server_stop(s, 1);
    n = access_lines(log.out, lines, 300);
    assert_int_equal(n, 254);
    for (size_t k = 0; k < n; k++)
        json_decref(lines[k]);
    fclose(log.out);
    snprintf(g.base, sizeof g.base, "%s", base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_headers),
        cmocka_unit_test(test_not_found_and_method),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_url_and_header_limits),
        cmocka_unit_test(test_query_parameters),
        cmocka_unit_test(test_query_and_headers_taken),
        cmocka_unit_test(test_form_body),
        cmocka_unit_test(test_auth_and_permissions),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_cache_etag_304),
        cmocka_unit_test(test_handler_failure),
        cmocka_unit_test(test_debug_cause),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_requests_reused_clean),
        cmocka_unit_test(test_client_address),
        cmocka_unit_test(test_metrics_counted),
        cmocka_unit_test(test_stop_drains),
        cmocka_unit_test(test_many_connections_at_once),
        cmocka_unit_test(test_access_log),
        cmocka_unit_test(test_query_spec_parsed_at_start),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
