#!/usr/bin/env bash
# Out-of-sample scoring on a real season: six Premier League seasons (2018-19 .. 2023-24) from the
# shared football-data files in a SQLite store; `aps train --until` the first day of 2023-24, so
# the model never sees that season; `aps backtest --model NAME` scores the frozen model on exactly
# the season's games with prices, against both the closing and the entry market with paired
# bootstrap intervals; an empty window is an error that says why; `aps predict --model` gives
# every outcome of every game and equals `aps models explain` game by game, for the moneyline and
# for the total (a score distribution); a production model whose files are gone is reported by
# `aps predict` and `aps models explain` with the file they could not read. NHL, whose training
# data before its last season is one season, is trained on month folds of that season and scored
# frozen; so is a store of one season cut inside it.
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), sqlite3, jq.
set -uo pipefail
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/sqlite_store.sh"

for s in 1819 1920 2021 2122 2223 2324; do
  aps ingest football-data "$DATA/football-data/E0/${s}_E0.csv" >/dev/null 2>&1 || { echo "FAIL: ingest $s"; exit 1; }
done
CUT=$(db "SELECT MIN(g.game_date) FROM games g JOIN seasons s ON s.id = g.season_id WHERE s.label = '2023-24'")
check "the last season starts on 2023-08-11" 2023-08-11 "$CUT"

# --- the cutoff --------------------------------------------------------------------------------
aps train --sport EPL --until nonsense >/dev/null 2>"$work/err"
check "--until must be a date" 2 "$?"
aps train --sport EPL --until "$CUT" --preset medium_quality --quiet >"$work/train.out" 2>&1
check "train --until exits 0" 0 "$?"
NAME=$(db "SELECT name FROM models ORDER BY id DESC LIMIT 1")
check "the registry records the cutoff" "$CUT" "$(db "SELECT json_extract(params, '\$.train_until') FROM models WHERE name = '$NAME'")"
check "a cutoff model is a challenger only" challenger "$(db "SELECT status FROM models WHERE name = '$NAME'")"
# (regression: the reason was printed by aps train but left out of the registry, an empty note)
check "  and the registry says why" "not considered for promotion (trained on games before $CUT only)" \
  "$(db "SELECT promotion_note FROM models WHERE name = '$NAME'")"
check "  as aps models list shows it" 1 \
  "$(aps models list --sport EPL | grep -c "^$NAME .*challenger .* not considered for promotion (trained on games before $CUT only)$")"
LAST=$(db "SELECT MAX(g.game_date) FROM model_predictions p JOIN games g ON g.id = p.game_id JOIN models m ON m.id = p.model_id WHERE m.name = '$NAME'")
check "no stored prediction on or after the cutoff (last $LAST)" 1 "$([[ "$LAST" < "$CUT" ]] && echo 1 || echo 0)"
check "the training data ends before the cutoff" 1 "$(grep -c "medium_quality, games before $CUT" "$work/train.out")"

# --- the frozen model scored on the season it never saw ----------------------------------------
aps backtest --sport EPL --model "$NAME" --from "$CUT" --format json >"$work/bt.json" 2>"$work/bt.err"
check "backtest of the frozen model exits 0" 0 "$?"
PRICED=$(db "SELECT COUNT(DISTINCT g.id) FROM games g JOIN seasons s ON s.id = g.season_id JOIN odds o ON o.game_id = g.id WHERE s.label = '2023-24' AND o.market = 'moneyline' AND o.phase = 'close' AND g.status = 'final'")
check "the season has 380 final games with closing prices" 380 "$PRICED"
check "every game of the season is predicted by the frozen model" "$PRICED" "$(jq .games_frozen_model "$work/bt.json")"
check "the scored games are exactly the season's games with prices" "$PRICED" "$(jq .scores.games "$work/bt.json")"
check "the scored window is the season" "2023-08-11 2024-05-19" "$(jq -r '.from + " " + .to' "$work/bt.json")"
check "scored against the entry market on the same games" "$PRICED" "$(jq .scores.entry.games "$work/bt.json")"
check "closing-market difference has a 95 % interval around its mean" true \
  "$(jq '.scores.log_loss_diff_close | .lo95 <= .mean and .mean <= .hi95 and .lo95 < .hi95' "$work/bt.json")"
