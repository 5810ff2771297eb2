import type { InspectedColumn, JsonValue, StreamFileInspection } from '../engine/index.js';

/** The views of `outflow inspect`, all rendered from one InspectReport. Pure. */

export interface InspectReport {
  /** The file as the user named it: a path, or `connection:key`. */
  file: string;
  /** Set when the file was read from a Connection. */
  connection?: { name: string; key: string };
  inspection: StreamFileInspection;
}

/** A schema column as a Dataflow declares it. */
export interface SchemaColumn {
  name: string;
  type: string;
  from: string;
}

export function schemaColumnsOf(inspection: StreamFileInspection): SchemaColumn[] {
  return inspection.columns.map((c) => ({ name: c.schemaName, type: c.type, from: c.name }));
}

/** `--format json`: everything inspect found, plus the schema columns `--yaml` prints. */
export function inspectJson(report: InspectReport): Record<string, JsonValue> {
  const i = report.inspection;
  return {
    file: report.file,
    ...(report.connection === undefined ? {} : { connection: { ...report.connection } }),
    format: i.format,
    compression: i.compression ?? null,
    ...(i.csv === undefined ? {} : { csv: { ...i.csv } }),
    rows: i.rows,
    columns: i.columns.map((c) => ({
      name: c.name,
      duckdbType: c.duckdbType,
      nulls: c.nulls,
      schemaName: c.schemaName,
      type: c.type,
      ...(c.unconverted === undefined ? {} : { unconverted: { ...c.unconverted } }),
    })),
    sample: i.sample,
    schemaColumns: schemaColumnsOf(i).map((c) => ({ ...c })),
  };
}

/**
 * `--yaml`: a `columns:` block indented to sit under a Dataflow's `schema:`, one flow mapping
 * per column; a column kept as string against DuckDB's type says why in a trailing comment.
 */
export function schemaColumnsYaml(inspection: StreamFileInspection): string {
  const lines = ['  columns:'];
  for (const c of inspection.columns) {
    const item = `    - {name: ${yamlScalar(c.schemaName)}, type: ${yamlScalar(c.type)}, from: ${yamlScalar(c.name)}}`;
    lines.push(c.unconverted === undefined ? item : `${item}  # ${unconvertedWords(c)}`);
  }
  return lines.join('\n');
}

/** The human view: format, counts, one line per column, notes, then the sample. */
export function inspectText(report: InspectReport): string {
  const i = report.inspection;
  const out: string[] = [];
  const compressed = i.compression === undefined ? '' : `, ${i.compression}-compressed`;
  out.push(
    `${report.file}: ${i.format}${compressed}, ${plural(i.rows, 'row')}, ${plural(i.columns.length, 'column')}`,
  );
  if (i.csv !== undefined) {
    const header = i.csv.header ? 'header line' : 'no header line';
    out.push(
      `  delimiter ${JSON.stringify(i.csv.delimiter)}, quote ${JSON.stringify(i.csv.quote)}, ${header}`,
    );
  }
  if (i.columns.length === 0) {
    out.push(
      '',
      i.rows === 0
        ? 'No columns to map: the file holds no records.'
        : 'No columns to map: the records are not JSON objects.',
    );
    return out.join('\n');
  }
  out.push('');
  const head = ['column', 'DuckDB type', 'nulls', 'schema column'];
  const rows = i.columns.map((c) => [
    cell(c.name),
    cell(c.duckdbType),
    String(c.nulls),
    `${c.schemaName}: ${c.type}${c.unconverted === undefined ? '' : ' (!)'}`,
  ]);
  out.push(...table(head, rows, new Set([2])));
  const notes = i.columns.flatMap((c) =>
    c.unconverted === undefined ? [] : [`(!) ${c.name}: ${unconvertedWords(c)}`],
  );
  if (i.csv?.header === false)
    notes.push('no header line was found: the columns are named column0, column1, … by position');
  if (notes.length > 0) out.push('', ...notes);
  if (i.sample.length > 0) {
    out.push('', `First ${plural(i.sample.length, 'row')}, as the file holds them:`);
    const names = i.columns.map((c) => c.name);
    out.push(
      ...table(
        names.map(cell),
        i.sample.map((r) => names.map((n) => cell(r[n]))),
      ),
    );
  }
  out.push(
    '',
    `A schema.columns block to paste into a Dataflow: outflow inspect ${shellWord(report.file)} --yaml`,
  );
  return out.join('\n');
}

/** Why a column is kept as string and, when DuckDB read it with a strptime format, how to keep its type. */
function unconvertedWords(c: InspectedColumn): string {
  const u = c.unconverted!;
  const format = u.format === undefined ? '' : ` (format ${u.format})`;
  const why = `DuckDB reads ${c.duckdbType}${format}, but ${plural(u.values, 'value')} would not convert to ${u.type} in an ingest (first: ${JSON.stringify(u.example)}); kept as string`;
  if (u.format === undefined) return why;
  const expr = `strptime("${c.name.replaceAll('"', '""')}", '${u.format.replaceAll("'", "''")}')`;
  return `${why}; to keep a ${u.type}: {name: ${yamlScalar(c.schemaName)}, type: ${u.type}, expr: ${yamlScalar(expr)}}`;
}

const MAX_CELL = 32;

/** One table cell: text on one line, at most MAX_CELL characters. */
function cell(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '';
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).replace(/[\r\n\t]+/g, ' ');
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

function table(head: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells
      .map((v, i) => (rightAligned.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')}`.trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** A word as a POSIX shell reads it back: as is when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// Words a YAML 1.1 or 1.2 reader may take for a boolean or null.
const YAML_WORDS = /^(true|false|yes|no|on|off|y|n|null)$/i;

/** A plain scalar when it is unmistakably a string in any flow context, else a double-quoted one. */
function yamlScalar(value: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) && !YAML_WORDS.test(value)) return value;
  // JSON's double-quoted strings are YAML's, except that YAML wants C1 controls and DEL escaped too.
  return JSON.stringify(value).replace(
    /[\u007f-\u009f]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
