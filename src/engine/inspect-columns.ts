import { SYSTEM_COLUMNS } from './sql/ingest-sql.js';

/** How `outflow inspect` maps what DuckDB infers onto a Dataflow's schema. Pure. */

const INTEGER = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT']);
const BIGINT = new Set(['BIGINT', 'UINTEGER']);
// Wider than BIGINT: exact in a decimal(38,0) (UHUGEINT's top values fail the check and fall back to string).
const HUGE = new Set(['UBIGINT', 'HUGEINT', 'UHUGEINT']);
const DOUBLE = new Set(['FLOAT', 'REAL', 'DOUBLE']);

/**
 * The outflow column type for a DuckDB type: integers by width, floats as double, decimals
 * as they are, every timestamp precision (with or without time zone) as timestamp, nested
 * values (STRUCT, MAP, UNION, lists, JSON) as json, and anything else (VARCHAR, UUID, TIME,
 * INTERVAL, BLOB, ENUM, an all-null column's NULL) as string.
 */
export function outflowType(duckdbType: string): string {
  const type = duckdbType.trim().toUpperCase();
  if (/\[\d*\]$/.test(type) || /^(STRUCT|MAP|UNION)\(/.test(type) || type === 'JSON') return 'json';
  if (type === 'BOOLEAN' || type === 'BOOL') return 'boolean';
  if (INTEGER.has(type)) return 'integer';
  if (BIGINT.has(type)) return 'bigint';
  if (HUGE.has(type)) return 'decimal(38,0)';
  if (DOUBLE.has(type)) return 'double';
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal !== null) return `decimal(${decimal[1]},${decimal[2]})`;
  if (type === 'DATE') return 'date';
  if (/^TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?$/.test(type) || type === 'TIMESTAMPTZ') return 'timestamp';
  return 'string';
}

const MAX_NAME = 63;
// Latin letters that Unicode does not decompose into a base letter and a mark.
const LETTERS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  þ: 'th',
  Æ: 'AE',
  Œ: 'OE',
  Ø: 'O',
  Ł: 'L',
  Đ: 'D',
  Þ: 'TH',
};

/**
 * A valid schema column name (`^[A-Za-z_][A-Za-z0-9_]{0,62}$`) for a source column, in
 * lower snake_case: accents dropped (`Chloé` → `chloe`), camelCase split (`userId` →
 * `user_id`), every run of other characters one `_` (`Product name` → `product_name`), a
 * leading digit prefixed (`2024 sales` → `col_2024_sales`), at most 63 characters; a name
 * with no Latin letter or digit at all becomes `column`.
 */
export function schemaColumnName(source: string): string {
  const words = source
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[ßæœøłđþÆŒØŁĐÞ]/g, (ch) => LETTERS[ch] ?? ch)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  let name = words === '' ? 'column' : words;
  if (source.startsWith('_')) name = `_${name}`;
  else if (/^[0-9]/.test(name)) name = `col_${name}`;
  return trimName(name, MAX_NAME);
}

/**
 * The schema names of a file's columns, in order: each `schemaColumnName`, made unique
 * case-insensitively (as the validator requires) with `_2`, `_3`… and never one of the
 * dataset's own bookkeeping columns (`_seq`, `_file`, `_line`).
 */
export function schemaColumnNames(sources: readonly string[]): string[] {
  const taken = new Set<string>(SYSTEM_COLUMNS.map((c) => c.name));
  return sources.map((source) => {
    const base = schemaColumnName(source);
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) {
      const suffix = `_${n}`;
      name = `${trimName(base, MAX_NAME - suffix.length)}${suffix}`;
    }
    taken.add(name.toLowerCase());
    return name;
  });
}

function trimName(name: string, max: number): string {
  if (name.length <= max) return name;
  const cut = name.slice(0, max).replace(/_+$/, '');
  return cut === '' ? name.slice(0, max) : cut;
}
