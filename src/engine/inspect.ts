import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { OutflowError } from '../diagnostics/errors.js';
import { type Engine, openEngine } from './engine.js';
import { outflowType, schemaColumnNames } from './inspect-columns.js';
import type { Row } from './json-values.js';
import {
  type FileCompression,
  type FileFormat,
  fileCompression,
  fileFormat,
  jsonFieldsSql,
  jsonKeysSql,
  parquetRawSql,
  rawColumnsSql,
  readFileSql,
  type Sql,
} from './sql/ingest-sql.js';
import { columnStatsSql, describeJsonSql, sampleRowsSql, sniffCsvSql } from './sql/inspect-sql.js';
import { fingerprintStreamFile } from './stream-file-check.js';

/** What `outflow inspect` learns about one stream file. */
export interface StreamFileInspection {
  format: FileFormat;
  compression: FileCompression | undefined;
  /** CSV only: the dialect DuckDB's sniffer found (an ingest without source.csv options uses the same). */
  csv?: CsvDialect;
  rows: number;
  columns: InspectedColumn[];
  /** The first records as the file holds them (text, nested values as JSON text), keyed by column. */
  sample: Row[];
}

export interface CsvDialect {
  delimiter: string;
  quote: string;
  /** False: no header line was found, and the columns are named column0, column1, … */
  header: boolean;
  dateFormat?: string;
  timestampFormat?: string;
}

export interface InspectedColumn {
  /** As in the file: what a schema column's `from` names. */
  name: string;
  /** The type DuckDB infers from every value of the column. */
  duckdbType: string;
  /** Values an ingest counts as missing: null or empty. */
  nulls: number;
  /** The suggested schema column: a valid, unique name and an outflow type every value converts to. */
  schemaName: string;
  type: string;
  /**
   * Set when DuckDB's type was given up for `string`: that many non-empty values would not
   * convert to `type` the way an ingest converts text (`example` is the first).
   */
  unconverted?: {
    type: string;
    values: number;
    example: string;
    /** For a CSV date or timestamp column: the strptime format DuckDB read every value with. */
    format?: string;
  };
}

export interface InspectOptions {
  /** How many records to return in `sample`. */
  sampleRows: number;
  /** How the file is named in errors (default: its path). */
  shown?: string;
}

/**
 * Inspects one stream file with a DuckDB that may read only the file's folder: its format and
 * compression (by name, as an ingest decides), DuckDB's inferred type per column checked
 * against the ingest's own casts, missing values per column, the record count and a sample.
 * A compressed file must first pass the integrity check an ingest makes.
 */
export async function inspectStreamFile(
  file: string,
  options: InspectOptions,
): Promise<StreamFileInspection> {
  const shown = options.shown ?? file;
  const real = await readableFile(file, shown);
  const format = formatOf(file, shown);
  const compression = fileCompression(file);
  if (compression !== undefined) await checkWhole(real, shown);
  const engine = await openEngine({ database: ':memory:', allowedDirectories: [path.dirname(real)] });
  try {
    return await inspectWith(engine, real, format, compression, options.sampleRows);
  } catch (error) {
    throw malformed(error, format, real, shown);
  } finally {
    await engine.close();
  }
}

