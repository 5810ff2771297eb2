// Export bench (issue 4): `outflow apply` of exports over an N-row event dataset, each against the
// raw floor — DuckDB COPY of the same query, same warehouse, same engine settings, in the same run —
// as whole-process wall time and peak RSS. Run after `npm run build` (npm run bench does it).
//   BENCH_ROWS        events (default 10,000,000)
//   BENCH_EXPORT_MEM  engine.memoryLimit of the project (default 2GB)
//   BENCH_EXPORT_THREADS engine.threads (default 2)
//   BENCH_EXPORT_CASES comma-separated case names to run (default: all; see CASES)
//   BENCH_KEEP=1      keep the temp projects
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const here = import.meta.dirname;
const root = join(here, '..');
const bin = join(root, 'bin', 'outflow.js');
const floorScript = join(here, 'export-floor.mjs');
const N = Number(process.env.BENCH_ROWS ?? 10_000_000);
const MEM = process.env.BENCH_EXPORT_MEM ?? '2GB';
const THREADS = Number(process.env.BENCH_EXPORT_THREADS ?? 2);
const NOW = '2026-11-20T12:00:00Z';
const hasTime = existsSync('/usr/bin/time');
const { exportQuery, directSelectSql, copyOptions } = await import(
  join(root, 'dist/engine/sql/export-sql.js')
);

const EVENTS = [
  'visit',
  'view_item',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'begin_checkout',
  'buy',
  'refund',
  'login',
  'logout',
  'signup',
  'share',
];
const CATEGORIES = ['Watches', 'Shoes', 'Bags', 'Books', 'Toys', 'Games', 'Garden', 'Music'];
const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'NL', 'BE', 'PL', 'SE'];
const sqlList = (xs) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

const usersFlow = {
  name: 'users',
  config: {
    kind: 'Dataflow',
    name: 'users',
    entity: 'user',
    source: { type: 'streamFile', path: 'data/users/*.parquet', format: 'parquet' },
    schema: {
      name: 'customers',
      personIdentifier: 'userid',
      columns: [
        { name: 'userid', type: 'integer', from: 'id', mandatory: true },
        { name: 'email', type: 'string', from: 'email' },
        { name: 'country', type: 'string', from: 'country' },
      ],
    },
    writeMode: 'upsert',
  },
};
const eventsFlow = {
  name: 'events',
  config: {
    kind: 'Dataflow',
    name: 'events',
    entity: 'event',
    source: { type: 'streamFile', path: 'data/events/*.parquet', format: 'parquet' },
    schema: {
      name: 'web_events',
      personIdentifier: 'userid',
      eventTime: 'ts',
      eventName: 'event',
      columns: [
        { name: 'userid', type: 'integer', from: 'user_id', mandatory: true },
        { name: 'event', type: 'string', from: 'event', mandatory: true },
        { name: 'ts', type: 'timestamp', from: 'ts', mandatory: true },
        { name: 'category', type: 'string', from: 'category' },
        { name: 'price', type: 'decimal(12,2)', from: 'price' },
      ],
    },
    writeMode: 'append',
  },
};
const audience = {
  kind: 'Audience',
  name: 'buyers',
  people: 'users',
  events: 'events',
  conditions: [
    { did: 'buy', within: '30d' },
    { have: { aggregate: 'sum', of: 'price', event: 'buy', within: '90d', op: '>', value: 100 } },
  ],
};

function yamlDocs(objects) {
  return objects.map((o) => JSON.stringify(o, null, 1)).join('\n---\n'); // JSON is YAML
}

