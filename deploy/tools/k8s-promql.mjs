// deploy/tools/k8s-promql.mjs — collects the PromQL that the rendered manifests hand to other
// programs (prometheus-adapter's metricsQuery templates, Argo Rollouts' analysis queries) and
// prints it as a Prometheus rule file, one recording rule per query, with the templates filled
// with sample values, so `promtool check rules` parses every query:
//   node deploy/tools/k8s-promql.mjs RENDERED.yaml... > queries.rules.yaml && promtool check rules queries.rules.yaml
// Exit 1 when no query was found (a check that checks nothing is a failure).
import { readFileSync } from "node:fs";
import { parseAllDocuments, parse, stringify } from "yaml";

const rules = [];
const add = (from, expr) => rules.push({ record: `aps_manifest_query:${rules.length}`, expr: expr.trim(), labels: { from } });
for (const f of process.argv.slice(2)) {
  for (const d of parseAllDocuments(readFileSync(f, "utf8"))) {
    const o = d.toJS();
    if (!o) continue;
    if (o.kind === "ConfigMap" && o.metadata?.name === "prometheus-adapter") {
      for (const r of parse(o.data["config.yaml"]).rules ?? []) {
        const series = r.seriesQuery.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/)[0];
        add(`prometheus-adapter/${r.name.as}`, r.metricsQuery
          .replaceAll("<<.Series>>", series)
          .replaceAll("<<.LabelMatchers>>", 'namespace="ai-pro-sports",pod=~"api-1|api-2"')
          .replaceAll("<<.GroupBy>>", "pod"));
      }
    }
    if (o.kind === "AnalysisTemplate") {
      for (const m of o.spec?.metrics ?? []) {
        const q = m.provider?.prometheus?.query;
        if (q) add(`${o.metadata.name}/${m.name}`, q.replace(/\{\{\s*args\.([a-z-]+)\s*\}\}/g, "sample-$1"));
      }
    }
  }
}
if (!rules.length) {
  console.error("k8s-promql: no query found in the given files");
  process.exit(1);
}
process.stdout.write(stringify({ groups: [{ name: "manifest-queries", rules }] }, { lineWidth: 0 }));
