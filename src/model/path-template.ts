/** Export path templates: `{export}/{runId}/{export}-{index}.{ext}` and friends. Pure. */

import { createHash } from 'node:crypto';

export const TEMPLATE_TOKENS = [
  'export',
  'dataset',
  'runId',
  'event',
  'index',
  'ext',
  'exportTime',
  'date',
] as const;
export type TemplateToken = (typeof TEMPLATE_TOKENS)[number];
export const DEFAULT_EXPORT_PATH = '{export}/{runId}/{export}-{index}.{ext}';

export type TemplatePart = { literal: string } | { token: TemplateToken; format?: string };

const DATE_FORMAT = /^(yyyy|MM|dd|HH|mm|ss|[-_.T]|)+$/;

export interface TemplateProblem {
  message: string;
  hint: string;
  offset: number;
}

/** A relative path that cannot leave its root: no absolute paths, no `..`, no backslashes, no empty segments. */
export function pathEscapes(path: string): string | undefined {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.startsWith('~')) return 'is absolute';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.split('/').some((seg) => seg === '..')) return 'contains ".."';
  if (path.includes('\0')) return 'contains a NUL character';
  return undefined;
}

export function parseTemplate(template: string): { parts: TemplatePart[]; problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m.index > last) parts.push({ literal: template.slice(last, m.index) });
    last = m.index + m[0].length;
    const [name = '', format] = m[1]!.split(':', 2);
    if (!(TEMPLATE_TOKENS as readonly string[]).includes(name)) {
      problems.push({
        message: `unknown path token "{${m[1]}}"`,
        hint: `known tokens: ${TEMPLATE_TOKENS.map((t) => `{${t}}`).join(', ')}`,
        offset: m.index,
      });
      continue;
    }
    const token = name as TemplateToken;
    if (format !== undefined && token !== 'exportTime' && token !== 'date') {
      problems.push({
        message: `token {${token}} takes no format`,
        hint: `write {${token}}`,
        offset: m.index,
      });
    } else if (format !== undefined && !DATE_FORMAT.test(format)) {
      problems.push({
        message: `invalid date format "${format}" in {${m[1]}}`,
        hint: 'use yyyy, MM, dd, HH, mm, ss and - _ . T, for example {exportTime:yyyyMMddHHmm}',
        offset: m.index,
      });
    }
    parts.push(format === undefined ? { token } : { token, format });
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  const rest = parts
    .filter((p): p is { literal: string } => 'literal' in p)
    .map((p) => p.literal)
    .join('');
  if (/[{}]/.test(rest))
    problems.push({
      message: 'unbalanced "{" or "}" in path',
      hint: 'tokens are written {name}',
      offset: Math.max(0, template.search(/[{}]/)),
    });
  const escapes = pathEscapes(template);
  if (escapes !== undefined)
    problems.push({
      message: `path ${escapes}: export paths stay under the destination`,
      hint: 'write a relative path without ".." (the destination root or prefix is prepended)',
      offset: 0,
    });
  return { parts, problems };
}

// One formatter per zone: constructing Intl formatters dominates the cost of rendering a path.
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of `d` in the IANA zone `timeZone`. */
function zonedFields(d: Date, timeZone: string): Record<'yyyy' | 'MM' | 'dd' | 'HH' | 'mm' | 'ss', string> {
  let formatter = zoneFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    zoneFormatters.set(timeZone, formatter);
  }
  const part: Record<string, string> = {};
  for (const p of formatter.formatToParts(d)) part[p.type] = p.value;
  return {
    yyyy: (part.year ?? '').padStart(4, '0'),
    MM: part.month ?? '',
    dd: part.day ?? '',
    HH: part.hour ?? '',
    mm: part.minute ?? '',
    ss: part.second ?? '',
  };
}

function formatDate(d: Date, format: string, timeZone: string): string {
  const f = zonedFields(d, timeZone);
  return format
    .replace('yyyy', f.yyyy)
    .replace('MM', f.MM)
    .replace('dd', f.dd)
    .replace('HH', f.HH)
    .replace('mm', f.mm)
    .replace('ss', f.ss);
}

/** Longest token value kept as is, in bytes (a file name may have 255; literals need room). */
export const MAX_SEGMENT_VALUE_BYTES = 200;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;
// What a changed value ends with; an unchanged value that looks like it is changed too, so a
// value can never be spelled like another value's safe form.
const HASH_SUFFIX = /-[0-9a-f]{8}$/;

/**
 * A token value made one safe path segment, deterministically: only `A-Z a-z 0-9 _ . = -` (any
 * other character, such as `/`, `\`, a control character, a space or non-ASCII, becomes `_`), no
 * leading or trailing dot (so never `.` or `..`), never empty, never a Windows device name
 * (`CON`, `nul.txt`, `COM1`…), at most 200 bytes. A value that had to be changed gets `-` and
 * the first 8 hex digits of the sha256 of the original value, so distinct values stay distinct.
 */
