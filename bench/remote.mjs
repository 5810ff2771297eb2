// Remote state bench (issue 12): the second command on a fresh runner, after a first one ingested
// N events (default 5,000,000) with its state and warehouse segments in Azure Blob (azurite on
// 127.0.0.1), and 1% new events arrived. Measured in three situations against the same command
// on the machine that ran the first one:
//   1. warm machine             runner A's own folder: its .outflow/ and its user cache
//                               (OUTFLOW_CACHE_DIR) as the first run left them;
//   2. fresh runner, warm cache a new folder with the project files, .outflow/ restored from
//                               runner A's (as a CI cache restores it), an empty user cache;
//   3. fresh runner, no cache   a new folder with the project files only: the warehouse is
//                               rebuilt from the segments the state lists.
// For each: wall time, bytes up (client → store) and down (store → client) counted on the TCP
// connections through a byte-counting proxy in front of azurite (HTTP headers included), and
// peak RSS (/usr/bin/time -f %M, as bench/apply.mjs); as ratios to (1). The proxy also reads the
// HTTP/1.1 framing, so each run's bytes and request time are split by object (state.json, the
// lock, segments). A fourth row, the same project with local state on one machine, is the
// reference for what remote state adds. The goal: uploads
// proportional to the new data (≈ the new 1%'s segment + state.json and the lock, not the
// warehouse), and with a warm cache a run within 1.3× of the warm machine's.
//
// The project: the events dataflow of the apply bench (7 columns, append, Parquet stream files
// in data/events/), one incremental export to Parquet zstd in a local folder (out/, so the proxy
// sees state traffic only), a daily cron schedule, state `backend: azure`.
// Runner A: `apply --now T0` ingests events-001.parquet (N rows), uploads its segment, exports.
// Then events-002.parquet (N/100 new rows) is added; the measured command in every situation is
// `run --due --now <the next day>`: it ingests the new file (uploads one segment, writes the
// state) and runs the due incremental export of the new rows.
//
// Resetting between measured runs: each measured run must start from the same remote state, and
// it changes it (the new segment, state.json with a higher serial; the lock comes and goes). After
// runner A's first run the bench saves state.json's bytes and the list of blob names; before every
// measured run it puts that state.json back (an unconditional Put Blob, not through the proxy),
// and deletes every blob that was not there (the new segment, a stray lock). That is exactly the
// store as runner A left it: outflow writes state.json conditionally on the ETag it read in the
// same command, so a new ETag on the same bytes changes nothing, and the lineage and serial inside
// are the saved ones, which runner A's .outflow/ (restored from a template copy made right after
// the first run, with the user cache) recorded. Every situation starts from a fresh copy of its
// folder, so none sees what another run left behind.
//
//   node bench/remote.mjs [--events N] [--repeat R] [--keep]
//   env: BENCH_REMOTE_EVENTS, BENCH_REMOTE_REPEAT (default 3), BENCH_REMOTE_LOCAL=0 (no local-state
//   reference), BENCH_REMOTE_PROFILE=DIR (an extra --cpu-prof run per situation), BENCH_REMOTE_VERBOSE=1
//   (print outflow's output), BENCH_KEEP=1 (keep the temp folder)
// Needs the build (npm run build) and node_modules (azurite).
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventsSelectSql, issueEventsFlow } from './events-flow.mjs';
import { startAzurite, stopAllNow } from './upload-servers.mjs';

const here = import.meta.dirname;
const bin = join(here, '..', 'bin', 'outflow.js');
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const N = Number(arg('--events') ?? process.env.BENCH_REMOTE_EVENTS ?? 5_000_000);
const NEW = Math.max(1, Math.floor(N / 100));
const REPEAT = Number(arg('--repeat') ?? process.env.BENCH_REMOTE_REPEAT ?? 3);
const KEEP = process.argv.includes('--keep') || process.env.BENCH_KEEP === '1';
const T0 = '2026-11-20T12:00:00Z';
const LATER = '2026-11-21T04:00:00Z'; // after the export's next 03:00 UTC tick: it is due
const CONTAINER = 'state';
const CONNECTION_PREFIX = 'ci';
const STATE_PREFIX = 'bench';
const ROOT = `${CONNECTION_PREFIX}/${STATE_PREFIX}/`; // every blob outflow writes is below it
const hasTime = existsSync('/usr/bin/time');
if (!existsSync(join(here, '..', 'dist', 'cli', 'main.js'))) {
  console.error('bench/remote.mjs: dist/ is missing, run npm run build first');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'outflow-bench-remote-'));
