-- 020_list_paths.sql — indexes for two lists of GET /api/v1/games that read the whole table:
-- games_time: every game in time order (the list without a sport, team or status filter is
-- newest first, ties by id), so that a page reads its own rows instead of sorting every game;
-- teams_key_lower, teams_name_lower: the team filter matches a key or a name in any case; the
-- indexes find those teams, and on PostgreSQL their statistics tell the planner that a name
-- matches a few teams, so that it reads each team's games from the home and away indexes.
CREATE INDEX games_time ON games (start_time, id);
CREATE INDEX teams_key_lower ON teams (LOWER(key));
CREATE INDEX teams_name_lower ON teams (LOWER(name));
