#!/usr/bin/env bash
# The market gate and the model report agree: five Premier League seasons (2018-19 .. 2022-23)
# from the shared football-data files in a SQLite store; `aps train --market all` stores each
# model's market gate; `aps report models` then shows, for every market, a closing-market row on
# exactly the gate's games (same count, same log-losses, same gap), a summary cell that states
# the gate's verdict, and the gate's edge evidence (the replayed bets and the largest supported
# edge). The gate's games are the trainer's scored walk-forward games that have a closing price at
# the line it predicted: never more than the leaderboard's games. Spread and total bets report
# their CLV in points of line and their price CLV at their own line.
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), sqlite3, jq.
set -uo pipefail
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/sqlite_store.sh"

for s in 1819 1920 2021 2122 2223; do
  aps ingest football-data "$DATA/football-data/E0/${s}_E0.csv" >/dev/null 2>&1 || { echo "FAIL: ingest $s"; exit 1; }
done
aps train --sport EPL --market all --max-models 3 --quiet >"$work/train.out" 2>&1
check "train exits 0" 0 "$?"
aps report models --out "$work/models.md" >/dev/null 2>"$work/report.err"
check "report exits 0" 0 "$?"

for mk in moneyline spread total; do
  sec=$(awk -v h="## EPL $mk" '$0 == h {f = 1; next} /^## / {f = 0} f' "$work/models.md")
  name=$(printf '%s\n' "$sec" | grep -o -m1 '`[a-z0-9_]*`' | tr -d '`')
  [ -n "$name" ] || { fail=$((fail + 1)); echo "FAIL: no section for EPL $mk"; continue; }
  gate=$(db "SELECT json_extract(metrics, '\$.market_gate') FROM models WHERE name = '$name'")
  wf=$(db "SELECT json_extract(metrics, '\$.walk_forward.games') FROM models WHERE name = '$name'")
  games=$(jq .games <<<"$gate")
  check "$mk: the gate has games" 1 "$([ "$games" -ge 200 ] && echo 1 || echo 0)"
  check "$mk: the gate scores the trainer's walk-forward games" "$wf" "$(jq .walk_forward_games <<<"$gate")"
  check "$mk: every scored game is a gate game or left out with its reason" "$wf" \
    "$(jq '.games + .without_close + .close_at_other_line' <<<"$gate")"
  # | model vs closing market | games | LL model | LL other | LL gap | ...
  row=$(printf '%s\n' "$sec" | grep '^| model vs closing market |')
  IFS='|' read -r _ _ rn rm rc rg _ <<<"$row"
  want=$(jq -r '[.games, (.log_loss * 1e4 | round / 1e4), (.market_log_loss * 1e4 | round / 1e4)] | @tsv' <<<"$gate")
  check "$mk: the report's closing row is on the gate's games" "$games" "$(echo $rn)"
  check "$mk: the report's closing row has the gate's log-losses" "$want" \
    "$(printf '%s\t%s\t%s' "$(echo $rn)" "$(awk -v x="$rm" 'BEGIN {print x + 0}')" "$(awk -v x="$rc" 'BEGIN {print x + 0}')")"
  gap=$(jq -r '100 * (.log_loss / .market_log_loss - 1)' <<<"$gate" | awk '{printf "%+.2f %%", $1}')
  check "$mk: the report's closing gap is the gate's" "$gap" "$(echo $rg)"
  verdict=$(jq -r 'if .passed then "yes" else "no" end' <<<"$gate")
  # | EPL spread | family | LL model | beats entry | within 0.5 % of close: market gate | ECE |
  cell=$(grep "^| EPL $mk |" "$work/models.md" | awk -F'|' '{print $6}')
  check "$mk: the summary states the gate's verdict" "$verdict ($gap, $games games)" "$(echo $cell)"
  check "$mk: the goals state the gate's verdict" 1 \
    "$(printf '%s\n' "$sec" | grep -c "within 0.5 % of the closing line's log-loss (the market gate, on the closing market's row above): \*\*$verdict ($gap, $games games)\*\*")"
  bets=$(printf '%s\n' "$sec" | awk -F'|' '/^\| 0\.[0-9]+–[0-9.]+ \|/ {s += $3} END {print s + 0}')
  check "$mk: the report's edge buckets are the gate's bets" "$(jq .bets <<<"$gate")" "$bets"
  cap=$(jq -r '.max_supported_edge' <<<"$gate" | awk '{printf "%.3f", $1}')
  check "$mk: the report's largest supported edge is the gate's" 1 \
    "$(printf '%s\n' "$sec" | grep -c "as stored with the market gate): $cap")"
  # spreads and totals: CLV in points of line, and the price CLV at each bet's own line (the
  # totals' line is 2.5 at entry and close, so every total bet with a close has one)
  if [ "$mk" != moneyline ]; then
    clv=$(printf '%s\n' "$sec" | grep -o "points of line over [0-9]* bets with a close.*price CLV at each bet's own line (entry price against the fair close at that line): [-+][0-9.]* over [0-9]* bets")
    check "$mk: the report gives points CLV and price CLV at the bets' lines" 1 "$([ -n "$clv" ] && echo 1 || echo 0)"
    if [ "$mk" = total ]; then
      check "total: a price CLV for every bet with a close" "$(sed 's/.*points of line over \([0-9]*\) bets.*/\1/' <<<"$clv")" \
        "$(sed 's/.* over \([0-9]*\) bets$/\1/' <<<"$clv")"
    fi
  fi
done

# A later run that made a challenger only (--until) leaves the report's leaderboard the
# production model's run's: its first row is that model's walk-forward log-loss on its games
# (regression: the report showed the later run's leaderboard above the production model).
PROD=$(db "SELECT name FROM models WHERE market = 'moneyline' ORDER BY id LIMIT 1")
aps models promote "$PROD" >/dev/null
aps train --sport EPL --market moneyline --until 2021-08-01 --max-models 3 --quiet >/dev/null 2>&1
check "a later --until run exits 0" 0 "$?"
aps report models --out "$work/models2.md" >/dev/null 2>"$work/report.err"
check "report after it exits 0" 0 "$?"
sec=$(awk '$0 == "## EPL moneyline" {f = 1; next} /^## / {f = 0} f' "$work/models2.md")
# shellcheck disable=SC2016 # the backquotes are the report's, not the shell's
check "the section is still the production model's" "$PROD" \
  "$(printf '%s\n' "$sec" | grep -o -m1 'Production model `[a-z0-9_]*`' | tr -d '`' | cut -d' ' -f3)"
# shellcheck disable=SC2016
check "its leaderboard is the run that made it, said so" 1 \
  "$(printf '%s\n' "$sec" | grep -c '^Leaderboard of the earlier `aps train` run that made this model')"
first=$(printf '%s\n' "$sec" | grep -m1 '^| 1 |' | awk -F'|' '{gsub(/ /, ""); print $5 " " $6}')
check "its first row is the production model's games and log-loss" \
  "$(db "SELECT games || ' ' || printf('%.4f', log_loss) FROM models WHERE name = '$PROD'")" "$first"

echo "gate_report: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
