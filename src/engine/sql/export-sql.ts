import { OutflowError } from '../../diagnostics/errors.js';
import type { Audience, Export } from '../../schema/index.js';
import { closestName } from '../closest-name.js';
import type { SqlValue } from '../engine.js';
import { audienceSql, type FlowRef, latestPeopleSql, personIdentifierOf } from './audience-sql.js';
import { datasetTable, type Sql } from './ingest-sql.js';
import { quoteIdent } from './quote.js';

/** Pure SQL builders for exports: the rows, materialised once, then written chunk by chunk. */

export const EXPORT_TABLE = '_outflow_export';

export type ExportSource =
  | { kind: 'dataflow'; flow: FlowRef; events?: readonly string[] | undefined }
  | { kind: 'audience'; name: string; audience: Audience; people: FlowRef; events?: FlowRef | undefined };

export interface ExportSpec {
  name: string;
  config: Export;
  source: ExportSource;
}

export interface SourceOptions {
  now: Date;
  /** Incremental (dataflow sources): only rows with `_seq > sinceSeq`. */
  sinceSeq?: number | undefined;
  /** Only rows with `_seq <= untilSeq` (the ingest sequence the run was planned against). */
  untilSeq?: number | undefined;
  /** Draft runs: at most this many rows (the first by the export order). */
  limitRows?: number | undefined;
  /** One-time exports with a lookback: only events whose eventTime is after this (UTC). */
  eventTimeAfter?: Date | undefined;
  /** Extra columns for the XML event layout: `__ts`, `__name`, `__pid`. */
  xmlEvent?: boolean;
  /** Source columns a layout reads besides the fields (carried into materialised rows). */
  layoutColumns?: readonly string[] | undefined;
}

/** The flow whose declared columns the export reads. */
export function columnsFlow(source: ExportSource): FlowRef {
  return source.kind === 'dataflow' ? source.flow : source.people;
}

/** The exported column names: `fields` for segment exports, every declared column for dataOut. */
export function exportFields(spec: ExportSpec): string[] {
  const flow = columnsFlow(spec.source);
  const declared = flow.config.schema.columns.map((c) => c.name);
  if (spec.config.type === 'dataOut' || spec.config.fields === undefined) return declared;
  for (const field of spec.config.fields) {
    if (!declared.includes(field)) {
      const near = closestName(field, declared);
      throw new OutflowError(
        'export-unknown-field',
        `export "${spec.name}": field "${field}" is not a column of dataflow "${flow.name}"`,
        {
          hint: near === undefined ? `columns: ${declared.join(', ')}` : `did you mean "${near}"?`,
        },
      );
    }
  }
  return [...spec.config.fields];
}

/**
 * CREATE TEMP TABLE EXPORT_TABLE: the exported fields, `__part` (the event name with
 * `splitBy: event`, else ''), `__rn` (1-based row number within the part, in the export's fixed
 * order: ingestion sequence for dataflows, person id for audiences) and `__seq`.
 */
export function materializeSql(spec: ExportSpec, options: SourceOptions): Sql {
  const { fields, extra, part, order, from, params } = exportQuery(spec, options);
  const limit = options.limitRows === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(options.limitRows))}`;
  const columns = fields.map((f) => quoteIdent(f));
  const sql = [
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(EXPORT_TABLE)} AS`,
    `SELECT ${[...columns, ...extra].join(', ')}, ${part} AS __part, row_number() OVER (PARTITION BY ${part} ORDER BY ${order}) AS __rn, _seq AS __seq`,
    `FROM (${from} ORDER BY ${order}${limit}) s`,
    'ORDER BY __part, __rn',
  ].join('\n');
  return { sql, params };
}

/** The export's rows before ordering and numbering: what materializeSql and the direct path share. */
export interface ExportQuery {
  fields: string[];
  /** Extra select items (XML event layout, layout columns). */
  extra: string[];
  /** SQL for the part (event name) of a row, `''` without splitBy. */
  part: string;
  order: string;
  /**
   * The source is already stored in the export order, so a scan needs no sort: a dataset table
   * holds its rows in `_seq` order (ingests append in file order, deletes keep the order, and
   * DuckDB preserves insertion order through scans, filters and COPY).
   */
  stored: boolean;
  /** A SELECT of the source rows (all columns, `_seq` included). */
  from: string;
  params: SqlValue[];
}

