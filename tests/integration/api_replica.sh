#!/usr/bin/env bash
# Read-replica routing with a real streaming replica: a PostgreSQL 15 primary and a hot standby
# made with pg_basebackup (both throwaway, loopback ports, run as the postgres user). The api
# gets DATABASE_URL (primary) and DATABASE_REPLICA_URL (standby). With replay paused on the
# standby, new games written to the primary are invisible to the api's reads — they are served
# by the replica — while writes still go to the primary and succeed; after replay resumes the
# reads see them. What a caller follows right after writing it is read from the primary: its
# bankroll's history, its backtest (and the list of them) and the job behind a request.
# Who may call is decided on the primary, once without Redis (every request reads the store) and
# once with it (the status cache): with replay paused, a fresh sign-in, a refreshed token, a new
# API key and a re-login after a role change are accepted at once, and a logout, a password
# change, a revoked key and a demotion refuse the old credential at once; the admin's lists show
# the demotion, the new account and an acknowledged alert at once.
# What decides is read on the primary too: with replay paused, `aps collect` (mock providers)
# refuses an odds call over the credit budget the provider last reported, reads the weather of a
# game it has just scheduled and does not fetch again a reading it has just stored, and
# POST /models/train accepts a sport whose games were just collected.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DATA=${APS_DATA_DIR:-${APS_SOURCE_DIR:?}/../shared/data}
dir=$(mktemp -d /tmp/aps-replica.XXXXXX)
chmod 755 "$dir"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
# shellcheck disable=SC2034 # start_api writes its logs in $work
work=$dir pids=()
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/api_process.sh"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  as_pg "$PGBIN/pg_ctl" -D "$dir/r" -m immediate stop > /dev/null 2>&1 || true
  as_pg "$PGBIN/pg_ctl" -D "$dir/p" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
# A setup step that fails ends the run (set -e): say which, with the servers' logs, before the
# scratch folder goes.
on_error() {
  echo "FAIL: line $1: $2 exited $3"
  for f in "$dir"/p.log "$dir"/r.log "$dir"/api*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
}
trap 'on_error "$LINENO" "$BASH_COMMAND" "$?"' ERR
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(free_port); P2=$(free_port)

as_pg "$PGBIN/initdb" -D "$dir/p" -U postgres -A trust -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log"
cat >> "$dir/p/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $P1
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
CONF
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n' > "$dir/p/pg_hba.conf"
as_pg "$PGBIN/pg_ctl" -D "$dir/p" -l "$dir/p.log" -w start > /dev/null
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$P1" -U postgres aps
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U postgres -D "$dir/r" -R -X stream -c fast > /dev/null
echo "port = $P2" >> "$dir/r/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$dir/r" -l "$dir/r.log" -w start > /dev/null

PRIMARY="postgresql://postgres@127.0.0.1:$P1/aps"
REPLICA="postgresql://postgres@127.0.0.1:$P2/aps"
check "the standby is in recovery" t "$(psql "$REPLICA" -Atc 'select pg_is_in_recovery()')"

