#!/usr/bin/env bash
# api_domain.sh — black-box test of the domain endpoints (games, odds, predictions, betting,
# backtests and their jobs, models and admin) against the real `aps api` binary, on SQLite and
# (when APS_TEST_PG_URL is set) on PostgreSQL. The store is seeded with a few games, books,
# odds and closing lines by SQL; picks come from the real pipeline (`aps predict`, a replay for
# the finished game, then `aps grade`), accounts from `aps user create`, tokens from POST
# /auth/login; a backtest's job is run by a real `aps worker`. Expected numbers
# are written out here (Kelly stake of a textbook case, prices seeded, counts), never read back
# from the code under test. Last, with 10,000 more games, the count a long list keeps.
# Needs: APS_BIN, curl, jq, node; sqlite3, and psql for PostgreSQL. Without APS_TEST_PG_URL the
# PostgreSQL half is skipped with a note.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
for tool in curl jq node sqlite3; do
  command -v "$tool" > /dev/null || { echo "api_domain: $tool is missing (scripts/bootstrap)"; exit 1; }
done
work=$(mktemp -d)
server_pid=""
pgdb="aps_it_domain_$$"
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "${APS_TEST_PG_URL:-}" ] && psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=
export JWT_SECRET="api-domain-integration-secret-0123456789abcdef"
export RATE_LIMIT_PER_MIN=1000000
PASSWORD="correct horse battery staple"
pass=0 fail=0
backend=""

check() { # name expected actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL [$backend]: $1: expected '$2', got '$3'"; fi
}

# req METHOD PATH [BODY] [TOKEN] → $status, $body
req() {
  local m=$1 p=$2 data=${3:-} tok=${4:-}
  local args=(-s -o "$work/body" -w '%{http_code}' -X "$m")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  status=$(curl "${args[@]}" "http://127.0.0.1:$port$p")
  body=$(cat "$work/body")
}
jf() { jq -r "$1" <<<"$body"; }

sql() {
  if [ "$backend" = sqlite ]; then sqlite3 "$work/aps.db" "$1"; else psql "$DATABASE_URL" -Atqc "$1"; fi
}
sql_file() {
  if [ "$backend" = sqlite ]; then sqlite3 "$work/aps.db" < "$1"; else psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qf "$1" >/dev/null; fi
}

# Seed: NFL game 1 (final 27–20, forty days ago) with open and close moneylines and closing
# lines; game 2 (tomorrow, scheduled) with live moneylines at two books; game 3 (started an
# hour ago, still scheduled, no odds); a challenger model, a pruned one and one that failed the
# leakage check; an alert.
seed() {
  local now d_past d_soon d_now
  now=$(date +%s)
  d_past=$(date -u -d "@$((now - 40 * 86400))" +%F)
  d_soon=$(date -u -d "@$((now + 86400))" +%F)
  d_now=$(date -u -d "@$now" +%F)
  cat > "$work/seed.sql" <<EOF
INSERT INTO sports (code, name, kind, three_way) VALUES ('NFL', 'National Football League', 'team', 0);
INSERT INTO teams (sport_id, key, name) VALUES (1, 'KC', 'Kansas City Chiefs'), (1, 'BAL', 'Baltimore Ravens'),
  (1, 'BUF', 'Buffalo Bills'), (1, 'MIA', 'Miami Dolphins');
INSERT INTO seasons (sport_id, label) VALUES (1, '2024');
INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id, start_time, time_known, status,
  home_score, away_score, created_at, updated_at) VALUES
  (1, 1, '$d_past', 1, 2, $((now - 40 * 86400)), 1, 'final', 27, 20, 0, 0),
  (1, 1, '$d_soon', 3, 4, $((now + 86400)), 1, 'scheduled', NULL, NULL, 0, 0),
  (1, 1, '$d_now', 1, 4, $((now - 3600)), 1, 'scheduled', NULL, NULL, 0, 0);
INSERT INTO sportsbooks (key, name, is_sharp, is_aggregate) VALUES ('pinnacle', 'Pinnacle', 1, 0),
  ('draftkings', 'DraftKings', 0, 0), ('avg', 'Market average', 0, 1);
INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line, price) VALUES
  (1, 1, 'moneyline', 'home', 'open', 0, NULL, 1.60), (1, 1, 'moneyline', 'away', 'open', 0, NULL, 2.45),
  (1, 1, 'moneyline', 'home', 'close', 0, NULL, 1.55), (1, 1, 'moneyline', 'away', 'close', 0, NULL, 2.60),
  (2, 1, 'moneyline', 'home', 'live', $((now - 600)), NULL, 1.80),
  (2, 1, 'moneyline', 'away', 'live', $((now - 600)), NULL, 2.10),
  (2, 2, 'moneyline', 'home', 'live', $((now - 600)), NULL, 1.85),
  (2, 2, 'moneyline', 'away', 'live', $((now - 600)), NULL, 2.05),
  (2, 3, 'moneyline', 'home', 'live', $((now - 600)), NULL, 1.95);
INSERT INTO closing_lines (game_id, book_id, market, selection, line, price, closed_at, source) VALUES
  (1, 1, 'moneyline', 'home', NULL, 1.55, 0, 'test'), (1, 1, 'moneyline', 'away', NULL, 2.60, 0, 'test');
INSERT INTO models (name, sport_id, market, family, status, path, features, params, data_hash, metrics,
  log_loss, ece, games, leakage_ok, created_at) VALUES
  ('nfl_ml_test', 1, 'moneyline', 'gbm', 'challenger', 'var/models/x', '["elo"]', '{}', 'abc', '{}',
   0.65, 0.02, 100, 1, $now),
  ('nfl_ml_pruned', 1, 'moneyline', 'logistic', 'pruned', '$work/models/gone', '["elo"]', '{}', 'abd',
   '{}', 0.66, 0.02, 100, 1, $((now - 200 * 86400))),
  ('nfl_ml_leaky', 1, 'moneyline', 'gbm', 'challenger', 'var/models/y', '["elo"]', '{}', 'abe', '{}',
   0.60, 0.02, 100, 0, $now);
INSERT INTO alerts (kind, severity, title, message, created_at) VALUES
  ('odds_stale', 'warning', 'Odds stale', 'test alert', $now);
EOF
  sql_file "$work/seed.sql"
  "$APS_BIN" predict --sport NFL --now "$(date -u -d "@$((now - 41 * 86400))" +%FT%TZ)" > /dev/null
  "$APS_BIN" predict --sport NFL > /dev/null
  "$APS_BIN" grade > /dev/null
  printf '%s\n' "$PASSWORD" > "$work/pw"
  for who in u1:user u2:user admin:admin analyst:analyst operator:operator; do
    "$APS_BIN" user create --email "${who%%:*}@example.com" --role "${who#*:}" --password-file "$work/pw" > /dev/null
  done
}

