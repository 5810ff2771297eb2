export { prefixedKey, resolveCredential, type SecretContext } from './credentials.js';
export type { Destination, PublicationManifest, StoredObject } from './destination.js';
export { LocalDestination } from './local.js';
export { type ConnectionOf, openDestination } from './open.js';
export { manifestKey, type PublishedRun, type PublishOptions, publishRun } from './publish.js';
export { type FailureKind, isTransient, type RetryOptions, withRetry } from './retry.js';
