import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeProject } from '../support/project.js';
import { relativeFiles, snapshotTree } from '../support/tree.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const NOW = '2026-11-20T12:00:00Z';

describe('outflow apply', () => {
  it('applies, then a second plan has nothing to do (exit 0 with --detailed-exitcode)', async () => {
    const dir = makeProject('outflow-apply-');
    const first = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Apply complete: 11 of 11 items done/);
    const manifests = relativeFiles(join(dir, 'out')).filter((f) => f.includes('_manifest-'));
    expect(manifests).toHaveLength(2);
    const again = await runCli(['-C', dir, 'plan', '--now', NOW, '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
    const noop = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(noop.code).toBe(0);
    expect(relativeFiles(join(dir, 'out')).filter((f) => f.includes('_manifest-'))).toHaveLength(2);
  });

  it('refuses to apply without --auto-approve when not interactive, and changes nothing', async () => {
    const dir = makeProject('outflow-apply-');
    const before = snapshotTree(dir);
    const res = await runCli(['-C', dir, 'apply', '--now', NOW], { env: { CI: 'true' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/error\[approval-required\]/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('invalid config writes nothing: no state, no warehouse, no output', async () => {
    const dir = makeProject('outflow-apply-');
    writeFileSync(
      join(dir, 'flows', 'bad.yaml'),
      'kind: Export\nname: bad\ntype: segment\nfrom: {audience: nobody}\nfields: [email]\ndestination: local_out\nformat: csv\n',
    );
    const before = snapshotTree(dir);
    const res = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/flows\/bad\.yaml:4:18 error\[unknown-reference\]/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('--draft publishes sample files under _draft/ and leaves state and warehouse untouched', async () => {
    const dir = makeProject('outflow-apply-');
    writeFileSync(
      join(dir, 'outflow.yaml'),
      readFileSync(join(dir, 'outflow.yaml'), 'utf8').replace('sampleRows: 100', 'sampleRows: 7'),
    );
    const res = await runCli(['-C', dir, 'apply', '--draft', '--now', NOW]);
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(join(dir, '.outflow', 'state.json'))).toBe(false);
    expect(existsSync(join(dir, '.outflow', 'warehouse.duckdb'))).toBe(false);
    const published = relativeFiles(join(dir, 'out'));
    expect(published.length).toBeGreaterThan(0);
    expect(published.every((f) => f.startsWith('_draft/'))).toBe(true);
    const manifest = published.find((f) => f.includes('events_out') && f.includes('_manifest-'))!;
    expect(JSON.parse(readFileSync(join(dir, 'out', manifest), 'utf8')).rows).toBeLessThanOrEqual(7);
  });

  it('two concurrent applies: exactly one wins, the other exits 1 naming the holder', async () => {
    const dir = makeProject('outflow-apply-');
    const args = [bin, '-C', dir, 'apply', '--auto-approve', '--now', NOW];
    const [a, b] = await Promise.all([
      execa('node', args, { reject: false }),
      execa('node', args, { reject: false }),
    ]);
    const codes = [a.exitCode, b.exitCode].sort();
    expect(codes).toEqual([0, 1]);
    const loser = a.exitCode === 1 ? a : b;
    expect(loser.stderr).toMatch(/error\[state-locked\]: state is locked by apply \(.+ pid \d+/);
  });

  it('an unreadable stream file fails its ingest; what depends on it is skipped and named, the rest is done', async () => {
    const dir = makeProject('outflow-apply-');
    writeFileSync(
      join(dir, 'data', 'events', 'events-002.ndjson'),
      '{"user_id": 1, "event": "buy", "ts": "2026-11-19T10:00:00Z"\nnot json at all\n',
    );
    const res = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ ingest Dataflow\/events: .*events-002\.ndjson/);
    expect(res.stderr).toMatch(
      /Apply finished with 1 failure: \d+ of \d+ items done \(saved in state\); not done:/,
    );
    expect(res.stderr).toMatch(/error\[ingest-unreadable-file\]/);
    // Both exports read the events (one through its audience): skipped, each naming the failed ingest.
    expect(res.stderr).toMatch(
      /· export Export\/buyers_daily: skipped: depends on ingest Dataflow\/events, which failed/,
    );
    expect(res.stderr).toMatch(
      /· export Export\/events_out: skipped: depends on ingest Dataflow\/events, which failed/,
    );
    const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    expect(state.resources['Dataflow/users'].data.ingestSeq).toBeGreaterThan(0);
    expect(state.resources['Export/events_out'].data?.runs).toBeUndefined();
  });

  it('an export apply cannot publish fails alone: other exports run, the failure is on record', async () => {
    const dir = makeProject('outflow-apply-');
    // A second destination whose folder is a file: nothing can be published there.
    writeFileSync(join(dir, 'blocked'), 'a file, not a folder\n');
    writeFileSync(
      join(dir, 'flows', 'connections.yaml'),
      `${readFileSync(join(dir, 'flows', 'connections.yaml'), 'utf8')}---
kind: Connection
name: bucket
type: local
root: blocked
`,
    );
    const exports = readFileSync(join(dir, 'flows', 'exports.yaml'), 'utf8');
    // buyers_daily runs first: its failure must not stop events_out.
    writeFileSync(
      join(dir, 'flows', 'exports.yaml'),
      exports.replace('destination: local_out', 'destination: bucket'),
    );
    const res = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/✗ export Export\/buyers_daily\n\s+error\[destination-failed\]/);
    // The independent export ran and published.
    expect(
      relativeFiles(join(dir, 'out')).filter((f) => f.startsWith('events_out/') && f.includes('_manifest-')),
    ).toHaveLength(1);
    const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    const runs = state.resources['Export/buyers_daily'].data.runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'failed', error: { code: 'destination-failed' } });
    expect(state.resources['Export/events_out'].data.runs[0].status).toBe('succeeded');
    // The interrupted run stays pending: the next apply retries it with the same run id.
    expect(state.resources['Export/buyers_daily'].data.pendingRun.runId).toBe(runs[0].runId);
    // status shows the last outcome with its error; runs lists the failure.
    const status = await runCli(['-C', dir, 'status', '--now', NOW]);
    expect(status.stdout).toMatch(/buyers_daily\s.*\sfailed\s/);
    expect(status.stdout).toMatch(
      /buyers_daily: failed: error\[destination-failed\]: connection "bucket" \(blocked\/buyers_daily\/.*\): cannot write the file: (ENOTDIR|EEXIST)/,
    );
    const history = await runCli(['-C', dir, 'runs', 'buyers_daily']);
    expect(history.stdout).toMatch(/failed .*error\[destination-failed\]/);
  });

  it('a dataflow with no stream files yet exports an empty run instead of a raw engine error', async () => {
    const dir = makeProject('outflow-apply-');
    rmSync(join(dir, 'data', 'events'), { recursive: true });
    const res = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(`${res.stdout}${res.stderr}`).not.toMatch(/Catalog Error|does not exist/);
    const manifest = relativeFiles(join(dir, 'out')).find(
      (f) => f.startsWith('events_out/') && f.includes('_manifest-'),
    );
    expect(JSON.parse(readFileSync(join(dir, 'out', manifest!), 'utf8'))).toMatchObject({
      rows: 0,
      files: [],
    });
  });

  it('a retyped or added column replaces the dataflow and re-ingests; reordering columns changes nothing', async () => {
    // Regression: the plan said "update" and the next ingest failed with ingest-schema-changed.
    const dir = makeProject('outflow-apply-');
    expect((await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW])).code).toBe(0);
    const flows = join(dir, 'flows', 'dataflows.yaml');
    const original = readFileSync(flows, 'utf8');
    // Reordered columns: no change, and a later ingest still works.
    const reordered = original.replace(
      '    - {name: category, type: string, from: category}\n    - {name: price, type: "decimal(12,2)", from: price}',
      '    - {name: price, type: "decimal(12,2)", from: price}\n    - {name: category, type: string, from: category}',
    );
    expect(reordered).not.toBe(original);
    writeFileSync(flows, reordered);
    writeFileSync(
      join(dir, 'data', 'events', 'events-002.ndjson'),
      '{"user_id": 1, "event": "buy", "ts": "2026-11-19T10:00:00Z", "category": "Watches", "price": 5}\n',
    );
    const again = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).not.toMatch(/Dataflow\/events {2}\(/);
    expect(again.stdout).toMatch(/ingest Dataflow\/events: 1 row from 1 file/);
    // A retyped column: the plan says replace, and apply rebuilds the dataset from the files.
    writeFileSync(
      flows,
      reordered.replace(
        '{name: price, type: "decimal(12,2)", from: price}',
        '{name: price, type: double, from: price}',
      ),
    );
    const retyped = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(retyped.code, `${retyped.stdout}\n${retyped.stderr}`).toBe(0);
    expect(retyped.stdout).toMatch(/-\/\+ Dataflow\/events/);
    expect(retyped.stdout).toMatch(/ingest Dataflow\/events: 401 rows from 2 files/);
    expect(`${retyped.stdout}${retyped.stderr}`).not.toMatch(/ingest-schema-changed/);
  });

  it('--target creates and runs what the target depends on (fresh project)', async () => {
    const dir = makeProject('outflow-apply-');
    const res = await runCli([
      '-C',
      dir,
      'apply',
      '--auto-approve',
      '--now',
      NOW,
      '--target',
      'Export/events_out',
    ]);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(/create Dataflow\/events/);
    expect(res.stdout).not.toMatch(/Dataflow\/users/);
    expect(res.stdout).not.toMatch(/Catalog Error/);
    expect(
      relativeFiles(join(dir, 'out')).some((f) => f.startsWith('events_out/') && f.includes('_manifest-')),
    ).toBe(true);
    expect(relativeFiles(join(dir, 'out')).some((f) => f.startsWith('buyers_daily/'))).toBe(false);
  });
});

describe('outflow preview audience', () => {
  it('prints the member count and a sample, and suggests a name for a typo', async () => {
    const dir = makeProject('outflow-apply-');
    const before = await runCli(['-C', dir, 'preview', 'audience', 'recent_buyers']);
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/error\[no-warehouse\]/);
    expect((await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW])).code).toBe(0);
    const res = await runCli([
      '-C',
      dir,
      'preview',
      'audience',
      'recent_buyers',
      '--now',
      NOW,
      '--format',
      'json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const body = JSON.parse(res.stdout) as { count: number; sample: Record<string, unknown>[] };
    // The same members the export published (the export is the audience's snapshot at NOW).
    const manifest = relativeFiles(join(dir, 'out')).find(
      (f) => f.includes('buyers_daily') && f.includes('_manifest-'),
    )!;
    expect(body.count).toBe(JSON.parse(readFileSync(join(dir, 'out', manifest), 'utf8')).rows);
    expect(body.sample.length).toBe(Math.min(10, body.count));
    const typo = await runCli(['-C', dir, 'preview', 'audience', 'recent_buyer']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/did you mean "recent_buyers"\?/);
  });
});

describe('one-time export with a lookback', () => {
  it('sends only events within the lookback window', async () => {
    const dir = makeProject('outflow-apply-');
    writeFileSync(
      join(dir, 'flows', 'backfill.yaml'),
      'kind: Export\nname: backfill\ntype: dataOut\nfrom: {dataflow: events}\ndestination: local_out\nformat: ndjson\nmode: full\nschedule: {once: {lookback: 7d}}\n',
    );
    // events_out (every 4h) and backfill (once) both send events to local_out: keep one enabled.
    const exportsFile = join(dir, 'flows', 'exports.yaml');
    writeFileSync(
      exportsFile,
      readFileSync(exportsFile, 'utf8').replace(
        'schedule: {every: 4h}',
        'schedule: {every: 4h}\nenabled: false',
      ),
    );
    const res = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(res.code, res.stderr).toBe(0);
    const manifestName = relativeFiles(join(dir, 'out')).find(
      (f) => f.startsWith('backfill/') && f.includes('_manifest-'),
    )!;
    const manifest = JSON.parse(readFileSync(join(dir, 'out', manifestName), 'utf8')) as {
      rows: number;
      files: { name: string }[];
    };
    const cutoff = Date.parse(NOW) - 7 * 86_400_000;
    const expected = readFileSync(join(dir, 'data', 'events', 'events-001.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ts: string })
      .filter((e) => Date.parse(e.ts) > cutoff && Date.parse(e.ts) <= Date.parse(NOW)).length;
    expect(expected).toBeGreaterThan(0);
    expect(manifest.rows).toBe(expected);
    const exported = manifest.files.flatMap((f) =>
      readFileSync(join(dir, 'out', f.name), 'utf8')
        .trim()
        .split('\n'),
    );
    for (const line of exported)
      expect(Date.parse(`${(JSON.parse(line) as { ts: string }).ts}Z`.replace(/ZZ$/, 'Z'))).toBeGreaterThan(
        cutoff,
      );
  });
});
