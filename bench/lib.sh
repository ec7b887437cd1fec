# bench/lib.sh — what the bench scripts share (sourced, not run): quick mode, medians, ratios,
# aim verdicts, the header of a results section (machine, load average, commit), a timer, data
# slices for the "how cost grows" tables and the verdict on how a cost grows with the work.
#
# BENCH_QUICK=1 (make bench-quick) asks every script for a smoke run: shorter durations and
# fewer sizes, still 3 runs a median so that the tables keep their shape.

BENCH_QUICK=${BENCH_QUICK:-0}

# median of the numbers on stdin (one a line)
bench_median() {
  sort -g | awk '{v[NR] = $1} END {if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2];
                                   else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# bench_cpu_ticks PID… → the CPU time (user + system, clock ticks: getconf CLK_TCK a second) the
# processes and all their descendants have used, threads included; a process that has ended
# counts as nothing
bench_pids_tree() {
  local p kids
  for p in "$@"; do
    echo "$p"
    mapfile -t kids < <(pgrep -P "$p" || true)
    [ "${#kids[@]}" = 0 ] || bench_pids_tree "${kids[@]}"
  done
}
bench_cpu_ticks() {
  local p
  for p in $(bench_pids_tree "$@"); do
    { sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true; } | awk '{print $12 + $13}'
  done | awk '{t += $1} END {print t + 0}'
}

# bench_ratio A B → A / B with two decimals (0 when B is 0)
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }

# bench_verdict VALUE OP LIMIT → met / missed (OP is >=, <= or <)
bench_verdict() {
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    ok = (op == ">=") ? v >= t : (op == "<=") ? v <= t : v < t; print ok ? "met" : "missed"}'
}

bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

bench_machine() {
  echo "$(nproc) cores ($(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -r)"
}

bench_commit() {
  echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src bench ':!bench/results' 2>/dev/null || echo ' plus uncommitted changes')"
}

# bench_section COMMAND LOAD_AT_START: the heading and provenance lines of one appended section.
bench_section() {
  echo
  echo "## $(date -u +%Y-%m-%dT%H:%M:%SZ) — $(bench_machine)"
  echo
  echo "Command: \`$1\` (commit $(bench_commit)$([ "$BENCH_QUICK" = 1 ] && echo '; quick mode'); binary ${APS_BIN:-build/aps}). Load average"
  echo "(1, 5, 15 min) at the start: $2; at the end: $(bench_load). The machine may be shared: compare the"
  echo "ratios, each against its reference measured in the same run, rather than absolute numbers."
}

# bench_time CMD... → wall seconds of the command on stdout (its own output discarded); fails
# when the command fails.
bench_time() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null || { echo "bench: failed: $*" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l | awk '{printf "%.3f", $1}'
}

# bench_data_slice SRC DEST FRACTION: DEST gets every file of SRC; each CSV cut to its header and
# the first FRACTION of its data lines (an even count, so home/away line pairs stay whole; files
# are chronological, so this keeps the earliest seasons). FRACTION 1 links the files.
bench_data_slice() {
  local src=$1 dest=$2 frac=$3 f rel n keep
  mkdir -p "$dest"
  (cd "$src" && find . -type f) | while read -r rel; do
    f=$src/$rel
    mkdir -p "$dest/$(dirname "$rel")"
    if [ "$frac" = 1 ] || [[ $rel != *.csv ]]; then
      ln -s "$(readlink -f "$f")" "$dest/$rel"
    else
      n=$(($(wc -l < "$f") - 1))
      keep=$(awk -v n="$n" -v f="$frac" 'BEGIN {k = int(n * f); k -= k % 2; print k}')
      head -n "$((keep + 1))" "$f" > "$dest/$rel"
    fi
  done
}

# bench_growth "WORK COST" ...: how COST grows with WORK (pairs in increasing work). Linear when
# the cost per unit of work at every size is within 25 % of the one at the largest size; else
# says which way it bends and between which sizes the cost per unit moves most.
bench_growth() {
  printf '%s\n' "$@" | awk '
    {x[NR] = $1; y[NR] = $2; u[NR] = ($1 > 0) ? $2 / $1 : 0}
    END {
      n = NR; lin = 1
      for (i = 1; i <= n; i++) if (u[n] <= 0 || u[i] / u[n] > 1.25 || u[i] / u[n] < 0.8) lin = 0
      if (lin) { print "linear (cost per unit within 25 % at every size)"; exit }
      best = 2; d = 0
      for (i = 2; i <= n; i++) { r = (u[i - 1] > 0) ? u[i] / u[i - 1] : 1; if (r < 1) r = 1 / r; if (r > d) { d = r; best = i } }
      if (u[1] > u[n]) printf "sub-linear: a fixed cost dominates the small sizes (cost per unit %.3g at %s, %.3g at %s); bends between %s and %s\n", u[1], x[1], u[n], x[n], x[best - 1], x[best]
      else printf "super-linear: cost per unit grows (%.3g at %s, %.3g at %s); bends between %s and %s\n", u[1], x[1], u[n], x[n], x[best - 1], x[best]
    }'
}

# to_ms: wrk latency (123.45us, 1.23ms, 1.2s) to milliseconds
bench_to_ms() {
  awk '{v = $1; if (v ~ /us$/) {sub(/us/, "", v); print v / 1000} else if (v ~ /ms$/) {sub(/ms/, "", v); print v}
        else {sub(/s/, "", v); print v * 1000}}'
}

# bench_stores SIZE...: for each SIZE (a fraction of the data, bench_data_slice) a SQLite store
# $work/store-SIZE.db with that slice ingested (not timed); sets the associative arrays
# store_seasons[SIZE] and store_games[SIZE] (declared by the caller). Uses APS, DATA and work.
bench_stores() {
  local s d
  for s in "$@"; do
    d=$DATA
    if [ "$s" != 1 ]; then d=$work/data-$s; bench_data_slice "$DATA" "$d" "$s"; fi
    DATABASE_URL="sqlite:///$work/store-$s.db" "$APS" ingest all "$d" --quiet > /dev/null
    store_seasons[$s]=$(sqlite3 "$work/store-$s.db" 'SELECT count(DISTINCT season_id) FROM games')
    store_games[$s]=$(sqlite3 "$work/store-$s.db" 'SELECT count(*) FROM games')
  done
}

# bench_sizes: the data fractions of the "how cost grows" tables (the last is the main run's).
bench_sizes() { if [ "$BENCH_QUICK" = 1 ]; then echo 0.0625 0.125 0.25; else echo 0.25 0.5 1; fi; }

# bench_perf_top FILE [N]: the N (15) symbols of a `perf record` file with the most self time,
# one "percent [.] symbol" line each.
bench_perf_top() {
  perf report -i "$1" --no-children --stdio --sort symbol 2>/dev/null |
    awk -v m="${2:-15}" '/^ +[0-9.]+%/ && n++ < m {print $1, $2, $3}'
}
