#!/usr/bin/env bash
# The query plans of the hot read routes on PostgreSQL: with the sportsbookreview seasons of the
# data directory ingested (NBA, NHL, MLB, NCAAB, NFL: 39k games) and a week of picks replayed,
# every statement the api runs for the games, odds and predictions lists, details and the track
# record is logged with its plan (auto_explain, the plan actually executed: the api's generic
# plans, with their actual rows), and none of them reads a large table (over LARGE rows) with a
# sequential scan, except a count of a list that counts at least a tenth of the table.
# A throwaway PostgreSQL cluster of its own (scripts/pgtest), so that its log can be read;
# APS_EXPLAIN_OUT=FILE keeps the logged plans.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
LARGE=${LARGE:-5000}
for tool in psql curl jq; do
  command -v "$tool" > /dev/null || { echo "api_explain: $tool is missing (scripts/bootstrap)" >&2; exit 1; }
done
[ -d "$DATA/sportsbookreview/nba" ] || { echo "api_explain: no NBA data under $DATA" >&2; exit 1; }
dir=$(mktemp -d /tmp/aps-explain.XXXXXX)
export APS_PGTEST_STATE=$dir/pg.env
api_pid=
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2> /dev/null || true
  "$SRC/scripts/pgtest" stop > /dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
eval "$("$SRC/scripts/pgtest" start)"
# shellcheck disable=SC1090
source "$APS_PGTEST_STATE"
PGLOG=$APS_PGTEST_DIR/server.log
DB=$APS_TEST_PG_URL

export ENVIRONMENT=development LOG_LEVEL=WARNING DATABASE_URL=$DB REDIS_URL=
export RATE_LIMIT_PER_MIN=1000000 CACHE_TTL_DEFAULT=0 CACHE_TTL_PREDICTIONS=0 CACHE_TTL_ODDS=0
"$APS_BIN" ingest sbr "$DATA/sportsbookreview" > "$dir/ingest.log" 2>&1
"$APS_BIN" predict --sport NBA --now 2019-01-10T00:00:00Z --horizon-days 7 >> "$dir/ingest.log" 2>&1
psql -q "$DB" -c ANALYZE
psql -q "$DB" -c "ALTER DATABASE aps_test SET session_preload_libraries = 'auto_explain'" \
  -c "ALTER DATABASE aps_test SET auto_explain.log_min_duration = 0" \
  -c "ALTER DATABASE aps_test SET auto_explain.log_analyze = on" \
  -c "ALTER DATABASE aps_test SET auto_explain.log_timing = off"
