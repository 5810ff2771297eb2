// Apply as pure state transitions: (state, event) → next state. No I/O, no clock: every time
// comes in the event. The executor (executor.ts) does the work and records each step here.
import { type ResourceChange, recordApplied } from '../plan/index.js';
import type {
  ActivationSnapshot,
  ExportRun,
  IngestedFile,
  PendingRun,
  PendingSync,
  ResourceData,
  RunError,
  ScheduleAnchor,
  StateDocument,
  SyncMark,
  WarehouseSegments,
} from '../state/index.js';

/** How many runs a resource keeps in state (oldest dropped first). */
export const MAX_RUNS = 100;

/** What happened, as apply records it. */
export type ApplyEvent =
  /** A resource change (create, update, replace, delete) was applied. */
  | { type: 'resourceApplied'; change: ResourceChange; at: Date }
  /** A dataflow ingested `files`; `overwrite` replaces the list of ingested files. */
  | {
      type: 'ingested';
      address: string;
      files: IngestedFile[];
      lastSeq: number;
      overwrite: boolean;
      /** The Connection the files were read from (`Connection/name`), now known to be reachable, at `at`. */
      connection?: { address: string; at: string };
      /** Remote backends: the dataflow's warehouse segments after this ingest (uploaded already). */
      segments?: WarehouseSegments;
    }
  /** An export run is about to publish: a crash from here on is retried with the same run. */
  | { type: 'runPending'; address: string; pending: PendingRun }
  /** A run's files (and manifest) are published; `watermark` set for incremental runs. */
  | {
      type: 'runPublished';
      address: string;
      run: ExportRun;
      watermark?: { seq: number; at: string };
      /** The export's `every` interval, which the first run under it anchors. */
      every?: string;
      /** The Connection published to (`Connection/name`): it is now known to be reachable. */
      connection?: string;
    }
  /** A run was not made (limits.maxRows with onExceed: skip). */
  | { type: 'runSkipped'; address: string; run: ExportRun; every?: string }
  /**
   * A run or sync failed; an interrupted run stays pending, so the next apply retries it as is.
   * `snapshots`: audiences of a failed sync that finished before the failure (remote backends).
   */
  | { type: 'runFailed'; address: string; run: ExportRun; snapshots?: Record<string, ActivationSnapshot> }
  /**
   * Remote backends: an audience's sync is frozen and its batches uploaded, none sent yet; with the
   * snapshot of the audience's sync that finished just before it in the same step, if any.
   */
  | {
      type: 'syncPending';
      address: string;
      audience: string;
      pending: PendingSync;
      snapshot?: ActivationSnapshot;
    }
  /** An activation sync finished: its run, and each audience's new mark. */
  | {
      type: 'synced';
      address: string;
      run: ExportRun;
      marks: Record<string, SyncMark>;
      /** Remote backends: the new snapshot of each audience's delivered members (uploaded already). */
      snapshots?: Record<string, ActivationSnapshot>;
      /** The webhook Connection (`Connection/name`): it is now known to be reachable. */
      connection?: string;
    }
  /** `outflow connections test` made a round trip to a Connection (or failed to). */
  | { type: 'connectionTested'; address: string; at: string; ok: boolean; error?: RunError };

