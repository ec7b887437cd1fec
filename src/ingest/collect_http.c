/* collect_http.c — libcurl GET with timeouts, bounded bodies, retries with backoff and jitter,
 * 429 Retry-After and a per-provider circuit breaker (see collect_http.h for the states). */
#include "ingest/collect_http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/config.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"

struct aps_collect {
    struct aps_collect_opts o;
    char provider[32];
    struct aps_breaker breaker;
    uint64_t rng;
    uint64_t counts[APS_CO__COUNT];
    uint64_t retries;
    double deadline; /* 0: none */
    struct aps_metric *m_requests, *m_retries, *m_circuit;
    CURL *h;
};

static const char *const OUTCOME_NAMES[APS_CO__COUNT] = {
    "ok", "http_429", "http_5xx", "http_4xx", "timeout", "network", "too_big", "circuit_open"};

const char *aps_collect_outcome_name(enum aps_collect_outcome o)
{
    return (unsigned)o < APS_CO__COUNT ? OUTCOME_NAMES[o] : "unknown";
}

/* ---- circuit breaker ------------------------------------------------------------------- */

const char *aps_breaker_state_name(enum aps_breaker_state s)
{
    switch (s) {
    case APS_BREAKER_CLOSED: return "closed";
    case APS_BREAKER_OPEN: return "open";
    case APS_BREAKER_HALF_OPEN: return "half_open";
    }
    return "unknown";
}

bool aps_breaker_allow(struct aps_breaker *b, double now)
{
    if (b->state == APS_BREAKER_OPEN && now - b->opened_at >= b->open_s) {
        b->state = APS_BREAKER_HALF_OPEN;
        b->probing = false;
    }
    if (b->state == APS_BREAKER_CLOSED)
        return true;
    if (b->state == APS_BREAKER_HALF_OPEN && !b->probing) {
        b->probing = true;
        return true;
    }
    return false;
}

void aps_breaker_record(struct aps_breaker *b, bool ok, double now)
{
    b->probing = false;
    if (ok) {
        b->state = APS_BREAKER_CLOSED;
        b->failures = 0;
        return;
    }
    b->failures++;
    if (b->state == APS_BREAKER_HALF_OPEN || b->failures >= b->threshold) {
        b->state = APS_BREAKER_OPEN;
        b->opened_at = now;
    }
}

/* ---- small helpers --------------------------------------------------------------------- */

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64: small, seedable, good enough for jitter */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double aps_collect_backoff(double base, double max, int attempt, uint64_t *rng)
{
    if (attempt < 1)
        attempt = 1;
    double wait = base * ldexp(1.0, attempt > 30 ? 30 : attempt - 1);
    double jitter = (double)(next_rand(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
    wait += wait * 0.5 * jitter;
    return wait > max ? max : wait;
}

static bool is_key_param(const char *name, size_t n)
{
    static const char *const keys[] = {"apikey", "appid", "api_key", "key", "token",
                                       "access_token"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i]) == n && !strncasecmp(name, keys[i], n))
            return true;
    return false;
}

void aps_collect_bad_event(char *out, size_t cap, size_t index, const char *id, const char *lacks)
{
    if (id && *id)
        snprintf(out, cap, "event %zu of the answer (id %.64s) has no %s", index + 1, id, lacks);
    else
        snprintf(out, cap, "event %zu of the answer has no %s", index + 1, lacks);
}

void aps_collect_redact_url(const char *url, char *out, size_t cap)
{
    if (!cap)
        return;
    struct aps_buf b = {0};
    const char *q = strchr(url, '?');
    aps_buf_append(&b, url, q ? (size_t)(q - url) + 1 : strlen(url));
    while (q && *q) {
        const char *p = q + 1;
        size_t len = strcspn(p, "&#");
        const char *eq = memchr(p, '=', len);
        if (eq && is_key_param(p, (size_t)(eq - p))) {
            aps_buf_append(&b, p, (size_t)(eq - p) + 1);
            aps_buf_puts(&b, "REDACTED");
        } else {
            aps_buf_append(&b, p, len);
        }
        q = p + len;
        if (*q == '&')
            aps_buf_putc(&b, '&');
        else if (*q == '#')
            break;
    }
    (void)aps_str_copy(out, cap, aps_buf_str(&b));
    aps_buf_cleanup(&b);
}

