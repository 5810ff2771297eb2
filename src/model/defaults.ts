import { DEFAULTS, type DefaultCondition, type DefaultEntry } from './defaults.gen.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `config` with every default its schema declares filled in (a copy; the input is not touched).
 * The one place defaults are resolved: everything downstream reads the resolved config.
 */
export function withDefaults<T>(kind: string, config: T): T {
  const entries = DEFAULTS[kind];
  if (entries === undefined || !isObject(config)) return config;
  const out = structuredClone(config) as Json;
  // One stack of the keys and indexes walked, pushed and popped (no array per step): a plan
  // resolves every resource's defaults on every run.
  const bound: (string | number)[] = [];
  for (const entry of entries) fill(out, out, entry, 0, bound);
  return out as T;
}

// Walks `entry.path` from `node` (at depth `i`), filling the default where the key is missing.
// `bound` holds the keys and indexes of depths 0 … i-1.
function fill(root: Json, node: unknown, entry: DefaultEntry, i: number, bound: (string | number)[]): void {
  const step = entry.path[i]!;
  if (step === '*') {
    if (Array.isArray(node))
      for (let index = 0; index < node.length; index++) {
        bound.push(index);
        fill(root, node[index], entry, i + 1, bound);
        bound.pop();
      }
    return;
  }
  if (!isObject(node)) return;
  if (i < entry.path.length - 1) {
    bound.push(step);
    fill(root, node[step], entry, i + 1, bound);
    bound.pop();
    return;
  }
  if (node[step] !== undefined) return;
  const when = entry.when;
  if (when !== undefined) for (const c of when) if (!holds(root, c, bound)) return;
  const value = entry.value;
  node[step] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

// A condition's path, with each `*` replaced by the array index being filled.
function holds(root: Json, condition: DefaultCondition, bound: readonly (string | number)[]): boolean {
  let v: unknown = root;
  const path = condition.path;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const key = step === '*' ? bound[i] : step;
    v = Array.isArray(v) && typeof key === 'number' ? v[key] : isObject(v) ? v[String(key)] : undefined;
  }
  return condition.present === true ? v !== undefined : v === condition.equals;
}
