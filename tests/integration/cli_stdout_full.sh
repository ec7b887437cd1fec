#!/usr/bin/env bash
# cli_stdout_full.sh — a result that cannot be written is a failure: each command below prints its
# result on stdout, which is /dev/full here (the disk full under `aps backtest --format csv >
# FILE`). Each must exit 1 and say on stderr that the output could not be written; every one of
# them exited 0 with nothing written (config print exited 1 without a word). The same commands
# with a working stdout exit 0 and print something, so it is the write that fails them, and a
# command that already failed keeps its own exit code. Runs on a SQLite store with two Premier
# League seasons.
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), sqlite3, jq.
set -uo pipefail
# shellcheck source=lib/sqlite_store.sh
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/sqlite_store.sh"
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=''
[ -w /dev/full ] || { echo "FAIL: /dev/full is missing (a Linux device the test writes to)"; exit 1; }

for s in 2122 2223; do
  aps ingest football-data "$DATA/football-data/E0/${s}_E0.csv" --quiet > /dev/null 2>&1 || { echo "FAIL: ingest $s"; exit 1; }
done

cases=(
  "--help"
  "stats --help"
  "stats"
  "stats --format json"
  "config print"
  "config get PORT"
  "migrate --status"
  "verify"
  "elo ratings --sport EPL"
  "backtest --sport EPL --format csv"
  "backtest --sport EPL --format json"
  "models list"
  "worker jobs"
  "scheduler tasks"
  "flags list"
  "api --openapi"
)
for c in "${cases[@]}"; do
  # shellcheck disable=SC2086 # the arguments are words split on spaces
  timeout 120 "$APS_BIN" $c > "$work/out" 2> "$work/err"
  check "aps $c: exits 0 with a working stdout" 0 "$?"
  check "… and prints its result" 1 "$([ -s "$work/out" ] && echo 1)"
  # shellcheck disable=SC2086
  timeout 120 "$APS_BIN" $c > /dev/full 2> "$work/err"
  check "aps $c > /dev/full: exits 1" 1 "$?"
  check "… saying the output could not be written" 1 \
    "$(grep -c '^aps: cannot write the output: ' "$work/err")"
done

timeout 60 "$APS_BIN" stats --bogus > /dev/full 2> "$work/err"
check "a usage error keeps exit 2 with stdout full" 2 "$?"
check "… and says only what is wrong with the arguments" 0 \
  "$(grep -c 'cannot write the output' "$work/err")"

echo "cli_stdout_full: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
