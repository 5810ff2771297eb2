import { quoteIdent, quoteLiteral } from './quote.js';

/**
 * XML built by DuckDB, one text fragment per row (vectorised; JS only streams the text to the
 * file). Text is escaped (& < > and \r); characters XML 1.0 cannot carry (control characters,
 * U+FFFE, U+FFFF) become U+FFFD; NULL values are left out. Values are DuckDB's text form
 * (timestamps `2024-01-02 03:04:05`, decimals with their scale).
 *
 * - Record layout: `<record><column>value</column>…</record>`; a column whose name is not an
 *   XML name is written `<field name="…">`.
 * - Event layout (CleverTap's export format): `<Event><ts>yyyyMMddHHmmss</ts><eventName/>
 *   <profile><identity/></profile><eventProps><entry><key/><value/></entry>…</eventProps></Event>`.
 */

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const INVALID = '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x{FFFE}\\x{FFFF}]';

/** SQL: the escaped text of `expr` (NULL stays NULL). */
export function xmlTextSql(expr: string): string {
  const cleaned = `regexp_replace(CAST(${expr} AS VARCHAR), '${INVALID}', '\uFFFD', 'g')`;
  return `replace(replace(replace(replace(${cleaned}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), chr(13), '&#13;')`;
}

/** SQL: `open` + escaped value + `close`, or '' when the value is NULL. */
export function xmlElementSql(expr: string, open: string, close: string): string {
  return `CASE WHEN ${expr} IS NOT NULL THEN concat(${quoteLiteral(open)}, ${xmlTextSql(expr)}, ${quoteLiteral(close)}) ELSE '' END`;
}

/** An escaped attribute value (for names; computed here, spliced as a quoted literal). */
export function xmlAttribute(value: string): string {
  return xmlChars(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll('\r', '&#13;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\t', '&#9;');
}

/** SQL producing one `<record>` per row from the given columns (names as in the FROM). */
export function xmlRecordSql(fields: readonly string[]): string {
  const parts = fields.map((field) => xmlNamedElementSql(field, quoteIdent(field), '    '));
  return `concat('  <record>\n', ${parts.join(', ')}, '  </record>\n') AS x`;
}

/**
 * SQL: `<name>value</name>` on its own line after `indent`, or `<field name="…">` when `name` is
 * not an XML name; '' when the value is NULL.
 */
export function xmlNamedElementSql(name: string, expr: string, indent: string): string {
  const simple = XML_NAME.test(name) && !/^xml/i.test(name);
  const open = simple ? `${indent}<${name}>` : `${indent}<field name="${xmlAttribute(name)}">`;
  const close = simple ? `</${name}>\n` : '</field>\n';
  return xmlElementSql(expr, open, close);
}

export interface XmlEventRefs {
  /** SQL for the event time (TIMESTAMP), name and person identifier of the row. */
  ts: string;
  name: string;
  pid: string | undefined;
}

/** SQL producing one `<Event>` per row; `props` are the columns listed as eventProps entries. */
export function xmlEventSql(props: readonly string[], refs: XmlEventRefs): string {
  const entries = props.map((field) =>
    xmlElementSql(
      quoteIdent(field),
      `      <entry>\n        <key>${xmlAttribute(field)}</key>\n        <value>`,
      '</value>\n      </entry>\n',
    ),
  );
  const propsSql = `'    <eventProps>\n', ${[...entries, "'    </eventProps>\n'"].join(', ')}`;
  return [
    "concat('  <Event>\n'",
    `CASE WHEN ${refs.ts} IS NOT NULL THEN concat('    <ts>', strftime(${refs.ts}, '%Y%m%d%H%M%S'), '</ts>\n') ELSE '' END`,
    xmlElementSql(refs.name, '    <eventName>', '</eventName>\n'),
    refs.pid === undefined
      ? "''"
      : xmlElementSql(refs.pid, '    <profile>\n      <identity>', '</identity>\n    </profile>\n'),
    propsSql,
    "'  </Event>\n') AS x",
  ].join(', ');
}

/** Characters XML 1.0 cannot carry (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/F) → U+FFFD. */
function xmlChars(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    const bad =
      (c < 0x20 && c !== 9 && c !== 10 && c !== 13) ||
      (c >= 0xd800 && c <= 0xdfff) ||
      c === 0xfffe ||
      c === 0xffff;
    out += bad ? '\uFFFD' : ch;
  }
  return out;
}
