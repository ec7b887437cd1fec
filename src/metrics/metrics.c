/* metrics.c — the Prometheus registry of metrics.h.
 *
 * A registry is a list of metrics in registration order (the order they are rendered). Each
 * metric holds its series in a small chained hash keyed by the label values joined with 0x1f, and
 * its own mutex, so two threads updating different metrics never wait on each other. Rendering
 * takes one metric's lock at a time and sorts that metric's series by their key, so the text is
 * deterministic. Histogram buckets are stored per bucket and made cumulative when rendered. */
#include "metrics/metrics.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"

enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

struct series {
    struct series *next;
    char *key;              /* label values joined with 0x1f */
    char **values;          /* nlabels copies */
    double value;           /* counter, gauge */
    double sum;             /* histogram */
    uint64_t count;         /* histogram */
    uint64_t *buckets;      /* histogram: per-bucket (not cumulative) counts, nbuckets + 1 */
};

struct aps_metric {
    struct aps_metric *next;
    pthread_mutex_t mu;
    enum kind kind;
    char *name, *help;
    int nlabels;
    char *labels[APS_METRIC_MAX_LABELS];
    double *bounds;
    size_t nbounds;
    struct series **tab;
    size_t tabcap, nseries;
};

struct aps_metrics {
    pthread_mutex_t mu;     /* guards the list */
    struct aps_metric *head, *tail;
};

int aps_metrics_new(struct aps_metrics **out)
{
    struct aps_metrics *m = aps_calloc(1, sizeof *m);
    if (pthread_mutex_init(&m->mu, NULL)) {
        aps_free(m);
        *out = NULL;
        return APS_E_NOMEM;
    }
    *out = m;
    return 0;
}

/* Frees every series and empties the table (kept allocated). Caller holds mt->mu or owns mt. */
static void series_free_all(struct aps_metric *mt)
{
    for (size_t i = 0; i < mt->tabcap; i++) {
        struct series *s = mt->tab[i];
        while (s) {
            struct series *next = s->next;
            for (int l = 0; l < mt->nlabels; l++)
                aps_free(s->values[l]);
            aps_free(s->values);
            aps_free(s->buckets);
            aps_free(s->key);
            aps_free(s);
            s = next;
        }
        mt->tab[i] = NULL;
    }
    mt->nseries = 0;
}

static void metric_free(struct aps_metric *mt)
{
    series_free_all(mt);
    for (int l = 0; l < mt->nlabels; l++)
        aps_free(mt->labels[l]);
    aps_free(mt->tab);
    aps_free(mt->bounds);
    aps_free(mt->name);
    aps_free(mt->help);
    pthread_mutex_destroy(&mt->mu);
    aps_free(mt);
}

void aps_metrics_free(struct aps_metrics *m)
{
    if (!m)
        return;
    struct aps_metric *mt = m->head;
    while (mt) {
        struct aps_metric *next = mt->next;
        metric_free(mt);
        mt = next;
    }
    pthread_mutex_destroy(&m->mu);
    aps_free(m);
}

static int count_labels(const char *const *names)
{
    int n = 0;
    while (names && names[n])
        n++;
    return n;
}

/* True when an existing metric matches the kind and label names asked for again. */
static bool same_shape(const struct aps_metric *mt, enum kind k, const char *const *names)
{
    if (mt->kind != k || mt->nlabels != count_labels(names))
        return false;
    for (int i = 0; i < mt->nlabels; i++)
        if (strcmp(mt->labels[i], names[i]))
            return false;
    return true;
}

static struct aps_metric *metric_new(enum kind k, const char *name, const char *help,
                                     const char *const *names, const double *bounds, size_t nb)
{
    struct aps_metric *mt = aps_calloc(1, sizeof *mt);
    if (pthread_mutex_init(&mt->mu, NULL)) {
        aps_free(mt);
        return NULL;
    }
    mt->kind = k;
    mt->name = aps_strdup(name);
    mt->help = aps_strdup(help ? help : "");
    mt->nlabels = count_labels(names);
    for (int i = 0; i < mt->nlabels; i++)
        mt->labels[i] = aps_strdup(names[i]);
    if (nb) {
        mt->bounds = aps_malloc(nb * sizeof *bounds);
        memcpy(mt->bounds, bounds, nb * sizeof *bounds);
        mt->nbounds = nb;
    }
    return mt;
}

