#!/usr/bin/env bash
# train_interrupted.sh — `aps train` stopped by SIGINT (Ctrl-C) or SIGTERM while its search runs,
# on a SQLite store with the twelve Premier League seasons. It used to die at once and leave its
# training_runs row "running" for ever (aps_training_runs{status="running"} on /metrics and the
# model's page said a run was still going, and no failure was ever recorded). Must hold: it
# exits 130 (SIGINT) or 143 (SIGTERM) saying so on stderr; the run is recorded as failed
# ("interrupted by a signal", with its end time); no model is registered and no model file is
# written; a run afterwards trains and registers the model as usual.
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), sqlite3, jq, env --default-signal.
set -uo pipefail
# shellcheck source=lib/sqlite_store.sh
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/sqlite_store.sh"
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=''
env --default-signal=INT true 2> /dev/null || { echo "FAIL: env has no --default-signal (coreutils 8.31 or later)"; exit 1; }

aps ingest football-data "$DATA/football-data/E0" --quiet > /dev/null 2>&1 || { echo "FAIL: ingest"; exit 1; }

# Starts a training run (SIGINT at its default action: a background job of a script ignores it),
# waits for its search to start, sends $1 and prints the exit code.
interrupt() {
  env --default-signal=INT "$APS_BIN" train --sport EPL --market moneyline --quiet \
    > "$work/out" 2> "$work/err" &
  local pid=$! _
  for _ in $(seq 600); do
    [ "$(db "SELECT COUNT(*) FROM training_runs WHERE status = 'running'" 2> /dev/null)" == 1 ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.05
  done
  kill -"$1" "$pid"
  wait "$pid"
  echo $?
}
models_written() { find "$MODEL_OUTPUT_PATH" -type f 2> /dev/null | wc -l; }

n=0
for sig in INT TERM; do
  want=$((128 + $(kill -l "$sig")))
  n=$((n + 1))
  check "SIG$sig during the search: exits $want" "$want" "$(interrupt "$sig")"
  check "… saying so" 1 "$(grep -c "^aps train: stopped by SIG$sig: a search it cut short is recorded as failed" "$work/err")"
  check "… no run left running" 0 "$(db "SELECT COUNT(*) FROM training_runs WHERE status = 'running'")"
  check "… the run recorded as failed, with its end" "$n" \
    "$(db "SELECT COUNT(*) FROM training_runs WHERE status = 'failed' AND error = 'interrupted by a signal' AND finished_at IS NOT NULL")"
  check "… no model registered" 0 "$(db "SELECT COUNT(*) FROM models")"
  check "… no model file written" 0 "$(models_written)"
done

timeout 600 "$APS_BIN" train --sport EPL --market moneyline --quiet > "$work/out" 2> "$work/err"
check "a run afterwards: exits 0" 0 "$?"
check "… completed" 1 "$(db "SELECT COUNT(*) FROM training_runs WHERE status = 'completed'")"
check "… still none running" 0 "$(db "SELECT COUNT(*) FROM training_runs WHERE status = 'running'")"
check "… one model registered, the production model" "1 1" \
  "$(db "SELECT COUNT(*), SUM(status = 'production') FROM models" | tr '|' ' ')"
check "… and its file written" 1 "$([ "$(models_written)" -gt 0 ] && echo 1)"

echo "train_interrupted: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
