#!/usr/bin/env bash
# closing_rescheduled.sh — the closing line of a game is the last quote before the start it is
# played at. A live close captured at a game's original start stayed the game's close after ESPN
# postponed it and moved its start a day later: the books' price moved from 2.10 to 1.70 before
# the new start, the capture at the new start kept 2.10, and the pick and the bet on the game,
# graded on its score within the grace (POSTPONED_VOID_HOURS), took their closing line and CLV
# from the stale 2.10. A game postponed and never played showed the close of a start that never
# happened.
# The real paths: picks locked in by the predict job (`aps worker run predict`), bets placed from
# them over the API, ESPN's updates written into games as its collector writes them (status, a
# moved start_time, the score), the closing-line job (`aps worker run capture_closing`) and the
# grading job (`aps worker run grade`) with their clock moved (CLOCK_OFFSET_FILE), closing lines,
# CLV and results read back from the API. SQLite and PostgreSQL (APS_TEST_PG_URL;
# APS_TEST_PG_OPTIONAL=1 leaves PostgreSQL out).
# Needs: APS_BIN, curl, jq, sqlite3 (psql for PostgreSQL); helpers: lib/graded_games.sh.
set -uo pipefail
# shellcheck source=lib/graded_games.sh
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/graded_games.sh"
export MARGIN_METHOD=multiplicative

# quote GAME AT HOME AWAY — a live moneyline snapshot of the book, as the odds collector stores it
quote() {
  sql "INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line, price) VALUES
       ($1, 1, 'moneyline', 'home', 'live', $2, NULL, $3), ($1, 1, 'moneyline', 'away', 'live', $2, NULL, $4)" > /dev/null
}
# clv_of PRICE SIDE HOME AWAY — price CLV against a one-book close, multiplicative no-vig
clv_of() {
  awk -v d="$1" -v s="$2" -v h="$3" -v a="$4" \
    'BEGIN { p = (s == "home" ? 1 / h : 1 / a) / (1 / h + 1 / a); printf "%.4f", p * d - 1 }'
}
fmt4() { awk '{ if ($1 == "null" || $1 == "") print "null"; else printf "%.4f\n", $1 }'; }
# close_of GAME — "price@closed_at" of the game's home close, read from the API; "none" without one
close_of() {
  api GET "/api/v1/odds/$1/closing" |
    jq -r '[.items[] | select(.market == "moneyline" and .selection == "home")][0]
           | if . == null then "none" else "\(.price)@\(.closed_at)" end'
}

