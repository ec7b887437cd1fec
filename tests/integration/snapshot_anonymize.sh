#!/usr/bin/env bash
# snapshot_anonymize.sh — `aps snapshot --anonymize` on SQLite and PostgreSQL (APS_TEST_PG_URL):
# a store seeded with personal values (e-mails, names, a real Argon2 password hash, TOTP
# secrets, API-key material, session tokens, IPs, user agents, free-text notes) is exported;
# not one of those values is anywhere in the snapshot file's bytes; bankrolls, bets and their
# transactions are kept with the same ids, amounts and (now pseudonymous) owners; sessions and
# jobs are left out; the source's audit log records the snapshot. `aps snapshot --load` puts the
# file into a fresh store of the other kind, whose sequences continue past the copied ids, and
# refuses a store that already has users. The store holds real NFL data (spreadspoke), whose
# teams reference venues through a column a later migration added: every table is copied after
# the tables it references, and every table has the same row count in the source, the snapshot
# and the loaded store. A snapshot into a directory that does not exist fails and creates none.
# Needs: APS_BIN, sqlite3; psql for the PostgreSQL half.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=${APS_DATA_DIR:-$SRC/../shared/data}
command -v sqlite3 > /dev/null || { echo "snapshot_anonymize: sqlite3 is missing" >&2; exit 1; }
work=$(mktemp -d)
dbs=()
cleanup() {
  for d in "${dbs[@]}"; do psql "$APS_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $d" > /dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL [$backend]: $1: expected '$2', got '$3'"; fi
}
q() { # url sql
  case $1 in sqlite://*) sqlite3 "${1#sqlite:///}" "$2" ;; *) psql "$1" -AtqF '|' -c "$2" ;; esac
}
printf 'Alice-Pa55word-personal\n' > "$work/pw"
PERSONAL=(alice.personal@example.com bob.private@example.org "Alice Wonderland" "Bob Secretname"
  JBSWY3DPEHPK3PXPALICE KRSXG5CTMVRXEZLUBOB aps_live_ab12 f00dfeedcafe0123456789abcdef
  sess-token-hash-alice 203.0.113.77 198.51.100.23 AliceBrowser/1.0 "Alice's secret stash"
  "told my sister Carol" "deposit from Alice Wonderland" req-7f3a9c)
counts() { # url [table]: 'table=rows ' for each of $tables, the one named left out
  local t out=""
  for t in $tables; do [ "$t" = "${2:-}" ] || out+="$t=$(q "$1" "select count(*) from $t") "; done
  echo "$out"
}

