# lib/api_process.sh — sourced by the tests that run several `aps api` processes (api_edge.sh,
# api_multiprocess.sh, api_ratelimit.sh, api_replica.sh). start_api NAME starts one on a free loopback port with
# its log in $work/NAME.log, appends its pid to the caller's pids array and sets $port; a process
# that does not report its port within 10 s fails the test with its log. avoid_minute_edge
# [SECONDS] waits for the next wall-clock minute when fewer than SECONDS (10) are left in this
# one: rate limits count in fixed one-minute windows, and a check that expects the Nth request
# of a window to be refused must not straddle two.
start_api() { # name → $port
  "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 2 > "$work/$1.log" 2>&1 &
  pids+=($!)
  port=""
  for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$work/$1.log" 2>/dev/null | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && [ "$port" != 0 ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "api $1 did not start:"; cat "$work/$1.log"; exit 1; }
}

avoid_minute_edge() { # [seconds]
  local s
  s=$((10#$(date +%S)))
  if [ $((60 - s)) -lt "${1:-10}" ]; then sleep "$((60 - s)).2"; fi
}
