import { OutflowError } from '../diagnostics/index.js';
import type { SecretContext } from './credentials.js';
import type { Destination } from './destination.js';
import type { ConnectionOf } from './open.js';

/** Placeholder until the s3 module lands: publishing to s3 is not implemented yet. */
export async function openS3Destination(
  name: string,
  _config: ConnectionOf<'s3'>,
  _context: SecretContext,
): Promise<Destination> {
  throw new OutflowError(
    'destination-not-supported',
    `destination "${name}" (type: s3) is not a local connection; this version publishes to local connections only`,
    { hint: 'use a Connection with type: local for now' },
  );
}
