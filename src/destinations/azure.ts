import { OutflowError } from '../diagnostics/index.js';
import type { SecretContext } from './credentials.js';
import type { Destination } from './destination.js';
import type { ConnectionOf } from './open.js';

/** Placeholder until the azure module lands: publishing to azure is not implemented yet. */
export async function openAzureDestination(
  name: string,
  _config: ConnectionOf<'azure'>,
  _context: SecretContext,
): Promise<Destination> {
  throw new OutflowError(
    'destination-not-supported',
    `destination "${name}" (type: azure) is not a local connection; this version publishes to local connections only`,
    { hint: 'use a Connection with type: local for now' },
  );
}
