import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Engine, inTransaction } from '../engine/engine.js';
import type { Dataflow } from '../schema/index.js';
import type { StateDocument, WarehouseSegment } from '../state/index.js';
import { crashPoint } from '../testing/index.js';
import { refreshActivation } from './activation-rebuild.js';
import { downloadChecked } from './checked-download.js';
import { removeDatabaseFiles } from './warehouse-file.js';
import { LINEAGE_TABLE, notHere, stateHoldsWarehouseData } from './warehouse-lineage.js';

/** What opening a warehouse under remote state did to bring it in line with the state. */
export interface WarehouseRefresh {
  /** The warehouse was missing or of another lineage and was made anew. */
  created: boolean;
  /** Dataflows whose table disagreed with its segment list and was emptied and rebuilt. */
  rebuilt: string[];
  /** Segments downloaded and loaded. */
  loaded: number;
  /** Activation snapshots downloaded and loaded (an audience's delivered members replaced). */
  snapshots: number;
  /** Pending activation syncs downloaded and made this warehouse's unfinished syncs. */
  syncs: number;
  bytes: number;
  /** Rows deleted because their `_seq` is above what the state records. */
  discarded: number;
}

export interface RemoteWarehouseOptions {
  /** The warehouse file, and how messages show it. */
  warehouse: string;
  shownWarehouse: string;
  state: StateDocument;
  stateShown: string;
  /** The model's dataflows by name (the state's applied config is used for those the model lacks). */
  flows: ReadonlyMap<string, Dataflow>;
  /** Opens the warehouse read-write (created when missing). */
  open(): Promise<Engine>;
  /** Where segments are downloaded to (an allowed directory of the engine). */
  stagingDir: string;
  /** Streams a segment (key relative to the state prefix) to a local file. */
  download(key: string, file: string): Promise<void>;
}

/**
 * Remote state: makes this machine's warehouse hold exactly what the state records, from the
 * warehouse segments the state lists (docs/backends.md). A missing warehouse, or one of another
 * lineage, is made anew; a dataflow whose table holds rows no listed segment accounts for (a
 * cache that disagrees with the state) is emptied and rebuilt; one that is only behind loads the
 * segments it lacks. Rows above the state's `ingestSeq` (an ingest that never reached the state)
 * are deleted; `upsert` tables are brought back to one row per person. Each activation audience
 * whose delivered members are not exactly the snapshot the state lists is loaded from it. Data
 * neither carries (activation syncs and rows from before the state was remote) keeps part A's
 * refusal (`warehouse-not-here`) when the warehouse is missing or foreign.
 */
export async function refreshRemoteWarehouse(options: RemoteWarehouseOptions): Promise<WarehouseRefresh> {
  const { state } = options;
  const holdsData = stateHoldsWarehouseData(state);
  const untravelled = dataWithoutSegments(state);
  const refresh: WarehouseRefresh = {
    created: false,
    rebuilt: [],
    loaded: 0,
    snapshots: 0,
    syncs: 0,
    bytes: 0,
    discarded: 0,
  };
  if (!existsSync(options.warehouse)) {
    if (holdsData && untravelled !== undefined)
      throw notHere(options.shownWarehouse, options.stateShown, state, 'does not exist', untravelled);
    refresh.created = true;
  }
  let engine = await openOrDiscard(options, holdsData, untravelled, refresh);
  try {
    const recorded = await recordedLineage(engine);
    if (recorded !== undefined && recorded !== state.lineage && holdsData) {
      if (untravelled !== undefined) {
        throw notHere(
          options.shownWarehouse,
          options.stateShown,
          state,
          `belongs to another state (lineage ${recorded})`,
          untravelled,
        );
      }
      // Never trusted: made anew, then filled from the state's segments.
      await engine.close();
      await removeDatabaseFiles(options.warehouse);
      engine = await options.open();
      await recordedLineage(engine);
      refresh.created = true;
    }
    if (recorded !== state.lineage) {
      await engine.run(`DELETE FROM ${LINEAGE_TABLE}`);
      await engine.run(`INSERT INTO ${LINEAGE_TABLE} VALUES ($1, $2)`, [
        state.lineage,
        new Date().toISOString(),
      ]);
    }
    for (const resource of Object.values(state.resources)) {
      if (resource.kind !== 'Dataflow' || resource.data?.segments === undefined) continue;
      const config = options.flows.get(resource.name) ?? (resource.config as unknown as Dataflow);
      await refreshDataflow(engine, options, refresh, resource.name, config, resource.data.ingestSeq ?? 0, [
        ...resource.data.segments.objects,
      ]);
    }
    for (const resource of Object.values(state.resources)) {
      if (resource.kind !== 'Activation' || resource.data === undefined) continue;
      const done = await refreshActivation(engine, options, resource.name, resource.data);
      refresh.snapshots += done.snapshots;
      refresh.syncs += done.syncs;
      refresh.bytes += done.bytes;
    }
  } finally {
    await engine.close();
  }
  return refresh;
}

