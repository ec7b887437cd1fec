#!/usr/bin/env bash
# api_teams.sh — the teams' Elo ratings through the real `aps api` (GET /api/v1/teams and
# /teams/{id}) on two real NBA seasons (sportsbookreview 2017-18 and 2018-19) and the Premier
# League's 2023-24 (football-data: its final table's points), on SQLite and on
# PostgreSQL (APS_TEST_PG_URL, which `make test` sets; without it the test fails). The ratings
# are compared with `aps elo ratings` (the CLI's own replay of the history with its odds), with
# the default and then the fitted parameters, before a day too; the records with counts of the
# stored games in SQL; the change over the last ten games with the team route's games; then
# paging, every refusal (400, 401, 404) and the cut at a day.
# Needs: APS_BIN, curl, jq, sqlite3, psql, the data directory (APS_DATA_DIR).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
for tool in curl jq sqlite3 psql; do
  command -v "$tool" > /dev/null || { echo "api_teams: $tool is missing (scripts/bootstrap)"; exit 1; }
done
NBA=$DATA/sportsbookreview/nba
for f in "nba odds 2017-18.csv" "nba odds 2018-19.csv"; do
  [ -f "$NBA/$f" ] || { echo "api_teams: $NBA/$f is missing (APS_DATA_DIR)"; exit 1; }
done
EPL=$DATA/football-data/E0/2324_E0.csv
[ -f "$EPL" ] || { echo "api_teams: $EPL is missing (APS_DATA_DIR)"; exit 1; }
[ -n "${APS_TEST_PG_URL:-}" ] || { echo "api_teams: APS_TEST_PG_URL is unset (scripts/pgtest start)"; exit 1; }
work=$(mktemp -d)
server_pid=""
pids=()
pgdb="aps_it_teams_$$"
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL='' RATE_LIMIT_PER_MIN=1000000
export JWT_SECRET="api-teams-integration-secret-0123456789abcdef"
PASSWORD="correct horse battery staple"
pass=0 fail=0
backend=""

check() { # name expected actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL [$backend]: $1: expected '$2', got '$3'"; fi
}
req() { # PATH [TOKEN] → $status, $body
  local args=(-s -o "$work/body" -w '%{http_code}')
  [ -n "${2:-}" ] && args+=(-H "Authorization: Bearer $2")
  status=$(curl "${args[@]}" "http://127.0.0.1:$port$1")
  body=$(cat "$work/body")
}
jf() { jq -r "$1" <<<"$body"; }
sql() {
  if [ "$backend" = sqlite ]; then sqlite3 "$work/aps.db" "$1"; else psql "$DATABASE_URL" -Atqc "$1"; fi
}

# shellcheck source=lib/api_process.sh
. "$(dirname "$0")/lib/api_process.sh"
start_server() {
  start_api server
  server_pid=${pids[-1]}
}
stop_server() {
  kill "$server_pid"
  wait "$server_pid"
  server_pid=""
}

# The CLI's ratings ("KEY RATING" lines, sorted) and the API's, rounded as the CLI prints them
# (printf's %.1f of the same double: jq writes a number with the digits that read back exactly).
cli_ratings() { "$APS_BIN" elo ratings --sport NBA ${1:+--date "$1"} | awk '!/^#/ { print $1, $2 }' | sort; }
api_ratings() { jq -r '.items[] | "\(.team.key) \(.rating)"' <<<"$body" | awk '{ printf "%s %.1f\n", $1, $2 }' | sort; }

# Each team's regular-season and playoff record in season $1 from the stored games: "KEY W L PW PL".
sql_records() {
  sql "SELECT t.key, SUM(CASE WHEN g.playoff = 0 AND w.id = t.id THEN 1 ELSE 0 END),
         SUM(CASE WHEN g.playoff = 0 AND w.id <> t.id THEN 1 ELSE 0 END),
         SUM(CASE WHEN g.playoff <> 0 AND w.id = t.id THEN 1 ELSE 0 END),
         SUM(CASE WHEN g.playoff <> 0 AND w.id <> t.id THEN 1 ELSE 0 END)
       FROM teams t JOIN games g ON t.id IN (g.home_team_id, g.away_team_id)
       JOIN seasons s ON s.id = g.season_id
       JOIN teams w ON w.id = CASE WHEN g.home_score > g.away_score THEN g.home_team_id ELSE g.away_team_id END
       WHERE s.label = '$1' AND g.status = 'final' AND g.sport_id = (SELECT id FROM sports WHERE code = 'NBA') GROUP BY t.key ORDER BY t.key" | tr '|' ' '
}

