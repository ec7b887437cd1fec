/* jobs_collect.c — the collector jobs: odds, scores, schedule, weather and closing lines, each a
 * call into src/ingest/collect.h on the worker thread's collector, with what follows from it:
 * new prices enqueue the sport's predict job and make the odds cache stale; changed games make
 * the games cache stale and enqueue grading. A provider that is not configured (no key), one
 * that does not serve the sport (ESPN for tennis) or a call over the credit budget is a skipped run with a warning, not a failure to retry; every
 * other failure is returned, so the queue retries it with backoff. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/domain.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "ingest/collect.h"
#include "metrics/metrics.h"
#include "services/app.h"
#include "services/jobs.h"

#define ESPN_SCHEDULE_DAYS 3 /* local dates of ESPN boards read for the schedule */
#define SCORES_DAYS_FROM 1   /* TheOddsAPI /scores daysFrom: live games and yesterday's finals */

/* The report as log fields: flat, or under the provider's name when a job polls two. */
static void report_fields(struct aps_job_run *r, const struct aps_collect_report *rep, bool nest)
{
    struct aps_buf *b = &r->fields;
    if (nest)
        aps_buf_printf(b, ",\"%s\":{\"ok\":%s", rep->provider ? rep->provider : "-",
                       rep->failure ? "false" : "true");
    aps_buf_printf(b,
                   ",\"provider\":\"%s\",\"events\":%zu,\"games_created\":%zu,"
                   "\"games_updated\":%zu,\"games_changed\":%zu,\"rejected\":%zu,"
                   "\"inserted\":%zu,\"unchanged\":%zu,\"movements\":%zu",
                   rep->provider ? rep->provider : "-", rep->events, rep->games_created,
                   rep->games_updated, rep->games_changed, rep->rejected, rep->inserted,
                   rep->unchanged, rep->movements);
    if (rep->weather_rows || rep->closing_captured)
        aps_buf_printf(b, ",\"weather_rows\":%zu,\"closing_captured\":%zu", rep->weather_rows,
                       rep->closing_captured);
    if (rep->credits_remaining >= 0)
        aps_buf_printf(b, ",\"credits_remaining\":%lld", (long long)rep->credits_remaining);
    if (rep->rejected_names[0]) {
        aps_buf_puts(b, ",\"rejected_events\":\"");
        aps_json_escape(b, rep->rejected_names);
        aps_buf_putc(b, '"');
    }
    if (rep->failure)
        aps_buf_printf(b, ",\"failure\":\"%s\"", rep->failure);
    if (nest)
        aps_buf_putc(b, '}');
}

/* Records when this provider last answered for this run's sport ("all" for the jobs that
 * cover every sport). Only the worker that ran the poll knows it: a gauge per process, read
 * with max() across workers. */
static void mark_success(struct aps_job_run *r, const struct aps_collect_report *rep)
{
    static const char *const names[] = {"provider", "sport", NULL};
    if (!r->app || !r->app->metrics || !rep->provider)
        return;
    const char *labels[] = {rep->provider, r->sport >= 0 ? aps_sport_info(r->sport)->code : "all"};
    aps_metric_set(aps_metrics_gauge(r->app->metrics,
                                     "aps_collector_last_success_timestamp_seconds",
                                     "Last successful poll of a provider for a sport", names),
                   labels, (double)aps_time_now());
}

/* Games were created or changed: the cached games, and the ratings replayed from them, go. */
static void drop_cached_games(struct aps_job_run *r)
{
    aps_job_invalidate(r, "games");
    aps_job_invalidate(r, "teams");
}

/* A collector's result as the job's: skipped (0 with a warning) when the provider has no key,
 * does not serve the sport (ESPN and tennis) or the call would break the credit budget; the error otherwise. Rejected events (an unknown team,
 * an event without an id, teams, commence time or date) are a warning. */
static int outcome(struct aps_job_run *r, int rc, const struct aps_collect_report *rep, bool nest)
{
    report_fields(r, rep, nest);
    if (rc == APS_E_CONFIG || rc == APS_E_UNSUPPORTED ||
        (rc == APS_E_BUSY && rep->failure && !strcmp(rep->failure, "budget"))) {
        snprintf(r->warn, sizeof r->warn, "skipped: %.200s", rep->err);
        return 0;
    }
    if (rc)
        return aps_job_fail(r, rc, "%s", rep->err[0] ? rep->err : aps_strerror(rc));
    mark_success(r, rep);
    if (rep->ambiguous[0] && !r->warn[0])
        snprintf(r->warn, sizeof r->warn,
                 "stored as new players, several history players fit: %.150s", rep->ambiguous);
    if (rep->rejected && !r->warn[0])
        snprintf(r->warn, sizeof r->warn, "%zu event(s) rejected: %.180s", rep->rejected,
                 rep->rejected_names);
    return 0;
}

