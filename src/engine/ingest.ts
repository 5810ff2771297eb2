import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { OutflowError } from '../diagnostics/errors.js';
import type { Dataflow } from '../schema/index.js';
import { crashPoint } from '../testing/index.js';
import { closestName } from './closest-name.js';
import type { Engine } from './engine.js';
import { ingestDirect, numberDirect, planDirectRead, type UnnumberedFile } from './ingest-direct.js';
import { sqlType } from './sql/column-types.js';
import {
  collectRejectsSql,
  copyRejectsSql,
  createDatasetSql,
  createRejectsSql,
  datasetColumns,
  discardUnrecordedSql,
  dropDatasetSql,
  dropTempSql,
  firstRejectsSql,
  insertStagedSql,
  keepLatestPerPersonSql,
  tableColumnsSql,
} from './sql/dataset-sql.js';
import {
  datasetTable,
  fileFormat,
  firstLine,
  JSON_TABLE,
  jsonFieldsSql,
  jsonKeysSql,
  parquetRawSql,
  RAW_TABLE,
  REJECT_TABLE,
  rawColumnsSql,
  rawRowidsSql,
  readFileSql,
  type Sql,
  STAGE_TABLE,
  stageSql,
} from './sql/ingest-sql.js';
import { quoteLiteral } from './sql/quote.js';

export interface IngestFlow {
  name: string;
  config: Dataflow;
}

export interface IngestFile {
  /** Absolute path inside one of the engine's allowed directories. */
  path: string;
  /** How the file is named in the dataset's `_file` column, reject reports and errors (default: path). */
  label?: string;
}

export interface IngestOptions {
  /** The first `_seq` to hand out (the last handed out + 1). */
  firstSeq: number;
  /** Where the reject report goes (created if missing; must be an allowed directory). */
  rejectDir: string;
  /**
   * Awaited before the rows are committed; when it throws, nothing is committed (the caller's
   * integrity checks of the files, run while DuckDB reads them).
   */
  beforeCommit?: () => Promise<void>;
}

export interface IngestFileResult {
  path: string;
  rows: number;
  rejected: number;
  /**
   * `_seq` range handed to this file's records: one number per record in file order, so
   * `_seq = seqFrom + record index`; rejected records leave gaps. seqTo < seqFrom for an empty file.
   */
  seqFrom: number;
  seqTo: number;
}

export interface IngestResult {
  rows: number;
  rejected: number;
  /** Absolute path of the reject report CSV, when rows were rejected. */
  rejectReport?: string;
  /** The last `_seq` handed out (firstSeq - 1 when no row was inserted). */
  lastSeq: number;
  perFile: IngestFileResult[];
  /**
   * Rows found with `_seq >= firstSeq` and removed first: left by an earlier ingest that
   * committed but was not recorded in state (a crash in between). Normally 0.
   */
  discarded: number;
}

/**
 * Ingests stream files into `"ds_<flow>"` in one transaction: all or nothing. Rows are cast
 * per the declared columns; invalid rows are skipped into a reject report or, with
 * `onInvalid: fail`, abort the whole ingest. `overwrite` replaces the table with exactly these
 * files; `upsert` keeps the latest row per person identifier.
 */