start_server() {
  "$APS_BIN" api --host 127.0.0.1 --port 0 --threads 4 > "$work/server.log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 1 100); do
    port=$(grep -o '"port":[0-9]*' "$work/server.log" 2>/dev/null | head -1 | cut -d: -f2)
    [ -n "$port" ] && [ "$port" != 0 ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "api_domain: server did not start:"; cat "$work/server.log"; exit 1; }
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid"
  check "server exits 0 on SIGTERM" 0 $?
  server_pid=""
}

login() { # name → token on stdout
  req POST /api/v1/auth/login "{\"email\":\"$1@example.com\",\"password\":\"$PASSWORD\"}"
  jf .access_token
}

test_games() {
  req GET /api/v1/games "" "$U1"
  check "games 200, total 3" "200 3 1 50" "$status $(jf .total) $(jf .page) $(jf .limit)"
  req GET /api/v1/games ""
  check "games without a token 401" 401 "$status"
  req GET "/api/v1/games?sport=NFL&status=final" "" "$U1"
  check "final NFL games" "200 1 KC 27" "$status $(jf .total) $(jf '.items[0].home_team.key') $(jf '.items[0].home_score')"
  # A value holding the cache key's separators must not share a cached answer with the query
  # those separators spell, nor may a repeated parameter's values in another order (one user
  # could otherwise fill another's answer).
  kc=$(sql "select id from teams where key = 'KC'")
  req GET "/api/v1/games?team=KC" "" "$U1"
  kc_games=$(jf .total)
  check "KC has games to answer with" 1 "$((kc_games > 0))"
  req GET "/api/v1/games?team=KC%26team_id%3D$kc" "" "$U1"
  check "a team named 'KC&team_id=N': none" "200 0" "$status $(jf .total)"
  req GET "/api/v1/games?team=KC&team_id=$kc" "" "$U2"
  check "team KC and its id: its own answer, not the other query's" "200 $kc_games" "$status $(jf .total)"
  req GET "/api/v1/games?status=scheduled&status=final" "" "$U1"
  check "a repeated parameter is answered from its first value" "200 2" "$status $(jf .total)"
  req GET "/api/v1/games?status=final&status=scheduled" "" "$U2"
  check "  and the same values in the other order are another question" "200 1" "$status $(jf .total)"
  req GET "/api/v1/games?sport=XFL&limit=101" "" "$U1"
  check "bad sport and limit → 400 with both fields" "400 VALIDATION_ERROR limit,sport" \
    "$status $(jf .error.code) $(jf '[.error.details[].field] | sort | join(",")')"
  req GET /api/v1/games/upcoming "" "$U1"
  check "upcoming: only the scheduled game ahead" "200 1 2" "$status $(jf .total) $(jf '.items[0].id')"
  req GET /api/v1/games/today "" "$U1"
  check "today 200" 200 "$status"
  req GET "/api/v1/games/2?include_odds=true" "" "$U1"
  check "game 2 with odds: 5 current quotes" "200 5" "$status $(jf '.odds | length')"
  check "best home price is DraftKings 1.85 (the aggregate's 1.95 is not a book)" "draftkings 1.85" \
    "$(jf '.best[] | select(.market == "moneyline" and .selection == "home") | "\(.book) \(.price)"')"
  req GET /api/v1/games/999 "" "$U1"
  check "unknown game 404" "404 NOT_FOUND" "$status $(jf .error.code)"
  req GET /api/v1/games/abc "" "$U1"
  check "non-numeric id 400" 400 "$status"
}

test_odds() {
  req GET "/api/v1/odds/1?book=pinnacle" "" "$U1"
  check "current odds of game 1 at Pinnacle: the closes" "200 2 1.55 2.6" \
    "$status $(jf '.items | length') $(jf '.items[] | select(.selection == "home") | .price') $(jf '.items[] | select(.selection == "away") | .price')"
  req GET /api/v1/odds/1/history "" "$U1"
  check "history of game 1: open before close" "200 4 open close" \
    "$status $(jf '.items | length') $(jf '.items[0].phase') $(jf '.items[3].phase')"
  req GET /api/v1/odds/1/movements "" "$U1"
  check "movements derived from snapshots" "200 2" "$status $(jf '.items | length')"
  req GET /api/v1/odds/1/closing "" "$U1"
  check "closing lines: away +160" "200 2 160" "$status $(jf '.items | length') $(jf '.items[] | select(.selection == "away") | .american')"
  req GET /api/v1/odds/2/best "" "$U1"
  check "best away price: Pinnacle 2.10" "pinnacle 2.1" "$(jf '.items[] | select(.selection == "away") | "\(.book) \(.price)"')"
  req GET "/api/v1/odds/2?market=props" "" "$U1"
  check "unknown market 400" "400 market" "$status $(jf '.error.details[0].field')"
  req GET /api/v1/odds/999 "" "$U1"
  check "odds of an unknown game 404" 404 "$status"
}

# The lock-in text of the pick in $body at index $1, rebuilt from the API's answer alone as the
# README describes it (fixed key order, no spaces, fixed decimals, empty text for none).
lockin_text() {
  local f=(prev_hash game_id sport game_date home away model market selection line price book
    probability market_probability edge tier stake_fraction publication no_bet_reason locked_at)
  local v i out=""
  mapfile -t v < <(jq -r --argjson i "$1" '.items[$i] | [.prev_hash, .game_id, .game.sport, .game_date,
    .game.home_team.key, .game.away_team.key, .model, .market, .selection, .line, .price, .book,
    .probability, .market_probability, .edge, .tier, .stake_fraction, .publication, .no_bet_reason,
    .locked_at] | .[] | if . == null then "null" else tostring end' <<<"$body")
  for i in "${!f[@]}"; do
    case ${f[$i]} in
      game_id) out+=",\"game_id\":${v[$i]}" ;;
      line | price | probability | market_probability | edge | stake_fraction)
        local d=6
        [ "${f[$i]}" = line ] && d=2
        [ "${f[$i]}" = price ] && d=4
        if [ "${v[$i]}" = null ]; then out+=",\"${f[$i]}\":null"; else out+=",\"${f[$i]}\":$(printf "%.${d}f" "${v[$i]}" | sed 's/^-\(0\.0*\)$/\1/')"; fi ;;
      *) [ "${v[$i]}" = null ] && v[i]=""; out+=",\"${f[$i]}\":$(jq -n --arg s "${v[$i]}" '$s')" ;;
    esac
  done
  printf '{"v":2%s}' "$out"
}

