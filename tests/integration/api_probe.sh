#!/usr/bin/env bash
# api_probe.sh — an attacker's probe (lib/api_probe.py) against a running `aps api` on PostgreSQL
# (APS_TEST_PG_URL) and Redis (APS_TEST_REDIS_URL), the production topology: the known failures,
# JWT forgery, the route × role matrix of the whole OpenAPI document, SQL injection in every
# parameter, traversal, oversized and malformed input, slowloris. Prints the probe counts per
# family; fails when any probe does.
# Needs: APS_BIN, APS_SOURCE_DIR, python3, psql, curl; cracklib-runtime's word list.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
: "${APS_SOURCE_DIR:?APS_SOURCE_DIR is the source tree}"
for tool in python3 psql curl; do
  command -v $tool >/dev/null || { echo "api_probe: $tool is required"; exit 1; }
done
if [ -z "${APS_TEST_PG_URL:-}" ] || [ -z "${APS_TEST_REDIS_URL:-}" ]; then
  [ "${APS_TEST_PG_OPTIONAL:-0}" = 1 ] && { echo "api_probe: skipped (no APS_TEST_PG_URL / APS_TEST_REDIS_URL)"; exit 0; }
  echo "FAIL: api_probe needs APS_TEST_PG_URL and APS_TEST_REDIS_URL (scripts/pgtest, scripts/redistest); APS_TEST_PG_OPTIONAL=1 skips it"
  exit 1
fi
work=$(mktemp -d)
pid=""
pgdb="aps_it_probe_$$"
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
docs="$APS_SOURCE_DIR/web/dist/api-docs"
[ -f "$docs/index.html" ] || bash "$APS_SOURCE_DIR/web/build-api-docs.sh" >/dev/null
psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" >/dev/null || exit 1
export ENVIRONMENT=development LOG_LEVEL=WARNING API_DOCS_DIR="$docs"
export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb" REDIS_URL=$APS_TEST_REDIS_URL
export REDIS_KEY_PREFIX="aps-probe-$$" RATE_LIMIT_PER_MIN=1000000
export JWT_SECRET="api-probe-integration-secret-0123456789abcdef"
export PASSWORD_BLOCKLIST_FILE=/usr/share/dict/cracklib-small
unset TRUSTED_PROXIES CORS_ORIGINS
PASSWORD="correct horse battery staple"

"$APS_BIN" migrate >/dev/null || exit 1
printf '%s\n' "$PASSWORD" > "$work/pw"
for who in user:user pro:pro analyst:analyst operator:operator admin:admin admin2:admin victim:admin pw:user; do
  "$APS_BIN" user create --email "probe-${who%%:*}@example.com" --role "${who#*:}" \
    --password-file "$work/pw" >/dev/null || { echo "FAIL: user create ${who%%:*}"; exit 1; }
done
now=$(date +%s)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 >/dev/null <<EOF || exit 1
INSERT INTO sports (code, name, kind, three_way) VALUES ('NFL', 'National Football League', 'team', 0);
INSERT INTO teams (sport_id, key, name) VALUES (1, 'KC', 'Kansas City Chiefs'), (1, 'BAL', 'Baltimore Ravens');
INSERT INTO seasons (sport_id, label) VALUES (1, '2024');
INSERT INTO games (sport_id, season_id, game_date, home_team_id, away_team_id, start_time, time_known,
  status, created_at, updated_at) VALUES
  (1, 1, '$(date -u -d "@$((now + 86400))" +%F)', 1, 2, $((now + 86400)), 1, 'scheduled', 0, 0);
INSERT INTO sportsbooks (key, name, is_sharp, is_aggregate) VALUES ('pinnacle', 'Pinnacle', 1, 0);
INSERT INTO odds (game_id, book_id, market, selection, phase, recorded_at, line, price) VALUES
  (1, 1, 'moneyline', 'home', 'live', $((now - 60)), NULL, 1.95),
  (1, 1, 'moneyline', 'away', 'live', $((now - 60)), NULL, 1.95);
EOF

"$APS_BIN" api --host 127.0.0.1 --port 0 --threads 4 > "$work/api.log" 2>&1 &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o '"port":[0-9]*' "$work/api.log" 2>/dev/null | head -1 | cut -d: -f2)
  [ -n "$port" ] && [ "$port" != 0 ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: aps api did not start"; cat "$work/api.log"; exit 1; }

python3 "$APS_SOURCE_DIR/tests/integration/lib/api_probe.py" "http://127.0.0.1:$port" "$JWT_SECRET" \
  "$PASSWORD" "psql $DATABASE_URL -Atqc"
rc=$?
kill -0 "$pid" 2>/dev/null || { echo "FAIL: the api died during the probe"; tail -20 "$work/api.log"; rc=1; }
n500=$(grep -c '"msg":"server error"' "$work/api.log")
[ "$n500" = 0 ] || { echo "FAIL: $n500 server errors logged:"; grep '"server error"' "$work/api.log" | head -5; rc=1; }
exit $rc
