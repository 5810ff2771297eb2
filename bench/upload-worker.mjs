// One upload of the upload bench, in a process of its own so its peak RSS is the upload's alone.
// Usage: node bench/upload-worker.mjs JOB_JSON
//   JOB: {store: s3|gcs|azure|sftp, impl: outflow|sdk, file, key, server: {…}, partSize, queueSize}
// `outflow` publishes through dist/destinations/<store>.js (open…Destination + put), `sdk` through
// the bare SDK call a user would write by hand. The SDK modules are imported before the clock
// starts on both sides; the clock covers opening the client/connection and the upload. The stored
// size is then checked and the object deleted (not timed). Prints one JSON line:
//   {s, bytes, baseRssMB, sampledPeakRssMB, maxRssMB}
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const job = JSON.parse(process.argv[2]);
const { store, impl, file, key, server } = job;
const size = statSync(file).size;
const dist = join(import.meta.dirname, '..', 'dist', 'destinations');
const BUCKET = 'bench';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// ---- modules, loaded before timing ----
const sdk = {};
if (store === 's3') {
  sdk.s3 = await import('@aws-sdk/client-s3');
  sdk.storage = await import('@aws-sdk/lib-storage');
} else if (store === 'gcs') sdk.gcs = await import('@google-cloud/storage');
else if (store === 'azure') sdk.azure = await import('@azure/storage-blob');
else if (store === 'sftp') sdk.sftp = (await import('ssh2-sftp-client')).default;
else throw new Error(`unknown store ${store}`);
const outflow = impl === 'outflow' ? await import(join(dist, `${store}.js`)) : undefined;

// ---- outflow: the connection config as the model resolves it (defaults filled) ----
function outflowConnection() {
  const base = { kind: 'Connection', name: `bench_${store}` };
  switch (store) {
    case 's3':
      return {
        config: {
          ...base,
          type: 's3',
          bucket: BUCKET,
          region: 'us-east-1',
          endpoint: server.endpoint,
          forcePathStyle: true,
          accessKeyId: '${env:BENCH_S3_KEY}',
          secretAccessKey: '${env:BENCH_S3_SECRET}',
        },
        context: { root: server.dir, env: { BENCH_S3_KEY: server.key, BENCH_S3_SECRET: server.key } },
      };
    case 'gcs':
      return {
        config: { ...base, type: 'gcs', bucket: BUCKET, projectId: 'demo-test' },
        context: { root: server.dir, env: { STORAGE_EMULATOR_HOST: server.url } },
      };
    case 'azure':
      return {
        config: { ...base, type: 'azure', container: BUCKET, connectionString: '${env:BENCH_AZ}' },
        context: { root: server.dir, env: { BENCH_AZ: server.connectionString } },
      };
    case 'sftp':
      return {
        config: {
          ...base,
          type: 'sftp',
          host: '127.0.0.1',
          port: server.port,
          username: 'root',
          root: server.dataDir,
          privateKey: '${file:client_ed25519}',
          allowUnknownHost: true,
        },
        context: { root: server.dir, env: {} },
      };
  }
}

async function viaOutflow() {
  const { config, context } = outflowConnection();
  const open = {
    s3: 'openS3Destination',
    gcs: 'openGcsDestination',
    azure: 'openAzureDestination',
    sftp: 'openSftpDestination',
  }[store];
  const d = await outflow[open](config.name, config, context);
  await d.put(key, file);
  return {
    stored: async () => (await d.list(key)).find((o) => o.key === key)?.size,
    cleanup: async () => {
      await d.delete(key);
      await d.close();
    },
  };
}

// ---- the bare SDK calls ----
async function viaSdk() {
  switch (store) {
    case 's3': {
      const client = new sdk.s3.S3Client({
        endpoint: server.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: server.key, secretAccessKey: server.key },
        // s3rver stores chunk framing inside streamed objects without these (TEST-SERVERS.md).
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      await new sdk.storage.Upload({
        client,
        params: { Bucket: BUCKET, Key: key, Body: createReadStream(file) },
        partSize: job.partSize,
        queueSize: job.queueSize,
      }).done();
      return {
        stored: async () =>
          (await client.send(new sdk.s3.HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentLength,
        cleanup: async () => {
          await client.send(new sdk.s3.DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
          client.destroy();
        },
      };
    }
    case 'gcs': {
      // STORAGE_EMULATOR_HOST is in this process's environment: the SDK points itself there.
      const bucket = new sdk.gcs.Storage({ projectId: 'demo-test' }).bucket(BUCKET);
      await bucket.upload(file, { destination: key, resumable: true });
      return {
        stored: async () => Number((await bucket.file(key).getMetadata())[0].size),
        cleanup: async () => {
          await bucket.file(key).delete({ ignoreNotFound: true });
        },
      };
    }
    case 'azure': {
      const blob = new sdk.azure.ContainerClient(server.connectionString, BUCKET).getBlockBlobClient(key);
      // The same block size and parallelism as outflow (8 MiB, 4 at once), blocks from the first
      // byte over 8 MiB like outflow (the SDK's default would send up to 256 MiB as one Put Blob).
      await blob.uploadFile(file, {
        blockSize: job.partSize,
        concurrency: job.queueSize,
        maxSingleShotSize: job.partSize,
      });
      return {
        stored: async () => (await blob.getProperties()).contentLength,
        cleanup: async () => {
          await blob.deleteIfExists();
        },
      };
    }
    case 'sftp': {
      const client = new sdk.sftp();
      await client.connect({
        host: '127.0.0.1',
        port: server.port,
        username: 'root',
        privateKey: readFileSync(join(server.dir, 'client_ed25519')),
      });
      const remote = `${server.dataDir}/${key}`;
      await client.fastPut(file, remote);
      return {
        stored: async () => (await client.stat(remote)).size,
        cleanup: async () => {
          await client.delete(remote, true);
          await client.end();
        },
      };
    }
  }
}

// ---- run: RSS sampled every 20 ms while uploading, and the kernel's peak for the process ----
const baseRss = process.memoryUsage.rss();
let sampledPeak = baseRss;
const sampler = setInterval(() => {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
}, 20);
const t0 = process.hrtime.bigint();
const handle = impl === 'outflow' ? await viaOutflow() : await viaSdk();
const s = Number(process.hrtime.bigint() - t0) / 1e9;
clearInterval(sampler);
sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
const maxRss = process.resourceUsage().maxRSS * 1024;
const stored = await handle.stored();
await handle.cleanup();
if (stored !== size) throw new Error(`${store}/${impl}: stored ${stored} bytes of ${size}`);
const MiB = 1024 * 1024;
console.log(
  JSON.stringify({
    s,
    bytes: size,
    baseRssMB: baseRss / MiB,
    sampledPeakRssMB: sampledPeak / MiB,
    maxRssMB: maxRss / MiB,
  }),
);
// The SDKs may keep sockets alive; the result is out, so leave now.
process.exit(0);
