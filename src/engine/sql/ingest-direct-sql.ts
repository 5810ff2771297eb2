import type { SqlValue } from '../engine.js';
import { castFromText, sqlType } from './column-types.js';
import {
  type CsvOptions,
  csvReaderSql,
  type DeclaredColumn,
  datasetTable,
  type FileFormat,
  fileCompression,
  type Sql,
} from './ingest-sql.js';
import { quoteIdent } from './quote.js';

/**
 * Pure SQL builders for the direct ingest: one INSERT reads the stream file, casts every
 * declared column and writes every record to the dataset table, no temp-table copies. Rows are
 * marked instead of filtered so one pass also counts the invalid ones:
 * - Parquet gives each record its index (`file_row_number`), so valid rows get their `_seq` and
 *   `_line` at once and invalid ones `_seq` NULL;
 * - CSV and JSON have no record index, so every row gets `_seq` NULL and `_line` 0 (valid) or
 *   -1 (invalid); when none is invalid, `_seq` and `_line` are numbered from the rowids (rows
 *   keep the file's order through the insert: insertion order is preserved). The numbering is an
 *   UPDATE, which DuckDB makes costly inside the INSERT's own transaction (the whole transaction
 *   then goes through the WAL), so the ingest may commit the rows unnumbered and number them in
 *   a second transaction (see ingest.ts): a `_seq` NULL row is never part of the dataset.
 * Rows with `_seq` NULL are numbered or removed before anything else reads the table; a file with
 * invalid rows is ingested again by the staged path, which writes the reject report.
 */

export interface SourceColumn {
  name: string;
  /** DuckDB type as DESCRIBE prints it. */
  type: string;
}

/** A table function reading one stream file, with its parameters bound from `$1`. */
export interface FileReader {
  sql: string;
  params: SqlValue[];
  /** The reader numbers records (0-based `file_row_number`). */
  numbered: boolean;
}

/** read_csv / read_parquet / read_json over `file`; JSON reads `jsonKeys` as VARCHAR columns. */
export function fileReaderSql(
  file: string,
  format: FileFormat,
  csv: CsvOptions | undefined,
  jsonKeys?: readonly string[],
): FileReader {
  const params: SqlValue[] = [file];
  const options: string[] = [];
  const option = (name: string, value: SqlValue | undefined) => {
    if (value === undefined) return;
    params.push(value);
    options.push(`${name} = $${params.length}`);
  };
  if (format === 'parquet') {
    return { sql: 'read_parquet($1, file_row_number = true)', params, numbered: true };
  }
  if (format === 'csv') return { ...csvReaderSql(file, csv), numbered: false };
  option('format', format === 'json' ? 'array' : 'newline_delimited');
  option('compression', fileCompression(file));
  if (jsonKeys !== undefined) {
    // A struct literal of VARCHAR types: the key names are quoted as identifiers, never spliced raw.
    const columns = jsonKeys.map((k) => `${quoteIdent(k)}: 'VARCHAR'`).join(', ');
    options.push(`columns = {${columns}}`);
  }
  return { sql: `read_json($1, ${options.join(', ')})`, params, numbered: false };
}

/** DESCRIBE of what the reader yields (the file's columns and their types). */
export function describeReaderSql(reader: FileReader): Sql {
  return { sql: `DESCRIBE SELECT * FROM ${reader.sql}`, params: reader.params };
}

