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
# read back from the API. SQLite and PostgreSQL (APS_TEST_PG_URL; APS_TEST_PG_OPTIONAL=1 leaves
# PostgreSQL out).
# Needs: APS_BIN, curl, jq, sqlite3 (psql for PostgreSQL); helpers: lib/graded_games.sh.
set -uo pipefail
# shellcheck source=lib/graded_games.sh
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/graded_games.sh"

# grade_at HOURS — the grading job as it runs HOURS after the games' original start
grade_at() { job_at grade $(($1 * 3600)); }

run_backend() {
  # five games of one match-up an hour from now, a pick of each and a bet from it
  picked_games 5
  bet_each 5
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

run_backends
