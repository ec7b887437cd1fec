// check.mjs — the conventions and the seed's numbers in the monitoring configuration
// (deploy-conventions.md "Prometheus metrics and rules", "Alertmanager", "Grafana dashboards";
// seed §7.1–7.3, §3.2), checked on the parsed files. Prints one line per failure and the
// count; exit status 1 when anything failed. The tools' own checks (promtool, amtool, tsc) run
// beside it in monitoring_config.sh.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { MON, YAML, dashboardExprs, dashboards, metricNames, panels, rules } from "./promql.mjs";

const src = join(MON, "../..");
let failures = 0, checks = 0;
function ok(cond, what) {
  checks++;
  if (!cond) { failures++; console.log(`FAIL: ${what}`); }
}
const load = (p) => YAML.parse(readFileSync(join(MON, p), "utf8"));
const seconds = (d) => {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(String(d));
  return m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2]] : NaN;
};

// ---- prometheus.yml: seed §7.1 ----------------------------------------------------------------
const prom = load("prometheus/prometheus.yml");
const jobs = Object.fromEntries(prom.scrape_configs.map((j) => [j.job_name, j]));
const want = { api: "15s", worker: "15s", postgres: "30s", redis: "15s", node: "30s", dcgm: "30s" };
for (const [job, iv] of Object.entries(want)) {
  ok(jobs[job], `prometheus.yml scrapes ${job}`);
  ok(jobs[job] && (jobs[job].scrape_interval ?? prom.global.scrape_interval) === iv,
     `${job} is scraped every ${iv} (seed §7.1)`);
  ok(jobs[job]?.file_sd_configs?.[0]?.files?.length === 1,
     `${job} targets come from one file_sd file (overridable per deployment)`);
}
ok(readFileSync(join(MON, "prometheus/prometheus.yml"), "utf8").includes("--storage.tsdb.retention.time=15d"),
   "prometheus.yml documents the 15-day retention flag");
ok(/#\s*remote_write:/.test(readFileSync(join(MON, "prometheus/prometheus.yml"), "utf8")),
   "prometheus.yml documents remote_write for long-term storage");
for (const f of readdirSync(join(MON, "prometheus/targets")))
  for (const g of YAML.parse(readFileSync(join(MON, "prometheus/targets", f), "utf8")))
    ok(g.labels?.environment && g.labels?.service, `targets/${f}: environment and service labels`);

