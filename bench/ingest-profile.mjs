// Ingest profile (issue 13, item 2): outflow's ingest of one stream file, statement by statement,
// in one process, beside the floor (`CREATE TABLE events AS SELECT <casts> FROM read_<format>(…)`,
// bench/apply-floor.mjs), alternating who goes first; medians of the repetitions.
// Imports outflow from dist/ (run `npm run build` first). Times: the fingerprint (sha256 of the
// file, computed during the ingest as apply does), every statement outflow runs (DESCRIBE probes, BEGIN, INSERT, count, UPDATE, COMMIT, …),
// and the engine's close (DuckDB's checkpoint); the floor's CTAS and its close.
// Usage: node bench/ingest-profile.mjs [csv,ndjson,parquet]
// Env: BENCH_ROWS (5,000,000), BENCH_PROFILE_REPEAT (3), BENCH_PROFILE_DIR (a temp folder; data is
// generated there when missing and kept), BENCH_APPLY_MEM (2GB), BENCH_APPLY_THREADS (2),
// BENCH_PROFILE_EXPLAIN=1 (also print EXPLAIN ANALYZE of outflow's INSERT once per format, and
// run it inside a transaction that is rolled back).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { fingerprintStreamFile, ingestFiles, openEngine } from '../dist/engine/index.js';
import { eventsSelectSql, issueEventsFlow } from './events-flow.mjs';

const N = Number(process.env.BENCH_ROWS ?? 5_000_000);
const REPEAT = Number(process.env.BENCH_PROFILE_REPEAT ?? 3);
const MEM = process.env.BENCH_APPLY_MEM ?? '2GB';
const THREADS = Number(process.env.BENCH_APPLY_THREADS ?? 2);
const FORMATS = (process.argv[2] ?? 'csv,ndjson').split(',').map((f) => f.trim());
const dir = process.env.BENCH_PROFILE_DIR ?? join(tmpdir(), `outflow-ingest-profile-${N}`);
mkdirSync(dir, { recursive: true });

/** The events data of bench/apply.mjs (same SQL), generated once per folder. */
async function generate() {
  const missing = FORMATS.filter((f) => !existsSync(join(dir, `events.${f}`)));
  if (missing.length === 0) return;
  const users = Math.max(100, Math.floor(N / 100));
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`SET threads = ${THREADS}`);
  await c.run(`CREATE TABLE e AS ${eventsSelectSql({ users, to: N })}`);
  const options = {
    parquet: 'FORMAT parquet, COMPRESSION zstd',
    csv: 'FORMAT csv, HEADER',
    ndjson: 'FORMAT json',
  };
  for (const f of missing) await c.run(`COPY e TO '${join(dir, `events.${f}`)}' (${options[f]})`);
  c.closeSync();
  instance.closeSync();
}

const now = () => process.hrtime.bigint();
const secs = (t0) => Number(now() - t0) / 1e9;

