// check-api.mjs — checks a running `aps api` against its own OpenAPI document with ajv (JSON
// Schema 2020-12, the dialect of OpenAPI 3.1): every GET operation is called with valid
// credentials and its body validated against the schema its success response declares; then
// every operation is called in ways that must fail (no credential, an undeclared query
// parameter, a value out of bounds, an id that does not exist, a wrong method, an oversized body
// and URL, a rate limit) and each error body validated against the Error schema, its status
// against the statuses the operation declares.
//
// usage: node check-api.mjs BASE_URL DOC.json PARAMS.json
//   PARAMS.json: {"token": "...", "limited_key": "an API key allowed 1 request a minute",
//                 "paths": {"/api/v1/games/{id}": {"id": 12}, ...}}
// Prints one line per failure and a closing "N passed, N failed"; exits 1 on any failure.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [base, docPath, paramsPath] = process.argv.slice(2);
if (!base || !docPath || !paramsPath) {
  console.error("usage: node check-api.mjs BASE_URL DOC.json PARAMS.json");
  process.exit(2);
}
const doc = JSON.parse(readFileSync(docPath, "utf8"));
const params = JSON.parse(readFileSync(paramsPath, "utf8"));

// The document's schemas as the $defs of one schema (refs rewritten to match), compiled strictly.
const defs = JSON.parse(
  JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"api#/$defs/'),
);
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: "api", $defs: defs });
const validators = new Map();
function validatorFor(schema) {
  const ref = schema.$ref.replace("#/components/schemas/", "api#/$defs/");
  if (!validators.has(ref)) validators.set(ref, ajv.compile({ $ref: ref }));
  return validators.get(ref);
}

let passed = 0;
let failed = 0;
const seen = new Map(); // "METHOD path" → statuses checked
function ok(cond, what) {
  if (cond) passed++;
  else {
    failed++;
    console.log(`FAIL: ${what}`);
  }
  return cond;
}

function fill(path, values) {
  const q = (params.query || {})[path];
  return path.replace(/\{([^}]+)\}/g, (_, name) => {
    if (!values || values[name] === undefined) throw new Error(`no value for {${name}} in ${path}`);
    return encodeURIComponent(String(values[name]));
  }) + (q ? `?${q}` : "");
}
const join = (url, q) => `${url}${url.includes("?") ? "&" : "?"}${q}`;