test_predictions() {
  req GET /api/v1/predictions "" "$U1"
  check "two picks, newest first" "200 2 2" "$status $(jf .total) $(jf '.items[0].game_id')"
  for i in 0 1; do
    check "pick $i: its hash is the SHA-256 of the lock-in text rebuilt from the answer" "$(jf ".items[$i].hash")" \
      "$(lockin_text "$i" | sha256sum | cut -d' ' -f1)"
  done
  hash=$(jf '.items[0].hash')
  pick=$(jf '.items[0].id')
  graded=$(sql "SELECT result FROM prediction_results")
  units=$(sql "SELECT profit_loss FROM prediction_results")
  check "the graded pick carries its result" "$graded" "$(jf '.items[1].result.result')"
  req GET "/api/v1/predictions?tier=Z" "" "$U1"
  check "unknown tier 400" "400 tier" "$status $(jf '.error.details[0].field')"
  req GET "/api/v1/predictions?graded=true" "" "$U1"
  check "graded filter" "200 1" "$status $(jf .total)"
  req GET "/api/v1/predictions/$pick?include_explanation=true" "" "$U1"
  check "one pick with its explanation" "200 $hash 0" "$status $(jf .hash) $(jf '.explanation.contributions | length')"
  req GET /api/v1/predictions/999 "" "$U1"
  check "unknown pick 404" 404 "$status"
  req GET /api/v1/predictions/performance "" "$U1"
  check "track record: one graded pick" "200 1 1" \
    "$status $(jf .overall.n) $(jf '.overall.wins + .overall.losses + .overall.pushes')"
  check "units as graded" "$(jq -n "$units")" "$(jf .overall.units)"
  check "Wilson interval of 0/1 or 1/1 touches 0 or 1" 1 \
    "$(jf 'if .overall.wins == 1 then .overall.win_rate_ci95[1] else .overall.win_rate_ci95[0] + 1 end')"
  req GET "/api/v1/predictions/verify?hash=$hash" "" "$U1"
  check "lock-in verified by hash" "200 true $pick" "$status $(jf .verified) $(jf .prediction_id)"
  req POST "/api/v1/predictions/$pick/verify" "" "$U1"
  check "lock-in verified by id" "200 true" "$status $(jf .verified)"
  # A rescheduled game moves to the date of its new start (the collectors' rule); its pick keeps
  # the date its hash covers, and the answer still rebuilds the hash.
  local g0 d0 i0
  g0=$(sql "SELECT game_id FROM predictions WHERE id = $pick")
  d0=$(sql "SELECT game_date FROM games WHERE id = $g0")
  sql "UPDATE games SET game_date = '2031-01-02' WHERE id = $g0" > /dev/null
  req GET "/api/v1/predictions?limit=50" "" "$U1"
  check "a rescheduled game's pick keeps the date its hash covers" "$d0 2031-01-02" \
    "$(jf ".items[] | select(.id == $pick) | \"\(.game_date) \(.game.date)\"")"
  i0=$(jf "[.items[].id] | index($pick)")
  check "… and its hash is still rebuilt from the answer alone" "$hash" "$(lockin_text "$i0" | sha256sum | cut -d' ' -f1)"
  req POST "/api/v1/predictions/$pick/verify" "" "$U1"
  check "… and verified" "200 true" "$status $(jf .verified)"
  sql "UPDATE games SET game_date = '$d0' WHERE id = $g0" > /dev/null
  req GET "/api/v1/predictions/verify?hash=$(printf '%064d' 0)" "" "$U1"
  check "unknown hash 404" 404 "$status"
  req GET "/api/v1/predictions/verify?hash=xyz" "" "$U1"
  check "malformed hash 400" 400 "$status"
}

# The record as CSV: every pick once, oldest first, and each hash rebuilt from its row alone (the
# lock-in text as the README describes it: the row's fields in order, numbers as written, an
# empty number null; a text field after an apostrophe is the spreadsheet guard, not the text).
test_export() {
  local base="http://127.0.0.1:$port/api/v1/predictions/export"
  status=$(curl -s -D "$work/csv.h" -o "$work/picks.csv" -w '%{http_code}' -H "Authorization: Bearer $U1" "$base?history=true")
  check "export: 200 as text/csv, an attachment" "200 text/csv attachment" \
    "$status $(grep -i '^content-type:' "$work/csv.h" | grep -o 'text/csv') $(grep -i '^content-disposition:' "$work/csv.h" | grep -o attachment)"
  check "export: a header and one row per stored pick" "$(($(sql "SELECT COUNT(*) FROM predictions") + 1))" "$(grep -c $'\r$' "$work/picks.csv")"
  # shellcheck disable=SC2016 # the JavaScript's template literals
  check "export: every row's hash is the SHA-256 of its lock-in text" "$(sql "SELECT COUNT(*) FROM predictions") 0" "$(node -e '
    const crypto = require("crypto"), text = require("fs").readFileSync(process.argv[1], "utf8");
    const rows = [];
    let row = [], f = "", q = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (q) { if (ch === "\"" && text[i + 1] === "\"") { f += ch; i++; } else if (ch === "\"") q = false; else f += ch; }
      else if (ch === "\"") q = true;
      else if (ch === ",") { row.push(f); f = ""; }
      else if (ch === "\r" && text[i + 1] === "\n") { row.push(f); rows.push(row); row = []; f = ""; i++; }
      else f += ch;
    }
    const [head, ...data] = rows;
    const num = new Set(["line", "price", "probability", "market_probability", "edge", "stake_fraction"]);
    let bad = 0;
    for (const r of data) {
      const v = Object.fromEntries(head.map((h, i) => [h, r[i]]));
      const names = ["prev_hash", "game_id", "sport", "game_date", "home", "away", "model", "market", "selection", "line", "price", "book",
        "probability", "market_probability", "edge", "tier", "stake_fraction", ...(v.lockin_version === "2" ? ["publication", "no_bet_reason"] : []), "locked_at"];
      const fields = names.map((n) => `"${n}":${n === "game_id" ? v[n] : num.has(n) ? (v[n] === "" ? "null" : v[n]) : JSON.stringify(v[n].replace(/^\x27/, ""))}`);
      const hash = crypto.createHash("sha256").update(`{"v":${v.lockin_version},${fields.join(",")}}`).digest("hex");
      if (hash !== v.hash) bad++;
    }
    console.log(`${data.length} ${bad}`);' "$work/picks.csv")"
  status=$(curl -s -o "$work/picks2.csv" -w '%{http_code}' -H "Authorization: Bearer $U1" "$base?graded=true&sport=NFL")
  check "export: the list's filters (graded NFL picks)" "200 $(sql "SELECT COUNT(*) FROM prediction_results")" "$status $(($(grep -c $'\r$' "$work/picks2.csv") - 1))"
  status=$(curl -s -o "$work/picks2.csv" -w '%{http_code}' -H "Authorization: Bearer $U1" "$base?sport=NBA")
  check "export: none of another sport, the header alone" "200 1" "$status $(grep -c $'\r$' "$work/picks2.csv")"
  local first
  first=$(sql "SELECT MIN(g.game_date) FROM predictions p JOIN games g ON g.id = p.game_id")
  status=$(curl -s -o "$work/picks2.csv" -w '%{http_code}' -H "Authorization: Bearer $U1" "$base?history=true&date_from=$first&date_to=$first")
  check "export: the picks of the first game date" "200 $(sql "SELECT COUNT(*) FROM predictions p JOIN games g ON g.id = p.game_id WHERE g.game_date = '$first'")" \
    "$status $(($(grep -c $'\r$' "$work/picks2.csv") - 1))"
  status=$(curl -s -o "$work/picks2.csv" -w '%{http_code}' -H "Authorization: Bearer $U1" "$base?date_from=2099-01-01")
  check "export: none after 2099-01-01" "200 1" "$status $(grep -c $'\r$' "$work/picks2.csv")"
  req GET "/api/v1/predictions/export?sport=XYZ" "" "$U1"
  check "export: a bad filter is a 400 naming it" "400 sport" "$status $(jf '.error.details[0].field')"
  status=$(curl -s -o /dev/null -w '%{http_code}' "$base")
  check "export: no credential, 401" 401 "$status"
}