test_standings() {
  local tor last
  req "/api/v1/teams?sport=NBA&limit=100" "$TOKEN"
  check "standings 200: 30 teams of 2018-19, both seasons listed, default parameters" \
    "200 30 2018-19 2018-19,2017-18 default" \
    "$status $(jf .total) $(jf .season) $(jf '.seasons | join(",")') $(jf .parameters)"
  check "as of the last final game" "$(sql "SELECT MAX(game_date) FROM games g WHERE status = 'final' AND g.sport_id = (SELECT id FROM sports WHERE code = 'NBA')")" "$(jf .as_of)"
  check "the ratings are the CLI's" "$(cli_ratings)" "$(api_ratings)"
  check "ranked 1..30, best first" "true" \
    "$(jf '[.items[].rank] == [range(1; 31)] and ([.items[].rating] | . == (sort | reverse))')"
  check "records are the stored games'" "$(sql_records 2018-19)" \
    "$(jq -r '.items[] | "\(.team.key) \(.wins) \(.losses) \(.playoffs.wins) \(.playoffs.losses)"' <<<"$body" | sort)"
  check "no draws, games = wins + losses" "true" "$(jf '[.items[] | .draws == 0 and .games == .wins + .losses] | all')"
  check "each team's last game" "$(sql "SELECT t.key, MAX(g.game_date) FROM teams t JOIN games g ON t.id IN
      (g.home_team_id, g.away_team_id) WHERE g.status = 'final' AND g.sport_id = (SELECT id FROM sports WHERE code = 'NBA') GROUP BY t.key ORDER BY t.key" | tr '|' ' ')" \
    "$(jq -r '.items[] | "\(.team.key) \(.last_game_date)"' <<<"$body" | sort)"
  tor=$(jf '.items[] | select(.team.key == "TOR")')
  # the change over the last ten games, against the team route's ten games
  req "/api/v1/teams/$(jq -r .team.id <<<"$tor")?games=10" "$TOKEN"
  check "a team: 200, ten games, its rating" "200 10 TOR $(jq -r .rating <<<"$tor")" \
    "$status $(jf '.games | length') $(jf .team.key) $(jf .rating)"
  check "  its change spans those ten games" "10 true" \
    "$(jq -r .change_games <<<"$tor") $(jq -n --argjson t "$tor" --argjson b "$(jf '.games[0].rating_before')" \
      '($t.rating - $t.change - $b) | fabs < 1e-6')"
  # shellcheck disable=SC2016 # $i is jq's
  check "  oldest first, each game's rating after is the next one's before" "true" \
    "$(jf '[.games | sort_by(.date) == .] + [range(1; 10) as $i | .games[$i].rating_before == .games[$i - 1].rating_after] | all')"
  check "  the last game is the standings' last, rated as the standings" "true" \
    "$(jq -r --argjson t "$tor" '.games[9].rating_after == $t.rating and .games[9].date == $t.last_game_date and .as_of == $t.last_game_date' <<<"$body")"
  last=$(jf '.games[9] | "\(.game_id) \(.score_for) \(.score_against)"')
  check "  its score is the stored game's" "$last" "$(sql "SELECT g.id, CASE WHEN t.id = g.home_team_id
      THEN g.home_score ELSE g.away_score END, CASE WHEN t.id = g.home_team_id THEN g.away_score ELSE g.home_score END
      FROM games g JOIN teams t ON t.key = 'TOR' AND t.id IN (g.home_team_id, g.away_team_id)
      WHERE g.id = ${last%% *}" | tr '|' ' ')"
  check "  results agree with scores" "true" \
    "$(jf '[.games[] | .result == (if .score_for > .score_against then "win" elif .score_for < .score_against then "loss" else "draw" end)] | all')"
  # a page of the standings
  req "/api/v1/teams?sport=nba&limit=10&page=3" "$TOKEN"
  check "page 3 of 10: ranks 21..30" "200 30 3 10 21-30" \
    "$status $(jf .total) $(jf .page) $(jf .limit) $(jf '"\(.items[0].rank)-\(.items[-1].rank)"')"
}

test_a_day_and_a_season() {
  req "/api/v1/teams?sport=NBA&date=2018-10-01&limit=100" "$TOKEN"
  check "before 2018-10-01: the 2017-18 season, as of its last game" \
    "200 2017-18 $(sql "SELECT MAX(game_date) FROM games g WHERE status = 'final' AND game_date < '2018-10-01' AND g.sport_id = (SELECT id FROM sports WHERE code = 'NBA')") 2017-18" \
    "$status $(jf .season) $(jf .as_of) $(jf '.seasons | join(",")')"
  check "  the ratings are the CLI's at that date" "$(cli_ratings 2018-10-01)" "$(api_ratings)"
  check "  records of that season" "$(sql_records 2017-18)" \
    "$(jq -r '.items[] | "\(.team.key) \(.wins) \(.losses) \(.playoffs.wins) \(.playoffs.losses)"' <<<"$body" | sort)"
  req "/api/v1/teams?sport=NBA&season=2017-18&limit=100" "$TOKEN"
  check "season 2017-18 now: its records, today's ratings" "$(sql_records 2017-18) $(cli_ratings)" \
    "$(jq -r '.items[] | "\(.team.key) \(.wins) \(.losses) \(.playoffs.wins) \(.playoffs.losses)"' <<<"$body" | sort) $(api_ratings)"
  req "/api/v1/teams?sport=NBA&season=all&limit=100" "$TOKEN"
  check "all: every team, games over both seasons" "200 all 30 $(sql "SELECT COUNT(*) * 2 FROM games g WHERE status = 'final' AND playoff = 0 AND g.sport_id = (SELECT id FROM sports WHERE code = 'NBA')")" \
    "$status $(jf .season) $(jf .total) $(jf '[.items[].games] | add')"
}

