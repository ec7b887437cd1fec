/* cmd_health.c — `aps health [api|worker|scheduler]`: the probe a container engine or an
 * orchestrator runs inside a service's container, so that the images need no shell and no curl.
 * api and worker: GET their own health route on the loopback address and the port of the
 * configuration (PORT, WORKER_PORT); scheduler, which listens on no port: the queue it enqueues
 * to answers. Exit 0 when healthy, 1 when not (with one line saying why), 2 on bad usage. */
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/queue.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "services/app.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: aps health [api|worker|scheduler] [--url URL] [--timeout SECONDS]\n\n"
            "Probes a running service from inside its container (exit 0 healthy, 1 not):\n"
            "  api        GET http://127.0.0.1:PORT/api/v1/health (the default)\n"
            "  worker     GET http://127.0.0.1:WORKER_PORT/health (is the queue reachable)\n"
            "  scheduler  the job queue answers (Redis or the store's jobs table)\n"
            "  --url URL          probe this URL instead (any 2xx answer is healthy)\n"
            "  --timeout SECONDS  give up after this long (default 5, the seed's probe timeout)\n");
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static int probe_url(const char *url, long timeout_s)
{
    CURL *h = curl_easy_init();
    if (!h) {
        fprintf(stderr, "aps health: cannot start the HTTP client\n");
        return APS_EXIT_FAIL;
    }
    long status = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK) {
        fprintf(stderr, "aps health: %s: %s\n", url, curl_easy_strerror(cc));
        return APS_EXIT_FAIL;
    }
    if (status < 200 || status > 299) {
        fprintf(stderr, "aps health: %s answered %ld\n", url, status);
        return APS_EXIT_FAIL;
    }
    return APS_EXIT_OK;
}

static int probe_queue(struct aps_cli *cli)
{
    struct aps_app app;
    char err[512];
    if (aps_app_open(&app, cli->cfg, APS_APP_STORE | APS_APP_QUEUE, err, sizeof err)) {
        fprintf(stderr, "aps health: %s\n", err);
        return APS_EXIT_FAIL;
    }
    struct aps_queue_stats qs;
    int rc = aps_queue_stats(app.queue, &qs);
    if (rc)
        fprintf(stderr, "aps health: the %s queue does not answer: %s\n",
                aps_queue_backend(app.queue), aps_strerror(rc));
    aps_app_close(&app);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}

struct health_args {
    const char *role, *url;
    int timeout_s;
    bool help;
};

static int set_timeout(void *p, const char *opt, const char *v)
{
    struct health_args *a = p;
    (void)opt;
    if (!aps_cli_int_in(v, 1, 600, &a->timeout_s)) {
        fprintf(stderr, "aps health: --timeout takes 1 to 600 seconds\n");
        return 1;
    }
    return 0;
}

/* The role words; anything else prints the usage. */
static int role_word(const struct aps_cli_opts *t, void *p, const char *arg)
{
    if (strcmp(arg, "api") && strcmp(arg, "worker") && strcmp(arg, "scheduler"))
        return aps_cli_opts_refuse(t, arg);
    ((struct health_args *)p)->role = arg;
    return 0;
}

/* --help counts where it stands: an argument before it is checked, one after it is not. */
static const struct aps_cli_opt options[] = {
    {"-h", APS_OPT_STOP, offsetof(struct health_args, help), NULL},
    {"--help", APS_OPT_STOP, offsetof(struct health_args, help), NULL},
    {"--url", APS_OPT_STR, offsetof(struct health_args, url), NULL},
    {"--timeout", APS_OPT_FN, 0, set_timeout},
};

int aps_cmd_health(struct aps_cli *cli, int argc, char **argv)
{
    static const struct aps_cli_opts table = {.cmd = "health",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options),
                                              .usage = usage,
                                              .arg = role_word};
    struct health_args a = {.role = "api", .timeout_s = 5};
    if (aps_cli_opts_parse(&table, argc, argv, 1, &a))
        return APS_EXIT_USAGE;
    if (a.help) {
        usage(stdout);
        return APS_EXIT_OK;
    }
    const char *role = a.role, *url = a.url;
    long timeout_s = a.timeout_s;
    if (url)
        return probe_url(url, timeout_s);
    if (!strcmp(role, "scheduler"))
        return probe_queue(cli);
    char buf[128];
    bool api = !strcmp(role, "api");
    snprintf(buf, sizeof buf, "http://127.0.0.1:%lld%s",
             (long long)aps_cfg_int(cli->cfg, api ? APS_SET_PORT : APS_SET_WORKER_PORT),
             api ? "/api/v1/health" : "/health");
    return probe_url(buf, timeout_s);
}