test_betting() {
  req POST /api/v1/betting/bankrolls '{"name":"Main","initial_amount":1000}' "$U1"
  check "open a bankroll 201" "201 1000" "$status $(jf .current_amount)"
  br=$(jf .id)
  req POST "/api/v1/betting/bankrolls/$br/transactions" '{"kind":"deposit","amount":250.25}' "$U1"
  check "deposit" "201 1250.25" "$status $(jf .balance_after)"
  check "the deposit's 201 is a status the OpenAPI document declares for it" true \
    "$("$APS_BIN" api --openapi | jq '.paths["/api/v1/betting/bankrolls/{id}/transactions"].post.responses | has("201")')"
  # Money amounts: positive, whole cents, bounded; never a 500 (1e-8 used to round to 0 and fail
  # in the store).
  local amt
  for amt in 1e-8 0.001 1e-300 0 -5 12.345 1e13 '"10"' null; do
    req POST "/api/v1/betting/bankrolls/$br/transactions" "{\"kind\":\"deposit\",\"amount\":$amt}" "$U1"
    check "deposit of $amt is a 400 naming amount" "400 amount" "$status $(jf '.error.details[0].field')"
    req POST "/api/v1/betting/bankrolls/$br/transactions" "{\"kind\":\"withdrawal\",\"amount\":$amt}" "$U1"
    check "withdrawal of $amt is a 400" 400 "$status"
    req POST /api/v1/betting/bankrolls "{\"name\":\"Tiny\",\"initial_amount\":$amt}" "$U1"
    check "new bankroll of $amt is a 400" 400 "$status"
  done
  req POST "/api/v1/betting/bankrolls/$br/transactions" '{"kind":"deposit","amount":0.01}' "$U1"
  check "deposit of one cent" "201 1250.26" "$status $(jf .balance_after)"
  req POST "/api/v1/betting/bankrolls/$br/transactions" '{"kind":"withdrawal","amount":0.01}' "$U1"
  check "withdrawal of one cent" "201 1250.25" "$status $(jf .balance_after)"
  req POST "/api/v1/betting/bankrolls/$br/transactions" '{"kind":"withdrawal","amount":5000}' "$U1"
  check "withdrawal beyond the balance 409" "409 INSUFFICIENT_BANKROLL" "$status $(jf .error.code)"
  test_balance_ceiling
  req POST "/api/v1/betting/bankrolls/$br/transactions" '{"kind":"deposit","amount":5}' "$U2"
  check "another user's bankroll 404" 404 "$status"
  req GET /api/v1/betting/bankrolls "" "$U2"
  check "another user sees none" "200 0" "$status $(jf .total)"
  req GET /api/v1/betting/bankrolls "" "$ANALYST"
  check "analysts hold no bankroll permission" 403 "$status"
  req POST /api/v1/betting/bets "{\"prediction_id\":$pick,\"bankroll_id\":$br,\"stake\":100}" "$U1"
  check "bet on the pick 201" "201 1150.25 pending" "$status $(jf .balance_after) $(jf .result)"
  pick_bet=$(jf .id)
  req POST /api/v1/betting/bets "{\"game_id\":1,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":$br,\"stake\":10,\"price\":-150}" "$U1"
  check "bet on a finished game 409" "409 GAME_STARTED" "$status $(jf .error.code)"
  req POST /api/v1/betting/bets "{\"game_id\":3,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":$br,\"stake\":10,\"price\":1.9}" "$U1"
  check "bet on a started game 409" "409 GAME_STARTED" "$status $(jf .error.code)"
  check "  the refusal names every state that closes a game to bets" 1 \
    "$(jf .error.message | grep -c 'started, or is final, postponed or cancelled')"
  req POST /api/v1/betting/bets "{\"prediction_id\":$pick,\"bankroll_id\":$br,\"stake\":99999}" "$U1"
  check "stake above the balance 409" "409 INSUFFICIENT_BANKROLL" "$status $(jf .error.code)"
  req POST /api/v1/betting/bets "{\"bankroll_id\":$br}" "$U1"
  check "bet without a target or stake 400" "400 prediction_id,stake" "$status $(jf '[.error.details[].field] | sort | join(",")')"
  req GET /api/v1/betting/bets "" "$U1"
  check "history with summary" "200 1 1 100" "$status $(jf .total) $(jf .summary.pending) $(jf .summary.staked)"
  # p 0.62 at -110 on 1000: f* = 0.2020, × 0.25 × 0.75 (tier B) = 0.0379, capped at 2 % → 20
  req POST /api/v1/betting/sizing '{"probability":0.62,"odds":-110,"bankroll":1000}' "$U1"
  check "Kelly sizing of a textbook case" "200 20 B true 0.202" \
    "$status $(jf .stake) $(jf .tier) $(jf .should_bet) $(jf '.full_kelly * 1000 | round / 1000')"
  req POST /api/v1/betting/sizing '{"probability":1.5,"odds":"x"}' "$U1"
  check "sizing validation" "400 bankroll,odds,probability" "$status $(jf '[.error.details[].field] | sort | join(",")')"
  # American -1e20 is decimal 1 + 1e-18, which a double holds as 1.0: a price that pays nothing
  # (sizing answered 500 "the betting parameters are invalid", a bet 400 naming selection)
  req POST /api/v1/betting/sizing '{"probability":0.6,"odds":-1e20,"bankroll":1000}' "$U1"
  check "sizing at American -1e20 400 naming odds" "400 odds" "$status $(jf '[.error.details[].field] | join(",")')"
  req POST /api/v1/betting/bets "{\"game_id\":2,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":$br,\"stake\":10,\"price\":-1e20}" "$U1"
  check "a bet at American -1e20 400 naming price" "400 price" "$status $(jf '[.error.details[].field] | join(",")')"
  # a price no book quotes is a typing error: decimal 1.0000000001 (American -1e12), American
  # +1e12; the ends of what the ingest keeps are accepted
  local o codes=""
  for o in '1.0000000001' '-1e12' '1e12' '"odds":1001.5,"odds_format":"decimal"' \
    '-100000' '100000' '"odds":1.001,"odds_format":"decimal"' '"odds":1001,"odds_format":"decimal"'; do
    case $o in \"*) ;; *) o="\"odds\":$o" ;; esac
    req POST /api/v1/betting/sizing "{\"probability\":0.6,$o,\"bankroll\":1000}" "$U1"
    codes+="$status "
  done
  check "sizing: 1.0000000001, -1e12, +1e12 and 1001.5 refused; -100000, +100000, 1.001, 1001 taken" \
    "400 400 400 400 200 200 200 200 " "$codes"
  req POST /api/v1/betting/bets "{\"game_id\":2,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":$br,\"stake\":10,\"price\":1e12}" "$U1"
  check "a bet at American +1e12 400 naming price" "400 price" "$status $(jf '[.error.details[].field] | join(",")')"
  req GET /api/v1/betting/performance "" "$U1"
  check "performance before settlement" "200 0" "$status $(jf .graded)"
  test_settle
}

