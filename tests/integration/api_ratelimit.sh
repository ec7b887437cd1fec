#!/usr/bin/env bash
# Rate limiting across two api processes sharing Redis: one user's requests are counted once,
# whichever process serves them. Two `aps api` processes on one store (SQLite) and one Redis
# (scripts/redistest, APS_TEST_REDIS_URL); a limit of 10 a minute; 6 calls to each process:
# exactly 10 pass and 2 get 429 with Retry-After and X-RateLimit-* headers. Without Redis each
# process counts alone and all 12 pass — the contrast shows the limit really is shared.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
: "${APS_TEST_REDIS_URL:?APS_TEST_REDIS_URL is unset: start Redis with scripts/redistest start}"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING DATABASE_URL="sqlite:///$work/aps.db"
export JWT_SECRET="api-ratelimit-integration-secret-0123456789ab"
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}

. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/api_process.sh"

"$APS_BIN" migrate > /dev/null
# A Redis database of this test's own (11; the other tests use 0 and 5), flushed so earlier runs'
# counters do not count: flushing database 0 would wipe what tests running beside this one keep
# there.
REDIS_DB_URL="${APS_TEST_REDIS_URL%/*}/11"
redis-cli -u "$REDIS_DB_URL" FLUSHDB > /dev/null

run_round() { # label, redis url ("" for none); sets allowed / limited
  local label=$1
  export REDIS_URL=$2 RATE_LIMIT_PER_MIN=10
  local a b
  start_api "$label-a"
  a=$port
  start_api "$label-b"
  b=$port
  local email="rl-$label-$$@example.com" pw="correct horse battery staple"
  curl -s -o /dev/null -X POST "http://127.0.0.1:$a/api/v1/auth/register" \
    -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$pw\",\"name\":\"RL\"}"
  local token
  token=$(curl -s -X POST "http://127.0.0.1:$a/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$pw\"}" | jq -r .access_token)
  allowed=0 limited=0
  avoid_minute_edge
  for i in $(seq 6); do
    for port in "$a" "$b"; do
      local code
      code=$(curl -s -D "$work/h" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$port/api/v1/auth/me")
      if [ "$code" = 200 ]; then allowed=$((allowed + 1)); fi
      if [ "$code" = 429 ]; then
        limited=$((limited + 1))
        retry_after=$(grep -i '^retry-after:' "$work/h" | tr -d '\r' | awk '{print $2}')
        limit_hdr=$(grep -i '^x-ratelimit-limit:' "$work/h" | tr -d '\r' | awk '{print $2}')
      fi
    done
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

run_round shared "$REDIS_DB_URL"
check "two processes sharing Redis: requests allowed in the minute" 10 "$allowed"
check "two processes sharing Redis: requests refused with 429" 2 "$limited"
check "the 429 carries Retry-After (seconds, 1..60)" 1 "$( [ "${retry_after:-0}" -ge 1 ] && [ "${retry_after:-0}" -le 60 ] && echo 1 || echo 0)"
check "the 429 carries X-RateLimit-Limit" 10 "${limit_hdr:-}"

run_round alone ""
check "two processes without Redis each count alone: all allowed" 12 "$allowed"
check "two processes without Redis: none refused" 0 "$limited"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
