import type { ResourceNode } from '../model/index.js';
import type { ConditionalObjects } from '../state/remote-store.js';
import type { SecretContext } from './credentials.js';

/**
 * The conditional object calls remote state makes on a Connection's bucket (under its prefix),
 * with the client and credentials the destinations use. Each store's SDK is loaded only here.
 */
export async function openConditionalObjects(
  connection: ResourceNode<'Connection'>,
  context: SecretContext,
): Promise<ConditionalObjects> {
  const c = connection.config;
  switch (c.type) {
    case 's3':
      return (await import('./conditional-s3.js')).s3ConditionalObjects(connection.name, c, context);
    case 'gcs':
      return (await import('./conditional-gcs.js')).gcsConditionalObjects(connection.name, c, context);
    case 'azure':
      return (await import('./conditional-azure.js')).azureConditionalObjects(connection.name, c, context);
    default: {
      const { OutflowError } = await import('../diagnostics/index.js');
      throw new OutflowError(
        'state-connection-invalid',
        `connection "${connection.name}" is of type ${c.type}: remote state needs an s3, gcs or azure connection`,
        { hint: 'point Project state.connection at a bucket connection of the backend’s type' },
      );
    }
  }
}