check "entry-market difference has a 95 % interval around its mean" true \
  "$(jq '.scores.entry.log_loss_diff | .lo95 <= .mean and .mean <= .hi95 and .lo95 < .hi95' "$work/bt.json")"
check "the difference is the model's log-loss minus the close's" true \
  "$(jq '.scores | ((.log_loss_model - .log_loss_close) - .log_loss_diff_close.mean | fabs) < 1e-9' "$work/bt.json")"
aps backtest --sport EPL --model "$NAME" --from "$CUT" >"$work/bt.txt" 2>&1
check "the table shows the entry market" 1 "$(grep -c "entry market on the $PRICED of these games" "$work/bt.txt")"
check "the table shows the interval" 1 "$(grep -c 'paired bootstrap 95 %' "$work/bt.txt")"
# a window that starts after the cutoff: the frozen model's predictions are the window's games
# (regression: the count was every game from the cutoff, 380, above the 184 games scored)
LATE=$(db "SELECT COUNT(DISTINCT g.id) FROM games g JOIN odds o ON o.game_id = g.id WHERE g.game_date >= '2024-01-01' AND o.market = 'moneyline' AND o.phase = 'close' AND g.status = 'final'")
aps backtest --sport EPL --model "$NAME" --from 2024-01-01 --format json >"$work/late.json" 2>&1
check "a later window: the scored games are its games with prices" "$LATE" "$(jq .scores.games "$work/late.json")"
check "a later window: the frozen model predicted exactly those" "$LATE" "$(jq .games_frozen_model "$work/late.json")"
aps backtest --sport EPL --model "$NAME" --from 2023-10-01 --to 2023-10-31 --format json >"$work/oct.json" 2>&1
check "a month inside the season: the frozen model's games are the month's" \
  "$(jq .scores.games "$work/oct.json")" "$(jq .games_frozen_model "$work/oct.json")"
# the season before the cutoff: the stored walk-forward predictions, as before
aps backtest --sport EPL --model "$NAME" --from 2022-08-01 --to 2023-06-30 --format json >"$work/wf.json"
check "walk-forward season: no frozen prediction" 0 "$(jq .games_frozen_model "$work/wf.json")"
check "walk-forward season: scored from the stored predictions" 380 "$(jq .scores.games "$work/wf.json")"

# --- a model that is not the sport's and market's says which it is ------------------------------
# (regression: each printed "aps backtest: EPL: not found")
aps backtest --sport EPL --model "$NAME" --market total >"$work/out" 2>"$work/err"
check "a moneyline model backtested on totals: exit 2, naming its market" \
  "2 aps backtest: $NAME models EPL moneyline, not EPL total (--sport EPL --market moneyline)" \
  "$? $(head -1 "$work/err")"
aps backtest --sport EPL --model no_such_model >"$work/out" 2>"$work/err"
check "a model that does not exist: exit 1, saying so" \
  "1 aps backtest: no model no_such_model (aps models list --sport EPL)" "$? $(head -1 "$work/err")"
aps backtest --sport EPL --model production --market spread >"$work/out" 2>"$work/err"
check "no production model of the market: exit 1, saying so" "1 1" \
  "$? $(grep -c '^aps backtest: no EPL spread model is in production' "$work/err")"

# --- an empty window is an error ---------------------------------------------------------------
aps backtest --sport EPL --model "$NAME" --from 2030-01-01 >"$work/out" 2>"$work/err"
check "no game in the window: exit 1" 1 "$?"
check "no game in the window: says why" 1 "$(grep -c 'nothing to score: no EPL game dated 2030-01-01' "$work/err")"
check "no game in the window: no result printed" 0 "$(grep -c 'yield' "$work/out")"
aps backtest --sport EPL --model "$NAME" --burn-in 0 --from 2018-08-01 --to 2019-06-30 >"$work/out" 2>"$work/err"
check "games the model trained on and has no prediction for: exit 1" 1 "$?"
check "games the model trained on: says why" 1 "$(grep -c "model $NAME gave no probability" "$work/err")"

