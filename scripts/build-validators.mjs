// Build step: precompiles the combined schema with ajv's standalone code generator, so a cold
// `outflow validate` does not spend ~0.3 s compiling the schema (see ../shared/PERF-NOTES.md).
// Output: dist/schema/validators.gen.mjs (not committed; src/schema/ajv-instance.ts falls back
// to compiling at run time when it is missing).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import addFormats from 'ajv-formats';
import { root } from './gen-lib.mjs';

const { AJV_OPTIONS, SUB_SCHEMAS } = await import('../dist/schema/ajv-instance.js');

const schema = JSON.parse(readFileSync(join(root, 'schemas', 'outflow.schema.json'), 'utf8'));
const ajv = new Ajv2020.default({ ...AJV_OPTIONS, code: { source: true, esm: true } });
addFormats.default(ajv);
ajv.addSchema(schema);
const refs = { validateResource: schema.$id };
for (const [name, pointer] of Object.entries(SUB_SCHEMAS)) refs[name] = `${schema.$id}#${pointer}`;
const code = standaloneCode.default(ajv, refs);
mkdirSync(join(root, 'dist', 'schema'), { recursive: true });
writeFileSync(
  join(root, 'dist', 'schema', 'validators.gen.mjs'),
  `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${code}`,
);

// The state schema too: `plan` reads state on every run. CommonJS, so the state module can load
// it synchronously (dist/state/state-validator.gen.cjs).
const stateSchema = JSON.parse(readFileSync(join(root, 'schemas', 'state.schema.json'), 'utf8'));
const stateAjv = new Ajv2020.default({ allErrors: true, strict: true, code: { source: true } });
addFormats.default(stateAjv);
const stateCode = standaloneCode.default(stateAjv, stateAjv.compile(stateSchema));
mkdirSync(join(root, 'dist', 'state'), { recursive: true });
writeFileSync(join(root, 'dist', 'state', 'state-validator.gen.cjs'), stateCode);
