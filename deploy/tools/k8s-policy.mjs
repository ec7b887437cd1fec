// deploy/tools/k8s-policy.mjs — asserts the seed's numbers (docs: ../shared/seed/deployment.md)
// in the rendered production overlay and its release variants.
//
//   node deploy/tools/k8s-policy.mjs PRODUCTION.yaml CANARY.yaml BLUEGREEN.yaml CLUSTER.yaml STAGING.yaml DEVELOPMENT.yaml
// Prints a FAIL line per broken rule and `N passed, N failed`; exit 1 on any failure.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, parse } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
let passed = 0;
let failed = 0;
function check(what, ok, detail = "") {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL: ${what}${detail ? `: ${detail}` : ""}`);
  }
}
const eq = (what, want, got) => check(what, JSON.stringify(want) === JSON.stringify(got), `expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);

const load = (f) => parseAllDocuments(readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean);
const [prodFile, canaryFile, bgFile, clusterFile, stagingFile, devFile] = process.argv.slice(2);
if (!devFile) {
  console.error("usage: k8s-policy.mjs PRODUCTION.yaml CANARY.yaml BLUEGREEN.yaml CLUSTER.yaml STAGING.yaml DEVELOPMENT.yaml");
  process.exit(2);
}
const prod = load(prodFile);
const canary = load(canaryFile);
const bg = load(bgFile);
const cluster = load(clusterFile);
const staging = load(stagingFile);
const dev = load(devFile);
const find = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata?.name === name);
const get = (objs, kind, name) => {
  const o = find(objs, kind, name);
  check(`${kind}/${name} exists`, !!o);
  return o ?? {};
};

// Pod specs of every workload, with where they come from.
function podSpecs(objs) {
  const out = [];
  for (const o of objs) {
    let spec = null;
    if (["Deployment", "StatefulSet", "Job", "Rollout"].includes(o.kind)) spec = o.spec?.template?.spec;
    if (o.kind === "CronJob") spec = o.spec?.jobTemplate?.spec?.template?.spec;
    if (spec) out.push({ name: `${o.kind}/${o.metadata.name}`, spec });
  }
  return out;
}
const container = (objs, kind, name) => {
  const o = get(objs, kind, name);
  const spec = kind === "CronJob" ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
  return spec?.containers?.[0] ?? {};
};

// --- api HPA (seed 3.2) -------------------------------------------------------------------
const hpa = get(prod, "HorizontalPodAutoscaler", "api");
eq("api HPA targets the api Deployment", { kind: "Deployment", name: "api" }, { kind: hpa.spec?.scaleTargetRef?.kind, name: hpa.spec?.scaleTargetRef?.name });
eq("api HPA min replicas", 3, hpa.spec?.minReplicas);
eq("api HPA max replicas", 10, hpa.spec?.maxReplicas);
const metric = (type, name) =>
  (hpa.spec?.metrics ?? []).find((m) => m.type === type && (m.resource?.name === name || m.pods?.metric?.name === name));
eq("api HPA CPU 70 %", 70, metric("Resource", "cpu")?.resource?.target?.averageUtilization);
eq("api HPA memory 80 %", 80, metric("Resource", "memory")?.resource?.target?.averageUtilization);
eq("api HPA 1000 requests/s per pod", "1000", metric("Pods", "aps_http_requests_per_second")?.pods?.target?.averageValue);
eq("api HPA p95 500 ms per pod", "500m", metric("Pods", "aps_http_request_duration_seconds_p95")?.pods?.target?.averageValue);
eq("api HPA has exactly the four metrics", 4, hpa.spec?.metrics?.length);
eq("api HPA scale-down cooldown 300 s", 300, hpa.spec?.behavior?.scaleDown?.stabilizationWindowSeconds);
eq("api HPA scale-up after 2 min", 120, hpa.spec?.behavior?.scaleUp?.stabilizationWindowSeconds);