# --- batch predictions ------------------------------------------------------------------------
start=$(date +%s%N)
aps predict --model "$NAME" --from "$CUT" --to 2024-06-30 --format csv >"$work/p.csv" 2>/dev/null
check "predict csv exits 0" 0 "$?"
ms=$((($(date +%s%N) - start) / 1000000))
check "a season in seconds (${ms} ms)" 1 "$((ms < 10000))"
check "one row per game of the season" 381 "$(wc -l <"$work/p.csv")"
check "every outcome of the three-way market" "home draw away" \
  "$(sed -n 2p "$work/p.csv" | awk -F, '{print $15, $17, $19}')"
check "the outcomes sum to 1 in every row" 0 \
  "$(awk -F, 'NR > 1 { s = $16 + $18 + $20; if (s < 0.999999 || s > 1.000001) n++ } END { print n + 0 }' "$work/p.csv")"
check "no game of the season is in the training data" 0 "$(awk -F, 'NR > 1 && $11 != 0' "$work/p.csv" | wc -l)"
aps predict --model "$NAME" --from "$CUT" --to 2024-06-30 --format json >"$work/p.json" 2>/dev/null
check "json: same games" 380 "$(jq length "$work/p.json")"
check "json: same probabilities as csv" "$(sed -n 2p "$work/p.csv" | cut -d, -f16 | xargs printf '%.6f')" \
  "$(jq -r '.[0].probabilities.home' "$work/p.json" | xargs printf '%.6f')"
# equal to `aps models explain` for the same games (explain prints P(home) to 4 decimals)
# explain_agrees MODEL CSV COLUMN SED DIGITS: "N M" — of N games (every 47th row of the batch
# csv), M where `models explain` prints the csv's COLUMN to DIGITS decimals (SED extracts it)
explain_agrees() {
  local same=0 n=0 gid v e
  while IFS=, read -r gid v; do
    e=$(aps models explain "$1" --game "$gid" | sed -n "$4")
    n=$((n + 1))
    [ "$e" == "$(printf "%.$5f" "$v")" ] && same=$((same + 1))
  done < <(awk -F, -v c="$3" 'NR > 1 && (NR % 47 == 2) { print $1 "," $c }' "$2")
  echo "$n $same"
}
read -r n same < <(explain_agrees "$NAME" "$work/p.csv" 16 's/.*P(home) \([0-9.]*\);.*/\1/p' 4)
check "batch predictions equal models explain ($n games)" "$n" "$same"
# the same for a total (a score distribution: the expected total goals, explain prints it to 2
# decimals, and P(over) at the market's line)
aps train --sport EPL --market total --until "$CUT" --preset medium_quality --quiet >/dev/null 2>&1
check "train --until a total exits 0" 0 "$?"
TNAME=$(db "SELECT name FROM models WHERE market = 'total' ORDER BY id DESC LIMIT 1")
aps predict --model "$TNAME" --from "$CUT" --to 2024-06-30 --format csv >"$work/t.csv" 2>/dev/null
check "total: one row per game of the season" 381 "$(wc -l <"$work/t.csv")"
check "total: over and under sum to 1 on a 2.5 line" 0 \
  "$(awk -F, 'NR > 1 && $12 == 2.5 { s = $16 + $18; if (s < 0.999999 || s > 1.000001) n++ } END { print n + 0 }' "$work/t.csv")"
read -r n same < <(explain_agrees "$TNAME" "$work/t.csv" 13 \
  's/.*expected total \([-0-9.]*\) .*/\1/p' 2)