large=$(psql -Atq "$DB" -c "SELECT string_agg(relname, ' ') FROM pg_class c JOIN pg_namespace n
  ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind = 'r' AND reltuples > $LARGE")
echo "tables over $LARGE rows: $large"
[ -n "$large" ] || { echo "FAIL: no table over $LARGE rows: the data set is too small to judge plans"; exit 1; }

"$APS_BIN" api --host 127.0.0.1 --port 0 --threads 2 > "$dir/api.log" 2>&1 &
api_pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -m1 '"msg":"listening"' "$dir/api.log" 2> /dev/null | jq -r .port || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: the api did not start"; cat "$dir/api.log"; exit 1; }
api="http://127.0.0.1:$port/api/v1"
cred='{"email":"explain@example.com","password":"explain-password-123","name":"Explain"}'
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d "$cred" "$api/auth/register"
token=$(curl -sf -X POST -H 'Content-Type: application/json' -d "$cred" "$api/auth/login" | jq -r .access_token)
game=$(psql -Atq "$DB" -c "SELECT p.game_id FROM predictions p ORDER BY p.id LIMIT 1")
pick=$(psql -Atq "$DB" -c "SELECT min(id) FROM predictions")
old=$(psql -Atq "$DB" -c "SELECT g.id FROM games g JOIN sports s ON s.id = g.sport_id
  WHERE s.code = 'NHL' ORDER BY g.id LIMIT 1")
team=$(psql -Atq "$DB" -c "SELECT home_team_id FROM games WHERE id = $game")

fail=0 checked=0
from=$(wc -l < "$PGLOG")
for path in "games?sport=NBA&date=2017-01-10&limit=50" "games?sport=NBA&date=2017-01-10&limit=50&page=9" \
  "games?sport=NHL&date_from=2020-01-01&date_to=2020-01-07" "games?sport=NBA&team=BOS&limit=20" \
  "games?status=final&limit=50" "games?limit=50" "games?limit=50&page=300" "games?team=bos&limit=5" \
  "games?sport=NHL&limit=50" "games/today" "games/upcoming?sport=NBA" \
  "games/$game?include_odds=true" "games/$old" \
  "odds/$game" "odds/$game/best" "odds/$game/history" "odds/$game/movements" "odds/$game/closing" \
  "odds/$old?market=moneyline" \
  "predictions?limit=50" "predictions?limit=2&page=2" "predictions?sport=NBA&tier=A&limit=50" "predictions?game_id=$game" \
  "predictions/$pick" "predictions/$pick?include_explanation=true" \
  "predictions/performance" "predictions/performance?sport=NBA&date_from=2019-01-01" \
  "teams?sport=NBA" "teams?sport=NCAAB&season=all&limit=100" "teams/$team?games=100"; do
  code=$(curl -s -o "$dir/body.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$api/$path")
  if [ "$code" != 200 ]; then
    echo "FAIL: GET $path answered $code: $(head -c 300 "$dir/body.json")"
    fail=$((fail + 1))
  fi
  checked=$((checked + 1))
done
sleep 0.5 # the server writes its log asynchronously
tail -n +"$((from + 1))" "$PGLOG" > "$dir/plans.log"
[ -z "${APS_EXPLAIN_OUT:-}" ] || cp "$dir/plans.log" "$APS_EXPLAIN_OUT" # the plans, for reading
plans=$(grep -c 'Query Text:' "$dir/plans.log" || true)
echo "routes asked: $checked; plans logged: $plans"
[ "$plans" -ge "$checked" ] || { echo "FAIL: fewer plans logged ($plans) than routes asked ($checked): auto_explain did not run"; fail=$((fail + 1)); }
# Each plan: its query text, then its nodes; report the query of every sequential scan of a
# large table. A count of a list (SELECT COUNT(*) ...) that counts at least a tenth of the
# table's rows may read it sequentially: an index would fetch that much of the table in a
# worse order. What it counts is the aggregate's input: the outermost node below it that is not
# an aggregate or a gather, not an InitPlan's (the plans are logged with their actual rows).
sizes=$(psql -Atq "$DB" -c "SELECT string_agg(relname || '=' || reltuples::bigint, ' ') FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind = 'r' AND reltuples > $LARGE")
awk -v sizes="$sizes" '
  BEGIN { n = split(sizes, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); rows[p[1]] = p[2] } }
  /Query Text:/ {
    q = $0; sub(/.*Query Text: /, "", q)
    count = (q ~ /^SELECT COUNT\(\*\) FROM /); counted = -1; next
  }
  count && /->/ && !/Aggregate|Gather/ && match($0, /actual rows=[0-9]+ loops=[0-9]+/) {
    split(substr($0, RSTART, RLENGTH), a, /[= ]/)
    d = index($0, "->")
    if (counted < 0 || d < depth) { counted = a[3] * a[5]; depth = d }
  }
  /Seq Scan on / {
    t = $0; sub(/.*Seq Scan on /, "", t); sub(/ .*/, "", t)
    if (!(t in rows)) next
    if (count && counted * 10 >= rows[t]) { print "count of " counted " rows of " t " (" rows[t] "), read whole: " substr(q, 1, 160); next }
    print "FAIL: sequential scan of " t " in: " substr(q, 1, 400); bad++
  }
  END { exit bad ? 1 : 0 }' "$dir/plans.log" || fail=$((fail + 1))
if [ "$fail" -ne 0 ]; then
  echo "api_explain: $fail failure(s)"
  exit 1
fi
echo "api_explain: no sequential scan of a large table in $plans plans of $checked routes"
