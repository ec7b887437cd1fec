/* test_scheduler.c — the scheduler's slot arithmetic (intervals, daily and weekly phases,
 * times before the epoch), the catch-up-once rule, ticks on a real store and queue (a slot runs
 * once; a long gap is caught up with one run; a second scheduler that missed the record
 * enqueues nothing twice; conditional tasks wait for live games), leader election between
 * two schedulers with take-over when the leader stops, and fencing: a former leader's delayed
 * writes are refused once a newer epoch claimed the store and the queue. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/leader.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "metrics/metrics.h"
#include "services/scheduler.h"
#include "store/fence.h"
#include "jobs_fixture.h"

static void slots_of_intervals(void **state)
{
    assert_int_equal(aps_sched_slot(0, 60, 0), 0);
    assert_int_equal(aps_sched_slot(59, 60, 0), 0);
    assert_int_equal(aps_sched_slot(60, 60, 0), 1);
    assert_int_equal(aps_sched_slot(-1, 60, 0), -1); /* floor, not truncation */
    assert_int_equal(aps_sched_slot(-60, 60, 0), -1);
    assert_int_equal(aps_sched_slot(-61, 60, 0), -2);
    assert_int_equal(aps_sched_slot_start(aps_sched_slot(1234567, 300, 0), 300, 0), 1234500);
}

static void slots_of_daily_and_weekly_tasks(void **state)
{
    int64_t day = 86400, at4 = 4 * 3600;
    int64_t t = aps_time_from_civil(2026, 3, 10, 3, 59, 0); /* before 04:00: yesterday's slot */
    int64_t s = aps_sched_slot_start(aps_sched_slot(t, day, at4), day, at4);
    assert_int_equal(s, aps_time_from_civil(2026, 3, 9, 4, 0, 0));
    t = aps_time_from_civil(2026, 3, 10, 4, 0, 0);
    s = aps_sched_slot_start(aps_sched_slot(t, day, at4), day, at4);
    assert_int_equal(s, t);
    /* Sundays 02:00 (1970-01-01 was a Thursday): from Wednesday 2026-03-11, the last one is
     * Sunday 2026-03-08. */
    int64_t week = 7 * day, sun2 = 3 * day + 2 * 3600;
    t = aps_time_from_civil(2026, 3, 11, 12, 0, 0);
    s = aps_sched_slot_start(aps_sched_slot(t, week, sun2), week, sun2);
    assert_int_equal(s, aps_time_from_civil(2026, 3, 8, 2, 0, 0));
    /* A phase longer than the period (an overridden period) is taken modulo it. */
    assert_int_equal(aps_sched_slot(10 * 60 + 5, 60, 14400), aps_sched_slot(10 * 60 + 5, 60, 0));
}

static void catch_up_once(void **state)
{
    int64_t start, missed;
    /* Never ran: on_start tasks run now, calendar tasks wait for their first slot. */
    assert_int_equal(aps_sched_decide(1000, 60, 0, false, 0, true, &start, &missed), APS_SCHED_RUN);
    assert_int_equal(start, 960);
    assert_int_equal(aps_sched_decide(1000, 60, 0, false, 0, false, &start, &missed),
                     APS_SCHED_RECORD);
    /* The current slot ran: nothing. */
    assert_int_equal(aps_sched_decide(1010, 60, 0, true, 960, true, &start, &missed),
                     APS_SCHED_NONE);
    /* The clock went back behind the last run: run the current slot now. */
    assert_int_equal(aps_sched_decide(1010, 60, 0, true, 1080, true, &start, &missed),
                     APS_SCHED_REWOUND);
    assert_int_equal(start, 960);
    /* The previous slot ran: one run, nothing missed. */
    assert_int_equal(aps_sched_decide(1030, 60, 0, true, 960, true, &start, &missed), APS_SCHED_RUN);
    assert_int_equal(start, 1020);
    assert_int_equal(missed, 0);
    /* Down for ten minutes: one run for the current slot, nine slots missed (not ten runs). */
    assert_int_equal(aps_sched_decide(960 + 600, 60, 0, true, 960, true, &start, &missed),
                     APS_SCHED_RUN);
    assert_int_equal(start, 1560);
    assert_int_equal(missed, 9);
    /* A daily backup missed for three days runs once. */
    int64_t d = 86400, at4 = 14400;
    int64_t last = aps_time_from_civil(2026, 1, 1, 4, 0, 0);
    int64_t now = aps_time_from_civil(2026, 1, 4, 9, 0, 0);
    assert_int_equal(aps_sched_decide(now, d, at4, true, last, false, &start, &missed),
                     APS_SCHED_RUN);
    assert_int_equal(start, aps_time_from_civil(2026, 1, 4, 4, 0, 0));
    assert_int_equal(missed, 2);
}

