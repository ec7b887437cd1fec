#!/usr/bin/env bash
# build-dashboard.sh — builds the web dashboard served at / (`aps api`, `aps serve`: the
# DASHBOARD_DIR setting, default web/dist/dashboard; nginx: /usr/share/aps/web/dashboard).
# Type-checks the TypeScript (tsc --noEmit), bundles and minifies it with esbuild (uPlot and
# the styles included: no CDN, no inline script or style), names the two files by their content
# hash and writes index.html pointing at them. Prints the bundle sizes.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/esbuild ] || [ ! -f node_modules/uplot/package.json ]; then
  npm ci --no-audit --no-fund >/dev/null
fi
node_modules/.bin/tsc -p dashboard/tsconfig.json
out=dist/dashboard
rm -rf "$out"
mkdir -p "$out/assets"
node_modules/.bin/esbuild dashboard/src/main.ts --bundle --minify --format=esm --target=es2020 \
  --entry-names='app-[hash]' --outdir="$out/assets" --metafile="$out/meta.json" --log-level=warning
js=$(cd "$out/assets" && ls app-*.js)
css=$(cd "$out/assets" && ls app-*.css)
sed -e "s|@JS@|$js|" -e "s|@CSS@|$css|" dashboard/index.html > "$out/index.html"
gz() { gzip -9c "$1" | wc -c; }
printf 'dashboard: %s (js %s bytes, %s gzipped; css %s bytes, %s gzipped)\n' "$out" \
  "$(wc -c < "$out/assets/$js")" "$(gz "$out/assets/$js")" "$(wc -c < "$out/assets/$css")" "$(gz "$out/assets/$css")"
