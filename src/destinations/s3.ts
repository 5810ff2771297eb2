import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { OutflowError } from '../diagnostics/index.js';
import { prefixedKey, resolveCredential, type SecretContext } from './credentials.js';
import type { Destination, StoredObject } from './destination.js';
import type { ConnectionOf } from './open.js';
import { withRetry } from './retry.js';
import { classifyS3Error, s3Error } from './s3-errors.js';

type Sdk = typeof import('@aws-sdk/client-s3');
type Storage = typeof import('@aws-sdk/lib-storage');

/** Files above this size go up in parts of this size, `QUEUE_SIZE` at a time (≤ 40 MB buffered). */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
/**
 * Two layers of retry, sized so they multiply to a sane bound. The SDK retries each buffered
 * request (a multipart part, a list page, a get) up to 3 attempts, and outflow retries the whole
 * operation twice more (at most 9 requests). A streamed PUT cannot be resent by the SDK (its
 * stream is consumed), so outflow alone retries it, from a fresh file stream, up to 6 times.
 */
const SDK_MAX_ATTEMPTS = 3;
const CALL_RETRIES = 2;
const STREAMED_PUT_RETRIES = 6;

/** Opens an S3 (or S3-compatible) bucket; the SDK is loaded here, credentials resolved from references. */
export async function openS3Destination(
  name: string,
  config: ConnectionOf<'s3'>,
  context: SecretContext,
): Promise<Destination> {
  const { client, sdk, secrets } = await openS3Client(name, config, context);
  const storage = await import('@aws-sdk/lib-storage');
  return new S3Destination(name, config, client, sdk, storage, secrets);
}

/** A connection's S3 client (SDK loaded here), the SDK module and the secret values to mask. */
export interface S3Access {
  client: S3Client;
  sdk: Sdk;
  secrets: string[];
}

/** The client of an s3 connection, credentials resolved from references; shared by destinations and remote state. */
export async function openS3Client(
  name: string,
  config: ConnectionOf<'s3'>,
  context: SecretContext,
): Promise<S3Access> {
  const accessKeyId = await resolveCredential(name, 'accessKeyId', config.accessKeyId, context);
  const secretAccessKey = await resolveCredential(name, 'secretAccessKey', config.secretAccessKey, context);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    throw new OutflowError(
      'destination-auth-failed',
      `connection "${name}": ${accessKeyId === undefined ? 'secretAccessKey' : 'accessKeyId'} is set without ${accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'}`,
      {
        hint: 'set both accessKeyId and secretAccessKey, or omit both to use the default AWS credential chain',
      },
    );
  // The SDK warns on stderr, at every start, that Node 20 support ends; outflow supports Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const sdk = await import('@aws-sdk/client-s3');
  const quiet = { debug() {}, info() {}, warn() {}, error() {}, trace() {} };
  const client = new sdk.S3Client({
    region: config.region,
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey } }
      : {}),
    // S3-compatible services (and s3rver) often do not understand the SDK's default checksum
    // trailers on streamed bodies: they store the chunk framing inside the object. AWS keeps them.
    ...(config.endpoint !== undefined
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    // The SDK warns on the console when a streamed request fails; outflow reports failures itself.
    logger: quiet,
  });
  return { client, sdk, secrets: secretAccessKey === undefined ? [] : [secretAccessKey] };
}

/** An S3 bucket under a prefix: single streamed PUTs for small files, multipart uploads for large ones. */
export class S3Destination implements Destination {
  /** Multipart uploads of our keys started before this are leftovers of a killed run. */
  private readonly openedAt = new Date();

  constructor(
    private readonly name: string,
    private readonly config: ConnectionOf<'s3'>,
    private readonly client: S3Client,
    private readonly sdk: Sdk,
    private readonly storage: Storage,
    private readonly secrets: readonly string[],
  ) {}

  private key(key: string): string {
    return prefixedKey(this.config.prefix, key);
  }

  describe(key: string): string {
    return `s3://${this.config.bucket}/${this.key(key)}`;
  }

  /** Runs one store operation with retries; a final failure becomes an OutflowError. */
  private async call<T>(key: string, fn: () => Promise<T>, retries = CALL_RETRIES): Promise<T> {
    try {
      return await withRetry(fn, classifyS3Error, { retries });
    } catch (error) {
      if (error instanceof OutflowError) throw error;
      throw s3Error(this.name, this.describe(key), error, this.secrets);
    }
  }

