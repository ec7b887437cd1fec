#!/usr/bin/env bash
# Every number /metrics reads from the store is the one the API answers, on SQLite and on
# PostgreSQL (APS_TEST_PG_URL) with two `aps api` processes on one store. The story, with the mock
# providers (tests/mock, the only stand-in) on a clock the test moves: the last NBA season of the
# shared data ingested; live odds collected and picks locked in four times while the prices move,
# so most picks are re-made and the earlier ones superseded; a user opens a USD and a JPY bankroll,
# bets on picks from both and settles one by hand; the evening's games end, are scored and graded.
# Then, per market, between a scrape of /metrics and the API:
#   - the store's families are gauges (a settled bet leaves "pending", a re-made pick can change
#     tier): no TYPE counter, and the pending bets' series goes down when one is settled;
#   - aps_picks_current = GET /api/v1/predictions?market=M total (superseded picks left out);
#   - aps_picks_graded by result = GET /api/v1/predictions/performance by_market's wins, losses,
#     pushes and voids;
#   - the 7-day window (everything here was graded minutes ago): aps_picks_window_graded,
#     aps_picks_hit_ratio, aps_picks_clv_mean, aps_picks_clv_positive_ratio = by_market's n,
#     win_rate (no half results in NBA), clv_mean, clv_positive_share;
#   - aps_bets / aps_bets_stake per result and currency = GET /api/v1/betting/bets?bankroll_id=…
#     &result=… total and summary.staked (stakes of two currencies never added);
#   - on PostgreSQL the second api answers the same store families.
# Needs: APS_BIN, APS_BUILD_DIR (mock_providers), APS_DATA_DIR (or ../shared/data), curl, jq,
# sqlite3, and psql for PostgreSQL. Without APS_TEST_PG_URL the PostgreSQL half fails unless
# APS_TEST_PG_OPTIONAL=1.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MOCK=${APS_MOCK_BIN:-${APS_BUILD_DIR:?APS_BUILD_DIR is the build folder}/mock_providers}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
for tool in curl jq sqlite3; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is missing (scripts/bootstrap installs it)"; exit 1; }
done
[ -d "$DATA/sportsbookreview/nba" ] || { echo "FAIL: no NBA data under $DATA/sportsbookreview/nba"; exit 1; }
work=$(mktemp -d)
pgdb="aps_monitoring_store_$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
  [ -n "${APS_TEST_PG_URL:-}" ] && psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $backend: $1: expected '$2', got '$3'"; fi
}
near() { # name, expected, actual: equal within 1e-9 (both numbers), or both "none"
  if [ "$2" = none ] || [ "$3" = none ]; then check "$1" "$2" "$3"; return; fi
  if awk -v a="$2" -v b="$3" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }'; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $backend: $1: expected $2, got $3"
  fi
}
# msum FILE NAME LABEL…: the sum of the series of NAME carrying every label given (name="value"),
# "none" when there is no such series.
msum() {
  local f=$1 name=$2; shift 2
  awk -v name="$name" -v want="$*" '
    BEGIN { n = split(want, w, " ") }
    /^#/ { next }
    { split($1, a, "{"); if (a[1] != name) next
      for (i = 1; i <= n; i++) if (index($1, w[i]) == 0) next
      s += $2; found = 1 }
    END { if (found) printf "%.12g\n", s; else print "none" }' "$f"
}
type_of() { awk -v n="$2" '$1 == "#" && $2 == "TYPE" && $3 == n { print $4 }' "$1"; }
# The store-derived families of services/app_metrics.c (those the api and every worker compute
# from the store at scrape time).
STORE_FAMILIES=(aps_picks_current aps_picks_current_stake_fraction aps_picks_graded
  aps_picks_window_graded aps_picks_hit_ratio aps_picks_log_loss aps_picks_brier_score
  aps_picks_clv_mean aps_picks_clv_positive_ratio aps_bankrolls_active aps_bankroll_balance
  aps_bankroll_initial_balance aps_bets aps_bets_stake aps_users aps_api_keys_active
  aps_alerts_unacknowledged aps_data_quality_passed aps_odds_upcoming_games)

declare -A port
start_api() { # name → waits for "listening", sets port[NAME]
  "$APS_BIN" api --host 127.0.0.1 --port 0 > "$work/$1.log" 2>&1 &
  pids+=($!)
  local p=
  for _ in $(seq 100); do
    p=$(grep -m1 '"msg":"listening"' "$work/$1.log" 2> /dev/null | jq -r '.port // empty')
    [ -n "$p" ] && break
    sleep 0.1
  done
  [ -n "$p" ] || { echo "FAIL: $backend: aps api did not start"; cat "$work/$1.log"; exit 1; }
  port[$1]=$p
}
# scrape PORT FILE: /metrics after the store-derived cache (5 s) has expired
scrape() { sleep 5.2; curl -s "http://127.0.0.1:$1/metrics" > "$2"; }

