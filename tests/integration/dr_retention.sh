#!/usr/bin/env bash
# Retention drill: `aps backup prune` keeps exactly what the policy says, under a faked clock
# (libfaketime), and the oldest backup it keeps still restores.
#
# PostgreSQL (pgBackRest, the shipped configuration): four full backups b0..b3 a few seconds
# apart, with test settings BACKUP_RETENTION_DAYS=1 and a PITR window of two backup periods
# (BACKUP_PITR_DAYS=1, SCHEDULE_BACKUP_SECONDS=43200). Pruned at a clock just under one day after
# b2: b2 and b3 are inside the window, b1 is the newest backup older than it (the base for the
# window's first hours) and stays, b0 goes. WAL stays only from b2 on, plus what makes b1
# consistent. Then b1 — older than the PITR window — is restored (`aps restore --set`) and holds
# exactly the rows written before it.
# SQLite: copies made under faked dates 45, 32, 29 and 1 days ago; a prune at the real time with
# BACKUP_RETENTION_DAYS=30 keeps the last two; with every copy out of the window the newest still
# stays; a damaged newest copy stops the prune; the oldest kept copy restores.
set -euo pipefail
# faketime preloads its library; a sanitizer build would refuse to start behind it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v faketime > /dev/null || { echo "dr_retention: faketime is missing (scripts/bootstrap installs it)" >&2; exit 1; }
dir=$(mktemp -d /tmp/aps-dr-retention.XXXXXX)
chmod 755 "$dir"
# shellcheck source=tests/integration/lib/dr_cluster.sh
. "$SRC/tests/integration/lib/dr_cluster.sh"
P1=$(pick_port 44160 44174)
P2=$(pick_port 44175 44189)
cleanup() {
  dr_stop "$dir/restored"
  dr_stop "$dir/p"
  [ -n "${DR_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=""
# libfaketime fakes the wall clock only; the monotonic clock (timeouts, pool waits) stays real.
export FAKETIME_DONT_FAKE_MONOTONIC=1

# ---- PostgreSQL ------------------------------------------------------------------------------
dr_primary "$P1"
PRIMARY=$DATABASE_URL
export BACKUP_RETENTION_DAYS=1 BACKUP_PITR_DAYS=1 SCHEDULE_BACKUP_SECONDS=43200
"$APS_BIN" migrate > /dev/null
q "$PRIMARY" "create table marks (b int primary key)"
for b in 0 1 2 3; do
  q "$PRIMARY" "insert into marks values ($b); select pg_switch_wal()" > /dev/null
  if [ "$b" -lt 3 ]; then
    aps_pg backup run > "$dir/backup$b.log"
  else # the last one as the scheduler's daily job runs it, and that slot's rerun does nothing
    slot=$(date +%s)
    aps_pg worker run backup --payload "{\"slot\":$slot}" > "$dir/job3.log" 2>&1
    aps_pg worker run backup --payload "{\"slot\":$slot}" > "$dir/job3b.log" 2>&1
    check "the backup job made a pgBackRest backup" 1 "$(grep -c '"msg":"job backup done","job":"backup","outcome":"ok","kind":"postgres","bytes":[1-9]' "$dir/job3.log")"
    check "its rerun for the same slot found it made" 1 "$(grep -c '"existed":true' "$dir/job3b.log")"
    grep -o '"pruned":[0-9]*' "$dir/job3.log" | sed 's/"pruned":/pruned /' > "$dir/backup3.log"
  fi
  sleep 1.1 # distinct stop seconds
done
as_pg pgbackrest --config="$dir/pgbackrest.conf" --stanza=aps --output=json info > "$dir/info.json"
mapfile -t labels < <(jq -r '.[0].backup[].label' "$dir/info.json")
mapfile -t stops < <(jq -r '.[0].backup[].timestamp.stop' "$dir/info.json")
check "four full backups" 4 "${#labels[@]}"
check "nothing pruned at the real time" 4 "$(cat "$dir"/backup?.log | grep -c 'pruned 0')"
wal_before=$(find "$dir/repo/archive" -name '0000*' | wc -l)

fake=$((stops[2] + 86400 - 1)) # b2 is just inside one day, b1 just outside
aps_pg() { as_pg env "PATH=$PATH" FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$(date -u -d "@$1" '+%Y-%m-%d %H:%M:%S')" "$APS_BIN" "${@:2}"; }
aps_pg "$fake" backup prune > "$dir/prune.log"
check "prune reports one backup removed" "pruned 1 backup(s)" "$(tail -1 "$dir/prune.log")"
as_pg pgbackrest --config="$dir/pgbackrest.conf" --stanza=aps --output=json info > "$dir/info2.json"
check "kept: b1 (newest older than the window), b2, b3" "${labels[1]} ${labels[2]} ${labels[3]}" "$(jq -r '[.[0].backup[].label] | join(" ")' "$dir/info2.json")"
b1_stop_wal=$(jq -r '.[0].backup[0].archive.stop' "$dir/info2.json")
b2_start_wal=$(jq -r '.[0].backup[1].archive.start' "$dir/info2.json")
gap=$(find "$dir/repo/archive" -name '????????????????????????-*' | sed 's#.*/##; s#-.*##' | sort |
  awk -v a="$b1_stop_wal" -v b="$b2_start_wal" '$1 > a && $1 < b' | wc -l)
check "WAL between b1 and b2 expired (outside the PITR window)" 0 "$gap"
check "WAL was expired" 1 "$([ "$(find "$dir/repo/archive" -name '0000*' | wc -l)" -lt "$wal_before" ] && echo 1 || echo 0)"
aps_pg "$fake" backup prune > "$dir/prune2.log"
check "a second prune at the same time removes nothing" "pruned 0 backup(s)" "$(tail -1 "$dir/prune2.log")"

aps_pg "$(date +%s)" restore --set "${labels[1]}" --pg-path "$dir/restored" --port "$P2" --stop > "$dir/restore.log"
check "the oldest kept backup restored and verified" 1 "$(grep -c 'lock-in chain OK' "$dir/restore.log")"
as_pg "$PGBIN/pg_ctl" -D "$dir/restored" -l "$dir/restored.log" -w -o "-p $P2" start > /dev/null
check "it holds the rows written before it, and only those" "0 1" "$(q "postgresql://postgres@127.0.0.1:$P2/aps" "select string_agg(b::text, ' ' order by b) from marks")"
dr_stop "$dir/restored"
dr_stop "$dir/p"

# ---- SQLite ----------------------------------------------------------------------------------
export DATABASE_URL="sqlite:///$dir/aps.db" BACKUP_DIR=$dir/copies BACKUP_RETENTION_DAYS=3650
unset SCHEDULE_BACKUP_SECONDS
now=$(date +%s)
"$APS_BIN" migrate > /dev/null
# A frozen clock (faketime -f): each copy is named by exactly the faked second, however slow the machine.
for age in 45 32 29 1; do
  sqlite3 "$dir/aps.db" "insert into settings (key, value, updated_at) values ('age$age', '$age', 0)"
  faketime -f "$(date -u -d "@$((now - age * 86400))" '+%Y-%m-%d %H:%M:%S')" "$APS_BIN" backup run > /dev/null
done
copies() { find "$BACKUP_DIR" -name 'aps-*.db' -printf '%f\n' | sort | tr '\n' ' '; }
name_at() { date -u -d "@$((now - $1 * 86400))" '+aps-%Y%m%dT%H%M%SZ.db'; }
all=$(copies)
check "four copies, named by their (faked) time" "$(name_at 45) $(name_at 32) $(name_at 29) $(name_at 1) " "$all"
BACKUP_RETENTION_DAYS=30 "$APS_BIN" backup prune > "$dir/sprune.log"
check "prune at the real time: 2 removed" "pruned 2 backup(s)" "$(tail -1 "$dir/sprune.log")"
check "kept: 29 and 1 days old" "$(name_at 29) $(name_at 1) " "$(copies)"
BACKUP_RETENTION_DAYS=30 faketime "$(date -u -d "@$((now + 60 * 86400))" '+%Y-%m-%d %H:%M:%S')" "$APS_BIN" backup prune > /dev/null
check "every copy out of the window: the newest stays" "$(name_at 1) " "$(copies)"
"$APS_BIN" backup run > /dev/null # a copy of now, then the newest is damaged
newest=$(find "$BACKUP_DIR" -name 'aps-*.db' | sort | tail -1)
printf 'garbage' | dd of="$newest" bs=1 seek=100 conv=notrunc 2> /dev/null
dd if=/dev/zero of="$newest" bs=4096 seek=1 count=4 conv=notrunc 2> /dev/null
before=$(copies)
set +e
BACKUP_RETENTION_DAYS=1 "$APS_BIN" backup prune > /dev/null 2> "$dir/sprune_bad.err"
code=$?
set -e
check "a damaged newest copy stops the prune (exit 1)" 1 "$code"
check "and nothing was removed" "$before" "$(copies)"
"$APS_BIN" restore --from "$BACKUP_DIR/$(name_at 1)" > "$dir/srestore.log"
check "the oldest kept copy restored" ok "$(sqlite3 "$dir/aps.db" 'PRAGMA integrity_check')"
check "it holds the rows written before it" "age1 age29 age32 age45" "$(sqlite3 "$dir/aps.db" "select group_concat(key, ' ') from (select key from settings where key like 'age%' order by key)")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