static struct aps_metric *registry_get(struct aps_metrics *m, enum kind k, const char *name,
                                       const char *help, const char *const *names,
                                       const double *bounds, size_t nb)
{
    if (!m || !name || count_labels(names) > APS_METRIC_MAX_LABELS)
        return NULL;
    pthread_mutex_lock(&m->mu);
    struct aps_metric *mt = m->head;
    while (mt && strcmp(mt->name, name))
        mt = mt->next;
    if (mt) {
        if (!same_shape(mt, k, names))
            mt = NULL;
    } else {
        mt = metric_new(k, name, help, names, bounds, nb);
        if (mt) {
            if (m->tail)
                m->tail->next = mt;
            else
                m->head = mt;
            m->tail = mt;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return mt;
}

struct aps_metric *aps_metrics_counter(struct aps_metrics *m, const char *name, const char *help,
                                       const char *const *label_names)
{
    return registry_get(m, KIND_COUNTER, name, help, label_names, NULL, 0);
}

struct aps_metric *aps_metrics_gauge(struct aps_metrics *m, const char *name, const char *help,
                                     const char *const *label_names)
{
    return registry_get(m, KIND_GAUGE, name, help, label_names, NULL, 0);
}

struct aps_metric *aps_metrics_histogram(struct aps_metrics *m, const char *name,
                                         const char *help, const char *const *label_names,
                                         const double *buckets, size_t nbuckets)
{
    for (size_t i = 1; i < nbuckets; i++)
        if (!(buckets[i] > buckets[i - 1]))
            return NULL;
    return registry_get(m, KIND_HISTOGRAM, name, help, label_names, buckets, nbuckets);
}

/* FNV-1a over the joined key. */
static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void join_key(const struct aps_metric *mt, const char *const *values, struct aps_buf *b)
{
    for (int i = 0; i < mt->nlabels; i++) {
        if (i)
            aps_buf_putc(b, '\x1f');
        aps_buf_puts(b, values && values[i] ? values[i] : "");
    }
}

static void table_grow(struct aps_metric *mt)
{
    size_t cap = mt->tabcap ? mt->tabcap * 2 : 16;
    struct series **tab = aps_calloc(cap, sizeof *tab);
    for (size_t i = 0; i < mt->tabcap; i++) {
        struct series *s = mt->tab[i];
        while (s) {
            struct series *next = s->next;
            size_t slot = hash_key(s->key) & (cap - 1);
            s->next = tab[slot];
            tab[slot] = s;
            s = next;
        }
    }
    aps_free(mt->tab);
    mt->tab = tab;
    mt->tabcap = cap;
}

/* Joins the label values into buf when they fit (the common case: no allocation on the hot
 * path), else into b. Returns the key. */
static const char *make_key(const struct aps_metric *mt, const char *const *values, char *buf,
                            size_t cap, struct aps_buf *b)
{
    size_t n = 0;
    for (int i = 0; i < mt->nlabels; i++) {
        const char *v = values && values[i] ? values[i] : "";
        size_t vl = strlen(v);
        if (n + vl + 2 > cap) {
            join_key(mt, values, b);
            return aps_buf_str(b);
        }
        if (i)
            buf[n++] = '\x1f';
        memcpy(buf + n, v, vl);
        n += vl;
    }
    buf[n] = '\0';
    return buf;
}

/* The series for these label values, created when absent. Caller holds mt->mu. */
static struct series *series_get(struct aps_metric *mt, const char *const *values, bool create)
{
    char small[256];
    struct aps_buf key = {0};
    const char *k = make_key(mt, values, small, sizeof small, &key);
    uint64_t h = hash_key(k);
    struct series *s = NULL;
    if (mt->tabcap) {
        s = mt->tab[h & (mt->tabcap - 1)];
        while (s && strcmp(s->key, k))
            s = s->next;
    }
    if (!s && create) {
        if (mt->nseries + 1 > mt->tabcap / 2 + mt->tabcap / 4 || !mt->tabcap)
            table_grow(mt);
        s = aps_calloc(1, sizeof *s);
        s->key = aps_strdup(k);
        s->values = aps_calloc((size_t)mt->nlabels + 1, sizeof *s->values);
        for (int i = 0; i < mt->nlabels; i++)
            s->values[i] = aps_strdup(values && values[i] ? values[i] : "");
        if (mt->kind == KIND_HISTOGRAM)
            s->buckets = aps_calloc(mt->nbounds + 1, sizeof *s->buckets);
        size_t slot = h & (mt->tabcap - 1);
        s->next = mt->tab[slot];
        mt->tab[slot] = s;
        mt->nseries++;
    }
    aps_buf_cleanup(&key);
    return s;
}

static void update(struct aps_metric *mt, const char *const *values, double v, int op)
{
    if (!mt)
        return;
    pthread_mutex_lock(&mt->mu);
    struct series *s = series_get(mt, values, true);
    if (op == 0) {
        s->value += v;
    } else if (op == 1) {
        s->value = v;
    } else if (mt->kind == KIND_HISTOGRAM) {
        size_t i = 0;
        while (i < mt->nbounds && v > mt->bounds[i])
            i++;
        s->buckets[i]++;
        s->count++;
        s->sum += v;
    }
    pthread_mutex_unlock(&mt->mu);
}

void aps_metric_add(struct aps_metric *mt, const char *const *label_values, double v)
{
    if (mt && mt->kind != KIND_HISTOGRAM)
        update(mt, label_values, v, 0);
}

void aps_metric_set(struct aps_metric *mt, const char *const *label_values, double v)
{
    if (mt && mt->kind != KIND_HISTOGRAM)
        update(mt, label_values, v, 1);
}

void aps_metric_observe(struct aps_metric *mt, const char *const *label_values, double v)
{
    if (mt && mt->kind == KIND_HISTOGRAM)
        update(mt, label_values, v, 2);
}

double aps_metric_value(struct aps_metric *mt, const char *const *label_values)
{
    if (!mt)
        return 0;
    pthread_mutex_lock(&mt->mu);
    struct series *s = series_get(mt, label_values, false);
    double v = !s ? 0 : mt->kind == KIND_HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&mt->mu);
    return v;
}

void aps_metric_clear(struct aps_metric *mt)
{
    if (!mt)
        return;
    pthread_mutex_lock(&mt->mu);
    series_free_all(mt);
    pthread_mutex_unlock(&mt->mu);
}

/* The shortest decimal text that reads back as v; "+Inf", "-Inf", "NaN" as Prometheus spells
 * them. */
static void put_number(struct aps_buf *b, double v)
{
    if (isnan(v)) {
        aps_buf_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        aps_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    aps_buf_puts(b, tmp);
}

static void put_escaped(struct aps_buf *b, const char *s, bool quotes)
{
    for (; *s; s++) {
        if (*s == '\\')
            aps_buf_puts(b, "\\\\");
        else if (*s == '\n')
            aps_buf_puts(b, "\\n");
        else if (*s == '"' && quotes)
            aps_buf_puts(b, "\\\"");
        else
            aps_buf_putc(b, *s);
    }
}

/* {a="x",b="y"[,le="0.5"]} — nothing when there are no labels at all. */
static void put_labels(struct aps_buf *b, const struct aps_metric *mt, const struct series *s,
                       const char *le)
{
    if (!mt->nlabels && !le)
        return;
    aps_buf_putc(b, '{');
    for (int i = 0; i < mt->nlabels; i++) {
        aps_buf_printf(b, "%s%s=\"", i ? "," : "", mt->labels[i]);
        put_escaped(b, s->values[i], true);
        aps_buf_putc(b, '"');
    }
    if (le)
        aps_buf_printf(b, "%sle=\"%s\"", mt->nlabels ? "," : "", le);
    aps_buf_putc(b, '}');
}

static void render_series(struct aps_buf *b, const struct aps_metric *mt, const struct series *s)
{
    if (mt->kind != KIND_HISTOGRAM) {
        aps_buf_puts(b, mt->name);
        put_labels(b, mt, s, NULL);
        aps_buf_putc(b, ' ');
        put_number(b, s->value);
        aps_buf_putc(b, '\n');
        return;
    }
    uint64_t cum = 0;
    for (size_t i = 0; i <= mt->nbounds; i++) {
        struct aps_buf le = {0};
        if (i < mt->nbounds)
            put_number(&le, mt->bounds[i]);
        else
            aps_buf_puts(&le, "+Inf");
        cum += s->buckets[i];
        aps_buf_printf(b, "%s_bucket", mt->name);
        put_labels(b, mt, s, aps_buf_str(&le));
        aps_buf_printf(b, " %llu\n", (unsigned long long)cum);
        aps_buf_cleanup(&le);
    }
    aps_buf_printf(b, "%s_sum", mt->name);
    put_labels(b, mt, s, NULL);
    aps_buf_putc(b, ' ');
    put_number(b, s->sum);
    aps_buf_printf(b, "\n%s_count", mt->name);
    put_labels(b, mt, s, NULL);
    aps_buf_printf(b, " %llu\n", (unsigned long long)s->count);
}

static int cmp_series(const void *a, const void *b)
{
    return strcmp((*(const struct series *const *)a)->key, (*(const struct series *const *)b)->key);
}

static void render_metric(struct aps_metric *mt, struct aps_buf *out)
{
    static const char *types[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&mt->mu);
    aps_buf_printf(out, "# HELP %s ", mt->name);
    put_escaped(out, mt->help, false);
    aps_buf_printf(out, "\n# TYPE %s %s\n", mt->name, types[mt->kind]);
    struct series **all = aps_malloc((mt->nseries ? mt->nseries : 1) * sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < mt->tabcap; i++)
        for (struct series *s = mt->tab[i]; s; s = s->next)
            all[n++] = s;
    qsort(all, n, sizeof *all, cmp_series);
    for (size_t i = 0; i < n; i++)
        render_series(out, mt, all[i]);
    pthread_mutex_unlock(&mt->mu);
    aps_free(all);
}

void aps_metrics_render(struct aps_metrics *m, struct aps_buf *out)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    struct aps_metric *head = m->head;
    pthread_mutex_unlock(&m->mu);
    /* Metrics are only ever appended, never removed, so walking the list without the registry
     * lock is safe once head has been read; a metric added meanwhile may or may not show. */
    for (struct aps_metric *mt = head; mt; mt = mt->next)
        render_metric(mt, out);
}

/* Reads the whole of a small /proc file into buf; returns bytes read or -1. */
static ssize_t read_proc(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (ssize_t)n;
}

/* Open descriptors of this process (entries of /proc/self/fd, less the one opendir holds);
 * -1 when the folder cannot be read. */
static long count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n > 0 ? n - 1 : 0;
}

