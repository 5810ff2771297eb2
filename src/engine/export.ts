import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { OutflowError } from '../diagnostics/errors.js';
import { type Model, projectTimezone } from '../model/model.js';
import {
  DEFAULT_EXPORT_PATH,
  parseTemplate,
  renderRunDirectory,
  renderTemplate,
} from '../model/path-template.js';
import type { Export } from '../schema/index.js';
import { syncFile } from '../state/atomic-write.js';
import type { Engine } from './engine.js';
import { type ChunkRange, planChunks } from './export-chunks.js';
import { clevertapFrame, clevertapLayoutOf, clevertapSelectItems } from './export-clevertap.js';
import { resolveExportSpec, sourceOptionsFor } from './export-source.js';
import { writeTextFile, writeXmlFile } from './export-xml.js';
import { sha256File } from './file-hash.js';
import { gzipFileParallel } from './parallel-gzip.js';
import { clevertapColumns } from './sql/clevertap-sql.js';
import {
  chunkSelectSql,
  columnsFlow,
  copyChunkSql,
  copyOptions,
  directPartsSql,
  directSelectSql,
  EXPORT_TABLE,
  type ExportQuery,
  type ExportSpec,
  exportFields,
  exportQuery,
  fileExtension,
  materializeSql,
  maxSeqSql,
  partsSql,
  seqAtSql,
  seqRangeSelectSql,
} from './sql/export-sql.js';
import { quoteIdent, quoteLiteral } from './sql/quote.js';
import { xmlEventSql, xmlRecordSql } from './sql/xml-sql.js';

export interface WriteExportOptions {
  /** The run's staging folder (an allowed directory of the engine); files go under it. */
  stagingDir: string;
  runId: string;
  /** The run's time: `{exportTime}`/`{date}` tokens and the audience's `now`. */
  now: Date;
  /** IANA zone the `{exportTime}`/`{date}` tokens are rendered in (the project's `timezone`). */
  timeZone: string;
  /** Incremental runs: export rows with `_seq > sinceSeq` (dataflow sources only). */
  sinceSeq?: number;
  /** Export rows with `_seq <= untilSeq` only. */
  untilSeq?: number;
  /** Draft runs: the first N rows only. */
  limitRows?: number;
  /** One-time exports with a lookback: only events after this time (event dataflows). */
  eventTimeAfter?: Date;
  /**
   * fsync each file while its sha256 is computed. For local destinations, which publish the
   * staged file itself (a hard link): their own fsync then finds the pages already on disk.
   * Off for stores that upload the file and delete it, where the sync would be wasted disk I/O.
   */
  syncFiles?: boolean;
}

export interface ExportedFile {
  /** Path relative to the staging folder, from the path template. */
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
  event?: string;
}

export interface ExportColumn {
  name: string;
  type: string;
  from?: string;
  expr?: string;
}

export interface WriteExportResult {
  files: ExportedFile[];
  /** The run's folder from the path template (relative, `''` for the root): the manifest's place. */
  directory: string;
  rows: number;
  /** dataOut exports: the exported columns, their declared types and where they come from. */
  schema?: ExportColumn[];
  /** The highest `_seq` exported (dataflow sources with rows). */
  seqTo?: number;
}

/** Resolves an Export's source from the model, then writes it (see writeExportSpec) in the project's time zone. */
export async function writeExport(
  engine: Engine,
  model: Model,
  exp: { name: string; config: Export },
  options: Omit<WriteExportOptions, 'timeZone'>,
): Promise<WriteExportResult> {
  return writeExportSpec(engine, resolveExportSpec(model, exp), {
    ...options,
    timeZone: projectTimezone(model),
  });
}

/**
 * Writes an export's files under `stagingDir` at the rendered path template, deterministically:
 * a fixed row order, chunk boundaries that depend only on the data, and file names from the
 * template, so a re-run writes byte-identical files. No rows, no files.
 */
