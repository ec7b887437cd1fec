#!/usr/bin/env bash
# Fault: the disk of the SQLite store fills up. The store lives on a small tmpfs (8 MiB, mounted
# here: needs root); `aps api` serves signed-in writes (new bankrolls) while a filler file takes
# the rest of the space. Counted and printed: writes answered 201, 507 and anything else, rows
# written. Must hold: while full, a write is 507 STORAGE_FULL (never a 500 or a cut connection)
# and `aps worker enqueue` fails saying so; PRAGMA integrity_check stays "ok"; every 201 is one
# row and no refused write left one; once the filler is gone the same process writes again,
# without a restart. Needs: root (mount), APS_BIN, sqlite3, jq, curl.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in sqlite3 jq curl mount umount; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is missing"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: fault_disk_full mounts a tmpfs and needs root"; exit 1; }
work=$(mktemp -d)
pass=0 fail=0 api_pid=""
check() { if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi; }
cleanup() {
  [ -n "$api_pid" ] && { kill -9 "$api_pid" 2> /dev/null; wait "$api_pid" 2> /dev/null; }
  umount "$work/disk" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/disk"
mount -t tmpfs -o size=8m tmpfs "$work/disk" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }
export ENVIRONMENT=development LOG_LEVEL=INFO APS_MIGRATIONS_DIR="$SRC/migrations" REDIS_URL=
export DATABASE_URL="sqlite:///$work/disk/aps.db" RATE_LIMIT_PER_MIN=1000000 API_SHUTDOWN_DELAY_SECONDS=0
"$APS_BIN" migrate > /dev/null || { echo "FAIL: migrate"; exit 1; }
printf 'correct horse battery staple\n' > "$work/pw"
"$APS_BIN" user create --email disk@example.com --role user --password-file "$work/pw" > /dev/null
"$APS_BIN" api --host 127.0.0.1 --port 0 --threads 2 > "$work/api.log" 2>&1 &
api_pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -m1 '"msg":"listening"' "$work/api.log" 2> /dev/null | jq -r '.port // empty')
  [ -n "$port" ] && break
  sleep 0.1
done
base="http://127.0.0.1:$port/api/v1"
token=$(curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"disk@example.com","password":"correct horse battery staple"}' | jq -r .access_token)
[ -n "$token" ] && [ "$token" != null ] || { echo "FAIL: sign-in"; exit 1; }

declare -A answers
writes() { # N LABEL — N new bankrolls; tallies the statuses in answers[LABEL:status]
  for ((i = 0; i < $1; i++)); do
    code=$(curl -s -o "$work/last.json" -w '%{http_code}' -X POST "$base/betting/bankrolls" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"name\":\"b-$2-$i-$(head -c 600 /dev/zero | tr '\0' x | cut -c1-40)\",\"initial_amount\":100}")
    answers[$2:$code]=$(( ${answers[$2:$code]:-0} + 1 ))
  done
}
rows() { sqlite3 "$work/disk/aps.db" "SELECT COUNT(*) FROM bankrolls"; }
writes 20 before
# Fill the disk: the filler takes every free byte.
dd if=/dev/zero of="$work/disk/filler" bs=64k 2> /dev/null
writes 40 full
check "a write on a full disk is 507 STORAGE_FULL" STORAGE_FULL "$(jq -r .error.code "$work/last.json")"
enq=$("$APS_BIN" worker enqueue noop --payload '{}' 2>&1)
check "enqueue on a full disk fails saying so" 1 "$(echo "$enq" | grep -c 'no space left')"
check "integrity while full" ok "$(sqlite3 "$work/disk/aps.db" 'PRAGMA integrity_check')"
rows_full=$(rows)
rm -f "$work/disk/filler"
writes 20 after
ok_before=${answers[before:201]:-0} ok_full=${answers[full:201]:-0} ok_after=${answers[after:201]:-0}
full507=${answers[full:507]:-0}
other=0
for k in "${!answers[@]}"; do case "$k" in *:201 | full:507) ;; *) other=$((other + answers[$k])) ;; esac; done
total_rows=$(rows)
echo "fault_disk_full: before: 201 x $ok_before; disk full: 201 x $ok_full, 507 x $full507; after space returned: 201 x $ok_after; other answers $other; rows $total_rows (while full $rows_full); integrity $(sqlite3 "$work/disk/aps.db" 'PRAGMA integrity_check')"
check "writes before" 20 "$ok_before"
check_gt() { if [ "$2" -gt "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: $2 is not above $3"; fi; }
check_gt "writes refused with 507 while full" "$full507" 0
check "answers other than 201/507" 0 "$other"
check "writes after space returned, same process" 20 "$ok_after"
check "one row per 201, none per 507" "$((ok_before + ok_full + ok_after))" "$total_rows"
check "integrity after" ok "$(sqlite3 "$work/disk/aps.db" 'PRAGMA integrity_check')"
check "the api process never restarted" 1 "$(grep -c '"msg":"listening"' "$work/api.log")"
echo "fault_disk_full: $pass passed, $fail failed"
[ "$fail" = 0 ]
