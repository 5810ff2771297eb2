import type { ErrorObject } from 'ajv';
import type { ConfigDocument, ConfigPath } from '../config/index.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { errorAt, suggestion } from '../diagnostics/index.js';
import { type SubSchema, validators } from './ajv-instance.js';
import { SECRET_FIELDS } from './fields.js';

type SchemaNode = { description?: string; properties?: Record<string, SchemaNode>; title?: string };

/**
 * Some unions have no tag property; the key present tells which branch the user meant.
 * Re-validating against that branch alone gives one precise error instead of one per branch.
 */
const UNTAGGED_UNIONS: Record<string, { keys: Record<string, SubSchema | ''>; noun: string }> = {
  '/$defs/condition': {
    noun: 'condition',
    keys: {
      did: 'didCondition',
      didNot: 'didNotCondition',
      have: 'haveCondition',
      all: 'allGroup',
      any: 'anyGroup',
    },
  },
  '/$defs/haveCondition/properties/have': {
    noun: '"have" predicate',
    keys: {
      trait: 'traitPredicate',
      aggregate: 'aggregatePredicate',
      top: 'topPredicate',
    },
  },
  '/$defs/schedule': {
    noun: 'schedule',
    keys: {
      every: 'scheduleEvery',
      cron: 'scheduleCron',
      once: 'scheduleOnce',
    },
  },
  '/$defs/Export/properties/from': {
    noun: '"from"',
    keys: { audience: '', dataflow: '' },
  },
};

const FROM_POINTER = '/$defs/Export/properties/from';
let unionByDescription:
  | Map<unknown, { pointer: string; keys: Record<string, SubSchema | ''>; noun: string }>
  | undefined;

/**
 * ajv reports schema paths relative to each $ref target (and precompiled validators carry copies
 * of the schema), so a union is recognised by its schema's description, which is unique.
 */
function unionOf(e: ErrorObject) {
  if (unionByDescription === undefined) {
    const { schema } = validators();
    unionByDescription = new Map();
    for (const [pointer, spec] of Object.entries(UNTAGGED_UNIONS)) {
      let node: unknown = schema;
      for (const seg of pointer.slice(1).split('/')) node = (node as Record<string, unknown>)[seg];
      unionByDescription.set((node as { description?: string }).description, { pointer, ...spec });
    }
  }
  return e.keyword === 'oneOf'
    ? unionByDescription.get((e.parentSchema as { description?: string } | undefined)?.description)
    : undefined;
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `schema.columns[2].type` — how a config path reads in a message. */
export function displayPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

function valueText(v: unknown): string {
  const s = typeof v === 'string' ? `"${v}"` : JSON.stringify(v);
  return s !== undefined && s.length > 60 ? `${s.slice(0, 57)}…` : String(s);
}

function isUnder(path: readonly (string | number)[], prefix: readonly (string | number)[]): boolean {
  return prefix.every((seg, i) => String(path[i]) === String(seg));
}

// Fields that were renamed: the hint names the new field (levenshtein would not find it).
const RENAMED_FIELDS: Readonly<Record<string, string>> = {
  'state.key':
    '"key" is now "prefix": the folder under the connection\'s prefix that holds state.json and its lock (write prefix: outflow/state)',
};

interface Context {
  doc: ConfigDocument;
  base: (string | number)[];
}

function diagnose(ctx: Context, e: ErrorObject): Diagnostic | undefined {
  const path = [...ctx.base, ...pathOf(e.instancePath)];
  const field = displayPath(path);
  const last = path[path.length - 1];
  const secret = typeof last === 'string' && SECRET_FIELDS.has(last);
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const at = (p: ConfigPath, key = false) => {
    const pos = ctx.doc.locate(p, { key });
    if (secret) delete pos.source;
    return pos;
  };
  switch (e.keyword) {
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const desc = parent.properties?.[missing]?.description;
      const where = field === '' ? '' : ` in ${field}`;
      return errorAt(
        at(path, true),
        'missing-field',
        `missing required field "${missing}"${where}`,
        `add "${missing}:"${desc ? ` — ${desc}` : ''}`,
      );
    }
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(parent.properties ?? {});
      return errorAt(
        at([...path, extra], true),
        'unknown-field',
        `unknown field "${extra}"${field === '' ? '' : ` in ${field}`}`,
        RENAMED_FIELDS[`${field}.${extra}`] ?? suggestion(extra, allowed, 'allowed fields'),
      );
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      return errorAt(
        at(path),
        'invalid-value',
        `invalid value ${valueText(e.data)} for ${field}`,
        suggestion(String(e.data), allowed, 'allowed values'),
      );
    }
    case 'discriminator': {
      const { tag, tagValue } = e.params as { tag: string; tagValue: unknown };
      const allowed = (
        (e.parentSchema as { properties?: Record<string, { enum?: string[] }> })?.properties?.[tag]?.enum ??
        []
      ).map(String);
      const what = tag === 'kind' ? 'kind' : `${tag}`;
      if (tagValue === undefined)
        return errorAt(
          at(path, true),
          'missing-field',
          `missing required field "${tag}"`,
          `add "${tag}:" — one of ${allowed.join(', ')}`,
        );
      return errorAt(
        at([...path, tag]),
        tag === 'kind' ? 'unknown-kind' : 'invalid-value',
        `unknown ${what} ${valueText(tagValue)}`,
        suggestion(String(tagValue), allowed, `known ${what}s`),
      );
    }
    case 'type': {
      const expected = (e.params as { type: string | string[] }).type;
      const got = Array.isArray(e.data)
        ? 'a list'
        : e.data === null
          ? 'null'
          : typeof e.data === 'object'
            ? 'a mapping'
            : `a ${typeof e.data}`;
      const exp = Array.isArray(expected) ? expected.join(' or ') : expected;
      const article = (t: string) =>
        t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
      const hint =
        exp === 'string' && typeof e.data !== 'object'
          ? `quote the value: ${field.split('.').pop()}: "${secret ? '…' : String(e.data)}"`
          : (parent.description ?? `write ${article(exp)}`);
      return errorAt(
        at(path),
        'wrong-type',
        `${field || 'document'} must be ${article(exp)}, not ${got}`,
        hint,
      );
    }
    case 'pattern': {
      if (secret) {
        return errorAt(
          at(path),
          'literal-secret',
          `${field} must be a reference to a secret, not a literal value`,
          `put the secret in an environment variable or a file and write ${String(last)}: \${env:NAME} (or \${file:path}); never commit secrets`,
        );
      }
      return errorAt(
        at(path),
        'invalid-format',
        `invalid ${field}: ${valueText(e.data)}`,
        parent.description ?? `must match ${(e.params as { pattern: string }).pattern}`,
      );
    }
    case 'oneOf': {
      if (unionOf(e)?.pointer === FROM_POINTER) {
        const both = Array.isArray((e.params as { passingSchemas: unknown }).passingSchemas);
        return errorAt(
          at(path, true),
          'invalid-value',
          both ? 'from names both an audience and a dataflow' : 'from needs an audience or a dataflow',
          'write from: {audience: NAME} or from: {dataflow: NAME}',
        );
      }
      return errorAt(
        at(path),
        'invalid-value',
        `${field} does not match any allowed form`,
        parent.description ?? 'see docs/config.md',
      );
    }
    case 'const':
      return errorAt(
        at(path),
        'invalid-value',
        `${field} must be ${valueText((e.params as { allowedValue: unknown }).allowedValue)}`,
      );
    default: {
      const hint = parent.description;
      return errorAt(
        at(path),
        'invalid-value',
        `${field || 'document'} ${e.message ?? 'is invalid'}${secret ? '' : e.data !== undefined && typeof e.data !== 'object' ? ` (got ${valueText(e.data)})` : ''}`,
        hint,
      );
    }
  }
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const seg of path) v = (v as Record<string | number, unknown> | undefined)?.[seg];
  return v;
}

