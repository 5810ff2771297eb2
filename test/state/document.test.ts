import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  address,
  checkStateDocument,
  emptyState,
  nextRevision,
  parseAddress,
} from '../../src/state/index.js';
import { maximalState } from './support/sample-state.js';

type SchemaNode = {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  $defs?: Record<string, SchemaNode>;
  description?: string;
  pattern?: string;
  maxLength?: number;
  propertyNames?: SchemaNode;
};

const schema = JSON.parse(
  readFileSync(new URL('../../schemas/state.schema.json', import.meta.url), 'utf8'),
) as SchemaNode;

function deref(node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  const name = node.$ref.replace('#/$defs/', '');
  const target = schema.$defs?.[name];
  if (target === undefined) throw new Error(`unresolved ${node.$ref}`);
  return deref(target);
}

// Schema properties that no instance in `value` sets (map keys and array items count as `*`).
function unsetProperties(node: SchemaNode, value: unknown): string[] {
  const declared = new Set<string>();
  const seen = new Set<string>();
  const walk = (n: SchemaNode, v: unknown, path: string): void => {
    const s = deref(n);
    if (Array.isArray(v)) {
      for (const item of v) if (s.items) walk(s.items, item, `${path}/*`);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const record = v as Record<string, unknown>;
    for (const [key, sub] of Object.entries(s.properties ?? {})) {
      declared.add(`${path}/${key}`);
      if (key in record) {
        seen.add(`${path}/${key}`);
        walk(sub, record[key], `${path}/${key}`);
      }
    }
    if (typeof s.additionalProperties === 'object') {
      for (const item of Object.values(record)) walk(s.additionalProperties, item, `${path}/*`);
    }
  };
  walk(node, value, '');
  return [...declared].filter((path) => !seen.has(path));
}

function everyNode(node: unknown, visit: (n: SchemaNode, where: string) => void, where = ''): void {
  if (typeof node !== 'object' || node === null) return;
  visit(node as SchemaNode, where);
  for (const [key, child] of Object.entries(node)) everyNode(child, visit, `${where}/${key}`);
}

describe('state document', () => {
  it('starts empty with a fresh lineage and serial 0', () => {
    const now = new Date('2024-05-01T03:00:00Z');
    const a = emptyState(now, '0.1.0');
    const b = emptyState(now, '0.1.0');
    expect(a).toMatchObject({ formatVersion: 1, serial: 0, outflowVersion: '0.1.0', resources: {} });
    expect(a.updatedAt).toBe('2024-05-01T03:00:00.000Z');
    expect(a.lineage).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.lineage).not.toBe(b.lineage);
    expect(checkStateDocument(a).ok).toBe(true);
  });

  it('nextRevision moves the serial forward and keeps the lineage', () => {
    const doc = emptyState(new Date('2024-05-01T03:00:00Z'), '0.1.0');
    const next = nextRevision(doc, new Date('2024-05-01T04:00:00Z'), '0.2.0');
    expect(next).toMatchObject({ lineage: doc.lineage, serial: 1, outflowVersion: '0.2.0' });
    expect(next.updatedAt).toBe('2024-05-01T04:00:00.000Z');
    expect(doc.serial).toBe(0);
  });

  it('addresses resources as Kind/name', () => {
    expect(address('Export', 'buyers_daily')).toBe('Export/buyers_daily');
    expect(parseAddress('Export/buyers_daily')).toEqual({ kind: 'Export', name: 'buyers_daily' });
    for (const bad of ['Export', '/x', 'Export/', 'a/b/c']) expect(parseAddress(bad)).toBeUndefined();
  });
});

describe('state schema', () => {
  it('accepts a document that uses every field, and the types name every schema field', () => {
    const doc = maximalState();
    expect(checkStateDocument(doc)).toEqual({ ok: true, doc });
    expect(unsetProperties(schema, doc)).toEqual([]);
  });

  it('rejects unknown fields, bad hashes and bad addresses', () => {
    const extra = { ...maximalState(), surprise: 1 };
    const badHash = maximalState();
    badHash.resources['Export/buyers_daily']!.configHash = 'nothex';
    const badAddress = maximalState();
    badAddress.resources['not an address'] = badAddress.resources['Export/buyers_daily']!;
    for (const doc of [extra, badHash, badAddress]) expect(checkStateDocument(doc).ok).toBe(false);
    const result = checkStateDocument(badHash);
    expect(result.ok ? [] : result.problems).toEqual([
      '/resources/Export~1buyers_daily/configHash must match pattern "^[0-9a-f]{64}$"',
    ]);
  });

  it('describes every field and bounds every pattern', () => {
    const problems: string[] = [];
    everyNode(schema, (node, where) => {
      if (typeof node.pattern === 'string' && typeof node.maxLength !== 'number') {
        problems.push(`${where}: pattern without maxLength`);
      }
      for (const [name, prop] of Object.entries(node.properties ?? {})) {
        if (prop.description === undefined && deref(prop).description === undefined) {
          problems.push(`${where}/properties/${name}: no description`);
        }
      }
    });
    expect(problems).toEqual([]);
  });
});
