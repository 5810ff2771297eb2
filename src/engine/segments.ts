import type { Engine } from './engine.js';
import { datasetTable } from './sql/ingest-sql.js';
import { quoteIdent, quoteLiteral } from './sql/quote.js';

/**
 * Warehouse segments (remote state backends, docs/backends.md): a dataflow's rows as immutable
 * Parquet objects. The warehouse lists in LOADED_SEGMENTS_TABLE the segments its rows came from,
 * so that opening it can tell whether it agrees with the state.
 */
export const LOADED_SEGMENTS_TABLE = '_outflow_loaded_segments';

/** A segment this warehouse holds the rows of: the dataflow, the key and the object's sha256. */
export interface LoadedSegment {
  dataflow: string;
  key: string;
  sha256: string;
}

async function ensureLoadedTable(engine: Engine): Promise<void> {
  await engine.run(
    `CREATE TABLE IF NOT EXISTS ${LOADED_SEGMENTS_TABLE} (dataflow VARCHAR NOT NULL, key VARCHAR NOT NULL, sha256 VARCHAR NOT NULL)`,
  );
}

/** Writes the rows `_seq` from..to of a dataflow's table to a Parquet file; returns the row count. */
export async function writeSegmentFile(
  engine: Engine,
  flowName: string,
  seqFrom: number,
  seqTo: number,
  file: string,
): Promise<number> {
  const table = quoteIdent(datasetTable(flowName));
  const [row] = await engine.all(
    `SELECT count(*) AS n FROM ${table} WHERE _seq BETWEEN CAST($1 AS BIGINT) AND CAST($2 AS BIGINT)`,
    [seqFrom, seqTo],
  );
  // In table order, without a sort (whose memory grows with the segment): a rebuild loads the
  // segments in order and so reproduces the table's order, which exports read without sorting.
  // zstd halves what goes over the wire (5M events: 86 MB against snappy's 163 MB).
  await engine.run(
    `COPY (SELECT * FROM ${table} WHERE _seq BETWEEN ${Math.trunc(seqFrom)} AND ${Math.trunc(seqTo)}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  return Number(row?.n ?? 0);
}

/** The segments this warehouse says it holds (none when the table does not exist yet). */
export async function loadedSegments(engine: Engine): Promise<LoadedSegment[]> {
  await ensureLoadedTable(engine);
  const rows = await engine.all(
    `SELECT dataflow, key, sha256 FROM ${LOADED_SEGMENTS_TABLE} ORDER BY dataflow, key`,
  );
  return rows.map((r) => ({ dataflow: String(r.dataflow), key: String(r.key), sha256: String(r.sha256) }));
}

/**
 * Records that the warehouse holds a segment's rows. `replaceAll`: the dataflow's earlier
 * segments are gone (an overwrite ingest, a rebuilt table).
 */
export async function markSegmentLoaded(
  engine: Engine,
  segment: LoadedSegment,
  options: { replaceAll?: boolean } = {},
): Promise<void> {
  await ensureLoadedTable(engine);
  if (options.replaceAll === true)
    await engine.run(`DELETE FROM ${LOADED_SEGMENTS_TABLE} WHERE dataflow = $1`, [segment.dataflow]);
  else
    await engine.run(`DELETE FROM ${LOADED_SEGMENTS_TABLE} WHERE dataflow = $1 AND key = $2`, [
      segment.dataflow,
      segment.key,
    ]);
  await engine.run(`INSERT INTO ${LOADED_SEGMENTS_TABLE} VALUES ($1, $2, $3)`, [
    segment.dataflow,
    segment.key,
    segment.sha256,
  ]);
}

/** Empties a dataflow's table and forgets its segments (before it is rebuilt from the state's). */
export async function clearDataflowRows(engine: Engine, flowName: string): Promise<void> {
  await ensureLoadedTable(engine);
  await engine.run(`DELETE FROM ${quoteIdent(datasetTable(flowName))}`);
  await engine.run(`DELETE FROM ${LOADED_SEGMENTS_TABLE} WHERE dataflow = $1`, [flowName]);
}

/** Rows of the table whose `_seq` no loaded segment covers (a warehouse that disagrees with its list). */
export async function rowsOutsideSegments(
  engine: Engine,
  flowName: string,
  ranges: readonly { seqFrom: number; seqTo: number }[],
): Promise<number> {
  const table = quoteIdent(datasetTable(flowName));
  const covered = ranges.map((r) => `(_seq BETWEEN ${Math.trunc(r.seqFrom)} AND ${Math.trunc(r.seqTo)})`);
  // `_seq` NULL: rows of an ingest that crashed before numbering them, covered by no segment.
  const where = covered.length === 0 ? 'TRUE' : `_seq IS NULL OR NOT (${covered.join(' OR ')})`;
  const [row] = await engine.all(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
  return Number(row?.n ?? 0);
}

/** Appends a segment file's rows to the dataflow's table (by column name). */
export async function loadSegmentFile(engine: Engine, flowName: string, file: string): Promise<number> {
  const r = await engine.run(
    `INSERT INTO ${quoteIdent(datasetTable(flowName))} BY NAME SELECT * FROM read_parquet(${quoteLiteral(file)})`,
  );
  return r.rowsChanged;
}

/**
 * Deletes rows above the last `_seq` the state records, and rows never numbered (`_seq` NULL):
 * an ingest that never reached the state.
 */
export async function discardRowsAbove(engine: Engine, flowName: string, lastSeq: number): Promise<number> {
  const r = await engine.run(
    `DELETE FROM ${quoteIdent(datasetTable(flowName))} WHERE _seq > CAST($1 AS BIGINT) OR _seq IS NULL`,
    [lastSeq],
  );
  return r.rowsChanged;
}

/** Rows of a dataflow's table. */
export async function rowCount(engine: Engine, flowName: string): Promise<number> {
  const [row] = await engine.all(`SELECT count(*) AS n FROM ${quoteIdent(datasetTable(flowName))}`);
  return Number(row?.n ?? 0);
}
