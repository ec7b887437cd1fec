-- 004_models.sql — the model registry: trained models with their metadata and walk-forward
-- metrics, training runs with their leaderboards, and per-prediction explanations.

CREATE TABLE models (
    id @ID@,
    name TEXT NOT NULL UNIQUE,            -- e.g. nfl_moneyline_ensemble_20261128T120000Z
    sport_id BIGINT NOT NULL REFERENCES sports(id),
    market TEXT NOT NULL,
    family TEXT NOT NULL,                 -- elo, logistic, gbm, ensemble, margin
    status TEXT NOT NULL,                 -- challenger, production, archived
    path TEXT NOT NULL,                   -- artefact under MODEL_PATH
    features TEXT NOT NULL,               -- JSON array of feature names
    params TEXT NOT NULL,                 -- JSON hyperparameters
    data_hash TEXT NOT NULL,              -- SHA-256 of the training data
    metrics TEXT NOT NULL,                -- JSON walk-forward metrics
    log_loss DOUBLE PRECISION,
    ece DOUBLE PRECISION,
    games BIGINT,
    leakage_ok INTEGER NOT NULL DEFAULT 0,
    promotion_note TEXT,                  -- why it was or was not promoted
    created_at BIGINT NOT NULL,
    promoted_at BIGINT
);
CREATE INDEX models_sport ON models (sport_id, market, status);

CREATE TABLE training_runs (
    id @ID@,
    sport_id BIGINT NOT NULL REFERENCES sports(id),
    market TEXT NOT NULL,
    status TEXT NOT NULL,                 -- running, completed, failed
    seed BIGINT NOT NULL,
    budget_seconds BIGINT,
    max_models BIGINT,
    preset TEXT,
    leaderboard TEXT,                     -- JSON array, best first
    best_model_id BIGINT REFERENCES models(id),
    error TEXT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);

CREATE TABLE prediction_explanations (
    prediction_id BIGINT NOT NULL REFERENCES predictions(id),
    rank INTEGER NOT NULL,
    feature TEXT NOT NULL,
    value DOUBLE PRECISION,
    contribution DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (prediction_id, rank)
);
