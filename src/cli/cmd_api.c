/* cmd_api.c — `aps api [--host H] [--port P] [--threads N]`: opens the application, applies
 * pending migrations, serves the REST API until SIGTERM or SIGINT, then stops in three steps:
 * readiness answers 503 while everything else keeps serving (API_SHUTDOWN_DELAY_SECONDS), the
 * listener closes, in-flight requests finish (up to API_DRAIN_SECONDS); exit 0. Wiring only: the server is src/http, the hooks
 * src/services/api_server.c. */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/str.h"
#include "http/http.h"
#include "services/api_server.h"
#include "services/openapi.h"
#include "services/routes.h"
#include "services/app.h"
#include "services/deps.h"

struct api_args {
    const char *host;
    int port, threads;
    bool openapi;
};

static void usage(void)
{
    printf("usage: aps api [--host H] [--port P] [--threads N]\n"
           "       aps api --openapi\n\n"
           "Serves the REST API (/api/v1, /metrics) until SIGTERM or SIGINT; SIGHUP reloads\n"
           "config/<ENVIRONMENT>.env and the secrets directory (docs/operations.md). On a stop\n"
           "signal it reports not ready (/api/v1/health/ready answers 503), still serving for\n"
           "API_SHUTDOWN_DELAY_SECONDS, so load balancers take it out of rotation, closes its\n"
           "listener, finishes the requests in flight (up to API_DRAIN_SECONDS) and exits 0.\n"
           "It starts itself again once with glibc.malloc.tcache_count=256 added to\n"
           "GLIBC_TUNABLES unless that names a tcache count already (docs/operations.md).\n"
           "  --host H     listen address (default: the HOST setting)\n"
           "  --port P     port; 0 picks a free one (default: the PORT setting). The chosen\n"
           "               port is printed in the \"listening\" log line on stdout.\n"
           "  --threads N  worker threads (default: WORKERS when set, else one per core); on\n"
           "               PostgreSQL at least DATABASE_POOL_SIZE, so that every pooled\n"
           "               connection can have a query in flight\n"
           "  --openapi    print the OpenAPI document (what GET /api/v1/openapi.json serves)\n"
           "               and exit, without opening the store\n");
}

static int set_port(void *p, const char *opt, const char *v)
{
    struct api_args *a = p;
    (void)opt;
    if (!aps_cli_int_in(v, 0, APS_CLI_PORT_MAX, &a->port))
        return fprintf(stderr, "aps api: bad port %s\n", v), 1;
    return 0;
}

static int set_threads(void *p, const char *opt, const char *v)
{
    struct api_args *a = p;
    (void)opt;
    if (!aps_cli_int_in(v, 1, APS_CLI_THREADS_MAX, &a->threads))
        return fprintf(stderr, "aps api: bad thread count %s\n", v), 1;
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--openapi", APS_OPT_SET, offsetof(struct api_args, openapi), NULL},
    {"--host", APS_OPT_STR, offsetof(struct api_args, host), NULL},
    {"--port", APS_OPT_FN, 0, set_port},
    {"--threads", APS_OPT_FN, 0, set_threads},
};

static int parse_args(struct aps_cli *cli, int argc, char **argv, struct api_args *a)
{
    static const struct aps_cli_opts table = {.cmd = "api",
                                              .bad = "unknown argument",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options)};
    a->host = aps_cfg_str(cli->cfg, APS_SET_HOST);
    a->port = (int)aps_cfg_int(cli->cfg, APS_SET_PORT);
    /* WORKERS counts only when someone set it; the table's defaults (1 in development) would
     * leave cores idle: unset, the pool is sized to the cores. */
    enum aps_config_source src = aps_cfg_source(cli->cfg, APS_SET_WORKERS);
    a->threads = src == APS_SRC_DEFAULT || src == APS_SRC_ENV_DEFAULT
                     ? 0
                     : (int)aps_cfg_int(cli->cfg, APS_SET_WORKERS);
    a->openapi = false;
    return aps_cli_opts_parse(&table, argc, argv, 1, a) ? -1 : 0;
}