/* The boot time of the machine (btime of /proc/stat, seconds since the epoch); 0 when unknown.
 * /proc/stat is several kilobytes: read line by line. */
static unsigned long long boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long bt = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "btime %llu", &bt) == 1)
            break;
    fclose(f);
    return bt;
}

int aps_process_metrics_update(struct aps_metrics *m)
{
    char buf[1024];
    long page = sysconf(_SC_PAGESIZE), ticks = sysconf(_SC_CLK_TCK);
    unsigned long long size = 0, resident = 0;
    if (ticks <= 0)
        ticks = 100;
    if (read_proc("/proc/self/statm", buf, sizeof buf) < 0 ||
        sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return APS_E_IO;
    if (read_proc("/proc/self/stat", buf, sizeof buf) < 0)
        return APS_E_IO;
    /* Fields after the command name, which is in parentheses and may hold spaces: state is
     * field 3, utime 14, stime 15 and starttime (clock ticks after boot) 22. */
    const char *p = strrchr(buf, ')');
    unsigned long long utime = 0, stime = 0, start = 0;
    if (!p || sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d"
                     " %*d %llu",
                     &utime, &stime, &start) != 3)
        return APS_E_PARSE;
    aps_metric_set(aps_metrics_gauge(m, "process_resident_memory_bytes",
                                     "Resident memory size in bytes.", NULL),
                   NULL, (double)resident * (double)page);
    aps_metric_set(aps_metrics_gauge(m, "process_virtual_memory_bytes",
                                     "Virtual memory size in bytes.", NULL),
                   NULL, (double)size * (double)page);
    aps_metric_set(aps_metrics_counter(m, "process_cpu_seconds_total",
                                       "Total user and system CPU time spent in seconds.", NULL),
                   NULL, (double)(utime + stime) / (double)ticks);
    unsigned long long bt = boot_time();
    if (bt)
        aps_metric_set(aps_metrics_gauge(m, "process_start_time_seconds",
                                         "Start time of the process since unix epoch in seconds.",
                                         NULL),
                       NULL, (double)bt + (double)start / (double)ticks);
    long fds = count_open_fds();
    if (fds >= 0)
        aps_metric_set(aps_metrics_gauge(m, "process_open_fds", "Number of open file descriptors.",
                                         NULL),
                       NULL, (double)fds);
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY)
        aps_metric_set(aps_metrics_gauge(m, "process_max_fds",
                                         "Maximum number of open file descriptors.", NULL),
                       NULL, (double)rl.rlim_cur);
    return 0;
}
