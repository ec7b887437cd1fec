#!/usr/bin/env bash
# Database credential rotation without a restart, on real PostgreSQL (APS_TEST_PG_URL, a
# superuser URL: scripts/pgtest). The test makes its own database and login role, and puts a
# password rule (scram-sha-256) for that role first in the cluster's pg_hba.conf, so a wrong
# password really is refused (the rule is removed again at the end). An `aps api` and an
# `aps worker` read DATABASE_URL from the secrets directory. Under load (clients on an
# authenticated route, whose every request reads the store; noop jobs that sleep while leased):
#   - ALTER ROLE … PASSWORD, the new URL written to the secrets directory, SIGHUP to both:
#     zero failed requests, every job done (none retried, none dead);
#   - then every server connection of the role is terminated: the pools reconnect, which only
#     the new password allows, and requests still answer 200;
#   - a URL with a wrong password + SIGHUP: the reload is refused (logged, one line, no password
#     in it) and the process goes on with the working credentials.
# Needs: APS_BIN, APS_TEST_PG_URL (or APS_TEST_PG_OPTIONAL=1 to skip without PostgreSQL), psql,
# python3, curl, jq.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${APS_TEST_PG_URL:-}" ]; then
  [ "${APS_TEST_PG_OPTIONAL:-}" = 1 ] && { echo "SKIP: APS_TEST_PG_URL unset (APS_TEST_PG_OPTIONAL=1)"; exit 77; }
  echo "FAIL: APS_TEST_PG_URL is unset: start PostgreSQL with scripts/pgtest start"; exit 1
fi
for t in psql python3 curl jq; do command -v $t >/dev/null || { echo "FAIL: $t is required"; exit 1; }; done
work=$(mktemp -d)
pids=()
su() { psql "$APS_TEST_PG_URL" -v ON_ERROR_STOP=1 -Atqc "$1"; }
role="aps_rot_$$"
hba=$(su "SHOW hba_file")
hba_saved=""
# Rewrites pg_hba.conf from SQL (the cluster may belong to another OS user) and reloads it.
hba_write() { # lines (newline-separated)
  local q
  q=$(printf '%s' "$1" | sed "s/'/''/g")
  su "COPY (SELECT unnest(string_to_array('$q', E'\\n'))) TO '$hba'" > /dev/null
  su "SELECT pg_reload_conf()" > /dev/null
}
cleanup() {
  touch "$work/stop"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$hba_saved" ] && hba_write "$hba_saved" || true
  su "DROP DATABASE IF EXISTS $role WITH (FORCE)" > /dev/null 2>&1 || true
  su "DROP ROLE IF EXISTS $role" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}

# The role, its database and the password rule.
hostport=$(echo "$APS_TEST_PG_URL" | sed -E 's#^[a-z]+://[^@]*@([^/]+)/.*#\1#')
pw1="first-password-$RANDOM$RANDOM" pw2="second-password-$RANDOM$RANDOM"
su "SET password_encryption = 'scram-sha-256'; CREATE ROLE $role LOGIN PASSWORD '$pw1'" > /dev/null
su "CREATE DATABASE $role OWNER $role" > /dev/null
hba_saved=$(su "SELECT pg_read_file('$hba')")
hba_write "host $role $role 127.0.0.1/32 scram-sha-256
$hba_saved"
url() { echo "postgresql://$role:$1@$hostport/$role"; }
psql "$(url wrong)" -Atqc "SELECT 1" > /dev/null 2>&1 && wrong_ok=1 || wrong_ok=0
check "the cluster refuses a wrong password for the role" 0 $wrong_ok
check "the first password works" 1 "$(psql "$(url "$pw1")" -Atqc "SELECT 1")"

