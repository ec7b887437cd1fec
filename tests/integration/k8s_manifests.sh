#!/usr/bin/env bash
# The Kubernetes manifests of deploy/k8s, checked without a cluster: every overlay (and the
# cluster-wide settings) renders with the real kustomize (kubectl 1.32 from deploy/tools, see
# deploy/tools/k8s-render); every rendered object validates against the Kubernetes and CRD
# schemas and, strictly, against their TypeScript interfaces (an unknown field or a wrong type
# fails; proven below on a typo and a wrong type); the policy test asserts the seed's numbers in
# the production render; a mutated number must make it fail; the committed PrometheusRule and
# AlertmanagerConfigs are what their generators make from the rule files, alertmanager.yml and
# config/ENV.env.
set -euo pipefail
src=${APS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tools=$src/deploy/tools
command -v node > /dev/null || { echo "FAIL: node is missing (scripts/bootstrap installs it)"; exit 1; }
[ -d "$tools/node_modules/kubernetes-models" ] || { echo "FAIL: $tools/node_modules is missing: run scripts/bootstrap"; exit 1; }
dir=$(mktemp -d /tmp/aps-k8s.XXXXXX)
trap 'rm -rf "$dir"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Render. The variants (canary, blue/green) build on production; cluster/ is applied once.
targets=(overlays/development overlays/staging overlays/production overlays/production-canary
  overlays/production-bluegreen cluster)
for t in "${targets[@]}"; do
  out=$dir/$(basename "$t").yaml
  if "$tools/k8s-render" "$src/deploy/k8s/$t" > "$out" 2> "$dir/render.err"; then ok; else bad "render $t: $(cat "$dir/render.err")"; fi
  n=$(grep -c '^kind:' "$out" || true)
  if [ "$n" -ge 3 ]; then ok; else bad "render $t gave $n objects"; fi
done
if "$tools/k8s-render" --version | grep -q 'Kustomize Version: v5.5.0'; then ok; else bad "the pinned kubectl does not carry kustomize v5.5.0"; fi

# Where a workstation kubectl is installed too, both must render the same bytes.
sys=$(command -v kubectl || true)
if [ -n "$sys" ]; then
  for t in "${targets[@]}"; do
    if "$sys" kustomize --load-restrictor LoadRestrictionsNone "$src/deploy/k8s/$t" | cmp -s - "$dir/$(basename "$t").yaml"; then ok; else bad "$sys renders $t differently"; fi
  done
else
  echo "note: no kubectl on PATH; the pinned kubectl's render is the only one"
fi

# Schema + strict validation of every rendered object, in one run.
all=()
for t in "${targets[@]}"; do all+=("$dir/$(basename "$t").yaml"); done
if node "$tools/k8s-validate.mjs" "${all[@]}" > "$dir/validate.out"; then ok; else bad "validation"; cat "$dir/validate.out"; fi
tail -1 "$dir/validate.out"

# The checker must catch a typo (unknown field) and a wrong type.
sed '0,/^        image: /s//        imagee: /' "$dir/production.yaml" > "$dir/typo.yaml"
grep -q '^        imagee: ' "$dir/typo.yaml" || bad "could not plant the typo"
if node "$tools/k8s-validate.mjs" "$dir/typo.yaml" > "$dir/typo.out"; then bad "an imagee: typo passed the checker"; else
  if grep -q "'\"imagee\"' does not exist in type 'IContainer'" "$dir/typo.out"; then ok; else bad "the typo was not reported: $(head -3 "$dir/typo.out")"; fi
fi
sed '0,/^  minReplicas: 3$/s//  minReplicas: "three"/' "$dir/production.yaml" > "$dir/type.yaml"
if node "$tools/k8s-validate.mjs" "$dir/type.yaml" > "$dir/type.out"; then bad "minReplicas: \"three\" passed the checker"; else
  if grep -q 'minReplicas must be integer' "$dir/type.out"; then ok; else bad "the schema did not report the wrong type: $(head -3 "$dir/type.out")"; fi
  if grep -q "Type 'string' is not assignable to type 'number'" "$dir/type.out"; then ok; else bad "tsc did not report the wrong type"; fi
fi

# The seed's numbers, then the same with a broken number, which must fail.
policy() { node "$tools/k8s-policy.mjs" "$1" "$dir/production-canary.yaml" "$dir/production-bluegreen.yaml" "$dir/cluster.yaml" "$dir/staging.yaml" "$dir/development.yaml"; }
if policy "$dir/production.yaml" > "$dir/policy.out"; then ok; else bad "policy"; cat "$dir/policy.out"; fi
tail -1 "$dir/policy.out"
sed 's/maxSurge: 25%/maxSurge: 50%/' "$dir/production.yaml" > "$dir/surge.yaml"
if policy "$dir/surge.yaml" > "$dir/surge.out"; then bad "the policy passed maxSurge 50%"; else
  if grep -q 'FAIL: api maxSurge 25 %' "$dir/surge.out"; then ok; else bad "the policy did not name maxSurge"; fi
fi
# A catch-all path would make /metrics public: the policy refuses it.
perl -0pe 's{path: /\n(\s+)pathType: Exact}{path: /\n$1pathType: Prefix}' "$dir/production.yaml" > "$dir/catchall.yaml"
if cmp -s "$dir/production.yaml" "$dir/catchall.yaml"; then bad "no Exact / path to widen in the rendered Ingress"
elif policy "$dir/catchall.yaml" > "$dir/catchall.out"; then bad "the policy passed a catch-all Ingress path"; else
  if grep -q 'FAIL: production: the Ingress serves the API and the dashboard' "$dir/catchall.out"; then ok; else bad "the policy did not name the Ingress paths"; fi
fi

# The PromQL handed to prometheus-adapter and to the release analyses parses (promtool).
command -v promtool > /dev/null || { echo "FAIL: promtool is missing (scripts/bootstrap installs prometheus)"; exit 1; }
if node "$tools/k8s-promql.mjs" "$dir/cluster.yaml" "$dir/production-canary.yaml" "$dir/production-bluegreen.yaml" > "$dir/queries.yaml" &&
  promtool check rules "$dir/queries.yaml" > "$dir/promtool.out" 2>&1; then ok; else bad "promtool: $(cat "$dir/promtool.out")"; fi
if grep -q 'SUCCESS: 6 rules found' "$dir/promtool.out"; then ok; else bad "expected 6 queries: $(cat "$dir/promtool.out")"; fi

# The backup alerts on CloudNativePG's metrics parse and fire (promtool's unit tests).
node -e '
const { parseAllDocuments, stringify } = require(process.argv[1] + "/node_modules/yaml");
const o = parseAllDocuments(require("fs").readFileSync(process.argv[2], "utf8")).map((d) => d.toJS())
  .find((x) => x && x.kind === "PrometheusRule" && x.metadata.name === "postgres-backups");
if (!o) { console.error("no PrometheusRule postgres-backups"); process.exit(1); }
process.stdout.write(stringify({ groups: o.spec.groups }));' "$tools" "$dir/production.yaml" > "$dir/postgres-backups.rules.yaml" &&
  cp "$src/deploy/k8s/base/monitoring/postgres-backup-rules.test.yaml" "$dir/" &&
  (cd "$dir" && promtool check rules postgres-backups.rules.yaml && promtool test rules postgres-backup-rules.test.yaml) > "$dir/backup-rules.out" 2>&1
if grep -q SUCCESS "$dir/backup-rules.out" && ! grep -q FAILED "$dir/backup-rules.out"; then ok; else bad "postgres backup rules: $(cat "$dir/backup-rules.out")"; fi

# The PrometheusRule is generated from deploy/monitoring/prometheus/rules/*.yaml.
if (cd "$src" && node deploy/tools/k8s-prometheusrule.mjs --check); then ok; else bad "the committed PrometheusRule is stale"; fi

# A production that stopped paging: the policy names it.
perl -0pe 's{ALERT_CHANNELS: slack,pagerduty}{ALERT_CHANNELS: slack}' "$dir/production.yaml" > "$dir/nopage.yaml"
if cmp -s "$dir/production.yaml" "$dir/nopage.yaml"; then bad "no ALERT_CHANNELS to change in the production render"
elif policy "$dir/nopage.yaml" > "$dir/nopage.out"; then bad "the policy passed routing that pages where ALERT_CHANNELS does not"; else
  if grep -q 'FAIL: production alerts are sent through ALERT_CHANNELS and nothing else' "$dir/nopage.out"; then ok; else bad "the policy did not name the alert channels: $(head -3 "$dir/nopage.out")"; fi
fi

# Staging's single replica made required for every commit would stop its writes whenever it is
# down: the policy refuses it.
sed 's/dataDurability: preferred/dataDurability: required/' "$dir/staging.yaml" > "$dir/staging-required.yaml"
if cmp -s "$dir/staging.yaml" "$dir/staging-required.yaml"; then bad "no preferred durability in the staging render"
elif node "$tools/k8s-policy.mjs" "$dir/production.yaml" "$dir/production-canary.yaml" "$dir/production-bluegreen.yaml" \
  "$dir/cluster.yaml" "$dir/staging-required.yaml" "$dir/development.yaml" > "$dir/required.out"; then bad "the policy passed a staging that blocks writes without its replica"; else
  if grep -q 'FAIL: staging: one replica down does not stop the writes' "$dir/required.out"; then ok; else bad "the policy did not name the synchronous replication: $(head -3 "$dir/required.out")"; fi
fi

# The AlertmanagerConfig of each overlay is generated from alertmanager.yml and ALERT_CHANNELS.
if (cd "$src" && node deploy/tools/alertmanager-channels.mjs --k8s --check); then ok; else bad "a committed AlertmanagerConfig is stale"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
