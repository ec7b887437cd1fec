#!/usr/bin/env bash
# Configuration reload without a restart, on real processes: `aps api`, `aps worker`,
# `aps scheduler` and `aps serve` run from a directory with their own config/development.env and
# secrets directory (SQLite store).
#   1. LOG_LEVEL and RATE_LIMIT_PER_MIN changed in the env file + SIGHUP: every process logs the
#      reload, the api's X-RateLimit-Limit follows and its request log lines appear.
#   2. An invalid value + SIGHUP: every process keeps running on the old value and logs the same
#      one-line error that start-up prints for that file (`aps config print` shows it).
#   3. A setting that cannot change live (WORKERS) is reported as needing a restart.
#   4. POST /api/v1/admin/config/reload: 403 for a user, 200 for an admin with the applied
#      settings (a new provider key in the secrets directory included), 409 with the one-line
#      error for an invalid file; each admin call is in audit_log (config_reloaded).
# Needs: APS_BIN, curl, jq, sqlite3.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
for t in curl jq sqlite3; do command -v $t >/dev/null || { echo "FAIL: $t is required"; exit 1; }; done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/reload.sh"
cd "$work"
mkdir -p config secrets
# The settings under test come from the file only: nothing in the environment may override them.
unset LOG_LEVEL RATE_LIMIT_PER_MIN WORKERS ODDS_API_KEY REDIS_URL
export ENVIRONMENT=development DATABASE_URL="sqlite:///$work/aps.db" APS_SECRETS_DIR="$work/secrets"
export JWT_SECRET="config-reload-integration-secret-0123456789"
export SCHEDULE_ODDS_SECONDS=0 SCHEDULE_SCHEDULE_SECONDS=0 SCHEDULE_SCORES_SECONDS=0
export SCHEDULE_SCORES_LIVE_SECONDS=0 SCHEDULE_WEATHER_SECONDS=0
write_env() { printf 'LOG_LEVEL=%s\nRATE_LIMIT_PER_MIN=%s\n' "$1" "$2" > config/development.env; }
write_env WARNING 50
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}

# start NAME ARGS...: starts `aps ARGS` with its log in NAME.log, records its pid in pid_NAME and
# waits for its first log line ("listening" / "started").
start() {
  local name=$1; shift
  "$APS_BIN" "$@" > "$name.log" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
  for _ in $(seq 100); do
    grep -q '"msg":"\(listening\|started\)"' "$name.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: $name did not start"; cat "$name.log"; exit 1
}
port_of() { grep -o '"port":[0-9]*' "$1.log" | head -1 | cut -d: -f2; }
# hup_all: sends SIGHUP to every process and waits until each has logged one more outcome
hup_all() {
  local n
  for n in api worker scheduler serve; do eval "hup_wait $n \$pid_$n"; done
}
alive_all() {
  local n
  for n in api worker scheduler serve; do
    eval "kill -0 \$pid_$n" 2>/dev/null && check "$n is still running" 1 1 || check "$n is still running" 1 0
  done
}

"$APS_BIN" migrate > /dev/null
echo "correct horse battery staple" > pw
"$APS_BIN" user create --email admin@example.com --role admin --password-file pw > /dev/null
"$APS_BIN" user create --email user@example.com --role user --password-file pw > /dev/null

start api api --host 127.0.0.1 --port 0 --threads 2
start worker worker --port 0 --threads 1
start scheduler scheduler
start serve serve --host 127.0.0.1 --port 0 --threads 2 --worker-threads 1 --no-scheduler
api=$(port_of api)
serve=$(port_of serve)

admin=$(login admin@example.com "$api")
user=$(login user@example.com "$api")
serve_admin=$(login admin@example.com "$serve")
limit_of() { # port token → X-RateLimit-Limit of GET /auth/me
  curl -s -D - -o /dev/null -H "Authorization: Bearer $2" "http://127.0.0.1:$1/api/v1/auth/me" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-ratelimit-limit" {print $2}'
}
requests_logged() { grep -c '"msg":"request"' "$1.log" || true; }

