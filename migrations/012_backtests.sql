-- 012_backtests.sql — backtests requested through the API (POST /api/v1/backtests) and run by
-- the worker's backtest job (src/services/jobs_backtest.c): the request, its state and, once
-- done, the report (the `aps backtest --format json` document plus its bankroll curve).
-- state: queued → running → done | failed (error holds the one-line reason).
CREATE TABLE backtests (
    id @ID@,
    user_id BIGINT NOT NULL REFERENCES users(id),
    sport TEXT NOT NULL,
    market TEXT NOT NULL,
    date_from TEXT,                       -- YYYY-MM-DD, NULL: from the first stored game
    date_to TEXT,                         -- YYYY-MM-DD, NULL: to the last
    model TEXT,                           -- a registered model's name, 'production', or NULL: Elo
    bankroll DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    job_id TEXT,
    report TEXT,                          -- JSON, when done
    error TEXT,
    created_at BIGINT NOT NULL,           -- seconds since the epoch
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX backtests_user ON backtests (user_id, created_at);
