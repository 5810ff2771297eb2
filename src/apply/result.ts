/** One result per plan item, as kysely's Migrator reports per migration. */
export type ItemStatus = 'succeeded' | 'failed' | 'not-executed';

export interface ItemResult {
  /** e.g. `create Dataflow/users`, `ingest Dataflow/users`, `export Export/buyers_daily`. */
  item: string;
  status: ItemStatus;
  detail?: string;
}

export interface ApplyResult {
  items: ItemResult[];
  /** The first failure, when apply stopped early. */
  error?: unknown;
}
