#!/usr/bin/env bash
# train_not_trained.sh — `aps train` says when a market is not trained, with --quiet too, and its
# exit code says whether anything asked for was trained. On one Premier League season in a
# SQLite store: a cutoff that leaves too few games (--until 2012-11-01) trains nothing, and one
# season has moneylines to score but no spread or total lines to score. --quiet used to hide
# every "not trained" line and the run exited 0, so a script could not tell that nothing had
# been trained. A memory ceiling (H2O_MAX_MEM_SIZE) under the process's size trains nothing and
# says so.
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), sqlite3, jq.
set -uo pipefail
# shellcheck source=tests/integration/lib/sqlite_store.sh
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/sqlite_store.sh"
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=''

aps ingest football-data "$DATA/football-data/E0/1213_E0.csv" --quiet > /dev/null 2>&1 ||
  { echo "FAIL: ingest 1213_E0.csv"; exit 1; }
train() { # args… → $rc, $work/out, $work/err
  rc=0
  aps train --sport "$@" --max-models 2 --quiet > "$work/out" 2> "$work/err" || rc=$?
}
few="fewer than 200 games to score"

# One market asked for by name that cannot be trained: an error, exit 1, its reason on stderr.
train EPL --until 2012-11-01
check "EPL moneyline, too few games, --quiet: exit 1" 1 "$rc"
check "… the reason on stderr" \
  "aps train: EPL moneyline: not trained: $few (no moneyline lines?)" "$(cat "$work/err")"
check "… stdout: the run's line only" 1 "$(wc -l < "$work/out")"
check "… no model registered" 0 "$(db 'SELECT COUNT(*) FROM models')"

# Every market of a sport asked for by name, none trainable: each reason, then exit 1.
train EPL --market all --until 2012-11-01
check "EPL all markets, none trainable: exit 1" 1 "$rc"
for m in moneyline spread total; do
  check "… the $m reason on stdout" 1 \
    "$(grep -cxF "EPL $m: not trained: $few (no $m lines?)" "$work/out")"
done
check "… and why the run failed on stderr" \
  "aps train: EPL: no market trained (the reasons are above)" "$(cat "$work/err")"

# Every market of one season: moneyline trains, spread and total cannot; the run succeeds.
train EPL --market all
check "EPL all markets, moneyline trainable: exit 0" 0 "$rc"
check "… moneyline trained" 1 "$(grep -c '^EPL moneyline: [0-9]* folds' "$work/out")"
check "… the spread's reason" 1 "$(grep -cxF "EPL spread: not trained: $few (no spread lines?)" "$work/out")"
check "… the total's reason" 1 "$(grep -cxF "EPL total: not trained: $few (no total lines?)" "$work/out")"
check "… nothing on stderr" 0 "$(wc -c < "$work/err")"
check "… one model registered" 1 "$(db 'SELECT COUNT(*) FROM models')"

# --sport all: a market not trained is a note, not an error (sports without games are skipped
# silently under --quiet, as before).
train all --until 2012-11-01
check "--sport all, nothing trainable: exit 0" 0 "$rc"
check "… the EPL reason is noted" 1 "$(grep -cxF "EPL moneyline: not trained: $few (no moneyline lines?)" "$work/out")"
check "… no sport skipped said under --quiet" 0 "$(grep -c 'skipped' "$work/out")"

# H2O_MAX_MEM_SIZE below what the process already holds: no candidate starts, and the run says
# which limit stopped it (it used to be a bare "not found"), in the output and in training_runs.
models=$(db 'SELECT COUNT(*) FROM models')
rc=0
H2O_MAX_MEM_SIZE=1m aps train --sport EPL --max-models 2 --quiet > "$work/out" 2> "$work/err" || rc=$?
check "H2O_MAX_MEM_SIZE=1m: exit 1" 1 "$rc"
check "… the reason on stderr ($(cat "$work/err"))" 1 \
  "$(grep -cE '^aps train: EPL moneyline: no candidate started: the process held [0-9]+ MiB, over H2O_MAX_MEM_SIZE \(1 MiB\)$' "$work/err")"
check "… the run recorded as failed, with the reason" 1 \
  "$(db "SELECT COUNT(*) FROM training_runs WHERE id = (SELECT MAX(id) FROM training_runs) AND status = 'failed' AND error LIKE 'no candidate started: the process held % MiB, over H2O_MAX_MEM_SIZE (1 MiB)'")"
check "… no model registered" "$models" "$(db 'SELECT COUNT(*) FROM models')"
# The default (32g) stops nothing: every candidate of the search runs.
aps train --sport EPL --max-models 2 --quiet > "$work/out" 2> "$work/err"
check "H2O_MAX_MEM_SIZE default: no candidate held back for memory" 0 "$(grep -c 'H2O_MAX_MEM_SIZE' "$work/out")"

echo "train_not_trained: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