let azurite;
let proxy;
const cleanup = () => {
  proxy?.close();
  stopAllNow();
};
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });

// ---------------------------------------------------------------------------------------------
// Data: the apply bench's 7 columns (bench/apply.mjs generate()), ids from..from+count.
async function generate(files) {
  const users = Math.max(100, Math.floor(N / 100));
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run('SET threads = 2');
  for (const { path, from, count } of files)
    await c.run(
      `COPY (${eventsSelectSql({ users, from, to: from + count })}) TO '${path}' (FORMAT parquet, COMPRESSION zstd)`,
    );
  c.closeSync();
  instance.closeSync();
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy in front of azurite that counts the bytes each way (what a runner's network sees),
// and, reading the HTTP/1.1 framing of each direction (Content-Length bodies), which request
// moved them: `requests` is [{method, path, up, down}] in the order they were sent.
/**
 * Splits one direction of an HTTP/1.1 connection into messages (a head, then a Content-Length or
 * chunked body; `bodyless(head)` says when a message has none, e.g. the answer to a HEAD) and
 * calls onMessage(head, bytes, start) for each: bytes as on the wire, start = when its head was read.
 */
function httpFramer(onMessage, bodyless = () => false) {
  let buf = Buffer.alloc(0);
  let msg; // {head, bytes, left (body bytes still to skip), chunked}
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const skip = (n) => {
      msg.bytes += n;
      buf = buf.subarray(n);
    };
    for (;;) {
      if (msg === undefined) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.subarray(0, end).toString('latin1');
        msg = { head, bytes: 0, left: 0, chunked: false, start: performance.now() };
        skip(end + 4);
        if (!bodyless(head)) {
          msg.chunked = /^transfer-encoding:\s*chunked/im.test(head);
          const length = /^content-length:\s*(\d+)/im.exec(head);
          if (!msg.chunked && length) msg.left = Number(length[1]);
        }
      }
      if (msg.left > 0) {
        const take = Math.min(msg.left, buf.length);
        msg.left -= take;
        skip(take);
        if (msg.left > 0) return;
      }
      if (msg.chunked) {
        // <size hex>\r\n<data>\r\n … 0\r\n\r\n (no trailers)
        const eol = buf.indexOf('\r\n');
        if (eol === -1) return;
        const size = Number.parseInt(buf.subarray(0, eol).toString('latin1'), 16);
        if (buf.length < eol + 2 + size + 2) {
          if (size === 0) return;
          skip(eol + 2);
          msg.left = size + 2; // the data and its CRLF, possibly across chunks
          continue;
        }
        skip(eol + 2 + size + 2);
        if (size !== 0) continue;
      }
      onMessage(msg.head, msg.bytes, msg.start);
      msg = undefined;
    }
  };
}
function countingProxy(targetPort) {
  const counts = { up: 0, down: 0, connections: 0, requests: [] };
  const open = new Set();
  const server = createServer((client) => {
    counts.connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    open.add(client).add(upstream);
    const pending = []; // requests of this connection awaiting their response, in order
    const up = httpFramer((head, bytes, start) => {
      const [method, path] = head.split(' ', 2);
      const r = {
        method,
        path: decodeURIComponent(path.split('?')[0]),
        up: bytes,
        down: 0,
        start,
        end: start,
      };
      counts.requests.push(r);
      pending.push(r);
    });
    const down = httpFramer(
      (_head, bytes) => {
        const r = pending.shift();
        if (r === undefined) return;
        r.down += bytes;
        r.end = performance.now();
      },
      (head) => pending[0]?.method === 'HEAD' || /^HTTP\/1\.1 (204|304)/.test(head),
    );
    client.on('data', (b) => {
      counts.up += b.length;
      up(b);
    });
    upstream.on('data', (b) => {
      counts.down += b.length;
      down(b);
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', done);
      s.on('close', done);
    }
  });
  return {
    counts,
    reset() {
      counts.up = 0;
      counts.down = 0;
      counts.connections = 0;
      counts.requests = [];
    },
    listen: () =>
      new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port))),
    close() {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The project.
const json = (o) => JSON.stringify(o, null, 1); // JSON is YAML
function writeProject(dir, dataDir, { local = false } = {}) {
  mkdirSync(join(dir, 'flows'), { recursive: true });
  mkdirSync(join(dir, 'data', 'events'), { recursive: true });
  writeFileSync(
    join(dir, 'outflow.yaml'),
    json({
      kind: 'Project',
      name: 'bench_remote',
      timezone: 'UTC',
      engine: { memoryLimit: '2GB', threads: 2 },
      ...(local ? {} : { state: { backend: 'azure', connection: 'state_store', prefix: STATE_PREFIX } }),
    }),
  );
  writeFileSync(
    join(dir, 'flows', 'main.yaml'),
    [
      {
        kind: 'Connection',
        name: 'state_store',
        type: 'azure',
        container: CONTAINER,
        prefix: CONNECTION_PREFIX,
        connectionString: '${env:STATE_CONNECTION}',
      },
      { kind: 'Connection', name: 'out', type: 'local', root: 'out' },
      issueEventsFlow('data/events/*.parquet'),
      {
        kind: 'Export',
        name: 'ev_inc',
        type: 'dataOut',
        from: { dataflow: 'events' },
        destination: 'out',
        format: 'parquet',
        compression: 'zstd',
        mode: 'incremental',
        path: '{export}/{runId}/{export}-{index}.{ext}',
        schedule: { cron: '0 3 * * *', timezone: 'UTC' },
      },
    ]
      .map(json)
      .join('\n---\n'),
  );
  // The stream files, as a checkout or a data delivery brings them (hard links: no copy).
  for (const f of readdirSync(dataDir)) linkSync(join(dataDir, f), join(dir, 'data', 'events', f));
}

/** outflow's lines that mark the phases of a run: phase → how the line starts. */
const PHASES = [
  ['state read', 'outflow run at'],
  ['warehouse ready', 'warehouse .outflow/'],
  ['segment uploaded', '↑ warehouse/'],
  ['ingested', '✓ ingest'],
  ['exported', '✓ export'],
  ['complete', 'Run complete'],
];

/** `outflow ARGS` in `dir`, through the proxy: wall s, bytes up/down, peak RSS MB, stdout. */
async function outflow(dir, args, cacheDir, nodeOptions = []) {
  proxy.reset();
  const nodeArgs = [...nodeOptions, bin, '-C', dir, ...args];
  const [cmd, cmdArgs] = hasTime ? ['/usr/bin/time', ['-f', '%M', 'node', ...nodeArgs]] : ['node', nodeArgs];
  const t0 = process.hrtime.bigint();
  const p0 = performance.now(); // the proxy's clock
  // Asynchronous: the proxy runs on this process's event loop.
  const child = spawn(cmd, cmdArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NO_COLOR: '1',
      CI: '1',
      STATE_CONNECTION: connectionString,
      OUTFLOW_CACHE_DIR: cacheDir,
    },
  });
  let stdout = '';
  let stderr = '';
  const marks = {}; // phase → seconds since the start, when outflow printed its line
  child.stdout.on('data', (c) => {
    const at = (performance.now() - p0) / 1e3;
    for (const [phase, prefix] of PHASES)
      if (
        marks[phase] === undefined &&
        `${stdout}${c}`.split('\n').some((l) => l.trimStart().startsWith(prefix))
      )
        marks[phase] = at;
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await new Promise((r) => setTimeout(r, 100)); // let the proxy read the last bytes the child sent
  if (code !== 0)
    throw new Error(`outflow ${args.join(' ')} in ${dir} exited ${code}:\n${stdout}\n${stderr}`);
  const rss = hasTime ? Number(stderr.trim().split('\n').pop()) / 1024 : Number.NaN;
  const { up, down, connections, requests } = proxy.counts;
  // The segment download (rebuild or top-up), from the proxy's clock to the same origin.
  const gets = requests.filter((r) => r.method === 'GET' && r.path.includes('/warehouse/'));
  if (gets.length > 0) {
    marks.download = [Math.min(...gets.map((r) => r.start)), Math.max(...gets.map((r) => r.end))].map(
      (ms) => (ms - p0) / 1e3,
    );
  }
  return { s, rss, up, down, connections, requests: [...requests], stdout, marks };
}

/** `state read 0.71 | warehouse ready 6.02 (segment download 0.95–2.63) | … | exit 7.40`. */
function phases(r) {
  const parts = [];
  for (const [phase] of PHASES)
    if (r.marks[phase] !== undefined) {
      const dl =
        phase === 'warehouse ready' && r.marks.download
          ? ` (segment download ${fmt(r.marks.download[0])}–${fmt(r.marks.download[1])})`
          : '';
      parts.push(`${phase} ${fmt(r.marks[phase])}${dl}`);
    }
  parts.push(`exit ${fmt(r.s)}`);
  return parts.join(' | ');
}

/**
 * The requests of one run by object: `state.json GET×1 PUT×2 ↑17.1 kB ↓8.3 kB 0.05 s; …`, the
 * seconds summed from each request's first byte sent to its response's last byte received.
 */
function breakdown(requests) {
  const groups = new Map();
  for (const r of requests) {
    const what = r.path.endsWith('/state.json')
      ? 'state.json'
      : r.path.endsWith('/state.lock')
        ? 'state.lock'
        : r.path.includes('/warehouse/')
          ? 'segments'
          : `other (${r.path.split('/').slice(2).join('/') || '/'})`;
    const g = groups.get(what) ?? { methods: new Map(), up: 0, down: 0, ms: 0 };
    g.methods.set(r.method, (g.methods.get(r.method) ?? 0) + 1);
    g.up += r.up;
    g.down += r.down;
    g.ms += r.end - r.start;
    groups.set(what, g);
  }
  const kb = (b) => `${(b / 1e3).toFixed(1)} kB`;
  return [...groups]
    .map(
      ([what, g]) =>
        `${what} ${[...g.methods].map(([m, n]) => `${m}×${n}`).join(' ')} ↑${kb(g.up)} ↓${kb(g.down)} ${(g.ms / 1e3).toFixed(2)} s`,
    )
    .join('; ');
}

// ---------------------------------------------------------------------------------------------
// The store, straight to azurite (not counted): save and restore what runner A left.
let container;
let connectionString;
const blobNames = async () => {
  const names = [];
  for await (const b of container.listBlobsFlat({ prefix: ROOT })) names.push(b.name);
  return names.sort();
};
const readBlob = async (name) => container.getBlobClient(name).downloadToBuffer();
async function stateDoc() {
  return JSON.parse((await readBlob(`${ROOT}state.json`)).toString('utf8'));
}
let saved;
async function saveRemote() {
  saved = { names: new Set(await blobNames()), state: await readBlob(`${ROOT}state.json`) };
}
async function restoreRemote() {
  await container.getBlockBlobClient(`${ROOT}state.json`).uploadData(saved.state);
  for (const name of await blobNames()) if (!saved.names.has(name)) await container.deleteBlob(name);
}

const mb = (bytes) => bytes / 1e6;
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const duSync = (path) => {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true, recursive: true }))
    if (e.isFile()) total += statSync(join(e.parentPath ?? e.path, e.name)).size;
  return total;
};

