import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectFiles, sampleEventsNdjson } from '../../src/cli/init-template.js';

// Invariant 3: kill -9 the apply at random points, re-apply, and the files referenced by manifests
// hold every event row exactly once. Runs the real binary (npm test builds it first).
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const T1 = '2026-11-20T12:00:00Z';
const T2 = '2026-11-20T13:00:00Z';
const T3 = '2026-11-20T18:00:00Z';
const TRIALS = Number(process.env.CRASH_TRIALS ?? 20);

function makeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outflow-crash-'));
  for (const [path, content] of Object.entries(
    projectFiles({ name: 'crash', dataDir: 'data', schemaPath: 'outflow.schema.json' }),
  )) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  // More events, so a kill lands inside ingest and export work, not only at start-up.
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
  const root = join(dir, 'out', 'events_out');
  const rows: string[] = [];
  if (!existsSync(root)) return rows;
  for (const run of readdirSync(root)) {
    for (const f of readdirSync(join(root, run)).filter((n) => n.startsWith('_manifest-'))) {
      const manifest = JSON.parse(readFileSync(join(root, run, f), 'utf8')) as {
        files: { name: string; rows: number }[];
      };
      for (const file of manifest.files) {
        const lines = readFileSync(join(dir, 'out', file.name), 'utf8')
          .trimEnd()
          .split('\n')
          .slice(1);
        expect(lines.length).toBe(file.rows);
        rows.push(...lines);
      }
    }
  }
  return rows.sort();
}

/**
 * Starts an apply and kills it with SIGKILL after it reported `steps` completed items plus a random
 * few milliseconds, so kills land in every phase (resource changes, ingest, export, publication).
 */
async function killedApply(dir: string, now: string, steps: number): Promise<void> {
  const child = spawn('node', [bin, '-C', dir, 'apply', '--auto-approve', '--now', now], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, CI: 'true' },
  });
  let done = 0;
  let killing = false;
  const kill = () => {
    if (killing) return;
    killing = true;
    setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 150));
  };
  if (steps === 0) kill();
  child.stdout.on('data', (chunk: Buffer) => {
    done += (chunk.toString().match(/^✓ /gm) ?? []).length;
    if (done >= steps) kill();
  });
  await new Promise((r) => child.once('exit', r));
}

describe('apply survives kill -9 at any point', () => {
  it(`delivers every event exactly once across ${TRIALS} killed applies`, { timeout: 600_000 }, async () => {
    // The reference: the same sequence without a crash.
    const ref = makeProject();
    const first = await apply(ref, T1);
    expect(first.exitCode).toBe(0);
    const steps = (first.stdout.match(/^✓ /gm) ?? []).length;
    addLateEvents(ref);
    expect((await apply(ref, T3)).exitCode).toBe(0);
    const expected = publishedEventRows(ref);
    expect(expected.length).toBe(3500);

    const outcomes = { noState: 0, resourcesOnly: 0, ingested: 0, pendingExport: 0, exported: 0 };
    const trial = async () => {
      const dir = makeProject();
      await killedApply(dir, T1, Math.floor(Math.random() * steps));
      const statePath = join(dir, '.outflow/state.json');
      type Data = { ingestSeq?: number; pendingRun?: unknown; runs?: unknown[] };
      const state = existsSync(statePath)
        ? (JSON.parse(readFileSync(statePath, 'utf8')) as { resources: Record<string, { data?: Data }> })
        : undefined;
      const data = (address: string) => state?.resources[address]?.data;
      if (state === undefined) outcomes.noState++;
      else if (Object.values(state.resources).some((r) => r.data?.pendingRun !== undefined))
        outcomes.pendingExport++;
      else if ((data('Export/events_out')?.runs?.length ?? 0) > 0) outcomes.exported++;
      else if (data('Dataflow/events')?.ingestSeq !== undefined) outcomes.ingested++;
      else outcomes.resourcesOnly++;
      // The killed apply left its lock; it belonged to a dead process, so unlock needs no --force.
      if (existsSync(join(dir, '.outflow/state.lock'))) {
        const unlock = await execa('node', [bin, '-C', dir, 'state', 'unlock'], { reject: false });
        expect(unlock.exitCode, unlock.stderr).toBe(0);
      }
      const rerun = await apply(dir, T2);
      expect(rerun.exitCode, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);
      addLateEvents(dir);
      const later = await apply(dir, T3);
      expect(later.exitCode, `${later.stdout}\n${later.stderr}`).toBe(0);
      expect(publishedEventRows(dir)).toEqual(expected);
    };
    // Two trials at a time: this machine has two cores.
    for (let i = 0; i < TRIALS; i += 2) await Promise.all([trial(), ...(i + 1 < TRIALS ? [trial()] : [])]);
    console.log(`kill -9 outcomes over ${TRIALS} trials: ${JSON.stringify(outcomes)}`);
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(TRIALS);
  });
});
