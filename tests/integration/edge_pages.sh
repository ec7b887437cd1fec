#!/usr/bin/env bash
# edge_pages.sh — the pages the edge nginx serves, from deploy/nginx/nginx.conf and its snippets
# as deployed (only what compose mounts is moved: the snippets, the generated listen and upstream
# files, a self-signed certificate and the built web/dist; `user` and the pid file dropped for a
# run without root's nginx user): the dashboard at /, /index.html and /dashboard, its bundle under
# /assets/, the API docs page and the API behind them, each answered with its security headers
# (a Content-Security-Policy that allows scripts from the site's own files only and no framing,
# X-Frame-Options, nosniff, Referrer-Policy, HSTS); the docs page gets the policy `aps api` gives
# it. One `aps api` on SQLite is the upstream. Needs: APS_BIN, nginx, openssl, python3, curl, jq.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in nginx openssl python3 curl jq; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is missing (scripts/bootstrap installs it)"; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
  [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid")" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() { if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

[ -f "$SRC/web/dist/dashboard/index.html" ] || bash "$SRC/web/build-dashboard.sh" > /dev/null ||
  { echo "FAIL: the dashboard does not build"; exit 1; }
[ -f "$SRC/web/dist/api-docs/index.html" ] || bash "$SRC/web/build-api-docs.sh" > /dev/null ||
  { echo "FAIL: the docs page does not build"; exit 1; }

export ENVIRONMENT=development LOG_LEVEL=WARNING APS_MIGRATIONS_DIR="$SRC/migrations" REDIS_URL=
export DATABASE_URL="sqlite:///$work/aps.db" API_DOCS_DIR="$SRC/web/dist/api-docs"
export DASHBOARD_DIR="$SRC/web/dist/dashboard"
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
# shellcheck source=lib/api_process.sh
. "$(dirname "$0")/lib/api_process.sh"
start_api api
api=$port

# the edge: the deployed configuration with the mounted paths moved under $work
mkdir -p "$work/generated" "$work/tls" "$work/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout "$work/tls/privkey.pem" \
  -out "$work/tls/fullchain.pem" 2> /dev/null || { echo "FAIL: openssl"; exit 1; }
http=$(free_port) https=$(free_port)
echo "listen 127.0.0.1:$http;" > "$work/generated/listen-http.conf"
echo "listen 127.0.0.1:$https ssl;" > "$work/generated/listen-https.conf"
printf 'upstream api {\n    server 127.0.0.1:%s;\n    keepalive 8;\n}\n' "$api" > "$work/generated/upstream-api.conf"
mkdir -p "$work/snippets"
for f in "$SRC"/deploy/nginx/snippets/*.conf; do
  sed "s|/etc/nginx/tls/|$work/tls/|g" "$f" > "$work/snippets/$(basename "$f")"
done
temp=""
for t in client_body proxy fastcgi uwsgi scgi; do temp+="    ${t}_temp_path $work/tmp;\n"; done
sed -e '/^user /d' -e "s|^pid .*|pid $work/nginx.pid;|" -e "s|access_log /dev/stdout json;|access_log off;|" \
  -e "s|/etc/nginx/snippets/|$work/snippets/|g" -e "s|/etc/nginx/generated/|$work/generated/|g" \
  -e "s|/usr/share/aps/web/|$SRC/web/dist/|g" -e "s|^http {|http {\n$temp|" \
  "$SRC/deploy/nginx/nginx.conf" > "$work/nginx.conf"
nginx -t -q -c "$work/nginx.conf" -e "$work/nginx-error.log" 2>&1 || { echo "FAIL: nginx -t"; exit 1; }
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" 2> /dev/null || { echo "FAIL: nginx did not start"; exit 1; }
for _ in $(seq 50); do curl -sk -o /dev/null "https://127.0.0.1:$https/nginx-health" && break; sleep 0.1; done

# get URL → the status; the body in $work/body, the headers in $work/hdr
get() { curl -sk -o "$work/body" -D "$work/hdr" -w '%{http_code}' "$1"; }
hdr() { grep -i "^$1:" "$work/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
# the security headers of the answer, each with how many times it came: one each, always
# (the api sends some of them itself; a header twice is a list to a browser, "DENY, DENY")
once() {
  local h out=""
  for h in Strict-Transport-Security X-Content-Type-Options X-Frame-Options Referrer-Policy; do
    out+="$h=$(grep -ci "^$h:" "$work/hdr") "
  done
  echo "$out"
}
ONCE="Strict-Transport-Security=1 X-Content-Type-Options=1 X-Frame-Options=1 Referrer-Policy=1 "
# one directive of the answer's Content-Security-Policy, as written
csp() { hdr Content-Security-Policy | tr ';' '\n' | sed 's/^ *//' | grep "^$1 "; }
E="https://127.0.0.1:$https"

for path in / /index.html /dashboard; do
  st=$(get "$E$path")
  check "dashboard at $path: 200, the page" "200 1" "$st $(grep -c '<title>AI PRO SPORTS</title>' "$work/body")"
  check "dashboard at $path: HTML" text/html "$(hdr Content-Type | cut -d';' -f1)"
  check "dashboard at $path: scripts from its own files only (no inline script)" "script-src 'self'" "$(csp script-src)"
  check "dashboard at $path: styles from its own files only" "style-src 'self'" "$(csp style-src)"
  check "dashboard at $path: not framed" "frame-ancestors 'none'" "$(csp frame-ancestors)"
  check "dashboard at $path: X-Frame-Options" DENY "$(hdr X-Frame-Options)"
  check "dashboard at $path: nosniff" nosniff "$(hdr X-Content-Type-Options)"
  check "dashboard at $path: Referrer-Policy" no-referrer "$(hdr Referrer-Policy)"
  check "dashboard at $path: HSTS" "max-age=31536000; includeSubDomains" "$(hdr Strict-Transport-Security)"
  check "dashboard at $path: revalidated" no-cache "$(hdr Cache-Control)"
  check "dashboard at $path: each security header once" "$ONCE" "$(once)"
done

js=$(basename "$SRC"/web/dist/dashboard/assets/app-*.js)
st=$(get "$E/assets/$js")
check "the bundle: 200, cached for good" "200 public, max-age=31536000, immutable" "$st $(hdr Cache-Control)"
check "the bundle: nosniff" nosniff "$(hdr X-Content-Type-Options)"
check "the bundle: each security header once" "$ONCE" "$(once)"

# the docs page: the policy `aps api` gives it (Swagger UI's inline styles, scripts from files)
get "http://127.0.0.1:$api/api/v1/docs" > /dev/null
own=$(hdr Content-Security-Policy)
for path in /api/v1/docs /api/v1/docs/index.html; do
  st=$(get "$E$path")
  check "docs page at $path: 200, HTML" "200 text/html" "$st $(hdr Content-Type | cut -d';' -f1)"
  check "docs page at $path: the policy of aps api's docs page" "$own" "$(hdr Content-Security-Policy)"
  check "docs page at $path: scripts from its own files only" "script-src 'self'" "$(csp script-src)"
  check "docs page at $path: not framed" "frame-ancestors 'none'" "$(csp frame-ancestors)"
  check "docs page at $path: X-Frame-Options" DENY "$(hdr X-Frame-Options)"
  check "docs page at $path: nosniff" nosniff "$(hdr X-Content-Type-Options)"
  check "docs page at $path: Referrer-Policy" no-referrer "$(hdr Referrer-Policy)"
  check "docs page at $path: HSTS" "max-age=31536000; includeSubDomains" "$(hdr Strict-Transport-Security)"
  check "docs page at $path: each security header once" "$ONCE" "$(once)"
done

st=$(get "$E/api/v1/health")
check "the API through the edge: 200 JSON, nosniff" "200 application/json nosniff" \
  "$st $(hdr Content-Type | cut -d';' -f1) $(hdr X-Content-Type-Options)"
check "the API through the edge: each security header once" "$ONCE" "$(once)"
check "an API error through the edge: 404" 404 "$(get "$E/api/v1/no-such-route")"
check "an API error through the edge: each security header once" "$ONCE" "$(once)"
check "a refused API request through the edge: 401" 401 "$(get "$E/api/v1/auth/me")"
check "a refused API request through the edge: each security header once" "$ONCE" "$(once)"
check "no other page" 404 "$(get "$E/other.html")"

echo "edge_pages: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
