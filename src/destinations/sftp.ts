import { OutflowError } from '../diagnostics/index.js';
import type { SecretContext } from './credentials.js';
import type { Destination } from './destination.js';
import type { ConnectionOf } from './open.js';

/** Placeholder until the sftp module lands: publishing to sftp is not implemented yet. */
export async function openSftpDestination(
  name: string,
  _config: ConnectionOf<'sftp'>,
  _context: SecretContext,
): Promise<Destination> {
  throw new OutflowError(
    'destination-not-supported',
    `destination "${name}" (type: sftp) is not a local connection; this version publishes to local connections only`,
    { hint: 'use a Connection with type: local for now' },
  );
}
