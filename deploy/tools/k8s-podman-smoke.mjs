// deploy/tools/k8s-podman-smoke.mjs — turns the rendered development overlay into what
// `podman kube play` (podman 4.3, Debian 12) can run on one machine, for the smoke test
// tests/integration/k8s_podman_smoke.sh: the api, worker and scheduler Deployments as rendered
// (image, command, args, envFrom the ConfigMap, the Secret volume at /run/secrets, the models
// claim, the emptyDir, security contexts), the ConfigMap and the claim. What changes, and why:
// - hostNetwork: true and no containerPort (podman refuses port mappings on the host network),
//   probes on port numbers instead of names, HOST=127.0.0.1 and free loopback ports;
// - the Secret is written apart (podman mounts a Secret volume from a podman secret of that name)
//   with the local PostgreSQL and Redis URLs, its values not base64-encoded (podman 4.3 writes
//   data values to the files as they stand), and `optional: false` spelled out on the volume
//   (podman 4.3 dereferences it without a nil check).
//   node k8s-podman-smoke.mjs DEV.yaml OUTDIR API_PORT WORKER_PORT DATABASE_URL REDIS_URL PREFIX
// writes OUTDIR/kube.yaml and OUTDIR/secret.yaml.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

const [file, outDir, apiPort, workerPort, dbUrl, redisUrl, prefix] = process.argv.slice(2);
if (!prefix) {
  console.error("usage: k8s-podman-smoke.mjs DEV.yaml OUTDIR API_PORT WORKER_PORT DATABASE_URL REDIS_URL PREFIX");
  process.exit(2);
}
const objs = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS()).filter(Boolean);
const pick = (kind, name) => {
  const o = objs.find((x) => x.kind === kind && (x.metadata.name === name || x.metadata.name.startsWith(`${name}-`)));
  if (!o) throw new Error(`${kind}/${name} is not in ${file}`);
  delete o.metadata.namespace;
  return o;
};
const cm = pick("ConfigMap", "aps-config");
Object.assign(cm.data, { HOST: "127.0.0.1", PORT: apiPort, WORKER_PORT: workerPort, REDIS_KEY_PREFIX: prefix });
const portOf = { http: Number(apiPort), metrics: Number(workerPort) };
const deployments = ["api", "worker", "scheduler"].map((n) => {
  const d = pick("Deployment", n);
  const pod = d.spec.template.spec;
  pod.hostNetwork = true;
  for (const c of pod.containers) {
    delete c.ports;
    for (const p of ["startupProbe", "livenessProbe", "readinessProbe"])
      if (c[p]?.httpGet && typeof c[p].httpGet.port === "string") c[p].httpGet.port = portOf[c[p].httpGet.port];
  }
  for (const v of pod.volumes ?? []) if (v.secret) v.secret.optional = false;
  return d;
});
const secret = pick("Secret", "aps-secrets");
secret.data = {
  DATABASE_URL: dbUrl,
  REDIS_URL: redisUrl,
  JWT_SECRET: "k8s-podman-smoke-jwt-secret-0123456789abcdef",
  SECRET_KEY: "k8s-podman-smoke-secret-key-0123456789abcdef",
};
writeFileSync(join(outDir, "kube.yaml"), [cm, pick("PersistentVolumeClaim", "models"), ...deployments].map((o) => stringify(o)).join("---\n"));
writeFileSync(join(outDir, "secret.yaml"), stringify(secret));