run_backend() {
  local mock base tok
  "$MOCK" --port 0 --rebase --quota 10000000 > "$work/mock.json" 2> "$work/mock.err" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$work/mock.json" ] && break; sleep 0.1; done
  mock="http://127.0.0.1:$(jq -r .port "$work/mock.json")"
  echo 0 > "$work/clock"
  export ENVIRONMENT=development LOG_LEVEL=WARNING SPORTS=NBA RATE_LIMIT_PER_MIN=100000
  export JWT_SECRET="monitoring-store-integration-secret-0123456789"
  export ODDS_API_KEY=store-fake-key WEATHER_API_KEY=store-fake-weather ODDS_API_CREDIT_BUDGET=10000000
  export ODDS_API_BASE_URL="$mock/v4" ESPN_API_BASE_URL="$mock/apis/site/v2/sports"
  export WEATHER_API_BASE_URL="$mock/data/2.5" CLOCK_OFFSET_FILE="$work/clock"
  unset REDIS_URL METRICS_ALLOW_CIDRS METRICS_ENABLED
  advance() {
    curl -s -X POST "$mock/_control/advance?seconds=$1" > /dev/null
    echo $(($(cat "$work/clock") + $1)) > "$work/clock"
  }
  "$APS_BIN" migrate > "$work/migrate.log" 2>&1 || { echo "FAIL: $backend: migrate"; cat "$work/migrate.log"; exit 1; }
  mkdir -p "$work/nba"
  cp "$(find "$DATA/sportsbookreview/nba" -maxdepth 1 -type f | sort | tail -1)" "$work/nba/"
  "$APS_BIN" ingest sbr "$work/nba" --quiet > "$work/ingest.log" 2>&1 || { echo "FAIL: $backend: ingest"; exit 1; }
  printf 'store metrics password 1\n' > "$work/pw"
  "$APS_BIN" user create --email admin@example.com --role admin --password-file "$work/pw" > /dev/null 2>&1 ||
    { echo "FAIL: $backend: admin user"; exit 1; }
  "$APS_BIN" collect schedule --sport NBA > "$work/collect.log" 2>&1
  for _ in 1 2 3 4; do # the prices move between the rounds: picks re-made
    "$APS_BIN" collect odds --sport NBA >> "$work/collect.log" 2>&1
    "$APS_BIN" predict --sport NBA >> "$work/predict.log" 2>&1 || { echo "FAIL: $backend: predict"; cat "$work/predict.log"; exit 1; }
    advance 900
  done

  start_api api
  base="http://127.0.0.1:${port[api]}"
  tok=$(curl -s -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.com","password":"store metrics password 1"}' | jq -r .access_token)
  if [ -z "$tok" ] || [ "$tok" = null ]; then echo "FAIL: $backend: login"; exit 1; fi
  api() { curl -s -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' "$@"; }
  local usd jpy p1 p2 bet1
  usd=$(api -X POST "$base/api/v1/betting/bankrolls" -d '{"name":"usd","initial_amount":1000,"currency":"USD"}' | jq -r .id)
  jpy=$(api -X POST "$base/api/v1/betting/bankrolls" -d '{"name":"jpy","initial_amount":100000,"currency":"JPY"}' | jq -r .id)
  # picks of games that have not started: the last two current moneyline picks
  read -r p1 p2 < <(api "$base/api/v1/predictions?market=moneyline&limit=100" |
    jq -r '[.items[] | select(.game.status == "scheduled") | .id] | sort | .[-2:] | "\(.[0]) \(.[1])"')
  bet1=$(api -X POST "$base/api/v1/betting/bets" -d "{\"prediction_id\":$p1,\"bankroll_id\":$usd,\"stake\":50}" | jq -r .id)
  api -X POST "$base/api/v1/betting/bets" -d "{\"prediction_id\":$p2,\"bankroll_id\":$usd,\"stake\":25}" > /dev/null
  api -X POST "$base/api/v1/betting/bets" -d "{\"prediction_id\":$p1,\"bankroll_id\":$jpy,\"stake\":5000}" > /dev/null
  scrape "${port[api]}" "$work/before.txt"
  check "USD bets pending before the hand settlement" 2 "$(msum "$work/before.txt" aps_bets 'result="pending"' 'currency="USD"')"
  api -X POST "$base/api/v1/betting/bets/$bet1/settle" -d '{"result":"win"}' > /dev/null

  # the evening's games end: scored, closed and graded (picks and bets)
  advance 21600
  "$APS_BIN" collect scores --sport NBA >> "$work/collect.log" 2>&1
  "$APS_BIN" collect closing >> "$work/collect.log" 2>&1
  "$APS_BIN" worker run grade > "$work/grade.log" 2>&1 || { echo "FAIL: $backend: grade"; cat "$work/grade.log"; exit 1; }
  scrape "${port[api]}" "$work/m.txt"

  local history current
  history=$(api "$base/api/v1/predictions?history=true&limit=1" | jq -r .total)
  current=$(api "$base/api/v1/predictions?limit=1" | jq -r .total)
  check "picks were re-made: more picks in the history than current ones" 1 "$((history > current))"
  check "picks were graded" 1 "$(($(api "$base/api/v1/predictions/performance" | jq -r .overall.n) > 0))"
  check "every store query of the refresh answered" 0 "$(msum "$work/m.txt" aps_metrics_refresh_errors_total)"
  local f
  for f in "${STORE_FAMILIES[@]}"; do
    check "TYPE of $f" gauge "$(type_of "$work/m.txt" "$f")"
  done
  check "USD bets pending after one was settled (a gauge going down)" 1 "$(msum "$work/m.txt" aps_bets 'result="pending"' 'currency="USD"')"

  local m perf key=()
  for m in moneyline spread total; do
    check "$m: aps_picks_current = GET /api/v1/predictions total" \
      "$(api "$base/api/v1/predictions?market=$m&limit=1" | jq -r .total)" \
      "$(msum "$work/m.txt" aps_picks_current "market=\"$m\"")"
    perf=$(api "$base/api/v1/predictions/performance" | jq -c --arg m "$m" '.by_market[] | select(.key == $m)')
    check "$m: graded wins = the track record's" "$(jq -r .wins <<< "$perf")" \
      "$(msum "$work/m.txt" aps_picks_graded "market=\"$m\"" 'result="win"')"
    check "$m: graded losses = the track record's" "$(jq -r .losses <<< "$perf")" \
      "$(msum "$work/m.txt" aps_picks_graded "market=\"$m\"" 'result="loss"')"
    check "$m: no half result (win_rate and the hit ratio count them alike)" none \
      "$(msum "$work/m.txt" aps_picks_graded "market=\"$m\"" 'result="half_')"
    key=("market=\"$m\"" 'tier="all"' 'window="7d"')
    check "$m: 7-day graded picks = the track record's n" "$(jq -r .n <<< "$perf")" \
      "$(msum "$work/m.txt" aps_picks_window_graded "${key[@]}")"
    near "$m: 7-day hit ratio = win_rate" "$(jq -r '.win_rate // "none"' <<< "$perf")" \
      "$(msum "$work/m.txt" aps_picks_hit_ratio "${key[@]}")"
    near "$m: 7-day mean CLV = clv_mean" "$(jq -r '.clv_mean // "none"' <<< "$perf")" \
      "$(msum "$work/m.txt" aps_picks_clv_mean "${key[@]}")"
    near "$m: 7-day share beating the close = clv_positive_share" \
      "$(jq -r '.clv_positive_share // "none"' <<< "$perf")" \
      "$(msum "$work/m.txt" aps_picks_clv_positive_ratio "${key[@]}")"
  done

  local cur id r want
  for cur in USD JPY; do
    id=$usd; [ "$cur" = JPY ] && id=$jpy
    for r in pending win loss; do
      want=$(api "$base/api/v1/betting/bets?bankroll_id=$id&result=$r" | jq -c '[.total, .summary.staked]')
      check "$cur bets $r = GET /api/v1/betting/bets total" "$(jq -r '.[0]' <<< "$want")" \
        "$(msum "$work/m.txt" aps_bets "result=\"$r\"" "currency=\"$cur\"" | sed 's/^none$/0/')"
      near "$cur stakes $r = the bets' summary.staked" "$(jq -r '.[1]' <<< "$want")" \
        "$(msum "$work/m.txt" aps_bets_stake "result=\"$r\"" "currency=\"$cur\"" | sed 's/^none$/0/')"
    done
  done

  if [ "$backend" = pg ]; then # a second api on the same store answers the same numbers
    start_api api2
    scrape "${port[api2]}" "$work/m2.txt"
    curl -s "http://127.0.0.1:${port[api]}/metrics" > "$work/m1.txt"
    local pattern
    pattern="^($(IFS='|'; echo "${STORE_FAMILIES[*]}"))[{ ]"
    check "two api processes on one store: the same store families" \
      "$(grep -E "$pattern" "$work/m1.txt" | sort | md5sum)" "$(grep -E "$pattern" "$work/m2.txt" | sort | md5sum)"
  fi
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
  pids=()
}

backend=sqlite
export DATABASE_URL="sqlite:///$work/aps.db"
run_backend

if [ -n "${APS_TEST_PG_URL:-}" ]; then
  backend=pg
  rm -rf "$work/nba"
  psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" > /dev/null
  export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
  run_backend
elif [ "${APS_TEST_PG_OPTIONAL:-0}" != 1 ]; then
  fail=$((fail + 1))
  echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
fi

echo "monitoring_store: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
