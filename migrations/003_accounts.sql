-- 003_accounts.sql — accounts, sessions, API keys, the audit log, bankrolls and bets, settings
-- changed at run time, alerts and data-quality checks.

CREATE TABLE users (
    id @ID@,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,          -- Argon2id (libsodium crypto_pwhash_str)
    name TEXT,
    role TEXT NOT NULL DEFAULT 'user',    -- user, pro, analyst, operator, admin
    is_active INTEGER NOT NULL DEFAULT 1,
    totp_secret TEXT,                     -- base32; NULL when 2FA is off
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    totp_pending TEXT,                    -- secret proposed by setup, not yet verified
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_login_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Refresh tokens: opaque, stored as SHA-256, rotated on use, revocable.
CREATE TABLE sessions (
    id @ID@,
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    replaced_by BIGINT,
    ip TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_keys (
    id @ID@,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,                 -- first characters, shown in listings
    key_hash TEXT NOT NULL UNIQUE,        -- SHA-256 of the key; the key is shown once
    rate_limit_per_min INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    last_used_at BIGINT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- Every auth event and admin change; append-only.
CREATE TABLE audit_log (
    id @ID@,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_type TEXT NOT NULL,             -- user, api_key, system
    action TEXT NOT NULL,                 -- login, login_failed, logout, password_change, ...
    resource_type TEXT,
    resource_id TEXT,
    outcome TEXT NOT NULL,                -- success, failure
    ip TEXT,
    user_agent TEXT,
    request_id TEXT,
    details TEXT                          -- JSON, never a secret
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE bankrolls (
    id @ID@,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'USD',
    initial_amount DOUBLE PRECISION NOT NULL,
    current_amount DOUBLE PRECISION NOT NULL,
    peak_amount DOUBLE PRECISION NOT NULL,
    low_amount DOUBLE PRECISION NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bankrolls_user ON bankrolls (user_id);

CREATE TABLE bets (
    id @ID@,
    user_id BIGINT NOT NULL REFERENCES users(id),
    bankroll_id BIGINT NOT NULL REFERENCES bankrolls(id),
    prediction_id BIGINT REFERENCES predictions(id),
    game_id BIGINT NOT NULL REFERENCES games(id),
    market TEXT NOT NULL,
    selection TEXT NOT NULL,
    line DOUBLE PRECISION,
    price DOUBLE PRECISION NOT NULL,      -- decimal odds taken
    stake DOUBLE PRECISION NOT NULL,
    sportsbook TEXT,
    notes TEXT,
    placed_at BIGINT NOT NULL,
    result TEXT NOT NULL DEFAULT 'pending', -- pending, win, loss, push, void, half_win, half_loss
    profit_loss DOUBLE PRECISION,
    closing_line DOUBLE PRECISION,
    closing_price DOUBLE PRECISION,
    clv DOUBLE PRECISION,
    settled_at BIGINT
);
CREATE INDEX bets_user ON bets (user_id, placed_at);
CREATE INDEX bets_game ON bets (game_id);

CREATE TABLE bankroll_transactions (
    id @ID@,
    bankroll_id BIGINT NOT NULL REFERENCES bankrolls(id),
    kind TEXT NOT NULL,                   -- deposit, withdrawal, stake, payout, refund
    amount DOUBLE PRECISION NOT NULL,
    balance_after DOUBLE PRECISION NOT NULL,
    bet_id BIGINT REFERENCES bets(id),
    description TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX bankroll_transactions_bankroll ON bankroll_transactions (bankroll_id, created_at);

-- Settings changed at run time through the admin API (audited); they override the
-- configuration's value for the keys the API allows to change.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE alerts (
    id @ID@,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,               -- info, warning, critical
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    details TEXT,
    dedup_key TEXT,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    acknowledged_by BIGINT,
    acknowledged_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX alerts_created ON alerts (created_at);

CREATE TABLE data_quality_checks (
    id @ID@,
    check_code TEXT NOT NULL,             -- DQ001 …
    source TEXT,
    passed INTEGER NOT NULL,
    records_checked BIGINT NOT NULL,
    failed_count BIGINT NOT NULL,
    score DOUBLE PRECISION,
    details TEXT,
    checked_at BIGINT NOT NULL
);
CREATE INDEX data_quality_checks_at ON data_quality_checks (checked_at);
