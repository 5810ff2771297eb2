// The wire contract of activations (docs/activations.md), pure: request bodies, Standard
// Webhooks ids and signatures, Retry-After, and what a debug log may show. No I/O here.
import { createHmac } from 'node:crypto';

/** What every batch of one sync carries besides its members. */
export interface SyncHeader {
  activation: string;
  audience: string;
  segmentGroup: string | null;
  segment: { name: string; create: boolean };
  updateMethod: 'add' | 'replace';
  /** The sync's id, unique per sync; stable across retries and re-runs after a crash. */
  runId: string;
  /** The attributes sent on every added member, exactly as configured. */
  attributes: Record<string, string | number | boolean | null>;
}

/** A batch's members as JSON: `added` and `removed` are JSON objects joined by commas. */
export interface BatchLists {
  added: string;
  removed: string;
}

/** One added member as the body lists it: `{"id":"1042","attributes":{…}}`. */
export function addedMember(id: string, attributes: SyncHeader['attributes']): string {
  return `{"id":${JSON.stringify(id)},"attributes":${JSON.stringify(attributes)}}`;
}

/** One removed member as the body lists it: `{"id":"977"}`. */
export function removedMember(id: string): string {
  return `{"id":${JSON.stringify(id)}}`;
}

/**
 * The JSON body of batch `index` (from 1) of `count`: keys in the documented order, then the
 * members. Deterministic: the same frozen batch always gives the same bytes, so a retry (or a
 * re-run after a crash) sends exactly what it sent before.
 */
export function batchBody(header: SyncHeader, index: number, count: number, members: BatchLists): string {
  const head = JSON.stringify({
    activation: header.activation,
    audience: header.audience,
    segmentGroup: header.segmentGroup,
    segment: header.segment,
    updateMethod: header.updateMethod,
    runId: header.runId,
    batch: { index, count },
  });
  return `${head.slice(0, -1)},"added":[${members.added}],"removed":[${members.removed}]}`;
}

/** The batch's idempotency key (`webhook-id`): unique per batch, the same on every retry of it. */
export function webhookId(runId: string, index: number): string {
  return `${runId}.${index}`;
}

/**
 * The HMAC key: the UTF-8 bytes of the secret, or, for a Standard Webhooks secret
 * (`whsec_<base64>`), the decoded bytes, as the Standard Webhooks libraries do.
 */
export function signingKey(secret: string): Buffer {
  if (secret.startsWith('whsec_')) return Buffer.from(secret.slice('whsec_'.length), 'base64');
  return Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` (the body as its UTF-8 bytes). */
export function signature(key: Buffer, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** The Standard Webhooks headers of one attempt (the timestamp is the attempt's, in Unix seconds). */
export function webhookHeaders(
  key: Buffer,
  id: string,
  timestamp: number,
  body: string | Buffer,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature(key, id, timestamp, body),
  };
}

/** `Authorization: Basic base64(clientId:clientSecret)`. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`;
}

/**
 * How long a `Retry-After` asks to wait, in milliseconds (delta-seconds or an HTTP date, RFC 9110
 * §10.2.3); undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** Whether a response status is worth another try: 408, 429 and 5xx. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A header value as a --debug log may show it: credentials and signatures redacted. */
export function redactHeader(name: string, value: string): string {
  const n = name.toLowerCase();
  if (n === 'authorization') return `${value.split(' ')[0] ?? ''} [redacted]`;
  if (n === 'webhook-signature') return 'v1,[redacted]';
  return value;
}
