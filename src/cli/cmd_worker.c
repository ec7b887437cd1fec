/* cmd_worker.c — `aps worker`: the job worker (services/worker.h) until SIGTERM or SIGINT, with
 * /health and /metrics on WORKER_PORT; three helpers around the job table: `aps worker jobs`
 * lists it, `aps worker enqueue NAME` puts one job on the queue, `aps worker run NAME` runs one
 * job here and now (no queue); and `aps worker dead list|requeue|drop` for the dead letters.
 * Wiring only. */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cache/queue.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"
#include "ingest/collect.h"
#include "services/app.h"
#include "services/deps.h"
#include "services/jobs.h"
#include "services/worker.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: aps worker [--threads N] [--port P] [--no-http]\n"
        "       aps worker jobs\n"
        "       aps worker enqueue NAME [--payload JSON] [--key KEY] [--delay-ms N] [--count N]\n"
        "       aps worker run NAME [--payload JSON]\n"
        "       aps worker dead list [--limit N] [--offset N] | requeue ID... | drop ID...\n\n"
        "Runs background jobs from the queue (Redis Streams when REDIS_URL is set, else the\n"
        "store's jobs table) on N threads (WORKER_THREADS) until SIGTERM or SIGINT (SIGHUP\n"
        "reloads the configuration, docs/operations.md); then\n"
        "lets running jobs finish for WORKER_DRAIN_SECONDS and releases the rest to the\n"
        "queue. While the database (or Redis holding the queue) is down it stops claiming,\n"
        "and a run cut short by the outage goes back to the queue without using an attempt.\n"
        "/health (503 when the queue does not answer; \"degraded\" while the database is\n"
        "down, claims fail or a finished job's result waits for the queue) and /metrics\n"
        "answer on WORKER_PORT (--port 0 picks a free one; the \"listening\" log line\n"
        "names it).\n\n"
        "  jobs     the job table: name, timeout, attempts, what it does\n"
        "  enqueue  puts one job on the queue (KEY: an idempotency key); --count N puts N\n"
        "           jobs in batches, each \"{n}\" in JSON and KEY replaced by 1..N; a payload\n"
        "           the job can never take (empty, not a JSON object, an unknown sport) or a\n"
        "           KEY not of 1 to 127 bytes exits 2 with nothing enqueued\n"
        "  run      runs one job in this process, without the queue, and logs its line\n"
        "  dead     dead letters (jobs out of attempts and retry budget, whose worker died\n"
        "           on their last attempt, or whose payload can never work): list them as\n"
        "           JSON lines (newest first, N up to 1000, default 100, after skipping the\n"
        "           newest --offset), requeue them\n"
        "           (ready now, attempts reset) or drop them; exit 1 when an ID is not a\n"
        "           dead letter, 2 (nothing done) when an ID is not a number\n");
}

static int list_jobs(void)
{
    size_t n;
    const struct aps_job_def *t = aps_jobs_table(&n);
    printf("%-18s %8s %8s %6s  %s\n", "job", "timeout", "attempts", "sport", "what it does");
    for (size_t i = 0; i < n; i++)
        printf("%-18s %7ds %8d %6s  %s\n", t[i].name, t[i].timeout_s, t[i].max_attempts,
               t[i].needs_sport ? "yes" : "-", t[i].help);
    return APS_EXIT_OK;
}

struct job_args {
    const char *name, *payload, *key;
    int64_t delay_ms;
    int count; /* enqueue: jobs 1..count, "{n}" in payload and key replaced by the number */
};

static int set_delay(void *p, const char *opt, const char *v)
{
    struct job_args *a = p;
    if (!aps_cli_i64_in(v, INT64_MIN, INT64_MAX, &a->delay_ms))
        return fprintf(stderr, "aps worker: bad argument %s\n", opt), 1;
    if (a->delay_ms < 0 || a->delay_ms > APS_QUEUE_MAX_DELAY_MS)
        return fprintf(stderr, "aps worker: %s takes 0 to %lld (30 days)\n", opt,
                       (long long)APS_QUEUE_MAX_DELAY_MS),
               1;
    return 0;
}

static int set_count(void *p, const char *opt, const char *v)
{
    struct job_args *a = p;
    if (!aps_cli_int_in(v, 1, 100000, &a->count))
        return fprintf(stderr, "aps worker: bad argument %s\n", opt), 1;
    return 0;
}

