#!/usr/bin/env bash
# grade_isolation.sh — one pick or one game's bets that cannot be graded hold up nobody else.
# The grading job graded every pick in one transaction and settled bets game by game, stopping
# at the first game that failed: a single pick whose result could not be written rolled back
# every pick and left every bet of every user pending, and a game whose bets could not be
# settled left the bets of every later game pending, run after run.
# Faults are injected by the store itself (a trigger that refuses one pick's result, another
# that refuses the settlement of one game's bets), on the real paths: picks locked in by the
# predict job, bets placed over the API, the grading job (`aps worker run grade`). The run with
# faults must fail (so the queue retries it) and name what failed, grade and settle everything
# else, and the run after the faults are gone settles the rest once: no payout twice.
# SQLite and PostgreSQL (APS_TEST_PG_URL; APS_TEST_PG_OPTIONAL=1 leaves PostgreSQL out).
# Needs: APS_BIN, curl, jq, sqlite3 (psql for PostgreSQL); helpers: lib/graded_games.sh.
set -uo pipefail
# shellcheck source=lib/graded_games.sh
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/graded_games.sh"

inject_faults() { # PICK GAME: refuse the pick's result and the settlement of the game's bets
  if [ "$backend" = sqlite ]; then
    sql "CREATE TRIGGER refuse_pick BEFORE INSERT ON prediction_results WHEN NEW.prediction_id = $1
           BEGIN SELECT RAISE(ABORT, 'injected fault: this result cannot be written'); END;
         CREATE TRIGGER refuse_bets BEFORE UPDATE ON bets WHEN NEW.game_id = $2
           BEGIN SELECT RAISE(ABORT, 'injected fault: this bet cannot be settled'); END;" > /dev/null
  else
    sql "CREATE FUNCTION refuse() RETURNS trigger AS \$\$ BEGIN RAISE EXCEPTION 'injected fault'; END \$\$ LANGUAGE plpgsql;
         CREATE TRIGGER refuse_pick BEFORE INSERT ON prediction_results FOR EACH ROW
           WHEN (NEW.prediction_id = $1) EXECUTE FUNCTION refuse();
         CREATE TRIGGER refuse_bets BEFORE UPDATE ON bets FOR EACH ROW
           WHEN (NEW.game_id = $2) EXECUTE FUNCTION refuse();" > /dev/null
  fi
}
remove_faults() {
  if [ "$backend" = sqlite ]; then
    sql "DROP TRIGGER refuse_pick; DROP TRIGGER refuse_bets;" > /dev/null
  else
    sql "DROP TRIGGER refuse_pick ON prediction_results; DROP TRIGGER refuse_bets ON bets;" > /dev/null
  fi
}

run_backend() {
  # four games of one match-up an hour from now, a pick of each and a bet from it
  picked_games 4
  bet_each 4

  # All four won by the home side; game 2's bets cannot be settled and game 3's pick cannot be graded.
  for g in 1 2 3 4; do provider "$g" final "$start" 24 17; done
  inject_faults "${pick_of[3]}" 2
  echo $((start + 4 * 3600 - $(date +%s))) > "$CLOCK_OFFSET_FILE"
  "$APS_BIN" worker run grade > "$work/grade.out" 2>&1
  local status=$?
  rm -f "$CLOCK_OFFSET_FILE"
  check "the run with faults fails, so that the queue runs it again" 1 "$([ "$status" -ne 0 ] && echo 1 || echo 0)"
  check "  and says which pick and how many games' bets failed" "1 1" \
    "$(grep -c "1 of 4 picks not graded; pick ${pick_of[3]} (game 3)" "$work/grade.out") $(grep -c 'the bets of 1 of 4 games not settled; game 2' "$work/grade.out")"
  check "game 1: pick and bet settled" "win/win" "$(outcome 1)"
  check "game 2 (its bets refused): pick graded, bet pending" "win/pending" "$(outcome 2)"
  check "game 3 (its pick refused): pick pending, bet settled" "pending/win" "$(outcome 3)"
  check "game 4, after both: pick and bet settled" "win/win" "$(outcome 4)"

  remove_faults
  job_at grade $((5 * 3600))
  check "the next run, faults gone: game 2's bet and game 3's pick settled" "win/win win/win" "$(outcome 2) $(outcome 3)"
  check "every pick graded once" "4 4" \
    "$(sql "SELECT COUNT(*) FROM prediction_results") $(sql "SELECT COUNT(DISTINCT prediction_id) FROM prediction_results")"
  local price
  price=$(sql "SELECT price FROM predictions WHERE id = ${pick_of[1]}")
  check "the bankroll: 1000 − 4 × 10 staked + four wins paid once each" \
    "$(awk -v p="$price" 'BEGIN{printf "%.2f", 960 + 4 * 10 * p}')" \
    "$(api GET /api/v1/betting/bankrolls | jq -r --argjson b "$br" '.items[] | select(.id == $b) | .current_amount' |
      awk '{printf "%.2f", $1}')"
  stop_api
}

run_backends
