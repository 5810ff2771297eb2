import { OutflowError } from '../diagnostics/errors.js';
import {
  type ClevertapLayout,
  clevertapFormatProblems,
  resolveClevertapLayout,
} from '../model/clevertap-layout.js';
import {
  CLEVERTAP_XML_HEAD,
  CLEVERTAP_XML_TAIL,
  clevertapJsonHead,
  clevertapJsonSql,
  clevertapParquetItems,
  clevertapXmlSql,
} from './sql/clevertap-sql.js';
import type { ExportSpec } from './sql/export-sql.js';

/** `layout: clevertap`: the export's layout, or an error naming the first thing that does not fit. */
export function clevertapLayoutOf(spec: ExportSpec, fields: readonly string[]): ClevertapLayout {
  const flow = spec.source.kind === 'dataflow' ? spec.source.flow : undefined;
  const { layout, problems } = resolveClevertapLayout(spec.config, flow, fields);
  const problem = [...problems, ...clevertapFormatProblems(spec.config)][0];
  if (problem !== undefined || layout === undefined) {
    throw new OutflowError('export-bad-layout', `export "${spec.name}": ${problem?.message ?? 'no layout'}`, {
      hint: problem?.hint ?? 'check the export with outflow validate',
    });
  }
  return layout;
}

/** The select items writing a row: one text item `x` (JSON, NDJSON, XML) or Parquet's columns. */
export function clevertapSelectItems(
  layout: ClevertapLayout,
  format: ExportSpec['config']['format'],
): string[] {
  if (format === 'parquet') return clevertapParquetItems(layout);
  return [format === 'xml' ? clevertapXmlSql(layout) : clevertapJsonSql(layout)];
}

/** What a text file holds around its rows: XML's declaration and root, JSON's event name line. */
export function clevertapFrame(
  format: ExportSpec['config']['format'],
  eventName: string,
): { head: string; tail: string; what: string } {
  return format === 'xml'
    ? { head: CLEVERTAP_XML_HEAD, tail: CLEVERTAP_XML_TAIL, what: 'XML' }
    : { head: clevertapJsonHead(eventName), tail: '', what: `CleverTap ${format}` };
}
