import { REDACTED } from '../model/index.js';
import { canonicalJson, isPlainObject } from './canonical.js';
import { type NormalizedConfig, SENSITIVE_KEY } from './normalize.js';
import type { FieldChange } from './types.js';

/**
 * Field-level differences between two normalised configs, by path (`schema.columns.email.type`,
 * `fields`, `conditions[1].within`). Objects are compared key by key; arrays of equal length
 * element by element, otherwise as one value. Secret fields appear as `(sensitive)`.
 */
export function diffConfigs(before: NormalizedConfig, after: NormalizedConfig): FieldChange[] {
  const out: FieldChange[] = [];
  const { [SENSITIVE_KEY]: beforeRefs, ...b } = before;
  const { [SENSITIVE_KEY]: afterRefs, ...a } = after;
  diffValue('', b, a, out);
  const bRefs = isPlainObject(beforeRefs) ? beforeRefs : {};
  const aRefs = isPlainObject(afterRefs) ? afterRefs : {};
  for (const field of union(Object.keys(bRefs), Object.keys(aRefs))) {
    if (bRefs[field] === aRefs[field]) continue;
    // The field itself reads (sensitive) on both sides unless added or removed; report it once.
    const existing = out.findIndex((c) => c.path === field);
    if (existing !== -1) out.splice(existing, 1);
    out.push({
      path: field,
      ...(bRefs[field] === undefined ? {} : { before: REDACTED }),
      ...(aRefs[field] === undefined ? {} : { after: REDACTED }),
      sensitive: true,
    });
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

function diffValue(path: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (before === after) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of union(Object.keys(before), Object.keys(after)))
      diffValue(path === '' ? key : `${path}.${key}`, before[key], after[key], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item, i) => {
      diffValue(`${path}[${i}]`, item, after[i], out);
    });
    return;
  }
  if (canonicalJson(before) === canonicalJson(after)) return;
  out.push({
    path,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  });
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
