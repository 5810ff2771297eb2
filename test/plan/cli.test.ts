import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadSavedPlan } from '../../src/cli/commands/plan.js';
import { type Plan, recordApplied } from '../../src/plan/index.js';
import { loadProject } from '../../src/project/load.js';
import { LocalStateBackend, nextRevision, type StateDocument } from '../../src/state/index.js';
import { runCli } from '../support/cli.js';
import { fixtureLineage } from '../support/plan-state.js';

const NOW = ['--now', '2026-11-20T12:00:00Z'];
const plan0 = '2026-11-20T11:00:00.000Z';
const now = new Date('2026-11-20T12:00:00Z');

function project(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'outflow-plan-')), 'p');
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'plan-create'), dir, {
    recursive: true,
    filter: (src) => !/expected\.|state\.json/.test(src),
  });
  return dir;
}

/** What apply would leave: every change recorded, files ingested and due exports run. */
function applyPlan(plan: Plan, state: StateDocument | undefined): StateDocument {
  let next: StateDocument = state ?? {
    formatVersion: 1,
    lineage: fixtureLineage('cli'),
    serial: 0,
    outflowVersion: 't',
    updatedAt: now.toISOString(),
    resources: {},
  };
  for (const c of plan.resourceChanges) next = recordApplied(next, c, now);
  for (const a of plan.dataActions) {
    const r = next.resources[a.address]!;
    if (a.type === 'ingest')
      r.data = {
        ingestedFiles: a.files.map((f) => ({
          ...f,
          sha256: '0'.repeat(64),
          ingestedAt: plan.now,
          rows: 1,
          rejected: 0,
          seqFrom: 1,
          seqTo: 1,
        })),
      };
    if (a.type === 'export')
      r.data = {
        runs: [
          {
            runId: a.runId,
            status: 'succeeded',
            startedAt: plan.now,
            finishedAt: plan.now,
            window: a.window,
            rows: 0,
            files: [],
            bytes: 0,
            manifest: 'm',
          },
        ],
      };
  }
  return nextRevision(next, now, 't');
}

describe('outflow plan (CLI)', () => {
  it('saves a plan; a second plan after it is applied has nothing to do; an old saved plan is stale', async () => {
    const dir = project();
    const first = await runCli(['-C', dir, 'plan', '--detailed-exitcode', '--out', 'plan.json', ...NOW], {
      cwd: dir,
    });
    expect(first.code).toBe(2);
    expect(first.stdout).toMatch(/^Plan: 5 to create/m);
    expect(first.stderr).toContain('Saved the plan to plan.json');
    const backend = new LocalStateBackend('state.json', { root: dir });
    const saved = await loadSavedPlan(join(dir, 'plan.json'), undefined);
    expect(saved).toEqual(JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')));

    await backend.write(applyPlan(saved, undefined));
    // plan never takes the lock: a held one does not stop it.
    writeFileSync(
      join(dir, 'state.lock'),
      JSON.stringify({ id: 'x', operation: 'apply', owner: 'bob', pid: 1, host: 'h', createdAt: plan0 }),
    );
    const second = await runCli(['-C', dir, 'plan', '--detailed-exitcode', ...NOW]);
    expect(second.stdout).toContain('No changes');
    expect(second.code).toBe(0);

    const state = await backend.read();
    await expect(loadSavedPlan(join(dir, 'plan.json'), state)).rejects.toMatchObject({ code: 'stale-plan' });
    await runCli(['-C', dir, 'plan', '--out', 'plan2.json', ...NOW], { cwd: dir });
    const model = (await loadProject(dir, { secretsRequired: false })).model;
    await expect(loadSavedPlan(join(dir, 'plan2.json'), state, model)).resolves.toMatchObject({
      state: { serial: 1 },
    });
    await backend.write(nextRevision(state!, now, 't'));
    await expect(loadSavedPlan(join(dir, 'plan2.json'), await backend.read(), model)).rejects.toThrow(
      'saved plan is stale: state serial 2, plan made at 1 — run plan again',
    );
    writeFileSync(
      join(dir, 'flows', 'connections.yaml'),
      'kind: Connection\nname: local_out\ntype: local\nroot: elsewhere\n',
    );
    const changed = (await loadProject(dir, { secretsRequired: false })).model;
    const third = JSON.parse((await runCli(['-C', dir, 'plan', '--format', 'json', ...NOW])).stdout) as Plan;
    writeFileSync(join(dir, 'plan3.json'), JSON.stringify({ ...third, configHash: '0'.repeat(64) }));
    await expect(loadSavedPlan(join(dir, 'plan3.json'), await backend.read(), changed)).rejects.toThrow(
      /configuration changed/,
    );
  });

  it('rejects unknown targets, bad --now and invalid config with exit 1', async () => {
    const dir = project();
    const target = await runCli(['-C', dir, 'plan', '--target', 'Export/fr_dayly', ...NOW]);
    expect(target.code).toBe(1);
    expect(target.stderr).toContain('error[unknown-address]: --target Export/fr_dayly: no such resource');
    expect(target.stderr).toContain('did you mean Export/fr_daily?');
    const badNow = await runCli(['-C', dir, 'plan', '--now', 'yesterday']);
    expect(badNow.code).toBe(1);
    expect(badNow.stderr).toContain('error[invalid-now]');
    writeFileSync(join(dir, 'flows', 'broken.yaml'), 'kind: Export\nname: x\n');
    const invalid = await runCli(['-C', dir, 'plan', '--detailed-exitcode', ...NOW]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/✗ no plan: \d+ errors?/);
    expect(invalid.stdout).toBe('');
    const invalidJson = await runCli(['-C', dir, 'plan', '--format', 'json', ...NOW]);
    expect(invalidJson.code).toBe(1);
    expect(JSON.parse(invalidJson.stdout)).toMatchObject({ error: { code: 'invalid-config' } });
  });

  it('warns instead of failing when secrets are not set (a PR plan without secrets)', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'flows', 'cms.yaml'),
      'kind: Connection\nname: cms\ntype: webhook\nbaseUrl: https://cms.example.com/hook\nclientId: outflow\nclientSecret: ${env:CMS_SECRET}\n',
    );
    const res = await runCli(['-C', dir, 'plan', ...NOW]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning/);
    expect(res.stdout).toContain('+ clientSecret: (sensitive)');
  });
});

