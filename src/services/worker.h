/* worker.h — the worker pool of `aps worker` and `aps serve`: N threads claim jobs
 * from the queue (cache/queue.h), run them through the job table (jobs.h) and acknowledge or
 * fail them; one supervisor thread keeps the leases alive and enforces the timeouts; an
 * optional HTTP listener answers /health (is the queue reachable) and /metrics.
 *
 * A claimed job's life in a worker (the function that makes each move):
 *
 *   claim ─▶ running ──handler ok──▶ ack                      (job thread)
 *              │ ──handler error──▶ fail: retry or dead       (job thread)
 *              │ ──lease/3 passed──▶ extend (heartbeat)        (supervisor)
 *              │ ──timeout passed──▶ fail "timed out"          (supervisor; the handler's
 *              │                                                result is then discarded)
 *              └ ──stop, drain over─▶ release (attempt not counted) (aps_worker_stop)
 *
 * A job whose worker died holding it on its last attempt is dead-lettered by the claim that
 * finds its lease expired (cache/queue.h); the worker making that claim logs it ("job NAME
 * dead") and, for a job a client follows, sets its job_status to "failed", as it does after a
 * handler's last failure or a timeout.
 *
 * The lease (visibility timeout) is WORKER_LEASE_SECONDS and is renewed every third of it while
 * the handler runs, up to the job's own timeout from jobs.def; so a job may run as long as its
 * timeout while a worker killed with -9 gives its job to another worker one lease later. Job
 * threads never block on anything but the queue, the store and the providers.
 *
 * When the queue does not take a finished job's result (Redis down, a full disk), the job
 * thread keeps it and retries every 0.5 s: logged at once and every 30 s, counted
 * (aps_worker_jobs_unsettled, aps_worker_queue_errors_total) and shown by /health ("degraded").
 * Failing claims and lease renewals are logged the same way. */
#ifndef APS_SERVICES_WORKER_H
#define APS_SERVICES_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct aps_app;
struct aps_config;
struct aps_job_def;
struct aps_worker;

struct aps_worker_opts {
    int threads;                       /* job threads (WORKER_THREADS) */
    int64_t lease_ms;                  /* WORKER_LEASE_SECONDS */
    int64_t drain_ms;                  /* WORKER_DRAIN_SECONDS */
    int block_ms;                      /* how long one claim waits for a job */
    const struct aps_job_def *table;   /* the job table; jobs.def's by default */
    size_t njobs;
    const char *http_host;             /* /health and /metrics listener, or NULL for none */
    int http_port;                     /* WORKER_PORT; 0 picks a free port */
};

/* Fills o from the configuration: threads, lease, drain, jobs.def, no HTTP listener. */
void aps_worker_opts_default(struct aps_worker_opts *o, const struct aps_config *cfg);

/* Starts the threads on app (which needs its store and queue, and outlives the worker). */
int aps_worker_start(struct aps_worker **out, struct aps_app *app,
                     const struct aps_worker_opts *o, char *err, size_t errcap) APS_MUST_CHECK;
/* The HTTP listener's port (0 when there is none). */
int aps_worker_http_port(const struct aps_worker *w);
/* Stops claiming, lets running jobs finish for up to drain_ms, releases those still running
 * back to the queue (their results, when they come, are discarded), waits two more seconds for
 * their handlers to return, stops the threads and frees w. Returns 0, or how many threads were
 * still inside a handler: then w is left allocated and the caller must end the process
 * without freeing app. */
int aps_worker_stop(struct aps_worker *w);

struct aps_worker_stats {
    uint64_t ok, failed, timed_out, released, lost;
    int running;
};
void aps_worker_stats(struct aps_worker *w, struct aps_worker_stats *out);

/* What the supervisor does with a running job at now_ms (all times in ms): TIMEOUT once the
 * job ran timeout_ms, else EXTEND when a third of the lease passed since the last renewal, else
 * WAIT. Pure: unit tests drive it. */
enum aps_worker_action { APS_WORKER_WAIT, APS_WORKER_EXTEND, APS_WORKER_TIMEOUT };
enum aps_worker_action aps_worker_action(int64_t now_ms, int64_t started_ms, int64_t timeout_ms,
                                         int64_t renewed_ms, int64_t lease_ms);

#endif
