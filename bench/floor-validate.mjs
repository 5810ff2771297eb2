// The floor for `outflow validate`: bare node + yaml + ajv over the same files, no outflow code.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';

const dir = process.argv[2];
const schema = JSON.parse(readFileSync(new URL('../schemas/outflow.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020.default({
  allErrors: true,
  discriminator: true,
  strictRequired: false,
  allowUnionTypes: true,
});
addFormats.default(ajv);
const validate = ajv.compile(schema);
let n = 0;
for (const f of ['outflow.yaml', ...readdirSync(join(dir, 'flows')).map((f) => `flows/${f}`)]) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
    if (!validate(doc.toJS())) throw new Error(JSON.stringify(validate.errors));
    n++;
  }
}
if (n === 0) throw new Error('nothing validated');
