-- 008_access_revocation.sql — what an access token is checked against on every request.
--
-- users.token_gen: bumped by every change that must end the user's access tokens at once (role,
-- password, deactivation); a token carries the generation it was signed under ("gen").
-- sessions.family_id: the first row of a refresh-rotation chain; rotation copies it, so an access
-- token names its session ("sid") across rotations, and it dies when the chain's live row is
-- revoked (logout, password or role change, reuse detection).

ALTER TABLE users ADD COLUMN token_gen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN family_id BIGINT;
UPDATE sessions SET family_id = id;
CREATE INDEX sessions_family ON sessions (family_id);
