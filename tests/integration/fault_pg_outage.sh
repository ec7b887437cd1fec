#!/usr/bin/env bash
# Fault: PostgreSQL stopped for FAULT_OUTAGE_SECONDS (default 20) under a steady job stream and
# api load, on two deployments over a PostgreSQL cluster of the test's own:
#   redis   the store on PostgreSQL, the job queue in Redis Streams;
#   store   the store and the job queue both on PostgreSQL (no Redis).
# `aps api`, two `aps worker` processes (2 threads each), a producer enqueuing a noop job every
# 100 ms (each sleeps 300 ms, then writes its one row; an enqueue that fails is retried with the
# same key), and 100 signed-in reads per second. Counted and printed per deployment: jobs
# enqueued, effects, lost, duplicated, dead-lettered; api answers by status. Must hold: 0 lost,
# 0 duplicated, 0 dead; the api answers only 200 or a clean 503 (never a cut connection or
# another 5xx); readiness is 503 during the outage and liveness 200; the api is back to 200
# within 1 s of the database answering; each process logs the loss once (ERROR) and the regain
# once (WARNING); aps_dependency_changes_total counts them; the worker's /health shows it.
# fault_pg_outage_long.sh runs the same with a 90 s outage.
# Needs: APS_BIN, psql, pg 15 binaries, redis-server, python3, jq, curl, bc.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
OUTAGE=${FAULT_OUTAGE_SECONDS:-20}
work=$(mktemp -d)
# shellcheck source=lib/faults.sh
source "$SRC/tests/integration/lib/faults.sh"
trap fx_cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=INFO APS_MIGRATIONS_DIR="$SRC/migrations"
export WORKER_LEASE_SECONDS=10 QUEUE_RETRY_BASE_MS=500 RATE_LIMIT_PER_MIN=1000000
export API_SHUTDOWN_DELAY_SECONDS=0 API_DRAIN_SECONDS=2 WORKER_DRAIN_SECONDS=2
fx_pg_init
fx_redis_init
pg_base=$DATABASE_URL

# The first time at or after T (unix seconds) from which every answer in FILE is 200, minus T.
recovery() { awk -v t="$2" '$1 >= t && $2 != 200 { last = $1 } END { printf "%.2f", (last ? last - t : 0) }' "$1"; }
logged() { grep -c "$2" "$work/$1.log"; } # NAME REGEX — lines of that process's log

run_case() { # LABEL (redis|store)
  local label=$1
  fx_sql "CREATE DATABASE aps_$label" > /dev/null
  export DATABASE_URL="${pg_base%/aps}/aps_$label"
  if [ "$label" = redis ]; then export REDIS_URL="redis://127.0.0.1:$fx_redis_port/0" REDIS_KEY_PREFIX=fault; else export REDIS_URL=; fi
  "$APS_BIN" migrate > /dev/null || { echo "FAIL: $label: migrate"; fail=$((fail + 1)); return; }
  fx_start api "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 4
  fx_start w1 "$APS_BIN" worker --threads 2 --port 0
  fx_start w2 "$APS_BIN" worker --threads 2 --port 0
  local base wbase token
  base="http://127.0.0.1:$(fx_port "$work/api.log")"
  wbase="http://127.0.0.1:$(fx_port "$work/w1.log")"
  token=$(fx_api_user "$base")
  [ -n "$token" ] && [ "$token" != null ] || { echo "FAIL: $label: sign-in"; fail=$((fail + 1)); return; }
  rm -f "$work/stop-load"
  python3 "$FX_LIB/load.py" "$base/api/v1/betting/bankrolls" --token "$token" --threads 4 --rate 100 \
    --out "$work/load-$label.txt" --stop "$work/stop-load" > "$work/load-$label.json" &
  local load_pid=$!
  fx_stream_start "$label" 10 300
  sleep 5
  fx_pg_stop
  local t_down; t_down=$(date +%s.%N)
  sleep 3
  check "$label: readiness during the outage" 503 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/health/ready")"
  check "$label: liveness during the outage" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/health/live")"
  local wh; wh=$(curl -s "$wbase/health")
  check "$label: worker health says the database is down" false "$(echo "$wh" | jq -r .database_reachable)"
  check "$label: worker health: claiming paused" false "$(echo "$wh" | jq -r .claiming)"
  sleep "$(echo "$OUTAGE - 3 - ($(date +%s.%N) - $t_down)" | bc)"
  fx_pg_start
  local t_up; t_up=$(date +%s.%N)
  sleep 5
  fx_stream_stop
  local enq; enq=$(cat "$work/stream-$label.count")
  wait_until 90 sh -c "[ \"\$(PGOPTIONS='-c client_min_messages=warning' psql '$DATABASE_URL' -Atqc \"SELECT COUNT(*) FROM schedule_runs WHERE task LIKE 'noop:$label-%'\")\" -ge $enq ]"
  touch "$work/stop-load"
  wait "$load_pid"
  local eff dup dead lost rec
  eff=$(fx_effects "$label"); dup=$(fx_dups); dead=$(fx_dead); lost=$((enq - eff))
  rec=$(recovery "$work/load-$label.txt" "$t_up")
  local statuses; statuses=$(cat "$work/load-$label.json")
  local other; other=$(echo "$statuses" | jq '[to_entries[] | select(.key != "200" and .key != "503") | .value] | add // 0')
  echo "fault_pg_outage: $label: outage ${OUTAGE} s: jobs enqueued $enq, effects $eff, lost $lost, duplicated $dup, dead $dead; enqueue retries $(cat "$work/stream-$label.failed"); api answers $statuses (other than 200/503: $other); api back to 200 ${rec} s after the database"
  check "$label: jobs lost" 0 "$lost"
  check "$label: jobs duplicated" 0 "$dup"
  check "$label: jobs dead" 0 "$dead"
  check "$label: api answers other than 200/503" 0 "$other"
  check_true "$label: api back within 1 s (${rec} s)" [ "$(echo "$rec <= 1.0" | bc)" = 1 ]
  for p in api w1 w2; do
    check "$label: $p logs the loss once" 1 "$(logged $p '"msg":"dependency database is unreachable')"
    check "$label: $p logs the regain once" 1 "$(logged $p '"msg":"dependency database is back')"
  done
  check "$label: the loss is counted" 1 "$(curl -s "$base/metrics" | grep '^aps_dependency_changes_total{dependency="database",state="down"}' | awk '{print $2}')"
  check "$label: workers requeue, not fail, runs cut by the outage" 0 "$(cat "$work"/w*.log | grep '"job":"noop"' | grep -c '"outcome":"retry"\|"outcome":"dead"')"
  kill -TERM "$pid_api" "$pid_w1" "$pid_w2"
  wait "$pid_api" "$pid_w1" "$pid_w2" 2> /dev/null
  fx_pids=()
  mkdir -p "$work/$label"; mv "$work"/api.log "$work"/w1.log "$work"/w2.log "$work/$label/"
}

run_case redis
run_case store
echo "fault_pg_outage: $pass passed, $fail failed"
[ "$fail" = 0 ]
