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

/** One run of `node ARGS`: wall time (s) and peak RSS (MB). */
function once(args, env = {}, expectCode = 0) {
  const cmd = hasTime ? ['/usr/bin/time', ['-f', '%M', 'node', ...args]] : ['node', args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== expectCode) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { s, rss: hasTime ? Number(r.stderr.trim().split('\n').pop()) / 1024 : Number.NaN };
}

/** Runs the cases in turn REPEAT times (alternating, so load hits them alike): median s, max RSS. */
function alternate(cases) {
  const runs = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < REPEAT; i++)
    for (const [k, c] of Object.entries(cases)) runs[k].push(once(c.args, c.env));
  return Object.fromEntries(
    Object.entries(runs).map(([k, rs]) => {
      const times = rs.map((r) => r.s).sort((a, b) => a - b);
      return [k, { median: times[Math.floor(times.length / 2)], rss: Math.max(...rs.map((r) => r.rss)) }];
    }),
  );
}

// `npm run bench -- --scale`: only the scale bench (100M events under a 2GB memory limit;
// bench/scale.mjs, knobs BENCH_SCALE_ROWS, BENCH_SCALE_MEM). Long: not part of the default run.
if (process.argv.includes('--scale')) {
  const r = spawnSync('node', [join(here, 'scale.mjs')], { stdio: 'inherit', env: process.env });
  process.exit(r.status ?? 1);
}

// `npm run bench -- --remote`: only the remote-state bench (bench/remote.mjs: a second run on a fresh
// runner after 5M events, state and warehouse segments on azurite; BENCH_REMOTE_EVENTS,
// BENCH_REMOTE_REPEAT). In the default run too, last; BENCH_REMOTE=0 skips it there.
if (process.argv.includes('--remote')) {
  const r = spawnSync('node', [join(here, 'remote.mjs')], { stdio: 'inherit', env: process.env });
  process.exit(r.status ?? 1);
}

// validate: with a warm user cache (a temp OUTFLOW_CACHE_DIR filled by one untimed run: the usual
// case, a config that did not change since the last command) and without (OUTFLOW_CACHE_DIR=off:
// a first run, or a fresh CI machine), against node + yaml + ajv over the same files.
const rows = [];
const cacheDir = mkdtempSync(join(tmpdir(), 'outflow-bench-cache-'));
for (const n of [100, 500, 1000]) {
  const dir = mkdtempSync(join(tmpdir(), `outflow-bench-${n}-`));
  const count = generateProject(dir, n);
  once([bin, '-C', dir, 'validate'], { OUTFLOW_CACHE_DIR: cacheDir });
  const r = alternate({
    floor: { args: [join(here, 'floor-validate.mjs'), dir] },
    ours: { args: [bin, '-C', dir, 'validate'], env: { OUTFLOW_CACHE_DIR: cacheDir } },
    cold: { args: [bin, '-C', dir, 'validate'], env: { OUTFLOW_CACHE_DIR: 'off' } },
  });
  rows.push({
    case: `validate ${count} resources`,
    'outflow (s)': r.ours.median.toFixed(3),
    'outflow, no cache (s)': r.cold.median.toFixed(3),
    'floor node+yaml+ajv (s)': r.floor.median.toFixed(3),
    ratio: (r.ours.median / r.floor.median).toFixed(2),
    'ratio, no cache': (r.cold.median / r.floor.median).toFixed(2),
    'peak RSS (MB)': hasTime ? r.ours.rss.toFixed(0) : 'n/a',
  });
  rmSync(dir, { recursive: true, force: true });
}
rmSync(cacheDir, { recursive: true, force: true });
console.log(
  `outflow bench (median of ${REPEAT} alternating runs; ratio = outflow / floor measured in this run; goal: validate of 1,000 resources under 0.35 s)`,
);
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

// Remote state: a second `outflow run` after 5M events on the warm machine, on a fresh runner with
// .outflow/ restored from a cache, and on a fresh runner without it: time, bytes up/down through a
// counting proxy, peak RSS (bench/remote.mjs; BENCH_REMOTE_EVENTS, BENCH_REMOTE_REPEAT; BENCH_REMOTE=0 skips).
if (process.env.BENCH_REMOTE !== '0') {
  const r = spawnSync('node', [join(here, 'remote.mjs')], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exitCode = 1;
}
