import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAzureDestination } from '../../src/destinations/azure.js';
import { parseAccountUrl } from '../../src/destinations/azure-account.js';
import { azureError, classifyAzureError } from '../../src/destinations/azure-errors.js';
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
import { AZURITE_KEY, type AzuriteServer, startAzurite } from '../support/servers/azure.js';
import { flakyHttpProxy } from '../support/servers/flaky-proxy.js';
import { tempDirs } from '../support/temp.js';
import { expectSecretInNoFile } from '../support/tree.js';

// The azure destination against a real azurite on 127.0.0.1 (started here, stopped by PID): the
// module's own logic first, then `outflow apply` through the real binary (npm run build first).
const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const NOW = '2026-11-20T12:00:00Z';
const CONTAINER = 'exports';
/** A wrong account key that must never leave the process that resolves it. */
const SECRET_KEY = randomBytes(64).toString('base64');

let azurite: AzuriteServer;
let container: ContainerClient;
const scratch = tempDirs('outflow-azure');
const tempDir = scratch.make;

beforeAll(async () => {
  azurite = await startAzurite([CONTAINER]);
  container = azurite.container(CONTAINER);
});

afterAll(async () => {
  await azurite?.stop();
  scratch.removeAll();
});

// ---------- store helpers (the SDK, not outflow) ----------

async function listAll(prefix: string, uncommitted = false): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const b of container.listBlobsFlat({ prefix, includeUncommitedBlobs: uncommitted }))
    out.push({
      key: b.name,
      size: b.properties.contentLength ?? 0,
      lastModified: b.properties.lastModified.getTime(),
    });
  return out;
}

async function blobBytes(key: string): Promise<Buffer> {
  return container.getBlockBlobClient(key).downloadToBuffer();
}

/** sha256 and size of a blob, streamed. */
async function blobDigest(key: string): Promise<{ sha256: string; bytes: number }> {
  return streamDigest((await container.getBlockBlobClient(key).download()).readableStreamBody as Readable);
}

/** The blob's uncommitted blocks (names decoded), as Get Block List reports them. */
async function uncommittedBlocks(key: string): Promise<string[]> {
  try {
    const list = await container.getBlockBlobClient(key).getBlockList('uncommitted');
    return (list.uncommittedBlocks ?? []).map((b) => Buffer.from(b.name, 'base64').toString());
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return [];
    throw error;
  }
}

/**
 * The container as expectPublished and publishedIds read it back: besides what every store is
 * checked for, no published blob is left with uncommitted blocks, and no blob outside the
 * manifests has any.
 */
const store: StoreReader = {
  list: (prefix) => listAll(prefix),
  bytes: blobBytes,
  digest: blobDigest,
  checkFile: async (key) => expect(await uncommittedBlocks(key), key).toEqual([]),
  listPending: (prefix) => listAll(prefix, true),
};

// ---------- projects ----------

interface ProjectOptions extends StoreProjectOptions {
  /** The connection's prefix: one per test, so tests never see each other's blobs. */
  prefix: string;
  container?: string;
  /** `connectionString: ${env:AZ_CONNECTION}` (default) or `accountUrl: ${env:AZ_SAS_URL}`. */
  auth?: 'connectionString' | 'sasUrl';
}

const makeProject = (o: ProjectOptions) =>
  writeStoreProject(
    tempDir('project'),
    'az_out',
    `kind: Connection
name: az_out
type: azure
container: ${o.container ?? CONTAINER}
prefix: ${o.prefix}
${o.auth === 'sasUrl' ? 'accountUrl: ${env:AZ_SAS_URL}' : 'connectionString: ${env:AZ_CONNECTION}'}
`,
    o,
  );

function apply(dir: string, env: Record<string, string> = {}) {
  return execa('node', [bin, '-C', dir, 'apply', '--auto-approve', '--now', NOW], {
    reject: false,
    timeout: 100_000,
    env: { CI: 'true', NO_COLOR: '1', AZ_CONNECTION: azurite.connectionString(), ...env },
  });
}

// ---------- the module ----------

