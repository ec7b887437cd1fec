#!/usr/bin/env bash
# ingest_lanes.sh — on PostgreSQL `aps ingest all` stores several files at once (--jobs), each on
# its own connection, files of one sport one after another in job order. Everything it stores
# must be what one lane stores: all of the shared data ingested with --jobs 1 and with --jobs 4
# into two databases, then games, their sources, odds, closing lines, forecasts (and the games
# they were matched to), teams with their home venues, venues and sportsbooks compared by names
# (ids differ when lanes interleave). The per-file lines come in job order either way.
# Needs: APS_BIN, psql, APS_TEST_PG_URL (fails without it unless APS_TEST_PG_OPTIONAL=1),
# APS_DATA_DIR (or ../shared/data).
set -uo pipefail
# shellcheck source=lib/ingest_pg.sh
. "$(dirname "$0")/lib/ingest_pg.sh"
ingest_pg_need "$DATA/football-data" "$DATA/spreadspoke"
one="lanes_one_$$" four="lanes_four_$$"
work=$(mktemp -d)
cleanup() {
  for d in $one $four; do psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" > /dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

# One query per table, every id replaced by the names it stands for.
GAME="sp.code, g.game_date, h.key, a.key, g.game_no"
GAMES="games g JOIN sports sp ON sp.id = g.sport_id JOIN teams h ON h.id = g.home_team_id
  JOIN teams a ON a.id = g.away_team_id"
declare -A dump=(
  [games]="SELECT $GAME, se.label, g.start_time, g.time_known, g.neutral, g.playoff, g.status,
    g.home_score, g.away_score, v.name FROM $GAMES JOIN seasons se ON se.id = g.season_id
    LEFT JOIN venues v ON v.id = g.venue_id ORDER BY 1, 2, 3, 4, 5"
  [game_sources]="SELECT $GAME, s.source, s.extra FROM game_sources s JOIN $GAMES ON g.id = s.game_id
    ORDER BY 1, 2, 3, 4, 5, 6"
  [odds]="SELECT $GAME, b.key, o.market, o.selection, o.phase, o.recorded_at, o.line, o.price
    FROM odds o JOIN $GAMES ON g.id = o.game_id JOIN sportsbooks b ON b.id = o.book_id
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
  [closing_lines]="SELECT $GAME, b.key, c.market, c.selection, c.line, c.price, c.closed_at, c.source
    FROM closing_lines c JOIN $GAMES ON g.id = c.game_id JOIN sportsbooks b ON b.id = c.book_id
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
  [forecasts]="SELECT f.model, sp.code, f.game_date, t1.key, t2.key, f.game_no, f.season,
    f.team1_home, f.neutral, f.prob1, f.prob2, f.prob_tie, f.result1, g.game_date, h.key, a.key
    FROM forecasts f JOIN sports sp ON sp.id = f.sport_id JOIN teams t1 ON t1.id = f.team1_id
    JOIN teams t2 ON t2.id = f.team2_id LEFT JOIN games g ON g.id = f.game_id
    LEFT JOIN teams h ON h.id = g.home_team_id LEFT JOIN teams a ON a.id = g.away_team_id
    ORDER BY 1, 2, 3, 4, 5, 6"
  [teams]="SELECT sp.code, t.key, t.name, v.name FROM teams t JOIN sports sp ON sp.id = t.sport_id
    LEFT JOIN venues v ON v.id = t.home_venue_id ORDER BY 1, 2"
  [team_aliases]="SELECT sp.code, x.source, x.alias, t.key FROM team_aliases x
    JOIN sports sp ON sp.id = x.sport_id JOIN teams t ON t.id = x.team_id ORDER BY 1, 2, 3"
  [venues]="SELECT name, city, kind, latitude, longitude, timezone, utc_offset_min FROM venues ORDER BY 1"
  [sportsbooks]="SELECT key, name, is_sharp, is_aggregate FROM sportsbooks ORDER BY 1"
)

for d in $one $four; do
  psql "$base/postgres" -qc "CREATE DATABASE $d" > /dev/null || { echo "FAIL: create $d"; exit 1; }
done
DATABASE_URL="$base/$one" "$APS_BIN" ingest all "$DATA" --jobs 1 --format json > "$work/one.json" 2> "$work/one.err"
check "--jobs 1 exits 0" 0 $?
DATABASE_URL="$base/$four" "$APS_BIN" ingest all "$DATA" --jobs 4 --format json > "$work/four.json" 2> "$work/four.err"
check "--jobs 4 exits 0" 0 $?
check "no file failed with --jobs 4" 0 "$(jq .files_failed "$work/four.json")"
check "the summaries agree (times aside)" "$(jq -S 'del(.sports[].seconds)' "$work/one.json")" \
  "$(jq -S 'del(.sports[].seconds)' "$work/four.json")"
# The per-file lines: the same files in the same order (their times aside).
lines() { grep ': [0-9]* games, ' "$1" | sed -E 's/, [0-9.]+s$//'; }
check "per-file lines in job order" "$(lines "$work/one.err" | md5sum)" "$(lines "$work/four.err" | md5sum)"
check "a line per file" "$(jq .files "$work/one.json")" "$(grep -c ': [0-9]* games, ' "$work/four.err")"

for t in "${!dump[@]}"; do
  a=$(q "$one" "${dump[$t]}" | md5sum) b=$(q "$four" "${dump[$t]}" | md5sum)
  check "$t: --jobs 4 stores what --jobs 1 stores" "$a" "$b"
done
check "odds were stored" 1 "$(q "$four" "SELECT (count(*) > 1000000)::int FROM odds")"
check "forecasts were matched to games" 1 "$(q "$four" "SELECT (count(*) > 10000)::int FROM forecasts WHERE game_id IS NOT NULL")"

# A pool of one connection: one lane, at once (not after the pool's 30 s wait for a second).
t0=$(date +%s)
DATABASE_POOL_SIZE=1 DATABASE_POOL_OVERFLOW=0 DATABASE_URL="$base/$one" "$APS_BIN" ingest spreadspoke "$DATA/spreadspoke" --jobs 4 --quiet > /dev/null
check "a pool of one connection: --jobs 4 exits 0" 0 $?
check "a pool of one connection: no wait for a second connection" 1 $(( $(date +%s) - t0 < 15 ))

# SQLite has one writer: --jobs is accepted there and stores one file at a time.
DATABASE_URL="sqlite:///$work/one.db" "$APS_BIN" ingest spreadspoke "$DATA/spreadspoke" --jobs 3 --quiet > /dev/null
check "SQLite takes --jobs" 0 $?
DATABASE_URL="$base/$one" "$APS_BIN" ingest spreadspoke "$DATA/spreadspoke" --jobs 9 > /dev/null 2> "$work/bad.err"
check "--jobs 9 is refused" 2 $?
check "--jobs 9: the message" 1 "$(grep -c 'from 1 to 8' "$work/bad.err")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
