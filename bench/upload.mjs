// Upload bench: outflow's destination modules (dist/destinations/<store>.js, `put`) against the
// bare SDK call a user would write by hand, for the same file, per store, each against its local
// server on 127.0.0.1 (started here, stopped by PID): s3rver, the Firebase Storage emulator,
// azurite and OpenSSH's sshd. Run after `npm run build` (npm run bench does it).
//   BENCH_UPLOAD=0           skip (bench/run.mjs checks it too)
//   BENCH_UPLOAD_MB          throughput file size in MiB (default 256)
//   BENCH_UPLOAD_BIG_MB      second size, one upload each, to show peak RSS does not grow with the
//                            file (default 1024; 0 skips)
//   BENCH_UPLOAD_REPEAT      repetitions at BENCH_UPLOAD_MB (default 4; median, order alternating)
//   BENCH_UPLOAD_STORES      comma-separated subset of s3,gcs,azure,sftp
// Every upload runs in a fresh process (bench/upload-worker.mjs), so its peak RSS is its own.
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  S3RVER_KEY,
  sftpUnavailable,
  startAzurite,
  startGcsEmulator,
  startS3rver,
  startSftpServer,
  stopAllNow,
} from './upload-servers.mjs';

if (process.env.BENCH_UPLOAD === '0') process.exit(0);

const here = import.meta.dirname;
const worker = join(here, 'upload-worker.mjs');
const MiB = 1024 * 1024;
const SIZE_MB = Number(process.env.BENCH_UPLOAD_MB ?? 256);
const BIG_MB = Number(process.env.BENCH_UPLOAD_BIG_MB ?? 1024);
const REPEAT = Math.max(1, Number(process.env.BENCH_UPLOAD_REPEAT ?? 4));
const STORES = (process.env.BENCH_UPLOAD_STORES ?? 's3,gcs,azure,sftp').split(',').map((s) => s.trim());
/** outflow's part/block size and parallelism for S3 and Azure (src/destinations/{s3,azure}.ts). */
const PART_SIZE = 8 * MiB;
const QUEUE_SIZE = 4;

