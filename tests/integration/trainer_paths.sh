#!/usr/bin/env bash
# trainer_paths.sh — the trainer image's paths (seed 1.3). TRAINING_DATA_PATH: `aps ingest all`
# reads it when given no folder (before APS_DATA_DIR). MODEL_PATH: a model is read from the
# directory recorded when it was trained, and, when that directory is not on this machine (the
# models volume mounted elsewhere, moved to another disk), from MODEL_PATH/<model name>. One
# Premier League season in a SQLite store: it is ingested through TRAINING_DATA_PATH, a model is
# trained and its batch predictions written; the models folder is moved; without MODEL_PATH
# pointing there the predictions fail naming both places looked at, with it they are the same
# bytes as before the move. Both settings used to be read nowhere.
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), sqlite3, jq.
set -uo pipefail
# shellcheck source=tests/integration/lib/sqlite_store.sh
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/sqlite_store.sh"
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL='' MODEL_PATH="$work/elsewhere"

mkdir -p "$work/data/football-data/E0"
cp "$DATA/football-data/E0/1213_E0.csv" "$work/data/football-data/E0/"
TRAINING_DATA_PATH=/nonexistent/training aps ingest all > /dev/null 2> "$work/err"
check "ingest all, TRAINING_DATA_PATH missing: exit 1" 1 "$?"
check "… naming it" "aps ingest: data directory /nonexistent/training not found (set TRAINING_DATA_PATH)" "$(cat "$work/err")"
TRAINING_DATA_PATH="$work/data" APS_DATA_DIR=/nonexistent/data aps ingest all --quiet > /dev/null 2> "$work/err"
check "ingest all reads TRAINING_DATA_PATH before APS_DATA_DIR ($(cat "$work/err"))" 0 "$?"
check "… the season's games" 380 "$(db "SELECT COUNT(*) FROM games")"
aps train --sport EPL --max-models 2 --quiet > "$work/train.log" 2>&1 ||
  { echo "FAIL: train: $(tail -3 "$work/train.log")"; exit 1; }
model=$(db "SELECT name FROM models ORDER BY id DESC LIMIT 1")
check "the model's directory is recorded where it was written" "$work/models/$model" \
  "$(db "SELECT path FROM models WHERE name = '$model'")"
predict() { aps predict --model "$model" --from 2012-08-01 --to 2013-06-01 --format csv; }
predict > "$work/before.csv" 2> "$work/err"
check "predictions from the recorded directory" 0 "$?"
check "… one row per game and a header" 381 "$(wc -l < "$work/before.csv")"

mv "$work/models" "$work/moved"
predict > "$work/after.csv" 2> "$work/err" && rc=0 || rc=$?
check "moved, MODEL_PATH elsewhere: refused" 1 "$rc"
check "… naming the recorded directory and MODEL_PATH ($(cat "$work/err"))" 1 \
  "$(grep -cF "unable to open $work/models/$model/model.json: No such file or directory (nor is it under MODEL_PATH $work/elsewhere)" "$work/err")"
MODEL_PATH="$work/moved" predict > "$work/after.csv" 2> "$work/err"
check "moved, MODEL_PATH naming the new place: predictions" 0 "$?"
check "… the same bytes as before the move" "$(md5sum < "$work/before.csv")" "$(md5sum < "$work/after.csv")"

echo "trainer_paths: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
