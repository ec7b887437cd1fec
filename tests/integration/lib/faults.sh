# shellcheck shell=bash
# faults.sh — sourced by the fault-injection tests (tests/integration/fault_*.sh): a PostgreSQL 15
# cluster and a Redis server of the test's own (so it can stop and start them), the aps processes
# of a deployment, a job stream whose every job leaves one row, and the counters the tests report.
# Needs: APS_BIN and work (the test's scratch folder) set by the caller. Defines pass, fail,
# check, check_true, wait_until, pick_port, fx_pg_*, fx_redis_*, fx_start, fx_port, fx_api_user,
# fx_stream_*, fx_effects, fx_dups, fx_dead, fx_cleanup.
: "${APS_BIN:?}" "${work:?}"
PGBIN=/usr/lib/postgresql/15/bin
FX_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in psql jq curl python3 redis-server redis-cli "$PGBIN/initdb"; do
  command -v "$tool" > /dev/null || { echo "$0: $tool is missing (scripts/bootstrap installs it)" >&2; exit 1; }
done
pass=0 fail=0
fx_pids=()
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
check_true() { # name, command...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; fi
}
wait_until() { # SECONDS COMMAND... — polls every 0.2 s
  local n=$(($1 * 5)); shift
  for ((i = 0; i < n; i++)); do "$@" > /dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pick_port() { # a port free on 127.0.0.1 now (the kernel picks it)
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- PostgreSQL and Redis of the test's own ---------------------------------------------------
fx_pg_init() { # creates and starts the cluster; exports DATABASE_URL
  fx_pg_port=$(pick_port)
  mkdir -p "$work/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$work" "$work/pg"
  as_pg "$PGBIN/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 > "$work/initdb.log"
  printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nfsync = off\n" \
    "$fx_pg_port" "$work" >> "$work/pg/postgresql.conf"
  fx_pg_start
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$fx_pg_port" -U postgres aps
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$fx_pg_port/aps"
}
fx_pg_start() { as_pg "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start > /dev/null; }
fx_pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$work/pg" -m fast -w stop > /dev/null; }
fx_redis_init() { # starts the server; exports REDIS_URL
  fx_redis_port=$(pick_port)
  mkdir -p "$work/redis"
  fx_redis_start
  export REDIS_URL="redis://127.0.0.1:$fx_redis_port/0"
}
fx_redis_start() {
  # appendonly: a restart keeps the queue, like the deployment's Redis (deploy/compose).
  redis-server --port "$fx_redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes \
    --appendfsync always --save '' --daemonize yes --pidfile "$work/redis/pid" \
    --logfile "$work/redis/log"
  wait_until 10 sh -c "redis-cli -p $fx_redis_port ping | grep -q PONG"
}
fx_redis_stop() { redis-cli -p "$fx_redis_port" shutdown nosave > /dev/null 2>&1 || true; wait_until 10 sh -c "! redis-cli -p $fx_redis_port ping"; }
fx_sql() { PGOPTIONS="-c client_min_messages=warning" psql "$DATABASE_URL" -Atqc "$1"; }

# ---- processes --------------------------------------------------------------------------------
fx_start() { # NAME COMMAND… — in the background, output in $work/NAME.log; sets pid_NAME
  local name=$1; shift
  "$@" > "$work/$name.log" 2>&1 &
  fx_pids+=($!)
  eval "pid_$name=$!"
}
fx_port() { # LOG — the port of its "listening" line
  local p=""
  for _ in $(seq 100); do
    p=$(grep -m1 '"msg":"listening"' "$1" 2> /dev/null | jq -r '.port // empty')
    [ -n "$p" ] && break
    sleep 0.1
  done
  echo "$p"
}
fx_api_user() { # BASE [ROLE] — creates a user (role user by default) and signs in; prints the access token
  local role=${2:-user}
  printf 'correct horse battery staple\n' > "$work/pw"
  "$APS_BIN" user create --email "fault-$role@example.com" --role "$role" --password-file "$work/pw" > /dev/null 2>&1
  curl -s -X POST "$1/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"fault-$role@example.com\",\"password\":\"correct horse battery staple\"}" | jq -r .access_token
}
fx_cleanup() {
  for p in "${fx_pids[@]}"; do kill -9 "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
  [ -n "${fx_redis_port:-}" ] && fx_redis_stop
  [ -d "$work/pg" ] && as_pg "$PGBIN/pg_ctl" -D "$work/pg" -m immediate stop > /dev/null 2>&1
  if [ -n "${FAULT_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}

# ---- the job stream -----------------------------------------------------------------------------
# fx_stream_start PREFIX RATE SLEEP_MS — enqueues noop jobs PREFIX-1, PREFIX-2 … (RATE per
# second, each sleeping SLEEP_MS and then writing the row noop:PREFIX-n) until $work/stop-stream
# exists. An enqueue that fails (the queue's backend is down) is retried with the same
# idempotency key until it is taken: the caller's side of "enqueue fails clearly". Writes the
# count enqueued to $work/stream-PREFIX.count and the failed enqueues to …failed.
fx_stream_start() {
  local prefix=$1 rate=$2 sleep_ms=$3
  (
    n=0 failed=0
    while [ ! -e "$work/stop-stream" ]; do
      n=$((n + 1))
      until "$APS_BIN" worker enqueue noop --payload "{\"sleep_ms\":$sleep_ms,\"mark\":\"$prefix-$n\"}" \
        --key "$prefix-$n" > /dev/null 2>> "$work/stream-$prefix.err"; do
        failed=$((failed + 1))
        sleep 0.5
      done
      echo "$n" > "$work/stream-$prefix.count"
      echo "$failed" > "$work/stream-$prefix.failed"
      sleep "$(echo "scale=3; 1 / $rate" | bc)"
    done
  ) &
  fx_stream_pid=$!
}
fx_stream_stop() { touch "$work/stop-stream"; wait "$fx_stream_pid" 2> /dev/null; rm -f "$work/stop-stream"; }
fx_effects() { fx_sql "SELECT COUNT(*) FROM schedule_runs WHERE task LIKE 'noop:$1-%'"; } # PREFIX
fx_dups() { cat "$work"/w*.log | grep '"job":"noop"' | grep -c '"mark":"existed"'; }
fx_dead() { "$APS_BIN" worker dead list --limit 1000 2> /dev/null | grep -c '"name":"noop"'; }
