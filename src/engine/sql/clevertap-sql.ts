import type { ClevertapLayout, LayoutEntry } from '../../model/clevertap-layout.js';
import { quoteIdent, quoteLiteral } from './quote.js';
import { xmlAttribute, xmlElementSql, xmlNamedElementSql } from './xml-sql.js';

/**
 * CleverTap's event export layout (`layout: clevertap`), built by DuckDB from the row's columns
 * (referenced by name: the source's own columns, or the materialised table's). Keys come from
 * the config and are spliced as quoted literals or identifiers; values are never spliced.
 * NULL values are left out of JSON and XML (a struct field is NULL in Parquet). `ts` is the
 * event time as yyyyMMddHHmmss: event times are stored in UTC, so it is UTC.
 *
 * - JSON (one line per event, after the file's first line, the event name):
 *   `{"profile":{…},"ts":20171109000015,"deviceInfo":{…},"eventProps":{…}}`; deviceInfo only
 *   when the layout has some. Values are DuckDB's `to_json` (numbers stay numbers).
 * - XML: the reference's `<Event>` block, 4 spaces per level from column 0: `<ts>`,
 *   `<eventName>`, `<profile>` and `<deviceInfo>` elements named by key, `<eventProps>` entries
 *   with `<key>` and `<value>`.
 * - Parquet: `ts` BIGINT, `eventName`, and `profile`, `deviceInfo`, `eventProps` STRUCTs
 *   (a section without columns is left out).
 */

/** SQL: the event time as the number yyyyMMddHHmmss (BIGINT). */
export function clevertapTsSql(column: string): string {
  return `CAST(strftime(${quoteIdent(column)}, '%Y%m%d%H%M%S') AS BIGINT)`;
}

/** The first line of a CleverTap JSON file: the event name (line breaks become spaces). */
export function clevertapJsonHead(eventName: string): string {
  return `${eventName.replace(/\r\n|\r|\n/g, ' ')}\n`;
}

/** SQL for a JSON object's members `"key":value`, comma-separated, NULLs (and NaN, ±Infinity) left out. */
function jsonMembersSql(entries: readonly LayoutEntry[]): string {
  if (entries.length === 0) return "''";
  const members = entries.map((e) => {
    const col = quoteIdent(e.column);
    // JSON has no NaN or Infinity.
    const present = e.type === 'double' ? `isfinite(${col})` : `${col} IS NOT NULL`;
    return `CASE WHEN ${present} THEN concat(${quoteLiteral(`${JSON.stringify(e.key)}:`)}, to_json(${col})) END`;
  });
  return `concat_ws(',', ${members.join(', ')})`;
}

/** SQL: one select item `x`, the JSON line of the row. */
export function clevertapJsonSql(layout: ClevertapLayout): string {
  const ts = quoteIdent(layout.eventTime);
  const parts = [
    `'{"profile":{'`,
    jsonMembersSql(layout.profile),
    "'}'",
    `CASE WHEN ${ts} IS NOT NULL THEN concat(',"ts":', ${clevertapTsSql(layout.eventTime)}) ELSE '' END`,
    ...(layout.deviceInfo.length === 0
      ? []
      : [`',"deviceInfo":{'`, jsonMembersSql(layout.deviceInfo), "'}'"]),
    `',"eventProps":{'`,
    jsonMembersSql(layout.eventProps),
    "'}}'",
    'chr(10)',
  ];
  return `concat(${parts.join(', ')}) AS x`;
}

const INDENT = '    ';

/** SQL: one select item `x`, the `<Event>` element of the row. */
export function clevertapXmlSql(layout: ClevertapLayout): string {
  const ts = quoteIdent(layout.eventTime);
  const section = (name: string, entries: readonly LayoutEntry[]) => [
    quoteLiteral(`${INDENT}<${name}>\n`),
    ...entries.map((e) => xmlNamedElementSql(e.key, quoteIdent(e.column), INDENT.repeat(2))),
    quoteLiteral(`${INDENT}</${name}>\n`),
  ];
  const entries = layout.eventProps.map((e) =>
    xmlElementSql(
      quoteIdent(e.column),
      `${INDENT.repeat(2)}<entry>\n${INDENT.repeat(3)}<key>${xmlAttribute(e.key)}</key>\n${INDENT.repeat(3)}<value>`,
      `</value>\n${INDENT.repeat(2)}</entry>\n`,
    ),
  );
  const parts = [
    "'<Event>\n'",
    `CASE WHEN ${ts} IS NOT NULL THEN concat('${INDENT}<ts>', strftime(${ts}, '%Y%m%d%H%M%S'), '</ts>\n') ELSE '' END`,
    xmlElementSql(quoteIdent(layout.eventName), `${INDENT}<eventName>`, '</eventName>\n'),
    ...section('profile', layout.profile),
    ...(layout.deviceInfo.length === 0 ? [] : section('deviceInfo', layout.deviceInfo)),
    quoteLiteral(`${INDENT}<eventProps>\n`),
    ...entries,
    quoteLiteral(`${INDENT}</eventProps>\n`),
    "'</Event>\n'",
  ];
  return `concat(${parts.join(', ')}) AS x`;
}

/** The file around the `<Event>` elements. */
export const CLEVERTAP_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<Events>\n';
export const CLEVERTAP_XML_TAIL = '</Events>\n';

/** SQL: the select items of a Parquet row (`ts`, `eventName` and the sections as STRUCTs). */
export function clevertapParquetItems(layout: ClevertapLayout): string[] {
  const struct = (name: string, entries: readonly LayoutEntry[]) =>
    entries.length === 0
      ? []
      : [
          `struct_pack(${entries.map((e) => `${quoteIdent(e.key)} := ${quoteIdent(e.column)}`).join(', ')}) AS ${quoteIdent(name)}`,
        ];
  return [
    `${clevertapTsSql(layout.eventTime)} AS "ts"`,
    `CAST(${quoteIdent(layout.eventName)} AS VARCHAR) AS "eventName"`,
    ...struct('profile', layout.profile),
    ...struct('deviceInfo', layout.deviceInfo),
    ...struct('eventProps', layout.eventProps),
  ];
}

/** The columns the layout reads (each once), for the materialised rows of drafts and chunks. */
export function clevertapColumns(layout: ClevertapLayout): string[] {
  const all = [
    layout.eventTime,
    layout.eventName,
    ...[...layout.profile, ...layout.deviceInfo, ...layout.eventProps].map((e) => e.column),
  ];
  return [...new Set(all)];
}
