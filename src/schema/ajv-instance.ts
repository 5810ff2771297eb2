import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;

export const SCHEMA_ID = 'https://outflow.dev/schemas/outflow.schema.json';
export const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

let compiled:
  | { ajv: InstanceType<typeof Ajv2020>; validate: ValidateFunction; schema: Record<string, unknown> }
  | undefined;

/** The combined schema, compiled once per process (lazily: commands that do not validate never pay for it). */
export function resourceValidator() {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(join(schemasDir, 'outflow.schema.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const ajv = new Ajv2020({
      allErrors: true,
      discriminator: true,
      strict: true,
      strictRequired: false,
      allowUnionTypes: true,
      verbose: true,
    });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    compiled = { ajv, validate, schema };
  }
  return compiled;
}

/** A validator for a sub-schema of the combined schema, by JSON pointer (e.g. `/$defs/didCondition`). */
export function subValidator(pointer: string): ValidateFunction {
  const { ajv } = resourceValidator();
  const v = ajv.getSchema(`${SCHEMA_ID}#${pointer}`);
  if (v === undefined) throw new Error(`no sub-schema at ${pointer}`);
  return v;
}
