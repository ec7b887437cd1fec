// deploy/tools/alertmanager-channels.mjs — the Alertmanager configuration of one environment: the
// routes of deploy/monitoring/alertmanager/alertmanager.yml (seed §7.3) sending only through the
// channels its ALERT_CHANNELS setting names (seed §4.3: development console, staging slack,
// production slack,pagerduty; config/ENV.env is where each is written).
//
//   node deploy/tools/alertmanager-channels.mjs --env ENV --out DIR    DIR/alertmanager.yml and
//        DIR/templates/ for the compose Alertmanager (deploy/compose/aps-deploy up --monitoring)
//   node deploy/tools/alertmanager-channels.mjs --env ENV --needs      the receiver key files the
//        environment's configuration reads (one name a line; none for console)
//   node deploy/tools/alertmanager-channels.mjs --k8s [--check]       write (or compare) the
//        AlertmanagerConfig of each Kubernetes overlay (deploy/k8s/overlays/ENV/alertmanagerconfig.yaml)
//   --channels LIST overrides the environment's ALERT_CHANNELS (with --out and --needs).
//
// The rule: every receiver keeps the integrations of the channels named (slack_configs for slack,
// pagerduty_configs for pagerduty, email_configs for email) and is named after what it still
// sends through; a receiver left with none becomes the receiver "console", which sends nothing:
// its alerts are held by Alertmanager and shown on its web page and API, on the Alert Overview
// dashboard and by `amtool alert query`. The daily email digest of the info alerts (seed §7.3)
// goes wherever any alert leaves the machine, so email is implied by any channel other than
// console. A channel that no receiver of alertmanager.yml sends through (telegram: Alertmanager
// 0.25 reads a bot token only inline, and keys are never written into the configuration) is an
// error, as is a name that is not a channel.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";

// YAML 1.1 quoting: a time such as 07:00 is a base-60 number to a YAML 1.1 reader unless quoted.
const YAML_OUT = { lineWidth: 0, version: "1.1" };
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const amDir = join(root, "deploy/monitoring/alertmanager");
export const ENVIRONMENTS = ["development", "staging", "production"];
const KNOWN = ["console", "slack", "pagerduty", "email", "telegram"];
// integration list of a receiver → its channel, and the key file each reads (compose secrets)
const INTEGRATIONS = { slack_configs: "slack", pagerduty_configs: "pagerduty", email_configs: "email", telegram_configs: "telegram" };
const GLOBAL_KEYS = { slack: ["slack_api_url", "slack_api_url_file"], email: ["smtp_smarthost", "smtp_from", "smtp_auth_username", "smtp_auth_password", "smtp_auth_password_file", "smtp_require_tls"] };

export function fullConfig() {
  return parse(readFileSync(join(amDir, "alertmanager.yml"), "utf8"));
}

// ALERT_CHANNELS of config/ENV.env, as the application reads it: a comma list, case and spaces
// ignored.
export function channelsOf(env) {
  if (!ENVIRONMENTS.includes(env)) throw new Error(`unknown environment '${env}': use ${ENVIRONMENTS.join(", ")}`);
  const text = readFileSync(join(root, "config", `${env}.env`), "utf8");
  const line = text.split("\n").find((l) => /^\s*ALERT_CHANNELS\s*=/.test(l));
  return parseChannels(line ? line.split("=").slice(1).join("=") : "console", `config/${env}.env`);
}

export function parseChannels(list, where = "--channels") {
  const names = String(list).split(",").map((s) => s.trim().toLowerCase());
  for (const n of names) {
    if (!KNOWN.includes(n))
      throw new Error(`${where}: ALERT_CHANNELS names '${n}', which is not a channel (${KNOWN.join(", ")})`);
  }
  return [...new Set(names)];
}

