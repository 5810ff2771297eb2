import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadValidators } from '../../src/schema/ajv-instance.js';

describe('config validators', () => {
  it('are compiled from the current schemas when running from src/ (never a stale dist/ build)', async () => {
    expect((await loadValidators()).origin).toBe('compiled');
  });

  it('are the precompiled standalone module in the build, so a cold validate does not compile', async () => {
    const built = pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'schema', 'ajv-instance.js'));
    const script = `const { loadValidators } = await import(${JSON.stringify(built.href)});
const v = await loadValidators();
process.stdout.write(JSON.stringify({ origin: v.origin, valid: v.validateResource({ kind: 'Project', name: 'p' }) }));`;
    const res = await execa('node', ['--input-type=module', '-e', script]);
    expect(JSON.parse(res.stdout)).toEqual({ origin: 'precompiled', valid: true });
  });
});
