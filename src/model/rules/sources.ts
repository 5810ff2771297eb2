import type { Diagnostic } from '../../diagnostics/index.js';
import { errorAt } from '../../diagnostics/index.js';
import type { Rule } from './context.js';

/**
 * A dataflow reads stream files from a file store: `source.connection` names a local, s3, gcs,
 * azure or sftp Connection (a webhook only receives activations), and `source.prefix` is only
 * meaningful with a connection.
 */
export const sourcesReadFileStores: Rule = ({ model }) => {
  const out: Diagnostic[] = [];
  for (const flow of model.resources.Dataflow.values()) {
    const source = flow.config.source;
    if (source.connection === undefined) {
      if (source.prefix !== undefined)
        out.push(
          errorAt(
            flow.locate(['source', 'prefix']),
            'invalid-value',
            "source.prefix is the folder in a connection's store; without source.connection it means nothing",
            'add source.connection, or put the folder into source.path',
          ),
        );
      continue;
    }
    const connection = model.resources.Connection.get(source.connection);
    if (connection?.config.type === 'webhook')
      out.push(
        errorAt(
          flow.locate(['source', 'connection']),
          'wrong-destination-type',
          `source.connection "${source.connection}" is a webhook connection; stream files are read from a file store`,
          'use a Connection of type local, s3, gcs, azure or sftp',
        ),
      );
  }
  return out;
};
