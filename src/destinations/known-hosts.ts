import { createHash, createHmac } from 'node:crypto';

/** One key of an OpenSSH `known_hosts` line that applies to the host being checked. */
export interface KnownHostKey {
  /** `@revoked` keys are refused even when they match; `@cert-authority` lines are not used. */
  revoked: boolean;
  keyType: string;
  /** The key blob (SSH wire format), as the server presents it during key exchange. */
  blob: Buffer;
}

/** What the host key check concluded. */
export type HostKeyVerdict = 'trusted' | 'unknown' | 'mismatch' | 'revoked';

/** The name known_hosts stores for a host: `host` on port 22, `[host]:port` elsewhere (as OpenSSH writes it). */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}

/** `|1|salt|hash`: HMAC-SHA1 of the host name keyed by the salt (ssh-keygen -H). */
function hashedMatches(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || salt === undefined || hash === undefined) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** A comma-separated host pattern list: any positive match, and no negated (`!pattern`) one. */
function hostsMatch(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) matched = true;
  }
  return matched;
}

/** The keys in `knownHosts` (the text of a known_hosts file) that apply to `host:port`. */
export function knownKeysFor(knownHosts: string, host: string, port: number): KnownHostKey[] {
  const name = knownHostName(host, port);
  const keys: KnownHostKey[] = [];
  for (const raw of knownHosts.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    const [hosts, keyType, base64] = fields;
    if (marker === '@cert-authority' || hosts === undefined || keyType === undefined) continue;
    if (base64 === undefined || !hostsMatch(hosts, name)) continue;
    keys.push({ revoked: marker === '@revoked', keyType, blob: Buffer.from(base64, 'base64') });
  }
  return keys;
}

/** Compares the key the server presented with the known keys for that host. */
export function verifyHostKey(known: readonly KnownHostKey[], presented: Buffer): HostKeyVerdict {
  if (known.some((k) => k.revoked && k.blob.equals(presented))) return 'revoked';
  const trusted = known.filter((k) => !k.revoked);
  if (trusted.length === 0) return 'unknown';
  return trusted.some((k) => k.blob.equals(presented)) ? 'trusted' : 'mismatch';
}

const ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * The host key algorithms to offer, so the server presents a key of a type we know for it (as
 * OpenSSH does): a server with RSA and Ed25519 keys, known by its RSA key only, must not be
 * reported as a mismatch because it chose Ed25519. Empty: nothing known, offer the defaults.
 */
export function hostKeyAlgorithms(known: readonly KnownHostKey[]): string[] {
  const out = new Set<string>();
  for (const k of known) if (!k.revoked) for (const a of ALGORITHMS[k.keyType] ?? []) out.add(a);
  return [...out];
}

/** `ssh-ed25519 SHA256:…`, as `ssh-keygen -l` prints it, for messages. */
export function keyFingerprint(blob: Buffer): string {
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const keyType = blob.subarray(4, 4 + typeLength).toString('latin1') || 'key';
  const digest = createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  return `${keyType} SHA256:${digest}`;
}
