#!/usr/bin/env bash
# api_core.sh — the API server end to end: starts the real `aps api` on a free port against a
# temporary SQLite store and checks the health endpoints, the error envelopes of 404/405/413/414/
# 431/400, the request id on every response, keep-alive over one connection, the OpenAPI document
# and the docs page, ETag/304, /metrics counting requests, an access log without secrets, and a
# SIGTERM that lets slow in-flight downloads finish before the process exits 0.
# Needs: APS_BIN, APS_SOURCE_DIR; curl and jq; npm (once) to build the docs page.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
: "${APS_SOURCE_DIR:?APS_SOURCE_DIR is the source tree}"
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}

docs="$APS_SOURCE_DIR/web/dist/api-docs"
[ -f "$docs/index.html" ] || bash "$APS_SOURCE_DIR/web/build-api-docs.sh" >/dev/null

export ENVIRONMENT=development LOG_LEVEL=INFO DATABASE_URL="sqlite:///$work/aps.db"
export API_DOCS_DIR="$docs" API_DRAIN_SECONDS=30 RATE_LIMIT_PER_MIN=100000
unset REDIS_URL DATABASE_REPLICA_URL
"$APS_BIN" api --host 127.0.0.1 --port 0 > "$work/out.log" 2> "$work/err.log" &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -m1 '"msg":"listening"' "$work/out.log" 2>/dev/null | jq -r .port || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: aps api did not start"; cat "$work/err.log"; exit 1; }
base="http://127.0.0.1:$port"
health_gets=0

