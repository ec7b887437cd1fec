#!/usr/bin/env bash
# A CSV file whose last line was cut off (a download or copy that stopped early) stores nothing
# of that line, in every CSV source: the row has fewer fields than the header, so its values are
# partial ("129" read as "1", "TRUE" as "TRU", a price cut to one digit, a player's name cut
# short) and are rejected as "fields missing" with the line (on the file's line of output and in
# ingest_runs), while every other row of the file is stored as from the whole file. Each real file is cut at several places in its last
# line; every row stored from a cut file must be one the whole file stores.
# SQLite only (the loaders are the same on both backends).
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data).
set -euo pipefail
# shellcheck source=tests/integration/lib/sqlite_store.sh
. "$(dirname "$0")/lib/sqlite_store.sh"
[ -d "$DATA" ] || { echo "FAIL: no data folder at $DATA (APS_DATA_DIR)"; exit 1; }
export LOG_LEVEL=WARNING

rows() { # db: every stored game, odds row and forecast by natural keys (ids depend on the run)
  sqlite3 "$1" "select 'game', g.game_date, g.game_no, h.key, a.key, g.status, g.home_score,
      g.away_score, g.neutral, v.name from games g join teams h on h.id = g.home_team_id
      join teams a on a.id = g.away_team_id left join venues v on v.id = g.venue_id" \
    "select 'odds', g.game_date, h.key, a.key, b.key, o.market, o.selection, o.phase, o.line,
      o.price from odds o join games g on g.id = o.game_id join teams h on h.id = g.home_team_id
      join teams a on a.id = g.away_team_id join sportsbooks b on b.id = o.book_id" \
    "select 'forecast', f.model, f.game_date, t1.key, t2.key, f.game_no, f.season, f.team1_home,
      f.neutral, f.prob1, f.prob2, f.prob_tie, f.result1 from forecasts f
      join teams t1 on t1.id = f.team1_id join teams t2 on t2.id = f.team2_id" | LC_ALL=C sort
}

ingest() { # source, path, db
  rm -f "$3"
  DATABASE_URL="sqlite:///$3" "$APS_BIN" ingest "$1" "$2" > /dev/null 2> "$work/err"
}

# source, file in the data folder, the name it gets here (sbr reads sport and season from it)
cases=(
  "sbr|sportsbookreview/nba/nba odds 2016-17.csv|nba odds 2016-17.csv"
  "sbr|sportsbookreview/mlb/mlb_odds_2019.csv|mlb_odds_2019.csv"
  "tennis-data|tennis-data/atp/2018.csv|2018.csv"
  "spreadspoke|spreadspoke/spreadspoke_scores.csv|spreadspoke_scores.csv"
  "fivethirtyeight|fivethirtyeight/mirrors/nfl_elo.csv|nfl_elo.csv"
  "football-data|football-data/D1/1213_D1.csv|1213_D1.csv"
)
for c in "${cases[@]}"; do
  IFS='|' read -r source file name <<< "$c"
  dir="$work/$source"
  mkdir -p "$dir"
  [ "$source" = spreadspoke ] && cp "$DATA/spreadspoke/nfl_teams.csv" "$DATA/spreadspoke/nfl_stadiums.csv" "$dir/"
  whole="$DATA/$file"
  ingest "$source" "$whole" "$work/whole.db"
  rows "$work/whole.db" > "$work/whole.rows"
  whole_games=$(sqlite3 "$work/whole.db" 'select count(*) from games')
  last_line=$(wc -l < "$whole") # each of these files ends its last line
  # The last line without its end of line, and the bytes before it.
  body=$(tail -n 1 "$whole" | tr -d '\r\n')
  keep=$(( $(wc -c < "$whole") - $(tail -n 1 "$whole" | wc -c) ))
  len=${#body}
  # Cut a third, half, two thirds of the way in, and inside its next-to-last field.
  rest=${body%,*}
  inside=$(( ${#rest} - 1 ))
  for cut in $((len / 3)) $((len / 2)) $((len * 2 / 3)) "$inside"; do
    { head -c "$keep" "$whole"; printf '%s' "${body:0:$cut}"; } > "$dir/$name"
    what="$source $name cut after $cut of $len bytes of its last line"
    if ingest "$source" "$dir/$name" "$work/cut.db"; then
      check "$what: ingested" 0 0
    else
      check "$what: ingested" 0 "$? ($(cat "$work/err"))"
      continue
    fi
    rows "$work/cut.db" > "$work/cut.rows"
    check "$what: no row that the whole file does not store" "" \
      "$(LC_ALL=C comm -13 "$work/whole.rows" "$work/cut.rows" | head -n 3)"
    check "$what: the cut row is rejected as fields missing, kept with its line" "1|$last_line" \
      "$(sqlite3 "$work/cut.db" "select json_extract(rejects, '$.\"fields missing\".count'),
         json_extract(rejects, '$.\"fields missing\".first_line') from ingest_runs")"
    check "$what: the file's line says so" 1 \
      "$(grep -c "fields missing 1 at line ${last_line}[,)]" "$work/err")"
    if [ "$source" != fivethirtyeight ]; then
      check "$what: every other game stored" $((whole_games - 1)) \
        "$(sqlite3 "$work/cut.db" 'select count(*) from games')"
    fi
  done
done

echo "ingest_truncated: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
