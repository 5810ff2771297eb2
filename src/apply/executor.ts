import type { WebhookSender } from '../activations/client.js';
import type { Destination } from '../destinations/index.js';
import { errorCode, errorMessage } from '../diagnostics/index.js';
import type { Engine } from '../engine/index.js';
import { buildGraph, type Model, type ResourceNode } from '../model/index.js';
import type { DataAction, ExportRunAction, Plan, StreamFile } from '../plan/index.js';
import { projectLayout } from '../project/layout.js';
import {
  type ExportRun,
  nextRevision,
  type ResourceData,
  type StateBackend,
  type StateDocument,
} from '../state/index.js';
import { runActivationSync } from './activation-step.js';
import { runExport } from './export-step.js';
import { runIngest } from './ingest-step.js';
import type { ApplyResult, ItemResult } from './result.js';
import type { StepContext } from './step-context.js';
import { type ApplyEvent, transition } from './transitions.js';

/** How apply reports each item as it runs (a spinner on a terminal, plain lines in CI). */
export interface ApplyProgress {
  start(item: string): void;
  succeed(item: string, detail?: string): void;
  fail(item: string, message: string): void;
  warn(text: string): void;
  /** What the running item is doing now (a batch of a sync); a terminal shows it, CI logs do not. */
  detail?(item: string, text: string): void;
  /** Bytes of a file being uploaded to or downloaded from a store (progress and throughput). */
  transfer?(progress: TransferProgress): void;
}

export interface TransferProgress {
  /** The apply item, e.g. `export Export/buyers_daily`. */
  item: string;
  direction: 'up' | 'down';
  file: string;
  bytes: number;
  total: number;
  /** Milliseconds since this file's transfer started (the injected clock). */
  ms: number;
}

export interface ApplyInput {
  root: string;
  model: Model;
  plan: Plan;
  state: StateDocument;
  /** undefined: --draft, nothing is saved. */
  backend: StateBackend | undefined;
  /** The plan's time: windows, audiences, `ingestedAt`. */
  now: Date;
  version: string;
  /** Every stream file currently matching each dataflow (overwrite re-reads them all). */
  streamFiles: Record<string, StreamFile[]>;
  /**
   * Remote state backends: where the warehouse segments go (the state's Connection and prefix);
   * each ingest uploads its rows there before the state records it. undefined: local state.
   */
  segments?: { connection: ResourceNode<'Connection'>; prefix: string } | undefined;
  /** --draft: read at most this many rows per dataflow. */
  sampleRows?: number | undefined;
  progress: ApplyProgress;
}

/** What apply works through, injected so it can run against a fake engine, store or clock. */
export interface ApplyDeps {
  /** Opens the warehouse; called at most once, on the first item that needs it, and closed at the end. */
  openEngine(): Promise<Engine>;
  /** Where an export's files go; rejects with an OutflowError (with a code) when apply cannot publish there. */
  destination(connection: ResourceNode<'Connection'>): Promise<Destination>;
  /** The sender of a webhook Connection (activations); rejects with an OutflowError when it cannot be opened. */
  webhook(connection: ResourceNode<'Connection'>): Promise<WebhookSender>;
  /** Wall-clock time, for when runs started and finished and when state was written. */
  clock(): Date;
}

interface Step {
  label: string;
  /** The resource the step acts on: the graph says which steps depend on it. */
  address: string;
  run(): Promise<string | undefined>;
  /** Records a failure of this step in state (runs and syncs); undefined: nothing to record. */
  recordFailure?(error: unknown): ApplyEvent | undefined;
}

/**
 * Executes a plan: resource changes first, then ingests, then export runs and syncs, recording
 * each completed step as a state transition and saving state after it. A failed step is
 * recorded (runs and syncs keep their error); the steps that depend on it (by the resource
 * graph) are skipped and named; independent steps still run, as Terraform does.
 */
