#!/usr/bin/env bash
# secrets_leak.sh — every secret file read is audited once per process (which secret, which
# process, never the value), and after an end-to-end run in production no secret value appears in
# the processes' logs, `aps config print` / `aps config get`, /metrics, any response body (error
# bodies included: bad credentials, bad input, tokens signed with another key, unknown routes,
# the admin settings list), the collectors' output (TheOddsAPI and weather keys travel in the
# providers' URLs) or the audit log. SQLite, then PostgreSQL + Redis (APS_TEST_PG_URL,
# APS_TEST_REDIS_URL), with the database password in the DATABASE_URL secret.
# Needs: APS_BIN, APS_BUILD_DIR (mock_providers, totp_code), curl, jq, openssl, sqlite3; psql for PostgreSQL.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
MOCK=${APS_MOCK_BIN:-${APS_BUILD_DIR:?APS_BUILD_DIR is the build folder}/mock_providers}
TOTP=${APS_TOTP_CODE:-$APS_BUILD_DIR/totp_code}
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for t in curl jq openssl sqlite3; do command -v "$t" > /dev/null || { echo "secrets_leak: $t is missing" >&2; exit 1; }; done
work=$(mktemp -d)
pids=()
pgdb="aps_leak_$$"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null && wait "$p" 2> /dev/null; done
  [ -n "${APS_TEST_PG_URL:-}" ] && psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
cd "$SRC" || exit 1
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL [$backend]: $1: expected '$2', got '$3'"; fi
}
rnd() { openssl rand -hex 24; }
PW="correct horse battery staple"
printf '%s\n' "$PW" > "$work/pw"

"$MOCK" --port 0 > "$work/mock.json" 2> "$work/mock.err" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/mock.json" ] && break; sleep 0.1; done
mock="http://127.0.0.1:$(jq -r .port "$work/mock.json")"

