import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeProject as makeInitProject } from '../support/project.js';
import { relativeFiles } from '../support/tree.js';

const NOW = '2026-11-20T12:00:00Z';
const EVENTS_PATH = '"{export}/{runId}/{export}-{event}-{date:yyyyMMdd}-{index}.{ext}"';

/** The `outflow init` project (timezone Europe/Paris), with `edit` applied to flows/exports.yaml. */
function makeProject(edit: (exportsYaml: string) => string = (s) => s): string {
  return makeInitProject('outflow-publish-', { realpath: true, edit: { 'flows/exports.yaml': edit } });
}

function exportRuns(
  dir: string,
  name: string,
): { manifest: string; rows: number; files: { name: string }[] }[] {
  const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
  return state.resources[`Export/${name}`].data.runs;
}

describe('manifest: false', () => {
  it('publishes the data files without a manifest, records the run, and validate warns', async () => {
    const dir = makeProject((y) =>
      y.replace(`path: ${EVENTS_PATH}`, `path: ${EVENTS_PATH}\nmanifest: false`),
    );
    const validate = await runCli(['-C', dir, 'validate']);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout + validate.stderr).toMatch(
      /flows\/exports\.yaml:\d+:\d+ warning\[no-manifest\]: manifest: false publishes the data files without a manifest: consumers get no completion signal/,
    );

    const apply = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(apply.code, apply.stderr).toBe(0);
    const published = relativeFiles(join(dir, 'out', 'events_out'));
    expect(published.length).toBeGreaterThan(0);
    expect(published.filter((f) => f.includes('manifest'))).toEqual([]);
    const [run] = exportRuns(dir, 'events_out');
    expect(run!.manifest).toBe('');
    expect(run!.rows).toBeGreaterThan(0);
    expect(run!.files.map((f) => f.name).sort()).toEqual(published.map((f) => `events_out/${f}`));
    // The other export still has its manifest.
    expect(relativeFiles(join(dir, 'out', 'buyers_daily')).some((f) => f.includes('_manifest-'))).toBe(true);

    for (const args of [
      ['plan', '--now', NOW, '--detailed-exitcode'],
      ['status', '--now', NOW],
      ['runs', 'events_out'],
    ]) {
      const res = await runCli(['-C', dir, ...args]);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
      if (args[0] === 'runs') expect(res.stdout).toMatch(/\(none: manifest: false\)/);
    }
  });
});

