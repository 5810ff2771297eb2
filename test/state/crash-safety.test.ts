// Invariant 4: a process killed (SIGKILL) at any moment while writing state leaves a state file
// that reads back whole, at the last serial it finished or the one it was writing.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateDocument } from '../../src/state/index.js';
import { LocalStateBackend } from '../../src/state/index.js';
import { compileStateModule } from './support/compile-state.js';
import { makeTempDir } from './support/temp-dir.js';

const TRIALS = 24;
const RESOURCES = 400;
const STATE_BYTES = 2_000_000;

// Runs the real LocalStateBackend, writing ever larger serials until it is killed. Each resource
// carries the serial and a hash derived from it, so a mix of two versions would show.
const WRITER = `
import { createHash } from 'node:crypto';
const [indexUrl, stateFile, bytes, resources] = process.argv.slice(2);
const { LocalStateBackend, emptyState, nextRevision } = await import(indexUrl);
const backend = new LocalStateBackend(stateFile);
let doc = (await backend.read()) ?? emptyState(new Date(), 'crash-test');
const pad = 'x'.repeat(Math.ceil(Number(bytes) / Number(resources)));
for (;;) {
  doc = nextRevision(doc, new Date(), 'crash-test');
  const all = {};
  for (let i = 0; i < Number(resources); i++) {
    const configHash = createHash('sha256').update(doc.serial + ':' + i).digest('hex');
    all['Export/r' + i] = { kind: 'Export', name: 'r' + i, configHash, config: { serial: doc.serial, pad }, appliedAt: doc.updatedAt };
  }
  doc = { ...doc, resources: all };
  await backend.write(doc);
  process.stdout.write(doc.serial + '\\n');
}
`;

function expectWhole(doc: StateDocument): void {
  const entries = Object.entries(doc.resources);
  expect(entries).toHaveLength(RESOURCES);
  for (const [i, [key, resource]] of entries.entries()) {
    expect(key).toBe(`Export/r${i}`);
    expect(resource.config.serial).toBe(doc.serial);
    expect(resource.configHash).toBe(createHash('sha256').update(`${doc.serial}:${i}`).digest('hex'));
  }
}

describe('state writes under SIGKILL', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let indexUrl: string;

  beforeAll(async () => {
    temp = await makeTempDir('crash');
    indexUrl = await compileStateModule(join(temp.dir, 'build'));
    await writeFile(join(temp.dir, 'writer.mjs'), WRITER);
  });
  afterAll(() => temp.remove());

  it(`reads back a whole document after each of ${TRIALS} kills`, { timeout: 400_000 }, async () => {
    const stateDir = join(temp.dir, 'project/.outflow');
    const stateFile = join(stateDir, 'state.json');
    let finished = 0; // highest serial a writer reported as written
    let killedMidWrite = 0;
    const leftovers = new Set<string>();

    // At least TRIALS kills; more (up to 3×) if none has landed inside a write yet, which a loaded machine can cause.
    let trial = 0;
    for (; trial < TRIALS || (killedMidWrite === 0 && trial < TRIALS * 3); trial++) {
      const child = spawn(
        process.execPath,
        [join(temp.dir, 'writer.mjs'), indexUrl, stateFile, String(STATE_BYTES), String(RESOURCES)],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const reported = collectSerials(child);
      await reported.first; // the writer is in its loop
      await sleep(Math.random() * 250);
      child.kill('SIGKILL');
      const { serials, signal, stderr } = await reported.done;
      expect(signal, stderr).toBe('SIGKILL');
      finished = Math.max(finished, ...serials);

      const doc = await new LocalStateBackend(stateFile).read();
      expect(doc).toBeDefined();
      expect([finished, finished + 1]).toContain(doc!.serial);
      expectWhole(doc!);
      // The first write had nothing to back up; after that the backup is the previous version,
      // or already the new one when the kill fell between the two renames.
      const backup = await new LocalStateBackend(`${stateFile}.backup`).read();
      if (backup === undefined) expect(doc!.serial).toBe(1);
      else {
        expect([doc!.serial - 1, doc!.serial]).toContain(backup.serial);
        expectWhole(backup);
      }

      const temps = (await readdir(stateDir)).filter((name) => name.endsWith('.tmp') && !leftovers.has(name));
      if (temps.length > 0) killedMidWrite++;
      for (const name of temps) leftovers.add(name);
      finished = doc!.serial;
    }
    // The kills must really land inside writes, or this test proves nothing.
    console.info(`${killedMidWrite} of ${trial} kills left a temp file behind (killed mid-write)`);
    expect(killedMidWrite).toBeGreaterThan(0);
  });
});

function collectSerials(child: ChildProcess): {
  first: Promise<void>;
  done: Promise<{ serials: number[]; signal: NodeJS.Signals | null; stderr: string }>;
} {
  const serials: number[] = [];
  let stdout = '';
  let stderr = '';
  let markFirst: () => void = () => undefined;
  const first = new Promise<void>((resolve) => {
    markFirst = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) serials.push(Number(line));
    if (serials.length > 0) markFirst();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ serials: number[]; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      child.on('close', (_code, signal) => {
        markFirst(); // a writer that died early must not hang the test
        resolve({ serials, signal, stderr });
      });
    },
  );
  return { first, done };
}
