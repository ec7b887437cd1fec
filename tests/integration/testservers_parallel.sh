#!/usr/bin/env bash
# testservers_parallel — the throwaway PostgreSQL clusters and Redis servers of the tests
# (scripts/pgtest, scripts/redistest) started at the same moment, as parallel test runs do: every
# start succeeds, on a port of its own, and every server answers. Without the port lock two
# starts could choose the same free port and one of them fail.
set -euo pipefail
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
N=4
for tool in psql redis-cli flock; do
  command -v "$tool" > /dev/null || { echo "testservers_parallel: $tool is missing (scripts/bootstrap)" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/aps-testservers.XXXXXX)
cleanup() {
  for i in $(seq "$N"); do
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