// prometheus-adapter serves those two metrics from metrics the api really exports.
const adapter = get(cluster, "ConfigMap", "prometheus-adapter");
const rules = parse(adapter.data?.["config.yaml"] ?? "rules: []").rules ?? [];
const server = readFileSync(join(root, "src/http/server.c"), "utf8");
for (const [as, series] of [
  ["aps_http_requests_per_second", "aps_http_requests_total"],
  ["aps_http_request_duration_seconds_p95", "aps_http_request_duration_seconds"],
]) {
  const r = rules.find((x) => x.name?.as === as);
  check(`adapter rule makes ${as}`, !!r);
  check(`adapter rule ${as} reads ${series}`, !!r && r.seriesQuery.startsWith(series));
  check(`the api exports ${series} (src/http/server.c)`, server.includes(`"${series}"`));
}

// --- worker KEDA (seed 3.2) ---------------------------------------------------------------
const so = get(prod, "ScaledObject", "worker");
eq("worker min replicas", 2, so.spec?.minReplicaCount);
eq("worker max replicas", 5, so.spec?.maxReplicaCount);
eq("worker cooldown 600 s", 600, so.spec?.cooldownPeriod);
eq("worker HPA scale-down window 600 s", 600, so.spec?.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown?.stabilizationWindowSeconds);
const q = (so.spec?.triggers ?? []).find((t) => t.type === "redis-streams");
eq("worker scales up above 1000 waiting jobs", "1000", q?.metadata?.lagCount);
eq("worker trigger inactive below 100", "100", q?.metadata?.activationLagCount);
const queueSrc = readFileSync(join(root, "src/cache/queue_redis.c"), "utf8");
check("the queue's consumer group is the trigger's (src/cache/queue_redis.c)", queueSrc.includes(`#define GROUP "${q?.metadata?.consumerGroup}"`));
check("the queue's stream is the trigger's (<prefix>:jobs, prefix aps)", q?.metadata?.stream === "aps:jobs" && queueSrc.includes('"%s:jobs", prefix'));
eq("KEDA dials the Redis Service of this namespace", `redis.${so.metadata?.namespace}.svc.cluster.local:6379`, q?.metadata?.address);
eq("worker utilisation 80 % CPU", "80", (so.spec?.triggers ?? []).find((t) => t.type === "cpu")?.metadata?.value);

// --- rolling updates, probes, stopping (seed 3.3, 5.4) ------------------------------------
for (const name of ["api", "worker"]) {
  const d = get(prod, "Deployment", name);
  eq(`${name} maxSurge 25 %`, "25%", d.spec?.strategy?.rollingUpdate?.maxSurge);
  eq(`${name} maxUnavailable 0`, 0, d.spec?.strategy?.rollingUpdate?.maxUnavailable);
  eq(`${name} minReadySeconds 30`, 30, d.spec?.minReadySeconds);
  eq(`${name} progressDeadlineSeconds 600`, 600, d.spec?.progressDeadlineSeconds);
  check(`${name} has no replicas field (the autoscaler owns it)`, d.spec?.replicas === undefined);
}
eq("scheduler replicas 1", 1, find(prod, "Deployment", "scheduler")?.spec?.replicas);
const api = container(prod, "Deployment", "api");
eq("api readiness path", "/api/v1/health/ready", api.readinessProbe?.httpGet?.path);
eq("api liveness path", "/api/v1/health/live", api.livenessProbe?.httpGet?.path);
check("api has a startup probe", !!api.startupProbe?.httpGet);
eq("api readiness every 10 s, 5 s timeout, 2 in / 3 out (seed 5.4)", [10, 5, 2, 3],
  [api.readinessProbe?.periodSeconds, api.readinessProbe?.timeoutSeconds, api.readinessProbe?.successThreshold, api.readinessProbe?.failureThreshold]);
const apiPod = find(prod, "Deployment", "api")?.spec?.template?.spec ?? {};
const preStop = api.lifecycle?.preStop?.sleep?.seconds ?? 0;
const cfg = prod.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("aps-config-"))?.data ?? {};
const drain = Number(cfg.API_DRAIN_SECONDS);
// API_SHUTDOWN_DELAY_SECONDS: the not-ready window before the listener closes (default 5).
const delay = Number(cfg.API_SHUTDOWN_DELAY_SECONDS ?? 5);
eq("api drains 30 s (seed 5.4)", 30, drain);
check("api grace covers preStop + the not-ready window + the 30 s drain",
  apiPod.terminationGracePeriodSeconds > preStop + delay + drain,
  `grace ${apiPod.terminationGracePeriodSeconds}, preStop ${preStop}, delay ${delay}, drain ${drain}`);
