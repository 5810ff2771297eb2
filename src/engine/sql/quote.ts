import { OutflowError } from '../../diagnostics/errors.js';

/**
 * Quoting for the few places where a value cannot be bound as a parameter: identifiers
 * (table and column names) and literals DuckDB only accepts inline, such as COPY target paths.
 * Everything else is bound with `$1`/`?` parameters, never spliced.
 */

/** `name` as a DuckDB identifier: double-quoted, inner double quotes doubled. */
export function quoteIdent(name: string): string {
  rejectNul(name, 'identifier');
  if (name.length === 0) {
    throw new OutflowError('engine_empty_identifier', 'an SQL identifier cannot be empty');
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `value` as a DuckDB string literal: single-quoted, inner single quotes doubled. DuckDB
 * treats backslashes in '...' literally (only E'...' strings have escapes), so nothing else
 * needs escaping.
 */
export function quoteLiteral(value: string): string {
  rejectNul(value, 'string literal');
  return `'${value.replaceAll("'", "''")}'`;
}

function rejectNul(value: string, what: string): void {
  if (value.includes('\0')) {
    throw new OutflowError('engine_nul_in_sql', `an SQL ${what} cannot contain a NUL character`, {
      hint: 'remove the NUL (\\0) character from the name or path',
    });
  }
}
