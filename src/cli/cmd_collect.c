/* cmd_collect.c — `aps collect JOB [--sport X]`: runs one collector job once (the same
 * functions the worker runs on a schedule) and logs one JSON line with what it did, or why it
 * failed (on stderr with --metrics, whose Prometheus text has stdout to itself). Provider keys
 * come from the configuration only and are never printed. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/collect.h"
#include "metrics/metrics.h"
#include "store/store.h"

static void help(FILE *out)
{
    fprintf(
        out,
        "usage: aps collect odds|scores|schedule|weather|closing|sports [options]\n\n"
        "Fetches from the providers once and stores what changed:\n"
        "  odds      TheOddsAPI odds (ODDS_API_MARKETS x ODDS_API_REGIONS credits per call)\n"
        "  scores    live status and final scores (ESPN; --provider theoddsapi for /scores)\n"
        "  schedule  ESPN scoreboards of the next --days local dates (default 7)\n"
        "  weather   OpenWeatherMap for outdoor games starting within WEATHER_LEAD_HOURS\n"
        "  closing   closing lines of games that have started\n"
        "  sports    TheOddsAPI sport list (free)\n\n"
        "options:\n"
        "  --sport CODE          NFL, NBA, ... (required for odds, scores, schedule, weather)\n"
        "  --provider espn|theoddsapi   for scores (default espn)\n"
        "  --days N              schedule days (1..14); scores --provider theoddsapi: daysFrom\n"
        "  --now TIME            the clock: epoch seconds or ISO time, 1970 on (default: now)\n"
        "  --metrics             print the collector metrics (Prometheus text) on stdout at\n"
        "                        the end; the log line then goes to stderr\n");
}

struct opts {
    const char *job;
    int sport;
    bool theoddsapi;
    int days;
    int64_t now;
    bool metrics;
};

/* The last second of 9999-12-31, the latest time an ISO date can name. */
#define NOW_MAX INT64_C(253402300799)

/* --now: epoch seconds (decimal, 0..NOW_MAX) or an ISO time from 1970-01-01 on. */
static int parse_now(const char *s, int64_t *out)
{
    int64_t t;
    if (aps_cli_i64_in(s, 0, NOW_MAX, out))
        return 0;
    if (aps_time_parse_iso(s, &t) || t < 0)
        return APS_E_PARSE;
    *out = t;
    return 0;
}

static int set_sport(void *p, const char *opt, const char *v)
{
    struct opts *o = p;
    (void)opt;
    o->sport = aps_sport_from_code(v);
    if (o->sport < 0)
        return fprintf(stderr, "aps collect: unknown sport %s\n", v), 1;
    return 0;
}

static int set_provider(void *p, const char *opt, const char *v)
{
    struct opts *o = p;
    if (strcmp(v, "espn") && strcmp(v, "theoddsapi"))
        return fprintf(stderr, "aps collect: bad argument %s (see aps collect --help)\n", opt), 1;
    o->theoddsapi = !strcmp(v, "theoddsapi");
    return 0;
}

static int set_days(void *p, const char *opt, const char *v)
{
    struct opts *o = p;
    (void)opt;
    if (!aps_cli_int_in(v, 0, 14, &o->days))
        return fprintf(stderr, "aps collect: --days takes 0..14\n"), 1;
    return 0;
}

static int set_now(void *p, const char *opt, const char *v)
{
    struct opts *o = p;
    (void)opt;
    if (parse_now(v, &o->now))
        return fprintf(stderr, "aps collect: bad --now %s\n", v), 1;
    return 0;
}

static const struct aps_cli_opt options[] = {
    {"--metrics", APS_OPT_SET, offsetof(struct opts, metrics), NULL},
    {"--sport", APS_OPT_FN, 0, set_sport},
    {"--provider", APS_OPT_FN, 0, set_provider},
    {"--days", APS_OPT_FN, 0, set_days},
    {"--now", APS_OPT_FN, 0, set_now},
};

static int parse_opts(struct opts *o, int argc, char **argv)
{
    static const struct aps_cli_opts table = {.cmd = "collect",
                                              .hint = "(see aps collect --help)",
                                              .opt = options,
                                              .n = APS_CLI_OPTS_N(options),
                                              .word = true,
                                              .word_off = offsetof(struct opts, job)};
    *o = (struct opts){.sport = -1, .days = -1, .now = aps_time_now()};
    if (aps_cli_opts_parse(&table, argc, argv, 1, o))
        return -1;
    static const char *const jobs[] = {"odds",    "scores",  "schedule",
                                       "weather", "closing", "sports"};
    for (size_t i = 0; o->job && i < sizeof jobs / sizeof jobs[0]; i++)
        if (!strcmp(o->job, jobs[i]))
            return (i < 4 && o->sport < 0)
                       ? (fprintf(stderr, "aps collect %s: --sport is required\n", o->job), -1)
                       : 0;
    fprintf(stderr, "aps collect: name a job: odds, scores, schedule, weather, closing, sports\n");
    return -1;
}

