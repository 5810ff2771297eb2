import { closestName } from './closest-name.js';

/**
 * The functions an `expr` may call, as DuckDB's parser names them: row-level, deterministic
 * scalar functions over strings, numbers, dates and times, plus the operators that parse
 * into function calls. A test checks every name is a CONSISTENT scalar function (or one of
 * the few built-in macros over such functions) in the bundled DuckDB.
 * Anything not listed is rejected; add a name here only after checking it cannot touch
 * files, settings, the environment or other rows, and returns the same result on every run.
 */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = words(`
  # strings
  concat concat_ws lower upper lcase ucase trim ltrim rtrim substr
  substring replace translate reverse lpad rpad left right length len
  strlen length_grapheme char_length character_length bit_length octet_length
  starts_with ends_with prefix suffix contains strpos instr position
  split_part string_split str_split format printf strip_accents nfc_normalize
  ascii chr unicode ord like_escape ilike_escape regexp_replace
  regexp_matches regexp_full_match regexp_extract regexp_split_to_array levenshtein
  damerau_levenshtein jaro_winkler_similarity hamming to_base64 base64 from_base64
  url_encode url_decode md5 sha1 sha256 hash
  # numbers
  abs ceil ceiling floor round round_even trunc even sign sqrt cbrt
  pow power exp ln log log10 log2 mod gcd lcm isnan isinf
  isfinite greatest least
  # dates and times (none reads the clock)
  strptime try_strptime strftime date_trunc datetrunc date_part datepart
  date_diff datediff date_sub datesub date_add time_bucket epoch epoch_ms
  epoch_us epoch_ns to_timestamp make_date make_time make_timestamp
  make_timestamptz timezone year month day hour minute second millisecond
  microsecond dayofweek isodow dayofmonth dayofyear week weekofyear weekday
  quarter yearweek isoyear last_day dayname monthname to_years to_months
  to_weeks to_days to_hours to_minutes to_seconds to_milliseconds
  to_microseconds
  # conditionals, JSON, list literals
  nullif json_extract json_extract_string json_value json_valid list_value
  list_contains list_has array_contains
  # operators
  + - * / // % ** ^ || & | << >> ~ xor ~~ !~~
  ~~* !~~* ~~~ ^@ ->>
`);

/** The built-in macros in ALLOWED_FUNCTIONS (each expands to allowed scalar functions only). */
export const ALLOWED_MACROS: ReadonlySet<string> = words('nullif split_part date_add round_even');

/**
 * Keywords DuckDB parses as column references but binds to clock or session functions when
 * no column has that name (even when double-quoted).
 */
export const SPECIAL_VALUE_NAMES: ReadonlySet<string> = words(`
  current_date current_time current_timestamp localtime localtimestamp current_user session_user
  user current_role current_catalog current_schema
`);

const FILE_AND_TABLE_FUNCTIONS: ReadonlySet<string> = words(`
  read_csv read_csv_auto read_json read_json_auto read_json_objects read_ndjson
  read_ndjson_auto read_ndjson_objects read_parquet parquet_scan parquet_metadata
  parquet_schema read_text read_blob glob sniff_csv query query_table
  read_xlsx read_duckdb
`);
const SYSTEM_FUNCTIONS: ReadonlySet<string> = words(`
  getenv current_setting current_database current_catalog current_schema
  current_schemas current_user current_role session_user user version
  current_query current_connection_id current_transaction_id txid_current error
  write_log sleep_ms stats
`);
const CLOCK_AND_RANDOM_FUNCTIONS: ReadonlySet<string> = words(`
  now today current_date current_time current_timestamp localtime localtimestamp
  get_current_time get_current_timestamp transaction_timestamp age random setseed
  uuid uuidv4 uuidv7 gen_random_uuid nextval currval
`);
const WINDOW_FUNCTIONS: ReadonlySet<string> = words(`
  row_number rank dense_rank percent_rank cume_dist ntile lag lead
  first_value last_value nth_value
`);

/** What the bundled DuckDB knows about a function name (from duckdb_functions()). */
export interface FunctionFacts {
  types: ReadonlySet<string>;
  unstable: boolean;
}

/** Why `name` (not in ALLOWED_FUNCTIONS) cannot be called, as a message and a hint. */
export function explainDisallowedFunction(
  name: string,
  facts: FunctionFacts | undefined,
): { message: string; hint: string } {
  const types = facts?.types ?? new Set<string>();
  if (
    FILE_AND_TABLE_FUNCTIONS.has(name) ||
    types.has('table') ||
    types.has('table_macro') ||
    types.has('pragma')
  ) {
    return {
      message: `expressions cannot call ${name}: file and table functions are not allowed`,
      hint: 'an expression computes a value from the columns of one source row; the source itself is set under `source`',
    };
  }
  if (WINDOW_FUNCTIONS.has(name)) {
    return {
      message: `expressions cannot call ${name}: window functions are not allowed`,
      hint: 'an expression computes a value from the columns of one source row',
    };
  }
  if (types.has('aggregate')) {
    return {
      message: `expressions cannot call ${name}: aggregate functions are not allowed`,
      hint: 'an expression computes a value from one source row; aggregate over events in an Audience condition',
    };
  }
  if (SYSTEM_FUNCTIONS.has(name)) {
    return {
      message: `expressions cannot call ${name}: it reads the system, not the row`,
      hint: 'an expression may use only the source columns and literals',
    };
  }
  if (CLOCK_AND_RANDOM_FUNCTIONS.has(name) || facts?.unstable === true) {
    return {
      message: `expressions cannot call ${name}: its result changes from run to run`,
      hint: 'exports must be reproducible; derive the value from a source column (for example the event time)',
    };
  }
  if (facts !== undefined) {
    return {
      message: `expressions cannot call ${name}: it is not one of the allowed functions`,
      hint: 'allowed are row-level string, number, date/time, JSON and conditional functions such as concat, lower, regexp_replace, round, strptime, date_trunc and coalesce',
    };
  }
  const suggestion = closestName(
    name,
    [...ALLOWED_FUNCTIONS].filter((f) => /^[a-z_]/.test(f)),
  );
  return {
    message: `unknown function "${name}"`,
    hint:
      suggestion === undefined
        ? 'use a DuckDB string, number, date/time or conditional function such as lower, round or strptime'
        : `did you mean ${suggestion}?`,
  };
}

/** A set from whitespace-separated words; lines starting with # are comments. */
export function words(text: string): ReadonlySet<string> {
  const lines = text.split('\n').filter((line) => !line.trim().startsWith('#'));
  return new Set(
    lines
      .join(' ')
      .split(/\s+/)
      .filter((word) => word !== ''),
  );
}
