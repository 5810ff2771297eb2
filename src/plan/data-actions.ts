import { type Model, projectTimezone, type ResolvedActivation, type ResolvedExport } from '../model/index.js';
import type { ResourceData, ResourceState, StateDocument } from '../state/index.js';
import { sha256Hex } from './canonical.js';
import { type DueInput, scheduleDue } from './due.js';
import { fingerprintOf } from './fingerprint.js';
import { normalizeConfig } from './normalize.js';
import type { DataAction, ResourceAction, StreamFile } from './types.js';

/** What the caller saw outside the config: stream files per dataflow address (project-relative). */
export interface Observed {
  streamFiles?: Record<string, StreamFile[]>;
}

/**
 * What identifies a stream file as already ingested: its path and size, and in a store its
 * version (ETag, generation), so a re-upload is looked at again; apply then skips it when its
 * content hash is one already ingested under that path.
 */
function streamFileKey(f: { path: string; size: number; version?: string }): string {
  return `${f.path}\0${f.size}\0${f.version ?? ''}`;
}

/** `20261120T120000Z-1a2b3c4d`: the window's end, and a digest of the export and its window. */
export function exportRunId(exportName: string, window: { from?: string; to: string }): string {
  const stamp = window.to.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  const digest = sha256Hex(`${exportName}\n${window.from ?? ''}\n${window.to}`).slice(0, 8);
  return `${stamp}-${digest}`;
}

/**
 * The data work an apply would do at `now`: ingest new stream files, run due exports, sync due
 * activations. `actions` says what happens to each resource; a replaced or created resource
 * starts with no data history. `runNow` addresses run whether due or not (`outflow run NAME`).
 */
export function dataActions(
  model: Model,
  state: StateDocument | undefined,
  actions: ReadonlyMap<string, ResourceAction>,
  now: Date,
  observed: Observed,
  options: { runNow?: ReadonlySet<string> } = {},
): DataAction[] {
  const history = (address: string): ResourceState['data'] => {
    const action = actions.get(address);
    return action === 'create' || action === 'replace' ? undefined : state?.resources[address]?.data;
  };
  const out: DataAction[] = [];
  for (const node of model.resources.Dataflow.values()) {
    const files = observed.streamFiles?.[node.address];
    if (files === undefined) continue;
    const ingested = history(node.address)?.ingestedFiles ?? [];
    const seen = new Set(ingested.map(streamFileKey));
    const fresh = files.filter((f) => !seen.has(streamFileKey(f)));
    if (node.config.writeMode === 'overwrite') {
      const current = new Set(files.map(streamFileKey));
      const gone = ingested.filter((f) => !current.has(streamFileKey(f))).length;
      if (fresh.length === 0 && gone === 0) continue;
      out.push({
        type: 'ingest',
        address: node.address,
        files,
        reason: { code: 'overwrite-rebuild', files: files.length, new: fresh.length, gone },
      });
    } else if (fresh.length > 0) {
      out.push({
        type: 'ingest',
        address: node.address,
        files: fresh,
        reason: { code: 'new-stream-files', files: fresh.length },
      });
    }
  }
  const timezone = projectTimezone(model);
  const nowIso = now.toISOString();
  const runNow = options.runNow ?? new Set<string>();
  for (const node of model.resources.Export.values()) {
    const data = history(node.address);
    const pending = data?.pendingRun;
    const c = node.config;
    if (pending !== undefined && (c.enabled || runNow.has(node.address))) {
      out.push({
        type: 'export',
        address: node.address,
        runId: pending.runId,
        mode: c.mode,
        window: pending.window,
        reason: { code: 'retry-pending-run', runId: pending.runId },
      });
      continue;
    }
    const runs = data?.runs ?? [];
    const lastSucceeded = runs.filter((r) => r.status === 'succeeded').at(-1)?.window.to;
    if (runNow.has(node.address)) {
      const window = { ...(lastSucceeded === undefined ? {} : { from: lastSucceeded }), to: nowIso };
      const runId = exportRunId(node.name, window);
      out.push({
        type: 'export',
        address: node.address,
        runId,
        mode: c.mode,
        window,
        reason: { code: 'run-now' },
      });
      continue;
    }
    const due = scheduleDue(exportDueInput(node.config, data, now, timezone));
    if (!due.due) continue;
    let from = due.from;
    for (const run of due.runs) {
      const window = { ...(from === undefined ? {} : { from }), to: run.to };
      out.push({
        type: 'export',
        address: node.address,
        runId: exportRunId(node.name, window),
        mode: c.mode,
        window,
        reason: run.reason,
      });
      from = run.to;
    }
  }
  for (const node of model.resources.Activation.values()) {
    const c = node.config;
    if (runNow.has(node.address)) {
      out.push({ type: 'activation-sync', address: node.address, reason: { code: 'run-now' } });
      continue;
    }
    const due = scheduleDue(activationDueInput(c, history(node.address), now, timezone));
    if (due.due) out.push({ type: 'activation-sync', address: node.address, reason: due.reason });
  }
  return out;
}

/** The data fingerprint an export run records: a `once` export runs again when it changes. */
export function exportDataHash(config: ResolvedExport): string {
  return fingerprintOf(normalizeConfig('Export', config as unknown as Record<string, unknown>)).dataHash;
}

/**
 * The schedule's view of an export's history: the last run that counts (succeeded or skipped; for
 * `once`, only runs under the current config) and the `every` anchor.
 */
export function exportDueInput(
  config: ResolvedExport,
  data: ResourceData | undefined,
  now: Date,
  timezone: string,
): DueInput {
  // Computed only when a `once` export has a run that recorded one (normalising costs).
  let hash: string | undefined;
  const currentHash = () => {
    hash ??= exportDataHash(config);
    return hash;
  };
  const counted = (data?.runs ?? []).filter(
    (r) =>
      (r.status === 'succeeded' || r.status === 'skipped') &&
      (config.schedule === undefined ||
        !('once' in config.schedule) ||
        r.dataHash === undefined ||
        r.dataHash === currentHash()),
  );
  const schedule = config.schedule;
  const anchor =
    schedule !== undefined && 'every' in schedule && data?.scheduleAnchor?.every === schedule.every
      ? data.scheduleAnchor.at
      : undefined;
  return {
    schedule,
    enabled: config.enabled,
    now,
    lastRun: counted.at(-1)?.window.to,
    anchor,
    timezone,
  };
}

/** The schedule's view of an activation: its last successful sync (its `now`, as for exports). */
export function activationDueInput(
  config: ResolvedActivation,
  data: ResourceData | undefined,
  now: Date,
  timezone: string,
): DueInput {
  const synced = (data?.runs ?? []).filter((r) => r.status === 'succeeded').map((r) => r.window.to);
  // States written before syncs were recorded as runs only have the marks.
  const marks = synced.length > 0 ? synced : Object.values(data?.syncMarks ?? {}).map((m) => m.at);
  return {
    schedule: config.schedule,
    enabled: config.enabled,
    now,
    lastRun: marks.length === 0 ? undefined : marks.sort().at(-1),
    timezone,
  };
}
