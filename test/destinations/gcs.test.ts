import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type File, Storage } from '@google-cloud/storage';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GcsDestination,
  openGcsDestination,
  parseServiceAccountKey,
  RESUMABLE_MIN_BYTES,
  serviceAccountClient,
} from '../../src/destinations/gcs.js';
import { classifyGcsError } from '../../src/destinations/gcs-failures.js';
import type { PublicationManifest } from '../../src/destinations/index.js';
import type { ConnectionOf } from '../../src/destinations/open.js';
import { OutflowError } from '../../src/diagnostics/index.js';
import { writeProject } from '../support/project.js';
import { flakyHttpProxy } from '../support/servers/flaky-proxy.js';
import { type GcsEmulator, startGcsEmulator } from '../support/servers/gcs.js';
import { tempDirs } from '../support/temp.js';

// The gcs destination against the Firebase Storage emulator (GCS JSON API) on 127.0.0.1, through
// the real CLI for apply. The emulator's limits (TEST-SERVERS.md): buckets appear on first
// upload (it never answers "no such bucket" to a write), it checks no credentials, and it has
// no API to list in-progress resumable sessions.
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const NOW = '2026-11-20T12:00:00Z';
const SECRET = 'TOPSECRET-7f3a9c-KEYMATERIAL';

let emu: GcsEmulator;
let storage: Storage;
const scratch = tempDirs('outflow-gcs');
const tempDir = scratch.make;

beforeAll(async () => {
  emu = await startGcsEmulator();
  storage = new Storage({ projectId: 'demo-test', apiEndpoint: emu.url, retryOptions: { autoRetry: false } });
  process.env.OUTFLOW_RETRY_MIN_MS = '10';
});

afterAll(async () => {
  delete process.env.OUTFLOW_RETRY_MIN_MS;
  await emu?.stop();
  scratch.removeAll();
});

/** The init template, both exports sent to a gcs connection on `bucket` (prefix `exports/`). */
function makeProject(bucket: string, connectionExtra = '', chunkLine = 'chunk: {maxRows: 100}\n'): string {
  return writeProject(tempDir('project'), {
    edit: {
      'flows/connections.yaml': () =>
        `kind: Connection\nname: gcs_out\ntype: gcs\nbucket: ${bucket}\nprefix: exports/\nprojectId: demo-test\n${connectionExtra}`,
      'flows/exports.yaml': (template) =>
        template
          .replaceAll('destination: local_out', 'destination: gcs_out')
          .replace('chunk: {maxRows: 100}\n', chunkLine),
    },
  });
}

/**
 * `rows` events whose category is `r<i>-` plus 150 random bytes (base64url): every row is
 * distinguishable and the files do not compress. `eventOf` picks each row's event.
 */