/** Deterministic data: events from range() and hash(), users 1..N/100. */
async function generateData(dir, rows) {
  const users = Math.max(1000, Math.floor(rows / 100));
  mkdirSync(join(dir, 'data', 'events'), { recursive: true });
  mkdirSync(join(dir, 'data', 'users'), { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`SET threads = ${THREADS}`);
  await c.run(`COPY (
    SELECT (hash(i) % ${users} + 1)::INTEGER AS user_id,
           e AS event,
           TIMESTAMP '2026-11-20 12:00:00' - to_seconds((hash(i + 1000000007) % (90 * 86400))::BIGINT) AS ts,
           ${sqlList(CATEGORIES)}[(hash(i + 2000000011) % ${CATEGORIES.length} + 1)::INTEGER] AS category,
           CASE WHEN e IN ('buy', 'add_to_cart', 'refund') THEN ((hash(i + 3000000019) % 20000) / 100)::DECIMAL(12,2) END AS price
    FROM (SELECT i, ${sqlList(EVENTS)}[(hash(i + 4000000007) % ${EVENTS.length} + 1)::INTEGER] AS e FROM range(${rows}) t(i))
    ORDER BY i
  ) TO '${join(dir, 'data', 'events', 'events.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
  await c.run(`COPY (
    SELECT i::INTEGER AS id, 'user' || i || '@example.com' AS email,
           ${sqlList(COUNTRIES)}[(hash(i) % ${COUNTRIES.length} + 1)::INTEGER] AS country
    FROM range(1, ${users + 1}) t(i)
  ) TO '${join(dir, 'data', 'users', 'users.parquet')}' (FORMAT parquet)`);
  c.closeSync();
  instance.closeSync();
  return users;
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

function dirBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  }
  return n;
}

function findManifest(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /manifest.*\.json$/.test(e.name))
      return JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8'));
  }
  return undefined;
}

async function makeProject(rows) {
  const dir = mkdtempSync(join(tmpdir(), `outflow-bench-export-${rows}-`));
  const t0 = process.hrtime.bigint();
  const users = await generateData(dir, rows);
  const genS = Number(process.hrtime.bigint() - t0) / 1e9;
  mkdirSync(join(dir, 'flows'));
  writeFileSync(
    join(dir, 'outflow.yaml'),
    yamlDocs([
      {
        kind: 'Project',
        name: 'bench_export',
        timezone: 'UTC',
        engine: { memoryLimit: MEM, threads: THREADS },
      },
    ]),
  );
  writeFileSync(
    join(dir, 'flows', 'connections.yaml'),
    yamlDocs([{ kind: 'Connection', name: 'out', type: 'local', root: 'out' }]),
  );
  writeFileSync(join(dir, 'flows', 'dataflows.yaml'), yamlDocs([usersFlow.config, eventsFlow.config]));
  writeFileSync(join(dir, 'flows', 'audiences.yaml'), yamlDocs([audience]));
  const ingest = measure([bin, '-C', dir, 'apply', '--auto-approve', '--now', NOW]);
  return { dir, users, genS, ingest };
}

const ALL_CASES = [
  { name: 'ev_parquet_zstd', label: 'Parquet zstd', format: 'parquet', compression: 'zstd' },
  { name: 'ev_csv', label: 'CSV', format: 'csv' },
  { name: 'ev_ndjson', label: 'NDJSON', format: 'ndjson' },
  { name: 'ev_csv_gzip', label: 'CSV gzip', format: 'csv', compression: 'gzip' },
  {
    name: 'aud_parquet',
    label: 'Audience → Parquet zstd',
    format: 'parquet',
    compression: 'zstd',
    audience: true,
  },
];

const only = process.env.BENCH_EXPORT_CASES?.split(',').map((x) => x.trim());
const CASES = only === undefined ? ALL_CASES : ALL_CASES.filter((c) => only.includes(c.name));
if (CASES.length === 0)
  throw new Error(`BENCH_EXPORT_CASES matches none of ${ALL_CASES.map((c) => c.name).join(', ')}`);

function exportConfig(c) {
  return {
    kind: 'Export',
    name: c.name,
    type: c.audience ? 'segment' : 'dataOut',
    from: c.audience ? { audience: 'buyers' } : { dataflow: 'events' },
    ...(c.audience ? { fields: ['userid', 'email', 'country'] } : {}),
    destination: 'out',
    format: c.format,
    ...(c.compression ? { compression: c.compression } : {}),
    mode: 'full',
    path: '{export}/{runId}/{export}-{index}.{ext}',
    schedule: { once: {} },
  };
}

/** The COPY outflow runs for the export (same builders as src/engine/export.ts, direct mode). */
function floorSql(c, untilSeq, now, target) {
  const config = exportConfig(c);
  const source = c.audience
    ? { kind: 'audience', name: 'buyers', audience, people: usersFlow, events: eventsFlow }
    : { kind: 'dataflow', flow: eventsFlow };
  const spec = { name: c.name, config, source };
  const q = exportQuery(spec, { now, untilSeq: c.audience ? undefined : untilSeq, xmlEvent: false });
  const select = directSelectSql(q, '');
  // For gzip the floor is DuckDB's own COMPRESSION gzip (outflow writes plain, then gzips itself).
  return {
    sql: `COPY (${select.sql}) TO '${target}' (${copyOptions(c.format, c.compression)})`,
    params: select.params,
  };
}

async function runCase(project, c, untilSeq) {
  const { dir } = project;
  writeFileSync(join(dir, 'flows', 'export.yaml'), yamlDocs([exportConfig(c)]));
  const ours = measure([bin, '-C', dir, 'apply', '--auto-approve', '--now', NOW]);
  const outDir = join(dir, 'out', c.name);
  const manifest = findManifest(outDir);
  const outBytes = dirBytes(outDir) - (manifest ? JSON.stringify(manifest).length : 0);
  const now = new Date(manifest?.window?.to ?? NOW);
  const floorDir = join(dir, 'floor');
  mkdirSync(floorDir, { recursive: true });
  const target = join(floorDir, `${c.name}.out`);
  const job = join(floorDir, `${c.name}.json`);
  writeFileSync(
    job,
    JSON.stringify({
      database: join(dir, '.outflow', 'warehouse.duckdb'),
      ...floorSql(c, untilSeq, now, target),
      memoryLimit: MEM,
      threads: THREADS,
    }),
  );
  const floor = measure([floorScript, job]);
  const inProcess = JSON.parse(floor.stdout.trim().split('\n').pop());
  const floorBytes = statSync(target).size;
  if (process.env.BENCH_KEEP !== '1') {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(target, { force: true });
  }
  return {
    case: c.label,
    rows: manifest?.rows ?? Number.NaN,
    floorRows: inProcess.rows,
    ours,
    floor,
    copyS: inProcess.copyS,
    outMB: outBytes / 1e6,
    floorMB: floorBytes / 1e6,
  };
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

console.log(
  `export bench: N = ${N.toLocaleString('en')} events, engine memoryLimit ${MEM}, threads ${THREADS}`,
);
const main = await makeProject(N);
console.log(
  `data generated in ${fmt(main.genS)} s (${main.users.toLocaleString('en')} users); ingest apply ${fmt(main.ingest.s)} s, peak RSS ${fmt(main.ingest.rss, 0)} MB`,
);
const results = [];
for (const c of CASES) {
  const r = await runCase(main, c, N);
  results.push(r);
  console.log(`  ${c.label}: outflow ${fmt(r.ours.s)} s, floor ${fmt(r.floor.s)} s (COPY ${fmt(r.copyS)} s)`);
}
// Memory vs data size: the Parquet zstd case again at N/10.
const small = await makeProject(Math.floor(N / 10));
const smallRun = await runCase(small, CASES[0], Math.floor(N / 10));
const first = results[0];

console.table(
  results.map((r) => ({
    case: r.case,
    rows: r.rows === r.floorRows ? r.rows : `${r.rows} (floor ${r.floorRows})`,
    'outflow s': fmt(r.ours.s),
    'floor s': fmt(r.floor.s),
    'floor COPY s': fmt(r.copyS),
    ratio: fmt(r.ours.s / r.floor.s, 2),
    'outflow RSS MB': fmt(r.ours.rss, 0),
    'floor RSS MB': fmt(r.floor.rss, 0),
    'output MB': fmt(r.outMB),
    'floor output MB': fmt(r.floorMB),
  })),
);
const gz = results.find((r) => r.case === 'CSV gzip');
console.log('ratio = outflow / floor (target ≤ 1.2)');
if (gz !== undefined) {
  console.log(
    `CSV gzip: DuckDB gzip ${fmt(gz.floor.s)} s / outflow gzip ${fmt(gz.ours.s)} s = ${fmt(gz.floor.s / gz.ours.s, 2)}× (target ≥ 1.8×)`,
  );
}
console.log(
  `ingest (apply of 2 dataflows, ${N.toLocaleString('en')} events + ${main.users.toLocaleString('en')} users): ${fmt(main.ingest.s)} s, peak RSS ${fmt(main.ingest.rss, 0)} MB`,
);
console.log(
  `peak RSS, ${first.case}: outflow ${fmt(first.ours.rss, 0)} MB at N=${N.toLocaleString('en')} vs ${fmt(smallRun.ours.rss, 0)} MB at N=${Math.floor(N / 10).toLocaleString('en')} (floor ${fmt(first.floor.rss, 0)} vs ${fmt(smallRun.floor.rss, 0)} MB); engine memoryLimit ${MEM}; N/10 times: outflow ${fmt(smallRun.ours.s)} s, floor ${fmt(smallRun.floor.s)} s`,
);
if (process.env.BENCH_KEEP !== '1') {
  rmSync(main.dir, { recursive: true, force: true });
  rmSync(small.dir, { recursive: true, force: true });
} else console.log(`kept: ${main.dir} ${small.dir}`);
