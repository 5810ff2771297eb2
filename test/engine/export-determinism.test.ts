import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Engine,
  type ExportSpec,
  ingestFiles,
  openEngine,
  writeExportSpec,
} from '../../src/engine/index.js';
import type { Export } from '../../src/schema/index.js';
import { dataflow, fileRef, sha256 } from './data-support.js';

// Spec invariant 8: the same inputs and `--now` give byte-identical files, whatever the number of
// threads DuckDB runs the export with. Exports of dataflows scan the table in its stored (_seq)
// order without a sort, so this also pins that the stored order survives parallel scans.

const N = 300_000;
const NOW = new Date('2026-11-20T12:00:00.000Z');
const events = dataflow(
  'events',
  [
    { name: 'id', type: 'bigint', mandatory: true },
    { name: 'userid', type: 'integer', mandatory: true },
    { name: 'event', type: 'string', mandatory: true },
    { name: 'ts', type: 'timestamp', mandatory: true },
    { name: 'price', type: 'decimal(12,2)' },
    { name: 'score', type: 'double' },
  ],
  { entity: 'event', schema: { personIdentifier: 'userid', eventName: 'event', eventTime: 'ts' } },
);
const users = dataflow(
  'users',
  [
    { name: 'userid', type: 'integer', mandatory: true },
    { name: 'email', type: 'string' },
  ],
  { schema: { personIdentifier: 'userid' } },
);

let root: string;
let database: string;
let dirs: string[];

async function engineWith(threads: number): Promise<Engine> {
  return openEngine({ database, allowedDirectories: dirs, threads, memoryLimit: '1GB' });
}

beforeAll(async () => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'outflow-determinism-')));
  dirs = ['data', 'staging', 'rejects'].map((d) => path.join(root, d));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  database = path.join(root, 'warehouse.duckdb');
  const engine = await engineWith(2);
  const data = dirs[0]!;
  // Several row groups in the file and the table, so scans and writers run in parallel.
  await engine.run(`COPY (
    SELECT i::BIGINT AS id, (hash(i) % 2000 + 1)::INTEGER AS userid,
           ['buy', 'visit', 'view'][(hash(i + 1) % 3 + 1)::INTEGER] AS event,
           TIMESTAMP '2026-11-20 12:00:00' - to_seconds((hash(i + 2) % (60 * 86400))::BIGINT) AS ts,
           ((hash(i + 3) % 100000) / 100)::DECIMAL(12,2) AS price,
           (hash(i + 4) % 1000000) / 7.0 AS score
    FROM range(${N}) t(i)) TO '${data}/events.parquet' (FORMAT parquet, ROW_GROUP_SIZE 30000)`);
  await engine.run(
    `COPY (SELECT i::INTEGER AS userid, 'u' || i || '@example.com' AS email FROM range(1, 2001) t(i)) TO '${data}/users.csv' (FORMAT csv, HEADER)`,
  );
  await ingestFiles(engine, events, [fileRef(`${data}/events.parquet`)], {
    firstSeq: 1,
    rejectDir: dirs[2]!,
  });
  await ingestFiles(engine, users, [fileRef(`${data}/users.csv`)], { firstSeq: 1, rejectDir: dirs[2]! });
  await engine.close();
}, 120_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const audience = {
  kind: 'Audience' as const,
  name: 'buyers',
  people: 'users',
  events: 'events',
  conditions: [
    { did: 'buy', within: '30d' },
    { have: { aggregate: 'sum', of: 'score', event: 'buy', within: '60d', op: '>', value: 1000 } },
  ],
} as never;

function spec(config: Partial<Export>, fromAudience = false): ExportSpec {
  return {
    name: 'out',
    source: fromAudience
      ? { kind: 'audience', name: 'buyers', audience, people: users, events }
      : { kind: 'dataflow', flow: events },
    config: {
      kind: 'Export',
      name: 'out',
      type: fromAudience ? 'segment' : 'dataOut',
      from: fromAudience ? { audience: 'buyers' } : { dataflow: 'events' },
      ...(fromAudience ? { fields: ['userid', 'email'] } : {}),
      destination: 'local',
      format: 'csv',
      mode: 'full',
      ...config,
    },
  };
}

async function exportWith(threads: number, s: ExportSpec, run: string) {
  const engine = await engineWith(threads);
  try {
    const stagingDir = path.join(dirs[1]!, run);
    const result = await writeExportSpec(engine, s, {
      stagingDir,
      runId: 'r1',
      now: NOW,
      timeZone: 'UTC',
      untilSeq: N,
    });
    return {
      result,
      hashes: result.files.map((f) => [f.name, sha256(path.join(stagingDir, f.name))]),
      text: (name: string) => readFileSync(path.join(stagingDir, name), 'utf8'),
    };
  } finally {
    await engine.close();
  }
}

describe('export determinism across thread counts', () => {
  const cases: [string, Partial<Export>, boolean][] = [
    ['parquet zstd', { format: 'parquet', compression: 'zstd' }, false],
    ['csv', { format: 'csv' }, false],
    ['ndjson', { format: 'ndjson' }, false],
    ['audience parquet', { format: 'parquet', compression: 'zstd' }, true],
  ];
  for (const [label, config, fromAudience] of cases) {
    it(`writes byte-identical ${label} files with 1 and 4 threads`, async () => {
      const one = await exportWith(1, spec(config, fromAudience), `${label}-1`);
      const four = await exportWith(4, spec(config, fromAudience), `${label}-4`);
      expect(one.result.rows).toBeGreaterThan(fromAudience ? 10 : N - 1);
      expect(four.hashes).toEqual(one.hashes);
      if (!fromAudience) expect(one.result.seqTo).toBe(N);
      if (label === 'csv') {
        // In _seq order (ingested in file order, so id order) without an ORDER BY.
        const ids = one
          .text(one.result.files[0]!.name)
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((line) => Number(line.split(',')[0]));
        expect(ids.every((id, i) => id === i)).toBe(true);
      }
    }, 120_000);
  }
});
