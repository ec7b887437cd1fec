#!/usr/bin/env bash
# migrate_compat.sh — the new migrations are safe while the previous release still runs, on
# SQLite and PostgreSQL (APS_TEST_PG_URL):
#   * `aps migrate --check` passes on the tree and fails, naming the step, on a deliberately bad
#     migration (a dropped column the previous release reads, a NOT NULL column without default);
#     in production `aps migrate` runs the check first and applies nothing when it fails;
#   * the previous release's SQL (migrations/release/queries.sql, extracted from its sources by
#     scripts/release-sql) is replayed (`aps migrate --replay`) against a store at the previous
#     release's schema and against one with every migration applied: each statement behaves the
#     same (ok stays ok, an error stays the same error); with the bad migration applied some
#     statements that ran before now fail, which is what the check prevents.
# Needs: APS_BIN, psql for the PostgreSQL half (without APS_TEST_PG_URL it fails unless
# APS_TEST_PG_OPTIONAL=1).
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
REL=$SRC/migrations/release/queries.sql
work=$(mktemp -d)
dbs=()
cleanup() {
  for d in "${dbs[@]}"; do psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $d" > /dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=
unset APS_MIGRATIONS_DIR
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL [$backend]: $1: expected '$2', got '$3'"; fi
}
backend=check
[ -f "$REL" ] || { echo "migrate_compat: $REL is missing (scripts/release-sql)"; exit 1; }
schema=$(sed -n 's/^-- schema: //p' "$REL")
check "the previous release's SQL names its schema version" 1 "$([ "$schema" -ge 1 ] 2> /dev/null && echo 1)"

# Migration sets: the previous release's, the tree's, and the tree's plus a bad one.
mkdir -p "$work/old" "$work/bad/release" "$work/contract/release"
for f in "$SRC"/migrations/[0-9]*.sql; do
  v=$(basename "$f" | sed 's/_.*//; s/^0*//')
  [ "$v" -le "$schema" ] && cp "$f" "$work/old/"
  cp "$f" "$work/bad/"
  cp "$f" "$work/contract/"
done
cp "$REL" "$work/bad/release/"
cp "$REL" "$work/contract/release/"
cat > "$work/bad/099_bad.sql" <<'SQL'
-- deliberately unsafe: the previous release reads users.name and inserts users without `plan`
ALTER TABLE users DROP COLUMN name;
ALTER TABLE users ADD COLUMN plan TEXT NOT NULL;
SQL
cat > "$work/contract/099_contract_cleanup.sql" <<'SQL'
ALTER TABLE feature_flags DROP COLUMN users;
SQL

check "--check passes on the tree" 0 "$("$APS_BIN" migrate --check > "$work/check.out" 2>&1; echo $?)"
check "… and says what it compared" 1 "$(grep -c "newer than $(printf %03d "$schema") against .*release/queries.sql" "$work/check.out")"
check "--check fails on the bad migration" 1 "$(APS_MIGRATIONS_DIR=$work/bad "$APS_BIN" migrate --check > "$work/bad.out" 2>&1; echo $?)"
check "… naming the dropped column" 1 "$(grep -c '099_bad.sql: dropping column users.name' "$work/bad.out")"
check "… and the NOT NULL column without a default" 1 "$(grep -c '099_bad.sql: adding column users.plan NOT NULL without a default' "$work/bad.out")"
check "a contract migration may drop what the previous release never read" 0 \
  "$(APS_MIGRATIONS_DIR=$work/contract "$APS_BIN" migrate --check > /dev/null 2>&1; echo $?)"
sed -i 's/feature_flags DROP COLUMN users/users DROP COLUMN email/' "$work/contract/099_contract_cleanup.sql"
check "… but not what it reads" 1 "$(APS_MIGRATIONS_DIR=$work/contract "$APS_BIN" migrate --check 2>&1 | grep -c 'users.email: the previous release still reads it')"

replay_backend() { # url_of name → runs the three replays, compares
  local old new bad
  old=$($1 old) new=$($1 new) bad=$($1 bad)
  DATABASE_URL=$old APS_MIGRATIONS_DIR=$work/old "$APS_BIN" migrate > /dev/null
  DATABASE_URL=$new "$APS_BIN" migrate > /dev/null
  DATABASE_URL=$bad APS_MIGRATIONS_DIR=$work/bad "$APS_BIN" migrate --no-check > /dev/null
  check "the bad migration is applied where asked to (to show what it breaks)" 099 \
    "$(DATABASE_URL=$bad APS_MIGRATIONS_DIR=$work/bad "$APS_BIN" migrate --status | tail -1 | cut -c1-3)"
  for s in old new bad; do
    DATABASE_URL=$($1 $s) "$APS_BIN" migrate --replay "$REL" > "$work/$backend-$s.replay"
  done
  local total ok
  total=$(grep -vc '^--' "$REL")
  ok=$(grep -c '^[0-9]* ok$' "$work/$backend-old.replay")
  echo "[$backend] previous release: $ok of $total statements run without error on its own schema (the rest need real parameters)"
  check "most of the previous release's statements run on its schema" 1 "$([ "$ok" -ge $((total * 2 / 3)) ] && echo 1)"
  check "every statement replayed" "$total" "$(wc -l < "$work/$backend-new.replay")"
  check "the migrated schema: every statement behaves as on the old one" "" \
    "$(diff "$work/$backend-old.replay" "$work/$backend-new.replay")"
  local broken
  broken=$(diff "$work/$backend-old.replay" "$work/$backend-bad.replay" | grep -c '^>.*error')
  echo "[$backend] the bad migration breaks $broken statement(s) of the previous release"
  check "the bad migration breaks statements that ran before" 1 "$([ "$broken" -ge 2 ] && echo 1)"
}

backend=sqlite
sqlite_url() { echo "sqlite:///$work/$1.db"; }
replay_backend sqlite_url

if [ -n "${APS_TEST_PG_URL:-}" ]; then
  backend=pg
  for s in old new bad; do
    dbs+=("aps_compat_${s}_$$")
    psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE aps_compat_${s}_$$" > /dev/null
  done
  pg_url() { echo "${APS_TEST_PG_URL%/*}/aps_compat_${1}_$$"; }
  replay_backend pg_url
elif [ "${APS_TEST_PG_OPTIONAL:-0}" != 1 ]; then
  fail=$((fail + 1))
  echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"
fi

# Production: `aps migrate` checks first and applies nothing when the check fails.
backend=production
mkdir -p "$work/secrets"
for k in SECRET_KEY JWT_SECRET; do head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > "$work/secrets/$k"; done
# (from the source tree, where production finds config/production.env)
code=$(cd "$SRC" && ENVIRONMENT=production APS_SECRETS_DIR=$work/secrets DATABASE_URL="sqlite:///$work/prod.db" \
  APS_MIGRATIONS_DIR=$work/bad "$APS_BIN" migrate > "$work/prod.out" 2>&1; echo $?)
check "production migrate with an unsafe migration exits 1" 1 "$code"
check "… with the check's one-line verdict" 1 "$(grep -c 'aps migrate: 2 migration steps are unsafe while the previous release runs' "$work/prod.out")"
check "… and applies nothing" 0 "$(sqlite3 "$work/prod.db" "select count(*) from sqlite_master where name = 'schema_migrations'" 2> /dev/null || echo 0)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
