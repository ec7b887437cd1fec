#!/usr/bin/env bash
# `aps ingest` visits each folder and file of a data folder once (by device and inode): a
# symbolic link back up the tree (`ln -s .. sub/loop`, `ln -s . x`) or a second link to a file
# is said once on stderr and not followed or read again, for a SOURCE folder and for
# `aps ingest all` (such links once had one file read 4 and 9 times, "4 files, 0 failed"), and
# so is a folder or file that two SOURCE PATHs reach.
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
mkdir -p "$a/football-data/D1" "$a/sportsbookreview/nfl"
cp "$DATA/football-data/D1/$file" "$a/football-data/D1/"
ln -s .. "$a/football-data/D1/up"
ln -s ../.. "$a/football-data/D1/top"
ingest all "$a"
check "ingest all with link loops: exit 0" 0 "$rc"
check "… one file read" "1 files, 0 failed" "$(tail -n 1 "$work/out")"
check "… one ingest run" 1 "$(db 'select count(*) from ingest_runs')"
check "… the loop said once" 1 "$(said "$a/football-data/D1/up: a link back to $a/football-data (a loop); not followed")"
# each source walks its own folder: sbr's holds sbr-nfl's, which sbr then still searches
check "… nothing else said" 3 "$(wc -l < "$work/err")"

# Two PATHs that reach one folder or file (a folder and its subfolder, a file named twice, in two
# spellings): each file read once, in the order the PATHs give, the second way said (each used to
# be read again: "5 files, 0 failed" below, with five ingest runs).
rm -f "$work/aps.db"
p=$work/p
mkdir -p "$p/sub"
cp "$DATA/football-data/D1/$file" "$p/"
cp "$DATA/football-data/D1/1314_D1.csv" "$p/sub/"
ingest football-data "$p" "$p/sub" "$p/$file" "$p/./$file"
check "PATHs that overlap: exit 0" 0 "$rc"
check "… two files read" "2 files, 0 failed" "$(tail -n 1 "$work/out")"
check "… one ingest run each" "2 2" "$(db 'select count(*), count(distinct path) from ingest_runs' | tr '|' ' ')"
check "… the subfolder said once" 1 "$(said "$p/sub: reached twice; searched once")"
check "… the file named again said once" 1 "$(said "$p/$file: reached twice; read once")"
check "… and its other spelling" 1 "$(said "$p/./$file: the same file as $p/$file; read once")"
rm -f "$work/aps.db"
ingest football-data "$p/sub" "$p"
check "a subfolder before its folder: two files read" "2 files, 0 failed" "$(tail -n 1 "$work/out")"
check "… in the order of the PATHs" "$p/sub/1314_D1.csv $p/$file" \
  "$(db 'select path from ingest_runs order by id' | paste -sd ' ')"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