eq("api port 8000", 8000, api.ports?.[0]?.containerPort);
const worker = container(prod, "Deployment", "worker");
eq("worker port 9000", 9000, worker.ports?.[0]?.containerPort);
eq("worker probes /health", "/health", worker.readinessProbe?.httpGet?.path);

// --- resources (seed 1.2) -----------------------------------------------------------------
const res = (c) => [c.resources?.limits?.cpu, c.resources?.limits?.memory, c.resources?.limits?.["nvidia.com/gpu"]];
eq("api 2 CPU / 4 GB", ["2", "4Gi", undefined], res(api));
eq("worker 4 CPU / 8 GB", ["4", "8Gi", undefined], res(worker));
eq("scheduler 1 CPU / 2 GB", ["1", "2Gi", undefined], res(container(prod, "Deployment", "scheduler")));
const trainer = container(prod, "CronJob", "ml-trainer");
eq("ml-trainer 24 CPU / 64 GB / 1 GPU", ["24", "64Gi", "1"], res(trainer));
eq("redis 2 CPU / 8 GB", ["2", "8Gi", undefined], res(container(prod, "StatefulSet", "redis")));
eq("redis 3 nodes", 3, find(prod, "StatefulSet", "redis")?.spec?.replicas);
const trainerPod = find(prod, "CronJob", "ml-trainer")?.spec?.jobTemplate?.spec?.template?.spec ?? {};
check("ml-trainer on GPU nodes (node selector + toleration)", !!trainerPod.nodeSelector && (trainerPod.tolerations ?? []).some((t) => t.key === "nvidia.com/gpu"));
check("ml-trainer writes the models volume at MODEL_PATH", (trainer.volumeMounts ?? []).some((m) => m.mountPath === cfg.MODEL_PATH && !m.readOnly));
const pg = get(prod, "Cluster", "postgres");
eq("PostgreSQL 1 primary + 2 replicas", 3, pg.spec?.instances);
check("PostgreSQL 15", /postgresql:15\./.test(pg.spec?.imageName ?? ""));
eq("PostgreSQL backups kept 30 days", "30d", pg.spec?.backup?.retentionPolicy);
check("PostgreSQL WAL archived to object storage", /^s3:\/\//.test(pg.spec?.backup?.barmanObjectStore?.destinationPath ?? ""));
eq("PostgreSQL commits wait for any 1 of the 2 replicas: a failover loses no acknowledged write",
  ["any", 1, "required"], ["method", "number", "dataDurability"].map((k) => pg.spec?.postgresql?.synchronous?.[k]));
// Synchronous replication never leaves an environment unable to write while one replica is down:
// "required" needs more replicas than it waits for; with fewer, it must be "preferred" or absent.
for (const [env, objs] of [["production", prod], ["staging", staging], ["development", dev]]) {
  const c = find(objs, "Cluster", "postgres")?.spec ?? {};
  const sync = c.postgresql?.synchronous;
  check(`${env}: one replica down does not stop the writes`,
    !sync || sync.dataDurability === "preferred" || sync.number < (c.instances ?? 1) - 1,
    `instances ${c.instances}, synchronous ${JSON.stringify(sync)}`);
}
eq("daily base backup at 04:00 UTC", "0 0 4 * * *", find(prod, "ScheduledBackup", "postgres-daily")?.spec?.schedule);
const redisConf = prod.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("redis-config-"))?.data?.["redis.conf"] ?? "";
check("redis RDB every 15 minutes", /^save 900 1$/m.test(redisConf));
check("redis AOF on", /^appendonly yes$/m.test(redisConf));

