-- 021_game_start.sql — the start a pick or a bet was made for. A postponed game keeps its row
-- and ESPN moves its start when it is rescheduled, so the game no longer says when it was first
-- due; grading (odds/grade.h) settles a pick or a bet on the score only when the game was played
-- within POSTPONED_VOID_HOURS of this start, and voids it once that has passed unplayed.
-- predictions.game_start is written when a pick is locked in (not part of its hash),
-- bets.game_start when a bet is placed: the game's start_time then. NULL for the rows made
-- before (and by the previous release during a rolling deploy): grading takes the game's start
-- for them. Only additions (expand): the previous release neither reads nor writes the columns.
ALTER TABLE predictions ADD COLUMN game_start BIGINT;
ALTER TABLE bets ADD COLUMN game_start BIGINT;