export async function applyPlan(input: ApplyInput, deps: ApplyDeps): Promise<ApplyResult> {
  let state = input.state;
  const layout = projectLayout(input.root, input.model.project?.config);
  const graph = buildGraph(input.model);
  let engine: Engine | undefined;
  const getEngine = async () => {
    engine ??= await deps.openEngine();
    return engine;
  };
  // Whether `state` is what the store holds now (a refused or failed write leaves it unknown).
  let stored = true;
  const record = async (event: ApplyEvent) => {
    state = transition(state, event);
    if (input.backend === undefined) return;
    state = nextRevision(state, deps.clock(), input.version);
    stored = false;
    await input.backend.write(state);
    stored = true;
  };
  const data = (address: string): ResourceData => state.resources[address]?.data ?? {};
  // Progress of each file sent or received, timed from its first byte by the injected clock.
  const transferReporter = (item: string, direction: 'up' | 'down') => {
    const started = new Map<string, number>();
    return (file: string, bytes: number, total: number) => {
      if (input.progress.transfer === undefined) return;
      const now = deps.clock().getTime();
      if (!started.has(file)) started.set(file, now);
      input.progress.transfer({ item, direction, file, bytes, total, ms: now - started.get(file)! });
    };
  };
  // One destination and one webhook client per connection for the whole apply (sftp sessions,
  // sockets, an OAuth2 token), closed at the end.
  const destinations = oncePerConnection((conn) => deps.destination(conn));
  const webhooks = oncePerConnection((conn) => deps.webhook(conn));
  const ctx: StepContext = {
    input,
    layout,
    clock: () => deps.clock(),
    engine: getEngine,
    data,
    record,
    destination: destinations.open,
    webhook: webhooks.open,
    transferReporter,
  };

  /** A failed export run as state keeps it: when, which window, and the error (code and message). */
  const failedRun = (a: ExportRunAction, error: unknown): ExportRun => {
    const at = deps.clock().toISOString();
    const pending = data(a.address).pendingRun;
    return {
      runId: pending?.runId ?? a.runId,
      status: 'failed',
      startedAt: pending?.startedAt ?? at,
      finishedAt: at,
      window: pending?.window ?? a.window,
      rows: 0,
      files: [],
      bytes: 0,
      manifest: '',
      error: { code: errorCode(error), message: errorMessage(error) },
    };
  };

  const steps: Step[] = [
    ...input.plan.resourceChanges
      .filter((c) => c.action !== 'no-op')
      .map(
        (c): Step => ({
          label: `${c.action} ${c.address}`,
          address: c.address,
          run: async () => {
            if (c.kind === 'Dataflow' && c.action !== 'update') {
              const { dropDataset, ensureDataset } = await import('../engine/index.js');
              if (c.action !== 'create') await dropDataset(await getEngine(), c.name);
              const flow = input.model.resources.Dataflow.get(c.name);
              if (flow !== undefined)
                await ensureDataset(await getEngine(), { name: flow.name, config: flow.config });
            }
            if (c.kind === 'Dataflow' && c.action === 'update' && becameUpsert(c.before, c.after)) {
              const flow = input.model.resources.Dataflow.get(c.name);
              const { keepLatestPerPerson } = await import('../engine/audience.js');
              if (flow !== undefined)
                await keepLatestPerPerson(await getEngine(), { name: flow.name, config: flow.config });
            }
            if (c.kind === 'Activation' && c.action === 'delete') {
              // Its delivered members and unfinished syncs go with it.
              const { dropActivation } = await import('../engine/activation.js');
              await dropActivation(await getEngine(), c.name);
            }
            await record({ type: 'resourceApplied', change: c, at: input.now });
            return undefined;
          },
        }),
      ),
    ...input.plan.dataActions.map((a): Step => stepOf(a)),
  ];

  function stepOf(a: DataAction): Step {
    switch (a.type) {
      case 'ingest':
        return { label: `ingest ${a.address}`, address: a.address, run: () => runIngest(ctx, a) };
      case 'export':
        return {
          label: `export ${a.address}`,
          address: a.address,
          run: () => runExport(ctx, a),
          recordFailure: (error) => ({ type: 'runFailed', address: a.address, run: failedRun(a, error) }),
        };
      case 'activation-sync':
        // The step records its own failure: it knows how many batches each audience delivered.
        return { label: `sync ${a.address}`, address: a.address, run: () => runActivationSync(ctx, a) };
    }
  }

  const items: ItemResult[] = [];
  const failed = new Map<string, string>();
  let firstError: unknown;
  try {
    for (const step of steps) {
      const blocker = [...graph.withDependencies([step.address])].find((d) => failed.has(d));
      if (blocker !== undefined) {
        const detail = `skipped: depends on ${failed.get(blocker)}, which failed`;
        items.push({ item: step.label, status: 'skipped', detail });
        input.progress.warn(`${step.label}: ${detail}`);
        continue;
      }
      input.progress.start(step.label);
      try {
        const detail = await step.run();
        items.push({ item: step.label, status: 'succeeded', ...(detail === undefined ? {} : { detail }) });
        input.progress.succeed(step.label, detail);
      } catch (err) {
        firstError ??= err;
        failed.set(step.address, step.label);
        items.push({ item: step.label, status: 'failed', detail: errorMessage(err), error: err });
        input.progress.fail(step.label, errorMessage(err));
        const event = step.recordFailure?.(err);
        // A failure that cannot be recorded (the state store itself failing) is already reported.
        if (event !== undefined && state.resources[step.address] !== undefined)
          await record(event).catch(() => undefined);
      }
    }
    if (input.segments !== undefined && input.backend !== undefined && stored) {
      const swept = await sweepUnlisted(input.segments, state, destinations.open, input.progress);
      if (swept !== undefined) items.push(swept);
    }
    return firstError === undefined ? { items } : { items, error: firstError };
  } finally {
    await engine?.close();
    await destinations.closeAll();
    await webhooks.closeAll();
  }
}

