/**
 * Why the plan does what it does (Terraform's `ActionReason`): a stable kebab-case `code` and typed
 * details, marshalled to JSON as they are. The words are the renderers' (`src/render/reasons.ts`).
 */

/** A field whose value changed, with both values (absent: the field was not set). */
export interface ValueChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** Why a resource gets its action. */
export type ChangeReason =
  /** create: declared, not in state. */
  | { code: 'not-in-state' }
  /** create under `plan --base REF`: declared in the work tree, not at REF. */
  | { code: 'not-in-base'; ref: string }
  /** no-op. */
  | { code: 'unchanged' }
  /** update: these config paths changed (grouped to three levels, first-seen order). */
  | { code: 'fields-changed'; paths: string[] }
  /** update: the stored hash differs, yet no field does (a state written by other means). */
  | { code: 'hash-changed' }
  /** replace: fields that give the resource its identity changed. */
  | { code: 'identity-changed'; fields: ValueChange[] }
  /** delete: in state, not declared. */
  | { code: 'not-in-configuration' }
  /** delete under `plan --base REF`: declared at REF, not in the work tree. */
  | { code: 'removed-since-base'; ref: string };

/** Why an update, replace or delete breaks consumers of the data (one per `breaking` entry). */
export type BreakingReason =
  | { code: 'column-removed'; column: string; dataset: string }
  | { code: 'column-retyped'; column: string; before: unknown; after: unknown }
  /** `writeMode` became `overwrite`: every apply replaces the dataset with the current files. */
  | { code: 'write-mode-overwrite'; before: unknown }
  /** An incremental export's destination changed: rows already sent are not sent again. */
  | { code: 'incremental-destination-changed'; before: unknown; after: unknown }
  /** An incremental export's path changed: readers of the old path see no new files. */
  | { code: 'incremental-path-changed'; before: unknown; after: unknown }
  | { code: 'format-changed'; before: unknown; after: unknown }
  | { code: 'field-dropped'; field: string }
  /** `match` changed from `any` to `all`. */
  | { code: 'match-narrowed' }
  /** A condition about the same subject (did X, have trait Y, …) changed. */
  | { code: 'condition-changed'; before: unknown; after: unknown }
  /** A condition added under `match: all`. */
  | { code: 'condition-added'; condition: unknown }
  /** A condition removed under `match: any`. */
  | { code: 'condition-removed'; condition: unknown }
  /** Replacing a dataflow drops its stored rows and ingests again. */
  | { code: 'dataflow-replaced' }
  | { code: 'protected-replaced' }
  | { code: 'protected-deleted' };

/** A schedule as reasons name it: the interval, the cron with the zone it runs in, or once. */
export type ScheduleRef =
  | { every: string }
  | { cron: string; timezone: string }
  | { once: { lookback?: string } };

/** Why a schedule asks for a run now. */
export type ScheduleDueReason =
  /**
   * A slot fell in (lastRun, now], or it never ran (`lastRun` absent). `tick`: a cron's first tick
   * after the last run; `missedSlots`: more than one slot fell in (`catchUp: skip` runs once).
   */
  | { code: 'schedule-due'; schedule: ScheduleRef; lastRun?: string; tick?: string; missedSlots?: number }
  /** `catchUp: all` and several slots missed: one run each. */
  | { code: 'catch-up'; schedule: ScheduleRef; lastRun: string; missedSlots: number };

/** One run of a `catchUp: all` series: run `run` of `of`, ending at `slot`. */
export interface CatchUpRunReason {
  code: 'catch-up-run';
  schedule: ScheduleRef;
  run: number;
  of: number;
  slot: string;
}

/** Why a schedule does not ask for a run now. */
export type NotDueReason =
  | { code: 'schedule-off' }
  | { code: 'no-schedule' }
  | { code: 'once-already-ran'; lastRun: string }
  | { code: 'not-due'; schedule: ScheduleRef; lastRun: string };

/** Why stream files are ingested. */
export type IngestReason =
  | { code: 'new-stream-files'; files: number }
  /** `writeMode: overwrite`: rebuilt from all `files` current files because `new` appeared or `gone` vanished. */
  | { code: 'overwrite-rebuild'; files: number; new: number; gone: number };

/** Named on the command line (`outflow run NAME`): runs whether due or not. */
export interface RunNowReason {
  code: 'run-now';
}

/** Why an export runs. */
export type ExportRunReason =
  | { code: 'retry-pending-run'; runId: string }
  | RunNowReason
  | ScheduleDueReason
  | CatchUpRunReason;

/** Why an activation syncs. */
export type ActivationSyncReason = RunNowReason | ScheduleDueReason;

/** Every reason a plan or a schedule decision carries. */
export type PlanReason =
  | ChangeReason
  | BreakingReason
  | IngestReason
  | ExportRunReason
  | ActivationSyncReason
  | NotDueReason;

export type ReasonCode = PlanReason['code'];
