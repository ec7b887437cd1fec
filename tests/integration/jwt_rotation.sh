#!/usr/bin/env bash
# JWT signing-key rotation under load, no valid session logged out. Two `aps api` processes on one
# store (SQLite), the signing key in a secrets directory. Four clients send authenticated
# requests without pause (lib/load.py) with tokens issued before the rotation, alternating
# between the processes; a fifth logs in again and again on one process and uses each new token
# on the other at once. Meanwhile: `aps secrets rotate jwt --stage`, SIGHUP to both,
# `aps secrets rotate jwt`, SIGHUP to both (docs/operations.md). Then:
#   - not one 401 (nor any status other than 200) for a valid session, before, during, after;
#   - tokens issued after the rotation name the new key (kid), the old tokens still work;
#   - after a second rotation the first key is gone: its tokens answer 401, while the tokens of
#     the key that became previous still answer 200.
#   - both rotations are in audit_log (secret_rotated), without any key.
# Needs: APS_BIN, APS_SOURCE_DIR (lib/load.py), python3, curl, jq, sqlite3.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
here=$(cd "$(dirname "$0")" && pwd)
for t in python3 curl jq sqlite3; do command -v $t >/dev/null || { echo "FAIL: $t is required"; exit 1; }; done
work=$(mktemp -d)
pids=()
cleanup() {
  touch "$work/stop"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
mkdir -p config secrets
unset JWT_SECRET JWT_SECRET_NEXT JWT_SECRET_PREVIOUS JWT_SECRET_FILE REDIS_URL
export ENVIRONMENT=development LOG_LEVEL=WARNING DATABASE_URL="sqlite:///$work/aps.db"
export APS_SECRETS_DIR="$work/secrets" RATE_LIMIT_PER_MIN=1000000
echo "jwt-rotation-first-key-0123456789abcdef" > secrets/JWT_SECRET
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}
source "$here/lib/api_process.sh"
source "$here/lib/reload.sh"

"$APS_BIN" migrate > /dev/null
echo "correct horse battery staple" > pw
for i in 1 2 3 4 5; do
  "$APS_BIN" user create --email "u$i@example.com" --role user --password-file pw > /dev/null
done
start_api a; a=$port
start_api b; b=$port
me() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "http://127.0.0.1:$1/api/v1/auth/me"; }
kid_of() { python3 -c 'import sys,json,base64; h=sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h+"="*(-len(h)%4))).get("kid",""))' "$1"; }
# hup_all: SIGHUP to both api processes; waits until each has logged the reload
hup_all() { hup_wait a "${pids[0]}"; hup_wait b "${pids[1]}"; }

# Tokens issued before the rotation, half on each process.
declare -a old
for i in 1 2 3 4; do old[$i]=$(login "u$i@example.com" "$([ $((i % 2)) = 0 ] && echo $a || echo $b)"); done
kid0=$(kid_of "${old[1]}")
check "the first key signs" 16 "${#kid0}"

# Load: four clients on the old tokens, each alternating between the processes.
for i in 1 2 3 4; do
  p=$([ $((i % 2)) = 0 ] && echo $a || echo $b)
  python3 "$here/lib/load.py" "http://127.0.0.1:$p/api/v1/auth/me" --token "${old[$i]}" --threads 2 \
    --rate 40 --out "load$i.txt" --stop stop > "load$i.json" &
  pids+=($!)
done
# New logins: each token used at once on the other process.
(
  n=0
  while [ ! -e stop ]; do
    n=$((n + 1))
    if [ $((n % 2)) = 0 ]; then from=$a to=$b; else from=$b to=$a; fi
    t=$(login u5@example.com $from)
    echo "$(me $to "$t") $(kid_of "$t")" >> logins.txt
  done
) &
pids+=($!)

sleep 2
"$APS_BIN" secrets rotate jwt --stage > rotate1.txt
hup_all
sleep 1
"$APS_BIN" secrets rotate jwt > rotate2.txt
hup_all
sleep 2
touch stop
for i in 1 2 3 4; do wait "${pids[$((i + 1))]}" || true; done
wait "${pids[6]}" || true

total=0
for i in 1 2 3 4; do
  s=$(cat "load$i.json")
  check "client $i: every answer 200" '["200"]' "$(echo "$s" | jq -c 'keys')"
  total=$((total + $(echo "$s" | jq '[.[]] | add // 0')))
done
echo "load: $total authenticated requests by 4 clients, $(wc -l < logins.txt) logins used on the other process"
[ "$total" -ge 200 ] && check "load ran ($total requests)" 1 1 || check "load ran ($total requests)" 1 0
check "no 401 for the old sessions" 0 "$(cat load*.txt | awk '$2 == 401' | wc -l)"
check "no 401 for new logins used on the other process" 0 "$(awk '$1 != 200' logins.txt | wc -l)"
kid1=$(login u5@example.com $a | xargs -I{} bash -c "$(declare -f kid_of); kid_of {}")
check "a new login names a new key" 1 "$([ -n "$kid1" ] && [ "$kid1" != "$kid0" ] && echo 1 || echo 0)"
check "logins after the rotation used the new key" 1 "$(grep -c " $kid1\$" logins.txt | awk '{print ($1 > 0)}')"
check "rotate names the new key" 1 "$(grep -c "$kid1 now signs" rotate2.txt)"
check "an old token still works on a" 200 "$(me $a "${old[1]}")"
check "an old token still works on b" 200 "$(me $b "${old[2]}")"

# A second rotation drops the first key: its tokens are refused, the previous key's still pass.
mid=$(login u3@example.com $b)
"$APS_BIN" secrets rotate jwt > /dev/null
hup_all
check "a token of the removed key is refused on a" 401 "$(me $a "${old[1]}")"
check "a token of the removed key is refused on b" 401 "$(me $b "${old[2]}")"
check "a token of the previous key still works on a" 200 "$(me $a "$mid")"
check "a token of the previous key still works on b" 200 "$(me $b "$mid")"
check "three rotation steps audited" 3 \
  "$(sqlite3 aps.db "SELECT COUNT(*) FROM audit_log WHERE action='secret_rotated'")"
key=$(cat secrets/JWT_SECRET)
check "no key in the audit log" 0 \
  "$(sqlite3 aps.db "SELECT COUNT(*) FROM audit_log WHERE instr(details, '$key') > 0")"
check "no key in the logs" 0 "$(cat a.log b.log | grep -c -- "$key" || true)"

echo "jwt_rotation: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