describe('help', () => {
  // Through the binary: in-process, commander's --help on a subcommand calls process.exit.
  it('documents plan and the state subcommands', async () => {
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
    for (const cmd of [['plan'], ['state'], ['state', 'show'], ['state', 'unlock']]) {
      const res = await execa('node', [bin, ...cmd, '--help'], { reject: false });
      expect(res.exitCode).toBe(0);
      expect(res.stdout).toMatch(/Usage: outflow/);
      if (cmd[0] === 'plan') expect(res.stdout).toContain('--detailed-exitcode');
    }
  });
});

describe('outflow state', () => {
  it('lists, shows (redacted) and unlocks', async () => {
    const dir = project();
    writeFileSync(
      join(dir, 'flows', 's3.yaml'),
      'kind: Connection\nname: s3\ntype: s3\nbucket: exports\nregion: eu-west-1\nsecretAccessKey: ${env:S3_SECRET}\n',
    );
    const empty = await runCli(['-C', dir, 'state', 'list']);
    expect(empty.stdout).toBe('No state yet (state.json does not exist): nothing has been applied.');
    const planned = await runCli(['-C', dir, 'plan', '--out', 'plan.json', ...NOW], {
      cwd: dir,
      env: { S3_SECRET: 'shh-value' },
    });
    expect(planned.stderr).toBe(
      'Saved the plan to plan.json; apply exactly this plan with: outflow apply plan.json',
    );
    const backend = new LocalStateBackend('state.json', { root: dir });
    await backend.write(applyPlan(await loadSavedPlan(join(dir, 'plan.json'), undefined), undefined));

    const list = await runCli(['-C', dir, 'state', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^KIND {8}NAME {10}APPLIED AT {16}CONFIG HASH$/m);
    expect(list.stdout).toMatch(/^Connection {2}s3 {12}2026-11-20T12:00:00.000Z {2}[0-9a-f]{12}$/m);

    const show = await runCli(['-C', dir, 'state', 'show', 'Connection/s3']);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout) as { config: Record<string, unknown> };
    expect(shown.config.secretAccessKey).toBe('(sensitive)');
    expect(show.stdout).not.toMatch(/S3_SECRET|shh-value|\$sensitive/);
    const missing = await runCli(['-C', dir, 'state', 'show', 'Connection/s4']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('did you mean Connection/s3?');

    const none = await runCli(['-C', dir, 'state', 'unlock']);
    expect(none.stdout).toBe('No state lock to remove (state.lock does not exist).');
    const holder = {
      id: 'x',
      operation: 'apply',
      owner: 'alice',
      pid: 2 ** 22 + 12345,
      host: 'ci-runner-7',
      createdAt: '2026-11-20T11:00:00.000Z',
    };
    writeFileSync(join(dir, 'state.lock'), JSON.stringify(holder));
    const unlocked = await runCli(['-C', dir, 'state', 'unlock']);
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toMatch(
      /^Removed the state lock held by apply \(alice@ci-runner-7 pid 4206649, /,
    );
  });
});