run_backend() { # database-url (without password) db-password
  local out=$work/$backend
  mkdir -p "$out" "$work/secrets-$backend"
  local sec=$work/secrets-$backend
  SECRET_KEY_V=sk$(rnd) JWT_V=jw$(rnd) ODDS_V=od$(rnd) WEATHER_V=we$(rnd) ESPN_V=es$(rnd)
  printf '%s' "$SECRET_KEY_V" > "$sec/SECRET_KEY"
  printf '%s' "$JWT_V" > "$sec/JWT_SECRET"
  printf 'live:%s' "$ODDS_V" > "$sec/ODDS_API_KEY"
  printf 'live:%s' "$WEATHER_V" > "$sec/WEATHER_API_KEY"
  printf '%s' "$ESPN_V" > "$sec/ESPN_API_KEY"
  DEK_V=$(openssl rand -base64 32)
  printf 'k1:%s' "$DEK_V" > "$sec/DATA_ENCRYPTION_KEYS"
  local url=$1 dbpw=${2:-}
  [ -n "$dbpw" ] && url=$(echo "$url" | sed "s#://\([^@/]*\)@#://\1:$dbpw@#")
  printf '%s' "$url" > "$sec/DATABASE_URL"
  SECRETS=("$SECRET_KEY_V" "$JWT_V" "$ODDS_V" "$WEATHER_V" "$ESPN_V" "$DEK_V" ${dbpw:+"$dbpw"})
  export ENVIRONMENT=production APS_SECRETS_DIR=$sec LOG_LEVEL=DEBUG RATE_LIMIT_PER_MIN=1000000
  export ODDS_API_BASE_URL="$mock/v4" ESPN_API_BASE_URL="$mock/apis/site/v2/sports" WEATHER_API_BASE_URL="$mock/data/2.5"
  unset DATABASE_URL

  "$APS_BIN" migrate > "$out/migrate.log" 2>&1
  "$APS_BIN" user create --email admin@example.com --role admin --password-file "$work/pw" > "$out/user.log" 2>&1
  "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 2 > "$out/api.log" 2>&1 &
  pids+=($!)
  local port=""
  for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$out/api.log" 2> /dev/null | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  check "the api started in production" 1 "$([ -n "$port" ] && echo 1)"
  local b="http://127.0.0.1:$port" n=0
  call() { # method path [token] [body] — the status in $code, the body in $out/body-N
    n=$((n + 1))
    code=$(curl -s -o "$out/body-$n" -w '%{http_code}' -X "$1" "$b$2" ${3:+-H "Authorization: Bearer $3"} \
      -H 'Content-Type: application/json' ${4:+-d "$4"})
  }
  call POST /api/v1/auth/register '' '{"email":"u@example.com","password":"'"$PW"'","name":"U"}'
  call POST /api/v1/auth/login '' '{"email":"admin@example.com","password":"'"$PW"'"}'
  local admin
  admin=$(jq -r .access_token "$out/body-$n")
  check "admin signed in" 1 "$([ ${#admin} -gt 20 ] && echo 1)"
  # Production requires 2FA of an admin on the staff's routes: turn it on (its seed is sealed
  # with the data key, one more secret in play).
  call GET /api/v1/admin/settings "$admin"
  check "production: an admin without 2FA is refused the admin routes" 403 "$code"
  call POST /api/v1/auth/2fa/setup "$admin"
  local seed
  seed=$(jq -r .secret "$out/body-$n")
  call POST /api/v1/auth/2fa/verify "$admin" "{\"code\":\"$("$TOTP" "$seed")\"}"
  check "the admin turns 2FA on" 200 "$code"
  call POST /api/v1/auth/login '' '{"email":"admin@example.com","password":"nope-nope-nope"}'
  check "wrong password: 401" 401 "$code"
  local forged
  forged=$(printf '%s.%s.%s' "$(printf '{"alg":"HS256","typ":"JWT"}' | base64 -w0 | tr -d '=' | tr '/+' '_-')" \
    "$(printf '{"sub":"1","role":"admin","exp":9999999999}' | base64 -w0 | tr -d '=' | tr '/+' '_-')" "c2lnbmF0dXJl")
  call GET /api/v1/auth/me "$forged"
  check "a token signed with another key: 401" 401 "$code"
  call PUT /api/v1/admin/settings/KELLY_FRACTION "$admin" '{"value":"x"}'
  check "bad input: 400" 400 "$code"
  call POST /api/v1/auth/login '' '{"email":'
  check "malformed JSON: 400" 400 "$code"
  call PUT /api/v1/admin/settings/ODDS_API_KEY "$admin" '{"value":"x"}'
  check "a secret setting cannot be set" 400 "$code"
  call GET /api/v1/nope "$admin"
  check "unknown route: 404" 404 "$code"
  call GET /api/v1/admin/settings "$admin"
  check "the admin settings list" 200 "$code"
  check "the settings list shows the secrets redacted" "(set, redacted)" \
    "$(jq -r '.items[] | select(.name == "ODDS_API_KEY") | .value' "$out/body-$n")"
  call POST /api/v1/auth/api-keys "$admin" '{"name":"k"}'
  call GET /metrics
  check "metrics" 200 "$code"
  "$APS_BIN" config print > "$out/config.txt" 2>&1
  "$APS_BIN" config print --format json > "$out/config.json" 2>&1
  for k in SECRET_KEY JWT_SECRET ODDS_API_KEY DATABASE_URL; do "$APS_BIN" config get "$k" >> "$out/config-get.txt" 2>&1; done
  "$APS_BIN" collect schedule --sport NBA --days 2 --metrics > "$out/collect-schedule.log" 2>&1
  "$APS_BIN" collect odds --sport NBA --metrics > "$out/collect-odds.log" 2>&1
  curl -s -X POST "$mock/_control/fail?mode=500&count=5" > /dev/null
  "$APS_BIN" collect odds --sport NBA --metrics > "$out/collect-fail.log" 2>&1
  check "the collector reached the mock with the key" 1 "$([ "$(curl -s "$mock/_control/state" | jq -r .served)" -ge 2 ] && echo 1)"
  kill "${pids[-1]}" 2> /dev/null && wait "${pids[-1]}" 2> /dev/null
  unset 'pids[-1]'

  if [ "$backend" = pg ]; then q() { psql "$1" -Atqc "$2"; }; else q() { sqlite3 "${1#sqlite:///}" "$2"; }; fi
  q "$1" "select action, coalesce(resource_id, ''), coalesce(details, '') from audit_log" > "$out/audit.txt"
  check "the api's secret reads are audited once each" "DATABASE_URL DATA_ENCRYPTION_KEYS ESPN_API_KEY JWT_SECRET ODDS_API_KEY SECRET_KEY WEATHER_API_KEY" \
    "$(grep '^secret_read|' "$out/audit.txt" | grep '"command":"api"' | cut -d'|' -f2 | sort | tr '\n' ' ' | sed 's/ $//')"
  check "… naming the file and the process" 1 \
    "$(grep -c "^secret_read|ODDS_API_KEY|{\"command\":\"api\",\"file\":\"$sec/ODDS_API_KEY\",\"process\":\"[^\"]*:[0-9]*\"}$" "$out/audit.txt")"
  check "each process that opens the store audits its own reads" 1 \
    "$([ "$(grep -c '^secret_read|SECRET_KEY|' "$out/audit.txt")" -ge 3 ] && echo 1)"
  local leaks=""
  for s in "${SECRETS[@]}"; do
    for f in "$out"/*; do grep -q -a -F -- "$s" "$f" && leaks+="$(basename "$f") "; done
  done
  check "no secret value in logs, config output, metrics, bodies, collector output or the audit log" "" "$leaks"
  check "the files looked at: logs, config, metrics, bodies, collectors, audit" 1 \
    "$([ "$(ls "$out" | wc -l)" -ge 20 ] && echo 1)"
}

backend=sqlite
run_backend "sqlite:///$work/leak.db"
if [ -n "${APS_TEST_PG_URL:-}" ] && [ -n "${APS_TEST_REDIS_URL:-}" ]; then
  backend=pg
  psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" > /dev/null
  printf '%s' "$APS_TEST_REDIS_URL" > /dev/null
  export REDIS_URL=$APS_TEST_REDIS_URL REDIS_KEY_PREFIX="leak$$"
  run_backend "${APS_TEST_PG_URL%/*}/$pgdb" "pgpw$(openssl rand -hex 8)"
elif [ "${APS_TEST_PG_OPTIONAL:-0}" != 1 ]; then
  fail=$((fail + 1))
  echo "FAIL: APS_TEST_PG_URL / APS_TEST_REDIS_URL unset, so PostgreSQL + Redis were not tested; APS_TEST_PG_OPTIONAL=1 skips them"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
