import type { ResourceNode } from '../model/index.js';
import { REDACTED, withDefaults } from '../model/index.js';
import { SECRET_FIELDS } from '../schema/index.js';
import { canonicalJson, isPlainObject, sha256Hex, sortKeys } from './canonical.js';

/** A resource's config in canonical form: what is hashed, diffed and stored in state. */
export type NormalizedConfig = Record<string, unknown>;

/**
 * Key under which a normalised config keeps digests of its secret *references* (`${env:NAME}`),
 * never of secret values: the secret fields themselves read `(sensitive)`, and a changed
 * reference still changes the hash and shows as a (sensitive) field change.
 */
export const SENSITIVE_KEY = '$sensitive';

/** Normalises a resource's config; the model has already resolved its defaults. */
export function normalizeResource(node: ResourceNode): NormalizedConfig {
  return canonicalize(node.kind, node.config as unknown as Record<string, unknown>);
}

/**
 * Normalises a config as written or as stored in state: the schema's defaults filled in (the
 * model's `withDefaults`, so an old state compares equal under defaults added since), then
 * `canonicalize`. Normalising a normalised config changes nothing.
 */
export function normalizeConfig(kind: string, config: Record<string, unknown>): NormalizedConfig {
  return canonicalize(kind, withDefaults(kind, config));
}

/**
 * Stable key order, and order removed where it carries no meaning: labels, `from.events`,
 * `audiences`, `shareWith`, `subjects` and audience conditions are sorted, dataflow columns are
 * keyed by name. Export `fields` keep their order (it is the column order of the files).
 * Secrets are replaced by `(sensitive)`.
 */
function canonicalize(kind: string, config: Record<string, unknown>): NormalizedConfig {
  // Shallow copy: nested values are replaced, never mutated, and sortKeys copies deeply at the end.
  const c: Record<string, unknown> = { ...config };
  switch (kind) {
    case 'Connection':
      sortList(c, 'shareWith');
      sortList(c, 'subjects');
      redactSecrets(c);
      break;
    case 'Dataflow':
      normalizeDataflow(c);
      break;
    case 'Audience':
      if (Array.isArray(c.conditions)) c.conditions = sortConditions(c.conditions);
      break;
    case 'Export':
      if (isPlainObject(c.from)) {
        c.from = { ...c.from };
        sortList(c.from as Record<string, unknown>, 'events');
      }
      break;
    case 'Activation':
      sortList(c, 'audiences');
      break;
  }
  return sortKeys(c) as NormalizedConfig;
}

/** The config as shown to people: the reference digests left out. */
export function displayConfig(config: NormalizedConfig | undefined): NormalizedConfig | undefined {
  if (config === undefined) return undefined;
  const { [SENSITIVE_KEY]: _digests, ...rest } = config;
  return rest;
}

function sortList(obj: Record<string, unknown>, key: string): void {
  const v = obj[key];
  if (Array.isArray(v)) obj[key] = [...new Set(v.map(String))].sort();
}

function redactSecrets(c: Record<string, unknown>): void {
  const digests: Record<string, string> = {};
  for (const field of SECRET_FIELDS) {
    const v = c[field];
    if (v === undefined || v === REDACTED) continue;
    digests[field] = `sha256:${sha256Hex(String(v)).slice(0, 16)}`;
    c[field] = REDACTED;
  }
  if (Object.keys(digests).length > 0) c[SENSITIVE_KEY] = { ...(c[SENSITIVE_KEY] as object), ...digests };
}

function normalizeDataflow(c: Record<string, unknown>): void {
  if (!isPlainObject(c.schema) || !Array.isArray(c.schema.columns)) return;
  const columns: Record<string, unknown> = {};
  for (const col of c.schema.columns as Record<string, unknown>[]) {
    const { name, ...rest } = col;
    // `from` defaults to the column's own name when there is no expression (as the model resolves it).
    if (rest.expr === undefined && rest.from === undefined) rest.from = name;
    columns[String(name)] = rest;
  }
  c.schema = { ...c.schema, columns };
}

function sortConditions(conditions: unknown[]): unknown[] {
  const normalized = conditions.map((cond) => {
    if (!isPlainObject(cond)) return cond;
    for (const group of ['all', 'any'] as const) {
      const inner = cond[group];
      if (Array.isArray(inner)) return { ...cond, [group]: sortConditions(inner) };
    }
    if (
      isPlainObject(cond.have) &&
      Array.isArray(cond.have.value) &&
      ['in', 'not in'].includes(String(cond.have.op))
    )
      return { ...cond, have: { ...cond.have, value: [...cond.have.value].sort() } };
    return cond;
  });
  return normalized
    .map((cond) => ({ cond, key: canonicalJson(cond) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => e.cond);
}