static const char *const base_env[] = {
    "SPORTS=NBA", "SCHEDULE_TRAIN_DAILY_SECONDS=0", "SCHEDULE_TRAIN_WEEKLY_SECONDS=0", NULL};

static int64_t jobs_named(struct jfx *f, const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM jobs WHERE name = '%s'", name);
    return jfx_int(f, sql);
}

static void ticks_enqueue_each_slot_once(void **state)
{
    struct jfx f;
    struct aps_sched_tick r;
    assert_int_equal(jfx_open(&f, base_env, APS_APP_QUEUE), 0);
    int64_t t = aps_time_from_civil(2026, 3, 10, 12, 0, 30);
    assert_int_equal(aps_scheduler_tick(&f.app, t, &r), 0);
    /* odds, schedule, scores, weather, predict (NBA) + grade + data_quality; scores_live and
     * closing wait for games; backup and cleanup wait for their slot. */
    assert_int_equal(r.enqueued, 7);
    assert_int_equal(r.skipped, 2);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs"), 7);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM schedule_runs WHERE task = 'backup'"), 1);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs WHERE idempotency_key ="
                                 " 'odds:NBA:1773144000'"), 1);
    /* Same slot, later in it: nothing. */
    assert_int_equal(aps_scheduler_tick(&f.app, t + 20, &r), 0);
    assert_int_equal(r.enqueued, 0);
    /* Ten minutes later: odds once (nine missed), schedule once (one missed), the rest wait. */
    assert_int_equal(aps_scheduler_tick(&f.app, t + 600, &r), 0);
    assert_int_equal(r.enqueued, 2);
    assert_int_equal(r.caught_up, 2);
    assert_int_equal(jobs_named(&f, "collect_odds"), 2);
    assert_int_equal(jobs_named(&f, "collect_schedule"), 2);
    /* The next day after 04:00: the backup's first slot came. */
    assert_int_equal(aps_scheduler_tick(&f.app, t + 86400, &r), 0);
    assert_int_equal(jobs_named(&f, "backup"), 1);
    assert_int_equal(jobs_named(&f, "cleanup"), 1);
    jfx_close(&f);
}

/* The clock jumps: back behind the last run, the current slot runs at once and the replayed
 * minute is not refused as duplicates (no stall); forward by an hour, one run, not sixty (no
 * flood). Odds run every 60 s. */
static void clock_jumps_neither_flood_nor_stall(void **state)
{
    struct jfx f;
    struct aps_sched_tick r;
    assert_int_equal(jfx_open(&f, base_env, APS_APP_QUEUE), 0);
    int64_t t = aps_time_from_civil(2026, 3, 10, 12, 0, 30);
    assert_int_equal(aps_scheduler_tick(&f.app, t, &r), 0);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 60, &r), 0);
    assert_int_equal(jobs_named(&f, "collect_odds"), 2);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 1, &r), 0); /* back 59 s */
    assert_int_equal(jobs_named(&f, "collect_odds"), 3);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 2, &r), 0); /* same slot: nothing more */
    assert_int_equal(jobs_named(&f, "collect_odds"), 3);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 61, &r), 0); /* the replayed slot runs */
    assert_int_equal(r.duplicates, 0);
    assert_int_equal(jobs_named(&f, "collect_odds"), 4);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 3600 + 61, &r), 0); /* forward an hour */
    assert_int_equal(jobs_named(&f, "collect_odds"), 5);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 3600 + 62, &r), 0);
    assert_int_equal(jobs_named(&f, "collect_odds"), 5);
    jfx_close(&f);
}

static void two_schedulers_never_double_enqueue(void **state)
{
    struct jfx f;
    struct aps_sched_tick r;
    assert_int_equal(jfx_open(&f, base_env, APS_APP_QUEUE), 0);
    int64_t t = aps_time_from_civil(2026, 3, 10, 12, 0, 30);
    assert_int_equal(aps_scheduler_tick(&f.app, t, &r), 0);
    assert_int_equal(r.enqueued, 7);
    /* A second scheduler that has not seen the first one's record (it is wiped here) finds
     * every slot due, and the queue refuses each job as a duplicate. */
    assert_int_equal(jfx_exec(&f, "DELETE FROM schedule_runs"), 0);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 5, &r), 0);
    assert_int_equal(r.enqueued, 0);
    assert_int_equal(r.duplicates, 7);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs"), 7);
    jfx_close(&f);
}