// --- every pod: restricted security, requests and limits, image names ----------------------
const wantImage = { api: "ai-pro-sports-api", migrate: "ai-pro-sports-api", worker: "ai-pro-sports-worker", scheduler: "ai-pro-sports-scheduler", "ml-trainer": "ai-pro-sports-trainer" };
for (const objs of [prod, canary, bg]) {
  for (const { name, spec } of podSpecs(objs)) {
    check(`${name}: pod runAsNonRoot`, spec.securityContext?.runAsNonRoot === true);
    check(`${name}: seccomp RuntimeDefault`, spec.securityContext?.seccompProfile?.type === "RuntimeDefault");
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const sc = c.securityContext ?? {};
      check(`${name}/${c.name}: readOnlyRootFilesystem`, sc.readOnlyRootFilesystem === true);
      check(`${name}/${c.name}: no privilege escalation`, sc.allowPrivilegeEscalation === false);
      check(`${name}/${c.name}: drops ALL capabilities`, JSON.stringify(sc.capabilities?.drop) === '["ALL"]');
      check(`${name}/${c.name}: requests and limits`, !!c.resources?.requests?.cpu && !!c.resources?.requests?.memory && !!c.resources?.limits?.cpu && !!c.resources?.limits?.memory);
      check(`${name}/${c.name}: image pinned, never :latest`, /:[^/:]+$/.test(c.image ?? "") && !/:latest$/.test(c.image));
      check(`${name}/${c.name}: no secret in env`, !(c.env ?? []).some((e) => e.valueFrom?.secretKeyRef) && !(c.envFrom ?? []).some((e) => e.secretRef));
      if (wantImage[c.name]) check(`${name}/${c.name}: image ${wantImage[c.name]}:2.0.0`, (c.image ?? "").endsWith(`/${wantImage[c.name]}:2.0.0`), c.image);
    }
    const mounts = (spec.containers ?? []).flatMap((c) => c.volumeMounts ?? []);
    if (wantImage[spec.containers?.[0]?.name])
      check(`${name}: secrets mounted at APS_SECRETS_DIR (${cfg.APS_SECRETS_DIR})`, mounts.some((m) => m.name === "secrets" && m.mountPath === cfg.APS_SECRETS_DIR));
  }
}

// --- the recommended labels on every object, name and component on every pod template -------
for (const o of prod) {
  const l = o.metadata?.labels ?? {};
  check(`${o.kind}/${o.metadata?.name}: part-of, managed-by, instance, version labels`,
    l["app.kubernetes.io/part-of"] === "ai-pro-sports" && l["app.kubernetes.io/managed-by"] === "kustomize" &&
    l["app.kubernetes.io/instance"] === "ai-pro-sports-production" && !!l["app.kubernetes.io/version"]);
}
for (const o of prod.filter((x) => ["Deployment", "StatefulSet", "Job"].includes(x.kind))) {
  const l = o.spec?.template?.metadata?.labels ?? {};
  check(`${o.kind}/${o.metadata.name}: pod template has name, component, instance`,
    !!l["app.kubernetes.io/name"] && !!l["app.kubernetes.io/component"] && !!l["app.kubernetes.io/instance"]);
}

// --- network (seed 5.2) and the seed's service names (3.1) ---------------------------------
const deny = get(prod, "NetworkPolicy", "default-deny");
check("default-deny selects every pod, both directions", JSON.stringify(deny.spec?.podSelector) === "{}" && JSON.stringify(deny.spec?.policyTypes) === '["Ingress","Egress"]' && !deny.spec?.ingress && !deny.spec?.egress);
const apiIn = get(prod, "NetworkPolicy", "api-ingress");
check("api reachable on 8000 from the ingress controller", (apiIn.spec?.ingress ?? []).some((r) => r.ports?.some((p) => p.port === 8000) && r.from?.some((f) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "ingress-nginx")));
const workerIn = get(prod, "NetworkPolicy", "worker-ingress");
check("worker 9000 internal only", (workerIn.spec?.ingress ?? []).every((r) => r.from?.every((f) => !f.ipBlock)) && workerIn.spec?.ingress?.[0]?.ports?.[0]?.port === 9000);
const egressPorts = prod.filter((o) => o.kind === "NetworkPolicy").flatMap((o) => (o.spec?.egress ?? []).filter((r) => !r.to).flatMap((r) => r.ports.map((p) => p.port)));
check("egress to the outside only on 443 (+6443 for the data pods' API access)", egressPorts.every((p) => p === 443 || p === 6443), JSON.stringify(egressPorts));
check("DNS egress on 53", prod.some((o) => o.kind === "NetworkPolicy" && (o.spec?.egress ?? []).some((r) => r.ports?.some((p) => p.port === 53))));
for (const [name, port] of [["api", 8000], ["worker", 9000], ["redis", 6379]])
  eq(`Service ${name}:${port}`, port, find(prod, "Service", name)?.spec?.ports?.[0]?.port);
