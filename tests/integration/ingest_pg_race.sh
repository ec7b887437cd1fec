#!/usr/bin/env bash
# ingest_pg_race.sh — on PostgreSQL, a file whose games have no stored odds is copied straight
# into odds and closing_lines; when another transaction stores one of the same keys while that
# copy runs, the copy must give way to the upsert path and lose nothing. Made deterministic: the
# games of a real season are stored without odds, then a second session inserts one odds key of
# that season (a wrong line and price) and holds its transaction open while `aps ingest` starts; the
# ingest's copy waits on that key, the session commits, the copy meets the duplicate and the
# ingest falls back. Afterwards the store equals a plain ingest of the same file and the
# intruding row carries the file's price. Two concurrent ingests of one file end the same way.
# Needs: APS_BIN, psql, APS_TEST_PG_URL (fails without it unless APS_TEST_PG_OPTIONAL=1).
set -uo pipefail
# shellcheck source=lib/ingest_pg.sh
. "$(dirname "$0")/lib/ingest_pg.sh"
FILE="$DATA/sportsbookreview/nba/nba odds 2018-19.csv"
ingest_pg_need "$FILE"
suffix=$$
dbs="race_plain_$suffix race_held_$suffix race_two_$suffix"
holder=""
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2> /dev/null
  for d in $dbs; do psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" > /dev/null 2>&1; done
}
trap cleanup EXIT
ingest() { DATABASE_URL="$base/$1" "$APS_BIN" ingest sbr "$FILE" --quiet > /dev/null; }
# Everything the ingest stores, by names instead of ids (concurrent ingests may number teams and
# books differently) and without ingestion times.
content() {
  q "$1" "SELECT g.game_date, h.key, a.key, g.game_no, b.key, o.market, o.selection, o.phase,
      o.recorded_at, o.line, o.price
      FROM odds o JOIN games g ON g.id = o.game_id JOIN teams h ON h.id = g.home_team_id
      JOIN teams a ON a.id = g.away_team_id JOIN sportsbooks b ON b.id = o.book_id
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9" | md5sum
  q "$1" "SELECT g.game_date, h.key, g.game_no, b.key, c.market, c.selection, c.line, c.price,
      c.closed_at, c.source FROM closing_lines c JOIN games g ON g.id = c.game_id
      JOIN teams h ON h.id = g.home_team_id JOIN sportsbooks b ON b.id = c.book_id
      ORDER BY 1, 2, 3, 4, 5, 6" | md5sum
  q "$1" "SELECT g.game_date, h.key, a.key, g.game_no, g.home_score, g.away_score, g.status
      FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id
      ORDER BY 1, 2, 3, 4" | md5sum
}
for d in $dbs; do
  psql "$base/postgres" -qc "CREATE DATABASE $d" > /dev/null
  DATABASE_URL="$base/$d" "$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate $d"; exit 1; }
done

plain="race_plain_$suffix"
ingest "$plain" || { echo "FAIL: the plain ingest"; exit 1; }
want=$(content "$plain")
check "the plain ingest stored odds" 1 "$(q "$plain" "SELECT (count(*) > 10000)::int FROM odds")"

# The games, without their odds: the next ingest of the file takes the direct copy. The key the
# other session takes: the home spread's opening quote of the first game, at its first book.
held="race_held_$suffix"
ingest "$held"
q "$held" "DELETE FROM closing_lines; DELETE FROM odds" > /dev/null
first="SELECT o.game_id, o.book_id, o.line, o.price FROM odds o JOIN games g ON g.id = o.game_id
  WHERE o.market = 'spread' AND o.selection = 'home' AND o.phase = 'open'
  ORDER BY g.game_date, g.home_team_id, o.book_id LIMIT 1"
row=$(q "$plain" "$first")
IFS='|' read -r gid bid line price <<< "$row"
[ -n "$price" ] || { echo "FAIL: no opening home spread in $FILE"; exit 1; }
psql "$base/$held" -Atq > /dev/null 2>&1 << SQL &
BEGIN;
INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line, price)
  VALUES ($gid, $bid, 'spread', 'home', 'open', 0, 99.5, 99.0);
SELECT pg_sleep(4);
COMMIT;
SQL
holder=$!
active="SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(4)%' AND state = 'active'"
for _ in $(seq 100); do
  [ "$(q "$held" "$active")" = 1 ] && break
  sleep 0.1
done
check "the other session holds its key" 1 "$(q "$held" "$active")"
ingest "$held"
check "the ingest waited for the other transaction and succeeded" 0 $?
wait "$holder"
holder=""
key="game_id = $gid AND book_id = $bid AND market = 'spread' AND selection = 'home' AND phase = 'open'"
check "one row holds the contested key" 1 "$(q "$held" "SELECT count(*) FROM odds WHERE $key")"
check "its line and price are the file's, not the intruder's" "$line|$price" "$(q "$held" "SELECT line, price FROM odds WHERE $key")"
check "the store equals a plain ingest" "$want" "$(content "$held")"

# Two ingests of one file at once, into an empty store.
two="race_two_$suffix"
ingest "$two" &
a=$!
ingest "$two" &
b=$!
wait "$a"
ra=$?
wait "$b"
rb=$?
check "both concurrent ingests succeed" "0 0" "$ra $rb"
check "after two concurrent ingests the store equals a plain ingest" "$want" "$(content "$two")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