  async put(key: string, sourceFile: string, onProgress?: (bytesSent: number) => void): Promise<void> {
    const { size } = await stat(sourceFile);
    const Key = this.key(key);
    if (size <= PART_SIZE) {
      await this.call(key, () => this.putSingle(Key, sourceFile, size, onProgress), STREAMED_PUT_RETRIES);
      return;
    }
    await this.abortStaleUploads(Key);
    await this.call(key, () => this.putMultipart(Key, sourceFile, size, onProgress));
  }

  /** One PUT of a streamed file: S3 makes it visible whole or not at all. */
  private async putSingle(
    Key: string,
    sourceFile: string,
    size: number,
    onProgress?: (bytesSent: number) => void,
  ): Promise<void> {
    const body = countingStream(createReadStream(sourceFile), onProgress);
    await this.client.send(
      new this.sdk.PutObjectCommand({ Bucket: this.config.bucket, Key, Body: body, ContentLength: size }),
    );
  }

  /**
   * A multipart upload, which S3 publishes whole on completion. On failure the upload is aborted
   * here rather than by lib-storage (`leavePartsOnError: false`), whose failed abort would replace
   * the real cause (a 403, a reset) with the abort's own error.
   */
  private async putMultipart(
    Key: string,
    sourceFile: string,
    size: number,
    onProgress?: (bytesSent: number) => void,
  ): Promise<void> {
    const upload = new this.storage.Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key, Body: createReadStream(sourceFile), ContentLength: size },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: true,
    });
    upload.on('httpUploadProgress', (p) => {
      if (p.loaded !== undefined) onProgress?.(p.loaded);
    });
    try {
      await upload.done();
    } catch (error) {
      if (upload.uploadId !== undefined) await this.abortUpload(Key, upload.uploadId);
      throw error;
    }
  }

  /** Best effort: parts of an aborted upload are freed; a store that cannot abort keeps them. */
  private async abortUpload(Key: string, UploadId: string): Promise<void> {
    await this.client
      .send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.config.bucket, Key, UploadId }))
      .catch(() => undefined);
  }

  /**
   * Aborts multipart uploads of `Key` left by an earlier, killed run (kill -9 leaves no chance to
   * abort): the retried run writes the same key, so nothing else of ours can own them. Best effort:
   * a store without ListMultipartUploads (s3rver answers 501), a policy without
   * s3:ListBucketMultipartUploads or a failure skips it; a bucket lifecycle rule
   * (AbortIncompleteMultipartUpload) is the backstop.
   */
  private async abortStaleUploads(Key: string): Promise<void> {
    try {
      const listed = await this.client.send(
        new this.sdk.ListMultipartUploadsCommand({ Bucket: this.config.bucket, Prefix: Key }),
      );
      for (const u of listed.Uploads ?? []) {
        if (u.Key === Key && u.UploadId !== undefined && (u.Initiated ?? this.openedAt) < this.openedAt)
          await this.abortUpload(Key, u.UploadId);
      }
    } catch {
      // Cleanup only: the upload that follows reports a missing bucket or bad credentials itself.
    }
  }

  /** The object's response (its body not yet read), or undefined when there is no such key. */
  private async getObject(key: string): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.client.send(
        new this.sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(key) }),
      );
    } catch (error) {
      if (classifyS3Error(error).cause === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.call(key, async () => {
      const res = await this.getObject(key);
      return res === undefined ? undefined : Buffer.from((await res.Body?.transformToByteArray()) ?? []);
    });
  }

  async download(
    key: string,
    targetFile: string,
    onProgress?: (bytesReceived: number) => void,
  ): Promise<void> {
    await this.call(key, async () => {
      const res = await this.getObject(key);
      if (res === undefined)
        throw new OutflowError('object-not-found', `${this.describe(key)} does not exist`);
      await pipeline(countingStream(res.Body as Readable, onProgress), createWriteStream(targetFile));
    });
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const base = this.key('');
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(prefix, () =>
        this.client.send(
          new this.sdk.ListObjectsV2Command({
            Bucket: this.config.bucket,
            Prefix: base + prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        ),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(base)) continue;
        out.push({
          key: o.Key.slice(base.length),
          size: o.Size ?? 0,
          ...(o.ETag === undefined ? {} : { version: o.ETag.replace(/"/g, '') }),
        });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await this.call(key, () =>
      this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(key) })),
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** `source` passed through, reporting the running byte count as the consumer takes it. */
function countingStream(source: Readable, onProgress?: (bytes: number) => void): Readable {
  if (onProgress === undefined) return source;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onProgress(bytes);
      done(null, chunk);
    },
  });
  source.on('error', (error) => counter.destroy(error));
  return source.pipe(counter);
}
