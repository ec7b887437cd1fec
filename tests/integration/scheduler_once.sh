#!/usr/bin/env bash
# `aps scheduler --once` as `aps scheduler --help` and docs/operations.md describe it (SQLite):
# while another scheduler leads it runs nothing, prints {"leader":false,...} with zero counts and
# exits 0 (a cron-style run that finds a leader has nothing to do); once that scheduler is gone
# it leads its tick and prints "leader":true; a tick that enqueues jobs still prints that one
# line alone on stdout (its log lines go to stderr); it exits 1 only when the store cannot be
# reached.
# Needs: APS_BIN, jq.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
command -v jq > /dev/null || { echo "scheduler_once: jq is missing (scripts/bootstrap installs it)" >&2; exit 1; }
work=$(mktemp -d)
leader=""
cleanup() {
  [ -n "$leader" ] && kill "$leader" 2> /dev/null && wait "$leader" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}
export ENVIRONMENT=development LOG_LEVEL=INFO REDIS_URL='' SPORTS=NBA SCHEDULER_LOCK_TTL_MS=3000
export DATABASE_URL="sqlite:///$work/aps.db"
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
"$APS_BIN" scheduler > "$work/leader.log" 2>&1 &
leader=$!
for _ in $(seq 100); do grep -q '"msg":"scheduler: leader"' "$work/leader.log" && break; sleep 0.1; done
check "the long-running scheduler leads" 1 "$(grep -c '"msg":"scheduler: leader"' "$work/leader.log")"

"$APS_BIN" scheduler --once > "$work/out" 2> "$work/err"
check "--once while another leads exits" 0 $?
check "… it prints one line saying it did not lead, with zero counts" \
  'false 0 0 0 0' "$(jq -r '"\(.leader) \(.enqueued) \(.duplicates) \(.caught_up) \(.skipped)"' "$work/out")"
check "… and nothing on stderr" "" "$(cat "$work/err")"

kill "$leader" && wait "$leader" 2> /dev/null
leader=""
"$APS_BIN" scheduler --once > "$work/out" 2> "$work/err"
check "--once with no other scheduler exits" 0 $?
check "… and leads its tick" true "$(jq -r .leader "$work/out")"

# A tick that enqueues (a new store, every slot due): the result is still the one line on
# stdout that cron reads; the log lines of the migrations and of each job enqueued go to stderr.
DATABASE_URL="sqlite:///$work/fresh.db" "$APS_BIN" scheduler --once > "$work/out" 2> "$work/err"
check "--once on a new store exits" 0 $?
check "… prints one line" 1 "$(wc -l < "$work/out")"
check "… the result, having enqueued jobs" "true 1" "$(jq -r '"\(.leader) \(.enqueued > 0 | if . then 1 else 0 end)"' "$work/out")"
check "… and logs each job it enqueued on stderr" 1 "$(grep -c '"msg":"scheduled collect_odds"' "$work/err")"

DATABASE_URL="postgresql://aps@127.0.0.1:1/aps" "$APS_BIN" scheduler --once > "$work/out" 2> "$work/err"
check "--once without a store exits" 1 $?
check "… printing no result line" "" "$(cat "$work/out")"

echo "scheduler_once: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
