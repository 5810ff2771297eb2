import { mkdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import { LocalDestination, type PublicationManifest, publishRun } from '../destinations/index.js';
import { OutflowError } from '../diagnostics/index.js';
import type { Engine } from '../engine/index.js';
import { durationMs, type Model } from '../model/index.js';
import type { DataAction, ExportRunAction, IngestAction, Plan } from '../plan/index.js';
import { recordApplied, runConfigHash } from '../plan/index.js';
import { projectLayout } from '../project/layout.js';
import { nextRevision, type ResourceData, type StateBackend, type StateDocument } from '../state/index.js';
import { crashPoint } from '../testing/index.js';
import { anchorSchedule, checkRowLimit, skippedRun } from './limits.js';
import type { ApplyResult, ItemResult } from './result.js';

/** How apply reports each item as it runs (a spinner on a terminal, plain lines in CI). */
export interface ApplyProgress {
  start(item: string): void;
  succeed(item: string, detail?: string): void;
  fail(item: string, message: string): void;
  warn(text: string): void;
}

export interface ApplyInput {
  root: string;
  model: Model;
  plan: Plan;
  state: StateDocument;
  /** undefined: --draft, nothing is saved. */
  backend: StateBackend | undefined;
  now: Date;
  version: string;
  /** Every stream file currently matching each dataflow (overwrite re-reads them all). */
  streamFiles: Record<string, { path: string; size: number }[]>;
  /** --draft: read at most this many rows per dataflow. */
  sampleRows?: number | undefined;
  progress: ApplyProgress;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function describeAction(a: DataAction): string {
  return a.type === 'ingest'
    ? `ingest ${a.address}`
    : a.type === 'export'
      ? `export ${a.address}`
      : `sync ${a.address}`;
}

/** Folders DuckDB may touch: the stream files' folders and outflow's own staging and reject folders. */
export function engineDirectories(root: string, model: Model): string[] {
  const dirs = new Set<string>([projectLayout(root).stagingDir, projectLayout(root).rejectsDir]);
  for (const flow of model.resources.Dataflow.values()) {
    if (flow.config.source.path !== undefined)
      dirs.add(resolve(root, picomatch.scan(flow.config.source.path).base || '.'));
  }
  return [...dirs];
}

/**
 * Executes a plan: resource changes first, then ingests, then export runs. State is saved after
 * every completed item; on the first failure apply stops and reports what was and was not done.
 */
export async function applyPlan(input: ApplyInput, openEngine: () => Promise<Engine>): Promise<ApplyResult> {
  let state = input.state;
  const items: ItemResult[] = [];
  const save = async () => {
    if (input.backend === undefined) return;
    state = nextRevision(state, new Date(), input.version);
    await input.backend.write(state);
  };
  const pending = [
    ...input.plan.resourceChanges
      .filter((c) => c.action !== 'no-op')
      .map((c) => ({
        label: `${c.action} ${c.address}`,
        run: async () => {
          state = recordApplied(state, c, input.now);
          if (c.kind === 'Dataflow' && (c.action === 'delete' || c.action === 'replace')) {
            const engine = await getEngine();
            const { dropDataset } = await import('../engine/index.js');
            await dropDataset(engine, c.name);
          }
          await save();
          return undefined;
        },
      })),
    ...input.plan.dataActions.map((a) => ({ label: describeAction(a), run: () => runDataAction(a) })),
  ];
  let engine: Engine | undefined;
  const getEngine = async () => {
    engine ??= await openEngine();
    return engine;
  };

  const data = (address: string): ResourceData => {
    const r = state.resources[address];
    if (r === undefined) throw new OutflowError('not-applied', `${address} is not in state`);
    r.data ??= {};
    return r.data;
  };

  async function runIngest(a: IngestAction): Promise<string> {
    const flow = input.model.resources.Dataflow.get(a.address.split('/')[1]!)!;
    const d = data(a.address);
    const overwrite = flow.config.writeMode === 'overwrite';
    const listed = overwrite ? (input.streamFiles[a.address] ?? []) : a.files;
    const { ingestFiles, fingerprintStreamFile } = await import('../engine/index.js');
    const files = await Promise.all(
      listed.map(async (f) => ({
        path: join(input.root, f.path),
        rel: f.path,
        label: f.path,
        size: f.size,
        // A compressed file cut short or corrupt fails here, before any of its rows count.
        sha256: await fingerprintStreamFile(join(input.root, f.path), f.path),
      })),
    );
    const firstSeq = (d.ingestSeq ?? 0) + 1;
    const res = await ingestFiles(await getEngine(), { name: flow.name, config: flow.config }, files, {
      firstSeq,
      rejectDir: projectLayout(input.root).rejectDir(flow.name),
    });
    const at = input.now.toISOString();
    const perFile = new Map(res.perFile.map((p) => [p.path, p]));
    const ingested = files.map((f) => {
      const p = perFile.get(f.path);
      return {
        path: f.rel,
        size: f.size,
        sha256: f.sha256,
        ingestedAt: at,
        rows: p?.rows ?? 0,
        rejected: p?.rejected ?? 0,
        seqFrom: p?.seqFrom ?? firstSeq,
        seqTo: p?.seqTo ?? firstSeq - 1,
      };
    });
    d.ingestedFiles = overwrite ? ingested : [...(d.ingestedFiles ?? []), ...ingested];
    d.ingestSeq = Math.max(d.ingestSeq ?? 0, res.lastSeq);
    await save();
    const report = res.rejectReport === undefined ? '' : relative(input.root, res.rejectReport);
    return `${plural(res.rows, 'row')} from ${plural(files.length, 'file')}${res.rejected > 0 ? `, ${res.rejected} rejected (report: ${report})` : ''}`;
  }

  async function runExport(a: ExportRunAction): Promise<string> {
    const exp = input.model.resources.Export.get(a.address.split('/')[1]!)!;
    const conn = input.model.resources.Connection.get(exp.config.destination)!;
    if (conn.config.type !== 'local') {
      throw new OutflowError(
        'destination-not-supported',
        `destination "${conn.name}" is a ${conn.config.type} connection; this version publishes to local connections only`,
        { hint: 'use a Connection with type: local for now' },
      );
    }
    const d = data(a.address);
    const sourceFlow =
      exp.config.from.dataflow ??
      input.model.resources.Audience.get(exp.config.from.audience ?? '')?.config.people;
    const sourceSeq =
      sourceFlow === undefined ? 0 : (state.resources[`Dataflow/${sourceFlow}`]?.data?.ingestSeq ?? 0);
    const sinceSeq = a.mode === 'incremental' ? (d.watermark?.seq ?? 0) : 0;
    // The run's clock is its window end, so a retry or a catch-up slot sees the same `now`.
    const runNow = new Date((d.pendingRun ?? a).window.to);
    // A one-time export with a lookback covers events in (now − lookback, now].
    const schedule = exp.config.schedule;
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
        d.runs = [...(d.runs ?? []), skippedRun(a, limit, runConfigHash(exp.config))].slice(-100);
        anchorSchedule(d, exp.config, a.window.to);
        await save();
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
      startedAt: new Date().toISOString(),
    };
    if (input.backend !== undefined && d.pendingRun === undefined) {
      d.pendingRun = pending;
      await save();
      crashPoint('export.pending-saved');
    }
    const stagingDir = projectLayout(input.root).runStagingDir(exp.name, pending.runId);
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
      compression: exp.config.compression ?? 'none',
      mode: a.mode,
      createdAt: input.now.toISOString(),
      rows: written.rows,
      bytes: written.files.reduce((n, f) => n + f.bytes, 0),
      files: written.files,
      ...(written.schema === undefined ? {} : { schema: written.schema }),
    };
    const destination = new LocalDestination(resolve(input.root, (conn.config as { root: string }).root));
    const { manifest: key, directory } = await publishRun(destination, stagingDir, manifest, {
      prefix: input.backend === undefined ? '_draft' : '',
      directory: written.directory,
      manifest: exp.config.manifest !== false,
    });
    d.runs = [
      ...(d.runs ?? []),
      {
        runId: pending.runId,
        status: 'succeeded' as const,
        startedAt: pending.startedAt,
        finishedAt: new Date().toISOString(),
        window: pending.window,
        rows: written.rows,
        files: written.files.map(({ name, rows, bytes, sha256 }) => ({ name, rows, bytes, sha256 })),
        bytes: manifest.bytes,
        manifest: key,
        ...(warning === undefined ? {} : { reason: warning }),
        configHash: runConfigHash(exp.config),
      },
    ].slice(-100);
    if (a.mode === 'incremental') d.watermark = { seq: pending.untilSeq, at: input.now.toISOString() };
    anchorSchedule(d, exp.config, pending.window.to);
    delete d.pendingRun;
    await save();
    await rm(stagingDir, { recursive: true, force: true });
    return `${plural(written.rows, 'row')} in ${plural(written.files.length, 'file')} → ${relative(input.root, join(destination.root, key || directory))}`;
  }

  async function runDataAction(a: DataAction): Promise<string | undefined> {
    if (a.type === 'ingest') return runIngest(a);
    if (a.type === 'export') return runExport(a);
    throw new OutflowError('not-implemented', `activation syncs are not implemented yet (${a.address})`, {
      hint: 'set enabled: false on the activation for now',
    });
  }

  try {
    for (const [index, step] of pending.entries()) {
      input.progress.start(step.label);
      try {
        const detail = await step.run();
        items.push({ item: step.label, status: 'succeeded', ...(detail === undefined ? {} : { detail }) });
        input.progress.succeed(step.label, detail);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        items.push({ item: step.label, status: 'failed', detail: message });
        input.progress.fail(step.label, message);
        const rest = pending
          .slice(index + 1)
          .map((s) => ({ item: s.label, status: 'not-executed' as const }));
        return { items: [...items, ...rest], error: err };
      }
    }
    return { items };
  } finally {
    await engine?.close();
  }
}
