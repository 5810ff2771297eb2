import type { ConditionalObjects, VersionedText } from '../state/remote-store.js';
import { openAzureContainer } from './azure-account.js';
import { azureError, classifyAzureError } from './azure-errors.js';
import { prefixedKey, type SecretContext } from './credentials.js';
import type { ConnectionOf } from './open.js';
import { withRetry } from './retry.js';

/**
 * Azure Blob conditional requests: Put Blob with `If-None-Match: *` to create (409
 * BlobAlreadyExists when it exists), `If-Match: <etag>` to replace and delete (412
 * ConditionNotMet when it changed). Azurite enforces both, as the service does. Each call is
 * retried on transient failures (a reset keep-alive socket, 5xx), outflow's only retry layer.
 */
export async function azureConditionalObjects(
  name: string,
  config: ConnectionOf<'azure'>,
  context: SecretContext,
): Promise<ConditionalObjects> {
  const { client, location, secrets } = await openAzureContainer(name, config, context);
  const retrying = <T>(fn: () => Promise<T>) => withRetry(fn, classifyAzureError);
  const full = (key: string) => prefixedKey(config.prefix, key);
  const where = (key: string) => `${location}/${full(key)}`;
  const failed = (key: string, error: unknown) => azureError(name, where(key), error, secrets);
  const refused = (error: unknown) => {
    const f = classifyAzureError(error);
    return f.status === 412 || f.status === 409;
  };
  return {
    describe: where,
    async get(key): Promise<VersionedText | undefined> {
      try {
        const blob = client.getBlockBlobClient(full(key));
        return await retrying(async () => {
          const out = await blob.download();
          const chunks: Buffer[] = [];
          for await (const chunk of out.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Buffer));
          return { text: Buffer.concat(chunks).toString('utf8'), version: out.etag ?? '' };
        });
      } catch (error) {
        const f = classifyAzureError(error);
        if (f.status === 404 && f.cause === 'BlobNotFound') return undefined;
        throw failed(key, error);
      }
    },
    async put(key, text, expected) {
      try {
        const out = await retrying(() =>
          client.getBlockBlobClient(full(key)).upload(text, Buffer.byteLength(text), {
            blobHTTPHeaders: { blobContentType: 'application/json' },
            conditions: expected === undefined ? { ifNoneMatch: '*' } : { ifMatch: expected },
          }),
        );
        return { version: out.etag ?? '' };
      } catch (error) {
        if (refused(error)) return 'conflict';
        throw failed(key, error);
      }
    },
    async delete(key, expected) {
      try {
        await retrying(() =>
          client.getBlockBlobClient(full(key)).delete({ conditions: { ifMatch: expected } }),
        );
        return 'deleted';
      } catch (error) {
        if (refused(error)) return 'conflict';
        if (classifyAzureError(error).status === 404) return 'missing';
        throw failed(key, error);
      }
    },
  };
}
