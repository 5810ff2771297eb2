// Incremental cost (issue 13, goal 6): an incremental export run after 1% new rows against a full
// run of the same export, in process (the engine's ingest and export, as apply calls them), so
// the ratio is the export's own work and not node's start-up. Median of BENCH_REPEAT (3).
//   BENCH_ROWS (default 5,000,000), BENCH_INCREMENTAL_FORMATS (parquet,csv)
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const { openEngine, ingestFiles, writeExportSpec } = await import(join(root, 'dist/engine/index.js'));
const N = Number(process.env.BENCH_ROWS ?? 5_000_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const FORMATS = (process.env.BENCH_INCREMENTAL_FORMATS ?? 'parquet,csv').split(',');
const work = mkdtempSync(join(tmpdir(), 'outflow-bench-incremental-'));
for (const d of ['data', 'staging', 'rejects']) mkdirSync(join(work, d));
const engine = await openEngine({
  database: join(work, 'warehouse.duckdb'),
  allowedDirectories: ['data', 'staging', 'rejects'].map((d) => join(work, d)),
  memoryLimit: '2GB',
  threads: 2,
});
const rows = (from, count) =>
  `(SELECT i::BIGINT AS id, (hash(i) % 50000 + 1)::INTEGER AS userid, ['buy', 'visit', 'view'][(hash(i + 1) % 3 + 1)::INTEGER] AS event, TIMESTAMP '2026-11-20 12:00:00' - to_seconds((hash(i + 2) % 86400)::BIGINT) AS ts, (hash(i + 3) % 10000) / 100.0 AS price FROM range(${from}, ${from + count}) t(i))`;
const flow = {
  name: 'events',
  config: {
    kind: 'Dataflow',
    name: 'events',
    entity: 'event',
    source: { type: 'streamFile', path: 'data/*.parquet' },
    schema: {
      name: 'events',
      personIdentifier: 'userid',
      eventName: 'event',
      eventTime: 'ts',
      columns: [
        { name: 'id', type: 'bigint', mandatory: true },
        { name: 'userid', type: 'integer', mandatory: true },
        { name: 'event', type: 'string', mandatory: true },
        { name: 'ts', type: 'timestamp', mandatory: true },
        { name: 'price', type: 'double' },
      ],
    },
  },
};
const file = async (name, from, count) => {
  const path = join(work, 'data', name);
  await engine.run(`COPY ${rows(from, count)} TO '${path}' (FORMAT parquet)`);
  return { path, sha256: name };
};
const ingested = await ingestFiles(engine, flow, [await file('a.parquet', 0, N)], {
  firstSeq: 1,
  rejectDir: join(work, 'rejects'),
});
const extra = Math.floor(N / 100);
await ingestFiles(engine, flow, [await file('b.parquet', N, extra)], {
  firstSeq: ingested.lastSeq + 1,
  rejectDir: join(work, 'rejects'),
});
let run = 0;
const exportOnce = async (format, sinceSeq) => {
  const spec = {
    name: 'ev',
    source: { kind: 'dataflow', flow },
    config: {
      kind: 'Export',
      name: 'ev',
      type: 'dataOut',
      from: { dataflow: 'events' },
      destination: 'local',
      format,
      ...(format === 'parquet' ? { compression: 'zstd' } : {}),
      mode: sinceSeq === undefined ? 'full' : 'incremental',
    },
  };
  const stagingDir = join(work, 'staging', String(run++));
  const t0 = process.hrtime.bigint();
  const result = await writeExportSpec(engine, spec, {
    stagingDir,
    runId: 'r',
    now: new Date('2026-11-20T12:00:00Z'),
    timeZone: 'UTC',
    untilSeq: N + extra,
    ...(sinceSeq === undefined ? {} : { sinceSeq }),
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  rmSync(stagingDir, { recursive: true, force: true });
  return { s, rows: result.rows };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const table = [];
for (const format of FORMATS) {
  const full = [];
  const inc = [];
  for (let i = 0; i < REPEAT; i++) {
    full.push(await exportOnce(format));
    inc.push(await exportOnce(format, N));
  }
  table.push({
    format,
    'full rows': full[0].rows,
    'full s': median(full.map((r) => r.s)).toFixed(3),
    'incremental rows': inc[0].rows,
    'incremental s': median(inc.map((r) => r.s)).toFixed(3),
    'ratio (goal ≤ 0.05)': (median(inc.map((r) => r.s)) / median(full.map((r) => r.s))).toFixed(3),
  });
}
console.log(
  `incremental export after 1% new rows (${N.toLocaleString('en')} + ${extra.toLocaleString('en')}), in process, median of ${REPEAT}`,
);
console.table(table);
await engine.close();
rmSync(work, { recursive: true, force: true });