// ---- rules --------------------------------------------------------------------------------------
const all = rules();
const alerts = all.filter((r) => r.alert);
const ops = readFileSync(join(src, "docs/operations.md"), "utf8");
const anchors = new Set([...ops.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
  m[1].trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")));
for (const r of all.filter((x) => x.record))
  ok(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/.test(r.record), `recording rule ${r.record} is level:metric:operations`);
const names = new Set();
for (const a of alerts) {
  ok(!names.has(a.alert), `alert ${a.alert} is defined once`);
  names.add(a.alert);
  ok(/^[A-Z][a-zA-Z0-9]+$/.test(a.alert), `alert ${a.alert} is CamelCase`);
  ok(["critical", "warning", "info"].includes(a.labels?.severity), `${a.alert} has a severity`);
  ok(seconds(a.for) > 0, `${a.alert} has a for:`);
  ok(a.annotations?.summary && a.annotations?.description, `${a.alert} has a summary and a description`);
  const anchor = a.alert.toLowerCase();
  ok(a.annotations?.runbook_url === `docs/operations.md#${anchor}`, `${a.alert} runbook_url points at docs/operations.md#${anchor}`);
  ok(anchors.has(anchor), `docs/operations.md has a section ${a.alert}`);
  ok(a.labels?.service || /\bup\b/.test(a.expr) || /aps_db_pool|aps_metrics_refresh/.test(a.expr),
     `${a.alert} has a service label for Alertmanager's grouping (static or from the target)`);
}
const byName = Object.fromEntries(alerts.map((a) => [a.alert, a]));
// The seed's thresholds in the alerts.
ok(/> 0\.5$/.test(byName.ApiHighLatency?.expr.trim()), "ApiHighLatency fires above 500 ms (seed §3.2)");
ok(/> 1000$/.test(byName.QueueBacklogHigh?.expr.trim()), "QueueBacklogHigh fires above 1000 jobs (seed §3.2)");
ok(/> 86400$/.test(byName.BackupTooOld?.expr.trim()), "BackupTooOld fires after one day");
ok(/> 0\.02$/.test(byName.ModelCalibrationAboveGoal?.expr.trim()), "ModelCalibrationAboveGoal at ECE 0.02");
for (const need of ["ApiHighErrorRate", "ApiHighLatency", "InstanceDown", "QueueBacklogHigh", "JobsDeadLettered",
  "OddsDataStale", "ProviderFailing", "OddsApiQuotaExhausted", "ModelLogLossDegraded", "ModelClvNegative",
  "TrainingFailed", "PostgresReplicationLagHigh", "DbPoolSaturated", "BackupTooOld", "CertificateExpiringSoon",
  "NodeDiskSpaceLow", "NodeMemoryHigh"])
  ok(byName[need], `the issue's alert ${need} exists`);

// Every alert: a promtool case where it fires and one where it does not.
const tdir = join(MON, "prometheus/tests");
const fires = new Set(), silent = new Set();
for (const f of readdirSync(tdir).filter((x) => x.endsWith(".yaml"))) {
  const t = YAML.parse(readFileSync(join(tdir, f), "utf8"));
  for (const tc of t.tests)
    for (const a of tc.alert_rule_test ?? []) {
      if ((a.exp_alerts ?? []).length) fires.add(a.alertname);
      else silent.add(a.alertname);
    }
}
for (const a of alerts) {
  ok(fires.has(a.alert), `${a.alert} has a promtool case that fires`);
  ok(silent.has(a.alert), `${a.alert} has a promtool case that does not fire`);
}

// ---- alertmanager.yml: seed §7.3 ----------------------------------------------------------------
const am = load("alertmanager/alertmanager.yml");
ok(JSON.stringify(am.route.group_by) === JSON.stringify(["service", "severity"]), "Alertmanager groups by service, severity");
ok(am.route.group_wait === "30s" && am.route.group_interval === "5m" && am.route.repeat_interval === "4h",
   "group_wait 30s, group_interval 5m, repeat_interval 4h");
const route = (sev) => am.route.routes.find((r) => (r.matchers ?? []).includes(`severity="${sev}"`));
const recv = (name) => am.receivers.find((r) => r.name === name);
ok(recv(route("critical")?.receiver)?.pagerduty_configs && recv(route("critical")?.receiver)?.slack_configs,
   "critical goes to PagerDuty and Slack");
ok(!route("critical")?.active_time_intervals, "critical is sent at any hour");
ok(recv(route("warning")?.receiver)?.slack_configs && !recv(route("warning")?.receiver)?.pagerduty_configs, "warning goes to Slack");
const bh = (route("warning")?.active_time_intervals ?? [])[0];
const interval = (am.time_intervals ?? []).find((t) => t.name === bh);
ok(interval && interval.time_intervals[0].weekdays[0] === "monday:friday", "warning is sent in business hours (Mon-Fri)");
ok(recv(route("info")?.receiver)?.email_configs && route("info")?.repeat_interval === "24h", "info is a daily email digest");
ok((am.inhibit_rules ?? []).some((r) => r.source_matchers.includes('severity="critical"') &&
   r.target_matchers.includes('severity="warning"') && r.equal.includes("service")),
   "a critical alert inhibits the matching warning");
// Keys and passwords come from files.
const text = readFileSync(join(MON, "alertmanager/alertmanager.yml"), "utf8");
for (const k of ["slack_api_url", "api_url", "routing_key", "service_key", "smtp_auth_password", "auth_password"])
  ok(!new RegExp(`^\\s*${k}:`, "m").test(text), `no inline ${k} (use ${k}_file)`);
ok(/routing_key_file:/.test(text) && /slack_api_url_file:/.test(text) && /smtp_auth_password_file:/.test(text),
   "PagerDuty, Slack and SMTP secrets are *_file settings");

// ---- dashboards: seed §7.2 ----------------------------------------------------------------------
const ds = dashboards();
ok(ds.length === 10, `ten dashboards (found ${ds.length})`);
const titles = ["System Overview", "API Performance", "ML Pipeline", "Database Health", "Prediction Performance",
  "Betting Analytics", "Data Quality", "Alert Overview", "Business Metrics", "Infrastructure Costs"];
for (const t of titles) ok(ds.some((d) => d.json.title.startsWith(t)), `dashboard "${t}" exists`);
ok(new Set(ds.map((d) => d.json.uid)).size === ds.length, "dashboard uids are unique");
let p95 = false, ece = false;
for (const { file, json } of ds) {
  ok(/^[a-z0-9-]{1,40}$/.test(json.uid), `${file}: stable uid`);
  const vars = (json.templating?.list ?? []).map((v) => v.name);
  for (const v of ["datasource", "environment", "service", "sport"]) ok(vars.includes(v), `${file}: variable ${v}`);
  for (const p of panels(json)) {
    ok(p.fieldConfig?.defaults?.unit, `${file} "${p.title}": unit set`);
    ok(p.datasource?.uid === "${datasource}", `${file} "${p.title}": datasource is \${datasource}`);
    for (const t of p.targets ?? []) {
      ok(t.datasource?.uid === "${datasource}", `${file} "${p.title}": target datasource is \${datasource}`);
      ok(metricNames(t.expr).length > 0, `${file} "${p.title}": query reads a metric`);
    }
    const steps = (p.fieldConfig?.defaults?.thresholds?.steps ?? []).map((s) => s.value);
    const api = (p.targets ?? []).some((t) => /aps_http_request_duration_seconds:p95/.test(t.expr));
    if (api) { p95 = true; ok(steps.includes(0.5), `${file} "${p.title}": API p95 against 500 ms`); }
    if (/ECE/.test(p.title)) { ece = true; ok(steps.includes(0.02), `${file} "${p.title}": threshold at ECE 0.02`); }
  }
}
ok(p95 && ece, "some panel shows p95 against 500 ms and ECE against 0.02");

// ---- the services' metrics: docs/operations.md and what the rules and dashboards read ---------
// Every family the C sources register (aps_metrics_counter/gauge/histogram, and the store
// families' table of services/app_metrics.c) is documented, every name the metric tables of
// docs/operations.md give is registered, and every aps_/process_ name a rule or a panel reads is.
const srcDir = join(src, "src");
const registered = new Set();
const walk = (d) => readdirSync(d, { withFileTypes: true }).forEach((e) =>
  e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(".c") && scan(readFileSync(join(d, e.name), "utf8")));
const scan = (text) => {
  for (const m of text.matchAll(/aps_metrics_(?:counter|gauge|histogram)\(\s*[^,]+,\s*"([a-z_][a-z0-9_]*)"/g)) registered.add(m[1]);
  for (const m of text.matchAll(/\{\s*"((?:aps|process)_[a-z0-9_]+)",/g)) registered.add(m[1]);
};
ok(existsSync(srcDir), `the C sources are at ${srcDir}`);
if (existsSync(srcDir)) walk(srcDir);
ok(registered.size > 80, `metric registrations found in src/ (${registered.size})`);
const tableRows = ops.split("\n").filter((l) => l.startsWith("| `"));
const documented = new Set(), wildcards = [];
for (const l of tableRows)
  for (const m of l.matchAll(/`((?:aps|process)_[a-z0-9_]*)(\*?)(?:\{[^`]*\})?`/g))
    m[2] ? wildcards.push(m[1]) : documented.add(m[1]);
const isDocumented = (n) => documented.has(n) || wildcards.some((w) => n.startsWith(w));
for (const n of [...registered].sort()) ok(isDocumented(n), `${n} is documented in docs/operations.md`);
const known = (n) => registered.has(n) || registered.has(n.replace(/_(bucket|sum|count)$/, ""));
for (const n of [...documented].sort()) ok(known(n), `${n} (docs/operations.md) is a metric the services register`);
const read = new Set();
for (const r of all) metricNames(r.expr).forEach((n) => read.add(n));
for (const d of dashboardExprs()) metricNames(d.expr).forEach((n) => read.add(n));
for (const n of [...read].filter((x) => /^(aps|process)_/.test(x)).sort())
  ok(known(n), `${n}, read by a rule or a dashboard, is a metric the services register`);

console.log(`${checks - failures} of ${checks} checks passed`);
process.exit(failures ? 1 : 0);
