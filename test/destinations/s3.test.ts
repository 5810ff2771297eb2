import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from '../../src/destinations/index.js';
import { openS3Destination } from '../../src/destinations/s3.js';
import { classifyS3Error, s3Error } from '../../src/destinations/s3-errors.js';
import { MB } from '../support/data.js';
import { withEnv } from '../support/env.js';
import { type StoreProjectOptions, writeStoreProject } from '../support/project.js';
import {
  expectManifestLast,
  expectPublished,
  type Listed,
  listWhile,
  publishedIds,
  type StoreReader,
  streamDigest,
} from '../support/published.js';
import { flakyHttpProxy } from '../support/servers/flaky-proxy.js';
import { S3RVER_KEY, type S3TestServer, startS3rver } from '../support/servers/s3.js';
import { tempDirs } from '../support/temp.js';
import { expectSecretInNoFile } from '../support/tree.js';

// The s3 destination against a real s3rver on 127.0.0.1 (started here, stopped by PID): the
// module's own logic first, then `outflow apply` through the real binary (npm run build first).
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const NOW = '2026-11-20T12:00:00Z';
const BUCKET = 'exports';
/** A value that must never leave the process that resolves it. */
const SECRET = `outflow-s3-secret-${randomBytes(6).toString('hex')}`;

let s3: S3TestServer;
let client: S3Client;
const scratch = tempDirs('outflow-s3');
const tempDir = scratch.make;

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  client = s3.client();
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  scratch.removeAll();
});

// ---------- store helpers (the SDK, not outflow) ----------

