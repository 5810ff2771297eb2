import { OutflowError } from '../diagnostics/index.js';
import { maskSecrets } from './credentials.js';
import { type FailureKind, isTransient } from './retry.js';

// How the azure destination reads the store's failures: which are worth a retry, which mean bad
// credentials or a missing container, and the message a user sees (the store's words, no secret).

const AUTH_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationSourceIPMismatch',
  'AuthorizationProtocolMismatch',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
  'InsufficientAccountPermissions',
  // @azure/identity, when accountUrl has no SAS token and the default credential chain is used.
  'CredentialUnavailableError',
  'AuthenticationRequiredError',
  'AggregateAuthenticationError',
]);
/** A missing container, or (ENOTFOUND) a storage account whose host name does not resolve. */
const NOT_FOUND_CODES = new Set([
  'ContainerNotFound',
  'ContainerBeingDeleted',
  'AccountIsDisabled',
  'ENOTFOUND',
]);
/** Azure's own names for "try again later", beside the generic ones in retry.ts. */
const AZURE_TRANSIENT = new Set(['ServerBusy', 'OperationTimedOut', 'InternalError', 'REQUEST_SEND_ERROR']);

/** How outflow reads a failed Azure call: the status, the store's error code, and what it means. */
export interface AzureFailure extends FailureKind {
  status: number | undefined;
  /** The x-ms-error-code (`ContainerNotFound`), the Node error code (`ECONNRESET`) or the error's name. */
  cause: string;
  code: 'destination-auth-failed' | 'destination-not-found' | 'destination-failed';
}

/** Classifies an error thrown by @azure/storage-blob (a RestError, a network or a credential error). */
export function classifyAzureError(error: unknown): AzureFailure {
  const e = (error ?? {}) as {
    name?: string;
    code?: string;
    statusCode?: number;
    details?: { errorCode?: string };
  };
  const status = e.statusCode;
  // HEAD requests (properties, a download's first call) carry the code in a header, no body.
  const cause = e.details?.errorCode ?? e.code ?? e.name ?? 'Error';
  const transient =
    !(status === 401 || status === 403) && (isTransient(status, cause) || AZURE_TRANSIENT.has(cause));
  const code =
    AUTH_CODES.has(cause) || status === 401 || status === 403
      ? 'destination-auth-failed'
      : NOT_FOUND_CODES.has(cause)
        ? 'destination-not-found'
        : 'destination-failed';
  return { status, cause, code, transient };
}

/** Masks every secret value (and any SAS signature) in a text meant for a user. */
export function redact(text: string, secrets: readonly string[]): string {
  return maskSecrets(text, secrets, 4)
    .replace(/([?&;]sig=)[^&\s;"'<]+/gi, '$1***')
    .replace(/(AccountKey=)[^;\s"']+/gi, '$1***');
}

/**
 * The OutflowError for a failed call: names the connection and where it points (no query
 * string), carries the store's status, code and first line of its message, and never a secret.
 */
export function azureError(
  connection: string,
  location: string,
  error: unknown,
  secrets: readonly string[] = [],
): OutflowError {
  if (error instanceof OutflowError) return error;
  const f = classifyAzureError(error);
  // Azure appends `RequestId:…` and `Time:…` lines to its messages: the first line is the cause.
  let detail = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  if (detail === f.cause) detail = '';
  detail = redact(detail, secrets);
  const status = f.status === undefined ? '' : `${f.status} `;
  const message = `connection "${connection}" (${location}): ${status}${f.cause}${detail === '' ? '' : `: ${detail}`}`;
  const hint =
    f.code === 'destination-auth-failed'
      ? 'check the account key in connectionString, or that the SAS token in accountUrl is valid, not expired, and grants read, add, create, write, delete and list (sp=racwdl) on this container'
      : f.code === 'destination-not-found'
        ? f.cause === 'ENOTFOUND'
          ? 'check the storage account name in connectionString or accountUrl'
          : 'check the container name (and the account) of the connection; outflow does not create containers'
        : f.transient
          ? 'the store kept failing after retries with backoff; check the endpoint, the network and the Azure status page, then re-run (a retried run overwrites its own files)'
          : 'check the connection (account, container, prefix) and the store’s message above';
  return new OutflowError(f.code, message, {
    hint,
    meta: { connection, ...(f.status === undefined ? {} : { status: f.status }), cause: f.cause },
  });
}
