import type { Model } from '../model/index.js';
import type { ResourceState, StateDocument } from '../state/index.js';
import { sha256Hex } from './canonical.js';
import { scheduleDue } from './due.js';
import type { DataAction, ResourceAction } from './types.js';

/** What the caller saw outside the config: stream files per dataflow address (project-relative). */
export interface Observed {
  streamFiles?: Record<string, { path: string; size: number }[]>;
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
 * starts with no data history.
 */
export function dataActions(
  model: Model,
  state: StateDocument | undefined,
  actions: ReadonlyMap<string, ResourceAction>,
  now: Date,
  observed: Observed,
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
    const seen = new Set(ingested.map((f) => `${f.path}\0${f.size}`));
    const fresh = files.filter((f) => !seen.has(`${f.path}\0${f.size}`));
    if (node.config.writeMode === 'overwrite') {
      const current = new Set(files.map((f) => `${f.path}\0${f.size}`));
      const gone = ingested.filter((f) => !current.has(`${f.path}\0${f.size}`)).length;
      if (fresh.length === 0 && gone === 0) continue;
      out.push({
        type: 'ingest',
        address: node.address,
        files,
        reason: `overwrite: rebuild from ${count(files.length, 'stream file')} (${fresh.length} new, ${gone} gone)`,
      });
    } else if (fresh.length > 0) {
      out.push({
        type: 'ingest',
        address: node.address,
        files: fresh,
        reason: `${count(fresh.length, 'new stream file')}`,
      });
    }
  }
  const timezone = model.project?.config.timezone ?? 'UTC';
  const nowIso = now.toISOString();
  for (const node of model.resources.Export.values()) {
    const pending = history(node.address)?.pendingRun;
    const c0 = node.config;
    const mode0 = c0.mode ?? (c0.from.audience === undefined ? 'incremental' : 'full');
    if (pending !== undefined && c0.enabled !== false) {
      out.push({
        type: 'export',
        address: node.address,
        runId: pending.runId,
        mode: mode0,
        window: pending.window,
        reason: `retrying interrupted run ${pending.runId} (same files, same rows)`,
      });
      continue;
    }
    const runs = history(node.address)?.runs ?? [];
    const lastRun = runs.filter((r) => r.status === 'succeeded').at(-1)?.window.to;
    const c = node.config;
    const due = scheduleDue({ schedule: c.schedule, enabled: c.enabled !== false, now, lastRun, timezone });
    if (!due.due) continue;
    const window = { ...(due.from === undefined ? {} : { from: due.from }), to: nowIso };
    out.push({
      type: 'export',
      address: node.address,
      runId: exportRunId(node.name, window),
      mode: mode0,
      window,
      reason: due.reason,
    });
  }
  for (const node of model.resources.Activation.values()) {
    const marks = Object.values(history(node.address)?.syncMarks ?? {}).map((m) => m.at);
    const lastRun = marks.length === 0 ? undefined : marks.sort().at(-1);
    const c = node.config;
    const due = scheduleDue({ schedule: c.schedule, enabled: c.enabled !== false, now, lastRun, timezone });
    if (due.due) out.push({ type: 'activation-sync', address: node.address, reason: due.reason });
  }
  return out;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
