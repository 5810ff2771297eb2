import { resolve } from 'node:path';
import { OutflowError } from '../diagnostics/index.js';
import type { ResourceNode } from '../model/index.js';
import type { Destination } from './destination.js';
import { LocalDestination } from './local.js';

/**
 * The destination a Connection names, for the project at `root`. This version publishes to
 * `local` only; any other type fails that export (and only that export) with a clear error.
 */
export function openDestination(root: string, connection: ResourceNode<'Connection'>): Destination {
  const c = connection.config;
  if (c.type === 'local') return new LocalDestination(resolve(root, c.root), root);
  throw new OutflowError(
    'destination-not-supported',
    `destination "${connection.name}" (type: ${c.type}) is not a local connection; this version publishes to local connections only`,
    { hint: 'use a Connection with type: local for now' },
  );
}
