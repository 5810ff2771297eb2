import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SCHEMA_ID = 'https://outflow.dev/schemas/outflow.schema.json';
export const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');
// Beside this module: scripts/build-validators.mjs writes it into dist/schema/ only, so the built
// CLI loads it, while code running from src/ (tests) compiles the current schemas instead of
// trusting a dist/ build that may be older than them.
const precompiledPath = join(dirname(fileURLToPath(import.meta.url)), 'validators.gen.mjs');

/** The sub-schemas re-checked on their own when an untagged union fails (see validate-document.ts). */
export const SUB_SCHEMAS = {
  didCondition: '/$defs/didCondition',
  didNotCondition: '/$defs/didNotCondition',
  haveCondition: '/$defs/haveCondition',
  allGroup: '/$defs/allGroup',
  anyGroup: '/$defs/anyGroup',
  traitPredicate: '/$defs/traitPredicate',
  aggregatePredicate: '/$defs/aggregatePredicate',
  topPredicate: '/$defs/topPredicate',
  scheduleEvery: '/$defs/schedule/oneOf/0',
  scheduleCron: '/$defs/schedule/oneOf/1',
  scheduleOnce: '/$defs/schedule/oneOf/2',
} as const;
export type SubSchema = keyof typeof SUB_SCHEMAS;

export interface Validator {
  (data: unknown): boolean;
  errors?: import('ajv').ErrorObject[] | null;
}

interface Validators {
  schema: Record<string, unknown>;
  validateResource: Validator;
  sub: Record<SubSchema, Validator>;
  /** Where the validators came from: the build's standalone module, or ajv at run time. */
  origin: 'precompiled' | 'compiled';
}

let loaded: Validators | undefined;

/** ajv options for the config schema; scripts/build-validators.mjs compiles with the same. */
export const AJV_OPTIONS = {
  allErrors: true,
  discriminator: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  verbose: true,
} as const;

// ajv itself is imported only here: the built CLI runs the precompiled validators, which need
// only ajv's small runtime helpers.
async function compileAtRuntime(schema: Record<string, unknown>): Promise<Validators> {
  // ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
  const [{ default: Ajv2020Module }, { default: addFormatsModule }] = await Promise.all([
    import('ajv/dist/2020.js'),
    import('ajv-formats'),
  ]);
  const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
  const addFormats = addFormatsModule.default ?? addFormatsModule;
  const ajv = new Ajv2020(AJV_OPTIONS);
  addFormats(ajv);
  const validateResource = ajv.compile(schema);
  const sub = Object.fromEntries(
    Object.entries(SUB_SCHEMAS).map(([name, pointer]) => [name, ajv.getSchema(`${SCHEMA_ID}#${pointer}`)!]),
  ) as unknown as Record<SubSchema, Validator>;
  return { schema, validateResource, sub, origin: 'compiled' };
}

/**
 * The combined schema's validators: precompiled at build time (scripts/build-validators.mjs) when
 * this module runs from dist/, else compiled here once. Loaded lazily: commands that do not validate never pay for it.
 */
export async function loadValidators(): Promise<Validators> {
  if (loaded !== undefined) return loaded;
  const schema = JSON.parse(readFileSync(join(schemasDir, 'outflow.schema.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  if (existsSync(precompiledPath)) {
    const mod = (await import(pathToFileURL(precompiledPath).href)) as Record<string, Validator>;
    const sub = Object.fromEntries(Object.keys(SUB_SCHEMAS).map((k) => [k, mod[k]!])) as Record<
      SubSchema,
      Validator
    >;
    loaded = { schema, validateResource: mod.validateResource!, sub, origin: 'precompiled' };
  } else {
    loaded = await compileAtRuntime(schema);
  }
  return loaded;
}

let identity: string | undefined;

/**
 * What decides the validators' verdicts, without loading them: the precompiled module's code
 * (when this runs from dist/), else the schema, ajv's version and the options it compiles with.
 * A cache of verdicts (config/parse-cache.ts) keys on it.
 */
export function validatorsId(): string {
  if (identity !== undefined) return identity;
  const hash = createHash('sha256');
  if (existsSync(precompiledPath)) {
    hash.update('precompiled\0').update(readFileSync(precompiledPath));
  } else {
    const { version } = createRequire(import.meta.url)('ajv/package.json') as { version: string };
    hash.update(`compiled ajv ${version} ${JSON.stringify(AJV_OPTIONS)}\0`);
    hash.update(readFileSync(join(schemasDir, 'outflow.schema.json')));
  }
  identity = hash.digest('hex');
  return identity;
}

/** Synchronous access once loadValidators() has run. */
export function validators(): Validators {
  if (loaded === undefined) throw new Error('loadValidators() must be awaited first');
  return loaded;
}
