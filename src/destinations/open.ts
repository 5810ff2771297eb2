import { resolve } from 'node:path';
import type { ResourceNode } from '../model/index.js';
import type { SecretContext } from './credentials.js';
import type { Destination } from './destination.js';
import { LocalDestination } from './local.js';

/**
 * The destination a Connection names, for the project at `context.root`. Each store's module
 * (and its SDK) is loaded only here, when a command really talks to that store.
 */
export async function openDestination(
  connection: ResourceNode<'Connection'>,
  context: SecretContext,
): Promise<Destination> {
  const c = connection.config;
  switch (c.type) {
    case 'local':
      return new LocalDestination(resolve(context.root, c.root), context.root, connection.name);
    case 's3':
      return (await import('./s3.js')).openS3Destination(connection.name, c, context);
    case 'gcs':
      return (await import('./gcs.js')).openGcsDestination(connection.name, c, context);
    case 'azure':
      return (await import('./azure.js')).openAzureDestination(connection.name, c, context);
    case 'sftp':
      return (await import('./sftp.js')).openSftpDestination(connection.name, c, context);
    case 'webhook': {
      const { OutflowError } = await import('../diagnostics/index.js');
      throw new OutflowError(
        'wrong-destination-type',
        `connection "${connection.name}" is a webhook: it receives activations, not files`,
        { hint: 'export files to a local, s3, gcs, azure or sftp connection' },
      );
    }
  }
}

/** A Connection's config of one type (the model's, defaults resolved). */
export type ConnectionOf<T extends string> = Extract<ResourceNode<'Connection'>['config'], { type: T }>;
