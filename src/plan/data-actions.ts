import type { Model } from '../model/index.js';
import type { Activation, Export } from '../schema/index.js';
import type { ResourceData, ResourceState, StateDocument } from '../state/index.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { type DueInput, scheduleDue } from './due.js';
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
  const runNow = options.runNow ?? new Set<string>();
  for (const node of model.resources.Export.values()) {
    const data = history(node.address);
    const pending = data?.pendingRun;
    const c = node.config;
    const mode = c.mode ?? (c.from.audience === undefined ? 'incremental' : 'full');
    if (pending !== undefined && (c.enabled !== false || runNow.has(node.address))) {
      out.push({
        type: 'export',
        address: node.address,
        runId: pending.runId,
        mode,
        window: pending.window,
        reason: `retrying interrupted run ${pending.runId} (same files, same rows)`,
      });
      continue;
    }
    const runs = data?.runs ?? [];
    const lastSucceeded = runs.filter((r) => r.status === 'succeeded').at(-1)?.window.to;
    if (runNow.has(node.address)) {
      const window = { ...(lastSucceeded === undefined ? {} : { from: lastSucceeded }), to: nowIso };
      const runId = exportRunId(node.name, window);
      out.push({ type: 'export', address: node.address, runId, mode, window, reason: 'run now (named)' });
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
        mode,
        window,
        reason: run.reason,
      });
      from = run.to;
    }
  }
  for (const node of model.resources.Activation.values()) {
    const c = node.config;
    if (runNow.has(node.address)) {
      out.push({ type: 'activation-sync', address: node.address, reason: 'run now (named)' });
      continue;
    }
    const due = scheduleDue(activationDueInput(c, history(node.address), now, timezone));
    if (due.due) out.push({ type: 'activation-sync', address: node.address, reason: due.reason });
  }
  return out;
}

/** A hash of what an export run depends on (description and labels left out): `once` reruns when it changes. */
export function runConfigHash(config: Export): string {
  const { description: _d, labels: _l, ...rest } = config;
  return sha256Hex(canonicalJson(rest)).slice(0, 16);
}

/**
 * The schedule's view of an export's history: the last run that counts (succeeded or skipped; for
 * `once`, only runs under the current config) and the `every` anchor.
 */
export function exportDueInput(
  config: Export,
  data: ResourceData | undefined,
  now: Date,
  timezone: string,
): DueInput {
  const hash = runConfigHash(config);
  const counted = (data?.runs ?? []).filter(
    (r) =>
      (r.status === 'succeeded' || r.status === 'skipped') &&
      (config.schedule === undefined ||
        !('once' in config.schedule) ||
        r.configHash === undefined ||
        r.configHash === hash),
  );
  const schedule = config.schedule;
  const anchor =
    schedule !== undefined && 'every' in schedule && data?.scheduleAnchor?.every === schedule.every
      ? data.scheduleAnchor.at
      : undefined;
  return {
    schedule,
    enabled: config.enabled !== false,
    now,
    lastRun: counted.at(-1)?.window.to,
    anchor,
    timezone,
  };
}

/** The schedule's view of an activation: its last successful sync. */
export function activationDueInput(
  config: Activation,
  data: ResourceData | undefined,
  now: Date,
  timezone: string,
): DueInput {
  const marks = Object.values(data?.syncMarks ?? {}).map((m) => m.at);
  return {
    schedule: config.schedule,
    enabled: config.enabled !== false,
    now,
    lastRun: marks.length === 0 ? undefined : marks.sort().at(-1),
    timezone,
  };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
