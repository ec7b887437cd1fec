#!/usr/bin/env bash
# Fault: workers killed with SIGKILL over and over. 2,000 noop jobs (each sleeps 30 ms, then
# writes its one row) are enqueued, then two `aps worker` processes (four threads, a 2 s lease)
# run them; every 0.6 s one worker is killed with -9 and started again, ten kills in all. On two deployments: sqlite (store and queue in one SQLite file) and
# pg+redis (a PostgreSQL cluster and a Redis server of the test's own, the queue in Redis).
# Counted and printed: effects, lost, dead, re-runs (a job whose worker died after its effect
# and before its ack runs again and finds its row: at-least-once), duplicated effects. Must
# hold: 0 lost, 0 dead, 0 duplicated effects.
# Then a job killed on its last attempt, on PostgreSQL with the queue in the store and in
# Redis: an admin starts a training job through the API (POST /api/v1/models/train: three
# attempts); three workers in turn take it and are killed with -9 while they hold it; a fourth
# finds the lease expired on the last attempt and dead-letters it. Must hold: GET
# /api/v1/jobs/{id} reads "failed" with the reason (it used to read "running" for ever), the
# worker logs the job dead and counts it in aps_jobs_total{outcome="dead"}, and the dead letter
# is listed. Needs: APS_BIN, psql, pg 15, redis-server, jq, curl, an NBA season of the data
# directory (APS_DATA_DIR, or ../shared/data).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
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

# ---- a job killed on its last attempt ----------------------------------------------------------
# To hold the job in flight, the test locks the job's job_status row: a worker that claims it
# waits inside the job on its first status write ("running") until it is killed.
blocked() { fx_sql "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE job_status%'"; }
blocked_at_least() { [ "$(blocked)" -ge "$1" ]; }
none_blocked() { [ "$(blocked)" = 0 ]; }
job_state() { curl -s "$base/api/v1/jobs/$1" -H "Authorization: Bearer $admin" | jq -r .state; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }
last_attempt_case() { # store | redis
  local label=$1 db="aps_last_$1" id k
  DATABASE_URL=$pg_base fx_sql "CREATE DATABASE $db" > /dev/null
  export DATABASE_URL="${pg_base%/aps}/$db" REDIS_KEY_PREFIX=last
  if [ "$label" = redis ]; then export REDIS_URL="redis://127.0.0.1:$fx_redis_port/0"; else export REDIS_URL=; fi
  "$APS_BIN" migrate > /dev/null || { echo "FAIL: $label: migrate"; fail=$((fail + 1)); return; }
  # a season to train on (the api refuses to queue a training of a sport with no games)
  "$APS_BIN" ingest sbr "$DATA/sportsbookreview/nba/nba odds 2016-17.csv" --quiet > /dev/null ||
    { echo "FAIL: $label: ingest"; fail=$((fail + 1)); return; }
  fx_start "api_$label" "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 2
  base="http://127.0.0.1:$(fx_port "$work/api_$label.log")"
  admin=$(fx_api_user "$base" admin)
  id=$(curl -s -X POST "$base/api/v1/models/train" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' -d '{"sport":"NBA","market":"moneyline"}' | jq -r .id)
  check "$label: the training job is queued" queued "$(job_state "$id")"
  rm -f "$work/lock"
  mkfifo "$work/lock"
  PGOPTIONS="-c client_min_messages=warning" psql "$DATABASE_URL" -Atq < "$work/lock" > /dev/null &
  local lock_pid=$!
  exec 7> "$work/lock"
  echo "BEGIN; SELECT 1 FROM job_status WHERE job_id = '$id' FOR UPDATE;" >&7
  check_true "$label: the job's status row is locked" wait_until 10 sh -c "[ \"\$(PGOPTIONS='-c client_min_messages=warning' psql '$DATABASE_URL' -Atqc \"SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE 'SELECT 1 FROM job_status%'\")\" = 1 ]"
  for k in 1 2 3; do
    fx_start "last$k" env WORKER_LEASE_SECONDS=4 "$APS_BIN" worker --threads 1 --no-http
    check_true "$label: worker $k holds the job" wait_until 30 blocked_at_least "$k"
    eval "kill -9 \$pid_last$k; wait \$pid_last$k 2> /dev/null"
  done
  # Let the row go: the killed workers' status writes, queued on the lock, go through now.
  echo "COMMIT;" >&7
  exec 7>&-
  wait "$lock_pid"
  check_true "$label: the killed workers' writes are done" wait_until 10 none_blocked
  echo "fault_worker_kill: $label: before the fourth worker: $(curl -s "$base/api/v1/jobs/$id" -H "Authorization: Bearer $admin" | jq -c '{state, attempts}')"
  fx_start "last4" env WORKER_LEASE_SECONDS=4 "$APS_BIN" worker --threads 1 --port 0
  local wbase
  wbase="http://127.0.0.1:$(fx_port "$work/last4.log")"
  check_true "$label: the job reads failed" wait_until 30 job_is "$id" failed
  local job
  job=$(curl -s "$base/api/v1/jobs/$id" -H "Authorization: Bearer $admin")
  echo "fault_worker_kill: $label: after three kills -9: $(echo "$job" | jq -c '{state, attempts, error}')"
  check "$label: attempts" 3 "$(echo "$job" | jq -r .attempts)"
  check "$label: the reason" "lease expired on the last attempt (worker died or timed out)" "$(echo "$job" | jq -r .error)"
  check_true "$label: finished_at is set" test "$(echo "$job" | jq -r .finished_at)" != null
  check "$label: the worker logs it dead" 1 "$(grep '"msg":"job train dead"' "$work/last4.log" | grep -c "\"id\":\"$id\",\"attempt\":3,")"
  check "$label: counted dead" 1 "$(curl -s "$wbase/metrics" | grep '^aps_jobs_total{name="train",outcome="dead"}' | awk '{print $2}')"
  check "$label: a dead letter" 1 "$("$APS_BIN" worker dead list 2> /dev/null | grep -c '"name":"train"')"
  eval "kill -9 \$pid_last4 \$pid_api_$label; wait \$pid_last4 \$pid_api_$label 2> /dev/null"
}
last_attempt_case store
last_attempt_case redis
echo "fault_worker_kill: $pass passed, $fail failed"
[ "$fail" = 0 ]
