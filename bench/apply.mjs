// Apply bench (issue 13): outflow against the DuckDB statements a competent user writes by hand
// for the same result, per stream-file format, in the same run, alternating who goes first;
// medians of BENCH_APPLY_REPEAT runs. Every time is a whole process (node start-up, DuckDB open,
// the work, exit), wall clock, with its peak RSS (/usr/bin/time -f %M).
//   ingest   outflow apply of a project with the events dataflow only
//            vs `CREATE TABLE events AS SELECT <casts> FROM read_<format>(file)` (bench/apply-floor.mjs)
//   exports  outflow apply adding two exports (Parquet zstd, CSV) to that ingested project
//            vs `COPY events TO … (FORMAT parquet, COMPRESSION zstd)` + `COPY events TO … (FORMAT csv, HEADER)`
//   whole    outflow apply of a fresh project with the dataflow and both exports
//            vs the three statements as one script
//   extra exports (NDJSON, an audience to Parquet) on the ingested project vs a hand-written COPY
//            of the same columns (`SELECT <declared columns> FROM ds_events`, and a hand-written
//            audience query), on the same warehouse
// Knobs: BENCH_ROWS (default 5,000,000), BENCH_APPLY_REPEAT (3), BENCH_APPLY_FORMATS
// (parquet,csv,ndjson), BENCH_APPLY_MEM (engine.memoryLimit, 2GB), BENCH_APPLY_THREADS (2),
// BENCH_KEEP=1 (keep the temp folder).
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventsSelectSql, issueEventsFlow, writeBenchExports, writeBenchProject } from './events-flow.mjs';

const here = import.meta.dirname;
const bin = join(here, '..', 'bin', 'outflow.js');
const N = Number(process.env.BENCH_ROWS ?? 5_000_000);
const REPEAT = Number(process.env.BENCH_APPLY_REPEAT ?? 3);
const FORMATS = (process.env.BENCH_APPLY_FORMATS ?? 'parquet,csv,ndjson').split(',').map((f) => f.trim());
const MEM = process.env.BENCH_APPLY_MEM ?? '2GB';
const THREADS = Number(process.env.BENCH_APPLY_THREADS ?? 2);
const NOW = '2026-11-20T12:00:00Z';
const hasTime = existsSync('/usr/bin/time');
const work = mkdtempSync(join(tmpdir(), 'outflow-bench-apply-'));

/** 7 columns: bigint id, integer user, event name, timestamp, category, double price, email. */
async function generate(dir) {
  const users = Math.max(100, Math.floor(N / 100));
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`SET threads = ${THREADS}`);
  await c.run(`CREATE TABLE e AS ${eventsSelectSql({ users, to: N })}`);
  await c.run(`COPY e TO '${dir}/events.parquet' (FORMAT parquet, COMPRESSION zstd)`);
  if (FORMATS.includes('csv')) await c.run(`COPY e TO '${dir}/events.csv' (FORMAT csv, HEADER)`);
  if (FORMATS.includes('ndjson')) await c.run(`COPY e TO '${dir}/events.ndjson' (FORMAT json)`);
  await c.run(
    `COPY (SELECT i::INTEGER AS id, 'user' || i || '@example.com' AS email FROM range(1, ${users + 1}) t(i)) TO '${dir}/users.parquet' (FORMAT parquet)`,
  );
  c.closeSync();
  instance.closeSync();
}

const eventsFlow = (format) => issueEventsFlow(`data/events/*.${format}`);
const usersFlow = {
  kind: 'Dataflow',
  name: 'users',
  entity: 'user',
  source: { type: 'streamFile', path: 'data/users/*.parquet' },
  schema: {
    name: 'users',
    personIdentifier: 'userid',
    columns: [
      { name: 'userid', type: 'integer', from: 'id', mandatory: true },
      { name: 'email', type: 'string' },
    ],
  },
  writeMode: 'upsert',
};
const audience = {
  kind: 'Audience',
  name: 'buyers',
  people: 'users',
  events: 'events',
  conditions: [
    { did: 'buy', within: '30d' },
    { have: { aggregate: 'sum', of: 'price', event: 'buy', within: '90d', op: '>', value: 300 } },
  ],
};
const dataOut = (name, format, compression) => ({
  kind: 'Export',
  name,
  type: 'dataOut',
  from: { dataflow: 'events' },
  destination: 'out',
  format,
  ...(compression === undefined ? {} : { compression }),
  mode: 'full',
  path: '{export}/{runId}/{export}-{index}.{ext}',
  schedule: { once: {} },
});
const MAIN_EXPORTS = [dataOut('ev_parquet', 'parquet', 'zstd'), dataOut('ev_csv', 'csv')];
const FLOOR_EXPORTS = [
  { name: 'e.parquet', options: 'FORMAT parquet, COMPRESSION zstd' },
  { name: 'e.csv', options: 'FORMAT csv, HEADER' },
];

