/* scheduler.h — the calendar of schedule.def run by one leader (reference §4.1).
 *
 * Time is cut into slots per task: slot k of a task with period P and phase F covers
 * [F + k·P, F + (k+1)·P). At each tick the leader enqueues, for every task (and active sport),
 * the job of the current slot when that slot has not run yet, with the idempotency key
 * "task:sport:slotstart", and records the slot in schedule_runs. A task whose last recorded
 * slot is several slots back (the scheduler was down) runs once, for the current slot: a run
 * missed while down is caught up once, not many times. A clock that jumps forward is the same
 * case (one run, not one per skipped slot); one that jumps back behind the last recorded slot
 * (REWOUND) runs the current slot at once and records it, instead of waiting for the clock to
 * reach the recorded slot again. So that the replayed stretch of time is not refused as
 * duplicates, a job's idempotency key names the slot and the job of the run before it
 * ("task:sport:slotstart:previous-job-id"): two schedulers that read the same record still
 * make the same key.
 *
 * States of the scheduler process (aps_scheduler_start's thread):
 *   follower ──acquire "scheduler" won──▶ leader (ticks every second, renews every ttl/3)
 *   leader ──renewal failed or lost──▶ follower (stops ticking at once)
 *   leader ──lease ran out (no renewal came back within 0.9·ttl of the last one being sent)──▶
 *          follower (checked before every enqueue, so it holds inside a slow tick too)
 *   either ──stop──▶ stopped (a leader releases the lock, so another takes over at once)
 * The lock's ttl starts when the backend runs a renewal, which is after the renewal was sent, so
 * a leader's own lease (sent + 0.9·ttl) ends before the lock can expire and another process can
 * win it: leadership intervals of two processes do not overlap while the clocks' rates agree to
 * within a tenth. Changes are logged: "scheduler: leader" (since_ms) and "scheduler: follower"
 * (reason, led_until_ms: the wall-clock end of its leadership); a follower that tried the lock
 * and found it held logs "scheduler: waiting for the lock" once (again after each holding or
 * failed attempt).
 * A leader killed with -9 stops renewing; its lock expires after ttl and a waiting follower
 * takes over. An enqueue already in flight when a lease ends (a paused process, clock trouble)
 * cannot double-enqueue: the queue refuses a second job with the same key.
 *
 * Fencing: each acquisition of the lock by a new holder gets a larger epoch (cache/leader.h).
 * A new leader first raises the fences of the store and the queue to its epoch
 * (aps_scheduler_claim), and every write it makes as leader (the enqueue, the schedule_runs
 * record) carries the epoch and is refused where a newer one has raised the fence
 * (store/fence.h; the queue checks it in the same Lua script or transaction as the push). So a
 * write a paused or slow former leader still had in flight is refused once the next leader has
 * claimed: counted, logged, and that process becomes a follower ("reason":"a newer leader holds
 * the fence"). The "scheduler: leader" line carries the epoch. */
#ifndef APS_SERVICES_SCHEDULER_H
#define APS_SERVICES_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/err.h"

struct aps_app;
struct aps_fence;
struct aps_scheduler;

enum aps_sched_when { APS_WHEN_ALWAYS, APS_WHEN_LIVE, APS_WHEN_STARTING };

struct aps_sched_task {
    const char *name, *job;
    enum aps_setting period_setting;
    int64_t phase_s;
    bool per_sport;
    enum aps_sched_when when;
    bool on_start;
    const char *args;
};

/* The calendar of schedule.def (static storage). */
const struct aps_sched_task *aps_sched_tasks(size_t *n);

/* Slot arithmetic (seconds; period >= 1): the slot holding t, floor((t - phase) / period), and
 * the start of slot k. The phase is taken modulo the period. */
int64_t aps_sched_slot(int64_t t, int64_t period, int64_t phase);
int64_t aps_sched_slot_start(int64_t slot, int64_t period, int64_t phase);

enum aps_sched_verdict {
    APS_SCHED_NONE,    /* the current slot has run */
    APS_SCHED_RUN,     /* enqueue the current slot */
    APS_SCHED_RECORD,  /* never ran and waits for its first slot: record the current one */
    APS_SCHED_REWOUND  /* the clock went back behind the last run: enqueue the current slot */
};
/* The rule for one task at now: has_last/last_start say what schedule_runs holds (the start of
 * the last slot run, seconds). *slot_start gets the current slot's start; *missed the number of
 * whole slots skipped between the last run and the current one (caught up as one run). */
enum aps_sched_verdict aps_sched_decide(int64_t now, int64_t period, int64_t phase, bool has_last,
                                        int64_t last_start, bool on_start, int64_t *slot_start,
                                        int64_t *missed);

struct aps_sched_tick {
    int enqueued;      /* jobs enqueued now */
    int duplicates;    /* slots another scheduler had enqueued already */
    int caught_up;     /* runs that stood for several missed slots */
    int skipped;       /* due slots whose condition (live games, games starting) did not hold */
    int refused;       /* writes the fence refused (a newer leader took over): 0 or 1, the
                          tick stops at the first */
};

/* One pass over the calendar at now (seconds) on app's store and queue. Leadership is the
 * caller's business (aps_scheduler_start holds it); tests call this directly. */
int aps_scheduler_tick(struct aps_app *app, int64_t now, struct aps_sched_tick *out) APS_MUST_CHECK;
/* aps_scheduler_tick as the leader of fence->epoch: every enqueue and every schedule_runs
 * record carries the token, and the queue and the store refuse it once a newer epoch raised
 * their fence. APS_E_STALE then (out->refused 1; the tick stops, later tasks untouched), counted
 * in aps_scheduler_fenced_writes_total{task} and logged ("scheduler: write refused, a newer
 * leader holds the fence", with task and epoch). */
int aps_scheduler_tick_fenced(struct aps_app *app, int64_t now, const struct aps_fence *fence,
                              struct aps_sched_tick *out) APS_MUST_CHECK;
/* What a new leader of fence->epoch does before its first tick: raises the fences of the store
 * and the queue; APS_E_STALE when either holds a newer epoch (then it must not lead). */
int aps_scheduler_claim(struct aps_app *app, const struct aps_fence *fence) APS_MUST_CHECK;

struct aps_scheduler_opts {
    int64_t lock_ttl_ms;  /* SCHEDULER_LOCK_TTL_MS */
    int tick_ms;          /* 1000 */
    const char *owner;    /* the lock owner; NULL: the app's instance name (host:pid) */
};
void aps_scheduler_opts_default(struct aps_scheduler_opts *o, const struct aps_config *cfg);

/* Starts the scheduler thread: wait for leadership, then tick. app outlives it. */
int aps_scheduler_start(struct aps_scheduler **out, struct aps_app *app,
                        const struct aps_scheduler_opts *o, char *err,
                        size_t errcap) APS_MUST_CHECK;
bool aps_scheduler_is_leader(struct aps_scheduler *s);
/* Stops the thread, releases the lock when held, frees s. */
void aps_scheduler_stop(struct aps_scheduler *s);

#endif