describe('the manifest goes where the path template puts the run', () => {
  it('an empty run of an exportTime= export puts its manifest in its own exportTime= folder (Paris time)', async () => {
    const dir = makeProject((y) =>
      y.replace(
        `path: ${EVENTS_PATH}`,
        'path: "{export}/exportTime={exportTime:yyyyMMddHHmm}/{export}-{event}-{date:yyyyMMdd}-{index}.{ext}"',
      ),
    );
    const apply = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(apply.code, apply.stderr).toBe(0);
    // Europe/Paris is UTC+1 in November.
    const first = relativeFiles(join(dir, 'out', 'events_out'));
    expect(first.length).toBeGreaterThan(1);
    for (const f of first)
      expect(f).toMatch(/^exportTime=202611201300\/(events_out-.+-20261120-\d{5}\.csv|_manifest-.+\.json)$/);

    // No new stream files: the next run (23:30 UTC, the 21st in Paris) is empty.
    const run = await runCli(['-C', dir, 'run', 'events_out', '--now', '2026-11-20T23:30:00Z']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const runs = exportRuns(dir, 'events_out');
    expect(runs).toHaveLength(2);
    expect(runs[1]!.rows).toBe(0);
    expect(runs[1]!.manifest).toMatch(/^events_out\/exportTime=202611210030\/_manifest-[^/]+\.json$/);
    expect(existsSync(join(dir, 'out', runs[1]!.manifest))).toBe(true);
    expect(relativeFiles(join(dir, 'out')).filter((f) => /^events_out\/_manifest/.test(f))).toEqual([]);
  });
});

describe('event names from the data cannot steer where files go', () => {
  const HOSTILE = ['..', '.', '', 'x'.repeat(300), 'tab\there\u0001', 'CON', 'a/b', '../x', 'buy'];

  it('applies hostile event names: every file is in its run folder, the export succeeds', async () => {
    const dir = makeProject((y) =>
      y
        .replace(`path: ${EVENTS_PATH}`, 'path: "{export}/{runId}/{event}/{index}.{ext}"')
        .concat(
          '---\nkind: Export\nname: events_root\ntype: dataOut\nfrom: {dataflow: events}\ndestination: local_out\n',
          'format: ndjson\npath: "{event}/{export}-{runId}-{index}.{ext}"\nsplitBy: event\nmode: full\nschedule: {every: 4h}\n',
        ),
    );
    writeFileSync(
      join(dir, 'data', 'events', 'events-002.ndjson'),
      `${HOSTILE.map((event, i) => JSON.stringify({ user_id: 1 + i, event, ts: '2026-11-19T10:00:00Z', category: 'Books', price: null })).join('\n')}\n`,
    );
    const apply = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(apply.code, apply.stderr + apply.stdout).toBe(0);

    // Nothing was written outside the destination root.
    expect(readdirSync(dir).sort()).toEqual(
      ['.outflow', '.vscode', 'data', 'flows', 'out', 'outflow.schema.json', 'outflow.yaml'].filter((f) =>
        existsSync(join(dir, f)),
      ),
    );
    const out = join(dir, 'out');
    for (const name of ['events_out', 'events_root']) {
      const [run] = exportRuns(dir, name);
      const manifest = JSON.parse(readFileSync(join(out, run!.manifest), 'utf8'));
      const runDir = dirname(run!.manifest);
      // The sample's event column is mandatory: the empty name is rejected at ingest (the engine
      // test exports one).
      expect(new Set(manifest.files.map((f: { event: string }) => f.event))).toEqual(
        new Set([...HOSTILE.filter((e) => e !== ''), 'visit', 'add_to_cart']),
      );
      for (const f of manifest.files as { name: string }[]) {
        expect(existsSync(join(out, f.name)), f.name).toBe(true);
        if (runDir !== '.') expect(f.name.startsWith(`${runDir}/`), `${f.name} in ${runDir}`).toBe(true);
        for (const segment of f.name.split('/')) expect(['', '.', '..']).not.toContain(segment);
      }
      expect(new Set(manifest.files.map((f: { name: string }) => f.name)).size).toBe(manifest.files.length);
    }
    // Every published file is listed by a manifest: none landed anywhere else.
    const listed = new Set(
      relativeFiles(out)
        .filter((f) => f.includes('_manifest-'))
        .flatMap((m) =>
          JSON.parse(readFileSync(join(out, m), 'utf8')).files.map((f: { name: string }) => f.name),
        ),
    );
    expect(relativeFiles(out).filter((f) => !f.includes('_manifest-') && !listed.has(f))).toEqual([]);
  });
});

describe('symbolic links among stream files', () => {
  it('plan and apply say which were skipped and why; the JSON plan lists them', async () => {
    const dir = makeProject();
    const outside = realpathSync(mkdtempSync(join(tmpdir(), 'outflow-outside-')));
    writeFileSync(join(outside, 'secret.csv'), 'id,email\n1,x@example.com\n');
    symlinkSync(join(outside, 'secret.csv'), join(dir, 'data', 'users', 'outside.csv'));
    symlinkSync(join(dir, 'data', 'users', 'users-001.csv'), join(dir, 'data', 'users', 'again.csv'));
    symlinkSync(join(dir, 'nowhere.csv'), join(dir, 'data', 'users', 'broken.csv'));
    symlinkSync(join(outside, 'secret.csv'), join(dir, 'data', 'users', 'notes.txt'));

    const plan = await runCli(['-C', dir, 'plan', '--now', NOW, '--no-data']);
    expect(plan.code, plan.stderr).toBe(0);
    const warnings = plan.stdout.split('\n').filter((l) => l.startsWith('Warning: Dataflow/users: skipped'));
    expect(warnings).toEqual([
      'Warning: Dataflow/users: skipped data/users/again.csv: a symbolic link (stream files must be regular files; move or copy the file into the folder)',
      'Warning: Dataflow/users: skipped data/users/broken.csv: a symbolic link to nothing',
      'Warning: Dataflow/users: skipped data/users/outside.csv: a symbolic link leading outside the project (stream files must be regular files inside it)',
    ]);

    const json = await runCli(['-C', dir, 'plan', '--now', NOW, '--no-data', '--format', 'json']);
    expect(JSON.parse(json.stdout).skippedStreamFiles).toEqual([
      { address: 'Dataflow/users', path: 'data/users/again.csv', reason: 'symlink' },
      { address: 'Dataflow/users', path: 'data/users/broken.csv', reason: 'broken-symlink' },
      { address: 'Dataflow/users', path: 'data/users/outside.csv', reason: 'symlink-outside-project' },
    ]);

    const apply = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Warning: Dataflow/users: skipped data/users/outside.csv');
    const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    expect(state.resources['Dataflow/users'].data.ingestedFiles.map((f: { path: string }) => f.path)).toEqual(
      ['data/users/users-001.csv'],
    );
  });
});
