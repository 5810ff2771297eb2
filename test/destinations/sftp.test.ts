import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  watch,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import SftpClient from 'ssh2-sftp-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEventsNdjson } from '../../src/cli/init-template.js';
import type { PublicationManifest } from '../../src/destinations/index.js';
import {
  hostKeyAlgorithms,
  keyFingerprint,
  knownKeysFor,
  verifyHostKey,
} from '../../src/destinations/known-hosts.js';
import type { ConnectionOf } from '../../src/destinations/open.js';
import { openSftpDestination } from '../../src/destinations/sftp.js';
import { explainSftpError, type SftpFailure } from '../../src/destinations/sftp-failures.js';
import type { OutflowError } from '../../src/diagnostics/index.js';
import { writeProject } from '../support/project.js';
import { streamDigest } from '../support/published.js';
import { flakyTcpProxy } from '../support/servers/flaky-proxy.js';
import { passwordServerUnavailable, type SftpTestServer, startSftpServer } from '../support/servers/sftp.js';
import { tempDirs } from '../support/temp.js';
import { relativeFiles } from '../support/tree.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'outflow.js');
const T1 = '2026-11-20T12:00:00Z';
const T2 = '2026-11-20T13:00:00Z';

let server: SftpTestServer;
/** Temp folders, removed after the file's tests. */
const scratch = tempDirs('outflow-sftp');

beforeAll(async () => {
  server = await startSftpServer();
  // Direct destination calls retry with short delays (the CLI runs get it through their env).
  process.env.OUTFLOW_RETRY_MIN_MS = '10';
}, 30_000);

afterAll(async () => {
  await server?.stop();
  scratch.removeAll();
});

/** keys/client (the client's private key) and keys/known_hosts (the line `knownHosts`) in `dir`. */
function writeKeys(dir: string, knownHosts: string): void {
  mkdirSync(join(dir, 'keys'));
  copyFileSync(server.clientKeyFile, join(dir, 'keys', 'client'));
  writeFileSync(join(dir, 'keys', 'known_hosts'), `${knownHosts}\n`);
}

/** A folder for secret files (`keys/…`), the SecretContext root of direct destination calls. */
function keysDir(knownHosts: string): string {
  const dir = scratch.make('keys');
  writeKeys(dir, knownHosts);
  return dir;
}

/** A fresh folder under the server's data folder, as a connection root. */
function freshRoot(): string {
  const root = join(server.dataDir, randomBytes(4).toString('hex'));
  mkdirSync(root);
  return root;
}

function connection(over: Partial<ConnectionOf<'sftp'>> = {}): ConnectionOf<'sftp'> {
  return {
    kind: 'Connection',
    name: 'sftp_out',
    type: 'sftp',
    host: '127.0.0.1',
    port: server.port,
    username: 'root',
    root: freshRoot(),
    privateKey: '${file:keys/client}',
    knownHosts: '${file:keys/known_hosts}',
    allowUnknownHost: false,
    ...over,
  } as ConnectionOf<'sftp'>;
}

const open = (over: Partial<ConnectionOf<'sftp'>> = {}, env: Record<string, string> = {}) =>
  openSftpDestination('sftp_out', connection(over), { root: keysDir(server.knownHostsLine), env });

