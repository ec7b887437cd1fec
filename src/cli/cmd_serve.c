/* cmd_serve.c — `aps serve`: the embedded all-in-one deployment. One process runs the REST API
 * (services/api_server.h), the worker threads (services/worker.h) and the scheduler
 * (services/scheduler.h) on one application context: SQLite, the in-process cache and the
 * store-backed queue unless REDIS_URL says otherwise. Until SIGTERM or SIGINT; then the
 * scheduler stops, the API drains, running jobs finish or are released. Wiring only. */
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
#include "core/str.h"
#include "http/http.h"
#include "services/api_server.h"
#include "services/app.h"
#include "services/deps.h"
#include "services/scheduler.h"
#include "services/worker.h"

struct serve_args {
    const char *host;
    int port, api_threads;
    struct aps_worker_opts w;
    bool scheduler;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: aps serve [--host H] [--port P] [--threads N] [--worker-threads N]\n"
            "                 [--no-scheduler]\n\n"
            "Runs everything in one process: the REST API on http://HOST:PORT (/api/v1, /health,\n"
            "/metrics), WORKER_THREADS job threads and the scheduler (odds, schedules, scores,\n"
            "weather, picks, grading, closing lines, data quality, retraining, backups). With the\n"
            "default settings: SQLite (DATABASE_URL), the in-process cache and the store's job\n"
            "queue. Providers are read from ODDS_API_BASE_URL, ESPN_API_BASE_URL and\n"
            "WEATHER_API_BASE_URL. Stops on SIGTERM or SIGINT; SIGHUP reloads the configuration.\n"
            "Starts itself again once with glibc.malloc.tcache_count=256 added to GLIBC_TUNABLES\n"
            "unless that names a tcache count already (docs/operations.md, the allocator).\n"
            "  --port P             API port (default PORT; 0 picks a free one, named in the\n"
            "                       \"listening\" log line)\n"
            "  --threads N          API threads (default one per core; on PostgreSQL at least\n"
            "                       DATABASE_POOL_SIZE)\n"
            "  --worker-threads N   job threads (default WORKER_THREADS)\n"
            "  --no-scheduler       run the API and the workers only\n");
}

/* A number in lo..hi into *out, else "bad argument VALUE". */
static int int_in(const char *v, int lo, int hi, int *out)
{
    if (!aps_cli_int_in(v, lo, hi, out))
        return fprintf(stderr, "aps serve: bad argument %s (see --help)\n", v), 1;
    return 0;
}

static int set_port(void *p, const char *opt, const char *v)
{
    (void)opt;
    return int_in(v, 0, APS_CLI_PORT_MAX, &((struct serve_args *)p)->port);
}

static int set_threads(void *p, const char *opt, const char *v)
{
    (void)opt;
    return int_in(v, 1, APS_CLI_THREADS_MAX, &((struct serve_args *)p)->api_threads);
}

static int set_worker_threads(void *p, const char *opt, const char *v)
{
    (void)opt;
    return int_in(v, 1, APS_CLI_THREADS_MAX, &((struct serve_args *)p)->w.threads);
}

static const struct aps_cli_opt options[] = {
    {"--no-scheduler", APS_OPT_CLEAR, offsetof(struct serve_args, scheduler), NULL},
    {"--host", APS_OPT_STR, offsetof(struct serve_args, host), NULL},
    {"--port", APS_OPT_FN, 0, set_port},
    {"--threads", APS_OPT_FN, 0, set_threads},
    {"--worker-threads", APS_OPT_FN, 0, set_worker_threads},
};

static int parse(struct aps_cli *cli, int argc, char **argv, struct serve_args *a)
{
    static const struct aps_cli_opts table = {
        .cmd = "serve", .hint = "(see --help)", .opt = options, .n = APS_CLI_OPTS_N(options)};
    a->host = aps_cfg_str(cli->cfg, APS_SET_HOST);
    a->port = (int)aps_cfg_int(cli->cfg, APS_SET_PORT);
    a->api_threads = 0;
    a->scheduler = true;
    aps_worker_opts_default(&a->w, cli->cfg);
    return aps_cli_opts_parse(&table, argc, argv, 1, a) ? -1 : 0;
}

struct running {
    struct aps_http_server *api;
    struct aps_worker *worker;
    struct aps_scheduler *sched;
};

static int start_all(struct aps_app *app, const struct serve_args *a, struct running *r)
{
    char err[512];
    struct aps_http_server_opts o;
    aps_api_server_opts(&o, app, a->host, a->port);
    o.threads = aps_api_server_threads(app, a->api_threads);
    aps_api_server_tune_malloc();
    if (aps_http_server_start(&r->api, &o, err, sizeof err))
        return fprintf(stderr, "aps serve: api: %s\n", err), -1;
    if (aps_worker_start(&r->worker, app, &a->w, err, sizeof err))
        return fprintf(stderr, "aps serve: worker: %s\n", err), -1;
    struct aps_scheduler_opts so;
    aps_scheduler_opts_default(&so, app->cfg);
    if (a->scheduler && aps_scheduler_start(&r->sched, app, &so, err, sizeof err))
        return fprintf(stderr, "aps serve: scheduler: %s\n", err), -1;
    return 0;
}

/* Stops in dependency order; returns the worker's count of abandoned jobs. */
static int stop_all(struct aps_app *app, struct running *r)
{
    aps_scheduler_stop(r->sched);
    if (r->api)
        aps_cli_api_unready(app);
    if (r->api)
        aps_http_server_stop(r->api, (double)aps_cfg_int(app->cfg, APS_SET_API_DRAIN_SECONDS));
    return aps_worker_stop(r->worker);
}

int aps_cmd_serve(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        usage(stdout);
        return APS_EXIT_OK;
    }
    struct serve_args a;
    if (parse(cli, argc, argv, &a))
        return APS_EXIT_USAGE;
    sigset_t set;
    aps_cli_signals_block(&set);
    struct aps_app app;
    struct running r = {0};
    char err[512], extra[256];
    unsigned parts = APS_APP_ALL | APS_APP_MIGRATE | APS_APP_WATCH;
    if (aps_app_open(&app, cli->cfg, parts, err, sizeof err)) {
        fprintf(stderr, "aps serve: %s\n", err);
        return APS_EXIT_FAIL;
    }
    if (aps_deps_start(&app.deps, &app, 1000))
        APS_LOG(&app.log, APS_LOG_WARNING, NULL, "dependency watch not started");
    int rc = start_all(&app, &a, &r) ? APS_EXIT_FAIL : APS_EXIT_OK;
    if (rc == APS_EXIT_OK) {
        snprintf(extra, sizeof extra,
                 "\"role\":\"serve\",\"host\":\"%s\",\"port\":%d,\"worker_threads\":%d,"
                 "\"queue\":\"%s\",\"scheduler\":%s",
                 a.host, aps_http_server_port(r.api), a.w.threads, aps_queue_backend(app.queue),
                 a.scheduler ? "true" : "false");
        aps_log_write(&app.log, APS_LOG_INFO, extra, "listening");
        int sig = aps_cli_signals_wait(&app, &set);
        APS_LOG(&app.log, APS_LOG_INFO, NULL, "%s: stopping", aps_cli_signal_name(sig));
    }
    int abandoned = stop_all(&app, &r);
    APS_LOG(&app.log, APS_LOG_INFO, NULL, "stopped");
    if (abandoned) {
        fflush(stdout);
        _exit(rc); /* handlers still run on abandoned threads: do not free under them */
    }
    aps_app_close(&app);
    return rc;
}
