# shellcheck shell=bash
# lib/dashboard.sh — sourced by the dashboard's browser tests (dashboard_browser.sh,
# dashboard_regressions.sh): `aps serve` on SQLite with the last NBA season of the
# sportsbookreview data and the mock providers (tests/mock) producing live picks, then one
# script of web/dashboard/test driving Debian's chromium with playwright-core.
# dashboard_run SCRIPT starts the platform, waits for the first picks and runs
# web/dashboard/test/SCRIPT with BASE, MOCK, CLOCK_FILE, DB, SHOTS, ADMIN_EMAIL and
# ADMIN_PASSWORD; it exits with the script's status. Screenshots go to $DASHBOARD_SHOTS (default
# build/dashboard-shots, not committed); DASHBOARD_KEEP keeps the scratch folder.
# Needs: APS_BIN, APS_BUILD_DIR, APS_DATA_DIR (or ../shared/data), /usr/bin/chromium, node, jq,
# curl, sqlite3 and web/node_modules (npm ci in web/). Fails loudly when one is missing.
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
MOCK=${APS_MOCK_BIN:-${APS_BUILD_DIR:?APS_BUILD_DIR is the build folder}/mock_providers}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
SHOTS=${DASHBOARD_SHOTS:-${APS_BUILD_DIR:-$SRC/build}/dashboard-shots}
for tool in node jq curl sqlite3 /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/bootstrap installs it)"; exit 1; }
done
[ -f "$SRC/web/node_modules/playwright-core/package.json" ] && [ -f "$SRC/web/node_modules/axe-core/axe.min.js" ] ||
  { echo "FAIL: web/node_modules lacks playwright-core or axe-core (run npm ci in web/)"; exit 1; }
[ -f "$SRC/web/dist/dashboard/index.html" ] || bash "$SRC/web/build-dashboard.sh" ||
  { echo "FAIL: the dashboard does not build"; exit 1; }

work=$(mktemp -d)
pids=()
dashboard_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ -n "${DASHBOARD_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap dashboard_cleanup EXIT

dashboard_run() { # script
  # the mock providers on the wall clock; its clock and ours move together
  "$MOCK" --port 0 --rebase --quota 10000000 > "$work/mock.json" 2> "$work/mock.err" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$work/mock.json" ] && break; sleep 0.1; done
  local mock port base n=0
  mock="http://127.0.0.1:$(jq -r .port "$work/mock.json")"
  echo 0 > "$work/clock"

  export ENVIRONMENT=development LOG_LEVEL=WARNING SPORTS=NBA DATABASE_URL="sqlite:///$work/aps.db"
  unset REDIS_URL
  export ODDS_API_KEY=dash-fake-key WEATHER_API_KEY=dash-fake-weather ODDS_API_CREDIT_BUDGET=10000000
  export ODDS_API_BASE_URL="$mock/v4" ESPN_API_BASE_URL="$mock/apis/site/v2/sports"
  export WEATHER_API_BASE_URL="$mock/data/2.5" CLOCK_OFFSET_FILE="$work/clock"
  export SCHEDULE_ODDS_SECONDS=2 SCHEDULE_SCHEDULE_SECONDS=5 SCHEDULE_SCORES_SECONDS=3
  export SCHEDULE_SCORES_LIVE_SECONDS=2 SCHEDULE_PREDICT_SECONDS=10 SCHEDULE_GRADE_SECONDS=3
  export SCHEDULE_CLOSING_SECONDS=2 SCHEDULE_DATA_QUALITY_SECONDS=10 SCHEDULE_WEATHER_SECONDS=30
  export SCHEDULE_TRAIN_DAILY_SECONDS=0 SCHEDULE_TRAIN_WEEKLY_SECONDS=0
  export SCHEDULE_BACKUP_SECONDS=0 SCHEDULE_CLEANUP_SECONDS=0 WORKER_THREADS=3
  export CACHE_TTL_PREDICTIONS=2 RATE_LIMIT_PER_MIN=100000 DASHBOARD_DIR="$SRC/web/dist/dashboard"

  # one NBA season of real history: Elo has something to learn from, and the ingest stays fast
  mkdir -p "$work/nba"
  local season
  season=$(ls "$DATA/sportsbookreview/nba" | sort | tail -1)
  cp "$DATA/sportsbookreview/nba/$season" "$work/nba/"
  "$APS_BIN" migrate > "$work/migrate.log" 2>&1 || { echo "FAIL: migrate"; cat "$work/migrate.log"; exit 1; }
  "$APS_BIN" ingest sbr "$work/nba" --quiet > "$work/ingest.log" 2>&1 || { echo "FAIL: ingest"; cat "$work/ingest.log"; exit 1; }
  printf 'admin password 123\n' > "$work/pw"
  "$APS_BIN" user create --email admin@example.com --role admin --password-file "$work/pw" > /dev/null 2>&1 ||
    { echo "FAIL: admin user"; exit 1; }

  "$APS_BIN" serve --port 0 > "$work/serve.log" 2>&1 &
  pids+=($!)
  port=
  for _ in $(seq 100); do
    port=$(grep -m1 '"msg":"listening"' "$work/serve.log" 2>/dev/null | jq -r '.port // empty')
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "FAIL: aps serve did not start"; cat "$work/serve.log"; exit 1; }
  base="http://127.0.0.1:$port"
  # picks are published from the first odds polls
  for _ in $(seq 200); do
    n=$(sqlite3 "$work/aps.db" "SELECT COUNT(*) FROM predictions" 2>/dev/null || echo 0)
    [ "${n:-0}" -gt 0 ] && break
    sleep 0.2
  done
  [ "${n:-0}" -gt 0 ] || { echo "FAIL: no picks were published"; tail -20 "$work/serve.log"; exit 1; }

  mkdir -p "$SHOTS"
  (cd "$SRC/web" && BASE="$base" MOCK="$mock" CLOCK_FILE="$work/clock" DB="$work/aps.db" SHOTS="$SHOTS" \
    ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD='admin password 123' \
    node "dashboard/test/$1")
  local rc=$?
  [ $rc -eq 0 ] || tail -30 "$work/serve.log"
  exit $rc
}