export async function writeExportSpec(
  engine: Engine,
  spec: ExportSpec,
  options: WriteExportOptions,
): Promise<WriteExportResult> {
  const config = spec.config;
  const fields = exportFields(spec);
  const flow = columnsFlow(spec.source);
  const clevertap = config.layout === 'clevertap' ? clevertapLayoutOf(spec, fields) : undefined;
  const xmlEvent =
    clevertap === undefined &&
    config.format === 'xml' &&
    spec.source.kind === 'dataflow' &&
    flow.config.entity === 'event';
  const sourceOptions = sourceOptionsFor(
    spec,
    options,
    xmlEvent,
    clevertap === undefined ? undefined : clevertapColumns(clevertap),
  );
  const template = parseTemplate(config.path ?? DEFAULT_EXPORT_PATH);
  if (template.problems.length > 0) {
    throw new OutflowError('export-bad-path', `export "${spec.name}": ${template.problems[0]!.message}`, {
      hint: template.problems[0]!.hint,
    });
  }
  const ext = fileExtension(config.format, config.compression);
  const runValues = {
    export: spec.name,
    dataset: spec.source.kind === 'dataflow' ? spec.source.flow.config.schema.name : spec.source.name,
    runId: options.runId,
    ext,
    exportTime: options.now,
    timeZone: options.timeZone,
  };
  // gzip for text formats is ours: written plain, then compressed in parallel blocks.
  const ourGzip = config.compression === 'gzip' && config.format !== 'parquet';
  // XML, and CleverTap's JSON, are streamed as text by us; the rest is DuckDB's COPY.
  const clevertapText = clevertap !== undefined && config.format !== 'parquet';
  const copy =
    config.format === 'xml' || clevertapText
      ? undefined
      : copyOptions(config.format, ourGzip ? 'none' : config.compression);

  // Without chunks rows go straight from the source to each file. Chunked dataflow sources are
  // cut by `_seq` ranges looked up from a sort of `_seq` alone. Audiences with chunks and drafts
  // (LIMIT) materialise the rows once, numbered in the export order.
  const chunked = config.chunk?.maxRows !== undefined || config.chunk?.maxBytes !== undefined;
  const mode: 'direct' | 'seq' | 'materialized' =
    options.limitRows !== undefined
      ? 'materialized'
      : !chunked
        ? 'direct'
        : spec.source.kind === 'dataflow'
          ? 'seq'
          : 'materialized';
  const query = exportQuery(spec, sourceOptions);
  const items =
    clevertap === undefined
      ? selectItems(spec, fields, xmlEvent, mode === 'materialized')
      : clevertapSelectItems(clevertap, config.format);
  if (mode === 'materialized') {
    const materialize = materializeSql(spec, sourceOptions);
    await engine.run(materialize.sql, materialize.params);
  }
  const tmpDir = path.join(options.stagingDir, '.outflow-tmp');
  try {
    await mkdir(tmpDir, { recursive: true });
    // One file of COPY straight from the source: the COPY counts the rows itself, so the source
    // is not read an extra time for the count (an audience would be evaluated twice).
    const single = mode === 'direct' && query.part === "''" && copy !== undefined && !ourGzip;
    const partsQuery = mode === 'materialized' ? partsSql() : directPartsSql(query);
    const parts = single
      ? [{ part: '', n: null, seq: null }]
      : await engine.all(partsQuery.sql, partsQuery.params);
    const files: ExportedFile[] = [];
    const names = new Set<string>();
    let seqTo: number | undefined;
    for (const [partIndex, partRow] of parts.entries()) {
      const part = String(partRow.part);
      const rows = Number(partRow.n);
      if (partRow.seq !== null) seqTo = Math.max(seqTo ?? 0, Number(partRow.seq));
      const seqAt = new Map<number, number>();
      const prepare = async (ranges: readonly ChunkRange[]) => {
        if (mode !== 'seq') return;
        const wanted = [...new Set(ranges.flatMap((r) => [r.from, r.to]))].filter((n) => !seqAt.has(n));
        if (wanted.length === 0) return;
        const q = seqAtSql(query, part, wanted);
        for (const row of await engine.all(q.sql, q.params)) seqAt.set(Number(row.rn), Number(row.seq));
      };
      const writeRange = async (range: ChunkRange, target: string): Promise<number | undefined> => {
        const select =
          mode === 'direct'
            ? directSelectSql(query, part, items)
            : mode === 'seq'
              ? seqRangeSelectSql(query, part, seqAt.get(range.from)!, seqAt.get(range.to)!, items)
              : chunkSelectSql(items ?? fields.map((f) => quoteIdent(f)), part, range.from, range.to);
        const written = ourGzip ? `${target}.plain` : target;
        if (copy === undefined) {
          const compression = ourGzip ? 'none' : config.compression;
          if (clevertap === undefined)
            await writeXmlFile(engine, select, xmlEvent ? 'Events' : 'records', written, compression);
          else await writeTextFile(engine, select, clevertapFrame(config.format, part), written, compression);
        } else {
          const q = copyChunkSql(select, quoteLiteral(written), copy);
          const copied = await engine.run(q.sql, q.params);
          if (ourGzip) await gzipFileParallel(written, target);
          return copied.rowsChanged;
        }
        if (ourGzip) await gzipFileParallel(written, target);
        return undefined;
      };
      const chunks = single
        ? await writeSingle(engine, query, spec, tmpDir, ext, writeRange, (seq) => {
            seqTo = seq;
          })
        : await planChunks(rows, config.chunk, {
            prepare,
            write: async (range, target) => {
              await writeRange(range, target);
            },
            tempPath: (range) => path.join(tmpDir, `${partIndex}-${range.from}-${range.to}.${ext}`),
          });
      for (const [index, chunk] of chunks.entries()) {
        // An event name is data: renderTemplate makes it one safe segment (`..`, '' and `a/b` too).
        const name = renderTemplate(template.parts, {
          ...runValues,
          ...(config.splitBy === 'event' ? { event: part } : {}),
          index: index + 1,
        });
        if (names.has(name)) {
          throw new OutflowError(
            'export-path-collision',
            `export "${spec.name}": two files would both be named ${name}`,
            {
              hint: `put {index}${config.splitBy === 'event' ? ' and {event}' : ''} in the export path template`,
            },
          );
        }
        names.add(name);
        const target = path.join(options.stagingDir, name);
        await mkdir(path.dirname(target), { recursive: true });
        await rename(chunk.path, target);
        const { size } = await stat(target);
        // The file does not change once written, so its dirty pages go to disk while it is hashed.
        const [sha256] = await Promise.all([
          sha256File(target),
          options.syncFiles === true ? syncFile(target) : undefined,
        ]);
        files.push({
          name,
          rows: chunk.to - chunk.from + 1,
          bytes: size,
          sha256,
          ...(config.splitBy === 'event' ? { event: part } : {}),
        });
      }
    }
    return {
      files,
      directory: renderRunDirectory(template.parts, runValues),
      rows: files.reduce((n, f) => n + f.rows, 0),
      ...(config.type === 'dataOut' ? { schema: exportSchema(spec, fields) } : {}),
      ...(seqTo === undefined || spec.source.kind !== 'dataflow' ? {} : { seqTo }),
    };
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
    await engine.run(`DROP TABLE IF EXISTS temp.main."${EXPORT_TABLE}"`).catch(() => undefined);
  }
}