function project(dir, format, { exports = [], extra = [] } = {}) {
  mkdirSync(join(dir, 'data', 'events'), { recursive: true });
  writeBenchProject(dir, 'bench_apply', { memoryLimit: MEM, threads: THREADS }, [
    eventsFlow(format),
    ...extra,
  ]);
  linkSync(join(work, `events.${format}`), join(dir, 'data', 'events', `events.${format}`));
  writeBenchExports(dir, exports);
}

/** Wall time (s), peak RSS (MB) and stdout of `node ARGS`. */
function measure(args) {
  const cmd = hasTime ? ['/usr/bin/time', ['-f', '%M', 'node', ...args]] : ['node', args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd[1], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  const rss = hasTime ? Number(r.stderr.trim().split('\n').pop()) / 1024 : Number.NaN;
  return { s, rss, stdout: r.stdout };
}

const apply = (dir, now = NOW) => measure([bin, '-C', dir, 'apply', '--auto-approve', '--now', now]);
let jobs = 0;
function floor(job) {
  const file = join(work, `job-${jobs++}.json`);
  writeFileSync(file, JSON.stringify({ memoryLimit: MEM, threads: THREADS, ...job }));
  const r = measure([join(here, 'apply-floor.mjs'), file]);
  return { ...r, inProcess: JSON.parse(r.stdout.trim().split('\n').pop()) };
}

const fresh = (name) => {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** One repetition of the three steps on both sides for one format; `floorFirst` alternates the order. */
function repetition(format, floorFirst) {
  const ours = () => {
    const dir = fresh(`ours-${format}`);
    project(dir, format);
    const ingest = apply(dir);
    writeBenchExports(dir, MAIN_EXPORTS);
    const exports = apply(dir);
    const whole = fresh(`ours-whole-${format}`);
    project(whole, format, { exports: MAIN_EXPORTS });
    return { ingest, exports, whole: apply(whole) };
  };
  const hand = () => {
    const dir = fresh(`floor-${format}`);
    const base = { format, file: join(work, `events.${format}`), outDir: dir, exports: FLOOR_EXPORTS };
    const ingest = floor({ ...base, step: 'ingest', database: join(dir, 'f.duckdb') });
    const exports = floor({ ...base, step: 'exports', database: join(dir, 'f.duckdb') });
    const whole = floor({ ...base, step: 'whole', database: join(dir, 'whole.duckdb') });
    return { ingest, exports, whole };
  };
  if (floorFirst) {
    const f = hand();
    return { ours: ours(), floor: f };
  }
  const o = ours();
  return { ours: o, floor: hand() };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

console.log(
  `apply bench: ${N.toLocaleString('en')} events, engine memoryLimit ${MEM}, threads ${THREADS}, median of ${REPEAT} (alternating)`,
);
const t0 = process.hrtime.bigint();
await generate(work);
console.log(`data generated in ${fmt(Number(process.hrtime.bigint() - t0) / 1e9, 1)} s in ${work}`);

const table = [];
const goals = { ingest: 1.3, exports: 1.2, whole: 1.25 };
for (const format of FORMATS) {
  const runs = [];
  for (let i = 0; i < REPEAT; i++) {
    runs.push(repetition(format, i % 2 === 1));
    const last = runs.at(-1);
    console.log(
      `  ${format} #${i + 1}: ingest ${fmt(last.ours.ingest.s)} / ${fmt(last.floor.ingest.s)} s, exports ${fmt(last.ours.exports.s)} / ${fmt(last.floor.exports.s)} s, whole ${fmt(last.ours.whole.s)} / ${fmt(last.floor.whole.s)} s (outflow / floor)`,
    );
  }
  for (const step of ['ingest', 'exports', 'whole']) {
    const ours = median(runs.map((r) => r.ours[step].s));
    const hand = median(runs.map((r) => r.floor[step].s));
    const key = step === 'exports' ? 'exportS' : step === 'ingest' ? 'ingestS' : undefined;
    table.push({
      format,
      step,
      'outflow s': fmt(ours),
      'floor s': fmt(hand),
      'floor statements s':
        key === undefined ? '' : fmt(median(runs.map((r) => r.floor[step].inProcess[key]))),
      ratio: fmt(ours / hand),
      goal: `≤ ${goals[step]}`,
      'outflow RSS MB': fmt(Math.max(...runs.map((r) => r.ours[step].rss)), 0),
      'floor RSS MB': fmt(Math.max(...runs.map((r) => r.floor[step].rss)), 0),
    });
  }
}
console.table(table);

// Extra exports on the ingested Parquet project: NDJSON and an audience, each against a
// hand-written COPY on the same warehouse (outflow closed it first).
if (process.env.BENCH_APPLY_EXTRA !== '0') {
  const dir = fresh('extra');
  project(dir, FORMATS[0], { extra: [usersFlow, audience] });
  mkdirSync(join(dir, 'data', 'users'), { recursive: true });
  linkSync(join(work, 'users.parquet'), join(dir, 'data', 'users', 'users.parquet'));
  apply(dir);
  const warehouse = join(dir, '.outflow', 'warehouse.duckdb');
  const columns = eventsFlow('x')
    .schema.columns.map((c) => `"${c.name}"`)
    .join(', ');
  const audienceSql = `SELECT u.userid, u.email FROM ds_users u JOIN (SELECT userid FROM ds_events WHERE ts > TIMESTAMP '2026-11-20 12:00:00' - INTERVAL 90 DAY AND ts <= TIMESTAMP '2026-11-20 12:00:00' GROUP BY userid HAVING count(*) FILTER (WHERE event = 'buy' AND ts > TIMESTAMP '2026-11-20 12:00:00' - INTERVAL 30 DAY) > 0 AND sum(price) FILTER (WHERE event = 'buy') > 300) m USING (userid) ORDER BY u.userid`;
  const cases = [
    {
      label: 'NDJSON',
      config: (n) => dataOut(n, 'ndjson'),
      floor: { from: `(SELECT ${columns} FROM ds_events)`, options: 'FORMAT json' },
    },
    {
      label: 'audience → Parquet zstd',
      config: (n) => ({
        kind: 'Export',
        name: n,
        type: 'segment',
        from: { audience: 'buyers' },
        fields: ['userid', 'email'],
        destination: 'out',
        format: 'parquet',
        compression: 'zstd',
        mode: 'full',
        path: '{export}/{runId}/{export}-{index}.{ext}',
        schedule: { once: {} },
      }),
      floor: { from: `(${audienceSql})`, options: 'FORMAT parquet, COMPRESSION zstd' },
    },
  ];
  const extra = [];
  for (const c of cases) {
    const ours = [];
    const hand = [];
    for (let i = 0; i < REPEAT; i++) {
      const runOurs = () => {
        writeBenchExports(dir, [c.config(`x${extra.length}_${i}`)]);
        ours.push(apply(dir));
      };
      const runFloor = () =>
        hand.push(
          floor({
            step: 'exports',
            database: warehouse,
            outDir: work,
            exports: [{ name: `floor-${extra.length}-${i}.out`, ...c.floor }],
          }),
        );
      if (i % 2 === 1) {
        runFloor();
        runOurs();
      } else {
        runOurs();
        runFloor();
      }
    }
    extra.push({
      export: c.label,
      'outflow s': fmt(median(ours.map((r) => r.s))),
      'floor s': fmt(median(hand.map((r) => r.s))),
      'floor COPY s': fmt(median(hand.map((r) => r.inProcess.exportS))),
      ratio: fmt(median(ours.map((r) => r.s)) / median(hand.map((r) => r.s))),
      goal: '≤ 1.2',
      'outflow RSS MB': fmt(Math.max(...ours.map((r) => r.rss)), 0),
      'floor RSS MB': fmt(Math.max(...hand.map((r) => r.rss)), 0),
    });
  }
  console.log('extra exports on the ingested project (process to process)');
  console.table(extra);
}

if (process.env.BENCH_KEEP === '1') console.log(`kept ${work}: ${readdirSync(work).join(' ')}`);
else rmSync(work, { recursive: true, force: true });
