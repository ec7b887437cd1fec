/* metrics.h — a Prometheus registry: counters, gauges and histograms with labels, rendered in
 * the text exposition format (version 0.0.4). Thread-safe. Metric names carry the aps_ prefix and
 * are declared once by the module that owns them; label values are bounded by the caller (route
 * patterns, not raw paths; never a secret or a user-supplied string).
 *
 * Handles returned by the registry live as long as the registry. Registering the same name
 * twice returns the same metric (the kinds and labels must match). */
#ifndef APS_METRICS_METRICS_H
#define APS_METRICS_METRICS_H

#include <stddef.h>

#include "core/err.h"

struct aps_buf;
struct aps_metrics;
struct aps_metric;

#define APS_METRIC_MAX_LABELS 4

int aps_metrics_new(struct aps_metrics **out) APS_MUST_CHECK;
void aps_metrics_free(struct aps_metrics *m);

/* label_names: NULL-terminated list (at most APS_METRIC_MAX_LABELS), or NULL for none.
 * buckets: upper bounds in increasing order (histograms only). NULL on a kind mismatch. */
struct aps_metric *aps_metrics_counter(struct aps_metrics *m, const char *name, const char *help,
                                       const char *const *label_names);
struct aps_metric *aps_metrics_gauge(struct aps_metrics *m, const char *name, const char *help,
                                     const char *const *label_names);
struct aps_metric *aps_metrics_histogram(struct aps_metrics *m, const char *name,
                                         const char *help, const char *const *label_names,
                                         const double *buckets, size_t nbuckets);

/* label_values: as many as the metric's label names (NULL when it has none). A metric may be
 * NULL (then these do nothing), so callers need not check registration. */
void aps_metric_add(struct aps_metric *mt, const char *const *label_values, double v);
void aps_metric_set(struct aps_metric *mt, const char *const *label_values, double v);
void aps_metric_observe(struct aps_metric *mt, const char *const *label_values, double v);
/* Current value of a counter or gauge series (0 when absent), for tests and health checks. */
double aps_metric_value(struct aps_metric *mt, const char *const *label_values);
/* Drops every series of the metric (NULL: nothing). For gauges recomputed from a source of
 * truth at each scrape, so a label set that disappeared from the source (a model no longer in
 * production, a window with no graded picks) stops being exported instead of keeping its last
 * value. A scrape rendered between the clear and the following sets sees the metric empty. */
void aps_metric_clear(struct aps_metric *mt);

/* Appends the whole registry in the Prometheus text format. */
void aps_metrics_render(struct aps_metrics *m, struct aps_buf *out);

/* Sets process_resident_memory_bytes, process_virtual_memory_bytes, process_start_time_seconds,
 * process_open_fds, process_max_fds (gauges) and process_cpu_seconds_total (a counter set from
 * the kernel's total) from /proc/self, with the names and meanings of the Prometheus client
 * libraries' process collector. APS_E_IO or APS_E_PARSE when /proc cannot be read. */
int aps_process_metrics_update(struct aps_metrics *m);

#endif
