#!/usr/bin/env bash
# Fault: workers killed with SIGKILL over and over. 2,000 noop jobs (each sleeps 30 ms, then
# writes its one row) are enqueued, then two `aps worker` processes (four threads, a 2 s lease)
# run them; every 0.6 s one worker is killed with -9 and started again, ten kills in all. On two deployments: sqlite (store and queue in one SQLite file) and
# pg+redis (a PostgreSQL cluster and a Redis server of the test's own, the queue in Redis).
# Counted and printed: effects, lost, dead, re-runs (a job whose worker died after its effect
# and before its ack runs again and finds its row: at-least-once), duplicated effects. Must
# hold: 0 lost, 0 dead, 0 duplicated effects. Needs: APS_BIN, psql, pg 15, redis-server, jq.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
JOBS=${FAULT_JOBS:-2000} KILLS=${FAULT_KILLS:-10}
work=$(mktemp -d)
# shellcheck source=lib/faults.sh
source "$SRC/tests/integration/lib/faults.sh"
trap fx_cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=INFO APS_MIGRATIONS_DIR="$SRC/migrations"
export WORKER_LEASE_SECONDS=2 QUEUE_RETRY_BASE_MS=200 WORKER_DRAIN_SECONDS=1
fx_pg_init
fx_redis_init
pg_base=$DATABASE_URL

effects() {
  if [ "$1" = sqlite ]; then sqlite3 "$work/aps.db" "SELECT COUNT(*) FROM schedule_runs WHERE task LIKE 'noop:k-%'"
  else fx_sql "SELECT COUNT(*) FROM schedule_runs WHERE task LIKE 'noop:k-%'"; fi
}
run_case() { # sqlite | pg+redis
  local label=$1
  if [ "$label" = sqlite ]; then
    export DATABASE_URL="sqlite:///$work/aps.db" REDIS_URL=
  else
    DATABASE_URL=$pg_base fx_sql "CREATE DATABASE aps_kill" > /dev/null
    export DATABASE_URL="${pg_base%/aps}/aps_kill" REDIS_URL="redis://127.0.0.1:$fx_redis_port/0" REDIS_KEY_PREFIX=kill
  fi
  "$APS_BIN" migrate > /dev/null || { echo "FAIL: $label: migrate"; fail=$((fail + 1)); return; }
  local t0; t0=$(date +%s)
  "$APS_BIN" worker enqueue noop --payload '{"sleep_ms":30,"mark":"k-{n}"}' --key 'k-{n}' \
    --count "$JOBS" > "$work/enqueue.out" 2> "$work/enqueue.err"
  fx_start w1 "$APS_BIN" worker --threads 4 --no-http
  fx_start w2 "$APS_BIN" worker --threads 4 --no-http
  local kills=0
  while [ "$kills" -lt "$KILLS" ]; do
    sleep 0.6
    local victim=$((RANDOM % 2 + 1))
    eval "kill -9 \$pid_w$victim; wait \$pid_w$victim 2> /dev/null"
    kills=$((kills + 1))
    cat "$work/w$victim.log" >> "$work/w-killed.log"
    fx_start "w$victim" "$APS_BIN" worker --threads 4 --no-http
  done
  for _ in $(seq 600); do [ "$(effects "$label")" -ge "$JOBS" ] && break; sleep 0.2; done
  local eff rerun dead
  eff=$(effects "$label")
  rerun=$(cat "$work"/w*.log | grep '"job":"noop"' | grep -c '"mark":"existed"')
  dead=$(fx_dead)
  local dupl=0 # a row per mark: the table's key makes a second effect impossible; count anyway
  if [ "$label" = sqlite ]; then dupl=$(sqlite3 "$work/aps.db" "SELECT COUNT(*) - COUNT(DISTINCT task) FROM schedule_runs WHERE task LIKE 'noop:k-%'")
  else dupl=$(fx_sql "SELECT COUNT(*) - COUNT(DISTINCT task) FROM schedule_runs WHERE task LIKE 'noop:k-%'"); fi
  echo "fault_worker_kill: $label: $JOBS jobs, $kills kills -9 in $(( $(date +%s) - t0 )) s: effects $eff, lost $((JOBS - eff)), dead $dead, re-runs after a kill $rerun, duplicated effects $dupl"
  check "$label: every job enqueued" "$JOBS" "$(jq -r .enqueued "$work/enqueue.out")"
  check "$label: jobs lost" 0 "$((JOBS - eff))"
  check "$label: jobs dead" 0 "$dead"
  check "$label: duplicated effects" 0 "$dupl"
  kill -TERM "$pid_w1" "$pid_w2"; wait "$pid_w1" "$pid_w2" 2> /dev/null
  fx_pids=()
  rm -f "$work"/w*.log
}
run_case sqlite
run_case pg+redis
echo "fault_worker_kill: $pass passed, $fail failed"
[ "$fail" = 0 ]
