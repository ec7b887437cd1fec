-- 019_totp_last_step.sql — a TOTP code is accepted at most once (RFC 6238 §5.2).
--
-- users.totp_last_step: the time step (seconds since the epoch / 30) of the last code accepted
-- for the user's enabled secret; 0 before any. Turning 2FA on stores the step of the code that
-- did it; a login or turning 2FA off takes only a code of a later step and moves the column to
-- it with a compare-and-set (UPDATE … WHERE totp_last_step < the new step), so of two requests
-- carrying the same code only one succeeds.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
