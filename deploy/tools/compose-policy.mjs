// compose-policy.mjs ENV RENDERED.yaml — checks the seed's numbers in the compose deployment as
// docker-compose renders it for one environment (`docker-compose -f compose.yaml -f
// compose.ENV.yaml config`): resources (seed §1.2; staging at half, development smaller), the
// health checks (§5.4), the service names and discovery (§3.1), the start order (§3.4), secrets
// as files (§4.2), and the containers' hardening. Prints one line per failed check and
// "N passed, N failed"; exits 1 when any failed.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

const [env, file] = process.argv.slice(2);
const doc = parse(readFileSync(file, "utf8"));
const svc = doc.services ?? {};
let passed = 0, failed = 0;
const check = (what, ok, detail = "") => {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${env}: ${what}${detail ? ` (${detail})` : ""}`); }
};

const GB = 1024 ** 3, MB = 1024 ** 2;
const bytes = (v) => {
  if (typeof v === "number") return v;
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(String(v));
  if (!m) return NaN;
  return Number(m[1]) * ({ "": 1, k: 1024, m: MB, g: GB }[m[2].toLowerCase()]);
};

// Seed §1.2 (production); staging is half of it (§2.2); development fits one workstation (§2.1).
const seed = {
  "api": [2, 4 * GB], "worker": [4, 8 * GB], "scheduler": [1, 2 * GB], "ml-trainer": [24, 64 * GB],
  "postgres-primary": [4, 16 * GB], "postgres-replica": [2, 8 * GB], "redis": [2, 8 * GB], "nginx": [1, 1 * GB],
  "prometheus": [1, 2 * GB], "grafana": [1, 2 * GB], "alertmanager": [0.5, 1 * GB],
};
// Not in the seed's table: the exporters, the snapshot rotation and the backup repository's
// server, which must stay small.
const exporters = ["node-exporter", "postgres-exporter", "redis-exporter", "redis-snapshots", "pgbackrest-repo"];
const scale = { production: 1, staging: 0.5 }[env];
const kind = (name) => name.replace(/-(blue|green)-\d$/, "").replace(/-\d$/, "");

const expected = [
  "postgres-primary", "postgres-replica", "redis", "migrate", "scheduler", "ml-trainer",
  "api-blue-1", "api-blue-2", "api-blue-3", "api-green-1", "api-green-2", "api-green-3",
  "worker-1", "worker-2", "nginx-1", "nginx-2",
];
for (const name of expected) check(`service ${name} exists`, name in svc);

for (const [name, s] of Object.entries(svc)) {
  const k = kind(name);
  if (k === "migrate") continue;
  if (exporters.includes(k)) {
    check(`${name} is small (<= 0.5 CPU, 512 MB)`, Number(s.cpus) <= 0.5 && bytes(s.mem_limit) <= 512 * MB, `${s.cpus} ${s.mem_limit}`);
    continue;
  }
  const want = seed[k];
  check(`${name} has a seed resource row`, Boolean(want), k);
  if (!want) continue;
  const cpus = Number(s.cpus), mem = bytes(s.mem_limit);
  if (scale) {
    check(`${name} cpus = ${want[0] * scale}`, cpus === want[0] * scale, `got ${s.cpus}`);
    check(`${name} memory = ${want[1] * scale / GB} GB`, mem === want[1] * scale, `got ${s.mem_limit}`);
  } else {
    check(`${name} cpus within the seed's`, cpus > 0 && cpus <= want[0], `got ${s.cpus}`);
    check(`${name} memory within the seed's`, mem > 0 && mem <= want[1], `got ${s.mem_limit}`);
  }
}

// Health checks: seed §5.4 — every 10 s, 5 s timeout, unhealthy after 3. (Not for the one-shot
// jobs, nor for Grafana and the exporters, whose official images carry no probing tool.)
for (const [name, s] of Object.entries(svc)) {
  if (["migrate", "ml-trainer", "grafana", ...exporters].includes(name)) continue;
  const h = s.healthcheck ?? {};
  check(`${name} healthcheck interval 10s`, h.interval === "10s", h.interval);
  check(`${name} healthcheck timeout 5s`, h.timeout === "5s", h.timeout);
  check(`${name} healthcheck retries 3`, h.retries === 3, h.retries);
  check(`${name} healthcheck has a test`, Array.isArray(h.test) && h.test.length > 1);
}
const apiTest = svc["api-blue-1"]?.healthcheck?.test ?? [];
check("api healthcheck probes the api's health route", apiTest.join(" ").includes("health api"));

// Start order (seed §3.4): migrations after the primary is healthy, the api after the migrations.
const dep = (a, b) => svc[a]?.depends_on?.[b]?.condition;
check("migrate waits for a healthy primary", dep("migrate", "postgres-primary") === "service_healthy");
check("the replica waits for a healthy primary", dep("postgres-replica", "postgres-primary") === "service_healthy");
for (const a of ["api-blue-1", "api-green-1", "worker-1", "scheduler"])
  check(`${a} starts after the migrations`, dep(a, "migrate") === "service_completed_successfully");
check("api waits for the replica", dep("api-blue-1", "postgres-replica") === "service_healthy");
check("api waits for redis", dep("api-blue-1", "redis") === "service_healthy");

// Service discovery (seed §3.1): the five names resolve in every container.
const names = ["api.internal", "worker.internal", "postgres-primary.internal", "postgres-replica.internal", "redis.internal"];
for (const [name, s] of Object.entries(svc)) {
  const hosts = s.extra_hosts ?? [];
  const list = Array.isArray(hosts) ? hosts.map((h) => h.split(":")[0]) : Object.keys(hosts);
  check(`${name} resolves the seed's names`, names.every((n) => list.includes(n)), list.join(","));
}