export async function ingestFiles(
  engine: Engine,
  flow: IngestFlow,
  files: readonly IngestFile[],
  options: IngestOptions,
): Promise<IngestResult> {
  const config = flow.config;
  const writeMode = config.writeMode ?? 'append';
  const columns = config.schema.columns;
  for (const column of columns) sqlType(column.type);
  const mandatory = new Set(columns.filter((c) => c.mandatory === true).map((c) => c.name));
  const personIdentifier = config.schema.personIdentifier;
  if (writeMode === 'upsert') {
    if (personIdentifier === undefined) {
      throw new OutflowError(
        'ingest-upsert-without-key',
        `dataflow "${flow.name}" uses writeMode: upsert without schema.personIdentifier`,
        {
          hint: 'set schema.personIdentifier to the column that identifies a person',
        },
      );
    }
    mandatory.add(personIdentifier);
  }
  const run = (q: Sql) => engine.run(q.sql, q.params);
  const all = (q: Sql) => engine.all(q.sql, q.params);

  // Which files can be read directly is settled before the transaction: a failed probe must
  // not abort it (DuckDB aborts a transaction on any failed statement).
  const direct = { name: flow.name, config, mandatory };
  const reads = [];
  for (const file of files) reads.push(await planDirectRead(engine, direct, file.path));

  // Numbering CSV and JSON rows in the INSERT's own transaction makes DuckDB write the whole
  // transaction to its WAL (~1 s per 5M rows): they are committed unnumbered and numbered in a
  // second transaction, which holds the rest of the ingest's work on `_seq`. `overwrite` keeps
  // one transaction: committing its new table before it is numbered would leave neither the old
  // rows nor the new ones readable after a crash in between.
  const deferNumbering = writeMode !== 'overwrite';
  const unnumbered: UnnumberedFile[] = [];
  await engine.run('BEGIN TRANSACTION');
  try {
    if (writeMode !== 'overwrite') await checkExistingTable(engine, flow);
    await run(createDatasetSql(flow.name, config, writeMode === 'overwrite'));
    const discarded =
      writeMode === 'overwrite'
        ? 0
        : (await run(discardUnrecordedSql(flow.name, options.firstSeq))).rowsChanged;
    await run(createRejectsSql());
    let seq = options.firstSeq;
    const perFile: IngestFileResult[] = [];
    for (const [index, file] of files.entries()) {
      const shown = file.label ?? file.path;
      // One pass straight into the table; a file with invalid rows is staged (below) for its report.
      const read = reads[index];
      const done =
        read === undefined ? undefined : await ingestDirect(engine, direct, read, seq, shown, deferNumbering);
      if (done !== undefined) {
        if (done.unnumbered !== undefined) unnumbered.push(done.unnumbered);
        perFile.push({
          path: file.path,
          rows: done.rows,
          rejected: 0,
          seqFrom: seq,
          seqTo: seq + done.rows - 1,
        });
        seq += done.rows;
        continue;
      }
      await readRawFile(engine, flow, file.path, shown);
      const [raw] = await engine.all(`SELECT count(*) AS n FROM "${RAW_TABLE}"`);
      if (Number(raw?.n ?? 0) === 0) {
        perFile.push({ path: file.path, rows: 0, rejected: 0, seqFrom: seq, seqTo: seq - 1 });
        continue;
      }
      const rawColumns = (await all(rawColumnsSql())).map((r) => String(r.column_name));
      checkSourceColumns(flow, shown, rawColumns);
      const line0 = firstLine(fileFormat(file.path, config.source.format), config.source.csv);
      const [rowids] = await all(rawRowidsSql());
      const base = rowids?.contiguous === true ? String(rowids.base) : undefined;
      await run(stageSql(columns, mandatory, line0, base)).catch((error: unknown) => {
        throw explainStageError(error, flow, shown, rawColumns);
      });
      const [counts] = await engine.all(
        `SELECT count(*) FILTER (WHERE _valid) AS ok, count(*) FILTER (WHERE NOT _valid) AS bad FROM "${STAGE_TABLE}"`,
      );
      const rows = Number(counts?.ok ?? 0);
      const rejected = Number(counts?.bad ?? 0);
      if (rejected > 0) await run(collectRejectsSql(columns, shown));
      if (rows > 0) await run(insertStagedSql(flow.name, columns, seq - line0, shown));
      // Each record of the file has its own sequence number; rejected ones leave gaps.
      perFile.push({ path: file.path, rows, rejected, seqFrom: seq, seqTo: seq + rows + rejected - 1 });
      seq += rows + rejected;
    }
    const rejected = perFile.reduce((n, f) => n + f.rejected, 0);
    if (rejected > 0 && config.onInvalid === 'fail') {
      const first = await all(firstRejectsSql(5));
      const reasons = first.map((r) => `${r.file}:${r.line} ${r.column}: ${r.reason}`);
      throw new OutflowError(
        'ingest-invalid-rows',
        `dataflow "${flow.name}": ${rejected} invalid row${rejected === 1 ? '' : 's'}, nothing was ingested (onInvalid: fail):\n  ${reasons.join('\n  ')}`,
        {
          hint: 'fix the rows in the stream files, or set onInvalid: skip to ingest the valid rows and report the others',
          meta: { rejected },
        },
      );
    }
    const keepLatest = async () => {
      if (writeMode === 'upsert' && personIdentifier !== undefined)
        await run(keepLatestPerPersonSql(flow.name, personIdentifier));
    };
    if (unnumbered.length === 0) await keepLatest();
    let rejectReport: string | undefined;
    if (rejected > 0) {
      await mkdir(options.rejectDir, { recursive: true });
      rejectReport = path.join(options.rejectDir, `${flow.name}-rejects-${options.firstSeq}.csv`);
      await run(copyRejectsSql(rejectReport, quoteLiteral));
    }
    await options.beforeCommit?.();
    crashPoint('ingest.before-commit');
    await engine.run('COMMIT');
    if (unnumbered.length > 0) {
      // Rows with `_seq` NULL are no rows of the dataset: a crash here leaves them to the next
      // ingest of this dataflow, which removes them before it ingests the same files again.
      crashPoint('ingest.unnumbered-committed');
      await engine.run('BEGIN TRANSACTION');
      for (const file of unnumbered) await numberDirect(engine, flow.name, file);
      await keepLatest();
      await engine.run('COMMIT');
    }
    crashPoint('ingest.committed');
    return {
      rows: perFile.reduce((n, f) => n + f.rows, 0),
      rejected,
      ...(rejectReport === undefined ? {} : { rejectReport }),
      lastSeq: seq - 1,
      perFile,
      discarded,
    };
  } catch (error) {
    await engine.run('ROLLBACK').catch(() => undefined);
    throw explainIngestError(error, flow);
  } finally {
    for (const table of [RAW_TABLE, JSON_TABLE, STAGE_TABLE, REJECT_TABLE]) {
      await run(dropTempSql(table)).catch(() => undefined);
    }
  }
}

