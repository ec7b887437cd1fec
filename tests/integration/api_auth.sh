#!/usr/bin/env bash
# api_auth.sh — black-box test of accounts and security against the real `aps api` binary, on
# SQLite and (when APS_TEST_PG_URL is set) on PostgreSQL:
#   register / login / refresh (rotation, reuse) / logout / me / password change / 2FA / lockout,
#   API keys (create, list, use, revoke, ownership, refused once the owner's role has no API
#   access), a role change by `aps user role`, the audit log (events present, no secret in it
#   or in the server's log), and an authorization matrix:
#   every route of routes_auth.def × {anonymous, user, pro, analyst, operator, admin, API key,
#   expired token, tampered token, alg-none token}, expected statuses written out below from
#   src/http/perms.h by hand (never computed by the code under test).
# Needs: APS_BIN, APS_BUILD_DIR (for the totp_code helper), curl, jq, openssl; sqlite3 or psql.
# Without APS_TEST_PG_URL the PostgreSQL half fails unless APS_TEST_PG_OPTIONAL=1.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
TOTP=${APS_TOTP_CODE:-${APS_BUILD_DIR:?APS_BUILD_DIR holds tests/mock programs}/totp_code}
[ -x "$TOTP" ] || { echo "api_auth: $TOTP not built"; exit 1; }
work=$(mktemp -d)
server_pid=""
pgdb="aps_it_auth_$$"
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "${APS_TEST_PG_URL:-}" ] && psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

