// Sends activation batches to a webhook receiver: authentication (Basic or OAuth2 client
// credentials), Standard Webhooks signatures, and retries with backoff that honour Retry-After
// within a bounded total time. The wire format itself is in wire.ts.

import { maskSecrets } from '../destinations/credentials.js';
import { OutflowError } from '../diagnostics/index.js';
import {
  basicAuthorization,
  redactHeader,
  retryAfterMs,
  retryableStatus,
  signingKey,
  webhookHeaders,
} from './wire.js';

export interface WebhookClientOptions {
  /** The Connection's name, for messages. */
  connection: string;
  /** The full endpoint every batch is POSTed to. */
  url: string;
  clientId: string;
  clientSecret: string;
  auth: { type: 'basic' } | { type: 'oauth2'; tokenUrl: string; scope?: string | undefined };
  /** One request's time limit. */
  timeoutMs: number;
  /** How long one batch is retried before the sync fails. */
  retryForMs: number;
  /** First backoff delay; doubles per attempt (with jitter) up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** One line per request and response, credentials and signatures redacted (--debug). */
  debug?: ((line: string) => void) | undefined;
  /** Injected for tests; default the wall clock, setTimeout and Math.random. */
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** One batch as the client sends it. */
export interface OutgoingBatch {
  /** The `webhook-id`: stable across retries of this batch. */
  id: string;
  body: string;
  /** `2/7`, for logs and errors. */
  label: string;
}

export interface Delivery {
  status: number;
  attempts: number;
}

/** What apply sends batches through (a real client, or a test's). */
export interface WebhookSender {
  send(batch: OutgoingBatch): Promise<Delivery>;
  /** The endpoint for messages, without credentials. */
  describe(): string;
  close(): Promise<void>;
}

/** A webhook endpoint, opened once per apply: the OAuth2 token is fetched once and refreshed on 401. */
export class WebhookClient implements WebhookSender {
  private readonly key: Buffer;
  private token: string | undefined;
  private readonly clock: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly o: WebhookClientOptions) {
    this.key = signingKey(o.clientSecret);
    this.clock = o.clock ?? (() => new Date());
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = o.random ?? Math.random;
  }

  /** The endpoint for messages: origin and path, never credentials or a query string. */
  describe(): string {
    return shownUrl(this.o.url);
  }

