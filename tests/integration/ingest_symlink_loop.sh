#!/usr/bin/env bash
# `aps ingest` visits each folder and file of a data folder once (by device and inode): a
# symbolic link back up the tree (`ln -s .. sub/loop`, `ln -s . x`) or a second link to a file
# is said once on stderr and not followed or read again, for a SOURCE folder and for
# `aps ingest all` (such links once had one file read 4 and 9 times, "4 files, 0 failed").
# SQLite only (the walk is the same on both backends).
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data).
set -euo pipefail
# shellcheck source=tests/integration/lib/sqlite_store.sh
. "$(dirname "$0")/lib/sqlite_store.sh"
[ -d "$DATA" ] || { echo "FAIL: no data folder at $DATA (APS_DATA_DIR)"; exit 1; }
export LOG_LEVEL=WARNING
file=1213_D1.csv

ingest() { # args… → $rc, $work/out, $work/err
  rc=0
  "$APS_BIN" ingest "$@" > "$work/out" 2> "$work/err" || rc=$?
}
said() { grep -cF -- "$1" "$work/err" || true; }

# A SOURCE folder: the file, a loop one folder down, a loop in the folder itself, a second name
# for the file.
d=$work/d1
mkdir -p "$d/sub"
cp "$DATA/football-data/D1/$file" "$d/"
ln -s .. "$d/sub/loop"
ln -s . "$d/x"
ln -s "$file" "$d/again.csv"
ingest football-data "$d"
check "a folder with link loops: exit 0" 0 "$rc"
check "… one file read" "1 files, 0 failed" "$(tail -n 1 "$work/out")"
check "… one file's line" 1 "$(grep -c '^football-data ' "$work/err")"
check "… one ingest run" 1 "$(db 'select count(*) from ingest_runs')"
check "… the loop one folder down said once" 1 "$(said "$d/sub/loop: a link back to $d (a loop); not followed")"
check "… the loop in the folder said once" 1 "$(said "$d/x: a link back to $d (a loop); not followed")"
check "… the second name said once" 1 "$(said "$d/again.csv: the same file as $d/$file; read once")"
check "… nothing else said" 4 "$(wc -l < "$work/err")"

# `aps ingest all DIR`: a loop inside a source's folder, and a link from it back to DIR.
rm -f "$work/aps.db"
a=$work/data
mkdir -p "$a/football-data/D1"
cp "$DATA/football-data/D1/$file" "$a/football-data/D1/"
ln -s .. "$a/football-data/D1/up"
ln -s ../.. "$a/football-data/D1/top"
ingest all "$a"
check "ingest all with link loops: exit 0" 0 "$rc"
check "… one file read" "1 files, 0 failed" "$(tail -n 1 "$work/out")"
check "… one ingest run" 1 "$(db 'select count(*) from ingest_runs')"
check "… the loop said once" 1 "$(said "$a/football-data/D1/up: a link back to $a/football-data (a loop); not followed")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
