#!/usr/bin/env bash
# `aps restore` refuses, before it changes anything, what would lose data or cannot work, and a
# failing pgBackRest call says what failed. SQLite: the PostgreSQL options (--pg-path, --port,
# --stop, --set: the monthly drill's command) and a copy that is not a sound store (an empty file,
# another program's database) leave the live store as it was; a real copy still restores.
# PostgreSQL (a throwaway archived cluster, lib/dr_cluster.sh): --from, a --pg-path that holds a
# cluster (the running primary's own directory) and a --port in use are refused with a line naming
# the fix, and a pgBackRest failure reports its ERROR line, not only its last hint.
# Checking or restoring a SQLite copy writes nothing beside it (no -wal or -shm in BACKUP_DIR,
# whose newest name stays the newest copy), and a PostgreSQL restore that fails removes what it
# made (DIR.restore-spool and the data directory), keeping a directory that was there before; one
# whose cluster stops before it is promoted (a --to past the archived WAL) names the server's
# FATAL line and its log.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v sqlite3 > /dev/null || { echo "restore_guard: sqlite3 is missing (scripts/bootstrap installs it)" >&2; exit 1; }
dir=$(mktemp -d /tmp/aps-restore-guard.XXXXXX)
chmod 755 "$dir"
pg_started=""
cleanup() {
  # every cluster a restore may have started (without the checks, one that ignored --from)
  if [ -n "$pg_started" ]; then for d in p r1 r2 r3 r7; do dr_stop "$dir/$d"; done; fi
  rm -rf "$dir"
}
trap cleanup EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
# has TEXT FILE — 1 when FILE contains TEXT, else 0 (and the file is shown)
has() {
  if grep -qF -- "$1" "$2"; then echo 1; else echo 0; cat "$2" >&2; fi
}

# ---- SQLite ------------------------------------------------------------------------------------
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL="" DATABASE_URL="sqlite:///$dir/aps.db"
export BACKUP_DIR=$dir/backups
"$APS_BIN" migrate > /dev/null
printf 'correct horse battery staple\n' > "$dir/pw"
"$APS_BIN" user create --email first@example.com --role admin --password-file "$dir/pw" > /dev/null
"$APS_BIN" backup run > /dev/null
copy=$(find "$dir/backups" -name 'aps-*.db' | head -1)
"$APS_BIN" user create --email second@example.com --role user --password-file "$dir/pw" > /dev/null
users() { sqlite3 "$dir/aps.db" 'select count(*) from users' 2>&1; }
# what BACKUP_DIR holds besides the copies
not_copies() { find "$dir/backups" -mindepth 1 ! -name 'aps-*.db' -printf '%f ' | sort; }
copy_sum=$(sha256sum < "$copy")

set +e
"$APS_BIN" backup verify > /dev/null 2> "$dir/err"
check "aps backup verify passes" 0 $?
check "… and writes nothing beside the copies" "" "$(not_copies)"
"$APS_BIN" restore --pg-path "$dir/drill" --port 5499 --stop > /dev/null 2> "$dir/err"
check "the PostgreSQL drill's command on SQLite exits" 2 $?
check "it names the options" 1 "$(has 'are for a PostgreSQL store' "$dir/err")"
check "the store keeps the user made after the backup" 2 "$(users)"
"$APS_BIN" restore --set 20261201-040002F > /dev/null 2> "$dir/err"
check "--set on SQLite exits" 2 $?
check "--set leaves the store" 2 "$(users)"
: > "$dir/empty.db"
"$APS_BIN" restore --from "$dir/empty.db" > /dev/null 2> "$dir/err"
check "an empty file is refused" 1 $?
check "it says the store is unchanged" 1 "$(has 'not restored, the store is unchanged' "$dir/err")"
check "the empty file left the store" 2 "$(users)"
sqlite3 "$dir/other.db" 'create table notes(x text); insert into notes values (1)'
"$APS_BIN" restore --from "$dir/other.db" > /dev/null 2> "$dir/err"
check "another program's database is refused" 1 $?
check "it left the store" 2 "$(users)"
DATABASE_URL="sqlite:///$dir/other.db" "$APS_BIN" stats > /dev/null 2> "$dir/err"
check "a command pointed at another program's database fails" 1 $?
check "… saying it is not this platform's store" 1 "$(has "not this platform's store" "$dir/err")"
check "… and writes none of its tables into it" "notes" "$(sqlite3 "$dir/other.db" .tables | xargs)"
"$APS_BIN" restore --from "$copy" > "$dir/out" 2> "$dir/err"
check "the real copy restores" 0 $?
check "… it writes nothing beside the copy" "" "$(not_copies)"
"$APS_BIN" restore --to "2099-01-01 00:00:00.5+00" > "$dir/out" 2> "$dir/err"
check "the newest copy restores by a time in PostgreSQL's form" 0 $?
check "… nothing beside it either" "" "$(not_copies)"
check "… the newest name in BACKUP_DIR is the copy" "$(basename "$copy")" "$(find "$dir/backups" -mindepth 1 -printf '%f\n' | sort | tail -1)"
check "… whose bytes are as they were" "$copy_sum" "$(sha256sum < "$copy")"
set -e
check "the store is the copy" 1 "$(users)"