const pgServices = (pg.spec?.managed?.services?.additional ?? []).map((s) => [s.selectorType, s.serviceTemplate?.metadata?.name]);
eq("postgres-primary (rw) and postgres-replica (ro) Services", [["rw", "postgres-primary"], ["ro", "postgres-replica"]], pgServices);

// --- TLS (seed 5.3) -------------------------------------------------------------------------
const cert = get(prod, "Certificate", "api-tls");
eq("certificate renewed 30 days before expiry", "720h", cert.spec?.renewBefore);
eq("certificate from the Let's Encrypt ClusterIssuer", "letsencrypt-production", cert.spec?.issuerRef?.name);
check("ClusterIssuer is Let's Encrypt", /letsencrypt\.org/.test(get(cluster, "ClusterIssuer", "letsencrypt-production").spec?.acme?.server ?? ""));
const nginx = get(cluster, "ConfigMap", "ingress-nginx-controller").data ?? {};
eq("HSTS max-age=31536000; includeSubDomains", ["true", "31536000", "true"], [nginx.hsts, nginx["hsts-max-age"], nginx["hsts-include-subdomains"]]);
eq("TLS 1.2 and 1.3 only", "TLSv1.2 TLSv1.3", nginx["ssl-protocols"]);
const ing = get(prod, "Ingress", "api");
eq("HTTP redirects to HTTPS", "true", ing.metadata?.annotations?.["nginx.ingress.kubernetes.io/force-ssl-redirect"]);
check("Ingress serves TLS with the certificate's secret", ing.spec?.tls?.[0]?.secretName === cert.spec?.secretName);
// The public paths: the API and the dashboard the api serves (its page and its bundle), nothing
// else (no /metrics, no catch-all), each to the api Service, on the certificate's host.
const publicPaths = (objs) => {
  const rule = find(objs, "Ingress", "api")?.spec?.rules?.[0];
  return (rule?.http?.paths ?? []).map((p) => `${p.pathType} ${p.path} -> ${p.backend?.service?.name}:${p.backend?.service?.port?.name}`);
};
const wantPaths = ["Prefix /api/", "Exact /", "Exact /index.html", "Exact /dashboard", "Prefix /assets/"].map((p) => `${p} -> api:http`);
for (const [env, objs] of [["production", prod], ["staging", staging], ["production-canary", canary]]) {
  eq(`${env}: the Ingress serves the API and the dashboard, nothing else`, wantPaths, publicPaths(objs));
  const i = find(objs, "Ingress", "api");
  eq(`${env}: the Ingress host is the certificate's`, find(objs, "Certificate", "api-tls")?.spec?.dnsNames, [i?.spec?.rules?.[0]?.host]);
  eq(`${env}: TLS covers the Ingress host`, [i?.spec?.rules?.[0]?.host], i?.spec?.tls?.[0]?.hosts);
}

// --- backups on the cluster (seed 6.1): CloudNativePG's, watched on its metrics --------------------
for (const [env, objs] of [["production", prod], ["staging", staging]]) {
  const cfg = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("aps-config-"))?.data ?? {};
  eq(`${env}: the scheduler queues no backup job of its own (CloudNativePG backs up)`, "0", cfg.SCHEDULE_BACKUP_SECONDS);
  const rules = (find(objs, "PrometheusRule", "postgres-backups")?.spec?.groups ?? []).flatMap((g) => g.rules ?? []);
  const rule = (n) => rules.find((r) => r.alert === n) ?? {};
  check(`${env}: BackupTooOld on CloudNativePG's last backup, over a day for 30m, critical`,
    /cnpg_collector_last_available_backup_timestamp\) > 86400$/.test(rule("BackupTooOld").expr ?? "") && rule("BackupTooOld").for === "30m" && rule("BackupTooOld").labels?.severity === "critical");
  check(`${env}: BackupFailing on CloudNativePG's last failed backup`, /cnpg_collector_last_failed_backup_timestamp/.test(rule("BackupFailing").expr ?? ""));
  check(`${env}: WalArchiveLagging on the archiver's failures`, /cnpg_pg_stat_archiver_failed_count/.test(rule("WalArchiveLagging").expr ?? ""));
}
check("the Cluster exports its metrics (PodMonitor)", get(prod, "Cluster", "postgres").spec?.monitoring?.enablePodMonitor === true);
eq("the daily base backup at 04:00 UTC", "0 0 4 * * *", get(prod, "ScheduledBackup", "postgres-daily").spec?.schedule);

