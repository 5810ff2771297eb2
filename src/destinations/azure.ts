import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { OutflowError } from '../diagnostics/index.js';
import { openAzureContainer } from './azure-account.js';
import { azureError, classifyAzureError } from './azure-errors.js';
import { prefixedKey, type SecretContext } from './credentials.js';
import type { Destination, StoredObject } from './destination.js';
import type { ConnectionOf } from './open.js';
import { withRetry } from './retry.js';

/** Files above this size go up as blocks of this size (more when 50,000 blocks would not hold them). */
const BLOCK_SIZE = 8 * 1024 * 1024;
const MAX_BLOCKS = 50_000;
/** Blocks staged at once; each is streamed from the file, so memory stays small. */
const CONCURRENCY = 4;
/** A call that neither sends nor receives a byte for this long is aborted and retried. */
const IDLE_TIMEOUT_MS = 120_000;

/** Opens an Azure Blob container (ADLS Gen2 accounts too, through the Blob API). */
export async function openAzureDestination(
  name: string,
  config: ConnectionOf<'azure'>,
  context: SecretContext,
): Promise<Destination> {
  const { client, location, secrets } = await openAzureContainer(name, config, context);
  return new AzureDestination(name, location, config.prefix, client, secrets);
}

/**
 * Aborts a call that makes no progress for IDLE_TIMEOUT_MS. `alive()` marks progress and says
 * whether the attempt is still running: a failed request's body stream may report progress after
 * the attempt settled, which must neither re-arm the timer nor count as bytes sent.
 */
