import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('schemas/plan.schema.json', () => {
  it('describes every property and bounds every pattern', () => {
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'plan.schema.json'), 'utf8'),
    ) as unknown;
    const problems: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        node.forEach((n, i) => {
          walk(n, `${path}/${i}`);
        });
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (typeof o.pattern === 'string' && typeof o.maxLength !== 'number')
        problems.push(`${path}: pattern without maxLength`);
      for (const [k, v] of Object.entries((o.properties ?? {}) as Record<string, Record<string, unknown>>))
        if (typeof v.description !== 'string') problems.push(`${path}/properties/${k}: no description`);
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    walk(schema, '');
    expect(problems).toEqual([]);
  });
});
