// Scale bench (issue 13, goal 7; `npm run bench -- --scale`, not part of npm test): ingest and
// export BENCH_SCALE_ROWS events (default 100,000,000) under `engine.memoryLimit`
// BENCH_SCALE_MEM (default 2GB). Passes when both applies finish and each process's peak RSS is
// at most the limit plus 300 MB; DuckDB must spill to disk to do that. Reports rows/s, peak RSS
// and the disk DuckDB used for spilling (its temp folder, sampled every 0.25 s) besides the
// warehouse and output sizes.
//   1. data: BENCH_SCALE_FILES Parquet stream files (default: one per 10M rows), 7 columns as in
//      bench/apply.mjs, written by DuckDB from range() in a separate process (not timed);
//   2. ingest: `outflow apply` of a project with the events dataflow only;
//   3. export: `outflow apply` adding a full Parquet zstd export of every event and a full CSV
//      export of the `buy` and `refund` events (a filtered scan, a quarter of the rows).
// Knobs: BENCH_SCALE_ROWS, BENCH_SCALE_MEM, BENCH_SCALE_THREADS (2), BENCH_SCALE_FILES,
// BENCH_SCALE_DIR (work folder; default a temp folder, removed at the end unless BENCH_KEEP=1).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventsSelectSql, issueEventsFlow, writeBenchProject } from './events-flow.mjs';

const here = import.meta.dirname;
const bin = join(here, '..', 'bin', 'outflow.js');
const N = Number(process.env.BENCH_SCALE_ROWS ?? 100_000_000);
const MEM = process.env.BENCH_SCALE_MEM ?? '2GB';
const THREADS = Number(process.env.BENCH_SCALE_THREADS ?? 2);
const FILES = Number(process.env.BENCH_SCALE_FILES ?? Math.max(1, Math.ceil(N / 10_000_000)));
const NOW = '2026-11-20T12:00:00Z';
const hasTime = existsSync('/usr/bin/time');
const work = process.env.BENCH_SCALE_DIR ?? mkdtempSync(join(tmpdir(), 'outflow-bench-scale-'));
const project = join(work, 'project');
const MB = 1024 * 1024;

function bytesOf(value) {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(value.trim());
  if (m === null) throw new Error(`BENCH_SCALE_MEM: cannot read ${value}`);
  const unit = m[2].toUpperCase().replace('I', '');
  const pow = { KB: 1, MB: 2, GB: 3, TB: 4 }[unit.replace('IB', 'B')];
  // DuckDB reads GB as 1000^3 and GiB as 1024^3.
  return Number(m[1]) * (m[2].toLowerCase().includes('i') ? 1024 : 1000) ** pow;
}
const LIMIT = bytesOf(MEM);

function sizeOf(path) {
  let total = 0;
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  for (const e of readdirSync(path)) total += sizeOf(join(path, e));
  return total;
}

async function generate(dir) {
  mkdirSync(dir, { recursive: true });
  const users = Math.max(100, Math.floor(N / 100));
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`SET threads = ${THREADS}`);
  await c.run(`SET memory_limit = '${MEM}'`);
  const per = Math.ceil(N / FILES);
  for (let f = 0; f < FILES; f++) {
    const from = f * per;
    const to = Math.min(N, from + per);
    const file = join(dir, `events-${String(f).padStart(3, '0')}.parquet`);
    if (existsSync(file)) continue;
    await c.run(
      `COPY (${eventsSelectSql({ users, from, to, ordered: false })}) TO '${file}.part' (FORMAT parquet, COMPRESSION zstd)`,
    );
    // Complete files only: a run stopped half-way regenerates the file it was writing.
    renameSync(`${file}.part`, file);
  }
  c.closeSync();
  instance.closeSync();
}

