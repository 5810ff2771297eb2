import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { sampleEventsNdjson } from '../../src/cli/init-template.js';
import { CRASH_POINTS } from '../../src/testing/index.js';
import { makeProject as makeInitProject } from '../support/project.js';
import { localPublishedFiles } from '../support/published.js';

// Invariant 3: kill -9 the first apply at each crash point (OUTFLOW_CRASH_AT, src/testing), re-apply,
// and the files referenced by manifests hold every event row exactly once. Deterministic: the
// apply kills itself at the named point, so nothing depends on timing. Runs the real binary (npm
// test builds it first).
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const T1 = '2026-11-20T12:00:00Z';
const T2 = '2026-11-20T13:00:00Z';
const T3 = '2026-11-20T18:00:00Z';

function makeProject(): string {
  const dir = makeInitProject('outflow-crash-', { name: 'crash' });
  // More events, so the events export publishes many files (31 with chunk.maxRows 100).
  writeFileSync(join(dir, 'data/events/events-001.ndjson'), sampleEventsNdjson(3000));
  return dir;
}

/** Late events (old timestamps) arriving after the first export. */
function addLateEvents(dir: string): void {
  writeFileSync(join(dir, 'data/events/events-002.ndjson'), sampleEventsNdjson(500, Date.UTC(2026, 9, 1)));
}

const apply = (dir: string, now: string) =>
  execa('node', [bin, '-C', dir, 'apply', '--auto-approve', '--now', now], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1' },
  });

/** Every data row of every file referenced by a manifest of the events export, sorted. */
function publishedEventRows(dir: string): string[] {
  const rows: string[] = [];
  for (const { file, lines } of localPublishedFiles(dir, 'events_out')) {
    expect(lines.length).toBe(file.rows);
    rows.push(...lines);
  }
  return rows.sort();
}

/**
 * Where the first apply is killed (`name:N`: the Nth hit). The init template's first apply is: 7
 * resource creates (state writes 1–7; the warehouse is created the first time it is needed);
 * users (ingest 1, staged: it has a reject; state write 8), then events (ingest 2, read directly:
 * its rows are committed unnumbered first, then numbered; state write 9); buyers_daily (pending run 1,
 * state write 10, file 1, manifest 1, state write 11); events_out (pending run 2, state write 12,
 * files 2–32, manifest 2, state write 13). A point that is never hit fails its trial.
 */
const KILL_POINTS = [
  'state.before-rename:1',
  'state.before-rename:7',
  'warehouse.temp-created',
  'warehouse.before-rename',
  'warehouse.opened',
  'ingest.before-commit:1',
  'ingest.committed:1',
  'state.before-rename:8',
  'ingest.before-commit:2',
  'ingest.unnumbered-committed:1',
  'ingest.committed:2',
  'state.before-rename:9',
  'export.pending-saved:1',
  'publish.manifest:1',
  'state.before-rename:12',
  'export.pending-saved:2',
  'publish.file:2',
  'publish.file:17',
  'publish.file:32',
  'publish.manifest:2',
  'state.before-rename:13',
] as const;

/** Runs the first apply with OUTFLOW_CRASH_AT=`point`; it must die by SIGKILL at that point. */
async function killedApply(dir: string, point: string): Promise<void> {
  const killed = await execa('node', [bin, '-C', dir, 'apply', '--auto-approve', '--now', T1], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1', OUTFLOW_CRASH_AT: point },
  });
  const [name, hit = '1'] = point.split(':');
  expect(killed.signal, `${point} was not hit:\n${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
  expect(killed.stderr.split('\n')).toContain(`crash point ${name}#${hit}`);
}

describe('apply survives kill -9 at any point', () => {
  it('kill points cover every crash point', () => {
    const named = new Set(KILL_POINTS.map((p) => p.split(':')[0]));
    // A local publication is a hard link, never half-sent: the store tests (test/destinations/)
    // kill their uploads half-way. Activation syncs are killed in test/activations/webhook.test.ts.
    // Warehouse segments, remote state writes and remote locks: test/cli/warehouse-segments.test.ts kills there.
    const elsewhere = new Set([
      'publish.mid-upload',
      'activation.frozen',
      'activation.batch-delivered',
      'segment.uploaded',
      'state.remote-written',
      'lock.releasing',
      'segment.loaded',
      // test/cli/activation-remote.test.ts
      'activation.snapshot-uploaded',
    ]);
    expect(CRASH_POINTS.filter((p) => !named.has(p) && !elsewhere.has(p))).toEqual([]);
  });

  it(`delivers every event exactly once after a kill at each of ${KILL_POINTS.length} points`, {
    timeout: 300_000,
  }, async () => {
    // The reference: the same sequence without a crash.
    const ref = makeProject();
    const first = await apply(ref, T1);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/events_out: 3000 rows in 31 files/);
    addLateEvents(ref);
    expect((await apply(ref, T3)).exitCode).toBe(0);
    const expected = publishedEventRows(ref);
    expect(expected.length).toBe(3500);

    const hit = new Set<string>();
    const trial = async (point: string) => {
      const dir = makeProject();
      await killedApply(dir, point);
      hit.add(point);
      // The killed apply left its lock; it belonged to a dead process, so unlock needs no --force.
      if (existsSync(join(dir, '.outflow/state.lock'))) {
        const unlock = await execa('node', [bin, '-C', dir, 'state', 'unlock'], { reject: false });
        expect(unlock.exitCode, unlock.stderr).toBe(0);
      }
      const rerun = await apply(dir, T2);
      expect(rerun.exitCode, `after ${point}:\n${rerun.stdout}\n${rerun.stderr}`).toBe(0);
      addLateEvents(dir);
      const later = await apply(dir, T3);
      expect(later.exitCode, `after ${point}:\n${later.stdout}\n${later.stderr}`).toBe(0);
      expect(publishedEventRows(dir), `after ${point}`).toEqual(expected);
      expect(readdirSync(join(dir, '.outflow')).filter((n) => n.includes('.creating-'))).toEqual([]);
      rmSync(dir, { recursive: true, force: true });
    };
    // Two trials at a time: this machine has two cores.
    for (let i = 0; i < KILL_POINTS.length; i += 2) await Promise.all(KILL_POINTS.slice(i, i + 2).map(trial));
    expect([...hit].sort()).toEqual([...KILL_POINTS].sort());
    rmSync(ref, { recursive: true, force: true });
  });
});
