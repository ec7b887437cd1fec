#!/usr/bin/env bash
# The backup configuration of deploy/backup is code: each file is checked by its own tool and
# holds the seed's numbers (§6.1), and the settings aps passes to pgBackRest agree with it.
#   pgbackrest.conf, pgbackrest.production.conf, pgbackrest.compose-repo.conf,
#   pgbackrest.compose-db.conf  every option is one pgBackRest 2.45 knows
#       (`pgbackrest help COMMAND OPTION`); retention 30 days of full backups, WAL for 7 daily
#       backups; production: two S3 repositories in different regions, encrypted, no secret;
#       compose: each side's TLS server admits only the other side's certificate name.
#       (tests/integration/deploy_compose.sh runs the compose pair for real.)
#   redis.conf  loads in redis-server (the running server reports the values); RDB every 15 min,
#       AOF fsynced every second.
#   redis-snapshot-rotate  shellcheck clean; keeps 24 h.
#   aps settings  BACKUP_RETENTION_DAYS 30, BACKUP_PITR_DAYS 7, daily backups at 04:00 UTC.
set -euo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
B=$SRC/deploy/backup
for tool in pgbackrest redis-server redis-cli shellcheck python3; do
  command -v "$tool" > /dev/null || { echo "deploy_backup: $tool is missing (scripts/bootstrap installs it)" >&2; exit 1; }
done
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
opt() { grep -E "^$2=" "$1" | head -1 | cut -d= -f2-; } # FILE KEY → value

# ---- pgBackRest ------------------------------------------------------------------------------
for f in pgbackrest.conf pgbackrest.production.conf pgbackrest.compose-repo.conf pgbackrest.compose-db.conf; do
  unknown=0
  while IFS= read -r key; do
    generic=$(echo "$key" | sed -E 's/^(repo|pg)[0-9]+-/\1-/')
    known=0
    for cmd in backup archive-push restore server expire; do
      if pgbackrest help "$cmd" "$generic" > /dev/null 2>&1; then known=1; break; fi
    done
    [ "$known" = 1 ] || { echo "deploy_backup: $f: unknown option $key" >&2; unknown=$((unknown + 1)); }
  done < <(grep -E '^[a-z0-9-]+=' "$B/$f" | cut -d= -f1)
  check "$f: every option known to pgBackRest" 0 "$unknown"
  # the database side of the compose pair keeps no repository: the repository side expires
  case $f in
    pgbackrest.compose-db.conf) repos="" ;;
    pgbackrest.production.conf) repos="repo1 repo2" ;;
    *) repos=repo1 ;;
  esac
  for r in $repos; do
    check "$f: $r full backups kept by time" time "$(opt "$B/$f" "$r-retention-full-type")"
    check "$f: $r full backups kept 30 days" 30 "$(opt "$B/$f" "$r-retention-full")"
    check "$f: $r WAL kept per full backup" full "$(opt "$B/$f" "$r-retention-archive-type")"
    check "$f: $r WAL for 7 daily backups (7 days of PITR)" 7 "$(opt "$B/$f" "$r-retention-archive")"
  done
  check "$f: stanza aps" 1 "$(grep -c '^\[aps\]' "$B/$f")"
  check "$f: compressed backups" zst "$(opt "$B/$f" compress-type)"
done
P=$B/pgbackrest.production.conf
check "production: repo1 in object storage" s3 "$(opt "$P" repo1-type)"
check "production: repo2 in object storage" s3 "$(opt "$P" repo2-type)"
check "production: repo2 in another region" 1 "$([ "$(opt "$P" repo1-s3-region)" != "$(opt "$P" repo2-s3-region)" ] && echo 1 || echo 0)"
check "production: both repositories encrypted" "aes-256-cbc aes-256-cbc" "$(opt "$P" repo1-cipher-type) $(opt "$P" repo2-cipher-type)"
check "production: no key or passphrase in the file" 0 "$(grep -cE '^repo[0-9]+-(s3-key|s3-key-secret|cipher-pass)=' "$P" || true)"

C=$B/pgbackrest.compose-db.conf R=$B/pgbackrest.compose-repo.conf
check "compose: the database pushes WAL to the repository host over TLS" "pgbackrest-repo.internal tls" "$(opt "$C" repo1-host) $(opt "$C" repo1-host-type)"
check "compose: the repository side backs up through the database's TLS server" "postgres-primary.internal tls" "$(opt "$R" pg1-host) $(opt "$R" pg1-host-type)"
check "compose: ... or the replica's, once promoted, with the same certificates" \
  "postgres-replica.internal tls $(opt "$R" pg1-host-cert-file) $(opt "$R" pg1-path)" \
  "$(opt "$R" pg2-host) $(opt "$R" pg2-host-type) $(opt "$R" pg2-host-cert-file) $(opt "$R" pg2-path)"
check "compose: the database's server admits the repository side only" "$(opt "$C" repo1-host)=aps" "$(opt "$C" tls-server-auth)"
check "compose: the repository's server admits the database only" "$(opt "$R" pg1-host)=aps" "$(opt "$R" tls-server-auth)"
check "compose: both sides use one repository path" "$(opt "$R" repo1-path)" "$(opt "$C" repo1-path)"
check "compose: aps-deploy makes the certificates for these names" 1 \
  "$(grep -c 'for side in db:postgres-primary.internal,postgres-replica.internal repo:pgbackrest-repo.internal; do' "$SRC/deploy/compose/aps-deploy")"

# ---- the aps side: the same policy -----------------------------------------------------------
cfg() { "$APS_BIN" config get "$1"; }
check "BACKUP_RETENTION_DAYS equals the file's" "$(opt "$B/pgbackrest.conf" repo1-retention-full)" "$(cfg BACKUP_RETENTION_DAYS)"
check "BACKUP_PITR_DAYS: 7" 7 "$(cfg BACKUP_PITR_DAYS)"
check "a backup a day" 86400 "$(cfg SCHEDULE_BACKUP_SECONDS)"
check "at 04:00 UTC" 1 "$(grep -c '^APS_TASK(backup, backup, SCHEDULE_BACKUP_SECONDS, 14400,' "$SRC/src/services/schedule.def")"

# ---- Redis -----------------------------------------------------------------------------------
dir=$(mktemp -d /tmp/aps-deploy-backup.XXXXXX)
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2> /dev/null || true; wait "$redis_pid" 2> /dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server "$B/redis.conf" --dir "$dir" --port "$port" --bind 127.0.0.1 --logfile "$dir/redis.log" &
redis_pid=$!
for _ in $(seq 100); do [ "$(redis-cli -p "$port" ping 2> /dev/null)" = PONG ] && break; sleep 0.05; done
get() { redis-cli -p "$port" config get "$1" | tail -1; }
check "redis.conf loads" PONG "$(redis-cli -p "$port" ping)"
check "RDB snapshot every 15 minutes (one change)" "900 1" "$(get save)"
check "AOF on" yes "$(get appendonly)"
check "AOF fsync every second" everysec "$(get appendfsync)"
check "checksummed snapshots" yes "$(get rdbchecksum)"
rot=$B/redis-snapshot-rotate
check "redis-snapshot-rotate: shellcheck" 0 "$(shellcheck "$rot" > /dev/null 2>&1; echo $?)"
check "redis-snapshot-rotate: 24 h retention by default" 1 "$(grep -cF 'RETENTION_MINUTES:-1440}' "$rot")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
