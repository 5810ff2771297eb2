import type { ConditionalObjects, VersionedText } from '../state/remote-store.js';
import { prefixedKey, type SecretContext } from './credentials.js';
import type { ConnectionOf } from './open.js';
import { openS3Client } from './s3.js';
import { classifyS3Error, s3Error } from './s3-errors.js';

/**
 * S3 conditional requests: PutObject with `If-None-Match: *` to create, `If-Match: <etag>` to
 * replace, DeleteObject with `If-Match`; S3 answers 412 (or 409 for a concurrent conditional
 * write) when the condition fails. s3rver ignores both headers (TEST-SERVERS.md).
 */
export async function s3ConditionalObjects(
  name: string,
  config: ConnectionOf<'s3'>,
  context: SecretContext,
): Promise<ConditionalObjects> {
  const { client, sdk, secrets } = await openS3Client(name, config, context);
  const full = (key: string) => prefixedKey(config.prefix, key);
  const where = (key: string) => `s3://${config.bucket}/${full(key)}`;
  const failed = (key: string, error: unknown) => s3Error(name, where(key), error, secrets);
  const refused = (error: unknown) => {
    const status = classifyS3Error(error).status;
    return status === 412 || status === 409;
  };
  return {
    describe: where,
    async get(key): Promise<VersionedText | undefined> {
      try {
        const out = await client.send(new sdk.GetObjectCommand({ Bucket: config.bucket, Key: full(key) }));
        const text = (await out.Body?.transformToString('utf8')) ?? '';
        return { text, version: out.ETag ?? '' };
      } catch (error) {
        const f = classifyS3Error(error);
        if ((f.status === 404 || f.cause === 'NoSuchKey') && f.cause !== 'NoSuchBucket') return undefined;
        throw failed(key, error);
      }
    },
    async put(key, text, expected) {
      try {
        const out = await client.send(
          new sdk.PutObjectCommand({
            Bucket: config.bucket,
            Key: full(key),
            Body: text,
            ContentType: 'application/json',
            ...(expected === undefined ? { IfNoneMatch: '*' } : { IfMatch: expected }),
          }),
        );
        return { version: out.ETag ?? '' };
      } catch (error) {
        if (refused(error)) return 'conflict';
        throw failed(key, error);
      }
    },
    async delete(key, expected) {
      try {
        await client.send(
          new sdk.DeleteObjectCommand({ Bucket: config.bucket, Key: full(key), IfMatch: expected }),
        );
        return 'deleted';
      } catch (error) {
        if (refused(error)) return 'conflict';
        if (classifyS3Error(error).status === 404) return 'missing';
        throw failed(key, error);
      }
    },
  };
}
