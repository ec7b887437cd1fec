/* job_status.h — the followable record of a background job started through the API (the
 * job_status table of migration 009): written when the API enqueues the job, updated by the
 * worker when a run starts and ends (also when the run timed out, or when a claim found the job's
 * lease expired on its last attempt), read by GET /api/v1/jobs/{id}. */
#ifndef APS_SERVICES_JOB_STATUS_H
#define APS_SERVICES_JOB_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct aps_conn;
struct aps_store;

/* Records job id as queued. A fresh job (fresh true) replaces any older row with its id; a
 * duplicate (the queue answered with an existing job for the idempotency key) keeps the row. */
int aps_job_status_create(struct aps_conn *c, const char *id, const char *name,
                          const char *payload, int64_t requested_by, bool fresh,
                          int64_t now) APS_MUST_CHECK;
/* Moves the row of job id (if it has one) to state: "running" sets started_at and attempts;
 * "succeeded", "failed" set finished_at; "queued" (a retry) keeps the error. Best effort:
 * the caller logs a failure, the job itself is not affected. */
int aps_job_status_update(struct aps_store *st, const char *id, const char *state, int attempts,
                          const char *error, int64_t now) APS_MUST_CHECK;
/* The row as the Job object of the API; APS_E_NOTFOUND when none. *requested_by is 0 when the
 * row has none. */
int aps_job_status_get(struct aps_conn *c, const char *id, json_t **out,
                       int64_t *requested_by) APS_MUST_CHECK;

#endif