static void live_tasks_wait_for_live_games(void **state)
{
    struct jfx f;
    struct aps_sched_tick r;
    assert_int_equal(jfx_open(&f, base_env, APS_APP_QUEUE), 0);
    int64_t t = aps_time_from_civil(2026, 3, 10, 12, 0, 30);
    assert_int_equal(aps_scheduler_tick(&f.app, t, &r), 0);
    assert_int_equal(jobs_named(&f, "capture_closing"), 0);
    /* A game started 10 minutes ago, with live odds and no closing line: live and starting. */
    assert_true(jfx_game(&f, t + 60 - 600, "scheduled") > 0);
    assert_int_equal(jfx_exec(&f, "INSERT INTO odds (game_id, book_id, market, selection, phase,"
                                  " recorded_at, price) VALUES (1, 1, 'moneyline', 'home', 'live',"
                                  " 1, 1.9)"),
                     0);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 60, &r), 0);
    assert_int_equal(jobs_named(&f, "capture_closing"), 1);
    assert_int_equal(jobs_named(&f, "collect_scores"), 2); /* scores + scores_live */
    /* Closing lines captured at its start: the closing task stops; the game stays live for
     * scores. */
    assert_int_equal(jfx_exec(&f, "INSERT INTO closing_lines (game_id, book_id, market, selection,"
                                  " price, closed_at, source) SELECT 1, 1, 'moneyline', 'home',"
                                  " 1.9, start_time, 'live' FROM games WHERE id = 1"),
                     0);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 120, &r), 0);
    assert_int_equal(jobs_named(&f, "capture_closing"), 1);
    assert_int_equal(jobs_named(&f, "collect_scores"), 3);
    jfx_close(&f);
}

/* A game postponed after its close was captured has no close to capture; rescheduled, it closes
 * again once its new start has passed: the close captured at the old start does not stand. */
static void closing_task_follows_a_moved_start(void **state)
{
    (void)state;
    struct jfx f;
    struct aps_sched_tick r;
    assert_int_equal(jfx_open(&f, base_env, APS_APP_QUEUE), 0);
    int64_t t = aps_time_from_civil(2026, 3, 10, 12, 0, 30);
    assert_true(jfx_game(&f, t - 600, "postponed") > 0);
    assert_int_equal(jfx_exec(&f, "INSERT INTO odds (game_id, book_id, market, selection, phase,"
                                  " recorded_at, price) VALUES (1, 1, 'moneyline', 'home', 'live',"
                                  " 1, 1.9);"
                                  "INSERT INTO closing_lines (game_id, book_id, market, selection,"
                                  " price, closed_at, source) SELECT 1, 1, 'moneyline', 'home',"
                                  " 1.9, start_time, 'live' FROM games WHERE id = 1"),
                     0);
    assert_int_equal(aps_scheduler_tick(&f.app, t, &r), 0);
    assert_int_equal(jobs_named(&f, "capture_closing"), 0); /* postponed: not started */
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE games SET status = 'scheduled', start_time = %lld",
             (long long)(t + 30));
    assert_int_equal(jfx_exec(&f, sql), 0);
    assert_int_equal(aps_scheduler_tick(&f.app, t + 60, &r), 0);
    assert_int_equal(jobs_named(&f, "capture_closing"), 1); /* started again at its new start */
    jfx_close(&f);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits up to ms for s to become leader (or, with want false, checks it stays follower). */
static bool leader_within(struct aps_scheduler *s, long ms)
{
    for (long t = 0; t < ms; t += 50) {
        if (aps_scheduler_is_leader(s))
            return true;
        nap_ms(50);
    }
    return aps_scheduler_is_leader(s);
}

static const char *const quiet_env[] = {
    "SPORTS=NBA", "SCHEDULE_ODDS_SECONDS=0", "SCHEDULE_SCHEDULE_SECONDS=0",
    "SCHEDULE_SCORES_SECONDS=0", "SCHEDULE_SCORES_LIVE_SECONDS=0", "SCHEDULE_WEATHER_SECONDS=0",
    "SCHEDULE_PREDICT_SECONDS=0", "SCHEDULE_GRADE_SECONDS=0", "SCHEDULE_CLOSING_SECONDS=0",
    "SCHEDULE_DATA_QUALITY_SECONDS=0", NULL};

/* The lock's ttl (20 s) is far longer than any stall a loaded machine causes, so the first
 * scheduler keeps the lock while it runs; the take-over is driven by its release on stop and
 * awaited with a generous bound (the follower retries every tick). The take-over after a
 * holder that dies without releasing (expiry) is test_leader's (test_queue_*). */
