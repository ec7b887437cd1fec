#!/usr/bin/env bash
# Disaster-recovery drill "hardware failure → failover to the replica" (seed §6.2: RTO 1 h,
# RPO 5 min). A PostgreSQL 15 primary and a streaming replica that is synchronous
# (synchronous_standby_names: a commit is acknowledged only once the replica has it). The api
# reads from the replica (DATABASE_REPLICA_URL) and writes through a multi-host URL with
# target_session_attrs=read-write that names both servers; a worker runs jobs from the store's
# queue. Under light load — a client creating bankrolls, a client reading games, jobs enqueued
# with `aps worker enqueue` — the primary and every one of its processes are killed with
# SIGKILL, the replica is promoted, and without any restart or settings change:
#   the api serves reads throughout, and writes again after the promotion;
#   every acknowledged bankroll is on the new primary (0 lost committed writes);
#   every acknowledged job runs exactly once.
# Prints the failed requests and the failover time next to the seed's RTO and RPO.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
dir=$(mktemp -d /tmp/aps-dr-failover.XXXXXX)
chmod 755 "$dir"
# shellcheck source=tests/integration/lib/dr_cluster.sh
. "$SRC/tests/integration/lib/dr_cluster.sh"
P1=$(pick_port 44130 44144)
P2=$(pick_port 44145 44159)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  dr_stop "$dir/r"
  dr_stop "$dir/p"
  [ -n "${DR_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"

# ---- primary + synchronous streaming replica -------------------------------------------------
as_pg "$PGBIN/initdb" -D "$dir/p" -U postgres -A trust -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log"
cat >> "$dir/p/postgresql.conf" << CONF
listen_addresses = '127.0.0.1'
port = $P1
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
hot_standby = on
synchronous_commit = on
fsync = off
CONF
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n' > "$dir/p/pg_hba.conf"
as_pg "$PGBIN/pg_ctl" -D "$dir/p" -l "$dir/p.log" -w start > /dev/null
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$P1" -U postgres aps
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U postgres -D "$dir/r" -R -X stream -c fast -C -S replica1 > /dev/null
echo "port = $P2" >> "$dir/r/postgresql.conf"
# pg_basebackup -R wrote primary_conninfo here; the line added last wins. application_name is
# the name synchronous_standby_names waits for.
echo "primary_conninfo = 'host=127.0.0.1 port=$P1 user=postgres application_name=replica1'" >> "$dir/r/postgresql.auto.conf"
as_pg "$PGBIN/pg_ctl" -D "$dir/r" -l "$dir/r.log" -w start > /dev/null
PRIMARY="postgresql://postgres@127.0.0.1:$P1/aps"
REPLICA="postgresql://postgres@127.0.0.1:$P2/aps"
# Synchronous only once the replica streams: before that every commit would wait for it.
q "$PRIMARY" "alter system set synchronous_standby_names = 'replica1'" > /dev/null
q "$PRIMARY" "select pg_reload_conf()" > /dev/null
for _ in $(seq 50); do
  [ "$(q "$PRIMARY" "select sync_state from pg_stat_replication")" = sync ] && break
  sleep 0.1
done
check "the replica is synchronous" sync "$(q "$PRIMARY" "select sync_state from pg_stat_replication")"

# ---- the api and a worker, with the failover-ready URLs ---------------------------------------
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL="" RATE_LIMIT_PER_MIN=1000000
export JWT_SECRET="dr-failover-integration-secret-0123456789abcd"
export DATABASE_URL="postgresql://postgres@127.0.0.1:$P1,127.0.0.1:$P2/aps?target_session_attrs=read-write&connect_timeout=2"
export DATABASE_REPLICA_URL=$REPLICA
export WORKER_THREADS=2 QUEUE_RETRY_BASE_MS=200 QUEUE_RETRY_MAX_MS=1000
"$APS_BIN" migrate > /dev/null
"$APS_BIN" ingest sbr "$DATA/sportsbookreview/nba/nba odds 2018-19.csv" --quiet > /dev/null
dr_api fo@example.com 4
pids+=("$api_pid")
"$APS_BIN" worker --port 0 > "$dir/worker.log" 2>&1 &
pids+=($!)
worker_pid=$!

# ---- light load: three clients, each logging "epoch-seconds status [id]" per request ---------
writer() {
  local i=0 code
  while [ ! -e "$dir/stop" ]; do
    i=$((i + 1))
    code=$(curl -s -m 5 -o "$dir/w.body" -w '%{http_code}' -X POST "$base/betting/bankrolls" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"name\":\"w$i\",\"initial_amount\":100}" || echo 000)
    echo "$(date +%s.%N) $code $(jq -r '.id // empty' "$dir/w.body" 2> /dev/null)" >> "$dir/writes"
    sleep 0.05
  done
}
reader() {
  while [ ! -e "$dir/stop" ]; do
    echo "$(date +%s.%N) $(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/games?sport=NBA&limit=5" || echo 000)" >> "$dir/reads"
    sleep 0.05
  done
}
jobs_in() {
  local i=0
  while [ ! -e "$dir/stop" ]; do
    i=$((i + 1))
    if "$APS_BIN" worker enqueue noop --payload "{\"mark\":\"fo$i\"}" --key "fo$i" > /dev/null 2>&1; then
      echo "fo$i" >> "$dir/jobs_acked"
    fi
    sleep 0.1
  done
}
: > "$dir/writes"; : > "$dir/reads"; : > "$dir/jobs_acked"
writer & pids+=($!)
reader & pids+=($!)
jobs_in & pids+=($!)
sleep 3