// The configuration with only the integrations of the channels: a new object, the input unchanged.
export function route(full, channels) {
  const named = channels.filter((c) => c !== "console");
  const on = new Set(named);
  if (on.size) on.add("email"); // the daily digest goes wherever alerts leave the machine
  const cfg = structuredClone(full);
  for (const c of named) {
    const used = cfg.receivers.some((r) => Object.keys(INTEGRATIONS).some((k) => INTEGRATIONS[k] === c && r[k]?.length));
    if (!used)
      throw new Error(`ALERT_CHANNELS names ${c}, but no receiver of deploy/monitoring/alertmanager/alertmanager.yml sends through it` +
        (c === "telegram" ? " (Alertmanager 0.25 reads a Telegram bot token only inline, and keys are never written into the configuration)" : ""));
  }
  // A receiver that lost integrations is named after what it still sends through, and one that
  // became the same as another is that other (production's pagerduty-and-slack is staging's slack).
  const renamed = new Map(), out = [];
  const body = (r) => JSON.stringify({ ...r, name: undefined });
  for (const r of cfg.receivers) {
    const kept = { name: r.name };
    let dropped = 0;
    for (const [k, v] of Object.entries(r)) {
      if (k === "name") continue;
      if (!(k in INTEGRATIONS) || on.has(INTEGRATIONS[k])) kept[k] = v;
      else dropped++;
    }
    const sends = Object.keys(kept).filter((k) => k in INTEGRATIONS);
    if (!sends.length) kept.name = "console";
    else if (dropped) kept.name = sends.map((k) => INTEGRATIONS[k]).join("-and-");
    const same = out.find((o) => o.name === kept.name);
    if (same && body(same) !== body(kept)) kept.name = `${r.name}-${kept.name}`;
    if (kept.name !== r.name) renamed.set(r.name, kept.name);
    if (!out.some((o) => o.name === kept.name)) out.push(kept);
  }
  cfg.receivers = out;
  const rename = (node) => {
    if (renamed.has(node.receiver)) node.receiver = renamed.get(node.receiver);
    for (const child of node.routes ?? []) rename(child);
  };
  rename(cfg.route);
  for (const [c, keys] of Object.entries(GLOBAL_KEYS)) {
    if (!on.has(c)) for (const k of keys) delete cfg.global?.[k];
  }
  return cfg;
}

// The key files (under /run/secrets) a routed configuration reads.
export function needs(cfg) {
  const files = new Set();
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k.endsWith("_file") && typeof x === "string" && x.startsWith("/run/secrets/")) files.add(x.slice("/run/secrets/".length));
        else walk(x);
      }
    }
  };
  walk(cfg.global ?? {});
  walk(cfg.receivers);
  return [...files].sort();
}

// The receiver keys in Kubernetes: one Secret of the namespace, made by the External Secrets
// Operator from the store's entry ai-pro-sports/alertmanager (components/external-secrets).
const SECRET = "alertmanager-receivers";
const secretRef = (file) => ({ name: SECRET, key: file.replace(/^\/run\/secrets\/alertmanager_/, "") });
const duration = (d) => (d === undefined ? undefined : String(d));
const matcher = (m) => {
  const x = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/.exec(m);
  if (!x) throw new Error(`matcher '${m}' is not name op "value"`);
  return x[2] === "=" ? { name: x[1], value: x[3] } : { name: x[1], matchType: x[2], value: x[3] };
};

function crdRoute(r, top) {
  const out = {};
  if (r.receiver) out.receiver = r.receiver;
  if (top && r.group_by) out.groupBy = r.group_by;
  if (r.matchers) out.matchers = r.matchers.map(matcher);
  for (const [a, b] of [["group_wait", "groupWait"], ["group_interval", "groupInterval"], ["repeat_interval", "repeatInterval"]])
    if (r[a] !== undefined) out[b] = duration(r[a]);
  if (r.active_time_intervals) out.activeTimeIntervals = r.active_time_intervals;
  if (r.continue !== undefined) out.continue = r.continue;
  if (r.routes) out.routes = r.routes.map((c) => crdRoute(c, false));
  return out;
}

function crdReceiver(r, global) {
  const out = { name: r.name };
  if (r.pagerduty_configs)
    out.pagerdutyConfigs = r.pagerduty_configs.map((p) => ({
      routingKey: secretRef(p.routing_key_file), severity: p.severity, description: p.description, sendResolved: p.send_resolved,
    }));
  if (r.slack_configs)
    out.slackConfigs = r.slack_configs.map((s) => ({
      apiURL: secretRef(s.api_url_file ?? global.slack_api_url_file), channel: s.channel, title: s.title, text: s.text, sendResolved: s.send_resolved,
    }));
  if (r.email_configs)
    out.emailConfigs = r.email_configs.map((e) => ({
      to: e.to, from: global.smtp_from, smarthost: global.smtp_smarthost, authUsername: global.smtp_auth_username,
      authPassword: secretRef(global.smtp_auth_password_file), requireTLS: global.smtp_require_tls,
      headers: Object.entries(e.headers ?? {}).map(([key, value]) => ({ key, value })), sendResolved: e.send_resolved,
    }));
  return out;
}

// The operator's time intervals have no time zone: they are UTC. A range in a zone becomes the UTC
// range that covers it all year (Europe/London's 08:00-18:00 is 07:00-18:00 UTC: 08:00 BST is
// 07:00 UTC, 18:00 GMT is 18:00 UTC).
const minutes = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmm = (m) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
function offsetMinutes(zone, when) {
  const part = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(when).find((p) => p.type === "timeZoneName").value; // "GMT", "GMT+01:00"
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(part);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}
function utcRange(x, zone) {
  const offs = [0, 6].map((month) => offsetMinutes(zone, new Date(Date.UTC(2026, month, 1))));
  const start = minutes(x.start_time) - Math.max(...offs), end = minutes(x.end_time) - Math.min(...offs);
  if (start < 0 || end > 24 * 60)
    throw new Error(`time range ${x.start_time}-${x.end_time} ${zone} crosses midnight in UTC: split it`);
  return { startTime: hhmm(start), endTime: hhmm(end) };
}