export ENVIRONMENT=development LOG_LEVEL=INFO REDIS_URL=
export JWT_SECRET="api-auth-integration-secret-0123456789abcdef"
export RATE_LIMIT_PER_MIN=1000000
export PASSWORD_BLOCKLIST_FILE=/usr/share/dict/cracklib-small
[ -r "$PASSWORD_BLOCKLIST_FILE" ] || { echo "api_auth: $PASSWORD_BLOCKLIST_FILE is missing (apt-get install cracklib-runtime)"; exit 1; }
unset APS_TEST_REDIS_URL
PASSWORD="correct horse battery staple"
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL [$backend]: $*"; }
check() { # name expected actual
  if [ "$2" == "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}

# req METHOD PATH [BODY] [curl header args...] → $status, $body (file $work/body), $headers
req() {
  local m=$1 p=$2 data=${3:-}
  shift 3 2>/dev/null || shift $#
  local args=(-s -o "$work/body" -D "$work/headers" -w '%{http_code}' -X "$m")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  status=$(curl "${args[@]}" "$@" "http://127.0.0.1:$port$p")
  body=$(cat "$work/body")
}
jf() { jq -r "$1" <<<"$body"; }
bearer() { echo "Authorization: Bearer $1"; }
header() { grep -i "^$1:" "$work/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# sign_jwt HEADER_JSON PAYLOAD_JSON → a token HMAC-SHA256-signed with JWT_SECRET (openssl only)
sign_jwt() {
  local h p s
  h=$(printf '%s' "$1" | b64url)
  p=$(printf '%s' "$2" | b64url)
  s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -hmac "$JWT_SECRET" -binary | b64url)
  echo "$h.$p.$s"
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
  [ -n "$port" ] || { echo "api_auth: server did not start:"; cat "$work/server.log"; exit 1; }
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid"
  check "server exits 0 on SIGTERM" 0 $?
  server_pid=""
}

sql() { # one value from the database under test
  if [ "$backend" = sqlite ]; then sqlite3 "$work/aps.db" "$1"; else psql "$DATABASE_URL" -Atqc "$1"; fi
}

login() { # email [password] → $access $refresh
  req POST /api/v1/auth/login "{\"email\":\"$1\",\"password\":\"${2:-$PASSWORD}\"}"
  access=$(jf .access_token)
  refresh=$(jf .refresh_token)
}

test_register_login() {
  req POST /api/v1/auth/register "{\"email\":\"Ann@Example.com\",\"password\":\"$PASSWORD\",\"name\":\"Ann\"}"
  check "register 201" 201 "$status"
  check "register lower-cases the e-mail" ann@example.com "$(jf .email)"
  check "register gives role user" user "$(jf .role)"
  check "register never echoes a hash" null "$(jf .password_hash)"
  req POST /api/v1/auth/register "{\"email\":\"ann@example.com\",\"password\":\"$PASSWORD\"}"
  check "duplicate e-mail 409" 409 "$status"
  req POST /api/v1/auth/register '{"email":"bob@example.com","password":"short"}'
  check "weak password 400" "400 VALIDATION_ERROR password" "$status $(jf .error.code) $(jf '.error.details[0].field')"
  # Length in characters (NFC code points), not bytes; the common-password list
  # (PASSWORD_BLOCKLIST_FILE, cracklib's) refused, with digits and symbols around a word too.
  local e11 e12
  e11=$(printf 'é%.0s' $(seq 11)) e12=$(printf 'é%.0s' $(seq 12))
  req POST /api/v1/auth/register "{\"email\":\"e11-$backend@example.com\",\"password\":\"$e11\"}"
  check "11 × é is 11 characters: 400" "400 password" "$status $(jf '.error.details[0].field')"
  req POST /api/v1/auth/register "{\"email\":\"e12-$backend@example.com\",\"password\":\"$e12\"}"
  check "12 × é is enough" 201 "$status"
  req POST /api/v1/auth/register "{\"email\":\"pw-$backend@example.com\",\"password\":\"Password2024!\"}"
  check "a common password is refused" "400 password" "$status $(jf '.error.details[0].field')"
  req POST /api/v1/auth/register "{\"email\":\"pw-$backend@example.com\",\"password\":\"sunflower123456\"}"
  check "a dictionary word with digits is refused" 400 "$status"
  req POST /api/v1/auth/register '{"email":"not-an-email","password":12,"name":[]}'
  check "every bad field reported" "400 email,name,password" "$status $(jf '[.error.details[].field] | sort | join(",")')"
  req POST /api/v1/auth/register '[1,2]'
  check "a non-object body 400" 400 "$status"
  req POST /api/v1/auth/login "{\"email\":\"ann@example.com\",\"password\":\"wrong password here\"}"
  check "wrong password 401" "401 INVALID_CREDENTIALS" "$status $(jf .error.code)"
  req POST /api/v1/auth/login "{\"email\":\"nobody@example.com\",\"password\":\"$PASSWORD\"}"
  check "unknown e-mail 401, same code" "401 INVALID_CREDENTIALS" "$status $(jf .error.code)"
  login ANN@example.com
  check "login 200" 200 "$status"
  check "login token_type" bearer "$(jf .token_type)"
  check "login expires_in is 15 minutes" 900 "$(jf .expires_in)"
  check "login returns the user" ann@example.com "$(jf .user.email)"
  check "refresh token is opaque (43 chars)" 43 "${#refresh}"
  req GET /api/v1/auth/me "" -H "$(bearer "$access")"
  check "me 200" "200 ann@example.com bearer" "$status $(jf .email) $(jf .auth)"
  req GET /api/v1/auth/me ""
  check "me without a token 401" 401 "$status"
  req GET /api/v1/auth/me "" -H "Authorization: Basic YTpi"
  check "me with a non-bearer scheme 401" "401 INVALID_TOKEN" "$status $(jf .error.code)"
}

test_refresh_logout() {
  login ann@example.com
  local r1=$refresh a1=$access
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$r1\"}"
  check "refresh 200" 200 "$status"
  local r2 a2
  r2=$(jf .refresh_token) a2=$(jf .access_token)
  check "refresh rotates the token" 1 "$([ "$r1" != "$r2" ] && echo 1)"
  req GET /api/v1/auth/me "" -H "$(bearer "$a2")"
  check "the refreshed access token works" 200 "$status"
  req GET /api/v1/auth/me "" -H "$(bearer "$a1")"
  check "the access token from before the rotation still works" 200 "$status"
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$r1\"}"
  check "reuse of a rotated refresh token 401" "401 TOKEN_REUSED" "$status $(jf .error.code)"
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$r2\"}"
  check "reuse revoked the chain" "401 INVALID_TOKEN" "$status $(jf .error.code)"
  req GET /api/v1/auth/me "" -H "$(bearer "$a2")"
  check "reuse revoked the chain's access tokens" "401 INVALID_TOKEN" "$status $(jf .error.code)"
  req POST /api/v1/auth/refresh '{"refresh_token":"made-up"}'
  check "unknown refresh token 401" 401 "$status"
  login ann@example.com
  req POST /api/v1/auth/logout "{\"refresh_token\":\"$refresh\"}" -H "$(bearer "$access")"
  check "logout 200" "200 true" "$status $(jf .revoked)"
  req GET /api/v1/auth/me "" -H "$(bearer "$access")"
  check "access token revoked on logout" "401 INVALID_TOKEN" "$status $(jf .error.code)"
  revoked_refresh=$refresh
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$refresh\"}"
  check "revoked refresh token 401" "401 INVALID_TOKEN" "$status $(jf .error.code)"
}

test_password_change() {
  login ann@example.com
  local a=$access r=$refresh
  login ann@example.com
  local other_refresh=$refresh
  req PUT /api/v1/auth/me/password '{"current_password":"wrong password here","new_password":"another long password"}' -H "$(bearer "$a")"
  check "wrong current password 400" "400 current_password" "$status $(jf '.error.details[0].field')"
  req PUT /api/v1/auth/me/password "{\"current_password\":\"$PASSWORD\",\"new_password\":\"short\"}" -H "$(bearer "$a")"
  check "weak new password 400" "400 new_password" "$status $(jf '.error.details[0].field')"
  req PUT /api/v1/auth/me/password "{\"current_password\":\"$PASSWORD\",\"new_password\":\"a brand new passphrase\"}" -H "$(bearer "$a")"
  # Live sessions of ann: the first login of test_register_login and the two above.
  check "password change 200" "200 3" "$status $(jf .sessions_revoked)"
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$r\"}"
  check "password change revoked session 1" 401 "$status"
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$other_refresh\"}"
  check "password change revoked session 2" 401 "$status"
  req GET /api/v1/auth/me "" -H "$(bearer "$a")"
  check "access token revoked on password change" "401 INVALID_TOKEN" "$status $(jf .error.code)"
  login ann@example.com
  check "old password refused" 401 "$status"
  login ann@example.com "a brand new passphrase"
  check "new password works" 200 "$status"
}

# Waits until at least 12 s of the current 30 s TOTP step are left, so that the requests that
# follow all fall in one step; prints that step.
fresh_totp_step() {
  local now
  now=$(date +%s)
  if [ $((now % 30)) -ge 18 ]; then
    sleep $((30 - now % 30))
    now=$(date +%s)
  fi
  echo $((now / 30))
}

# login_2fa CODE [N] → a login of ann with that TOTP code: $status and $body; with N, the
# status goes to $work/login$N.status and the body to $work/login$N (for requests sent together).
login_2fa() {
  local data="{\"email\":\"ann@example.com\",\"password\":\"a brand new passphrase\",\"totp_code\":\"$1\"}"
  if [ -z "${2:-}" ]; then
    req POST /api/v1/auth/login "$data"
    return
  fi
  curl -s -o "$work/login$2" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$data" "http://127.0.0.1:$port/api/v1/auth/login" > "$work/login$2.status"
}

test_2fa() {
  login ann@example.com "a brand new passphrase"
  local a=$access secret code wrong step prev cur next p1 p2
  req POST /api/v1/auth/2fa/setup "" -H "$(bearer "$a")"
  check "2fa setup 200" 200 "$status"
  secret=$(jf .secret)
  check "2fa secret is 160 bits of base32" 32 "${#secret}"
  check "otpauth URI" 1 "$(jf .otpauth_uri | grep -c "^otpauth://totp/AI%20PRO%20SPORTS:ann%40example.com?secret=$secret&issuer=AI%20PRO%20SPORTS&algorithm=SHA1&digits=6&period=30$")"
  code=$("$TOTP" "$secret")
  wrong=$(printf '%06d' $(((10#$code + 500000) % 1000000)))
  req POST /api/v1/auth/2fa/verify "{\"code\":\"$wrong\"}" -H "$(bearer "$a")"
  check "2fa verify with a wrong code 400" "400 INVALID_TOTP" "$status $(jf .error.code)"
  req POST /api/v1/auth/2fa/verify '{"code":"12ab56"}' -H "$(bearer "$a")"
  check "2fa code must be 6 digits" "400 VALIDATION_ERROR" "$status $(jf .error.code)"
  # From here on every request falls in TOTP step $step. The codes of the step before it, of it
  # and of the step after it are all inside the ±1 step window; each is accepted once, and
  # none older than the last one accepted (RFC 6238 §5.2).
  step=$(fresh_totp_step)
  prev=$("$TOTP" "$secret" $(((step - 1) * 30)))
  cur=$("$TOTP" "$secret" $((step * 30)))
  next=$("$TOTP" "$secret" $(((step + 1) * 30)))
  req POST /api/v1/auth/2fa/verify "{\"code\":\"$prev\"}" -H "$(bearer "$a")"
  check "2fa verify with the previous step's code 200" "200 true" "$status $(jf .totp_enabled)"
  # The session from before 2FA still works; a wrong code to disable counts as a failure.
  req POST /api/v1/auth/2fa/disable "{\"code\":\"$wrong\"}" -H "$(bearer "$a")"
  check "2fa disable with a wrong code 400" 400 "$status"
  req POST /api/v1/auth/2fa/setup "" -H "$(bearer "$a")"
  check "2fa setup while on 409" 409 "$status"
  login ann@example.com "a brand new passphrase"
  check "login without the code" "401 TOTP_REQUIRED" "$status $(jf .error.code)"
  login_2fa "$wrong"
  check "login with a wrong code" "401 INVALID_TOTP" "$status $(jf .error.code)"
  login_2fa "$prev"
  check "totp replay: the code that turned 2FA on cannot log in" "401 INVALID_TOTP" "$status $(jf .error.code)"
  # Two logins sent together with the same code: exactly one gets in.
  login_2fa "$cur" 1 & p1=$!
  login_2fa "$cur" 2 & p2=$!
  wait "$p1" "$p2"
  check "totp replay: one of two concurrent logins with one code gets in" "200 401" \
    "$(cat "$work/login1.status" <(echo) "$work/login2.status" | sort | paste -sd' ')"
  a=$(jq -r '.access_token // empty' "$work/login1" "$work/login2")
  check "totp replay: the login that got in has its token" 1 "$(grep -c . <<<"$a")"
  login_2fa "$cur"
  check "totp replay: a code already used is refused" "401 INVALID_TOTP" "$status $(jf .error.code)"
  login_2fa "$prev"
  check "totp replay: a code of an earlier step than the last used is refused" "401 INVALID_TOTP" "$status $(jf .error.code)"
  req POST /api/v1/auth/2fa/disable "{\"code\":\"$cur\"}" -H "$(bearer "$a")"
  check "totp replay: the login's code cannot turn 2FA off" "400 INVALID_TOTP" "$status $(jf .error.code)"
  req POST /api/v1/auth/2fa/disable "{\"code\":\"$next\"}" -H "$(bearer "$a")"
  check "2fa disable with the next step's code 200" "200 false" "$status $(jf .totp_enabled)"
  check "totp: every request fell in one step" "$step" "$(($(date +%s) / 30))"
  login ann@example.com "a brand new passphrase"
  check "login without a code once 2FA is off" 200 "$status"
}

test_lockout() {
  for i in 1 2 3 4 5; do
    req POST /api/v1/auth/login '{"email":"lock@example.com","password":"wrong password here"}'
    check "lockout: failure $i is 401" 401 "$status"
  done
  login lock@example.com
  check "lockout: 6th attempt, even right, 429" "429 LOCKED" "$status $(jf .error.code)"
  local ra
  ra=$(header Retry-After)
  check "lockout: Retry-After about 15 minutes" 1 "$([ "${ra:-0}" -gt 800 ] && [ "${ra:-0}" -le 900 ] && echo 1)"
}

test_api_keys() {
  login m-user@example.com
  req POST /api/v1/auth/api-keys '{"name":"x"}' -H "$(bearer "$access")"
  check "api keys: role user 403" "403" "$status"
  login m-pro@example.com
  local a=$access key id key2 id2
  req POST /api/v1/auth/api-keys '{"name":"laptop","rate_limit_per_min":120,"expires_in_days":30}' -H "$(bearer "$a")"
  check "api key create 201" 201 "$status"
  key=$(jf .key) id=$(jf .id)
  check "api key shape" 1 "$(grep -Ec '^aps_[A-Za-z0-9_-]{43}$' <<<"$key")"
  check "api key prefix" "${key:0:12}" "$(jf .prefix)"
  check "api key own limit" 120 "$(jf .rate_limit_per_min)"
  req POST /api/v1/auth/api-keys '{"name":"fast","rate_limit_per_min":2000000}' -H "$(bearer "$a")"
  check "api key faster than the environment 400" "400 rate_limit_per_min" "$status $(jf '.error.details[0].field')"
  req POST /api/v1/auth/api-keys '{"name":"","expires_in_days":"soon"}' -H "$(bearer "$a")"
  check "api key bad fields 400" "400 expires_in_days,name" "$status $(jf '[.error.details[].field] | sort | join(",")')"
  req GET /api/v1/auth/api-keys "" -H "$(bearer "$a")"
  check "api key list" "200 1 laptop" "$status $(jf .total) $(jf '.items[0].name')"
  check "api key list never shows the key" 0 "$(grep -cF -e "$key" <<<"$body")"
  req GET /api/v1/auth/me "" -H "X-API-Key: $key"
  check "call with the API key" "200 m-pro@example.com api_key" "$status $(jf .email) $(jf .auth)"
  req POST /api/v1/auth/api-keys '{"name":"minted"}' -H "X-API-Key: $key"
  check "an API key cannot create keys" 403 "$status"
  req PUT /api/v1/auth/me/password "{\"current_password\":\"$PASSWORD\",\"new_password\":\"stolen key password\"}" -H "X-API-Key: $key"
  check "an API key cannot change the password" 403 "$status"
  req GET /api/v1/auth/me "" -H "X-API-Key: aps_$(printf 'A%.0s' $(seq 43))"
  check "unknown API key 401" "401 INVALID_API_KEY" "$status $(jf .error.code)"
  req GET /api/v1/auth/me "" -H "X-API-Key: junk"
  check "junk API key 401" 401 "$status"
  login m-analyst@example.com
  req DELETE "/api/v1/auth/api-keys/$id" "" -H "$(bearer "$access")"
  check "someone else's key: 404" 404 "$status"
  req DELETE "/api/v1/auth/api-keys/$id" "" -H "$(bearer "$a")"
  check "revoke own key 200" 200 "$status"
  req GET /api/v1/auth/me "" -H "X-API-Key: $key"
  check "revoked key refused at once" "401 INVALID_API_KEY" "$status $(jf .error.code)"
  req DELETE "/api/v1/auth/api-keys/$id" "" -H "$(bearer "$a")"
  check "revoke twice 404" 404 "$status"
  req DELETE "/api/v1/auth/api-keys/abc" "" -H "$(bearer "$a")"
  check "revoke with a bad id 400" 400 "$status"
  req POST /api/v1/auth/api-keys '{"name":"matrix"}' -H "$(bearer "$a")"
  matrix_key=$(jf .key)
  check "last_used_at is stamped on use" 1 "$(sql "SELECT COUNT(*) FROM api_keys WHERE id = $id AND last_used_at IS NOT NULL")"
}

test_role_change() {
  login m-rolechange@example.com
  local a=$access r=$refresh
  req GET /api/v1/auth/api-keys "" -H "$(bearer "$a")"
  check "before the role change: 403" 403 "$status"
  "$APS_BIN" user role --email m-rolechange@example.com --role pro >/dev/null
  check "aps user role exits 0" 0 $?
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$r\"}"
  check "a role change revokes refresh tokens" 401 "$status"
  # The token carried the old role's trust: it is refused on the very next request (no wait for
  # a cache to expire); a fresh login gets the new role.
  req GET /api/v1/auth/api-keys "" -H "$(bearer "$a")"
  check "a role change revokes the live access token at once" "401 INVALID_TOKEN" "$status $(jf .error.code)"
  login m-rolechange@example.com
  req GET /api/v1/auth/api-keys "" -H "$(bearer "$access")"
  check "the new role applies after a fresh login" 200 "$status"
}

# An API key is API access (perms.h API_KEYS: pro and up): it stops working on the very next
# request once its owner's role loses that, whichever way the role changed, and works again
# when they get such a role back. The key is used just before each change, so an answer cached
# by the api cannot hide the change.
test_key_owner_role() {
  local key uid admin role
  login m-keyowner@example.com
  req POST /api/v1/auth/api-keys '{"name":"owner-role"}' -H "$(bearer "$access")"
  check "key owner: key created" 201 "$status"
  key=$(jf .key)
  uid=$(sql "SELECT id FROM users WHERE email = 'm-keyowner@example.com'")
  login m-admin@example.com
  admin=$access
  # key_get PATH → the status of a GET of PATH with the key, and the error code or the role
  key_get() {
    req GET "$1" "" -H "X-API-Key: $key"
    echo "$status $(jf '.error.code // .role')"
  }
  check "key owner: the key works while the owner is pro" "200 pro" "$(key_get /api/v1/auth/me)"
  check "key owner: ... on /games" 200 "$(key_get '/api/v1/games?limit=1' | cut -d' ' -f1)"
  "$APS_BIN" user role --email m-keyowner@example.com --role user >/dev/null
  check "key owner: aps user role exits 0" 0 $?
  check "key owner: demoted to user by aps user role, the key is refused" "401 INVALID_API_KEY" \
    "$(key_get '/api/v1/games?limit=1')"
  check "key owner: ... on /auth/me too" "401 INVALID_API_KEY" "$(key_get /api/v1/auth/me)"
  # Through the API: analyst has API access again, user has none.
  for change in "analyst|200 analyst" "user|401 INVALID_API_KEY"; do
    role=${change%%|*}
    req PUT "/api/v1/admin/users/$uid/role" "{\"role\":\"$role\"}" -H "$(bearer "$admin")"
    check "key owner: an admin makes them $role" 200 "$status"
    check "key owner: the key once its owner is $role" "${change#*|}" "$(key_get /api/v1/auth/me)"
  done
}

# ---- authorization matrix -------------------------------------------------------------------
# Columns: anon user pro analyst operator admin apikey expired tampered none_alg
# Permissions (src/http/perms.h): PUBLIC → all; AUTHENTICATED → every role; API_KEYS → pro and up
# (user 403). A bad credential is 401 on every route, public ones included. With an API key the
# credential-changing routes answer 403. Cells that pass the gate show the handler's answer to
# the request sent (a valid body for register, an empty one where that is a 400, …).
MATRIX=(
  "POST /api/v1/auth/register        REG  | 201 201 201 201 201 201 201 401 401 401"
  "POST /api/v1/auth/login           {}   | 400 400 400 400 400 400 400 401 401 401"
  "POST /api/v1/auth/refresh         {}   | 400 400 400 400 400 400 400 401 401 401"
  "POST /api/v1/auth/logout          LOGOUT | 401 200 200 200 200 200 200 401 401 401"
  "GET  /api/v1/auth/me              -    | 401 200 200 200 200 200 200 401 401 401"
  "PUT  /api/v1/auth/me/password     {}   | 401 400 400 400 400 400 403 401 401 401"
  "POST /api/v1/auth/2fa/setup       -    | 401 200 200 200 200 200 403 401 401 401"
  "POST /api/v1/auth/2fa/verify      CODE | 401 400 400 400 400 400 403 401 401 401"
  "POST /api/v1/auth/2fa/disable     CODE | 401 400 400 400 400 400 403 401 401 401"
  "GET  /api/v1/auth/api-keys        -    | 401 403 200 200 200 200 200 401 401 401"
  "POST /api/v1/auth/api-keys        {}   | 401 403 400 400 400 400 403 401 401 401"
  "DELETE /api/v1/auth/api-keys/999999 - | 401 403 404 404 404 404 404 401 401 401"
)
COLUMNS_=(anon user pro analyst operator admin apikey expired tampered none_alg)

test_matrix() {
  declare -A cred
  local role now uid
  for role in user pro analyst operator admin; do
    login "m-$role@example.com"
    [ "$status" = 200 ] || bad "matrix: login of m-$role failed ($status)"
    cred[$role]="Authorization: Bearer $access"
  done
  cred[apikey]="X-API-Key: $matrix_key"
  now=$(date +%s)
  uid=$(sql "SELECT id FROM users WHERE email = 'm-admin@example.com'")
  cred[expired]="Authorization: Bearer $(sign_jwt '{"alg":"HS256","typ":"JWT"}' \
    "{\"sub\":\"$uid\",\"role\":\"admin\",\"typ\":\"access\",\"iat\":$((now - 2000)),\"exp\":$((now - 1100)),\"sid\":1,\"gen\":0,\"jti\":\"0123456789abcdef0123456789abcdef\"}")"
  # Tampered: a real user token whose payload is swapped for one claiming admin.
  local utok=${cred[user]#Authorization: Bearer } forged
  forged=$(printf '%s' "{\"sub\":\"$uid\",\"role\":\"admin\",\"typ\":\"access\",\"iat\":$now,\"exp\":$((now + 900)),\"sid\":1,\"gen\":0,\"jti\":\"0123456789abcdef0123456789abcdef\"}" | b64url)
  cred[tampered]="Authorization: Bearer ${utok%%.*}.$forged.${utok##*.}"
  cred[none_alg]="Authorization: Bearer $(printf '%s' '{"alg":"none","typ":"JWT"}' | b64url).$forged."
  # The expired token is well signed: its answer says so.
  req GET /api/v1/auth/me "" -H "${cred[expired]}"
  check "expired token code" "401 TOKEN_EXPIRED" "$status $(jf .error.code)"
  req GET /api/v1/auth/me "" -H "${cred[tampered]}"
  check "tampered token code" "401 INVALID_TOKEN" "$status $(jf .error.code)"
  local n=0 line spec want method path kind i col data
  for line in "${MATRIX[@]}"; do
    spec=${line%%|*} want=(${line#*|})
    read -r method path kind <<<"$spec"
    for i in "${!COLUMNS_[@]}"; do
      col=${COLUMNS_[$i]} n=$((n + 1))
      case $kind in
        REG) data="{\"email\":\"cell$n-$backend@example.com\",\"password\":\"$PASSWORD\"}" ;;
        LOGOUT) data='{"refresh_token":"not-a-live-token"}' ;;
        CODE) data='{"code":"abc"}' ;;
        -) data="" ;;
        *) data=$kind ;;
      esac
      if [ "$col" = anon ]; then
        req "$method" "$path" "$data"
      else
        req "$method" "$path" "$data" -H "${cred[$col]}"
      fi
      check "matrix $method $path as $col" "${want[$i]}" "$status"
    done
  done
  check "matrix covers every auth route of the table" "${#MATRIX[@]}" \
    "$(grep -c '^APS_ROUTE' "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/src/services/routes_auth.def")"
  req POST /api/v1/auth/refresh "{\"refresh_token\":\"$revoked_refresh\"}"
  check "matrix: revoked refresh token" "401 INVALID_TOKEN" "$status $(jf .error.code)"
}

test_audit_and_secrets() {
  local action
  for action in register login login_failed refresh refresh_reuse logout password_change \
      2fa_setup 2fa_enabled 2fa_disabled api_key_created api_key_revoked role_changed user_created; do
    check "audit has $action" 1 "$([ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = '$action'")" -gt 0 ] && echo 1)"
  done
  check "audit: a lockout is recorded" 1 "$([ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND details LIKE '%\"locked\":true%'")" -gt 0 ] && echo 1)"
  check "audit: system actor for the CLI" 1 "$([ "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'role_changed' AND actor_type = 'system'")" -gt 0 ] && echo 1)"
  local dump
  dump=$(sql "SELECT COALESCE(details,'') || ' ' || COALESCE(resource_id,'') FROM audit_log")
  check "no password in the audit log" 0 "$(grep -c -e "$PASSWORD" -e 'brand new passphrase' <<<"$dump")"
  check "no API key in the audit log" 0 "$(grep -Ec 'aps_[A-Za-z0-9_-]{20}' <<<"$dump")"
  check "no password in the server log" 0 "$(grep -c -e "$PASSWORD" -e 'brand new passphrase' "$work/server.log")"
  check "no refresh token in the server log" 0 "$(grep -cF -e "$revoked_refresh" "$work/server.log")"
  check "no JWT secret in the server log" 0 "$(grep -cF -e "$JWT_SECRET" "$work/server.log")"
  check "passwords stored as Argon2id" 0 "$(sql "SELECT COUNT(*) FROM users WHERE password_hash NOT LIKE '\$argon2id\$%'")"
}

