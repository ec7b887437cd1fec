#!/usr/bin/env bash
# Ingests every data set of the data directory into SQLite and into a real PostgreSQL, then
# checks that the per-sport, per-season counts are identical on both backends, match counts taken
# from the files themselves (awk, independent of the loaders), and do not change on a second
# ingest; and that a broken file is refused whole.
# Needs: APS_BIN, APS_TEST_PG_URL (scripts/pgtest start), APS_DATA_DIR (or ../shared/data).
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
: "${APS_TEST_PG_URL:?APS_TEST_PG_URL is unset: start PostgreSQL with scripts/pgtest start}"
DATA=${APS_DATA_DIR:-${APS_SOURCE_DIR:?}/../shared/data}
work=$(mktemp -d)
db="aps_it_ingest_$$"
cleanup() {
  psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}

SQLITE="sqlite:///$work/aps.db"
psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $db" >/dev/null
PG="${APS_TEST_PG_URL%/*}/$db"

for backend in sqlite pg; do
  url=$SQLITE; [ $backend = pg ] && url=$PG
  DATABASE_URL=$url "$APS_BIN" ingest all "$DATA" --quiet --format json > "$work/$backend.ingest1.json"
  DATABASE_URL=$url "$APS_BIN" stats --format json > "$work/$backend.stats1.json"
  DATABASE_URL=$url "$APS_BIN" ingest all "$DATA" --quiet --format json > "$work/$backend.ingest2.json"
  DATABASE_URL=$url "$APS_BIN" stats --format json > "$work/$backend.stats2.json"
  check "$backend: second ingest leaves the counts unchanged" \
    "$(md5sum < "$work/$backend.stats1.json")" "$(md5sum < "$work/$backend.stats2.json")"
  check "$backend: no file failed" 0 "$(jq .files_failed "$work/$backend.ingest1.json")"
done
check "SQLite and PostgreSQL hold the same counts per sport and season" \
  "$(md5sum < "$work/sqlite.stats1.json")" "$(md5sum < "$work/pg.stats1.json")"
check "every sport with data is present" \
  "ATP BUNDESLIGA EPL LALIGA LIGUE1 MLB NBA NCAAB NFL NHL SERIEA WTA" \
  "$(jq -r '[.[].sport] | unique | join(" ")' "$work/sqlite.stats1.json")"

stat_games() { jq -r --arg s "$1" --arg y "$2" '[.[] | select(.sport == $s and .season == $y) | .games] | add // 0' "$work/sqlite.stats1.json"; }

