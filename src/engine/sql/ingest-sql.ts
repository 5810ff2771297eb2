import path from 'node:path';
import { OutflowError } from '../../diagnostics/errors.js';
import type { Dataflow } from '../../schema/index.js';
import type { SqlValue } from '../engine.js';
import { castFromText, sqlType } from './column-types.js';
import { quoteIdent } from './quote.js';

/** Pure SQL builders for ingesting stream files into a dataset table. */

export interface Sql {
  sql: string;
  params: SqlValue[];
}

export type FileFormat = 'csv' | 'json' | 'ndjson' | 'parquet';
export type DeclaredColumn = Dataflow['schema']['columns'][number];
export type CsvOptions = NonNullable<Dataflow['source']['csv']>;

/** Temporary tables used while ingesting one file (session-local, dropped afterwards). */
export const RAW_TABLE = '_outflow_raw';
export const JSON_TABLE = '_outflow_json';
export const STAGE_TABLE = '_outflow_stage';
export const REJECT_TABLE = '_outflow_rejects';

/** Bookkeeping columns every dataset table has after its declared columns. */
export const SYSTEM_COLUMNS = [
  { name: '_seq', type: 'BIGINT' },
  { name: '_file', type: 'VARCHAR' },
  { name: '_line', type: 'BIGINT' },
] as const;

export function datasetTable(flowName: string): string {
  return `ds_${flowName}`;
}

const EXTENSIONS: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

/** The format of `file`: the declared one, or (for `auto`) by extension, ignoring .gz/.zst. */
export function fileFormat(file: string, declared: Dataflow['source']['format']): FileFormat {
  if (declared !== undefined && declared !== 'auto') return declared;
  const base = path
    .basename(file)
    .toLowerCase()
    .replace(/\.(gz|gzip|zst|zstd)$/, '');
  const format = EXTENSIONS[path.extname(base)];
  if (format === undefined) {
    throw new OutflowError('ingest-unknown-format', `cannot tell the format of stream file ${file}`, {
      hint: 'name files .csv, .json, .ndjson or .parquet, or set source.format on the dataflow',
      meta: { file },
    });
  }
  return format;
}

export type FileCompression = 'gzip' | 'zstd';

/** A stream file's compression, by name; DuckDB itself recognises only .gz and .zst, so it is passed explicitly. */
export function fileCompression(file: string): FileCompression | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.gz' || ext === '.gzip') return 'gzip';
  if (ext === '.zst' || ext === '.zstd') return 'zstd';
  return undefined;
}

/** `read_csv($1, …)` over `file`: every column as VARCHAR (casting is ours), the dialect as declared. */
export function csvReaderSql(file: string, csv: CsvOptions | undefined): Sql {
  const params: SqlValue[] = [file];
  const options = ['all_varchar = true'];
  const option = (name: string, value: SqlValue | undefined) => {
    if (value === undefined) return;
    params.push(value);
    options.push(`${name} = $${params.length}`);
  };
  option('delim', csv?.delimiter);
  option('header', csv?.header);
  option('quote', csv?.quote);
  option('escape', csv?.escape);
  option('nullstr', csv?.nullString);
  option('skip', csv?.skipRows);
  option('compression', fileCompression(file));
  return { sql: `read_csv($1, ${options.join(', ')})`, params };
}

/**
 * CREATE TEMP TABLE with the file's records, every column as VARCHAR so casting is ours. For
 * JSON formats this is the first of two steps: the objects land in JSON_TABLE, and
 * `jsonFieldsSql` spreads the keys `jsonKeysSql` found into RAW_TABLE.
 */
export function readFileSql(file: string, format: FileFormat, csv: CsvOptions | undefined): Sql {
  if (format === 'csv') {
    const reader = csvReaderSql(file, csv);
    return {
      sql: `CREATE OR REPLACE TEMP TABLE ${quoteIdent(RAW_TABLE)} AS SELECT * FROM ${reader.sql}`,
      params: reader.params,
    };
  }
  if (format === 'parquet') {
    return { sql: `DESCRIBE SELECT * FROM read_parquet($1)`, params: [file] };
  }
  const jsonFormat = format === 'json' ? 'array' : 'newline_delimited';
  const compression = fileCompression(file);
  return {
    sql: `CREATE OR REPLACE TEMP TABLE ${quoteIdent(JSON_TABLE)} AS SELECT json FROM read_json_objects($1, format = $2${compression === undefined ? '' : ', compression = $3'})`,
    params: compression === undefined ? [file, jsonFormat] : [file, jsonFormat, compression],
  };
}

