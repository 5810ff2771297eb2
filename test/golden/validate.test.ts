import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli.js';
import { expectGolden } from '../support/golden.js';
import { snapshotTree } from '../support/tree.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const cases = readdirSync(fixtures).filter((d) => d.startsWith('validate-'));

describe('outflow validate golden cases', () => {
  it('has at least 30 bad-input cases', () => {
    expect(cases.filter((c) => c !== 'validate-valid-project').length).toBeGreaterThanOrEqual(30);
  });

  for (const name of cases) {
    it(name, async () => {
      const dir = join(fixtures, name);
      const env = existsSync(join(dir, 'env.json'))
        ? (JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as Record<string, string>)
        : {};
      const before = snapshotTree(dir);
      const scrub = (s: string) => s.split(dir).join('<fixture>');

      const text = await runCli(['-C', dir, 'validate'], { env });
      const json = await runCli(['-C', dir, 'validate', '--format', 'json'], { env });
      expectGolden(join(dir, 'expected.txt'), scrub(`${text.stdout}${text.stderr}\nexit ${text.code}\n`));
      expectGolden(join(dir, 'expected.json'), `${scrub(json.stdout)}\n`);

      const valid = name === 'validate-valid-project';
      expect(text.code).toBe(valid ? 0 : 1);
      expect(json.code).toBe(valid ? 0 : 1);
      // Actionable: every error names a place (or is a project-level error) and says how to fix it.
      if (!valid) {
        expect(text.stderr).toMatch(/(\S+\.ya?ml:\d+:\d+ error\[[a-z0-9-]+\]|error\[[a-z-]+\]: )/);
        expect(text.stderr).toMatch(/hint: /);
      }
      expect(`${text.stdout}${text.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+\)?$/m);
      // Secrets given in the fixture's environment never appear in any output.
      for (const value of Object.values(env))
        expect(`${text.stdout}${text.stderr}${json.stdout}`).not.toContain(value);
      expect(snapshotTree(dir)).toEqual(before);
    });
  }
});

// The user cache (parsed files, passed expressions) must not change a single diagnostic: every
// case again, with a cache folder, cold and then warm.
describe('outflow validate golden cases with the user cache', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'outflow-golden-cache-'));
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  for (const name of cases) {
    it(name, async () => {
      vi.stubEnv('OUTFLOW_CACHE_DIR', cacheDir);
      const dir = join(fixtures, name);
      const env = existsSync(join(dir, 'env.json'))
        ? (JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as Record<string, string>)
        : {};
      const scrub = (s: string) => s.split(dir).join('<fixture>');
      const expected = readFileSync(join(dir, 'expected.txt'), 'utf8');
      for (const pass of ['cold', 'warm']) {
        const text = await runCli(['-C', dir, 'validate'], { env });
        expect(scrub(`${text.stdout}${text.stderr}\nexit ${text.code}\n`), pass).toBe(expected);
      }
    });
  }
});
