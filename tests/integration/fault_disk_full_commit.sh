#!/usr/bin/env bash
# Fault: the disk of the SQLite store fills up while jobs run, so that their writes fail at the
# commit. The store and its queue live on a small tmpfs (mounted here: needs root); `aps worker`
# (three threads) takes three noop jobs that each sleep 3 s and then write their row
# (schedule_runs noop:<mark>, an INSERT … RETURNING outside a transaction); once all three run,
# a filler file takes every free byte, and five seconds later it goes. Counted and printed: jobs
# done, rows written, jobs lost (done without their row), runs logged ok, runs logged retry.
# Must hold: no job is lost and every one ends done with its row; a run whose write failed is
# logged retry with the error, never ok; a run logged ok with "mark":"written" has its row;
# PRAGMA integrity_check stays "ok". Needs: root (mount), APS_BIN, sqlite3, jq.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
JOBS=3
for tool in sqlite3 jq mount umount; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is missing"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: fault_disk_full_commit mounts a tmpfs and needs root"; exit 1; }
work=$(mktemp -d)
pass=0 fail=0 worker_pid=""
check() { if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi; }
cleanup() {
  [ -n "$worker_pid" ] && { kill -9 "$worker_pid" 2> /dev/null; wait "$worker_pid" 2> /dev/null; }
  umount "$work/disk" 2> /dev/null
  if [ -n "${FAULT_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -p "$work/disk"
mount -t tmpfs -o size=4m tmpfs "$work/disk" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }
export ENVIRONMENT=development LOG_LEVEL=INFO APS_MIGRATIONS_DIR="$SRC/migrations" REDIS_URL=
export DATABASE_URL="sqlite:///$work/disk/aps.db" QUEUE_RETRY_BASE_MS=200 WORKER_DRAIN_SECONDS=1
db="$work/disk/aps.db"
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
"$APS_BIN" worker --threads "$JOBS" --no-http > "$work/worker.log" 2>&1 &
worker_pid=$!
for ((n = 1; n <= JOBS; n++)); do
  "$APS_BIN" worker enqueue noop --payload "{\"sleep_ms\":3000,\"mark\":\"f$n\"}" > /dev/null ||
    { echo "FAIL: enqueue f$n"; exit 1; }
done
sql() { sqlite3 "$db" "$1"; }
# Fill the disk once every job runs (each has about 3 s to go); free it 5 s later.
for _ in $(seq 100); do
  [ "$(sql "SELECT COUNT(*) FROM jobs WHERE name = 'noop' AND state = 'leased'")" -ge "$JOBS" ] && break
  sleep 0.1
done
leased=$(sql "SELECT COUNT(*) FROM jobs WHERE name = 'noop' AND state = 'leased'")
dd if=/dev/zero of="$work/disk/filler" bs=16k 2> /dev/null
sleep 5
integrity_full=$(sql 'PRAGMA integrity_check')
rm -f "$work/disk/filler"
for _ in $(seq 300); do
  [ "$(sql "SELECT COUNT(*) FROM jobs WHERE name = 'noop' AND state IN ('done', 'dead')")" -ge "$JOBS" ] && break
  sleep 0.2
done
done_jobs=$(sql "SELECT COUNT(*) FROM jobs WHERE name = 'noop' AND state = 'done'")
rows=$(sql "SELECT COUNT(*) FROM schedule_runs WHERE task LIKE 'noop:f%'")
lost=$(sql "SELECT COUNT(*) FROM jobs j WHERE j.name = 'noop' AND j.state = 'done' AND NOT EXISTS
  (SELECT 1 FROM schedule_runs r WHERE r.task = 'noop:' || json_extract(j.payload, '$.mark'))")
runs() { grep '"job":"noop"' "$work/worker.log" | grep -c "\"outcome\":\"$1\""; }
ok_runs=$(runs ok) retry_runs=$(runs retry)
# Each run logged ok with its row written: the row must be there.
written_missing=0
while read -r mark; do
  [ "$(sql "SELECT COUNT(*) FROM schedule_runs WHERE task = 'noop:$mark'")" = 1 ] ||
    written_missing=$((written_missing + 1))
done < <(grep '"job":"noop"' "$work/worker.log" | grep '"outcome":"ok"' |
  grep '"mark":"written"' | jq -r '.id' | while read -r id; do
    sql "SELECT json_extract(payload, '$.mark') FROM jobs WHERE id = $id"
  done)
retry_with_error=$(grep '"job":"noop"' "$work/worker.log" | grep '"outcome":"retry"' |
  grep -c '"error":"noop mark: .*')
echo "fault_disk_full_commit: $JOBS jobs, $leased running when the disk filled, full for 5 s: done $done_jobs, rows $rows, lost $lost, runs ok $ok_runs, runs retried $retry_runs ($retry_with_error with the write's error); integrity while full $integrity_full, after $(sql 'PRAGMA integrity_check')"
check "jobs running when the disk filled" "$JOBS" "$leased"
check "jobs done" "$JOBS" "$done_jobs"
check "rows written" "$JOBS" "$rows"
check "jobs lost (done without their row)" 0 "$lost"
check "runs logged ok with the row written whose row is missing" 0 "$written_missing"
check "runs whose write failed at the commit, retried with the error" "$JOBS" "$retry_with_error"
check "integrity while full" ok "$integrity_full"
check "integrity after" ok "$(sql 'PRAGMA integrity_check')"
echo "fault_disk_full_commit: $pass passed, $fail failed"
[ "$fail" = 0 ]