void aps_collect_url_param(struct aps_buf *url, const char *name, const char *value)
{
    aps_buf_putc(url, strchr(aps_buf_str(url), '?') ? '&' : '?');
    aps_buf_puts(url, name);
    aps_buf_putc(url, '=');
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~,", *p))
            aps_buf_putc(url, (char)*p);
        else
            aps_buf_printf(url, "%%%02X", *p);
    }
}

/* ---- client ---------------------------------------------------------------------------- */

void aps_collect_opts_from_config(struct aps_collect_opts *o, const struct aps_config *cfg,
                                  const char *provider)
{
    memset(o, 0, sizeof *o);
    o->provider = provider;
    o->connect_timeout_ms = (long)aps_cfg_int(cfg, APS_SET_COLLECT_CONNECT_TIMEOUT_MS);
    o->timeout_ms = (long)aps_cfg_int(cfg, APS_SET_COLLECT_TIMEOUT_MS);
    o->max_attempts = (int)aps_cfg_int(cfg, APS_SET_COLLECT_MAX_ATTEMPTS);
    o->backoff_base_s = (double)aps_cfg_int(cfg, APS_SET_COLLECT_BACKOFF_BASE_MS) / 1000.0;
    o->backoff_max_s = (double)aps_cfg_int(cfg, APS_SET_COLLECT_BACKOFF_MAX_MS) / 1000.0;
    o->retry_after_max_s = (double)aps_cfg_int(cfg, APS_SET_COLLECT_RETRY_AFTER_MAX_S);
    o->max_bytes = (size_t)aps_cfg_int(cfg, APS_SET_COLLECT_MAX_RESPONSE_BYTES);
    o->breaker_threshold = (int)aps_cfg_int(cfg, APS_SET_CIRCUIT_BREAKER_THRESHOLD);
    o->breaker_open_s = (double)aps_cfg_int(cfg, APS_SET_CIRCUIT_BREAKER_TIMEOUT);
}

int aps_collect_new(struct aps_collect **out, const struct aps_collect_opts *o,
                    struct aps_metrics *metrics)
{
    *out = NULL;
    if (!o || !o->provider || o->max_attempts < 1 || !o->max_bytes)
        return APS_E_INVAL;
    struct aps_collect *c = aps_calloc(1, sizeof *c);
    c->o = *o;
    (void)aps_str_copy(c->provider, sizeof c->provider, o->provider);
    c->o.provider = c->provider;
    c->breaker.threshold = o->breaker_threshold > 0 ? o->breaker_threshold : 5;
    c->breaker.open_s = o->breaker_open_s > 0 ? o->breaker_open_s : 30;
    c->rng = o->seed ? o->seed : (uint64_t)aps_time_now_us();
    c->h = curl_easy_init();
    if (!c->h) {
        aps_free(c);
        return APS_E_NOMEM;
    }
    if (metrics) {
        static const char *const l2[] = {"provider", "outcome", NULL};
        static const char *const l1[] = {"provider", NULL};
        c->m_requests = aps_metrics_counter(metrics, "aps_collector_requests_total",
                                            "collector HTTP attempts by outcome", l2);
        c->m_retries = aps_metrics_counter(metrics, "aps_collector_retries_total",
                                           "collector HTTP retries", l1);
        c->m_circuit = aps_metrics_gauge(metrics, "aps_collector_circuit_open",
                                         "1 while the provider's circuit breaker is open", l1);
    }
    *out = c;
    return 0;
}

void aps_collect_free(struct aps_collect *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->h);
    aps_free(c);
}

enum aps_breaker_state aps_collect_breaker(const struct aps_collect *c)
{
    return c->breaker.state;
}

uint64_t aps_collect_count(const struct aps_collect *c, enum aps_collect_outcome o)
{
    return (unsigned)o < APS_CO__COUNT ? c->counts[o] : 0;
}

void aps_collect_set_deadline(struct aps_collect *c, double deadline)
{
    c->deadline = deadline;
}

uint64_t aps_collect_retries(const struct aps_collect *c)
{
    return c->retries;
}

void aps_collect_resp_init(struct aps_collect_resp *r)
{
    memset(r, 0, sizeof *r);
    r->requests_remaining = r->requests_used = r->requests_last = -1;
    r->retry_after = -1;
}

void aps_collect_resp_cleanup(struct aps_collect_resp *r)
{
    aps_buf_cleanup(&r->body);
}

static double clock_now(const struct aps_collect *c)
{
    return c->o.clock ? c->o.clock(c->o.ud) : aps_time_mono();
}

