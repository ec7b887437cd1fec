#!/usr/bin/env bash
# Read-replica routing with a real streaming replica: a PostgreSQL 15 primary and a hot standby
# made with pg_basebackup (both throwaway, loopback ports, run as the postgres user). The api
# gets DATABASE_URL (primary) and DATABASE_REPLICA_URL (standby). With replay paused on the
# standby, new games written to the primary are invisible to the api's reads — they are served
# by the replica — while writes still go to the primary and succeed; after replay resumes the
# reads see them. What a caller follows right after writing it is read from the primary: its
# bankroll's history, its backtest (and the list of them) and the job behind a request.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DATA=${APS_DATA_DIR:-${APS_SOURCE_DIR:?}/../shared/data}
dir=$(mktemp -d /tmp/aps-replica.XXXXXX)
chmod 755 "$dir"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
api_pid=
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" -D "$dir/r" -m immediate stop > /dev/null 2>&1 || true
  as_pg "$PGBIN/pg_ctl" -D "$dir/p" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
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

export ENVIRONMENT=development LOG_LEVEL=WARNING DATABASE_URL=$PRIMARY REDIS_URL=
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
"$APS_BIN" api --host 127.0.0.1 --port 0 --threads 2 > "$dir/api.log" 2>&1 &
api_pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o '"port":[0-9]*' "$dir/api.log" 2>/dev/null | head -1 | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "api did not start" >&2; cat "$dir/api.log" >&2; exit 1; }
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

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
