// Incremental cost (issue 13, goal 6): an incremental export run after 1% new rows against a full
// run of the same export. Median of BENCH_REPEAT (3).
//   1. in process (the engine's ingest and export, as apply calls them): the export's own work,
//      without node's start-up;
//   2. as the user runs it (BENCH_INCREMENTAL_PROCESS=0 skips): whole `outflow run NAME`
//      processes on one project of BENCH_ROWS ingested events. Each repetition runs the full
//      export (`mode: full`, every row), then adds a stream file of 1% new rows and runs the
//      incremental export, which ingests that file and exports its rows.
//   BENCH_ROWS (default 5,000,000), BENCH_INCREMENTAL_FORMATS (parquet,csv)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

if (process.env.BENCH_INCREMENTAL_PROCESS !== '0') {
  const bin = join(root, 'bin', 'outflow.js');
  const NOW = '2026-11-20T12:00:00Z';
  const json = (o) => JSON.stringify(o, null, 1); // JSON is YAML
  const processTable = [];
  for (const format of FORMATS) {
    const dir = join(work, 'data', `project-${format}`); // inside a folder the bench's engine may write to
    mkdirSync(join(dir, 'flows'), { recursive: true });
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(
      join(dir, 'outflow.yaml'),
      json({
        kind: 'Project',
        name: 'bench_incremental',
        timezone: 'UTC',
        engine: { memoryLimit: '2GB', threads: 2 },
      }),
    );
    const exportOf = (name, mode) => ({
      kind: 'Export',
      name,
      type: 'dataOut',
      from: { dataflow: 'events' },
      destination: 'out',
      format,
      ...(format === 'parquet' ? { compression: 'zstd' } : {}),
      mode,
      path: '{export}/{runId}/{export}-{index}.{ext}',
      schedule: { cron: '0 3 * * *', timezone: 'UTC' },
    });
    const flows = (exports) =>
      writeFileSync(
        join(dir, 'flows', 'main.yaml'),
        [{ kind: 'Connection', name: 'out', type: 'local', root: 'out' }, flow.config, ...exports]
          .map(json)
          .join('\n---\n'),
      );
    const newFile = async (name, from, count) =>
      engine.run(`COPY ${rows(from, count)} TO '${join(dir, 'data', name)}' (FORMAT parquet)`);
    const outflow = (...args) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('node', [bin, '-C', dir, ...args, '--now', NOW], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', CI: '1' },
      });
      if (r.status !== 0)
        throw new Error(`outflow ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    // Set up (not timed): N events ingested, both exports applied; the incremental one's first
    // run exports everything, so later runs are incremental.
    await newFile('a.parquet', 0, N);
    flows([exportOf('ev_full', 'full'), exportOf('ev_inc', 'incremental')]);
    outflow('apply', '--auto-approve');
    const full = [];
    const inc = [];
    let next = N;
    for (let i = 0; i < REPEAT; i++) {
      full.push(outflow('run', 'ev_full'));
      await newFile(`n${i}.parquet`, next, extra);
      next += extra;
      inc.push(outflow('run', 'ev_inc'));
      rmSync(join(dir, 'out'), { recursive: true, force: true });
    }
    processTable.push({
      format,
      'full run s (process)': median(full).toFixed(3),
      'incremental run s (process, ingests the 1%)': median(inc).toFixed(3),
      'ratio (goal ≤ 0.05)': (median(inc) / median(full)).toFixed(3),
    });
  }
  console.log(
    `the same as whole \`outflow run NAME\` processes: full export of ${N.toLocaleString('en')}+ rows vs ingest + incremental export of ${extra.toLocaleString('en')} new rows, median of ${REPEAT}`,
  );
  console.table(processTable);
}
await engine.close();
rmSync(work, { recursive: true, force: true });