/**
 * Creates a dataflow's table, empty, when it does not exist yet: an export or audience of a
 * dataflow that has ingested nothing reads no rows instead of failing on a missing table.
 */
export async function ensureDataset(engine: Engine, flow: IngestFlow): Promise<void> {
  const q = createDatasetSql(flow.name, flow.config, false);
  await engine.run(q.sql, q.params);
}

/** Drops a dataflow's table (when the dataflow is deleted or replaced). */
export async function dropDataset(engine: Engine, flowName: string): Promise<void> {
  const q = dropDatasetSql(flowName);
  await engine.run(q.sql, q.params);
}

async function checkExistingTable(engine: Engine, flow: IngestFlow): Promise<void> {
  const q = tableColumnsSql(datasetTable(flow.name));
  const existing = await engine.all(q.sql, q.params);
  if (existing.length === 0) return;
  // Inserts name their columns, so only the set of names and types matters, not the order.
  const want = datasetColumns(flow.config).map((c) => `${c.name} ${c.type}`);
  const have = existing.map((c) => `${c.name} ${c.type}`);
  if ([...want].sort().join(',') !== [...have].sort().join(',')) {
    throw new OutflowError(
      'ingest-schema-changed',
      `dataset of dataflow "${flow.name}" has columns (${have.join(', ')}) but the config declares (${want.join(', ')})`,
      {
        hint: 'a schema change replaces the dataflow: apply the plan that replaces it (its data is re-ingested)',
      },
    );
  }
}

