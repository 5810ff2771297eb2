import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { generatedFiles, root } from '../../scripts/gen-lib.mjs';

describe('generated files', () => {
  it('types.gen.ts, outflow.schema.json and docs/config.md are up to date (run "npm run gen")', async () => {
    const files = (await generatedFiles()) as Record<string, string>;
    for (const [path, content] of Object.entries(files)) {
      expect(readFileSync(join(root as string, path), 'utf8'), `${path} is stale: run "npm run gen"`).toBe(
        content,
      );
    }
  });

  it('every schema field has a description and every pattern a maxLength', () => {
    const problems: string[] = [];
    const walk = (node: unknown, path: string) => {
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
      const props = o.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [k, v] of Object.entries(props ?? {})) {
        if (typeof v.description !== 'string' && typeof v.$ref !== 'string')
          problems.push(`${path}/properties/${k}: no description`);
      }
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    for (const f of ['common', 'project', 'connection', 'dataflow', 'audience', 'export', 'activation']) {
      walk(JSON.parse(readFileSync(join(root as string, 'schemas', `${f}.schema.json`), 'utf8')), f);
    }
    expect(problems).toEqual([]);
  });
});
