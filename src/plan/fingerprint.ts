import type { ResourceNode } from '../model/index.js';
import { sha256Hex, sortKeys } from './canonical.js';
import { type NormalizedConfig, normalizeResource } from './normalize.js';

/**
 * A resource's normalised config and its two hashes (SQLMesh's fingerprint idea): `hash` covers
 * everything and decides whether the plan shows a change; `dataHash` leaves out what never moves
 * data (description, labels, lifecycle), so metadata-only edits never trigger data work.
 */
export interface Fingerprint {
  config: NormalizedConfig;
  hash: string;
  dataHash: string;
}

/** Config keys that describe a resource without changing what it does to data. */
const METADATA_KEYS = new Set(['description', 'labels', 'lifecycle']);

export type NormalizeMemo = WeakMap<object, Fingerprint>;

/** The fingerprint of a normalised config. */
export function fingerprintOf(config: NormalizedConfig): Fingerprint {
  // Keys sorted once: the data part is the same sorted object without the metadata keys
  // (canonicalJson of each, without sorting twice).
  const sorted = sortKeys(config) as Record<string, unknown>;
  const data = Object.fromEntries(Object.entries(sorted).filter(([k]) => !METADATA_KEYS.has(k)));
  return { config, hash: sha256Hex(JSON.stringify(sorted)), dataHash: sha256Hex(JSON.stringify(data)) };
}

/** A resource's fingerprint, from `memo` when its config object was seen before (watch mode). */
export function fingerprint(node: ResourceNode, memo?: NormalizeMemo): Fingerprint {
  const known = memo?.get(node.config);
  if (known !== undefined) return known;
  const entry = fingerprintOf(normalizeResource(node));
  memo?.set(node.config, entry);
  return entry;
}
