#!/usr/bin/env bash
# bench/oos/run.sh — the out-of-sample section of docs/models.md, in one command.
#
# Ingests the shared data into a fresh SQLite store; for each sport, trains with
# `aps train --until` the first day of the sport's last season in the data (every market), scores
# that season with the frozen model (`aps backtest --model NAME --from DAY --to LAST`), and writes
# one table row per sport and market: the walk-forward figures of the same training run next to
# the frozen model's out-of-sample log-loss against the entry and the closing market (paired
# bootstrap 95 % intervals of the difference), its ECE, its bias (mean predicted minus observed),
# the mean CLV of its bets, and the Aims met or missed. A last season with fewer than half the
# games of the one before is marked short; when it also has fewer than MIN_GAMES (300) games (the
# tennis data ends at the 2023 Australian Open) the season before it is the one scored. A market
# with no prices in that season (NFL moneylines end in 2021) is scored on the last season that
# has them, by a model of that market trained up to that season's start.
# The section between the oos markers of docs/models.md is replaced (appended when absent).
#
# usage: bench/oos/run.sh [--sports "EPL NBA ..."] [--preset P] [--out FILE]
# Needs: build/aps (or APS_BIN), APS_DATA_DIR (or ../shared/data), sqlite3, jq.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
APS=${APS_BIN:-$SRC/build/aps}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
PRESET=medium_quality
OUT=$SRC/docs/models.md
SPORTS=""
while [ $# -gt 0 ]; do
  case $1 in
    --sports) SPORTS=$2; shift 2 ;;
    --preset) PRESET=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--sports \"EPL NBA\"] [--preset P] [--out FILE]" >&2; exit 2 ;;
  esac
