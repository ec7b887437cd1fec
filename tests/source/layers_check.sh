#!/usr/bin/env bash
# layers_check — the layer graph is enforced by the build: a probe compiled with a layer's own
# flags (from the build's compile_commands.json) may include the headers of the layers that layer
# links and fails to compile when it includes one above it. Run by ctest as source/layers.
#   usage: layers_check.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: layers_check.sh BUILD_DIR}
db=$build/compile_commands.json
[ -f "$db" ] || { echo "layers_check: $db missing (configure with CMAKE_EXPORT_COMPILE_COMMANDS)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# flags LAYER: the compile command of one of src/LAYER's files, without -o/-c and the file
flags() {
  python3 - "$db" "$1" <<'PY'
import json, shlex, sys
for e in json.load(open(sys.argv[1])):
    if "/src/%s/" % sys.argv[2] in e["file"]:
        args = shlex.split(e["command"])
        out, skip = [], False
        for a in args[1:]:
            if skip:
                skip = False
            elif a in ("-o", "-c"):
                skip = a == "-o"
            elif not a.endswith(".c"):
                out.append(a)
        print(shlex.join([args[0]] + out))
        break
PY
}

fail=0
declare -A cmds
# probe LAYER HEADER want(ok|error)
probe() {
  local layer=$1 header=$2 want=$3 cmd got
  [ -n "${cmds[$layer]:-}" ] || cmds[$layer]=$(flags "$layer")
  cmd=${cmds[$layer]}
  [ -n "$cmd" ] || { echo "layers_check: no compile command for src/$layer"; fail=1; return; }
  printf '#include "%s"\nint layers_probe(void);\nint layers_probe(void) { return 0; }\n' "$header" > "$work/probe.c"
  if eval "$cmd -fsyntax-only $work/probe.c" 2>"$work/err"; then got=ok; else got=error; fi
  if [ "$got" = "$want" ]; then
    echo "layers_check: $layer includes $header: $got (as it must)"
  else
    echo "layers_check: $layer includes $header: $got, want $want"; sed -n 1,5p "$work/err"; fail=1
  fi
}

probe http    metrics/metrics.h  ok
probe http    cache/cache.h      error   # http does not use the cache
probe http    store/store.h      error
probe model   store/store.h      ok
probe model   engine/backtest.h  error
probe ingest  odds/convert.h     error   # ingest does not use odds
probe engine  model/elo.h        ok
probe engine  ingest/writer.h    error   # engine does not use ingest
probe engine  services/app.h     error
probe core    config/config.h    error
probe store   cache/cache.h      error
[ "$fail" = 0 ] && echo "layers_check: ok"
exit "$fail"
