// deploy/tools/k8s-validate.mjs — checks rendered Kubernetes manifests (multi-document YAML) two
// ways, offline:
//   1. schema: each object through `new Cls(obj).validate()` of npm kubernetes-models (the
//      Kubernetes 1.3x OpenAPI schemas) or the @kubernetes-models package of its CRD (Argo
//      Rollouts, KEDA, prometheus-operator, cert-manager, CloudNativePG, External Secrets).
//      These schemas do not forbid unknown fields, so a typo such as `imagee:` passes them;
//   2. strict: each object is type-checked by the TypeScript compiler as an object literal,
//      `export const o = (<the object>) satisfies I<Kind>;`, under --strict. An object literal
//      may not have properties its type lacks (excess property checks), so an unknown field at
//      any depth fails, and so does a wrong type.
//
//   node deploy/tools/k8s-validate.mjs FILE.yaml...      (or - for stdin)
// Prints one FAIL line per problem and `N passed, N failed` (objects); exit 1 when any failed,
// 2 on a usage error or an object of an unknown apiVersion/kind.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ts = require("typescript");

// apiVersion group → the package whose models (and interfaces) cover it.
const GROUPS = {
  "": "kubernetes-models",
  "apps": "kubernetes-models",
  "batch": "kubernetes-models",
  "autoscaling": "kubernetes-models",
  "policy": "kubernetes-models",
  "networking.k8s.io": "kubernetes-models",
  "rbac.authorization.k8s.io": "kubernetes-models",
  "storage.k8s.io": "kubernetes-models",
  "scheduling.k8s.io": "kubernetes-models",
  "argoproj.io": "@kubernetes-models/argo-rollouts",
  "keda.sh": "@kubernetes-models/keda",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "cert-manager.io": "@kubernetes-models/cert-manager",
  "postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg",
  "external-secrets.io": "@kubernetes-models/external-secrets",
};

// The module path of a kind, e.g. "kubernetes-models/apps/v1/Deployment".
export function modelPath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z]+$/.test(kind))
    return null;
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const pkg = GROUPS[group];
  if (!pkg) return null;
  return group ? `${pkg}/${group}/${version}/${kind}` : `${pkg}/${version}/${kind}`;
}

function readDocs(files) {
  const objs = [];
  for (const f of files) {
    const text = readFileSync(f === "-" ? 0 : f, "utf8");
    for (const d of parseAllDocuments(text)) {
      if (d.errors.length) throw new Error(`${f}: ${d.errors[0].message}`);
      const o = d.toJS();
      if (o !== null && o !== undefined) objs.push({ file: f, obj: o });
    }
  }
  return objs;
}

function label(x) {
  return `${x.obj.kind}/${x.obj.metadata?.name ?? "?"}`;
}

// Schema validation; returns the list of failure lines.
async function schemaCheck(items) {
  const fails = [];
  for (const x of items) {
    try {
      const mod = await import(x.path);
      const Cls = mod[x.obj.kind];
      if (typeof Cls !== "function") throw new Error(`no model ${x.obj.kind} in ${x.path}`);
      new Cls(x.obj).validate();
    } catch (e) {
      fails.push({ x, msg: `schema: ${String(e.message).split("\n").slice(0, 6).join(" | ")}` });
    }
  }
  return fails;
}

// Strict check: one virtual .ts file per object, one compiler run for all of them.
function strictCheck(items) {
  const files = new Map();
  items.forEach((x, i) => {
    const name = join(here, `__k8s_validate__/o${i}.ts`);
    const src =
      `import type { I${x.obj.kind} } from "${x.path}";\n` +
      `export const o = (${JSON.stringify(x.obj, null, 1)}) satisfies I${x.obj.kind};\n`;
    files.set(name, { src, x });
  });
  const options = {
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    files.has(name)
      ? ts.createSourceFile(name, files.get(name).src, lang)
      : getSourceFile(name, lang, ...rest);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.readFile = (name) => (files.has(name) ? files.get(name).src : readFile(name));
  const program = ts.createProgram([...files.keys()], options, host);
  const fails = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const f = d.file && files.get(d.file.fileName);
    const msg = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (!f) {
      fails.push({ x: null, msg: `strict: ${msg}` });
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const near = f.src.split("\n")[line].trim();
    fails.push({ x: f.x, msg: `strict: ${msg} (at ${near})` });
  }
  return fails;
}

async function main(argv) {
  if (!argv.length) {
    console.error("usage: k8s-validate.mjs FILE.yaml... (- for stdin)");
    return 2;
  }
  const items = readDocs(argv);
  for (const x of items) {
    // kustomize folds a long base64 value of a Secret over several lines; the API server's
    // base64 decoder (Go's encoding/base64) skips the line breaks, the models' "byte" format
    // does not, so they are taken out before the checks.
    if (x.obj.kind === "Secret" && x.obj.data && typeof x.obj.data === "object")
      for (const k of Object.keys(x.obj.data))
        if (typeof x.obj.data[k] === "string") x.obj.data[k] = x.obj.data[k].replace(/[\r\n]/g, "");
    x.path = modelPath(x.obj.apiVersion, x.obj.kind);
    if (!x.path) {
      console.error(`k8s-validate: no model for apiVersion ${x.obj.apiVersion} kind ${x.obj.kind} (${x.file})`);
      return 2;
    }
  }
  const fails = [...(await schemaCheck(items)), ...strictCheck(items)];
  const bad = new Set();
  for (const f of fails) {
    console.log(`FAIL ${f.x ? `${f.x.file} ${label(f.x)}` : "(compiler)"}: ${f.msg}`);
    bad.add(f.x);
  }
  const failed = bad.has(null) ? items.length : bad.size;
  console.log(`${items.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
