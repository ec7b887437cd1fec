#!/usr/bin/env bash
# Fault: rolling restarts of two `aps api` processes behind nginx with proxy_next_upstream off
# (a failed upstream request is the client's failure, never retried elsewhere), under steady
# signed-in reads (200 per second, a new connection each). A small controller stands in for the
# load balancer's health checks (Kubernetes endpoints, an ingress): every 250 ms it asks each
# api's /api/v1/health/ready and keeps nginx's upstream to the ready ones (nginx -s reload).
# Each restart: a new api starts and becomes ready, the old one gets SIGTERM and, for
# API_SHUTDOWN_DELAY_SECONDS (2 here), answers readiness 503 while still serving, so the
# controller takes it out before its listener closes; then it finishes in-flight requests and
# exits. Six restarts (three rounds of both); must hold: 0 failed requests. For comparison, one
# more restart of an api started with no delay (API_SHUTDOWN_DELAY_SECONDS=0): its failed
# requests are counted and printed (the drain window is what saves them).
# SQLite store shared by both apis. Needs: APS_BIN, nginx, python3, jq, curl.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
for tool in nginx python3 jq curl; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is missing (scripts/bootstrap installs it)"; exit 1; }
done
pass=0 fail=0 pids=()
check() { if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi; }
cleanup() {
  touch "$work/stop-load" "$work/stop-ctl"
  for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
  [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid")" 2> /dev/null
  if [ -n "${FAULT_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export ENVIRONMENT=development LOG_LEVEL=INFO APS_MIGRATIONS_DIR="$SRC/migrations" REDIS_URL=
export DATABASE_URL="sqlite:///$work/aps.db" RATE_LIMIT_PER_MIN=1000000
export API_SHUTDOWN_DELAY_SECONDS=2 API_DRAIN_SECONDS=10
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }

n=0
start_api() { # [extra env] — starts api number n+1; prints nothing; sets last_pid, last_port
  n=$((n + 1))
  env "$@" "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 4 > "$work/api$n.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
  last_port=""
  for _ in $(seq 100); do
    last_port=$(grep -m1 '"msg":"listening"' "$work/api$n.log" 2> /dev/null | jq -r '.port // empty')
    [ -n "$last_port" ] && break
    sleep 0.1
  done
  echo "$last_port" >> "$work/apis"
}
# The controller: the upstream holds the apis whose readiness answers 200.
cat > "$work/ctl.sh" <<'CTL'
work=$1
prev=""
while [ ! -e "$work/stop-ctl" ]; do
  up=""
  for p in $(sort -u "$work/apis"); do
    code=$(curl -s -o /dev/null -m 0.5 -w '%{http_code}' "http://127.0.0.1:$p/api/v1/health/ready")
    [ "$code" = 200 ] && up="$up $p"
  done
  if [ -n "$up" ] && [ "$up" != "$prev" ]; then
    { echo "upstream apis {"; for p in $up; do echo "  server 127.0.0.1:$p;"; done; echo "}"; } > "$work/upstream.conf.new"
    mv "$work/upstream.conf.new" "$work/upstream.conf"
    nginx -c "$work/nginx.conf" -s reload 2>> "$work/ctl.err"
    echo "$(date +%s.%N)$up" >> "$work/ctl.log"
    prev=$up
  fi
  sleep 0.25
done
CTL
in_upstream() { grep -q "127.0.0.1:$1;" "$work/upstream.conf"; }
wait_for() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }

start_api; a=$last_pid; pa=$last_port
start_api; b=$last_pid; pb=$last_port
printf 'upstream apis {\n  server 127.0.0.1:%s;\n  server 127.0.0.1:%s;\n}\n' "$pa" "$pb" > "$work/upstream.conf"
nport=$(free_port)
mkdir -p "$work/tmp"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/tmp;
    proxy_temp_path $work/tmp;
    fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp;
    scgi_temp_path $work/tmp;
    include $work/upstream.conf;
    server {
        listen 127.0.0.1:$nport;
        location / {
            proxy_pass http://apis;
            proxy_next_upstream off;
            proxy_set_header Authorization \$http_authorization;
        }
    }
}
CONF
nginx -c "$work/nginx.conf" || { echo "FAIL: nginx did not start"; exit 1; }
bash "$work/ctl.sh" "$work" &
pids+=($!)
printf 'correct horse battery staple\n' > "$work/pw"
"$APS_BIN" user create --email roll@example.com --role user --password-file "$work/pw" > /dev/null
token=$(curl -s -X POST "http://127.0.0.1:$nport/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"roll@example.com","password":"correct horse battery staple"}' | jq -r .access_token)
[ -n "$token" ] && [ "$token" != null ] || { echo "FAIL: sign-in through nginx"; exit 1; }

load() { # NAME — starts the load through nginx
  rm -f "$work/stop-load"
  python3 "$(dirname "$0")/lib/load.py" "http://127.0.0.1:$nport/api/v1/betting/bankrolls" --token "$token" \
    --threads 4 --rate 200 --close --out "$work/load-$1.txt" --stop "$work/stop-load" > "$work/load-$1.json" &
  load_pid=$!
}
restart() { # PID — starts a replacement, waits until it is in the upstream, stops PID; sets new_pid
  start_api "${@:2}"
  new_pid=$last_pid
  wait_for in_upstream "$last_port" || echo "FAIL: api $n never entered the upstream"
  kill -TERM "$1"
  wait "$1"
}
load rolling
sleep 1
for _ in 1 2 3; do # three rounds of both
  restart "$a"; a=$new_pid
  restart "$b"; b=$new_pid
done
sleep 1
touch "$work/stop-load"; wait "$load_pid"
rolling=$(cat "$work/load-rolling.json")
failed=$(echo "$rolling" | jq '[to_entries[] | select(.key != "200") | .value] | add // 0')
echo "fault_rolling_restart: 6 restarts behind nginx (proxy_next_upstream off), drain window 2 s: answers $rolling, failed $failed"
check "failed requests over 6 rolling restarts" 0 "$failed"
check "every api stopped after draining" 6 "$(grep -l '"msg":"stopped"' "$work"/api*.log | wc -l)"

# The comparison: an api with no delay closes its listener while nginx still routes to it.
start_api API_SHUTDOWN_DELAY_SECONDS=0; c=$last_pid
wait_for in_upstream "$last_port"
load nodelay
sleep 1
kill -TERM "$c"; wait "$c"
sleep 2
touch "$work/stop-load"; wait "$load_pid"
nodelay=$(cat "$work/load-nodelay.json")
echo "fault_rolling_restart: one restart without the drain window (API_SHUTDOWN_DELAY_SECONDS=0): answers $nodelay, failed $(echo "$nodelay" | jq '[to_entries[] | select(.key != "200") | .value] | add // 0')"
echo "fault_rolling_restart: $pass passed, $fail failed"
[ "$fail" = 0 ]