/** Without chunking: parts, row counts and the highest `_seq`, straight from the source. */
export function directPartsSql(q: ExportQuery): Sql {
  return {
    sql: `SELECT ${q.part} AS part, count(*) AS n, max(_seq) AS seq FROM (${q.from}) s GROUP BY 1 ORDER BY 1`,
    params: q.params,
  };
}

/** Without chunking: the rows of one part in the export order, straight from the source; `items` replace the exported columns (XML). */
export function directSelectSql(q: ExportQuery, part: string, items?: readonly string[]): Sql {
  const columns = items ?? [...q.fields.map((f) => quoteIdent(f)), ...q.extra];
  const where = q.part === "''" ? '' : ` WHERE ${q.part} = $${q.params.length + 1}`;
  return {
    sql: `SELECT ${columns.join(', ')} FROM (${q.from}) s${where}${q.stored ? '' : ` ORDER BY ${q.order}`}`,
    params: q.part === "''" ? q.params : [...q.params, part],
  };
}

export function exportQuery(spec: ExportSpec, options: SourceOptions): ExportQuery {
  const fields = exportFields(spec);
  const params: SqlValue[] = [];
  const bind = (v: SqlValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  const source = spec.source;
  const split = spec.config.splitBy === 'event';
  let from: string;
  let order: string;
  let part = "''";
  const extra: string[] = [];
  if (source.kind === 'dataflow') {
    const schema = source.flow.config.schema;
    const where: string[] = [];
    if (options.sinceSeq !== undefined) where.push(`_seq > CAST(${bind(options.sinceSeq)} AS BIGINT)`);
    // `_seq` NULL rows are no rows of the dataset (see latestPeopleSql); `_seq <= n` leaves them out too.
    if (options.untilSeq !== undefined) where.push(`_seq <= CAST(${bind(options.untilSeq)} AS BIGINT)`);
    else where.push('_seq IS NOT NULL');
    if (options.eventTimeAfter !== undefined && schema.eventTime !== undefined) {
      where.push(
        `${quoteIdent(schema.eventTime)} > CAST(${bind(options.eventTimeAfter.toISOString().replace('T', ' ').replace('Z', ''))} AS TIMESTAMP)`,
      );
    }
    const eventName = schema.eventName;
    if ((split || (source.events?.length ?? 0) > 0 || options.xmlEvent === true) && eventName === undefined) {
      throw new OutflowError(
        'export-not-event-data',
        `export "${spec.name}": dataflow "${source.flow.name}" has no schema.eventName`,
        {
          hint: 'events filters, splitBy: event and the XML event layout need an event dataflow',
        },
      );
    }
    if (eventName !== undefined && source.events !== undefined && source.events.length > 0) {
      where.push(`${quoteIdent(eventName)} IN (${source.events.map((e) => bind(e)).join(', ')})`);
    }
    if (split && eventName !== undefined) part = `coalesce(CAST(${quoteIdent(eventName)} AS VARCHAR), '')`;
    if (options.xmlEvent === true) {
      const { eventTime, eventName: name } = schema;
      const pid = schema.personIdentifier;
      extra.push(
        eventTime === undefined ? 'NULL AS "__ts"' : `${quoteIdent(eventTime)} AS "__ts"`,
        `${quoteIdent(name!)} AS "__name"`,
        pid === undefined ? 'NULL AS "__pid"' : `${quoteIdent(pid)} AS "__pid"`,
      );
    }
    for (const column of options.layoutColumns ?? []) {
      if (!fields.includes(column)) extra.push(quoteIdent(column));
    }
    from = `SELECT * FROM ${quoteIdent(datasetTable(source.flow.name))}${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`}`;
    order = '_seq';
  } else {
    const members = audienceSql(source.audience, source.people, source.events, options.now);
    params.push(...members.params);
    const pid = quoteIdent(personIdentifierOf(source.people, 'people'));
    from = `SELECT p.* FROM (${latestPeopleSql(source.people)}) p JOIN (${members.sql}) m ON m.person_id = p.${pid}`;
    order = pid;
  }
  return { fields, extra, part, order, stored: source.kind === 'dataflow', from, params };
}

/** Dataflow sources: the highest `_seq` the export's rows have (NULL without rows). */
export function maxSeqSql(q: ExportQuery): Sql {
  return { sql: `SELECT max(_seq) AS seq FROM (${q.from}) s`, params: q.params };
}

export function partsSql(): Sql {
  return {
    sql: `SELECT __part AS part, count(*) AS n, max(__seq) AS seq FROM ${quoteIdent(EXPORT_TABLE)} GROUP BY 1 ORDER BY 1`,
    params: [],
  };
}

/** Materialised rows: the select `items` of rows `from`..`to` of a part, in order. */
export function chunkSelectSql(items: readonly string[], part: string, from: number, to: number): Sql {
  const columns = items;
  return {
    sql: `SELECT ${columns.join(', ')} FROM ${quoteIdent(EXPORT_TABLE)} WHERE __part = $1 AND __rn BETWEEN $2 AND $3 ORDER BY __rn`,
    params: [part, from, to],
  };
}

export type CopyFormat = 'parquet' | 'csv' | 'json' | 'ndjson';

/** COPY options per format and compression; throws for combinations DuckDB cannot write. */
export function copyOptions(format: CopyFormat, compression: Export['compression']): string {
  const c = compression ?? 'none';
  if (format === 'parquet') return `FORMAT parquet, COMPRESSION ${c === 'none' ? 'uncompressed' : c}`;
  if (c === 'snappy') {
    throw new OutflowError(
      'export-bad-compression',
      `compression snappy is for parquet only, not ${format}`,
      {
        hint: 'use none, gzip or zstd for text formats',
      },
    );
  }
  const base =
    format === 'csv'
      ? 'FORMAT csv, HEADER true'
      : format === 'json'
        ? 'FORMAT json, ARRAY true'
        : 'FORMAT json';
  return `${base}, COMPRESSION ${c}`;
}

/** COPY one chunk to `target` (a path literal quoted by the caller's quoteLiteral). */
export function copyChunkSql(select: Sql, target: string, options: string): Sql {
  return { sql: `COPY (${select.sql}) TO ${target} (${options})`, params: select.params };
}

/** The `{ext}` of files: format plus compression suffix. */
export function fileExtension(format: Export['format'], compression: Export['compression']): string {
  const c = compression ?? 'none';
  if (format === 'parquet') return 'parquet';
  return c === 'gzip' ? `${format}.gz` : c === 'zstd' ? `${format}.zst` : format;
}

/**
 * Dataflow sources, chunked: the `_seq` of rows at the given 1-based positions within a part
 * (in `_seq` order). Sorts only `_seq`, so chunks can then be cut by `_seq` ranges.
 */
export function seqAtSql(q: ExportQuery, part: string, positions: readonly number[]): Sql {
  const split = q.part !== "''";
  const where = split ? ` WHERE ${q.part} = $${q.params.length + 1}` : '';
  const list = positions.map((p) => String(Math.floor(p))).join(', ');
  return {
    sql: `SELECT rn, seq FROM (SELECT _seq AS seq, row_number() OVER (ORDER BY _seq) AS rn FROM (${q.from}) s${where}) WHERE rn IN (${list})`,
    params: split ? [...q.params, part] : q.params,
  };
}

/** Dataflow sources, chunked: the rows of a part with `_seq` in [lo, hi], in order. */
export function seqRangeSelectSql(
  q: ExportQuery,
  part: string,
  lo: number,
  hi: number,
  items?: readonly string[],
): Sql {
  const columns = items ?? [...q.fields.map((f) => quoteIdent(f)), ...q.extra];
  const params = [...q.params];
  const bind = (v: SqlValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where = [`_seq BETWEEN CAST(${bind(lo)} AS BIGINT) AND CAST(${bind(hi)} AS BIGINT)`];
  if (q.part !== "''") where.push(`${q.part} = ${bind(part)}`);
  return {
    sql: `SELECT ${columns.join(', ')} FROM (${q.from}) s WHERE ${where.join(' AND ')} ORDER BY _seq`,
    params,
  };
}
