/* test_prometheus.c — the Prometheus registry: exact exposition text for a small registry, label
 * escaping, registration rules, thread safety of updates, and the process metrics. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "metrics/metrics.h"

static struct aps_metrics *new_registry(void)
{
    struct aps_metrics *m = NULL;
    assert_int_equal(aps_metrics_new(&m), 0);
    assert_non_null(m);
    return m;
}

static void test_render_exact(void **state)
{
    (void)state;
    struct aps_metrics *m = new_registry();
    static const char *const rl[] = {"route", "status", NULL};
    struct aps_metric *c = aps_metrics_counter(m, "aps_requests_total", "Requests.", rl);
    struct aps_metric *g = aps_metrics_gauge(m, "aps_in_flight", "In flight.", NULL);
    static const double b[] = {0.1, 0.5, 1};
    struct aps_metric *h = aps_metrics_histogram(m, "aps_latency_seconds", "Latency.", NULL, b, 3);
    const char *v1[] = {"/b", "200"}, *v2[] = {"/a", "404"};
    aps_metric_add(c, v1, 1);
    aps_metric_add(c, v1, 2);
    aps_metric_add(c, v2, 1);
    aps_metric_set(g, NULL, 7);
    aps_metric_add(g, NULL, -2);
    aps_metric_observe(h, NULL, 0.05);
    aps_metric_observe(h, NULL, 0.5);
    aps_metric_observe(h, NULL, 3);
    struct aps_buf out = {0};
    aps_metrics_render(m, &out);
    const char *want = "# HELP aps_requests_total Requests.\n"
                       "# TYPE aps_requests_total counter\n"
                       "aps_requests_total{route=\"/a\",status=\"404\"} 1\n"
                       "aps_requests_total{route=\"/b\",status=\"200\"} 3\n"
                       "# HELP aps_in_flight In flight.\n"
                       "# TYPE aps_in_flight gauge\n"
                       "aps_in_flight 5\n"
                       "# HELP aps_latency_seconds Latency.\n"
                       "# TYPE aps_latency_seconds histogram\n"
                       "aps_latency_seconds_bucket{le=\"0.1\"} 1\n"
                       "aps_latency_seconds_bucket{le=\"0.5\"} 2\n"
                       "aps_latency_seconds_bucket{le=\"1\"} 2\n"
                       "aps_latency_seconds_bucket{le=\"+Inf\"} 3\n"
                       "aps_latency_seconds_sum 3.55\n"
                       "aps_latency_seconds_count 3\n";
    assert_string_equal(aps_buf_str(&out), want);
    assert_true(aps_metric_value(c, v1) == 3);
    assert_true(aps_metric_value(h, NULL) == 3);
    aps_buf_cleanup(&out);
    aps_metrics_free(m);
}

static void test_histogram_labels_and_escaping(void **state)
{
    (void)state;
    struct aps_metrics *m = new_registry();
    static const char *const rl[] = {"route", NULL};
    static const double b[] = {1};
    struct aps_metric *h = aps_metrics_histogram(m, "h", "Help with \\ and\nnewline.", rl, b, 1);
    const char *v[] = {"a\"b\\c\nd"};
    aps_metric_observe(h, v, 2);
    struct aps_buf out = {0};
    aps_metrics_render(m, &out);
    const char *want = "# HELP h Help with \\\\ and\\nnewline.\n"
                       "# TYPE h histogram\n"
                       "h_bucket{route=\"a\\\"b\\\\c\\nd\",le=\"1\"} 0\n"
                       "h_bucket{route=\"a\\\"b\\\\c\\nd\",le=\"+Inf\"} 1\n"
                       "h_sum{route=\"a\\\"b\\\\c\\nd\"} 2\n"
                       "h_count{route=\"a\\\"b\\\\c\\nd\"} 1\n";
    assert_string_equal(aps_buf_str(&out), want);
    aps_buf_cleanup(&out);
    aps_metrics_free(m);
}

static void test_registration_rules(void **state)
{
    (void)state;
    struct aps_metrics *m = new_registry();
    static const char *const l1[] = {"a", NULL}, *const l2[] = {"b", NULL};
    struct aps_metric *c = aps_metrics_counter(m, "x_total", "X.", l1);
    assert_non_null(c);
    assert_ptr_equal(aps_metrics_counter(m, "x_total", "X.", l1), c);
    assert_null(aps_metrics_gauge(m, "x_total", "X.", l1));
    assert_null(aps_metrics_counter(m, "x_total", "X.", l2));
    static const double bad[] = {1, 0.5};
    assert_null(aps_metrics_histogram(m, "bad", "B.", NULL, bad, 2));
    static const char *const five[] = {"a", "b", "c", "d", "e", NULL};
    assert_null(aps_metrics_counter(m, "five", "F.", five));
    /* A NULL metric is a no-op, so callers need not check registration. */
    aps_metric_add(NULL, NULL, 1);
    assert_true(aps_metric_value(NULL, NULL) == 0);
    aps_metrics_free(m);
}

struct worker_arg {
    struct aps_metric *c, *h;
};

static void *worker(void *p)
{
    struct worker_arg *a = p;
    char label[8];
    for (int i = 0; i < 20000; i++) {
        snprintf(label, sizeof label, "r%d", i % 7);
        const char *v[] = {label};
        aps_metric_add(a->c, v, 1);
        aps_metric_observe(a->h, NULL, 0.001);
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    (void)state;
    struct aps_metrics *m = new_registry();
    static const char *const rl[] = {"route", NULL};
    static const double b[] = {0.01};
    struct worker_arg a = {aps_metrics_counter(m, "c_total", "C.", rl),
                           aps_metrics_histogram(m, "h_seconds", "H.", NULL, b, 1)};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &a), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    double total = 0;
    for (int r = 0; r < 7; r++) {
        char label[8];
        snprintf(label, sizeof label, "r%d", r);
        const char *v[] = {label};
        total += aps_metric_value(a.c, v);
    }
    assert_true(total == 80000);
    assert_true(aps_metric_value(a.h, NULL) == 80000);
    aps_metrics_free(m);
}

static void test_process_metrics(void **state)
{
    (void)state;
    struct aps_metrics *m = new_registry();
    assert_int_equal(aps_process_metrics_update(m), 0);
    double rss = aps_metric_value(aps_metrics_gauge(m, "process_resident_memory_bytes", "", NULL),
                                  NULL);
    assert_true(rss > 1024 * 1024 && rss < 4e9);
    struct aps_buf out = {0};
    aps_metrics_render(m, &out);
    assert_non_null(strstr(aps_buf_str(&out), "# TYPE process_cpu_seconds_total counter\n"));
    aps_buf_cleanup(&out);
    aps_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_exact),
        cmocka_unit_test(test_histogram_labels_and_escaping),
        cmocka_unit_test(test_registration_rules),
        cmocka_unit_test(test_concurrent_updates),
        cmocka_unit_test(test_process_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