function localFile(content: string | Buffer): string {
  const file = join(scratch.make('src'), 'f');
  writeFileSync(file, content);
  return file;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function failure(p: Promise<unknown>): Promise<OutflowError> {
  try {
    await p;
  } catch (error) {
    return error as OutflowError;
  }
  throw new Error('expected a failure');
}

describe('known_hosts matching', () => {
  const blob = (seed: string) => {
    const type = Buffer.from('ssh-ed25519');
    const key = createHash('sha256').update(seed).digest();
    const b = Buffer.alloc(4 + type.length + 4 + key.length);
    b.writeUInt32BE(type.length, 0);
    type.copy(b, 4);
    b.writeUInt32BE(key.length, 4 + type.length);
    key.copy(b, 8 + type.length);
    return b;
  };
  const a = blob('a');
  const b = blob('b');
  const line = (hosts: string, key: Buffer) => `${hosts} ssh-ed25519 ${key.toString('base64')}`;

  it('port 22 uses the bare name, other ports the [host]:port form', () => {
    const text = [line('example.com', a), line('[example.com]:2222', b)].join('\n');
    expect(knownKeysFor(text, 'example.com', 22).map((k) => k.blob)).toEqual([a]);
    expect(knownKeysFor(text, 'EXAMPLE.com', 2222).map((k) => k.blob)).toEqual([b]);
    expect(knownKeysFor(text, 'example.com', 2200)).toEqual([]);
  });

  it('wildcards, negations, comments and @revoked / @cert-authority markers', () => {
    const text = [
      '# a comment',
      '',
      line('*.example.com,!bad.example.com', a),
      `@revoked ${line('*', b)}`,
      `@cert-authority ${line('*', blob('ca'))}`,
    ].join('\n');
    expect(verifyHostKey(knownKeysFor(text, 'x.example.com', 22), a)).toBe('trusted');
    expect(verifyHostKey(knownKeysFor(text, 'x.example.com', 22), blob('c'))).toBe('mismatch');
    expect(verifyHostKey(knownKeysFor(text, 'x.example.com', 22), b)).toBe('revoked');
    expect(verifyHostKey(knownKeysFor(text, 'bad.example.com', 22), a)).toBe('unknown');
    expect(verifyHostKey(knownKeysFor(text, 'other.org', 22), a)).toBe('unknown');
  });

  it('offers only the host key algorithms it knows keys of, and prints fingerprints like ssh-keygen', () => {
    const rsa = { revoked: false, keyType: 'ssh-rsa', blob: b };
    const ed = { revoked: false, keyType: 'ssh-ed25519', blob: a };
    expect(hostKeyAlgorithms([rsa, ed])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect(hostKeyAlgorithms([])).toEqual([]);
    const pub = readFileSync(join(server.dir, 'host_ed25519.pub'), 'utf8');
    const printed = execFileSync('ssh-keygen', ['-l', '-f', join(server.dir, 'host_ed25519.pub')]).toString();
    expect(printed).toContain(keyFingerprint(Buffer.from(pub.split(' ')[1]!, 'base64')).split(' ')[1]);
  });
});

describe('sftp error classification', () => {
  const context = {
    connection: 'sftp_out',
    location: 'sftp://u@h:22/srv/out',
    host: 'h',
    port: 22,
    username: 'u',
    root: '/srv/out',
  };
  const explain = (error: unknown): Pick<SftpFailure, 'code' | 'message' | 'transient'> => {
    const { code, message, transient } = explainSftpError(error, 'upload', '/srv/out/a.csv', context);
    return { code, message, transient };
  };
  const err = (message: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(message), extra);

  it.each([
    [
      err('All configured authentication methods failed', { level: 'client-authentication' }),
      'destination-auth-failed',
      false,
    ],
    [err('getConnection: All configured authentication methods failed'), 'destination-auth-failed', false],
    [err('Cannot parse privateKey: Unsupported key format'), 'destination-auth-failed', false],
    [
      err('_fastPut: Permission denied Local: /tmp/x Remote: /srv/out/a.csv', { code: 3 }),
      'destination-auth-failed',
      false,
    ],
    [
      err('_fastPut: No such file Local: /tmp/x Remote: /srv/out/a.csv', { code: 2 }),
      'destination-not-found',
      false,
    ],
    [err('read ECONNRESET', { code: 'ECONNRESET' }), 'destination-failed', true],
    [err('Timed out while waiting for handshake', { level: 'client-timeout' }), 'destination-failed', true],
    [
      err('connect ECONNREFUSED 127.0.0.1:22', { code: 'ECONNREFUSED', level: 'client-socket' }),
      'destination-failed',
      true,
    ],
    [
      err('posixRename: No SFTP connection available', { code: 'ERR_NOT_CONNECTED' }),
      'destination-failed',
      true,
    ],
    [err('list: Unexpected close event'), 'destination-failed', true],
    [err('Keepalive timeout', { level: 'client-timeout' }), 'destination-failed', true],
    [err('_fastPut: Failure', { code: 4 }), 'destination-failed', false],
  ])('%s → %s (transient: %s)', (error, code, transient) => {
    const failure = explain(error);
    expect(failure.code).toBe(code);
    expect(failure.transient).toBe(transient);
    expect(failure.message).toMatch(/^connection "sftp_out" \(sftp:\/\/u@h:22\/srv\/out\): /);
  });

  it("keeps the server's cause and names the user on authentication failures", () => {
    expect(explain(err('getConnection: All configured authentication methods failed')).message).toBe(
      'connection "sftp_out" (sftp://u@h:22/srv/out): authentication failed for user "u": All configured authentication methods failed',
    );
    expect(explain(err('_fastPut: Permission denied', { code: 3 })).message).toBe(
      'connection "sftp_out" (sftp://u@h:22/srv/out): upload /srv/out/a.csv: permission denied',
    );
  });
});

describe('sftp destination (direct)', () => {
  it('put, get, list, download, delete round trip under the root; temp files never listed or left', async () => {
    const conn = connection();
    const dest = await openSftpDestination('sftp_out', conn, {
      root: keysDir(server.knownHostsLine),
      env: {},
    });
    try {
      const big = randomBytes(3 * 1024 * 1024 + 17);
      const sent: number[] = [];
      await dest.put('a/b/big.bin', localFile(big), (n) => sent.push(n));
      expect(sent.length).toBeGreaterThan(10);
      expect(sent.at(-1)).toBe(big.length);
      await dest.put('a/bc.csv', localFile('x\n'));
      await dest.put('a/bc.csv', localFile('y\n')); // overwrites (posix-rename over an existing file)
      await dest.put('top.txt', localFile(''));
      expect(readFileSync(join(conn.root, 'a/bc.csv'), 'utf8')).toBe('y\n');
      expect(sha256(readFileSync(join(conn.root, 'a/b/big.bin')))).toBe(sha256(big));
      expect(relativeFiles(conn.root)).toEqual(['a/b/big.bin', 'a/bc.csv', 'top.txt']);

      expect((await dest.get('a/bc.csv'))?.toString()).toBe('y\n');
      expect(await dest.get('a/missing.csv')).toBeUndefined();
      const listed = await dest.list('a/b');
      expect(listed.map((o) => [o.key, o.size])).toEqual([
        ['a/b/big.bin', big.length],
        ['a/bc.csv', 2],
      ]);
      expect(listed[0]?.version).toMatch(/^\d+$/);
      expect((await dest.list('')).map((o) => o.key)).toEqual(['a/b/big.bin', 'a/bc.csv', 'top.txt']);
      expect(await dest.list('nowhere/')).toEqual([]);

      const target = join(scratch.make('dl'), 'big.bin');
      await dest.download('a/b/big.bin', target);
      expect(sha256(readFileSync(target))).toBe(sha256(big));
      expect((await failure(dest.download('a/none.bin', target))).code).toBe('object-not-found');

      await dest.delete('a/bc.csv');
      await dest.delete('a/bc.csv'); // a missing object is not an error
      expect(relativeFiles(conn.root)).toEqual(['a/b/big.bin', 'top.txt']);

      expect(dest.describe('a/b/big.bin')).toBe(
        `sftp://root@127.0.0.1:${server.port}${conn.root}/a/b/big.bin`,
      );
      for (const key of ['../x', 'a/../../x', '/etc/passwd']) {
        expect(() => dest.describe(key)).toThrow(/outside the connection's root/);
        expect((await failure(dest.put(key, localFile('x')))).code).toBe('path-escapes-root');
      }
    } finally {
      await dest.close();
      await dest.close(); // idempotent
    }
  });

  it('removes stale temp files of an earlier (killed) upload when it next writes that folder', async () => {
    const conn = connection();
    mkdirSync(join(conn.root, 'run'));
    writeFileSync(join(conn.root, 'run', '.f.csv.0123456789ab.partial'), 'half');
    writeFileSync(join(conn.root, 'run', '.keep'), 'not ours');
    const dest = await openSftpDestination('sftp_out', conn, {
      root: keysDir(server.knownHostsLine),
      env: {},
    });
    expect((await dest.list('')).map((o) => o.key)).toEqual(['run/.keep']);
    await dest.put('run/f.csv', localFile('a\n'));
    await dest.close();
    expect(relativeFiles(conn.root)).toEqual(['run/.keep', 'run/f.csv']);
  });

  it('a connection cut mid-upload reconnects and sends the whole file again, leaving no temp file', async () => {
    const cutter = await cuttableProxy(server.port);
    const root = freshRoot();
    const dest = await openSftpDestination('sftp_out', connection({ port: cutter.port, root }), {
      root: keysDir(`[127.0.0.1]:${cutter.port} ${server.hostKey}`),
      env: {},
    });
    const content = randomBytes(4 * 1024 * 1024);
    let cut = false;
    const progress: number[] = [];
    await dest.put('r/f.bin', localFile(content), (n) => {
      progress.push(n);
      if (!cut && n * 2 >= content.length) {
        cut = true;
        cutter.cut();
      }
    });
    await dest.close();
    await cutter.close();
    expect(cut).toBe(true);
    expect(cutter.connections).toBeGreaterThanOrEqual(2);
    // The retry starts again from byte 0.
    expect(progress.some((n, i) => i > 0 && n < progress[i - 1]!)).toBe(true);
    expect(sha256(readFileSync(join(root, 'r/f.bin')))).toBe(sha256(content));
    expect(relativeFiles(root)).toEqual(['r/f.bin']);
  });

  it('host keys: [host]:port and hashed known_hosts entries are trusted', async () => {
    const dir = keysDir(server.knownHostsLine);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', join(dir, 'keys', 'known_hosts')], { stdio: 'pipe' });
    const hashed = readFileSync(join(dir, 'keys', 'known_hosts'), 'utf8');
    expect(hashed).toMatch(/^\|1\|/);
    expect(hashed).not.toContain('127.0.0.1');
    const conn = connection();
    const dest = await openSftpDestination('sftp_out', conn, { root: dir, env: {} });
    await dest.put('k.txt', localFile('k'));
    await dest.close();
    expect(relativeFiles(conn.root)).toEqual(['k.txt']);
  });

  it('host keys: an unknown host is refused unless allowUnknownHost; a mismatch always is', async () => {
    const other = `[127.0.0.2]:${server.port} ${server.hostKey}`;
    const unknown = await failure(
      openSftpDestination('sftp_out', connection(), { root: keysDir(other), env: {} }).then((d) =>
        d.put('x', localFile('x')),
      ),
    );
    expect(unknown.code).toBe('destination-auth-failed');
    expect(unknown.message).toMatch(
      new RegExp(
        `^connection "sftp_out" \\(sftp://root@127.0.0.1:${server.port}/.*\\): unknown host: \\[127.0.0.1\\]:${server.port} is not in knownHosts \\(it presented ssh-ed25519 SHA256:`,
      ),
    );
    const noList = await failure(open({ knownHosts: undefined }).then((d) => d.list('')));
    expect(noList.message).toMatch(/unknown host/);

    const allowed = await open({ knownHosts: undefined, allowUnknownHost: true });
    expect(await allowed.list('')).toEqual([]);
    await allowed.close();

    const wrongKey = readFileSync(`${server.clientKeyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    for (const allowUnknownHost of [false, true]) {
      const mismatch = await failure(
        openSftpDestination('sftp_out', connection({ allowUnknownHost }), {
          root: keysDir(`[127.0.0.1]:${server.port} ${wrongKey}`),
          env: {},
        }).then((d) => d.list('')),
      );
      expect(mismatch.code).toBe('destination-auth-failed');
      expect(mismatch.message).toMatch(
        /host key mismatch: \[127\.0\.0\.1\]:\d+ presented ssh-ed25519 SHA256:/,
      );
      expect(mismatch.hint).toMatch(/knownHosts/);
    }
  });

  it('classifies failures: bad key and refused password (auth), missing root (not found), no server (retried, then failed)', async () => {
    const dir = keysDir(server.knownHostsLine);
    const wrong = join(dir, 'keys', 'wrong');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrong]);
    const badKey = await failure(
      openSftpDestination('sftp_out', connection({ privateKey: '${file:keys/wrong}' }), {
        root: dir,
        env: {},
      }).then((d) => d.list('')),
    );
    expect(badKey.code).toBe('destination-auth-failed');
    expect(badKey.message).toMatch(
      /authentication failed for user "root": All configured authentication methods failed/,
    );

    const notAKey = await failure(
      openSftpDestination('sftp_out', connection({ privateKey: '${file:keys/known_hosts}' }), {
        root: dir,
        env: {},
      }).then((d) => d.list('')),
    );
    expect(notAKey.code).toBe('destination-auth-failed');
    expect(notAKey.message).toMatch(/private key cannot be used/);

    // This server has PasswordAuthentication no: a password is refused.
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const refused = await failure(
      open({ privateKey: undefined, password: '${env:SFTP_PASSWORD}' }, { SFTP_PASSWORD: password }).then(
        (d) => d.list(''),
      ),
    );
    expect(refused.code).toBe('destination-auth-failed');
    expect(`${refused.message} ${refused.hint}`).not.toContain(password);

    const missing = await failure(
      open({ root: join(server.dataDir, 'no-such-folder') }).then((d) => d.list('')),
    );
    expect(missing.code).toBe('destination-not-found');
    expect(missing.message).toMatch(/no such folder: .*no-such-folder/);

    const closedPort = await (await import('../support/servers/process.js')).freePort();
    const down = await failure(
      openSftpDestination('sftp_out', connection({ port: closedPort }), {
        root: keysDir(`[127.0.0.1]:${closedPort} ${server.hostKey}`),
        env: {},
      }).then((d) => d.list('')),
    );
    expect(down.code).toBe('destination-failed');
    expect(down.message).toMatch(/refused/i);
  });
});

describe.skipIf(passwordServerUnavailable() !== undefined)(
  'password authentication (sshd with a password)',
  () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    let pwServer: SftpTestServer;
    beforeAll(async () => {
      pwServer = await startSftpServer({ password });
    }, 30_000);
    afterAll(async () => {
      await pwServer?.stop();
    });

    it('accepts the right password and refuses a wrong one, never showing either', async () => {
      const conn = (root: string): ConnectionOf<'sftp'> =>
        connection({ port: pwServer.port, root, privateKey: undefined, password: '${env:SFTP_PASSWORD}' });
      const context = (pw: string) => ({
        root: keysDir(pwServer.knownHostsLine),
        env: { SFTP_PASSWORD: pw },
      });
      const ok = await openSftpDestination('sftp_out', conn(pwServer.dataDir), context(password));
      await ok.put('p.txt', localFile('p'));
      await ok.close();
      expect(relativeFiles(pwServer.dataDir)).toEqual(['p.txt']);
      const wrongPassword = `${password}-wrong`;
      const bad = await failure(
        openSftpDestination('sftp_out', conn(pwServer.dataDir), context(wrongPassword)).then((d) =>
          d.list(''),
        ),
      );
      expect(bad.code).toBe('destination-auth-failed');
      expect(`${bad.message} ${bad.hint}`).not.toContain(password);
    });
  },
);

// ---------------------------------------------------------------------------------------------
// Through the real CLI.

interface Project {
  dir: string;
  root: string;
}

/** The connection sftp_out: the server on `port` (or a proxy to it), with the keys of writeKeys. */
const sftpOut = (port: number, root: string) => `kind: Connection
name: sftp_out
type: sftp
host: 127.0.0.1
port: ${port}
username: root
root: ${root}
privateKey: \${file:keys/client}
knownHosts: \${file:keys/known_hosts}
`;

/**
 * A project exporting a Dataflow of `rows` rows of incompressible payload (~1 KB each) to sftp as
 * CSV files of at most `maxBytes`. `connections` replaces the default connection (sftp_out).
 */
function blobsProject(opts: {
  rows: number;
  maxBytes: string;
  connections?: string;
  destinations?: string[];
}): Project {
  const dir = scratch.make('project');
  const root = freshRoot();
  mkdirSync(join(dir, 'flows'));
  mkdirSync(join(dir, 'data', 'blobs'), { recursive: true });
  writeKeys(dir, `[127.0.0.1]:${server.port} ${server.hostKey}`);
  writeFileSync(join(dir, '.gitignore'), 'keys/\n');
  writeFileSync(
    join(dir, 'outflow.yaml'),
    'kind: Project\nname: p\ntimezone: UTC\nengine: {memoryLimit: 1GB, threads: 2}\n',
  );
  writeFileSync(join(dir, 'flows', 'connections.yaml'), opts.connections ?? sftpOut(server.port, root));
  const exports = (opts.destinations ?? ['sftp_out']).map(
    (destination) => `kind: Export
name: blobs_to_${destination}
type: dataOut
from: {dataflow: blobs}
destination: ${destination}
format: csv
path: "{export}/exportTime={exportTime:yyyyMMddHHmm}/part-{index}.{ext}"
chunk: {maxBytes: ${opts.maxBytes}}
schedule: {every: 4h}
`,
  );
  writeFileSync(
    join(dir, 'flows', 'flows.yaml'),
    [
      `kind: Dataflow
name: blobs
entity: user
source: {type: streamFile, path: data/blobs/*.csv, format: csv}
schema:
  name: blobs
  parent: PersonalData
  personIdentifier: userid
  columns:
    - {name: userid, type: integer, from: id, mandatory: true}
    - {name: payload, type: string, from: payload}
writeMode: append
`,
      ...exports,
    ].join('---\n'),
  );
  // Base64 of random bytes: incompressible, and written in blocks (never one big string).
  const fd = openSync(join(dir, 'data', 'blobs', 'blobs-001.csv'), 'w');
  writeSync(fd, 'id,payload\n');
  for (let i = 1; i <= opts.rows; i += 1000) {
    const lines: string[] = [];
    for (let j = i; j < i + 1000 && j <= opts.rows; j++)
      lines.push(`${j},${randomBytes(750).toString('base64')}\n`);
    writeSync(fd, lines.join(''));
  }
  return { dir, root };
}

const apply = (dir: string, now: string, env: Record<string, string> = {}) =>
  execa('node', [bin, '-C', dir, 'apply', '--auto-approve', '--now', now], {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1', OUTFLOW_RETRY_MIN_MS: '10', ...env },
  });

/** The one manifest under the root (through sftp), parsed, with its key. */
async function readManifest(
  sftp: SftpClient,
  root: string,
): Promise<{ key: string; manifest: PublicationManifest }> {
  const keys = await sdkTree(sftp, root);
  const manifests = keys.filter((k) => k.split('/').pop()!.startsWith('_manifest-'));
  expect(manifests).toHaveLength(1);
  const key = manifests[0]!;
  return {
    key,
    manifest: JSON.parse(((await sftp.get(`${root}/${key}`)) as Buffer).toString()) as PublicationManifest,
  };
}

/** Every file under `root`, through the SDK (temp files included). */
async function sdkTree(sftp: SftpClient, root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await sftp.list(rel === '' ? root : `${root}/${rel}`)) {
    const key = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.type === 'd') out.push(...(await sdkTree(sftp, root, key)));
    else out.push(key);
  }
  return out.sort();
}

async function sdk(): Promise<SftpClient> {
  const client = new SftpClient('test', { error: () => {}, end: () => {}, close: () => {} });
  await client.connect({
    host: '127.0.0.1',
    port: server.port,
    username: 'root',
    privateKey: readFileSync(server.clientKeyFile),
    hostVerifier: (key: Buffer) => key.equals(Buffer.from(server.hostKey.split(' ')[1]!, 'base64')),
  });
  return client;
}

async function sdkSha256(sftp: SftpClient, path: string): Promise<string> {
  const stream = sftp.createReadStream(path, { highWaterMark: 1024 * 1024 });
  // The stream closes its remote handle after 'end': wait for that, or ending the session
  // fails the pending close and the stream emits an error nobody listens to any more.
  const closed = new Promise((resolve) => stream.once('close', resolve));
  const { sha256 } = await streamDigest(stream);
  await closed;
  return sha256;
}

/**
 * The final names as they appear in `folder`, in order: inotify reports each rename of an upload
 * into place, so this is the order of publication (file timestamps are too coarse to tell).
 */
function watchPublications(folder: string) {
  mkdirSync(folder, { recursive: true });
  const order: string[] = [];
  const watcher = watch(folder, (_event, name) => {
    if (name === null || name.endsWith('.partial') || order.includes(name)) return;
    if (existsSync(join(folder, name))) order.push(name);
  });
  return {
    order,
    /** Waits (polling) until `count` names have appeared, then stops watching. */
    async settled(count: number): Promise<string[]> {
      const deadline = Date.now() + 10_000;
      while (order.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      watcher.close();
      return order;
    },
  };
}

/** Every file published once, each data file before the manifest. */
async function expectManifestLast(
  watched: ReturnType<typeof watchPublications>,
  manifestKey: string,
  files: string[],
): Promise<void> {
  const order = await watched.settled(files.length + 1);
  const base = (key: string) => key.slice(key.lastIndexOf('/') + 1);
  expect([...order].sort()).toEqual([...files.map(base), base(manifestKey)].sort());
  expect(order.at(-1)).toBe(base(manifestKey));
}

describe('outflow apply to sftp', () => {
  it('publishes a ~150 MB export in several files: sha256 of each (read back through sftp) matches the manifest, manifest last', {
    timeout: 120_000,
  }, async () => {
    const { dir, root } = blobsProject({ rows: 150_000, maxBytes: '40MB' });
    const watched = watchPublications(join(root, 'blobs_to_sftp_out', 'exportTime=202611201200'));
    const res = await apply(dir, T1);
    expect(res.exitCode, res.stderr).toBe(0);
    const summary = new RegExp(
      `blobs_to_sftp_out: 150000 rows in (\\d+) files → sftp://root@127\\.0\\.0\\.1:${server.port}${root}/`,
    ).exec(res.stdout);
    expect(summary, res.stdout).not.toBeNull();
    const sftp = await sdk();
    try {
      const { key, manifest } = await readManifest(sftp, root);
      const runDir = dirname(key);
      expect(manifest.rows).toBe(150_000);
      expect(manifest.files.length).toBe(Number(summary![1]));
      expect(manifest.files.length).toBeGreaterThanOrEqual(4);
      const total = manifest.files.reduce((n, f) => n + f.bytes, 0);
      expect(total).toBeGreaterThan(140 * 1024 * 1024);
      // Exactly the manifest's files and the manifest: no temp files, nothing twice.
      expect(await sdkTree(sftp, root)).toEqual([...manifest.files.map((f) => f.name), key].sort());
      for (const f of manifest.files) {
        expect(dirname(f.name)).toBe(runDir);
        expect((await sftp.stat(`${root}/${f.name}`)).size).toBe(f.bytes);
        expect(await sdkSha256(sftp, `${root}/${f.name}`)).toBe(f.sha256);
      }
      await expectManifestLast(
        watched,
        key,
        manifest.files.map((f) => f.name),
      );
    } finally {
      await sftp.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an upload killed half-way, then state unlock and a re-run: every row in exactly one file, no temp file left, manifest last', {
    timeout: 60_000,
  }, async () => {
    const rows = 8000;
    const { dir, root } = blobsProject({ rows, maxBytes: '2MB' });
    const killed = await apply(dir, T1, { OUTFLOW_CRASH_AT: 'publish.mid-upload' });
    expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
    expect(killed.stderr.split('\n')).toContain('crash point publish.mid-upload#1');
    // The killed upload left its temp file (and nothing published under a final name).
    expect(relativeFiles(root).every((f) => /\/\.part-00001\.csv\.[0-9a-f]{12}\.partial$/.test(f))).toBe(
      true,
    );
    expect(relativeFiles(root)).toHaveLength(1);
    const watched = watchPublications(join(root, dirname(relativeFiles(root)[0]!)));

    const unlock = await execa('node', [bin, '-C', dir, 'state', 'unlock'], { reject: false });
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    const rerun = await apply(dir, T2);
    expect(rerun.exitCode, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);

    const sftp = await sdk();
    try {
      const { key, manifest } = await readManifest(sftp, root);
      expect(await sdkTree(sftp, root)).toEqual([...manifest.files.map((f) => f.name), key].sort());
      const ids: number[] = [];
      for (const f of manifest.files) {
        const content = (await sftp.get(`${root}/${f.name}`)) as Buffer;
        expect(sha256(content)).toBe(f.sha256);
        const lines = content.toString().trimEnd().split('\n').slice(1);
        expect(lines.length).toBe(f.rows);
        ids.push(...lines.map((l) => Number(l.slice(0, l.indexOf(',')))));
      }
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
      await expectManifestLast(
        watched,
        key,
        manifest.files.map((f) => f.name),
      );
    } finally {
      await sftp.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('through a proxy that resets the first connections: retried, the apply succeeds, each file delivered once', {
    timeout: 60_000,
  }, async () => {
    const proxy = await flakyTcpProxy(server.port, { reset: 3 });
    // The init template's project (two exports, 32 files), its exports sent to sftp through the proxy.
    const root = freshRoot();
    const dir = writeProject(scratch.make('flaky'), {
      edit: {
        'flows/connections.yaml': () => sftpOut(proxy.port, root),
        'flows/exports.yaml': (template) =>
          template.replaceAll('destination: local_out', 'destination: sftp_out'),
        'data/events/events-001.ndjson': () => sampleEventsNdjson(3000),
      },
    });
    writeKeys(dir, `[127.0.0.1]:${proxy.port} ${server.hostKey}`);
    try {
      const res = await apply(dir, T1);
      expect(res.exitCode, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stdout).toMatch(/events_out: 3000 rows in 31 files → sftp:\/\//);
      expect(proxy.counts.reset).toBe(3);
      expect(proxy.counts.passed).toBeGreaterThanOrEqual(1);
      const published = relativeFiles(root);
      const manifests = published.filter((f) => f.split('/').pop()!.startsWith('_manifest-'));
      expect(manifests).toHaveLength(2);
      const listed = manifests.flatMap((m) => [
        m,
        ...(JSON.parse(readFileSync(join(root, m), 'utf8')) as PublicationManifest).files.map((f) => f.name),
      ]);
      expect(published).toEqual(listed.sort());
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wrong key, refused password and a missing folder: exit 1, clear messages, no secret anywhere', {
    timeout: 60_000,
  }, async () => {
    const password = `S3cret-${randomBytes(8).toString('hex')}`;
    const missing = join(server.dataDir, 'missing-folder');
    const conn = (name: string, extra: string, root: string) => `kind: Connection
name: ${name}
type: sftp
host: 127.0.0.1
port: ${server.port}
username: root
root: ${root}
knownHosts: \${file:keys/known_hosts}
${extra}`;
    const root = freshRoot();
    const { dir } = blobsProject({
      rows: 50,
      maxBytes: '1MB',
      connections: [
        conn('wrong_key', 'privateKey: ${file:keys/wrong}\n', root),
        conn('with_password', 'password: ${env:SFTP_PASSWORD}\n', root),
        conn('missing_root', 'privateKey: ${file:keys/client}\n', missing),
      ].join('---\n'),
      destinations: ['wrong_key', 'with_password', 'missing_root'],
    });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'keys', 'wrong')]);
    const wrongKey = readFileSync(join(dir, 'keys', 'wrong'), 'utf8');
    const keyBody = wrongKey.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
    const res = await apply(dir, T1, { SFTP_PASSWORD: password });
    expect(res.exitCode).toBe(1);
    const out = `${res.stdout}\n${res.stderr}`;
    expect(out).toMatch(
      /error\[destination-auth-failed\]: connection "wrong_key" \(sftp:\/\/root@127\.0\.0\.1:\d+\/.*\): authentication failed for user "root": All configured authentication methods failed/,
    );
    expect(out).toMatch(
      /error\[destination-auth-failed\]: connection "with_password" .*authentication failed/,
    );
    expect(out).toMatch(
      /error\[destination-not-found\]: connection "missing_root" .*: no such folder: .*missing-folder/,
    );
    expect(out).toMatch(/hint: create .*missing-folder/);
    const state = readFileSync(join(dir, '.outflow', 'state.json'), 'utf8');
    expect(state).toMatch(/"code": "destination-auth-failed"/);
    expect(state).toMatch(/"code": "destination-not-found"/);
    const published = relativeFiles(root).map((f) => readFileSync(join(root, f), 'utf8'));
    expect(published).toEqual([]);
    expect(existsSync(missing)).toBe(false);
    for (const secret of [password, ...keyBody]) {
      for (const text of [res.stdout, res.stderr, state, ...published]) expect(text).not.toContain(secret);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

/** A TCP forwarder to the server whose `cut()` drops every open connection (new ones still pass). */
async function cuttableProxy(targetPort: number) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const srv = createServer((client) => {
    connections++;
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    upstream.connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const address = srv.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    get connections() {
      return connections;
    },
    cut: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}