export function safePathSegment(value: string): string {
  let s = value.replace(/[^A-Za-z0-9_.=-]/g, '_').replace(/^\.+|\.+$/g, (dots) => '_'.repeat(dots.length));
  if (s === '') s = '_';
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  if (s === value && s.length <= MAX_SEGMENT_VALUE_BYTES && !HASH_SUFFIX.test(s)) return s;
  const digest = createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 8);
  return `${s.slice(0, MAX_SEGMENT_VALUE_BYTES - 9)}-${digest}`;
}

export interface TemplateValues {
  export: string;
  dataset: string;
  runId: string;
  /** The file's event name (`splitBy: event`); `all` without. Any value is made a safe segment. */
  event?: string;
  index: number;
  ext: string;
  exportTime: Date;
  /** IANA zone that `{exportTime}` and `{date}` are rendered in: the project's `timezone`. */
  timeZone: string;
}

/** Tokens whose value differs between the files of one run. */
const FILE_TOKENS: ReadonlySet<TemplateToken> = new Set(['event', 'index']);

/** Longest file or folder name most file systems and object stores take, in bytes. */
const MAX_SEGMENT_BYTES = 255;

/**
 * A rendered segment over 255 bytes (long values side by side, or with long literals) is cut,
 * deterministically: its start, `-`, 8 hex digits of the sha256 of the whole segment, and its
 * `.{ext}` ending when it has one.
 */
function fitSegment(segment: string, ext: string): string {
  if (Buffer.byteLength(segment) <= MAX_SEGMENT_BYTES) return segment;
  const tail = segment.endsWith(`.${ext}`) ? `.${ext}` : '';
  const budget = MAX_SEGMENT_BYTES - 9 - Buffer.byteLength(tail);
  let head = '';
  for (const ch of segment.slice(0, segment.length - tail.length)) {
    if (Buffer.byteLength(head + ch) > budget) break;
    head += ch;
  }
  return `${head}-${createHash('sha256').update(segment, 'utf8').digest('hex').slice(0, 8)}${tail}`;
}

/**
 * Renders a parsed template for one file. `{exportTime}` and `{date}` are wall-clock time in
 * `timeZone`; every value is made a safe path segment (see safePathSegment), so no value can
 * add, remove or climb a folder, and a segment over 255 bytes is cut (see fitSegment).
 */
export function renderTemplate(parts: readonly TemplatePart[], v: TemplateValues): string {
  const rendered = parts
    .map((p) => {
      if ('literal' in p) return p.literal;
      switch (p.token) {
        case 'export':
          return safePathSegment(v.export);
        case 'dataset':
          return safePathSegment(v.dataset);
        case 'runId':
          // Ours (`20261120T120000Z-1a2b3c4d`), already safe; it ends like a changed value would.
          return v.runId.replace(/[^A-Za-z0-9_.=-]/g, '_');
        case 'event':
          return safePathSegment(v.event ?? 'all');
        case 'index':
          return String(v.index).padStart(5, '0');
        case 'ext':
          return v.ext;
        case 'exportTime':
          return formatDate(v.exportTime, p.format ?? 'yyyyMMddHHmm', v.timeZone);
        case 'date':
          return formatDate(v.exportTime, p.format ?? 'yyyyMMdd', v.timeZone);
        default:
          return '';
      }
    })
    .join('');
  return rendered
    .split('/')
    .map((segment) => fitSegment(segment, v.ext))
    .join('/');
}

/**
 * The run's folder: where the template puts the run's files, and where its manifest goes, for
 * empty runs too. It is the folder part of the template up to the first token that differs per
 * file (`{event}`, `{index}`): `{export}/exportTime={exportTime}/{export}-{index}.{ext}` gives
 * `e/exportTime=202611201200`, `{export}/{runId}/{event}/{index}.{ext}` gives `e/<runId>`, and
 * `{event}/…` gives `` (the destination's root). Every file of the run is under it.
 */
export function renderRunDirectory(
  parts: readonly TemplatePart[],
  v: Omit<TemplateValues, 'event' | 'index'>,
): string {
  const firstFileToken = parts.findIndex((p) => 'token' in p && FILE_TOKENS.has(p.token));
  const head = firstFileToken === -1 ? parts : parts.slice(0, firstFileToken);
  const rendered = renderTemplate(head, { ...v, index: 1 });
  const slash = rendered.lastIndexOf('/');
  // Without a file token the whole template is one file's path: its folder is the run's.
  return slash === -1 ? '' : rendered.slice(0, slash);
}