# A league table where games can be drawn: the Premier League's 2023-24 season, whose final
# table is known (Manchester City 91 points, Arsenal 89, Liverpool 82; 20 clubs, 380 games).
test_points() {
  req "/api/v1/teams?sport=EPL&limit=100" "$TOKEN"
  check "EPL: 20 clubs of 2023-24, their points as the final table" "200 2023-24 20 91 89 82 380" \
    "$status $(jf .season) $(jf .total) $(jf '[.items[] | select(.team.name == "Manchester City", .team.name == "Arsenal", .team.name == "Liverpool") | .points] | sort | reverse | join(" ")') $(jf '[.items[].games] | add / 2')"
  check "  points are three a win and one a draw, everywhere" "true" "$(jf '[.items[] | .points == 3 * .wins + .draws] | all')"
  req "/api/v1/teams?sport=NBA&limit=1" "$TOKEN"
  check "  no points where games cannot be drawn" "null" "$(jf '.items[0].points')"
}

test_refusals() {
  req "/api/v1/teams" "$TOKEN"
  check "no sport: 400 on sport" "400 sport" "$status $(jf '.error.details[0].field')"
  req "/api/v1/teams?sport=XFL" "$TOKEN"
  check "an unknown sport: 400" 400 "$status"
  req "/api/v1/teams?sport=NBA&season=1999-00" "$TOKEN"
  check "a season without games: 404 saying so" "404 no finished NBA game in season 1999-00" "$status $(jf .error.message)"
  req "/api/v1/teams?sport=NHL" "$TOKEN"
  check "a sport without games: 404" 404 "$status"
  req "/api/v1/teams?sport=NBA&date=2018-13-01" "$TOKEN"
  check "a bad date: 400" 400 "$status"
  req "/api/v1/teams?sport=NBA&season=$(printf 'x%.0s' {1..17})" "$TOKEN"
  check "a season name too long: 400" 400 "$status"
  req "/api/v1/teams?sport=NBA"
  check "no token: 401" 401 "$status"
  req "/api/v1/teams/999999" "$TOKEN"
  check "an unknown team: 404" 404 "$status"
  req "/api/v1/teams/abc" "$TOKEN"
  check "a team id that is not a number: 400" 400 "$status"
  req "/api/v1/teams/1?games=501" "$TOKEN"
  check "more than 500 games: 400" 400 "$status"
  req "/api/v1/teams/1?date=2017-01-01" "$TOKEN"
  check "a team before any game: its starting rating, no games" "200 0 null" "$status $(jf '.games | length') $(jf .as_of)"
}

run_backend() {
  backend=$1
  "$APS_BIN" migrate > /dev/null || { check "migrate" 0 1; return; }
  if ! { "$APS_BIN" ingest sbr "$NBA/nba odds 2017-18.csv" "$NBA/nba odds 2018-19.csv" &&
    "$APS_BIN" ingest football-data "$EPL"; } > "$work/ingest.log" 2>&1; then
    check "ingest" 0 1
    cat "$work/ingest.log"
    return
  fi
  printf '%s\n' "$PASSWORD" | "$APS_BIN" user create --email "teams@example.com" --role user > /dev/null
  start_server
  req_body=$(curl -s -X POST -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"teams@example.com\",\"password\":\"$PASSWORD\"}" "http://127.0.0.1:$port/api/v1/auth/login")
  TOKEN=$(jq -r .access_token <<<"$req_body")
  check "login" 1 "$([ -n "$TOKEN" ] && [ "$TOKEN" != null ] && echo 1)"
  test_standings
  test_a_day_and_a_season
  test_points
  test_refusals
  stop_server
  # fitted parameters: the ratings move, and are still the CLI's
  "$APS_BIN" elo fit --sport NBA > "$work/fit.log" 2>&1 || { check "elo fit" 0 1; cat "$work/fit.log"; }
  start_server
  req "/api/v1/teams?sport=NBA&limit=100" "$TOKEN"
  check "fitted parameters: the ratings are the CLI's" "200 fitted $(cli_ratings)" "$status $(jf .parameters) $(api_ratings)"
  stop_server
}

export CACHE_TTL_DEFAULT=0 # each answer read anew: the refit above changes the ratings
export DATABASE_URL="sqlite:///$work/aps.db"
run_backend sqlite
psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" >/dev/null
export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
run_backend pg

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
