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

export async function generateTypes(bundle) {
  const { compile } = await import('json-schema-to-typescript');
  // Compile a wrapper whose properties reference every kind, so each gets a named export.
  const wrapper = {
    title: 'OutflowDocuments',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(KINDS.map((k) => [k, { $ref: `#/$defs/${k}` }])),
    $defs: bundle.$defs,
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
  };
}