run_backend() { # source-url load-url
  local src=$1 dst=$2
  export DATABASE_URL=$src
  "$APS_BIN" migrate > /dev/null
  "$APS_BIN" ingest football-data "$DATA/football-data/E0/1213_E0.csv" --quiet > /dev/null
  "$APS_BIN" ingest spreadspoke "$DATA/spreadspoke" --quiet > /dev/null
  "$APS_BIN" user create --email alice.personal@example.com --name "Alice Wonderland" --role pro --password-file "$work/pw" > /dev/null
  "$APS_BIN" user create --email bob.private@example.org --name "Bob Secretname" --role user --password-file "$work/pw" > /dev/null
  local now a b g
  now=$(date +%s)
  a=$(q "$src" "select id from users where email like 'alice%'")
  b=$(q "$src" "select id from users where email like 'bob%'")
  g=$(q "$src" "select min(id) from games")
  q "$src" "update users set totp_secret = 'JBSWY3DPEHPK3PXPALICE', totp_enabled = 1, totp_pending = 'KRSXG5CTMVRXEZLUBOB' where id = $a;
    insert into api_keys (user_id, name, prefix, key_hash, rate_limit_per_min, created_at) values ($a, 'Alice Wonderland laptop', 'aps_live_ab12', 'f00dfeedcafe0123456789abcdef', 60, $now);
    insert into sessions (user_id, token_hash, expires_at, ip, user_agent, created_at) values ($a, 'sess-token-hash-alice', $((now + 86400)), '203.0.113.77', 'AliceBrowser/1.0', $now);
    insert into audit_log (at, actor_id, actor_type, action, resource_type, resource_id, outcome, ip, user_agent, request_id, details) values
      ($now, $a, 'user', 'login', 'user', 'alice.personal@example.com', 'success', '198.51.100.23', 'AliceBrowser/1.0', 'req-7f3a9c', '{\"email\":\"alice.personal@example.com\"}'),
      ($now, $b, 'user', 'flag_changed', 'flag', 'backtests', 'success', '203.0.113.77', NULL, NULL, NULL);
    insert into bankrolls (user_id, name, initial_amount, current_amount, peak_amount, low_amount, created_at, updated_at) values ($a, 'Alice''s secret stash', 1000, 1090.91, 1090.91, 1000, $now, $now), ($b, 'main', 500, 400, 500, 400, $now, $now);
    insert into bets (user_id, bankroll_id, game_id, market, selection, price, stake, notes, placed_at, result, profit_loss, settled_at) values
      ($a, (select min(id) from bankrolls), $g, 'moneyline', 'home', 1.9091, 100, 'told my sister Carol', $now, 'win', 90.91, $now),
      ($b, (select max(id) from bankrolls), $g, 'moneyline', 'away', 2.5, 100, NULL, $now, 'loss', -100, $now);
    insert into bankroll_transactions (bankroll_id, kind, amount, balance_after, description, created_at) values ((select min(id) from bankrolls), 'deposit', 1000, 1000, 'deposit from Alice Wonderland', $now);
    insert into jobs (name, payload, state, max_attempts, run_at, enqueued_at) values ('noop', '{\"email\":\"alice.personal@example.com\"}', 'ready', 1, 0, 0);" > /dev/null
  local hash
  hash=$(q "$src" "select password_hash from users where id = $a")
  check "the seeded password hash is a real Argon2 hash" 1 "$(echo "$hash" | grep -c '^\$argon2')"

  local venues
  venues=$(q "$src" "select count(*) from teams where home_venue_id is not null")
  check "the NFL teams reference their home venues" 1 "$([ "${venues:-0}" -gt 0 ] && echo 1 || echo 0)"
  check "a snapshot needs --anonymize" 2 "$("$APS_BIN" snapshot --out "$work/x.db" > /dev/null 2>&1; echo $?)"
  "$APS_BIN" snapshot --anonymize --out "$work/snap-$backend.db" > "$work/snap-$backend.out" 2>&1
  check "snapshot written" 0 $?
  local f=$work/snap-$backend.db
  check "no -wal or -shm file left beside it" 0 "$(ls "$f"-* 2> /dev/null | wc -l)"
  local left=""
  for p in "${PERSONAL[@]}" "$hash"; do
    grep -q -a -F -- "$p" "$f" && left+="[$p] "
  done
  check "no original personal value in the snapshot's bytes" "" "$left"
  check "users: pseudonymous e-mails" "user$a@example.invalid user$b@example.invalid" "$(sqlite3 "$f" "select group_concat(email, ' ') from (select email from users order by id)")"
  check "users: names replaced, hashes unusable, 2FA off" "User $a|!anonymized||0|" "$(sqlite3 "$f" "select name, password_hash, totp_secret, totp_enabled, totp_pending from users where id = $a")"
  check "api keys: material replaced and revoked" "key 1|anon|1" "$(sqlite3 "$f" "select name, prefix, revoked from api_keys")"
  check "sessions and jobs left out" "0 0" "$(sqlite3 "$f" "select (select count(*) from sessions) || ' ' || (select count(*) from jobs)")"
  check "audit: ip, agent, request id, details gone; a plain resource id kept, an e-mail not" "user||||||flag|backtests||||" \
    "$(sqlite3 "$f" "select group_concat(x, '|') from (select resource_type || '|' || coalesce(resource_id, '') || '|' || coalesce(ip, '') || '|' || coalesce(user_agent, '') || '|' || coalesce(request_id, '') || '|' || coalesce(details, '') as x from audit_log where action in ('login', 'flag_changed') order by id)")"
  r() { echo "cast(round($1 * 10000) as bigint)"; } # the same text from both stores
  for tq in "select id, user_id, $(r initial_amount), $(r current_amount) from bankrolls order by id" \
    "select id, user_id, bankroll_id, game_id, $(r stake), $(r price), result, $(r profit_loss) from bets order by id" \
    "select id, bankroll_id, kind, $(r amount), $(r balance_after) from bankroll_transactions order by id"; do
    check "kept with their owners: ${tq#* from }" "$(q "$src" "$tq" | tr '\n' ';')" "$(sqlite3 "$f" "$tq" | tr '\n' ';')"
  done
  check "the games came along" "$(q "$src" "select count(*) from games")" "$(sqlite3 "$f" "select count(*) from games")"
  tables=$(sqlite3 "$f" "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not in ('aps_snapshot', 'schema_migrations', 'sessions', 'jobs', 'locks', 'fences', 'schedule_runs') order by name")
  check "the snapshot holds the NFL teams with their venues" "$venues" "$(sqlite3 "$f" "select count(*) from teams where home_venue_id is not null")"
  check "every table as in the source (whose audit log gained the snapshot's row since)" "$(counts "$src" audit_log)" "$(counts "sqlite:///$f" audit_log)"
  check "the snapshot says what it is" "1" "$(sqlite3 "$f" "select value from aps_snapshot where key = 'anonymized'")"
  check "the source's audit log records the snapshot" 1 "$(q "$src" "select count(*) from audit_log where action = 'snapshot_taken'")"
  check "an existing file is never overwritten" 1 "$("$APS_BIN" snapshot --anonymize --out "$f" > /dev/null 2>&1; echo $?)"
  check "a snapshot into a directory that does not exist fails" 1 "$("$APS_BIN" snapshot --anonymize --out "$work/no-such-dir/sub/s.db" > /dev/null 2>&1; echo $?)"
  check "… and creates no directory" no "$([ -e "$work/no-such-dir" ] && echo yes || echo no)"

  export DATABASE_URL=$dst
  "$APS_BIN" snapshot --load "$f" > "$work/load-$backend.out" 2>&1
  check "loaded into a fresh store" 0 $?
  check "every table loaded with the snapshot's row count" "$(counts "sqlite:///$f")" "$(counts "$dst")"
  check "bets as in the snapshot" "$(sqlite3 "$f" "select count(*), $(r 'sum(stake)') from bets")" "$(q "$dst" "select count(*), $(r 'sum(stake)') from bets")"
  check "a new user after the load gets a fresh id" 0 "$("$APS_BIN" user create --email carol@example.com --role user --password-file "$work/pw" > /dev/null 2>&1; echo $?)"
  check "… past the copied ones" 1 "$(q "$dst" "select count(*) from users where email = 'carol@example.com' and id > $b")"
  check "a store with users is refused" 1 "$("$APS_BIN" snapshot --load "$f" > /dev/null 2>&1; echo $?)"
}

backend=sqlite-to-pg
if [ -n "${APS_TEST_PG_URL:-}" ]; then
  for s in src dst; do dbs+=("aps_snap_${s}_$$"); psql "$APS_TEST_PG_URL" -qc "CREATE DATABASE aps_snap_${s}_$$" > /dev/null; done
  pg() { echo "${APS_TEST_PG_URL%/*}/aps_snap_${1}_$$"; }
  run_backend "sqlite:///$work/src.db" "$(pg dst)"
  backend=pg-to-sqlite
  run_backend "$(pg src)" "sqlite:///$work/dst.db"
else
  backend=sqlite-to-sqlite
  run_backend "sqlite:///$work/src.db" "sqlite:///$work/dst.db"
  [ "${APS_TEST_PG_OPTIONAL:-0}" = 1 ] || { fail=$((fail + 1)); echo "FAIL: APS_TEST_PG_URL is unset (scripts/pgtest start), so PostgreSQL was not tested; APS_TEST_PG_OPTIONAL=1 skips it"; }
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