static void one_leader_and_take_over(void **state)
{
    struct jfx f;
    assert_int_equal(jfx_open(&f, quiet_env, APS_APP_QUEUE), 0);
    struct aps_scheduler_opts o = {.lock_ttl_ms = 20000, .tick_ms = 100, .owner = "first"};
    struct aps_scheduler *a = NULL, *b = NULL;
    char err[256];
    assert_int_equal(aps_scheduler_start(&a, &f.app, &o, err, sizeof err), 0);
    assert_true(leader_within(a, 30000));
    o.owner = "second";
    assert_int_equal(aps_scheduler_start(&b, &f.app, &o, err, sizeof err), 0);
    assert_false(leader_within(b, 1000)); /* ten tries, each refused: the first holds the lock */
    assert_true(aps_scheduler_is_leader(a));
    aps_scheduler_stop(a); /* releases the lock */
    assert_true(leader_within(b, 30000));
    aps_scheduler_stop(b);
    jfx_close(&f);
}

/* The value of one sample of the app's metrics ("name{labels}"); -1 when absent. */
static double metric_value(struct jfx *f, const char *sample)
{
    struct aps_buf b = {0};
    double v = -1;
    aps_metrics_render(f->app.metrics, &b);
    size_t n = strlen(sample);
    for (const char *p = b.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, sample, n) && p[n] == ' ')
            v = strtod(p + n + 1, NULL);
    aps_buf_cleanup(&b);
    return v;
}

/* Fencing: leader A takes the lease and is paused before a write; its lease runs out, B takes
 * the lock over (a newer epoch) and claims; A's delayed write is refused by the store and the
 * queue, counted in a log line and a metric, and enqueues nothing; B's tick then enqueues each
 * slot once. Without the token A's tick would enqueue the seven jobs first. */
static void fenced_leader_cannot_write_after_take_over(void **state)
{
    struct jfx f;
    struct aps_sched_tick r;
    char path[128], err[256];
    assert_int_equal(jfx_open(&f, base_env, APS_APP_QUEUE), 0);
    assert_int_equal(jfx_log_open(&f, path, sizeof path), 0);
    struct aps_leader *la = NULL, *lb = NULL; /* the two processes' lock handles */
    assert_int_equal(aps_leader_open(&la, f.cfg, f.app.store, err, sizeof err), 0);
    assert_int_equal(aps_leader_open(&lb, f.cfg, f.app.store, err, sizeof err), 0);
    bool held = false;
    struct aps_fence fa = {"scheduler", 0}, fb = {"scheduler", 0};
    assert_int_equal(aps_leader_acquire_epoch(la, "scheduler", "A", 300, 0, &held, &fa.epoch), 0);
    assert_true(held);
    assert_int_equal(aps_scheduler_claim(&f.app, &fa), 0);
    /* A is paused: no renewal. B polls until the lock expired and B holds it. */
    double t0 = aps_time_mono();
    do {
        assert_true(aps_time_mono() - t0 < 30);
        nap_ms(20);
        assert_int_equal(aps_leader_acquire_epoch(lb, "scheduler", "B", 20000, 0, &held,
                                                  &fb.epoch), 0);
    } while (!held);
    assert_true(fb.epoch > fa.epoch);
    assert_int_equal(aps_scheduler_claim(&f.app, &fb), 0);
    /* A wakes up and sends the write it was about to make: refused, nothing enqueued. */
    int64_t t = aps_time_from_civil(2026, 3, 10, 12, 0, 30);
    assert_int_equal(aps_scheduler_tick_fenced(&f.app, t, &fa, &r), APS_E_STALE);
    assert_int_equal(r.refused, 1);
    assert_int_equal(r.enqueued, 0);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs"), 0);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM schedule_runs"), 0);
    assert_int_equal(aps_scheduler_claim(&f.app, &fa), APS_E_STALE);
    char epoch[48];
    snprintf(epoch, sizeof epoch, "\"epoch\":%lld", (long long)fa.epoch);
    const char *const refusal[] = {"\"msg\":\"scheduler: write refused, a newer leader holds the"
                                   " fence\"", "\"task\":\"odds\"", epoch, NULL};
    assert_int_equal(jfx_log_lines(path, refusal), 1);
    assert_true(metric_value(&f, "aps_scheduler_fenced_writes_total{task=\"odds\"}") == 1.0);
    /* B, the leader now, enqueues each due slot once; A, delayed again, still cannot. */
    assert_int_equal(aps_scheduler_tick_fenced(&f.app, t + 1, &fb, &r), 0);
    assert_int_equal(r.enqueued, 7);
    assert_int_equal(r.refused, 0);
    assert_int_equal(aps_scheduler_tick_fenced(&f.app, t + 61, &fa, &r), APS_E_STALE);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) FROM jobs"), 7);
    assert_int_equal(jfx_int(&f, "SELECT COUNT(*) - COUNT(DISTINCT idempotency_key) FROM jobs"),
                     0);
    assert_true(metric_value(&f, "aps_scheduler_fenced_writes_total{task=\"odds\"}") == 2.0);
    aps_leader_close(la);
    aps_leader_close(lb);
    jfx_log_close(&f);
    jfx_close(&f);
}

