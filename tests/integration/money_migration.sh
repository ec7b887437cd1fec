#!/usr/bin/env bash
# money_migration.sh — migration 016 converts the money of existing rows into integer cents
# exactly, on SQLite and PostgreSQL (APS_TEST_PG_URL): a store at schema 015 gets bankrolls,
# bets and transactions whose amounts are doubles (19.99 stored as 19.98999…, 0.1 + 0.2 as
# 0.30000000000000004, the ties 0.125 and -0.125, sub-cent 12.345 and 1.005, the largest
# accepted amount, a NULL profit), then `aps migrate` applies 016 and every *_cents column must
# hold the decimal amount × 100 rounded half away from zero, the double beside it untouched.
# Then the API runs on the migrated store: a deposit adds in cents to the converted balance,
# and a balance the previous release changed behind it (double only) counts by its double, even
# one between two cents (0.30000000000000004), which a deposit and the grading job still move.
# Needs: APS_BIN, sqlite3, psql and curl (without APS_TEST_PG_URL it fails unless
# APS_TEST_PG_OPTIONAL=1).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in sqlite3 curl; do
  command -v "$tool" > /dev/null || { echo "money_migration: $tool is required"; exit 1; }
done
work=$(mktemp -d)
db=
cleanup() {
  [ -n "$db" ] && psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib/api_process.sh
. "$SRC/tests/integration/lib/api_process.sh"
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=
unset APS_MIGRATIONS_DIR
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL [$backend]: $1: expected '$2', got '$3'"; fi
}
mkdir -p "$work/before"
for f in "$SRC"/migrations/[0-9]*.sql; do
  v=$(basename "$f" | sed 's/_.*//; s/^0*//')
  [ "$v" -lt 16 ] && cp "$f" "$work/before/"
done

# The rows, written as the previous release wrote them: doubles only.
SEED="
INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (1, 'a@x', 'h', 0, 0);
INSERT INTO sports (id, code, name, kind) VALUES (1, 'nfl', 'NFL', 'team');
INSERT INTO seasons (id, sport_id, label) VALUES (1, 1, '2024');
INSERT INTO teams (id, sport_id, key, name) VALUES (1, 1, 'a', 'A'), (2, 1, 'b', 'B');
INSERT INTO games (id, sport_id, season_id, game_date, home_team_id, away_team_id, start_time,
  created_at, updated_at) VALUES (1, 1, 1, '2024-09-01', 1, 2, 0, 0, 0);
INSERT INTO bankrolls (id, user_id, name, initial_amount, current_amount, peak_amount,
  low_amount, created_at, updated_at)
  VALUES (1, 1, 'a', 19.99, 0.1 + 0.2, 999999999999.99, 0.125, 0, 0),
         (2, 1, 'b', 12.345, 1.005, 100, 0.01, 0, 0);
INSERT INTO bets (id, user_id, bankroll_id, game_id, market, selection, price, stake,
  placed_at, result, profit_loss)
  VALUES (1, 1, 1, 1, 'moneyline', 'home', 1.91, 19.99, 0, 'loss', -19.99),
         (2, 1, 1, 1, 'moneyline', 'home', 1.91, 0.25, 0, 'half_loss', -0.125),
         (3, 1, 1, 1, 'moneyline', 'home', 1.91, 10, 0, 'pending', NULL);
INSERT INTO bankroll_transactions (id, bankroll_id, kind, amount, balance_after, created_at)
  VALUES (1, 1, 'deposit', 0.1 + 0.2, 0.30000000000000004, 0),
         (2, 1, 'withdrawal', -0.125, 1e-9, 0);
"
# id|initial|current|peak|low of the bankrolls, id|stake|profit of the bets, id|amount|after.
WANT_BANKROLLS="1|1999|30|99999999999999|13
2|1235|101|10000|1"
WANT_BETS="1|1999|-1999
2|25|-13
3|1000|"
WANT_TX="1|30|30
2|-13|0"

