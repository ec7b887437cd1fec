#!/usr/bin/env bash
# check_source_selftest — scripts/check-source finds each of its rules in tests/source/violations.c
# (and nothing in that file's comments or in the SELECT literal without %s), so the source check
# over src/ can fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(python3 "$root/scripts/check-source" "$root/tests/source/violations.c" || true)
echo "$out"
fail=0
for want in "banned: atoi()" "raw-alloc: malloc()" "raw-alloc: free()" \
            "unchecked-snprintf: result of snprintf into 'key'" "long-function: function body of 83" \
            "issue-number: 'issue 6'" "http-library: MHD_lookup_connection_value outside"; do
  grep -qF "$want" <<<"$out" || { echo "check_source_selftest: missing finding: $want"; fail=1; }
done
n=$(grep -c '^tests/source/violations.c:' <<<"$out" || true)
[ "$n" = 7 ] || { echo "check_source_selftest: want 7 findings, got $n"; fail=1; }
[ "$fail" = 0 ] && echo "check_source_selftest: ok"
exit "$fail"