// --- monitoring on the cluster (seed 7.1, 7.2) ---------------------------------------------------
// Every scraped series carries its environment (the compose targets' label), and the ten Grafana
// dashboards are the files of deploy/monitoring/grafana, once per cluster, for Grafana's sidecar.
for (const [env, objs] of [["production", prod], ["staging", staging]]) {
  const want = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("aps-config-"))?.data?.ENVIRONMENT;
  for (const sm of objs.filter((o) => o.kind === "ServiceMonitor"))
    check(`${env}: ServiceMonitor ${sm.metadata.name} labels its series environment=${want}`,
      !!want && (sm.spec?.endpoints ?? []).length > 0 && sm.spec.endpoints.every((e) => (e.relabelings ?? []).some((r) => r.targetLabel === "environment" && r.replacement === want)));
}
const dashDir = join(root, "deploy", "monitoring", "grafana", "dashboards");
const dashFiles = readdirSync(dashDir).filter((f) => f.endsWith(".json")).sort();
eq("ten Grafana dashboards", 10, dashFiles.length);
for (const f of dashFiles) {
  const cm = cluster.find((o) => o.kind === "ConfigMap" && o.metadata?.namespace === "monitoring" && o.data && f in o.data);
  check(`dashboard ${f}: a ConfigMap in monitoring labelled grafana_dashboard=1, the file as it is`,
    !!cm && cm.metadata.labels?.grafana_dashboard === "1" && cm.data[f] === readFileSync(join(dashDir, f), "utf8"));
}

// --- releases (seed 3.3) -----------------------------------------------------------------------
const cr = get(canary, "Rollout", "api");
const steps = cr.spec?.strategy?.canary?.steps ?? [];
eq("canary weights 5 -> 25 -> 50 -> 100", [5, 25, 50, 100], steps.filter((s) => "setWeight" in s).map((s) => s.setWeight));
eq("1-hour observation before full promotion", "1h", steps[steps.findIndex((s) => s.setWeight === 100) - 1]?.pause?.duration);
eq("canary analysis runs in the background", "api-health", cr.spec?.strategy?.canary?.analysis?.templates?.[0]?.templateName);
eq("the canary HPA scales the Rollout", "Rollout", find(canary, "HorizontalPodAutoscaler", "api")?.spec?.scaleTargetRef?.kind);
const at = get(canary, "AnalysisTemplate", "api-health");
const m = (n) => (at.spec?.metrics ?? []).find((x) => x.name === n);
check("analysis aborts on the error rate", /aps_http_requests_total/.test(m("error-rate")?.provider?.prometheus?.query ?? "") && /< 0\.01/.test(m("error-rate")?.successCondition ?? ""));
check("analysis aborts on p95 over 500 ms", /histogram_quantile\(0\.95, .*aps_http_request_duration_seconds_bucket/.test(m("p95-latency")?.provider?.prometheus?.query ?? "") && /< 0\.5/.test(m("p95-latency")?.successCondition ?? ""));
const bgr = get(bg, "Rollout", "api").spec?.strategy?.blueGreen ?? {};
eq("blue/green preview Service", "api-preview", bgr.previewService);
eq("blue/green smoke test before promotion", "api-smoke-test", bgr.prePromotionAnalysis?.templates?.[0]?.templateName);
eq("blue/green 15-minute watch after promotion", ["15", 900], [bgr.postPromotionAnalysis?.args?.find((a) => a.name === "count")?.value, bgr.scaleDownDelaySeconds]);

// --- staging: about half of production (seed 2.2) ------------------------------------------
const half = (what, p, st) => check(`staging ${what} is about half of production`, st > 0 && st >= p * 0.4 && st <= p * 0.6, `production ${p}, staging ${st}`);
const cpu = (v) => (String(v).endsWith("m") ? parseInt(v, 10) / 1000 : Number(v));
half("api max replicas", hpa.spec?.maxReplicas, find(staging, "HorizontalPodAutoscaler", "api")?.spec?.maxReplicas);
half("api CPU", cpu(api.resources?.limits?.cpu), cpu(container(staging, "Deployment", "api").resources?.limits?.cpu));
half("worker CPU", cpu(worker.resources?.limits?.cpu), cpu(container(staging, "Deployment", "worker").resources?.limits?.cpu));
half("worker max replicas", so.spec?.maxReplicaCount, find(staging, "ScaledObject", "worker")?.spec?.maxReplicaCount);
eq("staging settings file", "staging", staging.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("aps-config-"))?.data?.ENVIRONMENT);
const sso = find(staging, "ScaledObject", "worker");
eq("staging KEDA dials the staging Redis", `redis.${sso?.metadata?.namespace}.svc.cluster.local:6379`, sso?.spec?.triggers?.[0]?.metadata?.address);
eq("staging scheduler replicas 1", 1, find(staging, "Deployment", "scheduler")?.spec?.replicas);

