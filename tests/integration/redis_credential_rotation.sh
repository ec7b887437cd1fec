#!/usr/bin/env bash
# Redis credential rotation without a restart (APS_TEST_REDIS_URL: scripts/redistest). The test
# makes two ACL users of its own; `aps api`, `aps worker` and `aps scheduler` read REDIS_URL
# (cache, rate limits on every request, the job queue, the scheduler lock) from the secrets
# directory, on a SQLite store. Under load (authenticated requests; noop jobs that sleep while
# leased):
#   - the second user's URL written to the secrets directory, SIGHUP to the three processes:
#     every one applies REDIS_URL;
#   - a few seconds later no connection of the first user is left (the pools drained), and the
#     first user is deleted: only the second user can connect from then on;
#   - zero failed requests, every job done at its first attempt, the scheduler still leads;
#   - a URL with a wrong password + SIGHUP: refused with one line (no password), nothing changes.
# Needs: APS_BIN, APS_TEST_REDIS_URL, redis-cli, python3, curl, jq, sqlite3.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
: "${APS_TEST_REDIS_URL:?APS_TEST_REDIS_URL is unset: start Redis with scripts/redistest start}"
here=$(cd "$(dirname "$0")" && pwd)
for t in redis-cli python3 curl jq sqlite3; do command -v $t >/dev/null || { echo "FAIL: $t is required"; exit 1; }; done
work=$(mktemp -d)
pids=()
u1="aps_rot1_$$" u2="aps_rot2_$$"
rc() { redis-cli -u "$APS_TEST_REDIS_URL" "$@"; }
cleanup() {
  touch "$work/stop"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rc ACL DELUSER "$u1" "$u2" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}

pw1="first-redis-password-$RANDOM$RANDOM" pw2="second-redis-password-$RANDOM$RANDOM"
rc ACL SETUSER "$u1" on ">$pw1" '~*' '&*' +@all > /dev/null
rc ACL SETUSER "$u2" on ">$pw2" '~*' '&*' +@all > /dev/null
hostdb=$(echo "$APS_TEST_REDIS_URL" | sed -E 's#^redis://([^@]*@)?##')
url() { echo "redis://$1:$2@$hostdb"; }

cd "$work"
mkdir -p config secrets
unset REDIS_URL REDIS_URL_FILE DATABASE_URL LOG_LEVEL
export ENVIRONMENT=development APS_SECRETS_DIR="$work/secrets" DATABASE_URL="sqlite:///$work/aps.db"
export JWT_SECRET="redis-rotation-integration-secret-0123456789" RATE_LIMIT_PER_MIN=1000000
export REDIS_KEY_PREFIX="rot$$" SCHEDULER_LOCK_TTL_MS=3000
export SCHEDULE_ODDS_SECONDS=0 SCHEDULE_SCHEDULE_SECONDS=0 SCHEDULE_SCORES_SECONDS=0
export SCHEDULE_SCORES_LIVE_SECONDS=0 SCHEDULE_WEATHER_SECONDS=0
echo "LOG_LEVEL=WARNING" > config/development.env
url "$u1" "$pw1" > secrets/REDIS_URL
"$APS_BIN" migrate > /dev/null
echo "correct horse battery staple" > pw
"$APS_BIN" user create --email rot@example.com --role user --password-file pw > /dev/null
source "$here/lib/api_process.sh"
source "$here/lib/reload.sh"
start_api api; api=$port; api_pid=${pids[0]}
"$APS_BIN" worker --port 0 --threads 4 > worker.log 2>&1 &
pids+=($!); worker_pid=$!
"$APS_BIN" scheduler > scheduler.log 2>&1 &
pids+=($!); sched_pid=$!
token=$(login rot@example.com "$api")
[ -n "$token" ] && [ "$token" != null ] || { echo "FAIL: login"; cat api.log; exit 1; }
clients_of() { rc CLIENT LIST | grep -c " user=$1 " || true; }
check "the first user is connected" 1 "$([ "$(clients_of "$u1")" -gt 0 ] && echo 1 || echo 0)"

python3 "$here/lib/load.py" "http://127.0.0.1:$api/api/v1/auth/me" --token "$token" --threads 4 \
  --rate 100 --out load.txt --stop stop > load.json &
pids+=($!); load_pid=$!
"$APS_BIN" worker enqueue noop --payload '{"sleep_ms": 300}' --key "rot-a-{n}" --count 40 > /dev/null
sleep 1.5
url "$u2" "$pw2" > secrets/REDIS_URL.new && mv secrets/REDIS_URL.new secrets/REDIS_URL
hup_wait api "$api_pid"
hup_wait worker "$worker_pid"
hup_wait scheduler "$sched_pid"
"$APS_BIN" worker enqueue noop --payload '{"sleep_ms": 300}' --key "rot-b-{n}" --count 40 > /dev/null
sleep 2.5 # longer than a blocking claim (1 s): every connection of the first user is back
check "the pools drained: no connection of the first user is left" 0 "$(clients_of "$u1")"
rc ACL DELUSER "$u1" > /dev/null
"$APS_BIN" worker enqueue noop --payload '{"sleep_ms": 100}' --key "rot-c-{n}" --count 20 > /dev/null
sleep 2
touch stop
wait "$load_pid" || true
done_jobs=0
for _ in $(seq 300); do
  done_jobs=$(curl -s "http://127.0.0.1:$(grep -o '"port":[0-9]*' worker.log | head -1 | cut -d: -f2)/metrics" |
    awk '$1 ~ /^aps_jobs_total\{.*name="noop".*outcome="ok"/ {s += $2} END {print s + 0}' || true)
  [ "$done_jobs" -ge 100 ] && break
  sleep 0.1
done

check_load load.json 100
echo "noop jobs done: $done_jobs"
for n in api worker scheduler; do
  check "$n applied the new REDIS_URL" '["REDIS_URL"]' "$(last_applied $n)"
done
check "the second user is connected" 1 "$([ "$(clients_of "$u2")" -gt 0 ] && echo 1 || echo 0)"
check "all 100 jobs done" 100 "$done_jobs"
check "no job failed or retried" 0 \
  "$(curl -s "http://127.0.0.1:$(grep -o '"port":[0-9]*' worker.log | head -1 | cut -d: -f2)/metrics" |
     awk '$1 ~ /^aps_jobs_total\{.*name="noop"/ && $1 !~ /outcome="ok"/ {s += $2} END {print s + 0}')"
check "the scheduler still holds its lock" 1 \
  "$(rc --raw EXISTS "rot$$:lock:scheduler" 2>/dev/null || echo "?")"

url "$u2" "wrong-password" > secrets/REDIS_URL
hup_wait api "$api_pid"
line=$(grep '"trigger":"SIGHUP"' api.log | tail -1)
echo "refused: $(echo "$line" | jq -r .msg)"
check "a URL that cannot connect refuses the reload" refused "$(echo "$line" | jq -r .reload)"
case "$(echo "$line" | jq -r .msg)" in "new REDIS_URL refused: AUTH refused"*) r=1 ;; *) r=0 ;; esac
check "the refusal says why (one line)" 1 $r
check "no password in the logs" 0 \
  "$(cat api.log worker.log scheduler.log | grep -c -e "$pw1" -e "$pw2" -e wrong-password || true)"
check "requests still work" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$api/api/v1/auth/me")"

echo "redis_credential_rotation: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
