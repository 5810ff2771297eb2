import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookClient } from '../../src/activations/client.js';
import {
  addedMember,
  basicAuthorization,
  batchBody,
  redactHeader,
  removedMember,
  retryAfterMs,
  signature,
  signingKey,
  webhookId,
} from '../../src/activations/wire.js';
import { OutflowError } from '../../src/diagnostics/index.js';
import { documentedVerify } from '../support/webhook-snippet.js';

const header = {
  activation: 'newsletter',
  audience: 'lapsed_buyers',
  segmentGroup: 'cdp_audiences',
  segment: { name: 'lapsed_buyers', create: true },
  updateMethod: 'replace' as const,
  runId: 'sync-20261202T060000Z-3f9a1c2b',
  attributes: { newsletter: 'yes', channel: null },
};

describe('the wire contract', () => {
  it('signs as Standard Webhooks does: the reference test vector, with a whsec_ secret decoded', () => {
    // The test vector of the Standard Webhooks reference libraries (standard-webhooks/standard-webhooks).
    const key = signingKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(signature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
    // Any other secret keys the HMAC with its UTF-8 bytes.
    expect(signingKey('plain-secret-é')).toEqual(Buffer.from('plain-secret-é', 'utf8'));
  });

  it('the documented receiver snippet accepts a signed request and refuses a tampered, stale or wrongly keyed one', async () => {
    const verify = await documentedVerify();
    const body = batchBody(header, 1, 1, { added: addedMember('1042', header.attributes), removed: '' });
    const id = webhookId(header.runId, 1);
    const ts = Math.floor(Date.now() / 1000);
    const signed = (secret: string, t = ts, b = body) => ({
      'webhook-id': id,
      'webhook-timestamp': String(t),
      'webhook-signature': signature(signingKey(secret), id, t, b),
    });
    expect(verify('s3cret', signed('s3cret'), body)).toBe(true);
    expect(
      verify(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        signed('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'),
        body,
      ),
    ).toBe(true);
    expect(verify('s3cret', signed('other'), body)).toBe(false);
    expect(verify('s3cret', signed('s3cret'), body.replace('1042', '1043'))).toBe(false);
    expect(verify('s3cret', signed('s3cret', ts - 3600), body)).toBe(false);
    expect(verify('s3cret', { ...signed('s3cret'), 'webhook-signature': undefined }, body)).toBe(false);
  });

  it('builds the body in the documented shape: attributes as configured (null stays null), ids as strings', () => {
    const body = batchBody(header, 2, 3, {
      added: [addedMember('1042', header.attributes), addedMember('1043', header.attributes)].join(','),
      removed: removedMember('977'),
    });
    expect(Object.keys(JSON.parse(body))).toEqual([
      'activation',
      'audience',
      'segmentGroup',
      'segment',
      'updateMethod',
      'runId',
      'batch',
      'added',
      'removed',
    ]);
    expect(JSON.parse(body)).toEqual({
      ...header,
      attributes: undefined,
      batch: { index: 2, count: 3 },
      added: [
        { id: '1042', attributes: { newsletter: 'yes', channel: null } },
        { id: '1043', attributes: { newsletter: 'yes', channel: null } },
      ],
      removed: [{ id: '977' }],
    });
    expect(webhookId(header.runId, 2)).toBe('sync-20261202T060000Z-3f9a1c2b.2');
  });

  it('reads Retry-After as seconds or an HTTP date; redacts credentials and signatures for logs', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    expect(retryAfterMs('1', now)).toBe(1000);
    expect(retryAfterMs('Wed, 02 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 02 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(redactHeader('Authorization', basicAuthorization('id', 'secret'))).toBe('Basic [redacted]');
    expect(redactHeader('webhook-signature', 'v1,abc=')).toBe('v1,[redacted]');
    expect(redactHeader('webhook-id', 'x.1')).toBe('x.1');
  });
});

describe('WebhookClient against a local receiver', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function serve(
    answer: (n: number) => { status: number; headers?: Record<string, string>; body?: string },
  ) {
    let n = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const a = answer(++n);
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/hook?token=abc`;
  }

  const client = (url: string, o: Partial<ConstructorParameters<typeof WebhookClient>[0]> = {}) =>
    new WebhookClient({
      connection: 'cms',
      url,
      clientId: 'id',
      clientSecret: 'the-client-secret',
      auth: { type: 'basic' },
      timeoutMs: 2000,
      retryForMs: 10_000,
      minBackoffMs: 1,
      ...o,
    });

  it('fails at once when Retry-After asks for more than the retry budget, and says so', async () => {
    const url = await serve(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const error = await client(url)
      .send({ id: 'r.1', body: '{}', label: '1/1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutflowError);
    expect((error as OutflowError).code).toBe('webhook-unavailable');
    expect((error as OutflowError).message).toMatch(/after 1 attempt .*HTTP 429.*asked to wait 3600 s/);
  });

  it('never shows the secret: not in errors (even when the receiver echoes it), not in debug lines, nor the query string', async () => {
    const url = await serve(() => ({ status: 400, body: 'bad request from the-client-secret' }));
    const lines: string[] = [];
    const error = (await client(url, { debug: (l) => lines.push(l) })
      .send({ id: 'r.1', body: '{}', label: '1/1' })
      .catch((e: unknown) => e)) as OutflowError;
    expect(error.code).toBe('webhook-rejected');
    expect(error.message).toMatch(/HTTP 400: bad request from \*\*\*/);
    const all = [error.message, error.hint ?? '', ...lines].join('\n');
    expect(all).not.toContain('the-client-secret');
    expect(all).not.toContain(Buffer.from('id:the-client-secret').toString('base64'));
    expect(all).not.toContain('token=abc');
    expect(lines.join('\n')).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/hook\?… batch 1\/1 attempt 1/);
  });
});
