#!/usr/bin/env bash
# Runs `aps collect` for the sports beyond NFL and NBA against a small local stand-in of
# TheOddsAPI v4 and the ESPN site API that answers in their documented shapes:
#   - a tennis tour (ATP) has no TheOddsAPI key of its own, one per tournament
#     (tennis_atp_us_open): `collect odds --sport ATP` reads the active tournaments from the
#     free GET /v4/sports and polls each; the players are the game's two sides and the h2h
#     prices their moneylines; the bare tour key (unknown to the provider: 404) is never asked;
#   - ESPN's tennis board lists tournaments (events[].groupings[].competitions[], athletes):
#     `collect schedule|scores --sport ATP` says it is not read (exit 1, failure "unsupported")
#     without asking for it, and the scheduler's job skips it with a warning;
#   - ESPN's college basketball board lists the featured games unless asked for Division I
#     (groups=50): `collect scores --sport NCAAB` stores every game of the day;
#   - a tennis player named in full by TheOddsAPI ("Jannik Sinner") is the history's player
#     ("Sinner J." of tennis-data.co.uk, loaded first), with the history's Elo rating; one that
#     fits two history players ("Xiyu Wang": "Wang X.", "Wang Xiy.") is a new player, with a
#     warning naming both;
#   - a soccer club spelt one way by TheOddsAPI, another by ESPN and a third by football-data's
#     history is one club: the odds and the board of one EPL match are one game, with the draw.
# SQLite. Needs: APS_BIN, python3, jq, sqlite3; the tennis-data files of APS_DATA_DIR.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
atp_history="$DATA/tennis-data/deuce-grand-slams/atp_odds.csv"
wta_history="$DATA/tennis-data/deuce-grand-slams/wta_odds.csv"
for f in "$atp_history" "$wta_history"; do
  [ -f "$f" ] || { echo "FAIL: $f not found (APS_DATA_DIR names the shared data)"; exit 1; }
done
for t in python3 jq sqlite3; do
  command -v "$t" > /dev/null || { echo "FAIL: $t is required (scripts/bootstrap installs it)"; exit 1; }
done
work=$(mktemp -d)
srv_pid=
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}

mkdir -p "$work/fx"
cat > "$work/fx/sports.json" << 'EOF'
[{"key":"basketball_nba","group":"Basketball","title":"NBA","description":"US Basketball","active":true,"has_outrights":false},
 {"key":"tennis_atp_us_open","group":"Tennis","title":"ATP US Open","description":"Men's Singles","active":true,"has_outrights":false},
 {"key":"tennis_atp_wimbledon","group":"Tennis","title":"ATP Wimbledon","description":"Men's Singles","active":false,"has_outrights":false},
 {"key":"tennis_wta_us_open","group":"Tennis","title":"WTA US Open","description":"Women's Singles","active":true,"has_outrights":false}]
EOF
# One tennis match as TheOddsAPI gives it, priced by one book: file, event id, sport key, title,
# commence time, home player, away player, home price, away price.
tennis_odds() {
  cat > "$1" << EOF
[{"id":"$2","sport_key":"$3","sport_title":"$4",
  "commence_time":"$5","home_team":"$6","away_team":"$7",
  "bookmakers":[{"key":"pinnacle","title":"Pinnacle","last_update":"2026-09-03T11:58:31Z",
    "markets":[{"key":"h2h","last_update":"2026-09-03T11:58:31Z",
      "outcomes":[{"name":"$7","price":$9},{"name":"$6","price":$8}]}]}]}]
EOF
}
tennis_odds "$work/fx/tennis_atp_us_open.odds.json" 8a3c2e7f0b9d4e1a6c5f2d8b7e4a1c3f tennis_atp_us_open \
  "ATP US Open" 2026-09-03T23:10:00Z "Jannik Sinner" "Carlos Alcaraz" 1.79 2.12
# A WTA match whose first player, Xiyu Wang, fits two players of the history: "Wang X." and
# "Wang Xiy." (and "Wang Xin.", Xinyu, does not fit).
tennis_odds "$work/fx/tennis_wta_us_open.odds.json" 3f1c9a7e5b2d4c6a8e0f1b3d5c7a9e2f tennis_wta_us_open \
  "WTA US Open" 2026-09-03T16:00:00Z "Xiyu Wang" "Iga Świątek" 8.5 1.08