# Settling by hand: the caller's own open bet, once, with the settlement the grading job uses
# (the stake and profit paid back on a win, the stake refunded on a void).
# A balance holds at most 10^13 (core/money.h). A deposit past that is a 400 naming amount and
# the limit, not the withdrawal's 409; one that reaches it exactly is taken. Deposits are at
# most 10^12 each, so the bankroll is filled by ten of them.
test_balance_ceiling() {
  local big _
  req POST /api/v1/betting/bankrolls '{"name":"Ceiling","initial_amount":1000000000000}' "$U1"
  check "ceiling: a bankroll of the largest amount" 201 "$status"
  big=$(jf .id)
  for _ in $(seq 9); do
    req POST "/api/v1/betting/bankrolls/$big/transactions" '{"kind":"deposit","amount":1000000000000}' "$U1"
  done
  check "ceiling: the deposit that reaches the limit exactly" "201 10000000000000" "$status $(jf .balance_after)"
  req POST "/api/v1/betting/bankrolls/$big/transactions" '{"kind":"deposit","amount":0.01}' "$U1"
  check "ceiling: a deposit past the limit 400 naming amount" "400 VALIDATION_ERROR amount" \
    "$status $(jf .error.code) $(jf '.error.details[0].field')"
  check "ceiling: the message names the limit" 1 "$(jf '.error.details[0].message' | grep -c 'above its limit of 10000000000000.00')"
  req GET /api/v1/betting/bankrolls "" "$U1"
  check "ceiling: the refused deposit left the balance" "200 10000000000000" \
    "$status $(jf ".items[] | select(.id == $big) | .current_amount")"
}

test_settle() {
  req POST /api/v1/betting/bets "{\"game_id\":2,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":$br,\"stake\":50,\"price\":2.0}" "$U1"
  check "a second bet at 2.0" "201 1100.25" "$status $(jf .balance_after)"
  local bet
  bet=$(jf .id)
  req POST "/api/v1/betting/bets/$bet/settle" '{"result":"won"}' "$U1"
  check "settle with an unknown result 400" "400 result" "$status $(jf '.error.details[0].field')"
  req POST "/api/v1/betting/bets/$bet/settle" '{}' "$U1"
  check "settle without a result 400" "400 result" "$status $(jf '.error.details[0].field')"
  req POST "/api/v1/betting/bets/$bet/settle" '{"result":"win"}' "$U2"
  check "settle another user's bet 404" 404 "$status"
  req POST "/api/v1/betting/bets/$bet/settle" '{"result":"win"}' "$ANALYST"
  check "analysts cannot settle bets" 403 "$status"
  req POST "/api/v1/betting/bets/999999/settle" '{"result":"win"}' "$U1"
  check "settle an unknown bet 404" 404 "$status"
  req POST "/api/v1/betting/bets/$bet/settle" '{"result":"win"}' "$U1"
  check "settle a win by hand: 50 at 2.0 pays 100" "200 win 50 1200.25" \
    "$status $(jf .result) $(jf .profit_loss) $(jf .balance_after)"
  check "the settlement time is set" 1 "$([ "$(jf .settled_at)" != null ] && echo 1)"
  req POST "/api/v1/betting/bets/$bet/settle" '{"result":"loss"}' "$U1"
  check "settling twice 409" "409 BET_SETTLED" "$status $(jf .error.code)"
  req POST "/api/v1/betting/bets/$pick_bet/settle" '{"result":"void"}' "$U1"
  check "a void refunds the stake" "200 void 0 1300.25" "$status $(jf .result) $(jf .profit_loss) $(jf .balance_after)"
  req GET "/api/v1/betting/bankrolls/$br/history" "" "$U1"
  check "the payout and the refund are movements" "payout 100 refund 100" \
    "$(jf '[.items[-2:][] | "\(.kind) \(.amount)"] | join(" ")')"
  req GET /api/v1/betting/bets "" "$U1"
  check "nothing pending after settling" "2 0" "$(jf .total) $(jf .summary.pending)"
  check "audited" 2 "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'bet_settled'")"
  test_settle_half
}

# A half result exists only for a stake split over two lines: a spread or total on a quarter
# line (Asian handicap -0.25). On a moneyline (three-way or not) or a whole or half line it is
# refused, naming result, and the bet stays open.
test_settle_half() {
  local ml half whole
  req POST /api/v1/betting/bets "{\"game_id\":2,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":$br,\"stake\":10,\"price\":2.0}" "$U1"
  ml=$(jf .id)
  req POST /api/v1/betting/bets "{\"game_id\":2,\"market\":\"spread\",\"selection\":\"home\",\"line\":-1.5,\"bankroll_id\":$br,\"stake\":10,\"price\":1.9}" "$U1"
  whole=$(jf .id)
  req POST /api/v1/betting/bets "{\"game_id\":2,\"market\":\"spread\",\"selection\":\"home\",\"line\":-0.25,\"bankroll_id\":$br,\"stake\":10,\"price\":1.9}" "$U1"
  half=$(jf .id)
  check "half: three bets placed" "201 1270.25" "$status $(jf .balance_after)"
  req POST "/api/v1/betting/bets/$ml/settle" '{"result":"half_win"}' "$U1"
  check "half: a half win on a moneyline bet 400 naming result" "400 result" "$status $(jf '.error.details[0].field')"
  req POST "/api/v1/betting/bets/$whole/settle" '{"result":"half_loss"}' "$U1"
  check "half: a half loss on a half line (-1.5) 400 naming result" "400 result" "$status $(jf '.error.details[0].field')"
  check "half: both refused bets still open" "pending pending" \
    "$(sql "SELECT result FROM bets WHERE id = $ml") $(sql "SELECT result FROM bets WHERE id = $whole")"
  req POST "/api/v1/betting/bets/$half/settle" '{"result":"half_win"}' "$U1"
  check "half: a half win on -0.25: half the stake wins at 1.9, half refunded" "200 half_win 4.5 1284.75" \
    "$status $(jf .result) $(jf .profit_loss) $(jf .balance_after)"
  for b in "$ml" "$whole"; do req POST "/api/v1/betting/bets/$b/settle" '{"result":"void"}' "$U1"; done
  check "half: the others void" "200 1304.75" "$status $(jf .balance_after)"
  test_currencies
}

