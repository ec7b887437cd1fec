#!/usr/bin/env bash
# Disaster-recovery drill "data corruption → point-in-time recovery" (seed §6.2: RTO 2 h, RPO
# 15 min). A real PostgreSQL 15 with WAL archiving through pgBackRest, configured with the
# shipped deploy/backup/pgbackrest.conf (only its paths and port changed): a season of NBA
# history is ingested and `aps backup run` takes the full backup; then — in WAL only — picks are
# published (`aps predict --now`, a historical replay), and a user makes a bankroll and bets
# through the API. T is noted and every table that matters is dumped. After T one more bankroll
# and bet are written, then the data is destroyed (picks truncated, bankrolls overwritten).
# `aps restore --to T` recovers into a new data directory on another port; every pick, the
# lock-in chain (`aps verify`), every bankroll, bet and transaction must equal the dumps at T,
# and nothing written after T may be there. Prints the measured RTO and RPO next to the seed's.
# pgBackRest and the PostgreSQL server run as the postgres user (PostgreSQL refuses root).
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
dir=$(mktemp -d /tmp/aps-dr-pitr.XXXXXX)
chmod 755 "$dir"
# shellcheck source=tests/integration/lib/dr_cluster.sh
. "$SRC/tests/integration/lib/dr_cluster.sh"
P1=$(pick_port 44100 44114)
P2=$(pick_port 44115 44129)
api_pid=""
worker_pid=""
cleanup() {
  if [ -n "$api_pid" ]; then kill "$api_pid" 2> /dev/null || true; fi
  if [ -n "$worker_pid" ]; then kill "$worker_pid" 2> /dev/null || true; fi
  dr_stop "$dir/replica"
  dr_stop "$dir/restored"
  dr_stop "$dir/p"
  rm -rf "$dir"
}
trap cleanup EXIT

dr_primary "$P1"
PRIMARY=$DATABASE_URL
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=""
export JWT_SECRET="dr-pitr-integration-secret-0123456789abcdef" RATE_LIMIT_PER_MIN=1000000

"$APS_BIN" ingest sbr "$DATA/sportsbookreview/nba/nba odds 2018-19.csv" --quiet > /dev/null
aps_pg backup run > "$dir/backup.log"
check "the full backup is recorded" 1 "$(q "$PRIMARY" "select count(*) from backups where kind = 'postgres' and ok = 1")"
check "pgBackRest lists it" 1 "$(aps_pg backup list | grep -c ' full ')"
# pgBackRest records a backup's stop time in whole seconds and restores to a time only from a
# backup that stopped strictly before it: on a fast machine everything below can happen within
# the backup's last second, so T must not come before the second after the stop has passed.
stop=$(as_pg pgbackrest --config="$dir/pgbackrest.conf" --stanza=aps info --output=json | jq '.[0].backup[-1].timestamp.stop')
while [ "$(date +%s)" -le $((stop + 1)) ]; do sleep 0.1; done

# ---- what happens after the backup: only in the archived WAL ---------------------------------
"$APS_BIN" predict --sport NBA --now 2019-01-15T00:00:00Z > /dev/null
picks=$(q "$PRIMARY" "select count(*) from predictions")
[ "$picks" -gt 100 ] || { echo "FAIL: the replay published $picks picks" >&2; exit 1; }
# Three picked games are moved to tomorrow so that the API takes bets on them.
q "$PRIMARY" "update games set status = 'scheduled', start_time = extract(epoch from now())::bigint + 86400
  where id in (select distinct game_id from predictions order by game_id limit 3)" > /dev/null