cd "$work"
mkdir -p config secrets
unset DATABASE_URL DATABASE_URL_FILE REDIS_URL LOG_LEVEL
export ENVIRONMENT=development APS_SECRETS_DIR="$work/secrets" RATE_LIMIT_PER_MIN=1000000
export JWT_SECRET="db-rotation-integration-secret-0123456789" DATABASE_POOL_SIZE=4
echo "LOG_LEVEL=WARNING" > config/development.env
url "$pw1" > secrets/DATABASE_URL
"$APS_BIN" migrate > /dev/null
echo "correct horse battery staple" > pw
"$APS_BIN" user create --email rot@example.com --role user --password-file pw > /dev/null
source "$here/lib/api_process.sh"
source "$here/lib/reload.sh"
start_api api; api=$port
"$APS_BIN" worker --port 0 --threads 4 > worker.log 2>&1 &
pids+=($!); worker_pid=$!
token=$(login rot@example.com "$api")
[ -n "$token" ] && [ "$token" != null ] || { echo "FAIL: login"; cat api.log; exit 1; }

python3 "$here/lib/load.py" "http://127.0.0.1:$api/api/v1/auth/me" --token "$token" --threads 4 \
  --rate 100 --out load.txt --stop stop > load.json &
pids+=($!); load_pid=$!
"$APS_BIN" worker enqueue noop --payload '{"sleep_ms": 300}' --key "rot-a-{n}" --count 40 > /dev/null
sleep 1.5
su "ALTER ROLE $role PASSWORD '$pw2'" > /dev/null
url "$pw2" > secrets/DATABASE_URL.new && mv secrets/DATABASE_URL.new secrets/DATABASE_URL
hup_wait api "${pids[0]}"
hup_wait worker "$worker_pid"
"$APS_BIN" worker enqueue noop --payload '{"sleep_ms": 300}' --key "rot-b-{n}" --count 40 > /dev/null
sleep 2
touch stop
wait "$load_pid" || true
for _ in $(seq 300); do
  left=$(psql "$(url "$pw2")" -Atqc "SELECT COUNT(*) FROM jobs WHERE name = 'noop' AND state <> 'done'")
  [ "$left" = 0 ] && break
  sleep 0.1
done

check_load load.json 100
check "api applied the new DATABASE_URL" '["DATABASE_URL"]' "$(last_applied api)"
check "worker applied the new DATABASE_URL" '["DATABASE_URL"]' "$(last_applied worker)"
check "every job done" "80 0 0" "$(psql "$(url "$pw2")" -Atqc "SELECT COUNT(*) FILTER (WHERE state = 'done'),
  COUNT(*) FILTER (WHERE state = 'dead'), COUNT(*) FILTER (WHERE attempts > 1) FROM jobs WHERE name = 'noop'" | tr '|' ' ')"

# Only the new password can reconnect now.
su "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '$role'" > /dev/null
sleep 0.5
codes=""
for _ in 1 2 3 4 5 6; do
  codes+="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$api/api/v1/auth/me") "
done
# The first request after the kill may meet a connection the server just closed (503); the pool
# replaces it, and from then on every request answers 200.
echo "after terminating the old sessions: $codes"
check "after the old sessions are gone, requests reconnect with the new password" "200 200 200" \
  "$(echo $codes | awk '{print $4, $5, $6}')"

# A password that does not work is refused; the working one stays.
url "wrong-password" > secrets/DATABASE_URL
hup_wait api "${pids[0]}"
line=$(grep '"trigger":"SIGHUP"' api.log | tail -1)
check "a non-working URL refuses the reload" refused "$(echo "$line" | jq -r .reload)"
case "$(echo "$line" | jq -r .msg)" in "new DATABASE_URL refused: cannot connect"*) r=1 ;; *) r=0 ;; esac
echo "refused: $(echo "$line" | jq -r .msg)"
check "the refusal says why (one line)" 1 $r
check "no password in the logs" 0 "$(cat api.log worker.log | grep -c -e "$pw1" -e "$pw2" -e wrong-password || true)"
check "requests still work" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$api/api/v1/auth/me")"
kill -0 "${pids[0]}" && check "api still running" 1 1 || check "api still running" 1 0

echo "db_credential_rotation: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
