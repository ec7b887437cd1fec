// promql.mjs — what the monitoring tests need to know about the PromQL in the deploy tree: every
// expression of the rule files and the dashboards, and the metric names they read.
//
// Names are found by removing what is not a name (strings, label matchers, grouping label
// lists, ranges, durations, numbers), then dropping function names (followed by "(") and the
// language's keywords. Recording-rule names (with ":") are the rules' own outputs.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const src = process.env.APS_SOURCE_DIR ?? new URL("../../..", import.meta.url).pathname;
const require = createRequire(join(src, "deploy/tools/package.json"));
export const YAML = require("yaml");
export const MON = join(src, "deploy/monitoring");

export function ruleFiles() {
  const d = join(MON, "prometheus/rules");
  return readdirSync(d).filter((f) => f.endsWith(".yaml")).sort().map((f) => join(d, f));
}

export function rules() {
  const out = [];
  for (const f of ruleFiles())
    for (const g of YAML.parse(readFileSync(f, "utf8")).groups)
      for (const r of g.rules) out.push({ ...r, file: f, group: g.name });
  return out;
}

export function dashboards() {
  const d = join(MON, "grafana/dashboards");
  return readdirSync(d).filter((f) => f.endsWith(".json")).sort()
    .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(d, f), "utf8")) }));
}

export function panels(dash) {
  const out = [];
  for (const p of dash.panels ?? []) {
    if (p.type === "row") out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}

export function dashboardExprs() {
  const out = [];
  for (const { file, json } of dashboards())
    for (const p of panels(json))
      for (const t of p.targets ?? []) out.push({ file, panel: p.title, expr: t.expr });
  return out;
}

// Grafana's variables replaced by values PromQL accepts, for syntax checks and live queries.
export function concrete(expr) {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, "5m")
    .replace(/\$window/g, "30d").replace(/\$\{?\w+\}?/g, ".*");
}

const KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "bool",
  "offset", "group_left", "group_right", "inf", "nan", "Inf", "NaN", "atan2", "start", "end"]);

export function metricNames(expr) {
  let e = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/'(?:[^'\\]|\\.)*'/g, "''");
  e = e.replace(/\{[^}]*\}/g, " ");
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  e = e.replace(/\[[^\]]*\]/g, " ");
  e = e.replace(/(?<![\w:.])\d+(\.\d+)?(e[+-]?\d+)?(ms|[smhdwy])?(?![\w:])/gi, " ");
  const names = new Set();
  const re = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  let m;
  while ((m = re.exec(e))) {
    const rest = e.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(m[0])) continue;
    names.add(m[0]);
  }
  return [...names];
}

// `node promql.mjs names`: every metric name read by a rule or a dashboard panel, one a line,
// recording rules' outputs excluded. `node promql.mjs rulesfile`: the dashboard expressions as
// a rule file, for `promtool check rules`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const what = process.argv[2];
  if (what === "names") {
    const recorded = new Set(rules().filter((r) => r.record).map((r) => r.record));
    const all = new Set();
    for (const r of rules()) metricNames(r.expr).forEach((n) => all.add(n));
    for (const d of dashboardExprs()) metricNames(d.expr).forEach((n) => all.add(n));
    for (const n of [...all].sort()) if (!recorded.has(n)) console.log(n);
  } else if (what === "rulesfile") {
    const rs = dashboardExprs().map((d, i) => ({ record: `dashboard:check_${i}:expr`, expr: concrete(d.expr) }));
    console.log(YAML.stringify({ groups: [{ name: "dashboard-expressions", rules: rs }] }));
  } else {
    console.error("usage: node promql.mjs names|rulesfile");
    process.exit(2);
  }
}
