import { mkdir, rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { Destination, PublicationManifest } from '../destinations/index.js';
import { publishRun } from '../destinations/index.js';
import { errorCode, errorMessage } from '../diagnostics/index.js';
import type { Engine } from '../engine/index.js';
import { buildGraph, durationMs, type Model, type ResourceNode } from '../model/index.js';
import type {
  ActivationSyncAction,
  DataAction,
  ExportRunAction,
  IngestAction,
  Plan,
  StreamFile,
} from '../plan/index.js';
import { exportDataHash } from '../plan/index.js';
import { projectLayout } from '../project/layout.js';
import {
  type ExportRun,
  nextRevision,
  type ResourceData,
  type StateBackend,
  type StateDocument,
} from '../state/index.js';
import { crashPoint } from '../testing/index.js';
import { checkRowLimit, skippedRun } from './limits.js';
import type { ApplyResult, ItemResult } from './result.js';
import { type ApplyEvent, transition } from './transitions.js';

/** How apply reports each item as it runs (a spinner on a terminal, plain lines in CI). */
export interface ApplyProgress {
  start(item: string): void;
  succeed(item: string, detail?: string): void;
  fail(item: string, message: string): void;
  warn(text: string): void;
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
  const record = async (event: ApplyEvent) => {
    state = transition(state, event);
    if (input.backend === undefined) return;
    state = nextRevision(state, deps.clock(), input.version);
    await input.backend.write(state);
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
  // One destination per connection for the whole apply (sftp sessions, sockets), closed at the end.
  const destinations = new Map<string, Promise<Destination>>();
  const openedDestination = (conn: ResourceNode<'Connection'>): Promise<Destination> => {
    let d = destinations.get(conn.name);
    if (d === undefined) {
      d = deps.destination(conn);
      destinations.set(conn.name, d);
    }
    return d;
  };

  async function runIngest(a: IngestAction): Promise<string> {
    const flow = input.model.resources.Dataflow.get(nameOf(a.address))!;
    const d = data(a.address);
    const overwrite = flow.config.writeMode === 'overwrite';
    const listed = overwrite ? (input.streamFiles[a.address] ?? []) : a.files;
    const { ingestFiles, fingerprintStreamFile } = await import('../engine/index.js');
    // Files in a store are downloaded (streamed) into staging first; DuckDB reads local files only.
    const downloads = join(layout.stagingDir, 'streams', flow.name);
    await rm(downloads, { recursive: true, force: true });
    try {
      const files = [];
      for (const [i, f] of listed.entries()) {
        let local = join(input.root, f.path);
        if (f.connection !== undefined && f.key !== undefined) {
          const destination = await openedDestination(input.model.resources.Connection.get(f.connection)!);
          await mkdir(downloads, { recursive: true });
          local = join(downloads, `${i}-${basename(f.key)}`);
          const report = transferReporter(`ingest ${a.address}`, 'down');
          await destination.download(f.key, local, (got) => report(f.path, got, f.size));
        }
        files.push({
          path: local,
          rel: f.path,
          label: f.path,
          size: f.size,
          ...(f.version === undefined ? {} : { version: f.version }),
          // A compressed file cut short or corrupt fails here, before any of its rows count.
          sha256: await fingerprintStreamFile(local, f.path),
        });
      }
      // A re-upload of a file already ingested (same name, same content) is recorded, not ingested again.
      const known = new Set((d.ingestedFiles ?? []).map((f) => `${f.path}\0${f.sha256}`));
      const repeats = overwrite ? [] : files.filter((f) => known.has(`${f.rel}\0${f.sha256}`));
      const fresh = files.filter((f) => !repeats.includes(f));
      const firstSeq = (d.ingestSeq ?? 0) + 1;
      const res =
        fresh.length === 0
          ? { rows: 0, rejected: 0, lastSeq: d.ingestSeq ?? 0, perFile: [], rejectReport: undefined }
          : await ingestFiles(await getEngine(), { name: flow.name, config: flow.config }, fresh, {
              firstSeq,
              rejectDir: layout.rejectDir(flow.name),
            });
      const at = input.now.toISOString();
      const perFile = new Map(res.perFile.map((p) => [p.path, p]));
      const source = flow.config.source.connection;
      await record({
        type: 'ingested',
        address: a.address,
        overwrite,
        lastSeq: res.lastSeq,
        ...(source === undefined || input.backend === undefined
          ? {}
          : { connection: { address: `Connection/${source}`, at: deps.clock().toISOString() } }),
        files: files.map((f) => {
          const p = perFile.get(f.path);
          return {
            path: f.rel,
            size: f.size,
            ...(f.version === undefined ? {} : { version: f.version }),
            sha256: f.sha256,
            ingestedAt: at,
            rows: p?.rows ?? 0,
            rejected: p?.rejected ?? 0,
            seqFrom: p?.seqFrom ?? firstSeq,
            seqTo: p?.seqTo ?? firstSeq - 1,
          };
        }),
      });
      const report = res.rejectReport === undefined ? '' : relative(input.root, res.rejectReport);
      const same =
        repeats.length === 0
          ? ''
          : `; ${plural(repeats.length, 'file')} re-delivered unchanged, not ingested again`;
      return `${plural(res.rows, 'row')} from ${plural(fresh.length, 'file')}${res.rejected > 0 ? `, ${res.rejected} rejected (report: ${report})` : ''}${same}`;
    } finally {
      await rm(downloads, { recursive: true, force: true });
    }
  }

  async function runExport(a: ExportRunAction): Promise<string> {
    const exp = input.model.resources.Export.get(nameOf(a.address))!;
    const conn = input.model.resources.Connection.get(exp.config.destination)!;
    const destination = await openedDestination(conn);
    const d = data(a.address);
    const dataHash = exportDataHash(exp.config);
    const schedule = exp.config.schedule;
    const every = schedule !== undefined && 'every' in schedule ? schedule.every : undefined;
    const sourceFlow =
      exp.config.from.dataflow ??
      input.model.resources.Audience.get(exp.config.from.audience ?? '')?.config.people;
    const sourceSeq = sourceFlow === undefined ? 0 : (data(`Dataflow/${sourceFlow}`).ingestSeq ?? 0);
    const sinceSeq = a.mode === 'incremental' ? (d.watermark?.seq ?? 0) : 0;
    // The run's clock is its window end, so a retry or a catch-up slot sees the same `now`.
    const runNow = new Date((d.pendingRun ?? a).window.to);
    // A one-time export with a lookback covers events in (now − lookback, now].
    const lookback = schedule !== undefined && 'once' in schedule ? schedule.once.lookback : undefined;
    const eventTimeAfter =
      lookback === undefined ? undefined : new Date(runNow.getTime() - durationMs(lookback));
    let warning: string | undefined;
    if (d.pendingRun === undefined && exp.config.limits !== undefined) {
      const limit = await checkRowLimit(await getEngine(), input.model, exp, {
        now: runNow,
        sinceSeq,
        untilSeq: sourceSeq,
      });
      if (limit?.action === 'skip') {
        const at = deps.clock().toISOString();
        await record({
          type: 'runSkipped',
          address: a.address,
          run: skippedRun(a, limit, dataHash, at),
          ...(every === undefined ? {} : { every }),
        });
        return `skipped: ${limit.reason}`;
      }
      if (limit !== undefined) {
        warning = limit.reason;
        input.progress.warn(`${a.address}: ${limit.reason}`);
      }
    }
    // Recorded before anything is published: a crash after this point is retried with the same
    // run id, window and rows, so the retry overwrites the same files (invariant 3).
    const pending = d.pendingRun ?? {
      runId: a.runId,
      window: a.window,
      untilSeq: sourceSeq,
      startedAt: deps.clock().toISOString(),
    };
    if (input.backend !== undefined && d.pendingRun === undefined) {
      await record({ type: 'runPending', address: a.address, pending });
      crashPoint('export.pending-saved');
    }
    const stagingDir = layout.runStagingDir(exp.name, pending.runId);
    await rm(stagingDir, { recursive: true, force: true });
    await mkdir(stagingDir, { recursive: true });
    const { writeExport } = await import('../engine/index.js');
    const written = await writeExport(await getEngine(), input.model, exp, {
      stagingDir,
      runId: pending.runId,
      now: runNow,
      sinceSeq,
      untilSeq: pending.untilSeq,
      ...(eventTimeAfter === undefined ? {} : { eventTimeAfter }),
      ...(input.sampleRows === undefined ? {} : { limitRows: input.sampleRows }),
    });
    const manifest: PublicationManifest = {
      manifestVersion: 1,
      export: exp.name,
      runId: pending.runId,
      window: pending.window,
      format: exp.config.format,
      compression: exp.config.compression,
      mode: a.mode,
      createdAt: input.now.toISOString(),
      rows: written.rows,
      bytes: written.files.reduce((n, f) => n + f.bytes, 0),
      files: written.files,
      ...(written.schema === undefined ? {} : { schema: written.schema }),
    };
    const { manifest: key, directory } = await publishRun(destination, stagingDir, manifest, {
      prefix: input.backend === undefined ? '_draft' : '',
      directory: written.directory,
      manifest: exp.config.manifest,
      onProgress: transferReporter(`export ${a.address}`, 'up'),
    });
    await record({
      type: 'runPublished',
      address: a.address,
      run: {
        runId: pending.runId,
        status: 'succeeded',
        startedAt: pending.startedAt,
        finishedAt: deps.clock().toISOString(),
        window: pending.window,
        rows: written.rows,
        files: written.files.map(({ name, rows, bytes, sha256 }) => ({ name, rows, bytes, sha256 })),
        bytes: manifest.bytes,
        manifest: key,
        ...(warning === undefined ? {} : { reason: warning }),
        dataHash,
      },
      ...(a.mode === 'incremental'
        ? { watermark: { seq: pending.untilSeq, at: input.now.toISOString() } }
        : {}),
      ...(every === undefined ? {} : { every }),
      ...(input.backend === undefined ? {} : { connection: conn.address }),
    });
    await rm(stagingDir, { recursive: true, force: true });
    return `${plural(written.rows, 'row')} in ${plural(written.files.length, 'file')} → ${destination.describe(key || directory)}`;
  }

  /** A failed run or sync as state keeps it: when, which window, and the error (code and message). */
  const failedRun = (a: ExportRunAction | ActivationSyncAction, error: unknown): ExportRun => {
    const at = deps.clock().toISOString();
    const pending = data(a.address).pendingRun;
    return {
      runId: a.type === 'export' ? (pending?.runId ?? a.runId) : `sync-${input.now.toISOString()}`,
      status: 'failed',
      startedAt: pending?.startedAt ?? at,
      finishedAt: at,
      window: a.type === 'export' ? (pending?.window ?? a.window) : { to: input.now.toISOString() },
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
        return { label: `ingest ${a.address}`, address: a.address, run: () => runIngest(a) };
      case 'export':
        return {
          label: `export ${a.address}`,
          address: a.address,
          run: () => runExport(a),
          recordFailure: (error) => ({ type: 'runFailed', address: a.address, run: failedRun(a, error) }),
        };
      case 'activation-sync':
        return {
          label: `sync ${a.address}`,
          address: a.address,
          run: async () => {
            const { OutflowError } = await import('../diagnostics/index.js');
            throw new OutflowError(
              'not-implemented',
              `activation syncs are not implemented yet (${a.address})`,
              {
                hint: 'set enabled: false on the activation for now',
              },
            );
          },
          recordFailure: (error) => ({ type: 'runFailed', address: a.address, run: failedRun(a, error) }),
        };
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
    return firstError === undefined ? { items } : { items, error: firstError };
  } finally {
    await engine?.close();
    for (const d of destinations.values()) await d.then((x) => x.close()).catch(() => undefined);
  }
}

function nameOf(address: string): string {
  return address.slice(address.indexOf('/') + 1);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
