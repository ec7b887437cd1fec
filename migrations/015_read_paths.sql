-- 015_read_paths.sql — indexes for the api's hot reads that no earlier index serves (found by
-- tests/integration/api_explain.sh, which fails on a sequential scan of a large table):
-- a team's games, home or away (the team and team_id filters of /games: a bitmap OR of the two,
-- or one of them per matching team), newest first within a team.
CREATE INDEX games_home_time ON games (home_team_id, start_time);
CREATE INDEX games_away_time ON games (away_team_id, start_time);
