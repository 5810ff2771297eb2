import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket, StorageOptions } from '@google-cloud/storage';
import { OutflowError } from '../diagnostics/index.js';
import { maskSecrets, prefixedKey, resolveCredential, type SecretContext } from './credentials.js';
import type { Destination, StoredObject } from './destination.js';
import { classifyGcsError, type GcsOperation, gcsCause } from './gcs-failures.js';
import type { ConnectionOf } from './open.js';
import { withRetry } from './retry.js';

/**
 * Files from this size up go as a resumable upload (one session, streamed in one request);
 * smaller ones (manifests) as a single request. GCS caps single-request uploads at 5 GB, the
 * emulator at 130 MB. No `chunkSize`: the SDK would buffer each chunk in memory.
 */
export const RESUMABLE_MIN_BYTES = 8 * 1024 * 1024;

/** The parsed service-account JSON key; errors name what is wrong, never its text. */
export function parseServiceAccountKey(connection: string, text: string): Record<string, unknown> {
  const refuse = (why: string) =>
    new OutflowError('destination-auth-failed', `connection "${connection}": serviceAccountKey ${why}`, {
      hint: 'use the JSON key file of a service account (IAM → Service accounts → Keys → Add key → JSON), unchanged',
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse('is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw refuse('is not a JSON object');
  const key = parsed as Record<string, unknown>;
  if ((key.type ?? 'service_account') !== 'service_account')
    throw new OutflowError(
      'destination-auth-failed',
      `connection "${connection}": serviceAccountKey is of type "${String(key.type)}", not a service account key`,
      {
        hint: 'omit serviceAccountKey to use Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS) for other credential types',
      },
    );
  const missing = ['client_email', 'private_key'].filter((f) => typeof key[f] !== 'string' || key[f] === '');
  if (missing.length > 0) throw refuse(`has no ${missing.join(' or ')}`);
  return key;
}

/**
 * A JWT client for a service-account key, from the auth library the SDK itself loads (the SDK's
 * `credentials` option is deprecated and prints a warning on every run).
 */
export function serviceAccountClient(
  key: Record<string, unknown>,
): NonNullable<StorageOptions['authClient']> {
  const sdk = createRequire(createRequire(import.meta.url).resolve('@google-cloud/storage'));
  const { JWT } = sdk('google-auth-library') as {
    JWT: new (o: Record<string, unknown>) => NonNullable<StorageOptions['authClient']>;
  };
  return new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: ['https://www.googleapis.com/auth/devstorage.read_write'],
  });
}

/** A GCS bucket (under an optional prefix), through @google-cloud/storage. */
export class GcsDestination implements Destination {
  constructor(
    private readonly name: string,
    private readonly bucket: Bucket,
    private readonly prefix: string | undefined,
    private readonly options: {
      /** Secret strings that must never appear in a message (the key's text and private key). */
      secrets?: string[];
      /** Gets an access token; absent when nothing authenticates (the emulator). */
      authorize?: () => Promise<unknown>;
    } = {},
  ) {}

  private authorized: Promise<unknown> | undefined;

  private objectName(key: string): string {
    return prefixedKey(this.prefix, key);
  }

  private location(): string {
    const p = (this.prefix ?? '').replace(/^\/+|\/+$/g, '');
    return `gs://${this.bucket.name}${p === '' ? '' : `/${p}`}`;
  }

  describe(key: string): string {
    return `gs://${this.bucket.name}/${this.objectName(key)}`;
  }

  /**
   * Credentials are checked before the first call: an unusable key then fails with the auth
   * library's own words, where a single-request upload would only say its stream was destroyed.
   */
  private async authorize(): Promise<void> {
    if (this.options.authorize === undefined) return;
    this.authorized ??= this.options.authorize();
    try {
      await this.authorized;
    } catch (error) {
      this.authorized = undefined;
      throw error;
    }
  }

  /** `fn` with outflow's retry policy (the SDK's own retries are off: one layer only). */
  private retrying<T>(operation: GcsOperation, fn: () => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        await this.authorize();
        return fn();
      },
      (e) => ({ transient: classifyGcsError(e, operation) === 'transient' }),
    );
  }

  /** One store call, retried; a failure becomes the OutflowError naming the connection. */
  private async call<T>(operation: GcsOperation, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.retrying(operation, fn);
    } catch (error) {
      throw this.failure(operation, error);
    }
  }

  /** The OutflowError for a failed call: the connection, its location and GCS's own words. */
  failure(operation: GcsOperation, error: unknown): OutflowError {
    if (error instanceof OutflowError) return error;
    const kind = classifyGcsError(error, operation);
    const { status, code, text } = gcsCause(error);
    const message = maskSecrets(
      `connection "${this.name}" (${this.location()}): ${[status ?? code, text].filter((v) => v !== undefined).join(' ')}`,
      this.options.secrets ?? [],
      8,
    );
    const bucket = this.bucket.name;
    if (kind === 'auth')
      return new OutflowError('destination-auth-failed', message, {
        hint: `check the connection's serviceAccountKey (without one: Application Default Credentials, GOOGLE_APPLICATION_CREDENTIALS or \`gcloud auth application-default login\`) and that the account may write to bucket "${bucket}" (roles/storage.objectAdmin)`,
      });
    if (kind === 'bucket-missing')
      return new OutflowError('destination-not-found', message, {
        hint: `check that bucket "${bucket}" exists (gcloud storage buckets describe gs://${bucket}) and the connection's bucket name`,
      });
    return new OutflowError('destination-failed', message, {
      hint:
        kind === 'transient'
          ? 'GCS kept failing after several retries with backoff; try again later'
          : `rerun with --debug; check the connection and the ${operation} it failed on`,
    });
  }

  async put(key: string, sourceFile: string, onProgress?: (bytesSent: number) => void): Promise<void> {
    const file = this.bucket.file(this.objectName(key));
    const { size } = await stat(sourceFile);
    // Each attempt streams the file again into a new upload; the object appears only when an
    // upload finalizes, so readers never see part of it. An abandoned resumable session holds
    // no object and expires on its own after a week.
    await this.call('put', async () => {
      let sent = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          sent += chunk.length;
          onProgress?.(sent);
          done(null, chunk);
        },
      });
      await pipeline(
        createReadStream(sourceFile, { highWaterMark: 1024 * 1024 }),
        counter,
        file.createWriteStream({ resumable: size >= RESUMABLE_MIN_BYTES }),
      );
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    const file = this.bucket.file(this.objectName(key));
    try {
      return (await this.retrying('get', () => file.download()))[0];
    } catch (error) {
      if (classifyGcsError(error, 'get') === 'object-missing') return undefined;
      throw this.failure('get', error);
    }
  }

  async download(
    key: string,
    targetFile: string,
    onProgress?: (bytesReceived: number) => void,
  ): Promise<void> {
    const file = this.bucket.file(this.objectName(key));
    try {
      await this.retrying('download', async () => {
        let received = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            received += chunk.length;
            onProgress?.(received);
            done(null, chunk);
          },
        });
        await pipeline(file.createReadStream(), counter, createWriteStream(targetFile));
      });
    } catch (error) {
      await rm(targetFile, { force: true });
      if (classifyGcsError(error, 'download') === 'object-missing')
        throw new OutflowError('object-not-found', `${this.describe(key)} does not exist`);
      throw this.failure('download', error);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const base = prefixedKey(this.prefix, '');
    const [files] = await this.call('list', () => this.bucket.getFiles({ prefix: base + prefix }));
    return files
      .map((f) => ({
        key: f.name.slice(base.length),
        size: Number(f.metadata.size ?? 0),
        ...(f.metadata.generation === undefined ? {} : { version: String(f.metadata.generation) }),
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const file = this.bucket.file(this.objectName(key));
    await this.call('delete', () => file.delete({ ignoreNotFound: true }));
  }

  /** Nothing to release: the SDK keeps no session open between calls. */
  async close(): Promise<void> {}
}

/**
 * Opens the connection's bucket. Credentials: the service-account JSON of `serviceAccountKey`,
 * or Application Default Credentials without one. `STORAGE_EMULATOR_HOST` (in the environment
 * outflow runs with) points the client at a local emulator, which takes no credentials.
 */
export async function openGcsDestination(
  name: string,
  config: ConnectionOf<'gcs'>,
  context: SecretContext,
): Promise<Destination> {
  const { bucket, secrets, authorize } = await openGcsBucket(name, config, context);
  return new GcsDestination(name, bucket, config.prefix, {
    secrets,
    ...(authorize === undefined ? {} : { authorize }),
  });
}

/** A gcs connection's bucket, the secret values to mask, and (real GCS only) a token check. */
export interface GcsAccess {
  bucket: Bucket;
  secrets: string[];
  /** Fetches an access token; undefined against an emulator, which takes none. */
  authorize: (() => Promise<unknown>) | undefined;
}

/** The bucket of a gcs connection (SDK loaded here); shared by destinations and remote state. */
export async function openGcsBucket(
  name: string,
  config: ConnectionOf<'gcs'>,
  context: SecretContext,
): Promise<GcsAccess> {
  const keyText = await resolveCredential(name, 'serviceAccountKey', config.serviceAccountKey, context);
  const key = keyText === undefined ? undefined : parseServiceAccountKey(name, keyText);
  const projectId = config.projectId ?? (typeof key?.project_id === 'string' ? key.project_id : undefined);
  const emulator = context.env.STORAGE_EMULATOR_HOST;
  const { Storage } = await import('@google-cloud/storage');
  const options: StorageOptions = {
    // One retry layer, outflow's (withRetry): the SDK's own would multiply the attempts.
    retryOptions: { autoRetry: false },
    ...(projectId === undefined ? {} : { projectId }),
    ...(key === undefined ? {} : { authClient: serviceAccountClient(key) }),
    ...(emulator === undefined || emulator === '' ? {} : { apiEndpoint: emulator }),
  };
  const secrets = [keyText, key?.private_key, key?.private_key_id].filter(
    (s): s is string => typeof s === 'string',
  );
  const storage = new Storage(options);
  return {
    bucket: storage.bucket(config.bucket),
    secrets,
    // The SDK sends no token to a custom endpoint (the emulator): nothing to check there.
    authorize: options.apiEndpoint === undefined ? () => storage.authClient.getAccessToken() : undefined,
  };
}