# Money in two currencies is never added up: U2 wins 100 dollars and loses 10,000 yen. The
# summary of the bets and the performance answered staked 10100 and profit -9900 (yield -98 %);
# over both bankrolls their money is now null and each currency's is given apart, and over one
# bankroll it stands, in its currency.
test_currencies() {
  local usd jpy bet b stake result
  req POST /api/v1/betting/bankrolls '{"name":"Dollars","initial_amount":1000,"currency":"USD"}' "$U2"
  usd=$(jf .id)
  req POST /api/v1/betting/bankrolls '{"name":"Yen","initial_amount":100000,"currency":"JPY"}' "$U2"
  jpy=$(jf .id)
  for bet in "$usd 100 win" "$jpy 10000 loss"; do # bankroll, stake at 2.0, result
    read -r b stake result <<<"$bet"
    req POST /api/v1/betting/bets "{\"game_id\":2,\"market\":\"moneyline\",\"selection\":\"home\",\"bankroll_id\":$b,\"stake\":$stake,\"price\":2.0}" "$U2"
    req POST "/api/v1/betting/bets/$(jf .id)/settle" "{\"result\":\"$result\"}" "$U2"
  done
  local each='[.by_currency[] | "\(.currency) \(.staked) \(.profit) \(.yield)"] | join(", ")'
  req GET /api/v1/betting/bets "" "$U2"
  check "currencies: the bets' summary adds no dollars to yen" \
    "200 2 null null null null null JPY 10000 -10000 -1, USD 100 100 1" \
    "$status $(jf .summary.bets) $(jf .summary.staked) $(jf .summary.settled_staked) $(jf .summary.profit) $(jf .summary.yield) $(jf .summary.currency) $(jf ".summary | $each")"
  req GET /api/v1/betting/performance "" "$U2"
  check "currencies: nor does the performance" "200 2 null null null null JPY 10000 -10000 -1, USD 100 100 1" \
    "$status $(jf .graded) $(jf .staked) $(jf .profit) $(jf .yield) $(jf .currency) $(jf "$each")"
  req GET "/api/v1/betting/performance?bankroll_id=$usd" "" "$U2"
  check "currencies: one bankroll's money stands, in its currency" "200 100 100 1 USD" \
    "$status $(jf .staked) $(jf .profit) $(jf .yield) $(jf .currency)"
}

# A backtest's job_id is a job its owner follows at /api/v1/jobs/{id} (an admin too; nobody
# else sees it), from queued until a worker has run it.
test_backtest_job() {
  local bt job worker_pid state _ before job_error ghost again
  # requests the worker could only fail are refused at once, and nothing is queued
  req GET /api/v1/backtests "" "$ANALYST"
  before=$(jf .total)
  req POST /api/v1/backtests '{"sport":"NFL","market":"moneyline","model":"no_such_model"}' "$ANALYST"
  check "a backtest of a model that does not exist: 409" "409 CANNOT_RUN" "$status $(jf .error.code)"
  req POST /api/v1/backtests '{"sport":"NHL","market":"moneyline"}' "$ANALYST"
  check "a backtest of a sport with no games: 409" "409 CANNOT_RUN" "$status $(jf .error.code)"
  req GET /api/v1/backtests "" "$ANALYST"
  check "  neither was recorded" "$before" "$(jf .total)"
  req POST /api/v1/backtests '{"sport":"NFL","market":"moneyline","bankroll":1000}' "$ANALYST"
  check "backtest enqueued 202" "202 queued" "$status $(jf .state)"
  bt=$(jf .id) job=$(jf .job_id)
  req GET "/api/v1/jobs/$job" "" "$ANALYST"
  check "the owner follows the backtest's job" "200 backtest queued $bt" \
    "$status $(jf .name) $(jf .state) $(jf .payload.backtest_id)"
  req GET "/api/v1/jobs/$job" "" "$ADMIN"
  check "an admin follows it too" "200 backtest" "$status $(jf .name)"
  req GET "/api/v1/jobs/$job" "" "$OPERATOR"
  check "another caller does not see it" 404 "$status"
  # a job for a backtest that was never recorded (regression: retried as if the row could appear)
  ghost=$("$APS_BIN" worker enqueue backtest --payload '{"backtest_id":999999,"sport":"NFL"}' | jq -r .id)
  "$APS_BIN" worker --no-http > "$work/worker.log" 2>&1 &
  worker_pid=$!
  for _ in $(seq 150); do
    req GET "/api/v1/jobs/$job" "" "$ANALYST"
    state=$(jf .state)
    [ "$state" = succeeded ] || [ "$state" = failed ] && grep -q "\"id\":\"$ghost\"" "$work/worker.log" && break
    sleep 0.2
  done
  check "a job for no backtest: dead on its first attempt, rejected" "1 no backtest 999999" \
    "$("$APS_BIN" worker dead list | jq -r "select(.id == \"$ghost\") | \"\(.attempts) \(.error)\"")"
  check "  the worker says so once" 1 "$(grep -c "\"id\":\"$ghost\".*\"outcome\":\"dead\".*\"rejected\":true" "$work/worker.log")"
  kill "$worker_pid" 2>/dev/null
  wait "$worker_pid" 2>/dev/null
  # the seeded game has prices but is in the only season, the warm-up: nothing to score, and the
  # job fails with the backtest, at once (regression: the job "succeeded" with its backtest failed)
  check "the job is followed to its end: failed, once" "failed 1" "$state $(jf .attempts)"
  job_error=$(jf .error)
  req GET "/api/v1/backtests/$bt" "" "$ANALYST"
  # the reason is the one `aps backtest` gives (regression: "no stored NFL games with moneyline
  # odds in the dates asked")
  check "  the backtest failed, saying the window is in the warm-up season" \
    "failed aps backtest: nothing to score: no NFL game dated the start .. the end after the 1 warm-up season(s)" \
    "$(jf .state) aps backtest: nothing to score: $(jf .error)"
  check "  the job's error is the backtest's" "backtest $bt: $(jf .error)" "$job_error"
  "$APS_BIN" backtest --sport NFL > /dev/null 2> "$work/err"
  check "  the CLI's reason is the same" "$(jf .error)" "$(sed -n 's/^aps backtest: nothing to score: //p' "$work/err")"
  # a user's request that cannot run is the user's to mend, not an operator's: the job is done,
  # counted refused (regression: dead-lettered, which fired JobsDeadLettered for a user's request)
  check "  not dead-lettered, not retried" "" \
    "$("$APS_BIN" worker dead list | jq -r "select(.id == \"$job\") | .id")"
  check "  the worker says it refused the request, as a warning" 1 \
    "$(grep "\"id\":\"$job\"" "$work/worker.log" | grep -c '"level":"WARNING".*"outcome":"refused"')"
  check "  nothing counted dead for it" "" \
    "$(grep "\"id\":\"$job\"" "$work/worker.log" | grep -o '"outcome":"dead"')"
  # run again (an operator's enqueue of the same request), the job runs the backtest again (not
  # "skipped: already failed", which succeeded) and refuses it with the same reason
  again=$("$APS_BIN" worker enqueue backtest --payload "{\"backtest_id\":$bt,\"sport\":\"NFL\"}" | jq -r .id)
  "$APS_BIN" worker --no-http > "$work/worker.log" 2>&1 &
  worker_pid=$!
  for _ in $(seq 150); do
    grep -q "\"id\":\"$again\".*\"outcome\"" "$work/worker.log" && break
    sleep 0.2
  done
  kill "$worker_pid" 2>/dev/null
  wait "$worker_pid" 2>/dev/null
  check "  run again, it refuses it again with the same error" "refused $job_error" \
    "$(grep "\"id\":\"$again\"" "$work/worker.log" | grep -o '"outcome":"[a-z]*"' | sed 's/.*:"//; s/"//') $(grep "\"id\":\"$again\"" "$work/worker.log" | jq -r .error)"
  req GET "/api/v1/backtests/$bt" "" "$ANALYST"
  check "  the backtest still reads failed with it" "failed backtest $bt: $(jf .error)" "$(jf .state) $job_error"
  # a worker killed on the job's last attempt leaves the row "running" and the job failed for
  # good: the backtest reads as failed with the job's error (regression: "running" for ever)
  sql "UPDATE backtests SET state = 'running', error = NULL, finished_at = NULL WHERE id = $bt;
       UPDATE job_status SET error = 'lease expired on the last attempt' WHERE job_id = '$job'" > /dev/null
  req GET "/api/v1/backtests/$bt" "" "$ANALYST"
  check "  its job failed for good: the backtest reads failed, with the job's error and end" \
    "failed lease expired on the last attempt true" "$(jf .state) $(jf .error) $(jf '.finished_at != null')"
  req GET "/api/v1/backtests?limit=100" "" "$ANALYST"
  check "  and so in the list" "failed" "$(jf ".items[] | select(.id == $bt) | .state")"
  sql "UPDATE job_status SET state = 'queued' WHERE job_id = '$job'" > /dev/null
  req GET "/api/v1/backtests/$bt" "" "$ANALYST"
  check "  while its job is still queued for a retry it reads running" "running null" "$(jf .state) $(jf .error)"
}

