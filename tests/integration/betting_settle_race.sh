#!/usr/bin/env bash
# betting_settle_race.sh — on PostgreSQL, the grading job settling a game's bets while a user
# settles one of them by hand (POST /api/v1/betting/bets/{id}/settle: the bet's row, then its
# bankroll's) must not deadlock: one of the two answered 503 "the database is busy" after
# PostgreSQL's deadlock timeout when the job had paid an earlier bet into the same bankroll and
# then waited for the user's bet. Made deterministic: a second session does what the hand
# settlement does, in two steps with a pause between them — it takes bet 2's row, the job starts
# and meets it, then the session writes the bankroll and commits. Both must succeed, and every
# bet be paid once.
# Needs: APS_BIN, psql, APS_TEST_PG_URL (fails without it unless APS_TEST_PG_OPTIONAL=1).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
command -v psql > /dev/null || { echo "FAIL: psql is required (scripts/bootstrap installs it)"; exit 1; }
if [ -z "${APS_TEST_PG_URL:-}" ]; then
  [ "${APS_TEST_PG_OPTIONAL:-0}" = 1 ] && { echo "PostgreSQL opted out"; exit 77; }
  echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start); APS_TEST_PG_OPTIONAL=1 skips it"
  exit 1
fi
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=
db="aps_settle_race_$$"
base=${APS_TEST_PG_URL%/*}
export DATABASE_URL="$base/$db"
work=$(mktemp -d)
holder=""
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2> /dev/null
  psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}
q() { psql "$DATABASE_URL" -Atqc "$1"; }

psql "$base/postgres" -qc "CREATE DATABASE $db" > /dev/null || exit 1
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
printf 'correct horse battery staple\n' > "$work/pw"
"$APS_BIN" user create --email race@example.com --role user --password-file "$work/pw" > /dev/null || exit 1
user=$(q "SELECT id FROM users WHERE email = 'race@example.com'")
now=$(date +%s)
# One final game (home 24-21), one bankroll of 100.00 that staked 10.00 on each of three home
# moneyline bets at 2.0: each win pays 20.00 back.
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q > /dev/null << SQL || exit 1
INSERT INTO sports (code, name, kind, three_way) VALUES ('NFL', 'National Football League', 'team', 0);
INSERT INTO teams (sport_id, key, name) VALUES (1, 'KC', 'Kansas City Chiefs'), (1, 'BAL', 'Baltimore Ravens');
INSERT INTO seasons (sport_id, label) VALUES (1, '2024');
INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id, start_time, time_known, status,
  home_score, away_score, created_at, updated_at)
  VALUES (1, 1, '2024-09-05', 1, 2, $((now - 86400)), 1, 'final', 24, 21, 0, 0);
INSERT INTO bankrolls (user_id, name, currency, initial_cents, initial_amount, current_cents, current_amount,
  peak_cents, peak_amount, low_cents, low_amount, is_active, created_at, updated_at)
  VALUES ($user, 'main', 'USD', 10000, 100, 7000, 70, 10000, 100, 7000, 70, 1, $now, $now);
INSERT INTO bets (user_id, bankroll_id, game_id, market, selection, price, stake_cents, stake, placed_at, result)
  SELECT $user, 1, 1, 'moneyline', 'home', 2.0, 1000, 10, $((now - 90000)), 'pending' FROM generate_series(1, 3);
SQL

# The "hand settlement": bet 2's row first, the bankroll after the job has met that row.
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -Atq > "$work/holder.out" 2>&1 << SQL &
BEGIN;
UPDATE bets SET notes = 'held' WHERE id = 2;
SELECT pg_sleep(3);
UPDATE bankrolls SET updated_at = updated_at + 1 WHERE id = 1;
COMMIT;
SQL
holder=$!
active="SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%' AND state = 'active'"
for _ in $(seq 100); do
  [ "$(q "$active")" = 1 ] && break
  sleep 0.1
done
check "the other session holds bet 2" 1 "$(q "$active")"
"$APS_BIN" worker run grade > "$work/grade.out" 2>&1
check "the grading job succeeds" "0 1" "$? $(grep -c '"bets_settled":3' "$work/grade.out")"
wait "$holder"
check "the session that held bet 2 commits (no deadlock)" 0 $?
holder=""
grep -i deadlock "$work/holder.out" "$work/grade.out" | head -3
check "every bet won once" "win|3" "$(q "SELECT result, count(*) FROM bets GROUP BY result")"
check "three payouts" "3|6000" "$(q "SELECT count(*), sum(amount_cents) FROM bankroll_transactions WHERE kind = 'payout'")"
check "the balance: 70.00 + 3 × 20.00" 13000 "$(q "SELECT current_cents FROM bankrolls WHERE id = 1")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