  /**
   * Delivers one batch: a 2xx accepts it; 408, 429, 5xx, timeouts and resets are retried with
   * exponential backoff and jitter (at least as long as Retry-After asks) until `retryForMs` has
   * passed; any other status fails at once. Throws an OutflowError with a code and a hint.
   */
  async send(batch: OutgoingBatch): Promise<Delivery> {
    const started = this.clock().getTime();
    // Encoded once: every attempt signs and sends these same bytes.
    const body = Buffer.from(batch.body, 'utf8');
    let refreshed = false;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(batch, body, attempt);
      if (outcome.kind === 'ok') return { status: outcome.status, attempts: attempt };
      if (outcome.kind === 'unauthorized' && this.o.auth.type === 'oauth2' && !refreshed) {
        // The token may have expired: fetch a new one once, and try again at once.
        refreshed = true;
        this.token = undefined;
        continue;
      }
      if (outcome.kind !== 'retry') throw this.failure(batch, outcome, attempt);
      last = outcome.detail;
      const elapsed = this.clock().getTime() - started;
      const budget = this.o.retryForMs - elapsed;
      const backoff = this.backoff(attempt);
      const wait = Math.max(backoff, outcome.retryAfterMs ?? 0);
      if (wait > budget) {
        const asked =
          outcome.retryAfterMs !== undefined && outcome.retryAfterMs > budget
            ? ` (the receiver asked to wait ${Math.ceil(outcome.retryAfterMs / 1000)} s)`
            : '';
        throw new OutflowError(
          'webhook-unavailable',
          `webhook "${this.o.connection}" did not accept batch ${batch.label} after ${attempt} attempt${attempt === 1 ? '' : 's'} in ${Math.round((elapsed + 0) / 1000)} s: ${last}${asked}`,
          {
            hint: 'the batches before it are delivered and recorded; run again when the receiver is back (the same batch is re-sent with the same webhook-id), or raise retryFor on the connection',
          },
        );
      }
      this.log(() => `webhook retry batch ${batch.label} in ${wait} ms (attempt ${attempt + 1})`);
      await this.sleep(wait);
    }
  }

  /** Nothing to release: fetch's keep-alive sockets close on their own. */
  async close(): Promise<void> {}

  private backoff(attempt: number): number {
    const envMin = Number(process.env.OUTFLOW_RETRY_MIN_MS);
    const min = Number.isFinite(envMin) && envMin > 0 ? envMin : (this.o.minBackoffMs ?? 500);
    const max = this.o.maxBackoffMs ?? 30_000;
    const base = Math.min(max, min * 2 ** (attempt - 1));
    // Jitter: between half and all of the exponential delay, so many clients do not retry together.
    return Math.round(base / 2 + (this.random() * base) / 2);
  }

  private async attempt(batch: OutgoingBatch, body: Buffer, attempt: number): Promise<Outcome> {
    let authorization: string;
    try {
      authorization = await this.authorization();
    } catch (error) {
      if (error instanceof OutflowError) return { kind: 'fatal', error };
      throw error;
    }
    const timestamp = Math.floor(this.clock().getTime() / 1000);
    const headers = { ...webhookHeaders(this.key, batch.id, timestamp, body), authorization };
    const t0 = performance.now();
    this.log(
      () =>
        `webhook → POST ${this.describe()} batch ${batch.label} attempt ${attempt} ${Object.entries(headers)
          .map(([k, v]) => `${k}: ${redactHeader(k, v)}`)
          .join('; ')} (${body.length} bytes)`,
    );
    let response: Response;
    try {
      response = await fetch(this.o.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (error) {
      const detail = networkDetail(error, this.o.timeoutMs);
      this.log(
        () => `webhook ← batch ${batch.label}: ${detail} after ${Math.round(performance.now() - t0)} ms`,
      );
      return { kind: 'retry', detail };
    }
    const text = await response.text().catch(() => '');
    const ms = Math.round(performance.now() - t0);
    this.log(() => `webhook ← ${response.status} batch ${batch.label} in ${ms} ms`);
    if (response.status >= 200 && response.status < 300) return { kind: 'ok', status: response.status };
    const detail = `HTTP ${response.status}${text.trim() === '' ? '' : `: ${this.mask(text.trim().slice(0, 200))}`}`;
    if (retryableStatus(response.status)) {
      const after = retryAfterMs(response.headers.get('retry-after'), this.clock());
      return { kind: 'retry', detail, ...(after === undefined ? {} : { retryAfterMs: after }) };
    }
    if (response.status === 401 || response.status === 403)
      return { kind: 'unauthorized', status: response.status, detail };
    return { kind: 'rejected', status: response.status, detail };
  }

  private async authorization(): Promise<string> {
    if (this.o.auth.type === 'basic') return basicAuthorization(this.o.clientId, this.o.clientSecret);
    this.token ??= await this.fetchToken(this.o.auth.tokenUrl, this.o.auth.scope);
    return `Bearer ${this.token}`;
  }

  /** OAuth 2.0 client credentials (RFC 6749 §4.4), the client authenticated with HTTP Basic. */
  private async fetchToken(tokenUrl: string, scope: string | undefined): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope !== undefined) form.set('scope', scope);
    const t0 = performance.now();
    this.log(() => `webhook → POST ${shownUrl(tokenUrl)} (token) authorization: Basic [redacted]`);
    let response: Response;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization(this.o.clientId, this.o.clientSecret),
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (error) {
      throw new OutflowError(
        'webhook-token-failed',
        `cannot get an OAuth2 token for webhook "${this.o.connection}" from ${shownUrl(tokenUrl)}: ${networkDetail(error, this.o.timeoutMs)}`,
        { hint: 'check auth.tokenUrl on the connection and that the token endpoint is reachable' },
      );
    }
    const text = await response.text().catch(() => '');
    this.log(() => `webhook ← ${response.status} (token) in ${Math.round(performance.now() - t0)} ms`);
    let token: unknown;
    try {
      token = (JSON.parse(text) as { access_token?: unknown }).access_token;
    } catch {
      token = undefined;
    }
    if (!response.ok || typeof token !== 'string' || token === '') {
      throw new OutflowError(
        'webhook-token-failed',
        `the token endpoint ${shownUrl(tokenUrl)} of webhook "${this.o.connection}" answered HTTP ${response.status} without an access_token`,
        {
          hint:
            response.status === 401 || response.status === 400
              ? 'check clientId and clientSecret (and scope) of the connection'
              : 'check auth.tokenUrl on the connection',
        },
      );
    }
    return token;
  }

  private failure(
    batch: OutgoingBatch,
    outcome: Exclude<Outcome, { kind: 'ok' | 'retry' }>,
    attempts: number,
  ) {
    if (outcome.kind === 'fatal') return outcome.error;
    const delivered = 'the batches before it are delivered and recorded';
    if (outcome.kind === 'unauthorized')
      return new OutflowError(
        'webhook-unauthorized',
        `webhook "${this.o.connection}" refused batch ${batch.label}: ${outcome.detail}`,
        {
          hint: `check clientId and clientSecret of the connection against the receiver's (it verifies the Basic credentials or token, and the webhook-signature); ${delivered}`,
        },
      );
    return new OutflowError(
      'webhook-rejected',
      `webhook "${this.o.connection}" rejected batch ${batch.label} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${outcome.detail}`,
      {
        hint: `a 4xx other than 408 and 429 is not retried: fix what the receiver reports (segment missing with create: false, payload refused); ${delivered}, and the next run re-sends this batch`,
      },
    );
  }

  private mask(text: string): string {
    const secrets = [this.o.clientSecret, basicAuthorization(this.o.clientId, this.o.clientSecret).slice(6)];
    if (this.token !== undefined) secrets.push(this.token);
    return maskSecrets(text, secrets);
  }

  /** A --debug line, built only when --debug is on. */
  private log(line: () => string): void {
    if (this.o.debug !== undefined) this.o.debug(this.mask(line()));
  }
}

type Outcome =
  | { kind: 'ok'; status: number }
  | { kind: 'retry'; detail: string; retryAfterMs?: number }
  | { kind: 'unauthorized'; status: number; detail: string }
  | { kind: 'rejected'; status: number; detail: string }
  | { kind: 'fatal'; error: OutflowError };

/** `https://host/path` of a URL: no user info, no query string (it may carry a token). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search === '' ? '' : '?…'}`;
  } catch {
    return '(invalid URL)';
  }
}

function networkDetail(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return `no answer within ${timeoutMs / 1000} s (timeout)`;
  const code = e?.cause?.code ?? e?.code;
  const message = e?.cause?.message ?? (error instanceof Error ? error.message : String(error));
  return code === undefined ? message : `${code} (${message})`;
}