export ENVIRONMENT=development LOG_LEVEL=WARNING DATABASE_URL=$PRIMARY REDIS_URL='' REQUIRE_TWO_FACTOR=false
export JWT_SECRET="api-replica-integration-secret-0123456789abcd" RATE_LIMIT_PER_MIN=1000000
"$APS_BIN" ingest football-data "$DATA/football-data/E0/1213_E0.csv" --quiet > /dev/null
wait_replayed() { # waits until the standby has replayed everything the primary wrote
  local lsn
  lsn=$(psql "$PRIMARY" -Atc 'select pg_current_wal_lsn()')
  for _ in $(seq 100); do
    [ "$(psql "$REPLICA" -Atc "select pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
    sleep 0.1
  done
  return 1
}
wait_replayed

export DATABASE_REPLICA_URL=$REPLICA
start_api api
base="http://127.0.0.1:$port/api/v1"
pw="correct horse battery staple"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/auth/register" -H 'Content-Type: application/json' \
  -d "{\"email\":\"replica@example.com\",\"password\":\"$pw\",\"name\":\"R\"}")
check "registering (a write) succeeds" 201 "$code"
# an analyst too: backtests and training are theirs to ask for
printf '%s\n' "$pw" | "$APS_BIN" user create --email analyst@example.com --role analyst > /dev/null
wait_replayed
token=$(curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"replica@example.com\",\"password\":\"$pw\"}" | jq -r .access_token)
analyst=$(curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"analyst@example.com\",\"password\":\"$pw\"}" | jq -r .access_token)
wait_replayed
games() { curl -s -H "Authorization: Bearer $token" "$base/games?sport=EPL&limit=$1" | jq .total; }
check "reads see the replicated games" 380 "$(games 1)"

# Pause replay on the standby, then write 380 more games to the primary.
psql "$REPLICA" -Atc 'select pg_wal_replay_pause()' > /dev/null
"$APS_BIN" ingest football-data "$DATA/football-data/E0/1314_E0.csv" --quiet > /dev/null
check "the primary holds the new games" 760 "$(psql "$PRIMARY" -Atc 'select count(*) from games')"
check "the api's reads come from the paused replica" 380 "$(games 2)"
code=$(curl -s -o "$dir/bankroll.json" -w '%{http_code}' -X POST "$base/betting/bankrolls" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"replica test","initial_amount":1000}')
check "a write while the replica is paused goes to the primary" 201 "$code"
check "the bankroll is on the primary" 1 "$(psql "$PRIMARY" -Atc 'select count(*) from bankrolls')"
check "and not yet on the replica" 0 "$(psql "$REPLICA" -Atc 'select count(*) from bankrolls')"
# A user's own bankroll is read from the primary, its history too: the dashboard shows both
# right after a deposit.
br=$(jq -r .id "$dir/bankroll.json")
curl -s -o /dev/null -X POST "$base/betting/bankrolls/$br/transactions" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"kind":"deposit","amount":25.5}'
code=$(curl -s -o "$dir/history.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
  "$base/betting/bankrolls/$br/history")
check "the new bankroll's history, replica paused" "200 2 1025.5" \
  "$code $(jq -r '.count' "$dir/history.json") $(jq -r '.items[-1].balance_after' "$dir/history.json")"

# A backtest and a training job are followed from the primary too: the dashboard reads the
# backtest, and a client the job, right after the request, then until the worker has ended it.
api() { curl -s -o "$dir/$1.json" -w '%{http_code}' -H "Authorization: Bearer $analyst" "${@:2}"; }
code=$(api bt -X POST "$base/backtests" -H 'Content-Type: application/json' -d '{"sport":"EPL","market":"moneyline"}')
check "a backtest request, replica paused" 202 "$code"
bt=$(jq -r .id "$dir/bt.json") job=$(jq -r .job_id "$dir/bt.json")
check "  the new backtest is read" "200 queued" "$(api one "$base/backtests/$bt") $(jq -r .state "$dir/one.json")"
check "  and listed" "200 $bt" "$(api list "$base/backtests") $(jq -r '.items[0].id' "$dir/list.json")"
check "  its job is followed" "200 backtest queued" \
  "$(api job "$base/jobs/$job") $(jq -r '"\(.name) \(.state)"' "$dir/job.json")"
code=$(api train -X POST "$base/models/train" -H 'Content-Type: application/json' -d '{"sport":"EPL","market":"moneyline"}')
check "a training job, replica paused, is followed" "202 200 train" \
  "$code $(api tj "$base/jobs/$(jq -r .id "$dir/train.json")") $(jq -r .name "$dir/tj.json")"
"$APS_BIN" worker run backtest --payload "{\"backtest_id\":$bt,\"sport\":\"EPL\"}" > "$dir/worker.log" 2>&1 || true
check "  a worker runs the backtest on the primary" "done" "$(psql "$PRIMARY" -Atc "select state from backtests where id = $bt")"
check "  and the backtest is read done, with its report" "200 done true" \
  "$(api one "$base/backtests/$bt") $(jq -r '"\(.state) \(.report != null)"' "$dir/one.json")"
check "  and listed done" "done" "$(api list "$base/backtests" > /dev/null; jq -r '.items[0].state' "$dir/list.json")"

psql "$REPLICA" -Atc 'select pg_wal_replay_resume()' > /dev/null
wait_replayed
check "after replay resumes the reads see the new games" 760 "$(games 3)"

# ---- what is decided, with the replica behind ------------------------------------------------
# `aps collect` (as a worker runs it, DATABASE_REPLICA_URL set) against the mock providers: the
# credit budget and the games due a weather reading are read on the primary; so is the api's
# check that a sport has games to train on.
"${APS_MOCK_BIN:-${APS_BUILD_DIR:?APS_BUILD_DIR is the build folder}/mock_providers}" --port 0 \
  > "$dir/mock.json" 2> "$dir/mock.err" &
