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
  // A created or deleted resource is listed leaf by leaf; within an update an added or removed
  // object (a new column, say) is one change.
  const expand = Object.keys(b).length === 0 || Object.keys(a).length === 0;
  diffValue('', b, a, out, expand);
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

function diffValue(path: string, before: unknown, after: unknown, out: FieldChange[], expand: boolean): void {
  if (before === after) return;
  const b = expand && before === undefined && isPlainObject(after) ? {} : before;
  const a = expand && after === undefined && isPlainObject(before) ? {} : after;
  if (isPlainObject(b) && isPlainObject(a)) {
    for (const key of union(Object.keys(b), Object.keys(a))) {
      // kind and name are the address: they cannot differ between two versions of one resource.
      if (path === '' && (key === 'kind' || key === 'name')) continue;
      diffValue(path === '' ? key : `${path}.${key}`, b[key], a[key], out, expand);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item, i) => {
      diffValue(`${path}[${i}]`, item, after[i], out, expand);
    });
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && diffListMembers(path, before, after, out)) return;
  if (canonicalJson(before) === canonicalJson(after)) return;
  out.push({
    path,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  });
}

// Items only added or removed, the rest kept in order: listed one by one as `path[]`.
function diffListMembers(path: string, before: unknown[], after: unknown[], out: FieldChange[]): boolean {
  const b = before.map(canonicalJson);
  const a = after.map(canonicalJson);
  const bSet = new Set(b);
  const aSet = new Set(a);
  if (bSet.size !== b.length || aSet.size !== a.length) return false;
  const keptB = b.filter((x) => aSet.has(x));
  const keptA = a.filter((x) => bSet.has(x));
  if (keptB.join('\n') !== keptA.join('\n')) return false;
  before.forEach((item, i) => {
    if (!aSet.has(b[i]!)) out.push({ path: `${path}[]`, before: item });
  });
  after.forEach((item, i) => {
    if (!bSet.has(a[i]!)) out.push({ path: `${path}[]`, after: item });
  });
  return true;
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
