#!/usr/bin/env bash
# `aps secrets rotate jwt` changes the keys only together with its audit row (docs/operations.md,
# "Rotating the JWT signing key"): on a store with no migrations yet it applies them and audits
# the rotation like on any other store; when the store cannot take the row (a PostgreSQL URL
# where nothing answers, a SQLite file that does not exist) it changes no key file, says so and
# exits 1 — for --stage too. A store that answers again takes the next rotation.
# Needs: APS_BIN, sqlite3.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
command -v sqlite3 > /dev/null || { echo "secrets_rotate_audit: sqlite3 is missing (scripts/bootstrap installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
pass=0 fail=0
check() {
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected '$2', got '$3'"; fi
}
# has TEXT FILE — 1 when FILE contains TEXT, else 0 (and the file is shown)
has() {
  if grep -qF -- "$1" "$2"; then echo 1; else echo 0; cat "$2" >&2; fi
}
unset JWT_SECRET JWT_SECRET_NEXT JWT_SECRET_PREVIOUS JWT_SECRET_FILE REDIS_URL
mkdir secrets
export ENVIRONMENT=development LOG_LEVEL=WARNING APS_SECRETS_DIR="$work/secrets"
echo "secrets-rotate-audit-first-key-0123456789" > secrets/JWT_SECRET
keys() { cat secrets/JWT_SECRET* | sha256sum | cut -c1-16; }
rotations() { sqlite3 "$work/$1" "SELECT COUNT(*) FROM audit_log WHERE action = 'secret_rotated'" 2>&1; }

# A store nothing was migrated into yet (an empty file): the rotation is audited.
: > fresh.db
export DATABASE_URL="sqlite:///$work/fresh.db"
"$APS_BIN" secrets rotate jwt > out 2> err
check "a rotation on an unmigrated store exits" 0 $?
check "… and says nothing about the audit log" 0 "$(grep -c 'audit log' err)"
check "… its row is in the audit log" 1 "$(rotations fresh.db)"
check "… the first key verifies as previous" 1 "$(grep -c 'secrets-rotate-audit-first-key' secrets/JWT_SECRET_PREVIOUS)"

# No store to audit in: nothing changes.
before=$(keys)
export DATABASE_URL="postgresql://aps@127.0.0.1:1/aps?connect_timeout=2"
"$APS_BIN" secrets rotate jwt > out 2> err
check "a rotation without a store exits" 1 $?
check "… it says that no key was changed" 1 "$(has 'cannot write the rotation to the audit log' err)"
check "… and prints no new key" "" "$(cat out)"
check "… the key files are as they were" "$before" "$(keys)"
"$APS_BIN" secrets rotate jwt --stage > out 2> err
check "staging without a store exits" 1 $?
check "… and stages nothing" no "$([ -e secrets/JWT_SECRET_NEXT ] && echo yes || echo no)"
# A mistyped SQLite path is no store either: refused, nothing made.
export DATABASE_URL="sqlite:///$work/typo/aps.db"
"$APS_BIN" secrets rotate jwt > out 2> err
check "a rotation into a SQLite file that does not exist exits" 1 $?
check "… it names the missing store" 1 "$(has "no store at $work/typo/aps.db" err)"
check "… the key files are as they were" "$before" "$(keys)"
check "… and nothing is created" no "$([ -e typo ] && echo yes || echo no)"

# The store answers again: the rotation goes through and is audited.
export DATABASE_URL="sqlite:///$work/fresh.db"
"$APS_BIN" secrets rotate jwt --stage > out 2> err
check "staging on the store exits" 0 $?
"$APS_BIN" secrets rotate jwt > out 2> err
check "the rotation after it exits" 0 $?
check "both are in the audit log" 3 "$(rotations fresh.db)"
check "the keys changed" 1 "$([ "$(keys)" != "$before" ] && echo 1 || echo 0)"

echo "secrets_rotate_audit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
