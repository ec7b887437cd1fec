#!/usr/bin/env bash
# Runs `aps collect` against the mock providers (tests/mock/mock_providers.c) and checks the
# collectors end to end: ESPN and TheOddsAPI events become one game each; odds are stored
# change-only across two polls with no change and with movements after the mock's clock moves;
# the credit budget refuses a call before it is made, and odds resume once the provider's quota
# is back; games go live and end with final scores; closing lines are captured once; weather is
# read for the outdoor game about to start (a place the weather service does not know rejects
# that game alone); every
# failure mode (429, 500, timeout, truncated, malformed, unknown team, an event without an id in
# a TheOddsAPI answer or an ESPN board) ends without a crash, without lost or duplicated rows,
# with a clear log line and a metric (one bad event is rejected alone: the answer's other events
# are stored, the job's log line names it); a refused key is asked once and its error carries the
# provider's reason; the API key never appears in any log or error; and --metrics leaves stdout
# to the Prometheus text.
# SQLite always; PostgreSQL too when APS_TEST_PG_URL is set.
# Needs: APS_BIN, APS_BUILD_DIR (for mock_providers).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
MOCK=${APS_MOCK_BIN:-${APS_BUILD_DIR:?APS_BUILD_DIR is the build folder}/mock_providers}
work=$(mktemp -d)
mock_pid=
cleanup() {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null
  [ -n "${pgdb:-}" ] && psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
check_true() { # name, command...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; fi
}

start_mock() {
  "$MOCK" --port 0 > "$work/mock.json" 2> "$work/mock.err" &
  mock_pid=$!
  for _ in $(seq 50); do [ -s "$work/mock.json" ] && break; sleep 0.1; done
  port=$(jq -r .port "$work/mock.json")
  base="http://127.0.0.1:$port"
}
stop_mock() { kill "$mock_pid" 2>/dev/null; wait "$mock_pid" 2>/dev/null; mock_pid=; rm -f "$work/mock.json"; }
mock_now() { curl -s "$base/_control/state" | jq -r .now; }
advance() { curl -s -X POST "$base/_control/advance?seconds=$1" > /dev/null; }
fail_next() { curl -s -X POST "$base/_control/fail?$1" > /dev/null; }
served() { curl -s "$base/_control/state" | jq -r .served; }
credits_used() { curl -s "$base/_control/state" | jq -r .requests_used; }

export ENVIRONMENT=development LOG_LEVEL=INFO
export ODDS_API_KEY=secret-test-key WEATHER_API_KEY=secret-weather-key
export COLLECT_BACKOFF_BASE_MS=50 COLLECT_BACKOFF_MAX_MS=200 COLLECT_TIMEOUT_MS=1000
export COLLECT_CONNECT_TIMEOUT_MS=1000 COLLECT_MAX_ATTEMPTS=3 COLLECT_RETRY_AFTER_MAX_S=5

# collect JOB ARGS… — runs aps collect with the mock's clock; the log goes to $work/last.log
# and is appended to $work/all.log; the exit status is kept in $rc.
collect() {
  "$APS_BIN" collect "$@" --now "$(mock_now)" --metrics > "$work/last.log" 2>&1
  rc=$?
  cat "$work/last.log" >> "$work/all.log"
}
field() { grep '"msg":"collect' "$work/last.log" | tail -1 | jq -r ".$1"; }
metric() { grep -F "$1" "$work/last.log" | awk '{print $2}' | tail -1; }

q() { # SQL → one value, on the current backend
  if [ "$backend" = sqlite ]; then sqlite3 "$work/aps.db" "$1"; else psql "$DATABASE_URL" -Atqc "$1"; fi
}
dupes() {
  q "SELECT COUNT(*) FROM (SELECT game_id, book_id, market, selection, phase, recorded_at
     FROM odds GROUP BY game_id, book_id, market, selection, phase, recorded_at
     HAVING COUNT(*) > 1) d"
}