function writeEvents(dir: string, rows: number, eventOf: (i: number) => string): void {
  const fd = openSync(join(dir, 'data/events/events-001.ndjson'), 'w');
  const end = Date.UTC(2026, 10, 20);
  let lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const event = eventOf(i);
    const ts = `${new Date(end - 3_600_000 - (i % 1000) * 60_000).toISOString().slice(0, 19)}Z`;
    const category = `r${i}-${randomBytes(150).toString('base64url')}`;
    const price = event === 'buy' ? '12.50' : 'null';
    lines.push(
      `{"user_id":${1 + (i % 40)},"event":"${event}","ts":"${ts}","category":"${category}","price":${price}}`,
    );
    if (lines.length === 10_000) {
      writeSync(fd, `${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) writeSync(fd, `${lines.join('\n')}\n`);
  closeSync(fd);
}

const cli = (dir: string, args: string[], env: Record<string, string> = {}) =>
  execa('node', [bin, '-C', dir, ...args], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1', STORAGE_EMULATOR_HOST: emu.url, OUTFLOW_RETRY_MIN_MS: '10', ...env },
  });
const apply = (dir: string, env: Record<string, string> = {}) =>
  cli(dir, ['apply', '--auto-approve', '--now', NOW], env);

async function objects(bucket: string, prefix = ''): Promise<File[]> {
  const [files] = await storage.bucket(bucket).getFiles({ prefix });
  return files;
}

/**
 * An object read back through the SDK in one streamed pass: its sha256 and, for a CSV file of
 * events, each row's number (`r<i>-` in its category).
 */
async function readBack(file: File): Promise<{ sha256: string; rowNumbers: number[] }> {
  const hash = createHash('sha256');
  const rowNumbers: number[] = [];
  const csv = file.name.endsWith('.csv');
  let rest = '';
  for await (const chunk of file.createReadStream()) {
    hash.update(chunk as Buffer);
    if (!csv) continue;
    const lines = (rest + (chunk as Buffer).toString('latin1')).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const m = /,r(\d+)-/.exec(line);
      if (m !== null) rowNumbers.push(Number(m[1]));
    }
  }
  return { sha256: hash.digest('hex'), rowNumbers };
}

async function manifests(bucket: string): Promise<{ key: string; manifest: PublicationManifest }[]> {
  const out: { key: string; manifest: PublicationManifest }[] = [];
  for (const f of await objects(bucket, 'exports/')) {
    if (!f.name.includes('/_manifest-')) continue;
    const [buf] = await f.download();
    out.push({ key: f.name, manifest: JSON.parse(buf.toString('utf8')) as PublicationManifest });
  }
  return out;
}

interface Published {
  file: File;
  bytes: number;
  rowNumbers: number[];
}

/**
 * Every file of every manifest, read back through the SDK and checked against the manifest's
 * size and sha256; each manifest created after its run's data files; no object outside them.
 */
async function checkPublished(bucket: string): Promise<Published[]> {
  const all = await objects(bucket);
  const byName = new Map(all.map((f) => [f.name, f]));
  const listed = new Set<string>();
  const data: Published[] = [];
  for (const { key, manifest } of await manifests(bucket)) {
    listed.add(key);
    const manifestCreated = Date.parse(byName.get(key)!.metadata.timeCreated!);
    for (const entry of manifest.files) {
      const file = byName.get(`exports/${entry.name}`);
      expect(file, `exports/${entry.name}`).toBeDefined();
      listed.add(file!.name);
      expect(Number(file!.metadata.size)).toBe(entry.bytes);
      const back = await readBack(file!);
      expect(back.sha256).toBe(entry.sha256);
      expect(Date.parse(file!.metadata.timeCreated!)).toBeLessThanOrEqual(manifestCreated);
      data.push({ file: file!, bytes: entry.bytes, rowNumbers: back.rowNumbers });
    }
  }
  expect(all.map((f) => f.name).sort()).toEqual([...listed].sort());
  return data;
}

/** The events export's files, and every event row's number across them, sorted. */
function eventsOut(data: Published[]): { files: File[]; rowNumbers: number[] } {
  const events = data.filter((d) => d.file.name.startsWith('exports/events_out/'));
  return {
    files: events.map((d) => d.file),
    rowNumbers: events.flatMap((d) => d.rowNumbers).sort((a, b) => a - b),
  };
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

function gcsConfig(bucket: string, extra: Partial<ConnectionOf<'gcs'>> = {}): ConnectionOf<'gcs'> {
  return {
    kind: 'Connection',
    name: 'gcs_out',
    type: 'gcs',
    bucket,
    prefix: 'exports/',
    projectId: 'demo-test',
    lifecycle: { protect: false },
    ...extra,
  } as ConnectionOf<'gcs'>;
}

const openTest = (
  bucket: string,
  extra: Partial<ConnectionOf<'gcs'>> = {},
  env: Record<string, string> = {},
) =>
  openGcsDestination('gcs_out', gcsConfig(bucket, extra), {
    root: tempDir('root'),
    env: { STORAGE_EMULATOR_HOST: emu.url, ...env },
  });

describe('gcs destination: apply through the CLI', () => {
  it('publishes a ~150 MB export (resumable uploads), byte for byte, manifest last', {
    timeout: 240_000,
  }, async () => {
    const dir = makeProject('big', '', '');
    // One event file of ~140 MB: over the single-request limit of the emulator (130 MB), so only
    // a resumable upload gets it there; two of ~5 MB each beside it.
    writeEvents(dir, 640_000, (i) => (i % 25 === 0 ? 'buy' : i % 25 === 1 ? 'add_to_cart' : 'visit'));
    const res = await apply(dir);
    expect(res.exitCode, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(
      /export Export\/events_out: 640000 rows in 3 files → gs:\/\/big\/exports\/events_out\/.+\/_manifest-.+\.json/,
    );
    const data = await checkPublished('big');
    const sizes = data.map((d) => d.bytes);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(150_000_000);
    expect(Math.max(...sizes)).toBeGreaterThan(130 * 1024 * 1024);
    expect(eventsOut(data).rowNumbers).toEqual(upTo(640_000));
  });

  it('an upload killed half-way leaves no object; unlock and re-run: every row in exactly one file', {
    timeout: 180_000,
  }, async () => {
    const dir = makeProject('crash', '', '');
    // Three files of ~10 MB each (resumable); the first file over one read chunk is killed at half.
    writeEvents(dir, 120_000, (i) => ['visit', 'add_to_cart', 'buy'][i % 3]!);
    const killed = await apply(dir, { OUTFLOW_CRASH_AT: 'publish.mid-upload' });
    expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
    expect(killed.stderr.split('\n')).toContain('crash point publish.mid-upload#1');
    // The object appears only when its upload finalizes: nothing of the killed run is visible.
    // (The abandoned resumable session holds no object; GCS expires it after a week. The emulator
    // has no API to list sessions, so that part is the store's documented contract, not checked.)
    expect((await objects('crash', 'exports/events_out/')).map((f) => f.name)).toEqual([]);

    const unlock = await cli(dir, ['state', 'unlock']);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    const rerun = await apply(dir);
    expect(rerun.exitCode, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);
    expect(rerun.stdout).toMatch(/export Export\/events_out: 120000 rows in 3 files/);

    const data = await checkPublished('crash');
    const events = eventsOut(data);
    expect(events.files).toHaveLength(3);
    expect(events.files.every((f) => Number(f.metadata.size) >= RESUMABLE_MIN_BYTES)).toBe(true);
    expect(events.rowNumbers).toEqual(upTo(120_000));
    const runs = (await manifests('crash')).filter((m) => m.manifest.export === 'events_out');
    expect(runs).toHaveLength(1);
  });

  it('retries 503s and connection resets (flaky proxy): each file delivered once', {
    timeout: 120_000,
  }, async () => {
    const proxy = await flakyHttpProxy(emu.port, { unavailable: 3, reset: 3 });
    try {
      const dir = makeProject('flaky');
      writeEvents(dir, 400, (i) => ['visit', 'add_to_cart', 'buy'][i % 3]!);
      const res = await apply(dir, { STORAGE_EMULATOR_HOST: `http://127.0.0.1:${proxy.port}` });
      expect(res.exitCode, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(proxy.counts.unavailable).toBe(3);
      expect(proxy.counts.reset).toBe(3);
      expect(proxy.counts.passed).toBeGreaterThan(0);
      const data = await checkPublished('flaky');
      // chunk.maxRows 100: two files per event.
      expect(eventsOut(data).files).toHaveLength(6);
      expect(eventsOut(data).rowNumbers).toEqual(upTo(400));
    } finally {
      await proxy.close();
    }
  });

  it('a malformed serviceAccountKey fails the exports clearly, without showing the key anywhere', {
    timeout: 120_000,
  }, async () => {
    const dir = makeProject('badkey', 'serviceAccountKey: ${file:secrets/gcs-key.json}\n');
    mkdirSync(join(dir, 'secrets'));
    // A key file cut short: not JSON any more.
    writeFileSync(
      join(dir, 'secrets/gcs-key.json'),
      `{"type": "service_account", "project_id": "demo-test", "private_key": "-----BEGIN PRIVATE KEY-----\\n${SECRET}\\n`,
    );
    const res = await apply(dir);
    expect(res.exitCode).toBe(1);
    const output = `${res.stdout}\n${res.stderr}`;
    expect(output).toMatch(/destination-auth-failed/);
    expect(output).toMatch(/connection "gcs_out": serviceAccountKey is not valid JSON/);
    expect(output).not.toContain(SECRET);
    expect(readFileSync(join(dir, '.outflow/state.json'), 'utf8')).not.toContain(SECRET);
    for (const f of await objects('badkey')) {
      const [buf] = await f.download();
      expect(buf.toString('utf8')).not.toContain(SECRET);
    }
  });
});

