// The hand-written floor for bench/apply.mjs: what a competent user writes with @duckdb/node-api
// for the same result — typed casts in one CREATE TABLE AS, then plain COPY statements — with the
// same engine settings outflow uses. Prints {"ingestS", "exportS"} (in-process statement times).
// Usage: node bench/apply-floor.mjs JOB.json
//   JOB: {step: "ingest"|"exports"|"whole", database, file, format, outDir, memoryLimit, threads, exports: [...] }
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const instance = await DuckDBInstance.create(job.database);
const c = await instance.connect();
await c.run(`SET memory_limit = '${job.memoryLimit}'`);
await c.run(`SET threads = ${Number(job.threads)}`);
await c.run("SET TimeZone = 'UTC'");
const reader = { parquet: 'read_parquet', csv: 'read_csv', ndjson: 'read_ndjson' }[job.format];
const timed = async (sql) => {
  const t0 = process.hrtime.bigint();
  await c.run(sql);
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const out = {};
if (job.step !== 'exports') {
  out.ingestS = await timed(
    `CREATE TABLE events AS SELECT CAST(id AS BIGINT) AS id, CAST(user_id AS INTEGER) AS userid, CAST(event AS VARCHAR) AS event, CAST(ts AS TIMESTAMP) AS ts, CAST(category AS VARCHAR) AS category, CAST(price AS DOUBLE) AS price, CAST(email AS VARCHAR) AS email FROM ${reader}('${job.file}')`,
  );
}
if (job.step !== 'ingest') {
  out.exportS = 0;
  for (const e of job.exports)
    out.exportS += await timed(`COPY ${e.from ?? 'events'} TO '${job.outDir}/${e.name}' (${e.options})`);
}
c.closeSync();
instance.closeSync();
console.log(JSON.stringify(out));
