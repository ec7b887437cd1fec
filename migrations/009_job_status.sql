-- 009_job_status.sql — what a client can follow of the background jobs it started through the
-- API (GET /api/v1/jobs/{id}), whichever queue backend runs them (Redis Streams keep no
-- per-job state a reader could look up). The API writes the row when it enqueues the job; the
-- worker updates it when a run starts and when it ends. Jobs nobody asked to follow (the
-- scheduler's) have no row and are not written.
-- state: queued (waiting, also between retries), running, succeeded, failed (no attempt left).
CREATE TABLE job_status (
    job_id TEXT PRIMARY KEY,              -- the queue's id
    name TEXT NOT NULL,                   -- handler name from jobs.def
    payload TEXT NOT NULL,                -- JSON
    requested_by BIGINT,                  -- users.id of the caller that enqueued it
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at BIGINT NOT NULL,           -- seconds since the epoch
    started_at BIGINT,
    finished_at BIGINT
);
