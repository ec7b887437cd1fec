#!/usr/bin/env bash
# api_debug_cause.sh — DEBUG=true (development's default, refused in production): a server error's
# answer carries its cause (error.cause), which is otherwise only logged. The real `aps api` on a
# temporary SQLite store whose bankrolls table is dropped under it: the list of bankrolls is a
# 500 whose cause names the store's failure with DEBUG on; with DEBUG=false the same 500 carries
# no cause, and the log has it either way. A client error (404) never carries one.
# Needs: APS_BIN, curl, jq, sqlite3.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
for t in curl jq sqlite3; do
  command -v "$t" > /dev/null || { echo "FAIL: $t is required (scripts/bootstrap installs it)"; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi; }

export ENVIRONMENT=development LOG_LEVEL=INFO DATABASE_URL="sqlite:///$work/aps.db" RATE_LIMIT_PER_MIN=100000
unset REDIS_URL DATABASE_REPLICA_URL
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
start() { # name [VAR=value…] → prints the api's base URL
  local name=$1; shift
  env "$@" "$APS_BIN" api --host 127.0.0.1 --port 0 > "$work/$name.log" 2>&1 &
  pids+=($!)
  local port=""
  for _ in $(seq 100); do
    port=$(grep -m1 '"msg":"listening"' "$work/$name.log" 2> /dev/null | jq -r .port 2> /dev/null || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "FAIL: aps api ($name) did not start: $(tail -3 "$work/$name.log")" >&2; exit 1; }
  echo "http://127.0.0.1:$port"
}
on=$(start debug) || exit 1
off=$(start nodebug DEBUG=false) || exit 1
password="correct horse battery staple"
curl -s -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"debug@example.com\",\"password\":\"$password\",\"name\":\"Debug\"}" "$on/api/v1/auth/register"
token=$(curl -s -H 'Content-Type: application/json' \
  -d "{\"email\":\"debug@example.com\",\"password\":\"$password\"}" "$on/api/v1/auth/login" | jq -r .access_token)
if [ -z "$token" ] || [ "$token" = null ]; then echo "FAIL: sign-in"; exit 1; fi
check "before the fault: the bankrolls list answers" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$on/api/v1/betting/bankrolls?limit=7")"

sqlite3 "$work/aps.db" "PRAGMA foreign_keys=OFF; DROP TABLE bankrolls;" || { echo "FAIL: drop the table"; exit 1; }
# (a page size not asked before: no cached answer stands in for the store)
list() { curl -s -o "$work/body" -w '%{http_code}' -H "Authorization: Bearer $token" "$1/api/v1/betting/bankrolls?limit=11"; }
check "DEBUG on: a server error" 500 "$(list "$on")"
check "... INTERNAL_ERROR" INTERNAL_ERROR "$(jq -r .error.code "$work/body")"
check "... its cause in the answer ($(jq -c .error "$work/body"))" 1 "$(jq -r '.error.cause // ""' "$work/body" | grep -c '^store: ')"
check "DEBUG=false: the same server error" 500 "$(list "$off")"
check "... without its cause ($(jq -c .error "$work/body"))" null "$(jq -r .error.cause "$work/body")"
check "... which the log has" yes "$(grep -q '"msg":"server error".*"cause":"store: ' "$work/nodebug.log" && echo yes)"
check "a client error never carries a cause" "404 null" \
  "$(curl -s -o "$work/body" -w '%{http_code}' "$on/api/v1/no-such-thing") $(jq -r .error.cause "$work/body")"

echo "api_debug_cause: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