/** Parquet: copy the file into RAW_TABLE as text (nested values as JSON text). */
export function parquetRawSql(file: string, columns: readonly { name: string; type: string }[]): Sql {
  const list = columns.map(({ name, type }) => {
    const nested = /^(STRUCT|MAP|UNION)\(|\[\d*\]$/.test(type);
    const value = nested
      ? `CAST(to_json(${quoteIdent(name)}) AS VARCHAR)`
      : `CAST(${quoteIdent(name)} AS VARCHAR)`;
    return `${value} AS ${quoteIdent(name)}`;
  });
  return {
    sql: `CREATE OR REPLACE TEMP TABLE ${quoteIdent(RAW_TABLE)} AS SELECT ${list.join(', ')} FROM read_parquet($1)`,
    params: [file],
  };
}

/** The keys of the JSON objects, in order of first appearance. */
export function jsonKeysSql(): Sql {
  return {
    sql: `SELECT key FROM (SELECT unnest(json_keys(json)) AS key, rowid AS r FROM ${quoteIdent(JSON_TABLE)} WHERE json_type(json) = 'OBJECT') GROUP BY key ORDER BY min(r), key`,
    params: [],
  };
}

/** JSON objects → RAW_TABLE: one VARCHAR column per key (nested values as JSON text). */
export function jsonFieldsSql(keys: readonly string[]): Sql {
  const list = keys.map((key, index) => `json ->> $${index + 1} AS ${quoteIdent(key)}`);
  const select = list.length === 0 ? 'NULL AS "_outflow_none"' : list.join(', ');
  return {
    sql: `CREATE OR REPLACE TEMP TABLE ${quoteIdent(RAW_TABLE)} AS SELECT ${select} FROM ${quoteIdent(JSON_TABLE)} ORDER BY rowid`,
    params: keys.map((key) => `$.${JSON.stringify(key)}`),
  };
}

export function rawColumnsSql(): Sql {
  return { sql: `SELECT column_name FROM (DESCRIBE ${quoteIdent(RAW_TABLE)})`, params: [] };
}

/** The 1-based line of the first record: after skipped lines and the header. */
export function firstLine(format: FileFormat, csv: CsvOptions | undefined): number {
  if (format !== 'csv') return 1;
  return 1 + (csv?.skipRows ?? 0) + (csv?.header === false ? 0 : 1);
}

const MISSING_MANDATORY = 'missing mandatory value';

/** The first rowid of RAW_TABLE (a string: rows of an open transaction start at 2^55) and whether the rowids are contiguous. */
export function rawRowidsSql(): Sql {
  return {
    sql: `SELECT CAST(min(rowid) AS VARCHAR) AS base, max(rowid) - min(rowid) + 1 = count(*) AS contiguous FROM ${quoteIdent(RAW_TABLE)}`,
    params: [],
  };
}

/**
 * CREATE TEMP TABLE STAGE_TABLE: per declared column i the cast value `c{i}`, the source text
 * `s{i}` and the reason `r{i}` it is invalid (NULL when valid), plus `_line`. A source value
 * is its `from` column (default the same name) or the checked `expr` spliced as `(expr)`.
 * Empty text counts as missing; for non-string types it becomes NULL before the cast.
 */
export function stageSql(
  columns: readonly DeclaredColumn[],
  mandatory: ReadonlySet<string>,
  line0: number,
  rowidBase?: string,
): Sql {
  const sources = columns.map((column, i) => {
    const raw =
      column.expr !== undefined
        ? `CAST((${column.expr}) AS VARCHAR)`
        : quoteIdent(column.from ?? column.name);
    return `${raw} AS ${quoteIdent(`s${i}`)}`;
  });
  const casts = columns.map((column, i) => {
    const s = quoteIdent(`s${i}`);
    const text = sqlType(column.type) === 'VARCHAR' ? s : `NULLIF(${s}, '')`;
    return `${castFromText(text, column.type)} AS ${quoteIdent(`c${i}`)}`;
  });
  const reasons = columns.map((column, i) => {
    const s = quoteIdent(`s${i}`);
    const missing = mandatory.has(column.name) ? `'${MISSING_MANDATORY}'` : 'NULL';
    const cannot = `'cannot convert to ${column.type}'`;
    return `CASE WHEN ${s} IS NULL OR ${s} = '' THEN ${missing} WHEN ${quoteIdent(`c${i}`)} IS NULL THEN ${cannot} END AS ${quoteIdent(`r${i}`)}`;
  });
  // Rows keep the file's order through the scans (insertion order is preserved), so the line
  // is the rowid's offset when the rowids are contiguous; otherwise a window numbers them.
  const line =
    rowidBase === undefined
      ? 'row_number() OVER (ORDER BY rowid) - 1 + $1'
      : 'rowid - CAST($2 AS BIGINT) + $1';
  const reasonNames = columns.map((_, i) => quoteIdent(`r${i}`)).join(', ');
  const sNames = columns.map((_, i) => quoteIdent(`s${i}`)).join(', ');
  return {
    sql: [
      `CREATE OR REPLACE TEMP TABLE ${quoteIdent(STAGE_TABLE)} AS`,
      `SELECT *, coalesce(${reasonNames}) IS NULL AS _valid FROM (`,
      `SELECT _line, ${sNames}, ${casts.join(', ')}, ${reasons.join(', ')} FROM (`,
      `SELECT ${line} AS _line, ${sources.join(', ')} FROM ${quoteIdent(RAW_TABLE)}))`,
    ].join('\n'),
    params: rowidBase === undefined ? [line0] : [line0, rowidBase],
  };
}
