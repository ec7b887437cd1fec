#!/usr/bin/env bash
# seal_rotation.sh — TOTP seeds encrypted at rest with DATA_ENCRYPTION_KEYS from the secrets
# directory, and a rotation with nobody locked out, through the real api on SQLite and PostgreSQL
# (APS_TEST_PG_URL): 2FA turned on over the API stores the seed sealed with k1 (the seed's text
# is nowhere in the store); the api restarted with "k2,k1" still signs the user in with a TOTP
# code; `aps secrets reseal` moves every seed to k2 (`aps secrets status` says so); the api
# restarted with k2 alone still signs the user in; with a key list that opens nothing the login
# is refused (fail closed). A malformed key list stops the process with one line.
# Needs: APS_BIN, APS_BUILD_DIR (totp_code), curl, jq, openssl, sqlite3; psql for PostgreSQL.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
TOTP=${APS_TOTP_CODE:-${APS_BUILD_DIR:?APS_BUILD_DIR holds tests/mock programs}/totp_code}
[ -x "$TOTP" ] || { echo "seal_rotation: $TOTP not built"; exit 1; }
for t in curl jq openssl sqlite3; do command -v "$t" > /dev/null || { echo "seal_rotation: $t is missing" >&2; exit 1; }; done
work=$(mktemp -d)
api_pid=""
pgdb="aps_seal_$$"
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2> /dev/null && wait "$api_pid" 2> /dev/null
  [ -n "${APS_TEST_PG_URL:-}" ] && psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL='' RATE_LIMIT_PER_MIN=1000000
export JWT_SECRET="seal-rotation-integration-secret-0123456789" APS_SECRETS_DIR=$work/secrets
mkdir -p "$APS_SECRETS_DIR"
PW="correct horse battery staple"
K1="k1:$(openssl rand -base64 32)" K2="k2:$(openssl rand -base64 32)" K3="k3:$(openssl rand -base64 32)"
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); return; fi
  fail=$((fail + 1))
  echo "FAIL [$backend]: $1: expected '$2', got '$3'"
  # what the api said, and whether it still runs (a failed request alone says too little)
  if [ -n "$api_pid" ]; then
    echo "  api $api_pid on port ${port:-none}: $(kill -0 "$api_pid" 2> /dev/null && echo running || echo "gone")"
    sed 's/^/  api.log: /' "$work/api.log" | tail -20
  fi
}
sql() { if [ "$backend" = pg ]; then psql "$DATABASE_URL" -Atqc "$1"; else sqlite3 "$work/aps.db" "$1"; fi; }
keys() { printf '%s' "$1" > "$APS_SECRETS_DIR/DATA_ENCRYPTION_KEYS"; }
port=""
# stop_api: SIGTERM, and a crash or a kill by anything else counts as a failure.
stop_api() {
  [ -n "$api_pid" ] || return 0
  kill "$api_pid" 2> /dev/null
  wait "$api_pid" 2> /dev/null
  local rc=$?
  [ "$rc" = 0 ] || { fail=$((fail + 1)); echo "FAIL [$backend]: the api ended with status $rc"; }
  api_pid=""
}
start_api() {
  stop_api
  "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 2 > "$work/api.log" 2>&1 &
  api_pid=$!
  port=""
  for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$work/api.log" 2> /dev/null | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  base="http://127.0.0.1:$port/api/v1"
}
post() { curl -s -o "$work/body" -w '%{http_code}' -X POST "$base$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$2"; }
# A login with the current code. Each code is accepted once (api_auth.sh tests that), and the
# logins below may fall in one 30 s step: the step last used is forgotten first.
login_code() {
  sql "update users set totp_last_step = 0" > /dev/null
  post /auth/login "{\"email\":\"t@example.com\",\"password\":\"$PW\",\"totp_code\":\"$("$TOTP" "$secret")\"}"
}

run_backend() {
  keys "$K1"
  "$APS_BIN" migrate > /dev/null
  start_api
  check "register" 201 "$(post /auth/register "{\"email\":\"t@example.com\",\"password\":\"$PW\",\"name\":\"T\"}")"
  post /auth/login "{\"email\":\"t@example.com\",\"password\":\"$PW\"}" > /dev/null
  local tok
  tok=$(jq -r .access_token "$work/body")
  post /auth/2fa/setup '' "$tok" > /dev/null
  secret=$(jq -r .secret "$work/body")
  check "2fa on" 200 "$(post /auth/2fa/verify "{\"code\":\"$("$TOTP" "$secret")\"}" "$tok")"
  check "the seed is stored sealed with k1" "enc:v1:k1:" "$(sql "select substr(totp_secret, 1, 10) from users")"
  check "the seed's text is nowhere in the users table" 0 "$(sql "select count(*) from users where totp_secret like '%$secret%' or coalesce(totp_pending, '') like '%$secret%'")"
  if [ "$backend" = sqlite ]; then
    check "… nor in the database file" 1 "$(grep -c -a -F "$secret" "$work/aps.db" > /dev/null; echo $?)"
  fi
  check "login with the code" 200 "$(login_code)"

  keys "$K2,$K1"
  start_api
  check "rotation step 1 (k2 first, k1 kept): login with the code" 200 "$(login_code)"
  check "aps secrets reseal" "resealed 1 seed(s) with key k2" "$("$APS_BIN" secrets reseal)"
  check "aps secrets status" "current key: k2|k2 1" "$("$APS_BIN" secrets status | tr -s ' ' | tr '\n' '|' | sed 's/|$//')"
  keys "$K2"
  start_api
  check "rotation done (k1 dropped): login with the code" 200 "$(login_code)"
  keys "$K3"
  start_api
  check "a key list that opens nothing: the login is refused" 401 "$(login_code)"
  stop_api
  keys "k1:c2hvcnQ="
  check "a malformed key list stops the process with one line" "2 1" \
    "$("$APS_BIN" secrets status > /dev/null 2> "$work/err"; echo "$? $(grep -c 'DATA_ENCRYPTION_KEYS: key .k1. is not 32 bytes' "$work/err")")"
}

backend=sqlite
export DATABASE_URL="sqlite:///$work/aps.db"
run_backend
if [ -n "${APS_TEST_PG_URL:-}" ]; then
  backend=pg
  psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" > /dev/null
  export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
  run_backend
elif [ "${APS_TEST_PG_OPTIONAL:-0}" != 1 ]; then
  fail=$((fail + 1))
  echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
