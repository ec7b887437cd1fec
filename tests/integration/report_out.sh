#!/usr/bin/env bash
# report_out.sh — where `aps report models --out FILE` writes, on a SQLite store with two Premier
# League seasons and a trained moneyline model. The report is made in memory and replaces FILE
# through a temporary file renamed into place: a run that fails or is killed while writing (here
# a file size limit, ulimit -f, below the new report's size) leaves the old FILE byte for byte,
# and a failed run leaves no temporary file. FILE keeps its out-of-sample section and its
# permissions, and a symbolic link stays a link to the updated file. An --out that is not a
# regular file is refused at once with a clear error: /dev/stdout into a pipe (it hung, reading
# its own pipe), a FIFO (it hung), /dev/null (it "wrote" nothing); `--out /dev/stdout > f` puts
# the whole report in f (the "wrote" line used to overwrite its start).
# Needs: APS_BIN, APS_DATA_DIR (or ../shared/data), sqlite3, jq, timeout, mkfifo.
set -uo pipefail
. "${APS_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/lib/sqlite_store.sh"
export ENVIRONMENT=development LOG_LEVEL=WARNING REDIS_URL=''

for s in 2122 2223; do
  aps ingest football-data "$DATA/football-data/E0/${s}_E0.csv" --quiet > /dev/null 2>&1 || { echo "FAIL: ingest $s"; exit 1; }
done
aps train --sport EPL --market moneyline --max-models 2 --quiet > "$work/train.out" 2>&1
check "train exits 0" 0 "$?"
out=$work/out
mkdir "$out"
report() { # --out path; prints the exit code; stdout and stderr in $work/stdout, $work/stderr
  timeout 60 "$APS_BIN" report models --out "$1" > "$work/stdout" 2> "$work/stderr"
  echo $?
}
leftovers() { find "$out" -name '*.tmp.*' | wc -l; }

check "a new file: written" 0 "$(report "$out/models.md")"
check "… says so" "wrote $out/models.md" "$(cat "$work/stdout")"
check "… it is the report" "# Models: walk-forward results" "$(head -1 "$out/models.md")"
check "… with the EPL moneyline section" 1 "$(grep -c '^## EPL moneyline$' "$out/models.md")"

# An old report with an out-of-sample section larger than the size limit used below.
{
  echo "# an old report"
  echo "<!-- oos:begin (written by bench/oos/run.sh; do not edit by hand) -->"
  for i in $(seq 3000); do echo "| oos row $i | 0.1234 | 0.5678 |"; done
  echo "<!-- oos:end -->"
} > "$out/old.md"
chmod 640 "$out/old.md"
cp "$out/old.md" "$work/old.copy"
code=$( (trap '' XFSZ; ulimit -f 64; report "$out/old.md"))
check "a write over the file size limit fails" 1 "$code"
check "… saying why" 1 "$(grep -c "^aps report models: cannot write $out/old.md: File too large$" "$work/stderr")"
check "… the old file is left as it was" same "$(cmp -s "$out/old.md" "$work/old.copy" && echo same)"
check "… and no temporary file" 0 "$(leftovers)"
code=$( (ulimit -f 64; report "$out/old.md") 2> /dev/null) # bash reports the signal
check "killed while writing (SIGXFSZ)" 153 "$code"
check "… the old file is left as it was" same "$(cmp -s "$out/old.md" "$work/old.copy" && echo same)"
find "$out" -name '*.tmp.*' -delete
check "the full write succeeds" 0 "$(report "$out/old.md")"
check "… the report replaced the old text" "# Models: walk-forward results|0" "$(head -1 "$out/old.md")|$(grep -c '^# an old report' "$out/old.md")"
check "… the out-of-sample section kept, once" "1 3000 1" \
  "$(grep -c '^<!-- oos:begin' "$out/old.md") $(grep -c '^| oos row' "$out/old.md") $(grep -c '^<!-- oos:end -->$' "$out/old.md")"
check "… the permissions kept" 640 "$(stat -c %a "$out/old.md")"

ln -s old.md "$out/link.md"
check "through a symbolic link: written" 0 "$(report "$out/link.md")"
check "… the link is still a link to the file" "old.md" "$(readlink "$out/link.md")"
check "… which holds the new report" 1 "$(grep -c "^Written by \`aps report models --out $out/link.md\`" "$out/old.md")"

code=$(timeout 60 "$APS_BIN" report models --out /dev/stdout 2> "$work/stderr" | wc -c; echo "${PIPESTATUS[0]}")
check "--out /dev/stdout into a pipe: refused at once, nothing written" "0 1" "${code//$'\n'/ }"
check "… saying why" 1 "$(grep -c '^aps report models: /dev/stdout is not a regular file' "$work/stderr")"
mkfifo "$out/fifo"
check "--out a FIFO: refused at once" 1 "$(report "$out/fifo")"
check "… saying why" 1 "$(grep -c "^aps report models: $out/fifo is not a regular file" "$work/stderr")"
check "… and it is still a FIFO" 1 "$([ -p "$out/fifo" ] && echo 1)"
check "--out /dev/null: refused" 1 "$(report /dev/null)"
check "--out in a directory that does not exist: refused" 1 "$(report "$out/none/models.md")"
check "… saying why" 1 "$(grep -c "^aps report models: cannot write in $out/none: No such file or directory$" "$work/stderr")"
check "… creating nothing" 0 "$([ -e "$out/none" ] && echo 1 || echo 0)"

timeout 60 "$APS_BIN" report models --out /dev/stdout > "$out/redirected.md" 2> "$work/stderr"
check "--out /dev/stdout > FILE: written" 0 "$?"
check "… FILE starts with the report" "# Models: walk-forward results" "$(head -1 "$out/redirected.md")"
check "… and holds all of it, not the 'wrote' line" "1 0" \
  "$(grep -c '^## Elo alone against FiveThirtyEight' "$out/redirected.md") $(grep -c '^wrote' "$out/redirected.md")"
check "no temporary file left anywhere" 0 "$(leftovers)"

echo "report_out: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
