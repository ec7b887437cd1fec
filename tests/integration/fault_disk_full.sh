#!/usr/bin/env bash
# Fault: the disk of the SQLite store fills up. The store lives on a small tmpfs (8 MiB, mounted
# here: needs root); `aps api` serves signed-in writes (new bankrolls) while a filler file takes
# the rest of the space. Counted and printed: writes answered 201, 507 and anything else, rows
# written. Must hold: while full, a write is 507 STORAGE_FULL (never a 500 or a cut connection)
# and `aps worker enqueue` fails saying so; PRAGMA integrity_check stays "ok"; every 201 is one
# row and no refused write left one; once the filler is gone the same process writes again,
# without a restart. A worker (store-backed queue on the same disk) holds a job when the disk
# fills: the job's result cannot be written, and the worker says so (an ERROR line, /health
# "degraded" with the job unsettled, aps_worker_jobs_unsettled, aps_worker_queue_errors_total)
# instead of retrying in silence; once the filler is gone the job is done, without a restart.
# Needs: root (mount), APS_BIN, sqlite3, jq, curl (and what lib/faults.sh checks for).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in sqlite3 jq curl mount umount; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is missing"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: fault_disk_full mounts a tmpfs and needs root"; exit 1; }
work=$(mktemp -d)
# shellcheck source=lib/faults.sh
source "$SRC/tests/integration/lib/faults.sh"
check_gt() { if [ "${2:-0}" -gt "$3" ] 2> /dev/null; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: ${2:-nothing} is not above $3"; fi; }
cleanup() { # the processes first: a file they hold open keeps the tmpfs busy
  for p in "${fx_pids[@]}"; do kill -9 "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
  umount "$work/disk" 2> /dev/null
  fx_cleanup
}
trap cleanup EXIT
mkdir -p "$work/disk"
mount -t tmpfs -o size=8m tmpfs "$work/disk" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }
export ENVIRONMENT=development LOG_LEVEL=INFO APS_MIGRATIONS_DIR="$SRC/migrations" REDIS_URL=
export DATABASE_URL="sqlite:///$work/disk/aps.db" RATE_LIMIT_PER_MIN=1000000 API_SHUTDOWN_DELAY_SECONDS=0
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
printf 'correct horse battery staple\n' > "$work/pw"
"$APS_BIN" user create --email disk@example.com --role user --password-file "$work/pw" > /dev/null
fx_start api "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 2
base="http://127.0.0.1:$(fx_port "$work/api.log")/api/v1"
token=$(curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"disk@example.com","password":"correct horse battery staple"}' | jq -r .access_token)
[ -n "$token" ] && [ "$token" != null ] || { echo "FAIL: sign-in"; exit 1; }

declare -A answers
writes() { # N LABEL — N new bankrolls; tallies the statuses in answers[LABEL:status]
  for ((i = 0; i < $1; i++)); do
    code=$(curl -s -o "$work/last.json" -w '%{http_code}' -X POST "$base/betting/bankrolls" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"name\":\"b-$2-$i-$(head -c 600 /dev/zero | tr '\0' x | cut -c1-40)\",\"initial_amount\":100}")
    answers[$2:$code]=$(( ${answers[$2:$code]:-0} + 1 ))
  done
}
rows() { sqlite3 "$work/disk/aps.db" "SELECT COUNT(*) FROM bankrolls"; }
job_state() { sqlite3 "$work/disk/aps.db" "SELECT state FROM jobs WHERE id = $job"; }
job_is() { [ "$(job_state)" = "$1" ]; }
wmetric() { curl -s "$wbase/metrics" | grep "^$1 " | awk '{print $2}'; }
writes 20 before
# A worker holds a job (8 s) while the disk fills; its lease (6 s) is renewed every 2 s.
fx_start worker env WORKER_LEASE_SECONDS=6 "$APS_BIN" worker --threads 1 --port 0
wbase="http://127.0.0.1:$(fx_port "$work/worker.log")"
job=$("$APS_BIN" worker enqueue noop --payload '{"sleep_ms":8000}' | jq -r .id)
check_true "the worker holds the job" wait_until 10 job_is leased
# Fill the disk: the filler takes every free byte.
dd if=/dev/zero of="$work/disk/filler" bs=64k 2> /dev/null
writes 40 full
check "a write on a full disk is 507 STORAGE_FULL" STORAGE_FULL "$(jq -r .error.code "$work/last.json")"
enq=$("$APS_BIN" worker enqueue noop --payload '{}' 2>&1)
check "enqueue on a full disk fails saying so" 1 "$(echo "$enq" | grep -c 'no space left')"
check "integrity while full" ok "$(sqlite3 "$work/disk/aps.db" 'PRAGMA integrity_check')"
wait_until 15 grep -q 'finished but the queue did not take its result' "$work/worker.log"
check "the worker logs the result it cannot write" 1 "$(grep -c "\"msg\":\"job noop $job finished but the queue did not take its result: no space left" "$work/worker.log")"
sleep 2
check "logged once in the first seconds, not every retry" 1 "$(grep -c 'finished but the queue did not take its result' "$work/worker.log")"
health=$(curl -s "$wbase/health")
check "worker /health while full: degraded" degraded "$(echo "$health" | jq -r .status)"
check "worker /health while full: one job unsettled" 1 "$(echo "$health" | jq -r .unsettled)"
check "aps_worker_jobs_unsettled while full" 1 "$(wmetric aps_worker_jobs_unsettled)"
check_gt "aps_worker_queue_errors_total while full" "$(wmetric aps_worker_queue_errors_total)" 0
rows_full=$(rows)
rm -f "$work/disk/filler"
check_true "the held job is done once space returned" wait_until 5 job_is "done"
check "the worker logs that the result was taken" 1 "$(grep -c "\"msg\":\"job noop $job: result taken by the queue after" "$work/worker.log")"
check "worker /health after: ok" ok "$(curl -s "$wbase/health" | jq -r .status)"
check "aps_worker_jobs_unsettled after" 0 "$(wmetric aps_worker_jobs_unsettled)"
check "the worker never restarted" 1 "$(grep -c '"msg":"listening"' "$work/worker.log")"
writes 20 after
ok_before=${answers[before:201]:-0} ok_full=${answers[full:201]:-0} ok_after=${answers[after:201]:-0}
full507=${answers[full:507]:-0}
other=0
for k in "${!answers[@]}"; do case "$k" in *:201 | full:507) ;; *) other=$((other + answers[$k])) ;; esac; done
total_rows=$(rows)
echo "fault_disk_full: before: 201 x $ok_before; disk full: 201 x $ok_full, 507 x $full507; after space returned: 201 x $ok_after; other answers $other; rows $total_rows (while full $rows_full); integrity $(sqlite3 "$work/disk/aps.db" 'PRAGMA integrity_check')"
check "writes before" 20 "$ok_before"
check_gt "writes refused with 507 while full" "$full507" 0
check "answers other than 201/507" 0 "$other"
check "writes after space returned, same process" 20 "$ok_after"
check "one row per 201, none per 507" "$((ok_before + ok_full + ok_after))" "$total_rows"
check "integrity after" ok "$(sqlite3 "$work/disk/aps.db" 'PRAGMA integrity_check')"
check "the api process never restarted" 1 "$(grep -c '"msg":"listening"' "$work/api.log")"
echo "fault_disk_full: $pass passed, $fail failed"
[ "$fail" = 0 ]
