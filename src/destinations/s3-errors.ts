import { OutflowError } from '../diagnostics/index.js';
import { maskSecrets } from './credentials.js';
import { type FailureKind, isTransient } from './retry.js';

// How the s3 destination reads the store's failures: which are worth a retry, which mean bad
// credentials or a missing bucket, and the message a user sees (the store's own words, no secret).

const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'CredentialsProviderError',
]);
const NOT_FOUND_CODES = new Set(['NoSuchBucket']);

/** How outflow reads a failed S3 call: the store's own status and error code, and what it means. */
export interface S3Failure extends FailureKind {
  status: number | undefined;
  /** The S3 error code (`NoSuchBucket`), the Node error code (`ECONNRESET`) or the error's name. */
  cause: string;
  code: 'destination-auth-failed' | 'destination-not-found' | 'destination-failed';
}

/** Classifies an error thrown by the S3 SDK (service errors, network errors, credential errors). */
export function classifyS3Error(error: unknown): S3Failure {
  const e = (error ?? {}) as {
    name?: string;
    Code?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode;
  const cause = e.Code ?? e.code ?? e.name ?? 'Error';
  const code =
    AUTH_CODES.has(cause) || ((status === 401 || status === 403) && !isTransient(undefined, cause))
      ? 'destination-auth-failed'
      : NOT_FOUND_CODES.has(cause)
        ? 'destination-not-found'
        : 'destination-failed';
  return { status, cause, code, transient: code === 'destination-failed' && isTransient(status, cause) };
}

/**
 * The OutflowError for a failed call: names the connection and where it points, carries the
 * store's status, code and message, and never a secret (any value in `secrets` is masked).
 */
export function s3Error(
  connection: string,
  location: string,
  error: unknown,
  secrets: readonly string[] = [],
): OutflowError {
  const f = classifyS3Error(error);
  let detail = error instanceof Error ? error.message : String(error);
  if (detail === '' || detail === 'UnknownError' || detail === f.cause) detail = '';
  detail = maskSecrets(detail, secrets);
  const status = f.status === undefined ? '' : `${f.status} `;
  const message = `connection "${connection}" (${location}): ${status}${f.cause}${detail === '' ? '' : `: ${detail}`}`;
  const hint =
    f.code === 'destination-auth-failed'
      ? 'check accessKeyId and secretAccessKey (or the default AWS credential chain when both are omitted) and that they may read, write, list and delete in this bucket and prefix'
      : f.code === 'destination-not-found'
        ? 'check the bucket name, the region and the endpoint of the connection; outflow does not create buckets'
        : f.transient
          ? 'the store kept failing after retries with backoff; check the endpoint, the network and the service status, then re-run (a retried run overwrites its own files)'
          : 'check the connection (bucket, region, endpoint) and the store’s message above';
  return new OutflowError(f.code, message, { hint, cause: error });
}
