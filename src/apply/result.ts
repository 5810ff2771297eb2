/** One result per plan item, as kysely's Migrator reports per migration. */
export type ItemStatus = 'succeeded' | 'failed' | 'skipped';

export interface ItemResult {
  /** e.g. `create Dataflow/users`, `ingest Dataflow/users`, `export Export/buyers_daily`. */
  item: string;
  status: ItemStatus;
  /** What was done, why it failed, or which failed item it depends on. */
  detail?: string;
  /** A failed item's error (code, message, hint). */
  error?: unknown;
}

export interface ApplyResult {
  items: ItemResult[];
  /** The first failure, when any item failed. */
  error?: unknown;
}