async function call(method, url, { auth = true, key, body, headers = {} } = {}) {
  const h = { ...headers };
  if (key) h["X-API-Key"] = key;
  else if (auth) h.Authorization = `Bearer ${params.token}`;
  if (body !== undefined && !h["Content-Type"]) h["Content-Type"] = "application/json";
  const res = await fetch(base + url, { method, headers: h, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") || "", text };
}

// Checks one answer against the operation's declared response for its status.
function checkAnswer(method, path, op, r, label) {
  const name = `${method} ${path} ${label}`;
  const declared = op.responses[String(r.status)];
  if (!ok(declared, `${name}: status ${r.status} is not declared (${r.text.slice(0, 200)})`)) return;
  if (!seen.has(`${method} ${path}`)) seen.set(`${method} ${path}`, new Set());
  seen.get(`${method} ${path}`).add(r.status);
  if (r.status === 304) return;
  const content = declared.content || {};
  const type = Object.keys(content).find((t) => r.type.startsWith(t.split(";")[0]));
  if (!ok(type, `${name}: content type ${r.type} is not declared (${Object.keys(content)})`)) return;
  if (!type.startsWith("application/json")) return;
  let body;
  try {
    body = JSON.parse(r.text);
  } catch {
    ok(false, `${name}: body is not JSON`);
    return;
  }
  const v = validatorFor(content[type].schema);
  ok(v(body), `${name}: body does not match ${content[type].schema.$ref}: ${ajv.errorsText(v.errors)}`);
  if (r.status >= 400) ok(content[type].schema.$ref.endsWith("/Error"), `${name}: error not the Error schema`);
}

const ops = [];
for (const [path, item] of Object.entries(doc.paths))
  for (const [m, op] of Object.entries(item)) ops.push({ method: m.toUpperCase(), path, op });

// 1. Every GET with valid credentials, its success body against its schema.
for (const { method, path, op } of ops) {
  if (method !== "GET") continue;
  let url;
  try {
    url = fill(path, params.paths[path]);
  } catch (e) {
    ok(false, e.message);
    continue;
  }
  const r = await call("GET", url);
  ok(r.status >= 200 && r.status < 300, `GET ${url}: status ${r.status} ${r.text.slice(0, 200)}`);
  checkAnswer(method, path, op, r, "(valid call)");
  // every declared query parameter at its default or a valid value is accepted too
  const qs = (op.parameters || []).filter((p) => p.in === "query" && p.schema.default !== undefined);
  if (qs.length) {
    const q = qs.map((p) => `${p.name}=${encodeURIComponent(String(p.schema.default))}`).join("&");
    const r2 = await call("GET", join(url, q));
    ok(r2.status === 200, `GET ${join(url, q)}: status ${r2.status}`);
    checkAnswer(method, path, op, r2, "(defaults)");
  }
}

// 2. Failures, each an Error envelope with a declared status.
for (const { method, path, op } of ops) {
  const values = params.paths[path] || {};
  let url;
  try {
    url = fill(path, values);
  } catch {
    continue;
  }
  const body = method === "GET" || method === "DELETE" ? undefined : "{}";
  // an undeclared query parameter: 400 naming it and the allowed ones
  const r = await call(method, join(url, "sprot=NBA"), { body });
  if (ok(r.status === 400, `${method} ${url}?sprot=NBA: status ${r.status}, want 400`)) {
    const e = JSON.parse(r.text).error;
    ok(e.message.includes("sprot") && e.details.some((d) => d.field === "sprot"),
       `${method} ${url}?sprot=NBA: the error does not name the parameter`);
    const qnames = (op.parameters || []).filter((p) => p.in === "query").map((p) => p.name);
    ok(qnames.every((n) => e.message.includes(n)), `${method} ${url}: allowed parameters not named`);
  }
  checkAnswer(method, path, op, r, "(undeclared parameter)");
  // a declared integer parameter out of its bounds
  for (const p of (op.parameters || []).filter((p) => p.in === "query" && p.schema.maximum !== undefined)) {
    const rb = await call(method, join(url, `${p.name}=${p.schema.maximum + 1}`), { body });
    ok(rb.status === 400, `${method} ${url}?${p.name}=${p.schema.maximum + 1}: status ${rb.status}`);
    checkAnswer(method, path, op, rb, `(${p.name} out of bounds)`);
  }
  // no credential where one is needed
  if (op.security && op.security.length) {
    const ra = await call(method, url, { auth: false, body });
    ok(ra.status === 401, `${method} ${url} without a credential: status ${ra.status}`);
    checkAnswer(method, path, op, ra, "(no credential)");
  }
  // a bad credential anywhere
  const rt = await call(method, url, { headers: { Authorization: "Bearer not.a.token" }, auth: false, body });
  ok(rt.status === 401, `${method} ${url} with a bad token: status ${rt.status}`);
  checkAnswer(method, path, op, rt, "(bad token)");
  // an id that does not exist
  for (const p of (op.parameters || []).filter((p) => p.in === "path" && p.schema.type === "integer")) {
    const rn = await call(method, fill(path, { ...values, [p.name]: 2147483000 }), { body: method === "GET" ? undefined : "{}" });
    ok([400, 404].includes(rn.status), `${method} ${path} with a missing ${p.name}: status ${rn.status}`);
    checkAnswer(method, path, op, rn, `(no such ${p.name})`);
  }
  // a body over the operation's limit
  if (op["x-body-limit"]) {
    const big = JSON.stringify({ pad: "x".repeat(op["x-body-limit"] + 10) });
    const rs = await call(method, url, { body: big });
    ok(rs.status === 413, `${method} ${url} with an oversized body: status ${rs.status}`);
    checkAnswer(method, path, op, rs, "(oversized body)");
  }
}

// 3. What every path shares: a URL over the limit, a method the path does not take.
const rl = await call("GET", `/api/v1/games?team=${"a".repeat(5000)}`);
ok(rl.status === 414, `URL over the limit: status ${rl.status}`);
checkAnswer("GET", "/api/v1/games", doc.paths["/api/v1/games"].get, rl, "(URL over the limit)");
const rm = await call("PATCH", "/api/v1/games");
ok(rm.status === 405, `PATCH /api/v1/games: status ${rm.status}`);
ok(validatorFor({ $ref: "#/components/schemas/Error" })(JSON.parse(rm.text)), "405 body is not an Error");
const r404 = await call("GET", "/api/v1/no-such-thing");
ok(r404.status === 404 && validatorFor({ $ref: "#/components/schemas/Error" })(JSON.parse(r404.text)),
   `unknown path: ${r404.status} ${r404.text.slice(0, 100)}`);
// the rate limit: an API key allowed one request a minute
if (params.limited_key) {
  const op = doc.paths["/api/v1/games"].get;
  await call("GET", "/api/v1/games", { key: params.limited_key });
  const rr = await call("GET", "/api/v1/games", { key: params.limited_key });
  ok(rr.status === 429, `rate limited key: status ${rr.status}`);
  checkAnswer("GET", "/api/v1/games", op, rr, "(rate limited)");
}

console.log(`operations: ${ops.length}, GET operations: ${ops.filter((o) => o.method === "GET").length}, ` +
            `answers checked: ${[...seen.values()].reduce((n, s) => n + s.size, 0)} distinct (operation, status)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
