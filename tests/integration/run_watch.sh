#!/usr/bin/env bash
# run_watch.sh — `make run-watch` (scripts/run-watch) on a small project of its own, so the real
# tree is never rebuilt: RUN_WATCH_ROOT points the watcher at a temporary directory with a
# one-file C program built by CMake (the same `cmake --build` the watcher runs here) and a
# scripts/run that starts it and writes var/serve.pid, as the real scripts/run does. Checks, each
# with a bounded wait:
#   - a source change rebuilds and restarts: the new program's version runs in a new process and
#     the old process is gone;
#   - a change under config/ sends SIGHUP to the running program, which is not restarted;
#   - a source change that does not build leaves the running program up, and the next good
#     change restarts it;
#   - stopping the watcher stops the program.
# Needs: inotifywait (inotify-tools), cmake, a C compiler.
set -uo pipefail
self_dir=$(cd "$(dirname "$0")" && pwd)
watcher=$self_dir/../../scripts/run-watch
for tool in inotifywait cmake cc setsid; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done
STEP_S=${RUN_WATCH_STEP_S:-20} # how long one step may take before the change is made again
TRIES=3

work=$(mktemp -d)
proj=$work/proj
watch_pid=
cleanup() {
  [ -n "$watch_pid" ] && kill -TERM -- "-$watch_pid" 2>/dev/null
  sleep 0.2
  [ -n "$watch_pid" ] && kill -KILL -- "-$watch_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "--- run-watch output"; cat "$work/watch.log"
  echo "--- program log"; cat "$proj/var/app.log" 2> /dev/null
  exit 1
}

mkdir -p "$proj/src" "$proj/config" "$proj/migrations" "$proj/scripts" "$proj/var"
cat > "$proj/CMakeLists.txt" << 'EOF'
cmake_minimum_required(VERSION 3.13)
project(run_watch_fixture C)
add_executable(app src/app.c)
EOF
# app VERSION: logs "VERSION pid PID" at start and "VERSION reload" on each SIGHUP.
write_app() {
  cat > "$proj/src/app.c.tmp" << EOF
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static volatile sig_atomic_t hup;
static void on_hup(int s) { (void)s; hup = 1; }
int main(void)
{
    FILE *log = fopen("var/app.log", "a");
    if (!log)
        return 1;
    signal(SIGHUP, on_hup);
    fprintf(log, "$1 pid %d\n", (int)getpid());
    fflush(log);
    for (;;) {
        pause();
        if (hup) {
            hup = 0;
            fprintf(log, "$1 reload\n");
            fflush(log);
        }
    }
}
EOF
  mv "$proj/src/app.c.tmp" "$proj/src/app.c"
}
cat > "$proj/scripts/run" << 'EOF'
#!/usr/bin/env bash
set -euo pipefail
"$BUILD/app" &
pid=$!
echo "$pid" > var/serve.pid
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
wait "$pid" || true
wait "$pid" 2>/dev/null || true
EOF
chmod +x "$proj/scripts/run"
write_app v1
if ! { cmake -S "$proj" -B "$proj/build" && cmake --build "$proj/build"; } > "$work/cmake.log" 2>&1
then
  cat "$work/cmake.log"
  echo "FAIL: the fixture project does not build"
  exit 1
fi

# seen PATTERN FILE: the file has a line matching PATTERN.
seen() { grep -q -- "$1" "$2" 2> /dev/null; }
# step DESC PATTERN FILE ACTION...: runs ACTION until PATTERN shows in FILE, STEP_S seconds per
# try, TRIES tries (a change made before the watcher's first watch is set up is not seen).
step() {
  local desc=$1 pattern=$2 file=$3 try i
  shift 3
  for ((try = 1; try <= TRIES; try++)); do
    "$@"
    for ((i = 0; i < STEP_S * 10; i++)); do
      seen "$pattern" "$file" && { echo "ok: $desc"; return 0; }
      sleep 0.1
    done
  done
  fail "$desc: no '$pattern' in $file after $TRIES tries of ${STEP_S} s"
}
pid_of() { sed -n "s/^$1 pid \([0-9]*\)$/\1/p" "$proj/var/app.log" | tail -1; }
gone() {
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.1; done
  return 1
}
nothing() { :; }

RUN_WATCH_ROOT=$proj BUILD=build JOBS=1 WATCH_DEBOUNCE_S=1 setsid "$watcher" \
  > "$work/watch.log" 2>&1 < /dev/null &
watch_pid=$!

step "the first start runs the program" '^v1 pid' "$proj/var/app.log" nothing
v1=$(pid_of v1)

step "a source change rebuilds and restarts" '^v2 pid' "$proj/var/app.log" write_app v2
v2=$(pid_of v2)
[ "$v2" != "$v1" ] || fail "v2 runs in the old process $v1"
gone "$v1" || fail "the old process $v1 still runs after the restart"
if ! seen 'rebuilding' "$work/watch.log" || ! seen 'restarting' "$work/watch.log"; then
  fail "run-watch did not say it rebuilt and restarted"
fi

n=0
touch_config() { n=$((n + 1)); echo "SETTING=$n" > "$proj/config/development.env"; }
step "a config change reloads (SIGHUP) without a restart" '^v2 reload' "$proj/var/app.log" \
  touch_config
kill -0 "$v2" 2> /dev/null || fail "the program $v2 stopped on a config change"
[ "$(grep -c ' pid ' "$proj/var/app.log")" = 2 ] || fail "a config change restarted the program"

break_app() { echo "this is not C" > "$proj/src/app.c"; }
step "a failed build is reported" 'the build failed' "$work/watch.log" break_app
kill -0 "$v2" 2> /dev/null || fail "the program $v2 stopped after a failed build"
[ "$(grep -c ' pid ' "$proj/var/app.log")" = 2 ] || fail "a failed build restarted the program"

step "the next good change restarts" '^v3 pid' "$proj/var/app.log" write_app v3
v3=$(pid_of v3)
gone "$v2" || fail "the old process $v2 still runs after the restart"

kill -TERM "$watch_pid"
for ((i = 0; i < 100; i++)); do kill -0 "$watch_pid" 2> /dev/null || break; sleep 0.1; done
kill -0 "$watch_pid" 2> /dev/null && fail "run-watch did not stop on SIGTERM"
gone "$v3" || fail "the program $v3 still runs after run-watch stopped"
echo "ok: stopping run-watch stops the program"
watch_pid=
echo "run_watch: passed"