static const struct aps_cli_opt job_options[] = {
    {"--payload", APS_OPT_STR, offsetof(struct job_args, payload), NULL},
    {"--key", APS_OPT_STR, offsetof(struct job_args, key), NULL},
    {"--delay-ms", APS_OPT_FN, 0, set_delay},
    {"--count", APS_OPT_FN, 0, set_count},
};

static char *numbered(const char *text, int n);

/* --key: 1..APS_QUEUE_MAX_IDEM bytes, the longest (N of --count N in "{n}") included. */
static bool key_ok(const struct job_args *a)
{
    char *longest = a->count > 1 ? numbered(a->key, a->count) : NULL;
    size_t len = strlen(longest ? longest : a->key);
    aps_free(longest);
    return len >= 1 && len <= APS_QUEUE_MAX_IDEM;
}

static int parse_job_args(int argc, char **argv, struct job_args *a)
{
    static const struct aps_cli_opts table = {.cmd = "worker",
                                              .bad = "bad argument",
                                              .opt = job_options,
                                              .n = APS_CLI_OPTS_N(job_options),
                                              .word = true,
                                              .word_off = offsetof(struct job_args, name)};
    *a = (struct job_args){.payload = "{}", .count = 1};
    if (aps_cli_opts_parse(&table, argc, argv, 2, a))
        return -1;
    size_t n;
    const struct aps_job_def *t = aps_jobs_table(&n);
    if (!aps_jobs_find(t, n, a->name))
        return fprintf(stderr, "aps worker: no job named %s (see aps worker jobs)\n",
                       a->name ? a->name : "(none)"), -1;
    if (a->key && !key_ok(a))
        return fprintf(stderr, "aps worker: --key must be 1 to %d bytes%s\n", APS_QUEUE_MAX_IDEM,
                       a->count > 1 && strstr(a->key, "{n}") ? " with {n} replaced" : ""),
               -1;
    return 0;
}

/* What the queue commands open: the queue alone when it is in Redis (so jobs can be enqueued
 * and dead letters handled while the database is down), else the store with it. */
static unsigned queue_parts(const struct aps_cli *cli)
{
    const char *url = aps_cfg_str(cli->cfg, APS_SET_REDIS_URL);
    return url && *url ? APS_APP_QUEUE : APS_APP_STORE | APS_APP_QUEUE | APS_APP_MIGRATE;
}

/* text with every "{n}" replaced by n (aps_malloc'd; the caller frees it). */
static char *numbered(const char *text, int n)
{
    struct aps_buf b = {0};
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    for (const char *p = text; *p;) {
        const char *hit = strstr(p, "{n}");
        size_t len = hit ? (size_t)(hit - p) : strlen(p);
        aps_buf_append(&b, p, len);
        p += len;
        if (hit) {
            aps_buf_puts(&b, num);
            p += 3;
        }
    }
    char *out = aps_strndup(aps_buf_str(&b), b.len);
    aps_buf_cleanup(&b);
    return out;
}

/* The payload of every job an enqueue would push (each number of --count) passes the checks a
 * worker makes before the job runs; else a line on stderr and false. */
static bool payloads_ok(const struct job_args *a, const struct aps_job_def *d)
{
    char why[512];
    for (int i = 1; i <= a->count; i++) {
        char *text = a->count > 1 ? numbered(a->payload, i) : NULL;
        int rc = aps_jobs_check(d, text ? text : a->payload, why, sizeof why);
        aps_free(text);
        if (rc) {
            fprintf(stderr, "aps worker: %s%s (nothing enqueued)\n", why,
                    a->count > 1 && strstr(a->payload, "{n}") ? " with {n} replaced" : "");
            return false;
        }
        if (!strstr(a->payload, "{n}"))
            break; /* the same text every time */
    }
    return true;
}

/* --count N: N jobs pushed in batches of up to 500 (one round trip each); prints one line with
 * how many were new and how many existed already. */
