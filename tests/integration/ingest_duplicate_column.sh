#!/usr/bin/env bash
# A data file whose header names a column the loader reads twice is refused, naming the column,
# and nothing of it is stored (it is counted as a failed file): which of the two holds the values
# is not known (a second B365H column once won, storing 9.99 for Bet365's 1.3). A repeated
# column the loader does not read, and the unnamed price columns every SBR MLB and NHL file
# repeats, are no reason to refuse a file.
# SQLite only (the loaders are the same on both backends).
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data).
set -euo pipefail
# shellcheck source=tests/integration/lib/sqlite_store.sh
. "$(dirname "$0")/lib/sqlite_store.sh"
[ -d "$DATA" ] || { echo "FAIL: no data folder at $DATA (APS_DATA_DIR)"; exit 1; }
export LOG_LEVEL=WARNING
whole=$DATA/football-data/D1/1213_D1.csv

ingest() { # args… → $rc, $work/out, $work/err
  rc=0
  "$APS_BIN" ingest "$@" > "$work/out" 2> "$work/err" || rc=$?
}

# The file's first games with a second B365H column after the last.
col=$(head -n 1 "$whole" | tr ',' '\n' | grep -nx B365H | cut -d: -f1)
last=$(head -n 1 "$whole" | tr ',' '\n' | wc -l)
head -n 4 "$whole" | awk 'NR == 1 { print $0 ",B365H"; next } { print $0 ",9.99" }' > "$work/1213_D1.csv"
ingest football-data "$work/1213_D1.csv"
check "a second B365H: exit 1" 1 "$rc"
check "… a failed file" "1 files, 1 failed" "$(tail -n 1 "$work/out")"
check "… the error names the column" 1 \
  "$(grep -c "1213_D1.csv:1: column B365H appears twice in the header (columns $col and $((last + 1))).*(nothing stored from this file)" "$work/err")"
check "… nothing stored" "0|0" "$(db 'select count(*) from games' 2>/dev/null)|$(db 'select count(*) from odds')"
check "… no Bet365 price of 9.99" 0 "$(db "select count(*) from odds where price = 9.99")"

# A repeated column that no loader reads (football-data's HS) changes nothing.
head -n 4 "$whole" | awk 'NR == 1 { print $0 ",HS"; next } { print $0 ",99" }' > "$work/1213_D1.csv"
ingest football-data "$work/1213_D1.csv"
check "a second HS column: exit 0" 0 "$rc"
check "… three games stored" 3 "$(db 'select count(*) from games')"
check "… Bet365's home price of the first game as in the file" \
  "$(sed -n 2p "$whole" | cut -d, -f"$col")" \
  "$(db "select o.price from odds o join sportsbooks b on b.id = o.book_id join games g on g.id = o.game_id
         where b.key = 'bet365' and o.market = 'moneyline' and o.selection = 'home' and o.phase = 'pre'
         order by g.game_date, g.id limit 1")"

# The real SBR files repeat their unnamed price columns (MLB: three): still read.
ingest sbr "$DATA/sportsbookreview/mlb/mlb_odds_2019.csv"
check "an SBR MLB file with three unnamed columns: exit 0" 0 "$rc"
check "… read, not failed" "1 files, 0 failed" "$(tail -n 1 "$work/out")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
