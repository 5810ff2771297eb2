// Activation bench (issue 11): a first sync of N members to a local receiver that accepts
// everything, against the floor: a bare loop of fetch calls sending the same batches (same bodies,
// same batch size) to the same receiver, measured in the same run, alternating, medians.
// Reports members/s, the ratio, and outflow's peak RSS at two member counts (memory must stay
// flat in the member count). Knobs: BENCH_MEMBERS (default 1000000), BENCH_ACT_REPEAT (3).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';

const here = import.meta.dirname;
const bin = join(here, '..', 'bin', 'outflow.js');
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
const REPEAT = Number(process.env.BENCH_ACT_REPEAT ?? 3);
const BATCH = 500;
const NOW = '2026-11-20T12:00:00Z';
const hasTime = existsSync('/usr/bin/time');

function startReceiver() {
  const child = spawn('node', [join(here, 'webhook-receiver.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiters = [];
  lines.on('line', (l) => waiters.shift()?.(l));
  const next = () => new Promise((resolve) => waiters.push(resolve));
  return {
    port: next().then((l) => Number(l.split(' ')[1])),
    async stats() {
      child.stdin.write('stats\n');
      const [, requests, , bytes] = (await next()).split(' ');
      return { requests: Number(requests), bytes: Number(bytes) };
    },
    async reset() {
      child.stdin.write('reset\n');
      await next();
    },
    stop: () => child.stdin.end(),
  };
}

/** A project with N users (all in FR), ingested; the activation has no schedule (run by name). */
async function ingestedProject(n, url) {
  const dir = mkdtempSync(join(tmpdir(), `outflow-bench-act-${n}-`));
  mkdirSync(join(dir, 'flows'));
  mkdirSync(join(dir, 'data', 'users'), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(
    `COPY (SELECT i AS id, 'u' || i || '@example.com' AS email, 'FR' AS country FROM range(1, ${n + 1}) t(i)) TO '${join(dir, 'data', 'users', 'users.parquet')}' (FORMAT parquet)`,
  );
  c.closeSync();
  db.closeSync();
  writeFileSync(
    join(dir, 'outflow.yaml'),
    'kind: Project\nname: bench\ntimezone: UTC\nengine: {memoryLimit: 2GB, threads: 2}\n',
  );
  writeFileSync(
    join(dir, 'flows', 'main.yaml'),
    `kind: Connection
name: cms
type: webhook
baseUrl: ${url}
clientId: bench
clientSecret: \${env:BENCH_SECRET}
batchSize: ${BATCH}
---
kind: Dataflow
name: users
entity: user
source: {type: streamFile, path: data/users/*.parquet, format: parquet}
schema:
  name: customers
  personIdentifier: userid
  columns:
    - {name: userid, type: integer, from: id, mandatory: true}
    - {name: email, type: string, from: email}
    - {name: country, type: string, from: country}
writeMode: upsert
---
kind: Audience
name: eu
people: users
conditions:
  - have: {trait: country, op: in, value: [FR, DE]}
---
kind: Activation
name: newsletter
destination: cms
audiences: [eu]
personIdentifier: userid
segmentGroup: bench
updateMethod: replace
attributes: {newsletter: "yes", channel: null}
`,
  );
  const r = spawnSync('node', [bin, '-C', dir, 'apply', '--auto-approve', '--now', NOW], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1', BENCH_SECRET: 's3cret' },
  });
  if (r.status !== 0) throw new Error(`ingest failed: ${r.stdout}${r.stderr}`);
  return dir;
}

/** One first sync by `outflow run newsletter` on a copy of the ingested project: seconds, peak RSS (MB). */
function outflowSync(dir) {
  const copy = `${dir}-run`;
  rmSync(copy, { recursive: true, force: true });
  cpSync(dir, copy, { recursive: true });
  const args = [bin, '-C', copy, 'run', 'newsletter', '--now', NOW];
  const cmd = hasTime ? ['/usr/bin/time', ['-f', '%M', 'node', ...args]] : ['node', args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd[1], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1', BENCH_SECRET: 's3cret' },
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`sync failed: ${r.stdout}${r.stderr}`);
  const rss = hasTime ? Number(r.stderr.trim().split('\n').pop()) / 1024 : Number.NaN;
  rmSync(copy, { recursive: true, force: true });
  return { s, rss };
}

/** The floor: the same batches (bodies of BATCH members) POSTed by a bare fetch loop, in a child process. */
function floorSync(url, n) {
  const script = `
const url = ${JSON.stringify(url)};
const n = ${n};
const size = ${BATCH};
const count = Math.ceil(n / size);
const attrs = JSON.stringify({ newsletter: 'yes', channel: null });
const t0 = process.hrtime.bigint();
for (let b = 0; b < count; b++) {
  const added = [];
  for (let i = b * size + 1; i <= Math.min(n, (b + 1) * size); i++) added.push('{"id":"' + i + '","attributes":' + attrs + '}');
  const body = '{"activation":"newsletter","audience":"eu","segmentGroup":"bench","segment":{"name":"eu","create":true},"updateMethod":"replace","runId":"floor","batch":{"index":' + (b + 1) + ',"count":' + count + '},"added":[' + added.join(',') + '],"removed":[]}';
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (!res.ok) throw new Error('HTTP ' + res.status);
  await res.arrayBuffer();
}
console.log(Number(process.hrtime.bigint() - t0) / 1e9);
`;
  const r = spawnSync('node', ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`floor failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const receiver = startReceiver();
const url = `http://127.0.0.1:${await receiver.port}/cdp/webhook`;
const rows = [];
const counts = [...new Set([Math.max(1000, Math.round(MEMBERS / 10)), MEMBERS])];
for (const n of counts) {
  const dir = await ingestedProject(n, url);
  const ours = [];
  const floors = [];
  let rss = 0;
  let received;
  for (let i = 0; i < REPEAT; i++) {
    await receiver.reset();
    const o = outflowSync(dir);
    received = await receiver.stats();
    ours.push(o.s);
    rss = Math.max(rss, o.rss);
    floors.push(floorSync(url, n));
  }
  if (received.requests !== Math.ceil(n / BATCH))
    throw new Error(`expected ${Math.ceil(n / BATCH)} requests, got ${received.requests}`);
  const o = median(ours);
  const f = median(floors);
  rows.push({
    members: n,
    'outflow run (s)': o.toFixed(2),
    'outflow members/s': Math.round(n / o),
    'floor fetch loop (s)': f.toFixed(2),
    'floor members/s': Math.round(n / f),
    'throughput vs floor': (f / o).toFixed(2),
    'peak RSS (MB)': Number.isNaN(rss) ? 'n/a' : rss.toFixed(0),
  });
  rmSync(dir, { recursive: true, force: true });
}
receiver.stop();
console.log(
  `activation first sync, batches of ${BATCH} (median of ${REPEAT}, alternating; outflow = whole \`outflow run\` process: audience, diff, freeze, send, record; goal: throughput vs floor ≥ 0.5, RSS flat in members)`,
);
console.table(rows);