run_backend() { # sql_runner url
  local sql=$1 url=$2
  DATABASE_URL=$url APS_MIGRATIONS_DIR=$work/before "$APS_BIN" migrate > /dev/null
  check "the store is at 015 before" "015 applied" \
    "$(DATABASE_URL=$url APS_MIGRATIONS_DIR=$work/before "$APS_BIN" migrate --status | tail -1 | tr -s ' ' | sed 's/ read_paths//')"
  DATABASE_URL=$url "$APS_BIN" migrate --replay "$SRC/migrations/release/queries.sql" > "$work/$backend-before.replay"
  $sql "$SEED" > /dev/null
  DATABASE_URL=$url "$APS_BIN" migrate > /dev/null
  check "016 applied" 0 "$(DATABASE_URL=$url "$APS_BIN" migrate --status | grep -c 'not applied')"
  check "bankrolls in cents" "$WANT_BANKROLLS" \
    "$($sql "SELECT id, initial_cents, current_cents, peak_cents, low_cents FROM bankrolls ORDER BY id")"
  check "bets in cents" "$WANT_BETS" \
    "$($sql "SELECT id, stake_cents, profit_loss_cents FROM bets ORDER BY id")"
  check "transactions in cents" "$WANT_TX" \
    "$($sql "SELECT id, amount_cents, balance_after_cents FROM bankroll_transactions ORDER BY id")"
  check "the previous release's doubles are kept" 1 \
    "$($sql "SELECT COUNT(*) FROM bankrolls WHERE initial_amount = 19.99 AND peak_amount = 999999999999.99")"
  DATABASE_URL=$url "$APS_BIN" migrate --replay "$SRC/migrations/release/queries.sql" > "$work/$backend-after.replay"
  check "the previous release's SQL behaves as before 016 (aps migrate --replay)" "" \
    "$(diff "$work/$backend-before.replay" "$work/$backend-after.replay")"

  # The API on the migrated store.
  local token pids=() port
  printf '%s\n' 'correct horse battery' > "$work/pw"
  DATABASE_URL=$url "$APS_BIN" user create --email "m-$backend@example.com" --role user \
    --password-file "$work/pw" > /dev/null
  DATABASE_URL=$url start_api "$backend-api"
  token=$(curl -s "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"m-$backend@example.com\",\"password\":\"correct horse battery\"}" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  check "logged in" 1 "$([ -n "$token" ] && echo 1)"
  local api="http://127.0.0.1:$port/api/v1/betting/bankrolls" id
  id=$(curl -s "$api" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name":"cents","initial_amount":0.1}' | sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
  check "a bankroll opened" 1 "$([ -n "$id" ] && echo 1)"
  [ -n "$id" ] || cat "$work/$backend-api.log"
  for _ in $(seq 20); do
    curl -s "$api/$id/transactions" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d '{"kind":"deposit","amount":0.2}' > /dev/null
  done
  curl -s "$api" -H "Authorization: Bearer $token" > "$work/$backend-br.json"
  check "0.1 + 20 × 0.2 is exactly 4.1 (JSON)" 1 \
    "$(grep -c "\"current_amount\":4.1," "$work/$backend-br.json")"
  check "… and 410 cents in the store" 410 "$($sql "SELECT current_cents FROM bankrolls WHERE id = $id")"
  check "a deposit of 1e-8 is refused with the validation envelope (400)" 400 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$api/$id/transactions" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d '{"kind":"deposit","amount":1e-8}')"
  $sql "UPDATE bankrolls SET current_amount = 7.35 WHERE id = $id" > /dev/null
  check "a balance the previous release changed counts by its double" 1 \
    "$(curl -s "$api/$id/transactions" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d '{"kind":"deposit","amount":0.05}' | grep -c '"balance_after":7.4,')"
  check "… and both columns agree again" "740|7.4" \
    "$($sql "SELECT current_cents, current_amount FROM bankrolls WHERE id = $id")"
  # The previous release added doubles, so a balance it wrote can lie between two cents
  # (0.1 + 0.2 = 0.30000000000000004, which counts as 0.30): it still moves, by hand and by the
  # grading job, which then goes on to the other games (it failed at that game with "database
  # is busy" and left every later game's bets pending).
  $sql "UPDATE bankrolls SET current_amount = 0.30000000000000004 WHERE id = $id" > /dev/null
  check "a balance the previous release left between two cents takes a deposit: 0.30 + 0.05" \
    '201 "balance_after":0.35' "$(curl -s -o "$work/dep.json" -w '%{http_code}' "$api/$id/transactions" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d '{"kind":"deposit","amount":0.05}') $(grep -o '"balance_after":[0-9.]*' "$work/dep.json")"
  # Bet 3 (10.00 at 1.91 on the home side of game 1, bankroll 1) and a bet of 1.00 at 3.0 on
  # game 2 from bankroll $id; both games end home 24-21.
  $sql "UPDATE bankrolls SET current_amount = 0.30000000000000004 WHERE id IN (1, $id)" > /dev/null
  $sql "INSERT INTO games (id, sport_id, season_id, game_date, home_team_id, away_team_id,
    start_time, created_at, updated_at) VALUES (2, 1, 1, '2024-09-02', 2, 1, 86400, 0, 0)" > /dev/null
  $sql "UPDATE games SET status = 'final', home_score = 24, away_score = 21" > /dev/null
  $sql "INSERT INTO bets (id, user_id, bankroll_id, game_id, market, selection, price, stake_cents,
    stake, placed_at, result) VALUES (4, 1, $id, 2, 'moneyline', 'home', 3.0, 100, 1, 0, 'pending')" > /dev/null
  DATABASE_URL=$url "$APS_BIN" worker run grade > "$work/$backend-grade.log" 2>&1
  check "the grading job settles both games" "0 2" "$? $(grep -o '"bets_settled":[0-9]*' "$work/$backend-grade.log" | cut -d: -f2)"
  check "… paying bet 3 into bankroll 1 (0.30 + 19.10) and bet 4 into bankroll $id (0.30 + 3.00)" \
    "1|1940
$id|330" "$($sql "SELECT id, current_cents FROM bankrolls WHERE id IN (1, $id) ORDER BY id")"
  kill "${pids[@]}" 2> /dev/null
  wait "${pids[@]}" 2> /dev/null
}

backend=sqlite
sqlite_sql() { sqlite3 "$work/store.db" "$1"; }
run_backend sqlite_sql "sqlite:///$work/store.db"

if [ -n "${APS_TEST_PG_URL:-}" ]; then
  backend=pg
  db=aps_money_$$
  psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $db" > /dev/null
  pg_sql() { psql "${APS_TEST_PG_URL%/*}/$db" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
  run_backend pg_sql "${APS_TEST_PG_URL%/*}/$db"
elif [ "${APS_TEST_PG_OPTIONAL:-0}" != 1 ]; then
  fail=$((fail + 1))
  echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
