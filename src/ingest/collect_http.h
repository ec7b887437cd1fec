/* collect_http.h — the collectors' HTTP client: one per provider (theoddsapi, espn, weather).
 *
 * A GET with bounded time and size, retried on timeouts, connection errors, 5xx and 429 with
 * exponential backoff and jitter (wait = base·2^attempt + up to 50 %, capped), honouring a 429's
 * Retry-After and waiting at least a 5xx's (a 503 says when the provider will be back); with a
 * deadline (a worker's job sets its timeout), no retry is made that would end past it. A
 * circuit breaker guards each provider:
 *
 *   closed    ──(threshold consecutive failed attempts)──▶ open          aps_breaker_record()
 *   open      ──(open_s elapsed; the next request)──────▶ half_open      aps_breaker_allow()
 *   half_open ──(the probe succeeds)────────────────────▶ closed         aps_breaker_record()
 *   half_open ──(the probe fails)───────────────────────▶ open again     aps_breaker_record()
 *
 * While open (or while a half-open probe is in flight) requests fail at once with APS_E_BUSY.
 * Keys travel in query strings; every URL that reaches an error message is redacted first
 * (aps_collect_redact_url), and the client never logs. Not thread-safe: one client per thread. */
#ifndef APS_INGEST_COLLECT_HTTP_H
#define APS_INGEST_COLLECT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct aps_config;
struct aps_metrics;

enum aps_breaker_state { APS_BREAKER_CLOSED, APS_BREAKER_OPEN, APS_BREAKER_HALF_OPEN };

struct aps_breaker {
    enum aps_breaker_state state;
    int failures;       /* consecutive failed attempts */
    int threshold;      /* failures that open the circuit */
    double open_s;      /* seconds it stays open */
    double opened_at;   /* monotonic seconds when it opened */
    bool probing;       /* a half-open probe is in flight */
};

/* True when a request may go out now (moving open → half_open once open_s has passed). */
bool aps_breaker_allow(struct aps_breaker *b, double now);
/* Records the outcome of an attempt that aps_breaker_allow() let through. */
void aps_breaker_record(struct aps_breaker *b, bool ok, double now);
const char *aps_breaker_state_name(enum aps_breaker_state s);

/* Outcome classes, counted per client and exported as
 * aps_collector_requests_total{provider, outcome}. */
enum aps_collect_outcome {
    APS_CO_OK,
    APS_CO_HTTP_429,
    APS_CO_HTTP_5XX,
    APS_CO_HTTP_4XX,
    APS_CO_TIMEOUT,
    APS_CO_NETWORK,
    APS_CO_TOO_BIG,
    APS_CO_CIRCUIT_OPEN,
    APS_CO__COUNT
};
const char *aps_collect_outcome_name(enum aps_collect_outcome o);

struct aps_collect_opts {
    const char *provider;       /* "theoddsapi", "espn", "weather": metric label, messages */
    long connect_timeout_ms;
    long timeout_ms;
    int max_attempts;           /* >= 1 */
    double backoff_base_s, backoff_max_s;
    double retry_after_max_s;   /* a longer Retry-After ends the request (a 429's: APS_E_BUSY) */
    size_t max_bytes;           /* larger bodies: APS_E_TOOBIG */
    int breaker_threshold;
    double breaker_open_s;
    uint64_t seed;              /* jitter; 0: seeded from the clock */
    /* For tests: a clock (monotonic seconds) and a sleep; NULL for the real ones. */
    double (*clock)(void *ud);
    void (*sleep)(void *ud, double seconds);
    void *ud;
};

/* Fills opts from the COLLECT_* and CIRCUIT_BREAKER_* settings. */
void aps_collect_opts_from_config(struct aps_collect_opts *o, const struct aps_config *cfg,
                                  const char *provider);

struct aps_collect_resp {
    long status;                /* the last HTTP status, 0 when none arrived */
    struct aps_buf body;        /* the body of a 2xx answer */
    char content_type[96];
    /* TheOddsAPI quota headers; -1 when absent. */
    int64_t requests_remaining, requests_used, requests_last;
    double retry_after;         /* seconds from the last answer's Retry-After, -1 when none */
    int attempts;               /* attempts made */
    enum aps_collect_outcome outcome;
};

/* Zeroes resp (quota fields -1); cleanup frees the body. */
void aps_collect_resp_init(struct aps_collect_resp *r);
void aps_collect_resp_cleanup(struct aps_collect_resp *r);

struct aps_collect;

/* A client for one provider; metrics may be NULL. Free with aps_collect_free(). */
int aps_collect_new(struct aps_collect **out, const struct aps_collect_opts *o,
                    struct aps_metrics *metrics) APS_MUST_CHECK;
void aps_collect_free(struct aps_collect *c);

/* GETs url. 0 with a 2xx status and its body; otherwise a negative APS_E_*:
 *   APS_E_BUSY     the circuit is open, or a 429 asked to wait longer than retry_after_max_s
 *                  (resp->retry_after says how long);
 *   APS_E_TIMEOUT  every attempt timed out;
 *   APS_E_TOOBIG   the body exceeded max_bytes;
 *   APS_E_IO       connection errors or 5xx after the last attempt, or a 4xx (not retried).
 * err (may be NULL) gets one line naming the provider, the redacted URL and the cause; for an HTTP
 * error, also the message of the provider's JSON answer ("API key is not valid …
 * (INVALID_KEY)"). */
int aps_collect_get(struct aps_collect *c, const char *url, struct aps_collect_resp *resp,
                    char *err, size_t errcap) APS_MUST_CHECK;

/* A time limit for the requests that follow (monotonic seconds: aps_time_mono, or the test
 * clock; 0: none): a retry whose wait plus one request's timeout would end after it is not
 * made, and the request ends with the outcome it had, its error saying so. */
void aps_collect_set_deadline(struct aps_collect *c, double deadline);

enum aps_breaker_state aps_collect_breaker(const struct aps_collect *c);
/* Attempts counted by outcome since the client was made. */
uint64_t aps_collect_count(const struct aps_collect *c, enum aps_collect_outcome o);
uint64_t aps_collect_retries(const struct aps_collect *c);

/* Copies url into out with the values of key-bearing query parameters (apiKey, appid, api_key,
 * key, token, access_token) replaced by "REDACTED". Truncates safely. */
void aps_collect_redact_url(const char *url, char *out, size_t cap);

/* The description of an event of a provider's answer that its parser could not read (theoddsapi.c,
 * espn.c): "event 3 of the answer (id X) has no date", index 0-based, id NULL or "" when the
 * event has none, lacks what it lacks. Truncates safely. */
void aps_collect_bad_event(char *out, size_t cap, size_t index, const char *id, const char *lacks);

/* The wait before retry number `attempt` (1-based): base·2^(attempt-1) plus a jitter in
 * [0, 50 %) drawn from *rng, capped at max. */
double aps_collect_backoff(double base, double max, int attempt, uint64_t *rng);

/* Appends "name=value" to a query under construction, percent-encoding value; "?" or "&" is
 * chosen from whether url already has a query. */
void aps_collect_url_param(struct aps_buf *url, const char *name, const char *value);

#endif
