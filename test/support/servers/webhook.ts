import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Verifies a Standard Webhooks signature: the receiver snippet of docs/activations.md. */
export type Verify = (secret: string, headers: Record<string, string | undefined>, body: string) => boolean;

/** One request as the receiver saw it (every attempt, accepted or not). */
export interface ReceivedRequest {
  id: string;
  timestamp: string;
  signature: string;
  authorization: string;
  body: string;
  /** What the receiver answered (0: it never answered). */
  status: number;
  /** When it arrived (performance.now(), milliseconds). */
  receivedAt: number;
}

/** A scripted answer for the next request: a status (with Retry-After), no answer at all, or the normal one. */
export type Scripted = { status: number; retryAfter?: string } | 'hang' | 'pass';

interface Member {
  id: string;
  attributes?: Record<string, unknown>;
}

/**
 * A CMS-like receiver on 127.0.0.1 (a real node:http server): it checks Basic credentials (or a
 * Bearer token) and the signature with the documented snippet, de-duplicates by webhook-id, and
 * keeps each segment's members as the batches it accepted say.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** `group/name` → member id → attributes. */
  readonly segments = new Map<string, Map<string, Record<string, unknown> | undefined>>();
  /** webhook-ids applied, with how many times each was received after that. */
  readonly applied = new Map<string, number>();
  /** Answers for the next requests, used up first to last. */
  readonly script: Scripted[] = [];
  /** Segments that exist before any sync (for `create: false`). */
  readonly existing = new Set<string>();
  /** With OAuth2: tokens handed out; the webhook accepts only the latest, unless revoked. */
  tokens: string[] = [];
  /** With OAuth2: revoke the current token after this many accepted batches (a token expiring mid-run). */
  revokeTokenAfter: number | undefined;
  private readonly revoked = new Set<string>();
  private readonly hanging: ServerResponse[] = [];
  private server!: Server;
  url = '';
  tokenUrl = '';

  constructor(
    private readonly verify: Verify,
    /** The secret this receiver verifies signatures with (and expects in Basic credentials). */
    public secret: string,
    private readonly clientId = 'outflow-test',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}/cdp/webhook`;
    this.tokenUrl = `http://127.0.0.1:${port}/oauth2/token`;
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The members of a segment, sorted by id. */
  members(group: string | null, name: string): Member[] {
    const seg = this.segments.get(`${group}/${name}`) ?? new Map();
    return [...seg.entries()]
      .map(([id, attributes]) => ({ id, ...(attributes === undefined ? {} : { attributes }) }))
      .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  /** Requests that carried a batch which was applied (2xx, first time its webhook-id was seen). */
  get accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/oauth2/token') return this.token(req, body, res);
    const header = (n: string) => {
      const v = req.headers[n];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const record: ReceivedRequest = {
      id: header('webhook-id') ?? '',
      timestamp: header('webhook-timestamp') ?? '',
      signature: header('webhook-signature') ?? '',
      authorization: header('authorization') ?? '',
      body,
      status: 0,
      receivedAt: performance.now(),
    };
    this.requests.push(record);
    const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const scripted = this.script.shift();
    if (scripted === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (scripted !== undefined && scripted !== 'pass')
      return answer(
        scripted.status,
        { error: 'scripted' },
        scripted.retryAfter === undefined ? {} : { 'retry-after': scripted.retryAfter },
      );
    if (req.method !== 'POST' || req.url !== '/cdp/webhook') return answer(404, { error: 'not found' });
    const basic = `Basic ${Buffer.from(`${this.clientId}:${this.secret}`).toString('base64')}`;
    const bearer = this.tokens.at(-1);
    if (
      bearer !== undefined &&
      this.revokeTokenAfter !== undefined &&
      this.accepted.length >= this.revokeTokenAfter
    ) {
      this.revoked.add(bearer);
      this.revokeTokenAfter = undefined;
    }
    const authorized =
      record.authorization === basic ||
      (bearer !== undefined && !this.revoked.has(bearer) && record.authorization === `Bearer ${bearer}`);
    if (!authorized) return answer(401, { error: 'bad credentials' });
    const headers = {
      'webhook-id': header('webhook-id'),
      'webhook-timestamp': header('webhook-timestamp'),
      'webhook-signature': header('webhook-signature'),
    };
    if (!this.verify(this.secret, headers, body)) return answer(401, { error: 'bad signature' });
    if (this.applied.has(record.id)) {
      this.applied.set(record.id, (this.applied.get(record.id) ?? 0) + 1);
      return answer(200, { duplicate: true });
    }
    const msg = JSON.parse(body) as {
      segmentGroup: string | null;
      segment: { name: string; create: boolean };
      added: Member[];
      removed: Member[];
    };
    const key = `${msg.segmentGroup}/${msg.segment.name}`;
    if (!this.segments.has(key)) {
      if (!msg.segment.create && !this.existing.has(key))
        return answer(404, { error: `segment ${msg.segment.name} does not exist` });
      this.segments.set(key, new Map());
    }
    const seg = this.segments.get(key)!;
    for (const m of msg.added) seg.set(m.id, m.attributes);
    for (const m of msg.removed) seg.delete(m.id);
    this.applied.set(record.id, 0);
    return answer(200, { ok: true });
  }

  private token(req: IncomingMessage, body: string, res: ServerResponse): void {
    const basic = `Basic ${Buffer.from(`${this.clientId}:${this.secret}`).toString('base64')}`;
    const form = new URLSearchParams(body);
    if (req.headers.authorization !== basic || form.get('grant_type') !== 'client_credentials') {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_client' }));
      return;
    }
    const token = `tok-${this.tokens.length + 1}-${Math.random().toString(36).slice(2)}`;
    this.tokens.push(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
  }
}
