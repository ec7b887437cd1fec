#!/usr/bin/env bash
# tennis_players.sh — one tennis player, one row, one Elo chain, on SQLite and PostgreSQL
# (APS_TEST_PG_URL). tennis-data.co.uk writes some players two ways ("Carreno Busta P." and
# "Carreno-Busta P."); each spelling used to be a player of its own, with half the player's games
# and an Elo chain of its own. A file written here has one player under both spellings among four
# others; a second file is the same matches with one spelling. Then:
#   - ingest: the two-spelling file stores one row for the player, both spellings its aliases,
#     and `aps elo ratings` and `aps elo fit`'s stored history are those of the one-spelling file;
#   - migration 022: a store at schema 021 whose player was stored as two rows (the one-spelling
#     file ingested, then the games after the first moved to a second row as the old releases
#     had it) gets one row, with the ratings of the one-spelling file; a pair with locked-in picks
#     on the second row keeps that row; a pair that played on one day stays two rows; ingesting
#     the file again after it adds no game.
# Needs: APS_BIN, sqlite3, psql (without APS_TEST_PG_URL it fails unless APS_TEST_PG_OPTIONAL=1).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v sqlite3 > /dev/null || { echo "tennis_players: sqlite3 is required"; exit 1; }
work=$(mktemp -d)
dbs=()
cleanup() {
  for d in "${dbs[@]}"; do
    psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $d" > /dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT
export LOG_LEVEL=WARNING
unset APS_MIGRATIONS_DIR
pass=0 fail=0 backend=fixture
check() {
  if [ "$2" == "$3" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL [$backend]: $1: expected '$2', got '$3'"
  fi
}

# 60 matches on 60 days (two seasons: `aps elo fit` warms up on the first) among five players;
# the first of them ("Carreno Busta P.") is written "Carreno-Busta P." in every third match of
# the two-spelling file.
write_fixture() { # file, spelling of the player's second name ("" for one spelling)
  local others=("Cilic M." "Thiem D." "Zverev A." "Goffin D.") i p o w l
  local head="ATP,Location,Tournament,Date,Series,Court,Surface,Round,Best of,Winner,Loser"
  echo "$head,WRank,LRank,Wsets,Lsets,Comment,PSW,PSL" > "$1"
  for i in $(seq 0 59); do
    p="Carreno Busta P."
    [ -n "$2" ] && [ $((i % 3)) -eq 1 ] && p=$2
    if [ $((i % 2)) -eq 0 ]; then
      o=${others[$((i / 2 % 4))]}
    else # the others among themselves, now and then
      o=${others[$((i % 4))]}
      [ $((i % 5)) -eq 1 ] && p=${others[$(((i + 1) % 4))]}
      [ "$p" = "$o" ] && o=${others[$(((i + 2) % 4))]}
    fi
    w=$p l=$o
    [ $(((i * 7) % 5)) -lt 2 ] && w=$o l=$p
    printf 'ATP,Doha,Qatar Open,%s,ATP250,Outdoor,Hard,1st Round,3,%s,%s,10,20,2,%s,Completed,1.80,2.05\n' \
      "$(date -u -d "2015-11-15 + $i days" +%F)" "$w" "$l" "$((i % 2))" >> "$1"
  done
}
write_fixture "$work/one.csv" ""
write_fixture "$work/two.csv" "Carreno-Busta P."
check "the two-spelling file has both spellings" "18 36" \
  "$(grep -c 'Carreno-Busta P\.' "$work/two.csv") $(grep -c 'Carreno Busta P\.' "$work/two.csv")"

mkdir -p "$work/before"
for f in "$SRC"/migrations/[0-9]*.sql; do
  v=$(basename "$f" | sed 's/_.*//; s/^0*//')
  [ "$v" -lt 22 ] && cp "$f" "$work/before/"
done

PLAYER="SELECT COUNT(*) FROM teams t JOIN sports s ON s.id = t.sport_id WHERE s.code = 'ATP'
  AND LOWER(REPLACE(t.key, '-', ' ')) = 'carreno busta p.'"
# Every rating a store holds after `aps elo fit`: game, player, before, after (ids differ).
HISTORY="SELECT g.game_date, t.key, ROUND(CAST(e.rating_before AS NUMERIC), 6),
  ROUND(CAST(e.rating_after AS NUMERIC), 6) FROM elo_history e JOIN games g ON g.id = e.game_id
  JOIN teams t ON t.id = e.team_id ORDER BY 1, 2"

run_backend() { # sql_runner url_prefix
  local sql=$1 url
  # The one-spelling file: the oracle.
  url=$(new_store one)
  DATABASE_URL=$url "$APS_BIN" migrate > /dev/null
  DATABASE_URL=$url "$APS_BIN" ingest tennis-data "$work/one.csv" > /dev/null 2>&1
  DATABASE_URL=$url "$APS_BIN" elo ratings --sport ATP > "$work/$backend-one.ratings"
  DATABASE_URL=$url "$APS_BIN" elo fit --sport ATP > /dev/null
  $sql one "$HISTORY" > "$work/$backend-one.history"
  check "the oracle has ratings" 6 "$(wc -l < "$work/$backend-one.ratings")"
  check "the oracle's Elo history: two rows a match" 120 "$(wc -l < "$work/$backend-one.history")"

  # The two-spelling file.
  url=$(new_store two)
  DATABASE_URL=$url "$APS_BIN" migrate > /dev/null
  DATABASE_URL=$url "$APS_BIN" ingest tennis-data "$work/two.csv" > /dev/null 2>&1
  check "one row for the player spelled two ways" 1 "$($sql two "$PLAYER")"
  check "… with both spellings as its aliases" "Carreno Busta P.|Carreno-Busta P." \
    "$($sql two "SELECT a.alias FROM team_aliases a JOIN teams t ON t.id = a.team_id
      WHERE t.key = 'Carreno Busta P.' ORDER BY 1" | paste -sd'|')"
  check "five players" 5 "$($sql two "SELECT COUNT(*) FROM teams")"
  DATABASE_URL=$url "$APS_BIN" elo ratings --sport ATP > "$work/$backend-two.ratings"
  check "the ratings are the one-spelling file's" "" \
    "$(diff "$work/$backend-one.ratings" "$work/$backend-two.ratings")"
  DATABASE_URL=$url "$APS_BIN" elo fit --sport ATP > /dev/null
  check "one Elo chain: the fitted history is the one-spelling file's" "" \
    "$(diff "$work/$backend-one.history" <($sql two "$HISTORY"))"

  # A store of the old releases: schema 021, the player as two rows, then migration 022.
  url=$(new_store old)
  DATABASE_URL=$url APS_MIGRATIONS_DIR=$work/before "$APS_BIN" migrate > /dev/null
  # (ingest applies the pending migrations first: here only those up to 021)
  DATABASE_URL=$url APS_MIGRATIONS_DIR=$work/before "$APS_BIN" ingest tennis-data "$work/one.csv" > /dev/null 2>&1
  $sql old "INSERT INTO teams (sport_id, key, name) SELECT sport_id, 'Carreno-Busta P.', 'Carreno-Busta P.'
    FROM teams WHERE key = 'Carreno Busta P.'" > /dev/null
  local first
  first=$($sql old "SELECT MIN(game_date) FROM games")
  for side in home away; do
    $sql old "UPDATE games SET ${side}_team_id = (SELECT id FROM teams WHERE key = 'Carreno-Busta P.')
      WHERE ${side}_team_id = (SELECT id FROM teams WHERE key = 'Carreno Busta P.')
      AND game_date > '$first' AND CAST(SUBSTR(game_date, 9, 2) AS INTEGER) % 2 = 1" > /dev/null
  done
  # Thiem: a second row with locked-in picks on his last home game; Zverev: a second row that
  # played on a day the first one did (a game added on the day of his first).
  $sql old "INSERT INTO teams (sport_id, key, name) SELECT sport_id, k, k FROM teams,
    (SELECT 'THIEM D.' AS k UNION ALL SELECT 'Zverev A' UNION ALL SELECT 'Nobody N.') x
    WHERE key = 'Goffin D.'" > /dev/null
  $sql old "UPDATE games SET home_team_id = (SELECT id FROM teams WHERE key = 'THIEM D.')
    WHERE home_team_id = (SELECT id FROM teams WHERE key = 'Thiem D.')
    AND game_date = (SELECT MAX(game_date) FROM games g JOIN teams t ON t.id = g.home_team_id
      WHERE t.key = 'Thiem D.')" > /dev/null
  $sql old "INSERT INTO predictions (game_id, model, market, selection, probability, tier,
    stake_fraction, locked_at, prev_hash, hash, created_at) SELECT g.id, 'elo', 'moneyline',
    'home', 0.5, '', 0, 'x', 'p', 'h1', 0 FROM games g JOIN teams t ON t.id = g.home_team_id
    WHERE t.key = 'THIEM D.'" > /dev/null
  $sql old "INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id,
    start_time, created_at, updated_at) SELECT g.sport_id, g.season_id, g.game_date,
    (SELECT id FROM teams WHERE key = 'Zverev A'), (SELECT id FROM teams WHERE key = 'Nobody N.'),
    g.start_time, 0, 0 FROM games g JOIN teams t ON t.id IN (g.home_team_id, g.away_team_id)
    WHERE t.key = 'Zverev A.' AND g.game_date = (SELECT MIN(g2.game_date) FROM games g2
      JOIN teams t2 ON t2.id IN (g2.home_team_id, g2.away_team_id) WHERE t2.key = 'Zverev A.')" > /dev/null
  check "the old store has the player as two rows" 2 "$($sql old "$PLAYER")"
  local games
  games=$($sql old "SELECT COUNT(*) FROM games")
  DATABASE_URL=$url "$APS_BIN" migrate > /dev/null
  check "022 applied" 0 "$(DATABASE_URL=$url "$APS_BIN" migrate --status | grep -c 'not applied')"
  check "after 022: one row" 1 "$($sql old "$PLAYER")"
  check "… the row first stored" "Carreno Busta P." \
    "$($sql old "SELECT key FROM teams WHERE key LIKE 'Carreno%'")"
  check "the Thiem kept is the row with picks" "THIEM D." \
    "$($sql old "SELECT key FROM teams WHERE UPPER(key) = 'THIEM D.'")"
  check "the Zverevs that played on one day stay two rows" 2 \
    "$($sql old "SELECT COUNT(*) FROM teams WHERE key LIKE 'Zverev A%'")"
  check "no game lost" "$games" "$($sql old "SELECT COUNT(*) FROM games")"
  $sql old "DELETE FROM games WHERE home_team_id = (SELECT id FROM teams WHERE key = 'Zverev A')" > /dev/null
  $sql old "DELETE FROM teams WHERE key IN ('Zverev A', 'Nobody N.')" > /dev/null
  DATABASE_URL=$url "$APS_BIN" elo ratings --sport ATP | sed 's/THIEM D\./Thiem D./g' \
    > "$work/$backend-old.ratings"
  check "after 022 the ratings are the one-spelling file's" "" \
    "$(diff "$work/$backend-one.ratings" "$work/$backend-old.ratings")"
  DATABASE_URL=$url "$APS_BIN" ingest tennis-data "$work/one.csv" > /dev/null 2>&1
  check "ingesting the file again adds no game" "$((games - 1))" "$($sql old "SELECT COUNT(*) FROM games")"
}

backend=sqlite
new_store() { echo "sqlite:///$work/$1.db"; }
sqlite_sql() { sqlite3 "$work/$1.db" "$2"; }
run_backend sqlite_sql

if [ -n "${APS_TEST_PG_URL:-}" ]; then
  backend=pg
  new_store() {
    local d=aps_tennis_${1}_$$
    psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $d" > /dev/null
    echo "${APS_TEST_PG_URL%/*}/$d"
  }
  for d in one two old; do dbs+=("aps_tennis_${d}_$$"); done
  pg_sql() { psql "${APS_TEST_PG_URL%/*}/aps_tennis_${1}_$$" -qAtX -v ON_ERROR_STOP=1 -c "$2"; }
  run_backend pg_sql
elif [ "${APS_TEST_PG_OPTIONAL:-0}" != 1 ]; then
  fail=$((fail + 1))
  echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