test_admin() {
  req GET /api/v1/models "" "$ANALYST"
  check "analyst lists models" "200 3" "$status $(jf .total)"
  req GET /api/v1/models "" "$U1"
  check "users cannot list models" 403 "$status"
  req GET /api/v1/models/1 "" "$ANALYST"
  check "one model" "200 nfl_ml_test elo" "$status $(jf .name) $(jf '.features[0]')"
  req POST /api/v1/models/train '{"sport":"NFL","market":"moneyline"}' "$ANALYST"
  check "train enqueued 202" "202 false" "$status $(jf .duplicate)"
  job=$(jf .id)
  req POST /api/v1/models/train '{"sport":"NFL","market":"moneyline"}' "$ANALYST"
  check "the same request again is the same job" "202 true $job" "$status $(jf .duplicate) $(jf .id)"
  req POST /api/v1/models/train '{"sport":"NHL","market":"moneyline"}' "$ANALYST"
  check "training a sport with no games: 409" "409 NO_GAMES" "$status $(jf .error.code)"
  # a pruned model's files are gone: promoting it would leave the picks without a model
  # (regression: both answered that it was in production, and `aps predict` then exited 1)
  req POST /api/v1/models/2/promote '{}' "$ANALYST"
  check "promoting a pruned model: 409" "409 MODEL_NOT_ELIGIBLE" "$status $(jf .error.code)"
  check "  saying why" 1 "$(jf .error.message | grep -c 'was pruned')"
  "$APS_BIN" models promote nfl_ml_pruned > "$work/out" 2> "$work/err"
  check "aps models promote of a pruned model: exit 1, nothing printed" "1 0" "$? $(wc -c < "$work/out")"
  check "  saying why and what to do" 1 "$(grep -c '^aps models promote: nfl_ml_pruned was pruned .*(aps models list --sport NFL)' "$work/err")"
  check "  it stays pruned" pruned "$(sql "SELECT status FROM models WHERE name = 'nfl_ml_pruned'")"
  # the CLI refuses what the API refuses (regression: it promoted without looking)
  req POST /api/v1/models/3/promote '{}' "$ANALYST"
  check "promoting a model that failed the leakage check: 409" "409 MODEL_NOT_ELIGIBLE" "$status $(jf .error.code)"
  "$APS_BIN" models promote nfl_ml_leaky > "$work/out" 2> "$work/err"
  check "aps models promote of it: exit 1, saying --force overrides" \
    "1 aps models promote: nfl_ml_leaky did not pass the leakage check (aps models show nfl_ml_leaky); --force promotes it anyway" \
    "$? $(cat "$work/err")"
  "$APS_BIN" models promote nfl_ml_leaky --force > "$work/out" 2> "$work/err"
  check "  --force promotes it, as force=true does" "0 production" "$? $(sql "SELECT status FROM models WHERE name = 'nfl_ml_leaky'")"
  req POST /api/v1/models/1/promote '{"note":"integration"}' "$ANALYST"
  check "promote 200" "200 production" "$status $(jf .status)"
  check "  the previous production model is archived" archived "$(sql "SELECT status FROM models WHERE name = 'nfl_ml_leaky'")"
  "$APS_BIN" models promote nfl_ml_test > "$work/out" 2> "$work/err"
  check "aps models promote of the production model: exit 0, nothing changed (the API: 409)" \
    "0 nfl_ml_test is already the production model of NFL moneyline integration" \
    "$? $(cat "$work/out") $(sql "SELECT promotion_note FROM models WHERE name = 'nfl_ml_test'")"
  check "promotion audited (and the refusals)" 3 "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'model_promoted'")"
  # (regression: the note was stored on the model only, so the audit trail did not say why)
  check "  the promotion's audit row keeps its note" '{"note":"integration","previous_status":"challenger"}' \
    "$(sql "SELECT details FROM audit_log WHERE action = 'model_promoted' AND outcome = 'success' AND resource_id = '1'" | jq -c '{note, previous_status}')"
  req GET /api/v1/admin/settings "" "$ADMIN"
  check "settings: the JWT secret is redacted" "200 (set, redacted)" \
    "$status $(jf '.items[] | select(.name == "JWT_SECRET") | .value')"
  req PUT /api/v1/admin/settings/KELLY_FRACTION '{"value":0.5}' "$ADMIN"
  check "change KELLY_FRACTION" "200 0.5" "$status $(jf .value)"
  req POST /api/v1/betting/sizing '{"probability":0.62,"odds":-110,"bankroll":1000}' "$U1"
  check "sizing uses the new fraction" 0.5 "$(jf .params.kelly_fraction)"
  req PUT /api/v1/admin/settings/KELLY_FRACTION '{"value":5}' "$ADMIN"
  check "out-of-bounds value 400" 400 "$status"
  req PUT /api/v1/admin/settings/DATABASE_URL '{"value":"sqlite:///x"}' "$ADMIN"
  check "not a run-time setting 400" 400 "$status"
  req PUT /api/v1/admin/settings/KELLY_FRACTION '{"value":0.3}' "$OPERATOR"
  check "operators cannot change settings" 403 "$status"
  req GET /api/v1/admin/users "" "$ADMIN"
  check "users list" "200 5" "$status $(jf .total)"
  u2id=$(sql "SELECT id FROM users WHERE email = 'u2@example.com'")
  req PUT "/api/v1/admin/users/$u2id/role" '{"role":"pro"}' "$ADMIN"
  check "role change revokes the session" "200 pro 1 true" "$status $(jf .role) $(jf .sessions_revoked) $(jf .changed)"
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$U2_REFRESH\"}"
  check "the revoked refresh token no longer works" 401 "$status"
  # The role the user has already changes nothing, through the API and `aps user role` alike:
  # no session revoked, no audit event, and each says so.
  req POST /api/v1/auth/login "{\"email\":\"u2@example.com\",\"password\":\"$PASSWORD\"}"
  local refresh role_audits out rc
  refresh=$(jf .refresh_token)
  role_audits=$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'role_changed'")
  req PUT "/api/v1/admin/users/$u2id/role" '{"role":"pro"}' "$ADMIN"
  check "the same role again: nothing changed" "200 pro pro 0 false" \
    "$status $(jf .role) $(jf .previous_role) $(jf .sessions_revoked) $(jf .changed)"
  out=$("$APS_BIN" user role --email u2@example.com --role pro 2> /dev/null)
  rc=$?
  check "aps user role with the same role: exit 0, says so" \
    "0 user $u2id u2@example.com: role pro already (nothing changed)" "$rc $out"
  check "  neither writes an audit event" "$role_audits" \
    "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'role_changed'")"
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$refresh\"}"
  check "  the session still works" 200 "$status"
  req GET /api/v1/admin/data-quality "" "$OPERATOR"
  check "data quality report" "200 1" "$status $(jf '.computed.by_sport[] | select(.sport == "NFL") | .games_without_odds')"
  req GET /api/v1/admin/data-quality "" "$U1"
  check "users cannot read data quality" 403 "$status"
  req GET /api/v1/admin/alerts "" "$OPERATOR"
  check "alerts" "200 1" "$status $(jf .total)"
  alert=$(jf '.items[0].id')
  req POST "/api/v1/admin/alerts/$alert/acknowledge" "" "$OPERATOR"
  check "acknowledge" "200 true false" "$status $(jf .acknowledged) $(jf .already_acknowledged)"
  req POST /api/v1/admin/alerts/999/acknowledge "" "$OPERATOR"
  check "unknown alert 404" 404 "$status"
}

