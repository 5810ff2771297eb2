// Generators for files derived from schemas/*.schema.json. `npm run gen` writes them;
// test/schema/generated.test.ts fails when any of them is stale.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const KINDS = ['Project', 'Connection', 'Dataflow', 'Audience', 'Export', 'Activation'];
const COMBINED_ID = 'https://outflow.dev/schemas/outflow.schema.json';

function readSchema(file) {
  return JSON.parse(readFileSync(join(root, 'schemas', file), 'utf8'));
}

/** Rewrites cross-file and local $refs so that everything points into one $defs table. */
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') out[k] = v.replace(/^common\.schema\.json#/, '#');
    else out[k] = rewriteRefs(v);
  }
  return out;
}

/** The combined, self-contained schema: one document per resource, selected by `kind`. */
export function bundleSchema() {
  const common = readSchema('common.schema.json');
  const defs = { ...common.$defs };
  for (const kind of KINDS) {
    const { $schema, $id, $defs: local, ...schema } = readSchema(`${kind.toLowerCase()}.schema.json`);
    for (const [name, def] of Object.entries(local ?? {})) {
      if (name in defs) throw new Error(`$defs name clash: ${name} in ${kind}`);
      defs[name] = rewriteRefs(def);
    }
    defs[kind] = rewriteRefs(schema);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: COMBINED_ID,
    title: 'outflow resource',
    description:
      'Any outflow resource document (outflow.yaml or flows/**/*.yaml), selected by `kind`. Generated from schemas/*.schema.json by `npm run gen`; do not edit.',
    type: 'object',
    required: ['kind'],
    properties: { kind: { description: 'The resource kind.', enum: KINDS } },
    discriminator: { propertyName: 'kind' },
    oneOf: KINDS.map((kind) => ({ $ref: `#/$defs/${kind}` })),
    $defs: defs,
  };
}

/**
 * The defs without `allOf: [{if, then}]` parts that only declare conditional defaults: they do
 * not change the shape, and json-schema-to-typescript would turn them into an index signature.
 */
function withoutConditionalDefaults(node) {
  if (Array.isArray(node)) return node.map(withoutConditionalDefaults);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'allOf' && Array.isArray(v)) {
      const kept = v.filter((part) => !(part.if && part.then)).map(withoutConditionalDefaults);
      if (kept.length > 0) out.allOf = kept;
    } else out[k] = withoutConditionalDefaults(v);
  }
  return out;
}

export async function generateTypes(bundle) {
  const { compile } = await import('json-schema-to-typescript');
  // Compile a wrapper whose properties reference every kind, so each gets a named export.
  const wrapper = {
    title: 'OutflowDocuments',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(KINDS.map((k) => [k, { $ref: `#/$defs/${k}` }])),
    $defs: withoutConditionalDefaults(bundle.$defs),
  };
  const ts = await compile(wrapper, 'OutflowDocuments', {
    bannerComment:
      '/* Generated from schemas/*.schema.json by `npm run gen` (json-schema-to-typescript). Do not edit. */',
    additionalProperties: false,
    unreachableDefinitions: false,
    style: { singleQuote: true, printWidth: 110 },
    format: true,
  });
  return `${ts}\nexport type Resource = ${KINDS.join(' | ')};\nexport type ResourceKind = Resource['kind'];\n`;
}

function typeOf(s, defs) {
  if (!s) return '';
  if (s.$ref) {
    const name = s.$ref.split('/').pop();
    const target = defs[name];
    return target?.title ?? (target ? typeOf(target, defs) : name);
  }
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((e) => `\`${e}\``).join(' \\| ');
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf).map((x) => typeOf(x, defs)).join(' or ');
  if (s.type === 'array') return `list of ${typeOf(s.items, defs) || 'values'}`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? '';
}

function describe(s, defs) {
  if (s.description) return s.description;
  if (s.$ref) return defs[s.$ref.split('/').pop()]?.description ?? '';
  return '';
}

