#!/usr/bin/env bash
# The monitoring configuration as code (deploy/monitoring), checked by each ecosystem's tool:
#   Prometheus     promtool check config / check rules; promtool test rules (every alert fires
#                  on one series and stays silent on others and before its for:); the PromQL of
#                  every dashboard panel parsed by promtool as a rule file;
#   Alertmanager   amtool check-config; amtool config routes test for every severity
#                  (alertmanager/tests/routes.tsv), and for each environment's configuration
#                  (deploy/tools/alertmanager-channels.mjs by ALERT_CHANNELS; tests/channels.tsv);
#                  the message templates rendered by amtool;
#   Grafana        the JSON is what build-dashboards.mjs writes; every dashboard type-checked
#                  against @grafana/schema with tsc (and a broken copy refused);
#   conventions    tests/integration/monitoring/check.mjs: the seed's intervals, timings and
#                  thresholds, alert labels and runbooks, dashboard variables, units, goals; every
#                  metric the C sources register documented in docs/operations.md and every
#                  aps_ name a rule or panel reads registered (and a broken copy refused).
# Needs: promtool, amtool, node, deploy/tools/node_modules (scripts/bootstrap).
set -uo pipefail
SRC=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MON=$SRC/deploy/monitoring
TOOLS=$SRC/deploy/tools/node_modules
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
check() { # name, command… — passes when the command exits 0
  local name=$1; shift
  if "$@" > "$work/out" 2>&1; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; tail -20 "$work/out"; fi
}
check_fails() { # name, command… — passes when the command exits non-zero
  local name=$1; shift
  if "$@" > "$work/out" 2>&1; then fail=$((fail + 1)); echo "FAIL: $name (it passed)"; else pass=$((pass + 1)); fi
}
for tool in promtool amtool node; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is not installed (scripts/bootstrap)"; exit 1; }
done
if ! [ -x "$TOOLS/.bin/tsc" ] || ! [ -d "$TOOLS/@grafana/schema" ] || ! [ -d "$TOOLS/yaml" ]; then
  echo "FAIL: deploy/tools/node_modules lacks typescript, @grafana/schema or yaml (scripts/bootstrap)"
  exit 1
fi
export APS_SOURCE_DIR=$SRC

