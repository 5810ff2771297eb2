/** Export path templates: `{export}/{runId}/{export}-{index}.{ext}` and friends. Pure. */

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

function formatDate(d: Date, format: string): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return format
    .replace('yyyy', String(d.getUTCFullYear()))
    .replace('MM', pad(d.getUTCMonth() + 1))
    .replace('dd', pad(d.getUTCDate()))
    .replace('HH', pad(d.getUTCHours()))
    .replace('mm', pad(d.getUTCMinutes()))
    .replace('ss', pad(d.getUTCSeconds()));
}

export interface TemplateValues {
  export: string;
  dataset: string;
  runId: string;
  event?: string;
  index: number;
  ext: string;
  exportTime: Date;
}

/** Renders a parsed template; date tokens are in UTC. Values are made path-safe. */
export function renderTemplate(parts: readonly TemplatePart[], v: TemplateValues): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.=-]/g, '_');
  return parts
    .map((p) => {
      if ('literal' in p) return p.literal;
      switch (p.token) {
        case 'export':
          return safe(v.export);
        case 'dataset':
          return safe(v.dataset);
        case 'runId':
          return safe(v.runId);
        case 'event':
          return safe(v.event ?? 'all');
        case 'index':
          return String(v.index).padStart(5, '0');
        case 'ext':
          return v.ext;
        case 'exportTime':
          return formatDate(v.exportTime, p.format ?? 'yyyyMMddHHmm');
        case 'date':
          return formatDate(v.exportTime, p.format ?? 'yyyyMMdd');
        default:
          return '';
      }
    })
    .join('');
}
