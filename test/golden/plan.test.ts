import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { expectGolden } from '../support/golden.js';
import { validatePlan } from '../support/plan-schema.js';
import { fixtureStateText } from '../support/plan-state.js';
import { snapshotTree } from '../support/tree.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
// plan-base-* cases need a git repository: test/git/plan-base.test.ts runs them.
const cases = readdirSync(fixtures).filter((d) => d.startsWith('plan-') && !d.startsWith('plan-base-'));
const NOW = ['--now', '2026-11-20T12:00:00Z'];
// Expected exit codes with --detailed-exitcode: 0 nothing to do, 2 changes, 1 plan problems.
const EXIT: Record<string, number> = { 'plan-noop': 0, 'plan-reorder': 0, 'plan-protected': 1 };

describe('outflow plan golden cases', () => {
  for (const name of cases) {
    it(name, async () => {
      const dir = join(fixtures, name);
      const read = (f: string) =>
        existsSync(join(dir, f)) ? (JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown) : undefined;
      const env = (read('env.json') ?? {}) as Record<string, string>;
      const args = (read('args.json') ?? []) as string[];
      // The fixture's state is what recording its base/ project with recordApplied gives.
      const state = await fixtureStateText(dir, name);
      if (state !== undefined) expectGolden(join(dir, 'state.json'), state);
      const before = snapshotTree(dir);

      const plan = (format: string) =>
        runCli(['-C', dir, 'plan', '--format', format, '--detailed-exitcode', ...NOW, ...args], { env });
      const text = await plan('text');
      const md = await plan('markdown');
      const json = await plan('json');
      expectGolden(
        join(dir, 'expected.txt'),
        `${text.stdout}\n${text.stderr}${text.stderr === '' ? '' : '\n'}exit ${text.code}\n`,
      );
      expectGolden(join(dir, 'expected.md'), `${md.stdout}\n`);
      expectGolden(join(dir, 'expected.json'), `${json.stdout}\n`);

      const expected = EXIT[name] ?? 2;
      for (const r of [text, md, json]) expect(r.code).toBe(expected);
      expect(validatePlan(JSON.parse(json.stdout)), JSON.stringify(validatePlan.errors)).toBe(true);
      for (const value of Object.values(env))
        expect(`${text.stdout}${md.stdout}${json.stdout}${text.stderr}`).not.toContain(value);
      expect(md.stdout.length).toBeLessThan(60_000);
      expect(snapshotTree(dir)).toEqual(before);
    });
  }
});
