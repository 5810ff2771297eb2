import { mkdir, rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { IngestAction } from '../plan/index.js';
import type { ResourceData, WarehouseSegments } from '../state/index.js';
import { crashPoint } from '../testing/index.js';
import { nameOf, plural, putStateObject, type StepContext } from './step-context.js';

/**
 * Ingests a dataflow's new stream files (all current ones for `overwrite`): files in a store are
 * downloaded into staging first, every file must pass its integrity check, a re-delivery with
 * the same content is recorded and not ingested again, and state records it as one transition.
 */
export async function runIngest(ctx: StepContext, a: IngestAction): Promise<string> {
  const flow = ctx.input.model.resources.Dataflow.get(nameOf(a.address))!;
  const d = ctx.data(a.address);
  const overwrite = flow.config.writeMode === 'overwrite';
  const listed = overwrite ? (ctx.input.streamFiles[a.address] ?? []) : a.files;
  const { ingestFiles, fingerprintStreamFile } = await import('../engine/index.js');
  // Files in a store are downloaded (streamed) into staging first; DuckDB reads local files only.
  const downloads = join(ctx.layout.stagingDir, 'streams', flow.name);
  await rm(downloads, { recursive: true, force: true });
  // A file is fingerprinted (sha256, and the integrity check of a compressed file) while DuckDB
  // reads it, unless the fingerprint decides whether it is ingested at all: a file under a path
  // ingested before may be a re-delivery of the same content.
  const ingestedPaths = new Set(overwrite ? [] : (d.ingestedFiles ?? []).map((f) => f.path));
  const fingerprint = (local: string, rel: string): Promise<string> => {
    const p = fingerprintStreamFile(local, rel);
    p.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    return p;
  };
  try {
    const files: {
      path: string;
      rel: string;
      label: string;
      size: number;
      version?: string;
      sha256: string | Promise<string>;
    }[] = [];
    for (const [i, f] of listed.entries()) {
      let local = join(ctx.input.root, f.path);
      if (f.connection !== undefined && f.key !== undefined) {
        const destination = await ctx.destination(ctx.input.model.resources.Connection.get(f.connection)!);
        await mkdir(downloads, { recursive: true });
        local = join(downloads, `${i}-${basename(f.key)}`);
        const report = ctx.transferReporter(`ingest ${a.address}`, 'down');
        await destination.download(f.key, local, (got) => report(f.path, got, f.size));
      }
      files.push({
        path: local,
        rel: f.path,
        label: f.path,
        size: f.size,
        ...(f.version === undefined ? {} : { version: f.version }),
        // A compressed file cut short or corrupt fails its fingerprint, and then none of its rows count.
        sha256: ingestedPaths.has(f.path) ? await fingerprint(local, f.path) : fingerprint(local, f.path),
      });
    }
    // A re-upload of a file already ingested (same name, same content) is recorded, not ingested again.
    const known = new Set((d.ingestedFiles ?? []).map((f) => `${f.path}\0${f.sha256}`));
    const repeats = files.filter((f) => typeof f.sha256 === 'string' && known.has(`${f.rel}\0${f.sha256}`));
    const fresh = files.filter((f) => !repeats.includes(f));
    const firstSeq = (d.ingestSeq ?? 0) + 1;
    // In file order, so the same bad file is named whichever check finishes first.
    const fingerprinted = async () => {
      for (const f of files) await f.sha256;
    };
    const res =
      fresh.length === 0
        ? { rows: 0, rejected: 0, lastSeq: d.ingestSeq ?? 0, perFile: [], rejectReport: undefined }
        : await ingestFiles(await ctx.engine(), { name: flow.name, config: flow.config }, fresh, {
            firstSeq,
            rejectDir: ctx.layout.rejectDir(flow.name),
            beforeCommit: fingerprinted,
          }).catch(async (error: unknown) => {
            // A file that failed its integrity check explains a failed read better than DuckDB does.
            await fingerprinted();
            throw error;
          });
    const hashes = await Promise.all(files.map((f) => f.sha256));
    // Remote state: the new rows travel as a segment, uploaded before the state records the ingest.
    const segments =
      fresh.length === 0 || ctx.input.segments === undefined || ctx.input.backend === undefined
        ? undefined
        : await uploadSegment(ctx, flow.name, d, overwrite, firstSeq, res.lastSeq);
    const at = ctx.input.now.toISOString();
    const perFile = new Map(res.perFile.map((p) => [p.path, p]));
    const source = flow.config.source.connection;
    await ctx.record({
      type: 'ingested',
      address: a.address,
      overwrite,
      lastSeq: res.lastSeq,
      ...(source === undefined || ctx.input.backend === undefined
        ? {}
        : { connection: { address: `Connection/${source}`, at: ctx.clock().toISOString() } }),
      ...(segments === undefined ? {} : { segments }),
      files: files.map((f, i) => {
        const p = perFile.get(f.path);
        return {
          path: f.rel,
          size: f.size,
          ...(f.version === undefined ? {} : { version: f.version }),
          sha256: hashes[i]!,
          ingestedAt: at,
          rows: p?.rows ?? 0,
          rejected: p?.rejected ?? 0,
          seqFrom: p?.seqFrom ?? firstSeq,
          seqTo: p?.seqTo ?? firstSeq - 1,
        };
      }),
    });
    const report = res.rejectReport === undefined ? '' : relative(ctx.input.root, res.rejectReport);
    const same =
      repeats.length === 0
        ? ''
        : `; ${plural(repeats.length, 'file')} re-delivered unchanged, not ingested again`;
    return `${plural(res.rows, 'row')} from ${plural(fresh.length, 'file')}${res.rejected > 0 ? `, ${res.rejected} rejected (report: ${report})` : ''}${same}`;
  } finally {
    await rm(downloads, { recursive: true, force: true });
  }
}

/** The object key of a segment below the state prefix, as the state records it. */
export function segmentKey(flow: string, generation: number, seqFrom: number, seqTo: number): string {
  return `warehouse/${flow}/g${generation}/${seqFrom}-${seqTo}.parquet`;
}

/**
 * Writes the rows this ingest committed (`_seq` firstSeq..lastSeq) as one Parquet object, uploads
 * it through the state's connection and marks it loaded in this warehouse; returns the dataflow's
 * segments for the state to record. `overwrite` starts a new generation. A dataflow whose earlier
 * rows were never written as segments (ingested before its state was remote) gets them all in
 * this first segment. No rows: no object.
 */
async function uploadSegment(
  ctx: StepContext,
  flow: string,
  d: ResourceData,
  overwrite: boolean,
  firstSeq: number,
  lastSeq: number,
): Promise<WarehouseSegments> {
  const generation = overwrite ? (d.segments?.generation ?? 0) + 1 : (d.segments?.generation ?? 1);
  const earlier = overwrite ? [] : (d.segments?.objects ?? []);
  const seqFrom = overwrite || d.segments !== undefined ? firstSeq : 1;
  if (lastSeq < seqFrom) return { generation, objects: earlier };
  const engine = await ctx.engine();
  const { writeSegmentFile, markSegmentLoaded } = await import('../engine/segments.js');
  const dir = join(ctx.layout.stagingDir, 'segments', flow);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const local = join(dir, `${seqFrom}-${lastSeq}.parquet`);
    const rows = await writeSegmentFile(engine, flow, seqFrom, lastSeq, local);
    if (rows === 0) return { generation, objects: earlier };
    const key = segmentKey(flow, generation, seqFrom, lastSeq);
    const { bytes: size, sha256 } = await putStateObject(ctx, `ingest Dataflow/${flow}`, key, local);
    await markSegmentLoaded(engine, { dataflow: flow, key, sha256 }, { replaceAll: overwrite });
    crashPoint('segment.uploaded');
    return {
      generation,
      objects: [...earlier, { key, rows, bytes: size, sha256, seqFrom, seqTo: lastSeq }],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
