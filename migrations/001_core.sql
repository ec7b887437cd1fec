-- 001_core.sql — sports, teams and their aliases, venues, seasons, games, sportsbooks, odds
-- snapshots, movements, closing lines, outside forecasts and ingest provenance.
-- Written once for SQLite and PostgreSQL: @ID@ is the auto-increment key; times are BIGINT
-- seconds since the epoch (UTC); booleans are INTEGER 0/1; JSON is TEXT.

CREATE TABLE sports (
    id @ID@,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    odds_api_key TEXT,
    espn_path TEXT,
    kind TEXT NOT NULL,
    three_way INTEGER NOT NULL DEFAULT 0,
    is_active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE teams (
    id @ID@,
    sport_id BIGINT NOT NULL REFERENCES sports(id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    elo_rating DOUBLE PRECISION,
    is_active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (sport_id, key)
);

-- Every spelling a source used for a team, so a name seen once maps the same way again.
CREATE TABLE team_aliases (
    id @ID@,
    sport_id BIGINT NOT NULL REFERENCES sports(id),
    source TEXT NOT NULL,
    alias TEXT NOT NULL,
    team_id BIGINT NOT NULL REFERENCES teams(id),
    UNIQUE (sport_id, source, alias)
);

CREATE TABLE venues (
    id @ID@,
    name TEXT NOT NULL UNIQUE,
    city TEXT,
    kind TEXT,               -- indoor, outdoor, retractable
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION
);

CREATE TABLE seasons (
    id @ID@,
    sport_id BIGINT NOT NULL REFERENCES sports(id),
    label TEXT NOT NULL,     -- "2014-15" or "2014"
    UNIQUE (sport_id, label)
);

-- One row per game. The natural key is the sport, the local date, the two teams and the game
-- number of the day (doubleheaders); sources that list the same game share the row.
CREATE TABLE games (
    id @ID@,
    sport_id BIGINT NOT NULL REFERENCES sports(id),
    season_id BIGINT NOT NULL REFERENCES seasons(id),
    game_date TEXT NOT NULL,
    game_no INTEGER NOT NULL DEFAULT 1,
    home_team_id BIGINT NOT NULL REFERENCES teams(id),
    away_team_id BIGINT NOT NULL REFERENCES teams(id),
    start_time BIGINT NOT NULL,
    time_known INTEGER NOT NULL DEFAULT 0,
    neutral INTEGER NOT NULL DEFAULT 0,
    playoff INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'scheduled',
    home_score INTEGER,
    away_score INTEGER,
    venue_id BIGINT REFERENCES venues(id),
    external_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (sport_id, game_date, home_team_id, away_team_id, game_no),
    CHECK (home_team_id <> away_team_id)
);
CREATE INDEX games_sport_time ON games (sport_id, start_time);
CREATE INDEX games_status ON games (status, start_time);

-- Which sources listed a game, with the facts only that source has (weather, surface, periods).
CREATE TABLE game_sources (
    game_id BIGINT NOT NULL REFERENCES games(id),
    source TEXT NOT NULL,
    extra TEXT,
    PRIMARY KEY (game_id, source)
);

CREATE TABLE sportsbooks (
    id @ID@,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    is_sharp INTEGER NOT NULL DEFAULT 0,
    is_aggregate INTEGER NOT NULL DEFAULT 0,  -- market max/average, not a book one can bet at
    is_active INTEGER NOT NULL DEFAULT 1
);

-- Odds snapshots: one row per game, book, market, selection, phase and capture time. Live
-- snapshots are written only when price or line changes. recorded_at is 0 when the source does
-- not say when the price was taken (historical files); phase then orders the snapshots.
-- price is decimal odds; line is the selection's own spread, or the total points.
-- This is the one large table (millions of rows), and it has no foreign-key constraints: on
-- PostgreSQL the per-row checks made bulk loads three times slower (measured: 5.5 s against 1.7 s
-- for 400,000 rows). Only the ingest writer and the collectors insert here, always with game and
-- book ids they have just read or created in the same transaction.
CREATE TABLE odds (
    id @ID@,
    game_id BIGINT NOT NULL,
    book_id BIGINT NOT NULL,
    market TEXT NOT NULL,
    selection TEXT NOT NULL,
    phase TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    line DOUBLE PRECISION,
    price DOUBLE PRECISION NOT NULL,
    UNIQUE (game_id, book_id, market, selection, phase, recorded_at)
);

CREATE TABLE odds_movements (
    id @ID@,
    game_id BIGINT NOT NULL REFERENCES games(id),
    book_id BIGINT NOT NULL REFERENCES sportsbooks(id),
    market TEXT NOT NULL,
    selection TEXT NOT NULL,
    old_line DOUBLE PRECISION,
    new_line DOUBLE PRECISION,
    old_price DOUBLE PRECISION,
    new_price DOUBLE PRECISION,
    detected_at BIGINT NOT NULL
);
CREATE INDEX odds_movements_game ON odds_movements (game_id, detected_at);

-- The last price before the start, per game, book, market and selection. Derived from odds and
-- written by the same code paths; without foreign keys for the same reason as odds.
CREATE TABLE closing_lines (
    id @ID@,
    game_id BIGINT NOT NULL,
    book_id BIGINT NOT NULL,
    market TEXT NOT NULL,
    selection TEXT NOT NULL,
    line DOUBLE PRECISION,
    price DOUBLE PRECISION NOT NULL,
    closed_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (game_id, book_id, market, selection)
);

-- Probabilities published by outside models (FiveThirtyEight), matched to games when possible.
CREATE TABLE forecasts (
    id @ID@,
    model TEXT NOT NULL,
    sport_id BIGINT NOT NULL REFERENCES sports(id),
    game_date TEXT NOT NULL,
    team1_id BIGINT NOT NULL REFERENCES teams(id),
    team2_id BIGINT NOT NULL REFERENCES teams(id),
    game_no INTEGER NOT NULL DEFAULT 1,
    game_id BIGINT REFERENCES games(id),
    season TEXT,
    team1_home INTEGER NOT NULL DEFAULT 0,
    neutral INTEGER NOT NULL DEFAULT 0,
    prob1 DOUBLE PRECISION,
    prob2 DOUBLE PRECISION,
    prob_tie DOUBLE PRECISION,
    result1 DOUBLE PRECISION,
    UNIQUE (model, sport_id, game_date, team1_id, team2_id, game_no)
);
CREATE INDEX forecasts_game ON forecasts (game_id);

CREATE TABLE ingest_runs (
    id @ID@,
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    rows_read BIGINT NOT NULL,
    games BIGINT NOT NULL,
    odds BIGINT NOT NULL,
    forecasts BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    rejects TEXT
);