static int run_job(struct aps_collector *c, const struct opts *o, struct aps_collect_report *r,
                   size_t *active, size_t *covered)
{
    enum aps_sport s = (enum aps_sport)(o->sport < 0 ? 0 : o->sport);
    if (!strcmp(o->job, "odds"))
        return aps_collector_odds(c, s, o->now, r);
    if (!strcmp(o->job, "scores") && o->theoddsapi)
        return aps_collector_odds_scores(c, s, o->days < 0 ? 1 : o->days, o->now, r);
    if (!strcmp(o->job, "scores"))
        return aps_collector_espn(c, s, 0, o->now, r);
    if (!strcmp(o->job, "schedule"))
        return aps_collector_espn(c, s, o->days < 0 ? 7 : o->days, o->now, r);
    if (!strcmp(o->job, "weather"))
        return aps_collector_weather(c, s, o->now, r);
    if (!strcmp(o->job, "closing"))
        return aps_collector_closing(c, o->now, r);
    return aps_collector_sports(c, o->now, active, covered, r);
}

/* The log line's fields, as a JSON fragment. */
static void fields(struct aps_buf *b, const struct opts *o, const struct aps_collect_report *r,
                   size_t active, size_t covered)
{
    aps_buf_printf(b, "\"job\":\"%s\",\"provider\":\"%s\"", o->job, r->provider);
    if (o->sport >= 0)
        aps_buf_printf(b, ",\"sport\":\"%s\"", aps_sport_info(o->sport)->code);
    aps_buf_printf(b,
                   ",\"events\":%zu,\"games_created\":%zu,\"games_updated\":%zu,"
                   "\"games_changed\":%zu,\"rejected\":%zu,\"skipped_events\":%zu,"
                   "\"quotes\":%zu,\"inserted\":%zu,\"unchanged\":%zu,\"movements\":%zu,"
                   "\"skipped_quotes\":%zu,\"weather_rows\":%zu,\"closing_captured\":%zu",
                   r->events, r->games_created, r->games_updated, r->games_changed, r->rejected,
                   r->skipped_events, r->quotes, r->inserted, r->unchanged, r->movements,
                   r->skipped_quotes, r->weather_rows, r->closing_captured);
    if (!strcmp(o->job, "sports"))
        aps_buf_printf(b, ",\"active\":%zu,\"covered\":%zu", active, covered);
    if (o->sport >= 0 && aps_sport_info(o->sport)->kind == APS_KIND_TENNIS &&
        !strcmp(r->provider, "theoddsapi"))
        aps_buf_printf(b, ",\"tournaments\":%zu", r->tournaments);
    if (r->credits_remaining >= 0)
        aps_buf_printf(b, ",\"credits_remaining\":%lld,\"credits_used\":%lld,\"credits_last\":%lld",
                       (long long)r->credits_remaining, (long long)r->credits_used,
                       (long long)r->credits_last);
    if (r->ambiguous[0]) {
        aps_buf_puts(b, ",\"ambiguous_players\":\"");
        aps_json_escape(b, r->ambiguous);
        aps_buf_putc(b, '"');
    }
    if (r->rejected_names[0]) {
        aps_buf_puts(b, ",\"rejected_events\":\"");
        aps_json_escape(b, r->rejected_names);
        aps_buf_putc(b, '"');
    }
    if (r->failure) {
        aps_buf_printf(b, ",\"failure\":\"%s\",\"error\":\"", r->failure);
        aps_json_escape(b, r->err);
        aps_buf_putc(b, '"');
    }
}

int aps_cmd_collect(struct aps_cli *cli, int argc, char **argv)
{
    if (aps_cli_wants_help(argc, argv)) {
        help(stdout);
        return APS_EXIT_OK;
    }
    struct opts o;
    if (parse_opts(&o, argc, argv))
        return APS_EXIT_USAGE;
    if (o.metrics) /* stdout holds the metrics text alone; the log lines go to stderr */
        cli->log.out = stderr;
    struct aps_store *st = aps_cli_open_store(cli, APS_CLI_MIGRATE | APS_CLI_CREATE);
    if (!st)
        return APS_EXIT_FAIL;
    struct aps_metrics *metrics = NULL;
    if (aps_metrics_new(&metrics))
        metrics = NULL;
    struct aps_collector col;
    struct aps_collect_report r;
    size_t active = 0, covered = 0;
    aps_collector_init(&col, cli->cfg, st, metrics);
    int rc = run_job(&col, &o, &r, &active, &covered);
    struct aps_buf b = {0};
    fields(&b, &o, &r, active, covered);
    if (!rc && r.ambiguous[0])
        APS_LOG(&cli->log, APS_LOG_WARNING, NULL,
                "collect %s: stored as new players, several history players fit: %s", o.job,
                r.ambiguous);
    if (rc)
        APS_LOG(&cli->log, APS_LOG_ERROR, aps_buf_str(&b), "collect %s failed: %s", o.job,
                r.err[0] ? r.err : aps_strerror(rc));
    else if (r.rejected)
        APS_LOG(&cli->log, APS_LOG_WARNING, aps_buf_str(&b),
                "collect %s: %zu event(s) rejected: %s", o.job, r.rejected, r.rejected_names);
    else
        APS_LOG(&cli->log, APS_LOG_INFO, aps_buf_str(&b), "collect %s done", o.job);
    if (o.metrics && metrics) {
        struct aps_buf mb = {0};
        aps_metrics_render(metrics, &mb);
        fputs(aps_buf_str(&mb), stdout);
        aps_buf_cleanup(&mb);
    }
    aps_buf_cleanup(&b);
    aps_collector_cleanup(&col);
    aps_metrics_free(metrics);
    aps_store_close(st);
    return rc ? APS_EXIT_FAIL : APS_EXIT_OK;
}
