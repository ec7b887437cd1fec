/* test_collect_http.c — the collectors' HTTP client without a server: the circuit breaker's
 * transitions, backoff growth and jitter bounds, key redaction in URLs and error text, and a
 * refused connection retried with backoff until the circuit opens (fake clock and sleep). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "ingest/collect_http.h"

static void test_breaker(void **state)
{
    (void)state;
    struct aps_breaker b = {.threshold = 5, .open_s = 30};
    for (int i = 0; i < 4; i++) {
        assert_true(aps_breaker_allow(&b, i));
        aps_breaker_record(&b, false, i);
        assert_int_equal(b.state, APS_BREAKER_CLOSED);
    }
    aps_breaker_record(&b, true, 4); /* a success resets the count */
    assert_int_equal(b.failures, 0);
    for (int i = 0; i < 5; i++)
        aps_breaker_record(&b, false, 10);
    assert_int_equal(b.state, APS_BREAKER_OPEN);
    assert_false(aps_breaker_allow(&b, 20));
    assert_false(aps_breaker_allow(&b, 39.9));
    assert_true(aps_breaker_allow(&b, 40)); /* the half-open probe */
    assert_int_equal(b.state, APS_BREAKER_HALF_OPEN);
    assert_false(aps_breaker_allow(&b, 40)); /* only one probe at a time */
    aps_breaker_record(&b, false, 41);       /* the probe fails: open again */
    assert_int_equal(b.state, APS_BREAKER_OPEN);
    assert_false(aps_breaker_allow(&b, 70));
    assert_true(aps_breaker_allow(&b, 71));
    aps_breaker_record(&b, true, 71);
    assert_int_equal(b.state, APS_BREAKER_CLOSED);
    assert_true(aps_breaker_allow(&b, 72));
}

static void test_backoff(void **state)
{
    (void)state;
    uint64_t rng = 7;
    for (int attempt = 1; attempt <= 6; attempt++) {
        double base = 1.0 * (1 << (attempt - 1));
        for (int k = 0; k < 50; k++) {
            double w = aps_collect_backoff(1.0, 1000.0, attempt, &rng);
            assert_true(w >= base && w < base * 1.5);
        }
    }
    assert_true(aps_collect_backoff(1.0, 60.0, 30, &rng) <= 60.0);
}

static void test_redaction(void **state)
{
    (void)state;
    char out[256];
    aps_collect_redact_url("http://h/v4/sports?apiKey=secret&regions=us", out, sizeof out);
    assert_string_equal(out, "http://h/v4/sports?apiKey=REDACTED&regions=us");
    aps_collect_redact_url("http://h/weather?q=Landover,MD,US&appid=secret", out, sizeof out);
    assert_string_equal(out, "http://h/weather?q=Landover,MD,US&appid=REDACTED");
    aps_collect_redact_url("http://h/x?token=a&key=b&keep=c#frag", out, sizeof out);
    assert_string_equal(out, "http://h/x?token=REDACTED&key=REDACTED&keep=c");
    aps_collect_redact_url("http://h/no-query", out, sizeof out);
    assert_string_equal(out, "http://h/no-query");
    char tiny[12];
    aps_collect_redact_url("http://h/v4?apiKey=secret", tiny, sizeof tiny);
    assert_null(strstr(tiny, "secret"));
}

struct fake {
    double now, slept;
    int sleeps;
};

static double fake_clock(void *ud)
{
    return ((struct fake *)ud)->now;
}

static void fake_sleep(void *ud, double s)
{
    struct fake *f = ud;
    f->now += s;
    f->slept += s;
    f->sleeps++;
}

/* A client of 3 attempts (1 s timeouts, backoff from 1 s) on the fake clock; threshold failed
 * attempts open its circuit. */
static struct aps_collect_opts fake_opts(struct fake *fk, int threshold)
{
    return (struct aps_collect_opts){.provider = "theoddsapi",
                                     .connect_timeout_ms = 500,
                                     .timeout_ms = 1000,
                                     .max_attempts = 3,
                                     .backoff_base_s = 1,
                                     .backoff_max_s = 10,
                                     .retry_after_max_s = 5,
                                     .max_bytes = 1 << 20,
                                     .breaker_threshold = threshold,
                                     .breaker_open_s = 30,
                                     .seed = 1,
                                     .clock = fake_clock,
                                     .sleep = fake_sleep,
                                     .ud = fk};
}

