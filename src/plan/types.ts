/** The Plan: what an apply would do. Versioned data; every renderer and apply read only this. */

import type {
  ActivationSyncReason,
  BreakingReason,
  ChangeReason,
  ExportRunReason,
  IngestReason,
} from './reasons.js';

/** 2: reasons are `{code, …details}` objects (1 had sentences); resource changes carry `dependsOn`. */
export const PLAN_FORMAT_VERSION = 2;

/** The closed set of resource actions (as Terraform's NoOp/Create/Update/DeleteThenCreate/Delete). */
export type ResourceAction = 'create' | 'update' | 'replace' | 'delete' | 'no-op';

/** How a change affects consumers of the data. */
export type ChangeClass = 'breaking' | 'non-breaking' | 'metadata-only';

export interface FieldChange {
  /** Config path, e.g. `schema.columns.email.type` (columns keyed by name, so reordering is not a change). */
  path: string;
  before?: unknown;
  after?: unknown;
  /** True for secret fields: before/after are `(sensitive)`. */
  sensitive?: boolean;
}

export interface ResourceChange {
  /** `Kind/name` */
  address: string;
  kind: string;
  name: string;
  action: ResourceAction;
  /** Why this action, e.g. `{code: 'identity-changed', fields: [{path: 'entity', before: 'user', after: 'event'}]}`. */
  reason: ChangeReason;
  classification: ChangeClass;
  /** Why it is breaking, one entry each (empty unless classification is breaking). */
  breaking: BreakingReason[];
  /**
   * Normalised config (undefined for create / delete respectively). Secret fields read
   * `(sensitive)`; `$sensitive` holds digests of their *references*, never of values.
   */
  before?: unknown;
  after?: unknown;
  changes: FieldChange[];
  /**
   * No-op resources only: the changed resources this one depends on (directly or not), e.g. an
   * export of a changed audience. Absent when nothing upstream changed.
   */
  affectedBy?: string[];
  /** The declared resources this one references directly (sorted); absent when none, and for deletes. */
  dependsOn?: string[];
  /** Where it is declared (undefined for deletes). */
  file?: string;
  line?: number;
}

export interface IngestAction {
  type: 'ingest';
  /** `Dataflow/name` */
  address: string;
  /** New stream files (not yet ingested): project-relative, or `connection:key` from a connection. */
  files: StreamFile[];
  reason: IngestReason;
}

/** A stream file as listed: on local disk (project-relative) or in a connection's store. */
export interface StreamFile {
  /** Project-relative path, or `connection:key` for a file in a store. */
  path: string;
  size: number;
  /** The store's version tag (ETag, generation, mtime): a re-upload is looked at again. */
  version?: string;
  /** Files in a store: the Connection and the key relative to its prefix. */
  connection?: string;
  key?: string;
}

export interface ExportRunAction {
  type: 'export';
  /** `Export/name` */
  address: string;
  /** Deterministic per export and window, so a retried run overwrites its own files. */
  runId: string;
  mode: 'full' | 'incremental';
  window: { from?: string; to: string };
  reason: ExportRunReason;
}

export interface ActivationSyncAction {
  type: 'activation-sync';
  address: string;
  reason: ActivationSyncReason;
}

export type DataAction = IngestAction | ExportRunAction | ActivationSyncAction;

/**
 * Something to check before applying: `connection-untested`, a destination or source connection
 * never tested (`outflow connections test`) nor published to; `stream-files-unlisted`, a
 * dataflow's store could not be listed, so the plan shows no ingest for it.
 */
export interface PlanWarning {
  code: 'connection-untested' | 'stream-files-unlisted';
  /** The export or dataflow that uses the connection. */
  address: string;
  connection: string;
  /** The connection's type (s3, gcs, azure, sftp, or local for a source). */
  type: string;
  /** `stream-files-unlisted`: the store's error (never a secret). */
  message?: string;
}

export interface PlanProblem {
  address: string;
  code: string;
  message: string;
  hint?: string;
}

/** `plan --base REF`: the config at REF's merge base with HEAD was taken as applied. */
export interface PlanBase {
  /** The ref as given, e.g. `origin/main`. */
  ref: string;
  /** The commit the base config was read at. */
  commit: string;
  /** Config files that differ between the base and the work tree (their resources come first). */
  changedFiles: string[];
  /** Set when the base config could not be used, e.g. "base config has errors; plan shows head only". */
  warning?: string;
}

/** Why a file a dataflow's glob matches is not a stream file (the words are the renderers'). */
export type StreamFileSkipReason = 'symlink' | 'symlink-outside-project' | 'broken-symlink';

/** A path a dataflow's `source.path` glob matches that is not ingested, and why. */
export interface SkippedStreamFile {
  /** `Dataflow/name` */
  address: string;
  /** Project-relative. */
  path: string;
  reason: StreamFileSkipReason;
}

/** Member count of a changed audience before → after, on the warehouse at `now`. */
export interface AudienceImpact {
  address: string;
  before?: number;
  after?: number;
  added?: number;
  removed?: number;
  /** Why the numbers are missing, e.g. "not computed: exceeded 10 s". */
  notComputed?: string;
}

/** What the next run of a due export would send. */
export interface ExportImpact {
  address: string;
  runId: string;
  rows?: number;
  /** Estimated from the chunk settings (and the estimated bytes). */
  files?: number;
  /** Estimated from the bytes per row of the last successful run; absent without one. */
  bytes?: number;
  notComputed?: string;
}

/** What a due activation sync would send, per audience (the diff against what was delivered). */
export interface ActivationImpact {
  address: string;
  audiences: {
    audience: string;
    segment: string;
    added: number;
    removed: number;
    /** Members of the segment after the sync. */
    members: number;
    batches: number;
    /** Batches of an unfinished earlier sync, sent first. */
    unfinished?: number;
  }[];
  notComputed?: string;
}

/** Data impact, computed on the local warehouse (read-only) after the plan; absent with `--no-data`. */
export interface PlanImpact {
  /** The warehouse, project-relative. */
  warehouse: string;
  audiences: AudienceImpact[];
  exports: ExportImpact[];
  /** Due activation syncs (absent in plans saved before activations were implemented). */
  activations?: ActivationImpact[];
  /** Why nothing was computed, e.g. the warehouse could not be opened (another process holds it). */
  notComputed?: string;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  outflowVersion: string;
  /** The `now` the plan was computed for (ISO). */
  now: string;
  /** sha256 of the normalised desired config; apply of a saved plan checks it. */
  configHash: string;
  /** The state the plan was made against; a saved plan is stale once this moves on. */
  state: { lineage: string | null; serial: number };
  resourceChanges: ResourceChange[];
  dataActions: DataAction[];
  /** Errors that make the plan unappliable (e.g. a protected resource would be deleted). */
  problems: PlanProblem[];
  /** Things to check before applying (the plan can still be applied); absent when there are none. */
  warnings?: PlanWarning[];
  /** `--target` addresses: only these resources (and their data actions) are in the plan. */
  targets?: string[];
  /** `--exclude` addresses: left out of the plan. */
  excludes?: string[];
  /** Set by `plan --base REF`. */
  base?: PlanBase;
  /** Paths the stream-file globs match that are not ingested (symbolic links); absent when none. */
  skippedStreamFiles?: SkippedStreamFile[];
  /** Set when a warehouse exists and `--no-data` was not given. */
  impact?: PlanImpact;
  summary: {
    create: number;
    update: number;
    replace: number;
    delete: number;
    noop: number;
    breaking: number;
    dataActions: number;
  };
}