# ESPN's tennis board: one event per tournament, its matches under groupings.
cat > "$work/fx/tennis_atp.board.json" << 'EOF'
{"events":[{"id":"172-2026","name":"US Open","date":"2026-08-24T04:00Z","endDate":"2026-09-07T03:59Z",
  "groupings":[{"grouping":{"id":"1","slug":"mens-singles","displayName":"Men's Singles"},
    "competitions":[{"id":"165432","date":"2026-09-03T23:10Z",
      "status":{"type":{"name":"STATUS_SCHEDULED","state":"pre","completed":false}},
      "competitors":[{"id":"3623","order":1,"athlete":{"displayName":"Jannik Sinner"}},
                     {"id":"3782","order":2,"athlete":{"displayName":"Carlos Alcaraz"}}]}]}]}]}
EOF
# A college basketball game as ESPN's board gives it; the board with groups=50 holds both.
game() { # id, home, away, home score, away score
  printf '{"id":"%s","date":"2026-12-05T00:00Z","status":{"period":2,"type":{"name":"STATUS_FINAL","state":"post","completed":true}},"competitions":[{"neutralSite":false,"venue":{"fullName":"Arena %s"},"competitors":[{"homeAway":"home","score":"%s","team":{"displayName":"%s","abbreviation":"H"}},{"homeAway":"away","score":"%s","team":{"displayName":"%s","abbreviation":"A"}}]}]}' \
    "$1" "$1" "$4" "$2" "$5" "$3"
}
printf '{"events":[%s]}' "$(game 401700001 'Duke Blue Devils' 'Arizona Wildcats' 78 71)" > "$work/fx/ncaab.featured.json"
printf '{"events":[%s,%s]}' "$(game 401700001 'Duke Blue Devils' 'Arizona Wildcats' 78 71)" \
  "$(game 401700002 'Bucknell Bison' 'Lehigh Mountain Hawks' 64 66)" > "$work/fx/ncaab.all.json"

# Soccer: one match as TheOddsAPI's soccer_epl odds and ESPN's soccer/eng.1 board give it, each
# spelling the clubs its own way (Brighton and Hove Albion / Luton; Brighton & Hove Albion /
# Luton Town); the three-way moneyline has a Draw outcome.
cat > "$work/fx/soccer_epl.odds.json" << 'EOF'
[{"id":"6696291a9110a5d0810c34eeaa244a41","sport_key":"soccer_epl","sport_title":"EPL",
  "commence_time":"2023-08-12T14:00:00Z","home_team":"Brighton and Hove Albion","away_team":"Luton",
  "bookmakers":[{"key":"paddypower","title":"Paddy Power","last_update":"2023-08-06T08:54:09Z",
    "markets":[{"key":"h2h","last_update":"2023-08-06T08:54:09Z",
      "outcomes":[{"name":"Brighton and Hove Albion","price":1.29},{"name":"Luton","price":10.0},
                  {"name":"Draw","price":5.5}]}]}]}]
EOF
cat > "$work/fx/eng1.board.json" << 'EOF'
{"events":[{"id":"704279","date":"2023-08-12T14:00Z","name":"Luton Town at Brighton & Hove Albion",
  "status":{"clock":5400.0,"displayClock":"90'+9'","period":2,
    "type":{"id":"28","name":"STATUS_FULL_TIME","state":"post","completed":true,"description":"Full Time","detail":"FT","shortDetail":"FT"}},
  "competitions":[{"id":"704279","neutralSite":false,
    "venue":{"fullName":"American Express Community Stadium","address":{"city":"Brighton","country":"England"}},
    "competitors":[{"id":"331","homeAway":"home","score":"4","team":{"id":"331","displayName":"Brighton & Hove Albion","abbreviation":"BHA"}},
                   {"id":"301","homeAway":"away","score":"1","team":{"id":"301","displayName":"Luton Town","abbreviation":"LUT"}}]}]}]}
EOF