try {
  console.log(
    `remote state bench: ${N.toLocaleString('en')} events, then ${NEW.toLocaleString('en')} new (1%); azure state on azurite through a byte-counting proxy; median of ${REPEAT}`,
  );
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  const t = process.hrtime.bigint();
  await generate([{ path: join(dataDir, 'events-001.parquet'), from: 0, count: N }]);
  console.log(`  data generated in ${fmt(Number(process.hrtime.bigint() - t) / 1e9, 1)} s`);

  azurite = await startAzurite();
  container = new ContainerClient(azurite.connectionString, CONTAINER);
  await container.createIfNotExists();
  proxy = countingProxy(azurite.port);
  const proxyPort = await proxy.listen();
  connectionString = azurite.connectionString.replace(`:${azurite.port}/`, `:${proxyPort}/`);

  // Runner A's first run: N events ingested, their segment uploaded, the export's first run.
  const a = join(work, 'runner-a');
  const cacheA = join(work, 'user-cache-a');
  mkdirSync(cacheA);
  writeProject(a, dataDir);
  const first = await outflow(a, ['apply', '--auto-approve', '--now', T0], cacheA);
  const doc1 = await stateDoc();
  const seg1 = doc1.resources['Dataflow/events'].data.segments.objects;
  console.log(
    `  runner A: apply of ${N.toLocaleString('en')} events ${fmt(first.s)} s, up ${fmt(mb(first.up), 1)} MB, down ${fmt(mb(first.down), 1)} MB, peak RSS ${fmt(first.rss, 0)} MB; segments ${seg1.map((o) => `${o.key} (${o.rows} rows, ${fmt(mb(o.bytes), 1)} MB)`).join(', ')}; warehouse ${fmt(mb(statSync(join(a, '.outflow', 'warehouse.duckdb')).size), 1)} MB`,
  );
  console.log(`       requests: ${breakdown(first.requests)}`);
  if (process.env.BENCH_REMOTE_VERBOSE === '1') console.log(first.stdout);
  await saveRemote();

  // The 1% of new events, delivered after the first run; then the templates.
  await generate([{ path: join(dataDir, 'events-002.parquet'), from: N, count: NEW }]);
  linkSync(join(dataDir, 'events-002.parquet'), join(a, 'data', 'events', 'events-002.parquet'));
  const templateA = join(work, 'template-a');
  const templateCache = join(work, 'template-user-cache-a');
  cpSync(a, templateA, { recursive: true });
  cpSync(cacheA, templateCache, { recursive: true });
  rmSync(a, { recursive: true, force: true });
  rmSync(cacheA, { recursive: true, force: true });
  const outflowDirBytes = duSync(join(templateA, '.outflow'));

  // The reference without remote state (BENCH_REMOTE_LOCAL=0 skips it): the same project with
  // local state on one machine, its first apply and then the same second command. Not a ratio
  // base: it shows what remote state (lock, state reads and writes, the segment) adds.
  const LOCAL = process.env.BENCH_REMOTE_LOCAL !== '0';
  const templateL = join(work, 'template-local');
  const templateCacheL = join(work, 'template-user-cache-local');
  if (LOCAL) {
    const l = join(work, 'runner-local');
    const cacheL = join(work, 'user-cache-local');
    mkdirSync(cacheL);
    writeProject(l, dataDir, { local: true });
    rmSync(join(l, 'data', 'events', 'events-002.parquet'));
    const firstL = await outflow(l, ['apply', '--auto-approve', '--now', T0], cacheL);
    console.log(
      `  local state: apply of ${N.toLocaleString('en')} events ${fmt(firstL.s)} s, peak RSS ${fmt(firstL.rss, 0)} MB`,
    );
    linkSync(join(dataDir, 'events-002.parquet'), join(l, 'data', 'events', 'events-002.parquet'));
    cpSync(l, templateL, { recursive: true });
    cpSync(cacheL, templateCacheL, { recursive: true });
    rmSync(l, { recursive: true, force: true });
    rmSync(cacheL, { recursive: true, force: true });
  }

  /** A folder and user cache for one situation, from the templates. */
  const prepare = {
    warm: (dir, cache) => {
      cpSync(templateA, dir, { recursive: true });
      cpSync(templateCache, cache, { recursive: true });
    },
    freshCache: (dir, cache) => {
      writeProject(dir, dataDir);
      cpSync(join(templateA, '.outflow'), join(dir, '.outflow'), { recursive: true });
      mkdirSync(cache);
    },
    freshNoCache: (dir, cache) => {
      writeProject(dir, dataDir);
      mkdirSync(cache);
    },
    ...(LOCAL
      ? {
          local: (dir, cache) => {
            cpSync(templateL, dir, { recursive: true });
            cpSync(templateCacheL, cache, { recursive: true });
          },
        }
      : {}),
  };
  const labels = {
    warm: '1. warm machine',
    freshCache: '2. fresh runner, warm cache',
    freshNoCache: '3. fresh runner, no cache',
    local: 'local state, one machine (reference)',
  };
  const order = Object.keys(prepare);
  // Situation k from its template: a new project folder and user cache, the store as runner A left it.
  const freshSituation = async (k) => {
    const dir = join(work, `run-${k}`);
    const cache = join(work, `user-cache-${k}`);
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
    prepare[k](dir, cache);
    await restoreRemote();
    return { dir, cache };
  };
  const runs = Object.fromEntries(order.map((k) => [k, []]));
  let newSegment;
  let stateBytes;
  for (let i = 0; i < REPEAT; i++) {
    // Rotate the order per repetition, so load and caches hit every situation alike.
    for (const k of [...order.slice(i % order.length), ...order.slice(0, i % order.length)]) {
      const { dir, cache } = await freshSituation(k);
      spawnSync('sync'); // the copies' dirty pages are not written during the measured run
      const r = await outflow(dir, ['run', '--due', '--now', LATER], cache);
      const warehouseLine = r.stdout
        .split('\n')
        .find((l) => l.includes('warehouse .outflow/warehouse.duckdb'));
      // Check what it did: the new rows ingested (and, remote, their segment listed), the export ran.
      if (
        !r.stdout.includes(`ingest Dataflow/events: ${NEW} rows`) ||
        !/export Export\/ev_inc/.test(r.stdout)
      )
        throw new Error(`${labels[k]}: not the expected ingest and export:\n${r.stdout}`);
      if (k !== 'local') {
        const doc = await stateDoc();
        const segs = doc.resources['Dataflow/events'].data.segments.objects;
        const added = segs.filter((o) => o.seqFrom > N);
        if (added.length !== 1 || added[0].rows !== NEW)
          throw new Error(
            `${labels[k]}: expected one new segment of ${NEW} rows, the state lists ${json(segs)}`,
          );
        newSegment = added[0];
        stateBytes = (await readBlob(`${ROOT}state.json`)).length;
      }
      runs[k].push({ ...r, warehouseLine });
      console.log(
        `  #${i + 1} ${labels[k]}: ${fmt(r.s)} s, up ${fmt(mb(r.up), 3)} MB, down ${fmt(mb(r.down), 3)} MB, ${r.connections} connections, peak RSS ${fmt(r.rss, 0)} MB${warehouseLine ? `; ${warehouseLine.trim()}` : ''}`,
      );
      console.log(`       requests: ${breakdown(r.requests)}`);
      console.log(`       phases (s since start): ${phases(r)}`);
      if (process.env.BENCH_REMOTE_VERBOSE === '1') console.log(r.stdout);
    }
  }

  // BENCH_REMOTE_PROFILE=DIR: one more run per situation, not timed, under `node --cpu-prof`
  // (profiles in DIR/<situation>/), to see where the time goes.
  if (process.env.BENCH_REMOTE_PROFILE) {
    for (const k of order) {
      const { dir, cache } = await freshSituation(k);
      const profDir = join(process.env.BENCH_REMOTE_PROFILE, k);
      await outflow(dir, ['run', '--due', '--now', LATER], cache, [
        '--cpu-prof',
        `--cpu-prof-dir=${profDir}`,
      ]);
      console.log(`  profile of ${labels[k]} in ${profDir}`);
    }
  }

  const med = (k, f) => median(runs[k].map((r) => r[f]));
  const table = order.map((k) => ({
    situation: labels[k],
    's (median)': fmt(med(k, 's')),
    'MB up': fmt(mb(med(k, 'up')), 3),
    'MB down': fmt(mb(med(k, 'down')), 3),
    'peak RSS MB': fmt(Math.max(...runs[k].map((r) => r.rss)), 0),
    'time ratio': fmt(med(k, 's') / med('warm', 's')),
    'up ratio': fmt(med(k, 'up') / med('warm', 'up')),
    'down ratio': fmt(med(k, 'down') / med('warm', 'down')),
    'RSS ratio': fmt(Math.max(...runs[k].map((r) => r.rss)) / Math.max(...runs.warm.map((r) => r.rss))),
  }));
  console.log(
    `second run (\`outflow run --due\`: ingest ${NEW.toLocaleString('en')} new events, upload their segment, incremental export) after ${N.toLocaleString('en')} events, median of ${REPEAT}; ratios to the warm machine`,
  );
  console.table(table);
  // When outflow printed each phase's line (seconds since the process started), medians.
  console.log('phases: when outflow printed the line (s since the process started), median');
  console.table(
    order.map((k) => {
      const row = { situation: labels[k] };
      const at = (f) => {
        const xs = runs[k].map(f).filter((x) => x !== undefined);
        return xs.length > 0 ? fmt(median(xs)) : '';
      };
      for (const [phase] of PHASES) {
        if (phase === 'warehouse ready') {
          row['segment download from'] = at((r) => r.marks.download?.[0]);
          row['segment download to'] = at((r) => r.marks.download?.[1]);
        }
        row[phase] = at((r) => r.marks[phase]);
      }
      row.exit = fmt(med(k, 's'));
      return row;
    }),
  );
  const seg1Bytes = seg1.reduce((s, o) => s + o.bytes, 0);
  const upWarm = med('warm', 'up');
  const upFresh = med('freshCache', 'up');
  console.log(
    `  new data: segment ${newSegment.key} ${NEW.toLocaleString('en')} rows, ${fmt(mb(newSegment.bytes), 3)} MB; state.json ${fmt(stateBytes / 1e3, 1)} kB; new segment + state.json = ${fmt(mb(newSegment.bytes + stateBytes), 3)} MB`,
  );
  console.log(
    `  uploads / (new segment + state.json): warm machine ${fmt(upWarm / (newSegment.bytes + stateBytes))}, fresh runner with cache ${fmt(upFresh / (newSegment.bytes + stateBytes))}, without ${fmt(med('freshNoCache', 'up') / (newSegment.bytes + stateBytes))}`,
  );
  console.log(
    `  history: ${N.toLocaleString('en')} rows in ${fmt(mb(seg1Bytes), 1)} MB of segments; runner A's .outflow/ ${fmt(mb(outflowDirBytes), 1)} MB (what a CI cache restores); a rebuild downloads ${fmt(mb(med('freshNoCache', 'down')), 1)} MB`,
  );
  const goalUp = [upWarm, upFresh, med('freshNoCache', 'up')].every(
    (u) => u < 2 * (newSegment.bytes + stateBytes) + 100_000,
  );
  const ratio = med('freshCache', 's') / med('warm', 's');
  console.log(
    `  goal: uploads proportional to the new data (within 2× of new segment + state.json, + 100 kB of requests): ${goalUp ? 'met' : 'NOT met'}; fresh runner with warm cache within 1.3× of the warm machine: ${fmt(ratio)} ${ratio <= 1.3 ? 'met' : 'NOT met'}`,
  );
} finally {
  cleanup();
  if (KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