const work = mkdtempSync(join(tmpdir(), 'outflow-bench-upload-'));
const cleanup = () => {
  stopAllNow();
  rmSync(work, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

/** A file of `mb` MiB: one 16 MiB random block repeated (no store here compresses or dedups). */
function makeFile(name, mb) {
  const path = join(work, name);
  const block = randomFillSync(Buffer.allocUnsafe(16 * MiB));
  const fd = openSync(path, 'w');
  try {
    let left = mb * MiB;
    while (left > 0) {
      const n = Math.min(left, block.length);
      writeSync(fd, block, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/** One upload in a fresh process; resolves to the worker's JSON line. */
function upload(store, impl, file, server) {
  const job = {
    store,
    impl,
    file,
    // Flat keys: the bare sftp fastPut (rightly) does not create folders.
    key: `bench-${impl}-${process.hrtime.bigint()}.bin`,
    server,
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
  };
  const env = { ...process.env, NO_COLOR: '1' };
  if (store === 'gcs') env.STORAGE_EMULATOR_HOST = server.url;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, JSON.stringify(job)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err = (err + c).slice(-8000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        const e = new Error(`${store}/${impl} upload exited ${code}:\n${out.slice(-2000)}\n${err}`);
        e.stderr = err;
        reject(e);
        return;
      }
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

async function startStore(store) {
  switch (store) {
    case 's3': {
      const s = await startS3rver(['bench']);
      return { stop: s.stop, info: { endpoint: s.endpoint, key: S3RVER_KEY, dir: s.dir } };
    }
    case 'gcs': {
      const s = await startGcsEmulator();
      return { stop: s.stop, info: { url: s.url, dir: s.dir } };
    }
    case 'azure': {
      const s = await startAzurite();
      const { ContainerClient } = await import('@azure/storage-blob');
      await new ContainerClient(s.connectionString, 'bench').createIfNotExists();
      return { stop: s.stop, info: { connectionString: s.connectionString, dir: s.dir } };
    }
    case 'sftp': {
      const why = sftpUnavailable();
      if (why !== undefined) return { skip: why };
      const s = await startSftpServer();
      return { stop: s.stop, info: { port: s.port, dir: s.dir, dataDir: s.dataDir } };
    }
    default:
      throw new Error(`unknown store "${store}" in BENCH_UPLOAD_STORES (s3, gcs, azure, sftp)`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function benchStore(store, index, file, bigFile) {
  const started = await startStore(store);
  if (started.skip !== undefined) return { store, skipped: started.skip };
  const { info, stop } = started;
  try {
    // Warm-up, one untimed upload of the same file each: the first large upload to a fresh
    // server is slower, whoever sends it. It also tells whether the store's module is implemented.
    for (const impl of ['sdk', 'outflow']) {
      try {
        await upload(store, impl, file, info);
      } catch (error) {
        if (impl === 'outflow' && /destination-not-supported/.test(error.message))
          return {
            store,
            skipped: `dist/destinations/${store}.js refuses with destination-not-supported (not implemented yet)`,
          };
        throw error;
      }
    }
    const runs = { outflow: [], sdk: [] };
    for (let r = 0; r < REPEAT; r++) {
      // Alternate who goes first, so neither side always meets the warmer (or busier) server.
      for (const impl of r % 2 === 0 ? ['outflow', 'sdk'] : ['sdk', 'outflow']) {
        const res = await upload(store, impl, file, info);
        runs[impl].push(res);
        console.log(
          `  ${store} ${impl.padEnd(7)} ${SIZE_MB} MiB: ${fmt(res.s, 2)} s, ${fmt(SIZE_MB / res.s)} MiB/s, peak RSS ${fmt(res.maxRssMB, 0)} MB`,
        );
      }
    }
    const big = {};
    if (bigFile !== undefined) {
      for (const impl of index % 2 === 0 ? ['outflow', 'sdk'] : ['sdk', 'outflow']) {
        big[impl] = await upload(store, impl, bigFile, info);
        console.log(
          `  ${store} ${impl.padEnd(7)} ${BIG_MB} MiB: ${fmt(big[impl].s, 2)} s, ${fmt(BIG_MB / big[impl].s)} MiB/s, peak RSS ${fmt(big[impl].maxRssMB, 0)} MB`,
        );
      }
    }
    return { store, runs, big };
  } finally {
    await stop();
  }
}

console.log(
  `upload bench: ${SIZE_MB} MiB × ${REPEAT} per side after one warm-up each (order alternating)${BIG_MB > 0 ? `, then ${BIG_MB} MiB once per side` : ''}; stores ${STORES.join(', ')}`,
);
const results = [];
try {
  const file = makeFile('upload.bin', SIZE_MB);
  const bigFile = BIG_MB > 0 ? makeFile('big.bin', BIG_MB) : undefined;
  for (const [index, store] of STORES.entries()) {
    try {
      const res = await benchStore(store, index, file, bigFile);
      if (res.skipped !== undefined) console.log(`  ${store}: skipped — ${res.skipped}`);
      results.push(res);
    } catch (error) {
      // One store failing (a server that would not start, an upload error) does not hide the others.
      console.error(`  ${store}: FAILED — ${error.message}`);
      results.push({ store, skipped: `failed: ${error.message.split('\n')[0]}` });
      process.exitCode = 1;
    }
  }
} finally {
  cleanup();
}

const done = results.filter((r) => r.skipped === undefined);
console.log(
  `upload throughput, ${SIZE_MB} MiB file, median of ${REPEAT} (ratio = median over the pairs of outflow s / SDK s, goal ≤ 1.1)`,
);
console.table(
  done.map((r) => {
    const o = median(r.runs.outflow.map((x) => x.s));
    const k = median(r.runs.sdk.map((x) => x.s));
    const pairs = r.runs.outflow.map((x, i) => x.s / r.runs.sdk[i].s);
    return {
      store: r.store,
      'outflow s': fmt(o, 2),
      'SDK s': fmt(k, 2),
      'outflow MiB/s': fmt(SIZE_MB / o),
      'SDK MiB/s': fmt(SIZE_MB / k),
      ratio: fmt(median(pairs), 2),
      'ratio per pair': pairs.map((p) => fmt(p, 2)).join(' '),
    };
  }),
);
console.log(
  'peak RSS of the uploading process (MB, maxRSS; the process holds node + the SDK before the upload starts)',
);
console.table(
  done.map((r) => {
    const peak = (impl) => Math.max(...r.runs[impl].map((x) => x.maxRssMB));
    const row = {
      store: r.store,
      'before upload MB': `${fmt(median(r.runs.outflow.map((x) => x.baseRssMB)), 0)} / ${fmt(median(r.runs.sdk.map((x) => x.baseRssMB)), 0)}`,
      [`outflow ${SIZE_MB} MiB`]: fmt(peak('outflow'), 0),
      [`SDK ${SIZE_MB} MiB`]: fmt(peak('sdk'), 0),
    };
    if (r.big.outflow !== undefined) {
      row[`outflow ${BIG_MB} MiB`] = fmt(r.big.outflow.maxRssMB, 0);
      row[`SDK ${BIG_MB} MiB`] = fmt(r.big.sdk.maxRssMB, 0);
      row[`${BIG_MB} MiB MiB/s outflow / SDK`] =
        `${fmt(BIG_MB / r.big.outflow.s)} / ${fmt(BIG_MB / r.big.sdk.s)}`;
    }
    return row;
  }),
);
for (const r of results) if (r.skipped !== undefined) console.log(`${r.store}: skipped — ${r.skipped}`);
