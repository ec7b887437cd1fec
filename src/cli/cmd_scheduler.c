/* cmd_scheduler.c — `aps scheduler`: the calendar of services/schedule.def with leader election
 * (services/scheduler.h) until SIGTERM or SIGINT; `--once` runs one tick when this process can
 * take the lock; `tasks` lists the calendar with its effective periods. Wiring only. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cache/leader.h"
#include "cache/queue.h"
#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "services/app.h"
#include "services/jobs.h"
#include "services/scheduler.h"
#include "store/fence.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: aps scheduler [--once]\n"
            "       aps scheduler tasks\n\n"
            "Enqueues the background jobs of the calendar (odds every minute, schedules every 5\n"
            "minutes, scores every 15 and every minute while games are live, weather, picks,\n"
            "grading, closing lines, data quality, retraining, backups, cleanup), one job per\n"
            "active sport (SPORTS) where the task is per sport. Each period is a SCHEDULE_*\n"
            "setting (0 turns a task off). Exactly one scheduler is active: a second waits and\n"
            "takes over within SCHEDULER_LOCK_TTL_MS of the first one's death. A slot missed\n"
            "while no scheduler ran is caught up once. SIGHUP reloads the configuration.\n\n"
            "  --once   take the lock, run one tick, release it, and print what was enqueued as\n"
            "           one JSON line: {\"leader\":true,\"enqueued\":N,\"duplicates\":N,\n"
            "           \"caught_up\":N,\"skipped\":N}. While another scheduler leads it runs\n"
            "           nothing, prints \"leader\":false with zero counts and exits 0 (the leader\n"
            "           runs the calendar: a cron-style run that finds one has nothing to do);\n"
            "           exit 1 when the lock or the store cannot be reached\n"
            "  tasks    the calendar: task, job, period (s), per sport, condition\n");
}

static int list_tasks(struct aps_cli *cli)
{
    static const char *const when[] = {"always", "while live", "games starting"};
    size_t n;
    const struct aps_sched_task *t = aps_sched_tasks(&n);
    printf("%-14s %-18s %9s %9s %6s  %s\n", "task", "job", "period_s", "phase_s", "sport",
           "when");
    for (size_t i = 0; i < n; i++)
        printf("%-14s %-18s %9lld %9lld %6s  %s\n", t[i].name, t[i].job,
               (long long)aps_cfg_int(cli->cfg, t[i].period_setting), (long long)t[i].phase_s,
               t[i].per_sport ? "yes" : "-", when[t[i].when]);
    printf("active sports: %s\n", aps_cfg_str(cli->cfg, APS_SET_SPORTS));
    return APS_EXIT_OK;
}

static int once(struct aps_app *app)
{
    struct aps_leader *l = NULL;
    char err[512];
    bool held = false;
    int64_t ttl = aps_cfg_int(app->cfg, APS_SET_SCHEDULER_LOCK_TTL_MS);
    struct aps_fence f = {"scheduler", 0};
    int rc = aps_leader_open(&l, app->cfg, app->store, err, sizeof err);
    if (!rc)
        rc = aps_leader_acquire_epoch(l, "scheduler", app->instance, ttl, 0, &held, &f.epoch);
    struct aps_sched_tick r = {0};
    if (!rc && held)
        rc = aps_scheduler_claim(app, &f);
    if (!rc && held)
        rc = aps_scheduler_tick_fenced(app, aps_jobs_now(app->cfg), &f, &r);
    if (held && aps_leader_release(l, "scheduler", app->instance))
        fprintf(stderr, "aps scheduler: could not release the lock\n");
    aps_leader_close(l);
    if (rc) {
        fprintf(stderr, "aps scheduler: %s\n", aps_strerror(rc));
        return APS_EXIT_FAIL;
    }
    printf("{\"leader\":%s,\"enqueued\":%d,\"duplicates\":%d,\"caught_up\":%d,\"skipped\":%d}\n",
           held ? "true" : "false", r.enqueued, r.duplicates, r.caught_up, r.skipped);
    return APS_EXIT_OK;
}

static int run(struct aps_app *app, const sigset_t *set)
{
    struct aps_scheduler_opts o;
    struct aps_scheduler *s = NULL;
    char err[512], extra[160];
    aps_scheduler_opts_default(&o, app->cfg);
    if (aps_scheduler_start(&s, app, &o, err, sizeof err)) {
        fprintf(stderr, "aps scheduler: %s\n", err);
        return APS_EXIT_FAIL;
    }
    snprintf(extra, sizeof extra, "\"role\":\"scheduler\",\"owner\":\"%s\",\"queue\":\"%s\"",
             app->instance, aps_queue_backend(app->queue));
    aps_log_write(&app->log, APS_LOG_INFO, extra, "started");
    (void)aps_cli_signals_wait(app, set);
    aps_scheduler_stop(s);
    APS_LOG(&app->log, APS_LOG_INFO, NULL, "stopped");
    return APS_EXIT_OK;
}

static const struct aps_cli_opt options[] = {{"--once", APS_OPT_SET, 0, NULL}};
static const struct aps_cli_opts table = {
    .cmd = "scheduler", .opt = options, .n = 1, .usage = usage};

int aps_cmd_scheduler(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        usage(stdout);
        return APS_EXIT_OK;
    }
    if (argc > 1 && !strcmp(argv[1], "tasks"))
        return list_tasks(cli);
    bool one = false;
    if (argc > 2) /* --once at most once */
        usage(stderr);
    if (argc > 2 || aps_cli_opts_parse(&table, argc, argv, 1, &one))
        return APS_EXIT_USAGE;
    sigset_t set;
    aps_cli_signals_block(&set);
    struct aps_app app;
    char err[512];
    unsigned parts = APS_APP_STORE | APS_APP_QUEUE | APS_APP_MIGRATE | APS_APP_WATCH;
    if (one) /* stdout holds the one result line; the log lines of the tick go to stderr */
        parts |= APS_APP_LOG_STDERR;
    if (aps_app_open(&app, cli->cfg, parts, err, sizeof err)) {
        fprintf(stderr, "aps scheduler: %s\n", err);
        return APS_EXIT_FAIL;
    }
    int rc = one ? once(&app) : run(&app, &set);
    aps_app_close(&app);
    return rc;
}
