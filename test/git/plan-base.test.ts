import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { baseHeadRepo, git } from '../support/git-repo.js';
import { expectGolden } from '../support/golden.js';
import { validatePlan } from '../support/plan-schema.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const cases = readdirSync(fixtures).filter((d) => d.startsWith('plan-base-'));
const NOW = ['--now', '2026-11-20T12:00:00Z'];
// With --detailed-exitcode: 0 nothing to do, 2 changes; 1 with --fail-on breaking and a breaking change.
const EXIT: Record<string, number> = { 'plan-base-noop': 0, 'plan-base-breaking': 1 };
const repos: string[] = [];
afterAll(() => {
  for (const dir of repos) rmSync(dir, { recursive: true, force: true });
});

// The temp folder and an applied state's lineage differ per run; commits do not (fixed dates),
// but mask them anyway.
function stable(text: string, dir: string): string {
  return text
    .replaceAll(dir, '<repo>')
    .replace(/\b[0-9a-f]{40}\b/g, '<commit>')
    .replace(/ at [0-9a-f]{12} /g, ' at <commit> ')
    .replace(/lineage [0-9a-f]{8}\b/g, 'lineage <lineage>')
    .replace(/"lineage": "[0-9a-f-]{36}"/g, '"lineage": "<lineage>"');
}

describe('outflow plan --base (golden cases)', () => {
  for (const name of cases) {
    it(name, async () => {
      const fixture = join(fixtures, name);
      // plan-base-impact: the base is applied first, so there is a state and a warehouse.
      const apply = existsSync(join(fixture, 'apply-base.json'))
        ? (JSON.parse(readFileSync(join(fixture, 'apply-base.json'), 'utf8')) as string[])
        : undefined;
      const dir = await baseHeadRepo(join(fixture, 'base'), join(fixture, 'head'), async (repo) => {
        if (apply === undefined) return;
        const r = await runCli(['-C', repo, 'apply', '--auto-approve', ...apply]);
        expect(r.code, r.stderr).toBe(0);
      });
      repos.push(dir);
      const args = existsSync(join(fixture, 'args.json'))
        ? (JSON.parse(readFileSync(join(fixture, 'args.json'), 'utf8')) as string[])
        : [];
      const plan = (format: string) =>
        runCli([
          '-C',
          dir,
          'plan',
          '--base',
          'main',
          '--format',
          format,
          '--detailed-exitcode',
          ...NOW,
          ...args,
        ]);
      const text = await plan('text');
      const md = await plan('markdown');
      const json = await plan('json');
      const tail = (r: { stderr: string; code: number }) =>
        `${r.stderr}${r.stderr === '' ? '' : '\n'}exit ${r.code}\n`;
      expectGolden(join(fixture, 'expected.txt'), stable(`${text.stdout}\n${tail(text)}`, dir));
      expectGolden(join(fixture, 'expected.md'), stable(`${md.stdout}\n`, dir));
      expectGolden(join(fixture, 'expected.json'), stable(`${json.stdout}\n`, dir));
      for (const r of [text, md, json]) expect(r.code).toBe(EXIT[name] ?? 2);
      expect(validatePlan(JSON.parse(json.stdout)), JSON.stringify(validatePlan.errors)).toBe(true);
      // Never touches the work tree or the index.
      expect(git(dir, 'status', '--porcelain')).toBe('');
      if (apply !== undefined) {
        const noData = await runCli([
          '-C',
          dir,
          'plan',
          '--base',
          'main',
          '--format',
          'json',
          '--no-data',
          ...NOW,
        ]);
        expect(JSON.parse(noData.stdout)).not.toHaveProperty('impact');
      }
    });
  }
});

describe('outflow plan --base', () => {
  it('plans uncommitted work-tree changes and exits 0/2 with --detailed-exitcode', async () => {
    const fixture = join(fixtures, 'plan-base-noop');
    const dir = await baseHeadRepo(join(fixture, 'base'), join(fixture, 'head'));
    repos.push(dir);
    const run = () => runCli(['-C', dir, 'plan', '--base', 'main', '--detailed-exitcode', ...NOW]);
    expect((await run()).code).toBe(0);
    const file = join(dir, 'flows', 'audiences.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('value: FR', 'value: DE'));
    const changed = await run();
    expect(changed.code).toBe(2);
    expect(changed.stdout).toContain('~ Audience/fr_customers [breaking]');
    expect(changed.stdout).toContain('changed: flows/audiences.yaml');
  });

  it('finds the project in a subfolder of the repository', async () => {
    const fixture = join(fixtures, 'plan-base-changes');
    const dir = mkdtempSync(join(tmpdir(), 'outflow-git-sub-'));
    repos.push(dir);
    git(dir, 'init', '--quiet', '--initial-branch=main');
    cpSync(join(fixture, 'base'), join(dir, 'proj'), { recursive: true });
    git(dir, 'add', '-A');
    git(dir, 'commit', '--quiet', '-m', 'base');
    rmSync(join(dir, 'proj', 'flows'), { recursive: true });
    cpSync(join(fixture, 'head'), join(dir, 'proj'), { recursive: true });
    const r = await runCli(['plan', '--base', 'main', '--detailed-exitcode', ...NOW], {
      cwd: join(dir, 'proj', 'flows'),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('- Connection/archive  (flows/connections.yaml:6)');
  });

  it('refuses an unknown ref, --out, and a shallow clone without the base with clear errors', async () => {
    const fixture = join(fixtures, 'plan-base-changes');
    const dir = await baseHeadRepo(join(fixture, 'base'), join(fixture, 'head'));
    repos.push(dir);
    const unknown = await runCli(['-C', dir, 'plan', '--base', 'origin/nope', ...NOW]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error[git-unknown-ref]: --base origin/nope: no such commit');
    const out = await runCli(['-C', dir, 'plan', '--base', 'main', '--out', 'p.json', ...NOW]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('--out cannot be combined with --base');

    const shallow = join(tmpdir(), `outflow-shallow-${process.pid}`);
    repos.push(shallow);
    git(tmpdir(), 'clone', '--quiet', '--depth', '1', '--branch', 'feature', `file://${dir}`, shallow);
    const r = await runCli(['-C', shallow, 'plan', '--base', 'main', ...NOW]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('git fetch --unshallow');
  });
});
