#!/usr/bin/env bash
# api_edge.sh — the API's edge against the real `aps api`: which address a request is counted
# under (X-Forwarded-For only from TRUSTED_PROXIES), CORS driven by CORS_ORIGINS (preflight,
# allowed origins, credentials, Vary), the security headers, control bytes in the URL, HTTP/1.1
# without Host, the JSON envelope on every error the server itself answers, and the allocator
# setting the api restarts itself with (GLIBC_TUNABLES).
# Two servers on one SQLite store: "plain" (no TRUSTED_PROXIES, no CORS_ORIGINS, the defaults) and
# "proxied" (TRUSTED_PROXIES=127.0.0.1/32, CORS_ORIGINS=https://app.example.com).
# Needs: APS_BIN, APS_SOURCE_DIR, curl, jq.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
: "${APS_SOURCE_DIR:?APS_SOURCE_DIR is the source tree}"
for tool in curl jq; do
  command -v $tool >/dev/null || { echo "api_edge: $tool is required"; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
docs="$APS_SOURCE_DIR/web/dist/api-docs"
[ -f "$docs/index.html" ] || bash "$APS_SOURCE_DIR/web/build-api-docs.sh" >/dev/null
# a dashboard page of its own: its headers are what is checked here (the real dashboard runs in
# dashboard_browser, where a style its policy refuses fails the test)
mkdir -p "$work/dash"
echo '<!doctype html><title>dashboard</title>' > "$work/dash/index.html"
export ENVIRONMENT=development LOG_LEVEL=WARNING DATABASE_URL="sqlite:///$work/aps.db" REDIS_URL=
export JWT_SECRET="api-edge-integration-secret-0123456789abcdef" API_DOCS_DIR="$docs"
export DASHBOARD_DIR="$work/dash"
export RATE_LIMIT_PER_MIN=3
unset TRUSTED_PROXIES CORS_ORIGINS
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}

. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/api_process.sh"
# req PORT METHOD PATH [curl args…] → prints the status; body in $work/body, headers in $work/hdr
req() {
  local p=$1 m=$2 path=$3
  shift 3
  curl -s -o "$work/body" -D "$work/hdr" -w '%{http_code}' -X "$m" "$@" "http://127.0.0.1:$p$path"
}
hdr() { grep -i "^$1:" "$work/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
has_hdr() { grep -ci "^$1:" "$work/hdr"; }
code() { jq -r '.error.code + " " + (.request_id | length | tostring)' "$work/body" 2>/dev/null; }
login_400() { req "$1" POST /api/v1/auth/login -H 'Content-Type: application/json' -d '{}' "${@:2}"; }

"$APS_BIN" migrate >/dev/null
printf 'correct horse battery staple\n' > "$work/pw"
"$APS_BIN" user create --email edge@example.com --role user --password-file "$work/pw" >/dev/null
unset GLIBC_TUNABLES
start_api plain
P=$port
plain_pid=${pids[-1]}
export TRUSTED_PROXIES=127.0.0.1/32 CORS_ORIGINS=https://app.example.com
start_api proxied
X=$port
unset TRUSTED_PROXIES CORS_ORIGINS

# ---- X-Forwarded-For and the per-address rate limit ------------------------------------------
# A limit of 3 a minute on a public route; each request forges a new X-Forwarded-For. The
# checks below count on every request of this section falling in one minute.
avoid_minute_edge 20
codes=""
for i in 1 2 3 4; do codes="$codes $(login_400 "$P" -H "X-Forwarded-For: 203.0.113.$i")"; done
check "X-Forwarded-For from an untrusted peer does not start a fresh rate-limit bucket" \
  " 400 400 400 429" "$codes"
codes=""
for i in 1 2 3; do codes="$codes $(login_400 "$X" -H "X-Forwarded-For: 198.51.100.7")"; done
codes="$codes $(login_400 "$X" -H "X-Forwarded-For: 198.51.100.7")"
codes="$codes $(login_400 "$X" -H "X-Forwarded-For: 198.51.100.8")"
check "behind a trusted proxy each client has its own bucket" " 400 400 400 429 400" "$codes"
# A client that writes its own X-Forwarded-For before the proxy appends the real one: the
# rightmost address the trusted proxy did not add is the client.
check "a forged hop in front of the proxy's entry is ignored" 429 \
  "$(login_400 "$X" -H "X-Forwarded-For: 192.0.2.99, 198.51.100.7")"
check "an unreadable hop stops at the proxy" 429 \
  "$(login_400 "$X" -H "X-Forwarded-For: junk, 198.51.100.7")"

# ---- CORS ----------------------------------------------------------------------------------
check "CORS_ORIGINS unset: no Access-Control header" "200 0" \
  "$(req "$P" GET /api/v1/health -H 'Origin: https://app.example.com') $(has_hdr Access-Control-Allow-Origin)"
check "CORS_ORIGINS unset: a preflight gets no grant" 0 \
  "$(req "$P" OPTIONS /api/v1/games -H 'Origin: https://app.example.com' \
       -H 'Access-Control-Request-Method: GET' >/dev/null; has_hdr Access-Control-Allow-Origin)"
st=$(req "$X" OPTIONS /api/v1/games -H 'Origin: https://app.example.com' \
  -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: authorization, content-type')
check "CORS preflight of an allowed origin: 204" 204 "$st"
check "preflight: the origin echoed" https://app.example.com "$(hdr Access-Control-Allow-Origin)"
check "preflight: methods of the path" 1 "$(hdr Access-Control-Allow-Methods | grep -c GET)"
check "preflight: Authorization allowed" 1 "$(hdr Access-Control-Allow-Headers | grep -ci authorization)"
check "preflight: credentials for a named origin" true "$(hdr Access-Control-Allow-Credentials)"
check "preflight: Vary: Origin" Origin "$(hdr Vary)"
st=$(req "$X" OPTIONS /api/v1/games -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: GET')
check "CORS preflight of another origin: 403 envelope" "403 CORS_REJECTED 32" "$st $(code)"
check "  and no grant" 0 "$(has_hdr Access-Control-Allow-Origin)"
st=$(req "$X" OPTIONS /api/v1/games -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: DELETE')
check "CORS preflight of a method the path lacks: 403" 403 "$st"
st=$(req "$X" OPTIONS /api/v1/games -H 'Origin: https://app.example.com' \
  -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: X-Evil')
check "CORS preflight of a header not allowed: 403" 403 "$st"
req "$X" GET /api/v1/health -H 'Origin: https://app.example.com' >/dev/null
check "CORS on an actual request: origin, Vary, exposed headers" "https://app.example.com Origin 1" \
  "$(hdr Access-Control-Allow-Origin) $(hdr Vary) $(hdr Access-Control-Expose-Headers | grep -c X-Request-ID)"
req "$X" GET /api/v1/health -H 'Origin: https://evil.example' >/dev/null
check "CORS: another origin gets Vary but no grant" "Origin 0" "$(hdr Vary) $(has_hdr Access-Control-Allow-Origin)"

# ---- security headers ----------------------------------------------------------------------
req "$P" GET /api/v1/health >/dev/null
check "X-Content-Type-Options: nosniff on JSON" nosniff "$(hdr X-Content-Type-Options)"
req "$P" GET /api/v1/nope >/dev/null
check "X-Content-Type-Options: nosniff on errors" nosniff "$(hdr X-Content-Type-Options)"
st=$(req "$X" POST /api/v1/auth/login -H 'Content-Type: application/json' -H 'X-Forwarded-For: 10.8.8.8' \
  -d '{"email":"edge@example.com","password":"correct horse battery staple"}')
check "login answer (tokens) is Cache-Control: no-store" "200 no-store" "$st $(hdr Cache-Control)"
token=$(jq -r .access_token "$work/body")
req "$X" GET /api/v1/auth/me -H "Authorization: Bearer $token" -H 'X-Forwarded-For: 10.9.9.9' >/dev/null
check "personal data is Cache-Control: no-store" no-store "$(hdr Cache-Control)"
req "$P" GET /api/v1/docs >/dev/null
check "docs page: CSP" 1 "$(hdr Content-Security-Policy | grep -c "frame-ancestors 'none'")"
check "docs page: X-Frame-Options" DENY "$(hdr X-Frame-Options)"
check "docs page: Referrer-Policy" no-referrer "$(hdr Referrer-Policy)"
check "docs page: nosniff" nosniff "$(hdr X-Content-Type-Options)"
check "docs page: inline styles allowed (Swagger UI)" 1 "$(hdr Content-Security-Policy | grep -c "style-src 'self' 'unsafe-inline';")"
req "$P" GET / >/dev/null
check "dashboard page: HTML" text/html "$(hdr Content-Type | cut -d';' -f1)"
check "dashboard page: styles from its own files only" 1 "$(hdr Content-Security-Policy | grep -c "style-src 'self'; ")"
check "dashboard page: X-Frame-Options" DENY "$(hdr X-Frame-Options)"

# ---- control bytes, Host -------------------------------------------------------------------
# (through the proxied server, one client address each, so the rate limit stays out of the way)
n=0
nul() { n=$((n + 1)); req "$X" GET "$1" -H "X-Forwarded-For: 10.1.0.$n"; }
check "%00 in a path: 400 (not game 1)" "400 BAD_REQUEST 32" "$(nul '/api/v1/games/1%00') $(code)"
check "%00 in a docs file name: 400 (not index.html)" 400 "$(nul '/api/v1/docs/index.html%00.css')"
check "%00 in a query value: 400" 400 "$(nul '/api/v1/health?x=1%00')"
check "%0a in a query value: 400" 400 "$(nul '/api/v1/health?x=%0A')"
check "%7f in a path: 400" 400 "$(nul '/api/v1/health%7f')"
check "%20 is not a control byte" 404 "$(nul '/api/v1/health%20x')"
st=$(curl -s -o "$work/body" -w '%{http_code}' -H 'Host:' -H 'X-Forwarded-For: 10.2.0.1' "http://127.0.0.1:$X/api/v1/health")
check "HTTP/1.1 without Host: 400 envelope" "400 BAD_REQUEST 32" "$st $(code)"
st=$(curl -s -o "$work/body" -w '%{http_code}' --http1.0 -H 'Host:' -H 'X-Forwarded-For: 10.2.0.2' "http://127.0.0.1:$X/api/v1/health")
check "HTTP/1.0 without Host is fine" 200 "$st"

# ---- libmicrohttpd's own answers are the envelope too --------------------------------------
# Past the connection's memory pool (16 KiB) the library answers before our code runs.
is_envelope() { jq -e '(.error.code | type) == "string" and (.error.details | type) == "array" and (.request_id | length) == 32' "$work/body" >/dev/null 2>&1 && echo yes || echo no; }
long=$(head -c 70000 /dev/zero | tr '\0' a)
st=$(curl -s -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$P/api/v1/health?x=$long")
check "libmicrohttpd's 414 (URL of 70 KB) is the JSON envelope" "414 yes" "$st $(is_envelope)"
st=$(curl -s -o "$work/body" -w '%{http_code}' -H "X-Big: $long" "http://127.0.0.1:$P/api/v1/health")
check "libmicrohttpd's 431 (a 70 KB header) is the JSON envelope" "431 yes" "$st $(is_envelope)"
exec 3<>"/dev/tcp/127.0.0.1/$P"
printf '\x16\x03\x01 not http\r\n\r\n' >&3
timeout 5 cat <&3 > "$work/raw"
exec 3<&-
sed '1,/^\r$/d' "$work/raw" > "$work/body"
check "libmicrohttpd's 400 (a malformed request line) is the JSON envelope" "400 yes" \
  "$(head -1 "$work/raw" | cut -d' ' -f2) $(is_envelope)"

# ---- request framing -----------------------------------------------------------------------
# A body whose length two readers could take differently is refused and the connection closed,
# so bytes after the declared body are never served as a second request (a proxy in front that
# read the other length would have passed them on as part of the body). Counted from the
# server's side: the health GETs its metrics show before and after (the client may not read the
# refusal itself: the server closes with the smuggled bytes unread, and the reset can beat it).
raw() { # PORT REQUEST: sends it on one connection and reads until the server closes
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  (trap '' PIPE; printf '%b' "$2" >&3) 2>/dev/null # the server may close before all is written
  timeout 5 cat <&3 > "$work/raw" 2>/dev/null
  exec 3<&-
}
health_served() {
  curl -s "http://127.0.0.1:$P/metrics" |
    awk '/^aps_http_requests_total\{route="\/api\/v1\/health",method="GET",status="200"\}/ {print $2}'
}
smuggled='GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n'
h0=$(health_served)
raw "$P" "${smuggled}GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
check "two requests on one connection are both served (the counting is not blind)" \
  "$((h0 + 2)) 2" "$(health_served) $(grep -ao 'HTTP/1.1 200' "$work/raw" | wc -l)"
h0=$(health_served)
raw "$P" "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 50\r\n\r\n{}$smuggled"
raw "$P" "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggled"
check "two Content-Length headers, or one beside Transfer-Encoding: the bytes after the body are not served" \
  "$h0" "$(health_served)"
raw "$P" "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
check "two Content-Length headers: 400" 400 "$(grep -ao 'HTTP/1.1 [0-9]*' "$work/raw" | cut -d' ' -f2)"
raw "$P" "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
check "an unknown Transfer-Encoding: 501 at once" 501 "$(grep -ao 'HTTP/1.1 [0-9]*' "$work/raw" | cut -d' ' -f2)"

# ---- the allocator setting the api starts itself again with -------------------------------
# glibc reads GLIBC_TUNABLES once, at start-up: `aps api` restarts itself once (same pid) with
# glibc.malloc.tcache_count=256 added, and leaves an operator's own tcache count alone.
environ_of() { tr '\0' '\n' < "/proc/$1/environ" | grep -E '^(GLIBC_TUNABLES|APS_MALLOC_TUNED)=' | sort | paste -sd' '; }
check "the api runs with glibc's tcache count raised, restarted once" \
  "APS_MALLOC_TUNED=1 GLIBC_TUNABLES=glibc.malloc.tcache_count=256" "$(environ_of "$plain_pid")"
check "the api answers after restarting itself" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/api/v1/health")"
GLIBC_TUNABLES=glibc.malloc.tcache_count=7 start_api own-tcache
check "an operator's tcache count stands, and the api does not restart" \
  "GLIBC_TUNABLES=glibc.malloc.tcache_count=7" "$(environ_of "${pids[-1]}")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