/** Loads one file into RAW_TABLE (all VARCHAR); errors name the file. */
async function readRawFile(engine: Engine, flow: IngestFlow, file: string, shown = file): Promise<void> {
  const format = fileFormat(file, flow.config.source.format);
  try {
    const read = readFileSql(file, format, flow.config.source.csv);
    if (format === 'parquet') {
      const described = await engine.all(read.sql, read.params);
      const columns = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      const copy = parquetRawSql(file, columns);
      await engine.run(copy.sql, copy.params);
    } else if (format === 'json' || format === 'ndjson') {
      await engine.run(read.sql, read.params);
      const keys = (await engine.all(jsonKeysSql().sql)).map((r) => String(r.key));
      const fields = jsonFieldsSql(keys);
      await engine.run(fields.sql, fields.params);
    } else {
      await engine.run(read.sql, read.params);
    }
  } catch (error) {
    if (error instanceof OutflowError && error.code === 'engine_access_denied') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new OutflowError(
      'ingest-unreadable-file',
      `cannot read ${format} stream file ${shown}: ${firstLine0(message)}`,
      {
        hint: `check that the file is valid ${format}${format === 'csv' ? ' (or set source.csv options)' : ''}, or set source.format on dataflow "${flow.name}"`,
        meta: { file: shown },
        cause: error,
      },
    );
  }
}

function checkSourceColumns(flow: IngestFlow, file: string, rawColumns: readonly string[]): void {
  const have = new Set(rawColumns);
  for (const column of flow.config.schema.columns) {
    if (column.expr !== undefined) continue;
    const source = column.from ?? column.name;
    if (!have.has(source)) throw missingColumn(flow, file, source, rawColumns);
  }
}

/** A missing source column inside an `expr` gets a did-you-mean; other failures name the file. */
function explainStageError(
  error: unknown,
  flow: IngestFlow,
  file: string,
  rawColumns: readonly string[],
): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const missing = /Referenced column "([^"]+)" not found/.exec(message)?.[1];
  if (missing !== undefined) return missingColumn(flow, file, missing, rawColumns, error);
  if (error instanceof OutflowError && error.code === 'engine_access_denied') return error;
  return new OutflowError('ingest-failed', `dataflow "${flow.name}", file ${file}: ${firstLine0(message)}`, {
    hint: `check the expr columns of dataflow "${flow.name}" against this file's values; nothing of the dataflow was ingested`,
    meta: { file },
    cause: error,
  });
}

/**
 * What leaves ingestFiles is an OutflowError with a hint: ours pass through, and anything else
 * (a DuckDB error from a statement not wrapped above, a failed mkdir) says which dataflow failed
 * and that nothing of it was ingested, instead of reaching the user as a raw engine message.
 */
function explainIngestError(error: unknown, flow: IngestFlow): unknown {
  if (error instanceof OutflowError && error.hint !== undefined) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new OutflowError(
    'ingest-failed',
    `dataflow "${flow.name}": ingest failed, nothing was ingested: ${firstLine0(message)}`,
    {
      hint: 'fix the cause above and run apply again; the files of this ingest are then taken again, whole',
      meta: { dataflow: flow.name, ...(error instanceof OutflowError ? { cause: error.code } : {}) },
      cause: error,
    },
  );
}

function missingColumn(
  flow: IngestFlow,
  file: string,
  missing: string,
  candidates: readonly string[],
  cause?: unknown,
): OutflowError {
  const near = closestName(missing, candidates);
  const column = flow.config.schema.columns.find(
    (c) => (c.from ?? c.name) === missing || c.expr?.includes(missing),
  );
  return new OutflowError(
    'ingest-missing-column',
    `stream file ${file} has no column "${missing}"${column === undefined ? '' : ` (needed by column "${column.name}" of dataflow "${flow.name}")`}`,
    {
      hint: near === undefined ? `the file's columns: ${candidates.join(', ')}` : `did you mean "${near}"?`,
      meta: { file, column: missing },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

function firstLine0(message: string): string {
  return message.split('\n')[0] ?? message;
}
