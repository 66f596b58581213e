// Validates an AsyncAPI document with the AsyncAPI project's own parser, and, given a JSON
// Lines file of {"message": <component message name>, "value": <the message>}, each message
// against its payload schema in that document. Prints what it finds; exit 1 on any error.
// usage: node validate.mjs docs/asyncapi.json [messages.jsonl]
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import Ajv from 'ajv';

const [documentPath, messagesPath] = process.argv.slice(2);
const text = readFileSync(documentPath, 'utf8');
const { document, diagnostics } = await new Parser().parse(text);
let failed = false;
for (const d of diagnostics) {
  // severity 0 is an error; 1 a warning, 2 information, 3 a hint
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
  if (d.severity === 0) failed = true;
}
if (!document) failed = true;
if (!failed && messagesPath) {
  const raw = JSON.parse(text);
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const [name, schema] of Object.entries(raw.components.schemas)) {
    ajv.addSchema(schema, `#/components/schemas/${name}`);
  }
  const lines = readFileSync(messagesPath, 'utf8').split('\n').filter((l) => l.trim());
  let checked = 0;
  for (const line of lines) {
    const { message, value } = JSON.parse(line);
    const spec = raw.components.messages[message];
    if (!spec) {
      console.log(JSON.stringify({ severity: 0, message: `no message ${message} in the document` }));
      failed = true;
      continue;
    }
    const validate = ajv.compile(spec.payload);
    if (!validate(value)) {
      console.log(JSON.stringify({ severity: 0, message: `${message} ${value.id}`, errors: validate.errors }));
      failed = true;
    }
    checked += 1;
  }
  console.log(JSON.stringify({ checked }));
}
process.exit(failed ? 1 : 0);
