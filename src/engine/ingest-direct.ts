import { OutflowError } from '../diagnostics/errors.js';
import type { Dataflow } from '../schema/index.js';
import type { Engine } from './engine.js';
import {
  describeReaderSql,
  directBindCheckSql,
  directCountSql,
  directDiscardSql,
  directInsertSql,
  directNumberByOrderSql,
  directNumberSql,
  type FileReader,
  fileReaderSql,
  type SourceColumn,
} from './sql/ingest-direct-sql.js';
import { type DeclaredColumn, type FileFormat, fileFormat, firstLine } from './sql/ingest-sql.js';

/** How one stream file can be read directly (see sql/ingest-direct-sql.ts). */
export interface DirectRead {
  reader: FileReader;
  source: SourceColumn[];
  line0: number;
}

export interface DirectFlow {
  name: string;
  config: Dataflow;
  mandatory: ReadonlySet<string>;
}

/**
 * Decides, before the ingest's transaction starts, whether a file can be read directly: its
 * columns are known (DESCRIBE; JSON keys from DuckDB's sample of the file), every declared
 * source column is among them, and the INSERT binds (probed, except for a CSV without `expr`
 * columns, whose text columns bind by construction). Anything else returns undefined and the
 * file takes the staged path, which reports the exact problem (a missing column with a
 * did-you-mean, a JSON key seen only past the sample, an unreadable file) or handles it. Failing
 * here costs nothing: no statement ran inside the transaction, so it stays usable.
 */
export async function planDirectRead(
  engine: Engine,
  flow: DirectFlow,
  file: string,
): Promise<DirectRead | undefined> {
  const config = flow.config;
  const format: FileFormat = fileFormat(file, config.source.format);
  const describe = async (reader: FileReader): Promise<SourceColumn[]> => {
    const q = describeReaderSql(reader);
    const rows = await engine.all(q.sql, q.params);
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  };
  try {
    let reader = fileReaderSql(file, format, config.source.csv);
    let source = await describe(reader);
    if (format === 'json' || format === 'ndjson') {
      // Every key as text, like the staged path's `json ->> key`.
      reader = fileReaderSql(
        file,
        format,
        config.source.csv,
        source.map((c) => c.name),
      );
      source = source.map((c) => ({ name: c.name, type: 'VARCHAR' }));
    }
    const have = new Set(source.map((c) => c.name));
    if (!config.schema.columns.every((c) => c.expr !== undefined || have.has(c.from ?? c.name)))
      return undefined;
    const line0 = firstLine(format, config.source.csv);
    // A CSV read as text without `expr` columns binds by construction once every source column
    // is there (VARCHAR cast to the declared types): the bind probe would only sniff the file again.
    const textCsv = format === 'csv' && config.schema.columns.every((c) => c.expr === undefined);
    if (!textCsv) {
      const insert = directInsertSql(reader, insertOptions(flow, source, 1, line0, file));
      const check = directBindCheckSql(insert);
      await engine.all(check.sql, check.params);
    }
    return { reader, source, line0 };
  } catch (error) {
    if (error instanceof OutflowError && error.code === 'engine_access_denied') throw error;
    return undefined;
  }
}

export interface DirectResult {
  rows: number;
  /** Set when the rows are in the table unnumbered: numberDirect numbers them, later. */
  unnumbered?: UnnumberedFile;
}

/** A file's rows inserted with `_seq` NULL, to be numbered from `firstSeq` in file order. */
export interface UnnumberedFile {
  label: string;
  firstSeq: number;
  line0: number;
}

/**
 * Inside the ingest's transaction: inserts the file's records directly. Returns the rows
 * inserted, or undefined when the file has invalid records: its rows are then removed again and
 * the caller stages the file. Rows of an unnumbered reader (CSV, JSON) are numbered here unless
 * `deferNumbering`; then they stay `_seq` NULL and the result says so (see numberDirect).
 */
export async function ingestDirect(
  engine: Engine,
  flow: DirectFlow,
  read: DirectRead,
  firstSeq: number,
  label: string,
  deferNumbering: boolean,
): Promise<DirectResult | undefined> {
  const run = (q: { sql: string; params: unknown[] }) => engine.run(q.sql, q.params as never);
  const insert = directInsertSql(read.reader, insertOptions(flow, read.source, firstSeq, read.line0, label));
  let total: number;
  try {
    total = (await run(insert)).rowsChanged;
  } catch (error) {
    if (error instanceof OutflowError && error.code === 'engine_access_denied') throw error;
    const message = error instanceof Error ? error.message : String(error);
    const format = fileFormat(read.reader.params[0] as string, flow.config.source.format);
    throw new OutflowError(
      'ingest-unreadable-file',
      `cannot read ${format} stream file ${label}: ${message.split('\n')[0] ?? message}`,
      {
        hint: `check that the file is valid ${format}${format === 'csv' ? ' (or set source.csv options)' : ''}, or set source.format on dataflow "${flow.name}"`,
        meta: { file: label },
        cause: error,
      },
    );
  }
  if (total === 0) return { rows: 0 };
  const count = directCountSql(flow.name, read.reader.numbered, label);
  const [found] = await engine.all(count.sql, count.params);
  if (Number(found?.bad ?? 0) > 0) {
    await run(directDiscardSql(flow.name, label));
    return undefined;
  }
  if (read.reader.numbered) return { rows: total };
  const unnumbered = { label, firstSeq, line0: read.line0 };
  if (deferNumbering) return { rows: total, unnumbered };
  await numberDirect(engine, flow.name, unnumbered, found);
  return { rows: total };
}

/**
 * Numbers a file's unnumbered rows: `_seq` = firstSeq + record index, `_line` = line0 + record
 * index, the record index being the row's place in rowid order (the file's order). `counted`:
 * directCountSql's row for these rows in this transaction, when the caller has it (rowids change
 * at commit, so a second transaction counts again).
 */
export async function numberDirect(
  engine: Engine,
  flowName: string,
  file: UnnumberedFile,
  counted?: Record<string, unknown>,
): Promise<void> {
  const count = directCountSql(flowName, false, file.label);
  const found = counted ?? (await engine.all(count.sql, count.params))[0];
  const q =
    found?.contiguous === true
      ? directNumberSql(flowName, file.firstSeq, file.line0, String(found.base), file.label)
      : directNumberByOrderSql(flowName, file.firstSeq, file.line0, file.label);
  await engine.run(q.sql, q.params);
}

function insertOptions(
  flow: DirectFlow,
  source: SourceColumn[],
  firstSeq: number,
  line0: number,
  label: string,
) {
  const columns: readonly DeclaredColumn[] = flow.config.schema.columns;
  return {
    flowName: flow.name,
    columns,
    mandatory: flow.mandatory,
    source,
    textOnly: false,
    firstSeq,
    line0,
    label,
  };
}
