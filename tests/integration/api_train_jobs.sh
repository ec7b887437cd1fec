#!/usr/bin/env bash
# api_train_jobs.sh — training through the API as `aps train` does it: the real `aps api` and
# `aps worker` on a SQLite store holding three Premier League seasons (football-data 2019-20 ..
# 2021-22, which have moneyline, Asian handicap and over/under prices). POST
# /api/v1/models/train with "market":"all" is a job that trains moneyline, spread and total, the
# markets `aps train --market all` trains on a copy of the same store. A cutoff ("until") trains
# on earlier games only, as `aps train --until` does, and anything but a real day is a 400 that
# says the form; a promotion's note becomes the model's promotion note. The bodies the API took
# validate against the request schemas of its OpenAPI document, every field declared
# (web/contract/check-request.mjs). A worker whose H2O_MAX_MEM_SIZE is under its own size fails
# the train job's attempt with the reason.
# Needs: APS_BIN, curl, jq, sqlite3, node and web/node_modules (scripts/bootstrap), and the data
# folder (APS_DATA_DIR, default ../shared/data).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
for tool in curl jq sqlite3 node; do
  command -v "$tool" > /dev/null || { echo "api_train_jobs: $tool is missing (scripts/bootstrap)"; exit 1; }
done
[ -d "$DATA/football-data/E0" ] || { echo "api_train_jobs: no football-data EPL files under $DATA"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { # name expected actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}

export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL="" APS_MIGRATIONS_DIR="$SRC/migrations"
export JWT_SECRET="api-train-jobs-integration-secret-0123456789ab" RATE_LIMIT_PER_MIN=1000000
export DATABASE_URL="sqlite:///$work/aps.db" MODEL_OUTPUT_PATH="$work/models"
# a short search: what is checked is which markets are trained, not how well
export H2O_MAX_MODELS=2 H2O_MAX_RUNTIME_SECS=20
"$APS_BIN" migrate > /dev/null || { echo "api_train_jobs: migrate failed"; exit 1; }
for season in 1920 2021 2122; do
  "$APS_BIN" ingest football-data "$DATA/football-data/E0/${season}_E0.csv" --quiet > /dev/null \
    || { echo "api_train_jobs: ingest of $season failed"; exit 1; }
done
printf 'correct horse battery staple\n' > "$work/pw"
"$APS_BIN" user create --email analyst@example.com --role analyst --password-file "$work/pw" > /dev/null
cp "$work/aps.db" "$work/cli.db"
# shellcheck source=lib/api_process.sh
source "$SRC/tests/integration/lib/api_process.sh"

start_api api
base="http://127.0.0.1:$port/api/v1"
token=$(curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"analyst@example.com","password":"correct horse battery staple"}' | jq -r .access_token)
if [ -z "$token" ] || [ "$token" = null ]; then echo "api_train_jobs: sign-in failed"; exit 1; fi
req() { # METHOD PATH [BODY] → $status, $body
  local args=(-s -o "$work/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  status=$(curl "${args[@]}" "$base$2")
  body=$(cat "$work/body")
}
jf() { jq -r "$1" <<< "$body"; }
# follow JOB: polls GET /jobs/JOB until it has ended (a worker runs it); $body is its last answer
follow() {
  for _ in $(seq 600); do
    req GET "/jobs/$1"
    [ "$(jf .state)" = succeeded ] || [ "$(jf .state)" = failed ] && return
    sleep 0.2
  done
}
markets() { # the markets of the store's models, sorted, on one line
  sqlite3 "$1" "SELECT market FROM models ORDER BY market" | paste -sd' '
}

# ---- market "all": the three markets in one job ------------------------------------------------
req POST /models/train '{"sport":"EPL","market":"all"}'
check "train market all: 202, queued with market all" "202 queued all" "$status $(jf .state) $(jf .payload.market)"
job=$(jf .id)
"$APS_BIN" worker --no-http > "$work/worker.log" 2>&1 &
wpid=$!
pids+=("$wpid")
follow "$job"
check "  a worker runs it to the end" "succeeded 1 null" "$(jf .state) $(jf .attempts) $(jf .error)"
req GET "/models?sport=EPL"
check "  it trained moneyline, spread and total" "moneyline spread total" \
  "$(jq -r '[.items[].market] | sort | join(" ")' <<< "$body")"
DATABASE_URL="sqlite:///$work/cli.db" "$APS_BIN" train --sport EPL --market all --quiet > "$work/cli.log" 2>&1
check "  the markets \`aps train --market all\` trains" "$(markets "$work/cli.db")" "$(markets "$work/aps.db")"
req POST /models/train '{"sport":"EPL","market":"al"}'
check "a market that is none of them: 400 naming all" "400 market must be moneyline, spread, total or all" \
  "$status $(jf '.error.details[0] | "\(.field) \(.message)"')"

# ---- until and note: what the handlers read is what the document declares ----------------------
# a cutoff trains on earlier games only, stored with the model
req POST /models/train '{"sport":"EPL","market":"moneyline","until":"2021-10-01"}'
check "train until a date: 202, the cutoff in the job" "202 2021-10-01" "$status $(jf .payload.until)"
follow "$(jf .id)"
check "  a worker runs it to the end" "succeeded null" "$(jf .state) $(jf .error)"
frozen=$(sqlite3 "$work/aps.db" "SELECT id FROM models WHERE params LIKE '%train_until%'")
req GET "/models/$frozen"
check "  its model is trained on games before it" "moneyline 2021-10-01 challenger" \
  "$(jf .market) $(jf .params.train_until) $(jf .status)"
# a cutoff that leaves too few games trains nothing: the job fails with why, as `aps train` exits 1
# (regression: it "succeeded" with no model), and is refused, not dead-lettered (no alert)
models=$(sqlite3 "$work/aps.db" 'SELECT COUNT(*) FROM models')
req POST /models/train '{"sport":"EPL","market":"moneyline","until":"2019-09-01"}'
few=$(jf .id)
follow "$few"
check "train until a date too early: the job fails, saying why" "failed 1 not trained: EPL moneyline: too few seasons for walk-forward folds" \
  "$(jf .state) $(jf .attempts) $(jf .error)"
check "  no model registered" "$models" "$(sqlite3 "$work/aps.db" 'SELECT COUNT(*) FROM models')"
check "  refused by the worker, not dead-lettered" "refused 0" \
  "$(grep "\"id\":\"$few\"" "$work/worker.log" | jq -r .outcome) $("$APS_BIN" worker dead list | jq -s "map(select(.id == \"$few\")) | length")"
for bad in '"2021-02-30"' '"2021-2-01"' '"2021-10-01T00:00:00Z"' 20211001 '""' '["2021-10-01"]'; do
  req POST /models/train "{\"sport\":\"EPL\",\"market\":\"moneyline\",\"until\":$bad}"
  check "until $bad: 400 naming the form" "400 until must be a date YYYY-MM-DD" \
    "$status $(jf '.error.details[0] | "\(.field) \(.message)"')"
done
req POST "/models/$frozen/promote" '{"note":"chosen by api_train_jobs","force":false}'
check "promote with a note: 200" "200 production" "$status $(jf .status)"
req GET "/models/$frozen"
check "  the note is the model's promotion note" "chosen by api_train_jobs" "$(jf .promotion_note)"
req POST "/models/$frozen/promote" "{\"note\":\"$(printf 'x%.0s' $(seq 501))\"}"
check "  a note over 500 bytes: 400" "400 note" "$status $(jf '.error.details[0].field')"
# every body accepted above, checked against its declared schema (each field declared)
"$APS_BIN" api --openapi > "$work/openapi.json"
node "$SRC/web/contract/check-request.mjs" "$work/openapi.json" TrainRequest \
  '{"sport":"EPL","market":"all"}' '{"sport":"EPL","market":"moneyline","until":"2021-10-01"}'
check "the train bodies accepted are TrainRequests" 0 $?
node "$SRC/web/contract/check-request.mjs" "$work/openapi.json" PromoteRequest \
  '{"note":"chosen by api_train_jobs","force":false}'
check "the promote body accepted is a PromoteRequest" 0 $?
check "  and the refused note is not one" "/note must NOT have more than 500 characters" \
  "$(node "$SRC/web/contract/check-request.mjs" "$work/openapi.json" PromoteRequest \
    "{\"note\":\"$(printf 'x%.0s' $(seq 501))\"}" | sed 's/.*: //')"

kill "$wpid" 2> /dev/null
wait "$wpid" 2> /dev/null

# ---- a memory ceiling under the worker's size: the attempt fails and says which limit stopped it;
# the job is queued for its retry (the worker's memory may have fallen by then) -------------------
models=$(sqlite3 "$work/aps.db" 'SELECT COUNT(*) FROM models')
H2O_MAX_MEM_SIZE=1m "$APS_BIN" worker --no-http > "$work/worker-mem.log" 2>&1 &
wpid=$!
pids+=("$wpid")
req POST /models/train '{"sport":"EPL","market":"moneyline"}'
job=$(jf .id)
for _ in $(seq 300); do
  req GET "/jobs/$job"
  [ "$(jf .error)" != null ] && break
  sleep 0.2
done
check "H2O_MAX_MEM_SIZE=1m: the attempt fails with the reason ($(jf .error))" "queued true" \
  "$(jf .state) $(jf '.error | test("^training moneyline: no candidate started: the process held [0-9]+ MiB, over H2O_MAX_MEM_SIZE \\(1 MiB\\)$")')"
check "  no model registered" "$models" "$(sqlite3 "$work/aps.db" 'SELECT COUNT(*) FROM models')"
kill "$wpid" 2> /dev/null
wait "$wpid" 2> /dev/null

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
