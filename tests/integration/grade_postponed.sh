#!/usr/bin/env bash
# grade_postponed.sh — a postponed game's picks and bets follow one rule (odds/grade.h): neither
# is settled while the game is postponed; both are graded on the score when it is played within
# POSTPONED_VOID_HOURS (48) of the start they were made for, even at a new start time; both are
# void once that grace has passed unplayed, or when the game was moved past it; a cancelled
# game's at once. The grading job voided bets as soon as it saw "postponed" while the picks they
# came from stayed pending, then graded those picks on the score of the replayed game: one game,
# two answers.
# The real paths: picks locked in by the predict job (`aps worker run predict`), bets placed from
# them over the API on a real socket, the provider's updates written into games as ESPN's
# collector writes them (status, a moved start_time, the score), grading by `aps grade` and the
# grading job (`aps worker run grade`) with its clock moved forward (CLOCK_OFFSET_FILE), results
# read back from the API. SQLite always; PostgreSQL too when APS_TEST_PG_URL is set.
# Needs: APS_BIN, curl, jq, sqlite3 (psql for PostgreSQL).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
for t in curl jq sqlite3; do command -v "$t" > /dev/null || { echo "FAIL: $t is required"; exit 1; }; done
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

# grade_at HOURS — the grading job as it runs HOURS after the games' original start
grade_at() {
  echo $((start + $1 * 3600 - $(date +%s))) > "$CLOCK_OFFSET_FILE"
  "$APS_BIN" worker run grade > "$work/grade.out" 2>&1 || { echo "FAIL [$backend]: the grading job"; cat "$work/grade.out"; }
  rm -f "$CLOCK_OFFSET_FILE"
}
# outcome GAME — "pick result/bet result" of the game's pick and bet, read from the API
outcome() {
  local pick bet
  pick=$(api GET "/api/v1/predictions/${pick_of[$1]}" | jq -r '.result.result // "pending"')
  bet=$(api GET "/api/v1/betting/bets?limit=100" | jq -r --argjson g "$1" '[.items[] | select(.game_id == $g)][0].result')
  echo "$pick/$bet"
}
# provider GAME STATUS [START HOME AWAY] — what the collector writes when ESPN reports the game
provider() {
  sql "UPDATE games SET status = '$2', start_time = ${3:-start_time}, home_score = ${4:-NULL},
       away_score = ${5:-NULL}, updated_at = $(date +%s) WHERE id = $1" > /dev/null
}