# The count of a long list (10,000 rows or more) is kept for a few seconds, never longer than
# the route keeps its answers (CACHE_TTL_DEFAULT, 2 s here): the pages of the list count it
# once, a total lags a change by no more than that, and a full page that runs past the kept
# count counts again. The games are added by SQL, which tells the api nothing.
test_count_kept() {
  local day
  if [ "$backend" = sqlite ]; then day="date('1960-01-01', '+' || n.i || ' days')"; else day="to_char(DATE '1960-01-01' + n.i, 'YYYY-MM-DD')"; fi
  sql "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
       INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id, start_time, time_known,
       status, created_at, updated_at) SELECT 1, 1, $day, 2, 3, -315619200 + n.i * 86400, 1, 'final', 0, 0 FROM n"
  add_game() { sql "INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id, start_time, time_known,
       status, created_at, updated_at) VALUES (1, 1, '$1', 2, 3, $(date -u -d "$1" +%s), 1, 'final', 0, 0)"; }
  CACHE_TTL_DEFAULT=2 start_server
  req GET "/api/v1/games?limit=1" "" "$U1"
  check "count kept: 10,003 games" "200 10003" "$status $(jf .total)"
  add_game 1959-12-31
  req GET "/api/v1/games?limit=1&page=2" "" "$U1"
  check "count kept: the next page reads the kept count" "200 10003" "$status $(jf .total)"
  req GET "/api/v1/games?limit=2&page=5002" "" "$U1"
  check "count kept: a full page past it counts again" "200 10004 2" "$status $(jf .total) $(jf '.items | length')"
  add_game 1959-12-30
  req GET "/api/v1/games?limit=1&page=3" "" "$U1"
  check "count kept: and keeps the new count" "200 10004" "$status $(jf .total)"
  sleep 2.5
  req GET "/api/v1/games?limit=1&page=3" "" "$U1"
  check "count kept: no longer than the route's cache time" "200 10005" "$status $(jf .total)"
  stop_server
}

run_backend() {
  backend=$1
  "$APS_BIN" migrate > /dev/null || { check "migrate" 0 1; return; }
  seed
  start_server
  U1=$(login u1)
  req POST /api/v1/auth/login "{\"email\":\"u2@example.com\",\"password\":\"$PASSWORD\"}"
  U2=$(jf .access_token) U2_REFRESH=$(jf .refresh_token)
  ADMIN=$(login admin) ANALYST=$(login analyst) OPERATOR=$(login operator)
  check "logins" 1 "$([ -n "$U1" ] && [ "$U1" != null ] && [ -n "$ADMIN" ] && echo 1)"
  test_games
  test_odds
  test_predictions
  test_export
  test_betting
  test_backtest_job
  test_admin
  stop_server
  test_count_kept
}

export DATABASE_URL="sqlite:///$work/aps.db"
run_backend sqlite
if [ -n "${APS_TEST_PG_URL:-}" ]; then
  psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" >/dev/null
  export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
  run_backend pg
else
  echo "api_domain: APS_TEST_PG_URL unset, PostgreSQL half skipped"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
