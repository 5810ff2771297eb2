/**
 * One interface for every place exports are published and stream files are read: local disk,
 * s3, gcs, azure and sftp each implement it in their own module (src/destinations/<type>.ts),
 * loading their SDK lazily so `validate` and `plan` never pay for it.
 */
export interface Destination {
  /** Human-readable location of a key, e.g. `out/buyers/_manifest-x.json` or `s3://bucket/prefix/key`. */
  describe(key: string): string;
  /**
   * Publishes a file under `key` atomically: readers see the old object or the whole new one,
   * never a partial one. Re-publishing the same key overwrites it (retried runs are idempotent).
   * The file is streamed from disk, never held whole in memory; `onProgress` gets bytes sent.
   */
  put(key: string, sourceFile: string, onProgress?: (bytesSent: number) => void): Promise<void>;
  /** Reads a (small) published object, such as a manifest, or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  /** Streams an object to a local file (stream files); throws `object-not-found` when missing. */
  download(key: string, targetFile: string, onProgress?: (bytesReceived: number) => void): Promise<void>;
  /** Every object whose key starts with `prefix` (relative to the connection's prefix), sorted by key. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Removes an object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections (sftp sessions, sockets); idempotent. */
  close(): Promise<void>;
}

/** An object in a store, as `list` sees it. */
export interface StoredObject {
  /** Relative to the connection's prefix, `/`-separated. */
  key: string;
  size: number;
  /** The store's version tag (S3/Azure ETag, GCS generation, sftp mtime), for fingerprints. */
  version?: string;
}

/** What a run publishes, in order: every data file first, the manifest last (invariant 2). */
export interface PublicationManifest {
  manifestVersion: 1;
  export: string;
  runId: string;
  window: { from?: string; to: string };
  format: string;
  compression: string;
  mode: 'full' | 'incremental';
  createdAt: string;
  rows: number;
  bytes: number;
  files: { name: string; rows: number; bytes: number; sha256: string; event?: string }[];
  /** dataOut exports: the column names, types and where each came from. */
  schema?: { name: string; type: string; from?: string; expr?: string }[];
}