# ---- the story, on one backend -------------------------------------------------------------
story() {
  start_mock
  export ODDS_API_BASE_URL="$base/v4" ESPN_API_BASE_URL="$base/apis/site/v2/sports"
  export WEATHER_API_BASE_URL="$base/data/2.5"

  collect schedule --sport NBA --days 2
  check "$backend: schedule exits 0" 0 "$rc"
  check "$backend: ESPN lists 4 NBA games" 4 "$(q 'SELECT COUNT(*) FROM games')"
  collect odds --sport NBA
  check "$backend: odds exits 0" 0 "$rc"
  check "$backend: 14 odds events, 4 of them ESPN's games: 14 games" 14 "$(q 'SELECT COUNT(*) FROM games')"
  check "$backend: an ESPN event and an odds event are one game" 1 \
    "$(q "SELECT COUNT(DISTINCT game_id) FROM external_ids WHERE external_id IN
          ('401468411', '63330b334dfcd7aa56e69624617bc273')")"
  odds1=$(q 'SELECT COUNT(*) FROM odds')
  check_true "$backend: odds stored ($odds1)" test "$odds1" -gt 800
  check "$backend: Pinnacle (region eu) is collected" 1 "$(q "SELECT COUNT(*) FROM sportsbooks WHERE key = 'pinnacle' AND is_sharp = 1")"
  check "$backend: credits used are read from the headers" 6 "$(q "SELECT requests_used FROM provider_status WHERE provider = 'theoddsapi'")"

  collect odds --sport NBA
  check "$backend: a second poll with no change stores nothing" "$odds1" "$(q 'SELECT COUNT(*) FROM odds')"
  check "$backend: … and reports every quote unchanged" "$(field quotes)" "$(field unchanged)"
  check "$backend: … and no movement" 0 "$(q 'SELECT COUNT(*) FROM odds_movements')"

  advance 120
  collect odds --sport NBA
  odds2=$(q 'SELECT COUNT(*) FROM odds')
  moves=$(q 'SELECT COUNT(*) FROM odds_movements')
  check_true "$backend: the mock's prices moved: new snapshots ($odds1 → $odds2)" test "$odds2" -gt "$odds1"
  check "$backend: one movement per new snapshot" "$((odds2 - odds1))" "$moves"
  check "$backend: no duplicated snapshot" 0 "$(dupes)"

  # Budget: the provider says 3 credits remain; an odds call (6 credits) is refused unmade (the
  # credits are checked first on the free /sports, which answers with the quota headers).
  curl -s -X POST "$base/_control/quota?remaining=3" > /dev/null
  collect sports
  before=$(served)
  used_before=$(credits_used)
  collect odds --sport NBA
  check "$backend: over budget: exit 1" 1 "$rc"
  check "$backend: over budget: the failure is logged as budget" budget "$(field failure)"
  check "$backend: over budget: no credit was spent" "$used_before" "$(credits_used)"
  check "$backend: over budget: only the free /sports was asked" "$((before + 1))" "$(served)"
  # The provider's quota comes back (its new period): the next poll is made, without anyone
  # running `aps collect sports` first (it was refused for good on the stale count).
  curl -s -X POST "$base/_control/quota?remaining=400" > /dev/null
  collect odds --sport NBA
  check "$backend: quota back: odds resume" "0 400" "$rc $(q "SELECT requests_remaining + last_cost
     FROM provider_status WHERE provider = 'theoddsapi'")"
  collect sports

  # --metrics: stdout is Prometheus text alone (a node-exporter textfile can take it as it is);
  # the log line is on stderr.
  "$APS_BIN" collect odds --sport NBA --now "$(mock_now)" --metrics > "$work/metrics.out" 2> "$work/metrics.err"
  check "$backend: --metrics: every stdout line is a metric, a HELP or a TYPE line" 0 \
    "$(grep -cvE '^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+)$' "$work/metrics.out")"
  check_true "$backend: --metrics: the collector's counters are on stdout" grep -q "^aps_collector_records_total{" "$work/metrics.out"
  check "$backend: --metrics: the log line is on stderr" "collect odds done" \
    "$(jq -r 'select(.msg != null) | .msg' "$work/metrics.err" | tail -1)"

  # Failure modes.
  for spec in "500:1:0:http_5xx" "500:5:1:http_5xx" "503:1:0:http_5xx" "429:1:0:http_429" "429:5:1:http_429" \
              "timeout:1:0:timeout" "truncated:5:1:network" "malformed:1:1:-" \
              "unknown_team:1:0:-" "bad_event:1:0:-"; do
    IFS=: read -r mode count want_rc outcome <<< "$spec"
    n_before=$(q 'SELECT COUNT(*) FROM odds')
    g_before=$(q 'SELECT COUNT(*) FROM games')
    advance 60
    fail_next "mode=$mode&count=$count&provider=theoddsapi&delay=3"
    collect odds --sport NBA
    check "$backend: $mode x$count: exit $want_rc, no crash" "$want_rc" "$rc"
    if [ "$outcome" != "-" ]; then
      m=$(metric "aps_collector_requests_total{provider=\"theoddsapi\",outcome=\"$outcome\"}")
      check_true "$backend: $mode x$count: metric outcome=$outcome counted ($m)" test "${m:-0}" != 0
    fi
    if [ "$want_rc" = 1 ]; then
      check "$backend: $mode x$count: an ERROR log line" ERROR "$(field level)"
      check_true "$backend: $mode x$count: the error says why" test -n "$(field error)"
      check "$backend: $mode x$count: nothing stored" "$n_before" "$(q 'SELECT COUNT(*) FROM odds')"
      m=$(metric "aps_collector_failures_total{provider=\"theoddsapi\"")
      check_true "$backend: $mode x$count: failure metric ($m)" test "${m:-0}" != 0
    fi
    if [ "$mode" = unknown_team ]; then
      check "$backend: unknown team: a WARNING line" WARNING "$(field level)"
      check "$backend: unknown team: one event rejected" 1 "$(field rejected)"
      check_true "$backend: unknown team: named in the log" grep -q "Springfield Isotopes" "$work/last.log"
      check "$backend: unknown team: no team created" 0 "$(q "SELECT COUNT(*) FROM teams WHERE name LIKE 'Springfield%'")"
      m=$(metric 'aps_collector_records_total{provider="theoddsapi",result="rejected"}')
      check "$backend: unknown team: rejected metric" 1 "$m"
    fi
    if [ "$mode" = bad_event ]; then
      events=$(field events)
      check "$backend: bad event: a WARNING line" WARNING "$(field level)"
      check "$backend: bad event: one event rejected" 1 "$(field rejected)"
      check_true "$backend: bad event: the reason is logged" \
        grep -q 'event 1 of the answer has no id' "$work/last.log"
      check_true "$backend: bad event: the other events are read ($events)" test "${events:-0}" -gt 0
      check "$backend: bad event: … and each of them stored" "$events" "$(field games_updated)"
      check_true "$backend: bad event: … with their prices ($(field quotes))" test "$(field quotes)" -gt 0
      m=$(metric 'aps_collector_records_total{provider="theoddsapi",result="rejected"}')
      check "$backend: bad event: rejected metric" 1 "$m"
    fi
    check "$backend: $mode x$count: no game lost or added" "$g_before" "$(q 'SELECT COUNT(*) FROM games')"
    # Recovery: a clean poll catches up; then nothing is left to store.
    collect odds --sport NBA
    check "$backend: $mode: the next poll succeeds" 0 "$rc"
    collect odds --sport NBA
    check "$backend: $mode: … and a poll after it finds nothing new" 0 "$(field inserted)"
    check "$backend: $mode: no duplicated snapshot" 0 "$(dupes)"
  done
  # A 503 that says when the provider is back (Retry-After: 2): the retry waits that long, not the
  # backoff's 50-200 ms; one that says later than COLLECT_RETRY_AFTER_MAX_S ends the poll at once.
  advance 60
  fail_next "mode=503&count=1&provider=theoddsapi"
  t0=$(date +%s%N)
  collect odds --sport NBA
  ms=$((($(date +%s%N) - t0) / 1000000))
  check "$backend: 503 with Retry-After: the retry succeeds" 0 "$rc"
  check_true "$backend: 503 with Retry-After 2: the retry waited for it (${ms} ms)" test "$ms" -ge 2000
  advance 60
  before=$(served)
  fail_next "mode=503&count=1&provider=theoddsapi"
  COLLECT_RETRY_AFTER_MAX_S=1 collect odds --sport NBA
  check "$backend: 503 back later than the longest wait: the poll fails" 1 "$rc"
  check "$backend: … after one request" "$((before + 1))" "$(served)"
  collect odds --sport NBA

  # A key the provider refuses (401 INVALID_KEY; a spent quota is 401 too): one request, no
  # retry, and the error says what the provider said, so the two 401s can be told apart.
  ODDS_API_KEY=invalid-secret-test-key collect odds --sport NBA
  check "$backend: refused key: exit 1, one request, no retry" "1 1 " \
    "$rc $(metric 'aps_collector_requests_total{provider="theoddsapi",outcome="http_4xx"}') $(metric 'aps_collector_retries_total{provider="theoddsapi"}')"
  check_true "$backend: refused key: the provider's reason is in the error ($(field error))" \
    grep -q 'after 1 attempt: API key is not valid. Please check your API key (INVALID_KEY)' "$work/last.log"

  # The circuit opens after 2 consecutive failures; the third attempt is not made.
  fail_next "mode=500&count=5&provider=theoddsapi"
  CIRCUIT_BREAKER_THRESHOLD=2 collect odds --sport NBA
  check "$backend: circuit: exit 1" 1 "$rc"
  check "$backend: circuit: 2 requests made" 2 "$(metric 'aps_collector_requests_total{provider="theoddsapi",outcome="http_5xx"}')"
  check "$backend: circuit: the third was refused" 1 "$(metric 'aps_collector_requests_total{provider="theoddsapi",outcome="circuit_open"}')"
  curl -s -X POST "$base/_control/fail?mode=500&count=0" > /dev/null
  fail_next "mode=500&count=0"

  # ESPN failure: nothing stored, the error is logged.
  fail_next "mode=malformed&count=1&provider=espn"
  collect scores --sport NBA
  check "$backend: ESPN malformed: exit 1" 1 "$rc"
  check "$backend: ESPN malformed: parse failure logged" parse "$(field failure)"

  # Games go live, close, and end with final scores.
  collect closing
  check "$backend: before the start no closing line" 0 "$(q 'SELECT COUNT(*) FROM closing_lines')"
  advance 3600
  collect scores --sport NBA
  live=$(q "SELECT COUNT(*) FROM games WHERE status = 'in_progress'")
  check_true "$backend: games went live ($live)" test "$live" -ge 1
  collect closing
  captured=$(field closing_captured)
  check_true "$backend: closing lines captured at the start ($captured)" test "$captured" -gt 0
  collect closing
  check "$backend: capture is idempotent" 0 "$(field closing_captured)"
  advance 21600
  collect scores --sport NBA
  check "$backend: the evening's 4 ESPN games are final" 4 "$(q "SELECT COUNT(*) FROM games WHERE status = 'final' AND home_score IS NOT NULL")"
  # An ESPN board with an event it cannot read (no id): that event is rejected and named, at
  # WARNING, the others stored; the worker's job line says so too (both said nothing of it).
  fail_next "mode=bad_event&count=1&provider=espn"
  collect scores --sport NBA
  check "$backend: ESPN board with a bad event: exit 0" 0 "$rc"
  check "$backend: … a WARNING line" WARNING "$(field level)"
  check "$backend: … that event rejected and named" "1: event 1 of the answer has no id" \
    "$(field rejected): $(field rejected_events)"
  check "$backend: … the other 3 read and stored" "3 3" "$(field events) $(field games_updated)"
  check "$backend: … counted as rejected" 1 \
    "$(metric 'aps_collector_records_total{provider="espn",result="rejected"}')"
  fail_next "mode=bad_event&count=1&provider=espn"
  "$APS_BIN" worker run collect_scores --payload '{"sport":"NBA"}' > "$work/last.log" 2>&1
  job=$(grep '"msg":"job collect_scores' "$work/last.log" | tail -1)
  check "$backend: the job's line: a warning naming the event" \
    "WARNING 1 event 1 of the answer has no id" \
    "$(jq -r '[.level, .espn.rejected, .espn.rejected_events] | join(" ")' <<< "$job")"
  fail_next "mode=bad_event&count=1&provider=theoddsapi"
  collect scores --sport NBA --provider theoddsapi --days 1
  check "$backend: odds-provider scores with a bad event: exit 0" 0 "$rc"
  check "$backend: … that event rejected" 1 "$(field rejected)"
  check "$backend: … the others stored" "$(field events)" "$(field games_updated)"
  collect scores --sport NBA --provider theoddsapi --days 1
  check "$backend: odds-provider scores agree (final count)" 4 "$(q "SELECT COUNT(*) FROM games WHERE status = 'final'")"

  # Weather: the NFL board's Thursday game (outdoor) starts within 4 hours of the scenario start.
  stop_mock
  start_mock
  export ODDS_API_BASE_URL="$base/v4" ESPN_API_BASE_URL="$base/apis/site/v2/sports"
  export WEATHER_API_BASE_URL="$base/data/2.5"
  collect schedule --sport NFL --days 1
  collect weather --sport NFL
  check "$backend: weather exits 0" 0 "$rc"
  check "$backend: one outdoor game gets a reading" 1 "$(q 'SELECT COUNT(*) FROM weather WHERE is_dome = 0 AND temperature_f IS NOT NULL')"
  collect weather --sport NFL
  check "$backend: a fresh reading is not fetched again" 0 "$(field weather_rows)"
  # Three days ahead: the week's outdoor games are due. The service does not know the first
  # game's place (404 "city not found"): that game alone is rejected and named, the other
  # outdoor games get their readings, and the next poll asks for the rejected one alone.
  advance 43200
  collect schedule --sport NFL --days 4
  outdoor=$(q 'SELECT COUNT(*) FROM weather WHERE is_dome = 0 AND temperature_f IS NOT NULL')
  fail_next "mode=unknown_place&count=1&provider=weather"
  WEATHER_LEAD_HOURS=72 collect weather --sport NFL
  check "$backend: unknown place: exit 0, a WARNING, one game rejected" "0 WARNING 1" \
    "$rc $(field level) $(field rejected)"
  check_true "$backend: unknown place: named ($(field rejected_events))" \
    grep -q 'at London (weather: HTTP 404)' "$work/last.log"
  check "$backend: unknown place: the other 5 outdoor games got a reading" "$((outdoor + 5))" \
    "$(q 'SELECT COUNT(*) FROM weather WHERE is_dome = 0 AND temperature_f IS NOT NULL')"
  WEATHER_LEAD_HOURS=72 collect weather --sport NFL
  check "$backend: unknown place: the next poll reads the rejected game alone" "0 1 0" \
    "$rc $(field weather_rows) $(field rejected)"
  stop_mock

  check "$backend: the API key never appears in logs" 0 "$(grep -c 'secret-test-key\|secret-weather-key' "$work/all.log")"
  check "$backend: … nor in provider_status" 0 "$(q "SELECT COUNT(*) FROM provider_status WHERE last_error LIKE '%secret%'")"
  check_true "$backend: redacted URLs do appear in errors" grep -q 'apiKey=REDACTED' "$work/all.log"
}

backend=sqlite
export DATABASE_URL="sqlite:///$work/aps.db"
story

if [ -n "${APS_TEST_PG_URL:-}" ]; then
  backend=pg
  pgdb="aps_it_collect_$$"
  psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" > /dev/null
  export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
  : > "$work/all.log"
  story
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
