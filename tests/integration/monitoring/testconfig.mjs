// testconfig.mjs — the test copies of the shipped Prometheus and Alertmanager configuration
// that monitoring_e2e.sh runs. What changes, and only that:
//   Prometheus    every interval 1 s; target files for the processes the test starts on
//                 loopback (none for dcgm and the blackbox probe, which do not run here);
//                 InstanceDown's and OddsDataStale's for: (and OddsDataStale's 600 s) shortened
//                 so that a fault shows in seconds;
//   Alertmanager  every receiver becomes a webhook to the test's receiver, at /<receiver name>;
//                 group_wait / group_interval shortened; the route tree, group_by, matchers,
//                 inhibition and time intervals are the shipped ones.
// Usage: node testconfig.mjs OUTDIR PORTS_JSON
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MON, YAML } from "./promql.mjs";

const [out, portsJson] = process.argv.slice(2);
const ports = JSON.parse(portsJson);
const at = (p) => `127.0.0.1:${p}`;

// ---- Prometheus ----------------------------------------------------------------------------
const pdir = join(out, "prometheus");
mkdirSync(join(pdir, "targets"), { recursive: true });
cpSync(join(MON, "prometheus/rules"), join(pdir, "rules"), { recursive: true });
const prom = YAML.parse(readFileSync(join(MON, "prometheus/prometheus.yml"), "utf8"));
prom.global.scrape_interval = "1s";
prom.global.scrape_timeout = "1s";
prom.global.evaluation_interval = "1s";
for (const j of prom.scrape_configs) {
  j.scrape_interval = "1s";
  j.scrape_timeout = "1s";
}
writeFileSync(join(pdir, "prometheus.yml"), YAML.stringify(prom));
const lab = (service, extra = {}) => ({ environment: "e2e", service, ...extra });
const targets = {
  "api.yaml": [{ targets: [at(ports.api)], labels: lab("api") }],
  "worker.yaml": [{ targets: [at(ports.worker)], labels: lab("worker") }],
  "postgres.yaml": [{ targets: [at(ports.pg_exporter)], labels: lab("postgres", { role: "primary" }) }],
  "redis.yaml": [{ targets: [at(ports.redis_exporter)], labels: lab("redis") }],
  "node.yaml": [{ targets: [at(ports.node_exporter)], labels: lab("node") }],
  "alertmanager.yaml": [{ targets: [at(ports.alertmanager)], labels: lab("alertmanager") }],
  "dcgm.yaml": [],
  "blackbox.yaml": [],
};
const shipped = readdirSync(join(MON, "prometheus/targets")).sort();
const missing = shipped.filter((f) => !(f in targets));
if (missing.length) throw new Error(`no test targets for ${missing.join(", ")}`);
for (const [f, t] of Object.entries(targets)) writeFileSync(join(pdir, "targets", f), YAML.stringify(t));

// Test-only timings, on the copy of the rules.
function patchAlert(name, fn) {
  for (const f of readdirSync(join(pdir, "rules"))) {
    const p = join(pdir, "rules", f);
    const doc = YAML.parse(readFileSync(p, "utf8"));
    let hit = false;
    for (const g of doc.groups) for (const r of g.rules) if (r.alert === name) { fn(r); hit = true; }
    if (hit) { writeFileSync(p, YAML.stringify(doc)); return; }
  }
  throw new Error(`no alert ${name}`);
}
patchAlert("InstanceDown", (r) => { r.for = "3s"; });
patchAlert("OddsDataStale", (r) => {
  if (!/> 600\b/.test(r.expr)) throw new Error("OddsDataStale's threshold moved");
  r.expr = r.expr.replace(/> 600\b/, `> ${ports.stale_after_s}`);
  r.for = "2s";
});

// ---- Alertmanager --------------------------------------------------------------------------
const adir = join(out, "alertmanager");
mkdirSync(adir, { recursive: true });
const am = YAML.parse(readFileSync(join(MON, "alertmanager/alertmanager.yml"), "utf8"));
delete am.global;
delete am.templates;
am.receivers = am.receivers.map((r) => ({
  name: r.name,
  webhook_configs: [{ url: `http://${at(ports.webhook)}/${r.name}`, send_resolved: true }],
}));
am.route.group_wait = "1s";
am.route.group_interval = "2s";
for (const r of am.route.routes) {
  if (r.group_wait) r.group_wait = "1s";
  if (r.group_interval) r.group_interval = "2s";
}
writeFileSync(join(adir, "alertmanager.yml"), YAML.stringify(am));