# ---- PostgreSQL --------------------------------------------------------------------------------
if ! command -v pgbackrest > /dev/null || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  echo "restore_guard: pgbackrest or PostgreSQL 15 is missing (scripts/bootstrap installs both)" >&2
  fail=$((fail + 1))
else
  counts="$pass $fail"
  # shellcheck source=tests/integration/lib/dr_cluster.sh
  . "$SRC/tests/integration/lib/dr_cluster.sh" # (it starts its own counts: carry ours on)
  read -r pass fail <<< "$counts"
  P1=$(pick_port 44130 44144)
  P2=$(pick_port 44145 44159)
  pg_started=1
  dr_primary "$P1"
  "$APS_BIN" migrate > /dev/null
  aps_pg backup run > /dev/null
  set +e
  aps_pg restore --from "$copy" --pg-path "$dir/r1" --port "$P2" > /dev/null 2> "$dir/err"
  check "--from on PostgreSQL exits" 2 $?
  check "it says what to use" 1 "$(has 'restore from the pgBackRest repository with --to TIME or --set LABEL' "$dir/err")"
  check "--from made no directory" no "$([ -e "$dir/r1" ] && echo yes || echo no)"
  aps_pg restore --pg-path "$dir/p" --port "$P2" > /dev/null 2> "$dir/err"
  check "the primary's own directory is refused" 2 $?
  check "it says to name a new or empty directory" 1 "$(has "is not empty: a restore makes a new cluster in a new or empty directory" "$dir/err")"
  check "the primary still answers" 1 "$(q "$DATABASE_URL" 'select 1')"
  aps_pg restore --pg-path "$dir/r2" --port "$P1" > /dev/null 2> "$dir/err"
  check "a port in use is refused" 2 $?
  check "it says so" 1 "$(has "--port $P1 is in use" "$dir/err")"
  check "nothing was restored for it" no "$([ -e "$dir/r2" ] && echo yes || echo no)"
  BACKUP_STANZA=nostanza aps_pg backup run > /dev/null 2> "$dir/err"
  check "a backup of a missing stanza fails" 1 $?
  check "pgBackRest's ERROR line is reported" 1 "$(has 'pgbackrest backup failed (status 37): ERROR: [037]:' "$dir/err")"
  exists() { [ -e "$1" ] && echo yes || echo no; }
  BACKUP_STANZA=nostanza aps_pg restore --pg-path "$dir/r4" --port "$P2" > /dev/null 2> "$dir/err"
  check "a restore from a missing stanza fails" 1 $?
  check "… with pgBackRest's ERROR line" 1 "$(has 'pgbackrest restore failed' "$dir/err")"
  check "… and leaves no spool folder" no "$(exists "$dir/r4.restore-spool")"
  check "… nor the data directory it made" no "$(exists "$dir/r4")"
  as_pg mkdir "$dir/r5"
  BACKUP_STANZA=nostanza aps_pg restore --pg-path "$dir/r5" --port "$P2" > /dev/null 2> "$dir/err"
  check "a failed restore into an empty directory exits" 1 $?
  check "… keeps that directory, empty" "yes 0" "$(exists "$dir/r5") $(find "$dir/r5" -mindepth 1 | wc -l)"
  check "… and leaves no spool folder" no "$(exists "$dir/r5.restore-spool")"
  aps_pg restore --to 'last tuesday' --pg-path "$dir/r6" --port "$P2" > /dev/null 2> "$dir/err"
  check "a --to that is not a time exits" 2 $?
  check "… before it made anything" "no no" "$(exists "$dir/r6") $(exists "$dir/r6.restore-spool")"
  # A --to past the newest archived commit: the server's recovery ends before the target and it
  # stops; the restore says so with the server's own line and log, not a bare "database error".
  aps_pg restore --to "$(date -u -d '+1 hour' +%FT%TZ)" --pg-path "$dir/r7" --port "$P2" > /dev/null 2> "$dir/err"
  check "a restore whose cluster stops before the target exits" 1 $?
  check "… naming why it stopped" 1 "$(has 'the restored cluster stopped before it was promoted: recovery ended before configured recovery target was reached' "$dir/err")"
  check "… and its server log" 1 "$(has "$dir/r7/restore.log" "$dir/err")"
  aps_pg restore --pg-path "$dir/r3" --port "$P2" --stop > "$dir/out" 2> "$dir/err"
  check "a restore into a new directory on a free port works" 0 $?
  set -e
  dr_stop "$dir/r3"
fi

echo "restore_guard: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
