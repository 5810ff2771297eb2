import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);

/** schemas/plan.schema.json, compiled: what every JSON plan must satisfy (errors in `.errors`). */
export const validatePlan = ajv.compile(
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'plan.schema.json'), 'utf8')),
);
