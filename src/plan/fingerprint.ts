import type { ResourceNode } from '../model/index.js';
import { sha256Hex } from './canonical.js';
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
  // A normalised config has its keys sorted at every level already (normalize ends with
  // sortKeys), so its JSON is its canonical JSON. Each top-level entry is serialised once: the
  // data part is the same entries without the metadata keys.
  let all = '';
  let data = '';
  for (const key of Object.keys(config)) {
    const value = config[key];
    if (value === undefined) continue;
    const json = JSON.stringify(value);
    if (json === undefined) continue; // as JSON.stringify leaves out a function or a symbol
    const entry = `${JSON.stringify(key)}:${json}`;
    all = all === '' ? entry : `${all},${entry}`;
    if (!METADATA_KEYS.has(key)) data = data === '' ? entry : `${data},${entry}`;
  }
  return { config, hash: sha256Hex(`{${all}}`), dataHash: sha256Hex(`{${data}}`) };
}

/** A resource's fingerprint, from `memo` when its config object was seen before (watch mode). */
export function fingerprint(node: ResourceNode, memo?: NormalizeMemo): Fingerprint {
  const known = memo?.get(node.config);
  if (known !== undefined) return known;
  const entry = fingerprintOf(normalizeResource(node));
  memo?.set(node.config, entry);
  return entry;
}
