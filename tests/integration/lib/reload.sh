# lib/reload.sh — sourced by the reload and rotation tests (config_reload.sh, jwt_rotation.sh,
# db_credential_rotation.sh, redis_credential_rotation.sh). They run in their work folder, each
# process logging to NAME.log there, and keep the caller's `fail` count.
#   reloads NAME          the reload outcome lines (applied or refused) SIGHUP left in NAME.log
#   hup_wait NAME PID     SIGHUP to PID, then waits up to 10 s for one more outcome in NAME.log
#                         (a process that logs none is one failure)
#   login EMAIL PORT      an access token for EMAIL (password "correct horse battery staple")
reloads() { grep -c '"trigger":"SIGHUP"' "$1.log" || true; }
hup_wait() {
  local before
  before=$(reloads "$1")
  kill -HUP "$2"
  for _ in $(seq 200); do
    [ "$(reloads "$1")" -gt "$before" ] && return 0
    sleep 0.05
  done
  echo "FAIL: $1 logged no reload"; fail=$((fail + 1))
}
login() {
  curl -s -X POST "http://127.0.0.1:$2/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"correct horse battery staple\"}" | jq -r .access_token
}
#   last_applied NAME     the "applied" list of the last reload outcome in NAME.log (JSON)
#   check_load FILE MIN   prints lib/load.py's summary in FILE and checks (the caller's `check`)
#                         that every answer was 200 and at least MIN were made
last_applied() { grep '"trigger":"SIGHUP"' "$1.log" | tail -1 | jq -c .applied; }
check_load() {
  local summary total
  summary=$(cat "$1")
  total=$(echo "$summary" | jq '[.[]] | add // 0')
  echo "load: $total requests during the rotation: $summary"
  check "every request during the rotation answered 200" '["200"]' "$(echo "$summary" | jq -c keys)"
  if [ "$total" -ge "$2" ]; then check "load ran" 1 1; else check "load ran ($total)" 1 0; fi
}