void aps_cli_api_unready(struct aps_app *app)
{
    int64_t delay = aps_cfg_int(app->cfg, APS_SET_API_SHUTDOWN_DELAY_SECONDS);
    atomic_store(&app->draining, true);
    char extra[64];
    snprintf(extra, sizeof extra, "\"shutdown_delay_seconds\":%lld", (long long)delay);
    APS_LOG(&app->log, APS_LOG_INFO, extra, "not ready: serving on before the listener closes");
    if (delay <= 0)
        return;
    struct timespec ts = {(time_t)delay, 0};
    sigset_t stop;
    aps_cli_stop_signals(&stop);
    if (sigtimedwait(&stop, NULL, &ts) > 0)
        APS_LOG(&app->log, APS_LOG_INFO, NULL, "second signal: closing the listener now");
}

static int serve(struct aps_app *app, const struct api_args *a, const sigset_t *set)
{
    struct aps_http_server_opts o;
    aps_api_server_opts(&o, app, a->host, a->port);
    o.threads = aps_api_server_threads(app, a->threads);
    aps_api_server_tune_malloc();
    struct aps_http_server *srv = NULL;
    char err[512], extra[160];
    if (aps_http_server_start(&srv, &o, err, sizeof err)) {
        fprintf(stderr, "aps api: %s\n", err);
        return APS_EXIT_FAIL;
    }
    snprintf(extra, sizeof extra, "\"host\":\"%s\",\"port\":%d,\"threads\":%d", a->host,
             aps_http_server_port(srv), aps_http_server_threads(srv));
    /* Written whatever LOG_LEVEL says: scripts read the port from it. */
    aps_log_write(&app->log, APS_LOG_INFO, extra, "listening");
    if (aps_deps_start(&app->deps, app, 1000))
        APS_LOG(&app->log, APS_LOG_WARNING, NULL, "dependency watch not started");
    int sig = aps_cli_signals_wait(app, set);
    aps_cli_api_unready(app);
    double drain = (double)aps_cfg_int(app->cfg, APS_SET_API_DRAIN_SECONDS);
    snprintf(extra, sizeof extra, "\"signal\":\"%s\",\"in_flight\":%d,\"drain_seconds\":%.0f",
             aps_cli_signal_name(sig), aps_http_server_in_flight(srv), drain);
    APS_LOG(&app->log, APS_LOG_INFO, extra, "draining");
    aps_http_server_stop(srv, drain);
    APS_LOG(&app->log, APS_LOG_INFO, NULL, "stopped");
    return APS_EXIT_OK;
}

/* The document as the server sends it (compact, the same number precision). */
static int print_openapi(struct aps_cli *cli)
{
    json_t *doc = aps_openapi_document(aps_routes, aps_nroutes,
                                       aps_cfg_str(cli->cfg, APS_SET_APP_NAME),
                                       aps_cfg_str(cli->cfg, APS_SET_APP_VERSION));
    char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(doc);
    if (!s)
        return fprintf(stderr, "aps api: cannot build the OpenAPI document\n"), APS_EXIT_FAIL;
    puts(s);
    aps_free(s); /* json_dumps text: jansson allocates through core/mem.h */
    return APS_EXIT_OK;
}

int aps_cmd_api(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        usage();
        return APS_EXIT_OK;
    }
    struct api_args a;
    if (parse_args(cli, argc, argv, &a))
        return APS_EXIT_USAGE;
    if (a.openapi)
        return print_openapi(cli);
    /* Block the signals before any thread exists, so every thread inherits the mask and only
     * the main thread's sigwait() sees them. */
    sigset_t set;
    aps_cli_signals_block(&set);

    struct aps_app app;
    char err[512];
    unsigned parts = APS_APP_ALL | APS_APP_MIGRATE | APS_APP_WATCH | APS_APP_SERVING;
    if (aps_app_open(&app, cli->cfg, parts, err, sizeof err)) {
        fprintf(stderr, "aps api: %s\n", err);
        return APS_EXIT_FAIL;
    }
    int rc = serve(&app, &a, &set);
    aps_app_close(&app);
    return rc;
}
