import { OutflowError } from '../../diagnostics/errors.js';

const SIMPLE: Record<string, string> = {
  string: 'VARCHAR',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  json: 'JSON',
};

/** `YYYY-MM-DD[( |T)hh:mm[:ss[.ffffff]][Z]]`: a timestamp text that names no offset (or UTC's Z). */
const PLAIN_TIMESTAMP = String.raw`\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d{1,6})?)?Z?)?`;

const DECIMAL = /^decimal\(\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$/;

/**
 * The DuckDB type of a declared column type. Only the fixed spellings below are accepted, so
 * the result is safe to splice into SQL. Timestamps are stored as UTC `TIMESTAMP`s.
 */
export function sqlType(type: string): string {
  const simple = SIMPLE[type];
  if (simple !== undefined) return simple;
  const decimal = DECIMAL.exec(type.trim().toLowerCase());
  if (decimal !== null) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision >= 1 && precision <= 38 && scale <= precision) return `DECIMAL(${precision},${scale})`;
  }
  throw new OutflowError('engine_unknown_column_type', `unknown column type "${type}"`, {
    hint: 'use string, integer, bigint, double, decimal(p,s), boolean, date, timestamp or json',
  });
}

/** Whether values of this declared type are numbers that sum exactly (integers and decimals). */
export function isExactNumeric(type: string): boolean {
  return type === 'integer' || type === 'bigint' || DECIMAL.test(type.trim().toLowerCase());
}

export function isNumeric(type: string): boolean {
  return isExactNumeric(type) || type === 'double';
}

/**
 * SQL turning the VARCHAR expression `text` into the declared type, NULL when it does not
 * convert. Timestamps with an offset are converted to UTC; without one they are read as UTC.
 */
export function castFromText(text: string, type: string): string {
  const target = sqlType(type);
  if (target === 'VARCHAR') return text;
  if (target === 'TIMESTAMP') {
    // Text without an offset or zone name is read as UTC by the plain TIMESTAMP cast, which is
    // several times faster than the time-zone-aware one (same value, checked in column-types.test).
    return `CASE WHEN regexp_full_match(${text}, '${PLAIN_TIMESTAMP}') THEN TRY_CAST(${text} AS TIMESTAMP) ELSE timezone('UTC', TRY_CAST(${text} AS TIMESTAMPTZ)) END`;
  }
  return `TRY_CAST(${text} AS ${target})`;
}
