-- 011_publication.sql — what a pick is: published (from a model that passed the promotion gate
-- for its sport and market, with a tier and a stake when it is a bet) or tracking only (recorded
-- and graded, never a tier or a stake), and why it is not a bet when it is not. Picks locked in
-- before these columns existed have NULL publication (their hash is of the v1 canonical form).
ALTER TABLE predictions ADD COLUMN publication TEXT;
ALTER TABLE predictions ADD COLUMN no_bet_reason TEXT;
CREATE INDEX predictions_game_market ON predictions (game_id, market, id);
