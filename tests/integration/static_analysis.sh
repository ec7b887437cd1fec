#!/usr/bin/env bash
# Static and dynamic analysis of the tree, the class of bug behind "aps worker enqueue" reading
# a variable before the call that set it (argument evaluation order is unspecified in C):
#   1. gcc -fanalyzer over every file of src/ (uninitialised reads, use after free, leaks,
#      NULL dereferences, double fclose …), with the build's own flags from
#      compile_commands.json; any analyzer warning fails the test.
#   2. valgrind memcheck over the CLI commands that need no server: every read of an
#      uninitialised value or invalid access fails the test (leaks are not counted: commands
#      exit with their pools alive). Skipped for a sanitizer build (APS_SANITIZE=ON), which
#      valgrind cannot run and whose AddressSanitizer checks the accesses itself.
# Needs: APS_BIN, APS_BUILD_DIR (compile_commands.json), gcc, valgrind, jq.
set -uo pipefail
: "${APS_BIN:?APS_BIN is the aps binary}"
: "${APS_BUILD_DIR:?APS_BUILD_DIR is the build folder}"
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in gcc valgrind jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/bootstrap installs it)"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# ---- 1. gcc -fanalyzer ------------------------------------------------------------------------
db="$APS_BUILD_DIR/compile_commands.json"
[ -f "$db" ] || { echo "FAIL: $db is missing (CMAKE_EXPORT_COMPILE_COMMANDS)"; exit 1; }
# One line per src/ file: the directory, then the compile command with -fanalyzer added, the
# optimisation and sanitizers dropped (the analyzer wants neither), the output discarded.
jq -r --arg src "$SRC/src/" '.[] | select(.file | startswith($src)) |
  [.directory, .file, (.command | gsub(" -o [^ ]+"; "") | gsub(" -O[0-3s]| -fsanitize=[^ ]+"; ""))] | @tsv' \
  "$db" > "$work/cmds"
nfiles=$(wc -l < "$work/cmds")
analyze() { # directory, file, command
  cd "$1" && eval "$3 -O0 -fanalyzer -Wno-error -o /dev/null" 2>&1 | grep -E 'warning: .*\[-Wanalyzer' || true
}
export -f analyze
t0=$(date +%s)
tr '\t' '\036' < "$work/cmds" | xargs -d '\n' -P "${APS_ANALYZE_JOBS:-2}" -I{} \
  bash -c 'IFS=$'"'"'\036'"'"' read -r d f c <<< "$1"; analyze "$d" "$f" "$c"' _ {} > "$work/analyzer.txt"
findings=$(grep -c . "$work/analyzer.txt")
echo "static_analysis: gcc -fanalyzer over $nfiles files in $(( $(date +%s) - t0 )) s: $findings finding(s)"
if [ "$findings" -gt 0 ]; then cat "$work/analyzer.txt"; fail=1; fi

# ---- 2. valgrind memcheck over the CLI ---------------------------------------------------------
if grep -q '^APS_SANITIZE:BOOL=ON' "$APS_BUILD_DIR/CMakeCache.txt" 2> /dev/null; then
  echo "static_analysis: valgrind skipped: $APS_BIN is a sanitizer build"
  [ "$fail" = 0 ] && echo "static_analysis: clean" || echo "static_analysis: FAILED"
  exit "$fail"
fi
export DATABASE_URL="sqlite:///$work/aps.db" ENVIRONMENT=development LOG_LEVEL=ERROR
export APS_MIGRATIONS_DIR="$SRC/migrations" REDIS_URL=
vg() { # name, args…
  local name=$1; shift
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=no --track-origins=yes \
    --log-file="$work/vg-$name.log" "$APS_BIN" "$@" > "$work/out-$name.txt" 2>&1
  local rc=$?
  if [ "$rc" = 99 ] || grep -q "ERROR SUMMARY: [1-9]" "$work/vg-$name.log"; then
    echo "FAIL: valgrind: aps $*"; grep -A12 "Conditional jump\|uninitialised\|Invalid" "$work/vg-$name.log" | head -40
    fail=1
  elif [ "$rc" -ne 0 ]; then
    echo "FAIL: aps $* exited $rc under valgrind"; tail -5 "$work/out-$name.txt"; fail=1
  fi
  nrun=$((nrun + 1))
}
nrun=0
vg migrate migrate
vg jobs worker jobs
vg enqueue worker enqueue noop --payload '{"mark":"vg"}' --key vg-1
vg enqueue2 worker enqueue noop --payload '{"mark":"vg"}' --key vg-1
vg run worker run noop --payload '{"mark":"vg-run"}'
vg dead worker dead list
vg config config print
vg get config get PORT
echo "static_analysis: valgrind memcheck over $nrun CLI commands"
[ "$fail" = 0 ] && echo "static_analysis: clean" || echo "static_analysis: FAILED"
exit "$fail"