// The AlertmanagerConfig of an overlay: its top route takes the alerts labelled with its
// environment. The alert rules aggregate by environment, not by namespace, so the operator's
// namespace matcher would miss them: the cluster's Alertmanager runs with
// alertmanagerConfigMatcherStrategy None (docs/deploy.md) and this matcher scopes it instead.
export function crd(cfg, env) {
  const g = cfg.global ?? {};
  return {
    apiVersion: "monitoring.coreos.com/v1alpha1",
    kind: "AlertmanagerConfig",
    metadata: {
      name: "ai-pro-sports",
      labels: { "app.kubernetes.io/component": "monitoring", release: "kube-prometheus-stack" },
    },
    spec: {
      route: { matchers: [{ name: "environment", value: env }], ...crdRoute(cfg.route, true) },
      receivers: cfg.receivers.map((r) => crdReceiver(r, g)),
      inhibitRules: (cfg.inhibit_rules ?? []).map((i) => ({
        sourceMatch: i.source_matchers.map(matcher), targetMatch: i.target_matchers.map(matcher), equal: i.equal,
      })),
      muteTimeIntervals: (cfg.time_intervals ?? []).map((t) => ({
        name: t.name,
        timeIntervals: t.time_intervals.map((ti) => ({
          weekdays: ti.weekdays, times: ti.times?.map((x) => utcRange(x, ti.location ?? "UTC")),
        })),
      })),
    },
  };
}

function k8sText(env) {
  const channels = channelsOf(env);
  const obj = crd(route(fullConfig(), channels), env);
  const head =
    `# Generated by deploy/tools/alertmanager-channels.mjs from deploy/monitoring/alertmanager/alertmanager.yml\n` +
    `# and ALERT_CHANNELS=${channels.join(",")} of config/${env}.env. Do not edit: change those and run it again.\n` +
    `# The receivers' keys are the Secret ${SECRET} (slack_webhook_url, pagerduty_routing_key, smtp_password).\n`;
  return head + stringify(obj, YAML_OUT);
}
export const k8sPath = (env) => join(root, "deploy/k8s/overlays", env, "alertmanagerconfig.yaml");

function main(argv) {
  const opt = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--k8s" || a === "--check" || a === "--needs") opt[a.slice(2)] = true;
    else if (a === "--env" || a === "--out" || a === "--channels") opt[a.slice(2)] = argv[++i];
    else throw new Error(`unknown argument '${a}' (see the head of deploy/tools/alertmanager-channels.mjs)`);
  }
  if (opt.k8s) {
    let stale = 0;
    for (const env of ENVIRONMENTS) {
      const text = k8sText(env), path = k8sPath(env);
      if (!opt.check) writeFileSync(path, text);
      else if (!existsSync(path) || readFileSync(path, "utf8") !== text) {
        console.error(`alertmanager-channels: ${path} is not what alertmanager.yml and config/${env}.env give: run node deploy/tools/alertmanager-channels.mjs --k8s`);
        stale++;
      }
    }
    if (stale) process.exit(1);
    if (opt.check) console.log("alertmanager-channels: the committed AlertmanagerConfigs match alertmanager.yml and ALERT_CHANNELS");
    return;
  }
  if (!opt.env) throw new Error("--env ENV is needed (development, staging or production)");
  const channels = opt.channels !== undefined ? parseChannels(opt.channels) : channelsOf(opt.env);
  const cfg = route(fullConfig(), channels);
  if (opt.needs) {
    for (const f of needs(cfg)) console.log(f);
    return;
  }
  if (!opt.out) throw new Error("--out DIR, --needs or --k8s is needed");
  mkdirSync(join(opt.out, "templates"), { recursive: true });
  for (const t of readdirSync(join(amDir, "templates")))
    copyFileSync(join(amDir, "templates", t), join(opt.out, "templates", t));
  const head =
    `# Generated by deploy/tools/alertmanager-channels.mjs for ${opt.env}: deploy/monitoring/alertmanager/alertmanager.yml\n` +
    `# sending through ALERT_CHANNELS=${channels.join(",")}. Do not edit: change those and deploy again.\n`;
  writeFileSync(join(opt.out, "alertmanager.yml"), head + stringify(cfg, YAML_OUT));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`alertmanager-channels: ${e.message}`);
    process.exit(1);
  }
}
