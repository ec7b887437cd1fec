#!/usr/bin/env bash
# worker_enqueue_refusals.sh — `aps worker enqueue` and `aps worker dead requeue|drop` refuse the
# arguments they can never use as usage errors (exit 2, a message naming the argument) before
# they touch the queue: an empty --key, an empty --payload (as a payload that is not JSON), a
# --delay-ms beyond 30 days (one near INT64_MAX wrapped the clock and queued a job for ever), and
# a dead-letter ID that is not a number; the jobs table counts the same rows before and after.
# Arguments here may be empty strings, which tests/integration/cli_flags.sh cannot write.
# Runs on a fresh SQLite store (the jobs table is the queue), then on Redis (APS_TEST_REDIS_URL;
# unset is a failure unless APS_TEST_PG_OPTIONAL=1). Needs: APS_BIN, sqlite3.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
command -v sqlite3 > /dev/null || { echo "FAIL: sqlite3 is required (scripts/bootstrap installs it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL='' APS_ENV=test
export DATABASE_URL="sqlite:///$work/aps.db" MODEL_OUTPUT_PATH="$work/models"
export APS_DATA_DIR=/nonexistent/aps-data
pass=0 fail=0
backend=sqlite

check() { # name expected actual
  if [ "$2" == "$3" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL [$backend]: $1: expected '$2', got '$3'"
  fi
}

# run ARGS... → "rc|first line of stderr"
run() {
  "$APS_BIN" "$@" > "$work/out" 2> "$work/err" < /dev/null
  echo "$?|$(head -1 "$work/err")"
}

jobs_count() { sqlite3 "$work/aps.db" "SELECT COUNT(*) FROM jobs"; }

"$APS_BIN" migrate > /dev/null 2>&1 || { echo "FAIL: migrate"; exit 1; }
# One job, so that a refusal that went on to the queue would show in the counts.
check "a job with a key is enqueued" 0 "$(run worker enqueue noop --key first | cut -d'|' -f1)"
before=$(jobs_count)
check "one job" 1 "$before"

check "--key '' is a usage error naming --key" "2|aps worker: --key must be 1 to 127 bytes" \
  "$(run worker enqueue noop --key '')"
check "a --key of 128 bytes too" "2|aps worker: --key must be 1 to 127 bytes" \
  "$(run worker enqueue noop --key "$(printf 'k%.0s' {1..128})")"
check "a --key that {n} replaced by 100 makes 128 bytes" \
  "2|aps worker: --key must be 1 to 127 bytes with {n} replaced" \
  "$(run worker enqueue noop --count 100 --key "$(printf 'k%.0s' {1..125}){n}")"
check "--payload '' is refused as a payload that is not JSON" \
  "2|aps worker: payload is empty (a JSON object: {} for none) (nothing enqueued)" \
  "$(run worker enqueue noop --payload '')"
check "... and --payload notjson, as before" \
  "2|aps worker: payload is not JSON: '[' or '{' expected near 'notjson' (nothing enqueued)" \
  "$(run worker enqueue noop --payload notjson)"
check "a --delay-ms past 30 days is a usage error giving the range" \
  "2|aps worker: --delay-ms takes 0 to 2592000000 (30 days)" "$(run worker enqueue noop --delay-ms 2592000001)"
check "... as is one that would overflow the clock" \
  "2|aps worker: --delay-ms takes 0 to 2592000000 (30 days)" "$(run worker enqueue noop --delay-ms 9223372036854775807)"
check "nothing enqueued by the refusals" "$before" "$(jobs_count)"
check "worker run with --payload '' does not run it" \
  "1" "$(run worker run noop --payload '' | cut -d'|' -f1)"

check "dead requeue abc is a usage error naming abc" \
  "2|aps worker: requeue 'abc': not a job id (a number, as dead list shows it; nothing done)" \
  "$(run worker dead requeue abc)"
check "dead drop with one bad ID among good ones does nothing" \
  "2|aps worker: drop '': not a job id (a number, as dead list shows it; nothing done)" \
  "$(run worker dead drop 1 '')"
check "... the good one was not touched (no line on stdout)" "" "$(cat "$work/out")"
check "an ID that is a number but no dead letter still exits 1" \
  "1|aps worker: requeue 999: no dead letter with that id" "$(run worker dead requeue 999)"
check "jobs table as before" "$before" "$(jobs_count)"

if [ -n "${APS_TEST_REDIS_URL:-}" ]; then
  backend=redis
  export REDIS_URL=$APS_TEST_REDIS_URL REDIS_KEY_PREFIX="aps-it-enqueue-$$"
  check "--key '' refused before Redis is asked" "2|aps worker: --key must be 1 to 127 bytes" \
    "$(run worker enqueue noop --key '')"
  check "--payload '' too" \
    "2|aps worker: payload is empty (a JSON object: {} for none) (nothing enqueued)" \
    "$(run worker enqueue noop --payload '')"
  check "dead requeue abc too" \
    "2|aps worker: requeue 'abc': not a job id (a number, as dead list shows it; nothing done)" \
    "$(run worker dead requeue abc)"
elif [ "${APS_TEST_PG_OPTIONAL:-0}" = 1 ]; then
  echo "worker_enqueue_refusals: APS_TEST_REDIS_URL unset, Redis half left out (APS_TEST_PG_OPTIONAL=1)"
else
  fail=$((fail + 1))
  echo "FAIL: APS_TEST_REDIS_URL is unset (scripts/redistest start), so Redis was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
fi

echo "worker_enqueue_refusals: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
