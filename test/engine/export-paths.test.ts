import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExportSpec, ingestFiles, writeExportSpec } from '../../src/engine/index.js';
import type { Export } from '../../src/schema/index.js';
import { dataflow, fileRef, type Sandbox, sandbox } from './data-support.js';

// Event names from the data, each of which once steered (or broke) an export path. NUL is left
// to the pure test (test/model/path-template.test.ts): JSON readers stop at it.
const HOSTILE = ['..', '.', '', 'x'.repeat(300), 'tab\there\u0001\u001f', 'CON', 'a/b', '../x', 'buy'];
const TEMPLATES = [
  '{event}/{export}-{runId}-{index}.{ext}',
  '{export}/{runId}/{event}/{index}.{ext}',
  '{export}/{runId}/{export}-{event}-{date:yyyyMMdd}-{index}.{ext}',
  '{export}/exportTime={exportTime:yyyyMMddHHmm}/{event}-{index}.{ext}',
  '{export}/{runId}-{exportTime:yyyyMMddHHmm}-{event}-{date:yyyyMMdd}-{index}-db1.{ext}',
];

const flow = dataflow(
  'events',
  [
    { name: 'userid', type: 'bigint', mandatory: true },
    { name: 'event', type: 'string' },
    { name: 'ts', type: 'timestamp', mandatory: true },
  ],
  { entity: 'event', schema: { personIdentifier: 'userid', eventName: 'event', eventTime: 'ts' } },
);
let box: Sandbox;
let run = 0;

beforeAll(async () => {
  box = await sandbox();
  const lines = HOSTILE.flatMap((event, i) => [
    JSON.stringify({ userid: i + 1, event, ts: '2026-11-20T10:00:00Z' }),
    JSON.stringify({ userid: i + 100, event, ts: '2026-11-20T11:00:00Z' }),
  ]);
  const file = box.write('events/a.ndjson', `${lines.join('\n')}\n`);
  await ingestFiles(box.engine, flow, [fileRef(file)], { firstSeq: 1, rejectDir: box.rejects });
});
afterAll(async () => {
  await box.close();
});

function spec(config: Partial<Export>): ExportSpec {
  return {
    name: 'ev',
    source: { kind: 'dataflow', flow },
    config: {
      kind: 'Export',
      name: 'ev',
      type: 'dataOut',
      from: { dataflow: 'events' },
      destination: 'local',
      format: 'csv',
      mode: 'incremental',
      ...config,
    },
  };
}

async function write(
  config: Partial<Export>,
  options: { now?: Date; timeZone?: string; sinceSeq?: number } = {},
) {
  const stagingDir = path.join(box.staging, `run-${run++}`);
  const result = await writeExportSpec(box.engine, spec(config), {
    stagingDir,
    runId: '20261120T233000Z-1a2b3c4d',
    now: options.now ?? new Date('2026-11-20T12:00:00Z'),
    timeZone: options.timeZone ?? 'UTC',
    ...(options.sinceSeq === undefined ? {} : { sinceSeq: options.sinceSeq }),
  });
  return { ...result, stagingDir };
}

describe('event names from the data cannot steer an export path', () => {
  it.each(TEMPLATES)('%s: every file is inside the run folder, one series per event', async (template) => {
    const out = await write({ splitBy: 'event', path: template, chunk: { maxRows: 1 } });
    expect(out.rows).toBe(HOSTILE.length * 2);
    // One series per distinct event name (two chunks each), all distinct.
    expect(new Set(out.files.map((f) => f.event)).size).toBe(HOSTILE.length);
    expect(new Set(out.files.map((f) => f.name)).size).toBe(out.files.length);
    const runDir = path.join(out.stagingDir, out.directory);
    for (const f of out.files) {
      const abs = path.join(out.stagingDir, f.name);
      expect(existsSync(abs), f.name).toBe(true);
      expect(
        realpathSync(abs).startsWith(`${realpathSync(runDir)}${path.sep}`),
        `${f.name} in ${runDir}`,
      ).toBe(true);
      for (const segment of f.name.split('/')) {
        expect(['', '.', '..']).not.toContain(segment);
        expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
      }
      // The manifest keeps the real event name.
      expect(HOSTILE).toContain(f.event);
    }
  });

  it('the same data gives the same names on a re-run', async () => {
    const config = { splitBy: 'event', path: TEMPLATES[1]! } as const;
    const a = await write(config);
    const b = await write(config);
    expect(b.files.map((f) => [f.name, f.sha256])).toEqual(a.files.map((f) => [f.name, f.sha256]));
  });
});

describe('date tokens and the run folder', () => {
  const path_ = '{export}/exportTime={exportTime:yyyyMMddHHmm}/{export}-{date:yyyyMMdd}-{index}.{ext}';

  it('renders {date} and {exportTime} in the time zone given: 23:30 UTC is the next day in Paris', async () => {
    const now = new Date('2026-11-20T23:30:00Z');
    const paris = await write({ path: path_ }, { now, timeZone: 'Europe/Paris' });
    expect(paris.files.map((f) => f.name)).toEqual(['ev/exportTime=202611210030/ev-20261121-00001.csv']);
    expect(paris.directory).toBe('ev/exportTime=202611210030');
    const utc = await write({ path: path_ }, { now, timeZone: 'UTC' });
    expect(utc.files.map((f) => f.name)).toEqual(['ev/exportTime=202611202330/ev-20261120-00001.csv']);
  });

  it('an empty run still has its folder from the template', async () => {
    const empty = await write({ path: path_ }, { sinceSeq: 1_000_000, timeZone: 'Europe/Paris' });
    expect(empty.files).toEqual([]);
    expect(empty.directory).toBe('ev/exportTime=202611201300');
  });

  it('the run folder is where every file of the run is', async () => {
    const out = await write({ splitBy: 'event', path: '{export}/{runId}/{event}/{index}.{ext}' });
    expect(out.directory).toBe('ev/20261120T233000Z-1a2b3c4d');
    for (const f of out.files) expect(f.name.startsWith(`${out.directory}/`)).toBe(true);
    expect(readFileSync(path.join(out.stagingDir, out.files[0]!.name), 'utf8')).toMatch(/^userid,event,ts\n/);
  });
});
