#!/usr/bin/env bash
# `aps ingest` parses the next files on a second thread while it stores the current one: a
# broken file among good ones is still reported with the loader's own message, in file order,
# nothing of it is stored, and every good file before and after it is stored whole (the same
# rows as the good files ingested one at a time). A URL that cannot be fetched is reported and
# the files after it are stored. Every path of a long command line is ingested (no limit on their
# number); a path that is neither a file nor a folder (a FIFO) is refused at once; a file's
# rejected rows are reported with their reasons. SQLite only (the pipeline is the same on both backends).
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data).
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
DATA=${APS_DATA_DIR:-${APS_SOURCE_DIR:?}/../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
rows() { # db: every stored game and odds row, by natural keys (ids depend on the runs)
  sqlite3 "$1" "select g.game_date, h.key, a.key, g.home_score, g.away_score, g.status from games g
      join teams h on h.id = g.home_team_id join teams a on a.id = g.away_team_id order by 1, 2, 3" \
    "select g.game_date, h.key, b.key, o.market, o.selection, o.phase, o.line, o.price from odds o
      join games g on g.id = o.game_id join teams h on h.id = g.home_team_id
      join sportsbooks b on b.id = o.book_id order by 1, 2, 3, 4, 5, 6" | md5sum
}

mkdir -p "$work/d"
cp "$DATA/football-data/E0/2122_E0.csv" "$DATA/football-data/E0/2324_E0.csv" "$DATA/football-data/D1/2223_D1.csv" "$work/d/"
head -c 20000 "$DATA/football-data/E0/2223_E0.csv" > "$work/d/2223_E0.csv"
printf '\n"unterminated' >> "$work/d/2223_E0.csv"
# Sorted by path: 2122_E0, 2223_D1, 2223_E0 (broken), 2324_E0.

if DATABASE_URL="sqlite:///$work/all.db" "$APS_BIN" ingest football-data "$work/d" > "$work/out" 2> "$work/err"; then
  check "a broken file makes the run fail" 1 0
else
  check "a broken file makes the run fail" 1 1
fi
check "one line per file, in file order, the broken one with the loader's message" \
  "football-data $work/d/2122_E0.csv: 380 games
football-data $work/d/2223_D1.csv: 306 games
aps ingest: $work/d/2223_E0.csv:45: malformed input (nothing stored from this file)
football-data $work/d/2324_E0.csv: 380 games" \
  "$(sed -E 's/(: [0-9]+ games),.*/\1/' "$work/err")"
check "the summary counts the failed file" "4 files, 1 failed" "$(tail -n 1 "$work/out")"

# The good files one at a time, in the same order.
for f in 2122_E0 2223_D1 2324_E0; do
  DATABASE_URL="sqlite:///$work/one.db" "$APS_BIN" ingest football-data "$work/d/$f.csv" --quiet > /dev/null
done
check "the good files are stored as when ingested alone" "$(rows "$work/one.db")" "$(rows "$work/all.db")"
check "nothing of the broken file is stored" 0 \
  "$(sqlite3 "$work/all.db" "select count(*) from ingest_runs where path like '%2223_E0.csv'")"

# A URL that cannot be fetched, between two files: both files are stored.
if DATABASE_URL="sqlite:///$work/url.db" "$APS_BIN" ingest football-data "$work/d/2122_E0.csv" \
  "file://$work/missing_E0.csv" "$work/d/2324_E0.csv" --quiet > /dev/null 2> "$work/url.err"; then
  check "an unreadable URL makes the run fail" 1 0
else
  check "an unreadable URL makes the run fail" 1 1
fi
check "the unreadable URL is named" 1 "$(grep -c 'missing_E0.csv' "$work/url.err")"
check "the files around the URL are stored" 760 "$(sqlite3 "$work/url.db" "select count(*) from games")"

# A file's rejected rows are counted with their reasons, and the line of the first, on its line.
head -n 3 "$DATA/football-data/E0/2324_E0.csv" > "$work/2324_E0_short.csv"
head -n 4 "$DATA/football-data/E0/2324_E0.csv" | tail -n 1 | cut -d, -f1-30 >> "$work/2324_E0_short.csv"
DATABASE_URL="sqlite:///$work/short.db" "$APS_BIN" ingest football-data "$work/2324_E0_short.csv" \
  > /dev/null 2> "$work/short.err"
check "rejected rows are counted by reason" "2 games, 1 rejected (fields missing 1 at line 4)" \
  "$(sed -E 's/.*: ([0-9]+ games), .*, ([0-9]+ rejected[^,]*),.*/\1, \2/' "$work/short.err")"

# 300 paths on one command line, one game each: all of them stored.
mkdir "$work/many"
for i in $(seq 2 301); do
  sed -n "1p;${i}p" "$DATA/football-data/E0/2324_E0.csv" > "$work/many/$(printf '2324_E0_%03d' "$i").csv"
done
DATABASE_URL="sqlite:///$work/many.db" "$APS_BIN" ingest football-data "$work"/many/*.csv --quiet \
  > "$work/many.out" 2> /dev/null || true
check "300 paths: every file ingested" "300 files, 0 failed" "$(tail -n 1 "$work/many.out")"
check "300 paths: every game stored" 300 "$(sqlite3 "$work/many.db" "select count(*) from games")"

# A FIFO is refused, not read (reading it would wait for a writer forever).
mkfifo "$work/fifo_E0.csv"
rc=0
DATABASE_URL="sqlite:///$work/fifo.db" timeout 20 "$APS_BIN" ingest football-data "$work/fifo_E0.csv" \
  > /dev/null 2> "$work/fifo.err" || rc=$?
check "a FIFO path fails at once (not a timeout)" 1 "$rc"
check "a FIFO path is named as not a file" "aps ingest: $work/fifo_E0.csv: not a regular file or a directory" \
  "$(cat "$work/fifo.err")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
