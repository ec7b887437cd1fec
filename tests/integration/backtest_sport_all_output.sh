#!/usr/bin/env bash
# Regression: `aps backtest --sport all --format json` wrote one JSON object per sport one after
# the other (not one JSON document) and `--format csv` repeated its header for every sport with
# no sport column; the table printed nan for undefined figures. On a SQLite store of two real
# seasons of the Premier League and of the Bundesliga: the JSON is one array with each sport's
# object, equal to that sport's own report; the CSV has one header with a first column sport and
# each sport's rows are its own report's rows; the tables print no nan or inf; a bankroll out of
# bounds is refused with the bounds.
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), sqlite3, jq.
set -uo pipefail
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/sqlite_store.sh"

for f in E0/1213_E0 E0/1314_E0 D1/1213_D1 D1/1314_D1; do
  aps ingest football-data "$DATA/football-data/$f.csv" >/dev/null 2>&1 || { echo "FAIL: ingest $f"; exit 1; }
done

# --- JSON: one document, an array of the single-sport objects in sport order -------------------
aps backtest --sport all --format json >"$work/all.json" 2>"$work/err"
check "--sport all --format json exits 0" 0 "$?"
check "one JSON document" 1 "$(jq -s length "$work/all.json")"
check "an array of one object per sport with odds" '["EPL","BUNDESLIGA"]' "$(jq -c 'map(.sport)' "$work/all.json")"
for sport in EPL BUNDESLIGA; do
  aps backtest --sport $sport --format json >"$work/$sport.json"
  check "$sport: the array's object is its own report" "$(jq -cS . "$work/$sport.json" | md5sum)" \
    "$(jq -cS --arg s $sport '.[] | select(.sport == $s)' "$work/all.json" | md5sum)"
done

# --- CSV: one header with a sport column, then every sport's bets -------------------------------
aps backtest --sport all --format csv >"$work/all.csv" 2>"$work/err"
check "--sport all --format csv exits 0" 0 "$?"
check "one header line" 1 "$(grep -c '^sport,date,' "$work/all.csv")"
check "the header comes first" "sport,date,season,game_id" "$(head -1 "$work/all.csv" | cut -d, -f1-4)"
check "one row per bet of every sport" "$(jq '[.[].bets.bets] | add' "$work/all.json")" \
  "$(tail -n +2 "$work/all.csv" | grep -c .)"
for sport in EPL BUNDESLIGA; do
  aps backtest --sport $sport --format csv >"$work/$sport.csv"
  check "$sport: a single sport's CSV has no sport column" "date,season" "$(head -1 "$work/$sport.csv" | cut -d, -f1-2)"
  check "$sport: its rows are its own report's, after its code" \
    "$(tail -n +2 "$work/$sport.csv" | sed "s/^/$sport,/" | md5sum)" \
    "$(grep "^$sport," "$work/all.csv" | md5sum)"
done

# --- tables: an undefined figure is "-", never nan or inf ---------------------------------------
aps backtest --sport all >"$work/all.txt" 2>&1
check "--sport all table exits 0" 0 "$?"
aps backtest --sport EPL --market spread >>"$work/all.txt" 2>&1
aps backtest --sport EPL --from 2013-08-17 --to 2013-08-17 >"$work/day.txt" 2>&1
check "one day without a bet exits 0" 0 "$?"
check "one day without a bet: the Sharpe ratio is undefined" 1 "$(grep -c 'Sharpe - per bet' "$work/day.txt")"
check "no nan or inf in any table" 0 "$(cat "$work/all.txt" "$work/day.txt" | grep -ciw 'nan\|inf')"

# --- a bankroll out of bounds is refused, naming the bounds -------------------------------------
aps backtest --sport EPL --bankroll 1e308 >"$work/out" 2>"$work/err"
check "--bankroll 1e308: exit 2" 2 "$?"
check "--bankroll 1e308: says the bounds" 1 "$(grep -c 'above 0 and at most 1000000000000' "$work/err")"
check "--bankroll 1e308: nothing printed" 0 "$(wc -c <"$work/out")"
aps backtest --sport EPL --bankroll 1e12 --format json >"$work/big.json" 2>/dev/null
check "--bankroll 1e12: every figure finite" true \
  "$(jq '[.bets.staked, .bets.profit, .bankroll_end] | all(. != null)' "$work/big.json")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
