/** One interface for every place exports are published: local disk now; s3, gcs, azure, sftp next. */
export interface Destination {
  /** Human-readable location of a key, e.g. `out/buyers/_manifest-x.json` or `s3://bucket/key`. */
  describe(key: string): string;
  /**
   * Publishes a file under `key` atomically: readers see the old object or the whole new one,
   * never a partial one. Re-publishing the same key overwrites it (retried runs are idempotent).
   */
  put(key: string, sourceFile: string): Promise<void>;
  /** Reads a published object (manifests), or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
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