check "total: explain compared on several games ($n)" 1 "$((n >= 5))"
check "total: batch expected totals equal models explain ($n games)" "$n" "$same"
# a spread: the csv's line is the home side's; the away side is priced at its own (negated) line,
# so on half lines the two sides sum to 1
aps train --sport EPL --market spread --until "$CUT" --preset medium_quality --quiet >/dev/null 2>&1
check "train --until a spread exits 0" 0 "$?"
SNAME=$(db "SELECT name FROM models WHERE market = 'spread' ORDER BY id DESC LIMIT 1")
aps predict --model "$SNAME" --from "$CUT" --to 2024-06-30 --format csv >"$work/s.csv" 2>/dev/null
check "spread: half lines in the season" 1 "$(awk -F, 'NR > 1 && $12 != "" && ($12 * 2) % 2 != 0 && ($12 * 4) % 2 == 0' "$work/s.csv" | wc -l | awk '{ print ($1 > 50) }')"
check "spread: home and away sum to 1 on half lines" 0 \
  "$(awk -F, 'NR > 1 && $12 != "" && ($12 * 2) % 2 != 0 && ($12 * 4) % 2 == 0 { s = $16 + $18; if (s < 0.999999 || s > 1.000001) n++ } END { print n + 0 }' "$work/s.csv")"
aps predict --model "$NAME" --from 2030-01-01 >/dev/null 2>"$work/err"
check "predict with no game in the range: exit 1" 1 "$?"
aps predict --model "$NAME" --sport nba --from "$CUT" >/dev/null 2>"$work/err"
check "predict with a model of another sport: exit 2, saying whose model it is" \
  "2 aps predict: $NAME models EPL moneyline, not NBA moneyline" "$? $(head -1 "$work/err")"
check "models list --sport takes the code in any case" \
  "$(aps models list --sport EPL | md5sum)" "$(aps models list --sport epl | md5sum)"
check "  and finds the EPL models" 1 "$(aps models list --sport epl | awk 'NR > 1' | wc -l | awk '{ print ($1 > 0) }')"

# --- models explain names the game it cannot find ---------------------------------------------
aps models explain "$NAME" --game 999999999 >/dev/null 2>"$work/err"
check "explain of a game not stored: exit 1" 1 "$?"
check "explain of a game not stored: names the game" 1 "$(grep -c '^aps models explain: game 999999999: not found among the stored EPL games$' "$work/err")"
aps models explain "$NAME" --game -1 >"$work/out" 2>"$work/err"
check "explain --game -1: exit 2, nothing explained" "2 0" "$? $(wc -c <"$work/out")"

# --- a production model whose files are gone is reported, not hidden ---------------------------
# (regression: live predict exited 0 and said "no model passed the promotion gate")
aps models promote "$NAME" >/dev/null
MPATH=$(db "SELECT path FROM models WHERE name = '$NAME'")
mv "$MPATH" "$MPATH.moved"
aps predict --sport EPL --now "${CUT}T00:00:00Z" >"$work/live.out" 2>"$work/live.err"
check "live predict with a production model that does not load: exit 1" 1 "$?"
check "live predict: stderr names the model and the file it could not read" 1 \
  "$(grep -c "^aps predict: EPL moneyline: production model $NAME did not load: unable to open $MPATH/model.json" "$work/live.err")"
check "live predict: the summary counts the market's picks under that reason" 1 \
  "$(grep -Ec "^ +[1-9][0-9]* tracking only: production model $NAME did not load$" "$work/live.out")"
check "live predict: no reason says no model passed the moneyline gate" 0 \
  "$(grep -c 'promotion gate for EPL moneyline' "$work/live.out")"
aps models explain "$NAME" >/dev/null 2>"$work/err"
check "explain of a model whose files are gone: exit 1" 1 "$?"
check "explain of a model whose files are gone: names the file" 1 \
  "$(grep -c "^aps models explain: $NAME: cannot load the model: unable to open $MPATH/model.json" "$work/err")"
# (regression: the backtest replayed the model's stored walk-forward predictions instead, so it
# scored the seasons before the cutoff and said nothing; only a pruned model does that)
aps backtest --sport EPL --model "$NAME" --from "$CUT" >"$work/out" 2>"$work/err"
check "backtest of a model whose files are gone: exit 1, nothing scored" "1 0" "$? $(wc -c <"$work/out")"
check "backtest of a model whose files are gone: names the file" 1 \
  "$(grep -c "^aps backtest: EPL: the files of model $NAME cannot be read: unable to open $MPATH/model.json" "$work/err")"