async function refreshDataflow(
  engine: Engine,
  options: RemoteWarehouseOptions,
  refresh: WarehouseRefresh,
  name: string,
  config: Dataflow,
  ingestSeq: number,
  listed: WarehouseSegment[],
): Promise<void> {
  const { ensureDataset } = await import('../engine/index.js');
  const segments = await import('../engine/segments.js');
  await ensureDataset(engine, { name, config });
  refresh.discarded += await segments.discardRowsAbove(engine, name, ingestSeq);
  const byKey = new Map(listed.map((s) => [s.key, s]));
  let loaded = (await segments.loadedSegments(engine)).filter((l) => l.dataflow === name);
  // Trusted only when every segment it says it holds is one the state lists (same bytes), and
  // every row it holds comes from one of them.
  const known = loaded.every((l) => byKey.get(l.key)?.sha256 === l.sha256);
  const ranges = loaded.map((l) => byKey.get(l.key)).filter((s) => s !== undefined);
  // An append or overwrite table holds exactly its segments' rows: fewer means rows were lost or
  // deleted in the cache. (An upsert table holds one row per person, fewer than its segments.)
  const expectedRows = config.writeMode === 'upsert' ? undefined : ranges.reduce((n, s) => n + s.rows, 0);
  const trusted =
    known &&
    (await segments.rowsOutsideSegments(engine, name, ranges)) === 0 &&
    (expectedRows === undefined || (await segments.rowCount(engine, name)) === expectedRows);
  if (!trusted) loaded = [];
  const have = new Set(loaded.map((l) => l.key));
  const missing = listed.filter((s) => !have.has(s.key));
  if (trusted && missing.length === 0) return;
  const dir = join(options.stagingDir, 'segments-load', name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const files: { segment: WarehouseSegment; file: string }[] = [];
    for (const [i, segment] of missing.entries()) {
      const file = join(dir, `${i}.parquet`);
      await downloadChecked(
        options.download,
        segment,
        file,
        `warehouse segment ${segment.key} of dataflow "${name}"`,
        {
          hint: 'the object was changed or replaced in the bucket after it was written; restore it (bucket versioning keeps earlier versions), or replace the dataflow to ingest its stream files again',
          meta: { dataflow: name, key: segment.key },
        },
      );
      files.push({ segment, file });
    }
    // All or nothing: a warehouse killed half-way holds rows its list does not account for, and
    // is rebuilt on the next open.
    await inTransaction(engine, async () => {
      if (!trusted) {
        await segments.clearDataflowRows(engine, name);
        refresh.rebuilt.push(name);
      }
      for (const { segment, file } of files) {
        await segments.loadSegmentFile(engine, name, file);
        await segments.markSegmentLoaded(engine, {
          dataflow: name,
          key: segment.key,
          sha256: segment.sha256,
        });
        refresh.loaded += 1;
        refresh.bytes += segment.bytes;
        crashPoint('segment.loaded');
      }
      const key = config.schema.personIdentifier;
      if (config.writeMode === 'upsert' && key !== undefined) {
        const { keepLatestPerPerson } = await import('../engine/audience.js');
        await keepLatestPerPerson(engine, { name, config });
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Opens the warehouse. A cache DuckDB cannot open (a truncated or corrupt file restored by a CI
 * cache) is never trusted: it is deleted and made anew from the segments, unless the state records
 * data the segments cannot bring back, which only that file held (then the error stands).
 */
async function openOrDiscard(
  options: RemoteWarehouseOptions,
  holdsData: boolean,
  untravelled: string | undefined,
  refresh: WarehouseRefresh,
): Promise<Engine> {
  try {
    return await options.open();
  } catch (error) {
    if (refresh.created || (holdsData && untravelled !== undefined)) throw error;
    await removeDatabaseFiles(options.warehouse);
    refresh.created = true;
    return options.open();
  }
}

async function recordedLineage(engine: Engine): Promise<string | undefined> {
  await engine.run(
    `CREATE TABLE IF NOT EXISTS ${LINEAGE_TABLE} (lineage VARCHAR NOT NULL, recorded_at VARCHAR NOT NULL)`,
  );
  const rows = await engine.all(`SELECT lineage FROM ${LINEAGE_TABLE} LIMIT 1`);
  return rows[0] === undefined ? undefined : String(rows[0].lineage);
}

/**
 * What the state records that segments and snapshots cannot bring back, or undefined when
 * everything travels: activation syncs of an audience the activation still has but no snapshot
 * lists (synced before the state was remote, not synced since) and dataflows with rows ingested
 * before segments were written.
 */
export function dataWithoutSegments(state: StateDocument): string | undefined {
  for (const [address, r] of Object.entries(state.resources)) {
    const d = r.data;
    if (d === undefined) continue;
    // An audience the activation no longer has is never synced again: its mark needs no snapshot.
    const audiences = r.config.audiences;
    const current = Array.isArray(audiences) ? new Set(audiences.map(String)) : undefined;
    const unsnapshotted = Object.keys(d.syncMarks ?? {}).filter(
      (audience) => d.snapshots?.[audience] === undefined && (current === undefined || current.has(audience)),
    );
    if (unsnapshotted.length > 0)
      return `the activation syncs of ${address} (${unsnapshotted.join(', ')}) from before its state was remote`;
    if (r.kind === 'Dataflow' && (d.ingestSeq ?? 0) > 0 && d.segments === undefined)
      return `the rows of ${address}, ingested before its state was remote`;
  }
  return undefined;
}