/* Enqueues job `name` for this run's sport (or every sport when sport < 0), keyed by this job's
 * id so that a retried run enqueues it once. */
static int follow_up(struct aps_job_run *r, const char *name)
{
    size_t n;
    const struct aps_job_def *t = aps_jobs_table(&n), *d = aps_jobs_find(t, n, name);
    char payload[96], idem[128], id[64];
    const char *code = r->sport >= 0 ? aps_sport_info(r->sport)->code : "all";
    if (!d || !r->app || !r->app->queue)
        return 0;
    if (r->sport >= 0 && d->needs_sport)
        snprintf(payload, sizeof payload, "{\"sport\":\"%s\",\"after\":\"%s\"}", code, r->def->name);
    else
        snprintf(payload, sizeof payload, "{\"after\":\"%s\"}", r->def->name);
    snprintf(idem, sizeof idem, "%s:%s:after:%.80s", name, d->needs_sport ? code : "all", r->id);
    int rc = aps_jobs_enqueue(r->app->queue, d, payload, idem, id);
    if (rc)
        return aps_job_fail(r, rc, "cannot enqueue %s: %s", name, aps_strerror(rc));
    aps_buf_printf(&r->fields, ",\"enqueued\":\"%s\"", name);
    return 0;
}

int aps_job_do_collect_odds(struct aps_job_run *r)
{
    struct aps_collect_report rep;
    int rc = aps_collector_odds(r->col, (enum aps_sport)r->sport, r->now, &rep);
    rc = outcome(r, rc, &rep, false);
    if (rc)
        return rc;
    if (rep.games_created || rep.games_updated)
        drop_cached_games(r);
    if (!rep.inserted)
        return 0;
    aps_job_invalidate(r, "odds");
    return follow_up(r, "predict");
}

/* ESPN's board always; TheOddsAPI's /scores too when a key is configured. The job fails when
 * either provider failed (what the other stored stays: each poll is its own transaction). */
int aps_job_do_collect_scores(struct aps_job_run *r)
{
    struct aps_collect_report espn, odds;
    int rc = aps_collector_espn(r->col, (enum aps_sport)r->sport, 0, r->now, &espn);
    rc = outcome(r, rc, &espn, true);
    char warn[sizeof r->warn];
    snprintf(warn, sizeof warn, "%s", r->warn);
    r->warn[0] = '\0';
    int rc2 = aps_collector_odds_scores(r->col, (enum aps_sport)r->sport, SCORES_DAYS_FROM,
                                        r->now, &odds);
    if (rc2 == APS_E_CONFIG) { /* no TheOddsAPI key: ESPN alone */
        rc2 = 0;
        odds.games_updated = 0;
    } else {
        rc2 = outcome(r, rc2, &odds, true);
    }
    if (warn[0] && !r->warn[0])
        snprintf(r->warn, sizeof r->warn, "%s", warn);
    if (rc || rc2)
        return rc ? rc : rc2;
    if (!espn.games_updated && !espn.games_created && !odds.games_updated)
        return 0;
    drop_cached_games(r);
    return follow_up(r, "grade");
}

int aps_job_do_collect_schedule(struct aps_job_run *r)
{
    struct aps_collect_report rep;
    int rc = aps_collector_espn(r->col, (enum aps_sport)r->sport, ESPN_SCHEDULE_DAYS, r->now, &rep);
    rc = outcome(r, rc, &rep, false);
    if (!rc && (rep.games_created || rep.games_updated))
        drop_cached_games(r);
    return rc;
}

int aps_job_do_collect_weather(struct aps_job_run *r)
{
    struct aps_collect_report rep;
    int rc = aps_collector_weather(r->col, (enum aps_sport)r->sport, r->now, &rep);
    return outcome(r, rc, &rep, false);
}

int aps_job_do_capture_closing(struct aps_job_run *r)
{
    struct aps_collect_report rep;
    int rc = aps_collector_closing(r->col, r->now, &rep);
    rc = outcome(r, rc, &rep, false);
    if (!rc && rep.closing_captured)
        aps_job_invalidate(r, "odds");
    return rc;
}
