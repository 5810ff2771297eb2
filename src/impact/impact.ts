import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Engine, FlowRef } from '../engine/index.js';
import type { Model } from '../model/index.js';
import type {
  ActivationImpact,
  ActivationSyncAction,
  AudienceImpact,
  ExportImpact,
  ExportRunAction,
  Plan,
  PlanImpact,
  ResourceChange,
} from '../plan/index.js';
import { openWarehouse, projectLayout } from '../project/layout.js';
import type { Audience } from '../schema/index.js';
import type { StateDocument } from '../state/index.js';
import { estimateBytes, estimateFiles } from './estimate.js';

export interface ImpactInput {
  root: string;
  plan: Plan;
  /** The desired config (head). */
  model: Model;
  /** The config changes are measured against, when it is a model (`--base`); else the state's. */
  baseModel?: Model | undefined;
  /** The real state: watermarks and the bytes per row of past runs. */
  state: StateDocument | undefined;
  now: Date;
  /** Bound per query (default 10 s); a slower one is interrupted and reported as not computed. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The plan's data impact on the local warehouse (opened read-only): member counts of changed
 * audiences before → after, and what each due export run would send. Undefined when there is no
 * warehouse. The plan itself stays pure; this is the effectful step after it.
 */
export async function computeImpact(input: ImpactInput): Promise<PlanImpact | undefined> {
  const layout = projectLayout(input.root, input.model.project?.config);
  const database = layout.warehouse;
  if (!existsSync(database)) return undefined;
  const warehouse = relative(input.root, database).split(sep).join('/');
  const audiences = input.plan.resourceChanges.filter((c) => c.kind === 'Audience' && c.action !== 'no-op');
  const runs = input.plan.dataActions.filter((a): a is ExportRunAction => a.type === 'export');
  const syncs = input.plan.dataActions.filter((a): a is ActivationSyncAction => a.type === 'activation-sync');
  if (audiences.length === 0 && runs.length === 0 && syncs.length === 0)
    return { warehouse, audiences: [], exports: [] };
  const { datasetTable } = await import('../engine/index.js');
  let engine: Engine;
  try {
    engine = await openWarehouse(layout, 'read-only', []);
  } catch (error) {
    // Most often an apply or run holds the warehouse: the plan goes on without the numbers.
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    const reason = /lock/i.test(message)
      ? 'the warehouse is locked by another process (an apply or run in progress?)'
      : message;
    return { warehouse, audiences: [], exports: [], notComputed: `not computed: ${reason}` };
  }
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const tables = new Set(
      (await engine.all('SELECT table_name FROM information_schema.tables')).map((r) => String(r.table_name)),
    );
    const ingested = (flow: string) => tables.has(datasetTable(flow));
    const out: PlanImpact = { warehouse, audiences: [], exports: [] };
    for (const change of audiences)
      out.audiences.push(
        await bounded(engine, timeoutMs, { address: change.address }, () =>
          audienceImpact(engine, input, change, ingested),
        ),
      );
    for (const run of runs)
      out.exports.push(
        await bounded(engine, timeoutMs, { address: run.address, runId: run.runId }, () =>
          exportImpact(engine, input, run, ingested),
        ),
      );
    if (syncs.length > 0) {
      out.activations = [];
      for (const sync of syncs)
        out.activations.push(
          await bounded(engine, timeoutMs, { address: sync.address, audiences: [] }, () =>
            activationImpact(engine, input, sync, ingested),
          ),
        );
    }
    return out;
  } finally {
    await engine.close();
  }
}

async function audienceImpact(
  engine: Engine,
  input: ImpactInput,
  change: ResourceChange,
  ingested: (flow: string) => boolean,
): Promise<AudienceImpact> {
  const { audienceMembers } = await import('../engine/index.js');
  const flows = (name: string | undefined): FlowRef | undefined => {
    if (name === undefined) return undefined;
    const flow = input.model.resources.Dataflow.get(name) ?? input.baseModel?.resources.Dataflow.get(name);
    return flow === undefined ? undefined : { name: flow.name, config: flow.config };
  };
  const members = async (audience: Audience | undefined) => {
    if (audience === undefined) return undefined;
    const people = flows(audience.people);
    if (people === undefined || !ingested(people.name)) return 'missing';
    const events = flows(audience.events);
    if (audience.events !== undefined && (events === undefined || !ingested(events.name))) return 'missing';
    return new Set(await audienceMembers(engine, audience, people, events, input.now));
  };
  const before = await members(change.before as Audience | undefined);
  const after = await members(change.after as Audience | undefined);
  if (before === 'missing' || after === 'missing')
    return { address: change.address, notComputed: 'not computed: its dataflows are not ingested yet' };
  const out: AudienceImpact = { address: change.address };
  if (before !== undefined) out.before = before.size;
  if (after !== undefined) out.after = after.size;
  out.added = after === undefined ? 0 : [...after].filter((m) => before?.has(m) !== true).length;
  out.removed = before === undefined ? 0 : [...before].filter((m) => after?.has(m) !== true).length;
  return out;
}

