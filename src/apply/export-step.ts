import { mkdir, rm } from 'node:fs/promises';
import type { PublicationManifest } from '../destinations/index.js';
import { publishRun } from '../destinations/index.js';
import { durationMs } from '../model/index.js';
import type { ExportRunAction } from '../plan/index.js';
import { exportDataHash } from '../plan/index.js';
import { crashPoint } from '../testing/index.js';
import { checkRowLimit, skippedRun } from './limits.js';
import { nameOf, plural, type StepContext } from './step-context.js';

/**
 * Runs one export: checks `limits`, records the run as pending, writes its files in DuckDB,
 * publishes them (data files first, the manifest last) and records the published run.
 */
export async function runExport(ctx: StepContext, a: ExportRunAction): Promise<string> {
  const exp = ctx.input.model.resources.Export.get(nameOf(a.address))!;
  const conn = ctx.input.model.resources.Connection.get(exp.config.destination)!;
  const destination = await ctx.destination(conn);
  const d = ctx.data(a.address);
  const dataHash = exportDataHash(exp.config);
  const schedule = exp.config.schedule;
  const every = schedule !== undefined && 'every' in schedule ? schedule.every : undefined;
  const sourceFlow =
    exp.config.from.dataflow ??
    ctx.input.model.resources.Audience.get(exp.config.from.audience ?? '')?.config.people;
  const sourceSeq = sourceFlow === undefined ? 0 : (ctx.data(`Dataflow/${sourceFlow}`).ingestSeq ?? 0);
  const sinceSeq = a.mode === 'incremental' ? (d.watermark?.seq ?? 0) : 0;
  // The run's clock is its window end, so a retry or a catch-up slot sees the same `now`.
  const runNow = new Date((d.pendingRun ?? a).window.to);
  // A one-time export with a lookback covers events in (now − lookback, now].
  const lookback = schedule !== undefined && 'once' in schedule ? schedule.once.lookback : undefined;
  const eventTimeAfter =
    lookback === undefined ? undefined : new Date(runNow.getTime() - durationMs(lookback));
  let warning: string | undefined;
  if (d.pendingRun === undefined && exp.config.limits !== undefined) {
    const limit = await checkRowLimit(await ctx.engine(), ctx.input.model, exp, {
      now: runNow,
      sinceSeq,
      untilSeq: sourceSeq,
    });
    if (limit?.action === 'skip') {
      const at = ctx.clock().toISOString();
      await ctx.record({
        type: 'runSkipped',
        address: a.address,
        run: skippedRun(a, limit, dataHash, at),
        ...(every === undefined ? {} : { every }),
      });
      return `skipped: ${limit.reason}`;
    }
    if (limit !== undefined) {
      warning = limit.reason;
      ctx.input.progress.warn(`${a.address}: ${limit.reason}`);
    }
  }
  // Recorded before anything is published: a crash after this point is retried with the same
  // run id, window and rows, so the retry overwrites the same files (invariant 3).
  const pending = d.pendingRun ?? {
    runId: a.runId,
    window: a.window,
    untilSeq: sourceSeq,
    startedAt: ctx.clock().toISOString(),
  };
  if (ctx.input.backend !== undefined && d.pendingRun === undefined) {
    await ctx.record({ type: 'runPending', address: a.address, pending });
    crashPoint('export.pending-saved');
  }
  const stagingDir = ctx.layout.runStagingDir(exp.name, pending.runId);
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { recursive: true });
  const { writeExport } = await import('../engine/index.js');
  const written = await writeExport(await ctx.engine(), ctx.input.model, exp, {
    stagingDir,
    runId: pending.runId,
    now: runNow,
    sinceSeq,
    untilSeq: pending.untilSeq,
    ...(eventTimeAfter === undefined ? {} : { eventTimeAfter }),
    ...(ctx.input.sampleRows === undefined ? {} : { limitRows: ctx.input.sampleRows }),
    // A local destination publishes the staged file itself (hard link) and fsyncs it: synced
    // while it is hashed, that fsync is nearly free. Remote stores upload it, then it is deleted.
    syncFiles: conn.config.type === 'local',
  });
  const manifest: PublicationManifest = {
    manifestVersion: 1,
    export: exp.name,
    runId: pending.runId,
    window: pending.window,
    format: exp.config.format,
    compression: exp.config.compression,
    mode: a.mode,
    createdAt: ctx.input.now.toISOString(),
    rows: written.rows,
    bytes: written.files.reduce((n, f) => n + f.bytes, 0),
    files: written.files,
    ...(written.schema === undefined ? {} : { schema: written.schema }),
  };
  const { manifest: key, directory } = await publishRun(destination, stagingDir, manifest, {
    prefix: ctx.input.backend === undefined ? '_draft' : '',
    directory: written.directory,
    manifest: exp.config.manifest,
    onProgress: ctx.transferReporter(`export ${a.address}`, 'up'),
  });
  await ctx.record({
    type: 'runPublished',
    address: a.address,
    run: {
      runId: pending.runId,
      status: 'succeeded',
      startedAt: pending.startedAt,
      finishedAt: ctx.clock().toISOString(),
      window: pending.window,
      rows: written.rows,
      files: written.files.map(({ name, rows, bytes, sha256 }) => ({ name, rows, bytes, sha256 })),
      bytes: manifest.bytes,
      manifest: key,
      ...(warning === undefined ? {} : { reason: warning }),
      dataHash,
    },
    ...(a.mode === 'incremental'
      ? { watermark: { seq: pending.untilSeq, at: ctx.input.now.toISOString() } }
      : {}),
    ...(every === undefined ? {} : { every }),
    ...(ctx.input.backend === undefined ? {} : { connection: conn.address }),
  });
  await rm(stagingDir, { recursive: true, force: true });
  return `${plural(written.rows, 'row')} in ${plural(written.files.length, 'file')} → ${destination.describe(key || directory)}`;
}
