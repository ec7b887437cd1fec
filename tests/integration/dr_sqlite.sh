#!/usr/bin/env bash
# Disaster-recovery drill of the embedded store: `aps backup run` copies the SQLite database
# (SQLite's online backup API) while `aps serve` is writing to it — the API creating bankrolls
# for a client loop, the workers writing data-quality rows every second from the scheduler.
# The copy must pass PRAGMA integrity_check and hold every write acknowledged before the backup
# started. Then the live store is damaged, `aps restore` copies the backup back, and the
# restored store passes integrity_check with the copy's counts, table by table; a restarted
# `aps serve` reports the backup and the restore in its metrics.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
for tool in sqlite3 jq curl; do
  command -v "$tool" > /dev/null || { echo "dr_sqlite: $tool is missing (scripts/bootstrap installs it)" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/aps-dr-sqlite.XXXXXX)
serve_pid=""
writer_pid=""
cleanup() {
  if [ -n "$writer_pid" ]; then kill "$writer_pid" 2> /dev/null || true; fi
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2> /dev/null || true; fi
  wait 2> /dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}

export ENVIRONMENT=development LOG_LEVEL=INFO DATABASE_URL="sqlite:///$dir/aps.db" REDIS_URL=""
export BACKUP_DIR=$dir/backups JWT_SECRET="dr-sqlite-integration-secret-0123456789abcdef"
export RATE_LIMIT_PER_MIN=1000000 SPORTS=NBA
# Only the data-quality task runs, every second: the workers' share of the writes.
export SCHEDULE_ODDS_SECONDS=0 SCHEDULE_SCHEDULE_SECONDS=0 SCHEDULE_SCORES_SECONDS=0
export SCHEDULE_SCORES_LIVE_SECONDS=0 SCHEDULE_WEATHER_SECONDS=0 SCHEDULE_PREDICT_SECONDS=0
export SCHEDULE_GRADE_SECONDS=0 SCHEDULE_CLOSING_SECONDS=0 SCHEDULE_DATA_QUALITY_SECONDS=1
export SCHEDULE_TRAIN_DAILY_SECONDS=0 SCHEDULE_TRAIN_WEEKLY_SECONDS=0 SCHEDULE_BACKUP_SECONDS=0
export SCHEDULE_CLEANUP_SECONDS=0
"$APS_BIN" migrate > /dev/null
printf 'correct horse battery staple\n' > "$dir/pw"
"$APS_BIN" user create --email sq@example.com --role user --password-file "$dir/pw" > /dev/null

start_serve() {
  "$APS_BIN" serve --host 127.0.0.1 --port 0 --threads 2 --worker-threads 2 > "$dir/serve.log" 2>&1 &
  serve_pid=$!
  port=
  for _ in $(seq 100); do
    port=$(grep -m1 '"msg":"listening"' "$dir/serve.log" 2> /dev/null | jq -r '.port // empty' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "aps serve did not start" >&2; cat "$dir/serve.log" >&2; exit 1; }
}
start_serve
base="http://127.0.0.1:$port/api/v1"
token=$(curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"sq@example.com","password":"correct horse battery staple"}' | jq -r .access_token)
if [ -z "$token" ] || [ "$token" = null ]; then echo "login failed" >&2; exit 1; fi

# The client: one bankroll after another; each acknowledged id is appended to acked.
writer() {
  local i=0
  while :; do
    i=$((i + 1))
    curl -s -X POST "$base/betting/bankrolls" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d "{\"name\":\"w$i\",\"initial_amount\":100}" |
      jq -r '.id // empty' >> "$dir/acked"
  done
}
: > "$dir/acked"
writer &
writer_pid=$!
sleep 2
acked_before=$(cp "$dir/acked" "$dir/acked_before" && wc -l < "$dir/acked_before")
"$APS_BIN" backup run > "$dir/backup.log"
sleep 1
kill "$writer_pid"; wait "$writer_pid" 2> /dev/null || true
writer_pid=
acked_total=$(wc -l < "$dir/acked")
copy=$(ls "$dir"/backups/aps-*.db)
check "one copy made" 1 "$(echo "$copy" | wc -l)"
check "writes went on during the backup" 1 "$([ "$acked_total" -gt "$acked_before" ] && echo 1 || echo 0)"
check "the copy passes integrity_check" ok "$(sqlite3 "$copy" 'PRAGMA integrity_check')"
# password hashes and sealed secrets: the store and its copy are their owner's alone
check "the store made by aps is readable by its owner alone" 600 "$(stat -c %a "${DATABASE_URL#sqlite:///}")"
check "the copy is readable by its owner alone" 600 "$(stat -c %a "$copy")"
missing=0
while read -r id; do
  [ "$(sqlite3 "$copy" "select count(*) from bankrolls where id = $id")" = 1 ] || missing=$((missing + 1))
done < "$dir/acked_before"
check "writes acknowledged before the backup missing from it ($acked_before acknowledged)" 0 "$missing"
check "the workers wrote too" 1 "$([ "$(sqlite3 "$copy" 'select count(*) from data_quality_checks')" -gt 0 ] && echo 1 || echo 0)"
check "aps backup verify" OK "$("$APS_BIN" backup verify | tail -1)"
kill "$serve_pid"; wait "$serve_pid" 2> /dev/null || true
serve_pid=

# Damage, restore, compare.
sqlite3 "$dir/aps.db" "delete from bankrolls; delete from data_quality_checks; delete from users"
"$APS_BIN" restore > "$dir/restore.log"
check "the restored store passes integrity_check" ok "$(sqlite3 "$dir/aps.db" 'PRAGMA integrity_check')"
for t in users bankrolls data_quality_checks jobs sessions; do
  check "rows of $t equal the copy's" "$(sqlite3 "$copy" "select count(*) from $t")" "$(sqlite3 "$dir/aps.db" "select count(*) from $t")"
  check "max id of $t equals the copy's" "$(sqlite3 "$copy" "select max(rowid) from $t")" "$(sqlite3 "$dir/aps.db" "select max(rowid) from $t")"
done
check "restore printed its check" 1 "$(grep -c 'lock-in chain OK' "$dir/restore.log")"

start_serve
metrics=$(curl -s "http://127.0.0.1:$port/metrics")
check "metric: last sqlite backup" 1 "$(echo "$metrics" | grep -c '^aps_backup_last_success_timestamp_seconds{kind="sqlite"} [1-9]')"
check "metric: backup size" 1 "$(echo "$metrics" | grep -c '^aps_backup_last_size_bytes{kind="sqlite"} [1-9]')"
check "metric: no failures" 1 "$(echo "$metrics" | grep -c '^aps_backup_failures_total{kind="sqlite"} 0')"
check "metric: restore drill" 1 "$(echo "$metrics" | grep -c '^aps_dr_drill_last_success_timestamp_seconds{kind="sqlite"} [1-9]')"
echo "dr_sqlite: $acked_total bankrolls acknowledged, $acked_before before the backup, all of them in the copy"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
