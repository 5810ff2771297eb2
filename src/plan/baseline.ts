import { allResources, type Model } from '../model/index.js';
import type { ResourceState, StateDocument } from '../state/index.js';
import { fingerprint, type NormalizeMemo } from './fingerprint.js';

/**
 * The state `plan --base` diffs against: the base config taken as applied. Data history
 * (ingested files, runs, watermarks) and lineage/serial come from the real state when there is
 * one, so due runs and windows stay right; without state every export counts as never run.
 */
export function baselineState(
  base: Model,
  state: StateDocument | undefined,
  at: Date,
  memo?: NormalizeMemo,
): StateDocument {
  const resources: Record<string, ResourceState> = {};
  for (const node of allResources(base)) {
    const { config, hash } = fingerprint(node, memo);
    const data = state?.resources[node.address]?.data;
    resources[node.address] = {
      kind: node.kind,
      name: node.name,
      configHash: hash,
      config,
      appliedAt: at.toISOString(),
      ...(data === undefined ? {} : { data }),
    };
  }
  return {
    formatVersion: 1,
    lineage: state?.lineage ?? '',
    serial: state?.serial ?? 0,
    outflowVersion: state?.outflowVersion ?? '',
    updatedAt: at.toISOString(),
    resources,
  };
}