async function listAll(prefix: string): Promise<Listed[]> {
  const out: Listed[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      out.push({ key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

async function objectBytes(key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** The bucket as expectPublished and publishedIds read it back. */
const bucket: StoreReader = {
  list: listAll,
  bytes: objectBytes,
  digest: async (key) =>
    streamDigest((await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body as Readable),
};

// ---------- projects ----------

interface ProjectOptions extends StoreProjectOptions {
  /** The connection's prefix: one per test, so tests never see each other's objects. */
  prefix: string;
  endpoint?: string;
  bucket?: string;
}

const makeProject = (o: ProjectOptions) =>
  writeStoreProject(
    tempDir('project'),
    's3_out',
    `kind: Connection
name: s3_out
type: s3
bucket: ${o.bucket ?? BUCKET}
prefix: ${o.prefix}
region: us-east-1
endpoint: ${o.endpoint ?? s3.endpoint}
accessKeyId: \${env:S3_KEY_ID}
secretAccessKey: \${env:S3_SECRET}
`,
    o,
  );

function apply(dir: string, env: Record<string, string> = {}, args: string[] = []) {
  return execa('node', [bin, '-C', dir, 'apply', '--auto-approve', '--now', NOW, ...args], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1', S3_KEY_ID: S3RVER_KEY, S3_SECRET: S3RVER_KEY, ...env },
  });
}

// ---------- the module ----------

function connection(over: Record<string, unknown> = {}) {
  return {
    kind: 'Connection',
    name: 's3_unit',
    type: 's3',
    bucket: BUCKET,
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: '${env:KEY_ID}',
    secretAccessKey: '${env:SECRET}',
    ...over,
  } as unknown as Parameters<typeof openS3Destination>[1];
}

const unitEnv = { root: tmpdir(), env: { KEY_ID: S3RVER_KEY, SECRET: S3RVER_KEY } };

describe('s3 destination module', () => {
  it('prefixes keys as a folder and round-trips put, list, get, download and delete', async () => {
    const dir = tempDir('unit');
    const small = join(dir, 'small.csv');
    writeFileSync(small, 'a\n1\n');
    const large = join(dir, 'large.bin');
    writeFileSync(large, randomBytes(17 * MB + 5));
    // A trailing slash on the prefix or none means the same folder.
    for (const prefix of ['unit/a', 'unit/a/']) {
      const d = await openS3Destination('s3_unit', connection({ prefix }), unitEnv);
      expect(d.describe('x/small.csv')).toBe(`s3://${BUCKET}/unit/a/x/small.csv`);
      await d.close();
    }
    const d = await openS3Destination('s3_unit', connection({ prefix: 'unit/a/' }), unitEnv);
    try {
      const smallProgress: number[] = [];
      await d.put('x/small.csv', small, (n) => smallProgress.push(n));
      expect(smallProgress.at(-1)).toBe(4);
      // Over 8 MB: a multipart upload, progress growing part by part up to the whole size.
      const largeProgress: number[] = [];
      await d.put('x/y/large.bin', large, (n) => largeProgress.push(n));
      expect(largeProgress.length).toBeGreaterThan(1);
      expect(largeProgress).toEqual([...largeProgress].sort((a, b) => a - b));
      expect(largeProgress.at(-1)).toBe(17 * MB + 5);
      expect(s3.pendingUploads(BUCKET)).toEqual([]);
      writeFileSync(join(dir, 'empty'), '');
      await d.put('x/empty.csv', join(dir, 'empty'));
      expect(await d.get('x/empty.csv')).toEqual(Buffer.alloc(0));
      await d.delete('x/empty.csv');
      // Stored under the prefix; listed relative to it, with a version.
      expect((await listAll('unit/')).map((o) => o.key).sort()).toEqual([
        'unit/a/x/small.csv',
        'unit/a/x/y/large.bin',
      ]);
      const listed = await d.list('');
      expect(listed.map(({ key, size }) => ({ key, size }))).toEqual([
        { key: 'x/small.csv', size: 4 },
        { key: 'x/y/large.bin', size: 17 * MB + 5 },
      ]);
      expect(listed.every((o) => typeof o.version === 'string' && o.version !== '')).toBe(true);
      expect((await d.list('x/y/')).map((o) => o.key)).toEqual(['x/y/large.bin']);
      expect(await d.list('nothing/')).toEqual([]);
      // Re-publishing a key overwrites it.
      writeFileSync(small, 'a\n2\n');
      await d.put('x/small.csv', small);
      expect((await d.get('x/small.csv'))?.toString()).toBe('a\n2\n');
      expect(await d.get('x/missing.csv')).toBeUndefined();
      const progress: number[] = [];
      await d.download('x/y/large.bin', join(dir, 'back.bin'), (n) => progress.push(n));
      expect(readFileSync(join(dir, 'back.bin')).equals(readFileSync(large))).toBe(true);
      expect(progress.at(-1)).toBe(17 * MB + 5);
      await expect(d.download('x/missing.csv', join(dir, 'none'))).rejects.toMatchObject({
        code: 'object-not-found',
        message: `s3://${BUCKET}/unit/a/x/missing.csv does not exist`,
      });
      await d.delete('x/small.csv');
      await d.delete('x/small.csv');
      expect((await d.list('')).map((o) => o.key)).toEqual(['x/y/large.bin']);
      await d.delete('x/y/large.bin');
      expect(await d.list('')).toEqual([]);
    } finally {
      await d.close();
      await d.close();
    }
  });

  it('without a prefix writes at the bucket root', async () => {
    const dir = tempDir('unit');
    writeFileSync(join(dir, 'f.txt'), 'root');
    const d = await openS3Destination('s3_unit', connection(), unitEnv);
    await d.put('rootfile.txt', join(dir, 'f.txt'));
    expect(d.describe('rootfile.txt')).toBe(`s3://${BUCKET}/rootfile.txt`);
    expect((await objectBytes('rootfile.txt')).toString()).toBe('root');
    expect((await d.list('rootfile')).map((o) => o.key)).toEqual(['rootfile.txt']);
    await d.delete('rootfile.txt');
    await d.close();
  });

  it('uses the default credential chain when both keys are omitted; one without the other is refused', async () => {
    const dir = tempDir('unit');
    writeFileSync(join(dir, 'f.txt'), 'chain');
    await withEnv({ AWS_ACCESS_KEY_ID: S3RVER_KEY, AWS_SECRET_ACCESS_KEY: S3RVER_KEY }, async () => {
      const d = await openS3Destination(
        's3_unit',
        connection({ accessKeyId: undefined, secretAccessKey: undefined, prefix: 'chain' }),
        unitEnv,
      );
      await d.put('f.txt', join(dir, 'f.txt'));
      expect((await objectBytes('chain/f.txt')).toString()).toBe('chain');
      await d.delete('f.txt');
      await d.close();
    });
    await expect(
      openS3Destination('s3_unit', connection({ secretAccessKey: undefined }), unitEnv),
    ).rejects.toMatchObject({
      code: 'destination-auth-failed',
      message: 'connection "s3_unit": accessKeyId is set without secretAccessKey',
    });
    await expect(
      openS3Destination('s3_unit', connection(), { root: tmpdir(), env: { KEY_ID: S3RVER_KEY } }),
    ).rejects.toMatchObject({ code: 'secret-missing' });
  });

  it('maps the store’s refusals to coded errors naming the connection and the cause', async () => {
    const dir = tempDir('unit');
    writeFileSync(join(dir, 'f.txt'), 'x');
    writeFileSync(join(dir, 'big.bin'), randomBytes(9 * MB));
    const wrongKey = await openS3Destination('s3_unit', connection({ prefix: 'p' }), {
      root: tmpdir(),
      env: { KEY_ID: 'NOSUCHKEY', SECRET },
    });
    const noBucket = await openS3Destination('s3_unit', connection({ bucket: 'no-such-bucket' }), unitEnv);
    const cases: [Destination, () => Promise<unknown>, RegExp, string][] = [
      [
        wrongKey,
        () => wrongKey.put('f.txt', join(dir, 'f.txt')),
        /InvalidAccessKeyId/,
        'destination-auth-failed',
      ],
      [
        wrongKey,
        () => wrongKey.put('big.bin', join(dir, 'big.bin')),
        /InvalidAccessKeyId/,
        'destination-auth-failed',
      ],
      [wrongKey, () => wrongKey.list(''), /InvalidAccessKeyId/, 'destination-auth-failed'],
      [noBucket, () => noBucket.put('f.txt', join(dir, 'f.txt')), /NoSuchBucket/, 'destination-not-found'],
      [
        noBucket,
        () => noBucket.put('big.bin', join(dir, 'big.bin')),
        /NoSuchBucket/,
        'destination-not-found',
      ],
      [noBucket, () => noBucket.get('f.txt'), /NoSuchBucket/, 'destination-not-found'],
    ];
    for (const [, run, cause, code] of cases) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; hint: string },
      );
      expect(error?.code).toBe(code);
      expect(error?.message).toMatch(/^connection "s3_unit" \(s3:\/\/[a-z-]+\/[^)]*\): (403|404) /);
      expect(error?.message).toMatch(cause);
      expect(error?.hint).toMatch(/check/);
      expect(JSON.stringify(error)).not.toContain(SECRET);
      expect(String(error?.message)).not.toContain(SECRET);
    }
    await wrongKey.close();
    await noBucket.close();
  });

  it('classifies errors: auth, missing bucket, transient, permanent; masks secrets', () => {
    const sdkError = (name: string, status?: number) =>
      Object.assign(new Error(`${name} happened`), {
        name,
        ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
      });
    const code = (e: unknown) => {
      const f = classifyS3Error(e);
      return `${f.code}${f.transient ? ' (transient)' : ''}`;
    };
    expect(code(sdkError('InvalidAccessKeyId', 403))).toBe('destination-auth-failed');
    expect(code(sdkError('SignatureDoesNotMatch', 403))).toBe('destination-auth-failed');
    expect(code(sdkError('AccessDenied', 403))).toBe('destination-auth-failed');
    expect(code(sdkError('ExpiredToken', 400))).toBe('destination-auth-failed');
    expect(code(sdkError('CredentialsProviderError'))).toBe('destination-auth-failed');
    expect(code(sdkError('NoSuchBucket', 404))).toBe('destination-not-found');
    expect(code(sdkError('ServiceUnavailable', 503))).toBe('destination-failed (transient)');
    expect(code(sdkError('SlowDown', 503))).toBe('destination-failed (transient)');
    expect(code(sdkError('InternalError', 500))).toBe('destination-failed (transient)');
    expect(code(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(
      'destination-failed (transient)',
    );
    expect(code(sdkError('TimeoutError'))).toBe('destination-failed (transient)');
    expect(code(sdkError('RequestTimeTooSkewed', 403))).toBe('destination-failed (transient)');
    expect(code(sdkError('InvalidArgument', 400))).toBe('destination-failed');
    expect(code(sdkError('EntityTooLarge', 400))).toBe('destination-failed');
    const e = s3Error('s3_out', 's3://b/p/k', sdkError('SignatureDoesNotMatch', 403), ['hunter2']);
    expect(e.message).toBe(
      'connection "s3_out" (s3://b/p/k): 403 SignatureDoesNotMatch: SignatureDoesNotMatch happened',
    );
    const leaky = s3Error('s3_out', 's3://b/k', new Error('bad secret hunter2 in header'), ['hunter2']);
    expect(leaky.message).toBe('connection "s3_out" (s3://b/k): Error: bad secret *** in header');
  });

  it('retries transient faults (503s, resets) on every call through a flaky proxy', async () => {
    const proxy = await flakyHttpProxy(s3.port, { unavailable: 3, reset: 3 });
    const dir = tempDir('unit');
    writeFileSync(join(dir, 'f.txt'), 'flaky');
    await withEnv({ OUTFLOW_RETRY_MIN_MS: '10' }, async () => {
      const d = await openS3Destination(
        's3_unit',
        connection({ endpoint: `http://127.0.0.1:${proxy.port}`, prefix: 'flaky-unit' }),
        unitEnv,
      );
      try {
        await d.put('f.txt', join(dir, 'f.txt'));
        expect(proxy.counts).toMatchObject({ unavailable: 3, reset: 3 });
        expect((await d.get('f.txt'))?.toString()).toBe('flaky');
        expect((await d.list('')).map((o) => o.key)).toEqual(['f.txt']);
        await d.delete('f.txt');
      } finally {
        await d.close();
        await proxy.close();
      }
    });
  });
});

// ---------- outflow apply to s3 ----------

describe('outflow apply to s3', () => {
  it('publishes a ~150 MB multipart export: every file byte-identical to its manifest, the manifest last', {
    timeout: 180_000,
  }, async () => {
    const { dir, rows } = await makeProject({
      prefix: 'big/',
      blobsMb: 150,
      blobsChunk: '50MB',
      templateExports: false,
    });

    // Watch the bucket while the apply runs: whenever the manifest is visible, so must be every
    // file it lists (checked below, once the file list is known).
    const { result: res, listings } = await listWhile(bucket, 'big/', apply(dir));
    expect(res.exitCode, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(
      new RegExp(`✓ export Export/blobs_out: ${rows} rows in \\d+ files → s3://${BUCKET}/big/blobs_out/`),
    );
    const [manifest] = await expectPublished(bucket, 'big/', 'blobs_out');
    expect(manifest!.rows).toBe(rows);
    expect(manifest!.bytes).toBeGreaterThan(150_000_000);
    expect(manifest!.files.length).toBeGreaterThanOrEqual(3);
    // Every data file went up in parts (over two 8 MB parts each but the last), none left open.
    for (const f of manifest!.files.slice(0, -1)) expect(f.bytes).toBeGreaterThan(16 * MB);
    expect(s3.pendingUploads(BUCKET)).toEqual([]);
    expectManifestLast(
      listings,
      manifest!.files.map((f) => `big/${f.name}`),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('an upload killed half-way is redone by the re-run: every row once, no stray objects, manifest last', {
    timeout: 120_000,
  }, async () => {
    const { dir, rows } = await makeProject({
      prefix: 'kill/',
      blobsMb: 40,
      blobsChunk: '20MB',
      templateExports: false,
    });

    const before = s3.pendingUploads(BUCKET);
    const killed = await apply(dir, { OUTFLOW_CRASH_AT: 'publish.mid-upload' });
    expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
    expect(killed.stderr.split('\n')).toContain('crash point publish.mid-upload#1');
    // Killed in the first file's multipart upload: nothing is published yet, no manifest.
    const afterKill = await listAll('kill/');
    expect(afterKill.filter((o) => o.key.includes('_manifest-'))).toEqual([]);
    expect(afterKill).toEqual([]);
    // kill -9 leaves no chance to abort: the open upload stays until the re-run (or a lifecycle
    // rule) aborts it. s3rver cannot list or abort uploads (501/405), so here it stays for good.
    const orphaned = s3.pendingUploads(BUCKET).filter((u) => !before.includes(u));
    expect(orphaned).toHaveLength(1);

    const unlock = await execa('node', [bin, '-C', dir, 'state', 'unlock'], { reject: false });
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    const rerun = await apply(dir);
    expect(rerun.exitCode, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);
    const found = await expectPublished(bucket, 'kill/', 'blobs_out');
    expect(found).toHaveLength(1);
    expect(found[0]!.files.length).toBeGreaterThanOrEqual(2);
    const ids = await publishedIds(bucket, 'kill/', found);
    expect(ids).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
    // The re-run completed every upload it started; only the killed one is still open.
    expect(s3.pendingUploads(BUCKET).filter((u) => !before.includes(u))).toEqual(orphaned);
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries through 503s and connection resets: the apply succeeds and each file is delivered once', {
    timeout: 120_000,
  }, async () => {
    // Six faults in a row fit every call's budget: a streamed PUT is tried 7 times, a buffered
    // request 3 times by the SDK, 3 times over by outflow.
    const proxy = await flakyHttpProxy(s3.port, { unavailable: 3, reset: 3 });
    const before = s3.pendingUploads(BUCKET);
    try {
      const { dir } = await makeProject({
        prefix: 'flaky/',
        endpoint: `http://127.0.0.1:${proxy.port}`,
        blobsMb: 20,
      });
      const res = await apply(dir, { OUTFLOW_RETRY_MIN_MS: '10' });
      expect(res.exitCode, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(proxy.counts.unavailable).toBe(3);
      expect(proxy.counts.reset).toBe(3);
      expect(proxy.counts.passed).toBeGreaterThan(0);
      for (const exp of ['buyers_daily', 'events_out', 'blobs_out']) {
        const found = await expectPublished(bucket, 'flaky/', exp);
        expect(found).toHaveLength(1);
      }
      expect(s3.pendingUploads(BUCKET).filter((u) => !before.includes(u))).toEqual([]);
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await proxy.close();
    }
  });

  it('wrong credentials: exit 1 naming the connection and the store’s cause; the secret appears nowhere', async () => {
    const { dir } = await makeProject({ prefix: 'creds/' });
    const res = await apply(dir, { S3_KEY_ID: 'NOSUCHKEYID', S3_SECRET: SECRET });
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(
      /error\[destination-auth-failed\]: connection "s3_out" \(s3:\/\/exports\/creds\/[^)]+\): 403 InvalidAccessKeyId: /,
    );
    expect(res.stderr).toMatch(/hint: check accessKeyId and secretAccessKey/);
    const state = readFileSync(join(dir, '.outflow', 'state.json'), 'utf8');
    const runs = JSON.parse(state).resources['Export/events_out'].data.runs;
    expect(runs[0]).toMatchObject({ status: 'failed', error: { code: 'destination-auth-failed' } });
    expect(res.stdout).not.toContain(SECRET);
    expect(res.stderr).not.toContain(SECRET);
    expectSecretInNoFile(join(dir, '.outflow'), SECRET);
    // Nothing was published, and nothing stored by the server holds the secret.
    expect(await listAll('creds/')).toEqual([]);
    expectSecretInNoFile(s3.dir, SECRET, MB);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a missing bucket: exit 1 with destination-not-found naming the connection and NoSuchBucket', async () => {
    const { dir } = await makeProject({ prefix: 'missing/', bucket: 'no-such-bucket' });
    const res = await apply(dir, { S3_SECRET: SECRET });
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(
      /error\[destination-not-found\]: connection "s3_out" \(s3:\/\/no-such-bucket\/missing\/[^)]+\): 404 NoSuchBucket: /,
    );
    expect(res.stderr).toMatch(/hint: check the bucket name/);
    expect(`${res.stdout}${res.stderr}`).not.toContain(SECRET);
    rmSync(dir, { recursive: true, force: true });
  });
});