/** The state after `event`. The input state is not changed. */
export function transition(state: StateDocument, event: ApplyEvent): StateDocument {
  switch (event.type) {
    case 'resourceApplied':
      return recordApplied(state, event.change, event.at);
    case 'ingested': {
      const ingested = withData(state, event.address, (d) => ({
        ...d,
        ingestedFiles: event.overwrite ? event.files : [...(d.ingestedFiles ?? []), ...event.files],
        ingestSeq: Math.max(d.ingestSeq ?? 0, event.lastSeq),
        ...(event.segments === undefined ? {} : { segments: event.segments }),
      }));
      return event.connection === undefined
        ? ingested
        : reached(ingested, event.connection.address, event.connection.at);
    }
    case 'runPending':
      return withData(state, event.address, (d) => ({ ...d, pendingRun: event.pending }));
    case 'runPublished': {
      const published = withData(state, event.address, (d) => {
        const { pendingRun: _done, ...rest } = d;
        return {
          ...rest,
          runs: appendRun(d.runs, event.run),
          ...(event.watermark === undefined ? {} : { watermark: event.watermark }),
          ...anchored(d, event.every, event.run.window.to),
        };
      });
      return event.connection === undefined
        ? published
        : reached(published, event.connection, event.run.finishedAt);
    }
    case 'syncPending':
      return withData(state, event.address, (d) => {
        const next = withSnapshots(
          d,
          event.snapshot === undefined ? undefined : { [event.audience]: event.snapshot },
        );
        return { ...next, pendingSyncs: { ...next.pendingSyncs, [event.audience]: event.pending } };
      });
    case 'synced': {
      const synced = withData(state, event.address, (d) => ({
        ...withSnapshots(d, event.snapshots),
        runs: appendRun(d.runs, event.run),
        syncMarks: { ...d.syncMarks, ...event.marks },
      }));
      return event.connection === undefined
        ? synced
        : reached(synced, event.connection, event.run.finishedAt);
    }
    case 'connectionTested':
      return withData(state, event.address, (d) => ({
        ...d,
        check: {
          ...d.check,
          tested: {
            at: event.at,
            ok: event.ok,
            ...(event.error === undefined ? {} : { error: event.error }),
          },
        },
      }));
    case 'runSkipped':
      return withData(state, event.address, (d) => ({
        ...d,
        runs: appendRun(d.runs, event.run),
        ...anchored(d, event.every, event.run.window.to),
      }));
    case 'runFailed':
      return withData(state, event.address, (d) => ({
        ...withSnapshots(d, event.snapshots),
        runs: appendRun(d.runs, event.run),
      }));
  }
}

/**
 * The data with these audiences' snapshots replaced (none given: unchanged); a pending sync that
 * a new snapshot folds in (the same runId) is no longer pending.
 */
function withSnapshots(
  d: ResourceData,
  snapshots: Record<string, ActivationSnapshot> | undefined,
): ResourceData {
  if (snapshots === undefined) return d;
  const { pendingSyncs, ...rest } = d;
  const pending = Object.entries(pendingSyncs ?? {}).filter(
    ([audience, p]) => snapshots[audience]?.runId !== p.runId,
  );
  return {
    ...rest,
    snapshots: { ...d.snapshots, ...snapshots },
    ...(pending.length === 0 ? {} : { pendingSyncs: Object.fromEntries(pending) }),
  };
}

/** A connection was used successfully at `at` (when it is in state). */
function reached(state: StateDocument, connection: string, at: string): StateDocument {
  if (state.resources[connection] === undefined) return state;
  return withData(state, connection, (d) => ({ ...d, check: { ...d.check, reachedAt: at } }));
}

/** The run's `every` anchor: slots are the first run under an interval plus k·N hours. */
function anchored(
  d: ResourceData,
  every: string | undefined,
  at: string,
): { scheduleAnchor?: ScheduleAnchor } {
  if (every === undefined || d.scheduleAnchor?.every === every) return {};
  return { scheduleAnchor: { every, at } };
}

function appendRun(runs: ExportRun[] | undefined, run: ExportRun): ExportRun[] {
  return [...(runs ?? []), run].slice(-MAX_RUNS);
}

function withData(
  state: StateDocument,
  address: string,
  update: (data: ResourceData) => ResourceData,
): StateDocument {
  const resource = state.resources[address];
  if (resource === undefined) throw new Error(`apply: ${address} is not in state (it must be applied first)`);
  return {
    ...state,
    resources: { ...state.resources, [address]: { ...resource, data: update(resource.data ?? {}) } },
  };
}
