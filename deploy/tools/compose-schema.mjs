// compose-schema.mjs FILE… — validates compose files against the compose-spec JSON schema (the
// copy the dclint package ships), reporting every error at once. Prints "N passed, N failed".
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";

const schema = JSON.parse(readFileSync(new URL("node_modules/dclint/schemas/compose.schema.json", import.meta.url), "utf8"));
delete schema.$schema; // ajv's draft-07 meta-schema is the default; the file names the https variant
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

let passed = 0, failed = 0;
for (const file of process.argv.slice(2)) {
  const doc = parse(readFileSync(file, "utf8"), { merge: true });
  if (validate(doc)) { passed++; continue; }
  failed++;
  for (const e of validate.errors) console.log(`FAIL ${file}: ${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? `: ${e.params.additionalProperty}` : ""}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
