import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { StateDocument } from './types.js';

// The same relative path works from src/state/ (tests) and dist/state/ (the published build).
const SCHEMA_URL = new URL('../../schemas/state.schema.json', import.meta.url);
const MAX_PROBLEMS = 5;

let compiled: ValidateFunction<StateDocument> | undefined;

// Precompiled beside the built module by scripts/build-validators.mjs (ajv standalone), so a plan
// does not compile the schema on every start. Code running from src/ (tests) has none beside it
// and compiles the current schema, never a stale build's.
const PRECOMPILED = fileURLToPath(new URL('./state-validator.gen.cjs', import.meta.url));

function validator(): ValidateFunction<StateDocument> {
  if (compiled === undefined && existsSync(PRECOMPILED)) {
    const mod = createRequire(import.meta.url)(PRECOMPILED) as ValidateFunction<StateDocument> & {
      default?: ValidateFunction<StateDocument>;
    };
    compiled = mod.default ?? mod;
  }
  if (compiled === undefined) {
    // Only code running from src/ gets here: ajv is loaded for it alone, never on a plan's path.
    const require = createRequire(import.meta.url);
    const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const addFormats = (require('ajv-formats') as { default: typeof import('ajv-formats').default }).default;
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    compiled = ajv.compile<StateDocument>(schema);
  }
  return compiled;
}

/** Checks a parsed value against schemas/state.schema.json; returns readable problems, at most five. */
export function checkStateDocument(
  value: unknown,
): { ok: true; doc: StateDocument } | { ok: false; problems: string[] } {
  const validate = validator();
  if (validate(value)) return { ok: true, doc: value };
  const problems = (validate.errors ?? []).slice(0, MAX_PROBLEMS).map(describeProblem);
  return { ok: false, problems: problems.length > 0 ? problems : ['does not match the state schema'] };
}

function describeProblem(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'document' : error.instancePath;
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})`
      : '';
  return `${where} ${error.message ?? 'is invalid'}${extra}`;
}