function connection(over: Record<string, unknown> = {}) {
  return {
    kind: 'Connection',
    name: 'az_unit',
    type: 'azure',
    container: CONTAINER,
    connectionString: '${env:AZ_CONNECTION}',
    ...over,
  } as unknown as Parameters<typeof openAzureDestination>[1];
}

const unitEnv = (env: Record<string, string> = {}) => ({
  root: tmpdir(),
  env: { AZ_CONNECTION: azurite.connectionString(), ...env },
});

describe('azure destination module', () => {
  it('prefixes keys as a folder and round-trips put, list, get, download and delete', async () => {
    const dir = tempDir('unit');
    const small = join(dir, 'small.csv');
    writeFileSync(small, 'a\n1\n');
    const large = join(dir, 'large.bin');
    writeFileSync(large, randomBytes(17 * MB + 5));
    // A trailing slash on the prefix or none means the same folder.
    for (const prefix of ['unit/a', 'unit/a/']) {
      const d = await openAzureDestination('az_unit', connection({ prefix }), unitEnv());
      expect(d.describe('x/small.csv')).toBe(`${azurite.accountUrl()}/${CONTAINER}/unit/a/x/small.csv`);
      await d.close();
    }
    const d = await openAzureDestination('az_unit', connection({ prefix: 'unit/a/' }), unitEnv());
    try {
      const smallProgress: number[] = [];
      await d.put('x/small.csv', small, (n) => smallProgress.push(n));
      expect(smallProgress.at(-1)).toBe(4);
      // Over 8 MB: staged as 3 blocks, progress growing as bytes go out, then one commit.
      const largeProgress: number[] = [];
      await d.put('x/y/large.bin', large, (n) => largeProgress.push(n));
      expect(largeProgress.length).toBeGreaterThan(3);
      expect(largeProgress).toEqual([...largeProgress].sort((a, b) => a - b));
      expect(largeProgress.at(-1)).toBe(17 * MB + 5);
      const blocks = await container.getBlockBlobClient('unit/a/x/y/large.bin').getBlockList('all');
      expect(blocks.committedBlocks?.map((b) => Buffer.from(b.name, 'base64').toString())).toEqual([
        'outflow-block-00000',
        'outflow-block-00001',
        'outflow-block-00002',
      ]);
      expect(blocks.uncommittedBlocks).toEqual([]);
      const props = await container.getBlockBlobClient('unit/a/x/small.csv').getProperties();
      expect(props.contentType).toBe('text/csv');
      writeFileSync(join(dir, 'empty'), '');
      await d.put('x/empty.csv', join(dir, 'empty'));
      expect(await d.get('x/empty.csv')).toEqual(Buffer.alloc(0));
      await d.delete('x/empty.csv');
      // Stored under the prefix; listed relative to it, with a version (the ETag).
      expect((await listAll('unit/')).map((o) => o.key).sort()).toEqual([
        'unit/a/x/small.csv',
        'unit/a/x/y/large.bin',
      ]);
      const listed = await d.list('');
      expect(listed.map(({ key, size }) => ({ key, size }))).toEqual([
        { key: 'x/small.csv', size: 4 },
        { key: 'x/y/large.bin', size: 17 * MB + 5 },
      ]);
      expect(listed.every((o) => typeof o.version === 'string' && /^0x[0-9A-F]+$/.test(o.version))).toBe(
        true,
      );
      expect((await d.list('x/y/')).map((o) => o.key)).toEqual(['x/y/large.bin']);
      expect(await d.list('nothing/')).toEqual([]);
      // Re-publishing a key overwrites it (and changes its version).
      writeFileSync(small, 'a\n2\n');
      await d.put('x/small.csv', small);
      expect((await d.get('x/small.csv'))?.toString()).toBe('a\n2\n');
      expect((await d.list('x/small'))[0]!.version).not.toBe(listed[0]!.version);
      expect(await d.get('x/missing.csv')).toBeUndefined();
      const progress: number[] = [];
      await d.download('x/y/large.bin', join(dir, 'back.bin'), (n) => progress.push(n));
      expect(readFileSync(join(dir, 'back.bin')).equals(readFileSync(large))).toBe(true);
      expect(progress.at(-1)).toBe(17 * MB + 5);
      await expect(d.download('x/missing.csv', join(dir, 'none'))).rejects.toMatchObject({
        code: 'object-not-found',
        message: `${azurite.accountUrl()}/${CONTAINER}/unit/a/x/missing.csv does not exist`,
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

  it('without a prefix writes at the container root', async () => {
    const dir = tempDir('unit');
    writeFileSync(join(dir, 'f.txt'), 'root');
    const d = await openAzureDestination('az_unit', connection(), unitEnv());
    await d.put('rootfile.txt', join(dir, 'f.txt'));
    expect(d.describe('rootfile.txt')).toBe(`${azurite.accountUrl()}/${CONTAINER}/rootfile.txt`);
    expect((await blobBytes('rootfile.txt')).toString()).toBe('root');
    expect((await d.list('rootfile')).map((o) => o.key)).toEqual(['rootfile.txt']);
    await d.delete('rootfile.txt');
    await d.close();
  });

  it('accountUrl: a container SAS URL or an account URL with a SAS; describe never shows the token', async () => {
    const dir = tempDir('unit');
    writeFileSync(join(dir, 'f.txt'), 'sas');
    const containerSas = await azurite.containerSasUrl(CONTAINER);
    for (const url of [containerSas, azurite.accountSasUrl()]) {
      const d = await openAzureDestination(
        'az_unit',
        connection({ connectionString: undefined, accountUrl: '${env:AZ_SAS_URL}', prefix: 'sas' }),
        unitEnv({ AZ_SAS_URL: url }),
      );
      expect(d.describe('f.txt')).toBe(`${azurite.accountUrl()}/${CONTAINER}/sas/f.txt`);
      await d.put('f.txt', join(dir, 'f.txt'));
      expect((await d.get('f.txt'))?.toString()).toBe('sas');
      expect((await d.list('')).map((o) => o.key)).toEqual(['f.txt']);
      await d.delete('f.txt');
      expect(await d.list('')).toEqual([]);
      await d.close();
    }
    // A SAS connection string (BlobEndpoint=…;SharedAccessSignature=…) works the same way.
    const sasQuery = new URL(containerSas).search.slice(1);
    const d = await openAzureDestination(
      'az_unit',
      connection({ prefix: 'sas-cs' }),
      unitEnv({ AZ_CONNECTION: `BlobEndpoint=${azurite.accountUrl()};SharedAccessSignature=${sasQuery}` }),
    );
    expect(d.describe('f.txt')).toBe(`${azurite.accountUrl()}/${CONTAINER}/sas-cs/f.txt`);
    await d.put('f.txt', join(dir, 'f.txt'));
    expect((await blobBytes('sas-cs/f.txt')).toString()).toBe('sas');
    await d.delete('f.txt');
    await d.close();
  });

  it('parses accountUrl forms and refuses bad ones without repeating the URL', () => {
    const sig = 'sig=S3CR3T%2Bsig';
    expect(parseAccountUrl('c', 'https://acct.blob.core.windows.net', 'exports')).toEqual({
      location: 'https://acct.blob.core.windows.net/exports',
      sas: undefined,
    });
    expect(
      parseAccountUrl('c', `https://acct.blob.core.windows.net/exports?sv=2024&sp=racwdl&${sig}`, 'exports'),
    ).toEqual({
      location: 'https://acct.blob.core.windows.net/exports',
      sas: `?sv=2024&sp=racwdl&${sig}`,
    });
    // ADLS Gen2: the dfs endpoint of the same account, addressed through the Blob API.
    expect(parseAccountUrl('c', `https://acct.dfs.core.windows.net/?sv=1&${sig}`, 'exports').location).toBe(
      'https://acct.blob.core.windows.net/exports',
    );
    expect(parseAccountUrl('c', 'http://127.0.0.1:10000/devstoreaccount1/exports', 'exports').location).toBe(
      'http://127.0.0.1:10000/devstoreaccount1/exports',
    );
    const refused = (value: string) => {
      try {
        parseAccountUrl('az_out', value, 'exports');
      } catch (error) {
        const e = error as { code: string; message: string; hint: string };
        expect(e.code).toBe('destination-failed');
        expect(`${e.message} ${e.hint}`).not.toContain('S3CR3T');
        return e.message;
      }
      throw new Error(`accepted ${value}`);
    };
    expect(refused(`https://acct.blob.core.windows.net/other?${sig}`)).toBe(
      'connection "az_out": accountUrl names container "other", but the connection\'s container is "exports"',
    );
    expect(refused(`https://acct.blob.core.windows.net/exports/a/b.csv?${sig}`)).toMatch(/not a blob URL/);
    expect(refused('https://acct.blob.core.windows.net/?token=S3CR3T')).toMatch(/not a SAS token/);
    expect(refused(`http://127.0.0.1:10000/?${sig}`)).toMatch(/name the account in the path/);
    expect(refused(`https://user:S3CR3T@acct.blob.core.windows.net/`)).toMatch(/user name or password/);
    expect(refused('S3CR3T')).toBe('connection "az_out": accountUrl is not a URL');
  });

  it('needs exactly one of connectionString and accountUrl; unset references are named', async () => {
    await expect(
      openAzureDestination('az_unit', connection({ connectionString: undefined }), unitEnv()),
    ).rejects.toMatchObject({
      code: 'destination-auth-failed',
      message: 'connection "az_unit": neither connectionString nor accountUrl is set',
    });
    await expect(
      openAzureDestination(
        'az_unit',
        connection({ accountUrl: 'https://acct.blob.core.windows.net' }),
        unitEnv(),
      ),
    ).rejects.toMatchObject({
      code: 'destination-auth-failed',
      message: /both connectionString and accountUrl/,
    });
    await expect(
      openAzureDestination('az_unit', connection(), { root: tmpdir(), env: {} }),
    ).rejects.toMatchObject({ code: 'secret-missing', message: /AZ_CONNECTION/ });
    const bad = await openAzureDestination(
      'az_unit',
      connection(),
      unitEnv({ AZ_CONNECTION: 'AccountName=x;AccountKey=S3CR3T' }),
    ).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(bad?.code).toBe('destination-auth-failed');
    expect(bad?.message).toMatch(
      /^connection "az_unit": connectionString is not a valid Azure Storage connection string/,
    );
    expect(bad?.message).not.toContain('S3CR3T');
  });

  it('maps the store’s refusals to coded errors naming the connection and the cause', async () => {
    const dir = tempDir('unit');
    writeFileSync(join(dir, 'f.txt'), 'x');
    writeFileSync(join(dir, 'big.bin'), randomBytes(9 * MB));
    const wrongKey = await openAzureDestination(
      'az_unit',
      connection({ prefix: 'p' }),
      unitEnv({ AZ_CONNECTION: azurite.connectionString({ key: SECRET_KEY }) }),
    );
    const sas = await azurite.containerSasUrl(CONTAINER);
    const badSig = `sig=${encodeURIComponent(randomBytes(32).toString('base64'))}`;
    const wrongSas = await openAzureDestination(
      'az_unit',
      connection({ connectionString: undefined, accountUrl: '${env:AZ_SAS_URL}' }),
      unitEnv({ AZ_SAS_URL: sas.replace(/sig=[^&]+/, badSig) }),
    );
    const readOnly = await openAzureDestination(
      'az_unit',
      connection({ connectionString: undefined, accountUrl: '${env:AZ_SAS_URL}' }),
      unitEnv({ AZ_SAS_URL: await azurite.containerSasUrl(CONTAINER, { permissions: 'rl' }) }),
    );
    const noContainer = await openAzureDestination(
      'az_unit',
      connection({ container: 'no-such-container' }),
      unitEnv(),
    );
    const cases: [() => Promise<unknown>, RegExp, string][] = [
      [
        () => wrongKey.put('f.txt', join(dir, 'f.txt')),
        /403 AuthorizationFailure: Server failed to authenticate/,
        'destination-auth-failed',
      ],
      [
        () => wrongKey.put('big.bin', join(dir, 'big.bin')),
        /403 AuthorizationFailure/,
        'destination-auth-failed',
      ],
      [() => wrongKey.list(''), /403 AuthorizationFailure/, 'destination-auth-failed'],
      [() => wrongKey.get('f.txt'), /403 AuthorizationFailure/, 'destination-auth-failed'],
      [
        () => wrongSas.put('f.txt', join(dir, 'f.txt')),
        /403 AuthorizationFailure/,
        'destination-auth-failed',
      ],
      [() => wrongSas.list(''), /403 AuthorizationFailure/, 'destination-auth-failed'],
      [
        () => readOnly.put('f.txt', join(dir, 'f.txt')),
        /403 AuthorizationPermissionMismatch/,
        'destination-auth-failed',
      ],
      [
        () => noContainer.put('f.txt', join(dir, 'f.txt')),
        /404 ContainerNotFound: The specified container does not exist\./,
        'destination-not-found',
      ],
      [
        () => noContainer.put('big.bin', join(dir, 'big.bin')),
        /404 ContainerNotFound/,
        'destination-not-found',
      ],
      [() => noContainer.get('f.txt'), /404 ContainerNotFound/, 'destination-not-found'],
      [() => noContainer.list(''), /404 ContainerNotFound/, 'destination-not-found'],
      [() => noContainer.delete('f.txt'), /404 ContainerNotFound/, 'destination-not-found'],
    ];
    for (const [run, cause, code] of cases) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; hint: string },
      );
      expect(error?.code, String(cause)).toBe(code);
      expect(error?.message).toMatch(
        /^connection "az_unit" \(http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/[a-z-]+(\/[^)?]*)?\): (403|404) /,
      );
      expect(error?.message).toMatch(cause);
      expect(error?.message).not.toMatch(/RequestId|\n/);
      expect(error?.hint).toMatch(/check/);
      for (const secret of [SECRET_KEY, badSig.slice(4), 'sig='])
        expect(JSON.stringify({ ...error, message: error?.message, hint: error?.hint })).not.toContain(
          secret,
        );
    }
    expect(await listAll('p/', true)).toEqual([]);
    for (const d of [wrongKey, wrongSas, readOnly, noContainer]) await d.close();
  });

  it('classifies errors: auth, missing container, transient, permanent; masks secrets', () => {
    const restError = (code: string | undefined, status?: number, header?: string) =>
      Object.assign(new Error(`${code ?? ''} happened\nRequestId:1\nTime:2026`), {
        name: 'RestError',
        ...(code === undefined ? {} : { code }),
        ...(status === undefined ? {} : { statusCode: status }),
        ...(header === undefined ? {} : { details: { errorCode: header } }),
      });
    const code = (e: unknown) => {
      const f = classifyAzureError(e);
      return `${f.code}${f.transient ? ' (transient)' : ''}`;
    };
    expect(code(restError('AuthenticationFailed', 403))).toBe('destination-auth-failed');
    expect(code(restError('AuthorizationFailure', 403))).toBe('destination-auth-failed');
    expect(code(restError('AuthorizationPermissionMismatch', 403))).toBe('destination-auth-failed');
    expect(code(restError('InvalidAuthenticationInfo', 400))).toBe('destination-auth-failed');
    expect(code(Object.assign(new Error('no credential'), { name: 'CredentialUnavailableError' }))).toBe(
      'destination-auth-failed',
    );
    expect(code(restError('ContainerNotFound', 404))).toBe('destination-not-found');
    // A HEAD (a download's first call) has no body: the code comes from x-ms-error-code.
    expect(code(restError(undefined, 404, 'ContainerNotFound'))).toBe('destination-not-found');
    expect(code(restError(undefined, 404, 'BlobNotFound'))).toBe('destination-failed');
    expect(code(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }))).toBe(
      'destination-not-found (transient)',
    );
    expect(code(restError('ServerBusy', 503))).toBe('destination-failed (transient)');
    expect(code(restError('ServiceUnavailable', 503))).toBe('destination-failed (transient)');
    expect(code(restError('InternalError', 500))).toBe('destination-failed (transient)');
    expect(code(restError('OperationTimedOut', 500))).toBe('destination-failed (transient)');
    expect(code(restError(undefined, 429))).toBe('destination-failed (transient)');
    expect(code(restError('ECONNRESET'))).toBe('destination-failed (transient)');
    expect(code(restError('REQUEST_SEND_ERROR'))).toBe('destination-failed (transient)');
    expect(code(Object.assign(new Error('no progress'), { code: 'ETIMEDOUT' }))).toBe(
      'destination-failed (transient)',
    );
    expect(code(restError('InvalidBlobOrBlock', 400))).toBe('destination-failed');
    expect(code(restError('RequestBodyTooLarge', 413))).toBe('destination-failed');
    const e = azureError(
      'az_out',
      'https://a.blob.core.windows.net/c/k',
      restError('AuthenticationFailed', 403),
    );
    expect(e.message).toBe(
      'connection "az_out" (https://a.blob.core.windows.net/c/k): 403 AuthenticationFailed: AuthenticationFailed happened',
    );
    expect(e.hint).toMatch(/SAS token/);
    const leaky = azureError(
      'az_out',
      'https://a.blob.core.windows.net/c',
      new Error('bad hunter2 at https://a/c?sv=1&sig=abc%2F and AccountKey=xyz== end'),
      ['hunter2'],
    );
    expect(leaky.message).toBe(
      'connection "az_out" (https://a.blob.core.windows.net/c): Error: bad *** at https://a/c?sv=1&sig=*** and AccountKey=*** end',
    );
  });

  it('retries transient faults (503s, resets) on every call through a flaky proxy', async () => {
    const proxy = await flakyHttpProxy(azurite.port, { unavailable: 3, reset: 3 });
    const dir = tempDir('unit');
    writeFileSync(join(dir, 'f.txt'), 'flaky');
    writeFileSync(join(dir, 'big.bin'), randomBytes(20 * MB));
    try {
      await withEnv({ OUTFLOW_RETRY_MIN_MS: '10' }, async () => {
        const d = await openAzureDestination(
          'az_unit',
          connection({ prefix: 'flaky-unit' }),
          unitEnv({ AZ_CONNECTION: azurite.connectionString({ port: proxy.port }) }),
        );
        await d.put('big.bin', join(dir, 'big.bin'));
        expect(proxy.counts).toMatchObject({ unavailable: 3, reset: 3 });
        await d.put('f.txt', join(dir, 'f.txt'));
        expect((await d.get('f.txt'))?.toString()).toBe('flaky');
        expect((await d.list('')).map((o) => o.key)).toEqual(['big.bin', 'f.txt']);
        expect(await blobDigest('flaky-unit/big.bin')).toEqual({
          sha256: createHash('sha256')
            .update(readFileSync(join(dir, 'big.bin')))
            .digest('hex'),
          bytes: 20 * MB,
        });
        expect(await uncommittedBlocks('flaky-unit/big.bin')).toEqual([]);
        await d.delete('f.txt');
        await d.delete('big.bin');
        await d.close();
      });
    } finally {
      await proxy.close();
    }
  });

  it('azurite honours conditional writes (ifNoneMatch: *), as a state backend on azure will need', async () => {
    const blob = container.getBlockBlobClient('conditional/lock.json');
    await blob.upload('{}', 2, { conditions: { ifNoneMatch: '*' } });
    await expect(blob.upload('{}', 2, { conditions: { ifNoneMatch: '*' } })).rejects.toMatchObject({
      statusCode: 409,
      code: 'BlobAlreadyExists',
    });
    await blob.delete();
  });
});