function mapErrors(ctx: Context, value: unknown, errors: readonly ErrorObject[]): Diagnostic[] {
  // Resolve untagged unions outermost first; everything beneath them is re-checked against the chosen branch.
  const unions = errors
    .filter((e) => unionOf(e) !== undefined)
    .sort((a, b) => a.instancePath.length - b.instancePath.length);
  const handled: (string | number)[][] = [];
  const out: Diagnostic[] = [];
  for (const u of unions) {
    const p = pathOf(u.instancePath);
    if (handled.some((h) => isUnder(p, h))) continue;
    handled.push(p);
    const spec = unionOf(u)!;
    const node = valueAt(value, p);
    const present =
      node !== null && typeof node === 'object' ? Object.keys(node).filter((k) => k in spec.keys) : [];
    const branchName = present.length === 1 ? spec.keys[present[0]!] : undefined;
    if (branchName) {
      const branch = validators().sub[branchName];
      if (!branch(node))
        out.push(...mapErrors({ doc: ctx.doc, base: [...ctx.base, ...p] }, node, branch.errors ?? []));
      continue;
    }
    const d = diagnose(ctx, u);
    if (d && present.length === 0 && spec.pointer !== FROM_POINTER) {
      const keys = Object.keys(spec.keys);
      const given = node !== null && typeof node === 'object' ? Object.keys(node) : [];
      d.code = given.length === 0 ? 'invalid-value' : 'unknown-field';
      d.message = `${displayPath([...ctx.base, ...p]) || 'value'} is not a valid ${spec.noun}: expected one of ${keys.map((k) => `"${k}"`).join(', ')}`;
      d.hint =
        given[0] !== undefined
          ? suggestion(given[0], keys, 'allowed keys')
          : `write one of: ${keys.join(', ')}`;
    } else if (d && present.length > 1 && spec.pointer !== FROM_POINTER) {
      d.message = `${displayPath([...ctx.base, ...p]) || 'value'} mixes ${present.map((k) => `"${k}"`).join(' and ')}: a ${spec.noun} has exactly one of them`;
      d.hint = 'split it into separate entries';
    }
    if (d) out.push(d);
  }
  const seen = new Set<string>();
  for (const e of errors) {
    const p = pathOf(e.instancePath);
    if (handled.some((h) => isUnder(p, h))) continue;
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') {
      if (errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== e.keyword))
        continue;
    }
    // The discriminator already reports an unknown kind/type; ajv adds an enum error for the same tag.
    if (
      e.keyword === 'enum' &&
      errors.some(
        (o) =>
          o.keyword === 'discriminator' &&
          `${o.instancePath}/${(o.params as { tag: string }).tag}` === e.instancePath,
      )
    )
      continue;
    const d = diagnose(ctx, e);
    if (d === undefined) continue;
    const key = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** Validates one document against the combined schema; every problem becomes a positioned diagnostic. */
export function validateDocument(doc: ConfigDocument): Diagnostic[] {
  const validate = validators().validateResource;
  if (doc.value === null || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    return [
      errorAt(
        doc.locate([]),
        'wrong-type',
        'a resource document must be a mapping with a "kind"',
        'start the document with "kind: <Kind>" and "name: <name>"',
      ),
    ];
  }
  if (validate(doc.value)) return [];
  return mapErrors({ doc, base: [] }, doc.value, validate.errors ?? []);
}
