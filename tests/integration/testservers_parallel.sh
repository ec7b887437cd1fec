#!/usr/bin/env bash
# testservers_parallel — the throwaway PostgreSQL clusters and Redis servers of the tests
# (scripts/pgtest, scripts/redistest) started at the same moment, as parallel test runs do: every
# start succeeds, on a port of its own, and every server answers. Without the port lock two
# starts could choose the same free port and one of them fail. Then a port that looks free but is
# taken before the server binds it (a socket bound without listening, as a program choosing ports
# outside the lock holds it): each script must move to the next port, not fail.
set -euo pipefail
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
N=4
for tool in psql redis-cli flock python3; do
  command -v "$tool" > /dev/null || { echo "testservers_parallel: $tool is missing (scripts/bootstrap)" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/aps-testservers.XXXXXX)
cleanup() {
  [ -n "${blocker:-}" ] && kill "$blocker" 2> /dev/null
  for i in $(seq "$N") taken; do
    APS_PGTEST_STATE=$dir/pg$i.env "$SRC/scripts/pgtest" stop > /dev/null 2>&1 || true
    APS_REDISTEST_STATE=$dir/redis$i.env "$SRC/scripts/redistest" stop > /dev/null 2>&1 || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT

pids=()
for i in $(seq "$N"); do
  APS_PGTEST_STATE=$dir/pg$i.env "$SRC/scripts/pgtest" start > "$dir/pg$i.out" 2>&1 &
  pids+=($!)
  APS_REDISTEST_STATE=$dir/redis$i.env "$SRC/scripts/redistest" start > "$dir/redis$i.out" 2>&1 &
  pids+=($!)
done
fail=0
for p in "${pids[@]}"; do
  wait "$p" || fail=$((fail + 1))
done
if [ "$fail" -ne 0 ]; then
  echo "FAIL: $fail of $((2 * N)) parallel starts failed"
  tail -n 5 "$dir"/*.out
  exit 1
fi
ports=()
for i in $(seq "$N"); do
  # shellcheck disable=SC1090
  (source "$dir/pg$i.env" && psql -Atq "$APS_TEST_PG_URL" -c 'SELECT 1' | grep -qx 1) ||
    { echo "FAIL: cluster $i does not answer"; exit 1; }
  ports+=("$(sed -n 's/^APS_PGTEST_PORT=//p' "$dir/pg$i.env")")
  port=$(sed -n 's/^APS_REDISTEST_PORT=//p' "$dir/redis$i.env")
  [ "$(redis-cli -h 127.0.0.1 -p "$port" ping)" = PONG ] || { echo "FAIL: redis $i does not answer"; exit 1; }
  ports+=("$port")
done
distinct=$(printf '%s\n' "${ports[@]}" | sort -u | wc -l)
[ "$distinct" -eq $((2 * N)) ] || { echo "FAIL: ${ports[*]}: $distinct distinct ports for $((2 * N)) servers"; exit 1; }
echo "testservers_parallel: $N clusters and $N redis servers started at once on ports ${ports[*]}"

# Two ports the kernel picks as free, bound (not listening) by another process: they look free
# to the scripts' connect check, and a server's bind fails on them. The scripts are told to
# search from them.
python3 -c '
import socket, time
held = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(*[s.getsockname()[1] for s in held], flush=True)
time.sleep(600)
' > "$dir/blocker.out" &
blocker=$!
for _ in $(seq 50); do [ -s "$dir/blocker.out" ] && break; sleep 0.1; done
read -r pgtaken redistaken < "$dir/blocker.out" || true
[ -n "${redistaken:-}" ] || { echo "FAIL: could not bind two ports for the test"; exit 1; }
APS_PGTEST_FIRST_PORT=$pgtaken APS_PGTEST_STATE=$dir/pgtaken.env "$SRC/scripts/pgtest" start > "$dir/pgtaken.out" 2>&1 ||
  { echo "FAIL: pgtest start with its first port taken:"; cat "$dir/pgtaken.out"; exit 1; }
APS_REDISTEST_FIRST_PORT=$redistaken APS_REDISTEST_STATE=$dir/redistaken.env "$SRC/scripts/redistest" start > "$dir/redistaken.out" 2>&1 ||
  { echo "FAIL: redistest start with its first port taken:"; cat "$dir/redistaken.out"; exit 1; }
pgport=$(sed -n 's/^APS_PGTEST_PORT=//p' "$dir/pgtaken.env")
redisport=$(sed -n 's/^APS_REDISTEST_PORT=//p' "$dir/redistaken.env")
if [ "$pgport" = "$pgtaken" ] || [ "$redisport" = "$redistaken" ]; then
  echo "FAIL: servers recorded the taken ports ($pgport, $redisport)"
  exit 1
fi
grep -q 'trying the next' "$dir/pgtaken.out" || { echo "FAIL: pgtest did not report the taken port"; cat "$dir/pgtaken.out"; exit 1; }
grep -q 'trying the next' "$dir/redistaken.out" || { echo "FAIL: redistest did not report the taken port"; cat "$dir/redistaken.out"; exit 1; }
# shellcheck disable=SC1090
(source "$dir/pgtaken.env" && psql -Atq "$APS_TEST_PG_URL" -c 'SELECT 1' | grep -qx 1) ||
  { echo "FAIL: the cluster started after the taken port does not answer"; exit 1; }
[ "$(redis-cli -h 127.0.0.1 -p "$redisport" ping)" = PONG ] || { echo "FAIL: the redis started after the taken port does not answer"; exit 1; }
echo "testservers_parallel: with $pgtaken/$redistaken taken before their bind, the servers moved to $pgport and $redisport"
