import type {
  DuckDBDateValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBValue,
  DuckDBValueConverter,
} from '@duckdb/node-api';
import { duckdb } from './duckdb.js';

const { DuckDBTypeId, JsonDuckDBValueConverter } = duckdb;

/** A value that survives JSON.stringify and JSON.parse unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One result row, keyed by column name. */
export type Row = Record<string, JsonValue>;

/**
 * How DuckDB values become JSON-safe values (everything else as the client's JSON converter):
 * - BIGINT, UBIGINT, HUGEINT, UHUGEINT: a number when it is a safe integer, else a decimal string
 *   (a COUNT stays a number; a 64-bit hash stays exact);
 * - DECIMAL: a string with its scale ("12.50"), so money is never rounded through a double;
 * - DATE: "YYYY-MM-DD";
 * - TIMESTAMP and TIMESTAMPTZ (any precision): ISO 8601 in UTC, "2024-01-02T03:04:05.000Z", with
 *   six fractional digits when there are microseconds; ±infinity as "infinity"/"-infinity";
 * - TIME "HH:MM:SS[.ffffff]", UUID, ENUM, BLOB ("\xAB" escapes), BIT, INTERVAL
 *   ({months, days, micros: string}), NaN and ±Infinity doubles ("NaN"...) as the JSON converter;
 * - LIST, ARRAY, STRUCT, MAP, UNION recursively with these same rules.
 */
export const jsonSafeConverter: DuckDBValueConverter<JsonValue> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return typeof value === 'bigint' ? integerToJson(value) : (value as number);
    case DuckDBTypeId.DATE:
      return (value as DuckDBDateValue).toString();
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return isoTimestamp(value, (value as { micros: bigint }).micros, 1n, 1n);
    case DuckDBTypeId.TIMESTAMP_S:
      return isoTimestamp(value, (value as DuckDBTimestampSecondsValue).seconds, 1_000_000n, 1n);
    case DuckDBTypeId.TIMESTAMP_MS:
      return isoTimestamp(value, (value as DuckDBTimestampMillisecondsValue).millis, 1_000n, 1n);
    case DuckDBTypeId.TIMESTAMP_NS:
      return isoTimestamp(value, (value as DuckDBTimestampNanosecondsValue).nanos, 1n, 1_000n);
    default:
      return JsonDuckDBValueConverter(value, type, converter) as JsonValue;
  }
};

function integerToJson(value: bigint): number | string {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
}

// DuckDB encodes ±infinity as ±(2^63 - 1) in the timestamp's own unit.
const INFINITE = 2n ** 63n - 1n;
const MAX_DATE_MICROS = 8_640_000_000_000_000_000n; // JavaScript Date's range, in microseconds

function isoTimestamp(value: DuckDBValue, raw: bigint, multiplier: bigint, divisor: bigint): string {
  if (raw >= INFINITE) return 'infinity';
  if (raw <= -INFINITE) return '-infinity';
  const micros = floorDiv(raw * multiplier, divisor);
  if (micros > MAX_DATE_MICROS || micros < -MAX_DATE_MICROS) return String(value);
  return isoFromMicros(micros);
}

/** Microseconds since the epoch (UTC) as ISO 8601; six fractional digits only when needed. */
export function isoFromMicros(micros: bigint): string {
  const millis = floorDiv(micros, 1_000n);
  const iso = new Date(Number(millis)).toISOString();
  const subMillis = micros - millis * 1_000n;
  if (subMillis === 0n) return iso;
  return `${iso.slice(0, -1)}${subMillis.toString().padStart(3, '0')}Z`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