/** A short name for a statement: its first words, parameters and long lists elided. */
function label(sql) {
  const s = sql.replace(/\s+/g, ' ').trim();
  const head = /^(\w+(?: \w+)?)/.exec(s)?.[1] ?? s;
  if (/^DESCRIBE SELECT \* FROM/.test(s)) return 'DESCRIBE file (probe)';
  if (/^DESCRIBE SELECT/.test(s)) return 'DESCRIBE insert (bind probe)';
  if (/^INSERT INTO "ds_/.test(s)) return 'INSERT … SELECT (direct)';
  if (/^UPDATE "ds_/.test(s)) return 'UPDATE _seq/_line (numbering)';
  if (/^SELECT count\(\*\)/.test(s) && /"ds_/.test(s)) return 'SELECT count (rejects)';
  if (/information_schema/.test(s)) return 'SELECT table columns';
  if (/^CREATE (OR REPLACE )?TABLE|^CREATE TABLE IF/.test(s)) return 'CREATE dataset table';
  if (/^DELETE FROM "ds_/.test(s)) return /_seq IS NULL/.test(s) ? 'DELETE direct rows' : 'DELETE unrecorded';
  if (/^DROP TABLE IF EXISTS/.test(s)) return 'DROP temp';
  if (/^CREATE OR REPLACE TEMP/.test(s)) return 'CREATE temp';
  return head;
}

/** Wraps an engine so every run/all is timed under its label (summed per label). */
function timed(engine, times) {
  const wrap = (fn) => async (sql, params) => {
    const t0 = now();
    try {
      return await fn.call(engine, sql, params);
    } finally {
      const k = label(sql);
      times[k] = (times[k] ?? 0) + secs(t0);
    }
  };
  return new Proxy(engine, {
    get(target, prop) {
      if (prop === 'run') return wrap(target.run);
      if (prop === 'all') return wrap(target.all);
      const v = target[prop];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function ours(format, rep) {
  const db = join(dir, `ours-${format}-${rep}`);
  rmSync(db, { recursive: true, force: true });
  mkdirSync(db, { recursive: true });
  const file = join(dir, `events.${format}`);
  const times = {};
  const t0 = now();
  let t = now();
  const engine = await openEngine({
    database: join(db, 'warehouse.duckdb'),
    allowedDirectories: [dir, db],
    memoryLimit: MEM,
    threads: THREADS,
  });
  times['open engine'] = secs(t);
  t = now();
  // As apply does (src/apply/ingest-step.ts): the sha256 runs while DuckDB reads the file and is
  // awaited before the first commit; its own duration is reported, overlapped with the statements.
  const hashStart = now();
  const hashing = fingerprintStreamFile(file).then(() => {
    times['fingerprint (sha256, during the read)'] = secs(hashStart);
  });
  const result = await ingestFiles(
    timed(engine, times),
    { name: 'events', config: issueEventsFlow(`*.${format}`) },
    [{ path: file, label: `events.${format}` }],
    { firstSeq: 1, rejectDir: join(db, 'rejects'), beforeCommit: () => hashing },
  );
  times['ingestFiles (all statements, the hash under them)'] = secs(t);
  if (result.rows !== N || result.rejected !== 0)
    throw new Error(`unexpected result ${JSON.stringify(result)}`);
  t = now();
  await engine.close();
  times['close (checkpoint)'] = secs(t);
  times.total = secs(t0);
  rmSync(db, { recursive: true, force: true });
  return times;
}

const FLOOR_CASTS =
  'CAST(id AS BIGINT) AS id, CAST(user_id AS INTEGER) AS userid, CAST(event AS VARCHAR) AS event, CAST(ts AS TIMESTAMP) AS ts, CAST(category AS VARCHAR) AS category, CAST(price AS DOUBLE) AS price, CAST(email AS VARCHAR) AS email';
const READER = { parquet: 'read_parquet', csv: 'read_csv', ndjson: 'read_ndjson' };

async function floor(format, rep) {
  const db = join(dir, `floor-${format}-${rep}`);
  rmSync(db, { recursive: true, force: true });
  mkdirSync(db, { recursive: true });
  const times = {};
  const t0 = now();
  let t = now();
  const instance = await DuckDBInstance.create(join(db, 'f.duckdb'));
  const c = await instance.connect();
  await c.run(`SET memory_limit = '${MEM}'`);
  await c.run(`SET threads = ${THREADS}`);
  await c.run("SET TimeZone = 'UTC'");
  times.open = secs(t);
  t = now();
  await c.run(
    `CREATE TABLE events AS SELECT ${FLOOR_CASTS} FROM ${READER[format]}('${join(dir, `events.${format}`)}')`,
  );
  times['CREATE TABLE AS (floor)'] = secs(t);
  t = now();
  c.closeSync();
  instance.closeSync();
  times['close (checkpoint)'] = secs(t);
  times.total = secs(t0);
  rmSync(db, { recursive: true, force: true });
  return times;
}

/** EXPLAIN ANALYZE of outflow's direct INSERT, in a transaction rolled back. */
async function explain(format) {
  const db = join(dir, `explain-${format}`);
  rmSync(db, { recursive: true, force: true });
  mkdirSync(db, { recursive: true });
  const engine = await openEngine({
    database: join(db, 'warehouse.duckdb'),
    allowedDirectories: [dir, db],
    memoryLimit: MEM,
    threads: THREADS,
  });
  let insert;
  const spy = new Proxy(engine, {
    get(target, prop) {
      if (prop === 'run')
        return async (sql, params) => {
          if (/^INSERT INTO "ds_/.test(sql)) {
            insert = { sql, params };
            const rows = await target.all(`EXPLAIN ANALYZE ${sql}`, params);
            console.log(String(rows[0]?.explain_value ?? JSON.stringify(rows)));
            throw new Error('explained');
          }
          return target.run(sql, params);
        };
      const v = target[prop];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const file = join(dir, `events.${format}`);
  await ingestFiles(
    spy,
    { name: 'events', config: issueEventsFlow(`*.${format}`) },
    [{ path: file, sha256: 'x' }],
    {
      firstSeq: 1,
      rejectDir: join(db, 'rejects'),
    },
  ).catch(() => undefined);
  if (insert !== undefined) console.log(insert.sql);
  await engine.close();
  rmSync(db, { recursive: true, force: true });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await generate();
console.log(
  `ingest profile: ${N.toLocaleString('en')} events, memory ${MEM}, threads ${THREADS}, median of ${REPEAT} (alternating), data in ${dir}`,
);
for (const format of FORMATS) {
  if (process.env.BENCH_PROFILE_EXPLAIN === '1') await explain(format);
  const o = [];
  const f = [];
  for (let i = 0; i < REPEAT; i++) {
    if (i % 2 === 1) {
      f.push(await floor(format, i));
      o.push(await ours(format, i));
    } else {
      o.push(await ours(format, i));
      f.push(await floor(format, i));
    }
    console.log(
      `  ${format} #${i + 1}: outflow ${o.at(-1).total.toFixed(2)} s, floor ${f.at(-1).total.toFixed(2)} s`,
    );
  }
  const rows = [];
  for (const [side, runs] of [
    ['outflow', o],
    ['floor', f],
  ]) {
    for (const k of Object.keys(runs[0]))
      rows.push({
        side,
        step: k,
        'median s': median(runs.map((r) => r[k] ?? 0)).toFixed(3),
        runs: runs.map((r) => (r[k] ?? 0).toFixed(2)).join(' '),
      });
  }
  console.log(`${format}:`);
  console.table(rows);
  const ot = median(o.map((r) => r.total));
  const ft = median(f.map((r) => r.total));
  console.log(`${format}: outflow ${ot.toFixed(2)} s / floor ${ft.toFixed(2)} s = ${(ot / ft).toFixed(2)}`);
}
