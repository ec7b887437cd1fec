#!/usr/bin/env bash
# /metrics answers the same on every port that serves it: the api's and a worker's. Real
# `aps api` and `aps worker` processes on a SQLite store, started three times:
#   - default settings: 200 with the process's own families;
#   - METRICS_ENABLED=false: 404 NOT_FOUND on both;
#   - METRICS_ALLOW_CIDRS that leaves out loopback: 403 FORBIDDEN on both, and 200 again once
#     loopback is in the list.
# Needs: APS_BIN, curl, jq.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
for t in curl jq; do command -v $t >/dev/null || { echo "FAIL: $t is required"; exit 1; }; done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
unset METRICS_ENABLED METRICS_ALLOW_CIDRS REDIS_URL
export ENVIRONMENT=development DATABASE_URL="sqlite:///$work/aps.db"
export JWT_SECRET="metrics-gate-integration-secret-0123456789"
export SCHEDULE_ODDS_SECONDS=0 SCHEDULE_SCHEDULE_SECONDS=0 SCHEDULE_SCORES_SECONDS=0
export SCHEDULE_SCORES_LIVE_SECONDS=0 SCHEDULE_WEATHER_SECONDS=0
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}
# start NAME ARGS...: `aps ARGS` logging to NAME.log; waits for "listening" and sets port_NAME.
start() {
  local name=$1; shift
  "$APS_BIN" "$@" > "$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    if grep -q '"msg":"listening"' "$name.log" 2>/dev/null; then
      eval "port_$name=$(grep -o '"port":[0-9]*' "$name.log" | head -1 | cut -d: -f2)"
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL: $name did not start"; cat "$name.log"; exit 1
}
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
scrape() { # port → "status error-code-or-family-count"
  local code
  code=$(curl -s -o body -w '%{http_code}' "http://127.0.0.1:$1/metrics")
  if [ "$code" = 200 ]; then echo "$code $(grep -c '^# TYPE aps_' body)"; else echo "$code $(jq -r .error.code body)"; fi
}
# round LABEL: starts both processes with the environment as it is and scrapes each.
round() {
  start api api --host 127.0.0.1 --port 0 --threads 1
  start worker worker --port 0 --threads 1
  api_answer=$(scrape "$port_api")
  worker_answer=$(scrape "$port_worker")
  stop_all
}

"$APS_BIN" migrate > /dev/null

round
check "api /metrics by default" 200 "${api_answer% *}"
check "worker /metrics by default" 200 "${worker_answer% *}"
[ "${worker_answer#* }" -gt 0 ] && check "worker renders its families" 1 1 || check "worker renders its families" 1 0
grep -q '^# TYPE aps_worker_jobs_running gauge' body && check "worker's own gauge is there" 1 1 || check "worker's own gauge is there" 1 0

export METRICS_ENABLED=false
round
check "api /metrics with METRICS_ENABLED=false" "404 NOT_FOUND" "$api_answer"
check "worker /metrics with METRICS_ENABLED=false" "404 NOT_FOUND" "$worker_answer"
unset METRICS_ENABLED

export METRICS_ALLOW_CIDRS=10.0.0.0/8,192.0.2.0/24
round
check "api /metrics from outside METRICS_ALLOW_CIDRS" "403 FORBIDDEN" "$api_answer"
check "worker /metrics from outside METRICS_ALLOW_CIDRS" "403 FORBIDDEN" "$worker_answer"

export METRICS_ALLOW_CIDRS=10.0.0.0/8,127.0.0.0/8,::1/128
round
check "api /metrics from inside METRICS_ALLOW_CIDRS" 200 "${api_answer% *}"
check "worker /metrics from inside METRICS_ALLOW_CIDRS" 200 "${worker_answer% *}"

echo "metrics_gate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
