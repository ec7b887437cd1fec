#!/usr/bin/env bash
# backup_same_second.sh — `aps backup run` twice within one second on a SQLite store. A copy is
# named by the second it is taken (BACKUP_DIR/aps-YYYYMMDDTHHMMSSZ.db), so the second run finds
# the first one's copy and takes its own in the next second; under a clock frozen with faketime
# -f (both runs in one second however slow the machine, and no next second) it must say that the
# copy exists, copy and record nothing, and exit 1, never report a backup with a negative
# duration. A run a second later takes a new copy, and so does one whose clock moves on.
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), faketime, sqlite3.
set -uo pipefail
# faketime preloads its library; a sanitizer build would refuse to start behind it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
for tool in faketime sqlite3; do
  command -v "$tool" > /dev/null || { echo "backup_same_second: $tool is missing (scripts/bootstrap installs it)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL='' TZ=UTC
export DATABASE_URL="sqlite:///$work/aps.db" BACKUP_DIR="$work/backups"
"$APS_BIN" migrate > /dev/null
"$APS_BIN" ingest football-data "$DATA/football-data/E0/1213_E0.csv" --quiet > /dev/null
backup_at() { # frozen time; prints the exit code, leaves stdout and stderr in $work/out, $work/err
  faketime -f "$1" "$APS_BIN" backup run > "$work/out" 2> "$work/err"
  echo $?
}
copies() { find "$BACKUP_DIR" -name 'aps-*.db' -printf '%f\n' | sort | tr '\n' ' '; }
recorded() { sqlite3 "$work/aps.db" "select count(*) from backups where kind = 'sqlite'"; }

check "the first run takes a copy" 0 "$(backup_at '2026-12-02 04:00:00')"
check "… and reports it" 1 "$(grep -cE '^sqlite backup aps-20261202T040000Z\.db: [1-9][0-9]* bytes in [0-9]+ s; pruned 0$' "$work/out")"
check "the second run in the same second exits 1" 1 "$(backup_at '2026-12-02 04:00:00')"
check "… and prints no backup on stdout" "" "$(cat "$work/out")"
check "… it says the copy of that name exists and nothing was copied" 1 \
  "$(grep -c '^aps backup run: the sqlite backup aps-20261202T040000Z\.db already exists (.*) and the clock stayed in its second: nothing was copied' "$work/err")"
check "… no negative duration anywhere" 0 "$(cat "$work/out" "$work/err" | grep -c 'in -')"
check "one copy" "aps-20261202T040000Z.db " "$(copies)"
check "one backup recorded" 1 "$(recorded)"
check "a run a second later takes a new copy" 0 "$(backup_at '2026-12-02 04:00:01')"
check "two copies" "aps-20261202T040000Z.db aps-20261202T040001Z.db " "$(copies)"
check "two backups recorded" 2 "$(recorded)"
# A clock that moves (faketime without -f starts at the time given and runs on): the run finds
# its second's copy, made by another run, and takes its own in the next second.
faketime '2026-12-02 04:00:01' "$APS_BIN" backup run > "$work/out" 2> "$work/err"
check "a run whose second's copy exists takes its copy in the next second" \
  "0 aps-20261202T040000Z.db aps-20261202T040001Z.db aps-20261202T040002Z.db " "$? $(copies)"
echo "backup_same_second: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