// ---------- outflow apply to azure ----------

describe('outflow apply to azure', () => {
  it('publishes a ~150 MB export in blocks: every file byte-identical to its manifest, the manifest last', {
    timeout: 180_000,
  }, async () => {
    const { dir, rows } = await makeProject({
      prefix: 'big/',
      blobsMb: 150,
      blobsChunk: '50MB',
      templateExports: false,
    });

    // Watch the container while the apply runs: whenever the manifest is visible, so must be every
    // file it lists (checked below, once the file list is known).
    const { result: res, listings } = await listWhile(store, 'big/', apply(dir));
    expect(res.exitCode, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(
      new RegExp(
        `✓ export Export/blobs_out: ${rows} rows in \\d+ files → ${azurite.accountUrl()}/${CONTAINER}/big/blobs_out/`,
      ),
    );
    const [manifest] = await expectPublished(store, 'big/', 'blobs_out');
    expect(manifest!.rows).toBe(rows);
    expect(manifest!.bytes).toBeGreaterThan(150_000_000);
    expect(manifest!.files.length).toBeGreaterThanOrEqual(3);
    // Every data file but the last went up as several 8 MB blocks, committed in one list.
    for (const f of manifest!.files.slice(0, -1)) {
      const list = await container.getBlockBlobClient(`big/${f.name}`).getBlockList('committed');
      expect(list.committedBlocks!.length).toBe(Math.ceil(f.bytes / (8 * MB)));
    }
    expectManifestLast(
      listings,
      manifest!.files.map((f) => `big/${f.name}`),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('an upload killed half-way leaves no blob, only uncommitted blocks, which the re-run’s commit discards', {
    timeout: 120_000,
  }, async () => {
    // Through a container SAS URL, as the Adobe Data Landing Zone hands out.
    const { dir, rows } = await makeProject({
      prefix: 'kill/',
      auth: 'sasUrl',
      // The first file is over 80 MB: with 4 blocks of 8 MB in flight at most, half of it sent
      // means at least one block was staged and answered before the kill, every time.
      blobsMb: 96,
      blobsChunk: '84MB',
      templateExports: false,
    });
    const env = { AZ_SAS_URL: await azurite.containerSasUrl(CONTAINER) };

    const killed = await apply(dir, { ...env, OUTFLOW_CRASH_AT: 'publish.mid-upload' });
    expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
    expect(killed.stderr.split('\n')).toContain('crash point publish.mid-upload#1');
    // Killed in the first file's block uploads: no blob is committed, readers see nothing.
    expect(await listAll('kill/')).toEqual([]);
    // The staged blocks stay uncommitted (Azure drops them after 7 days, or at the next commit of
    // that name); a listing that includes uncommitted blobs shows the one the kill interrupted.
    const pending = await listAll('kill/', true);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.size).toBe(0);
    const staged = await uncommittedBlocks(pending[0]!.key);
    expect(staged.length).toBeGreaterThan(0);
    expect(staged.every((b) => /^outflow-block-\d{5}$/.test(b))).toBe(true);

    const unlock = await execa('node', [bin, '-C', dir, 'state', 'unlock'], { reject: false });
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    const rerun = await apply(dir, env);
    expect(rerun.exitCode, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);
    expect(`${rerun.stdout}${rerun.stderr}`).not.toMatch(/sig=/);
    // expectPublished also checks that no blob keeps uncommitted blocks, the killed one included.
    const found = await expectPublished(store, 'kill/', 'blobs_out');
    expect(found).toHaveLength(1);
    expect(found[0]!.files.length).toBeGreaterThanOrEqual(2);
    expect(found[0]!.files.map((f) => `kill/${f.name}`)).toContain(pending[0]!.key);
    expect(await uncommittedBlocks(pending[0]!.key)).toEqual([]);
    const ids = await publishedIds(store, 'kill/', found);
    expect(ids).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries through 503s and connection resets: the apply succeeds and each file is delivered once', {
    timeout: 120_000,
  }, async () => {
    const proxy = await flakyHttpProxy(azurite.port, { unavailable: 3, reset: 3 });
    try {
      const { dir } = await makeProject({ prefix: 'flaky/', blobsMb: 12 });
      const res = await apply(dir, {
        AZ_CONNECTION: azurite.connectionString({ port: proxy.port }),
        OUTFLOW_RETRY_MIN_MS: '10',
      });
      expect(res.exitCode, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(proxy.counts.unavailable).toBe(3);
      expect(proxy.counts.reset).toBe(3);
      expect(proxy.counts.passed).toBeGreaterThan(0);
      for (const exp of ['buyers_daily', 'events_out', 'blobs_out']) {
        const found = await expectPublished(store, 'flaky/', exp);
        expect(found).toHaveLength(1);
      }
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await proxy.close();
    }
  });

  it('wrong credentials: exit 1 naming the connection and the store’s cause; the secret appears nowhere', async () => {
    const { dir } = await makeProject({ prefix: 'creds/' });
    const badSig = randomBytes(32).toString('base64');
    const sas = (await azurite.containerSasUrl(CONTAINER)).replace(
      /sig=[^&]+/,
      `sig=${encodeURIComponent(badSig)}`,
    );
    for (const [env, secrets] of [
      [{ AZ_CONNECTION: azurite.connectionString({ key: SECRET_KEY }) }, [SECRET_KEY]],
      [{ AZ_SAS_URL: sas }, [badSig, encodeURIComponent(badSig)]],
    ] as const) {
      if ('AZ_SAS_URL' in env)
        writeFileSync(
          join(dir, 'flows', 'connections.yaml'),
          readFileSync(join(dir, 'flows', 'connections.yaml'), 'utf8').replace(
            'connectionString: ${env:AZ_CONNECTION}',
            'accountUrl: ${env:AZ_SAS_URL}',
          ),
        );
      const res = await apply(dir, env);
      expect(res.exitCode).toBe(1);
      expect(res.stderr).toMatch(
        /error\[destination-auth-failed\]: connection "az_out" \(http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/exports\/creds\/[^)?]+\): 403 AuthorizationFailure: Server failed to authenticate the request/,
      );
      expect(res.stderr).toMatch(/hint: check the account key in connectionString, or that the SAS token/);
      const state = readFileSync(join(dir, '.outflow', 'state.json'), 'utf8');
      const runs = JSON.parse(state).resources['Export/events_out'].data.runs;
      expect(runs.at(-1)).toMatchObject({ status: 'failed', error: { code: 'destination-auth-failed' } });
      for (const secret of secrets) {
        expect(res.stdout).not.toContain(secret);
        expect(res.stderr).not.toContain(secret);
        expectSecretInNoFile(dir, secret);
        expectSecretInNoFile(azurite.dir, secret, MB);
      }
      expect(`${res.stdout}${res.stderr}`).not.toMatch(/sig=/);
      // Nothing was published.
      expect(await listAll('creds/', true)).toEqual([]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a missing container: exit 1 with destination-not-found naming the connection and ContainerNotFound', async () => {
    const { dir } = await makeProject({ prefix: 'missing/', container: 'no-such-container' });
    const res = await apply(dir);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(
      /error\[destination-not-found\]: connection "az_out" \(http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/no-such-container\/missing\/[^)]+\): 404 ContainerNotFound: The specified container does not exist\./,
    );
    expect(res.stderr).toMatch(/hint: check the container name/);
    expect(`${res.stdout}${res.stderr}`).not.toContain(AZURITE_KEY);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a literal SAS token in accountUrl is refused by validate, without echoing it', async () => {
    const { dir } = await makeProject({ prefix: 'literal/' });
    const sas = await azurite.containerSasUrl(CONTAINER);
    const sig = new URL(sas).searchParams.get('sig')!;
    writeFileSync(
      join(dir, 'flows', 'connections.yaml'),
      `kind: Connection\nname: az_out\ntype: azure\ncontainer: ${CONTAINER}\naccountUrl: "${sas}"\n`,
    );
    const res = await execa('node', [bin, '-C', dir, 'validate'], { reject: false, env: { NO_COLOR: '1' } });
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(
      /flows\/connections\.yaml:5:\d+ error\[literal-secret\]: accountUrl holds a SAS token \(sig=…\) as a literal value/,
    );
    expect(`${res.stdout}${res.stderr}`).not.toContain(sig);
    expect(`${res.stdout}${res.stderr}`).not.toContain(encodeURIComponent(sig));
    rmSync(dir, { recursive: true, force: true });
  });
});