const NESTED = /^(STRUCT|MAP|UNION)\(|\[\d*\]$/;
const INTEGERS = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER']);

/** How one declared column is read: its value, whether its source is missing, whether its cast can fail. */
interface ColumnRead {
  value: string;
  missing: string;
  canFail: boolean;
}

/** Source text of a column of type `type`: nested values as JSON text, like the staged path. */
function asText(ref: string, type: string): string {
  if (type === 'VARCHAR') return ref;
  return NESTED.test(type) ? `CAST(to_json(${ref}) AS VARCHAR)` : `CAST(${ref} AS VARCHAR)`;
}

function fromText(text: string, type: string): ColumnRead {
  const varchar = sqlType(type) === 'VARCHAR';
  return {
    value: castFromText(varchar ? text : `NULLIF(${text}, '')`, type),
    missing: `(${text} IS NULL OR ${text} = '')`,
    canFail: !varchar,
  };
}

/**
 * A typed source value read as the declared type without a round trip through text, where that
 * gives the same value as the text cast: the same type, integers widened or checked, time zones
 * converted to UTC, dates at midnight. Anything else goes through text, as the staged path does.
 */
function readColumn(ref: string, sourceType: string, declared: string): ColumnRead {
  const target = sqlType(declared);
  if (sourceType === 'VARCHAR' || NESTED.test(sourceType)) return fromText(asText(ref, sourceType), declared);
  const missing = `(${ref} IS NULL)`;
  if (sourceType === target) return { value: ref, missing, canFail: false };
  if (INTEGERS.has(sourceType) && (target === 'INTEGER' || target === 'BIGINT' || target === 'DOUBLE'))
    return { value: `TRY_CAST(${ref} AS ${target})`, missing, canFail: true };
  if (INTEGERS.has(sourceType) && target.startsWith('DECIMAL('))
    return { value: `TRY_CAST(${ref} AS ${target})`, missing, canFail: true };
  if (target === 'TIMESTAMP' && sourceType === 'TIMESTAMP WITH TIME ZONE')
    return { value: `timezone('UTC', ${ref})`, missing, canFail: false };
  if (target === 'TIMESTAMP' && sourceType === 'DATE')
    return { value: `CAST(${ref} AS TIMESTAMP)`, missing, canFail: false };
  return fromText(asText(ref, sourceType), declared);
}

export interface DirectInsertOptions {
  flowName: string;
  columns: readonly DeclaredColumn[];
  mandatory: ReadonlySet<string>;
  /** The file's columns (DESCRIBE of the reader). */
  source: readonly SourceColumn[];
  /** Read every source column as text first (the dataflow has `expr` columns, written against text). */
  textOnly: boolean;
  /** `_seq` of the file's first record. */
  firstSeq: number;
  /** 1-based line of the file's first record. */
  line0: number;
  /** How the file is named in `_file`. */
  label: string;
}

/**
 * INSERT every record of the file into the dataset table, cast, marked as described above.
 * `rowsChanged` is the number of records in the file.
 */
export function directInsertSql(reader: FileReader, o: DirectInsertOptions): Sql {
  const params = [...reader.params];
  const bind = (v: SqlValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  const types = new Map(o.source.map((c) => [c.name, c.type]));
  const text = o.textOnly || o.columns.some((c) => c.expr !== undefined);
  // Text mode: every file column as text under its own name, so `expr` sees what it always saw.
  const fileColumns = o.source.filter((c) => c.name !== 'file_row_number' || !reader.numbered);
  const from = text
    ? `(SELECT ${[
        ...(reader.numbered ? ['file_row_number'] : []),
        ...fileColumns.map((c) => `${asText(quoteIdent(c.name), c.type)} AS ${quoteIdent(c.name)}`),
      ].join(', ')} FROM ${reader.sql})`
    : reader.sql;
  const reads = o.columns.map((column) => {
    if (column.expr !== undefined) return fromText(`CAST((${column.expr}) AS VARCHAR)`, column.type);
    const name = column.from ?? column.name;
    const ref = quoteIdent(name);
    return readColumn(ref, text ? 'VARCHAR' : (types.get(name) ?? 'VARCHAR'), column.type);
  });
  // Values and "missing" flags first, then validity over them: each cast is computed once.
  const inner = [
    reader.numbered ? 'file_row_number AS __r' : 'NULL AS __r',
    ...reads.map((r, i) => `${r.value} AS ${quoteIdent(`c${i}`)}`),
    ...reads.map((r, i) => `${r.missing} AS ${quoteIdent(`m${i}`)}`),
  ];
  const checks = o.columns.flatMap((column, i) => {
    const m = quoteIdent(`m${i}`);
    const c = quoteIdent(`c${i}`);
    const out: string[] = [];
    if (o.mandatory.has(column.name)) out.push(`NOT ${m}`);
    if (reads[i]!.canFail) out.push(`(${m} OR ${c} IS NOT NULL)`);
    return out;
  });
  const valid = checks.length === 0 ? 'true' : checks.join(' AND ');
  const names = o.columns.map((c) => quoteIdent(c.name));
  const values = o.columns.map((_, i) => quoteIdent(`c${i}`));
  const file = bind(o.label);
  const system = reader.numbered
    ? [
        `CASE WHEN ${valid} THEN CAST(${bind(o.firstSeq)} AS BIGINT) + __r END`,
        file,
        `CAST(${bind(o.line0)} AS BIGINT) + __r`,
      ]
    : ['NULL', file, `CASE WHEN ${valid} THEN 0 ELSE -1 END`];
  return {
    sql: [
      `INSERT INTO ${quoteIdent(datasetTable(o.flowName))} (${[...names, '"_seq"', '"_file"', '"_line"'].join(', ')})`,
      `SELECT ${[...values, ...system].join(', ')}`,
      `FROM (SELECT ${inner.join(', ')} FROM ${from})`,
    ].join('\n'),
    params,
  };
}

/** The SELECT of directInsertSql alone, to DESCRIBE (bind) it before the transaction starts. */
export function directBindCheckSql(insert: Sql): Sql {
  const select = insert.sql.slice(insert.sql.indexOf('\nSELECT ') + 1);
  return { sql: `DESCRIBE ${select}`, params: insert.params };
}

/**
 * The unnumbered rows of one file (`_seq` NULL, `_file` = its label): how many are invalid and,
 * for unnumbered readers, where their rowids start (as text: rows of an open transaction start
 * at 2^62) and whether they are contiguous.
 */
export function directCountSql(flowName: string, numbered: boolean, label: string): Sql {
  const table = quoteIdent(datasetTable(flowName));
  return {
    sql: numbered
      ? `SELECT count(*) AS bad FROM ${table} WHERE _seq IS NULL AND _file = $1`
      : `SELECT count(*) FILTER (WHERE _line < 0) AS bad, CAST(min(rowid) AS VARCHAR) AS base, max(rowid) - min(rowid) + 1 = count(*) AS contiguous FROM ${table} WHERE _seq IS NULL AND _file = $1`,
    params: [label],
  };
}

/** Numbers one file's rows (unnumbered readers) from contiguous rowids: record index = rowid - base. */
export function directNumberSql(
  flowName: string,
  firstSeq: number,
  line0: number,
  base: string,
  label: string,
): Sql {
  const index = '(rowid - CAST($3 AS BIGINT))';
  return {
    sql: `UPDATE ${quoteIdent(datasetTable(flowName))} SET _seq = CAST($1 AS BIGINT) + ${index}, _line = CAST($2 AS BIGINT) + ${index} WHERE _seq IS NULL AND _file = $4`,
    params: [firstSeq, line0, base, label],
  };
}

/**
 * Numbers one file's rows in rowid order when their rowids are not contiguous (slower: a sort
 * of the rowids and a join). Rows keep the file's order in rowid order either way.
 */
export function directNumberByOrderSql(
  flowName: string,
  firstSeq: number,
  line0: number,
  label: string,
): Sql {
  const table = quoteIdent(datasetTable(flowName));
  return {
    sql: [
      `UPDATE ${table} SET _seq = CAST($1 AS BIGINT) + n.i, _line = CAST($2 AS BIGINT) + n.i`,
      `FROM (SELECT rowid AS r, row_number() OVER (ORDER BY rowid) - 1 AS i FROM ${table} WHERE _seq IS NULL AND _file = $3) n`,
      `WHERE ${table}.rowid = n.r`,
    ].join('\n'),
    params: [firstSeq, line0, label],
  };
}

/** Removes one file's rows of a direct insert that is being redone by the staged path. */
export function directDiscardSql(flowName: string, label: string): Sql {
  return {
    sql: `DELETE FROM ${quoteIdent(datasetTable(flowName))} WHERE _seq IS NULL AND _file = $1`,
    params: [label],
  };
}
