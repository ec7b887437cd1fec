// check-request.mjs — checks request bodies that a running `aps api` accepted against the
// request schema its OpenAPI document declares for them, with ajv (JSON Schema 2020-12): each
// body must validate, and each of its fields must be declared (the schema is applied with
// unevaluatedProperties: false), so a field a handler reads but the document leaves out, or a
// value outside a declared enum or format, is found.
//
// usage: node check-request.mjs DOC.json SCHEMA BODY_JSON...
//   SCHEMA: a name under components.schemas (TrainRequest, PromoteRequest, ...)
// Prints one line per body that does not validate, with ajv's errors; exits 1 on any.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [docPath, name, ...bodies] = process.argv.slice(2);
if (!docPath || !name || !bodies.length) {
  console.error("usage: node check-request.mjs DOC.json SCHEMA BODY_JSON...");
  process.exit(2);
}
const doc = JSON.parse(readFileSync(docPath, "utf8"));
const defs = JSON.parse(
  JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"api#/$defs/'),
);
if (!defs[name]) {
  console.log(`FAIL: no schema ${name} in the document`);
  process.exit(1);
}
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: "api", $defs: defs });
const validate = ajv.compile({ type: "object", $ref: `api#/$defs/${name}`, unevaluatedProperties: false });
let failed = 0;
for (const text of bodies) {
  if (!validate(JSON.parse(text))) {
    failed++;
    const why = validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.unevaluatedProperty ? ` (${e.params.unevaluatedProperty})` : ""}`);
    console.log(`FAIL: ${name} ${text}: ${why.join("; ")}`);
  }
}
process.exit(failed ? 1 : 0);
