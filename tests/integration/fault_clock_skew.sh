#!/usr/bin/env bash
# Fault: host clocks that disagree, with the job queue and the leader lock in PostgreSQL (no
# Redis), as on a Kubernetes deployment whose pods run on different nodes. A process's clock is
# moved with CLOCK_OFFSET_FILE (testing only: seconds added to its wall clock); the queue and the
# lock must go by the PostgreSQL server's clock, so a skewed process changes nothing:
#   lease       worker w1 (true clock) holds an 8 s job with a 6 s lease it renews; worker w2,
#               an hour ahead, starts: the job runs once (w2 must not take the live lease over
#               as expired and run the job a second time);
#   delay       a job pushed with a 3 s delay while only the worker an hour ahead runs: it runs
#               no earlier than 3 s after the push;
#   behind      a job pushed while only a worker an hour behind runs: it runs at once (not an
#               hour later);
#   leader      scheduler s1 (true clock) leads; s2, an hour ahead, keeps waiting for the lock
#               (lock expiry 3 s); s2 takes over when s1 is killed -9, and when s2 (the holder
#               an hour ahead) is killed -9 in turn, s3 (true clock) takes over within the
#               expiry, not an hour later.
# Counted and printed: runs of the long job, how long after its push the delayed job ran, how
# long the job behind waited, take-over times.
# FAULT_CLOCK_SKEW=faketime moves the skewed processes' whole wall clock with libfaketime
# instead (the monotonic clock stays true), so the test also runs against a binary without the
# CLOCK_OFFSET_FILE reads in the queue and the lock. Needs: APS_BIN, psql, pg 15, jq, bc
# (libfaketime for FAULT_CLOCK_SKEW=faketime).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
# shellcheck source=lib/faults.sh
source "$SRC/tests/integration/lib/faults.sh"
trap fx_cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=DEBUG APS_MIGRATIONS_DIR="$SRC/migrations" REDIS_URL=
export WORKER_LEASE_SECONDS=6 WORKER_DRAIN_SECONDS=1
export SPORTS=NBA SCHEDULE_ODDS_SECONDS=2 SCHEDULER_LOCK_TTL_MS=3000
fx_pg_init
declare -A offset=([true]=0 [ahead]=3600 [behind]=-3600)
for clock in "${!offset[@]}"; do echo "${offset[$clock]}" > "$work/$clock"; done
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }

clocked() { # NAME CLOCK ARGS… — starts `aps ARGS…` as NAME with its clock CLOCK (true, ahead, behind)
  if [ "${FAULT_CLOCK_SKEW:-}" = faketime ]; then
    # libfaketime preloaded by hand: the faketime command would run aps as its child, out of
    # reach of the kills below.
    fx_start "$1" env LD_PRELOAD="$(echo /usr/lib/*/faketime/libfaketime.so.1)" FAKETIME_DONT_FAKE_MONOTONIC=1 \
      FAKETIME="$(printf '%+d' "${offset[$2]}")" "$APS_BIN" "${@:3}"
  else
    fx_start "$1" env CLOCK_OFFSET_FILE="$work/$2" "$APS_BIN" "${@:3}"
  fi
}
worker() { clocked "$1" "$2" worker --threads 2 --no-http; } # NAME CLOCK
stop() { # NAME… — SIGTERM, and wait
  local n
  for n in "$@"; do eval "kill -TERM \$pid_$n; wait \$pid_$n 2> /dev/null"; done
}
enqueue() { # KEY SLEEP_MS [DELAY_MS] — prints the job's id
  "$APS_BIN" worker enqueue noop --payload "{\"sleep_ms\":$2,\"mark\":\"$1\"}" --key "$1" \
    --delay-ms "${3:-0}" > /dev/null || return 1
  fx_sql "SELECT id FROM jobs WHERE idempotency_key = '$1'"
}
claims() { cat "$work"/w*.log | grep -c "\"msg\":\"job noop $1 claimed by"; } # ID
ran() { [ -n "$(fx_sql "SELECT 1 FROM schedule_runs WHERE task = 'noop:$1'")" ]; } # KEY
now_ms() { date +%s%3N; }
skew_ms() { if [ "${FAULT_CLOCK_SKEW:-}" = faketime ]; then echo $((offset[$1] * 1000)); else echo 0; fi; } # CLOCK
within() { [ "$1" != none ] && [ "$(echo "$1 <= $2" | bc)" = 1 ]; } # SECONDS LIMIT

