import { OutflowError } from '../diagnostics/index.js';
import type { ConditionalObjects, VersionedText } from '../state/remote-store.js';
import { maskSecrets, prefixedKey, type SecretContext } from './credentials.js';
import { openGcsBucket } from './gcs.js';
import { classifyGcsError, type GcsOperation, gcsCause } from './gcs-failures.js';
import type { ConnectionOf } from './open.js';
import { withRetry } from './retry.js';

/**
 * GCS generation preconditions: `ifGenerationMatch: 0` to create, `ifGenerationMatch: <generation>`
 * to replace and delete; GCS answers 412 when the condition fails. The Firebase emulator ignores
 * them (TEST-SERVERS.md). Each call is retried on transient failures, outflow's only retry layer
 * (the SDK's own is off).
 */
export async function gcsConditionalObjects(
  name: string,
  config: ConnectionOf<'gcs'>,
  context: SecretContext,
): Promise<ConditionalObjects> {
  const { bucket, secrets } = await openGcsBucket(name, config, context);
  const retrying = <T>(operation: GcsOperation, fn: () => Promise<T>) =>
    withRetry(fn, (e) => ({ transient: classifyGcsError(e, operation) === 'transient' }));
  const full = (key: string) => prefixedKey(config.prefix, key);
  const where = (key: string) => `gs://${config.bucket}/${full(key)}`;
  const failed = (key: string, error: unknown) => {
    const c = gcsCause(error);
    const status = c.status === undefined ? '' : `${c.status} `;
    return new OutflowError(
      c.status === 401 || c.status === 403 ? 'destination-auth-failed' : 'destination-failed',
      `connection "${name}" (${where(key)}): ${status}${maskSecrets(c.text, secrets)}`,
      {
        hint: 'check the connection (bucket, credentials) and that it may read, write and delete objects under this prefix',
      },
    );
  };
  return {
    describe: where,
    async get(key): Promise<VersionedText | undefined> {
      const file = bucket.file(full(key));
      try {
        // Metadata, then the bytes of exactly that generation: never a newer body under an older tag.
        return await retrying('get', async () => {
          const [meta] = await file.getMetadata();
          const generation = String(meta.generation ?? '');
          const [body] = await bucket.file(full(key), { generation: Number(generation) }).download();
          return { text: body.toString('utf8'), version: generation };
        });
      } catch (error) {
        if (gcsCause(error).status === 404) return undefined;
        throw failed(key, error);
      }
    },
    async put(key, text, expected) {
      const file = bucket.file(full(key));
      try {
        await retrying('put', () =>
          file.save(text, {
            resumable: false,
            contentType: 'application/json',
            preconditionOpts: { ifGenerationMatch: expected === undefined ? 0 : Number(expected) },
          }),
        );
        return { version: String(file.metadata.generation ?? '') };
      } catch (error) {
        if (gcsCause(error).status === 412) return 'conflict';
        throw failed(key, error);
      }
    },
    async delete(key, expected) {
      try {
        await retrying('delete', () =>
          bucket.file(full(key)).delete({ ifGenerationMatch: Number(expected) }),
        );
        return 'deleted';
      } catch (error) {
        const status = gcsCause(error).status;
        if (status === 412) return 'conflict';
        if (status === 404) return 'missing';
        throw failed(key, error);
      }
    },
  };
}
