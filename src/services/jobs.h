/* jobs.h — the background jobs the worker runs: the job table of jobs.def (name,
 * handler, timeout, retries), the generic dispatch that checks a payload before its handler
 * runs, and the helpers handlers share (the job clock, enqueueing follow-up jobs, named locks).
 *
 * A job is a name and a JSON object payload. The dispatcher (aps_jobs_exec) parses the payload,
 * refuses anything but an object, resolves "sport" for the jobs that need one, sets the clock,
 * and calls aps_job_do_<name>. Handlers return 0 or a negative APS_E_* with one line in run->err;
 * they add fields for the worker's log line to run->fields and may leave a note in run->warn
 * (logged as a warning while the job still succeeds: a collector over its credit budget).
 *
 * A payload the job can never take (not a JSON object, an unknown or missing sport, a field out
 * of its range) is rejected: run->rejected, and the worker dead-letters the job at once instead
 * of retrying it. The dispatcher's checks also run before an enqueue (aps_jobs_check: `aps
 * worker enqueue`, follow-up jobs), which refuses what they refuse; a handler rejects its own
 * fields with aps_job_reject. A request a user made that cannot run (aps_job_refuse) is not
 * the job's failure: it ends at once, counted as refused. Any other failure (a provider's
 * malformed answer included) is worth a retry.
 *
 * Idempotency: every handler can run twice with the effect of running once — collectors store
 * change-only, picks lock in only what changed, grading skips what is graded, follow-up jobs and
 * data-quality rows are keyed by the job (or its slot), backups by their slot's file name. */
#ifndef APS_SERVICES_JOBS_H
#define APS_SERVICES_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct aps_app;
struct aps_collector;
struct aps_config;
struct aps_leader;
struct aps_queue;

struct aps_job_run;
typedef int (*aps_job_fn)(struct aps_job_run *r);

struct aps_job_def {
    const char *name;
    aps_job_fn fn;
    int timeout_s;
    int max_attempts;
    bool needs_sport;
    const char *help;
};

/* One run of one job, filled by the worker and the dispatcher; read by the handler. */
struct aps_job_run {
    struct aps_app *app;
    struct aps_collector *col;    /* the worker thread's collector (clients, circuit state) */
    struct aps_leader *locks;     /* named job locks across processes; NULL: none needed */
    const struct aps_job_def *def;
    const char *id;               /* the queue's job id */
    int attempt;                  /* 1 on the first run */
    json_t *payload;              /* the parsed object, owned by the dispatcher */
    int sport;                    /* enum aps_sport from payload "sport"; -1 when none */
    int64_t now;                  /* the job clock, seconds (aps_jobs_now) */
    struct aps_buf fields;        /* ",\"key\":value" fragments for the log line */
    char warn[256];
    char err[512];
    bool contended;               /* failed only because another run holds its lock (retried;
                                     logged as a warning) */
    bool rejected;                /* the payload can never work: dead-lettered, not retried */
    bool refused;                 /* the request the job carries cannot run and its requester
                                     reads why: the job is done, counted refused (not dead) */
};

#define APS_JOB(name, timeout, attempts, sport, help) int aps_job_do_##name(struct aps_job_run *r);
#include "services/jobs.def"
#undef APS_JOB

/* The table of jobs.def (static storage). */
const struct aps_job_def *aps_jobs_table(size_t *n);
/* The entry named name in table t of n entries; NULL when none. */
const struct aps_job_def *aps_jobs_find(const struct aps_job_def *t, size_t n, const char *name);
/* The longest timeout of the table, seconds. */
int aps_jobs_max_timeout(const struct aps_job_def *t, size_t n);

/* Checks and runs one job: payload_json must be a JSON object (NULL reads as {}; "" is
 * refused), with a known "sport" code when d->needs_sport. Fills r->payload, r->sport and r->now (r->now is kept
 * when non-zero), calls d->fn, frees the payload. APS_E_PARSE / APS_E_INVAL and r->rejected for
 * a payload the job cannot take (r->err says why), else the handler's result. r->fields is the
 * caller's to clean up (aps_job_run_cleanup). */
int aps_jobs_exec(const struct aps_job_def *d, const char *payload_json,
                  struct aps_job_run *r) APS_MUST_CHECK;
/* The dispatcher's checks of aps_jobs_exec without the run, for an enqueue: 0, or APS_E_PARSE /
 * APS_E_INVAL with the reason in err. */
int aps_jobs_check(const struct aps_job_def *d, const char *payload_json, char *err,
                   size_t errcap) APS_MUST_CHECK;
void aps_job_run_cleanup(struct aps_job_run *r);

/* Enqueues job d with payload (JSON object text) under idempotency key idem (may be NULL), with
 * d's max_attempts. 0 also when the key was seen before (the first job stands); APS_E_PARSE /
 * APS_E_INVAL, and nothing queued, for a payload aps_jobs_check refuses. */
int aps_jobs_enqueue(struct aps_queue *q, const struct aps_job_def *d, const char *payload,
                     const char *idem, char id_out[64]) APS_MUST_CHECK;

/* The clock of jobs and the scheduler, in seconds: the wall clock plus the whole seconds written
 * in the CLOCK_OFFSET_FILE (testing only, config/clock.h); the wall clock when the setting is
 * unset or the file unreadable. */
int64_t aps_jobs_now(const struct aps_config *cfg);

/* Named lock for work that must not run twice at once (publishing one sport's picks, grading):
 * held for ttl_ms by this run's job id. *held false when another run holds it. Without
 * r->locks the lock is always granted. Release with aps_job_unlock. */
int aps_job_lock(struct aps_job_run *r, const char *name, int64_t ttl_ms, bool *held) APS_MUST_CHECK;
void aps_job_unlock(struct aps_job_run *r, const char *name);

/* The payload's integer / string field, or def when absent or of another type. */
int64_t aps_job_int(const struct aps_job_run *r, const char *key, int64_t def);
const char *aps_job_str(const struct aps_job_run *r, const char *key, const char *def);
/* Bumps a response-cache tag ("predictions", "odds", "games") when the app has a cache. */
void aps_job_invalidate(struct aps_job_run *r, const char *tag);
/* Sets r->err from a format and returns rc (for `return aps_job_fail(r, rc, …)`). */
int aps_job_fail(struct aps_job_run *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* aps_job_fail(r, APS_E_INVAL, …) for a payload field that can never work: also sets
 * r->rejected (the job is dead-lettered, not retried). */
int aps_job_reject(struct aps_job_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* aps_job_fail(r, APS_E_INVAL, …) for a request its requester made that cannot run, once the
 * handler has told the requester why (a backtest asked through the API with nothing to score:
 * its row reads failed with the reason). Sets r->refused: the job ends at once, neither retried
 * nor dead-lettered, counted as refused, its job_status failed with the reason. A user's request
 * is not an operator's fault, so nothing alerts on it. */
int aps_job_refuse(struct aps_job_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