# ---- the failure: every process of the primary, SIGKILL --------------------------------------
pm=$(head -1 "$dir/p/postmaster.pid")
children=$(ps -o pid= --ppid "$pm" | tr '\n' ' ')
t_kill=$(date +%s.%N)
# shellcheck disable=SC2086 # a list of process ids
kill -9 "$pm" $children
sleep 1 # the time it takes to notice (a health check), kept short for the drill
as_pg "$PGBIN/pg_ctl" -D "$dir/r" -w promote > /dev/null
t_promoted=$(date +%s.%N)
check "the replica was promoted" f "$(q "$REPLICA" "select pg_is_in_recovery()")"
t_write=
for _ in $(seq 300); do
  t_write=$(awk -v t="$t_promoted" '$1 > t && $2 == 201 {print $1; exit}' "$dir/writes")
  [ -n "$t_write" ] && break
  sleep 0.1
done
check "writes succeed again after the promotion, without a restart" 1 "$([ -n "$t_write" ] && echo 1 || echo 0)"
sleep 2
touch "$dir/stop"
sleep 0.5

# ---- what was lost -------------------------------------------------------------------------
acked=$(awk '$2 == 201 && $3 != "" {print $3}' "$dir/writes" | sort -n)
n_acked=$(echo "$acked" | grep -c . || true)
on_new=$(q "$REPLICA" "select id from bankrolls order by id")
lost=$(comm -23 <(echo "$acked" | sort) <(echo "$on_new" | sort) | grep -c . || true)
check "acknowledged bankroll writes lost ($n_acked acknowledged)" 0 "$lost"
w_failed=$(awk '$2 != 201' "$dir/writes" | wc -l)
r_total=$(wc -l < "$dir/reads")
r_failed=$(awk '$2 != 200' "$dir/reads" | wc -l)
check "reads failed (served by the replica throughout)" 0 "$r_failed"
n_jobs=$(wc -l < "$dir/jobs_acked")
done_marks() { q "$REPLICA" "select count(*) from schedule_runs where task like 'noop:fo%'"; }
for _ in $(seq 150); do [ "$(done_marks)" -ge "$n_jobs" ] && break; sleep 0.2; done
check "every acknowledged job ran ($n_jobs)" "$n_jobs" "$(done_marks)"
check "each acknowledged job is one job, done" "$n_jobs of $n_jobs" "$(q "$REPLICA" "select count(*) filter (where state = 'done') || ' of ' || count(*) from jobs where idempotency_key like 'fo%' and idempotency_key in ($(sed "s/.*/'&'/" "$dir/jobs_acked" | paste -sd,))")"
check "the worker is still up" 1 "$(kill -0 "$worker_pid" 2> /dev/null && echo 1 || echo 0)"
ft=$(echo "$t_write - $t_kill" | bc)
echo "dr_failover: failover time ${ft} s from kill -9 to the first acknowledged write (seed RTO: 1 h)"
echo "dr_failover: lost committed writes: $lost of $n_acked (seed RPO: 5 min); jobs: $n_jobs acknowledged, all ran"
echo "dr_failover: requests failed during the failover: $w_failed writes (retried by clients), $r_failed of $r_total reads"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
