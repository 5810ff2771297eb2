// The raw floor for export benches: open a warehouse file with @duckdb/node-api, apply the same
// engine settings outflow uses, run one COPY, print {"copyS": …} (the COPY alone, in process).
// Usage: node bench/export-floor.mjs JOB.json   (JOB: {database, sql, params, memoryLimit, threads})
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const instance = await DuckDBInstance.create(job.database, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
if (job.memoryLimit) await connection.run(`SET memory_limit = '${job.memoryLimit}'`);
if (job.threads) await connection.run(`SET threads = ${Number(job.threads)}`);
await connection.run(`SET temp_directory = '${job.database}.floor.tmp'`);
await connection.run("SET TimeZone = 'UTC'");
const t0 = process.hrtime.bigint();
const result = await connection.run(job.sql, job.params);
const copyS = Number(process.hrtime.bigint() - t0) / 1e9;
connection.closeSync();
instance.closeSync();
console.log(JSON.stringify({ copyS, rows: result.rowsChanged }));
