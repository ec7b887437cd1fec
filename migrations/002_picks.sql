-- 002_picks.sql — picks (predictions) with their lock-in hash chain, their grading, fitted Elo
-- parameters with point-in-time ratings, and backtest runs.

-- Every pick, frozen when created: the canonical JSON of these columns (lockin.c) is hashed with
-- SHA-256 together with the previous pick's hash, so the table is a chain anyone can verify.
CREATE TABLE predictions (
    id @ID@,
    game_id BIGINT NOT NULL REFERENCES games(id),
    model TEXT NOT NULL,
    market TEXT NOT NULL,
    selection TEXT NOT NULL,
    line DOUBLE PRECISION,
    price DOUBLE PRECISION,
    book TEXT,
    probability DOUBLE PRECISION NOT NULL,
    market_probability DOUBLE PRECISION,
    edge DOUBLE PRECISION,
    tier TEXT NOT NULL,
    stake_fraction DOUBLE PRECISION NOT NULL,
    locked_at TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    explanation TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX predictions_game ON predictions (game_id);

CREATE TABLE prediction_results (
    prediction_id BIGINT PRIMARY KEY REFERENCES predictions(id),
    result TEXT NOT NULL,
    profit_loss DOUBLE PRECISION,
    closing_line DOUBLE PRECISION,
    closing_price DOUBLE PRECISION,
    clv DOUBLE PRECISION,
    graded_at BIGINT NOT NULL
);

-- Elo parameters fitted per sport by walk-forward log-loss (aps elo fit).
CREATE TABLE elo_params (
    sport_id BIGINT PRIMARY KEY REFERENCES sports(id),
    params TEXT NOT NULL,
    log_loss DOUBLE PRECISION,
    games BIGINT,
    fitted_at BIGINT NOT NULL
);

-- Point-in-time ratings: each team's rating before and after each game it played.
CREATE TABLE elo_history (
    game_id BIGINT NOT NULL REFERENCES games(id),
    team_id BIGINT NOT NULL REFERENCES teams(id),
    rating_before DOUBLE PRECISION NOT NULL,
    rating_after DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (game_id, team_id)
);
CREATE INDEX elo_history_team ON elo_history (team_id);

CREATE TABLE backtest_runs (
    id @ID@,
    sport_id BIGINT NOT NULL REFERENCES sports(id),
    market TEXT NOT NULL,
    model TEXT NOT NULL,
    date_from TEXT,
    date_to TEXT,
    config TEXT NOT NULL,
    report TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