pids+=($!)
for _ in $(seq 50); do [ -s "$dir/mock.json" ] && break; sleep 0.1; done
mock="http://127.0.0.1:$(jq -r .port "$dir/mock.json")"
export ODDS_API_KEY=replica-odds-key WEATHER_API_KEY=replica-weather-key ODDS_API_BASE_URL="$mock/v4"
export ESPN_API_BASE_URL="$mock/apis/site/v2/sports" WEATHER_API_BASE_URL="$mock/data/2.5"
served() { curl -s "$mock/_control/state" | jq -r .served; }
collect() { # JOB ARGS…: its exit status; its summary line in $dir/collect.json
  local rc=0
  LOG_LEVEL=INFO "$APS_BIN" collect "$@" --now "$(curl -s "$mock/_control/state" | jq -r .now)" \
    > "$dir/collect.log" 2>&1 || rc=$?
  grep '"msg":"collect' "$dir/collect.log" | tail -1 > "$dir/collect.json" || true
  echo "$rc"
}
summary() { jq -r "$1" "$dir/collect.json"; }
pause() { psql "$REPLICA" -Atc 'select pg_wal_replay_pause()' > /dev/null; }
resume() { psql "$REPLICA" -Atc 'select pg_wal_replay_resume()' > /dev/null; wait_replayed; }
check "collect sports records the provider's credits" 0 "$(collect sports)"
wait_replayed
pause
# The provider now says 3 credits remain; an odds call costs 6: refused before it is made (the
# free /sports, asked to confirm the count, is the one request; no credit is spent).
curl -s -o /dev/null -X POST "$mock/_control/quota?remaining=3"
collect sports > /dev/null
before=$(served)
used=$(curl -s "$mock/_control/state" | jq -r .requests_used)
rc=$(collect odds --sport NBA)
check "over the credit budget, replica paused: collect odds refused unmade" \
  "1 budget $((before + 1)) $used" \
  "$rc $(summary .failure) $(served) $(curl -s "$mock/_control/state" | jq -r .requests_used)"
curl -s -o /dev/null -X POST "$mock/_control/quota?remaining=400"
collect sports > /dev/null
# NFL games scheduled now are on the primary only: they can be trained on and are due weather.
collect schedule --sport NFL --days 1 > /dev/null
code=$(api train -X POST "$base/models/train" -H 'Content-Type: application/json' -d '{"sport":"NFL","market":"moneyline"}')
check "training on games just collected, replica paused" "202 -" "$code $(jq -r '.error.code // "-"' "$dir/train.json")"
rc=$(collect weather --sport NFL)
check "the outdoor game just scheduled gets its weather, replica paused" "0 1" \
  "$rc $(psql "$PRIMARY" -Atc 'select count(*) from weather where is_dome = 0 and temperature_f is not null')"
resume
pause
collect weather --sport NFL > /dev/null
before=$(served)
rc=$(collect weather --sport NFL)
check "a reading stored while the replica lags is not fetched again" "0 0 $before" \
  "$rc $(summary .weather_rows) $(served)"
resume

