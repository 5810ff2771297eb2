// One export per apply against one hand-written COPY (issue 13's "export <format>, alone" rows):
// on a warehouse ingested once from the issue's events (bench/events-flow.mjs) in Parquet, each
// repetition runs `outflow apply` adding one export of the format (to a local folder; the earlier
// ones stay, with nothing to do) and bench/apply-floor.mjs's
// `COPY (SELECT <declared columns> FROM ds_events) TO …` on the same warehouse, rotating who goes first. Whole processes, wall clock, peak RSS (/usr/bin/time -f %M);
// medians, and the ratio of each pair. The published files are removed after each run (untimed).
// Knobs: BENCH_ROWS (5,000,000), BENCH_ALONE_REPEAT (3), BENCH_ALONE_FORMATS (csv,ndjson; parquet
// is zstd), BENCH_APPLY_MEM (2GB), BENCH_APPLY_THREADS (2), BENCH_KEEP=1, and
// BENCH_ALONE_BINS=name=path/to/bin/outflow.js,… to time several builds side by side (an A/B of a
// change: copy bin/, dist/, schemas/ and package.json of the old build elsewhere and link
// node_modules); default: this checkout's bin/outflow.js.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventsSelectSql, issueEventsFlow, writeBenchExports, writeBenchProject } from './events-flow.mjs';

const here = import.meta.dirname;
const N = Number(process.env.BENCH_ROWS ?? 5_000_000);
const REPEAT = Number(process.env.BENCH_ALONE_REPEAT ?? 3);
const FORMATS = (process.env.BENCH_ALONE_FORMATS ?? 'csv,ndjson').split(',').map((f) => f.trim());
const MEM = process.env.BENCH_APPLY_MEM ?? '2GB';
const THREADS = Number(process.env.BENCH_APPLY_THREADS ?? 2);
const BINS = (process.env.BENCH_ALONE_BINS ?? `outflow=${join(here, '..', 'bin', 'outflow.js')}`)
  .split(',')
  .map((b) => b.split('='))
  .map(([name, path]) => ({ name, path }));
const NOW = '2026-11-20T12:00:00Z';
const work = mkdtempSync(join(tmpdir(), 'outflow-bench-alone-'));
const flow = issueEventsFlow('data/events/*.parquet');
const FLOOR_OPTIONS = {
  parquet: 'FORMAT parquet, COMPRESSION zstd',
  csv: 'FORMAT csv, HEADER',
  ndjson: 'FORMAT json',
};

/** Wall time (s) and peak RSS (MB) of `node ARGS`. */
function measure(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'node', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { s, rss: Number(r.stderr.trim().split('\n').pop()) / 1024, stdout: r.stdout };
}

const dir = join(work, 'project');
const setExports = (exports) => writeBenchExports(dir, exports);
const apply = (bin) => measure([bin, '-C', dir, 'apply', '--auto-approve', '--now', NOW]);

// The events in Parquet, and the project ingesting them (once, untimed, with the first build).
mkdirSync(join(dir, 'flows'), { recursive: true });
mkdirSync(join(dir, 'data', 'events'), { recursive: true });
const instance = await DuckDBInstance.create(':memory:');
const c = await instance.connect();
await c.run(`SET threads = ${THREADS}`);
await c.run(
  `COPY (${eventsSelectSql({ users: Math.max(100, Math.floor(N / 100)), to: N })}) TO '${dir}/data/events/events.parquet' (FORMAT parquet, COMPRESSION zstd)`,
);
c.closeSync();
instance.closeSync();
writeBenchProject(dir, 'bench_alone', { memoryLimit: MEM, threads: THREADS }, [flow]);
setExports([]);
apply(BINS[0].path);
const warehouse = join(dir, '.outflow', 'warehouse.duckdb');
const columns = flow.schema.columns.map((col) => `"${col.name}"`).join(', ');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const load = () => loadavg()[0].toFixed(2);

console.log(
  `export alone: ${N.toLocaleString('en')} events, memoryLimit ${MEM}, threads ${THREADS}, ${REPEAT} rotations; builds: ${BINS.map((b) => b.name).join(', ')}`,
);
let runs = 0;
const exported = [];
const table = [];
for (const format of FORMATS) {
  const times = Object.fromEntries([...BINS.map((b) => b.name), 'floor'].map((k) => [k, []]));
  const loads = [];
  for (let i = 0; i < REPEAT; i++) {
    const jobs = [
      ...BINS.map((b) => () => {
        // Earlier exports stay (runs done, nothing to do): the apply only adds this one.
        exported.push({
          kind: 'Export',
          name: `x_${format}_${runs++}`,
          type: 'dataOut',
          from: { dataflow: 'events' },
          destination: 'out',
          format,
          ...(format === 'parquet' ? { compression: 'zstd' } : {}),
          mode: 'full',
          path: '{export}/{runId}/{export}-{index}.{ext}',
          schedule: { once: {} },
        });
        setExports(exported);
        const r = apply(b.path);
        rmSync(join(dir, 'out'), { recursive: true, force: true });
        return [b.name, r];
      }),
      () => {
        const job = join(work, 'floor.json');
        const out = `floor.${format}`;
        writeFileSync(
          job,
          JSON.stringify({
            step: 'exports',
            database: warehouse,
            outDir: work,
            memoryLimit: MEM,
            threads: THREADS,
            exports: [
              { name: out, from: `(SELECT ${columns} FROM ds_events)`, options: FLOOR_OPTIONS[format] },
            ],
          }),
        );
        const r = measure([join(here, 'apply-floor.mjs'), job]);
        rmSync(join(work, out), { force: true });
        return ['floor', { ...r, copyS: JSON.parse(r.stdout.trim().split('\n').pop()).exportS }];
      },
    ];
    const shift = i % jobs.length;
    const order = [...jobs.slice(shift), ...jobs.slice(0, shift)];
    const before = load();
    const line = [];
    for (const job of order) {
      const [name, r] = job();
      times[name].push(r);
      line.push(`${name} ${fmt(r.s)}`);
    }
    loads.push(before, load());
    console.log(`  ${format} #${i + 1} (load ${before} → ${load()}): ${line.join(', ')} s`);
  }
  const floor = times.floor;
  for (const b of BINS) {
    const ours = times[b.name];
    const pairs = ours.map((r, i) => r.s / floor[i].s);
    table.push({
      format,
      build: b.name,
      'outflow s': fmt(median(ours.map((r) => r.s))),
      'floor s': fmt(median(floor.map((r) => r.s))),
      'floor COPY s': fmt(median(floor.map((r) => r.copyS))),
      ratio: fmt(median(ours.map((r) => r.s)) / median(floor.map((r) => r.s))),
      pairs: `${fmt(Math.min(...pairs))}–${fmt(Math.max(...pairs))}`,
      'RSS MB ours / floor': `${fmt(Math.max(...ours.map((r) => r.rss)), 0)} / ${fmt(Math.max(...floor.map((r) => r.rss)), 0)}`,
      load: `${Math.min(...loads.map(Number)).toFixed(1)}–${Math.max(...loads.map(Number)).toFixed(1)}`,
    });
  }
}
console.table(table);
if (process.env.BENCH_KEEP === '1') console.log(`kept ${work}: ${readdirSync(work).join(' ')}`);
else rmSync(work, { recursive: true, force: true });
