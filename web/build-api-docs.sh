#!/usr/bin/env bash
# build-api-docs.sh — builds the /api/v1/docs page: copies Swagger UI's static assets from the
# npm package swagger-ui-dist (installed from package-lock.json) into dist/api-docs/ and writes a
# page that loads the API's own /api/v1/openapi.json. `aps api` serves the folder named by the
# API_DOCS_DIR setting (default web/dist/api-docs). Only plain file names are copied: the server
# refuses anything else.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/swagger-ui-dist/swagger-ui-bundle.js ]; then
  npm ci --no-audit --no-fund >/dev/null
fi
src=node_modules/swagger-ui-dist
out=dist/api-docs
rm -rf "$out"
mkdir -p "$out"
for f in swagger-ui.css swagger-ui-bundle.js favicon-32x32.png favicon-16x16.png LICENSE NOTICE; do
  cp "$src/$f" "$out/"
done
version=$(node -p "require('./$src/package.json').version")

cat > "$out/index.html" <<'HTML'
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>AI PRO SPORTS API</title>
  <link rel="stylesheet" href="/api/v1/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/v1/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/v1/docs/swagger-ui-bundle.js"></script>
  <script src="/api/v1/docs/aps-docs.js"></script>
</body>
</html>
HTML

cat > "$out/aps-docs.js" <<'JS'
// Starts Swagger UI on the API's own OpenAPI document (generated from the route table).
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false
  });
};
JS
echo "api docs: $out (swagger-ui-dist $version)"
