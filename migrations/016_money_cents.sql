-- 016_money_cents.sql — money as integer minor units (cents): bankroll balances, bet stakes and
-- results, and transaction amounts get a BIGINT *_cents column each, the store of record from
-- this release on. The DOUBLE PRECISION columns beside them stay, written by the new code with
-- the same value (cents / 100), because the previous release still reads and writes them during
-- a rolling deploy (expand and contract: migrations/release/queries.sql); a later contract
-- migration drops them once no running release mentions them. Rows the previous release writes
-- meanwhile carry no cents or stale ones; the new code reads such a row's amount from the double
-- (src/engine/bankroll.h, APS_MONEY_SQL).
--
-- Existing rows are converted exactly: the amount as a decimal, times 100, rounded half away
-- from zero. The inner ROUND(…, 6) removes the binary representation error first (19.99 is
-- stored as 19.989999…, 0.1 + 0.2 as 0.30000000000000004), so both dialects agree: PostgreSQL's
-- CAST AS NUMERIC and ROUND(numeric) and SQLite's ROUND give 1999, 30, 0.125 → 13, -0.125 → -13.
ALTER TABLE bankrolls ADD COLUMN initial_cents BIGINT;
ALTER TABLE bankrolls ADD COLUMN current_cents BIGINT;
ALTER TABLE bankrolls ADD COLUMN peak_cents BIGINT;
ALTER TABLE bankrolls ADD COLUMN low_cents BIGINT;
ALTER TABLE bets ADD COLUMN stake_cents BIGINT;
ALTER TABLE bets ADD COLUMN profit_loss_cents BIGINT;
ALTER TABLE bankroll_transactions ADD COLUMN amount_cents BIGINT;
ALTER TABLE bankroll_transactions ADD COLUMN balance_after_cents BIGINT;

UPDATE bankrolls SET
    initial_cents = CAST(ROUND(ROUND(CAST(initial_amount AS NUMERIC) * 100, 6)) AS BIGINT),
    current_cents = CAST(ROUND(ROUND(CAST(current_amount AS NUMERIC) * 100, 6)) AS BIGINT),
    peak_cents = CAST(ROUND(ROUND(CAST(peak_amount AS NUMERIC) * 100, 6)) AS BIGINT),
    low_cents = CAST(ROUND(ROUND(CAST(low_amount AS NUMERIC) * 100, 6)) AS BIGINT);
UPDATE bets SET
    stake_cents = CAST(ROUND(ROUND(CAST(stake AS NUMERIC) * 100, 6)) AS BIGINT),
    profit_loss_cents = CAST(ROUND(ROUND(CAST(profit_loss AS NUMERIC) * 100, 6)) AS BIGINT);
UPDATE bankroll_transactions SET
    amount_cents = CAST(ROUND(ROUND(CAST(amount AS NUMERIC) * 100, 6)) AS BIGINT),
    balance_after_cents = CAST(ROUND(ROUND(CAST(balance_after AS NUMERIC) * 100, 6)) AS BIGINT);
