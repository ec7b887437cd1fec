#!/usr/bin/env bash
# retention_env.sh — retention per environment, enforced by the cleanup job under a moved clock
# (libfaketime). One row of each kind is written at the real time T0 (the store-kept logs: two
# data-quality runs of one check and an ingest run; a finished and a dead job; an odds movement;
# an audit row; an acknowledged and an open alert), then `aps worker run cleanup` runs at
# T0 + d days for d just under and just over each retention, and what is left is compared with
# the policy written out below by hand (seed §2: logs reduced in development, 7 days in staging,
# 30 in production). SQLite for the three environments; PostgreSQL (APS_TEST_PG_URL) for
# production. Needs: APS_BIN, faketime, sqlite3, psql for the PostgreSQL half.
set -uo pipefail
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
for t in faketime sqlite3; do
  command -v "$t" > /dev/null || { echo "retention_env: $t is missing (scripts/bootstrap installs it)" >&2; exit 1; }
done
work=$(mktemp -d)
pgdb="aps_retention_$$"
cleanup() {
  [ -n "${APS_TEST_PG_URL:-}" ] && psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $pgdb" > /dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
cd "$SRC" || exit 1 # config/<ENVIRONMENT>.env is read from here
export LOG_LEVEL=WARNING REDIS_URL='' FAKETIME_DONT_FAKE_MONOTONIC=1 APS_SECRETS_DIR=$work/secrets
unset JOBS_RETENTION_DAYS MOVEMENTS_RETENTION_DAYS LOG_RETENTION_DAYS AUDIT_RETENTION_DAYS ALERTS_RETENTION_DAYS
mkdir -p "$work/secrets"
for k in SECRET_KEY JWT_SECRET; do head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > "$work/secrets/$k"; done
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL [$label]: $1: expected '$2', got '$3'"; fi
}
sql() { if [ "$backend" = pg ]; then psql "$DATABASE_URL" -Atqc "$1"; else sqlite3 "$work/$label.db" "$1"; fi; }

# The policy, in days: logs jobs movements audit alerts (dead jobs are kept 4x the jobs' days).
declare -A POLICY=([development]="3 2 30 30 7" [staging]="7 7 90 90 30" [production]="30 30 90 365 90")

# What should be left after a cleanup at T0 + d days: "dq ingest done dead movements audit acked open".
expected() { # env d
  read -r L J M A K <<< "${POLICY[$1]}"
  local d=$2
  echo "$([ "$d" -lt "$L" ] && echo 2 || echo 1) $([ "$d" -lt "$L" ] && echo 1 || echo 0)" \
    "$([ "$d" -lt "$J" ] && echo 1 || echo 0) $([ "$d" -lt $((4 * J)) ] && echo 1 || echo 0)" \
    "$([ "$d" -lt "$M" ] && echo 1 || echo 0) $([ "$d" -lt "$A" ] && echo 1 || echo 0)" \
    "$([ "$d" -lt "$K" ] && echo 1 || echo 0) 1"
}
left() {
  echo "$(sql "select count(*) from data_quality_checks") $(sql "select count(*) from ingest_runs")" \
    "$(sql "select count(*) from jobs where state = 'done'") $(sql "select count(*) from jobs where state = 'dead'")" \
    "$(sql "select count(*) from odds_movements") $(sql "select count(*) from audit_log where action = 'seeded'")" \
    "$(sql "select count(*) from alerts where acknowledged = 1") $(sql "select count(*) from alerts where acknowledged = 0")"
}

run_env() { # env
  export ENVIRONMENT=$1
  "$APS_BIN" migrate > /dev/null || { check "migrate" 0 1; return; }
  "$APS_BIN" ingest football-data "$DATA/football-data/E0/1213_E0.csv" --quiet > /dev/null
  local t0 ms
  t0=$(date +%s)
  ms=$((t0 * 1000))
  sql "insert into data_quality_checks (check_code, passed, records_checked, failed_count, checked_at) values ('DQ001', 1, 1, 0, $((t0 - 3600))), ('DQ001', 1, 1, 0, $t0);
       delete from ingest_runs;
       insert into ingest_runs (source, path, started_at, finished_at, rows_read, games, odds, forecasts, rejected) values ('x', 'y', $t0, $t0, 0, 0, 0, 0, 0);
       insert into jobs (name, payload, state, max_attempts, run_at, enqueued_at, finished_at) values ('noop', '{}', 'done', 1, 0, 0, $ms), ('noop', '{}', 'dead', 1, 0, 0, $ms);
       insert into odds_movements (game_id, book_id, market, selection, detected_at) select min(g.id), min(b.id), 'moneyline', 'home', $t0 from games g, sportsbooks b;
       delete from audit_log;
       insert into audit_log (at, actor_type, action, outcome) values ($t0, 'system', 'seeded', 'success');
       insert into alerts (kind, severity, title, message, acknowledged, created_at) values ('k', 'info', 't', 'm', 1, $t0), ('k', 'info', 't', 'm', 0, $t0);" > /dev/null
  check "seeded" "$(expected "$1" 0)" "$(left)"
  read -r L J M A K <<< "${POLICY[$1]}"
  local days
  days=$(printf '%s\n' $((L - 1)) $((L + 1)) $((J - 1)) $((J + 1)) $((4 * J - 1)) $((4 * J + 1)) \
    $((M - 1)) $((M + 1)) $((A - 1)) $((A + 1)) $((K - 1)) $((K + 1)) | sort -n | uniq)
  for d in $days; do
    [ "$d" -lt 1 ] && continue
    faketime -f "$(date -u -d "@$((t0 + d * 86400 + 3600))" '+%Y-%m-%d %H:%M:%S')" \
      "$APS_BIN" worker run cleanup > "$work/cleanup-$label-$d.log" 2>&1 || { check "cleanup at +$d days ran" 0 1; cat "$work/cleanup-$label-$d.log"; }
    check "left after a cleanup at T0 + $d days" "$(expected "$1" "$d")" "$(left)"
  done
  check "the audit log's own deletion is audited" 1 "$([ "$(sql "select count(*) from audit_log where action = 'retention_applied'")" -ge 1 ] && echo 1)"
  check "the cleanup job logged what it deleted" 1 "$(grep -l '"audit_deleted":1' "$work"/cleanup-"$label"-*.log | wc -l)"
}

backend=sqlite
for env in development staging production; do
  label=$env
  export DATABASE_URL="sqlite:///$work/$label.db"
  run_env "$env"
done

if [ -n "${APS_TEST_PG_URL:-}" ]; then
  backend=pg label=production-pg
  psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE $pgdb" > /dev/null
  export DATABASE_URL="${APS_TEST_PG_URL%/*}/$pgdb"
  run_env production
elif [ "${APS_TEST_PG_OPTIONAL:-0}" != 1 ]; then
  fail=$((fail + 1))
  echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
