# shellcheck shell=bash
# lib/ingest_pg.sh — the common start of the PostgreSQL ingest tests (ingest_pg_race, ingest_lanes,
# ingest_deadlock), sourced after `set -uo pipefail`: what they need is checked loudly (psql, the
# data they read, APS_TEST_PG_URL: without it they fail unless APS_TEST_PG_OPTIONAL=1, which makes
# them skip with 77). Sets SRC, DATA and base (the server's URL without a database); check and q.
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
# shellcheck disable=SC2034 # read by the tests that source this
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=
pass=0 fail=0

# ingest_pg_need PATH... — each path (a file or a folder under DATA) must be readable.
ingest_pg_need() {
  command -v psql > /dev/null || { echo "FAIL: psql is required (scripts/bootstrap installs it)"; exit 1; }
  command -v jq > /dev/null || { echo "FAIL: jq is required (scripts/bootstrap installs it)"; exit 1; }
  local p
  for p in "$@"; do
    [ -r "$p" ] || { echo "FAIL: $p is missing (APS_DATA_DIR)"; exit 1; }
  done
  if [ -z "${APS_TEST_PG_URL:-}" ]; then
    [ "${APS_TEST_PG_OPTIONAL:-0}" = 1 ] && { echo "PostgreSQL opted out"; exit 77; }
    echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start); APS_TEST_PG_OPTIONAL=1 skips it"
    exit 1
  fi
  base=${APS_TEST_PG_URL%/*}
}

check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}
q() { psql "$base/$1" -Atqc "$2"; } # database, SQL
