// The four local store servers of the upload bench, in plain JS: the same commands as
// test/support/servers/{s3,gcs,azure,sftp}.ts and process.ts (see /work/shared/TEST-SERVERS.md),
// which are TypeScript and not part of the build. Each runs on 127.0.0.1 on a free port, with a
// scratch folder of its own, and is stopped by its PID (the server binary is run directly).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const SSHD = '/usr/sbin/sshd';

/** Azurite's one well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** s3rver's one account. */
export const S3RVER_KEY = 'S3RVER';

/** Every server still running, so an interrupted bench can stop them (by PID) on its way out. */
const running = new Set();

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before listening`);
    const ok = await new Promise((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `command args(dir)…` with a scratch folder; resolves once it listens on `port`. */
async function startServer({ name, port, command, args }) {
  const dir = mkdtempSync(join(tmpdir(), `outflow-bench-${name}-`));
  let child;
  try {
    child = spawn(command, args(dir), { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const server = {
    name,
    port,
    dir,
    pid: child.pid,
    async stop() {
      running.delete(server);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
        }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(server);
  try {
    await waitForPort(port, child);
  } catch (error) {
    await server.stop();
    throw new Error(`${name} did not start: ${error.message}\n${stderr}`);
  }
  return server;
}

/** Stops every server this module started and has not stopped yet (for SIGINT/SIGTERM). */
export function stopAllNow() {
  for (const s of running) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {}
    rmSync(s.dir, { recursive: true, force: true });
  }
  running.clear();
}

/** s3rver 3.7.1 with `buckets`, legacy OpenSSL provider (listings > 1 page answer 500 without it). */
export async function startS3rver(buckets) {
  const port = await freePort();
  const server = await startServer({
    name: 's3rver',
    port,
    command: process.execPath,
    args: (dir) => [
      '--openssl-legacy-provider',
      join(root, 'node_modules', 's3rver', 'bin', 's3rver.js'),
      '-d',
      dir,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '--silent',
      ...buckets.flatMap((b) => ['--configure-bucket', b]),
    ],
  });
  return { ...server, endpoint: `http://127.0.0.1:${port}` };
}

/** The Firebase Storage emulator through test/support/gcs-emulator.cjs (`env` execs node: same PID). */
export async function startGcsEmulator() {
  const port = await freePort();
  const wrapper = join(root, 'test', 'support', 'gcs-emulator.cjs');
  const server = await startServer({
    name: 'gcs',
    port,
    command: 'env',
    args: (dir) => [`TMPDIR=${dir}`, `PORT=${port}`, process.execPath, wrapper],
  });
  return { ...server, url: `http://127.0.0.1:${port}` };
}

/** azurite 3.37.0's blob service (`--skipApiVersionCheck`: the SDK is newer than azurite). */
export async function startAzurite() {
  const port = await freePort();
  const server = await startServer({
    name: 'azurite',
    port,
    command: process.execPath,
    args: (dir) => [
      join(root, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      dir,
      '--silent',
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ],
  });
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    ...server,
    accountUrl,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${accountUrl};`,
  };
}

/** Why sshd cannot run here, or undefined. */
export function sftpUnavailable() {
  if (!existsSync(SSHD)) return `${SSHD} is missing (apt-get install -y openssh-server)`;
  return undefined;
}

/** Debian's OpenSSH with an Ed25519 host key and a client key made for this run (user root). */
export async function startSftpServer() {
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const server = await startServer({
    name: 'sftp',
    port,
    command: SSHD,
    args: (dir) => {
      chmodSync(dir, 0o700);
      const keygen = (file) =>
        execFileSync('ssh-keygen', [
          '-q',
          '-t',
          'ed25519',
          '-N',
          '',
          '-C',
          'outflow-bench',
          '-f',
          join(dir, file),
        ]);
      keygen('host_ed25519');
      keygen('client_ed25519');
      writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')), {
        mode: 0o600,
      });
      mkdirSync(join(dir, 'data'));
      const config = join(dir, 'sshd_config');
      writeFileSync(
        config,
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${join(dir, 'host_ed25519')}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
          'StrictModes no',
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      return ['-D', '-e', '-f', config];
    },
  });
  return {
    ...server,
    username: 'root',
    clientKeyFile: join(server.dir, 'client_ed25519'),
    dataDir: join(server.dir, 'data'),
  };
}
