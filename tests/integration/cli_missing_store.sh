#!/usr/bin/env bash
# cli_missing_store.sh — a DATABASE_URL naming a SQLite file that does not exist (a mistyped
# path) is refused by every command that reads or derives from the store: exit 1, one line
# naming the path and how a store is made, and nothing created (neither the file nor its
# folder). Before, each of them made a new, migrated, empty store there and answered from it:
# `aps verify` said "OK 0 picks" and `aps backup run` backed up the empty file. The commands that
# set up or fill a store (migrate, ingest) still create it. Needs: APS_BIN.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL='' APS_ENV=test
export MODEL_OUTPUT_PATH="$work/models" BACKUP_DIR="$work/backups"
pass=0 fail=0

check() { # name expected actual
  if [ "$2" == "$3" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $1: expected '$2', got '$3'"
  fi
}

missing=$work/typo/aps.db
export DATABASE_URL="sqlite:///$missing"
want="aps: cannot open the store: no store at $missing: the file does not exist ('aps migrate' creates a store, 'aps ingest' fills it)"
while IFS= read -r args; do
  read -ra argv <<< "$args"
  "$APS_BIN" "${argv[@]}" > "$work/out" 2> "$work/err" < /dev/null
  rc=$?
  check "aps $args exits 1" 1 "$rc"
  check "aps $args names the missing store" "$want" "$(head -1 "$work/err")"
  check "aps $args prints nothing on stdout" 0 "$(wc -c < "$work/out")"
  check "aps $args creates nothing" no "$([ -e "$work/typo" ] && echo yes || echo no)"
  rm -rf "$work/typo"
done << 'COMMANDS'
stats
migrate --status
migrate --replay /dev/null
verify
elo fit --sport nfl
elo ratings --sport nfl
backtest --sport nfl
predict --sport nfl
grade
train --sport nfl --market moneyline
models list
report models --out models.md
flags list
flags set backtests on
secrets status
backup run
backup list
snapshot --anonymize --out SNAPSHOT
COMMANDS

# The commands that make a store: migrate creates the file (and its folder); ingest of a
# folder without data files creates it too (a first load).
"$APS_BIN" migrate > /dev/null 2> "$work/err"
check "aps migrate creates the store" "0 yes" "$? $([ -s "$missing" ] && echo yes || echo no)"
"$APS_BIN" stats > "$work/out" 2> "$work/err"
check "aps stats reads the store migrate made" 0 "$?"
rm -rf "$work/typo"
mkdir -p "$work/empty"
"$APS_BIN" ingest all "$work/empty" --quiet > /dev/null 2> "$work/err"
check "aps ingest creates the store" yes "$([ -s "$missing" ] && echo yes || echo no)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
