#!/usr/bin/env bash
# ingest_deadlock.sh — on PostgreSQL a file's transaction that the server aborts to break a
# deadlock is stored again, whole, and the run succeeds. Made deterministic with two other
# sessions on a store that already holds the NFL file: S2 locks a team row, S locks the book the
# file's odds use; the ingest upserts the file's venues, then waits for S2 at the team; S then
# asks for one of those venues (waiting for the ingest, with a long deadlock_timeout of its own so
# the server's check runs in the ingest's backend); S2 commits; the ingest goes on to the book,
# held by S: a cycle, which the ingest's backend detects after its deadlock_timeout (1 s) and
# aborts. The ingest says so and stores the file again once S commits. Afterwards the store equals
# a plain ingest's, and the database counted exactly one deadlock.
# Needs: APS_BIN, psql, APS_TEST_PG_URL (fails without it unless APS_TEST_PG_OPTIONAL=1).
set -uo pipefail
# shellcheck source=lib/ingest_pg.sh
. "$(dirname "$0")/lib/ingest_pg.sh"
FILE="$DATA/spreadspoke/spreadspoke_scores.csv"
ingest_pg_need "$FILE"
db="deadlock_$$" plain="deadlock_plain_$$"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
  for d in $db $plain; do psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" > /dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
# Waits (up to 20 s) until a backend of database $1 whose query starts with $2 waits for a lock.
wait_lock() {
  for _ in $(seq 200); do
    [ "$(q "$1" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
      AND wait_event_type = 'Lock' AND query LIKE '$2%'")" -ge 1 ] && return 0
    sleep 0.1
  done
  echo "FAIL: no backend waited for a lock in: $2"
  exit 1
}
content() {
  q "$1" "SELECT g.game_date, h.key, a.key, g.home_score, g.away_score, v.name, b.key, o.market,
      o.selection, o.phase, o.line, o.price FROM odds o JOIN games g ON g.id = o.game_id
      JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id
      LEFT JOIN venues v ON v.id = g.venue_id JOIN sportsbooks b ON b.id = o.book_id
      ORDER BY 1, 2, 3, 7, 8, 9, 10" | md5sum
}

for d in $db $plain; do
  psql "$base/postgres" -qc "CREATE DATABASE $d" > /dev/null || { echo "FAIL: create $d"; exit 1; }
  DATABASE_URL="$base/$d" "$APS_BIN" ingest spreadspoke "$DATA/spreadspoke" --quiet > /dev/null ||
    { echo "FAIL: the first ingest into $d"; exit 1; }
done
DATABASE_URL="$base/$plain" "$APS_BIN" ingest spreadspoke "$FILE" --quiet > /dev/null
want=$(content "$plain")

# What the file's transaction will lock, from the store: its first game's home team and venue,
# and the book of its odds.
read -r team venue book <<< "$(q "$db" "SELECT h.key || ' ' || replace(v.name, ' ', '~') || ' ' || b.key
  FROM games g JOIN teams h ON h.id = g.home_team_id JOIN venues v ON v.id = g.venue_id
  JOIN odds o ON o.game_id = g.id JOIN sportsbooks b ON b.id = o.book_id
  ORDER BY g.game_date, g.id LIMIT 1")"
venue=${venue//\~/ }
[ -n "$book" ] || { echo "FAIL: no game with a venue and odds in $FILE"; exit 1; }
dead0=$(q "$db" "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")

mkfifo "$work/s" "$work/s2"
psql "$base/$db" -Aqt < "$work/s" > "$work/s.out" 2>&1 & pids+=($!)
exec 3> "$work/s"
psql "$base/$db" -Aqt < "$work/s2" > "$work/s2.out" 2>&1 & pids+=($!)
exec 4> "$work/s2"
echo "BEGIN; UPDATE teams SET name = name WHERE key = '$team';" >&4
echo "BEGIN; SET deadlock_timeout = '60s'; UPDATE sportsbooks SET name = name WHERE key = '$book';" >&3
sleep 0.5
DATABASE_URL="$base/$db" "$APS_BIN" ingest spreadspoke "$FILE" --quiet --jobs 1 --format json \
  > "$work/ingest.json" 2> "$work/ingest.err" &
ingest=$!
pids+=("$ingest")
wait_lock "$db" "INSERT INTO teams"
echo "UPDATE venues SET city = city WHERE name = '${venue//\'/\'\'}';" >&3
wait_lock "$db" "UPDATE venues"
echo "COMMIT;" >&4
# The ingest reaches the book, the cycle closes, its backend aborts it; S then gets the venue.
for _ in $(seq 200); do
  [ "$(q "$db" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
    AND state = 'idle in transaction' AND query LIKE 'UPDATE venues%'")" = 1 ] && break
  sleep 0.1
done
echo "COMMIT;" >&3
exec 3>&- 4>&-
wait "$ingest"
check "the ingest exits 0" 0 $?
check "no file failed" 0 "$(jq .files_failed "$work/ingest.json")"
check "the ingest said it stored the file again" 1 "$(grep -c 'deadlock detected.*storing the file again' "$work/ingest.err")"
check "the store equals a plain ingest" "$want" "$(content "$db")"
sleep 1 # statistics reach pg_stat_database at the end of a backend's transaction, within a second
check "one deadlock counted" $((dead0 + 1)) "$(q "$db" "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")"
check "S kept its transaction" 0 "$(grep -c ERROR "$work/s.out")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