static void sleep_for(const struct aps_collect *c, double s)
{
    if (s <= 0)
        return;
    if (c->o.sleep) {
        c->o.sleep(c->o.ud, s);
        return;
    }
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* One attempt's sink: the body, bounded. */
struct attempt {
    struct aps_collect_resp *resp;
    size_t max;
    bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct attempt *a = ud;
    size_t len = size * n;
    if (a->resp->body.len + len > a->max) {
        a->too_big = true;
        return 0;
    }
    aps_buf_append(&a->resp->body, p, len);
    return len;
}

static void header_int(const char *v, int64_t *out)
{
    int64_t x;
    if (!aps_parse_int64(v, &x))
        *out = x;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct attempt *a = ud;
    size_t len = size * n;
    char line[256];
    if (len >= sizeof line)
        return len;
    memcpy(line, p, len);
    line[len] = '\0';
    char *colon = strchr(line, ':');
    if (!colon)
        return len;
    *colon = '\0';
    char *v = aps_str_trim(colon + 1);
    struct aps_collect_resp *r = a->resp;
    if (!strcasecmp(line, "x-requests-remaining"))
        header_int(v, &r->requests_remaining);
    else if (!strcasecmp(line, "x-requests-used"))
        header_int(v, &r->requests_used);
    else if (!strcasecmp(line, "x-requests-last"))
        header_int(v, &r->requests_last);
    else if (!strcasecmp(line, "content-type"))
        (void)aps_str_copy(r->content_type, sizeof r->content_type, v);
    else if (!strcasecmp(line, "retry-after")) {
        double s;
        if (!aps_parse_double(v, &s) && s >= 0) {
            r->retry_after = s;
        } else {
            time_t when = curl_getdate(v, NULL);
            if (when >= 0)
                r->retry_after = (double)(when - time(NULL)) > 0 ? (double)(when - time(NULL)) : 0;
        }
    }
    return len;
}

/* One attempt: the outcome class, the HTTP status in resp, the curl error text in cerr. */
static enum aps_collect_outcome attempt_once(struct aps_collect *c, const char *url,
                                             struct aps_collect_resp *resp, const char **cerr)
{
    struct attempt a = {resp, c->o.max_bytes, false};
    CURL *h = c->h;
    curl_easy_reset(h);
    aps_buf_reset(&resp->body);
    resp->status = 0;
    resp->retry_after = -1;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "aps-collector/1");
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    *cerr = curl_easy_strerror(cc);
    if (a.too_big)
        return APS_CO_TOO_BIG;
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return APS_CO_TIMEOUT;
    if (cc != CURLE_OK)
        return APS_CO_NETWORK;
    if (resp->status == 429)
        return APS_CO_HTTP_429;
    if (resp->status >= 500)
        return APS_CO_HTTP_5XX;
    if (resp->status < 200 || resp->status >= 300)
        return APS_CO_HTTP_4XX;
    return APS_CO_OK;
}

static void count(struct aps_collect *c, enum aps_collect_outcome o)
{
    c->counts[o]++;
    const char *lv[] = {c->provider, aps_collect_outcome_name(o)};
    aps_metric_add(c->m_requests, lv, 1);
    const char *lp[] = {c->provider};
    aps_metric_set(c->m_circuit, lp, c->breaker.state == APS_BREAKER_OPEN ? 1 : 0);
}

static int outcome_error(enum aps_collect_outcome o)
{
    switch (o) {
    case APS_CO_OK: return 0;
    case APS_CO_TIMEOUT: return APS_E_TIMEOUT;
    case APS_CO_TOO_BIG: return APS_E_TOOBIG;
    case APS_CO_CIRCUIT_OPEN:
    case APS_CO_HTTP_429: return APS_E_BUSY;
    default: return APS_E_IO;
    }
}

/* What a provider's error answer says, as ": MESSAGE (CODE)", or "" when its body is not a JSON
 * object with a "message" (TheOddsAPI: {message, error_code}; OpenWeatherMap: {cod, message}):
 * an invalid key and a spent quota are both 401, and only the message tells them apart. Control
 * characters become spaces, key-bearing query parameters are redacted like a URL's, and the
 * message is cut at 200 bytes. */
static void provider_says(const struct aps_buf *body, char *out, size_t cap)
{
    char text[256] = "";
    json_t *j = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "message"));
    const char *code = json_string_value(json_object_get(j, "error_code"));
    if (msg && *msg)
        snprintf(text, sizeof text, ": %.200s%s%.40s%s", msg, code && *code ? " (" : "",
                 code && *code ? code : "", code && *code ? ")" : "");
    json_decref(j);
    for (char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    aps_collect_redact_url(text, out, cap);
}