/**
 * Remote state: removes the warehouse objects the state just committed no longer lists (see
 * sweepWarehouse). Runs under the lock, after the last state write of the command. A failure
 * is a warning: the objects are unlisted either way, and the next command sweeps again.
 */
async function sweepUnlisted(
  target: NonNullable<ApplyInput['segments']>,
  state: StateDocument,
  open: (connection: ResourceNode<'Connection'>) => Promise<Destination>,
  progress: ApplyProgress,
): Promise<ItemResult | undefined> {
  const { sweepWarehouse } = await import('../project/warehouse-sweep.js');
  try {
    const removed = await sweepWarehouse(await open(target.connection), target.prefix, state);
    if (removed.length === 0) return undefined;
    const detail = `removed ${removed.length} warehouse object${removed.length === 1 ? '' : 's'} the state no longer lists`;
    progress.start('sweep warehouse');
    progress.succeed('sweep warehouse', detail);
    return { item: 'sweep warehouse', status: 'succeeded', detail };
  } catch (error) {
    progress.warn(
      `sweep warehouse: ${errorMessage(error)} (the objects stay unlisted; the next apply or run tries again)`,
    );
    return undefined;
  }
}

/** A dataflow change after which its table must be brought to one row per person. */
function becameUpsert(before: unknown, after: unknown): boolean {
  const b = before as { writeMode?: string; schema?: { personIdentifier?: string } } | undefined;
  const a = after as { writeMode?: string; schema?: { personIdentifier?: string } } | undefined;
  if (a?.writeMode !== 'upsert' || a.schema?.personIdentifier === undefined) return false;
  return b?.writeMode !== 'upsert' || b.schema?.personIdentifier !== a.schema.personIdentifier;
}

/** `open(connection)` at most once per connection name; `closeAll` closes what was opened. */
function oncePerConnection<T extends { close(): Promise<void> }>(
  open: (connection: ResourceNode<'Connection'>) => Promise<T>,
): { open(connection: ResourceNode<'Connection'>): Promise<T>; closeAll(): Promise<void> } {
  const opened = new Map<string, Promise<T>>();
  return {
    open: (connection) => {
      let p = opened.get(connection.name);
      if (p === undefined) {
        p = open(connection);
        opened.set(connection.name, p);
      }
      return p;
    },
    closeAll: async () => {
      for (const p of opened.values()) await p.then((x) => x.close()).catch(() => undefined);
    },
  };
}
