import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectFiles } from '../../src/cli/init-template.js';
import { runCli } from '../support/cli.js';
import { snapshotTree } from '../support/tree.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const NOW = '2026-11-20T12:00:00Z';

function makeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outflow-apply-'));
  for (const [path, content] of Object.entries(
    projectFiles({ name: 'p', dataDir: 'data', schemaPath: 'outflow.schema.json' }),
  )) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name).slice(dir.length + 1));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

describe('outflow apply', () => {
  it('applies, then a second plan has nothing to do (exit 0 with --detailed-exitcode)', async () => {
    const dir = makeProject();
    const first = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Apply complete: 11 of 11 items done/);
    const manifests = files(join(dir, 'out')).filter((f) => f.includes('_manifest-'));
    expect(manifests).toHaveLength(2);
    const again = await runCli(['-C', dir, 'plan', '--now', NOW, '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
    const noop = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(noop.code).toBe(0);
    expect(files(join(dir, 'out')).filter((f) => f.includes('_manifest-'))).toHaveLength(2);
  });

  it('refuses to apply without --auto-approve when not interactive, and changes nothing', async () => {
    const dir = makeProject();
    const before = snapshotTree(dir);
    const res = await runCli(['-C', dir, 'apply', '--now', NOW], { env: { CI: 'true' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/error\[approval-required\]/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('invalid config writes nothing: no state, no warehouse, no output', async () => {
    const dir = makeProject();
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
    const dir = makeProject();
    writeFileSync(
      join(dir, 'outflow.yaml'),
      readFileSync(join(dir, 'outflow.yaml'), 'utf8').replace('sampleRows: 100', 'sampleRows: 7'),
    );
    const res = await runCli(['-C', dir, 'apply', '--draft', '--now', NOW]);
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(join(dir, '.outflow', 'state.json'))).toBe(false);
    expect(existsSync(join(dir, '.outflow', 'warehouse.duckdb'))).toBe(false);
    const published = files(join(dir, 'out'));
    expect(published.length).toBeGreaterThan(0);
    expect(published.every((f) => f.startsWith('_draft/'))).toBe(true);
    const manifest = published.find((f) => f.includes('events_out') && f.includes('_manifest-'))!;
    expect(JSON.parse(readFileSync(join(dir, 'out', manifest), 'utf8')).rows).toBeLessThanOrEqual(7);
  });

  it('two concurrent applies: exactly one wins, the other exits 1 naming the holder', async () => {
    const dir = makeProject();
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

  it('an unreadable stream file stops apply with a clear error after saving what was done', async () => {
    const dir = makeProject();
    writeFileSync(
      join(dir, 'data', 'events', 'events-002.ndjson'),
      '{"user_id": 1, "event": "buy", "ts": "2026-11-19T10:00:00Z"\nnot json at all\n',
    );
    const res = await runCli(['-C', dir, 'apply', '--auto-approve', '--now', NOW]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ ingest Dataflow\/events: .*events-002\.ndjson/);
    expect(res.stderr).toMatch(/Apply stopped: \d+ of \d+ items done \(saved in state\); not done:/);
    const state = JSON.parse(readFileSync(join(dir, '.outflow', 'state.json'), 'utf8'));
    expect(state.resources['Dataflow/users'].data.ingestSeq).toBeGreaterThan(0);
    expect(state.resources['Export/events_out'].data?.runs).toBeUndefined();
  });
});

describe('outflow preview audience', () => {
  it('prints the member count and a sample, and suggests a name for a typo', async () => {
    const dir = makeProject();
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
    const manifest = files(join(dir, 'out')).find(
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
    const dir = makeProject();
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
    const manifestName = files(join(dir, 'out')).find(
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
