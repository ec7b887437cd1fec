#!/usr/bin/env bash
# Fault: Redis stopped for 20 s (FAULT_OUTAGE_SECONDS) under a steady job stream and api load;
# the store on a PostgreSQL cluster of the test's own, the job queue, cache and rate limits in a
# Redis server of the test's own (append-only file, like the deployment's). `aps api`, two
# `aps worker` processes, a producer enqueuing a noop job every 100 ms (while Redis is down the
# enqueue fails with a clear message and the producer retries the same key), and 100 signed-in
# reads per second. Counted and printed: jobs enqueued, enqueues refused, effects, lost,
# duplicated, dead; api answers by status. Must hold: every job enqueued before and during the
# outage runs once afterwards (0 lost, 0 duplicated, 0 dead); every api answer is 200 (rate
# limits and the cache fall back to the process); readiness stays 200 while /health/detailed
# says "degraded"; the api logs the loss and the regain of Redis once each and counts them;
# each worker logs the unreachable queue once.
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
export API_SHUTDOWN_DELAY_SECONDS=0 API_DRAIN_SECONDS=2 WORKER_DRAIN_SECONDS=2 REDIS_KEY_PREFIX=fault
fx_pg_init
fx_redis_init
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
fx_start api "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 4
fx_start w1 "$APS_BIN" worker --threads 2 --port 0
fx_start w2 "$APS_BIN" worker --threads 2 --port 0
base="http://127.0.0.1:$(fx_port "$work/api.log")"
wbase="http://127.0.0.1:$(fx_port "$work/w1.log")"
token=$(fx_api_user "$base")
admin=$(fx_api_user "$base" admin)
[ -n "$token" ] && [ "$token" != null ] || { echo "FAIL: sign-in"; exit 1; }
python3 "$FX_LIB/load.py" "$base/api/v1/betting/bankrolls" --token "$token" --threads 4 --rate 100 \
  --out "$work/load.txt" --stop "$work/stop-load" > "$work/load.json" &
load_pid=$!
fx_stream_start r 10 300
sleep 5
fx_redis_stop
t_down=$(date +%s.%N)
sleep 3
check "readiness during the Redis outage" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/health/ready")"
check "/health/detailed: degraded" degraded "$(curl -s -H "Authorization: Bearer $admin" "$base/api/v1/health/detailed" | jq -r .status)"
check "redis down in the metrics" 0 "$(curl -s "$base/metrics" | grep '^aps_dependency_up{dependency="redis"}' | awk '{print $2}')"
check "worker health during the outage" 503 "$(curl -s -o /dev/null -w '%{http_code}' "$wbase/health")"
sleep "$(echo "$OUTAGE - ($(date +%s.%N) - $t_down)" | bc)"
fx_redis_start
sleep 5
fx_stream_stop
enq=$(cat "$work/stream-r.count")
refused=$(cat "$work/stream-r.failed")
wait_until 90 sh -c "[ \"\$(PGOPTIONS='-c client_min_messages=warning' psql '$DATABASE_URL' -Atqc \"SELECT COUNT(*) FROM schedule_runs WHERE task LIKE 'noop:r-%'\")\" -ge $enq ]"
touch "$work/stop-load"
wait "$load_pid"
eff=$(fx_effects r); dup=$(fx_dups); dead=$(fx_dead); lost=$((enq - eff))
statuses=$(cat "$work/load.json")
non200=$(echo "$statuses" | jq '[to_entries[] | select(.key != "200") | .value] | add // 0')
echo "fault_redis_outage: outage ${OUTAGE} s: jobs enqueued $enq (enqueues refused during the outage and retried: $refused), effects $eff, lost $lost, duplicated $dup, dead $dead; api answers $statuses"
check "jobs lost" 0 "$lost"
check "jobs duplicated" 0 "$dup"
check "jobs dead" 0 "$dead"
check "api answers other than 200" 0 "$non200"
check_true "enqueue failed clearly during the outage" grep -q "enqueue failed" "$work/stream-r.err"
check "api logs the loss of Redis once" 1 "$(grep -c '"msg":"dependency redis is unreachable' "$work/api.log")"
check "api logs the regain of Redis once" 1 "$(grep -c '"msg":"dependency redis is back' "$work/api.log")"
check "the loss is counted" 1 "$(curl -s "$base/metrics" | grep '^aps_dependency_changes_total{dependency="redis",state="down"}' | awk '{print $2}')"
check "readiness after the outage" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/health/ready")"
for w in w1 w2; do
  check "$w logs the loss of Redis once" 1 "$(grep -c '"msg":"dependency redis is unreachable' "$work/$w.log")"
  check_true "$w logs the unreachable queue at most once" [ "$(grep -c '"msg":"job queue unreachable' "$work/$w.log")" -le 1 ]
done
echo "fault_redis_outage: $pass passed, $fail failed"
[ "$fail" = 0 ]