cat > "$work/server.py" << 'EOF'
import http.server, json, sys, urllib.parse
fx, log = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, path=None, body=None):
        data = open(path, 'rb').read() if path else json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        with open(log, 'a') as f:
            f.write(u.path + ('?groups=' + q['groups'][0] if 'groups' in q else '') + '\n')
        p = u.path.split('/')
        if u.path == '/v4/sports':
            return self.send(200, fx + '/sports.json')
        if len(p) == 5 and p[1:3] == ['v4', 'sports'] and p[4] == 'odds':
            try:
                return self.send(200, fx + '/' + p[3] + '.odds.json')
            except OSError:
                return self.send(404, body={'message': 'Unknown sport. Check the sport key in /v4/sports'})
        if u.path == '/apis/site/v2/sports/soccer/eng.1/scoreboard':
            return self.send(200, fx + '/eng1.board.json')
        if u.path == '/apis/site/v2/sports/tennis/atp/scoreboard':
            return self.send(200, fx + '/tennis_atp.board.json')
        if u.path == '/apis/site/v2/sports/basketball/mens-college-basketball/scoreboard':
            all_d1 = q.get('groups') == ['50']
            return self.send(200, fx + ('/ncaab.all.json' if all_d1 else '/ncaab.featured.json'))
        self.send(404, body={'message': 'not found'})
s = http.server.HTTPServer(('127.0.0.1', 0), H)
open(sys.argv[3], 'w').write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$work/server.py" "$work/fx" "$work/requests.log" "$work/port" &
srv_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")"

export ENVIRONMENT=development LOG_LEVEL=INFO ODDS_API_KEY=secret-test-key
export ODDS_API_BASE_URL="$base/v4" ESPN_API_BASE_URL="$base/apis/site/v2/sports"
export ODDS_API_ODDS_FORMAT=decimal COLLECT_MAX_ATTEMPTS=1 COLLECT_TIMEOUT_MS=2000
export DATABASE_URL="sqlite:///$work/aps.db"
collect() {
  : > "$work/requests.log"
  "$APS_BIN" collect "$@" > "$work/last.log" 2>&1
  rc=$?
}
field() { grep '"msg":"collect' "$work/last.log" | tail -1 | jq -r ".$1"; }
q() { sqlite3 "$work/aps.db" "$1"; }
# The ATP games TheOddsAPI gave (the history's games are ATP games too).
atp_live="SELECT g.id FROM games g JOIN sports s ON s.id = g.sport_id JOIN game_sources gs ON gs.game_id = g.id WHERE s.code = 'ATP' AND gs.source = 'theoddsapi'"

# The tours' history (Grand Slams to 2023, Sinner and Alcaraz among its players) is loaded first.
"$APS_BIN" ingest tennis-data "$atp_history" "$wta_history" --quiet > "$work/last.log" 2>&1
check "tennis history: ingested" 0 "$?"

# Tennis odds: the tour's active tournament is found and polled; the bare tour key is not asked.
collect odds --sport ATP --now 2026-09-03T12:00:00Z
check "ATP odds: exit 0" 0 "$rc"
check "ATP odds: one active ATP tournament polled" 1 "$(field tournaments)"
check "ATP odds: its key is asked" 1 "$(grep -c '^/v4/sports/tennis_atp_us_open/odds$' "$work/requests.log")"
check "ATP odds: the tour has no key of its own: not asked" 0 "$(grep -c '^/v4/sports/tennis_atp/odds$' "$work/requests.log")"
check "ATP odds: the WTA and the inactive tournament are not asked" 2 "$(wc -l < "$work/requests.log" | tr -d ' ')"
check "ATP odds: one match, the history's two players its sides" "Sinner J.|Alcaraz C." \
  "$(q "SELECT h.key || '|' || a.key FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id WHERE g.id IN ($atp_live)")"
check "ATP odds: both moneylines stored" "away|2.12,home|1.79" \
  "$(q "SELECT group_concat(selection || '|' || price, ',') FROM (SELECT selection, price FROM odds WHERE market = 'moneyline' AND game_id IN ($atp_live) ORDER BY selection)")"

check "ATP odds: no player of TheOddsAPI's spelling created" 0 \
  "$(q "SELECT COUNT(*) FROM teams t JOIN sports s ON s.id = t.sport_id WHERE s.code = 'ATP' AND t.key IN ('Jannik Sinner', 'Carlos Alcaraz')")"
"$APS_BIN" elo ratings --sport ATP --date 2026-09-03 > "$work/elo.txt" 2>&1
# The match's two players are rated from their history: not the 1500 of a player never seen.
rated=$(q "SELECT h.key || char(10) || a.key FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id WHERE g.id IN ($atp_live)" |
  while IFS= read -r p; do
    awk -v p="$p" 'index($0, p " ") == 1 { split(substr($0, length(p) + 1), f, " "); r = f[1] }
      END { print (r != "" && r + 0 != 1500 ? "rated" : "unrated (" r ")") }' "$work/elo.txt"
  done | paste -sd,)
check "ATP odds: both players' Elo is their history's" "rated,rated" "$rated"