async function exportImpact(
  engine: Engine,
  input: ImpactInput,
  run: ExportRunAction,
  ingested: (flow: string) => boolean,
): Promise<ExportImpact> {
  const { countExportRows, resolveExportSpec } = await import('../engine/index.js');
  const node = input.model.resources.Export.get(run.address.slice('Export/'.length));
  const base = { address: run.address, runId: run.runId };
  if (node === undefined) return { ...base, notComputed: 'not computed: export not in the configuration' };
  const spec = resolveExportSpec(input.model, node);
  const flows =
    spec.source.kind === 'audience'
      ? [spec.source.people.name, ...(spec.source.events === undefined ? [] : [spec.source.events.name])]
      : [spec.source.flow.name];
  if (!flows.every(ingested))
    return { ...base, notComputed: 'not computed: its dataflows are not ingested yet' };
  const data = input.state?.resources[run.address]?.data;
  const rows = await countExportRows(engine, spec, {
    now: input.now,
    sinceSeq: run.mode === 'incremental' ? (data?.watermark?.seq ?? 0) : undefined,
  });
  const bytes = estimateBytes(rows, data?.runs ?? []);
  const files = estimateFiles(rows, bytes, node.config.chunk);
  return {
    ...base,
    rows,
    ...(files === undefined ? {} : { files }),
    ...(bytes === undefined ? {} : { bytes }),
  };
}

/** What a due sync would send: per audience, the diff against what its segment was last sent. */
async function activationImpact(
  engine: Engine,
  input: ImpactInput,
  sync: ActivationSyncAction,
  ingested: (flow: string) => boolean,
): Promise<ActivationImpact> {
  const { audienceSyncSpec } = await import('../activations/spec.js');
  const { membershipDiff, unfinishedSync } = await import('../engine/activation.js');
  const name = sync.address.slice('Activation/'.length);
  const act = input.model.resources.Activation.get(name);
  const base = { address: sync.address, audiences: [] };
  if (act === undefined) return { ...base, notComputed: 'not computed: activation not in the configuration' };
  const conn = input.model.resources.Connection.get(act.config.destination)?.config;
  const batchSize = conn?.type === 'webhook' ? conn.batchSize : 500;
  const out: ActivationImpact = { address: sync.address, audiences: [] };
  const { SyncJournal } = await import('../apply/sync-journal.js');
  const syncJournalDir = join(projectLayout(input.root, input.model.project?.config).outflowDir, 'syncs');
  for (const audience of act.config.audiences) {
    const spec = audienceSyncSpec(input.model, name, audience, input.now);
    if (typeof spec === 'string') return { ...base, notComputed: `not computed: ${spec}` };
    const flows = [
      spec.query.people.name,
      ...(spec.query.events === undefined ? [] : [spec.query.events.name]),
    ];
    if (!flows.every(ingested))
      return { ...base, notComputed: 'not computed: its dataflows are not ingested yet' };
    const diff = await membershipDiff(engine, spec.query);
    const left = await unfinishedSync(engine, { activation: name, audience });
    const delivered = left === undefined ? 0 : SyncJournal.open(syncJournalDir, left.runId).delivered;
    out.audiences.push({
      audience,
      segment: spec.header.segment.name,
      added: diff.added,
      removed: diff.removed,
      members: diff.members,
      batches: Math.ceil((diff.added + diff.removed) / batchSize),
      ...(left === undefined ? {} : { unfinished: left.batchCount - delivered }),
    });
  }
  return out;
}

/** Runs one impact query within `ms`; a slower one is interrupted and reported as not computed. */
export async function bounded<T extends { address: string }>(
  engine: Engine,
  ms: number,
  fallback: T,
  compute: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      engine.interrupt?.();
      resolve({ ...fallback, notComputed: `not computed: exceeded ${formatSeconds(ms)}` });
    }, ms);
  });
  try {
    return await Promise.race([
      compute().catch((error: unknown): T => {
        if (timedOut) return { ...fallback, notComputed: `not computed: exceeded ${formatSeconds(ms)}` };
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        return { ...fallback, notComputed: `not computed: ${message}` };
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
