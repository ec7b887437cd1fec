-- release: fa987918459fc9dcaadb3f47b652c0b0e2df23f8
-- schema: 7
-- statements: 196
-- Written by scripts/release-sql: the SQL of that release, one statement per entry.
-- from: src/cache/leader.c
INSERT INTO locks (name, owner, expires_at) VALUES (?1, ?2, CAST(?3 AS BIGINT)) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE locks.owner = excluded.owner OR locks.expires_at < CAST(?4 AS BIGINT) RETURNING owner;
-- from: src/cache/leader.c
DELETE FROM locks WHERE name = ?1 AND owner = ?2;
-- from: src/cache/queue_db.c
INSERT INTO jobs (name, payload, idempotency_key, state, attempts, max_attempts, run_at, enqueued_at) VALUES (?1, ?2, ?3, 'ready', 0, ?4, ?5, ?6) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id;
-- from: src/cache/queue_db.c
SELECT id FROM jobs WHERE idempotency_key = ?1;
-- from: src/cache/queue_db.c
UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END, last_error = CASE WHEN attempts >= max_attempts THEN 'lease expired on the last attempt (worker died or timed out)' ELSE last_error END, finished_at = CASE WHEN attempts >= max_attempts THEN CAST(?1 AS BIGINT) ELSE NULL END, lease_owner = NULL, lease_until = NULL WHERE id IN (SELECT id FROM jobs WHERE state = 'leased' AND lease_until < CAST(?1 AS BIGINT));
-- from: src/cache/queue_db.c
UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END, last_error = CASE WHEN attempts >= max_attempts THEN 'lease expired on the last attempt (worker died or timed out)' ELSE last_error END, finished_at = CASE WHEN attempts >= max_attempts THEN CAST(?1 AS BIGINT) ELSE NULL END, lease_owner = NULL, lease_until = NULL WHERE id IN (SELECT id FROM jobs WHERE state = 'leased' AND lease_until < CAST(?1 AS BIGINT) FOR UPDATE SKIP LOCKED);
-- from: src/cache/queue_db.c
UPDATE jobs SET state = 'done', finished_at = CAST(?3 AS BIGINT), lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2;
-- from: src/cache/queue_db.c
UPDATE jobs SET state = 'ready', run_at = CAST(?3 AS BIGINT), last_error = ?4, lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2;
-- from: src/cache/queue_db.c
UPDATE jobs SET state = 'dead', finished_at = CAST(?3 AS BIGINT), last_error = ?4, lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2;
-- from: src/cache/queue_db.c
UPDATE jobs SET state = 'ready', run_at = CAST(?3 AS BIGINT), attempts = attempts - 1, last_error = ?4, lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2;
-- from: src/cache/queue_db.c
UPDATE jobs SET lease_until = CAST(?3 AS BIGINT), last_error = COALESCE(?4, last_error) WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2;
-- from: src/cache/queue_db.c
SELECT COALESCE(SUM(CASE WHEN state = 'ready' AND run_at <= ?1 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = 'leased' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = 'ready' AND run_at > ?1 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0), MIN(CASE WHEN state = 'leased' OR (state = 'ready' AND run_at <= ?1) THEN run_at END) FROM jobs WHERE state IN ('ready', 'leased', 'dead');
-- from: src/cache/queue_db.c
SELECT id, name, payload, attempts, max_attempts, idempotency_key, enqueued_at, last_error FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC, id DESC LIMIT ?1;
-- from: src/cache/redis.c
SELECT;
-- from: src/cli/cmd_elo.c
SELECT t.id, t.key, t.name FROM teams t JOIN sports s ON s.id = t.sport_id WHERE s.code = ?1 ORDER BY t.key;
-- from: src/cli/cmd_ingest.c
with odds;
-- from: src/engine/bankroll.c
INSERT INTO bankroll_transactions (bankroll_id, kind, amount, balance_after, bet_id, description, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id;
-- from: src/engine/bankroll.c
INSERT INTO bankrolls (user_id, name, currency, initial_amount, current_amount, peak_amount, low_amount, is_active, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4, ?4, ?4, 1, ?5, ?5) RETURNING id;
-- from: src/engine/bankroll.c
SELECT id, user_id, name, currency, initial_amount, current_amount, peak_amount, low_amount, is_active, created_at, updated_at FROM bankrolls WHERE id = ?1;
-- from: src/engine/bankroll.c
SELECT id, user_id, name, currency, initial_amount, current_amount, peak_amount, low_amount, is_active, created_at, updated_at FROM bankrolls WHERE id = ?1 AND user_id = ?2;
-- from: src/engine/bankroll.c
UPDATE bankrolls SET current_amount = ?1, peak_amount = ?2, low_amount = ?3, updated_at = ?4 WHERE id = ?5 AND current_amount = ?6;
-- from: src/engine/bankroll.c
SELECT g.status, g.start_time, sp.three_way, g.home_score, g.away_score FROM games g JOIN sports sp ON sp.id = g.sport_id WHERE g.id = ?1;
-- from: src/engine/bankroll.c
INSERT INTO bets (user_id, bankroll_id, prediction_id, game_id, market, selection, line, price, stake, sportsbook, notes, placed_at, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending') RETURNING id;
-- from: src/engine/bankroll.c
SELECT b.key, b.is_sharp, b.is_aggregate, cl.selection, cl.line, cl.price FROM closing_lines cl JOIN sportsbooks b ON b.id = cl.book_id WHERE cl.game_id = ?1 AND cl.market = ?2 ORDER BY b.key;
-- from: src/engine/bankroll.c
SELECT id, bankroll_id, market, selection, line, price, stake, sportsbook FROM bets WHERE game_id = ?1 AND result = 'pending' ORDER BY id;
-- from: src/engine/bankroll.c
UPDATE bets SET result = ?1, profit_loss = ?2, closing_line = ?3, closing_price = ?4, clv = ?5, settled_at = ?6 WHERE id = ?7 AND result = 'pending';
-- from: src/engine/elo_store.c
SELECT e.params FROM elo_params e JOIN sports s ON s.id = e.sport_id WHERE s.code = ?1;
-- from: src/engine/elo_store.c
INSERT INTO elo_params (sport_id, params, log_loss, games, fitted_at) SELECT id, ?2, ?3, ?4, ?5 FROM sports WHERE code = ?1 ON CONFLICT (sport_id) DO UPDATE SET params = excluded.params, log_loss = excluded.log_loss, games = excluded.games, fitted_at = excluded.fitted_at;
-- from: src/engine/elo_store.c
DELETE FROM elo_history WHERE game_id IN (SELECT g.id FROM games g JOIN sports s ON s.id = g.sport_id WHERE s.code = ?1);
-- from: src/engine/history.c
SELECT g.id, g.home_team_id, g.away_team_id, g.start_time, g.game_date, se.label, g.neutral, g.playoff, g.status, g.home_score, g.away_score, (SELECT gs.extra FROM game_sources gs WHERE gs.game_id = g.id AND gs.source = 'tennis-data') FROM games g JOIN seasons se ON se.id = g.season_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = ?1 AND (CAST(?2 AS TEXT) IS NULL OR g.game_date >= ?2) AND (CAST(?3 AS TEXT) IS NULL OR g.game_date <= ?3) ORDER BY g.start_time, g.id;
-- from: src/engine/history.c
SELECT o.game_id, b.key, b.is_aggregate, b.is_sharp, o.market, o.selection, o.phase, o.line, o.price FROM odds o JOIN games g ON g.id = o.game_id JOIN sports sp ON sp.id = g.sport_id JOIN sportsbooks b ON b.id = o.book_id WHERE sp.code = ?1 AND (CAST(?2 AS TEXT) IS NULL OR g.game_date >= ?2) AND (CAST(?3 AS TEXT) IS NULL OR g.game_date <= ?3) ORDER BY o.game_id, o.id;
-- from: src/engine/history.c
SELECT f.game_id, f.prob1, f.team1_home FROM forecasts f JOIN games g ON g.id = f.game_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = ?1 AND f.model IN ('538_elo', '538') ORDER BY f.model DESC;
-- from: src/engine/lockin.c
SELECT p.id, p.game_id, sp.code, g.game_date, th.key, ta.key, p.model, p.market, p.selection, p.line, p.price, p.book, p.probability, p.market_probability, p.edge, p.tier, p.stake_fraction, p.locked_at, p.prev_hash, p.hash FROM predictions p JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id JOIN teams th ON th.id = g.home_team_id JOIN teams ta ON ta.id = g.away_team_id ORDER BY p.id;
-- from: src/engine/lockin.c
SELECT p.id, p.game_id, sp.code, g.game_date, th.key, ta.key, p.model, p.market, p.selection, p.line, p.price, p.book, p.probability, p.market_probability, p.edge, p.tier, p.stake_fraction, p.locked_at, p.prev_hash, p.hash FROM predictions p JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id JOIN teams th ON th.id = g.home_team_id JOIN teams ta ON ta.id = g.away_team_id WHERE p.hash = ?1;
-- from: src/engine/lockin.c
SELECT sp.code, g.game_date, th.key, ta.key FROM games g JOIN sports sp ON sp.id = g.sport_id JOIN teams th ON th.id = g.home_team_id JOIN teams ta ON ta.id = g.away_team_id WHERE g.id = ?1;
-- from: src/engine/lockin.c
INSERT INTO predictions (game_id, model, market, selection, line, price, book, probability, market_probability, edge, tier, stake_fraction, locked_at, prev_hash, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING id;
-- from: src/engine/lockin.c
SELECT hash FROM predictions ORDER BY id DESC LIMIT 1;
-- from: src/engine/lockin.c
SELECT pg_advisory_xact_lock(724501);
-- from: src/engine/picks.c
SELECT selection, line, price, probability FROM predictions WHERE game_id = ?1 AND market = ?2 ORDER BY id DESC LIMIT 1;
-- from: src/engine/picks.c
SELECT p.id, p.game_id, p.market, p.selection, p.line, p.price, g.status, g.home_score, g.away_score, sp.three_way FROM predictions p JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id WHERE g.status IN ('final', 'cancelled') AND NOT EXISTS (SELECT 1 FROM prediction_results r WHERE r.prediction_id = p.id) ORDER BY p.id;
-- from: src/engine/picks.c
SELECT b.key, b.is_sharp, b.is_aggregate, cl.selection, cl.line, cl.price FROM closing_lines cl JOIN sportsbooks b ON b.id = cl.book_id WHERE cl.game_id = ?1 AND cl.market = ?2 ORDER BY b.is_sharp DESC, b.key;
-- from: src/engine/picks.c
INSERT INTO prediction_results (prediction_id, result, profit_loss, closing_line, closing_price, clv, graded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (prediction_id) DO NOTHING;
-- from: src/http/server.c
DELETE;
-- from: src/ingest/live_store.c
INSERT INTO sports (code, name, odds_api_key, espn_path, kind, three_way) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id;
-- from: src/ingest/live_store.c
INSERT INTO teams (sport_id, key, name) VALUES (?1, ?2, ?3) ON CONFLICT (sport_id, key) DO UPDATE SET name = excluded.name RETURNING id;
-- from: src/ingest/live_store.c
INSERT INTO team_aliases (sport_id, source, alias, team_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sport_id, source, alias) DO NOTHING;
-- from: src/ingest/live_store.c
INSERT INTO seasons (sport_id, label) VALUES (?1, ?2) ON CONFLICT (sport_id, label) DO UPDATE SET label = excluded.label RETURNING id;
-- from: src/ingest/live_store.c
SELECT e.game_id, g.home_team_id FROM external_ids e JOIN games g ON g.id = e.game_id WHERE e.provider = ?1 AND e.external_id = ?2;
-- from: src/ingest/live_store.c
SELECT g.id, g.home_team_id, g.start_time, g.game_date, EXISTS (SELECT 1 FROM external_ids x WHERE x.game_id = g.id AND x.provider = ?6) FROM games g WHERE g.sport_id = ?1 AND ((g.home_team_id = ?2 AND g.away_team_id = ?3) OR (g.home_team_id = ?3 AND g.away_team_id = ?2)) AND g.start_time >= ?4 AND g.start_time <= ?5 ORDER BY g.id;
-- from: src/ingest/live_store.c
SELECT COALESCE(MAX(game_no), 0) FROM games WHERE sport_id = ?1 AND game_date = ?2 AND home_team_id = ?3 AND away_team_id = ?4;
-- from: src/ingest/live_store.c
INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id, away_team_id, start_time, time_known, status, home_score, away_score, venue_id, external_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?12, ?13, ?13) RETURNING id;
-- from: src/ingest/live_store.c
SELECT status, start_time, time_known, home_score, away_score, venue_id, external_id FROM games WHERE id = ?1;
-- from: src/ingest/live_store.c
UPDATE games SET status = ?2, start_time = ?3, time_known = ?4, home_score = ?5, away_score = ?6, venue_id = ?7, external_id = ?8, updated_at = ?9 WHERE id = ?1;
-- from: src/ingest/live_store.c
INSERT INTO external_ids (provider, external_id, game_id) VALUES (?1, ?2, ?3) ON CONFLICT (provider, external_id) DO NOTHING;
-- from: src/ingest/live_store.c
INSERT INTO game_sources (game_id, source) VALUES (?1, ?2) ON CONFLICT (game_id, source) DO NOTHING;
-- from: src/ingest/live_store.c
INSERT INTO venues (name, city, kind) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET city = COALESCE(venues.city, excluded.city), kind = COALESCE(excluded.kind, venues.kind) RETURNING id;
-- from: src/ingest/live_store.c
INSERT INTO sportsbooks (key, name, is_sharp, is_aggregate) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id;
-- from: src/ingest/live_store.c
SELECT price, line, recorded_at FROM odds WHERE game_id = ?1 AND book_id = ?2 AND market = ?3 AND selection = ?4 AND phase = 'live' ORDER BY recorded_at DESC LIMIT 1;
-- from: src/ingest/live_store.c
INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line, price) VALUES (?1, ?2, ?3, ?4, 'live', ?5, ?6, ?7) ON CONFLICT (game_id, book_id, market, selection, phase, recorded_at) DO NOTHING;
-- from: src/ingest/live_store.c
INSERT INTO odds_movements (game_id, book_id, market, selection, old_line, new_line, old_price, new_price, detected_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);
-- from: src/ingest/live_store.c
INSERT INTO weather (game_id, temperature_f, wind_mph, humidity_pct, conditions, is_dome, observed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (game_id) DO UPDATE SET temperature_f = excluded.temperature_f, wind_mph = excluded.wind_mph, humidity_pct = excluded.humidity_pct, conditions = excluded.conditions, is_dome = excluded.is_dome, observed_at = excluded.observed_at;
-- from: src/ingest/live_store.c
SELECT g.id, g.start_time, v.city, v.kind, v.latitude, v.longitude FROM games g JOIN sports s ON s.id = g.sport_id LEFT JOIN venues v ON v.id = g.venue_id LEFT JOIN weather w ON w.game_id = g.id WHERE s.code = ?1 AND g.status = 'scheduled' AND g.start_time > ?2 AND g.start_time <= ?3 AND (w.game_id IS NULL OR w.observed_at < ?4) ORDER BY g.start_time, g.id;
-- from: src/ingest/live_store.c
INSERT INTO closing_lines (game_id, book_id, market, selection, line, price, closed_at, source) SELECT o.game_id, o.book_id, o.market, o.selection, o.line, o.price, g.start_time, 'live' FROM odds o JOIN games g ON g.id = o.game_id WHERE g.start_time <= ?1 AND g.start_time > ?2 AND o.phase = 'live' AND o.recorded_at <= g.start_time AND o.recorded_at = (SELECT MAX(o2.recorded_at) FROM odds o2 WHERE o2.game_id = o.game_id AND o2.book_id = o.book_id AND o2.market = o.market AND o2.selection = o.selection AND o2.phase = 'live' AND o2.recorded_at <= g.start_time) ON CONFLICT (game_id, book_id, market, selection) DO NOTHING;
-- from: src/ingest/live_store.c
SELECT requests_remaining, requests_used, last_cost, last_success_at, last_error FROM provider_status WHERE provider = ?1;
-- from: src/ingest/live_store.c
INSERT INTO provider_status (provider, requests_remaining, requests_used, last_cost, last_success_at, last_error, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (provider) DO UPDATE SET requests_remaining = COALESCE(excluded.requests_remaining, provider_status.requests_remaining), requests_used = COALESCE(excluded.requests_used, provider_status.requests_used), last_cost = COALESCE(excluded.last_cost, provider_status.last_cost), last_success_at = COALESCE(excluded.last_success_at, provider_status.last_success_at), last_error = excluded.last_error, updated_at = excluded.updated_at;
-- from: src/ingest/writer.c
DELETE FROM stage_games; DELETE FROM stage_odds; DELETE FROM stage_forecasts;;
-- from: src/ingest/writer.c
INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id, away_team_id, start_time, time_known, neutral, playoff, status, home_score, away_score, venue_id, created_at, updated_at) SELECT sport_id, season_id, game_date, game_no, home_team_id, away_team_id, start_time, time_known, neutral, playoff, status, home_score, away_score, venue_id, ?1, ?1 FROM stage_games WHERE true ON CONFLICT (sport_id, game_date, home_team_id, away_team_id, game_no) DO UPDATE SET start_time = CASE WHEN excluded.time_known = 1 OR games.time_known = 0 THEN excluded.start_time ELSE games.start_time END, time_known = CASE WHEN excluded.time_known = 1 THEN 1 ELSE games.time_known END, neutral = CASE WHEN excluded.neutral = 1 THEN 1 ELSE games.neutral END, playoff = CASE WHEN excluded.playoff = 1 THEN 1 ELSE games.playoff END, status = CASE WHEN excluded.status = 'scheduled' THEN games.status ELSE excluded.status END, home_score = COALESCE(excluded.home_score, games.home_score), away_score = COALESCE(excluded.away_score, games.away_score), venue_id = COALESCE(excluded.venue_id, games.venue_id), updated_at = excluded.updated_at;
-- from: src/ingest/writer.c
SELECT s.idx, g.id FROM stage_games s JOIN games g ON g.sport_id = s.sport_id AND g.game_date = s.game_date AND g.home_team_id = s.home_team_id AND g.away_team_id = s.away_team_id AND g.game_no = s.game_no;
-- from: src/ingest/writer.c
INSERT INTO game_sources (game_id, source, extra) SELECT g.id, s.source, s.extra FROM stage_games s JOIN games g ON g.sport_id = s.sport_id AND g.game_date = s.game_date AND g.home_team_id = s.home_team_id AND g.away_team_id = s.away_team_id AND g.game_no = s.game_no WHERE true ON CONFLICT (game_id, source) DO UPDATE SET extra = excluded.extra;
-- from: src/ingest/writer.c
INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line, price) SELECT game_id, book_id, market, selection, phase, recorded_at, line, price FROM stage_odds WHERE true ON CONFLICT (game_id, book_id, market, selection, phase, recorded_at) DO UPDATE SET line = excluded.line, price = excluded.price WHERE odds.line IS DISTINCT FROM excluded.line OR odds.price <> excluded.price;
-- from: src/ingest/writer.c
INSERT INTO closing_lines (game_id, book_id, market, selection, line, price, closed_at, source) SELECT game_id, book_id, market, selection, line, price, closed_at, ?1 FROM stage_odds WHERE phase = 'close' ON CONFLICT (game_id, book_id, market, selection) DO UPDATE SET line = excluded.line, price = excluded.price, closed_at = excluded.closed_at, source = excluded.source;
-- from: src/ingest/writer.c
INSERT INTO forecasts (model, sport_id, game_date, team1_id, team2_id, game_no, game_id, season, team1_home, neutral, prob1, prob2, prob_tie, result1) SELECT model, sport_id, game_date, team1_id, team2_id, game_no, game_id, season, team1_home, neutral, prob1, prob2, prob_tie, result1 FROM stage_forecasts WHERE true ON CONFLICT (model, sport_id, game_date, team1_id, team2_id, game_no) DO UPDATE SET game_id = excluded.game_id, season = excluded.season, team1_home = excluded.team1_home, neutral = excluded.neutral, prob1 = excluded.prob1, prob2 = excluded.prob2, prob_tie = excluded.prob_tie, result1 = excluded.result1;
-- from: src/ingest/writer.c
INSERT INTO team_aliases (sport_id, source, alias, team_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sport_id, source, alias) DO UPDATE SET team_id = excluded.team_id RETURNING id;
-- from: src/ingest/writer.c
INSERT INTO sportsbooks (key, name, is_sharp, is_aggregate) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET name = excluded.name RETURNING id;
-- from: src/ingest/writer.c
INSERT INTO venues (name) VALUES (?1) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id;
-- from: src/ingest/writer.c
INSERT INTO sports (code, name, odds_api_key, espn_path, kind, three_way) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (code) DO UPDATE SET name = excluded.name, odds_api_key = excluded.odds_api_key, espn_path = excluded.espn_path, kind = excluded.kind, three_way = excluded.three_way RETURNING id;
-- from: src/ingest/writer.c
SELECT g.game_date, g.home_team_id, g.away_team_id, g.game_no, g.id, EXISTS (SELECT 1 FROM game_sources gs WHERE gs.game_id = g.id AND gs.source <> ?2) FROM games g WHERE g.sport_id = ?1;
-- from: src/ingest/writer.c
INSERT INTO ingest_runs (source, path, started_at, finished_at, rows_read, games, odds, forecasts, rejected, rejects) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);
-- from: src/model/feat_spec.c
SELECT gs.game_id, gs.source, gs.extra FROM game_sources gs JOIN games g ON g.id = gs.game_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = ?1 AND gs.source IN ('spreadspoke', 'tennis-data') AND gs.extra IS NOT NULL;
-- from: src/model/registry.c
INSERT INTO models (name, sport_id, market, family, status, path, features, params, data_hash, metrics, log_loss, ece, games, leakage_ok, created_at) SELECT ?1, sp.id, ?2, ?3, 'challenger', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 FROM sports sp WHERE sp.code = ?14 RETURNING id;
-- from: src/model/registry.c
SELECT m.id, m.name, sp.code, m.market, m.family, m.status, m.path, m.log_loss, m.ece, m.games, m.created_at, m.promoted_at, m.leakage_ok, m.features, m.params, m.metrics, m.promotion_note, m.data_hash FROM models m JOIN sports sp ON sp.id = m.sport_id;
-- from: src/model/registry.c
SELECT game_id, p0, p1, p2, mu, sigma, outcome, scored FROM model_predictions WHERE model_id = ?1 ORDER BY game_id;
-- from: src/model/registry.c
UPDATE models SET status = 'archived' WHERE status = 'production' AND id <> ?1 AND sport_id = (SELECT sport_id FROM models WHERE id = ?1) AND market = (SELECT market FROM models WHERE id = ?1);
-- from: src/model/registry.c
UPDATE models SET status = 'production', promoted_at = ?2, promotion_note = ?3 WHERE id = ?1;
-- from: src/model/registry.c
UPDATE models SET promotion_note = ?2 WHERE id = ?1;
-- from: src/model/registry.c
INSERT INTO training_runs (sport_id, market, status, seed, budget_seconds, max_models, preset, started_at) SELECT sp.id, ?2, 'running', ?3, ?4, ?5, ?6, ?7 FROM sports sp WHERE sp.code = ?1 RETURNING id;
-- from: src/model/registry.c
UPDATE training_runs SET status = ?2, leaderboard = ?3, best_model_id = ?4, error = ?5, finished_at = ?6 WHERE id = ?1;
-- from: src/model/registry.c
SELECT r.leaderboard, r.finished_at, r.seed, r.preset FROM training_runs r JOIN sports sp ON sp.id = r.sport_id WHERE sp.code = ?1 AND r.market = ?2 AND r.status = 'completed' ORDER BY r.finished_at DESC, r.id DESC;
-- from: src/model/registry_prune.c
SELECT m.id, m.path, CASE WHEN m.status = 'pruned' THEN 1 ELSE 0 END FROM models m WHERE m.status = 'pruned' OR (m.promoted_at IS NULL AND m.status <> 'production' AND m.created_at < ?1 AND m.id <> (SELECT n.id FROM models n WHERE n.sport_id = m.sport_id AND n.market = m.market ORDER BY n.created_at DESC, n.id DESC LIMIT 1)) ORDER BY m.id;
-- from: src/model/registry_prune.c
DELETE FROM model_predictions WHERE model_id = ?1 RETURNING 1;
-- from: src/model/registry_prune.c
UPDATE models SET status = 'pruned' WHERE id = ?1 RETURNING 1;
-- from: src/services/accounts.c
INSERT INTO users (email, password_hash, name, role, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id;
-- from: src/services/accounts.c
SELECT id, email, name, password_hash, role, is_active, totp_secret, totp_enabled, totp_pending, failed_logins, locked_until, last_login_at, created_at FROM users WHERE email = ?1;
-- from: src/services/accounts.c
SELECT id, email, name, password_hash, role, is_active, totp_secret, totp_enabled, totp_pending, failed_logins, locked_until, last_login_at, created_at FROM users WHERE id = ?1;
-- from: src/services/accounts.c
SELECT role, is_active, email FROM users WHERE id = ?1;
-- from: src/services/accounts.c
UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1;
-- from: src/services/accounts.c
UPDATE users SET password_hash = ?2, updated_at = ?3, failed_logins = 0 WHERE id = ?1;
-- from: src/services/accounts.c
UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 >= ?3 THEN 0 ELSE failed_logins + 1 END, locked_until = CASE WHEN failed_logins + 1 >= ?3 THEN ?2 ELSE locked_until END WHERE id = ?1;
-- from: src/services/accounts.c
SELECT locked_until FROM users WHERE id = ?1;
-- from: src/services/accounts.c
UPDATE users SET failed_logins = 0, last_login_at = ?2 WHERE id = ?1;
-- from: src/services/accounts.c
UPDATE users SET totp_pending = ?2, updated_at = ?3 WHERE id = ?1 AND totp_enabled = 0;
-- from: src/services/accounts.c
UPDATE users SET totp_secret = ?2, totp_enabled = 1, totp_pending = NULL, updated_at = ?3 WHERE id = ?1 AND totp_pending = ?2 AND totp_enabled = 0;
-- from: src/services/accounts.c
UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_pending = NULL, updated_at = ?2 WHERE id = ?1;
-- from: src/services/accounts.c
INSERT INTO sessions (user_id, token_hash, expires_at, ip, user_agent, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id;
-- from: src/services/accounts.c
UPDATE sessions SET revoked = 1 WHERE id = ?1;
-- from: src/services/accounts.c
SELECT COALESCE(replaced_by, 0) FROM sessions WHERE id = ?1;
-- from: src/services/accounts.c
SELECT id, user_id, expires_at, revoked, COALESCE(replaced_by, 0) FROM sessions WHERE token_hash = ?1;
-- from: src/services/accounts.c
UPDATE sessions SET revoked = 1, replaced_by = ?2 WHERE id = ?1 AND revoked = 0;
-- from: src/services/accounts.c
UPDATE sessions SET revoked = 1 WHERE token_hash = ?2 AND user_id = ?1 AND revoked = 0;
-- from: src/services/accounts.c
UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0;
-- from: src/services/accounts.c
SELECT COUNT(*) FROM api_keys WHERE user_id = ?1 AND revoked = 0 AND (expires_at IS NULL OR expires_at > ?2);
-- from: src/services/accounts.c
INSERT INTO api_keys (user_id, name, prefix, key_hash, rate_limit_per_min, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0), ?7) RETURNING id;
-- from: src/services/accounts.c
SELECT k.id, k.user_id, k.name, k.prefix, k.rate_limit_per_min, k.revoked, k.last_used_at, k.expires_at, k.created_at FROM api_keys k WHERE k.user_id = ?1 ORDER BY k.created_at DESC, k.id DESC;
-- from: src/services/accounts.c
UPDATE api_keys SET revoked = 1 WHERE id = ?1 AND user_id = ?2 AND revoked = 0;
-- from: src/services/accounts.c
SELECT k.id, k.user_id, k.name, k.prefix, k.rate_limit_per_min, k.revoked, k.last_used_at, k.expires_at, k.created_at, u.role, u.is_active, u.email FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?1;
-- from: src/services/accounts.c
UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1;
-- from: src/services/api_admin.c
SELECT key, value, updated_by, updated_at FROM settings ORDER BY key;
-- from: src/services/api_admin.c
INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at;
-- from: src/services/api_admin.c
SELECT u.id, u.email, u.name, u.role, u.is_active, u.totp_enabled, u.last_login_at, u.created_at;
-- from: src/services/api_admin.c
UPDATE users SET role = ?1, updated_at = ?2 WHERE id = ?3;
-- from: src/services/api_admin.c
SELECT role FROM users WHERE id = ?1;
-- from: src/services/api_admin.c
SELECT check_code, source, passed, records_checked, failed_count, score, details, checked_at FROM data_quality_checks WHERE id IN (SELECT MAX(id) FROM data_quality_checks GROUP BY check_code) ORDER BY check_code;
-- from: src/services/api_admin.c
SELECT sp.code, COUNT(*), SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id) THEN 1 ELSE 0 END), SUM(CASE WHEN g.status = 'final' AND (g.home_score IS NULL OR g.away_score IS NULL) THEN 1 ELSE 0 END), SUM(CASE WHEN g.status = 'scheduled' AND g.start_time < ?1 THEN 1 ELSE 0 END), SUM(CASE WHEN g.status = 'scheduled' AND g.start_time >= ?2 THEN 1 ELSE 0 END), (SELECT MAX(o.recorded_at) FROM odds o JOIN games u ON u.id = o.game_id WHERE u.sport_id = sp.id AND u.status = 'scheduled' AND u.start_time >= ?2) FROM games g JOIN sports sp ON sp.id = g.sport_id GROUP BY sp.id, sp.code ORDER BY sp.code;
-- from: src/services/api_admin.c
SELECT COUNT(*) FROM predictions p JOIN games g ON g.id = p.game_id LEFT JOIN prediction_results r ON r.prediction_id = p.id WHERE g.status = 'final' AND r.prediction_id IS NULL;
-- from: src/services/api_admin.c
SELECT COUNT(*) FROM bets x JOIN games g ON g.id = x.game_id WHERE x.result = 'pending' AND g.status IN ('final', 'cancelled', 'postponed');
-- from: src/services/api_admin.c
SELECT a.id, a.kind, a.severity, a.title, a.message, a.details, a.acknowledged, a.acknowledged_by, a.acknowledged_at, a.created_at;
-- from: src/services/api_admin.c
UPDATE alerts SET acknowledged = 1, acknowledged_by = ?1, acknowledged_at = ?2 WHERE id = ?3 AND acknowledged = 0;
-- from: src/services/api_admin.c
SELECT a.id, a.kind, a.severity, a.title, a.message, a.details, a.acknowledged, a.acknowledged_by, a.acknowledged_at, a.created_at FROM alerts a WHERE a.id = ?1;
-- from: src/services/api_betting.c
SELECT game_id, market, selection, line, price, book FROM predictions WHERE id = ?1;
-- from: src/services/api_betting.c
SELECT x.id, x.bankroll_id, x.prediction_id, x.game_id, x.market, x.selection, x.line, x.price, x.stake, x.sportsbook, x.notes, x.placed_at, x.result, x.profit_loss, x.closing_line, x.closing_price, x.clv, x.settled_at,;
-- from: src/services/api_betting.c
SELECT 1 FROM games WHERE id = ?1;
-- from: src/services/api_betting.c
SELECT t.bankroll_id, t.kind, t.amount, t.balance_after FROM bankroll_transactions t JOIN bankrolls b ON b.id = t.bankroll_id WHERE b.user_id = ?1 ORDER BY t.bankroll_id, t.created_at, t.id;
-- from: src/services/api_health.c
SELECT 1;
-- from: src/services/api_models.c
SELECT m.id, m.name, sp.code, m.market, m.family, m.status, m.log_loss, m.ece, m.games, m.leakage_ok, m.promotion_note, m.created_at, m.promoted_at, m.path, m.features, m.params, m.data_hash, m.metrics;
-- from: src/services/api_models.c
SELECT id, status, seed, budget_seconds, max_models, preset, leaderboard, error, started_at, finished_at FROM training_runs WHERE best_model_id = ?1 ORDER BY id;
-- from: src/services/api_models.c
SELECT m.id, m.name, sp.code, m.market, m.family, m.status, m.log_loss, m.ece, m.games, m.leakage_ok, m.promotion_note, m.created_at, m.promoted_at, m.path, m.features, m.params, m.data_hash, m.metrics FROM models m JOIN sports sp ON sp.id = m.sport_id WHERE m.id = ?1;
-- from: src/services/api_models.c
SELECT status, sport_id, market, leakage_ok FROM models WHERE id = ?1;
-- from: src/services/api_models.c
UPDATE models SET status = 'archived' WHERE sport_id = ?1 AND market = ?2 AND status = 'production';
-- from: src/services/api_models.c
UPDATE models SET status = 'production', promoted_at = ?1, promotion_note = ?2 WHERE id = ?3;
-- from: src/services/api_odds.c
SELECT id FROM sportsbooks WHERE key = ?1;
-- from: src/services/api_predictions.c
SELECT rank, feature, value, contribution FROM prediction_explanations WHERE prediction_id = ?1 ORDER BY rank;
-- from: src/services/api_predictions.c
SELECT explanation FROM predictions WHERE id = ?1;
-- from: src/services/api_predictions.c
SELECT hash FROM predictions WHERE id < ?1 ORDER BY id DESC LIMIT 1;
-- from: src/services/api_predictions.c
SELECT id FROM predictions WHERE hash = ?1;
-- from: src/services/api_predictions.c
SELECT hash FROM predictions WHERE id = ?1;
-- from: src/services/api_util.c
SELECT value FROM settings WHERE key = ?1;
-- from: src/services/app_metrics.c
SELECT sp.code, p.market, p.tier, COUNT(*), SUM(p.stake_fraction) FROM predictions p JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id GROUP BY sp.code, p.market, p.tier;
-- from: src/services/app_metrics.c
SELECT sp.code, p.market, p.tier, r.result, COUNT(*) FROM predictions p JOIN prediction_results r ON r.prediction_id = p.id JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id GROUP BY sp.code, p.market, p.tier, r.result;
-- from: src/services/app_metrics.c
SELECT currency, COUNT(*), SUM(current_amount), SUM(initial_amount) FROM bankrolls WHERE is_active = 1 GROUP BY currency;
-- from: src/services/app_metrics.c
SELECT result, COUNT(*), SUM(stake) FROM bets GROUP BY result;
-- from: src/services/app_metrics.c
SELECT sp.code, m.market, m.family, m.name, 1, m.ece, m.log_loss, m.promoted_at FROM models m JOIN sports sp ON sp.id = m.sport_id WHERE m.status = 'production';
-- from: src/services/app_metrics.c
SELECT sp.code, t.market, t.status, COUNT(*) FROM training_runs t JOIN sports sp ON sp.id = t.sport_id GROUP BY sp.code, t.market, t.status;
-- from: src/services/app_metrics.c
SELECT sp.code, t.market, COALESCE(MAX(CASE WHEN t.status = 'completed' THEN t.finished_at END), 0), COALESCE(MAX(CASE WHEN t.status = 'failed' THEN t.finished_at END), 0) FROM training_runs t JOIN sports sp ON sp.id = t.sport_id GROUP BY sp.code, t.market;
-- from: src/services/app_metrics.c
SELECT sp.code, MAX(o.recorded_at), COUNT(DISTINCT g.id) FROM games g JOIN sports sp ON sp.id = g.sport_id JOIN odds o ON o.game_id = g.id WHERE g.status = 'scheduled' AND g.start_time >= ?1 GROUP BY sp.code;
-- from: src/services/app_metrics.c
SELECT provider, requests_remaining, requests_used, last_success_at FROM provider_status;
-- from: src/services/app_metrics.c
SELECT d.check_code, d.passed, d.score, d.failed_count, d.records_checked, d.checked_at FROM data_quality_checks d WHERE d.id IN (SELECT MAX(id) FROM data_quality_checks GROUP BY check_code);
-- from: src/services/app_metrics.c
SELECT role, COUNT(*) FROM users WHERE is_active = 1 GROUP BY role;
-- from: src/services/app_metrics.c
SELECT COUNT(*) FROM api_keys WHERE revoked = 0 AND (expires_at IS NULL OR expires_at > ?1);
-- from: src/services/app_metrics.c
SELECT s.severity, COUNT(a.id) FROM (SELECT 'critical' AS severity UNION ALL SELECT 'warning' UNION ALL SELECT 'info') s LEFT JOIN alerts a ON a.severity = s.severity AND a.acknowledged = 0 GROUP BY s.severity;
-- from: src/services/app_metrics.c
SELECT sp.code, p.market, p.tier, p.probability, r.result, r.clv, r.profit_loss, p.stake_fraction, r.graded_at FROM predictions p JOIN prediction_results r ON r.prediction_id = p.id JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id WHERE r.graded_at >= ?1 ORDER BY sp.code, p.market, p.tier;
-- from: src/services/app_metrics.c
SELECT task, last_run_at FROM schedule_runs;
-- from: src/services/audit.c
INSERT INTO audit_log (at, actor_id, actor_type, action, resource_type, resource_id, outcome, ip, user_agent, request_id, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11);
-- from: src/services/backup.c
INSERT INTO backups (kind, label, started_at, finished_at, size_bytes, ok, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);
-- from: src/services/backup.c
SELECT COUNT(*) FROM backups WHERE kind = ?1 AND ok = 1 AND started_at >= CAST(?2 AS BIGINT);
-- from: src/services/backup.c
SELECT COUNT(*) FROM predictions;
-- from: src/services/backup.c
SELECT COUNT(*) FROM bankrolls;
-- from: src/services/backup.c
SELECT COUNT(*) FROM bets;
-- from: src/services/backup.c
SELECT failed_count FROM pg_stat_archiver;
-- from: src/services/backup.c
SELECT CASE WHEN pg_is_in_recovery() THEN 0 WHEN last_failed_time IS NOT NULL AND (last_archived_time IS NULL OR last_failed_time > last_archived_time) THEN CAST(EXTRACT(EPOCH FROM now() - COALESCE(last_archived_time, stats_reset)) AS BIGINT) ELSE 0 END FROM pg_stat_archiver;
-- from: src/services/backup.c
SELECT MAX(finished_at) FROM backups WHERE kind = ?1 AND ok = 1;
-- from: src/services/backup.c
SELECT size_bytes FROM backups WHERE kind = ?1 AND ok = 1 ORDER BY finished_at DESC, id DESC LIMIT 1;
-- from: src/services/backup.c
SELECT COUNT(*) FROM backups WHERE kind = ?1 AND ok = 0;
-- from: src/services/backup_pg.c
SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END;
-- from: src/services/jobs_ops.c
SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id AND o.phase = 'live') THEN 1 ELSE 0 END), 0) FROM games g WHERE g.status = 'scheduled' AND g.start_time >= ?1 AND g.start_time < ?2;
-- from: src/services/jobs_ops.c
SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM closing_lines cl WHERE cl.game_id = g.id) THEN 0 ELSE 1 END), 0) FROM games g WHERE g.start_time >= ?1 AND g.start_time < ?2 AND EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id AND o.phase = 'live');
-- from: src/services/jobs_ops.c
SELECT COUNT(*), COALESCE(SUM(CASE WHEN p.created_at >= g.start_time THEN 1 ELSE 0 END), 0) FROM predictions p JOIN games g ON g.id = p.game_id WHERE g.start_time >= ?1 AND g.start_time < ?2;
-- from: src/services/jobs_ops.c
SELECT COUNT(*) FROM games g WHERE g.status = 'scheduled' AND g.start_time >= ?1 AND g.start_time < ?2 AND EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id AND o.phase = 'live');
-- from: src/services/jobs_ops.c
SELECT COALESCE(MAX(last_success_at), 0) FROM provider_status WHERE provider = 'theoddsapi';
-- from: src/services/jobs_ops.c
SELECT COUNT(*) FROM data_quality_checks WHERE check_code = ?1 AND checked_at = ?2;
-- from: src/services/jobs_ops.c
INSERT INTO data_quality_checks (check_code, source, passed, records_checked, failed_count, score, details, checked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8);
-- from: src/services/jobs_ops.c
INSERT INTO alerts (kind, severity, title, message, details, dedup_key, created_at) SELECT 'data_quality', 'warning', ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE dedup_key = ?4 AND acknowledged = 0);
-- from: src/services/jobs_ops.c
DELETE FROM jobs WHERE state = 'done' AND finished_at < ?1;
-- from: src/services/jobs_ops.c
DELETE FROM jobs WHERE state = 'dead' AND finished_at < ?1;
-- from: src/services/jobs_ops.c
DELETE FROM odds_movements WHERE detected_at < ?1;
-- from: src/services/jobs_ops.c
INSERT INTO schedule_runs (task, last_run_at, last_job_id) VALUES (?1, CAST(?2 AS BIGINT), ?3) ON CONFLICT (task) DO NOTHING RETURNING 1;
-- from: src/services/jobs_picks.c
SELECT DISTINCT b.game_id FROM bets b JOIN games g ON g.id = b.game_id WHERE b.result = 'pending' AND g.status IN ('final', 'cancelled', 'postponed') ORDER BY b.game_id;
-- from: src/services/jobs_picks.c
SELECT COUNT(*) FROM training_runs t JOIN sports sp ON sp.id = t.sport_id WHERE sp.code = ?1 AND t.status = 'completed' AND t.started_at >= ?2;
-- from: src/services/scheduler.c
INSERT INTO schedule_runs (task, last_run_at, last_job_id) VALUES (?1, ?2, ?3) ON CONFLICT (task) DO UPDATE SET last_run_at = excluded.last_run_at, last_job_id = excluded.last_job_id WHERE excluded.last_run_at > schedule_runs.last_run_at;
-- from: src/services/scheduler.c
SELECT COUNT(*) FROM games g JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = ?1 AND (g.status = 'in_progress' OR (g.status = 'scheduled' AND g.start_time <= ?2 AND g.start_time > ?3));
-- from: src/services/scheduler.c
SELECT COUNT(*) FROM games g WHERE g.start_time <= ?1 AND g.start_time > ?2 AND EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id AND o.phase = 'live') AND NOT EXISTS (SELECT 1 FROM closing_lines cl WHERE cl.game_id = g.id);
-- from: src/store/migrate.c
SELECT pg_advisory_xact_lock(7261707301);
-- from: src/store/migrate.c
SELECT count(*) FROM schema_migrations WHERE version = ?1;
-- from: src/store/migrate.c
INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3);
-- from: src/store/migrate.c
SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations';
-- from: src/store/migrate.c
SELECT count(*) FROM (SELECT to_regclass('schema_migrations') AS t) x WHERE t IS NOT NULL;
-- from: src/store/migrate.c
SELECT version, name FROM schema_migrations ORDER BY version;