# ---- lease: a worker an hour ahead does not take over a live lease
worker w1 true
id=$(enqueue long 8000)
check_true "lease: w1 claims the long job" wait_until 10 grep -q "\"msg\":\"job noop $id claimed by" "$work/w1.log"
worker w2 ahead
check_true "lease: the long job ran" wait_until 20 ran long
sleep 1
runs=$(claims "$id")
echo "fault_clock_skew: lease: an 8 s job held by w1 (lease 6 s, renewed) while w2, an hour ahead, claimed: $runs run(s)"
check "lease: the long job ran once" 1 "$runs"
check "lease: w2 did not take it over" 0 "$(grep -c "\"msg\":\"job noop $id claimed by" "$work/w2.log")"
check "lease: w1 kept its lease" 0 "$(grep -c "\"msg\":\"job noop $id: lease lost" "$work/w1.log")"
check "lease: the job is done" "done" "$(fx_sql "SELECT state FROM jobs WHERE id = $id")"

# ---- delay: the worker an hour ahead does not run a delayed job early
stop w1
id=$(enqueue delayed 0 3000)
check_true "delay: the delayed job ran" wait_until 15 ran delayed
# When it ran, on the true clock: noop stamps its row with its worker's wall clock (the one
# faketime moves; CLOCK_OFFSET_FILE does not reach it), the push is stamped by the true clock of
# `aps worker enqueue` (or, with the fix, the server's).
after=$(($(fx_sql "SELECT r.last_run_at - j.enqueued_at FROM schedule_runs r, jobs j WHERE r.task = 'noop:delayed' AND j.id = $id") - $(skew_ms ahead)))
echo "fault_clock_skew: delay: a job pushed with a 3000 ms delay, only w2 (an hour ahead) running: ran $after ms after its push"
check_true "delay: not run before its delay ($after ms)" [ "$after" -ge 3000 ]
stop w2

# ---- behind: a worker an hour behind runs a due job at once
worker w3 behind
sleep 1
t0=$(now_ms)
enqueue behind 0 > /dev/null
waited=none
wait_until 10 ran behind && waited=$(($(now_ms) - t0))
echo "fault_clock_skew: behind: a due job, only w3 (an hour behind) running: seen run after $waited ms"
check_true "behind: the due job ran within 10 s" [ "$waited" != none ]
stop w3

# ---- leader: a scheduler an hour ahead does not steal the lock, nor keep it an hour
sched() { clocked "$1" "$2" scheduler; } # NAME CLOCK
leads() { grep -q '"msg":"scheduler: leader"' "$work/$1.log"; }                # NAME
takeover() { # DEAD NEW — kills DEAD with -9; prints the seconds until NEW leads (or "none")
  eval "kill -9 \$pid_$1; wait \$pid_$1 2> /dev/null"
  local t; t=$(date +%s.%N)
  if wait_until 15 leads "$2"; then printf "%.1f" "$(echo "$(date +%s.%N) - $t" | bc)"; else echo none; fi
}
sched s1 true
check_true "leader: s1 leads" wait_until 10 leads s1
sched s2 ahead
check_true "leader: s2 waits for the lock" wait_until 10 grep -q '"msg":"scheduler: waiting for the lock"' "$work/s2.log"
sleep 5
stolen=$(grep -c '"msg":"scheduler: leader"' "$work/s2.log")
echo "fault_clock_skew: leader: s2 (an hour ahead) beside s1 (lock expiry 3 s) for 5 s: led $stolen time(s)"
check "leader: s2 did not take the lock s1 holds" 0 "$stolen"
check "leader: s1 still leads" 0 "$(grep -c '"msg":"scheduler: follower"' "$work/s1.log")"
t2=$(takeover s1 s2)
sched s3 true
check_true "leader: s3 waits for the lock" wait_until 10 grep -q '"msg":"scheduler: waiting for the lock"' "$work/s3.log"
t3=$(takeover s2 s3)
echo "fault_clock_skew: leader: s1 killed -9, s2 (an hour ahead) took over in $t2 s; s2 killed -9, s3 (true clock) took over in $t3 s"
check_true "leader: s2 took over from s1 within the expiry plus a tick ($t2 s)" within "$t2" 4.5
check_true "leader: s3 took over from s2 within the expiry plus a tick ($t3 s)" within "$t3" 4.5

echo "fault_clock_skew: $pass passed, $fail failed"
[ "$fail" = 0 ]