# ---- who may call, with the replica behind -------------------------------------------------
login() { # EMAIL: the token pair as JSON
  curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$pw\"}"
}
bearer() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$base$2"; }
keyed() { curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $1" "$base$2"; }
post() { # TOKEN PATH BODY [METHOD]: the response body
  curl -s -X "${4:-POST}" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -d "$3" "$base$2"
}
# auth_round NAME: accounts and credentials made while the replica keeps up, then replay paused
# and each change made and used at once.
auth_round() {
  local r=$1 u w k a d who
  for who in user:user pw:user pro:pro admin:admin staff:admin; do
    printf '%s\n' "$pw" | "$APS_BIN" user create --email "$r-${who%%:*}@example.com" --role "${who#*:}" > /dev/null
  done
  u=$(login "$r-user@example.com") w=$(login "$r-pw@example.com")
  k=$(login "$r-pro@example.com" | jq -r .access_token)
  a=$(login "$r-admin@example.com" | jq -r .access_token)
  d=$(login "$r-staff@example.com" | jq -r .access_token)
  local old_key staff_key staff_id
  old_key=$(post "$k" /auth/api-keys '{"name":"old"}')
  staff_key=$(post "$d" /auth/api-keys '{"name":"staff"}' | jq -r .key)
  staff_id=$(psql "$PRIMARY" -Atc "select id from users where email = '$r-staff@example.com'")
  local alert_id
  alert_id=$(psql "$PRIMARY" -Atqc "insert into alerts (kind, severity, title, message, created_at)
    values ('test', 'warning', '$r alert', 'raised before the pause', 1) returning id")
  wait_replayed
  check "$r: the credentials work before the pause" "200 200 200 200" \
    "$(bearer "$(jq -r .access_token <<< "$u")" /auth/me) $(keyed "$(jq -r .key <<< "$old_key")" /auth/me) $(bearer "$d" /admin/users) $(keyed "$staff_key" /admin/users)"
  psql "$REPLICA" -Atc 'select pg_wal_replay_pause()' > /dev/null

  local fresh again
  fresh=$(login "$r-user@example.com")
  check "$r: a sign-in, then at once GET /auth/me" 200 "$(bearer "$(jq -r .access_token <<< "$fresh")" /auth/me)"
  again=$(curl -s -X POST "$base/auth/refresh" -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$(jq -r .refresh_token <<< "$fresh")\"}")
  check "$r: its refreshed token, at once" 200 "$(bearer "$(jq -r .access_token <<< "$again")" /auth/me)"
  curl -s -o /dev/null -X POST "$base/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$r-new@example.com\",\"password\":\"$pw\",\"name\":\"N\"}"
  check "$r: register, sign in, then at once GET /auth/me" 200 \
    "$(bearer "$(login "$r-new@example.com" | jq -r .access_token)" /auth/me)"

  post "$(jq -r .access_token <<< "$u")" /auth/logout "{\"refresh_token\":\"$(jq -r .refresh_token <<< "$u")\"}" > /dev/null
  check "$r: after logout its access token" 401 "$(bearer "$(jq -r .access_token <<< "$u")" /auth/me)"
  post "$(jq -r .access_token <<< "$w")" /auth/me/password \
    "{\"current_password\":\"$pw\",\"new_password\":\"$pw and more\"}" PUT > /dev/null
  check "$r: after a password change the old token" 401 "$(bearer "$(jq -r .access_token <<< "$w")" /auth/me)"

  check "$r: a new API key, used at once" 200 "$(keyed "$(post "$k" /auth/api-keys '{"name":"new"}' | jq -r .key)" /auth/me)"
  post "$k" "/auth/api-keys/$(jq -r .id <<< "$old_key")" '' DELETE > /dev/null
  check "$r: a revoked API key" 401 "$(keyed "$(jq -r .key <<< "$old_key")" /auth/me)"

  post "$a" "/admin/users/$staff_id/role" '{"role":"pro"}' PUT > /dev/null
  check "$r: demoted from admin: the old token on an admin route" 401 "$(bearer "$d" /admin/users)"
  check "$r:   their API key on an admin route" 403 "$(keyed "$staff_key" /admin/users)"
  check "$r:   signed in again, an admin route" 403 "$(bearer "$(login "$r-staff@example.com" | jq -r .access_token)" /admin/users)"
  post "$a" "/admin/alerts/$alert_id/acknowledge" '' > /dev/null
  check "$r: an alert acknowledged is, at once, off the list of open alerts" 0 \
    "$(curl -s -H "Authorization: Bearer $a" "$base/admin/alerts?acknowledged=false&limit=100" |
      jq --argjson id "$alert_id" '[.items[] | select(.id == $id)] | length')"
  # the admin's list of users shows what was just changed: the demotion and the new account
  check "$r: the users list, at once: the demoted admin's role, the new account listed" "pro 1" \
    "$(curl -s -H "Authorization: Bearer $a" "$base/admin/users?limit=100" |
      jq -r --arg s "$r-staff@example.com" --arg n "$r-new@example.com" \
        '"\([.items[] | select(.email == $s) | .role] | join(",")) \([.items[] | select(.email == $n)] | length)"')"

  psql "$REPLICA" -Atc 'select pg_wal_replay_resume()' > /dev/null
  wait_replayed
}
auth_round plain
# The same with Redis: statuses are cached per process and a change empties the cache.
RP=$(free_port)
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
for _ in $(seq 100); do redis-cli -p "$RP" ping 2> /dev/null | grep -q PONG && break; sleep 0.1; done
export REDIS_URL="redis://127.0.0.1:$RP/0"
start_api api-redis
base="http://127.0.0.1:$port/api/v1"
auth_round cached

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
