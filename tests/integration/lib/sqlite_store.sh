# lib/sqlite_store.sh — sourced by the integration tests that train and score on a throwaway
# SQLite store of real shared data (oos.sh, gate_report.sh): checks the tools, makes $work (removed
# on exit), points DATABASE_URL and MODEL_OUTPUT_PATH into it, and defines check, db and aps.
# Needs: APS_BIN, APS_DATA_DIR (or APS_SOURCE_DIR/../shared/data), sqlite3, jq.
: "${APS_BIN:?APS_BIN is the aps binary}"
DATA=${APS_DATA_DIR:-${APS_SOURCE_DIR:?}/../shared/data}
for tool in sqlite3 jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1: expected $2, got $3"; fi
}
export DATABASE_URL="sqlite:///$work/aps.db" MODEL_OUTPUT_PATH="$work/models" APS_ENV=test
db() { sqlite3 "$work/aps.db" "$1"; }
aps() { "$APS_BIN" "$@"; }