# ---- 1. a good change reaches every process ---------------------------------------------------
check "api limit before" 50 "$(limit_of "$api" "$admin")"
check "serve limit before" 50 "$(limit_of "$serve" "$serve_admin")"
check "no request lines at WARNING" 0 "$(requests_logged api)"
write_env INFO 75
hup_all
for n in api worker scheduler serve; do
  line=$(grep '"trigger":"SIGHUP"' $n.log | tail -1)
  check "$n applied LOG_LEVEL and RATE_LIMIT_PER_MIN" '["LOG_LEVEL","RATE_LIMIT_PER_MIN"]' \
    "$(echo "$line" | jq -c .applied)"
done
check "api limit after SIGHUP" 75 "$(limit_of "$api" "$admin")"
check "serve limit after SIGHUP" 75 "$(limit_of "$serve" "$serve_admin")"
# the access log is written in batches (at most 5 ms after a request): wait up to 2 s for a line
for _ in $(seq 40); do [ "$(requests_logged api)" -ge 1 ] && break; sleep 0.05; done
[ "$(requests_logged api)" -ge 1 ] && check "request lines at INFO" 1 1 || check "request lines at INFO" 1 0

# ---- 2. an invalid value is refused, the old one stays ----------------------------------------
write_env INFO 0
expected=$("$APS_BIN" config print 2>&1 >/dev/null | sed 's/^aps: //' || true)
case "$expected" in invalid\ setting\ RATE_LIMIT_PER_MIN=0*) check "start-up refuses the file" 1 1 ;;
  *) check "start-up refuses the file (got: $expected)" 1 0 ;; esac
hup_all
for n in api worker scheduler serve; do
  line=$(grep '"trigger":"SIGHUP"' $n.log | tail -1)
  check "$n logs the start-up's one-line error" "$expected" "$(echo "$line" | jq -r .msg)"
  check "$n logs it at ERROR" ERROR "$(echo "$line" | jq -r .level)"
done
alive_all
check "api keeps the old limit" 75 "$(limit_of "$api" "$admin")"
check "serve keeps the old limit" 75 "$(limit_of "$serve" "$serve_admin")"

# ---- 3. a setting that needs a restart is named, not applied ----------------------------------
write_env INFO 75
echo "WORKERS=3" >> config/development.env
hup_all
line=$(grep '"trigger":"SIGHUP"' api.log | tail -1)
check "WORKERS needs a restart" '["WORKERS"]' "$(echo "$line" | jq -c .restart_required)"
check "nothing else changed" '[]' "$(echo "$line" | jq -c .applied)"

# ---- 4. the admin trigger ---------------------------------------------------------------------
reload() { # token → "status body"
  curl -s -o body.json -w '%{http_code}' -X POST -H "Authorization: Bearer $1" \
    "http://127.0.0.1:$api/api/v1/admin/config/reload"
}
check "a user may not reload" 403 "$(reload "$user")"
write_env INFO 90
echo "new-odds-key-0123456789" > secrets/ODDS_API_KEY
check "an admin reloads" 200 "$(reload "$admin")"
check "the response names what was applied" '["ODDS_API_KEY","RATE_LIMIT_PER_MIN"]' \
  "$(jq -c '.applied | sort' body.json)"
check "the response never holds the key" 0 "$(grep -c new-odds-key body.json || true)"
check "api limit after the admin reload" 90 "$(limit_of "$api" "$admin")"
write_env LOUD 90
expected=$("$APS_BIN" config print 2>&1 >/dev/null | sed 's/^aps: //' || true)
check "an invalid file answers 409" 409 "$(reload "$admin")"
check "409 carries the one-line error" "$expected" "$(jq -r .error.message body.json)"
check "the limit stays after a refused admin reload" 90 "$(limit_of "$api" "$admin")"
audit=$(sqlite3 aps.db "SELECT outcome FROM audit_log WHERE action='config_reloaded' ORDER BY id")
check "both admin reloads are audited" "success failure" "$(echo $audit)"
check "the audit names no secret value" 0 \
  "$(sqlite3 aps.db "SELECT COUNT(*) FROM audit_log WHERE details LIKE '%new-odds-key%'")"
check "the reload re-read the secret file (audited)" 1 \
  "$(sqlite3 aps.db "SELECT COUNT(*) > 0 FROM audit_log WHERE action='secret_read' AND resource_id='ODDS_API_KEY'")"

echo "config_reload: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
