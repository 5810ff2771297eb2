import { prefixedKey } from '../destinations/credentials.js';
import type { Destination } from '../destinations/index.js';
import type { StateDocument } from '../state/index.js';

/** Where warehouse objects live below the state prefix. */
export const WAREHOUSE_FOLDER = 'warehouse/';

/**
 * Every warehouse object the state refers to, keys relative to the state prefix: the segments of
 * each dataflow's current generation and the membership snapshots of activations
 * (`data.snapshots`, whose values each carry a `key`).
 */
export function listedWarehouseKeys(state: StateDocument): Set<string> {
  const keys = new Set<string>();
  for (const resource of Object.values(state.resources)) {
    for (const o of resource.data?.segments?.objects ?? []) keys.add(o.key);
    const snapshots = (resource.data as { snapshots?: Record<string, { key?: unknown }> } | undefined)
      ?.snapshots;
    for (const s of Object.values(snapshots ?? {})) if (typeof s?.key === 'string') keys.add(s.key);
  }
  return keys;
}

/**
 * Removes the warehouse objects below the state prefix that `state` does not list: uploads a
 * killed run never recorded, earlier overwrite generations, the segments of deleted or replaced
 * dataflows. Call it only with the state as it is stored now, under the lock, after the write
 * that stopped listing them (the commit): a rebuild only ever loads what the state lists, so
 * nothing that is swept can be needed. Returns the keys removed (relative to the state prefix).
 */
export async function sweepWarehouse(
  destination: Destination,
  statePrefix: string,
  state: StateDocument,
): Promise<string[]> {
  const base = prefixedKey(statePrefix, '');
  const listed = listedWarehouseKeys(state);
  const stored = await destination.list(prefixedKey(statePrefix, WAREHOUSE_FOLDER));
  const removed: string[] = [];
  for (const object of stored) {
    const key = object.key.slice(base.length);
    if (listed.has(key)) continue;
    await destination.delete(object.key);
    removed.push(key);
  }
  return removed;
}
