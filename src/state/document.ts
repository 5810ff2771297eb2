import { randomUUID } from 'node:crypto';
import type { ResourceAddress, StateDocument } from './types.js';

export const STATE_FORMAT_VERSION = 1;

/** A fresh state: new lineage, serial 0, no resources. */
export function emptyState(now: Date, version: string): StateDocument {
  return {
    formatVersion: STATE_FORMAT_VERSION,
    lineage: randomUUID(),
    serial: 0,
    outflowVersion: version,
    updatedAt: now.toISOString(),
    resources: {},
  };
}

/** The key of a resource in `StateDocument.resources`: `Kind/name`. */
export function address(kind: string, name: string): ResourceAddress {
  return `${kind}/${name}`;
}

/** Splits `Kind/name`; undefined when the text is not an address. */
export function parseAddress(text: string): { kind: string; name: string } | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1 || text.indexOf('/', slash + 1) !== -1) return undefined;
  return { kind: text.slice(0, slash), name: text.slice(slash + 1) };
}

/**
 * The document to write next: same lineage and resources, serial + 1, stamped with `now` and
 * `version`. Every write goes through this so the serial only moves forward.
 */
export function nextRevision(doc: StateDocument, now: Date, version: string): StateDocument {
  return { ...doc, serial: doc.serial + 1, outflowVersion: version, updatedAt: now.toISOString() };
}
