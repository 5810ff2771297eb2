// `npm run bench`: outflow figures as ratios against a floor measured in the same run, plus peak memory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject } from './generate.mjs';
import { percentiles, watchLatencies } from './watch.mjs';

const here = import.meta.dirname;
const bin = join(here, '..', 'bin', 'outflow.js');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 7);
const hasTime = existsSync('/usr/bin/time');

/** Median wall time (s) and max peak RSS (MB) of a command over REPEAT runs. */
function measure(args, expectCode = 0) {
  const times = [];
  let rss = 0;
  for (let i = 0; i < REPEAT; i++) {
    const cmd = hasTime ? ['/usr/bin/time', ['-f', '%M', 'node', ...args]] : ['node', args];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== expectCode) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (hasTime) rss = Math.max(rss, Number(r.stderr.trim().split('\n').pop()) / 1024);
    times.push(t);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], rss };
}

// `npm run bench -- --scale`: only the scale bench (100M events under a 2GB memory limit;
// bench/scale.mjs, knobs BENCH_SCALE_ROWS, BENCH_SCALE_MEM). Long: not part of the default run.
if (process.argv.includes('--scale')) {
  const r = spawnSync('node', [join(here, 'scale.mjs')], { stdio: 'inherit', env: process.env });
  process.exit(r.status ?? 1);
}

const rows = [];
for (const n of [100, 500, 1000]) {
  const dir = mkdtempSync(join(tmpdir(), `outflow-bench-${n}-`));
  const count = generateProject(dir, n);
  const floor = measure([join(here, 'floor-validate.mjs'), dir]);
  const ours = measure([bin, '-C', dir, 'validate']);
  rows.push({
    case: `validate ${count} resources`,
    'outflow (s)': ours.median.toFixed(3),
    'floor node+yaml+ajv (s)': floor.median.toFixed(3),
    ratio: (ours.median / floor.median).toFixed(2),
    'peak RSS (MB)': hasTime ? ours.rss.toFixed(0) : 'n/a',
  });
  rmSync(dir, { recursive: true, force: true });
}
console.log(`outflow bench (median of ${REPEAT} runs; ratio = outflow / floor measured in this run)`);
console.table(rows);

// Watch: from a file write to the printed re-plan (target: p50 under 150 ms for 100 resources).
const WATCH_SAMPLES = Number(process.env.BENCH_WATCH_SAMPLES ?? 20);
const watchRows = [];
for (const n of [100, 1000]) {
  const dir = mkdtempSync(join(tmpdir(), `outflow-bench-watch-${n}-`));
  const count = generateProject(dir, n);
  const { p50, p90 } = percentiles(await watchLatencies(bin, dir, WATCH_SAMPLES));
  watchRows.push({
    case: `watch ${count} resources`,
    'p50 (ms)': p50.toFixed(0),
    'p90 (ms)': p90.toFixed(0),
  });
  rmSync(dir, { recursive: true, force: true });
}
console.log(`watch latency, file write → printed plan (${WATCH_SAMPLES} saves each)`);
console.table(watchRows);

// Ingest, exports and whole apply vs the DuckDB statements a user writes by hand, per stream-file
// format (bench/apply.mjs; BENCH_ROWS, BENCH_APPLY_REPEAT, BENCH_APPLY_FORMATS; BENCH_APPLY=0 skips).
if (process.env.BENCH_APPLY !== '0') {
  const r = spawnSync('node', [join(here, 'apply.mjs')], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exitCode = 1;
}

// Incremental cost: an incremental export after 1% new rows vs a full run (bench/incremental.mjs; BENCH_INCREMENTAL=0 skips).
if (process.env.BENCH_INCREMENTAL !== '0') {
  const r = spawnSync('node', [join(here, 'incremental.mjs')], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exitCode = 1;
}

// The older export bench compares with a COPY of outflow's own query (its floor shares our
// choices, ORDER BY included), so it is opt-in: BENCH_EXPORT=1 (bench/export.mjs).
if (process.env.BENCH_EXPORT === '1') {
  const r = spawnSync('node', [join(here, 'export.mjs')], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exitCode = 1;
}

// Uploads: outflow's destination modules vs the bare SDK, per store against its local server
// (bench/upload.mjs; BENCH_UPLOAD_MB, BENCH_UPLOAD_BIG_MB, BENCH_UPLOAD=0 skips).
if (process.env.BENCH_UPLOAD !== '0') {
  const r = spawnSync('node', [join(here, 'upload.mjs')], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exitCode = 1;
}

// Activations: a 1,000,000-member first sync to a local receiver vs a bare fetch loop sending the
// same batches (bench/activation.mjs; BENCH_MEMBERS, BENCH_ACT_REPEAT; BENCH_ACTIVATION=0 skips).
if (process.env.BENCH_ACTIVATION !== '0') {
  const r = spawnSync('node', [join(here, 'activation.mjs')], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exitCode = 1;
}
