#!/usr/bin/env bash
# Faults of the scheduler, on two deployments: sqlite (the leader lock and the queue in one
# SQLite file) and pg+redis (a PostgreSQL cluster and a Redis server of the test's own).
#   leader SIGKILL  two `aps scheduler` processes (lock expiry 3 s, odds every 2 s for NBA); the
#                   leader is killed with -9; the other takes over within the expiry (plus a
#                   tick), and no odds slot is enqueued twice across both; the slot missed
#                   during the take-over is caught up by one run (its "missed" field), not lost;
#   clock jump      the surviving leader's clock (CLOCK_OFFSET_FILE) jumps one hour forward,
#                   then two hours back: forward, the odds task runs once, not 1,800 times (no
#                   flood); back, it keeps running every period at once instead of waiting an
#                   hour for the clock to reach its last run (no stall).
# Counted and printed: take-over time, odds runs in each phase, duplicated slots.
# Needs: APS_BIN, psql, pg 15, redis-server, jq.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
# shellcheck source=lib/faults.sh
source "$SRC/tests/integration/lib/faults.sh"
trap fx_cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=INFO APS_MIGRATIONS_DIR="$SRC/migrations"
export SPORTS=NBA SCHEDULE_ODDS_SECONDS=2 SCHEDULER_LOCK_TTL_MS=3000 CLOCK_OFFSET_FILE="$work/clock"
fx_pg_init
fx_redis_init
pg_base=$DATABASE_URL

odds_runs() { cat "$work"/s*.log | grep '"msg":"scheduled collect_odds"' | jq -r "select(.ts >= \"$1\") | .slot" | wc -l; }
iso_now() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }
run_case() { # sqlite | pg+redis
  local label=$1
  echo 0 > "$work/clock"
  if [ "$label" = sqlite ]; then
    export DATABASE_URL="sqlite:///$work/aps.db" REDIS_URL=
  else
    DATABASE_URL=$pg_base fx_sql "CREATE DATABASE aps_sched" > /dev/null
    export DATABASE_URL="${pg_base%/aps}/aps_sched" REDIS_URL="redis://127.0.0.1:$fx_redis_port/0" REDIS_KEY_PREFIX=sched
  fi
  "$APS_BIN" migrate > /dev/null || { echo "FAIL: $label: migrate"; fail=$((fail + 1)); return; }
  fx_start s1 "$APS_BIN" scheduler
  wait_until 10 grep -q '"msg":"scheduler: leader"' "$work/s1.log"
  fx_start s2 "$APS_BIN" scheduler
  sleep 5
  # ---- leader SIGKILL
  kill -9 "$pid_s1"; wait "$pid_s1" 2> /dev/null
  local t_kill; t_kill=$(date +%s.%N)
  wait_until 10 grep -q '"msg":"scheduler: leader"' "$work/s2.log"
  local takeover; takeover=$(printf "%.2f" "$(echo "$(date +%s.%N) - $t_kill" | bc)")
  sleep 4
  local dupes; dupes=$(cat "$work"/s*.log | grep '"msg":"scheduled collect_odds"' | jq -r .slot | sort | uniq -d | wc -l)
  local first_after; first_after=$(grep '"msg":"scheduled collect_odds"' "$work/s2.log" | head -1)
  echo "fault_scheduler: $label: leader killed -9: take-over in ${takeover} s (lock expiry 3 s); duplicated odds slots $dupes; first run of the new leader stands for $(echo "$first_after" | jq -r .missed) missed slot(s)"
  check_true "$label: take-over within the lock's expiry plus a tick (${takeover} s)" [ "$(echo "$takeover <= 4.5" | bc)" = 1 ]
  check "$label: no odds slot enqueued twice" 0 "$dupes"
  # ---- clock one hour forward
  local mark; mark=$(iso_now)
  echo 3600 > "$work/clock"
  sleep 3
  local fwd; fwd=$(odds_runs "$mark")
  # ---- clock two hours back (one hour behind the real time, one hour behind the last run)
  mark=$(iso_now)
  echo -3600 > "$work/clock"
  sleep 6.5
  local back; back=$(odds_runs "$mark")
  echo "fault_scheduler: $label: clock +1 h: $fwd odds run(s) in 3 s (period 2 s: the hour's 1,800 slots caught up as one); clock -2 h: $back odds run(s) in 6.5 s"
  check_true "$label: no flood after the clock jumped forward ($fwd runs in 3 s)" [ "$fwd" -ge 1 -a "$fwd" -le 3 ]
  check_true "$label: no stall after the clock jumped back ($back runs in 6.5 s)" [ "$back" -ge 3 -a "$back" -le 5 ]
  check "$label: the jump back is logged" 1 "$(grep -c '"msg":"clock went back behind the last run of odds' "$work/s2.log")"
  kill -TERM "$pid_s2"; wait "$pid_s2" 2> /dev/null
  fx_pids=()
  rm -f "$work"/s*.log
}
run_case sqlite
run_case pg+redis
echo "fault_scheduler: $pass passed, $fail failed"
[ "$fail" = 0 ]
