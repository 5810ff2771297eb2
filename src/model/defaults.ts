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
  for (const entry of entries) fill(out, out, entry, 0, []);
  return out as T;
}

// Walks `entry.path` from `node` (at depth `i`), filling the default where the key is missing.
function fill(root: Json, node: unknown, entry: DefaultEntry, i: number, bound: (string | number)[]): void {
  const step = entry.path[i]!;
  if (step === '*') {
    if (Array.isArray(node))
      node.forEach((item, index) => {
        fill(root, item, entry, i + 1, [...bound, index]);
      });
    return;
  }
  if (!isObject(node)) return;
  if (i < entry.path.length - 1) {
    fill(root, node[step], entry, i + 1, [...bound, step]);
    return;
  }
  if (node[step] !== undefined) return;
  if ((entry.when ?? []).every((c) => holds(root, c, bound))) node[step] = structuredClone(entry.value);
}

// A condition's path, with each `*` replaced by the array index being filled.
function holds(root: Json, condition: DefaultCondition, bound: (string | number)[]): boolean {
  let v: unknown = root;
  condition.path.forEach((step, i) => {
    const key = step === '*' ? bound[i] : step;
    v = Array.isArray(v) && typeof key === 'number' ? v[key] : isObject(v) ? v[String(key)] : undefined;
  });
  return condition.present === true ? v !== undefined : v === condition.equals;
}