/** The whole export as one COPY; no rows, no file. Reports the highest `_seq` written (dataflows). */
async function writeSingle(
  engine: Engine,
  query: ExportQuery,
  spec: ExportSpec,
  tmpDir: string,
  ext: string,
  write: (range: ChunkRange, target: string) => Promise<number | undefined>,
  onSeq: (seq: number) => void,
): Promise<{ from: number; to: number; path: string }[]> {
  const temp = path.join(tmpDir, `0-all.${ext}`);
  const rows = (await write({ from: 1, to: Number.MAX_SAFE_INTEGER }, temp)) ?? 0;
  if (rows === 0) {
    await rm(temp, { force: true });
    return [];
  }
  if (spec.source.kind === 'dataflow') {
    const q = maxSeqSql(query);
    const [max] = await engine.all(q.sql, q.params);
    if (max?.seq !== null && max?.seq !== undefined) onSeq(Number(max.seq));
  }
  return [{ from: 1, to: rows, path: temp }];
}

/** XML: the one select item building each row's XML; other formats: the fields (undefined). */
function selectItems(
  spec: ExportSpec,
  fields: readonly string[],
  xmlEvent: boolean,
  materialized: boolean,
): string[] | undefined {
  if (spec.config.format !== 'xml') return undefined;
  if (!xmlEvent) return [xmlRecordSql(fields)];
  const schema = columnsFlow(spec.source).config.schema;
  const skip = eventColumns(schema);
  const refs = materialized
    ? { ts: '"__ts"', name: '"__name"', pid: schema.personIdentifier === undefined ? undefined : '"__pid"' }
    : {
        ts: schema.eventTime === undefined ? 'NULL' : quoteIdent(schema.eventTime),
        name: quoteIdent(schema.eventName!),
        pid: schema.personIdentifier === undefined ? undefined : quoteIdent(schema.personIdentifier),
      };
  return [
    xmlEventSql(
      fields.filter((f) => !skip.has(f)),
      refs,
    ),
  ];
}

function eventColumns(schema: {
  eventName?: string;
  eventTime?: string;
  personIdentifier?: string;
}): Set<string> {
  return new Set(
    [schema.eventName, schema.eventTime, schema.personIdentifier].filter((c): c is string => c !== undefined),
  );
}

function exportSchema(spec: ExportSpec, fields: readonly string[]): ExportColumn[] {
  const columns = columnsFlow(spec.source).config.schema.columns;
  return fields.map((name) => {
    const c = columns.find((x) => x.name === name)!;
    return {
      name,
      type: c.type,
      ...(c.expr === undefined ? { from: c.from ?? c.name } : { expr: c.expr }),
    };
  });
}