async function inspectWith(
  engine: Engine,
  file: string,
  format: FileFormat,
  compression: FileCompression | undefined,
  sampleRows: number,
): Promise<StreamFileInspection> {
  const all = (q: Sql) => engine.all(q.sql, q.params);
  let csv: CsvDialect | undefined;
  let inferred: { name: string; type: string }[];
  let rawColumns: string[];
  if (format === 'parquet') {
    // The ingest's own first step is a DESCRIBE: Parquet carries its types.
    const read = readFileSql(file, format, undefined);
    inferred = (await all(read)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const copy = parquetRawSql(file, inferred);
    await engine.run(copy.sql, copy.params);
    rawColumns = inferred.map((c) => c.name);
  } else if (format === 'csv') {
    const [sniffed] = await all(sniffCsvSql(file, compression));
    csv = dialectOf(sniffed);
    inferred = ((sniffed?.columns ?? []) as Row[]).map((c) => ({
      name: String(c.name),
      type: String(c.type),
    }));
    const read = readFileSql(file, format, undefined);
    await engine.run(read.sql, read.params);
    rawColumns = (await all(rawColumnsSql())).map((r) => String(r.column_name));
  } else {
    inferred = (await all(describeJsonSql(file, format, compression))).map((r) => ({
      name: String(r.name),
      type: String(r.type),
    }));
    const read = readFileSql(file, format, undefined);
    await engine.run(read.sql, read.params);
    rawColumns = (await all(jsonKeysSql())).map((r) => String(r.key));
    const fields = jsonFieldsSql(rawColumns);
    await engine.run(fields.sql, fields.params);
  }
  const types = new Map(inferred.map((c) => [c.name, c.type]));
  // The ingest finds JSON keys row by row, alphabetically within a row; DuckDB's inference keeps the file's order.
  const position = new Map(inferred.map((c, i) => [c.name, i]));
  const ordered = [...rawColumns].sort(
    (a, b) => (position.get(a) ?? Number.MAX_SAFE_INTEGER) - (position.get(b) ?? Number.MAX_SAFE_INTEGER),
  );
  const candidates = ordered.map((name) => {
    const duckdbType = types.get(name) ?? 'VARCHAR';
    return { name, duckdbType, type: outflowType(duckdbType) };
  });
  const [stats] = await all(columnStatsSql(candidates));
  const rows = Number(stats?.rows ?? 0);
  // An empty CSV file has no header line: the sniffer's lone "column0" is not a column of it.
  const columns = rows === 0 && csv?.header === false ? [] : candidates;
  const names = schemaColumnNames(columns.map((c) => c.name));
  const inspected = columns.map((column, i): InspectedColumn => {
    const nulls = Number(stats?.[`m${i}`] ?? 0);
    const unconverted = Number(stats?.[`u${i}`] ?? 0);
    // A column with no value at all says nothing about its type.
    const type = nulls === rows || unconverted > 0 ? 'string' : column.type;
    return {
      name: column.name,
      duckdbType: column.duckdbType,
      nulls,
      schemaName: names[i]!,
      type,
      ...(unconverted > 0
        ? {
            unconverted: {
              type: column.type,
              values: unconverted,
              example: String(stats?.[`e${i}`]),
              ...formatOfColumn(column.type, csv),
            },
          }
        : {}),
    };
  });
  const sample = columns.length === 0 || sampleRows === 0 ? [] : await all(sampleRowsSql(sampleRows));
  return { format, compression, ...(csv === undefined ? {} : { csv }), rows, columns: inspected, sample };
}

/** The strptime format DuckDB's CSV sniffer read a date or timestamp column with, when it found one. */
function formatOfColumn(type: string, csv: CsvDialect | undefined): { format?: string } {
  const format = type === 'date' ? csv?.dateFormat : type === 'timestamp' ? csv?.timestampFormat : undefined;
  return format === undefined ? {} : { format };
}

function dialectOf(sniffed: Row | undefined): CsvDialect {
  const text = (value: unknown) => (typeof value === 'string' && value !== '(empty)' ? value : undefined);
  const dateFormat = text(sniffed?.date_format);
  const timestampFormat = text(sniffed?.timestamp_format);
  return {
    delimiter: text(sniffed?.delimiter) ?? ',',
    quote: text(sniffed?.quote) ?? '',
    header: sniffed?.header === true,
    ...(dateFormat === undefined ? {} : { dateFormat }),
    ...(timestampFormat === undefined ? {} : { timestampFormat }),
  };
}

function formatOf(file: string, shown: string): FileFormat {
  try {
    return fileFormat(file, 'auto');
  } catch {
    throw new OutflowError('inspect-unknown-format', `cannot tell the format of ${shown} from its name`, {
      hint: 'outflow reads stream files by extension: name it .csv, .tsv, .json, .ndjson, .jsonl or .parquet (plus .gz or .zst when compressed)',
      meta: { file: shown },
    });
  }
}

/** The file's real path (DuckDB resolves links, so the folder it may read must be the target's), once it is known to be a readable regular file. */
async function readableFile(file: string, shown: string): Promise<string> {
  try {
    const real = await realpath(file);
    if (!(await stat(real)).isFile()) {
      throw new OutflowError('inspect-not-a-file', `${shown} is not a file`, {
        hint: 'give the path of one stream file, not a folder',
        meta: { file: shown },
      });
    }
    await access(real, constants.R_OK);
    return real;
  } catch (error) {
    if (error instanceof OutflowError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new OutflowError('inspect-file-not-found', `${shown} does not exist`, {
        hint: 'check the path (relative to the current folder or the project root)',
        meta: { file: shown },
      });
    }
    throw new OutflowError('inspect-unreadable-file', `cannot read ${shown}: ${code ?? String(error)}`, {
      hint: 'check that the file is readable by the user running outflow',
      meta: { file: shown },
      cause: error,
    });
  }
}

/** The ingest's integrity check, its errors worded for inspect (nothing is being ingested). */
async function checkWhole(file: string, shown: string): Promise<void> {
  try {
    await fingerprintStreamFile(file, shown);
  } catch (error) {
    if (!(error instanceof OutflowError) || error.code !== 'ingest-corrupt-file') throw error;
    throw new OutflowError(
      'inspect-corrupt-file',
      error.message.replace(/; outflow did not ingest it$/, ''),
      {
        hint: 'the compressed file is cut short or damaged: fetch it again (an ingest would refuse it too)',
        meta: error.meta,
        cause: error,
      },
    );
  }
}

const FORMAT_HINTS: Record<FileFormat, string> = {
  csv: 'outflow expects a delimited text file, ideally with a header line; check its quoting and that every line has the same number of fields',
  json: 'a .json stream file holds one JSON array of objects; a file with one object per line should be named .ndjson or .jsonl',
  ndjson:
    'an .ndjson or .jsonl stream file holds one JSON object per line; a single JSON array should be named .json',
  parquet:
    'the file is not valid Parquet (cut short while copying, or another format under a .parquet name?)',
};

function malformed(error: unknown, format: FileFormat, file: string, shown: string): unknown {
  if (!(error instanceof OutflowError)) return error;
  if (error.code !== 'engine_query_failed' && error.code !== 'engine_nul_in_sql') return error;
  // DuckDB names the file by its real path (a temp copy, for a connection's file): say it as the user did.
  const message = (error.message.split('\n')[0] ?? error.message).replaceAll(file, shown);
  return new OutflowError('inspect-malformed-file', `cannot read ${shown} as ${format}: ${message}`, {
    hint: FORMAT_HINTS[format],
    meta: { file: shown, format },
    cause: error,
  });
}
