#!/usr/bin/env bash
# Fault: Redis restarted without its data (shut down with `shutdown nosave`, its folder emptied,
# started again) while every thread of a worker holds a job. The store is SQLite, the queue in a
# Redis server of the test's own. Before, the worker's acks met NOGROUP (the consumer group went
# with the data) and were retried every 0.5 s forever, without a log line: no job ran again,
# /health said ok and aps_worker_jobs_running stayed up. Must hold: the worker makes the group
# again by itself and says so once (log line, aps_queue_group_lost_total); the two jobs it held
# finish with their effect once, each logged as found gone from the queue and counted in
# aps_queue_vanished_total; a job enqueued after the restart runs; afterwards nothing is running
# or unsettled and /health is ok. Needs: APS_BIN, redis-server, sqlite3, jq, curl.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
# shellcheck source=lib/faults.sh
source "$SRC/tests/integration/lib/faults.sh"
trap fx_cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=INFO APS_MIGRATIONS_DIR="$SRC/migrations"
export DATABASE_URL="sqlite:///$work/aps.db" REDIS_KEY_PREFIX=loss
export WORKER_LEASE_SECONDS=10 WORKER_DRAIN_SECONDS=2 QUEUE_RETRY_BASE_MS=200
fx_redis_init
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
rcli() { redis-cli -p "$fx_redis_port" "$@"; }
effect() { sqlite3 "$work/aps.db" "SELECT COUNT(*) FROM schedule_runs WHERE task = 'noop:$1'"; }
metric() { curl -s "$wbase/metrics" | grep "^$1" | awk '{print $2}'; }

fx_start w "$APS_BIN" worker --threads 2 --port 0
wbase="http://127.0.0.1:$(fx_port "$work/w.log")"
for i in 1 2; do
  "$APS_BIN" worker enqueue noop --payload "{\"sleep_ms\":6000,\"mark\":\"held-$i\"}" > /dev/null
done
check_true "both threads hold a job" wait_until 20 sh -c "[ \"\$(redis-cli -p $fx_redis_port xpending loss:jobs workers | head -1)\" = 2 ]"

# The restart without data.
fx_redis_stop
rm -rf "${work:?}/redis"/*
fx_redis_start
check "the queue's keys are gone" 0 "$(rcli exists loss:jobs)"
# The worker's next lease renewal or ack meets NOGROUP and makes the group (a CLI enqueue now
# would make it first, at its open, and the worker would see only its jobs gone).
check_true "the worker makes the group again" wait_until 30 grep -q '"msg":"job queue: Redis had lost its consumer group' "$work/w.log"
check_true "the held jobs finish" wait_until 30 sh -c "[ \"\$(sqlite3 '$work/aps.db' \"SELECT COUNT(*) FROM schedule_runs WHERE task LIKE 'noop:held-%'\")\" = 2 ]"
check_true "their results are settled: nothing running" wait_until 10 sh -c "curl -s $wbase/metrics | grep -qx 'aps_worker_jobs_running 0'"
"$APS_BIN" worker enqueue noop --payload '{"mark":"after"}' > /dev/null
check_true "the job enqueued after the restart runs" wait_until 30 sh -c "[ \"\$(sqlite3 '$work/aps.db' \"SELECT COUNT(*) FROM schedule_runs WHERE task = 'noop:after'\")\" = 1 ]"
check "held-1: one effect" 1 "$(effect held-1)"
check "held-2: one effect" 1 "$(effect held-2)"
check "the group exists again" workers "$(rcli xinfo groups loss:jobs | sed -n 2p)"
check "nothing pending" 0 "$(rcli xpending loss:jobs workers | head -1)"
check "the loss is logged once" 1 "$(grep -c '"msg":"job queue: Redis had lost its consumer group' "$work/w.log")"
check "each held job is logged as gone from the queue" 2 "$(grep '"msg":"job noop ok"' "$work/w.log" | grep -c '"mark":"written","vanished":true')"
check "the loss is counted" 1 "$(metric aps_queue_group_lost_total)"
check "the vanished jobs are counted" 2 "$(metric 'aps_queue_vanished_total{name="noop"}')"
check "nothing running" 0 "$(metric aps_worker_jobs_running)"
check "nothing unsettled" 0 "$(metric aps_worker_jobs_unsettled)"
health=$(curl -s "$wbase/health")
check "/health ok" ok "$(echo "$health" | jq -r .status)"
check "/health: nothing unsettled" 0 "$(echo "$health" | jq -r .unsettled)"
check "/health: nothing ready" 0 "$(echo "$health" | jq -r .depth.ready)"
# shellcheck disable=SC2154 # pid_w: set by fx_start
check_true "the worker is still running" kill -0 "$pid_w"
echo "fault_redis_data_loss: $pass passed, $fail failed"
[ "$fail" = 0 ]
