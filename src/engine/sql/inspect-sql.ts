import type { SqlValue } from '../engine.js';
import { castFromText, sqlType } from './column-types.js';
import { type FileCompression, type FileFormat, RAW_TABLE, type Sql } from './ingest-sql.js';
import { quoteIdent } from './quote.js';

/**
 * Pure SQL builders for `outflow inspect`. DuckDB's type inference reads the whole file
 * (`sample_size = -1`), so a type it reports holds for every row, not just the first 20,480.
 * Everything else (counts, values, the sample) is read from the ingest's own all-text
 * RAW_TABLE, so inspect sees exactly the columns and text an ingest would.
 */

/**
 * The CSV sniffer's findings over the whole file: dialect, whether the first line is a header,
 * the date and timestamp formats it recognised, and the columns with their inferred types.
 */
export function sniffCsvSql(file: string, compression: FileCompression | undefined): Sql {
  const params: SqlValue[] = compression === undefined ? [file] : [file, compression];
  return {
    sql: [
      'SELECT Delimiter AS delimiter, Quote AS quote, HasHeader AS header,',
      'DateFormat AS date_format, TimestampFormat AS timestamp_format, Columns AS columns',
      `FROM sniff_csv($1, sample_size = -1${compression === undefined ? '' : ', compression = $2'})`,
    ].join(' '),
    params,
  };
}

/** The columns DuckDB infers for a JSON array or NDJSON file, as (name, type) rows. */
export function describeJsonSql(
  file: string,
  format: Extract<FileFormat, 'json' | 'ndjson'>,
  compression: FileCompression | undefined,
): Sql {
  const jsonFormat = format === 'json' ? 'array' : 'newline_delimited';
  const params: SqlValue[] = compression === undefined ? [file, jsonFormat] : [file, jsonFormat, compression];
  const read = `read_json($1, format = $2, sample_size = -1${compression === undefined ? '' : ', compression = $3'})`;
  return {
    sql: `SELECT column_name AS name, column_type AS type FROM (DESCRIBE SELECT * FROM ${read})`,
    params,
  };
}

/** A RAW_TABLE column and the outflow type its text is checked against (`string`: not checked). */
export interface ColumnCheck {
  name: string;
  type: string;
}

/**
 * One row over RAW_TABLE: `rows`; per column i `m{i}`, the values an ingest counts as missing
 * (NULL or empty text); and for a column whose type is not `string`, `u{i}`, how many non-empty
 * values the ingest's own cast would not convert, and `e{i}`, the first of them in file order.
 */
export function columnStatsSql(columns: readonly ColumnCheck[]): Sql {
  const list = ['count(*) AS "rows"'];
  columns.forEach((column, i) => {
    const s = quoteIdent(column.name);
    list.push(`count(*) FILTER (WHERE ${s} IS NULL OR ${s} = '') AS ${quoteIdent(`m${i}`)}`);
    if (sqlType(column.type) === 'VARCHAR') return;
    const unconverted = `${s} <> '' AND ${castFromText(s, column.type)} IS NULL`;
    list.push(`count(*) FILTER (WHERE ${unconverted}) AS ${quoteIdent(`u${i}`)}`);
    list.push(`arg_min(${s}, rowid) FILTER (WHERE ${unconverted}) AS ${quoteIdent(`e${i}`)}`);
  });
  return { sql: `SELECT ${list.join(', ')} FROM ${quoteIdent(RAW_TABLE)}`, params: [] };
}

/** The first `limit` records of RAW_TABLE, in file order, as text. */
export function sampleRowsSql(limit: number): Sql {
  return { sql: `SELECT * FROM ${quoteIdent(RAW_TABLE)} ORDER BY rowid LIMIT $1`, params: [limit] };
}
