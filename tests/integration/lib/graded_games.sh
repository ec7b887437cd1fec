# shellcheck shell=bash
# lib/graded_games.sh — sourced by the tests of games whose picks and bets are graded after ESPN
# postponed or moved them (grade_postponed.sh, closing_rescheduled.sh). The caller defines
# run_backend (one story on the store DATABASE_URL names) and ends with run_backends, which runs
# it on SQLite and on a fresh PostgreSQL database of APS_TEST_PG_URL (unset is a failure unless
# APS_TEST_PG_OPTIONAL=1), then prints the count and exits 0 only when every check passed.
# It gives: check NAME EXPECTED ACTUAL; sql SQL (one statement's rows on the current backend);
# api METHOD PATH [BODY] (with $token, on $port); setup_store (migrations, the user, the NFL,
# two teams, a season of $day, the book pinnacle); sign_in (starts the api, logs the user in,
# opens a bankroll of 1000: $br); job_at JOB SECONDS (the worker's job as it runs SECONDS after
# $start: its clock moved by CLOCK_OFFSET_FILE); provider GAME STATUS [START HOME AWAY] (what
# ESPN's collector writes into the game); stop_api; picked_games N, bet_each N and outcome GAME
# (below).
# Needs: APS_BIN, curl, jq, sqlite3 (psql for PostgreSQL).
: "${APS_BIN:?APS_BIN is the aps binary}"
for t in curl jq sqlite3 awk; do command -v "$t" > /dev/null || { echo "FAIL: $t is required"; exit 1; }; done
work=$(mktemp -d)
pids=()
pgdb=""
cleanup() {
  stop_api
  [ -n "$pgdb" ] && psql "${APS_TEST_PG_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL [$backend]: $1: expected '$2', got '$3'"; fi
}
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL='' APS_ENV=test
export CACHE_TTL_DEFAULT=0 CACHE_TTL_PREDICTIONS=0 CACHE_TTL_ODDS=0
export CLOCK_OFFSET_FILE="$work/clock-offset"
PASSWORD="correct horse battery staple"

sql() {
  if [ "$backend" = sqlite ]; then sqlite3 "$work/aps.db" "$1"; else psql "$DATABASE_URL" -Atqc "$1"; fi
}
api() { # method path [body] → stdout: the body
  local args=(-s -X "$1" -H "Authorization: Bearer $token")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  curl "${args[@]}" "http://127.0.0.1:$port$2"
}
# shellcheck source=lib/api_process.sh
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/api_process.sh"
stop_api() {
  [ "${#pids[@]}" -gt 0 ] && kill "${pids[@]}" 2> /dev/null && wait "${pids[@]}" 2> /dev/null
  pids=()
}

# shellcheck disable=SC2154 # $day is the caller's (the games' date)
setup_store() {
  "$APS_BIN" migrate > /dev/null || { echo "FAIL [$backend]: migrate"; exit 1; }
  printf '%s\n' "$PASSWORD" > "$work/pw"
  "$APS_BIN" user create --email bettor@example.com --role user --password-file "$work/pw" > /dev/null ||
    { echo "FAIL [$backend]: user create"; exit 1; }
  sql "INSERT INTO sports (code, name, kind, three_way) VALUES ('NFL', 'National Football League', 'team', 0);
       INSERT INTO teams (sport_id, key, name) VALUES (1, 'KC', 'Kansas City Chiefs'), (1, 'BAL', 'Baltimore Ravens');
       INSERT INTO seasons (sport_id, label) VALUES (1, '${day:0:4}');
       INSERT INTO sportsbooks (key, name) VALUES ('pinnacle', 'Pinnacle');" > /dev/null
}
# shellcheck disable=SC2034 # $br is read by the caller
sign_in() {
  start_api "api-$backend"
  token=$(curl -s -X POST -H 'Content-Type: application/json' \
    --data "{\"email\":\"bettor@example.com\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$port/api/v1/auth/login" | jq -r .access_token)
  br=$(api POST /api/v1/betting/bankrolls '{"name":"main","initial_amount":1000}' | jq -r .id)
}
# shellcheck disable=SC2154 # $start is the caller's
job_at() {
  echo $((start + $2 - $(date +%s))) > "$CLOCK_OFFSET_FILE"
  "$APS_BIN" worker run "$1" > "$work/$1.out" 2>&1 || { echo "FAIL [$backend]: the $1 job"; cat "$work/$1.out"; }
  rm -f "$CLOCK_OFFSET_FILE"
}
provider() {
  sql "UPDATE games SET status = '$2', start_time = ${3:-start_time}, home_score = ${4:-NULL},
       away_score = ${5:-NULL}, updated_at = $(date +%s) WHERE id = $1" > /dev/null
}