const eventsFlow = issueEventsFlow('data/events/*.parquet');
const exports = [
  {
    kind: 'Export',
    name: 'all_parquet',
    type: 'dataOut',
    from: { dataflow: 'events' },
    destination: 'out',
    format: 'parquet',
    compression: 'zstd',
    mode: 'full',
    path: '{export}/{runId}/{export}-{index}.{ext}',
    schedule: { once: {} },
  },
  {
    kind: 'Export',
    name: 'buys_csv',
    type: 'dataOut',
    from: { dataflow: 'events', events: ['buy', 'refund'] },
    destination: 'out',
    format: 'csv',
    mode: 'full',
    path: '{export}/{runId}/{export}-{index}.{ext}',
    schedule: { once: {} },
  },
];

function writeProject(withExports) {
  writeBenchProject(project, 'bench_scale', { memoryLimit: MEM, threads: THREADS }, [
    eventsFlow,
    ...(withExports ? exports : []),
  ]);
}

/** Runs `outflow apply`, sampling DuckDB's temp folder; wall s, peak RSS and temp-disk peak. */
function apply() {
  const tempDir = join(project, '.outflow', 'warehouse.duckdb.tmp');
  const args = [bin, '-C', project, 'apply', '--auto-approve', '--now', NOW];
  const [cmd, argv] = hasTime ? ['/usr/bin/time', ['-f', '%M', 'node', ...args]] : ['node', args];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let tempPeak = 0;
    const timer = setInterval(() => {
      tempPeak = Math.max(tempPeak, sizeOf(tempDir));
    }, 250);
    const child = spawn(cmd, argv, { env: { ...process.env, NO_COLOR: '1', CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => {
      clearInterval(timer);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`outflow apply exited ${code}:\n${stdout}\n${stderr}`));
      const rss = hasTime ? Number(stderr.trim().split('\n').pop()) * 1024 : Number.NaN;
      resolve({ s, rss, tempPeak, stdout });
    });
  });
}

const row = (step, rows, r) => ({
  step,
  rows: rows.toLocaleString('en'),
  s: r.s.toFixed(1),
  'rows/s': Math.round(rows / r.s).toLocaleString('en'),
  'peak RSS MB': (r.rss / MB).toFixed(0),
  'limit + 300 MB': ((LIMIT + 300 * MB) / MB).toFixed(0),
  'RSS ok': r.rss <= LIMIT + 300 * MB ? 'yes' : 'NO',
  'DuckDB temp peak MB': (r.tempPeak / MB).toFixed(0),
});

const started = new Date().toISOString();
console.log(
  `scale bench: ${N.toLocaleString('en')} events in ${FILES} Parquet files, memoryLimit ${MEM}, threads ${THREADS}, work ${work}`,
);
const t0 = process.hrtime.bigint();
await generate(join(project, 'data', 'events'));
const inputMB = sizeOf(join(project, 'data', 'events')) / MB;
console.log(
  `data generated in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(0)} s: ${inputMB.toFixed(0)} MB of Parquet`,
);

rmSync(join(project, '.outflow'), { recursive: true, force: true });
rmSync(join(project, 'out'), { recursive: true, force: true });
writeProject(false);
const ingest = await apply();
const warehouseMB = sizeOf(join(project, '.outflow', 'warehouse.duckdb')) / MB;
writeProject(true);
const exported = await apply();
const outMB = sizeOf(join(project, 'out')) / MB;
console.log(`started ${started}, finished ${new Date().toISOString()}`);
console.table([row('ingest', N, ingest), row('exports (Parquet all + CSV buy/refund)', N, exported)]);
console.log(
  `warehouse ${warehouseMB.toFixed(0)} MB after ingest; exported files ${outMB.toFixed(0)} MB; input ${inputMB.toFixed(0)} MB`,
);
const ok = [ingest, exported].every((r) => !(r.rss > LIMIT + 300 * MB));
console.log(
  ok
    ? 'goal met: peak RSS within the memory limit + 300 MB'
    : 'goal NOT met: peak RSS above the limit + 300 MB',
);
if (!ok) process.exitCode = 1;
if (process.env.BENCH_KEEP !== '1' && process.env.BENCH_SCALE_DIR === undefined)
  rmSync(work, { recursive: true, force: true });
