import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startServer, type TestServer } from './process.js';

const SSHD = '/usr/sbin/sshd';

/** Debian's OpenSSH on 127.0.0.1 (TEST-SERVERS.md), with keys made for this run. */
export interface SftpTestServer extends TestServer {
  username: string;
  /** The client's private key file (its public key is the only authorized one). */
  clientKeyFile: string;
  /** The server's host key, `ssh-ed25519 AAAA…`. */
  hostKey: string;
  /** The known_hosts line OpenSSH writes for this server: `[127.0.0.1]:port ssh-ed25519 AAAA…`. */
  knownHostsLine: string;
  /** An empty folder on the server, to use as a connection's root. */
  dataDir: string;
}

/** Why `startSftpServer({password})` cannot run here (it needs root and a private mount namespace), if it cannot. */
export function passwordServerUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'password auth needs root (a private /etc/shadow for sshd)';
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']);
  if (probe.status !== 0) return 'password auth needs unshare --mount (a private /etc/shadow for sshd)';
  if (spawnSync('openssl', ['version']).status !== 0)
    return 'password auth needs openssl (to hash the password)';
  return undefined;
}

/**
 * Starts sshd with an Ed25519 host key and a client key made for this run (`Subsystem sftp
 * internal-sftp`, user root). With `password`, password authentication is on too: sshd then
 * runs in a private mount namespace where /etc/shadow is a file giving root that password, so
 * the machine's own accounts are never touched.
 */
export async function startSftpServer(options: { password?: string } = {}): Promise<SftpTestServer> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install -y openssh-server`);
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const server = await startServer({
    name: 'sftp',
    port,
    command: options.password === undefined ? SSHD : 'unshare',
    args: (dir) => {
      // Runs before sshd starts: the keys and config live in the server's scratch folder.
      chmodSync(dir, 0o700);
      const keygen = (file: string) =>
        execFileSync('ssh-keygen', [
          '-q',
          '-t',
          'ed25519',
          '-N',
          '',
          '-C',
          'outflow-test',
          '-f',
          join(dir, file),
        ]);
      keygen('host_ed25519');
      keygen('client_ed25519');
      writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')), {
        mode: 0o600,
      });
      mkdirSync(join(dir, 'data'));
      const password = options.password !== undefined;
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
          `PermitRootLogin ${password ? 'yes' : 'prohibit-password'}`,
          `PasswordAuthentication ${password ? 'yes' : 'no'}`,
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'Subsystem sftp internal-sftp',
          '',
        ].join('\n'),
      );
      if (options.password === undefined) return ['-D', '-e', '-f', config];
      const hash = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: options.password })
        .toString()
        .trim();
      const shadow = join(dir, 'shadow');
      writeFileSync(shadow, `root:${hash}:20000:0:99999:7:::\n`, { mode: 0o600 });
      // unshare and sh exec into sshd: the PID the harness holds is sshd's own.
      return [
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        `mount --bind "$1" /etc/shadow && exec ${SSHD} -D -e -f "$2"`,
        'sh',
        shadow,
        config,
      ];
    },
  });
  const hostKey = readFileSync(join(server.dir, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  return {
    ...server,
    username: 'root',
    clientKeyFile: join(server.dir, 'client_ed25519'),
    hostKey,
    knownHostsLine: `[127.0.0.1]:${port} ${hostKey}`,
    dataDir: join(server.dir, 'data'),
  };
}
