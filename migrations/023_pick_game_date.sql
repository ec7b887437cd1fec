-- 023_pick_game_date.sql — the game date a pick was locked in for. A pick's lock-in hash covers
-- its game's date; the collectors now move a rescheduled game to the date of its new start
-- (ingest/live_store.h), so the date the hash covers is kept with the pick, written when it is
-- locked in, and verification reads it from there. The picks made before have it copied from
-- their game, whose date had never moved. NULL only for a pick the previous release locks in
-- during a rolling deploy: verification takes the game's date for it, as that release does.
-- Only additions (expand): the previous release neither reads nor writes the column.
ALTER TABLE predictions ADD COLUMN game_date TEXT;
UPDATE predictions SET game_date = (SELECT g.game_date FROM games g WHERE g.id = predictions.game_id);