# WTA: Świątek is the history's "Swiatek I."; Xiyu Wang fits two players: new, and said.
collect odds --sport WTA --now 2026-09-03T12:00:00Z
check "WTA odds: exit 0" 0 "$rc"
check "WTA odds: Swiatek is the history's, Xiyu Wang a new player" "Xiyu Wang|Swiatek I." \
  "$(q "SELECT h.key || '|' || a.key FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id JOIN sports s ON s.id = g.sport_id JOIN game_sources gs ON gs.game_id = g.id WHERE s.code = 'WTA' AND gs.source = 'theoddsapi'")"
check "WTA odds: a warning names both candidates" 'WARNING|Xiyu Wang fits "Wang X.", "Wang Xiy."' \
  "$(grep '"msg":"collect odds: stored as new players' "$work/last.log" | jq -r '.level + "|" + (.msg | sub("^[^:]*: [^:]*: "; ""))')"
check "WTA odds: the log line says it too" 'Xiyu Wang fits "Wang X.", "Wang Xiy."' \
  "$(grep '"msg":"collect odds done' "$work/last.log" | jq -r '.ambiguous_players')"

# Tennis on ESPN: refused, said, and not asked.
for job in schedule scores; do
  collect "$job" --sport ATP --now 2026-09-03T12:00:00Z
  check "ATP $job on ESPN: exit 1" 1 "$rc"
  check "ATP $job on ESPN: the failure says unsupported" unsupported "$(field failure)"
  check "ATP $job on ESPN: the error says why" 1 "$(field error | grep -c 'groupings')"
  check "ATP $job on ESPN: nothing asked" 0 "$(wc -l < "$work/requests.log" | tr -d ' ')"
done

# The scheduler's job for a tennis tour skips ESPN with a warning (not a failure to retry).
: > "$work/requests.log"
"$APS_BIN" worker run collect_schedule --payload '{"sport":"ATP"}' > "$work/last.log" 2>&1
rc=$?
job=$(grep '"msg":"job collect_schedule' "$work/last.log" | tail -1)
check "ATP collect_schedule job: exit 0" 0 "$rc"
check "ATP collect_schedule job: a warning that ESPN is skipped" "WARNING 1" \
  "$(jq -r '[.level, (.warning | test("^skipped: espn: ATP is not read") | if . then 1 else 0 end)] | join(" ")' <<< "$job")"
check "ATP collect_schedule job: nothing asked" 0 "$(wc -l < "$work/requests.log" | tr -d ' ')"

# College basketball: every Division I game of the day, not only the featured one.
collect scores --sport NCAAB --now 2026-12-05T06:00:00Z
check "NCAAB scores: exit 0" 0 "$rc"
check "NCAAB scores: the board of all Division I games is asked" 1 "$(grep -c 'scoreboard?groups=50$' "$work/requests.log")"
check "NCAAB scores: both games final" 2 \
  "$(q "SELECT COUNT(*) FROM games g JOIN sports s ON s.id = g.sport_id WHERE s.code = 'NCAAB' AND g.status = 'final' AND g.home_score IS NOT NULL")"

# Soccer: the odds and the board are one match between two clubs, the history's (football-data's
# "Brighton" and "Luton"); the draw is the draw.
collect odds --sport EPL --now 2023-08-06T09:00:00Z
check "EPL odds: exit 0" 0 "$rc"
collect scores --sport EPL --now 2023-08-12T16:30:00Z
check "EPL scores: exit 0" 0 "$rc"
check "EPL: one match, not one per provider" 1 \
  "$(q "SELECT COUNT(*) FROM games g JOIN sports s ON s.id = g.sport_id WHERE s.code = 'EPL'")"
check "EPL: the clubs are football-data's" "Brighton|Luton|final|4|1" \
  "$(q "SELECT h.key || '|' || a.key || '|' || g.status || '|' || g.home_score || '|' || g.away_score FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id JOIN sports s ON s.id = g.sport_id WHERE s.code = 'EPL'")"
check "EPL: the three-way moneyline on that match" "away|10.0,draw|5.5,home|1.29" \
  "$(q "SELECT group_concat(o.selection || '|' || o.price, ',') FROM (SELECT o.selection, o.price FROM odds o JOIN games g ON g.id = o.game_id JOIN sports s ON s.id = g.sport_id WHERE s.code = 'EPL' AND o.market = 'moneyline' ORDER BY o.selection) o")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