static void describe(const struct aps_collect *c, const char *url, enum aps_collect_outcome o,
                     const struct aps_collect_resp *resp, const char *cerr, char *err,
                     size_t errcap)
{
    if (!err || !errcap)
        return;
    char safe[512], says[256];
    aps_collect_redact_url(url, safe, sizeof safe);
    switch (o) {
    case APS_CO_CIRCUIT_OPEN:
        snprintf(err, errcap, "%s: circuit open after %d consecutive failures, GET %s skipped",
                 c->provider, c->breaker.failures, safe);
        break;
    case APS_CO_HTTP_429:
    case APS_CO_HTTP_5XX:
    case APS_CO_HTTP_4XX:
        provider_says(&resp->body, says, sizeof says);
        snprintf(err, errcap, "%s: GET %s: HTTP %ld (%s) after %d attempt%s%s", c->provider, safe,
                 resp->status, aps_collect_outcome_name(o), resp->attempts,
                 resp->attempts == 1 ? "" : "s", says);
        break;
    case APS_CO_TOO_BIG:
        snprintf(err, errcap, "%s: GET %s: response larger than %zu bytes", c->provider, safe,
                 c->o.max_bytes);
        break;
    default:
        snprintf(err, errcap, "%s: GET %s: %s (%s) after %d attempt%s", c->provider, safe, cerr,
                 aps_collect_outcome_name(o), resp->attempts, resp->attempts == 1 ? "" : "s");
        break;
    }
}

static bool retryable(enum aps_collect_outcome o)
{
    return o == APS_CO_HTTP_429 || o == APS_CO_HTTP_5XX || o == APS_CO_TIMEOUT ||
           o == APS_CO_NETWORK;
}

int aps_collect_get(struct aps_collect *c, const char *url, struct aps_collect_resp *resp,
                    char *err, size_t errcap)
{
    enum aps_collect_outcome o = APS_CO_OK;
    const char *cerr = "";
    double cut = -1; /* the wait of a retry the deadline left out */
    resp->attempts = 0;
    for (int attempt = 1; attempt <= c->o.max_attempts; attempt++) {
        if (!aps_breaker_allow(&c->breaker, clock_now(c))) {
            o = APS_CO_CIRCUIT_OPEN;
            count(c, o);
            break;
        }
        resp->attempts = attempt;
        o = attempt_once(c, url, resp, &cerr);
        /* A 4xx other than 429 is the caller's mistake, not the provider failing. */
        aps_breaker_record(&c->breaker, o == APS_CO_OK || o == APS_CO_HTTP_4XX, clock_now(c));
        count(c, o);
        if (!retryable(o) || attempt == c->o.max_attempts)
            break;
        double wait = aps_collect_backoff(c->o.backoff_base_s, c->o.backoff_max_s, attempt,
                                          &c->rng);
        if (o == APS_CO_HTTP_429) {
            /* Reference §4.1: wait what Retry-After says, 60 s when it says nothing. */
            double ra = resp->retry_after >= 0 ? resp->retry_after : 60.0;
            if (ra > c->o.retry_after_max_s)
                break;
            wait = ra;
        } else if (o == APS_CO_HTTP_5XX && resp->retry_after >= 0) {
            /* A 503's Retry-After says when the provider expects to be back (RFC 9110): no
             * sooner than that, and not within this request when that is too far. */
            if (resp->retry_after > c->o.retry_after_max_s)
                break;
            if (resp->retry_after > wait)
                wait = resp->retry_after;
        }
        if (c->deadline > 0 && clock_now(c) + wait + (double)c->o.timeout_ms / 1000 > c->deadline) {
            cut = wait;
            break;
        }
        c->retries++;
        const char *lp[] = {c->provider};
        aps_metric_add(c->m_retries, lp, 1);
        sleep_for(c, wait);
    }
    resp->outcome = o;
    if (o != APS_CO_OK) {
        describe(c, url, o, resp, cerr, err, errcap);
        size_t n = err ? strlen(err) : 0;
        if (cut >= 0 && n + 1 < errcap)
            snprintf(err + n, errcap - n,
                     "; not tried again: a retry in %.0f s would end past the time limit", cut);
        aps_buf_reset(&resp->body);
    }
    return outcome_error(o);
}