# req METHOD PATH [curl args…] — writes body to $work/body, headers to $work/hdr; prints status.
req() {
  local m=$1 p=$2; shift 2
  curl -s -o "$work/body" -D "$work/hdr" -w '%{http_code}' -X "$m" "$@" "$base$p"
}
hdr() { grep -i "^$1:" "$work/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
envelope() { # name, status wanted, code wanted, status got
  check "$1: status" "$2" "$4"
  check "$1: error code" "$3" "$(jq -r .error.code "$work/body")"
  check "$1: details array" "array" "$(jq -r '.error.details | type' "$work/body")"
  check "$1: request id in body and header" "$(hdr X-Request-ID)" "$(jq -r .request_id "$work/body")"
}

# Health
check "health 200" 200 "$(req GET /api/v1/health)"; health_gets=$((health_gets + 1))
check "health status" ok "$(jq -r .status "$work/body")"
check "health version" 2.0.0 "$(jq -r .version "$work/body")"
check "request id is 32 hex" 32 "$(hdr X-Request-ID | tr -dc 0-9a-f | wc -c)"
check "X-Response-Time present" 1 "$(hdr X-Response-Time | grep -c 'ms$')"
check "live 200" 200 "$(req GET /api/v1/health/live)"
check "ready 200" 200 "$(req GET /api/v1/health/ready)"
check "ready status" ready "$(jq -r .status "$work/body")"
check "root /health 200" 200 "$(req GET /health)"
envelope "detailed needs VIEW_HEALTH" 401 UNAUTHORIZED "$(req GET /api/v1/health/detailed)"

# Dispatcher errors
envelope "unknown route" 404 NOT_FOUND "$(req GET /api/v1/no/such/thing)"
envelope "wrong method" 405 METHOD_NOT_ALLOWED "$(req DELETE /api/v1/health)"
check "405 Allow" GET "$(hdr Allow)"
post_route=$(curl -s "$base/api/v1/openapi.json" | jq -r '[.paths | to_entries[] | select(.value.post) | .key | select(test("[{]") | not)][0]')
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$work/big"
envelope "body over 1 MiB ($post_route)" 413 PAYLOAD_TOO_LARGE \
  "$(req POST "$post_route" -H 'Content-Type: application/json' --data-binary @"$work/big")"
long=$(head -c 5000 /dev/zero | tr '\0' a)
envelope "URL over 4 KiB" 414 URI_TOO_LONG "$(req GET "/api/v1/health?x=$long")"
bighdr=$(head -c 10000 /dev/zero | tr '\0' b)
envelope "headers over 8 KiB" 431 HEADERS_TOO_LARGE "$(req GET /api/v1/health -H "X-Big: $bighdr")"
deep="$(printf '[%.0s' $(seq 40))$(printf ']%.0s' $(seq 40))"
envelope "JSON nested 40 deep" 400 VALIDATION_ERROR \
  "$(req POST "$post_route" -H 'Content-Type: application/json' --data-binary "$deep")"
envelope "malformed JSON" 400 VALIDATION_ERROR \
  "$(req POST "$post_route" -H 'Content-Type: application/json' --data-binary '{"a":')"

# Keep-alive: five requests, one connection.
curl -sv -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
  "$base/api/v1/health" "$base/api/v1/health" "$base/api/v1/health" "$base/api/v1/health" \
  "$base/api/v1/health" 2> "$work/ka.log"
health_gets=$((health_gets + 5))
check "keep-alive: one connection for five requests" 1 "$(grep -c 'Connected to' "$work/ka.log")"
check "keep-alive: connection re-used four times" 4 "$(grep -c 'Re-using existing connection' "$work/ka.log")"

# OpenAPI: every route of the table is in the unit test; here the served document.
check "openapi 200" 200 "$(req GET /api/v1/openapi.json)"
check "openapi version" 3.1.0 "$(jq -r .openapi "$work/body")"
check "openapi lists the health routes" 4 \
  "$(jq '[.paths | keys[] | select(startswith("/api/v1/health"))] | length' "$work/body")"
check "openapi marks detailed as VIEW_HEALTH" VIEW_HEALTH \
  "$(jq -r '.paths["/api/v1/health/detailed"].get["x-permission"]' "$work/body")"
check "openapi: second GET from the cache" HIT "$(req GET /api/v1/openapi.json >/dev/null; hdr X-Cache)"
etag=$(hdr ETag)
check "openapi: If-None-Match gives 304" 304 "$(req GET /api/v1/openapi.json -H "If-None-Match: $etag")"

# Docs page from the npm package.
check "docs page 200" 200 "$(req GET /api/v1/docs)"
check "docs page is HTML" 1 "$(grep -c 'swagger-ui-bundle.js' "$work/body")"
check "docs asset 200" 200 "$(req GET /api/v1/docs/swagger-ui.css)"
check "docs asset content type" "text/css; charset=utf-8" "$(hdr Content-Type)"
check "docs: no way out of the folder" 404 "$(req GET /api/v1/docs/..%2f..%2fpasswd)"
check "docs: dot files refused" 404 "$(req GET /api/v1/docs/.gitignore)"

# Secrets stay out of the access log.
check "bad bearer token is 401" 401 \
  "$(req GET "/api/v1/health?api_key=SECRETQUERY123" -H 'Authorization: Bearer SECRETTOKEN456')"

# Metrics count what was served.
check "metrics 200" 200 "$(req GET /metrics)"
check "metrics content type" "text/plain; version=0.0.4; charset=utf-8" "$(hdr Content-Type)"
check "metrics count health GETs" "$health_gets" \
  "$(grep '^aps_http_requests_total{route="/api/v1/health",method="GET",status="200"}' "$work/body" | awk '{print $2}')"
check "metrics: 404s counted under unmatched (no such route, ../ path)" 2 \
  "$(grep '^aps_http_requests_total{route="unmatched",method="GET",status="404"}' "$work/body" | awk '{print $2}')"
check "metrics: resident memory" 1 "$(grep -c '^process_resident_memory_bytes ' "$work/body")"
check "metrics: latency histogram" 1 \
  "$(grep -c '^aps_http_request_duration_seconds_bucket{route="/api/v1/health",method="GET",status="200",le="+Inf"}' "$work/body")"
check "metrics also at /api/v1/metrics" 200 "$(req GET /api/v1/metrics)"

# The access log is written in batches (at most 5 ms after a request): wait up to 2 s for the line.
rid=$(hdr X-Request-ID)
lines_of_rid() { grep '"msg":"request"' "$work/out.log" | grep -c "\"request_id\":\"$rid\"" || true; }
for _ in $(seq 40); do [ "$(lines_of_rid)" -ge 1 ] && break; sleep 0.05; done
check "access log: one line per request id" 1 "$(lines_of_rid)"
check "access log: token never written" 0 "$(grep -c SECRETTOKEN456 "$work/out.log" || true)"
check "access log: query never written" 0 "$(grep -c SECRETQUERY123 "$work/out.log" || true)"
check "access log lines are JSON" 0 "$(grep '"msg":"request"' "$work/out.log" | jq -e . >/dev/null 2>&1; echo $?)"

# SIGTERM with requests in flight: twelve clients upload a 900 KB JSON body at 300 KB/s, so
# each request is still being received when the signal arrives; each must still be answered 200.
{ printf '{"pad":"'; head -c 900000 /dev/zero | tr '\0' a; printf '"}'; } > "$work/slow.json"
for i in $(seq 12); do
  curl -s --limit-rate 300k -X GET -H 'Content-Type: application/json' --data-binary @"$work/slow.json" \
    -o "$work/slow$i" -w '%{http_code}' "$base/api/v1/health" > "$work/code$i" &
done
# polled (each upload takes 3 s): all twelve are being received before the signal is sent
in_flight_12() { curl -s "$base/metrics" | awk '/^aps_http_in_flight /{print ($2 >= 12)}'; }
for _ in $(seq 25); do [ "$(in_flight_12)" = 1 ] && break; sleep 0.1; done
check "uploads in flight at SIGTERM" 1 "$(in_flight_12)"
kill -TERM "$pid"
sleep 0.3
check "new connections refused while draining" 000 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/api/v1/health" || true)"
rc=0
wait "$pid" || rc=$?
pid=""
check "exit code after SIGTERM" 0 "$rc"
wait
ok=0
for i in $(seq 12); do
  [ "$(cat "$work/code$i")" = 200 ] && [ "$(jq -r .status "$work/slow$i")" = ok ] && ok=$((ok + 1))
done
check "in-flight requests answered 200 during the drain" 12 "$ok"
check "drain logged with the uploads in flight" 1 \
  "$(grep '"msg":"draining"' "$work/out.log" | jq '.in_flight >= 12' | grep -c true)"
check "stop logged" 1 "$(grep -c '"msg":"stopped"' "$work/out.log")"

echo "api_core: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