describe('gcs destination: the module against the emulator', () => {
  it('prefixes keys (trailing slash or none), describes gs:// locations, lists relative keys', async () => {
    const withSlash = await openTest('unit', { prefix: 'exports/' });
    const without = await openTest('unit', { prefix: 'exports' });
    const bare = await openTest('unit', { prefix: undefined });
    expect(withSlash.describe('a/b.csv')).toBe('gs://unit/exports/a/b.csv');
    expect(without.describe('a/b.csv')).toBe('gs://unit/exports/a/b.csv');
    expect(bare.describe('a/b.csv')).toBe('gs://unit/a/b.csv');

    const src = join(tempDir('files'), 'f.csv');
    writeFileSync(src, 'id\n1\n');
    await withSlash.put('run1/b.csv', src);
    await without.put('run1/a.csv', src);
    await bare.put('elsewhere/c.csv', src);
    const listed = await without.list('');
    expect(listed.map((o) => o.key)).toEqual(['run1/a.csv', 'run1/b.csv']);
    expect(listed.every((o) => o.size === 5 && /^\d+$/.test(o.version ?? ''))).toBe(true);
    expect((await withSlash.list('run1/b')).map((o) => o.key)).toEqual(['run1/b.csv']);
    expect((await bare.list('')).map((o) => o.key)).toEqual([
      'elsewhere/c.csv',
      'exports/run1/a.csv',
      'exports/run1/b.csv',
    ]);
  });

  it('put (single request and resumable, with progress), get, download, delete round trip', async () => {
    const d = await openTest('roundtrip');
    const dir = tempDir('files');
    const big = join(dir, 'big.bin');
    const content = randomBytes(RESUMABLE_MIN_BYTES + 1_000_000);
    writeFileSync(big, content);
    const progress: number[] = [];
    await d.put('r/big.bin', big, (n) => progress.push(n));
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((n, i) => i === 0 || n > progress[i - 1]!)).toBe(true);
    expect(progress.at(-1)).toBe(content.length);
    const small = join(dir, 'm.json');
    writeFileSync(small, '{"ok":true}\n');
    await d.put('r/_manifest.json', small);

    expect((await d.get('r/_manifest.json'))?.toString()).toBe('{"ok":true}\n');
    expect(await d.get('r/missing.json')).toBeUndefined();
    const target = join(dir, 'back.bin');
    const received: number[] = [];
    await d.download('r/big.bin', target, (n) => received.push(n));
    expect(readFileSync(target).equals(content)).toBe(true);
    expect(received.at(-1)).toBe(content.length);
    await expect(d.download('r/missing.bin', join(dir, 'x'))).rejects.toMatchObject({
      code: 'object-not-found',
      message: 'gs://roundtrip/exports/r/missing.bin does not exist',
    });

    // Re-publishing a key overwrites it (a retried run's deterministic names).
    writeFileSync(small, '{"ok":2}\n');
    await d.put('r/_manifest.json', small);
    expect((await d.get('r/_manifest.json'))?.toString()).toBe('{"ok":2}\n');
    expect((await d.list('r/')).map((o) => [o.key, o.size])).toEqual([
      ['r/_manifest.json', 9],
      ['r/big.bin', content.length],
    ]);
    await d.delete('r/big.bin');
    await d.delete('r/big.bin');
    expect((await d.list('')).map((o) => o.key)).toEqual(['r/_manifest.json']);
    await d.close();
    await d.close();
  });

  it('retries transient failures, and classifies the real errors of the emulator and the proxy', async () => {
    const proxy = await flakyHttpProxy(emu.port, { unavailable: 2, reset: 2 });
    try {
      const d = await openTest('retry', {}, { STORAGE_EMULATOR_HOST: `http://127.0.0.1:${proxy.port}` });
      // A resumable upload: the faults hit the requests that open its session.
      const src = join(tempDir('files'), 'big.bin');
      const content = randomBytes(RESUMABLE_MIN_BYTES);
      writeFileSync(src, content);
      await d.put('a.bin', src);
      expect(proxy.counts).toMatchObject({ unavailable: 2, reset: 2 });
      expect((await d.get('a.bin'))?.equals(content)).toBe(true);
      // A permanent failure is not retried: one request for a missing object.
      const passed = proxy.counts.passed;
      expect(await d.get('missing.json')).toBeUndefined();
      expect(proxy.counts.passed).toBe(passed + 1);
    } finally {
      await proxy.close();
    }

    // The same faults as the SDK reports them (its own retries off), one request each.
    const raw = await flakyHttpProxy(emu.port, { unavailable: 1, reset: 1 });
    try {
      const viaProxy = new Storage({
        apiEndpoint: `http://127.0.0.1:${raw.port}`,
        retryOptions: { autoRetry: false },
      });
      const unavailable = await viaProxy
        .bucket('retry')
        .getFiles()
        .catch((e: unknown) => e);
      const reset = await viaProxy
        .bucket('retry')
        .getFiles()
        .catch((e: unknown) => e);
      expect(classifyGcsError(unavailable, 'list')).toBe('transient');
      expect(classifyGcsError(reset, 'list')).toBe('transient');
    } finally {
      await raw.close();
    }

    // A missing bucket. The emulator creates a bucket on any object request, so a write or a
    // listing never fails for it; it does answer a read of a missing bucket's metadata with a
    // real 404, which for a write or a listing is what GCS answers for a missing bucket.
    const missing = await storage
      .bucket('no-such-bucket')
      .getMetadata()
      .catch((e: unknown) => e);
    expect(classifyGcsError(missing, 'put')).toBe('bucket-missing');
    expect(classifyGcsError(missing, 'list')).toBe('bucket-missing');
    const d = new GcsDestination('gcs_out', storage.bucket('no-such-bucket'), 'exports/');
    const err = d.failure('put', missing);
    expect(err.code).toBe('destination-not-found');
    expect(err.message).toMatch(/^connection "gcs_out" \(gs:\/\/no-such-bucket\/exports\): 404 /);
    expect(err.hint).toMatch(/bucket "no-such-bucket" exists/);
    // A read's 404 is the object unless GCS says the bucket is missing (GCS's own wording).
    const objectMissing = await storage
      .bucket('retry')
      .file('nope')
      .download()
      .catch((e: unknown) => e);
    expect(classifyGcsError(objectMissing, 'get')).toBe('object-missing');
    expect(classifyGcsError({ code: 404, message: 'The specified bucket does not exist.' }, 'get')).toBe(
      'bucket-missing',
    );
    expect(
      classifyGcsError({ code: 403, message: 'x does not have storage.objects.create access' }, 'put'),
    ).toBe('auth');
    expect(classifyGcsError({ code: 400, message: 'Invalid argument' }, 'put')).toBe('permanent');
    expect(classifyGcsError({ code: 429, message: 'rate limit' }, 'put')).toBe('transient');
  });

  it('a bad private key is an auth failure from the auth library, and the key never shows', async () => {
    const key = parseServiceAccountKey(
      'gcs_out',
      JSON.stringify({
        type: 'service_account',
        client_email: 'outflow@demo-test.iam.gserviceaccount.com',
        private_key: `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----\n`,
      }),
    );
    // The emulator takes no credentials; asking the SDK to authenticate anyway makes the auth
    // library sign a token request with the key, which fails locally, before any request. The
    // destination checks credentials before its first call (as it does against GCS).
    const authed = new Storage({
      apiEndpoint: emu.url,
      useAuthWithCustomEndpoint: true,
      authClient: serviceAccountClient(key),
      retryOptions: { autoRetry: false },
    });
    const d = new GcsDestination('gcs_out', authed.bucket('authz'), 'exports/', {
      secrets: [String(key.private_key)],
      authorize: () => authed.authClient.getAccessToken(),
    });
    const small = join(tempDir('files'), 'm.json');
    writeFileSync(small, '{}\n');
    const big = join(tempDir('files'), 'big.bin');
    writeFileSync(big, Buffer.alloc(RESUMABLE_MIN_BYTES));
    const calls = [
      () => d.list(''),
      () => d.get('x.json'),
      () => d.put('m.json', small),
      () => d.put('b.bin', big),
    ];
    for (const call of calls) {
      const err = (await call().catch((e: unknown) => e)) as OutflowError;
      expect(err).toBeInstanceOf(OutflowError);
      expect(err.code).toBe('destination-auth-failed');
      expect(err.message).toMatch(/^connection "gcs_out" \(gs:\/\/authz\/exports\): /);
      expect(err.message).not.toContain(SECRET);
      expect(err.hint).toMatch(/serviceAccountKey/);
    }
  });

  it('refuses a key that is not a service-account JSON key, naming what is wrong and never the text', async () => {
    const cases: [string, RegExp][] = [
      [`{"private_key": "${SECRET}"`, /serviceAccountKey is not valid JSON$/],
      [`["${SECRET}"]`, /serviceAccountKey is not a JSON object$/],
      [`{"type": "service_account", "private_key": "${SECRET}"}`, /serviceAccountKey has no client_email$/],
      [
        `{"type": "authorized_user", "refresh_token": "${SECRET}"}`,
        /serviceAccountKey is of type "authorized_user", not a service account key$/,
      ],
    ];
    for (const [text, message] of cases) {
      const err = (() => {
        try {
          parseServiceAccountKey('gcs_out', text);
        } catch (e) {
          return e as OutflowError;
        }
        throw new Error('accepted');
      })();
      expect(err.code).toBe('destination-auth-failed');
      expect(err.message).toMatch(message);
      expect(`${err.message} ${err.hint}`).not.toContain(SECRET);
    }
    await expect(
      openTest('unit', { serviceAccountKey: '${env:OUTFLOW_TEST_NO_SUCH_VAR}' }),
    ).rejects.toMatchObject({ code: 'secret-missing' });
    await expect(
      openTest('unit', { serviceAccountKey: '${env:GCS_KEY}' }, { GCS_KEY: `{"a": "${SECRET}"` }),
    ).rejects.toMatchObject({ code: 'destination-auth-failed' });
  });
});