# picked_games N: a fresh store (setup_store) with N games of the same match-up an hour from now
# ($start, on $day), numbered 1 to N, each priced by one book, and the predict job's moneyline
# pick of each (pick_of[GAME]).
# shellcheck disable=SC2034 # $day is read by setup_store
picked_games() {
  start=$(($(date +%s) + 3600))
  day=$(date -u -d "@$start" +%F)
  setup_store
  local g
  for g in $(seq "$1"); do
    sql "INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id, away_team_id, start_time,
           time_known, status, created_at, updated_at) VALUES (1, 1, '$day', $g, 1, 2, $start, 1, 'scheduled', 0, 0);
         INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line, price) VALUES
           ($g, 1, 'moneyline', 'home', 'live', $(($(date +%s) - 60)), NULL, 2.10),
           ($g, 1, 'moneyline', 'away', 'live', $(($(date +%s) - 60)), NULL, 1.80);" > /dev/null
  done
  "$APS_BIN" worker run predict --payload '{"sport":"NFL"}' > "$work/predict.out" 2>&1
  declare -gA pick_of=()
  for g in $(seq "$1"); do pick_of[$g]=$(sql "SELECT MIN(id) FROM predictions WHERE game_id = $g AND market = 'moneyline'"); done
  check "the predict job locks in a moneyline pick for each game" "$1" "$(sql "SELECT COUNT(DISTINCT game_id) FROM predictions WHERE market = 'moneyline'")"
}
# bet_each N: signed in (sign_in), a bet of 10 placed over the API from the pick of each game
bet_each() {
  sign_in
  local g placed=0
  for g in $(seq "$1"); do
    [ "$(api POST /api/v1/betting/bets "{\"bankroll_id\":$br,\"prediction_id\":${pick_of[$g]},\"stake\":10}" | jq -r .result)" = pending ] &&
      placed=$((placed + 1))
  done
  check "a bet placed from each pick over the API" "$1" "$placed"
}
# outcome GAME — "pick result/bet result" of the game's pick and bet, read from the API
outcome() {
  local pick bet
  pick=$(api GET "/api/v1/predictions/${pick_of[$1]}" | jq -r '.result.result // "pending"')
  bet=$(api GET "/api/v1/betting/bets?limit=100" | jq -r --argjson g "$1" '[.items[] | select(.game_id == $g)][0].result')
  echo "$pick/$bet"
}

run_backends() {
  backend=sqlite
  export DATABASE_URL="sqlite:///$work/aps.db"
  run_backend
  if [ -n "${APS_TEST_PG_URL:-}" ]; then
    command -v psql > /dev/null || { echo "FAIL: psql is required with APS_TEST_PG_URL"; exit 1; }
    backend=postgres
    pgdb="aps_$(basename "$0" .sh)_$$"
    psql "${APS_TEST_PG_URL%/*}/postgres" -qc "CREATE DATABASE $pgdb" > /dev/null || exit 1
    export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
    run_backend
  elif [ "${APS_TEST_PG_OPTIONAL:-0}" = 1 ]; then
    echo "PostgreSQL not tested: APS_TEST_PG_URL is unset (APS_TEST_PG_OPTIONAL=1)"
  else
    fail=$((fail + 1))
    echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
  fi
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}
