-- 005_jobs.sql — the embedded job queue (SQLite, or any store when Redis is not configured),
-- the scheduler's leader lock and its record of runs, and collector bookkeeping.

-- One row per job. State machine (src/cache/queue_db.c): ready → leased (a worker holds it until
-- lease_until) → done | ready again with a later run_at (retry) | dead (after max attempts).
CREATE TABLE jobs (
    id @ID@,
    name TEXT NOT NULL,                   -- handler name from jobs.def
    payload TEXT NOT NULL,                -- JSON
    idempotency_key TEXT UNIQUE,          -- a job enqueued twice with the same key runs once
    state TEXT NOT NULL,                  -- ready, leased, done, dead
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at BIGINT NOT NULL,               -- not before (ms since the epoch)
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    enqueued_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_ready ON jobs (state, run_at);

-- Leader election when there is no Redis: one row per lock, held until expires_at.
CREATE TABLE locks (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at BIGINT NOT NULL            -- ms since the epoch
);

-- When each scheduled task last ran, so a run missed while down is caught up once.
CREATE TABLE schedule_runs (
    task TEXT PRIMARY KEY,
    last_run_at BIGINT NOT NULL,          -- ms since the epoch
    last_job_id TEXT
);

-- Provider bookkeeping: quota headers, circuit-breaker state, last success.
CREATE TABLE provider_status (
    provider TEXT PRIMARY KEY,            -- theoddsapi, espn, weather
    requests_remaining BIGINT,
    requests_used BIGINT,
    last_cost BIGINT,
    last_success_at BIGINT,
    last_error TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE weather (
    game_id BIGINT PRIMARY KEY REFERENCES games(id),
    temperature_f DOUBLE PRECISION,
    wind_mph DOUBLE PRECISION,
    humidity_pct DOUBLE PRECISION,
    conditions TEXT,
    is_dome INTEGER NOT NULL DEFAULT 0,
    observed_at BIGINT NOT NULL
);

CREATE TABLE external_ids (
    provider TEXT NOT NULL,               -- theoddsapi, espn
    external_id TEXT NOT NULL,
    game_id BIGINT NOT NULL REFERENCES games(id),
    PRIMARY KEY (provider, external_id)
);
CREATE INDEX external_ids_game ON external_ids (game_id);
