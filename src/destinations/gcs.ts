import { OutflowError } from '../diagnostics/index.js';
import type { SecretContext } from './credentials.js';
import type { Destination } from './destination.js';
import type { ConnectionOf } from './open.js';

/** Placeholder until the gcs module lands: publishing to gcs is not implemented yet. */
export async function openGcsDestination(
  name: string,
  _config: ConnectionOf<'gcs'>,
  _context: SecretContext,
): Promise<Destination> {
  throw new OutflowError(
    'destination-not-supported',
    `destination "${name}" (type: gcs) is not a local connection; this version publishes to local connections only`,
    { hint: 'use a Connection with type: local for now' },
  );
}