static void test_refused_until_open(void **state)
{
    (void)state;
    struct fake fk = {1000, 0, 0};
    struct aps_collect_opts o = fake_opts(&fk, 5);
    struct aps_collect *c = NULL;
    assert_int_equal(aps_collect_new(&c, &o, NULL), 0);
    struct aps_collect_resp r;
    aps_collect_resp_init(&r);
    char err[512];
    const char *url = "http://127.0.0.1:1/v4/sports?apiKey=secret-test-key";
    assert_int_equal(aps_collect_get(c, url, &r, err, sizeof err), APS_E_IO);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(fk.sleeps, 2);
    assert_true(fk.slept >= 3.0 && fk.slept < 4.5); /* 1 + 2 seconds, plus jitter */
    assert_null(strstr(err, "secret-test-key"));
    assert_non_null(strstr(err, "apiKey=REDACTED"));
    assert_non_null(strstr(err, "theoddsapi"));
    assert_int_equal(aps_collect_count(c, APS_CO_NETWORK), 3);
    /* Two more failed attempts open the circuit; the next call is refused without a request. */
    assert_int_equal(aps_collect_get(c, url, &r, err, sizeof err), APS_E_BUSY);
    assert_int_equal(aps_collect_breaker(c), APS_BREAKER_OPEN);
    assert_int_equal(aps_collect_count(c, APS_CO_NETWORK), 5);
    assert_int_equal(aps_collect_get(c, url, &r, err, sizeof err), APS_E_BUSY);
    assert_int_equal(aps_collect_count(c, APS_CO_NETWORK), 5);
    assert_true(aps_collect_count(c, APS_CO_CIRCUIT_OPEN) >= 1);
    assert_non_null(strstr(err, "circuit open"));
    assert_null(strstr(err, "secret-test-key"));
    aps_collect_resp_cleanup(&r);
    aps_collect_free(c);
}

/* A time limit: the retry whose wait plus a request's timeout would end past it is not made. */
static void test_deadline(void **state)
{
    (void)state;
    struct fake fk = {1000, 0, 0};
    struct aps_collect_opts o = fake_opts(&fk, 10);
    struct aps_collect *c = NULL;
    assert_int_equal(aps_collect_new(&c, &o, NULL), 0);
    struct aps_collect_resp r;
    aps_collect_resp_init(&r);
    char err[512];
    const char *url = "http://127.0.0.1:1/v4/sports";
    /* waits of 1-1.5 s then 2-3 s: the first retry ends by 1002.5, the second would not by 1003 */
    aps_collect_set_deadline(c, 1003);
    assert_int_equal(aps_collect_get(c, url, &r, err, sizeof err), APS_E_IO);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(fk.sleeps, 1);
    assert_non_null(strstr(err, "after 2 attempts; not tried again: a retry in "));
    assert_non_null(strstr(err, " s would end past the time limit"));
    /* no limit: every attempt is made */
    aps_collect_set_deadline(c, 0);
    fk.sleeps = 0;
    assert_int_equal(aps_collect_get(c, url, &r, err, sizeof err), APS_E_IO);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(fk.sleeps, 2);
    assert_null(strstr(err, "time limit"));
    aps_collect_resp_cleanup(&r);
    aps_collect_free(c);
}

static void test_url_param(void **state)
{
    (void)state;
    struct aps_buf u = {0};
    aps_buf_puts(&u, "http://h/p");
    aps_collect_url_param(&u, "q", "São Paulo,BR");
    aps_collect_url_param(&u, "x", "a b");
    assert_string_equal(aps_buf_str(&u), "http://h/p?q=S%C3%A3o%20Paulo,BR&x=a%20b");
    aps_buf_cleanup(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker),   cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_redaction), cmocka_unit_test(test_refused_until_open),
        cmocka_unit_test(test_deadline),  cmocka_unit_test(test_url_param),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