run_backend() {
  # Two games of the same match-up an hour from now, priced by one book: 2.10 home, 1.80 away.
  start=$(($(date +%s) + 3600))
  local g
  day=$(date -u -d "@$start" +%F)
  setup_store
  for g in 1 2; do
    sql "INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id, away_team_id, start_time,
           time_known, status, created_at, updated_at) VALUES (1, 1, '$day', $g, 1, 2, $start, 1, 'scheduled', 0, 0)" > /dev/null
    quote "$g" $(($(date +%s) - 60)) 2.10 1.80
  done
  "$APS_BIN" worker run predict --payload '{"sport":"NFL"}' > "$work/predict.out" 2>&1
  declare -A pick side
  for g in 1 2; do
    pick[$g]=$(sql "SELECT MIN(id) FROM predictions WHERE game_id = $g AND market = 'moneyline'")
    side[$g]=$(sql "SELECT selection FROM predictions WHERE id = ${pick[$g]:-0}")
  done
  check "the predict job locks in a moneyline pick for each game" 2 \
    "$(sql "SELECT COUNT(DISTINCT game_id) FROM predictions WHERE market = 'moneyline'")"

  sign_in
  local placed=0
  for g in 1 2; do
    [ "$(api POST /api/v1/betting/bets "{\"bankroll_id\":$br,\"prediction_id\":${pick[$g]},\"stake\":10}" | jq -r .result)" = pending ] &&
      placed=$((placed + 1))
  done
  check "a bet placed from each pick over the API" 2 "$placed"

  # The original start passes: the closing-line job captures 2.10 for both games.
  job_at capture_closing 60
  check "at the original start: game 1's close is 2.10 at that start" "2.1@$(date -u -d "@$start" +%FT%TZ)" "$(close_of 1)"

  # ESPN: both games postponed at their start; the closing-line job runs again.
  provider 1 postponed
  provider 2 postponed
  job_at capture_closing 120
  check "postponed: game 2 has no closing line (it has not started)" none "$(close_of 2)"
  # Game 1 rescheduled a day later; the book moves to 1.70 home, 2.20 away before the new start,
  # and to 1.30 / 3.40 in play ten minutes after it.
  local new=$((start + 86400))
  provider 1 scheduled "$new"
  quote 1 $((start + 3600)) 1.70 2.20
  check "rescheduled: game 1 has no closing line before its new start" none "$(close_of 1)"
  quote 1 $((new + 600)) 1.30 3.40
  job_at capture_closing $((86400 + 900))
  check "at the new start: game 1's close is the last quote before it, 1.70" \
    "1.7@$(date -u -d "@$new" +%FT%TZ)" "$(close_of 1)"

  # Game 1 played at its new start, within the grace: pick and bet graded on the score, their
  # closing line and CLV from the close at the new start.
  provider 1 final "$new" 24 21
  job_at grade $((30 * 3600))
  local pprice bprice want
  pprice=$(sql "SELECT price FROM predictions WHERE id = ${pick[1]}")
  bprice=$(sql "SELECT price FROM bets WHERE game_id = 1")
  want=$(clv_of "$pprice" "${side[1]}" 1.70 2.20)
  check "the pick's CLV (API) is against the close at the new start" "$want" \
    "$(api GET "/api/v1/predictions/${pick[1]}" | jq -r '.result.clv' | fmt4)"
  check "the pick's closing price is the new close" \
    "$([ "${side[1]}" = home ] && echo 1.7000 || echo 2.2000)" \
    "$(sql "SELECT closing_price FROM prediction_results WHERE prediction_id = ${pick[1]}" | fmt4)"
  local bet
  bet=$(api GET "/api/v1/betting/bets?limit=100" | jq -c '[.items[] | select(.game_id == 1)][0]')
  check "the bet's CLV (API) is against the close at the new start" "$(clv_of "$bprice" "${side[1]}" 1.70 2.20)" \
    "$(jq -r .clv <<< "$bet" | fmt4)"
  check "the bet's closing price (API) is the new close" \
    "$([ "${side[1]}" = home ] && echo 1.7000 || echo 2.2000)" "$(jq -r .closing_price <<< "$bet" | fmt4)"

  # Game 2 never played: void once the grace has passed, with no closing line and no CLV.
  job_at grade $((49 * 3600))
  check "never played: the pick is void without CLV" "void/null" \
    "$(api GET "/api/v1/predictions/${pick[2]}" | jq -r '"\(.result.result)/\(.result.clv)"')"
  check "never played: the bet is void without a closing price or CLV" "void/null/null" \
    "$(api GET "/api/v1/betting/bets?limit=100" |
      jq -r '[.items[] | select(.game_id == 2)][0] | "\(.result)/\(.closing_price)/\(.clv)"')"
  check "never played: no closing line" none "$(close_of 2)"

  # Game 3 is played and graded before any run of the closing-line job after its start (that job
  # runs every SCHEDULE_CLOSING_SECONDS, the grading job on its own period): the grading job
  # captures the close first, so the pick's CLV is measured (regression: null for good).
  local s3 pick3 side3
  s3=$(($(date +%s) + 3600))
  sql "INSERT INTO games (sport_id, season_id, game_date, game_no, home_team_id, away_team_id, start_time,
         time_known, status, created_at, updated_at)
       VALUES (1, 1, '$(date -u -d "@$s3" +%F)', 3, 1, 2, $s3, 1, 'scheduled', 0, 0)" > /dev/null
  quote 3 $(($(date +%s) - 30)) 2.10 1.80
  "$APS_BIN" worker run predict --payload '{"sport":"NFL"}' > "$work/predict.out" 2>&1
  pick3=$(sql "SELECT MIN(id) FROM predictions WHERE game_id = 3 AND market = 'moneyline'")
  side3=$(sql "SELECT selection FROM predictions WHERE id = ${pick3:-0}")
  provider 3 final "$s3" 24 21
  job_at grade $((50 * 3600))
  check "graded before the closing-line job ran: the grading job captured game 3's close first" \
    "2.1@$(date -u -d "@$s3" +%FT%TZ)" "$(close_of 3)"
  check "  and the pick's CLV is measured against it" \
    "$(clv_of "$(sql "SELECT price FROM predictions WHERE id = ${pick3:-0}")" "$side3" 2.10 1.80)" \
    "$(api GET "/api/v1/predictions/${pick3:-0}" | jq -r '.result.clv' | fmt4)"
  stop_api
}

run_backends
