import pRetry, { AbortError } from 'p-retry';

/** How a store call failed, as the retry policy sees it. */
export interface FailureKind {
  /** Timeouts, resets, 408, 429, 5xx, throttling: worth another try. */
  transient: boolean;
}

/** Retry budget: exponential backoff with jitter; tests may shorten it (OUTFLOW_RETRY_MIN_MS). */
export interface RetryOptions {
  retries?: number;
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Called before each retry, for --debug logs and progress lines. */
  onRetry?: (attempt: number, error: unknown) => void;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'InternalError',
  'ServiceUnavailable',
]);

/** The generic part of every store's classification: HTTP status and Node/SDK error codes. */
export function isTransient(status: number | undefined, code: string | undefined): boolean {
  if (status !== undefined && (status === 408 || status === 429 || status >= 500)) return true;
  return code !== undefined && NETWORK_CODES.has(code);
}

/**
 * Runs `fn`, retrying transient failures with exponential backoff and jitter; a permanent failure
 * (403, missing bucket, bad key) is thrown at once. `fn` must be idempotent: every store call
 * outflow retries writes a deterministic name.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  classify: (error: unknown) => FailureKind,
  options: RetryOptions = {},
): Promise<T> {
  const envMin = Number(process.env.OUTFLOW_RETRY_MIN_MS);
  return pRetry(
    async () => {
      try {
        return await fn();
      } catch (error) {
        if (classify(error).transient) throw error;
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    {
      retries: options.retries ?? 6,
      factor: 2,
      minTimeout: Number.isFinite(envMin) && envMin > 0 ? envMin : (options.minTimeoutMs ?? 250),
      maxTimeout: options.maxTimeoutMs ?? 8_000,
      randomize: true,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0) options.onRetry?.(attemptNumber, error);
      },
    },
  );
}