static int enqueue_many(struct aps_queue *q, const struct job_args *a, const struct aps_job_def *d)
{
    enum { BATCH = 500 };
    struct aps_queue_msg *msgs = aps_calloc(BATCH, sizeof *msgs);
    char **texts = aps_calloc(2 * BATCH, sizeof *texts);
    int added = 0, existed = 0, rc = 0;
    for (int first = 1; first <= a->count && !rc; first += BATCH) {
        int m = a->count - first + 1 < BATCH ? a->count - first + 1 : BATCH;
        for (int i = 0; i < m; i++) {
            texts[2 * i] = numbered(a->payload, first + i);
            texts[2 * i + 1] = a->key ? numbered(a->key, first + i) : NULL;
            msgs[i] = (struct aps_queue_msg){.name = d->name, .payload = texts[2 * i],
                                             .idem = texts[2 * i + 1],
                                             .max_attempts = d->max_attempts,
                                             .delay_ms = a->delay_ms};
        }
        rc = aps_queue_push_batch(q, msgs, (size_t)m);
        for (int i = 0; i < m; i++) {
            added += !rc && msgs[i].rc == 0;
            existed += !rc && msgs[i].rc == APS_E_EXISTS;
            aps_free(texts[2 * i]);
            aps_free(texts[2 * i + 1]);
        }
    }
    aps_free(texts);
    aps_free(msgs);
    if (rc)
        fprintf(stderr, "aps worker: enqueue failed after %d job(s): %s\n", added + existed,
                aps_strerror(rc));
    else
        printf("{\"enqueued\":%d,\"existed\":%d}\n", added, existed);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

static int enqueue(struct aps_cli *cli, int argc, char **argv)
{
    struct job_args a;
    if (parse_job_args(argc, argv, &a))
        return APS_EXIT_USAGE;
    size_t n;
    /* The table first: it sets n, which the lookup reads (argument order is unspecified). */
    const struct aps_job_def *table = aps_jobs_table(&n);
    const struct aps_job_def *d = aps_jobs_find(table, n, a.name);
    if (!payloads_ok(&a, d))
        return APS_EXIT_USAGE;
    struct aps_app app;
    char err[512], id[64] = "";
    if (aps_app_open(&app, cli->cfg, queue_parts(cli), err, sizeof err)) {
        fprintf(stderr, "aps worker: %s\n", err);
        return APS_EXIT_FAIL;
    }
    if (a.count > 1) {
        int status = enqueue_many(app.queue, &a, d);
        aps_app_close(&app);
        return status;
    }
    int rc = aps_queue_push(app.queue, d->name, a.payload, a.key, d->max_attempts, a.delay_ms, id);
    if (rc && rc != APS_E_EXISTS)
        fprintf(stderr, "aps worker: enqueue failed: %s\n", aps_strerror(rc));
    else
        printf("{\"id\":\"%s\",\"existed\":%s}\n", id, rc ? "true" : "false");
    aps_app_close(&app);
    return rc && rc != APS_E_EXISTS ? APS_EXIT_FAIL : APS_EXIT_OK;
}

static int run_once(struct aps_cli *cli, int argc, char **argv)
{
    struct job_args a;
    if (parse_job_args(argc, argv, &a))
        return APS_EXIT_USAGE;
    size_t n;
    /* The table first: it sets n, which the lookup reads (argument order is unspecified). */
    const struct aps_job_def *table = aps_jobs_table(&n);
    const struct aps_job_def *d = aps_jobs_find(table, n, a.name);
    struct aps_app app;
    char err[512];
    if (aps_app_open(&app, cli->cfg, APS_APP_ALL | APS_APP_MIGRATE, err, sizeof err)) {
        fprintf(stderr, "aps worker: %s\n", err);
        return APS_EXIT_FAIL;
    }
    struct aps_collector col;
    aps_collector_init(&col, app.cfg, app.store, app.metrics);
    struct aps_job_run r = {.app = &app, .col = &col, .id = "inline", .attempt = 1};
    int rc = aps_jobs_exec(d, a.payload, &r);
    char extra[64];
    snprintf(extra, sizeof extra, "\"job\":\"%s\",\"outcome\":\"%s\"", d->name, rc ? "failed" : "ok");
    struct aps_buf b = {0};
    aps_buf_puts(&b, extra);
    aps_buf_puts(&b, aps_buf_str(&r.fields));
    if (rc || r.warn[0]) {
        aps_buf_puts(&b, rc ? ",\"error\":\"" : ",\"warning\":\"");
        aps_json_escape(&b, rc ? r.err : r.warn);
        aps_buf_putc(&b, '"');
    }
    aps_log_write(&app.log, rc ? APS_LOG_ERROR : r.warn[0] ? APS_LOG_WARNING : APS_LOG_INFO,
                  aps_buf_str(&b), "job %s %s", d->name, rc ? "failed" : "done");
    aps_buf_cleanup(&b);
    aps_job_run_cleanup(&r);
    aps_collector_cleanup(&col);
    aps_app_close(&app);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

struct dead_args {
    int limit, offset;
};

static int dead_list(struct aps_queue *q, const struct dead_args *a)
{
    int limit = a->limit;
    struct aps_job *jobs = aps_calloc((size_t)limit, sizeof *jobs);
    int n = 0, rc = aps_queue_dead(q, a->offset, jobs, limit, &n);
    if (rc)
        fprintf(stderr, "aps worker: dead list: %s\n", aps_strerror(rc));
    for (int i = 0; i < n; i++) {
        struct aps_buf b = {0};
        aps_buf_puts(&b, "{\"id\":\"");
        aps_json_escape(&b, jobs[i].id);
        aps_buf_printf(&b, "\",\"name\":\"%s\",\"attempts\":%d,\"max_attempts\":%d,"
                           "\"enqueued_ms\":%lld,\"error\":\"",
                       jobs[i].name, jobs[i].attempts, jobs[i].max_attempts,
                       (long long)jobs[i].enqueued_ms);
        aps_json_escape(&b, jobs[i].error);
        aps_buf_puts(&b, "\",\"payload\":\"");
        aps_json_escape(&b, jobs[i].payload ? jobs[i].payload : "");
        aps_buf_puts(&b, "\"}");
        printf("%s\n", aps_buf_str(&b));
        aps_buf_cleanup(&b);
        aps_job_cleanup(&jobs[i]);
    }
    aps_free(jobs);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

/* --limit (1..1000) or --offset (0..1000000); each at most once, as every option. */
static int set_page(void *p, const char *opt, const char *v)
{
    struct dead_args *a = p;
    bool limit = !strcmp(opt, "--limit");
    int lo = limit ? 1 : 0, hi = limit ? 1000 : 1000000;
    if (!aps_cli_int_in(v, lo, hi, limit ? &a->limit : &a->offset))
        return fprintf(stderr, "aps worker: %s takes %d..%d\n", opt, lo, hi), 1;
    return 0;
}

static const struct aps_cli_opt dead_options[] = {{"--limit", APS_OPT_FN, 0, set_page},
                                                  {"--offset", APS_OPT_FN, 0, set_page}};
static const struct aps_cli_opts dead_table = {.cmd = "worker",
                                               .opt = dead_options,
                                               .n = 2,
                                               .usage = usage};

/* `aps worker dead list|requeue|drop`: argv[2] is the action. */
static int dead(struct aps_cli *cli, int argc, char **argv)
{
    const char *act = argc > 2 ? argv[2] : "";
    struct dead_args da = {.limit = 100};
    bool list = !strcmp(act, "list");
    /* list takes --limit and --offset, each at most once */
    if (list && argc <= 7 ? aps_cli_opts_parse(&dead_table, argc, argv, 3, &da) != 0
                          : (strcmp(act, "requeue") && strcmp(act, "drop")) || argc < 4) {
        if (!list || argc > 7)
            usage(stderr);
        return APS_EXIT_USAGE;
    }
    for (int i = 3; !list && i < argc; i++)
        if (!aps_queue_id_ok(argv[i]))
            return fprintf(stderr,
                           "aps worker: %s '%s': not a job id (a number, as dead list "
                           "shows it; nothing done)\n",
                           act, argv[i]),
                   APS_EXIT_USAGE;
    struct aps_app app;
    char err[512];
    if (aps_app_open(&app, cli->cfg, queue_parts(cli), err, sizeof err)) {
        fprintf(stderr, "aps worker: %s\n", err);
        return APS_EXIT_FAIL;
    }
    int status = APS_EXIT_OK;
    if (list) {
        status = dead_list(app.queue, &da);
    } else {
        bool requeue = !strcmp(act, "requeue");
        for (int i = 3; i < argc; i++) {
            int rc = requeue ? aps_queue_requeue(app.queue, argv[i])
                             : aps_queue_drop(app.queue, argv[i]);
            if (rc) {
                fprintf(stderr, "aps worker: %s %s: %s\n", act, argv[i],
                        rc == APS_E_NOTFOUND ? "no dead letter with that id" : aps_strerror(rc));
                status = APS_EXIT_FAIL;
            } else {
                printf("{\"id\":\"%s\",\"%s\":true}\n", argv[i],
                       requeue ? "requeued" : "dropped");
            }
        }
    }
    aps_app_close(&app);
    return status;
}

struct serve_args {
    struct aps_worker_opts o;
    bool no_http;
};

static int set_threads(void *p, const char *opt, const char *v)
{
    struct aps_worker_opts *o = &((struct serve_args *)p)->o;
    (void)opt;
    if (!aps_cli_int_in(v, 1, APS_CLI_THREADS_MAX, &o->threads))
        return fprintf(stderr, "aps worker: --threads takes 1..256\n"), 1;
    return 0;
}

static int set_port(void *p, const char *opt, const char *v)
{
    struct aps_worker_opts *o = &((struct serve_args *)p)->o;
    (void)opt;
    if (!aps_cli_int_in(v, 0, APS_CLI_PORT_MAX, &o->http_port))
        return fprintf(stderr, "aps worker: bad port\n"), 1;
    return 0;
}

static const struct aps_cli_opt serve_options[] = {
    {"--no-http", APS_OPT_SET, offsetof(struct serve_args, no_http), NULL},
    {"--threads", APS_OPT_FN, 0, set_threads},
    {"--port", APS_OPT_FN, 0, set_port},
};

static int parse_serve(struct aps_cli *cli, int argc, char **argv, struct aps_worker_opts *o)
{
    static const struct aps_cli_opts table = {.cmd = "worker",
                                              .hint = "(see --help)",
                                              .opt = serve_options,
                                              .n = APS_CLI_OPTS_N(serve_options)};
    struct serve_args a = {.no_http = false};
    aps_worker_opts_default(&a.o, cli->cfg);
    a.o.http_host = aps_cfg_str(cli->cfg, APS_SET_HOST);
    if (aps_cli_opts_parse(&table, argc, argv, 1, &a))
        return -1;
    if (a.no_http)
        a.o.http_host = NULL;
    *o = a.o;
    return 0;
}

static int serve(struct aps_cli *cli, int argc, char **argv)
{
    struct aps_worker_opts o;
    if (parse_serve(cli, argc, argv, &o))
        return APS_EXIT_USAGE;
    sigset_t set;
    aps_cli_signals_block(&set);
    struct aps_app app;
    struct aps_worker *w = NULL;
    char err[512], extra[200];
    if (aps_app_open(&app, cli->cfg, APS_APP_STORE | APS_APP_CACHE | APS_APP_QUEUE |
                                         APS_APP_MIGRATE | APS_APP_WATCH, err, sizeof err)) {
        fprintf(stderr, "aps worker: %s\n", err);
        return APS_EXIT_FAIL;
    }
    if (aps_deps_start(&app.deps, &app, 1000))
        APS_LOG(&app.log, APS_LOG_WARNING, NULL, "dependency watch not started");
    if (aps_worker_start(&w, &app, &o, err, sizeof err)) {
        fprintf(stderr, "aps worker: %s\n", err);
        aps_app_close(&app);
        return APS_EXIT_FAIL;
    }
    snprintf(extra, sizeof extra, "\"role\":\"worker\",\"threads\":%d,\"queue\":\"%s\",\"port\":%d",
             o.threads, aps_queue_backend(app.queue), aps_worker_http_port(w));
    aps_log_write(&app.log, APS_LOG_INFO, extra, "listening");
    int sig = aps_cli_signals_wait(&app, &set);
    APS_LOG(&app.log, APS_LOG_INFO, NULL, "%s: finishing running jobs", aps_cli_signal_name(sig));
    int abandoned = aps_worker_stop(w);
    APS_LOG(&app.log, APS_LOG_INFO, NULL, "stopped (%d handler(s) still running)", abandoned);
    if (abandoned) {
        fflush(stdout);
        _exit(APS_EXIT_OK); /* handlers still run on abandoned threads: do not free under them */
    }
    aps_app_close(&app);
    return APS_EXIT_OK;
}

int aps_cmd_worker(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        usage(stdout);
        return APS_EXIT_OK;
    }
    if (argc > 1 && !strcmp(argv[1], "jobs"))
        return list_jobs();
    if (argc > 1 && !strcmp(argv[1], "enqueue"))
        return enqueue(cli, argc, argv);
    if (argc > 1 && !strcmp(argv[1], "run"))
        return run_once(cli, argc, argv);
    if (argc > 1 && !strcmp(argv[1], "dead"))
        return dead(cli, argc, argv);
    return serve(cli, argc, argv);
}