async function guarded<T>(fn: (signal: AbortSignal, alive: () => boolean) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const alive = () => {
    if (settled) return false;
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), IDLE_TIMEOUT_MS);
    timer.unref();
    return true;
  };
  alive();
  try {
    return await fn(controller.signal, alive);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    throw Object.assign(new Error(`no progress for ${IDLE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' });
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

function blockId(index: number): string {
  // Deterministic, all the same length (Azure requires it): a re-run of a killed upload stages
  // the same ids again instead of adding a second set of uncommitted blocks.
  return Buffer.from(`outflow-block-${String(index).padStart(5, '0')}`).toString('base64');
}

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  xml: 'application/xml',
  parquet: 'application/vnd.apache.parquet',
  gz: 'application/gzip',
  zst: 'application/zstd',
};

/** By the last extension: a compressed `x.csv.gz` is `application/gzip`, as it is stored. */
function contentType(key: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase();
  return (ext === undefined ? undefined : CONTENT_TYPES[ext]) ?? 'application/octet-stream';
}

/**
 * An Azure Blob container under a prefix. Small files are one Put Blob; larger ones are staged
 * as blocks and made visible at once by Put Block List, so readers never see a partial blob.
 */
export class AzureDestination implements Destination {
  constructor(
    private readonly name: string,
    /** The container's URL, without any SAS query string. */
    private readonly location: string,
    private readonly prefix: string | undefined,
    private readonly client: ContainerClient,
    private readonly secrets: readonly string[],
  ) {}

  describe(key: string): string {
    return `${this.location}/${prefixedKey(this.prefix, key)}`;
  }

  /** Runs one store call with retries; a failure becomes an OutflowError naming `where`. */
  private async call<T>(
    where: string,
    fn: (signal: AbortSignal, alive: () => boolean) => Promise<T>,
  ): Promise<T> {
    try {
      return await withRetry(() => guarded(fn), classifyAzureError);
    } catch (error) {
      throw azureError(this.name, where, error, this.secrets);
    }
  }

  private blob(key: string): BlockBlobClient {
    return this.client.getBlockBlobClient(prefixedKey(this.prefix, key));
  }

  async put(key: string, sourceFile: string, onProgress?: (bytesSent: number) => void): Promise<void> {
    const size = (await stat(sourceFile)).size;
    const blob = this.blob(key);
    const where = this.describe(key);
    const blobHTTPHeaders = { blobContentType: contentType(key) };
    if (size <= BLOCK_SIZE) {
      await this.call(where, (abortSignal, alive) =>
        blob.upload(size === 0 ? Buffer.alloc(0) : () => createReadStream(sourceFile), size, {
          abortSignal,
          blobHTTPHeaders,
          onProgress: (p) => {
            if (alive() && p.loadedBytes < size) onProgress?.(p.loadedBytes);
          },
        }),
      );
      onProgress?.(size);
      return;
    }
    const blockSize = Math.max(BLOCK_SIZE, Math.ceil(size / MAX_BLOCKS / 1_048_576) * 1_048_576);
    const count = Math.ceil(size / blockSize);
    const ids = Array.from({ length: count }, (_, i) => blockId(i));
    const sent = new Array<number>(count).fill(0);
    let total = 0;
    const report = (i: number, bytes: number) => {
      total += bytes - sent[i]!;
      sent[i] = bytes;
      onProgress?.(total);
    };
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < count) {
        const i = next++;
        const start = i * blockSize;
        const length = Math.min(blockSize, size - start);
        try {
          await this.call(where, (abortSignal, alive) => {
            report(i, 0);
            return blob.stageBlock(
              ids[i]!,
              () => createReadStream(sourceFile, { start, end: start + length - 1 }),
              length,
              {
                abortSignal,
                onProgress: (p) => {
                  if (alive()) report(i, p.loadedBytes);
                },
              },
            );
          });
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected !== undefined) throw rejected.reason;
    // The commit publishes the blob whole and discards every uncommitted block of this name,
    // those of a killed earlier attempt included.
    await this.call(where, (abortSignal) => blob.commitBlockList(ids, { abortSignal, blobHTTPHeaders }));
  }

  async get(key: string): Promise<Buffer | undefined> {
    const blob = this.blob(key);
    try {
      return await withRetry(
        () =>
          guarded(async (abortSignal, alive) => {
            const res = await blob.download(0, undefined, { abortSignal });
            const chunks: Buffer[] = [];
            for await (const chunk of res.readableStreamBody!) {
              alive();
              chunks.push(chunk as Buffer);
            }
            return Buffer.concat(chunks);
          }),
        classifyAzureError,
      );
    } catch (error) {
      if (classifyAzureError(error).cause === 'BlobNotFound') return undefined;
      throw azureError(this.name, this.describe(key), error, this.secrets);
    }
  }

  async download(
    key: string,
    targetFile: string,
    onProgress?: (bytesReceived: number) => void,
  ): Promise<void> {
    const blob = this.blob(key);
    try {
      await withRetry(
        () =>
          guarded((abortSignal, alive) =>
            blob.downloadToFile(targetFile, 0, undefined, {
              abortSignal,
              onProgress: (p) => {
                if (alive()) onProgress?.(p.loadedBytes);
              },
            }),
          ),
        classifyAzureError,
      );
    } catch (error) {
      if (classifyAzureError(error).cause === 'BlobNotFound')
        throw new OutflowError('object-not-found', `${this.describe(key)} does not exist`);
      throw azureError(this.name, this.describe(key), error, this.secrets);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const base = prefixedKey(this.prefix, '');
    const objects = await this.call(this.describe(prefix), async (abortSignal, alive) => {
      const out: StoredObject[] = [];
      const pages = this.client.listBlobsFlat({
        prefix: prefixedKey(this.prefix, prefix),
        includeMetadata: true,
        abortSignal,
      });
      for await (const item of pages) {
        alive();
        // ADLS Gen2 (hierarchical namespace) lists its directories as empty blobs marked so.
        if (item.metadata?.hdi_isfolder === 'true') continue;
        out.push({
          key: item.name.slice(base.length),
          size: item.properties.contentLength ?? 0,
          ...(item.properties.etag === undefined ? {} : { version: item.properties.etag.replace(/"/g, '') }),
        });
      }
      return out;
    });
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const blob = this.blob(key);
    await this.call(this.describe(key), (abortSignal) =>
      blob.deleteIfExists({ abortSignal, deleteSnapshots: 'include' }),
    );
  }

  async close(): Promise<void> {
    // The SDK holds no session: its keep-alive sockets close when idle.
  }
}