# Where the environment requires it (REQUIRE_TWO_FACTOR, on in staging and production), an
# operator or admin without 2FA signs in and uses the ordinary routes, but the staff's routes
# answer 403 TWO_FACTOR_REQUIRED, by token and by API key alike, until 2FA is on; roles the rule
# does not name (analyst) are not touched.
test_staff_two_factor() {
  local a key secret step
  login m-staff@example.com
  check "staff without 2FA: signs in" 200 "$status"
  a=$access
  req GET /api/v1/admin/users "" -H "$(bearer "$a")"
  check "staff without 2FA: an admin route is refused, saying why" "403 TWO_FACTOR_REQUIRED" "$status $(jf .error.code)"
  req GET /api/v1/health/detailed "" -H "$(bearer "$a")"
  check "staff without 2FA: health details refused" "403 TWO_FACTOR_REQUIRED" "$status $(jf .error.code)"
  req GET /api/v1/games "" -H "$(bearer "$a")"
  check "staff without 2FA: an ordinary route answers" 200 "$status"
  req POST /api/v1/auth/api-keys '{"name":"staff"}' -H "$(bearer "$a")"
  check "staff without 2FA: may make an API key" 201 "$status"
  key=$(jf .key)
  req GET /api/v1/admin/users "" -H "X-API-Key: $key"
  check "staff without 2FA: the key is refused on an admin route too" "403 TWO_FACTOR_REQUIRED" "$status $(jf .error.code)"
  login m-operator@example.com
  req GET /api/v1/health/detailed "" -H "$(bearer "$access")"
  check "operator without 2FA: refused as well" "403 TWO_FACTOR_REQUIRED" "$status $(jf .error.code)"
  login m-analyst@example.com
  req GET /api/v1/models "" -H "$(bearer "$access")"
  check "analyst: the rule does not name the role" 200 "$status"
  req POST /api/v1/auth/2fa/setup "" -H "$(bearer "$a")"
  check "staff without 2FA: may set it up" 200 "$status"
  secret=$(jf .secret)
  step=$(fresh_totp_step)
  req POST /api/v1/auth/2fa/verify "{\"code\":\"$("$TOTP" "$secret" $((step * 30)))\"}" -H "$(bearer "$a")"
  check "staff: 2FA on" "200 true" "$status $(jf .totp_enabled)"
  req GET /api/v1/admin/users "" -H "$(bearer "$a")"
  check "staff with 2FA: the same token now reaches the admin route" 200 "$status"
  req GET /api/v1/admin/users "" -H "X-API-Key: $key"
  check "staff with 2FA: and the key" 200 "$status"
}