mv "$MPATH.moved" "$MPATH"

# --- a sport whose training data is a single season -------------------------------------------
# NHL has 2019-20 and 2020-21. Trained --until the first day of 2020-21 it sees one season: the
# first quarter of 2019-20 only trains, its later months are scored walk-forward, and the frozen
# model scores 2020-21.
for f in "nhl odds 2019-20.csv" "nhl odds 2021.csv"; do
  aps ingest sbr "$DATA/sportsbookreview/nhl/$f" >/dev/null 2>&1 || { echo "FAIL: ingest $f"; exit 1; }
done
nhl_priced() { # db, from: final NHL games dated from it with closing moneyline prices
  sqlite3 "$1" "SELECT COUNT(DISTINCT g.id) FROM games g JOIN sports sp ON sp.id = g.sport_id JOIN odds o ON o.game_id = g.id WHERE sp.code = 'NHL' AND g.game_date >= '$2' AND o.market = 'moneyline' AND o.phase = 'close' AND g.status = 'final'"
}
NCUT=$(db "SELECT MIN(g.game_date) FROM games g JOIN seasons s ON s.id = g.season_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = 'NHL' AND s.label = '2020-21'")
check "NHL 2020-21 starts on 2021-01-13" 2021-01-13 "$NCUT"
aps train --sport NHL --market moneyline --until "$NCUT" --quiet >"$work/nhl.out" 2>&1
check "NHL train --until its last season exits 0" 0 "$?"
check "one season: month folds after its first quarter" 1 \
  "$(grep -c '^NHL moneyline: [0-9]* folds (2019-11 \.\. 2020-08), [0-9]* scored games' "$work/nhl.out")"
check "one season: trained, not refused" 0 "$(grep -c 'not trained' "$work/nhl.out")"
NNAME=$(db "SELECT m.name FROM models m JOIN sports sp ON sp.id = m.sport_id WHERE sp.code = 'NHL' ORDER BY m.id DESC LIMIT 1")
aps backtest --sport NHL --model "$NNAME" --from "$NCUT" --format json >"$work/nhl.json" 2>"$work/err"
check "NHL frozen backtest exits 0" 0 "$?"
NP=$(nhl_priced "$work/aps.db" "$NCUT")
check "NHL 2020-21: the scored games are the season's games with closing prices ($NP)" "$NP" \
  "$(jq .scores.games "$work/nhl.json")"
check "NHL 2020-21: every one predicted by the frozen model" "$NP" "$(jq .games_frozen_model "$work/nhl.json")"
# cut inside the only season of a store: trained on 2021-01-13 .. 2021-03-31, scored on the rest
one="$work/one.db"
DATABASE_URL="sqlite:///$one" aps ingest sbr "$DATA/sportsbookreview/nhl/nhl odds 2021.csv" >/dev/null 2>&1
DATABASE_URL="sqlite:///$one" aps train --sport NHL --market moneyline --until 2021-04-01 --quiet \
  >"$work/one.out" 2>&1
check "train --until inside the only season exits 0" 0 "$?"
check "inside the season: its months before the cutoff are scored" 1 \
  "$(grep -c '^NHL moneyline: 2 folds (2021-02 \.\. 2021-03)' "$work/one.out")"
ONAME=$(sqlite3 "$one" "SELECT name FROM models ORDER BY id DESC LIMIT 1")
DATABASE_URL="sqlite:///$one" aps backtest --sport NHL --model "$ONAME" --from 2021-04-01 \
  --format json >"$work/one.json" 2>"$work/err"
check "the frozen model scores the rest of the season: exits 0" 0 "$?"
OP=$(nhl_priced "$one" 2021-04-01)
check "the rest of the season: its games with closing prices ($OP)" "$OP" "$(jq .scores.games "$work/one.json")"
check "the rest of the season: from the cutoff" 2021-04-01 "$(jq -r .from "$work/one.json")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
