import { OutflowError } from '../diagnostics/index.js';
import { type HostKeyVerdict, keyFingerprint, knownHostName } from './known-hosts.js';
import { isTransient } from './retry.js';

/** A failure already put in the user's words; `transient` ones are retried on a new connection. */
export class SftpFailure extends OutflowError {
  readonly transient: boolean;
  constructor(code: string, message: string, hint: string | undefined, transient: boolean, cause?: unknown) {
    super(code, message, { ...(hint === undefined ? {} : { hint }), cause });
    this.transient = transient;
  }
}

/** Who failed, for messages: never a credential. */
export interface SftpFailureContext {
  /** The connection's name. */
  connection: string;
  /** `sftp://user@host:port/root`. */
  location: string;
  host: string;
  port: number;
  username: string;
  root: string;
}

interface RawError {
  message?: string;
  code?: string | number;
  level?: string;
}

const prefixOf = (c: SftpFailureContext) => `connection "${c.connection}" (${c.location})`;

/** sftp's "no such file" (status 2), as ssh2 and ssh2-sftp-client report it. */
export function isNoSuchFile(error: unknown): boolean {
  const e = error as RawError | undefined;
  return e?.code === 2 || e?.code === 'ENOENT' || /no such file/i.test(e?.message ?? '');
}

/**
 * What an ssh2 / ssh2-sftp-client error means: authentication or permission (auth-failed),
 * a missing file or folder (not-found), a dropped or unreachable connection (transient), or
 * anything else (failed). The message keeps the server's own words.
 */
export function explainSftpError(
  error: unknown,
  what: string,
  path: string,
  c: SftpFailureContext,
): SftpFailure {
  if (error instanceof SftpFailure) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as RawError;
  const cause = (e.message ?? String(error)).replace(/^[\w>-]+: /, '');
  const prefix = prefixOf(c);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const fail = (outflowCode: string, message: string, hint: string, transient = false) =>
    new SftpFailure(outflowCode, `${prefix}: ${message}`, hint, transient, error);
  // ssh2-sftp-client re-wraps connect errors without ssh2's `level`: the message is what is left.
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(cause))
    return fail(
      'destination-auth-failed',
      `authentication failed for user "${c.username}": ${cause}`,
      'check username and privateKey/password, and that the server accepts that method for this user',
    );
  if (/privateKey|private key|passphrase/i.test(cause))
    return fail(
      'destination-auth-failed',
      `the private key cannot be used: ${cause}`,
      'privateKey must be an unencrypted OpenSSH or PEM private key',
    );
  if (e.code === 3 || code === 'EACCES' || /permission denied/i.test(cause))
    return fail(
      'destination-auth-failed',
      `${what} ${path}: permission denied`,
      `check that user "${c.username}" may write to ${c.root}`,
    );
  if (isNoSuchFile(error))
    return fail(
      'destination-not-found',
      `${what} ${path}: no such file or folder`,
      'check root, and that nothing else removes files there',
    );
  const transient =
    isTransient(undefined, code) ||
    e.level === 'client-timeout' ||
    e.level === 'client-socket' ||
    code === 'ERR_NOT_CONNECTED' ||
    /connection lost|unexpected (end|close)|not connected|no sftp connection|timed out|keepalive timeout/i.test(
      cause,
    );
  return fail(
    'destination-failed',
    `${what} ${path}: ${cause}`,
    transient
      ? `the server was unreachable or dropped the connection (retried with backoff); check ${c.host}:${c.port} and the network`
      : 'check the server and the connection settings',
    transient,
  );
}

/** Why a host key was refused: not in knownHosts (unknown host) or not the key it lists (mismatch). */
export function hostKeyRefusal(verdict: HostKeyVerdict, key: Buffer, c: SftpFailureContext): SftpFailure {
  const where = knownHostName(c.host, c.port);
  const presented = keyFingerprint(key);
  if (verdict === 'unknown')
    return new SftpFailure(
      'destination-auth-failed',
      `${prefixOf(c)}: unknown host: ${where} is not in knownHosts (it presented ${presented})`,
      `add the server's key to knownHosts (ssh-keyscan -p ${c.port} ${c.host}, checked with its owner), or set allowUnknownHost: true for a throwaway test server`,
      false,
    );
  const why =
    verdict === 'revoked'
      ? 'a key marked @revoked in knownHosts'
      : 'which is not the key knownHosts has for it';
  return new SftpFailure(
    'destination-auth-failed',
    `${prefixOf(c)}: host key mismatch: ${where} presented ${presented}, ${why}`,
    'if the server was re-keyed on purpose, update knownHosts; otherwise the connection may be intercepted: do not connect',
    false,
  );
}

/** The connection's root folder does not exist (outflow creates folders below it, not the root). */
export function missingRoot(c: SftpFailureContext): SftpFailure {
  return new SftpFailure(
    'destination-not-found',
    `${prefixOf(c)}: no such folder: ${c.root}`,
    `create ${c.root} on ${c.host} (outflow creates folders below the root, not the root itself), or fix root`,
    false,
  );
}

/** The server holds fewer (or more) bytes than were sent: retried, as a dropped connection is. */
export function incompleteUpload(
  path: string,
  stored: number,
  sent: number,
  c: SftpFailureContext,
): SftpFailure {
  return new SftpFailure(
    'destination-failed',
    `${prefixOf(c)}: upload ${path}: the server stored ${stored} of ${sent} bytes`,
    `check free space on ${c.host}, and the network`,
    true,
  );
}