/* The scheduler thread when a newer epoch than its own holds the fence (its lock's counter was
 * lost, as when Redis loses its data): its next write is refused and logged, it steps down,
 * then takes its lock again with an epoch above the fence and schedules. Polled with generous
 * bounds; odds run every second so every tick has a write to make. */
static void fenced_scheduler_steps_down_and_recovers(void **state)
{
    struct jfx f;
    char path[128], err[256];
    const char *env[] = {"SPORTS=NBA", "SCHEDULE_ODDS_SECONDS=1", "SCHEDULE_SCHEDULE_SECONDS=0",
                         "SCHEDULE_SCORES_SECONDS=0", "SCHEDULE_SCORES_LIVE_SECONDS=0",
                         "SCHEDULE_WEATHER_SECONDS=0", "SCHEDULE_PREDICT_SECONDS=0",
                         "SCHEDULE_GRADE_SECONDS=0", "SCHEDULE_CLOSING_SECONDS=0",
                         "SCHEDULE_DATA_QUALITY_SECONDS=0", NULL};
    assert_int_equal(jfx_open(&f, env, APS_APP_QUEUE), 0);
    assert_int_equal(jfx_log_open(&f, path, sizeof path), 0);
    struct aps_scheduler_opts o = {.lock_ttl_ms = 20000, .tick_ms = 100, .owner = "first"};
    struct aps_scheduler *a = NULL;
    assert_int_equal(aps_scheduler_start(&a, &f.app, &o, err, sizeof err), 0);
    assert_true(leader_within(a, 30000));
    const char *const leader1[] = {"\"msg\":\"scheduler: leader\"", "\"epoch\":1", NULL};
    /* the thread says it leads just before it logs so: wait for the line */
    double t1 = aps_time_mono();
    while (jfx_log_lines(path, leader1) == 0 && aps_time_mono() - t1 < 30)
        nap_ms(50);
    assert_int_equal(jfx_log_lines(path, leader1), 1);
    struct aps_fence newer = {"scheduler", 41};
    assert_int_equal(aps_scheduler_claim(&f.app, &newer), 0);
    const char *const refusal[] = {"\"msg\":\"scheduler: write refused", "\"epoch\":1", NULL};
    const char *const stepped[] = {"\"msg\":\"scheduler: follower\"",
                                   "\"reason\":\"a newer leader holds the fence\"", NULL};
    const char *const leader42[] = {"\"msg\":\"scheduler: leader\"", "\"epoch\":42", NULL};
    double t0 = aps_time_mono();
    while (jfx_log_lines(path, leader42) == 0 && aps_time_mono() - t0 < 30)
        nap_ms(50);
    assert_int_equal(jfx_log_lines(path, refusal), 1);
    assert_int_equal(jfx_log_lines(path, stepped), 1);
    assert_int_equal(jfx_log_lines(path, leader42), 1);
    int64_t jobs = jfx_int(&f, "SELECT COUNT(*) FROM jobs");
    t0 = aps_time_mono();
    while (jfx_int(&f, "SELECT COUNT(*) FROM jobs") == jobs && aps_time_mono() - t0 < 30)
        nap_ms(50);
    assert_true(jfx_int(&f, "SELECT COUNT(*) FROM jobs") > jobs); /* it schedules again */
    aps_scheduler_stop(a);
    jfx_log_close(&f);
    jfx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slots_of_intervals),
        cmocka_unit_test(slots_of_daily_and_weekly_tasks),
        cmocka_unit_test(catch_up_once),
        cmocka_unit_test(ticks_enqueue_each_slot_once),
        cmocka_unit_test(two_schedulers_never_double_enqueue),
        cmocka_unit_test(clock_jumps_neither_flood_nor_stall),
        cmocka_unit_test(live_tasks_wait_for_live_games),
        cmocka_unit_test(closing_task_follows_a_moved_start),
        cmocka_unit_test(one_leader_and_take_over),
        cmocka_unit_test(fenced_leader_cannot_write_after_take_over),
        cmocka_unit_test(fenced_scheduler_steps_down_and_recovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
