import { isTransient } from './retry.js';

/** What a GCS call's failure means to outflow. */
export type GcsFailureKind = 'transient' | 'auth' | 'bucket-missing' | 'object-missing' | 'permanent';

/** A store call, as the failure classification sees it (404 means different things per call). */
export type GcsOperation = 'put' | 'get' | 'download' | 'list' | 'delete';

/** The parts of an SDK error (ApiError, GaxiosError, FetchError, auth errors) outflow reads. */
export interface GcsCause {
  status: number | undefined;
  code: string | undefined;
  /** GCS's (or the auth library's) own words, on one line. */
  text: string;
}

/** Status, network code and a one-line store message of any error the SDK throws. */
export function gcsCause(error: unknown): GcsCause {
  const e = (error ?? {}) as Record<string, unknown>;
  const response = (e.response ?? {}) as Record<string, unknown>;
  const status = [e.code, e.status, response.status, response.statusCode].find(
    (v): v is number => typeof v === 'number',
  );
  const code = typeof e.code === 'string' ? e.code : undefined;
  // A GaxiosError (resumable session, token endpoint) carries the JSON error in response.data:
  // GCS's {error: {message}}, the token endpoint's {error: 'invalid_grant', error_description}.
  const data = response.data as
    | { error?: { message?: string } | string; error_description?: string }
    | undefined;
  const apiMessage =
    typeof data?.error === 'object'
      ? data.error.message
      : typeof data?.error === 'string'
        ? [data.error, data.error_description].filter((v) => v !== undefined).join(': ')
        : undefined;
  const raw = apiMessage ?? (typeof e.message === 'string' ? e.message : String(error));
  const text = raw
    .replace(
      /Multiple errors occurred during the request\. Please see the `errors` array for complete details\./,
      '',
    )
    .split('\n')
    .map((l) => l.replace(/^\s*\d+\.\s*/, '').trim())
    .filter((l) => l !== '')
    .join('; ')
    .slice(0, 300);
  return { status, code, text };
}

// google-auth-library's words for a key or token it cannot use (no HTTP status from GCS itself).
const AUTH_WORDS =
  /default credentials|invalid_grant|invalid_client|unauthorized_client|DECODER routines|private key|client_email|No key or keyFile/i;
// Worth sending again: the SDK's integrity checks (crc32c/md5 differ: bytes damaged in transit),
// and a single-request upload whose request died before its body was read (the SDK then reports
// only "write after destroy"; credentials are checked before any upload, so it is not a bad key).
const RESEND_CODES = new Set(['FILE_NO_UPLOAD', 'CONTENT_DOWNLOAD_MISMATCH', 'ERR_STREAM_DESTROYED']);

/** Transient (retry), auth, missing bucket or object, or permanent: by status, code and message. */
export function classifyGcsError(error: unknown, operation: GcsOperation): GcsFailureKind {
  const { status, code, text } = gcsCause(error);
  // ERR_OSSL_*: the private key cannot be read, so no token can be signed.
  if (status === 401 || status === 403 || AUTH_WORDS.test(text) || code?.startsWith('ERR_OSSL') === true)
    return 'auth';
  if (status === 404) {
    // Writes and listings cannot miss an object: their 404 is the bucket. Reads say which.
    if (operation === 'put' || operation === 'list') return 'bucket-missing';
    return /bucket does not exist|no such bucket/i.test(text) ? 'bucket-missing' : 'object-missing';
  }
  if (isTransient(status, code) || (code !== undefined && RESEND_CODES.has(code))) return 'transient';
  return 'permanent';
}
