// Mirrors schemas/state.schema.json; test/state/document.test.ts checks that the two stay in step.

/** A resource address, `Kind/name` (for example `Export/buyers_daily`). */
export type ResourceAddress = `${string}/${string}`;

/** What outflow last applied and ran: one document per project. */
export interface StateDocument {
  formatVersion: 1;
  /** UUID made once when the state is first created. */
  lineage: string;
  /** Incremented on every write. */
  serial: number;
  outflowVersion: string;
  /** ISO 8601, UTC. */
  updatedAt: string;
  resources: Record<string, ResourceState>;
}

/** One applied resource: its config and what running it has done since. */
export interface ResourceState {
  kind: string;
  name: string;
  /** SHA-256 hex of the normalised config. */
  configHash: string;
  /** Normalised config, secrets already redacted by the caller. */
  config: Record<string, unknown>;
  appliedAt: string;
  data?: ResourceData;
}

export interface ResourceData {
  /** Dataflows: stream files already ingested. */
  ingestedFiles?: IngestedFile[];
  /** Dataflows: the last ingestion sequence number handed out. */
  ingestSeq?: number;
  /** Dataflows under a remote state backend: the warehouse segments (Parquet objects) holding its rows. */
  segments?: WarehouseSegments;
  /** Exports: the last ingestion sequence number delivered by a successful run. */
  watermark?: Watermark;
  /** Exports and activations: recent runs and syncs (succeeded, failed, skipped), oldest first. */
  runs?: ExportRun[];
  /** Exports: a run that started publishing and was not recorded as succeeded; retried as is. */
  pendingRun?: PendingRun;
  /** Exports with `every`: when the current interval first ran; slots are this plus k·N hours. */
  scheduleAnchor?: ScheduleAnchor;
  /** Activations: last successful sync per audience name. */
  syncMarks?: Record<string, SyncMark>;
  /** Activations under a remote state backend: per audience name, the segment's delivered members as a Parquet object. */
  snapshots?: Record<string, ActivationSnapshot>;
  /** Activations under a remote state backend: per audience name, a frozen sync not yet recorded as finished. */
  pendingSyncs?: Record<string, PendingSync>;
  /** Connections: the last `outflow connections test` and the last successful publication. */
  check?: ConnectionCheck;
}

export interface ConnectionCheck {
  /** The last `outflow connections test` of this connection. */
  tested?: { at: string; ok: boolean; error?: RunError };
  /** When a run last published to it. */
  reachedAt?: string;
}

export interface IngestedFile {
  /** Project-relative, or `connection:key` for a file read from a store. */
  path: string;
  size: number;
  /** The store's version tag (ETag, generation, mtime) of a file read from a store. */
  version?: string;
  sha256: string;
  ingestedAt: string;
  rows: number;
  rejected: number;
  seqFrom: number;
  seqTo: number;
}

/** A dataflow's rows as immutable Parquet objects below the state prefix (remote backends). */
export interface WarehouseSegments {
  /** The current generation (`g<n>` in keys); an overwrite ingest starts a new one. */
  generation: number;
  /** The current generation's segments, in `_seq` order. */
  objects: WarehouseSegment[];
}

export interface WarehouseSegment {
  /** Relative to the state prefix: `warehouse/<dataflow>/g<generation>/<seqFrom>-<seqTo>.parquet`. */
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
  seqFrom: number;
  seqTo: number;
}

/** One audience's delivered members after a finished sync, as one Parquet object below the state prefix. */
export interface ActivationSnapshot {
  /** Relative to the state prefix: `warehouse/_activations/<activation>/<audience>/<runId>.parquet`. */
  key: string;
  /** The sync whose folding-in the object holds. */
  runId: string;
  /** The segment's identity (group and name, as JSON) the members were delivered to. */
  segment: string;
  /** Members in the object. */
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * A sync frozen under a remote state backend, recorded before its first batch is sent: its batches
 * (op, id, in order) as one Parquet object, and what `freezeSync` fixed, so that any runner
 * finishes it with the same batches and webhook-ids.
 */
export interface PendingSync {
  /** Relative to the state prefix: `syncs/<activation>/<audience>/<runId>.parquet`. */
  key: string;
  runId: string;
  /** The segment's identity (group and name, as JSON) it was frozen for. */
  segment: string;
  /** The body's fixed part, as JSON. */
  header: string;
  /** Fingerprint of the attributes its added members are sent with. */
  attributes: string;
  batchSize: number;
  batchCount: number;
  added: number;
  removed: number;
  bytes: number;
  sha256: string;
}

export interface Watermark {
  seq: number;
  at: string;
}

export interface ScheduleAnchor {
  /** The `every` value the anchor belongs to; a different interval starts a new anchor. */
  every: string;
  at: string;
}

export type ExportRunStatus = 'succeeded' | 'failed' | 'skipped';

export interface PendingRun {
  runId: string;
  window: { from?: string; to: string };
  untilSeq: number;
  startedAt: string;
}

export interface ExportRun {
  runId: string;
  status: ExportRunStatus;
  startedAt: string;
  finishedAt: string;
  /** `from` is exclusive and absent for the first run; `to` is inclusive. */
  window: { from?: string; to: string };
  rows: number;
  files: ExportRunFile[];
  bytes: number;
  /** Name of the run's manifest file; empty when nothing was published. */
  manifest: string;
  /** Why the run failed or was skipped, or a warning it ran with (limits.maxRows exceeded). */
  reason?: string;
  /** Legacy (before 0.2): hash of the raw export config; runs now record `dataHash`. */
  configHash?: string;
  /** Data fingerprint of the normalised config the run was made under (`once` runs again when it changes). */
  dataHash?: string;
  /** Failed runs: the error's code and message (never a secret). */
  error?: RunError;
  /** Activation syncs: per audience, what was sent (or, for a failed sync, how far it got). */
  sync?: AudienceSync[];
}

/** One audience's part of an activation sync. */
export interface AudienceSync {
  audience: string;
  /** The receiver's segment name. */
  segment: string;
  /** The body's runId; webhook-ids are `<runId>.<batch>`. */
  runId: string;
  added: number;
  removed: number;
  batches: number;
  /** Batches the receiver accepted. */
  delivered: number;
  /** Members of the segment after the sync (succeeded syncs). */
  members?: number;
}

export interface RunError {
  code: string;
  message: string;
}

export interface ExportRunFile {
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface SyncMark {
  at: string;
  members: number;
  /** Fingerprint of the attributes the members were sent with. */
  hash: string;
}

/** Where state lives. Implementations must make `write` atomic and refuse to go backwards. */
export interface StateBackend {
  /** The stored document, or undefined when there is none yet; throws `state-corrupt` when unreadable. */
  read(): Promise<StateDocument | undefined>;
  /** Stores `doc`; throws `state-conflict` unless the stored serial is lower and the lineage matches. */
  write(doc: StateDocument): Promise<void>;
  /** Where the state lives, for messages (for example `.outflow/state.json`). */
  describe(): string;
}
