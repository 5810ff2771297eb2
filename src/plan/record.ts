import type { ResourceState, StateDocument } from '../state/index.js';
import { configHash } from './canonical.js';
import type { NormalizedConfig } from './normalize.js';
import type { ResourceChange } from './types.js';

/**
 * The state after `change` was applied at `now`: its normalised config and hash stored (data
 * history kept on update, dropped on replace), or the resource removed on delete. Serial and
 * lineage are untouched: the caller writes through `nextRevision`.
 */
export function recordApplied(state: StateDocument, change: ResourceChange, now: Date): StateDocument {
  if (change.action === 'no-op') return state;
  const resources = { ...state.resources };
  if (change.action === 'delete') {
    delete resources[change.address];
    return { ...state, resources };
  }
  const config = change.after as NormalizedConfig | undefined;
  if (config === undefined)
    throw new Error(`recordApplied: ${change.action} of ${change.address} has no config`);
  const previous = resources[change.address];
  const entry: ResourceState = {
    kind: change.kind,
    name: change.name,
    configHash: configHash(config),
    config,
    appliedAt: now.toISOString(),
    ...(change.action === 'update' && previous?.data !== undefined ? { data: previous.data } : {}),
  };
  resources[change.address] = entry;
  return { ...state, resources };
}