// Secrets as files, never environment variables (seed §4.2); the environment's settings file.
const secretNames = ["DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "JWT_SECRET", "SECRET_KEY"];
for (const [name, s] of Object.entries(svc)) {
  if (!/^(api|worker|scheduler|migrate|ml-trainer)/.test(name)) continue;
  const envv = s.environment ?? {};
  check(`${name} has no secret in its environment`, secretNames.every((n) => !(n in envv)));
  const mounted = (s.secrets ?? []).map((x) => (typeof x === "string" ? x : x.source));
  check(`${name} mounts the secrets as files`, secretNames.every((n) => mounted.includes(n)), mounted.join(","));
  check(`${name} runs in ${env}`, envv.ENVIRONMENT === env, envv.ENVIRONMENT);
  check(`${name} reads APS_SECRETS_DIR=/run/secrets`, envv.APS_SECRETS_DIR === "/run/secrets");
  check(`${name} runs as 10001`, s.user === "10001:10001", s.user);
  check(`${name} has a read-only root`, s.read_only === true);
  check(`${name} drops every capability`, (s.cap_drop ?? []).includes("ALL"));
  check(`${name} cannot gain privileges`, (s.security_opt ?? []).includes("no-new-privileges:true"));
}
// Seed §4.3, through config/ENV.env in the containers' environment.
const table = {
  development: { LOG_LEVEL: "DEBUG", DATABASE_POOL_SIZE: "5", CACHE_TTL_DEFAULT: "60", RATE_LIMIT_PER_MIN: "1000", ALERT_CHANNELS: "console" },
  staging: { LOG_LEVEL: "INFO", DATABASE_POOL_SIZE: "10", CACHE_TTL_DEFAULT: "180", RATE_LIMIT_PER_MIN: "200", ALERT_CHANNELS: "slack" },
  production: { LOG_LEVEL: "INFO", DATABASE_POOL_SIZE: "20", CACHE_TTL_DEFAULT: "300", RATE_LIMIT_PER_MIN: "100", ALERT_CHANNELS: "slack,pagerduty" },
}[env];
const apiEnv = svc["api-blue-1"]?.environment ?? {};
for (const [k, v] of Object.entries(table)) check(`api ${k}=${v}`, String(apiEnv[k]) === v, apiEnv[k]);
check(`api DEBUG=${env === "development"}`, String(apiEnv.DEBUG) === String(env === "development"), apiEnv.DEBUG);

// Ports: each api replica its own; the workers' /health and /metrics; nginx's TLS edge.
const ports = Object.entries(svc).filter(([n]) => n.startsWith("api-")).map(([, s]) => s.environment?.PORT);
check("every api replica has its own port", new Set(ports).size === ports.length && ports.every(Boolean), ports.join(","));
for (const n of ["nginx-1", "nginx-2"]) {
  const vols = (svc[n]?.volumes ?? []).map((v) => (typeof v === "string" ? v : `${v.source}:${v.target}`));
  check(`${n} mounts the TLS certificate`, vols.some((v) => v.includes("/etc/nginx/tls")));
  check(`${n} mounts nginx.conf`, vols.some((v) => v.includes("/etc/nginx/nginx.conf")));
}
// Seed §7.3 through the environment's ALERT_CHANNELS (§4.3): Alertmanager reads the configuration
// aps-deploy writes for the environment (deploy/tools/alertmanager-channels.mjs), not the
// all-channel source in deploy/monitoring/alertmanager.
const amVols = (svc.alertmanager?.volumes ?? []).map((v) => (typeof v === "string" ? v : `${v.source}:${v.target}`));
check("alertmanager reads the configuration written for the environment's ALERT_CHANNELS",
  amVols.some((v) => /\/alertmanager:\/etc\/alertmanager(:ro)?$/.test(v) && !v.includes("deploy/monitoring")), amVols.join(","));
// Seed §6.1: WAL archived continuously from the primary, the daily full backups taken by a worker,
// both into the pgBackRest repository volume.
const mounts = (n) => (svc[n]?.volumes ?? []).map((v) => (typeof v === "string" ? v : `${v.source}:${v.target}`));
check("postgres-primary runs pgBackRest's database-side configuration",
  mounts("postgres-primary").some((v) => v.includes("pgbackrest.compose-db.conf:/etc/pgbackrest/pgbackrest.conf")));
for (const n of ["worker-1", "worker-2", "pgbackrest-repo"])
  check(`${n} mounts the backup repository`, mounts(n).some((v) => /:\/var\/lib\/pgbackrest(:|$)/.test(v)));
check("redis runs the shipped redis.conf (RDB every 15 minutes, AOF fsynced every second)",
  (svc.redis?.command ?? []).includes("/usr/local/etc/redis/redis.conf") &&
  (svc.redis?.volumes ?? []).some((v) => (typeof v === "string" ? v : `${v.source}:`).includes("deploy/backup/redis.conf:")));
check("redis snapshots are rotated (24 h)", (svc["redis-snapshots"]?.entrypoint ?? []).join(" ").includes("redis-snapshot-rotate"));
check("the trainer is a one-shot job", svc["ml-trainer"]?.restart === "no" || svc["ml-trainer"]?.restart === undefined);
check("the trainer runs aps train", (svc["ml-trainer"]?.command ?? []).includes("train"));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