// --- alert routing: seed 7.3 in production, each environment's ALERT_CHANNELS (seed 4.3) ---------
const CHANNEL = { slackConfigs: "slack", pagerdutyConfigs: "pagerduty", emailConfigs: "email" };
function alerting(env, objs) {
  const amc = get(objs, "AlertmanagerConfig", "ai-pro-sports").spec ?? {};
  const receiver = (name) => (amc.receivers ?? []).find((r) => r.name === name) ?? {};
  const sends = (name) => Object.keys(CHANNEL).filter((k) => receiver(name)[k]?.length).map((k) => CHANNEL[k]).sort();
  const bySeverity = (sev) => (amc.route?.routes ?? []).find((r) => (r.matchers ?? []).some((x) => x.name === "severity" && x.value === sev && (x.matchType ?? "=") === "="));
  const r = amc.route ?? {};
  eq(`${env} alert routes take the alerts of ${env}`, [{ name: "environment", value: env }], r.matchers);
  eq(`${env} alerts grouped by service, severity; wait 30 s, every 5 min, repeated after 4 h`,
    [["service", "severity"], "30s", "5m", "4h"], [r.groupBy, r.groupWait, r.groupInterval, r.repeatInterval]);
  const channels = (objs.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("aps-config-"))?.data?.ALERT_CHANNELS ?? "")
    .split(",").map((c) => c.trim()).filter((c) => c && c !== "console");
  const used = new Set((amc.receivers ?? []).flatMap((x) => Object.keys(CHANNEL).filter((k) => x[k]?.length).map((k) => CHANNEL[k])));
  used.delete("email"); // the daily digest: on wherever alerts leave the cluster
  eq(`${env} alerts are sent through ALERT_CHANNELS and nothing else`, [...channels].sort(), [...used].sort());
  return { sends, bySeverity };
}
{
  const { sends, bySeverity } = alerting("production", prod);
  eq("production critical alerts page PagerDuty and Slack at once", ["pagerduty", "slack"], sends(bySeverity("critical")?.receiver));
  eq("production warnings go to Slack in business hours", [["slack"], ["business-hours"]], [sends(bySeverity("warning")?.receiver), bySeverity("warning")?.activeTimeIntervals]);
  eq("production info alerts are a daily email digest", [["email"], "24h"], [sends(bySeverity("info")?.receiver), bySeverity("info")?.repeatInterval]);
}
{
  const { sends, bySeverity } = alerting("staging", staging);
  eq("staging critical alerts go to Slack, not PagerDuty", ["slack"], sends(bySeverity("critical")?.receiver));
}
{
  const { sends, bySeverity } = alerting("development", dev);
  eq("development alerts stay on the console", [[], [], []], ["critical", "warning", "info"].map((s) => sends(bySeverity(s)?.receiver)));
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