done
for tool in sqlite3 jq; do command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 1; }; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DATABASE_URL="sqlite:///$work/aps.db" MODEL_OUTPUT_PATH="$work/models" APS_ENV=test
db() { sqlite3 "$work/aps.db" "$1"; }
"$APS" ingest all "$DATA" >/dev/null 2>&1
[ -n "$SPORTS" ] || SPORTS=$(db "SELECT DISTINCT sp.code FROM games g JOIN sports sp ON sp.id = g.sport_id JOIN odds o ON o.game_id = g.id ORDER BY sp.code")

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b == 0) print "–"; else printf "%+.2f %%", 100 * (a - b) / b }'; }
ci() { # mean lo hi → "+0.0012 [−0.0010, +0.0034]"
  awk -v m="$1" -v l="$2" -v h="$3" 'BEGIN { if (m == "null") print "–"; else printf "%+.4f [%+.4f, %+.4f]", m, l, h }'
}
rows=$work/rows.md
: >"$rows"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
MIN_GAMES=300
for sport in $SPORTS; do
  # the seasons with games, latest first: label|games|first day|last day
  seasons=$(db "SELECT s.label, COUNT(*), MIN(g.game_date), MAX(g.game_date) FROM games g JOIN seasons s ON s.id = g.season_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = '$sport' GROUP BY s.label ORDER BY MIN(g.game_date) DESC LIMIT 2")
  IFS='|' read -r last ngames cut to <<<"$(sed -n 1p <<<"$seasons")"
  IFS='|' read -r prev nprev pcut pto <<<"$(sed -n 2p <<<"$seasons")"
  season_cell=$last
  if [ -n "$prev" ] && [ $((2 * ngames)) -lt "$nprev" ]; then
    if [ "$ngames" -lt "$MIN_GAMES" ]; then
      # too few games to score: the season before is the out-of-sample season
      season_cell="$prev ($last short: $ngames games)"
      last=$prev cut=$pcut to=$pto
    else
      season_cell="$last (short: $ngames games, $nprev the season before)"
    fi
  fi
  "$APS" train --sport "$sport" --market all --until "$cut" --preset "$PRESET" >"$work/train-$sport.out" 2>&1 || true
  sport_season=$season_cell sport_cut=$cut sport_to=$to
  for market in moneyline spread total; do
    season_cell=$sport_season cut=$sport_cut to=$sport_to trained=$work/train-$sport.out
    priced=$(db "SELECT COUNT(*) FROM games g JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = '$sport' AND g.game_date BETWEEN '$cut' AND '$to' AND EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id AND o.market = '$market')")
    if [ "$priced" = 0 ]; then
      # no prices for this market in the season scored (NFL moneylines end in 2021): the last
      # season that has them is scored instead, by a model trained up to that season's start
      mseason=$(db "SELECT s.label FROM games g JOIN seasons s ON s.id = g.season_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = '$sport' AND EXISTS (SELECT 1 FROM odds o WHERE o.game_id = g.id AND o.market = '$market') GROUP BY s.label ORDER BY MIN(g.game_date) DESC LIMIT 1")
      [ -n "$mseason" ] || continue # no prices for it at all: left out
      IFS='|' read -r cut to <<<"$(db "SELECT MIN(g.game_date), MAX(g.game_date) FROM games g JOIN seasons s ON s.id = g.season_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = '$sport' AND s.label = '$mseason'")"
      season_cell="$mseason (the last with $market prices)"
      trained=$work/train-$sport-$market.out
      "$APS" train --sport "$sport" --market "$market" --until "$cut" --preset "$PRESET" >"$trained" 2>&1 || true
    fi
    name=$(db "SELECT m.name FROM models m JOIN sports sp ON sp.id = m.sport_id WHERE sp.code = '$sport' AND m.market = '$market' ORDER BY m.id DESC LIMIT 1")
    if [ -z "$name" ]; then
      why=$(grep -m1 "^$sport $market: not trained" "$trained" | sed 's/.*not trained: //' || true)
      [ -z "$why" ] && why=$(grep -m1 "aps train: $sport $market" "$trained" || true)
      # a market the sport has no prices for at all is left out; one with prices says why
      priced=$(db "SELECT COUNT(*) FROM odds o JOIN games g ON g.id = o.game_id JOIN sports sp ON sp.id = g.sport_id WHERE sp.code = '$sport' AND o.market = '$market'")
      [ -n "$why" ] && [ "$priced" != 0 ] && echo "| $sport $market | $season_cell | – | not trained: $why | | | | | | | | |" >>"$rows"
      continue
    fi
    wf=$(db "SELECT printf('%.4f (%d games)', log_loss, games) FROM models WHERE name = '$name'")
    # the family and, in brackets, the search candidate the model is (ridge_offset_l2=300, ...)
    family=$(db "SELECT family || COALESCE(' (' || json_extract(params, '\$.candidate.name') || ')', '') FROM models WHERE name = '$name'")
    if ! "$APS" backtest --sport "$sport" --market "$market" --model "$name" --from "$cut" --to "$to" --format json >"$work/bt.json" 2>"$work/bt.err"; then
      echo "| $sport $market | $season_cell | $family | $wf | not scored: $(sed 's/^aps backtest: //' "$work/bt.err" | head -1) | | | | | | | |" >>"$rows"
      continue
    fi
    j() { jq -r "$1" "$work/bt.json"; }
    n=$(j .scores.games) ll=$(j .scores.log_loss_model) llc=$(j .scores.log_loss_close)
    ne=$(j .scores.entry.games) lle=$(j .scores.entry.log_loss_entry) llme=$(j .scores.entry.log_loss_model)
    ece=$(j .scores.ece_model) clv=$(j .bets.clv_mean) bets=$(j .bets.bets) nclv=$(j .bets.clv_bets)
    pclv=$(j .bets.clv_price_mean) npclv=$(j .bets.clv_price_bets)
    # bias: mean predicted minus observed frequency over the reliability bins (P(home), P(over));
    # a three-way market pools every outcome in its bins, so its bias is 0 by construction
    bias=$(jq -r 'if (.scores.reliability | map(.n) | add) == 0 then "–"
      elif (.scores.reliability | map(.n) | add) > .scores.games then "–"
      else ([.scores.reliability[] | select(.n > 0) | .n * (.predicted - .observed)] | add)
           / (.scores.reliability | map(.n) | add) end' "$work/bt.json")
    [ "$bias" != "–" ] && bias=$(printf '%+.4f' "$bias")
    ece_mkt=$(jq -r '(.scores.reliability | map(.n) | add) as $n
      | ([.scores.reliability[] | select(.n > 0) | (.n / $n) * 0.79788 * ((.predicted * (1 - .predicted) / .n) | sqrt)] | add) as $chance
      | [(if .scores.entry.games > 0 then "entry \(.scores.entry.ece_entry * 10000 | round / 10000)" else empty end),
         "close \(.scores.ece_close * 10000 | round / 10000)", "chance \($chance * 10000 | round / 10000)"] | join(", ")' "$work/bt.json")
    dc=$(ci "$(j .scores.log_loss_diff_close.mean)" "$(j .scores.log_loss_diff_close.lo95)" "$(j .scores.log_loss_diff_close.hi95)")
    de=$(ci "$(j .scores.entry.log_loss_diff.mean)" "$(j .scores.entry.log_loss_diff.lo95)" "$(j .scores.entry.log_loss_diff.hi95)")
    beats=$(jq -r 'if .scores.entry.games == 0 then "not measurable" elif .scores.entry.log_loss_diff.hi95 < 0 then "met" else "missed" end' "$work/bt.json")
    within=$(jq -r 'if (.scores.log_loss_model - .scores.log_loss_close) / .scores.log_loss_close <= 0.005 then "met" else "missed" end' "$work/bt.json")
    eceaim=$(jq -r 'if .scores.ece_model <= 0.02 then "met" else "missed" end' "$work/bt.json")
    clvaim=$(jq -r 'if .bets.bets == 0 then "no bets" elif .bets.clv_price_mean == null then "none with a close after entry" elif .bets.clv_price_mean > 0 then "met" else "missed" end' "$work/bt.json")
    entry_cell="–"
    [ "$ne" != 0 ] && entry_cell="$(printf '%.4f' "$lle") on $ne ($(pct "$llme" "$lle"); $de)"
    # moneyline: price CLV; spread and total: points of line, and price CLV at the bet's own line
    if [ "$bets" = 0 ]; then
      clv_cell="no bets"
    elif [ "$clv" = null ] && [ "$pclv" = null ]; then
      clv_cell="none with a close after entry ($bets bets)"
    elif [ "$market" = moneyline ]; then
      clv_cell="$(printf '%+.4f' "$clv") over $nclv of $bets bets"
    else
      clv_cell="points $( [ "$clv" = null ] && echo – || printf '%+.2f' "$clv") over $nclv of $bets bets; price $( [ "$pclv" = null ] && echo "– (no bet's line quoted at the close)" || printf '%+.4f over %s' "$pclv" "$npclv")"
    fi
    printf '| %s %s | %s | %s | %s | %s | %.4f | %s | %.4f (%s; %s) | %.4f (%s) | %s | %s | %s / %s / %s / %s |\n' \
      "$sport" "$market" "$season_cell" "$family" "$wf" "$n" "$ll" "$entry_cell" "$llc" "$(pct "$ll" "$llc")" "$dc" \
      "$ece" "$ece_mkt" "$bias" "$clv_cell" "$beats" "$within" "$eceaim" "$clvaim" >>"$rows"
  done
done

section=$work/section.md
{
  echo "<!-- oos:begin (written by bench/oos/run.sh; do not edit by hand) -->"
  echo "## Out of sample: the last season of the data, scored by a frozen model"
  echo
  echo "Written by \`bench/oos/run.sh --preset $PRESET\` at $started. For each sport the models were trained with \`aps train --market all --until DAY --preset $PRESET\`, DAY being the first day of the sport's last season in the data, so features, search, calibration and stacking saw none of that season; then \`aps backtest --model NAME --from DAY --to LAST\` applied each frozen model to every game of the season (features computed point in time, as live picks compute them). *Walk-forward* is the same training run's walk-forward log-loss on the earlier seasons. *Entry* is the earliest pre-game market (open, else pre-match) on the games that have it; the bracketed figures are the mean per-game log-loss difference, model minus market, with its paired bootstrap 95 % interval (1000 resamples): an interval below 0 means the model beats that market beyond chance. *ECE* is the model's, with the entry and closing market's on the same games in brackets, and *chance*: the ECE a perfectly calibrated forecaster with the model's probabilities would show on these games by chance alone (Σ over the reliability bins of n_b/N · √(2/π) · √(p_b(1 − p_b)/n_b)); where it is above 0.02 a season is too short to show the ECE aim met."
  echo
  echo "*Bias* is the model's mean predicted probability minus the observed frequency over the scored games (of the home side, the over, the home cover; – for three-way moneylines, whose reliability bins pool every outcome). *CLV* is that of the bets the backtest placed with the frozen model: price CLV for moneylines; for spreads and totals the points of line against the closing line and the price CLV at each bet's own line (the entry price against the fair closing probability at that same line, where the close still quotes it). *No bets* means the model found no bet; *none with a close after entry* that its bets' entry prices are the closing prices themselves (the data's only prices), so no CLV can be measured. A last season with fewer than half the games of the season before is marked *short*; when it also has fewer than $MIN_GAMES games the season before it is scored instead (tennis: the data ends at the 2023 Australian Open, so 2022 is the tennis season scored). A market with no prices in the sport's scored season is scored on the last season that has them, by a model of that market trained with \`--until\` that season's first day (NFL moneylines: the data's NFL prices after 2021 are spreads and totals only)."
  echo
  echo "Aims, in order: beats the entry market (interval below 0) / within 0.5 % of the close / ECE ≤ 0.02 / positive mean price CLV of the backtest's bets."
  echo
  echo "| sport market | season | model | walk-forward LL | games | LL model | LL entry (gap; model − entry [95 %]) | LL close (gap; model − close [95 %]) | ECE | bias | CLV | aims |"
  echo "|---|---|---|---|---:|---:|---|---|---:|---:|---|---|"
  cat "$rows"
  echo "<!-- oos:end -->"
} >"$section"
if [ -f "$OUT" ] && grep -q '<!-- oos:begin' "$OUT"; then
  awk -v f="$section" '/<!-- oos:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
                       /<!-- oos:end -->/ { skip = 0; next } !skip' "$OUT" >"$work/new.md"
else
  { [ -f "$OUT" ] && cat "$OUT" && echo; cat "$section"; } >"$work/new.md"
fi
cp "$work/new.md" "$OUT"
echo "wrote the out-of-sample section of $OUT ($(wc -l <"$rows") rows)"