function fieldRows(schema, defs, prefix, rows, depth = 0) {
  const required = new Set(schema.required ?? []);
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const def = prop.default === undefined ? '' : `\`${JSON.stringify(prop.default)}\``;
    rows.push(
      `| \`${path}\` | ${typeOf(prop, defs)} | ${required.has(name) ? 'yes' : ''} | ${def} | ${describe(prop, defs).replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    );
    const inner = prop.type === 'array' ? prop.items : prop;
    if (inner?.properties && depth < 3)
      fieldRows(inner, defs, prop.type === 'array' ? `${path}[]` : path, rows, depth + 1);
  }
}

/** docs/config.md: the field reference, generated from the schemas. */
export function generateConfigDocs(bundle) {
  const defs = bundle.$defs;
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from schemas/*.schema.json by `npm run gen`. Do not edit by hand. -->',
    '',
    'Every resource is a YAML document with a `kind`. `outflow.yaml` holds the one `Project`; every other',
    'resource lives in `flows/**/*.yaml` (any number of documents per file, separated by `---`).',
    'Editors get completion and these descriptions as tooltips from `outflow schema` (see the README).',
    '',
  ];
  const header = ['| field | type | required | default | description |', '|---|---|---|---|---|'];
  for (const kind of KINDS) {
    const s = defs[kind];
    out.push(`## ${kind}`, '', s.description, '');
    if (s.oneOf && s.discriminator) {
      const rows = [];
      for (const branch of s.oneOf) {
        rows.length = 0;
        fieldRows(branch, defs, '', rows);
        out.push(
          `### ${kind} \`type: ${branch.properties.type.const}\``,
          '',
          branch.description,
          '',
          ...header,
          ...rows,
          '',
        );
      }
    } else {
      const rows = [];
      fieldRows(s, defs, '', rows);
      out.push(...header, ...rows, '');
    }
  }
  out.push('## Shared definitions', '');
  for (const name of [
    'schedule',
    'condition',
    'traitPredicate',
    'aggregatePredicate',
    'topPredicate',
    'duration',
    'byteSize',
    'secretRef',
  ]) {
    const s = defs[name];
    out.push(`### ${name}`, '', s.description ?? '', '');
    for (const branch of s.oneOf ?? []) {
      const b = branch.$ref ? defs[branch.$ref.split('/').pop()] : branch;
      const rows = [];
      fieldRows(b, defs, '', rows);
      if (rows.length) out.push(`**${b.title ?? ''}**: ${b.description ?? ''}`, '', ...header, ...rows, '');
    }
    if (s.properties) {
      const rows = [];
      fieldRows(s, defs, '', rows);
      out.push(...header, ...rows, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** Every generated file, path → expected content. */
export async function generatedFiles() {
  const bundle = bundleSchema();
  return {
    'schemas/outflow.schema.json': `${JSON.stringify(bundle, null, 2)}\n`,
    'src/schema/types.gen.ts': await generateTypes(bundle),
    'docs/config.md': generateConfigDocs(bundle),
    'src/model/defaults.gen.ts': generateDefaults(bundle),
  };
}

/**
 * Every `default` the schemas declare, as a table the model applies when it is built (the one
 * place defaults are resolved). A path step `*` means every array item; `when` lists the
 * conditions under which a default applies: the `const` or `required` of the `oneOf` branch or
 * `if` that declares it. Conditional entries come first so that they win over plain ones.
 */
export function collectDefaults(bundle) {
  const defs = bundle.$defs;
  const deref = (s) => {
    let seen = 0;
    while (s && typeof s.$ref === 'string' && seen++ < 20) s = defs[s.$ref.replace('#/$defs/', '')];
    return s ?? {};
  };
  const conditionsOf = (branch, path) => {
    // A discriminating `const` identifies the branch; otherwise its required keys do.
    const when = [];
    for (const [k, p] of Object.entries(branch.properties ?? {}))
      if (p && 'const' in p) when.push({ path: [...path, k], equals: p.const });
    if (when.length > 0) return when;
    return (branch.required ?? []).map((k) => ({ path: [...path, k], present: true }));
  };
  const walk = (schema, path, when, out, stack) => {
    const ref = typeof schema.$ref === 'string' ? schema.$ref : undefined;
    if (ref !== undefined && stack.includes(ref)) return;
    const nextStack = ref === undefined ? stack : [...stack, ref];
    const s = deref(schema);
    for (const [k, p] of Object.entries(s.properties ?? {})) {
      const target = deref(p);
      const value = 'default' in p ? p.default : target.default;
      if (value !== undefined) out.push({ path: [...path, k], value, when });
      walk(p, [...path, k], when, out, nextStack);
    }
    if (s.items && typeof s.items === 'object') walk(s.items, [...path, '*'], when, out, nextStack);
    for (const branch of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) {
      const b = deref(branch);
      walk(branch, path, [...when, ...conditionsOf(b, path)], out, nextStack);
    }
    for (const part of s.allOf ?? []) {
      if (part.if && part.then) {
        const ifWhen = [...conditionsOf(part.if, path)];
        for (const [k, p] of Object.entries(part.if.properties ?? {}))
          if (p && !('const' in p)) ifWhen.push(...conditionsOf(p, [...path, k]));
        walk(part.then, path, [...when, ...ifWhen], out, nextStack);
      } else walk(part, path, when, out, nextStack);
    }
  };
  const table = {};
  for (const kind of KINDS) {
    const out = [];
    walk({ $ref: `#/$defs/${kind}` }, [], [], out, []);
    table[kind] = out
      .map((e, i) => ({ e, i }))
      .sort((a, b) => b.e.when.length - a.e.when.length || a.i - b.i)
      .map(({ e }) => (e.when.length === 0 ? { path: e.path, value: e.value } : e));
  }
  return table;
}

/** `src/model/defaults.gen.ts`: the defaults table and the config types with defaults filled in. */
export function generateDefaults(bundle) {
  const table = collectDefaults(bundle);
  const lines = [
    '/* Generated from schemas/*.schema.json by `npm run gen`. Do not edit. */',
    "import type * as Schema from '../schema/types.gen.js';",
    '',
    'export interface DefaultCondition {',
    '  path: readonly string[];',
    '  equals?: unknown;',
    '  present?: true;',
    '}',
    'export interface DefaultEntry {',
    '  /** Config path; `*` is every item of an array. */',
    '  path: readonly string[];',
    '  value: unknown;',
    '  when?: readonly DefaultCondition[];',
    '}',
    '',
    '/** Every schema `default`, per kind (conditional entries first). */',
    'export const DEFAULTS: Record<string, readonly DefaultEntry[]> = {',
  ];
  for (const kind of KINDS) lines.push(`  ${kind}: ${JSON.stringify(table[kind])},`);
  lines.push('};', '');
  lines.push(
    '/** `T` with keys `K` present (distributes over unions; keys a member lacks are ignored). */',
    'export type WithDefaults<T, K extends PropertyKey> = T extends unknown',
    '  ? Omit<T, K & keyof T> & { [P in K & keyof T]-?: Exclude<T[P], undefined> }',
    '  : never;',
    '/** `T` whose object-valued keys named in `N` have their own defaulted keys present (optionality kept). */',
    'export type WithNestedDefaults<T, N> = T extends unknown',
    '  ? { [P in keyof T]: P extends keyof N ? NestedValue<T[P], N[P]> : T[P] }',
    '  : never;',
    'type NestedValue<V, K> = V extends undefined ? V : WithDefaults<V, K & PropertyKey>;',
    '',
  );
  // Types: top-level defaulted keys become required; one level down, the parent keeps its
  // optionality and its own defaulted keys become required.
  for (const kind of KINDS) {
    const top = new Set();
    const nested = new Map();
    for (const e of table[kind]) {
      if (e.path.length === 1) top.add(e.path[0]);
      else if (e.path.length === 2 && e.path[1] !== '*') {
        if (!nested.has(e.path[0])) nested.set(e.path[0], new Set());
        nested.get(e.path[0]).add(e.path[1]);
      }
    }
    const keys = (set) => [...set].map((k) => `'${k}'`).join(' | ') || 'never';
    let type = `WithDefaults<Schema.${kind}, ${keys(top)}>`;
    if (nested.size > 0) {
      const map = [...nested].map(([parent, children]) => `${parent}: ${keys(children)}`).join('; ');
      type = `WithNestedDefaults<${type}, { ${map} }>`;
    }
    lines.push(`/** A ${kind} as the model holds it: every schema default filled in. */`);
    lines.push(`export type Resolved${kind} = ${type};`);
  }
  return `${lines.join('\n')}\n`;
}