dr_api dr@example.com 2
post() { curl -s -o "$dir/body" -w '%{http_code}' -X POST "$base$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$2"; }
check "bankroll created" 201 "$(post /betting/bankrolls '{"name":"before T","initial_amount":1000}')"
br=$(jq -r .id "$dir/body")
# (spread picks: a replay has no NBA moneyline, whose data holds only closing prices)
for pick in $(q "$PRIMARY" "select min(p.id) from predictions p join games g on g.id = p.game_id
    where g.status = 'scheduled' and p.market = 'spread' group by p.game_id order by 1"); do
  check "bet on pick $pick" 201 "$(post /betting/bets "{\"prediction_id\":$pick,\"bankroll_id\":$br,\"stake\":50}")"
done

# ---- T, the snapshot, what comes after T, the damage -----------------------------------------
tables="predictions bankrolls bets bankroll_transactions users games"
T=$(q "$PRIMARY" "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
for t in $tables; do q "$PRIMARY" "select * from $t order by id" > "$dir/at_T.$t"; done
check "the snapshot holds the bets" 3 "$(wc -l < "$dir/at_T.bets")"
sleep 0.2
check "a bankroll after T" 201 "$(post /betting/bankrolls '{"name":"after T","initial_amount":5}')"
q "$PRIMARY" "truncate predictions cascade; update bankrolls set current_amount = 0, name = 'overwritten'" > /dev/null
check "the damage is done" 0 "$(q "$PRIMARY" "select count(*) from predictions")"
aps_pg backup verify > "$dir/verify.log" # archives the current WAL segment and checks the repository
check "aps backup verify" OK "$(tail -1 "$dir/verify.log")"
damaged_at=$(date +%s.%N)

# ---- the recovery --------------------------------------------------------------------------
t0=$(date +%s.%N)
aps_pg restore --to "$T" --pg-path "$dir/restored" --port "$P2" > "$dir/restore.log"
t1=$(date +%s.%N)
RESTORED="postgresql://postgres@127.0.0.1:$P2/aps"
check "the restored cluster is a primary" f "$(q "$RESTORED" "select pg_is_in_recovery()")"
for t in $tables; do
  q "$RESTORED" "select * from $t order by id" > "$dir/restored.$t"
  check "table $t equals the snapshot at T" same "$(cmp -s "$dir/at_T.$t" "$dir/restored.$t" && echo same || echo differs)"
done
check "every pick is back" "$picks" "$(q "$RESTORED" "select count(*) from predictions")"
check "nothing after T survived (the later bankroll)" 0 "$(q "$RESTORED" "select count(*) from bankrolls where name in ('after T', 'overwritten')")"
verify=$(DATABASE_URL=$RESTORED "$APS_BIN" verify | head -1)
check "aps verify of the lock-in chain" "OK $picks picks" "$verify"
check "the restore reports the chain" 1 "$(grep -c 'lock-in chain OK' "$dir/restore.log")"
check "the restored cluster fetched WAL through its own spool and lock folders" 1 "$(grep -q -- "--lock-path=$dir/restored.restore-spool/lock .*--spool-path=$dir/restored.restore-spool/spool" "$dir/log/aps-archive-get-async.log" && echo 1 || echo 0)"
check "which are gone once it is promoted" gone "$([ -e "$dir/restored.restore-spool" ] && echo there || echo gone)"
check "its recovery settings are gone too" 0 "$(grep -c '^[[:space:]]*\(restore_command\|recovery_target\)' "$dir/restored/postgresql.auto.conf")"
# The runbook's switch-over rebuilds the replica from the restored cluster (pg_basebackup -R -C -S
# replica1); that replica must stay a replica when the new primary commits, not promote itself at
# a recovery target copied with the restored cluster's postgresql.auto.conf.
P3=$(pick_port 44115 44129)
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$P2" -U postgres -D "$dir/replica" -R -C -S replica1 > /dev/null
as_pg "$PGBIN/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -o "-p $P3" -w start > /dev/null
REPLICA="postgresql://postgres@127.0.0.1:$P3/aps"
q "$RESTORED" "create table after_switch (x int); insert into after_switch values (1)" > /dev/null
for _ in $(seq 100); do [ "$(q "$REPLICA" "select to_regclass('after_switch') is not null" 2> /dev/null)" = t ] && break; sleep 0.1; done
check "the replica made from the restored cluster replays its commits" 1 "$(q "$REPLICA" "select count(*) from after_switch" 2> /dev/null)"
check "… and stays a replica" t "$(q "$REPLICA" "select pg_is_in_recovery()" 2> /dev/null)"
dr_stop "$dir/replica"
# The primary still archives: the restore on its host left its archive queue alone.
archived=$(q "$PRIMARY" "select archived_count from pg_stat_archiver")
q "$PRIMARY" "select pg_switch_wal()" > /dev/null
for _ in $(seq 100); do [ "$(q "$PRIMARY" "select archived_count from pg_stat_archiver")" -gt "$archived" ] && break; sleep 0.1; done
check "the primary archives a segment within 10 s of the restore" 1 "$(q "$PRIMARY" "select (archived_count > $archived)::int from pg_stat_archiver")"
check "the drill is recorded for the metrics" 1 "$(q "$PRIMARY" "select count(*) from backups where kind = 'restore_postgres' and ok = 1")"

# The backup metrics of the api, computed from the store and pg_stat_archiver; then archiving
# breaks (archive_command fails) and they must show it.
metric() { curl -s "${base%/api/v1}/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
check "metric: last postgres backup" 1 "$(awk 'BEGIN {print ('"$(metric 'aps_backup_last_success_timestamp_seconds{kind="postgres"}')"' > 0)}')"
check "metric: backup size" 1 "$(awk 'BEGIN {print ('"$(metric 'aps_backup_last_size_bytes{kind="postgres"}')"' > 1000000)}')"
check "metric: restore drill" 1 "$(awk 'BEGIN {print ('"$(metric 'aps_dr_drill_last_success_timestamp_seconds{kind="postgres"}')"' > 0)}')"
check "metric: no WAL archive failure" 0 "$(metric aps_backup_wal_archive_failures_total)"
check "metric: no WAL archive lag" 0 "$(metric aps_backup_wal_archive_lag_seconds)"
"$APS_BIN" worker --port 0 --threads 1 > "$dir/worker.log" 2>&1 &
worker_pid=$!
wport=""
for _ in $(seq 100); do
  wport=$(grep -m1 '"msg":"listening"' "$dir/worker.log" 2> /dev/null | jq -r '.port // empty' || true)
  [ -n "$wport" ] && break
  sleep 0.1
done
check "the worker reports the same last backup" "$(metric 'aps_backup_last_success_timestamp_seconds{kind="postgres"}')" \
  "$(curl -s "http://127.0.0.1:$wport/metrics" | awk '$1 == "aps_backup_last_success_timestamp_seconds{kind=\"postgres\"}" {print $2}')"
kill "$worker_pid"
q "$PRIMARY" "alter system set archive_command = 'false'" > /dev/null
q "$PRIMARY" "select pg_reload_conf()" > /dev/null
# The archiver takes the new command when it gets to the reload: until it fails once, keep
# giving it a fresh segment to archive (up to 30 s on a busy machine).
q "$PRIMARY" "create table wal_filler (x int)" > /dev/null
for _ in $(seq 30); do
  q "$PRIMARY" "insert into wal_filler values (1); select pg_switch_wal()" > /dev/null
  for _ in $(seq 10); do [ "$(q "$PRIMARY" "select failed_count > 0 from pg_stat_archiver")" = t ] && break 2; sleep 0.1; done
done
check "PostgreSQL counts the failing archive command" t "$(q "$PRIMARY" "select failed_count > 0 from pg_stat_archiver")"
# The api reads pg_stat_archiver at scrape time (through a short cache): wait for the failure to
# show, up to 15 s on a slow (or sanitizer) build.
at_least_one() { awk 'BEGIN {exit !(('"$(metric "$1")"' + 0) >= 1)}'; }
for _ in $(seq 150); do at_least_one aps_backup_wal_archive_failures_total && at_least_one aps_backup_wal_archive_lag_seconds && break; sleep 0.1; done
check "metric: WAL archive failures counted" 1 "$(awk 'BEGIN {print ('"$(metric aps_backup_wal_archive_failures_total)"' >= 1)}')"
check "metric: WAL archive lag while it fails" 1 "$(awk 'BEGIN {print ('"$(metric aps_backup_wal_archive_lag_seconds)"' >= 1)}')"

# RPO: the newest commit at or before T that the restored cluster holds versus T itself.
last_before=$(q "$RESTORED" "select max(created_at) from bankrolls")
rto=$(echo "$t1 - $t0" | bc)
lost=$((3 - $(q "$RESTORED" "select count(*) from bets")))
check "committed bets lost" 0 "$lost"
echo "dr_pitr: RTO measured ${rto} s (restore + replay + promote + verify; seed: 2 h)"
echo "dr_pitr: RPO measured 0 s: every commit up to T recovered, $lost of 3 bets lost (seed: 15 min;"
echo "         bound in production: archive_timeout = 60 s of WAL not yet shipped when the primary dies)"
echo "dr_pitr: newest bankroll at T created at $last_before; damage at $damaged_at"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