run_backend() {
  echo "$PASSWORD" > "$work/pw"
  for role in user pro analyst operator admin rolechange keyowner staff; do
    r=$role; [ $role = rolechange ] && r=user; [ $role = keyowner ] && r=pro; [ $role = staff ] && r=admin
    "$APS_BIN" user create --email "m-$role@example.com" --role $r --password-file "$work/pw" >/dev/null ||
      bad "aps user create m-$role"
  done
  "$APS_BIN" user create --email lock@example.com --role user < "$work/pw" >/dev/null || bad "aps user create from stdin"
  "$APS_BIN" user create --email m-user@example.com --role user --password-file "$work/pw" >/dev/null 2>&1
  check "aps user create refuses a duplicate" 1 $?
  echo short > "$work/weak"
  "$APS_BIN" user create --email weak@example.com --role user --password-file "$work/weak" >/dev/null 2>&1
  check "aps user create refuses a weak password" 2 $?
  start_server
  test_register_login
  test_refresh_logout
  test_password_change
  test_2fa
  test_lockout
  test_api_keys
  test_role_change
  test_key_owner_role
  test_matrix
  stop_server
  export REQUIRE_TWO_FACTOR=true
  start_server
  test_staff_two_factor
  stop_server
  unset REQUIRE_TWO_FACTOR
  test_audit_and_secrets
}

backend=sqlite
export DATABASE_URL="sqlite:///$work/aps.db"
run_backend

if [ -n "${APS_TEST_PG_URL:-}" ]; then
  backend=pg
  psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" >/dev/null
  export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
  run_backend
elif [ "${APS_TEST_PG_OPTIONAL:-0}" != 1 ]; then
  bad "APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
