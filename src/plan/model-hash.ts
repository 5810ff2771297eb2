import { allResources, type Model } from '../model/index.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { fingerprint } from './fingerprint.js';

/** One hash for a whole configuration, from each resource's address and config hash. */
export function planConfigHash(hashes: ReadonlyMap<string, string>): string {
  const entries = [...hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256Hex(canonicalJson(entries));
}

/** The configuration hash a plan of `model` carries (a saved plan is stale once it differs). */
export function modelConfigHash(model: Model): string {
  return planConfigHash(new Map(allResources(model).map((n) => [n.address, fingerprint(n).hash])));
}