# ---- Prometheus --------------------------------------------------------------------------------
check "promtool check config" promtool check config "$MON/prometheus/prometheus.yml"
check "promtool check rules" promtool check rules "$MON"/prometheus/rules/*.yaml
for t in "$MON"/prometheus/tests/*.yaml; do
  check "promtool test rules $(basename "$t")" promtool test rules "$t"
done
node "$SRC/tests/integration/monitoring/promql.mjs" rulesfile > "$work/dashboard-exprs.yaml"
check "every dashboard query parses as PromQL" promtool check rules "$work/dashboard-exprs.yaml"
check "dashboard queries were found" test "$(grep -c 'record:' "$work/dashboard-exprs.yaml")" -gt 100
# A rule test that expects the wrong thing must fail (the tests can fail).
sed 's/severity: "critical"/severity: "warning"/' "$MON/prometheus/tests/alerts-services.test.yaml" |
  sed "s#\.\./rules/#$MON/prometheus/rules/#" > "$work/wrong.test.yaml"
check_fails "promtool test rules refuses a wrong expectation" promtool test rules "$work/wrong.test.yaml"

# ---- Alertmanager ------------------------------------------------------------------------------
AM=$MON/alertmanager/alertmanager.yml
check "amtool check-config" amtool check-config "$AM"
while IFS=$'\t' read -r want labels; do
  [ -z "$want" ] || [ "${want#\#}" != "$want" ] && continue
  # shellcheck disable=SC2086 # the labels are separate arguments
  check "route $labels → $want" amtool config routes test --config.file="$AM" --verify.receivers="$want" $labels
done < "$MON/alertmanager/tests/routes.tsv"
check_fails "amtool refuses a wrong receiver" amtool config routes test --config.file="$AM" --verify.receivers=slack severity=critical
# What each environment runs: the routes sending through its ALERT_CHANNELS only.
for env in development staging production; do
  check "alertmanager-channels renders $env" node "$SRC/deploy/tools/alertmanager-channels.mjs" --env "$env" --out "$work/am-$env"
  check "amtool check-config ($env)" amtool check-config "$work/am-$env/alertmanager.yml"
done
while IFS=$'\t' read -r env want labels; do
  [ -z "$env" ] || [ "${env#\#}" != "$env" ] && continue
  # shellcheck disable=SC2086 # the labels are separate arguments
  check "$env: route $labels → $want" amtool config routes test --config.file="$work/am-$env/alertmanager.yml" --verify.receivers="$want" $labels
done < "$MON/alertmanager/tests/channels.tsv"
integrations() { node -e '
const { parse } = require(process.argv[1] + "/yaml");
const c = parse(require("fs").readFileSync(process.argv[2], "utf8"));
console.log(c.receivers.flatMap((r) => Object.keys(r).filter((k) => k.endsWith("_configs"))).sort().join(" ") || "none");' "$TOOLS" "$1"; }
check "production sends through PagerDuty, Slack and the email digest" test "$(integrations "$work/am-production/alertmanager.yml")" = "email_configs pagerduty_configs slack_configs slack_configs"
check "staging sends through Slack and the email digest" test "$(integrations "$work/am-staging/alertmanager.yml")" = "email_configs slack_configs"
check "development sends nothing" test "$(integrations "$work/am-development/alertmanager.yml")" = none
check "development needs no receiver key" test -z "$(node "$SRC/deploy/tools/alertmanager-channels.mjs" --env development --needs)"
check "staging needs the Slack and SMTP keys" test "$(node "$SRC/deploy/tools/alertmanager-channels.mjs" --env staging --needs | tr '\n' ' ')" = "alertmanager_slack_webhook_url alertmanager_smtp_password "
refused() { # channels, expected message: the generator exits non-zero and says so
  local out
  if out=$(node "$SRC/deploy/tools/alertmanager-channels.mjs" --env staging --channels "$1" --needs 2>&1); then return 1; fi
  grep -qF "$2" <<<"$out"
}
check "a channel no receiver sends through is refused, saying why" refused slack,telegram "names telegram, but no receiver"
check "an unknown channel is refused, named" refused sms "names 'sms', which is not a channel"
check "alert message templates render" sh -c "amtool template render --template.glob='$MON/alertmanager/templates/*.tmpl' --template.text='{{ template \"aps.title\" . }} {{ template \"aps.text\" . }}' | grep -q 'runbook:'"

# ---- Grafana -----------------------------------------------------------------------------------
mkdir -p "$work/dash"
check "build-dashboards.mjs runs" node "$MON/grafana/build-dashboards.mjs" "$work/dash"
check "committed dashboards are what build-dashboards.mjs writes" diff -r "$work/dash" "$MON/grafana/dashboards"
mkdir -p "$work/tsc"
# Grafana's string enums (ThresholdsMode …) are matched by their values, as JSON spells them:
# Loose<T> turns each string enum into the union of its literals and keeps everything else,
# so unknown keys and wrong types are still errors.
cat > "$work/tsc/tsconfig.json" <<EOF
{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2022", "module": "nodenext",
  "moduleResolution": "nodenext", "skipLibCheck": true,
  "paths": {"@grafana/schema": ["$TOOLS/@grafana/schema/dist/types/index.d.ts"]}},
 "include": ["*.ts"]}
EOF
wrap() { # dashboard.json → a TypeScript module that type-checks it
  echo 'import type { Dashboard } from "@grafana/schema";'
  # shellcheck disable=SC2016 # TypeScript, not shell
  echo 'type Loose<T> = T extends string ? `${T}` : T extends readonly (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;'
  echo 'export const d = ('
  cat "$1"
  echo ') satisfies Loose<Dashboard>;'
}
n=0
for f in "$MON"/grafana/dashboards/*.json; do
  wrap "$f" > "$work/tsc/$(basename "$f" .json).ts"
  n=$((n + 1))
done
check "ten dashboards" test "$n" -eq 10
check "tsc: every dashboard satisfies @grafana/schema's Dashboard" "$TOOLS/.bin/tsc" -p "$work/tsc/tsconfig.json"
mkdir -p "$work/tsc-bad"
cp "$work/tsc/tsconfig.json" "$work/tsc-bad/tsconfig.json"
sed '0,/"title": /s//"titel": /' "$work/tsc/system-overview.ts" > "$work/tsc-bad/bad.ts"
check_fails "tsc refuses a dashboard with an unknown key" "$TOOLS/.bin/tsc" -p "$work/tsc-bad/tsconfig.json"
sed '0,/"mode": "absolute"/s//"mode": "absolut"/' "$work/tsc/system-overview.ts" > "$work/tsc-bad/bad.ts"
check_fails "tsc refuses a dashboard with a wrong enum value" "$TOOLS/.bin/tsc" -p "$work/tsc-bad/tsconfig.json"

# ---- conventions and the seed's numbers --------------------------------------------------------
check "monitoring conventions (check.mjs)" node "$SRC/tests/integration/monitoring/check.mjs"
grep -m1 'checks passed' "$work/out"
# The same checks on a copy with the api scraped every 30 s, a runbook missing, a metric left out
# of docs/operations.md and an alert reading a metric no service exports must fail.
mkdir -p "$work/bad/deploy" "$work/bad/docs" "$work/bad/tests/integration"
cp -r "$MON" "$work/bad/deploy/monitoring"
ln -s "$SRC/deploy/tools" "$work/bad/deploy/tools"
ln -s "$SRC/src" "$work/bad/src"
cp -r "$SRC/tests/integration/monitoring" "$work/bad/tests/integration/monitoring"
sed 's/^    scrape_interval: 15s$/    scrape_interval: 30s/' "$MON/prometheus/prometheus.yml" > "$work/bad/deploy/monitoring/prometheus/prometheus.yml"
# shellcheck disable=SC2016 # backquotes of Markdown, not a command
sed -e 's/^### OddsDataStale$/### Odds data stale/' -e 's/, `aps_worker_jobs_running`//' \
  "$SRC/docs/operations.md" > "$work/bad/docs/operations.md"
sed 's/aps_collector_last_success_timestamp_seconds/aps_collector_last_succes_timestamp_seconds/' \
  "$MON/prometheus/rules/alerts-data.yaml" > "$work/bad/deploy/monitoring/prometheus/rules/alerts-data.yaml"
APS_SOURCE_DIR=$work/bad node "$work/bad/tests/integration/monitoring/check.mjs" > "$work/bad.out" 2>&1
check "check.mjs refuses a broken copy" test $? -ne 0
check "… for the scrape interval" grep -q 'api is scraped every 15s' "$work/bad.out"
check "… for the runbook" grep -q 'docs/operations.md has a section OddsDataStale' "$work/bad.out"
check "… for the undocumented metric" grep -q 'aps_worker_jobs_running is documented in docs/operations.md' "$work/bad.out"
check "… for the misspelt metric of an alert" \
  grep -q 'aps_collector_last_succes_timestamp_seconds, read by a rule or a dashboard, is a metric the services register' "$work/bad.out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