run_backend() {
  "$APS_BIN" migrate > /dev/null || { echo "FAIL [$backend]: migrate"; exit 1; }
  printf '%s\n' "$PASSWORD" > "$work/pw"
  "$APS_BIN" user create --email bettor@example.com --role user --password-file "$work/pw" > /dev/null ||
    { echo "FAIL [$backend]: user create"; exit 1; }
  # Five games of the same match-up an hour from now, numbered 1 to 5, each priced by one book.
  start=$(($(date +%s) + 3600))
  local day
  day=$(date -u -d "@$start" +%F)
  sql "INSERT INTO sports (code, name, kind, three_way) VALUES ('NFL', 'National Football League', 'team', 0);
       INSERT INTO teams (sport_id, key, name) VALUES (1, 'KC', 'Kansas City Chiefs'), (1, 'BAL', 'Baltimore Ravens');
       INSERT INTO seasons (sport_id, label) VALUES (1, '${day:0:4}');
       INSERT INTO sportsbooks (key, name) VALUES ('pinnacle', 'Pinnacle');" > /dev/null
  for g in 1 2 3 4 5; do
    sql "INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id, away_team_id, start_time,
           time_known, status, created_at, updated_at) VALUES (1, 1, '$day', $g, 1, 2, $start, 1, 'scheduled', 0, 0);
         INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line, price) VALUES
           ($g, 1, 'moneyline', 'home', 'live', $(($(date +%s) - 60)), NULL, 2.10),
           ($g, 1, 'moneyline', 'away', 'live', $(($(date +%s) - 60)), NULL, 1.80);" > /dev/null
  done
  "$APS_BIN" worker run predict --payload '{"sport":"NFL"}' > "$work/predict.out" 2>&1
  declare -gA pick_of=()
  for g in 1 2 3 4 5; do pick_of[$g]=$(sql "SELECT MIN(id) FROM predictions WHERE game_id = $g AND market = 'moneyline'"); done
  check "the predict job locks in a moneyline pick for each game" 5 "$(sql "SELECT COUNT(DISTINCT game_id) FROM predictions WHERE market = 'moneyline'")"

  start_api "api-$backend"
  token=$(curl -s -X POST -H 'Content-Type: application/json' \
    --data "{\"email\":\"bettor@example.com\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$port/api/v1/auth/login" | jq -r .access_token)
  local br placed=0
  br=$(api POST /api/v1/betting/bankrolls '{"name":"main","initial_amount":1000}' | jq -r .id)
  for g in 1 2 3 4 5; do
    [ "$(api POST /api/v1/betting/bets "{\"bankroll_id\":$br,\"prediction_id\":${pick_of[$g]},\"stake\":10}" | jq -r .result)" = pending ] &&
      placed=$((placed + 1))
  done
  check "a bet placed from each pick over the API" 5 "$placed"
  local price
  price=$(sql "SELECT price FROM predictions WHERE id = ${pick_of[1]}")

  # ESPN: games 1, 2 and 4 postponed at their start, game 3 cancelled, game 5 played (20-23).
  for g in 1 2 4; do provider "$g" postponed; done
  provider 3 cancelled
  provider 5 final "$start" 20 23
  "$APS_BIN" grade > "$work/cli.out" 2>&1
  check "aps grade: the cancelled game's pick void, the played one's lost, the postponed ones wait" \
    "2 picks graded: 0 won, 1 lost, 0 pushed, 1 void" "$(cat "$work/cli.out")"
  grade_at 1
  check "postponed, an hour after its start: neither pick nor bet settled" "pending/pending" "$(outcome 2)"
  check "cancelled: pick and bet void at once" "void/void" "$(outcome 3)"
  check "played: pick and bet lost on the score" "loss/loss" "$(outcome 5)"

  # Game 1 rescheduled a day later (its start moved), game 4 five days later.
  provider 1 scheduled $((start + 86400))
  provider 4 scheduled $((start + 5 * 86400))
  grade_at 47
  check "postponed, 47 hours after its start (within the grace): pick and bet wait" "pending/pending" "$(outcome 2)"
  check "rescheduled within the grace: pick and bet wait" "pending/pending" "$(outcome 1)"
  check "rescheduled past the grace, before the grace ends: pick and bet wait" "pending/pending" "$(outcome 4)"

  # Game 1 played a day late, 24-21: within the grace of its original start.
  provider 1 final $((start + 86400)) 24 21
  grade_at 49
  check "played a day late: pick and bet both won on the score" "win/win" "$(outcome 1)"
  check "still postponed 49 hours after its start (past the grace): pick and bet void" "void/void" "$(outcome 2)"
  check "rescheduled past the grace, once the grace has passed: pick and bet void" "void/void" "$(outcome 4)"

  # Game 4 played at its new start, five days late: settled once, it stays void.
  provider 4 final $((start + 5 * 86400)) 30 10
  grade_at $((5 * 24 + 4))
  check "played five days late: pick and bet stay void" "void/void" "$(outcome 4)"
  check "the bankroll: 1000 − 5 × 10 staked + the win paid + three stakes refunded" \
    "$(awk -v p="$price" 'BEGIN{printf "%.2f", 950 + 10 * p + 30}')" \
    "$(api GET /api/v1/betting/bankrolls | jq -r --argjson b "$br" '.items[] | select(.id == $b) | .current_amount' |
      awk '{printf "%.2f", $1}')"
  stop_api
}

backend=sqlite
export DATABASE_URL="sqlite:///$work/aps.db"
run_backend
if [ -n "${APS_TEST_PG_URL:-}" ]; then
  command -v psql > /dev/null || { echo "FAIL: psql is required with APS_TEST_PG_URL"; exit 1; }
  backend=postgres
  pgdb="aps_grade_postponed_$$"
  psql "${APS_TEST_PG_URL%/*}/postgres" -qc "CREATE DATABASE $pgdb" > /dev/null || exit 1
  export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
  run_backend
else
  echo "PostgreSQL not tested: APS_TEST_PG_URL is unset"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