# football-data: one game per row with a date, per league and season.
declare -A league=([E0]=EPL [SP1]=LALIGA [D1]=BUNDESLIGA [I1]=SERIEA [F1]=LIGUE1)
for f in "$DATA"/football-data/*/*.csv; do
  base=$(basename "$f" .csv); div=${base#*_}; yy=${base%%_*}
  season="20${yy:0:2}-${yy:2:2}"
  want=$(tail -n +2 "$f" | tr -d '\r' | awk -F, '$2 != "" {n++} END {print n+0}')
  check "football-data $base games" "$want" "$(stat_games "${league[$div]}" "$season")"
done

# NFL: FiveThirtyEight's file lists every game 1920-2020 and spreadspoke every game 1966-2023;
# games both list are one game, so a season holds the larger of the two counts.
tail -n +2 "$DATA/fivethirtyeight/nfl-elo-game/nfl_games.csv" | awk -F, '{n[$2]++} END {for (s in n) print s, n[s]}' | sort > "$work/n538"
tail -n +2 "$DATA/spreadspoke/spreadspoke_scores.csv" | tr -d '\r' | awk -F, '{n[$2]++} END {for (s in n) print s, n[s]}' | sort > "$work/nspread"
join -a1 -a2 -e0 -o 0,1.2,2.2 "$work/n538" "$work/nspread" | while read -r season a b; do
  want=$(( a > b ? a : b ))
  got=$(stat_games NFL "$season")
  [ "$want" == "$got" ] || echo "FAIL: NFL $season games: expected $want, got $got"
done > "$work/nfl.out"
check "NFL games per season match the files (1920-2023)" "" "$(cat "$work/nfl.out")"

# NBA: two rows per game in every sportsbookreview file.
for f in "$DATA"/sportsbookreview/nba/*.csv; do
  season=$(basename "$f" .csv); season=${season#nba odds }
  want=$(( ($(tail -n +2 "$f" | grep -c .) ) / 2 ))
  check "NBA $season games" "$want" "$(stat_games NBA "$season")"
done

# Matched forecasts: FiveThirtyEight's NFL Elo file is matched to a stored game for every row.
check "every 538 NFL Elo forecast matched a game" 16810 \
  "$(sqlite3 "$work/aps.db" "select count(*) from forecasts where model = '538_elo' and game_id is not null and game_date < '2021-03-01' and sport_id = (select id from sports where code = 'NFL') and season <= '2020'")"

# The betting core gives the same answers on both backends: fitted Elo parameters, and a
# backtest of two sports (every bet, tier, season and score in the JSON report).
for sport in NHL EPL; do
  for backend in sqlite pg; do
    url=$SQLITE; [ $backend = pg ] && url=$PG
    DATABASE_URL=$url "$APS_BIN" elo fit --sport $sport | sed 's/, [0-9.]*s;/;/' > "$work/$backend.fit.$sport"
    DATABASE_URL=$url "$APS_BIN" backtest --sport $sport --format json > "$work/$backend.bt.$sport.json"
  done
  check "$sport: the same fitted Elo parameters on both backends" \
    "$(cat "$work/sqlite.fit.$sport")" "$(cat "$work/pg.fit.$sport")"
  check "$sport: the same backtest report on both backends" \
    "$(md5sum < "$work/sqlite.bt.$sport.json")" "$(md5sum < "$work/pg.bt.$sport.json")"
  check "$sport: the backtest placed bets" 1 "$(jq '.bets.bets > 0' "$work/sqlite.bt.$sport.json" | grep -c true)"
done

# Point-in-time ratings: one line per team that has played before the date, and the ratings of
# a league average out at its mean (Elo updates are zero-sum; regression pulls toward the mean).
DATABASE_URL=$SQLITE "$APS_BIN" elo ratings --sport NHL --date 2021-01-01 > "$work/nhl.ratings"
check "NHL ratings before 2021: one line per team that had played" \
  "$(sqlite3 "$work/aps.db" "select count(distinct t) from (select home_team_id t, game_date d from games g join sports s on s.id = g.sport_id where s.code = 'NHL' union all select away_team_id, game_date from games g join sports s on s.id = g.sport_id where s.code = 'NHL') where d < '2021-01-01'")" \
  "$(grep -vc '^#' "$work/nhl.ratings")"
check "NHL ratings average the league mean (1500)" 1500 \
  "$(grep -v '^#' "$work/nhl.ratings" | awk '{s += $2; n++} END {printf "%.0f", s / n}')"
# The CSV report lists exactly the bets the JSON report counts.
DATABASE_URL=$SQLITE "$APS_BIN" backtest --sport NHL --format csv > "$work/nhl.bets.csv"
check "backtest CSV: one row per bet" "$(jq .bets.bets "$work/sqlite.bt.NHL.json")" \
  "$(tail -n +2 "$work/nhl.bets.csv" | grep -c .)"

# A URL is fetched (libcurl) and loaded like a path: the same file again changes nothing; a URL
# that cannot be fetched fails clearly.
DATABASE_URL=$SQLITE "$APS_BIN" ingest football-data "file://$DATA/football-data/E0/1213_E0.csv" --quiet > /dev/null
DATABASE_URL=$SQLITE "$APS_BIN" stats --format json > "$work/sqlite.stats3.json"
check "ingesting a file by URL again leaves the counts unchanged" \
  "$(md5sum < "$work/sqlite.stats1.json")" "$(md5sum < "$work/sqlite.stats3.json")"
if DATABASE_URL=$SQLITE "$APS_BIN" ingest football-data "file://$work/missing.csv" --quiet > /dev/null 2> "$work/url.err"; then
  check "an unreadable URL makes ingest fail" 1 0
else
  check "an unreadable URL makes ingest fail" 1 "$(grep -c 'missing.csv' "$work/url.err")"
fi

# A broken file is refused whole: nothing from it is stored.
before=$(sqlite3 "$work/aps.db" "select count(*) from games")
head -c 20000 "$DATA/football-data/E0/2324_E0.csv" > "$work/2324_E0.csv"
printf '\n"unterminated' >> "$work/2324_E0.csv"
if DATABASE_URL=$SQLITE "$APS_BIN" ingest football-data "$work/2324_E0.csv" --quiet > /dev/null 2> "$work/broken.err"; then
  check "a broken file makes ingest fail" 1 0
else
  check "a broken file makes ingest fail" 1 1
fi
check "the broken file's error names the file" 1 "$(grep -c '2324_E0.csv' "$work/broken.err")"
check "nothing of the broken file was stored" "$before" "$(sqlite3 "$work/aps.db" "select count(*) from games")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
