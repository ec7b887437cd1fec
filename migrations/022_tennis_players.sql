-- 022_tennis_players.sql — one tennis player, one row (ingest/tennis_players.h). tennis-data.co.uk
-- writes some players two ways ("Carreno Busta P." and "Carreno-Busta P.", "De Voest R." and
-- "de Voest R.", "Del Potro J.M." and "Del Potro J. M."), and each spelling was stored as a
-- player of its own: the player's games and Elo were split in two, and a live provider's full name
-- fitted both, so it matched neither. Ingest now stores such spellings on one row; this merges the
-- rows a store already has, by the same rule: rows of a tennis tour whose keys are equal in lower
-- case without spaces, hyphens, dots and apostrophes are one player. The row kept is the one whose
-- games carry locked-in picks (a pick's lock-in hash covers its players' names as stored), else
-- the first history-form row ("Surname I."), else the first row. A group with picks under two
-- rows is left as it is, and so is a row that played on a day another row of its group played.
-- The other rows' games, forecasts, Elo history and aliases move to the kept row and they are
-- deleted; `aps elo fit --sport ATP` (and WTA) then replays each player as one chain. Accented
-- spellings, players written with other initials (teams_atp.def, teams_wta.def) and live full
-- names are merged by the next tennis ingest (aps_tennis_players_merge). Data only: the previous
-- release reads the same tables and finds fewer rows; the work table goes at the end.
CREATE TABLE tennis_player_merge (
    id BIGINT PRIMARY KEY,
    sport_id BIGINT NOT NULL,
    player_key TEXT NOT NULL,
    history INTEGER NOT NULL,
    picks BIGINT NOT NULL DEFAULT 0,
    kept_id BIGINT,
    apart INTEGER NOT NULL DEFAULT 0
);
INSERT INTO tennis_player_merge (id, sport_id, player_key, history)
SELECT t.id, t.sport_id,
       LOWER(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(t.key, ' ', ''), '-', ''), '.', ''), '''', ''),
                     '’', '')),
       CASE WHEN t.key LIKE '% %.' THEN 1 ELSE 0 END
FROM teams t JOIN sports s ON s.id = t.sport_id WHERE s.kind = 'tennis';
-- Only groups of two or more rows.
DELETE FROM tennis_player_merge WHERE NOT EXISTS (
    SELECT 1 FROM tennis_player_merge o WHERE o.sport_id = tennis_player_merge.sport_id
    AND o.player_key = tennis_player_merge.player_key AND o.id <> tennis_player_merge.id);
UPDATE tennis_player_merge SET picks = (
    SELECT COUNT(*) FROM predictions p JOIN games g ON g.id = p.game_id
    WHERE g.home_team_id = tennis_player_merge.id OR g.away_team_id = tennis_player_merge.id);
UPDATE tennis_player_merge SET kept_id = COALESCE(
    (SELECT MIN(o.id) FROM tennis_player_merge o WHERE o.sport_id = tennis_player_merge.sport_id
     AND o.player_key = tennis_player_merge.player_key AND o.picks > 0),
    (SELECT MIN(o.id) FROM tennis_player_merge o WHERE o.sport_id = tennis_player_merge.sport_id
     AND o.player_key = tennis_player_merge.player_key AND o.history = 1),
    (SELECT MIN(o.id) FROM tennis_player_merge o WHERE o.sport_id = tennis_player_merge.sport_id
     AND o.player_key = tennis_player_merge.player_key));
-- Left apart: every row of a group with picks under two rows; a row that played on a day another
-- row of its group played.
UPDATE tennis_player_merge SET apart = 1 WHERE 1 < (
    SELECT COUNT(*) FROM tennis_player_merge o WHERE o.sport_id = tennis_player_merge.sport_id
    AND o.player_key = tennis_player_merge.player_key AND o.picks > 0);
UPDATE tennis_player_merge SET apart = 1 WHERE id <> kept_id AND EXISTS (
    SELECT 1 FROM tennis_player_merge o
    JOIN games a ON a.home_team_id = o.id OR a.away_team_id = o.id
    JOIN games b ON b.game_date = a.game_date
    WHERE o.sport_id = tennis_player_merge.sport_id AND o.player_key = tennis_player_merge.player_key
    AND o.id <> tennis_player_merge.id
    AND (b.home_team_id = tennis_player_merge.id OR b.away_team_id = tennis_player_merge.id));
DELETE FROM tennis_player_merge WHERE id = kept_id OR apart = 1;
-- What is left: the rows to merge, each with the row it goes into.
UPDATE games SET home_team_id = (SELECT m.kept_id FROM tennis_player_merge m WHERE m.id = games.home_team_id)
WHERE home_team_id IN (SELECT id FROM tennis_player_merge);
UPDATE games SET away_team_id = (SELECT m.kept_id FROM tennis_player_merge m WHERE m.id = games.away_team_id)
WHERE away_team_id IN (SELECT id FROM tennis_player_merge);
UPDATE forecasts SET team1_id = (SELECT m.kept_id FROM tennis_player_merge m WHERE m.id = forecasts.team1_id)
WHERE team1_id IN (SELECT id FROM tennis_player_merge);
UPDATE forecasts SET team2_id = (SELECT m.kept_id FROM tennis_player_merge m WHERE m.id = forecasts.team2_id)
WHERE team2_id IN (SELECT id FROM tennis_player_merge);
UPDATE elo_history SET team_id = (SELECT m.kept_id FROM tennis_player_merge m WHERE m.id = elo_history.team_id)
WHERE team_id IN (SELECT id FROM tennis_player_merge);
UPDATE team_aliases SET team_id = (SELECT m.kept_id FROM tennis_player_merge m WHERE m.id = team_aliases.team_id)
WHERE team_id IN (SELECT id FROM tennis_player_merge);
DELETE FROM teams WHERE id IN (SELECT id FROM tennis_player_merge);
DROP TABLE tennis_player_merge;
